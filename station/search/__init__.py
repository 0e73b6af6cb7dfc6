"""Search in the station (issue 14): folders, documents (văn bản) and every page's OCR text.

The shapes both sides share: the store answers a `SearchRequest` with `SearchResults`
(station/store/search.py, on the database's own full-text engine: SQLite FTS5, PostgreSQL
full-text search); the command line (`station search`), the API (`GET /api/search`) and the
web app's search box print or show them. Matching folds Vietnamese the way people type it
without a Vietnamese keyboard (station.search.text.fold), and secrecy is applied inside the
query: material above the user's clearance is neither returned nor counted.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

Kind = Literal["folder", "document", "page"]
KINDS: tuple[Kind, ...] = ("folder", "document", "page")
DEFAULT_LIMIT = 20
MAX_LIMIT = 200
# A word on half the pages of a million-page station matches 400,000 entries; ranking and
# counting them all takes seconds (4 s for one word, bench/search.py). As search engines do
# (Elasticsearch stops counting at 10,000 by default), the count stops, here at RANK_WINDOW,
# and says "more than"; relevance orders the newest RANK_WINDOW matches a user may see, and
# past them results go on newest first. A query with fewer matches than that (the usual
# search for a name, a number or a phrase) is counted and ranked whole.
RANK_WINDOW = 2_000


@dataclass(frozen=True)
class SearchRequest:
    """What a user asked for. `text` is the query as typed: words, "quoted phrases", id
    prefixes (`05-01-*`, `HS00`) and document numbers (`589-QĐ/VPTW`, `Số 589 QĐ VPTW`)."""

    text: str
    clearance: str = ""  # the user's (station.auth.CLEARANCES); "" sees unmarked material only
    fonds: str | None = None
    box: str | None = None
    document_type: str | None = None  # tên loại văn bản, e.g. "Quyết định"
    date_from: date | None = None  # a document's date, a folder's dates, a page's folder's
    date_to: date | None = None
    limit: int = DEFAULT_LIMIT
    offset: int = 0


@dataclass(frozen=True)
class SearchHit:
    """One result. `snippet` is HTML-safe: the text escaped, the matched words in <mark>."""

    kind: Kind
    id: int | str  # a folder's folder_id, a document's or a page's row id
    folder_id: str
    document: str | None  # the document's archival code, where known
    page_id: int | None  # the page to open (a document's or folder's first matching page)
    title: str
    snippet: str
    score: float

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "id": self.id,
            "folder_id": self.folder_id,
            "document": self.document,
            "page_id": self.page_id,
            "title": self.title,
            "snippet": self.snippet,
            "score": round(self.score, 4),
        }


@dataclass(frozen=True)
class SearchResults:
    hits: list[SearchHit]
    total: int  # every match the user may see, not only this page of them (up to RANK_WINDOW)
    total_is_exact: bool = True  # False: there are more than `total` (RANK_WINDOW) matches

    @property
    def total_text(self) -> str:
        """'1,234' or 'more than 10,000'."""
        return f"{self.total:,}" if self.total_is_exact else f"more than {self.total:,}"

    def to_json(self) -> dict[str, Any]:
        return {
            "results": [h.to_json() for h in self.hits],
            "total": self.total,
            "total_relation": "eq" if self.total_is_exact else "gte",
        }
