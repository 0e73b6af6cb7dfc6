"""Where each document (văn bản) of a folder begins: a decision per page, with a confidence.

The evidence is what each page's reading says: a header block (issuing body, motto,
"Số …", place and date, type name) makes a first page; a printed page number that
continues the current document (2 after 1, 3 after 2: NĐ 30 numbers pages from the
second, top centre) makes a continuation. Blank pages and separator sheets are set aside
before this and belong to no document. Nothing is dropped: a page with neither header nor
a fitting number still belongs somewhere, and when it cannot follow a document it starts
one of its own, flagged.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from station.documents.model import PageReading

UNCERTAIN = "document_boundary_uncertain"
NO_HEADER = "document_without_header"


@dataclass(frozen=True)
class Span:
    """One document as split: its pages in order and how sure the split is."""

    page_ids: tuple[int, ...]
    boundary_confidence: float  # the least sure decision about where it starts and ends
    flags: tuple[str, ...] = ()
    uncertain_pages: tuple[int, ...] = ()  # pages whose start-or-continue call was unsure


@dataclass
class _Open:
    page_ids: list[int]
    confidence: float
    flags: list[str] = field(default_factory=list)
    uncertain: list[int] = field(default_factory=list)
    printed: int | None = None  # the last printed page number seen, or the page's position


def start_probability(reading: PageReading, open_pages: int, last_printed: int | None) -> float:
    """How likely the page starts a new document, given the document it would continue."""
    p = reading.starts_document
    number = reading.page_number
    if number is not None and open_pages:
        expected = (last_printed or open_pages) + 1
        if number == expected:
            p = min(p, 0.1) if p < 0.9 else p * 0.6  # a fitting page number: a continuation
        elif number == 1 or number < expected:
            p = max(p, 0.6)  # numbering starts again: most likely a new document
    elif number is not None and number > 1:
        p = min(p, 0.4)  # a continuation page with nothing before it
    return p


def split_pages(pages: Sequence[tuple[int, PageReading]], threshold: float = 0.8) -> list[Span]:
    """Group a folder's document pages (in review order) into documents.

    `threshold` is the profile's boundary threshold: a decision less sure than it flags
    the document `document_boundary_uncertain`.
    """
    spans: list[Span] = []
    current: _Open | None = None
    for page_id, reading in pages:
        open_pages = len(current.page_ids) if current else 0
        p = start_probability(reading, open_pages, current.printed if current else None)
        sure = max(p, 1.0 - p)
        if current is None or p >= 0.5:
            if current is not None:
                spans.append(_close(current))
            current = _Open([page_id], sure if current is not None else max(p, 0.5))
            if reading.starts_document < 0.5:
                current.flags.append(NO_HEADER)
                current.confidence = min(current.confidence, 1.0 - reading.starts_document)
            current.printed = 1
        else:
            current.page_ids.append(page_id)
            current.confidence = min(current.confidence, sure)
            current.printed = (
                reading.page_number if reading.page_number is not None else len(current.page_ids)
            )
        if sure < threshold:
            current.uncertain.append(page_id)
    if current is not None:
        spans.append(_close(current))
    return [_flag(span, threshold) for span in spans]


def _close(doc: _Open) -> Span:
    return Span(
        tuple(doc.page_ids), round(doc.confidence, 3), tuple(doc.flags), tuple(doc.uncertain)
    )


def _flag(span: Span, threshold: float) -> Span:
    if span.boundary_confidence < threshold and UNCERTAIN not in span.flags:
        return Span(
            span.page_ids,
            span.boundary_confidence,
            (*span.flags, UNCERTAIN),
            span.uncertain_pages,
        )
    return span
