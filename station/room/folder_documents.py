"""After a folder's pages are assembled: its documents found, described, written and recorded.

The reading of each page was done in the pipeline (`Page.reading`); here the folder's
pages in review order are split into documents (`station.documents.split`), each
document's fields are combined and cross-checked (`station.documents.describe`), a
PDF/A is written per document (`<folder id>.<sequence>.pdf`, its pages taken out of the
folder's PDF/A just written), and the store records the documents, which pages they hold,
and how secret they are. A folder a reviewer has already
worked on is not split again: its documents stay as the reviewer left them, and new pages
(a rescan takes its predecessor's document) are attached without disturbing them.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from station import __version__
from station.documents import describe, records, split
from station.documents.model import FieldReading, PageReading
from station.pipeline import pdfa
from station.profiles import ScanProfile
from station.room.assembly import in_folder_pdf, recorded_assembly, write_folder_pdf
from station.store import Batch, Document, Event, Folder, NewDocument, Page, Store


def document_pages(pages: Sequence[Page]) -> list[Page]:
    """The pages that belong to documents: real, processed, not blank, in review order."""
    return [p for p in pages if in_folder_pdf(p) and not p.blank]


def find_documents(
    store: Store,
    batch: Batch,
    folder: Folder,
    profile: ScanProfile,
    out_dir: Path,
    producer: str,
) -> list[Document]:
    """Split, describe, write and record the documents of one folder; returns them."""
    started = time.perf_counter()
    pages = document_pages(store.folder_pages(folder.folder_id))
    existing = store.documents_of_folder(folder.folder_id)
    if any(d.edited or d.state == "confirmed" for d in existing):
        return _attach_new_pages(store, batch, folder, pages, existing)
    spans = split.split_pages(
        [(_id(p), PageReading.from_json(p.reading)) for p in pages],
        threshold=profile.documents.boundary_threshold,
    )
    by_id = {_id(p): p for p in pages}
    known = store.issuing_bodies_of_fonds(folder.fonds_code) if folder.fonds_code else []
    proposed: list[NewDocument] = []
    for sequence, span in enumerate(spans, start=1):
        members = [by_id[i] for i in span.page_ids]
        described = describe.describe_document(
            [(_id(p), PageReading.from_json(p.reading)) for p in members],
            folder_start=folder.start_date,
            folder_end=folder.end_date,
            known_bodies=known,
            default_language=folder.language or profile.pdf.language,
        )
        fields = {name: reading.to_json() for name, reading in described.fields.items()}
        secrecy = _level(described.fields.get("secrecy"))
        new = NewDocument(
            sequence=sequence,
            page_ids=list(span.page_ids),
            fields=fields,
            flags=sorted({*span.flags, *described.flags}),
            boundary_confidence=span.boundary_confidence,
            secrecy=secrecy,
        )
        new.pdf_path = str(
            _write_pdf(store, batch, folder, new, members, profile, out_dir, producer)
        )
        proposed.append(new)
    made = store.replace_documents(folder.folder_id, proposed, [])
    _flag_uncertain_pages(store, spans, by_id)
    store.add_events(
        [
            Event(
                batch_id=batch.id,
                folder_id=folder.folder_id,
                document_id=row.id,
                stage="extract_documents",
                outcome="flagged" if row.flags else "ok",
                tool="station",
                tool_version=__version__,
                detail={
                    "sequence": row.sequence,
                    "pages": new.page_ids,
                    "boundary_confidence": row.boundary_confidence,
                    "secrecy": row.secrecy,
                    "flags": row.flags,
                    "fields": {
                        name: {"value": f.get("value"), "confidence": f.get("confidence")}
                        for name, f in row.fields.items()
                    },
                },
            )
            for row, new in zip(made, proposed, strict=True)
        ]
        + [
            Event(
                batch_id=batch.id,
                folder_id=folder.folder_id,
                stage="extract_documents",
                outcome="ok",
                tool="station",
                tool_version=__version__,
                detail={
                    "documents": len(made),
                    "pages": len(pages),
                    "ms": round((time.perf_counter() - started) * 1000, 1),
                },
            )
        ]
    )
    return made


def _attach_new_pages(
    store: Store, batch: Batch, folder: Folder, pages: list[Page], existing: list[Document]
) -> list[Document]:
    """Keep a reviewed folder's documents; a page new to the folder joins one, flagged.

    A rescanned page takes the document of the page it replaces; any other new page joins
    the document of the page before it (or the first), and that document is flagged
    `pages_added_after_review` and unconfirmed, so a reviewer looks again.
    """
    replaced = store.replaced_pages(folder.folder_id)
    touched: set[int] = set()
    previous_doc: int | None = existing[0].id if existing else None
    for page in pages:
        if page.document_id is not None:
            previous_doc = page.document_id
            continue
        doc_id = replaced.get(_id(page)) or previous_doc
        if doc_id is None:
            continue
        store.update_page(_id(page), document_id=doc_id)
        if _id(page) not in replaced:
            touched.add(doc_id)
    for document in existing:
        if document.id in touched:
            store.change_document(
                document.id,
                Event(
                    batch_id=batch.id,
                    folder_id=folder.folder_id,
                    document_id=document.id,
                    stage="extract_documents",
                    outcome="flagged",
                    detail={"action": "pages_added", "batch": batch.name},
                ),
                flags=sorted({*document.flags, "pages_added_after_review"}),
                state="unconfirmed",
            )
    return store.documents_of_folder(folder.folder_id)


def _write_pdf(
    store: Store,
    batch: Batch,
    folder: Folder,
    new: NewDocument,
    members: list[Page],
    profile: ScanProfile,
    out_dir: Path,
    producer: str,
) -> Path:
    draft = Document(
        folder_id=folder.folder_id,
        sequence=new.sequence,
        fields=new.fields,
        secrecy=new.secrecy,
    )
    metadata = records.pdf_metadata(draft, folder, len(members), producer, datetime.now(UTC))
    target = out_dir / records.pdf_file_name(folder.folder_id, new.sequence)
    source = Path(folder.pdf_path) if folder.pdf_path else None
    numbers = [p.pdf_page for p in members]
    if source is None or not source.is_file() or None in numbers:
        # No folder PDF/A holding these pages (not expected after assembly): join them anew.
        return write_folder_pdf(
            [Path(p.derivatives["pdf"]) for p in members],
            target,
            metadata,
            profile,
            store,
            batch,
            folder.folder_id,
        )
    pages = [n - 1 for n in numbers if n is not None]  # pdf_page counts from 1
    return _extract_pdf(store, batch, folder, source, pages, target, metadata, profile.pdf.pdfa)


def _extract_pdf(
    store: Store,
    batch: Batch,
    folder: Folder,
    source: Path,
    numbers: list[int],
    target: Path,
    metadata: pdfa.DocumentMetadata,
    flavour: str,
) -> Path:
    """The document's pages out of the folder's PDF/A (0-based `numbers`), with its own XMP.

    The folder's file was validated a moment ago; taking pages from it costs a fraction of
    joining and validating the page PDFs again (see `station.pipeline.pdfa.extract_pdfa`).
    """
    return recorded_assembly(
        lambda: pdfa.extract_pdfa(source, numbers, target, metadata, pdfa=flavour),
        store,
        batch,
        folder.folder_id,
        {"pdf": str(target), "pages": len(numbers), "from": str(source)},
        pdfa=flavour,
    )


def _flag_uncertain_pages(
    store: Store, spans: Sequence[split.Span], by_id: dict[int, Page]
) -> None:
    """Pages where a boundary call was unsure carry the flag, so the queue can filter on it."""
    for span in spans:
        for page_id in span.uncertain_pages:
            page = by_id[page_id]
            if split.UNCERTAIN not in page.flags:
                store.update_page(page_id, flags=[*page.flags, split.UNCERTAIN])


def _level(reading: FieldReading | None) -> str:
    if reading is None or not isinstance(reading.value, str):
        return ""
    return reading.value


def documents_json(store: Store, folder_ids: Sequence[str]) -> list[dict[str, Any]]:
    """The records of documents.json: every document of the folders a batch touched."""
    out: list[dict[str, Any]] = []
    for folder_id in folder_ids:
        for document in store.documents_of_folder(folder_id):
            assert document.id is not None
            out.append(records.document_record(document, store.pages_of_document(document.id)))
    return out


def _id(page: Page) -> int:
    assert page.id is not None
    return page.id
