"""Review: the rules for deciding pages and approving folders, shared by the web app and CLI.

Who may do what (station.auth has the roles):
- a page decision (approve, reject with a reason, confirm blank), a turn, a move or a new
  order needs a reviewer (or archivist, admin); never on a batch the user fed (four eyes);
- editing a folder's metadata, approving or reopening a folder needs an archivist (or admin);
- a folder or page marked above the user's clearance does not exist for them (NotFoundError,
  never a hint that it is there).

A folder can be approved once every page is approved or confirmed blank: rejected pages
wait for their rescan (station.room.assembly puts the replacement in their place).
Every change is an Event with who, what, and the values before and after.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from station import auth, manifest
from station.documents import records
from station.errors import (
    BadArgumentError,
    ConfigError,
    ConflictError,
    InvalidInputError,
    NotAllowedError,
    NotFoundError,
)
from station.i18n import N_, _
from station.pipeline import separators
from station.profiles import DocumentSettings, load_profile
from station.store import Document, Event, Folder, Page, Store, User, to_json_safe, utcnow

Decision = Literal["approve", "reject", "blank"]
DECISIONS: tuple[Decision, ...] = ("approve", "reject", "blank")

# Why a page goes back to the scanner: (code, what reviewers and operators read).
REJECT_REASONS: dict[str, str] = {
    "blurred": N_("Blurred (Mờ)"),
    "cut_off": N_("Cut off (Mất góc, mất chữ)"),
    "skewed": N_("Skewed or folded (Lệch, gấp mép)"),
    "missing_page": N_("Missing page (Thiếu trang)"),
    "wrong_order": N_("Wrong order (Sai thứ tự)"),
    "wrong_folder": N_("Wrong folder (Sai hồ sơ)"),
    "other": N_("Other (Lý do khác)"),
}

REVIEW_STATES = ("empty", "to_review", "rescan", "ready", "approved")
QUEUE_STATES = ("to_review", "rescan", "ready")  # what the queue shows unless asked otherwise

# Folder fields an archivist may edit (the manifest's own names and rules).
EDITABLE_FIELDS = (
    "title", "start_date", "end_date", "retention", "access", "sheet_count", "language",
    "notes", "physical_condition", "secrecy",
)  # fmt: skip

_RANK = {"operator": 0, "reviewer": 1, "archivist": 2, "admin": 3}
# The roles as the refusal names them: the codes in English, people's words in Vietnamese.
ROLE_WORDS = {
    "operator": N_("operator"),
    "reviewer": N_("reviewer"),
    "archivist": N_("archivist"),
    "admin": N_("admin"),
}


# --- who may do what ----------------------------------------------------------------------


def require_role(user: User, minimum: str, action: str) -> None:
    if user.disabled:
        raise NotAllowedError(_("The account %(username)r is disabled", username=user.username))
    if _RANK[user.role] < _RANK[minimum]:
        raise NotAllowedError(
            _(
                "%(action)s needs the %(minimum)s role; %(username)r is %(role)s",
                action=_(action).capitalize(),  # callers mark it N_("deciding pages")
                minimum=_(ROLE_WORDS[minimum]),
                username=user.username,
                role=_(ROLE_WORDS[user.role]),
            )
        )


def page_secrecy(page: Page, folder: Folder | None) -> str:
    """The higher of the folder's marking and the page's own."""
    levels = [folder.secrecy if folder else "", page.secrecy]
    return max(levels, key=auth.CLEARANCES.index)


def find_folder(store: Store, user: User, number: int) -> Folder:
    """The folder with this short id, if the user may see it (404 either way otherwise)."""
    folder = store.get_folder_by_number(number)
    if folder is None or not auth.may_see(user.clearance, folder.secrecy):
        raise NotFoundError(_("No folder %(number)s", number=number))
    return folder


def find_folder_by_archival_id(store: Store, user: User, folder_id: str) -> Folder:
    folder = store.get_folder(unicodedata.normalize("NFC", folder_id))
    if folder is None or not auth.may_see(user.clearance, folder.secrecy):
        raise NotFoundError(_("No folder %(folder_id)r", folder_id=folder_id))
    return folder


def find_page(store: Store, user: User, page_id: int) -> tuple[Page, Folder | None]:
    page = store.get_page(page_id)
    if page is None:
        raise NotFoundError(_("No page %(page_id)s", page_id=page_id))
    folder = store.get_folder(page.folder_id) if page.folder_id else None
    if not auth.may_see(user.clearance, page_secrecy(page, folder)):
        raise NotFoundError(_("No page %(page_id)s", page_id=page_id))
    return page, folder


def visible_pages(user: User, folder: Folder, pages: list[Page]) -> list[Page]:
    return [p for p in pages if auth.may_see(user.clearance, page_secrecy(p, folder))]


def visible_events(store: Store, user: User, folder: Folder, events: list[Event]) -> list[Event]:
    """A folder's events, less those of pages and documents above the user's clearance (a
    page marked Tối mật, or a document stamped MẬT, must not show through its history)."""
    if auth.may_see(user.clearance, auth.CLEARANCES[-1]):
        return events
    folder_pages = store.folder_pages(folder.folder_id)
    pages = {p.id: p for p in folder_pages}
    hidden = {
        i for i, p in pages.items() if not auth.may_see(user.clearance, page_secrecy(p, folder))
    }
    for page_id in {e.page_id for e in events if e.page_id is not None} - pages.keys():
        try:  # a page since moved to another folder, or replaced by its rescan
            find_page(store, user, page_id)
        except NotFoundError:
            hidden.add(page_id)
    hidden_documents = _hidden_documents(store, user, folder, folder_pages, events)
    return [e for e in events if e.page_id not in hidden and e.document_id not in hidden_documents]


def _hidden_documents(
    store: Store, user: User, folder: Folder, pages: list[Page], events: list[Event]
) -> set[int]:
    """Documents of the events above the user's clearance. A document since merged away (or
    split again by the machine) counts at the level its events recorded, hidden if none."""
    named = {e.document_id for e in events if e.document_id is not None}
    if not named:
        return set()
    grouped = pages_by_document(pages)
    levels: dict[int, str] = {
        d.id: document_secrecy(d, folder, grouped.get(d.id, []))
        for d in store.documents_of_folder(folder.folder_id)
        if d.id is not None
    }
    for event in events:
        if event.document_id is not None and event.document_id not in levels:
            recorded = (event.detail or {}).get("secrecy")
            if isinstance(recorded, str) and recorded in auth.CLEARANCES:
                levels[event.document_id] = recorded
    return {i for i in named if not auth.may_see(user.clearance, levels.get(i, "Tuyệt mật"))}


# --- documents (văn bản): who sees which -----------------------------------------------------


def pages_by_document(pages: Iterable[Page]) -> dict[int, list[Page]]:
    """A folder's pages (in review order) grouped by the document they belong to."""
    grouped: dict[int, list[Page]] = {}
    for page in pages:
        if page.document_id is not None:
            grouped.setdefault(page.document_id, []).append(page)
    return grouped


def document_secrecy(document: Document, folder: Folder | None, pages: Iterable[Page]) -> str:
    """The level a document is seen at: its own, its folder's, or its most secret page's.

    A page a reviewer marked Tối mật hides the whole document, or its fields would show
    what the page says."""
    levels = [document.secrecy, folder.secrecy if folder else "", *(p.secrecy for p in pages)]
    return max((level for level in levels if level in auth.CLEARANCES), key=auth.CLEARANCES.index)


def find_document(
    store: Store, user: User, document_id: int
) -> tuple[Document, Folder, list[Page]]:
    """A document, its folder and its pages (in review order), if the user may see them all
    (404 otherwise, the same as a document that does not exist)."""
    document = store.get_document(document_id)
    folder = store.get_folder(document.folder_id) if document else None
    if document is None or folder is None or not auth.may_see(user.clearance, folder.secrecy):
        raise NotFoundError(_("No document %(document_id)s", document_id=document_id))
    pages = [p for p in store.pages_of_document(document_id) if p.folder_id == folder.folder_id]
    if not auth.may_see(user.clearance, document_secrecy(document, folder, pages)):
        raise NotFoundError(_("No document %(document_id)s", document_id=document_id))
    return document, folder, pages


def visible_documents(
    store: Store, user: User, folder: Folder
) -> list[tuple[Document, list[Page]]]:
    """A folder's documents in order with their pages, those the user may see."""
    grouped = pages_by_document(store.folder_pages(folder.folder_id))
    found = []
    for document in store.documents_of_folder(folder.folder_id):
        pages = grouped.get(document.id, []) if document.id is not None else []
        if auth.may_see(user.clearance, document_secrecy(document, folder, pages)):
            found.append((document, pages))
    return found


def document_threshold(folder: Folder, profiles_dir: Path | None = None) -> float:
    """The confidence below which a document field needs a reviewer: the setting of the
    profile that brought the folder's pages (the default when it cannot be read)."""
    if not folder.profile:
        return DocumentSettings().confidence_threshold
    if profiles_dir is None:
        from station.settings import load_settings

        profiles_dir = load_settings().profiles_dir
    try:
        return load_profile(folder.profile, profiles_dir).documents.confidence_threshold
    except (ConfigError, BadArgumentError):  # a profile since removed or broken
        return DocumentSettings().confidence_threshold


def check_documents_confirmed(store: Store, folder: Folder, profiles_dir: Path | None) -> None:
    """A folder is approved only when no document still has a field read below the
    profile's threshold that no reviewer confirmed (station.documents.records)."""
    threshold = document_threshold(folder, profiles_dir)
    waiting = [
        (d.sequence, fields)
        for d in store.documents_of_folder(folder.folder_id)
        if (fields := records.needs_confirmation(d, threshold))
    ]
    if waiting:
        named = "; ".join(f"văn bản {n} ({', '.join(fields)})" for n, fields in waiting[:10])
        more = f"; and {len(waiting) - 10} more" if len(waiting) > 10 else ""
        raise ConflictError(
            _(
                "Folder %(folder_id)s has %(n_waiting)s document(s) with fields read below "
                "%(threshold)s confidence that nobody confirmed: %(named)s%(more)s. Check and "
                "confirm them first",
                folder_id=folder.folder_id,
                n_waiting=len(waiting),
                threshold=f"{threshold:.0%}",
                named=named,
                more=more,
            )
        )


def check_four_eyes(store: Store, user: User, pages: list[Page]) -> None:
    """A reviewer never decides pages of a batch they fed to the scanner themselves."""
    operators = store.batch_operators({p.batch_id for p in pages})
    own = sorted(batch for batch, operator in operators.items() if operator == user.username)
    if own:
        raise NotAllowedError(
            _(
                "%(username)r fed batch %(own)s to the scanner; another person must review its "
                "pages (four eyes)",
                username=user.username,
                own=own[0],
            )
        )


# --- page decisions ---------------------------------------------------------------------------


def decide(
    store: Store, user: User, page_id: int, decision: str, reason: str | None = None
) -> Page:
    """Approve, reject (with a reason from REJECT_REASONS, "other: ..." for free text) or
    confirm a page blank."""
    require_role(user, "reviewer", N_("deciding pages"))
    page, folder = find_page(store, user, page_id)
    if decision not in DECISIONS:
        raise InvalidInputError(
            _(
                "Unknown decision %(decision)r: use one of %(decisions)s",
                decision=decision,
                decisions=", ".join(DECISIONS),
            )
        )
    reason = _checked_reason(decision, reason)
    _check_decidable(page, folder)
    if decision == "approve" and page.state != "ok":
        raise ConflictError(
            _(
                "Page %(page_id)s (%(source_file)s) failed processing and cannot be approved: "
                "reject it for a rescan",
                page_id=page_id,
                source_file=page.source_file,
            )
        )
    check_four_eyes(store, user, [page])
    return _record_decision(store, user, page, decision, reason)


def undo_decision(store: Store, user: User, page_id: int) -> Page:
    """Back to undecided: a blank confirmed by mistake, a rejection taken back."""
    require_role(user, "reviewer", N_("deciding pages"))
    page, folder = find_page(store, user, page_id)
    _check_decidable(page, folder)
    check_four_eyes(store, user, [page])
    return _record_decision(store, user, page, None, None)


def undo_separator(
    store: Store, user: User, page_id: int, reprocess: Callable[[int], Page]
) -> Page:
    """The machine took this page for a separator sheet; the reviewer says it is a page of the
    document. It is run through the pipeline again without the separator check (OCR and all),
    stays where it is, and waits for a decision like any page."""
    require_role(user, "reviewer", N_("deciding pages"))
    page, folder = find_page(store, user, page_id)
    if page.separator is None:
        raise ConflictError(_("Page %(page_id)s is not a separator sheet", page_id=page_id))
    if folder is None:
        raise ConflictError(
            _("Page %(page_id)s belongs to no folder; there is nothing to review", page_id=page_id)
        )
    _check_open(folder)
    check_four_eyes(store, user, [page])
    assert page.id is not None
    event = _event(user, page, "undo_separator", {"separator": page.separator}, {"separator": None})
    store.change_page(page.id, event, decision=None, reason=None)
    redone = reprocess(page.id)
    flags = [*redone.flags, "separator_undone"]
    note = _event(user, redone, "reprocessed", {"state": page.state}, {"state": redone.state})
    return store.change_page(page.id, note, flags=flags)


def approve_unflagged(store: Store, user: User, number: int) -> list[Page]:
    """Approve at once every undecided page the machine found nothing wrong with."""
    require_role(user, "reviewer", N_("deciding pages"))
    folder = find_folder(store, user, number)
    _check_open(folder)
    pages = [
        p
        for p in visible_pages(user, folder, store.folder_pages(folder.folder_id))
        if p.decision is None and p.separator is None and p.state == "ok" and not p.flags
    ]
    check_four_eyes(store, user, pages)
    return [_record_decision(store, user, p, "approve", None, bulk=True) for p in pages]


def _checked_reason(decision: str, reason: str | None) -> str | None:
    if decision != "reject":
        return None
    text = unicodedata.normalize("NFC", (reason or "").strip())
    code, _ignored, note = text.partition(":")
    if code.strip() not in REJECT_REASONS:
        raise InvalidInputError(
            _(
                'A rejected page needs a reason, one of %(reject_reasons)s ("other: ..." for '
                "your own words), not %(reason)r",
                reject_reasons=", ".join(REJECT_REASONS),
                reason=reason,
            )
        )
    if len(text) > 500:
        raise InvalidInputError(_("A reason is at most 500 characters"))
    return f"{code.strip()}: {note.strip()}" if note.strip() else code.strip()


def _check_decidable(page: Page, folder: Folder | None) -> None:
    if page.replaced_by is not None:
        raise ConflictError(
            _(
                "Page %(id)s was replaced by page %(replaced_by)s",
                id=page.id,
                replaced_by=page.replaced_by,
            )
        )
    if page.separator is not None or page.rescan_of is not None:
        raise ConflictError(
            _("Page %(id)s is a separator sheet or rescan slip, not a page", id=page.id)
        )
    if page.state not in ("ok", "failed"):
        raise ConflictError(_("Page %(id)s is still being processed", id=page.id))
    if folder is None:
        raise ConflictError(
            _("Page %(id)s belongs to no folder; there is nothing to review", id=page.id)
        )
    _check_open(folder)


def _check_open(folder: Folder) -> None:
    if folder.approved_at is not None:
        raise ConflictError(
            _(
                "Folder %(folder_id)s is approved; an archivist must reopen it first",
                folder_id=folder.folder_id,
            )
        )


def _record_decision(
    store: Store,
    user: User,
    page: Page,
    decision: str | None,
    reason: str | None,
    *,
    bulk: bool = False,
) -> Page:
    assert page.id is not None
    before = {"decision": page.decision, "reason": page.reason}
    after = {"decision": decision, "reason": reason}
    return store.change_page(
        page.id,
        _event(user, page, "approve_unflagged" if bulk else "decision", before, after),
        decision=decision,
        reason=reason,
        decided_by=user.username if decision else None,
        decided_at=utcnow() if decision else None,
    )


def _event(
    user: User,
    page: Page | None,
    action: str,
    before: dict[str, Any],
    after: dict[str, Any],
    folder_id: str | None = None,
) -> Event:
    return Event(
        batch_id=page.batch_id if page else None,
        page_id=page.id if page else None,
        folder_id=folder_id or (page.folder_id if page else None),
        stage="review",
        outcome="ok",
        agent=user.username,
        detail=to_json_safe({"action": action, "before": before, "after": after}),
    )


# --- page corrections -------------------------------------------------------------------------


def turn_page(store: Store, user: User, page_id: int, degrees: int) -> Page:
    """Turn a page the machine left on its side (clockwise, in quarter turns)."""
    require_role(user, "reviewer", N_("turning pages"))
    if degrees % 90:
        raise InvalidInputError(
            _("Pages turn in quarter turns (90, 180, 270), not %(degrees)s", degrees=degrees)
        )
    page, folder = find_page(store, user, page_id)
    _check_decidable(page, folder)
    check_four_eyes(store, user, [page])
    turn = (page.turn + degrees) % 360
    return store.change_page(
        page_id, _event(user, page, "turn", {"turn": page.turn}, {"turn": turn}), turn=turn
    )


def mark_secrecy(store: Store, user: User, page_id: int, level: str) -> Page:
    """Mark a page Mật, Tối mật or Tuyệt mật (or clear it): never above one's own clearance."""
    require_role(user, "reviewer", N_("marking secrecy"))
    try:
        level = auth.check_clearance(level)
    except Exception as exc:
        raise InvalidInputError(str(exc)) from exc
    if not auth.may_see(user.clearance, level):
        raise NotAllowedError(
            _(
                "%(username)r may not mark pages %(level)r: it is above their clearance",
                username=user.username,
                level=level,
            )
        )
    page, folder = find_page(store, user, page_id)
    _check_decidable(page, folder)
    return store.change_page(
        page_id,
        _event(user, page, "secrecy", {"secrecy": page.secrecy}, {"secrecy": level}),
        secrecy=level,
    )


def reorder(store: Store, user: User, number: int, page_ids: list[int]) -> list[Page]:
    """Put the folder's pages in this order; the list must name each of its pages once."""
    require_role(user, "reviewer", N_("reordering pages"))
    folder = find_folder(store, user, number)
    _check_open(folder)
    pages = store.folder_pages(folder.folder_id)
    if visible_pages(user, folder, pages) != pages:  # or a guessed id would show the page
        raise NotAllowedError(
            _(
                "Folder %(folder_id)s holds pages marked above %(username)r's clearance",
                folder_id=folder.folder_id,
                username=user.username,
            )
        )
    if sorted(page_ids) != sorted(p.id for p in pages if p.id is not None):
        raise InvalidInputError(
            _(
                "The new order must list each of the folder's %(n_pages)s pages exactly once",
                n_pages=len(pages),
            )
        )
    check_four_eyes(store, user, pages)
    before = [p.id for p in pages]
    store.order_pages(
        folder.folder_id,
        page_ids,
        _event(user, None, "reorder", {"order": before}, {"order": page_ids}, folder.folder_id),
    )
    return store.folder_pages(folder.folder_id)


def move_page(
    store: Store,
    user: User,
    page_id: int,
    *,
    position: int | None = None,
    to_folder: int | None = None,
) -> Page:
    """Move a page to another place in its folder, or to the end of (or a place in) another."""
    require_role(user, "reviewer", N_("moving pages"))
    page, folder = find_page(store, user, page_id)
    _check_decidable(page, folder)
    assert folder is not None and page.id is not None
    target = find_folder(store, user, to_folder) if to_folder is not None else folder
    _check_open(target)
    check_four_eyes(store, user, [page])
    marking, after_move = page_secrecy(page, folder), page_secrecy(page, target)
    if auth.CLEARANCES.index(after_move) < auth.CLEARANCES.index(marking):
        raise ConflictError(
            _(
                "Page %(page_id)s is %(marking)s as part of folder %(folder_id)s; in folder "
                "%(folder_id2)s it would lose that marking: mark the page itself first",
                page_id=page_id,
                marking=marking,
                folder_id=folder.folder_id,
                folder_id2=target.folder_id,
            )
        )
    order = [p.id for p in store.folder_pages(target.folder_id) if p.id != page.id]
    position = len(order) + 1 if position is None else position
    if not 1 <= position <= len(order) + 1:
        raise InvalidInputError(
            _(
                "Position must be from 1 to %(value)s, not %(position)s",
                value=len(order) + 1,
                position=position,
            )
        )
    order.insert(position - 1, page.id)
    event = _event(
        user,
        page,
        "move",
        {"folder_id": folder.folder_id, "position": page.position},
        {"folder_id": target.folder_id, "position": position},
    )
    store.change_page(page.id, event, folder_id=target.folder_id)
    store.order_pages(target.folder_id, [i for i in order if i is not None])
    if target.folder_id != folder.folder_id:
        remaining = [p.id for p in store.folder_pages(folder.folder_id) if p.id is not None]
        store.order_pages(folder.folder_id, remaining)
        _join_neighbours_document(store, page, target)
    moved = store.get_page(page.id)  # with its new position (change_page's copy has the old)
    assert moved is not None
    return moved


def _join_neighbours_document(store: Store, page: Page, target: Folder) -> None:
    """A page moved into another folder belongs to the document (văn bản) of the page
    before it there (of the one after it, when it comes first), never to its old folder's."""
    if page.document_id is None and (page.blank or page.separator is not None):
        return
    pages = store.folder_pages(target.folder_id)
    at = next(i for i, p in enumerate(pages) if p.id == page.id)
    neighbours = [*reversed(pages[:at]), *pages[at + 1 :]]
    document_id = None
    if not (page.blank or page.separator is not None):
        document_id = next((p.document_id for p in neighbours if p.document_id), None)
    assert page.id is not None
    store.move_page_to_document(page.id, document_id, "pages_moved")


# --- folders ----------------------------------------------------------------------------------


def approve_folder(
    store: Store, user: User, number: int, *, profiles_dir: Path | None = None
) -> Folder:
    """Approve a folder whose pages are all decided and whose documents' unsure fields are
    confirmed: what export will require. `profiles_dir` holds the folder's profile (for its
    confidence threshold); without it, the station settings say where."""
    require_role(user, "archivist", N_("approving folders"))
    folder = find_folder(store, user, number)
    _check_open(folder)
    pages = store.folder_pages(folder.folder_id)
    if visible_pages(user, folder, pages) != pages:
        raise NotAllowedError(
            _(
                "Folder %(folder_id)s holds pages marked above %(username)r's clearance",
                folder_id=folder.folder_id,
                username=user.username,
            )
        )
    _check_all_decided(folder, pages)
    check_four_eyes(store, user, pages)
    check_documents_confirmed(store, folder, profiles_dir)
    event = _event(
        user,
        None,
        "approve_folder",
        {"review_state": folder.review_state},
        {"review_state": "approved"},
        folder.folder_id,
    )
    return store.change_folder(
        folder.folder_id, event, approved_at=utcnow(), approved_by=user.username
    )


def _check_all_decided(folder: Folder, pages: list[Page], *, allow_none: bool = False) -> None:
    documents = [p for p in pages if p.separator is None]
    if not documents and not allow_none:
        raise ConflictError(
            _("Folder %(folder_id)s has no scanned pages to approve", folder_id=folder.folder_id)
        )
    undecided = [p for p in documents if p.decision is None]
    rejected = [p for p in documents if p.decision == "reject"]
    if undecided:
        raise ConflictError(
            _(
                "Folder %(folder_id)s has %(n_undecided)s undecided page(s), the first at "
                "position %(position)s: decide every page first",
                folder_id=folder.folder_id,
                n_undecided=len(undecided),
                position=undecided[0].position,
            )
        )
    if rejected:
        raise ConflictError(
            _(
                "Folder %(folder_id)s has %(n_rejected)s rejected page(s) waiting for a rescan",
                folder_id=folder.folder_id,
                n_rejected=len(rejected),
            )
        )


def approve_all(
    store: Store, user: User, folder_id: str, *, profiles_dir: Path | None = None
) -> tuple[Folder, int]:
    """`station review approve`: every undecided page, then the folder, or nothing at all."""
    require_role(user, "archivist", N_("approving folders"))
    folder = find_folder_by_archival_id(store, user, folder_id)
    assert folder.id is not None
    _check_open(folder)
    pages = store.folder_pages(folder.folder_id)
    if visible_pages(user, folder, pages) != pages:
        raise NotAllowedError(
            _(
                "Folder %(folder_id)s holds pages marked above %(username)r's clearance",
                folder_id=folder.folder_id,
                username=user.username,
            )
        )
    check_four_eyes(store, user, pages)
    undecided = [p for p in pages if p.decision is None and p.separator is None]
    failed = [p for p in undecided if p.state != "ok"]
    if failed:
        raise ConflictError(
            _(
                "Folder %(folder_id)s: %(n_failed)s page(s) failed processing "
                "(%(source_file)s); "
                "reject them for a rescan first",
                folder_id=folder.folder_id,
                n_failed=len(failed),
                source_file=failed[0].source_file,
            )
        )
    # What approve_folder would refuse once the undecided pages are approved: refuse it now,
    # before anything is recorded.
    waiting = {p.id for p in undecided}
    decided = [p for p in pages if p.id not in waiting]
    _check_all_decided(folder, decided, allow_none=bool(undecided))
    check_documents_confirmed(store, folder, profiles_dir)
    for page in undecided:
        _record_decision(store, user, page, "approve", None, bulk=True)
    return approve_folder(store, user, folder.id, profiles_dir=profiles_dir), len(undecided)


def reopen_folder(store: Store, user: User, number: int) -> Folder:
    require_role(user, "archivist", N_("reopening folders"))
    folder = find_folder(store, user, number)
    if folder.approved_at is None:
        raise ConflictError(_("Folder %(folder_id)s is not approved", folder_id=folder.folder_id))
    event = _event(
        user,
        None,
        "reopen_folder",
        {"approved_by": folder.approved_by},
        {"approved_by": None},
        folder.folder_id,
    )
    return store.change_folder(folder.folder_id, event, approved_at=None, approved_by=None)


def edit_metadata(store: Store, user: User, number: int, changes: dict[str, Any]) -> Folder:
    """Change a folder's manifest fields, checked by the manifest's own rules."""
    require_role(user, "archivist", N_("editing metadata"))
    folder = find_folder(store, user, number)
    _check_open(folder)  # what was approved is what export writes
    unknown = sorted(set(changes) - set(EDITABLE_FIELDS))
    if unknown:
        raise InvalidInputError(
            _(
                "Cannot edit %(unknown)s: editable fields are %(editable_fields)s",
                unknown=", ".join(unknown),
                editable_fields=", ".join(EDITABLE_FIELDS),
            )
        )
    # Only what may change is checked: the folder's id and shelf numbers stay as imported
    # (an archival id may hold slashes, which a manifest row may not), so stand-ins take
    # their place and cannot fail an edit.
    current = folder_fields(folder) | _IDENTITY_STAND_INS
    checked, problems = manifest.check_folder(current | changes)
    if checked is None:
        raise InvalidInputError(
            "; ".join(f"{p.column}: {p.message}" + (f" ({p.value!r})" if p.value else "")
                      for p in problems)
        )  # fmt: skip
    if not auth.may_see(user.clearance, checked.secrecy):
        raise NotAllowedError(
            _(
                "%(username)r may not mark a folder %(secrecy)r: above their clearance",
                username=user.username,
                secrecy=checked.secrecy,
            )
        )
    new_values = {
        "title": checked.title,
        "start_date": checked.start_date,
        "end_date": checked.end_date,
        "retention_years": checked.retention_years,
        "access": checked.access,
        "sheet_count": checked.sheet_count,
        "language": checked.language,
        "notes": checked.notes,
        "physical_condition": checked.physical_condition,
        "secrecy": checked.secrecy,
    }
    before = {k: getattr(folder, k) for k, v in new_values.items() if getattr(folder, k) != v}
    after = {k: new_values[k] for k in before}
    if not after:
        return folder
    event = _event(user, None, "edit_metadata", before, after, folder.folder_id)
    return store.change_folder(folder.folder_id, event, **after)


_IDENTITY_STAND_INS = {
    "folder_id": "HS", "fonds_code": "1", "catalogue_no": "1", "box_no": "1", "folder_no": "1",
}  # fmt: skip


def folder_fields(folder: Folder) -> dict[str, Any]:
    """The folder as manifest values (English field names), for checking and for forms."""
    return {
        "folder_id": folder.folder_id,
        "fonds_code": folder.fonds_code,
        "catalogue_no": folder.catalogue_no,
        "box_no": folder.box_no,
        "folder_no": folder.folder_no,
        "title": folder.title,
        "start_date": folder.start_date,
        "end_date": folder.end_date,
        "retention": folder.retention_years,
        "access": folder.access,
        "sheet_count": folder.sheet_count,
        "language": folder.language,
        "notes": folder.notes,
        "physical_condition": folder.physical_condition,
        "secrecy": folder.secrecy,
    }


# --- the rescan list --------------------------------------------------------------------------


@dataclass(frozen=True)
class RescanEntry:
    page: Page
    folder: Folder | None
    batch_name: str

    @property
    def reason_label(self) -> str:
        code, _ignored, note = (self.page.reason or "").partition(":")
        label = REJECT_REASONS.get(code.strip(), code)
        return f"{label}: {note.strip()}" if note.strip() else label


def rescan_list(store: Store, user: User) -> list[RescanEntry]:
    """Rejected pages waiting for a rescan, those the user's clearance reaches."""
    require_role(user, "operator", N_("the rescan list"))
    return [
        RescanEntry(page, folder, batch)
        for page, folder, batch in store.rescan_list()
        if auth.may_see(user.clearance, page_secrecy(page, folder))
    ]


def rescan_label(entry: RescanEntry) -> separators.RescanLabel:
    """What a rescan slip prints for one rejected page."""
    page, folder = entry.page, entry.folder
    assert page.id is not None
    return separators.RescanLabel(
        page_id=page.id,
        folder_id=page.folder_id or "",
        position=page.position,
        reason=entry.reason_label,
        box_no=folder.box_no if folder else "",
        folder_title=folder.title if folder else "",
        batch_name=entry.batch_name,
        source_file=page.source_file,
    )
