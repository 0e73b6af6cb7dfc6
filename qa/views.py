"""The review pages people use: log-in, queue, folder, page, rescan list, batches, history.

Server-rendered, and only reading: each page is one template over rows read in a few
queries (never one per page), so a 1,000-page folder is one loop. Every change goes through
the JSON API (qa.api) from qa/static/review.js, so the pages and scripts share one set of
rules and one error shape. Secrecy and roles are station.review.rules': anything above the
user's clearance is a 404 page here as there.
"""

from __future__ import annotations

import functools
import itertools
import math
import tempfile
from collections import Counter
from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlencode, urlsplit

from fastapi import APIRouter, Form, Query, Request
from fastapi import Path as PathParam
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from PIL import Image

from qa import api, search, security
from qa.app import templates
from qa.security import CheckedUser, CurrentUser, settings_of, store_of
from station import auth, i18n, manifest
from station.distributed.status import describe as describe_work
from station.distributed.status import work_status
from station.documents import records
from station.documents.model import FIELDS
from station.errors import BadArgumentError, NotAllowedError, NotFoundError, NotLoggedInError
from station.i18n import N_, _
from station.pipeline import separators
from station.review import rules
from station.store import Event, Folder, Page, Store, User

router = APIRouter(include_in_schema=False)

Id = Annotated[int, PathParam(ge=1, le=2**62)]
QUEUE_PAGE_SIZE = 100
BATCHES_SHOWN = 200  # newest first; older batches are done with
FOLDER_HISTORY_SHOWN = 30  # newest events in the folder view; the rest on its history page

# What the machine suspects, as reviewers read it at a glance: (badge text, explanation).
FLAG_LABELS: dict[str, tuple[str, str]] = {
    "blurred": (N_("blurred"), N_("Blurred (mờ): the sharpness measure is low")),
    "low_dpi": (N_("low dpi"), N_("Below the 200 dpi Circular 02/2019/TT-BNV requires")),
    "low_ocr_confidence": (N_("low OCR"), N_("Tesseract was unsure of much of the text")),
    "possible_blank": (N_("blank?"), N_("Looks blank (trang trắng?): confirm with b")),
    "possible_duplicate": (N_("duplicate?"), N_("Same as a neighbouring page: a double feed?")),
    "sheet_count_mismatch": (N_("sheets ≠"), N_("Sheets scanned differ from the manifest's Số tờ")),
    "unassigned": (N_("unassigned"), N_("Not under a separator sheet of a manifest folder")),
    "unknown_separator": (N_("unknown sep."), N_("A separator sheet naming no manifest folder")),
    "failed": (N_("failed"), N_("Processing failed: reject for a rescan")),
    "pages_failed": (N_("pages failed"), N_("Some pages failed processing")),
    "too_dark": (N_("too dark"), N_("Exposure too dark")),
    "too_light": (N_("too light"), N_("Exposure too light")),
    "skew_unknown": (N_("skew?"), N_("The skew could not be measured")),
    "orientation_uncertain": (N_("orientation?"), N_("Unsure which way up: turn with o")),
    "dpi_assumed": (N_("dpi assumed"), N_("The file carried no resolution; one was assumed")),
}
# Flags a reviewer can filter the queue on.
QUEUE_FLAGS = (
    "blurred", "low_dpi", "low_ocr_confidence", "possible_blank", "possible_duplicate",
    "sheet_count_mismatch", "unassigned", "failed",
)  # fmt: skip

STATE_LABELS = {
    "empty": N_("Not scanned"),
    "to_review": N_("To review"),
    "rescan": N_("Waiting for rescan"),
    "ready": N_("Ready to approve"),
    "approved": N_("Approved"),
}
BATCH_STATES = {"processing": N_("processing"), "done": N_("done"), "failed": N_("failed")}
# A decision as colour, icon and text (never colour alone).
DECISION_LABELS: dict[str, tuple[str, str]] = {
    "": ("•", N_("Undecided")),
    "approve": ("✓", N_("Approved")),
    "reject": ("✗", N_("Rejected")),
    "blank": ("○", N_("Blank")),
}

# The manifest fields as archivists know them: (field, Vietnamese, English gloss).
FOLDER_FIELDS: tuple[tuple[str, str, str], ...] = (
    ("folder_id", "Mã hồ sơ", "Folder id"),
    ("fonds_code", "Phông", "Fonds"),
    ("catalogue_no", "Mục lục số", "Catalogue"),
    ("box_no", "Hộp số", "Box"),
    ("folder_no", "Hồ sơ số", "Folder no."),
    ("title", "Tiêu đề", "Title"),
    ("start_date", "Thời gian bắt đầu", "Start date"),
    ("end_date", "Thời gian kết thúc", "End date"),
    ("retention", "Thời hạn bảo quản", "Retention"),
    ("access", "Chế độ sử dụng", "Access"),
    ("sheet_count", "Số tờ", "Sheets"),
    ("language", "Ngôn ngữ", "Language"),
    ("notes", "Ghi chú", "Notes"),
    ("physical_condition", "Tình trạng vật lý", "Condition"),
    ("secrecy", "Độ mật", "Secrecy"),
)
FIELD_FORMATS = {f.english: f.format for f in manifest.FIELDS}
RETENTION_CHOICES = (manifest.PERMANENT_LABEL, "70 năm", "50 năm", "30 năm", "20 năm", "10 năm")

ACTION_LABELS = {
    "decision": N_("Decision"),
    "approve_unflagged": N_("Approved (unflagged, all at once)"),
    "turn": N_("Turned"),
    "move": N_("Moved"),
    "secrecy": N_("Secrecy marked"),
    "reorder": N_("Pages reordered"),
    "approve_folder": N_("Folder approved"),
    "reopen_folder": N_("Folder reopened"),
    "edit_metadata": N_("Metadata edited"),
    "added": N_("Manifest: folder added"),
    "changed": N_("Manifest: folder changed"),
    "edit_document": N_("Document fields edited"),
    "confirm_document": N_("Document confirmed"),
    "confirm_confident": N_("Document confirmed (confident, all at once)"),
    "split_document": N_("Document split"),
    "split_from": N_("Document split off"),
    "merge_document": N_("Documents merged"),
    "document_secrecy": N_("Document secrecy changed"),
    "pages_added": N_("Pages added to a reviewed document"),
}
# The fields of a document as reviewers meet them: English glosses of the Vietnamese names.
DOCUMENT_GLOSSES = {
    "document_type": "Type", "number": "Number", "symbol": "Symbol",
    "number_symbol": "Number and symbol", "issued_date": "Date", "place": "Place",
    "issuing_body": "Issued by", "summary": "Summary", "signer_title": "Signer's title",
    "signer_name": "Signer", "recipients": "Recipients", "secrecy": "Secrecy",
    "urgency": "Urgency", "language": "Language", "page_count": "Pages",
}  # fmt: skip


def _when(moment: datetime | None) -> str:
    return "" if moment is None else f"{moment:%Y-%m-%d %H:%M}"


def _day(value: date | None) -> str:
    """Dates as Vietnamese archivists write them (and the manifest reads them back)."""
    return "" if value is None else f"{value:%d/%m/%Y}"


templates.env.globals.update(
    FLAG_LABELS=FLAG_LABELS,
    STATE_LABELS=STATE_LABELS,
    DECISION_LABELS=DECISION_LABELS,
    BATCH_STATES=BATCH_STATES,
    REJECT_REASONS=rules.REJECT_REASONS,
    role_names=auth.ROLE_NAMES,
)
templates.env.filters.update(when=_when, day=_day, reason=lambda r: _reason(r))


def _may(user: User | None, minimum: str) -> bool:
    """Whether to show a control: the same rule the API applies when it is used."""
    if user is None:
        return False
    try:
        rules.require_role(user, minimum, N_("this"))
    except NotAllowedError:
        return False
    return True


templates.env.globals["may"] = _may


def _page(request: Request, name: str, user: User | None, **context: Any) -> Response:
    return templates.TemplateResponse(request, name, {"user": user, **context})


def _safe_next(target: str | None) -> str:
    """Only paths on this site: a log-in link cannot send people elsewhere."""
    if not target:
        return "/"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return "/"
    return target


# --- log-in -----------------------------------------------------------------------------------


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, next: str | None = None) -> Response:
    return templates.TemplateResponse(
        request, "login.html", {"next": _safe_next(next), "error": None, "user": None}
    )


@router.post("/login", response_class=HTMLResponse)
def login(
    request: Request,
    username: Annotated[str, Form(max_length=200)],
    password: Annotated[str, Form(max_length=1000)],
    next: Annotated[str | None, Form(max_length=2000)] = None,
) -> Response:
    store, settings = store_of(request), settings_of(request)
    try:
        user = security.log_in(store, settings, username.strip(), password)
    except (NotLoggedInError, NotAllowedError) as exc:
        return templates.TemplateResponse(
            request,
            "login.html",
            {"next": _safe_next(next), "error": exc.message, "user": None, "username": username},
            status_code=exc.http_status,
        )
    target = _safe_next(next)
    if target == "/" and user.role == "operator":
        target = "/rescan"
    response = RedirectResponse(target, status_code=303)
    security.start_session(store, settings, user, response)
    return response


@router.post("/logout")
def logout(request: Request, user: CheckedUser) -> Response:
    response = RedirectResponse("/login", status_code=303)
    security.end_session(request, response)
    return response


# --- the user's own account -----------------------------------------------------------------


@router.get("/account", response_class=HTMLResponse)
def account(request: Request, user: CurrentUser) -> Response:
    return _page(
        request,
        "account.html",
        user,
        languages=i18n.NAMES,
        browser_language=i18n.negotiate(
            None, request.headers.get("accept-language"), settings_of(request).language
        ),
    )


@router.post("/account/language")
def account_language(
    request: Request,
    user: CheckedUser,
    language: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    """The user's interface language, kept on the user: it wins over the browser's."""
    if language and language not in i18n.LANGUAGES:
        raise BadArgumentError(
            _("No such language %(language)r: choose one of %(choices)s",
              language=language, choices=", ".join(i18n.LANGUAGES))
        )  # fmt: skip
    store_of(request).set_user_language(user.username, language)
    return RedirectResponse("/account?saved=1", status_code=303)


# --- the queue --------------------------------------------------------------------------------


@router.get("/", response_class=HTMLResponse)
def queue(
    request: Request,
    user: CurrentUser,
    state: Annotated[str | None, Query(max_length=40)] = None,
    profile: Annotated[str | None, Query(max_length=200)] = None,
    box: Annotated[str | None, Query(max_length=200)] = None,
    flag: Annotated[str | None, Query(max_length=200)] = None,
    page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
) -> Response:
    """Folders waiting for review, 100 to a page, with progress per box of the manifest."""
    if user.role == "operator":
        return RedirectResponse("/rescan", status_code=303)
    state = state if state in rules.REVIEW_STATES else None
    chosen = functools.partial(
        api.queue,
        request,
        user,
        state=state,
        profile=profile or None,
        box=box or None,
        flag=flag or None,
        limit=QUEUE_PAGE_SIZE,
    )
    start = (page - 1) * QUEUE_PAGE_SIZE
    total, folders = chosen(offset=start)
    pages = max(1, math.ceil(total / QUEUE_PAGE_SIZE))
    if page > pages:  # past the end (the queue got shorter): show the last page
        page, start = pages, (pages - 1) * QUEUE_PAGE_SIZE
        total, folders = chosen(offset=start)
    rows = [api.folder_out(f) for f in folders]
    store = store_of(request)
    filters = {"state": state or "", "profile": profile or "", "box": box or "", "flag": flag or ""}
    kept = {k: v for k, v in filters.items() if v}
    boxes = [
        {"fonds": fonds, "box": box_no, "states": states, "total": sum(states.values())}
        for fonds, box_no, states in store.box_progress(auth.visible_levels(user.clearance))
    ]
    return _page(
        request,
        "queue.html",
        user,
        rows=rows,
        total=total,
        start=start,
        page=page,
        pages=pages,
        page_link=lambda n: "/?" + urlencode(kept | {"page": n}),
        box_link=lambda b: "/?" + urlencode({"box": b}),
        filters=filters,
        filtered=bool(kept),
        states=rules.REVIEW_STATES,
        profiles=store.review_profiles(),
        flags=QUEUE_FLAGS,
        boxes=boxes,
        box_states=("approved", "ready", "rescan", "to_review", "empty"),
    )


# --- a folder ---------------------------------------------------------------------------------


@router.get("/folders/{id}", response_class=HTMLResponse)
def folder(request: Request, user: CurrentUser, id: Id) -> Response:
    """Every page of the folder as a grid, its manifest metadata and its history."""
    rules.require_role(user, "reviewer", N_("opening folders"))
    store = store_of(request)
    found = rules.find_folder(store, user, id)
    store.record_view(user.username, folder_id=found.folder_id, what="folder")
    pages, events = _pages_and_events(store, user, found)
    counts = Counter(p.decision or "undecided" for p in pages if p.separator is None)
    positions = {p.id: p.position for p in pages}
    may_edit = _may(user, "archivist")
    threshold = rules.document_threshold(found, settings_of(request).profiles_dir)
    documents = [
        api.document_out(d, found, members, threshold)
        for d, members in rules.visible_documents(store, user, found)
    ]
    return _page(
        request,
        "folder.html",
        user,
        folder=found,
        pages=pages,
        documents=[d.model_dump(mode="json") for d in documents],
        document_of={p.page_id: d for d in documents for p in d.pages},
        starts={d.pages[0].page_id: d for d in documents if d.pages},
        to_check=sum(1 for d in documents if d.needs_confirmation),
        threshold=threshold,
        glosses=DOCUMENT_GLOSSES,
        field_order=list(FIELDS),
        levels=[c for c in auth.CLEARANCES if auth.may_see(user.clearance, c)],
        counts={k: counts.get(k, 0) for k in ("undecided", "approve", "reject", "blank")},
        separators=sum(1 for p in pages if p.separator is not None),
        history=[_event_row(e, positions) for e in reversed(events[-FOLDER_HISTORY_SHOWN:])],
        history_total=len(events),
        fields=_folder_form(found, user),
        may_edit=may_edit,
        fed_it=user.username in (found.operators or []),
        folder_flags=[
            (str(f.get("code", "")), ", ".join(f"{k} {v}" for k, v in f.items() if k != "code"))
            for f in api.folder_out(found).folder_flags
        ],
    )


@router.get("/folders/{id}/history", response_class=HTMLResponse)
def folder_history(request: Request, user: CurrentUser, id: Id) -> Response:
    rules.require_role(user, "reviewer", N_("folder history"))
    store = store_of(request)
    found = rules.find_folder(store, user, id)
    pages, events = _pages_and_events(store, user, found)
    positions = {p.id: p.position for p in pages}
    return _page(
        request,
        "history.html",
        user,
        folder=found,
        history=[_event_row(e, positions) for e in reversed(events)],
    )


def _pages_and_events(store: Store, user: User, folder: Folder) -> tuple[list[Page], list[Event]]:
    """The folder's pages the user may see, and its history without the pages they may not."""
    pages = rules.visible_pages(user, folder, store.folder_pages(folder.folder_id))
    events = rules.visible_events(store, user, folder, store.events_of_folder(folder.folder_id))
    return pages, events


def _folder_form(folder: Folder, user: User) -> list[dict[str, Any]]:
    """The folder's manifest fields for the metadata form, values as the manifest writes them."""
    values = rules.folder_fields(folder)
    values["retention"] = manifest.retention_label(folder.retention_years)
    values["start_date"], values["end_date"] = _day(folder.start_date), _day(folder.end_date)
    values["sheet_count"] = "" if folder.sheet_count is None else folder.sheet_count
    levels = [c for c in auth.CLEARANCES if auth.may_see(user.clearance, c)]
    return [
        {
            "name": name,
            "vi": vi,
            "en": en,
            "value": values.get(name) or "",
            "editable": name in rules.EDITABLE_FIELDS,
            "format": "" if FIELD_FORMATS.get(name) == "text" else FIELD_FORMATS.get(name, ""),
            "choices": levels if name == "secrecy" else None,
            "long": name in ("title", "notes"),
        }
        for name, vi, en in FOLDER_FIELDS
    ]


def _event_row(event: Event, positions: dict[int | None, int | None]) -> dict[str, Any]:
    """One line of a folder's history: who, when, what, and the values before and after."""
    detail = event.detail or {}
    action = str(detail.get("action") or event.stage)
    before, after = detail.get("before"), detail.get("after")
    if isinstance(detail.get("changes"), dict):  # a manifest re-import: {field: [old, new]}
        before = {k: v[0] for k, v in detail["changes"].items()}
        after = {k: v[1] for k, v in detail["changes"].items()}
    if before is None and after is None:
        after = {k: v for k, v in detail.items() if k != "action"}
    elif isinstance(before, dict) and isinstance(after, dict):  # only what changed
        keys = [k for k in {**before, **after} if before.get(k) != after.get(k)] or list(after)
        before = {k: before.get(k) for k in keys}
        after = {k: after.get(k) for k in keys}
    page = None
    if event.page_id is not None:
        page = positions.get(event.page_id)
    label = ACTION_LABELS.get(action)
    label = _(label) if label else action.replace("_", " ").capitalize()
    if event.document_id is not None and isinstance(detail.get("sequence"), int):
        label = _("%(action)s (văn bản %(sequence)s)", action=label, sequence=detail["sequence"])
    if isinstance(detail.get("reason"), str) and event.stage == "document":
        after = {**after, "reason": detail["reason"]} if isinstance(after, dict) else after
    return {
        "at": event.at,
        "who": event.agent,
        "action": label,
        "outcome": event.outcome,
        "page_id": event.page_id,
        "position": page,
        "before": _values(before),
        "after": _values(after),
    }


def _values(values: Any) -> str:
    if not isinstance(values, dict):
        return "" if values is None else str(values)
    shown = []
    for key, value in values.items():
        if isinstance(value, list) and len(value) > 6:
            value = _("%(n)s pages", n=len(value))
        elif key == "decision" and value is None:
            value = _("undecided")
        elif key == "reason" and value:
            value = _reason(str(value))
        shown.append(f"{key}: {'—' if value in (None, '') else value}")
    return ", ".join(shown)


def _reason(reason: str | None) -> str:
    """A stored reason ("blurred", "other: torn corner") as people read it."""
    code, _sep, note = (reason or "").partition(":")
    known = rules.REJECT_REASONS.get(code.strip())
    label = _(known) if known else code.strip()
    return f"{label}: {note.strip()}" if note.strip() else label


# --- a page -----------------------------------------------------------------------------------


@router.get("/pages/{id}", response_class=HTMLResponse)
def page_view(request: Request, user: CurrentUser, id: Id) -> Response:
    """One page large, with the original scan a key away, its OCR text and its measurements."""
    rules.require_role(user, "reviewer", N_("opening pages"))
    store = store_of(request)
    page, folder = rules.find_page(store, user, id)
    siblings: list[Page] = (
        rules.visible_pages(user, folder, store.folder_pages(folder.folder_id))
        if folder
        else [page]
    )
    ids = [p.id for p in siblings]
    index = ids.index(page.id) if page.id in ids else None
    previous = ids[index - 1] if index else None
    following = ids[index + 1] if index is not None and index + 1 < len(ids) else None
    batch = store.get_batch(page.batch_id)
    text = api.page_text(page)
    return _page(
        request,
        "page.html",
        user,
        found=_found_on_page(request, page),
        page=page,
        out=api.page_out(page, folder),
        folder=folder,
        index=index,
        count=len(siblings),
        previous=previous,
        following=following,
        batch=batch,
        text=text,
        document=_document_of(store, user, page),
        marks=_suspect_marks(page, text, settings_of(request).data_dir.resolve()),
    )


def _found_on_page(request: Request, page: Page) -> dict[str, Any] | None:
    """Opened from a search (`?q=`): the query's words boxed over the image (qa.search), how
    many, and the way back to the results."""
    form = search.form_of(request.query_params)
    if not form.q.strip():
        return None
    hocr = page.derivatives.get("hocr")
    data_dir = settings_of(request).data_dir.resolve()
    boxes: list[search.Box] = []
    if hocr:
        path = Path(hocr).resolve()
        if path.is_relative_to(data_dir) and path.is_file():
            boxes = search.highlight_boxes(path.read_text(encoding="utf-8"), form.q, turn=page.turn)
    words = {b.text for b in boxes}  # marked in the text beside the image too
    return {"query": form.q, "boxes": boxes, "words": words, "back": form.url()}


def _document_of(store: Store, user: User, page: Page) -> dict[str, Any] | None:
    """The document the page belongs to, if the user may see it: its number and title."""
    if page.document_id is None:
        return None
    try:
        document, _, members = rules.find_document(store, user, page.document_id)
    except NotFoundError:
        return None
    ids = [p.id for p in members]
    return {
        "sequence": document.sequence,
        "type": records.value(document, "document_type") or "",
        "number_symbol": records.value(document, "number_symbol") or "",
        "summary": records.value(document, "summary") or "",
        "page": ids.index(page.id) + 1 if page.id in ids else None,
        "pages": len(ids),
        "state": document.state,
        "first": ids[0] if ids else page.id,
    }


def _suspect_marks(page: Page, text: api.PageText, data_dir: Path) -> list[dict[str, Any]]:
    """Boxes of the suspect words over the page image, in % of the cleaned page (the preview
    is that page made smaller, so the same % fit it)."""
    if not text.suspect_words:
        return []
    width, height = page.width_px or 0, page.height_px or 0
    image = page.derivatives.get("image")
    if image:
        path = Path(image).resolve()
        if path.is_relative_to(data_dir) and path.is_file():
            with Image.open(path) as opened:  # reads the header only
                width, height = opened.size
    if not width or not height:
        return []
    return [
        {
            "text": w.text,
            "left": 100 * w.box[0] / width,
            "top": 100 * w.box[1] / height,
            "width": 100 * max(1, w.box[2] - w.box[0]) / width,
            "height": 100 * max(1, w.box[3] - w.box[1]) / height,
        }
        for w in text.suspect_words
    ]


# --- the rescan list --------------------------------------------------------------------------


@router.get("/rescan", response_class=HTMLResponse)
def rescan(request: Request, user: CurrentUser) -> Response:
    """Rejected pages waiting to go through the scanner again, folder by folder."""
    entries = rules.rescan_list(store_of(request), user)
    groups = [
        (entries_of[0].folder, entries_of)
        for _, group in itertools.groupby(entries, key=lambda e: e.page.folder_id)
        for entries_of in [list(group)]
    ]
    return _page(
        request,
        "rescan.html",
        user,
        groups=groups,
        total=len(entries),
        may_review=_may(user, "reviewer"),
    )


@router.get("/rescan/slips.pdf")
def rescan_slips(
    request: Request,
    user: CurrentUser,
    folder: Annotated[int | None, Query(ge=1, le=2**62)] = None,
) -> Response:
    """Rescan slips to print and put where the pages go: one A4 sheet per rejected page."""
    entries = rules.rescan_list(store_of(request), user)
    if folder is not None:
        rules.find_folder(store_of(request), user, folder)  # 404 for a folder not seen
        entries = [e for e in entries if e.folder is not None and e.folder.id == folder]
    labels = [
        separators.RescanLabel(
            page_id=e.page.id,
            folder_id=e.page.folder_id or "",
            position=e.page.position,
            reason=e.reason_label,
            box_no=e.folder.box_no if e.folder else "",
            folder_title=e.folder.title if e.folder else "",
            batch_name=e.batch_name,
            source_file=e.page.source_file,
        )
        for e in entries
        if e.page.id is not None
    ]
    with tempfile.TemporaryDirectory(prefix="station-slips-") as work:
        pdf = separators.write_rescan_slips(labels, Path(work) / "slips.pdf").read_bytes()
    name = f"rescan-slips-{folder}.pdf" if folder else "rescan-slips.pdf"
    return Response(
        pdf,
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{name}"', "Cache-Control": "no-store"},
    )


# --- batches ----------------------------------------------------------------------------------


@router.get("/batches", response_class=HTMLResponse)
def batches(request: Request, user: CurrentUser) -> Response:
    """What went through the scanner: an operator's own batches, everyone's for the others,
    newest first, with their pages by processing state (one grouped count, not every row)."""
    rules.require_role(user, "operator", N_("the batch list"))
    store = store_of(request)
    own = user.role == "operator"
    rows = store.batches_fed_by(user.username) if own else store.find_batches()[::-1]
    shown = rows[:BATCHES_SHOWN]
    counts = store.batch_page_counts([b.id for b in shown if b.id is not None])
    work = describe_work(work_status(store, settings_of(request)))
    return _page(
        request,
        "batches.html",
        user,
        batches=shown,
        total=len(rows),
        counts=counts,
        own=own,
        work=work,
    )
