"""The search page, `/search`, and the highlights of a query's words on a page image.

The store answers (station.store.search: full-text, secrecy applied inside the query); this
page only shows its answer: each result labelled by kind (hồ sơ, văn bản, trang) with its
snippet (HTML-safe from the store: the text escaped, the matched words in <mark>), a link
that opens the page with the words boxed over the image, the filters kept in every link.

`highlight_boxes` finds the query's words in a page's hOCR the way the index matches them
(station.search.text.fold: no diacritics, no case), so what the results promise is what the
page shows.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import asdict, dataclass
from typing import Annotated, Any
from urllib.parse import urlencode
from xml.etree import ElementTree

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response
from markupsafe import Markup

from qa.app import templates
from qa.forms import period
from qa.security import CurrentUser, store_of
from station.documents import vocab
from station.pipeline import ocr
from station.search import DEFAULT_LIMIT, KINDS, MAX_LIMIT, SearchHit, SearchRequest
from station.search.text import fold

router = APIRouter(include_in_schema=False)

# How each kind of result is named to archivists: (Vietnamese, English gloss).
KIND_LABELS = {
    "folder": ("Hồ sơ", "Folder"),
    "document": ("Văn bản", "Document"),
    "page": ("Trang", "Page"),
}
Text = Annotated[str, Query(max_length=500)]
# What a search's links carry from one page of results to the next and to a page view.
SEARCH_PARAMS = ("q", "fonds", "box", "type", "from", "to", "limit", "offset")
_PUNCTUATION = ".,;:!?()[]{}\"'“”‘’«»…-–—/"
_PAGE_BBOX = re.compile(r"bbox (\d+) (\d+) (\d+) (\d+)")


# --- the form ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Form:
    """The search form as typed: kept as text, so a bad date is said, not silently dropped."""

    q: str = ""
    fonds: str = ""
    box: str = ""
    type: str = ""
    date_from: str = ""
    date_to: str = ""
    limit: int = DEFAULT_LIMIT
    offset: int = 0

    def params(self, **changed: Any) -> dict[str, str]:
        """The URL parameters of this search (only those given), with some changed."""
        values = asdict(self) | changed
        named = {
            "q": values["q"], "fonds": values["fonds"], "box": values["box"],
            "type": values["type"], "from": values["date_from"], "to": values["date_to"],
            "limit": "" if values["limit"] == DEFAULT_LIMIT else str(values["limit"]),
            "offset": str(values["offset"]) if values["offset"] else "",
        }  # fmt: skip
        return {k: v for k, v in named.items() if v}

    def url(self, **changed: Any) -> str:
        return "/search?" + urlencode(self.params(**changed))

    def page_url(self, page_id: int) -> str:
        """A result's page, opened with the words highlighted and a way back here."""
        return f"/pages/{page_id}?" + urlencode(self.params())

    def request(self, clearance: str) -> SearchRequest:
        start, end = period(self.date_from, self.date_to, "From", "To")
        return SearchRequest(
            text=self.q.strip(),
            clearance=clearance,
            fonds=self.fonds.strip() or None,
            box=self.box.strip() or None,
            document_type=self.type.strip() or None,
            date_from=start,
            date_to=end,
            limit=self.limit,
            offset=self.offset,
        )


def _form(
    q: Text = "",
    fonds: Annotated[str, Query(max_length=100)] = "",
    box: Annotated[str, Query(max_length=100)] = "",
    type: Annotated[str, Query(max_length=100)] = "",
    date_from: Annotated[str, Query(alias="from", max_length=40)] = "",
    date_to: Annotated[str, Query(alias="to", max_length=40)] = "",
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
    offset: Annotated[int, Query(ge=0, le=10**9)] = 0,
) -> Form:
    def nfc(text: str) -> str:
        return unicodedata.normalize("NFC", text)

    return Form(nfc(q), nfc(fonds), nfc(box), nfc(type), date_from, date_to, limit, offset)


FormQuery = Annotated[Form, Depends(_form)]


def form_of(params: Any) -> Form:
    """The search a page view was opened from (its query parameters), for the way back."""
    try:
        limit = min(max(int(params.get("limit") or DEFAULT_LIMIT), 1), MAX_LIMIT)
        offset = max(int(params.get("offset") or 0), 0)
    except ValueError:
        limit, offset = DEFAULT_LIMIT, 0

    def text(name: str) -> str:
        return unicodedata.normalize("NFC", str(params.get(name) or ""))[:500]

    return Form(
        text("q"), text("fonds"), text("box"), text("type"), text("from"), text("to"),
        limit, offset,
    )  # fmt: skip


# --- the results page -------------------------------------------------------------------------


def safe_snippet(snippet: str) -> Markup:
    """The store's snippet as HTML: it is escaped there, with the matches in <mark>; any
    other tag (which it should never hold) is shown as text, not run."""
    return Markup(_NOT_MARK.sub("&lt;", unicodedata.normalize("NFC", snippet)))


_NOT_MARK = re.compile(r"<(?!/?mark>)")
templates.env.filters["snippet"] = safe_snippet


@router.get("/search", response_class=HTMLResponse)
def search_page(request: Request, user: CurrentUser, form: FormQuery) -> Response:
    """Folders, documents and pages matching the query, as far as the user is cleared."""
    results = None
    links: dict[str, str] = {}
    if form.q.strip():
        store = store_of(request)
        results = store.search(form.request(user.clearance))
        links = _links(store, form, results.hits)
    shown = len(results.hits) if results else 0
    more = results is not None and (
        form.offset + shown < results.total or (not results.total_is_exact and shown == form.limit)
    )
    previous = form.url(offset=max(form.offset - form.limit, 0)) if form.offset > 0 else None
    following = form.url(offset=form.offset + form.limit) if more else None
    return templates.TemplateResponse(
        request,
        "search.html",
        {
            "user": user,
            "form": form,
            "results": results,
            "links": links,
            "kinds": KIND_LABELS,
            "kind_order": KINDS,
            "document_types": sorted(vocab.DOCUMENT_TYPES),
            "first": form.offset + 1,
            "last": form.offset + shown,
            "previous": previous,
            "following": following,
        },
    )


def _links(store: Any, form: Form, hits: list[SearchHit]) -> dict[str, str]:
    """Where each result opens: its page with the words highlighted, or (a folder with no
    matching page) the folder; by the hit's position in the list."""
    unplaced = {h.folder_id for h in hits if h.page_id is None and h.folder_id}
    folders = store.folder_numbers(unplaced) if unplaced else {}
    links = {}
    for n, hit in enumerate(hits):
        if hit.page_id is not None:
            links[str(n)] = form.page_url(hit.page_id)
        elif hit.folder_id in folders:
            links[str(n)] = f"/folders/{folders[hit.folder_id].id}"
    return links


# --- highlights on the page image -------------------------------------------------------------


@dataclass(frozen=True)
class Box:
    """A matched word's box over the page image, in % of the image as shown (so it follows
    the image at any size)."""

    text: str
    left: float
    top: float
    width: float
    height: float


def query_terms(query: str) -> list[list[str]]:
    """The query as the page is searched for it: each "quoted phrase" a run of folded words,
    each other word alone; a trailing * makes a word a prefix (kept on the word)."""
    terms: list[list[str]] = []
    parts = re.split(r'"([^"]*)"?', unicodedata.normalize("NFC", query))
    for n, part in enumerate(parts):
        words = [w for w in (_key(w, keep_star=True) for w in part.split()) if w.strip("*")]
        if n % 2 == 1:  # inside quotes
            if words:
                terms.append(words)
        else:
            terms.extend([w] for w in words)
    return terms


def _key(word: str, *, keep_star: bool = False) -> str:
    """A word as matched: folded, without the punctuation around it."""
    key = fold(word)
    if keep_star and key.endswith("*"):
        return key.rstrip("*").strip(_PUNCTUATION) + "*"
    return key.strip(_PUNCTUATION)


def _matches(term: str, word: str) -> bool:
    """The word, or one of its parts ("589-QĐ/VPTW" read as one word, searched for as
    `589 QĐ VPTW`), is the term or (a term ending in *) starts with it."""
    candidates = [word, *(p for p in _PARTS.split(word) if p and p != word)]
    if term.endswith("*"):
        return any(c.startswith(term[:-1]) for c in candidates if c)
    return term in candidates


_PARTS = re.compile(r"[-/.,:;]+")


def highlight_boxes(hocr_text: str, query: str, *, turn: int = 0) -> list[Box]:
    """The boxes of the words of the page's OCR that match the query, in % of the OCR page
    (its ocr_page bbox), turned clockwise by `turn` degrees as the page image is shown.

    A word matches a query word when both fold to the same text (no diacritics, no case, no
    punctuation around); a phrase matches where its words follow each other on the page.
    """
    terms = query_terms(query)
    if not terms or not hocr_text.strip():
        return []
    try:
        root = ElementTree.fromstring(hocr_text.encode("utf-8"))
    except ElementTree.ParseError:
        return []
    size = _page_size(root)
    if size is None:
        return []
    words = ocr.parse_hocr_element(root)
    keys = [_key(w.text) for w in words]
    hit: set[int] = set()
    for term in terms:
        for start in range(len(words) - len(term) + 1):
            if all(_matches(t, keys[start + i]) for i, t in enumerate(term)):
                hit.update(range(start, start + len(term)))
    x0, y0, width, height = size
    boxes = []
    for i in sorted(hit):
        left, top, right, bottom = words[i].box
        box = (
            (left - x0) / width,
            (top - y0) / height,
            max(1, right - left) / width,
            max(1, bottom - top) / height,
        )
        box = _turned(box, turn)
        boxes.append(Box(words[i].text, *(round(100 * v, 3) for v in box)))
    return boxes


def _page_size(root: ElementTree.Element) -> tuple[int, int, int, int] | None:
    """The OCR page's origin and size in OCR-image pixels (the ocr_page bbox)."""
    for element in root.iter():
        if element.get("class") == "ocr_page":
            found = _PAGE_BBOX.search(element.get("title", ""))
            if found:
                left, top, right, bottom = (int(v) for v in found.groups())
                if right > left and bottom > top:
                    return left, top, right - left, bottom - top
    return None


def _turned(box: tuple[float, float, float, float], turn: int) -> tuple[float, float, float, float]:
    """A box in fractions of the page, on the page turned clockwise (as imaging.web_image
    turns the shown image)."""
    left, top, width, height = box
    match turn % 360:
        case 90:
            return 1 - top - height, left, height, width
        case 180:
            return 1 - left - width, 1 - top - height, width, height
        case 270:
            return top, 1 - left - width, height, width
        case _:
            return box
