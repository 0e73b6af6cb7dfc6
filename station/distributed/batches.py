"""`station process` and `station watch` when the pages run on the workers.

Originals are taken in here exactly as locally (verified masters, the intake ledger), and
each page's job goes on the queue in the transaction that records the page. Then this
process only watches: it reports pages as the workers record them and returns once the
worker that recorded the last page has finished the batch (folders, documents, report).
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from pathlib import Path

from sqlalchemy.exc import OperationalError
from sqlmodel import Session

from station.distributed import queue
from station.errors import StationError
from station.i18n import _
from station.pipeline import PageResult, PageWork
from station.profiles import ScanProfile
from station.room import runner
from station.room.assembly import FolderPdf
from station.settings import StationSettings
from station.store import Batch, Page, Store

POLL_S = 0.25  # a light transaction (the ids of pages recorded since) 4 times a second
DATABASE_PATIENCE_S = 600.0
NO_WORKER_WARNING_S = 15.0
log = logging.getLogger("station.process")
FINISHED = ("done", "done_with_failures")


def run_batch(
    source: runner.BatchSource,
    out_dir: Path,
    profile: ScanProfile,
    settings: StationSettings,
    *,
    progress: runner.BatchProgress,
    should_stop: runner.StopRequested,
    continue_batch: int | None,
    after_intake: Callable[[], None] | None,
) -> runner.BatchOutcome | None:
    """Take the batch in, queue its pages, and wait for the workers; None when stopped
    first (the workers carry on: the batch finishes without this process)."""
    started = time.perf_counter()
    store = Store.open(settings.database_url)
    queue.ensure_schema(store.engine)
    files = len(source.files or ())
    priority = queue.batch_priority(files, source.origin)

    def enqueue(session: Session, page: Page) -> None:
        assert page.id is not None
        queue.page_job(session, page.id, page.sha256, priority)

    store.on_page_added = enqueue
    skipped: list[str] = []
    batch_id = continue_batch or runner.start_batch(source, out_dir, profile, store)
    try:
        for _job in runner.take_in(batch_id, source, profile, settings, store, progress, skipped):
            pass  # queued with its page
    except OperationalError as exc:
        raise StationError(
            _(
                "The database went away while %(batch)s was being taken in (%(cause)s); take "
                "the batch in again once the database is back",
                batch=source.batch_dir.name,
                cause=str(exc).splitlines()[0],
            )
        ) from exc
    store.on_page_added = None
    store.end_intake(batch_id, on_batch_done=lambda s, b: queue.finish_job(s, _id(b)))
    if after_intake is not None:
        after_intake()
    progress.prepared(len(store.pages_of_batch(batch_id)))
    reported: set[int] = set()
    down_since: float | None = None
    warned = False
    while True:
        try:
            batch, pages = store.batch_progress(batch_id, reported)
        except OperationalError as exc:
            down_since = _wait_for_database(exc, down_since, should_stop)
            continue
        down_since = None
        for page in pages:
            reported.add(_id(page))
            progress.page_done(_as_result(page, settings, profile))
        if batch.state in FINISHED:
            return _outcome(batch, out_dir, time.perf_counter() - started, skipped)
        if should_stop():
            return None
        if not warned and time.perf_counter() - started > NO_WORKER_WARNING_S:
            warned = _warn_without_workers(store, settings)
        time.sleep(POLL_S)


def _wait_for_database(
    exc: OperationalError, down_since: float | None, should_stop: runner.StopRequested
) -> float:
    """The database went away (a restart, the network): the workers wait for it too, so
    this process waits, saying so, instead of giving up on a batch that is still running.
    Returns since when it has been away."""
    now = time.monotonic()
    if down_since is None:
        down_since = now
        log.warning("the database is unreachable (%s); waiting for it", str(exc).splitlines()[0])
    if now - down_since > DATABASE_PATIENCE_S:
        raise StationError(
            _(
                "The database has been unreachable for %(value)s minutes; the batch goes on "
                "when "
                "it is back (see `station status`)",
                value=f"{DATABASE_PATIENCE_S / 60:.0f}",
            )
        ) from exc
    if not should_stop():
        time.sleep(2.0)
    return down_since


def _warn_without_workers(store: Store, settings: StationSettings) -> bool:
    """Pages wait and no worker beats: say what to start, once."""
    if queue.queue_status(store.engine, settings.stalled_after_s)["live_workers"]:
        return False
    log.warning(
        "no worker is running: the pages wait on the queue until `station worker` runs on a "
        "machine that shares this database (%s) and the data directory",
        queue.conninfo(settings.database_url).split("@")[-1],
    )
    return True


def _as_result(page: Page, settings: StationSettings, profile: ScanProfile) -> PageResult:
    """What the progress display needs of a page a worker recorded."""
    job = runner.page_job(page, settings, profile)
    return PageResult(job, PageWork(job=job), page.timings or {}, error=page.error)


def _outcome(
    batch: Batch, out_dir: Path, elapsed: float, skipped: list[str]
) -> runner.BatchOutcome:
    """The batch as its finisher left it: folders from the batch row, records from the
    report.json it wrote (the same file a local run writes)."""
    assert batch.id is not None
    report = Path(batch.out_dir or out_dir) / "report.json"
    records = json.loads(report.read_text(encoding="utf-8"))
    folder_pdfs = [
        FolderPdf(
            folder_id or None,
            Path(made["pdf"]) if made.get("pdf") else None,
            int(made.get("pages") or 0),
            list(made.get("flags") or []),
        )
        for folder_id, made in (batch.folders or {}).items()
    ]
    return runner.BatchOutcome(batch.id, batch.name, folder_pdfs, report, records, elapsed, skipped)


def _id(row: Page | Batch) -> int:
    assert row.id is not None
    return row.id
