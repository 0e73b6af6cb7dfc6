"""The `station` command's entry point: start the page workers' forkserver first.

The forkserver imports the pipeline and loads Tesseract's models before it forks the first
worker: a second and a half. Started here, before the command line's own imports, that
runs on another core while this process imports, opens the database and takes originals
in; started by the pool, it comes after all of them, and every page waits for it.

Only `station process` with a local pool of more than one worker starts it early, guessed
from the arguments and the environment alone: reading the settings costs the very imports
this saves. A wrong guess costs either a spare core for a second (a forkserver nobody uses)
or nothing (the pool starts the forkserver itself, as it always could).
"""

from __future__ import annotations

import gc
import os
import sys

WORKER_PRELOAD = ["station.pipeline.preload", "station.room.page_worker"]


def start_forkserver() -> None:
    """Start the forkserver the local page pool forks its workers from (idempotent)."""
    import multiprocessing  # here: other commands skip its 10 ms
    from multiprocessing import forkserver

    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(WORKER_PRELOAD)
    forkserver.ensure_running()


def _runs_a_local_pool(argv: list[str]) -> bool:
    if len(argv) < 2 or argv[1] != "process" or (os.cpu_count() or 1) < 2:
        return False
    if any(a in ("--help", "-h") for a in argv):
        return False
    for index, arg in enumerate(argv):
        if (arg == "--jobs" and argv[index + 1 : index + 2] == ["1"]) or arg == "--jobs=1":
            return False
    if os.environ.get("STATION_WORKERS") == "1" or os.environ.get("STATION_WORK") == "queue":
        return False
    database = os.environ.get("STATION_DATABASE_URL", "")
    return not database.startswith("postgresql") or os.environ.get("STATION_WORK") == "local"


def main() -> None:
    if _runs_a_local_pool(sys.argv):
        start_forkserver()
    from station.cli import main as run_command

    # What was imported stays for the life of the process: out of the garbage collector's
    # sight, collections skip it, and exiting takes 0.03 s instead of 0.3 s.
    gc.freeze()
    run_command()
