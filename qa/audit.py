"""The audit page, `/audit`, and its CSV: who looked at, changed, approved and exported what.

Archivists and admins only. Every event of the `event` table, filtered by user, action
(the event's stage), folder (mã hồ sơ), document and day, newest first, a keyset page at a
time. Secrecy as everywhere else (station.review.rules): an event of a folder, page or
document above the viewer's clearance is not listed, in the page or the CSV; the page says
how many it left out.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response, StreamingResponse

from qa.app import templates
from qa.forms import period
from qa.security import CurrentUser, store_of
from station import auth, spreadsheet
from station.errors import InvalidInputError, NotFoundError
from station.i18n import N_, _
from station.review import rules
from station.store import Event, Folder, Store, User
from station.store.audit import VIEWED, AuditFilter

router = APIRouter(include_in_schema=False)

PAGE_SIZE = 100  # events shown per page
SCAN_LIMIT = 5000  # rows read at most for one page when many are hidden (bounded work)
CSV_CHUNK = 1000  # rows read at a time for the CSV
DETAIL_SHOWN = 140  # characters of an event's detail on the page (the CSV has all of it)
# the stages the station records, for the action menu (any other can still be typed in the URL)
ACTIONS = (
    "capture", "separator", "rescan", "reconcile", "assemble", "extract_documents",
    "manifest", "review", "export", VIEWED, "login", "users",
)  # fmt: skip
CSV_HEADERS = [
    "id", "time (UTC)", "user", "action", "mã hồ sơ (folder)", "page", "document",
    "outcome", "detail",
]  # fmt: skip
Text = Annotated[str, Query(max_length=200)]


# --- the filters ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Filters:
    """The page's GET form, as typed: the same fields on the page and its CSV."""

    user: str = ""
    action: str = ""
    folder: str = ""
    document: str = ""
    since: str = ""
    until: str = ""

    def kept(self) -> dict[str, str]:
        return {k: v for k, v in asdict(self).items() if v}

    def chosen(self) -> AuditFilter:
        """The filter for the store, checked: a bad date or document number is a 422."""
        document = self.document.strip()
        if document and not (document.isdigit() and 0 < int(document) < 2**62):
            raise InvalidInputError(
                _("Document must be a document number, not %(document)r", document=document)
            )
        start, end = period(self.since, self.until)
        return AuditFilter(
            user=self.user.strip() or None,
            action=self.action.strip() or None,
            folder_id=self.folder.strip() or None,
            document_id=int(document) if document else None,
            since=start,
            until=end,
        )


def _filters(
    user: Text = "",
    action: Text = "",
    folder: Text = "",
    document: Text = "",
    since: Text = "",
    until: Text = "",
) -> Filters:
    return Filters(user, action, folder, document, since, until)


FilterQuery = Annotated[Filters, Depends(_filters)]


# --- secrecy: the review rules, applied to any mix of events ---------------------------------


def visible(store: Store, user: User, events: list[Event]) -> list[Event]:
    """The events the user may see, in their order. Events of a folder go through
    rules.visible_events (pages and documents above the clearance drop out), a folder above
    it hides all of its events; an event of a page or document outside any known folder is
    seen if rules.find_page / find_document would show it; the rest (batches, log-ins) are."""
    if auth.may_see(user.clearance, auth.CLEARANCES[-1]):
        return events
    folders = store.folder_numbers({e.folder_id for e in events if e.folder_id})
    grouped: dict[str, list[Event]] = {}
    seen: set[int | None] = set()
    for event in events:
        if event.folder_id and event.folder_id in folders:
            grouped.setdefault(event.folder_id, []).append(event)
        elif _loose_event_seen(store, user, event):
            seen.add(event.id)
    for folder_id, of_folder in grouped.items():
        folder = folders[folder_id]
        if auth.may_see(user.clearance, folder.secrecy):
            seen.update(e.id for e in rules.visible_events(store, user, folder, of_folder))
    return [e for e in events if e.id in seen]


def _loose_event_seen(store: Store, user: User, event: Event) -> bool:
    try:
        if event.page_id is not None:
            rules.find_page(store, user, event.page_id)
        if event.document_id is not None:
            rules.find_document(store, user, event.document_id)
    except NotFoundError:
        return False
    return True


@dataclass
class Listing:
    """One page of the audit: the events shown, how many were hidden among those read, and
    the id to read on from (None: nothing older)."""

    events: list[Event]
    hidden: int
    older: int | None


def listing(store: Store, user: User, chosen: AuditFilter, before: int | None) -> Listing:
    """Up to PAGE_SIZE visible events older than `before`, reading at most SCAN_LIMIT rows:
    a filter that matches mostly classified events still answers at once, with a link on."""
    shown: list[Event] = []
    hidden = read = 0
    cursor = before
    while read < SCAN_LIMIT:
        rows = store.audit_events(chosen, before=cursor, limit=PAGE_SIZE)
        seen = {e.id for e in visible(store, user, rows)}
        for event in rows:
            if len(shown) == PAGE_SIZE:
                return Listing(shown, hidden, shown[-1].id)
            if event.id in seen:
                shown.append(event)
            else:
                hidden += 1
            cursor = event.id
        read += len(rows)
        if len(rows) < PAGE_SIZE:
            return Listing(shown, hidden, None)
    return Listing(shown, hidden, cursor)


# --- rows as shown and as CSV -----------------------------------------------------------------


def _time(moment: datetime) -> str:
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return aware.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")


def _action(event: Event) -> str:
    """The stage, with the review action within it (review: decision, review: approve...)."""
    inner = (event.detail or {}).get("action")
    return f"{event.stage}: {inner}" if isinstance(inner, str) and inner else event.stage


def short_detail(detail: dict[str, Any] | None) -> str:
    """The gist of an event's detail in a line: before → after for changes, else key: value."""
    if not detail:
        return ""
    parts = []
    before, after = detail.get("before"), detail.get("after")
    if isinstance(before, dict) and isinstance(after, dict):
        changed = [k for k in {**before, **after} if before.get(k) != after.get(k)]
        for key in changed or list(after):
            parts.append(f"{key}: {_plain(before.get(key))} → {_plain(after.get(key))}")
    for key, value in detail.items():
        if key not in ("action", "before", "after"):
            parts.append(f"{key}: {_plain(value)}")
    text = "; ".join(parts)
    return text if len(text) <= DETAIL_SHOWN else text[: DETAIL_SHOWN - 1] + "…"


def _plain(value: Any) -> str:
    if value is None or value == "":
        return "–"
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, default=str)


def row(event: Event, folders: dict[str, Folder]) -> dict[str, Any]:
    """One event as the page shows it, with links to what it is about."""
    folder = folders.get(event.folder_id or "")
    links: list[tuple[str, str | None]] = []
    if event.folder_id:
        links.append((event.folder_id, f"/folders/{folder.id}" if folder else None))
    if event.page_id is not None:
        links.append((_("page id %(id)s", id=event.page_id), f"/pages/{event.page_id}"))
    if event.document_id is not None:
        where = f"/folders/{folder.id}#doc-panel" if folder else None
        links.append((f"văn bản {event.document_id}", where))
    if not links and event.batch_id is not None:
        links.append((_("batch %(id)s", id=event.batch_id), "/batches"))
    return {
        "id": event.id,
        "time": _time(event.at),
        "user": event.agent,
        "action": _action(event),
        "objects": links,
        "outcome": event.outcome,
        "detail": short_detail(event.detail),
    }


def csv_row(event: Event) -> list[Any]:
    return [
        event.id,
        _time(event.at),
        event.agent,
        _action(event),
        event.folder_id or "",
        event.page_id if event.page_id is not None else "",
        event.document_id if event.document_id is not None else "",
        event.outcome,
        json.dumps(event.detail or {}, ensure_ascii=False, default=str, sort_keys=True),
    ]


def _csv_lines(rows: list[list[Any]]) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(spreadsheet.csv_row(r) for r in rows)
    return out.getvalue()


def csv_chunks(store: Store, user: User, chosen: AuditFilter) -> Iterator[bytes]:
    """The whole filtered trail, newest first, a keyset chunk at a time (never all in
    memory): UTF-8 with a BOM so Excel reads Vietnamese, formulas escaped (station.spreadsheet)."""
    yield _csv_lines([CSV_HEADERS]).encode("utf-8-sig")
    before: int | None = None
    while True:
        rows = store.audit_events(chosen, before=before, limit=CSV_CHUNK)
        if not rows:
            return
        shown = visible(store, user, rows)
        if shown:
            yield _csv_lines([csv_row(e) for e in shown]).encode("utf-8")
        if len(rows) < CSV_CHUNK:
            return
        before = rows[-1].id


# --- the routes -------------------------------------------------------------------------------


Before = Annotated[int | None, Query(ge=1, le=2**62)]


@router.get("/audit", response_class=HTMLResponse)
def audit_page(
    request: Request, user: CurrentUser, f: FilterQuery, before: Before = None
) -> Response:
    """The trail newest first, PAGE_SIZE events a page, the filters as a GET form."""
    rules.require_role(user, "archivist", N_("the audit trail"))
    store = store_of(request)
    found = listing(store, user, f.chosen(), before)
    folders = store.folder_numbers({e.folder_id for e in found.events if e.folder_id})
    kept = f.kept()
    return templates.TemplateResponse(
        request,
        "audit.html",
        {
            "user": user,
            "rows": [row(e, folders) for e in found.events],
            "hidden": found.hidden,
            "filters": asdict(f),
            "filtered": bool(kept),
            "actions": ACTIONS,
            "users": sorted(u.username for u in store.list_users()),
            "older": "/audit?" + urlencode({**kept, "before": found.older}) if found.older else "",
            "newest": ("/audit?" + urlencode(kept)) if before else "",
            "download": "/audit.csv" + ("?" + urlencode(kept) if kept else ""),
        },
    )


@router.get("/audit.csv")
def audit_csv(request: Request, user: CurrentUser, f: FilterQuery) -> Response:
    """Every event the filters match that the user may see, as CSV."""
    rules.require_role(user, "archivist", N_("the audit trail"))
    chosen = f.chosen()
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M")
    return StreamingResponse(
        csv_chunks(store_of(request), user, chosen),
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="station-audit-{stamp}.csv"',
            "Cache-Control": "no-store",
        },
    )
