"""Running a batch: masters in, pages through the pipeline, folders and PDF/A out.

The runner is the only place that both runs stages and records their results: workers
return `PageResult`s, and the runner writes them to the store as they arrive. Because
every page's state is in the store, a batch stopped half-way (Ctrl-C, SIGTERM, a power
cut) is finished later by `resume_batch`, running only the pages not yet done.

A batch's life: `start_batch` (a row), `take_in` (verified masters, page rows, the
intake ledger; jobs handed to the pool as soon as each original is safe), the pages on
the `PagePool`, then `finish_batch` (folders, documents, reconciliation, report).
"""

from __future__ import annotations

import importlib
import json
import logging
import multiprocessing
import os
import socket
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from station import __version__, i18n, ingest, pipeline, tools
from station.errors import PageError
from station.launch import WORKER_PRELOAD
from station.pipeline import PageJob, PageResult, imaging
from station.profiles import ScanProfile, load_profile
from station.room import page_worker
from station.settings import StationSettings
from station.store import REFUSED, Batch, Event, Page, Store, to_json_safe

if TYPE_CHECKING:
    from station.room.assembly import FolderPdf

log = logging.getLogger(__name__)

StopRequested = Callable[[], bool]


def _never() -> bool:
    return False


class BatchProgress:
    """What a batch run reports as it goes; the CLI draws it, tests may record it."""

    def __enter__(self) -> BatchProgress:
        return self

    def __exit__(self, *exc: object) -> None:
        """The batch is over (or failed): stop drawing."""

    def discovered(self, files: int) -> None:
        """The batch folder was read: this many files to take in."""

    def stored(self, source: Path) -> None:
        """One original is safely in master storage."""

    def prepared(self, pages: int) -> None:
        """All originals are stored; this many pages go through the pipeline."""

    def page_done(self, result: PageResult) -> None:
        """One page finished, successfully or not."""


@dataclass(frozen=True)
class BatchSource:
    """A folder of scans and what is known about who fed it."""

    batch_dir: Path
    origin: str = "cli"  # cli (station process) or hotfolder (station watch)
    operator: str | None = None
    station_name: str | None = None
    # Hot folders count each original once: a file already taken in by an earlier batch
    # (the same batch dropped twice, a restart) is recorded as such and not run again.
    skip_taken_in: bool = False
    # Files stopped before processing (e.g. checksum differs from batch.done), with why.
    stopped: dict[str, str] = field(default_factory=dict)
    # The files to take in, in scan order, when the caller already listed them (a hot-folder
    # batch judged ready on exactly these); otherwise every file found in the folder.
    files: tuple[Path, ...] | None = None

    @property
    def name(self) -> str:
        return self.batch_dir.name


@dataclass(frozen=True)
class BatchOutcome:
    batch_id: int
    name: str
    folder_pdfs: list[FolderPdf]
    report_path: Path
    records: list[dict[str, Any]]
    elapsed_s: float
    skipped: list[str] = field(default_factory=list)  # originals already taken in before

    @property
    def pdf_path(self) -> Path | None:
        """The batch's PDF when it is one document (no folders)."""
        paths = [d.pdf_path for d in self.folder_pdfs if d.pdf_path]
        return paths[0] if len(paths) == 1 else None

    @property
    def failed(self) -> list[dict[str, Any]]:
        return [r for r in self.records if r["status"] == "failed"]

    @property
    def refused(self) -> list[dict[str, Any]]:
        """Files refused unread at intake (symbolic links), with why."""
        return [r for r in self.records if r["status"] == REFUSED]

    @property
    def ok(self) -> list[dict[str, Any]]:
        return [r for r in self.records if r["status"] == "ok" and not r["separator"]]

    @property
    def separators(self) -> list[dict[str, Any]]:
        return [r for r in self.records if r["separator"]]

    @property
    def flagged(self) -> list[dict[str, Any]]:
        return [r for r in self.ok if r["flags"]]


# --- the worker pool -------------------------------------------------------------------------


class PagePool:
    """One worker process per core, started from a forkserver that already imported the
    pipeline, so a worker is ready in milliseconds instead of half a second."""

    def __init__(self, workers: int) -> None:
        self.workers = max(1, workers)
        self._executor: ProcessPoolExecutor | None = None
        self._starter: threading.Thread | None = None
        self._pending: dict[Future[PageResult], PageJob] = {}
        self._inline: list[PageJob] = []

    def __enter__(self) -> PagePool:
        if self.workers > 1:
            context = multiprocessing.get_context("forkserver")
            context.set_forkserver_preload(WORKER_PRELOAD)  # unless `station` started it
            self._executor = ProcessPoolExecutor(
                max_workers=self.workers,
                mp_context=context,
                initializer=page_worker.start,
                initargs=(os.getpid(), self.workers, i18n.current()),
            )
            # Starting a worker waits for the forkserver to import the pipeline and load
            # Tesseract (about a second): let that happen while this thread takes originals in.
            self._starter = threading.Thread(
                target=self._start_workers, args=(self._executor,), name="start-workers"
            )
            self._starter.start()
        return self

    def _start_workers(self, executor: ProcessPoolExecutor) -> None:
        for _ in range(self.workers):
            executor.submit(page_worker.warm_up)

    def __exit__(self, *exc: object) -> None:
        if self._starter is not None:
            self._starter.join()
        if self._executor is not None:
            # Every page is in: the workers exit (a tenth of a second each) while the batch
            # is finished, instead of before. Exiting, the interpreter waits for them.
            self._executor.shutdown(wait=exc[0] is not None, cancel_futures=True)

    def has_idle_worker(self) -> bool:
        """Fewer pages in hand than workers: a core is free until the batch ends."""
        return len(self._pending) < self.workers

    def submit(self, job: PageJob) -> None:
        if self._executor is None:
            self._inline.append(job)
        else:
            self._pending[self._executor.submit(page_worker.run_page, job)] = job

    def results(self, should_stop: StopRequested = _never) -> Iterator[PageResult]:
        """Results as pages finish; once a stop is asked for, only the pages in hand."""
        while self._inline:
            if should_stop():
                self._inline.clear()
                return
            yield page_worker.run_page(self._inline.pop(0))
        stopping = False
        while self._pending:
            if should_stop() and not stopping:
                stopping = True
                for future in list(self._pending):
                    if future.cancel():
                        del self._pending[future]
            done, _ = wait(list(self._pending), timeout=0.5, return_when=FIRST_COMPLETED)
            for future in done:
                del self._pending[future]
                yield future.result()


# --- a batch's life ----------------------------------------------------------------------------


def start_batch(
    source: BatchSource, out_dir: Path | None, profile: ScanProfile, store: Store
) -> int:
    batch_id = store.create_batch(source.name, source.batch_dir.resolve(), profile.name, out_dir)
    store.set_batch_source(
        batch_id,
        source_dir=source.batch_dir.resolve(),
        operator=source.operator,
        station_name=source.station_name,
        origin=source.origin,
    )
    return batch_id


def take_in(
    batch_id: int,
    source: BatchSource,
    profile: ScanProfile,
    settings: StationSettings,
    store: Store,
    progress: BatchProgress,
    skipped: list[str],
) -> Iterator[PageJob]:
    """Keep every original as a verified master and yield its pages' jobs, file by file."""
    files = (
        list(source.files) if source.files is not None else ingest.discover_batch(source.batch_dir)
    )
    progress.discovered(len(files))
    refuse_links(batch_id, source.batch_dir, store)
    masters = ingest.MasterStore(settings.data_dir / "masters")
    # A batch continued after a crash: its pages so far stay, and are not taken in again.
    earlier_pages = store.pages_of_batch(batch_id)
    already = {(p.source_file, p.sha256) for p in earlier_pages}
    seq = max((p.seq for p in earlier_pages), default=-1) + 1
    for file in files:
        if file.is_symlink():  # never read, whoever listed it: `refuse_links` reported it
            progress.stored(file)
            continue
        relative = file.relative_to(source.batch_dir).as_posix()
        stored = masters.keep(file)
        if (relative, stored.sha256) in already:
            store.record_intake(stored.sha256, batch_id, relative)
            progress.stored(file)
            continue
        if source.skip_taken_in and (earlier := store.taken_in([stored.sha256])):
            skipped.append(relative)
            store.add_events(
                [
                    Event(
                        batch_id=batch_id,
                        stage="capture",
                        outcome="skipped",
                        detail={
                            "source": relative,
                            "sha256": stored.sha256,
                            "reason": "already taken in",
                            "earlier_batch": earlier[stored.sha256],
                        },
                        tool="station",
                        tool_version=__version__,
                    )
                ]
            )
            progress.stored(file)
            continue
        stop_reason = source.stopped.get(relative)
        try:
            frames = 1 if stop_reason else imaging.frame_count(stored.master_path)
        except PageError:
            frames = 1  # the load stage will fail it with the precise reason
        jobs: list[PageJob] = []
        events: list[Event] = []
        for index in range(frames):
            page_id = store.add_page(
                batch_id,
                seq=seq,
                source_file=relative,
                page_index=index,
                sha256=stored.sha256,
                master_path=stored.master_path,
            )
            seq += 1
            events.append(
                Event(
                    batch_id=batch_id,
                    page_id=page_id,
                    stage="capture",
                    outcome="failed" if stop_reason else "ok",
                    detail={
                        "source": str(file),
                        "sha256": stored.sha256,
                        "bytes": stored.size,
                        "master": str(stored.master_path),
                        "already_stored": stored.already_stored,
                        "checksum_verified": True,
                        **({"error": stop_reason} if stop_reason else {}),
                    },
                    tool="station",
                    tool_version=__version__,
                )
            )
            if stop_reason:
                store.update_page(
                    page_id, state="failed", error=stop_reason, error_code="stopped_at_intake"
                )
            else:
                jobs.append(
                    _job(
                        page_id,
                        relative,
                        stored.master_path,
                        stored.sha256,
                        index,
                        settings,
                        profile,
                    )
                )
        store.add_events(events)
        store.record_intake(stored.sha256, batch_id, relative)
        progress.stored(file)
        yield from jobs


def refuse_links(batch_id: int, batch_dir: Path, store: Store) -> None:
    """Record each symbolic link in the batch as refused, unread, once (a continued batch
    does not record them again); report.json and the summary list them."""
    recorded = {event.detail.get("source") for event in store.refused_of_batch(batch_id)}
    links = [link for link in ingest.refused_links(batch_dir) if link.relative not in recorded]
    for link in links:
        log.info("%s", link.reason)  # the summary lists them all
    store.add_events(
        [
            Event(
                batch_id=batch_id,
                stage="capture",
                outcome=REFUSED,
                detail={
                    "source": link.relative,
                    "link_to": link.target,
                    "error_code": ingest.SYMLINK_REFUSED,
                    "error": link.reason,
                },
                tool="station",
                tool_version=__version__,
            )
            for link in links
        ]
    )


def refused_record(event: Event, batch_name: str) -> dict[str, Any]:
    """A refused file's line of report.json: the page record's keys, status "refused"."""
    unread = Page(batch_id=0, seq=0, source_file="", sha256="", master_path="")
    blank = page_record(unread, batch_name)
    return dict.fromkeys(blank) | {
        "source_file": event.detail["source"],
        "page_index": 0,
        "status": REFUSED,
        "error": event.detail["error"],
        "error_code": event.detail["error_code"],
        "flags": [],
        "batch": batch_name,
        "state": REFUSED,
    }


def _job(
    page_id: int,
    source_file: str,
    master_path: Path,
    sha256: str,
    page_index: int,
    settings: StationSettings,
    profile: ScanProfile,
) -> PageJob:
    return PageJob(
        page_id=page_id,
        source_file=source_file,
        master_path=master_path,
        sha256=sha256,
        page_index=page_index,
        work_dir=settings.data_dir / "derivatives" / f"{page_id:08d}",
        profile=profile,
    )


def page_job(page: Page, settings: StationSettings, profile: ScanProfile) -> PageJob:
    """The job of a page already recorded."""
    return _job(
        _id(page),
        page.source_file,
        Path(page.master_path),
        page.sha256,
        page.page_index,
        settings,
        profile,
    )


def run_batch(
    source: BatchSource,
    out_dir: Path,
    profile: ScanProfile,
    settings: StationSettings,
    *,
    workers: int | None = None,
    progress: BatchProgress | None = None,
    should_stop: StopRequested = _never,
    continue_batch: int | None = None,
    after_intake: Callable[[], None] | None = None,
) -> BatchOutcome | None:
    """Take a batch in and process it; None when stopped before every page was done (the
    batch then waits for `resume_batch`).

    `continue_batch` carries on a batch whose intake a crash interrupted; `after_intake` runs
    once every original is safe in master storage (the watcher moves the folder away then).
    """
    started = time.perf_counter()
    progress = progress or BatchProgress()
    if source.files is None:  # listed now: a bad folder fails before anything is recorded
        source = replace(source, files=tuple(ingest.discover_batch(source.batch_dir)))
    if settings.distributed:
        from station.distributed import batches

        return batches.run_batch(
            source,
            out_dir,
            profile,
            settings,
            progress=progress,
            should_stop=should_stop,
            continue_batch=continue_batch,
            after_intake=after_intake,
        )
    skipped: list[str] = []
    with PagePool(workers or settings.workers) as pool:  # workers start meanwhile
        versions = tools.check_required_tools(profile.ocr.languages)
        store = Store.open(settings.database_url)
        batch_id = continue_batch or start_batch(source, out_dir, profile, store)
        waiting = pending_jobs(store, batch_id, settings, profile)
        for job in waiting:
            pool.submit(job)
        jobs = len(waiting)
        for job in take_in(batch_id, source, profile, settings, store, progress, skipped):
            pool.submit(job)
            jobs += 1
        store.end_intake(batch_id)
        if after_intake is not None:
            after_intake()
        progress.prepared(jobs)
        if not _run_pages(pool, store, batch_id, progress, should_stop):
            return None
    return finish_batch(store, batch_id, out_dir, profile, versions, started, skipped)


def resume_batch(
    batch: Batch,
    out_dir: Path,
    profile: ScanProfile,
    settings: StationSettings,
    *,
    workers: int | None = None,
    progress: BatchProgress | None = None,
    should_stop: StopRequested = _never,
) -> BatchOutcome | None:
    """Run the pages a stopped batch had not done yet, then finish it."""
    assert batch.id is not None
    nothing_new = BatchSource(Path(batch.source_dir), origin=batch.origin, files=())
    return run_batch(
        nothing_new,
        out_dir,
        profile,
        settings,
        workers=workers,
        progress=progress,
        should_stop=should_stop,
        continue_batch=batch.id,
    )


def pending_jobs(
    store: Store, batch_id: int, settings: StationSettings, profile: ScanProfile
) -> list[PageJob]:
    """Jobs for the pages of a batch recorded but not yet done (after a stop or a crash)."""
    return [
        page_job(p, settings, profile)
        for p in store.pages_of_batch(batch_id)
        if p.state in ("queued", "processing")
    ]


def process_batch(
    batch_dir: Path,
    out_dir: Path,
    profile: ScanProfile,
    settings: StationSettings,
    *,
    workers: int | None = None,
    progress: BatchProgress | None = None,
    operator: str | None = None,
) -> BatchOutcome:
    """`station process`: every image in `batch_dir`, to documents and report.json in out_dir."""
    outcome = run_batch(
        BatchSource(batch_dir, operator=operator),
        out_dir,
        profile,
        settings,
        workers=workers,
        progress=progress,
    )
    assert outcome is not None, "a batch without a stop request always finishes"
    return outcome


_REPROCESS_LOCK = threading.Lock()


def reprocess_page(store: Store, settings: StationSettings, page_id: int) -> Page:
    """Run one recorded page through the pipeline again, here and now, as a document page.

    For a reviewer who undid a separator decision: the sheet was a page of the document
    after all, so it needs what separators skip (straightening, OCR, its one-page PDF).
    """
    page = store.get_page(page_id)
    assert page is not None
    batch = store.get_batch(page.batch_id)
    assert batch is not None
    profile = load_profile(batch.profile, settings.profiles_dir)
    job = page_job(page, settings, profile)
    stages = tuple(s for s in pipeline.PAGE_STAGES if s is not pipeline.find_separator)
    with _REPROCESS_LOCK:  # one OCR engine per process, and it is not thread-safe
        result = pipeline.run_page(job, stages)
    record_result(store, page.batch_id, result, again=True)
    if page.folder_id:
        store.refresh_review(page.folder_id)
    done = store.get_page(page_id)
    assert done is not None
    return done


def _run_pages(
    pool: PagePool,
    store: Store,
    batch_id: int,
    progress: BatchProgress,
    should_stop: StopRequested,
) -> bool:
    """Record results as they come; False when a stop left pages undone."""
    finishing_loaded = False
    for result in pool.results(should_stop):
        record_result(store, batch_id, result)
        progress.page_done(result)
        if not finishing_loaded and pool.has_idle_worker():
            _load_finishing()
            finishing_loaded = True
    return not any(p.state == "queued" for p in store.pages_of_batch(batch_id))


def record_result(store: Store, batch_id: int, result: PageResult, *, again: bool = False) -> None:
    """Record a page's result once; `again` replaces the result a page already has."""
    values, events = result_record(batch_id, result, socket.gethostname())
    store.record_page_result(
        result.job.page_id, values, events, sha256=result.job.sha256, again=again
    )


def result_record(
    batch_id: int, result: PageResult, worker: str
) -> tuple[dict[str, Any], list[Event]]:
    """A page's result as the columns of its row and the events of its stages."""
    work = result.work
    values: dict[str, Any] = {
        "state": "ok" if result.ok else "failed",
        "error": result.error,
        "error_code": result.error_code,
        "failed_stage": result.failed_stage,
        "timings": result.timings_ms,
        "flags": list(work.flags),
        "derivatives": {k: str(v) for k, v in work.outputs.items()},
        "separator": work.separator,
        "rescan_of": work.rescan_of,
        "phash": work.phash,
        "reading": work.reading,
        "folder_label": work.folder_label,
        "processed_by": worker,
        # searchable at once (station.store.search), and a rescan's text replaces its own
        "search_text": work.text if result.ok else None,
    }
    if work.width_px:
        values |= {
            "dpi": work.dpi,
            "width_px": work.width_px,
            "height_px": work.height_px,
            "color_mode": work.color_mode,
        }
    if result.ok:
        values |= {
            "rotation": work.rotation,
            "skew_deg": work.skew_deg,
            "blank": work.blank,
            "blank_probability": work.blank_probability,
            "sharpness": work.sharpness,
            "ocr_confidence": work.ocr_confidence,
            "ocr_word_count": work.ocr_word_count,
        }
    events = []
    for stage, details in work.notes.items():
        tool, version = (
            ("tesseract", details.get("version")) if stage == "ocr" else ("station", __version__)
        )
        events.append(
            Event(
                batch_id=batch_id,
                page_id=result.job.page_id,
                stage=stage,
                outcome="skipped" if "skipped" in details else "ok",
                detail=to_json_safe(details | {"ms": result.timings_ms.get(stage)}),
                tool=tool,
                tool_version=version,
            )
        )
    if not result.ok:
        events.append(
            Event(
                batch_id=batch_id,
                page_id=result.job.page_id,
                stage=result.failed_stage or "?",
                outcome="failed",
                detail={"error": result.error, "code": result.error_code},
                tool="station",
                tool_version=__version__,
            )
        )
    return values, events


# --- finishing: documents (station.room.assembly) and the report --------------------------------


def _load_finishing() -> None:
    """Import what finishing a batch needs (PDF/A and its validator, the document readers:
    a quarter to half a second of a core) once a worker has nothing left to do: on a core
    the pages no longer need, not taken from them, and not after the last page either."""
    for module in ("station.room.assembly", "station.room.folder_documents"):
        importlib.import_module(module)


def finish_batch(
    store: Store,
    batch_id: int,
    out_dir: Path,
    profile: ScanProfile,
    versions: dict[str, str],
    started: float,
    skipped: list[str],
) -> BatchOutcome:
    """Split the batch into folders and documents, write report.json, close the batch."""
    from station.room import assembly

    batch = store.get_batch(batch_id)
    assert batch is not None
    folder_pdfs, pdf_page_of = assembly.assemble(store, batch, out_dir, profile, versions)
    store.set_batch_folders(
        batch_id,
        {
            d.folder_id or "": {
                "pdf": str(d.pdf_path) if d.pdf_path else None,
                "pages": d.pages,
                "flags": d.flags,
            }
            for d in folder_pdfs
        },
    )
    documents = _find_documents(store, batch, folder_pdfs, out_dir, profile, versions)
    write_json_atomically(out_dir / "documents.json", documents)
    pages = store.pages_of_batch(batch_id)
    records = [page_record(page, batch.name, pdf_page_of.get(_id(page))) for page in pages]
    refused = [refused_record(event, batch.name) for event in store.refused_of_batch(batch_id)]
    report_path = write_json_atomically(out_dir / "report.json", records + refused)
    any_failed = any(p.state == "failed" for p in pages) or bool(refused)
    made = [d.pdf_path for d in folder_pdfs]
    store.finish_batch(
        batch_id,
        state="done" if not any_failed else "done_with_failures",
        pdf_path=made[0] if len(made) == 1 else None,
    )
    return BatchOutcome(
        batch_id,
        batch.name,
        folder_pdfs,
        report_path,
        records + refused,
        time.perf_counter() - started,
        skipped,
    )


def _find_documents(
    store: Store,
    batch: Batch,
    folder_pdfs: list[FolderPdf],
    out_dir: Path,
    profile: ScanProfile,
    versions: dict[str, str],
) -> list[dict[str, Any]]:
    """The documents (văn bản) of every manifest folder the batch touched, found and recorded."""
    if not profile.documents.enabled:
        return []
    from station.room import assembly, folder_documents

    producer = assembly.producer(versions["ocr_engine"])
    folder_ids = []
    for made in folder_pdfs:
        folder = store.get_folder(made.folder_id) if made.folder_id else None
        if folder is None or not folder.in_manifest:
            continue
        folder_documents.find_documents(store, batch, folder, profile, out_dir, producer)
        folder_ids.append(folder.folder_id)
    return folder_documents.documents_json(store, folder_ids)


def _id(page: Page) -> int:
    assert page.id is not None
    return page.id


def page_record(
    page: Page, batch_name: str, located: tuple[str, int] | None = None
) -> dict[str, Any]:
    """One line of report.json (and of `station pages --json`); the documented format."""
    ok = page.state == "ok"
    return {
        "source_file": page.source_file,
        "page_index": page.page_index,
        "status": page.state if page.state in ("ok", "failed") else "waiting",
        "error": page.error,
        "error_code": page.error_code,
        "sha256": page.sha256,
        "dpi": page.dpi,
        "width_px": page.width_px,
        "height_px": page.height_px,
        "color_mode": page.color_mode,
        "rotation": page.rotation if ok else None,
        "skew_deg": page.skew_deg if ok else None,
        "blank": page.blank if ok else None,
        "ocr_confidence": page.ocr_confidence if ok else None,
        "flags": list(page.flags),
        "pdf": located[0] if located and page.pdf_page else None,
        "pdf_page": page.pdf_page,
        "timings": page.timings,
        "page_id": page.id,
        "batch": batch_name,
        "folder_id": page.folder_id,
        "state": page.state,
        "separator": page.separator,
        "rescan_of": page.rescan_of,
        "position": page.position,
        "decision": page.decision,
    }


def write_json_atomically(path: Path, data: Any) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(
        "w", dir=path.parent, prefix=f".{path.name}.", suffix=".tmp", delete=False, encoding="utf-8"
    ) as tmp:
        json.dump(data, tmp, ensure_ascii=False, indent=2)
        tmp.write("\n")
    Path(tmp.name).replace(path)
    return path


def records_of(pages: Iterable[tuple[Page, str]], store: Store) -> list[dict[str, Any]]:
    """Page records for `station pages`, with each page's document found from its batch."""
    batches: dict[int, Batch | None] = {}
    records = []
    for page, batch_name in pages:
        batch = batches.setdefault(page.batch_id, store.get_batch(page.batch_id))
        located = None
        if batch and batch.folders and page.pdf_page:
            document = batch.folders.get(page.folder_id or "", {}).get("pdf")
            located = (Path(document).name, page.pdf_page) if document else None
        records.append(page_record(page, batch_name, located))
    return records
