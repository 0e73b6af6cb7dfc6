"""A document's record as users meet it: its archival code, file name, JSON and PDF metadata.

One place for the shapes that `documents.json`, `station documents --json`, the review
API and the export packages share, so they cannot drift apart.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from station import manifest
from station.documents.model import FIELDS
from station.pipeline import pdfa
from station.store import Document, Folder, Page


def archival_code(folder_id: str, sequence: int) -> str:
    """Mã lưu trữ tài liệu: the folder's id, a dot, the document's number in the folder."""
    return f"{folder_id}.{sequence}"


def pdf_file_name(folder_id: str, sequence: int) -> str:
    """`<folder id with - for />.<sequence>.pdf`, as TT 02/2019 names a document's file."""
    return f"{manifest.file_name(folder_id)}.{sequence}.pdf"


def value(document: Document, name: str) -> Any:
    return (document.fields.get(name) or {}).get("value")


def confidence(document: Document, name: str) -> float:
    return float((document.fields.get(name) or {}).get("confidence") or 0.0)


def needs_confirmation(document: Document, threshold: float) -> list[str]:
    """Fields a reviewer must look at: found but read below the threshold, and unconfirmed.

    A field nothing was read for (value None) and that nobody filled in counts too, except
    the optional ones a document may simply not have (secrecy, urgency, recipients).
    """
    if document.state == "confirmed":
        return []
    optional = {"secrecy", "urgency", "recipients"}
    return [
        name
        for name in FIELDS
        if (document.fields.get(name) or {}).get("source") != "reviewer"
        and confidence(document, name) < threshold
        and not (name in optional and value(document, name) is None)
    ]


def document_record(document: Document, pages: Sequence[Page]) -> dict[str, Any]:
    """One entry of documents.json and of `station documents --json`."""
    assert document.id is not None
    return {
        "id": document.id,
        "folder_id": document.folder_id,
        "sequence": document.sequence,
        "archival_code": archival_code(document.folder_id, document.sequence),
        "pages": [
            {"source_file": p.source_file, "page_index": p.page_index, "page_id": p.id}
            for p in pages
        ],
        **{name: value(document, name) for name in FIELDS},
        "confidence": {name: round(confidence(document, name), 3) for name in FIELDS},
        "flags": list(document.flags),
        "state": document.state,
        "pdf": document.pdf_path,
    }


def pdf_metadata(
    document: Document, folder: Folder | None, pages: int, producer: str, created: datetime
) -> pdfa.DocumentMetadata:
    """The XMP of a document's PDF/A: trích yếu, archival code and số/ký hiệu, date, issuer."""
    code = archival_code(document.folder_id, document.sequence)
    number_symbol = value(document, "number_symbol")
    doc_type = value(document, "document_type") or ""
    summary = value(document, "summary") or ""
    title = summary or f"{doc_type} {number_symbol or ''}".strip() or code
    rights = "; ".join(x for x in ((folder.access if folder else ""), document.secrecy) if x)
    return pdfa.DocumentMetadata(
        title=_nfc(title),
        date=created,
        language=value(document, "language") or (folder.language if folder else "vi"),
        creator=_nfc(value(document, "issuing_body") or ""),
        description=f"{code}. {pages} pages",
        identifier=f"{code}; {number_symbol}" if number_symbol else code,
        producer=producer,
        source=f"{folder.title} ({folder.folder_id})" if folder else "",
        rights=rights,
        doc_type=_nfc(doc_type),
        issued=value(document, "issued_date") or "",
    )


def _nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)
