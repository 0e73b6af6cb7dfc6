"""What a worker does: a page's pipeline, a batch's finishing, and the upkeep of the queue.

Every job is idempotent: a page job whose result is recorded (or whose page now holds
other content) does nothing, and a finish job for a finished batch does nothing; so a job
run twice (a worker that died after recording, a stalled job retried) does no harm.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path

from procrastinate import Blueprint, JobContext, RetryStrategy
from sqlmodel import Session

from station import pipeline, tools
from station.distributed import queue
from station.pipeline import PageResult, PageWork
from station.profiles import load_profile
from station.room import runner
from station.settings import StationSettings, load_settings
from station.store import Batch, Store

log = logging.getLogger("station.worker")
blueprint = Blueprint()

# A worker process that overran a page's time limit exits with this code; `station worker`
# starts another in its place and the page's job, stalled, is retried elsewhere.
EXIT_TIME_LIMIT = 75


@cache
def _context() -> tuple[StationSettings, Store]:
    """This worker process's settings and store, made once."""
    settings = load_settings()
    return settings, Store.open(settings.database_url)


# A job raises only when the database or the file system failed it (a page's own problems
# become a failed page, not an exception): it waits and runs again, for about five minutes.
OUTAGE = RetryStrategy(max_attempts=12, linear_wait=5)


@blueprint.task(name="process_page", queue=queue.PAGES, pass_context=True, retry=OUTAGE)
def process_page(context: JobContext, page_id: int, sha256: str) -> None:
    settings, store = _context()
    run_page_job(store, settings, page_id, sha256, context.worker_name or "worker")


@blueprint.task(name="finish_batch", queue=queue.BATCHES, retry=OUTAGE)
def finish_batch(batch_id: int) -> None:
    settings, store = _context()
    finish_batch_job(store, settings, batch_id)


@blueprint.periodic(cron="* * * * * */5")
@blueprint.task(
    name="retry_stalled", queue=queue.UPKEEP, queueing_lock="retry-stalled", pass_context=True
)
async def retry_stalled(context: JobContext, timestamp: int) -> None:
    """Jobs of workers that stopped beating (SIGKILL, power cut) go back on the queue."""
    settings, _ = _context()
    app = context.app
    assert app is not None
    stalled = await app.job_manager.get_stalled_jobs(
        seconds_since_heartbeat=settings.stalled_after_s
    )
    for job in stalled:
        log.warning("job %s (%s %s) stalled: running it again", job.id, job.task_name,
                    job.task_kwargs)  # fmt: skip
        await app.job_manager.retry_job(job)
    await app.job_manager.prune_stalled_workers(settings.stalled_after_s)


@blueprint.periodic(cron="17 * * * *")
@blueprint.task(
    name="forget_done_jobs", queue=queue.UPKEEP, queueing_lock="forget-done-jobs", pass_context=True
)
async def forget_done_jobs(context: JobContext, timestamp: int) -> None:
    """The queue keeps a row for every job that ever ran (and upkeep runs every 5 s): the
    ones that succeeded go after `done_jobs_kept_h`, or the queue's table only grows."""
    settings, _ = _context()
    assert context.app is not None
    await context.app.job_manager.delete_old_jobs(nb_hours=settings.done_jobs_kept_h)


def run_page_job(
    store: Store,
    settings: StationSettings,
    page_id: int,
    sha256: str,
    worker: str = "worker",
) -> bool:
    """Run and record one page; False when there was nothing to do."""
    attempts = store.start_page(page_id, sha256, worker)
    if attempts is None:
        # Recorded already: perhaps by a worker that died before handing the batch on.
        recorded = store.get_page(page_id)
        if recorded is not None:
            store.hand_on_if_complete(recorded.batch_id, _hand_on)
        return False
    page = store.get_page(page_id)
    assert page is not None
    batch = store.get_batch(page.batch_id)
    assert batch is not None and batch.id is not None
    profile = load_profile(batch.profile, settings.profiles_dir)
    job = runner.page_job(page, settings, profile)
    if attempts > settings.job_attempts:
        result = PageResult(
            job,
            PageWork(job=job),
            {},
            error=(
                f"{job.label}: given up after {attempts - 1} attempts: each time its worker "
                f"stopped (killed, or over the {settings.page_time_limit_s:.0f} s limit)"
            ),
            error_code="gave_up",
            failed_stage="worker",
        )
    else:
        with _time_limit(settings.page_time_limit_s, job.label):
            result = pipeline.run_page(job)
    values, events = runner.result_record(batch.id, result, worker)
    return store.record_page_result(page_id, values, events, sha256=sha256, on_batch_done=_hand_on)


def _hand_on(session: Session, batch: Batch) -> None:
    assert batch.id is not None
    queue.finish_job(session, batch.id)


def finish_batch_job(store: Store, settings: StationSettings, batch_id: int) -> bool:
    """Assemble the batch's folders, find their documents, write its report; once."""
    if store.waiting_pages(batch_id) or not store.start_batch_finish(batch_id):
        return False
    batch = store.get_batch(batch_id)
    assert batch is not None
    profile = load_profile(batch.profile, settings.profiles_dir)
    versions = tools.check_required_tools(profile.ocr.languages)
    out_dir = Path(batch.out_dir) if batch.out_dir else settings.output_dir / batch.name
    runner.finish_batch(store, batch_id, out_dir, profile, versions, time.perf_counter(), [])
    return True


@contextmanager
def _time_limit(seconds: float, label: str) -> Iterator[None]:
    """Past the limit the whole worker process exits: a stuck OCR cannot be interrupted
    from another thread, and a new process is clean."""

    def overrun() -> None:
        log.error("%s ran over %.0f s: stopping this worker process", label, seconds)
        logging.shutdown()
        os._exit(EXIT_TIME_LIMIT)

    timer = threading.Timer(seconds, overrun)
    timer.daemon = True
    timer.start()
    try:
        yield
    finally:
        timer.cancel()
