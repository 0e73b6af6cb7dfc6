"""Running a batch: masters in, pages through the pipeline on a process pool, PDF/A and report out.

The runner is the only place that both runs stages and records their results: workers
return `PageResult`s, and the runner writes them to the store as they arrive.
"""

from __future__ import annotations

import json
import logging
import multiprocessing
import tempfile
import time
from collections.abc import Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from station import __version__, imaging, ingest, pdf, tools
from station.errors import OutputError, PageError
from station.pipeline import PageJob, PageResult, run_page
from station.profiles import ScanProfile
from station.settings import StationSettings
from station.store import Event, Store, to_json_safe

log = logging.getLogger(__name__)


class BatchProgress:
    """What a batch run reports as it goes; the CLI draws it, tests may record it."""

    def discovered(self, files: int) -> None:
        """The batch folder was read: this many files to take in."""

    def stored(self, source: Path) -> None:
        """One original is safely in master storage."""

    def prepared(self, pages: int) -> None:
        """All originals are stored; this many pages go through the pipeline."""

    def page_done(self, result: PageResult) -> None:
        """One page finished, successfully or not."""


@dataclass(frozen=True)
class BatchOutcome:
    batch_id: int
    name: str
    pdf_path: Path | None
    report_path: Path
    records: list[dict[str, Any]]
    elapsed_s: float

    @property
    def failed(self) -> list[dict[str, Any]]:
        return [r for r in self.records if r["status"] == "failed"]

    @property
    def ok(self) -> list[dict[str, Any]]:
        return [r for r in self.records if r["status"] == "ok"]

    @property
    def flagged(self) -> list[dict[str, Any]]:
        return [r for r in self.ok if r["flags"]]


@dataclass(frozen=True)
class PreparedBatch:
    """A batch whose originals are safely in master storage and whose pages are known."""

    batch_id: int
    name: str
    jobs: list[PageJob]


def prepare_batch(
    batch_dir: Path,
    out_dir: Path | None,
    profile: ScanProfile,
    settings: StationSettings,
    store: Store,
    progress: BatchProgress,
) -> PreparedBatch:
    """Keep every original as a verified master, then create a page record per page."""
    files = ingest.discover_batch(batch_dir)
    progress.discovered(len(files))
    masters = ingest.MasterStore(settings.data_dir / "masters")
    batch_id = store.create_batch(batch_dir.name, batch_dir.resolve(), profile.name, out_dir)
    jobs: list[PageJob] = []
    events: list[Event] = []
    for file in files:
        stored = masters.keep(file)
        try:
            frames = imaging.frame_count(stored.master_path)
        except PageError:
            frames = 1  # the load stage will fail it with the precise reason
        for index in range(frames):
            page_id = store.add_page(
                batch_id,
                seq=len(jobs),
                source_file=str(file.relative_to(batch_dir)),
                page_index=index,
                sha256=stored.sha256,
                master_path=stored.master_path,
            )
            jobs.append(
                PageJob(
                    page_id=page_id,
                    source_file=str(file.relative_to(batch_dir)),
                    master_path=stored.master_path,
                    sha256=stored.sha256,
                    page_index=index,
                    work_dir=settings.data_dir / "derivatives" / f"{page_id:08d}",
                    profile=profile,
                )
            )
            events.append(
                Event(
                    batch_id=batch_id,
                    page_id=page_id,
                    stage="capture",
                    outcome="ok",
                    detail={
                        "source": str(file),
                        "sha256": stored.sha256,
                        "bytes": stored.size,
                        "master": str(stored.master_path),
                        "already_stored": stored.already_stored,
                        "checksum_verified": True,
                    },
                    tool="station",
                    tool_version=__version__,
                )
            )
        progress.stored(file)
    store.add_events(events)
    return PreparedBatch(batch_id, batch_dir.name, jobs)


def run_jobs(jobs: list[PageJob], workers: int) -> Iterator[PageResult]:
    """Results in completion order; one worker process per core, one page per task."""
    if workers <= 1 or len(jobs) <= 1:
        for job in jobs:
            yield run_page(job)
        return
    # forkserver: workers start clean, without the parent's threads or open database handles
    context = multiprocessing.get_context("forkserver")
    with ProcessPoolExecutor(max_workers=min(workers, len(jobs)), mp_context=context) as pool:
        futures = [pool.submit(run_page, job) for job in jobs]
        for future in as_completed(futures):
            yield future.result()


def record_result(store: Store, batch_id: int, result: PageResult) -> None:
    work = result.work
    values: dict[str, Any] = {
        "state": "ok" if result.ok else "failed",
        "error": result.error,
        "error_code": result.error_code,
        "failed_stage": result.failed_stage,
        "timings": result.timings_ms,
        "flags": list(work.flags),
        "derivatives": {k: str(v) for k, v in work.outputs.items()},
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
    store.update_page(result.job.page_id, **values)
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
    store.add_events(events)


def process_batch(
    batch_dir: Path,
    out_dir: Path,
    profile: ScanProfile,
    settings: StationSettings,
    *,
    workers: int | None = None,
    progress: BatchProgress | None = None,
) -> BatchOutcome:
    """Process every image in `batch_dir` into `out_dir/<batch>.pdf` and `out_dir/report.json`."""
    started = time.perf_counter()
    versions = tools.check_required_tools(profile.ocr.languages)
    store = Store.open(settings.database_url)
    progress = progress or BatchProgress()
    prepared = prepare_batch(batch_dir, out_dir, profile, settings, store, progress)
    progress.prepared(len(prepared.jobs))
    results: dict[int, PageResult] = {}
    for result in run_jobs(prepared.jobs, workers or settings.workers):
        record_result(store, prepared.batch_id, result)
        results[result.job.page_id] = result
        progress.page_done(result)
    ordered = [results[job.page_id] for job in prepared.jobs]
    pdf_path = write_batch_pdf(store, prepared, ordered, out_dir, profile, versions)
    records = [report_record(r, pdf_path) for r in ordered]
    if pdf_path:
        number_pdf_pages(records)
    for record, result in zip(records, ordered, strict=True):
        if record["pdf_page"]:
            store.update_page(result.job.page_id, pdf_page=record["pdf_page"])
    report_path = write_json_atomically(out_dir / "report.json", records)
    any_failed = any(not r.ok for r in ordered)
    store.finish_batch(
        prepared.batch_id,
        state="done" if not any_failed else "done_with_failures",
        pdf_path=pdf_path,
    )
    return BatchOutcome(
        prepared.batch_id,
        prepared.name,
        pdf_path,
        report_path,
        records,
        time.perf_counter() - started,
    )


def write_batch_pdf(
    store: Store,
    prepared: PreparedBatch,
    ordered: list[PageResult],
    out_dir: Path,
    profile: ScanProfile,
    versions: dict[str, str],
) -> Path | None:
    page_pdfs = [r.work.outputs["pdf"] for r in ordered if r.ok]
    if not page_pdfs:
        return None
    out_dir.mkdir(parents=True, exist_ok=True)
    pdf_path = out_dir / f"{prepared.name}.pdf"
    metadata = pdf.DocumentMetadata(
        title=prepared.name,
        date=datetime.now(UTC),
        language=profile.pdf.language,
        description=f"{len(page_pdfs)} pages scanned with profile {profile.name}",
        identifier=prepared.name,
        producer=f"station {__version__} (Tesseract {versions['tesseract']})",
    )
    started = time.perf_counter()
    try:
        pdf.assemble_pdfa(page_pdfs, pdf_path, metadata, pdfa=profile.pdf.pdfa)
    except OutputError as exc:
        store.add_events(
            [
                Event(
                    batch_id=prepared.batch_id,
                    stage="assemble",
                    outcome="failed",
                    detail={"error": str(exc)},
                )
            ]
        )
        raise
    store.add_events(
        [
            Event(
                batch_id=prepared.batch_id,
                stage="assemble",
                outcome="ok",
                detail={
                    "pdf": str(pdf_path),
                    "pages": len(page_pdfs),
                    "pdfa": profile.pdf.pdfa,
                    "ms": round((time.perf_counter() - started) * 1000, 1),
                },
                tool="pikepdf",
                tool_version=_pikepdf_version(),
            )
        ]
    )
    return pdf_path


def _pikepdf_version() -> str:
    import pikepdf

    return str(pikepdf.__version__)


def report_record(result: PageResult, pdf_path: Path | None) -> dict[str, Any]:
    """One line of report.json; the keys are the documented report format."""
    work, job = result.work, result.job
    return {
        "source_file": job.source_file,
        "page_index": job.page_index,
        "status": "ok" if result.ok else "failed",
        "error": result.error,
        "error_code": result.error_code,
        "sha256": job.sha256,
        "dpi": work.dpi or None,
        "width_px": work.width_px or None,
        "height_px": work.height_px or None,
        "color_mode": work.color_mode or None,
        "rotation": work.rotation if result.ok else None,
        "skew_deg": work.skew_deg if result.ok else None,
        "blank": work.blank if result.ok else None,
        "ocr_confidence": work.ocr_confidence if result.ok else None,
        "flags": list(work.flags),
        "pdf": pdf_path.name if (pdf_path and result.ok) else None,
        "pdf_page": None,
        "timings": result.timings_ms,
        "page_id": job.page_id,
    }


def number_pdf_pages(records: Iterable[dict[str, Any]]) -> None:
    page = 0
    for record in records:
        if record["status"] == "ok":
            page += 1
            record["pdf_page"] = page


def write_json_atomically(path: Path, data: Any) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(
        "w", dir=path.parent, prefix=f".{path.name}.", suffix=".tmp", delete=False, encoding="utf-8"
    ) as tmp:
        json.dump(data, tmp, ensure_ascii=False, indent=2)
        tmp.write("\n")
    Path(tmp.name).replace(path)
    return path
