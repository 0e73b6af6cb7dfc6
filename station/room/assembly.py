"""A finished batch's pages are assembled: one PDF/A per folder (hồ sơ), or per batch.

`station.room.folders` decides which page belongs where; here each group is written as a PDF/A
carrying the manifest's metadata, checked against the manifest (sheet count, double
feeds), and the answers are recorded on the pages and folders.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from station import __version__, manifest
from station.errors import OutputError
from station.pipeline import pdfa
from station.profiles import ScanProfile
from station.room import folders
from station.store import Batch, Event, Folder, Page, Store


@dataclass(frozen=True)
class FolderPdf:
    """One folder's PDF/A: a manifest folder, the unassigned holding folder, or the batch."""

    folder_id: str | None
    pdf_path: Path | None
    pages: int
    flags: list[dict[str, Any]]


def assemble(
    store: Store, batch: Batch, out_dir: Path, profile: ScanProfile, versions: dict[str, str]
) -> tuple[list[FolderPdf], dict[int, tuple[str, int]]]:
    """Every document a batch touches, and where each of its pages landed (file, page number).

    A folder's document holds all of its current pages in review order, whichever batch
    brought them: a folder finished over two batches, or a page replaced by a rescan, gives
    one complete PDF/A again.
    """
    assert batch.id is not None
    known = store.manifest_folder_ids()
    pages = _take_folder_labels(store, batch, store.pages_of_batch(batch.id), known)
    facts = [_facts(page) for page in pages]
    placements = folders.assign_folders(facts, known)
    rescanned = _replace_rescanned(store, batch, facts, placements)
    by_folder: dict[str | None, list[Page]] = {}
    for page in pages:
        if _id(page) in placements:
            by_folder.setdefault(placements[_id(page)].folder_id, []).append(page)
    for touched in rescanned:
        by_folder.setdefault(touched, [])
    facts_by_id = {f.page_id: f for f in facts}
    made: list[FolderPdf] = []
    pdf_page_of: dict[int, tuple[str, int]] = {}
    for folder_id, members in by_folder.items():
        if folder_id == folders.UNASSIGNED:
            store.ensure_holding_folder(folder_id, "pages not assigned to a folder, for review")
        if folder_id is not None:
            store.place_pages(folder_id, [_id(p) for p in members], profile.name)
        made.append(
            _finish_folder(
                store,
                batch,
                folder_id,
                members,
                facts_by_id,
                placements,
                out_dir,
                profile,
                versions,
                pdf_page_of,
            )
        )
    return made, pdf_page_of


def _take_folder_labels(
    store: Store, batch: Batch, pages: list[Page], known: set[str]
) -> list[Page]:
    """Folder labels of other systems that name a manifest folder become separators."""
    labels = folders.label_separators([_facts(p) for p in pages], known)
    for page_id, folder_id in labels.items():
        page = next(p for p in pages if p.id == page_id)
        store.update_page(page_id, separator=folder_id, flags=[*page.flags, "folder_label"])
        store.add_events(
            [
                Event(
                    batch_id=batch.id,
                    page_id=page_id,
                    folder_id=folder_id,
                    stage="separator",
                    outcome="ok",
                    detail={"folder_id": folder_id, "kind": "folder_label"},
                )
            ]
        )
    assert batch.id is not None
    return store.pages_of_batch(batch.id) if labels else pages


def _replace_rescanned(
    store: Store,
    batch: Batch,
    facts: list[folders.PageFacts],
    placements: dict[int, folders.Placement],
) -> set[str]:
    """Put each rescanned page in the place of the rejected page its slip names.

    A slip naming no rejected page (already replaced, never rejected, unknown), or with no
    page after it, sends itself and its page to the unassigned folder, flagged; nothing is
    dropped. Returns the folders that received replacements.
    """
    touched: set[str] = set()
    by_id = {f.page_id: f for f in facts}
    for slip_id, new_id in folders.pair_rescans(facts).items():
        wanted = by_id[slip_id].rescan_of
        old = store.get_page(wanted) if wanted is not None else None
        usable = (
            old is not None
            and old.decision == "reject"
            and old.replaced_by is None
            and old.folder_id is not None
        )
        if not usable or new_id is None or old is None or old.folder_id is None:
            why = "rescan_slip_without_page" if new_id is None else "rescan_slip_unmatched"
            placements[slip_id] = folders.Placement(folders.UNASSIGNED, (why,))
            if new_id is not None:
                placements[new_id] = folders.Placement(folders.UNASSIGNED, (why,))
            continue
        detail = {"slip_page": slip_id, "batch": batch.name}
        store.replace_page(
            _id(old),
            new_id,
            slip_id,
            [
                Event(
                    batch_id=old.batch_id,
                    page_id=old.id,
                    folder_id=old.folder_id,
                    stage="rescan",
                    outcome="ok",
                    agent=batch.operator or "station",
                    detail={"action": "replaced", "replaced_by": new_id, **detail,
                            "kept_in_master_storage": old.master_path},
                ),
                Event(
                    batch_id=batch.id,
                    page_id=new_id,
                    folder_id=old.folder_id,
                    stage="rescan",
                    outcome="ok",
                    agent=batch.operator or "station",
                    detail={"action": "replacement", "replaces": old.id, **detail},
                ),
            ],
        )  # fmt: skip
        touched.add(old.folder_id)
    return touched


def _id(page: Page) -> int:
    assert page.id is not None
    return page.id


def _facts(page: Page) -> folders.PageFacts:
    text_path = page.derivatives.get("text")
    text = ""
    if text_path and Path(text_path).is_file():
        text = Path(text_path).read_text(encoding="utf-8")
    return folders.PageFacts(
        page_id=_id(page),
        source_file=page.source_file,
        ok=page.state == "ok",
        separator=page.separator,
        blank=page.blank,
        sha256=page.sha256,
        page_index=page.page_index,
        phash=page.phash,
        text=text,
        rescan_of=page.rescan_of,
        folder_label=page.folder_label,
    )


def in_folder_pdf(page: Page) -> bool:
    """Whether a page goes into its folder's PDF/A: processed, a real page, not set aside."""
    return page.state == "ok" and page.separator is None and page.decision != "blank"


def _finish_folder(
    store: Store,
    batch: Batch,
    folder_id: str | None,
    members: list[Page],
    facts_by_id: dict[int, folders.PageFacts],
    placements: dict[int, folders.Placement],
    out_dir: Path,
    profile: ScanProfile,
    versions: dict[str, str],
    pdf_page_of: dict[int, tuple[str, int]],
) -> FolderPdf:
    """Write one document and record on its pages and folder what was found."""
    member_facts = [facts_by_id[_id(p)] for p in members]
    duplicates = folders.possible_duplicates(member_facts)
    holding = store.folder_pages(folder_id) if folder_id is not None else members
    pdf_pages = [p for p in holding if in_folder_pdf(p)]
    folder = store.get_folder(folder_id) if folder_id else None
    name = manifest.file_name(folder_id) if folder_id else batch.name
    pdf_path = (
        write_folder_pdf(
            [Path(p.derivatives["pdf"]) for p in pdf_pages],
            out_dir / f"{name}.pdf",
            _metadata(batch, folder, name, len(pdf_pages), profile, versions),
            profile,
            store,
            batch,
            folder_id,
        )
        if pdf_pages
        else None
    )
    numbers = {_id(p): n for n, p in enumerate(pdf_pages, start=1)}
    member_ids = {_id(p) for p in members}
    for page in holding:
        if page.pdf_page != numbers.get(_id(page)) and _id(page) not in member_ids:
            store.update_page(_id(page), pdf_page=numbers.get(_id(page)) if pdf_path else None)
    for page in members:
        placement = placements[_id(page)]
        extra = placement.flags + (("possible_duplicate",) if _id(page) in duplicates else ())
        flags = page.flags + [f for f in extra if f not in page.flags]
        number = numbers.get(_id(page))
        if number is not None:
            pdf_page_of[_id(page)] = (f"{name}.pdf", number)
        store.update_page(
            _id(page),
            folder_id=folder_id,
            flags=flags,
            pdf_page=number if pdf_path else None,
        )
    if folder_id is not None:
        store.refresh_review(folder_id)
    folder_flags: list[dict[str, Any]] = []
    if folder is not None and folder.in_manifest:
        holding_facts = [facts_by_id.get(_id(p)) or _facts(p) for p in holding]
        sheets = folders.count_sheets(holding_facts, duplex=profile.scan.duplex)
        mismatch = folders.sheet_count_flag(folder.sheet_count, sheets)
        folder_flags += [mismatch] if mismatch else []
        if duplicates:
            folder_flags.append({"code": "possible_duplicate", "pages": len(duplicates)})
        failed = sum(1 for p in holding if p.state == "failed")
        if failed:
            folder_flags.append({"code": "pages_failed", "pages": failed})
        store.update_folder(
            folder.folder_id,
            state="flagged" if folder_flags else "done",
            pages_found=len(pdf_pages),
            sheets_counted=sheets,
            flags=folder_flags,
            pdf_path=str(pdf_path) if pdf_path else None,
        )
        store.add_events(
            [
                Event(
                    batch_id=batch.id,
                    folder_id=folder.folder_id,
                    stage="reconcile",
                    outcome="flagged" if folder_flags else "ok",
                    detail={
                        "expected_sheets": folder.sheet_count,
                        "sheets_counted": sheets,
                        "pages": len(pdf_pages),
                        "flags": folder_flags,
                    },
                )
            ]
        )
    return FolderPdf(folder_id, pdf_path, len(pdf_pages), folder_flags)


def _metadata(
    batch: Batch,
    folder: Folder | None,
    name: str,
    pages: int,
    profile: ScanProfile,
    versions: dict[str, str],
) -> pdfa.DocumentMetadata:
    if folder is None or not folder.in_manifest:
        return pdfa.DocumentMetadata(
            title=name if folder is None else f"{batch.name}: {folder.title}",
            date=datetime.now(UTC),
            language=profile.pdf.language,
            description=f"{pages} pages scanned with profile {profile.name}",
            identifier=name,
            producer=producer(versions["ocr_engine"]),
        )
    return folder_metadata(folder, pages, profile, datetime.now(UTC), versions["ocr_engine"])


def producer(ocr_engine: str) -> str:
    return f"station {__version__} (Tesseract {ocr_engine})"


def archival_reference(folder: Folder) -> str:
    """ "Phông …, Mục lục …, Hộp …, Hồ sơ …": where the paper folder sits."""
    return ", ".join(
        part
        for part in (
            f"Phông {folder.fonds_code}" if folder.fonds_code else "",
            f"Mục lục {folder.catalogue_no}" if folder.catalogue_no else "",
            f"Hộp {folder.box_no}",
            f"Hồ sơ {folder.folder_no}",
        )
        if part
    )


def folder_metadata(
    folder: Folder, pages: int, profile: ScanProfile, date: datetime, ocr_engine: str
) -> pdfa.DocumentMetadata:
    """The XMP of a manifest folder's PDF/A: its manifest fields in Dublin Core."""
    reference = archival_reference(folder)
    coverage = (
        f"{folder.start_date.isoformat()}/{folder.end_date.isoformat()}"
        if folder.start_date and folder.end_date
        else ""
    )
    rights = "; ".join(x for x in (folder.access, folder.secrecy) if x)
    return pdfa.DocumentMetadata(
        title=folder.title,
        date=date,
        language=folder.language or profile.pdf.language,
        description=f"{reference}. {pages} pages scanned with profile {profile.name}",
        identifier=folder.folder_id,
        producer=producer(ocr_engine),
        coverage=coverage,
        source=reference,
        rights=rights,
    )


def write_folder_pdf(
    page_pdfs: list[Path],
    target: Path,
    metadata: pdfa.DocumentMetadata,
    profile: ScanProfile,
    store: Store,
    batch: Batch,
    folder_id: str | None,
) -> Path:
    target.parent.mkdir(parents=True, exist_ok=True)
    inputs = _inputs_fingerprint(page_pdfs, metadata, profile.pdf.pdfa)
    assert batch.id is not None
    last = store.last_assembly(batch.id, str(target))
    if last is not None and (last.detail or {}).get("inputs") == inputs and target.is_file():
        # Written already, from these very pages, before a crash stopped the batch's finish:
        # each folder's PDF/A is written once.
        return target
    return recorded_assembly(
        lambda: pdfa.assemble_pdfa(page_pdfs, target, metadata, pdfa=profile.pdf.pdfa),
        store,
        batch,
        folder_id,
        {"pdf": str(target), "pages": len(page_pdfs), "inputs": inputs},
        pdfa=profile.pdf.pdfa,
    )


def _inputs_fingerprint(
    page_pdfs: list[Path], metadata: pdfa.DocumentMetadata, flavour: str
) -> str:
    """What a PDF/A is made of: its page PDFs as they are on disk, its metadata but for the
    moment of writing, and the flavour; equal fingerprints make equal files."""
    parts = [flavour, repr(replace(metadata, date=datetime(1970, 1, 1, tzinfo=UTC)))]
    for path in page_pdfs:
        stat = path.stat()
        parts.append(f"{path}|{stat.st_size}|{stat.st_mtime_ns}")
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


def recorded_assembly(
    write: Callable[[], None],
    store: Store,
    batch: Batch,
    folder_id: str | None,
    detail: dict[str, Any],
    *,
    pdfa: str,
) -> Path:
    """Write a PDF/A (`write`) and record it as an `assemble` event, failed with its error
    or done with its time; returns the path in `detail["pdf"]`."""
    started = time.perf_counter()
    try:
        write()
    except OutputError as exc:
        store.add_events(
            [
                Event(
                    batch_id=batch.id,
                    folder_id=folder_id,
                    stage="assemble",
                    outcome="failed",
                    detail={**detail, "error": str(exc)},
                )
            ]
        )
        raise
    store.add_events(
        [
            Event(
                batch_id=batch.id,
                folder_id=folder_id,
                stage="assemble",
                outcome="ok",
                detail={
                    **detail,
                    "pdfa": pdfa,
                    "ms": round((time.perf_counter() - started) * 1000, 1),
                },
                tool="pikepdf",
                tool_version=_pikepdf_version(),
            )
        ]
    )
    return Path(detail["pdf"])


def _pikepdf_version() -> str:
    import pikepdf

    return str(pikepdf.__version__)
