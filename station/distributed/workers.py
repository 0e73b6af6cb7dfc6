"""`station worker`: N worker processes on this machine, each running one job at a time.

OCR is CPU-bound, so concurrency is processes, not threads: each process runs a
Procrastinate worker of concurrency 1 and keeps its Tesseract engine loaded between pages.
This process only supervises: a worker that dies (a page over its time limit, a crash) is
replaced, and SIGTERM or Ctrl-C stops them all gracefully (a running page finishes).
"""

from __future__ import annotations

import logging
import multiprocessing
import signal
import socket
import time
from collections.abc import Callable, Sequence
from multiprocessing.process import BaseProcess
from types import FrameType

from station import i18n
from station.distributed import queue
from station.errors import ConfigError
from station.i18n import _
from station.pipeline import imaging
from station.settings import StationSettings
from station.store import Store

log = logging.getLogger("station.worker")
RESTART_CALM_S = 30.0  # a worker that lived this long died of something new


def _sleep_unless(seconds: float, stop: Callable[[], bool]) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and not stop():
        time.sleep(0.2)


def run_workers(settings: StationSettings, *, concurrency: int, queues: Sequence[str] = ()) -> None:
    """Run `concurrency` worker processes until told to stop."""
    if not settings.distributed and settings.work == "local":
        raise ConfigError(
            _(
                "station worker takes page work from the queue, but work = local (STATION_WORK) "
                "keeps it in each `station process`'s own pool: set it to auto or queue"
            )
        )
    if not settings.distributed:
        raise ConfigError(
            _(
                "station worker needs the shared PostgreSQL database: set STATION_DATABASE_URL "
                "to postgresql+psycopg://… (the embedded SQLite default runs pages in `station "
                "process` itself)"
            )
        )
    unknown = [q for q in queues if q not in queue.QUEUES]
    if unknown:
        raise ConfigError(
            _(
                "Unknown queue %(unknown)r: use some of %(queues)s",
                unknown=unknown[0],
                queues=", ".join(queue.QUEUES),
            )
        )
    queue.ensure_schema(Store.open(settings.database_url).engine)
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["station.pipeline.preload", "station.distributed.jobs"])
    host = socket.gethostname()
    stopping = False

    def start(slot: int) -> BaseProcess:
        process = context.Process(
            target=work,
            args=(settings, tuple(queues), f"{host}-{slot}", concurrency),
            name=f"station-worker-{slot}",
        )
        process.start()
        return process

    def stop(signum: int, _frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True
        for process in processes.values():
            if process.is_alive() and process.pid is not None:
                process.terminate()  # SIGTERM: Procrastinate finishes the running job

    processes = {slot: start(slot) for slot in range(1, concurrency + 1)}
    started = {slot: time.monotonic() for slot in processes}
    quick_deaths = dict.fromkeys(processes, 0)
    previous = {s: signal.signal(s, stop) for s in (signal.SIGTERM, signal.SIGINT)}
    try:
        while processes:
            time.sleep(0.5)
            for slot, process in list(processes.items()):
                if process.is_alive():
                    continue
                process.join()
                if stopping:
                    del processes[slot]
                    continue
                # A worker that dies at once again and again (the database is down) is
                # started again ever more slowly, up to once a minute.
                lived = time.monotonic() - started[slot]
                quick_deaths[slot] = quick_deaths[slot] + 1 if lived < RESTART_CALM_S else 0
                pause = min(60.0, 2.0 ** quick_deaths[slot]) if quick_deaths[slot] else 0.0
                log.warning("worker %s ended (exit code %s): starting another%s",
                            process.name, process.exitcode,
                            f" in {pause:.0f} s" if pause else "")  # fmt: skip
                _sleep_unless(pause, lambda: stopping)
                if stopping:
                    del processes[slot]
                    continue
                processes[slot] = start(slot)
                started[slot] = time.monotonic()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def work(settings: StationSettings, queues: tuple[str, ...], name: str, workers: int = 1) -> None:
    """One worker process: jobs one at a time until SIGTERM."""
    logging.basicConfig(level=logging.INFO, format=f"%(asctime)s {name} %(message)s")
    logging.getLogger("procrastinate").setLevel(logging.WARNING)
    imaging.share_cores(workers)
    i18n.activate(settings.language)  # the errors it records for pages: the station's language
    app = queue.make_app(settings.database_url)
    app.run_worker(
        queues=list(queues) or None,
        concurrency=1,
        name=name,
        update_heartbeat_interval=settings.heartbeat_s,
        stalled_worker_timeout=settings.stalled_after_s,
        install_signal_handlers=True,
        wait=True,
    )
