"""Review of documents (văn bản): the rules for checking what the machine read of each
document of a folder, shared by the web app's API and pages.

- Reading: a document whose level (its own, its folder's, or its most secret page's) is
  above the user's clearance does not exist for them (NotFoundError), like a page.
- Changing (edit fields, confirm, split, merge, change secrecy) needs a reviewer (or
  archivist, admin), never on pages of a batch the user fed (four eyes), and never in an
  approved folder (an archivist reopens it first).
- Field values are checked as the manifest checks folders: a bad value is an
  InvalidInputError naming the field. An edited field is the reviewer's (source
  "reviewer", confidence 1.0) and counts as checked; the document is then `edited`, so the
  machine never splits the folder again over the reviewer's work.
- Secrecy changes need clearance for the current level and the new one, and a reason;
  lowering is a decision on a batch, so four eyes apply; raising protects, so they do not.

Every change is an Event (stage "document") with the document and folder, who, why, and
the values before and after.
"""

from __future__ import annotations

import copy
import logging
import re
import unicodedata
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path
from typing import Any

from station import auth
from station.documents import describe, records
from station.documents.model import FIELDS, SECRECY_LEVELS, URGENCY_LEVELS, Box, PageReading
from station.documents.split import UNCERTAIN
from station.errors import (
    BadArgumentError,
    ConflictError,
    InvalidInputError,
    NotAllowedError,
    NotFoundError,
)
from station.i18n import N_, _
from station.review import rules
from station.store import Document, Event, Folder, NewDocument, Page, Store, User, to_json_safe
from station.store import utcnow as _now

log = logging.getLogger(__name__)

STAGE = "document"
READ_ONLY = frozenset({"page_count"})  # counted by the station, never typed
TEXT_LIMIT = 2000  # characters of one field (a long trích yếu fits)
RECIPIENTS_LIMIT = 200  # lines of Nơi nhận
_URGENCY = {unicodedata.normalize("NFC", u).casefold(): u for u in URGENCY_LEVELS} | {
    "hoả tốc": "Hỏa tốc",  # the older placement of the tone mark
}
_SECRECY = {level.casefold(): level for level in SECRECY_LEVELS}
_LANGUAGE = re.compile(r"[a-z]{2,3}(?:-[a-z0-9]{2,8})*")
_ISO_DAY = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
_DAY_FIRST = re.compile(r"(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4})")
_CONTROL = re.compile(r"[\x00-\x1f\x7f\ud800-\udfff]")  # and halves of UTF-16 pairs


# --- reading -----------------------------------------------------------------------------------


def folder_documents(
    store: Store, user: User, number: int
) -> tuple[Folder, list[tuple[Document, list[Page]]]]:
    """A folder's documents in order, with their pages, those the user may see."""
    rules.require_role(user, "reviewer", N_("opening folders"))
    folder = rules.find_folder(store, user, number)
    return folder, rules.visible_documents(store, user, folder)


def get_document(store: Store, user: User, document_id: int) -> tuple[Document, Folder, list[Page]]:
    rules.require_role(user, "reviewer", N_("opening documents"))
    return rules.find_document(store, user, document_id)


def history(store: Store, user: User, document_id: int) -> list[Event]:
    """What happened to a document: found, edited, split, merged, confirmed, declassified
    (less the events of pages the user may not see)."""
    rules.require_role(user, "reviewer", N_("document history"))
    _document, folder, _pages = rules.find_document(store, user, document_id)
    return rules.visible_events(store, user, folder, store.events_of_document(document_id))


def field_region(store: Store, user: User, document_id: int, name: str) -> tuple[Page, Box]:
    """The page a field was read from and its box there (cleaned-page pixels), for a crop."""
    rules.require_role(user, "reviewer", N_("opening documents"))
    document, _folder, _pages = rules.find_document(store, user, document_id)
    reading = document.fields.get(name) if name in FIELDS else None
    if not isinstance(reading, dict):
        raise NotFoundError(
            _("No field %(name)r in document %(document_id)s", name=name, document_id=document_id)
        )
    box, page_id = region(reading.get("box")), reading.get("page_id")
    if box is None or not isinstance(page_id, int):
        raise NotFoundError(
            _(
                "Field %(name)s of document %(document_id)s was not read from a page",
                name=name,
                document_id=document_id,
            )
        )
    page, _page_folder = rules.find_page(store, user, page_id)
    return page, box


def region(value: Any) -> Box | None:
    """A field's box as stored (four numbers), or None."""
    if not isinstance(value, list | tuple) or len(value) != 4:
        return None
    if not all(isinstance(v, int | float) and not isinstance(v, bool) for v in value):
        return None
    left, top, right, bottom = (int(v) for v in value)
    return left, top, right, bottom


def threshold(folder: Folder, profiles_dir: Path | None) -> float:
    return rules.document_threshold(folder, profiles_dir)


# --- field values --------------------------------------------------------------------------------


def checked_value(name: str, value: Any, current: Any = None) -> Any:
    """A field's value as typed, checked and put in the record's form (None clears it).

    Dates as Vietnamese write them (dd/mm/yyyy) or ISO, stored ISO; the number digits only;
    secrecy and urgency from their closed lists; text NFC on one line.
    """
    if name not in FIELDS:
        raise InvalidInputError(
            _(
                "%(name)s: not a document field; fields are %(fields)s",
                name=name,
                fields=", ".join(FIELDS),
            )
        )
    if name in READ_ONLY:
        raise InvalidInputError(
            _(
                "%(name)s: read-only (the number of the document's pages, counted by the station)",
                name=name,
            )
        )
    if name == "recipients":
        return _recipients(value)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise InvalidInputError(
            _("%(name)s: write text, not %(name2)s", name=name, name2=type(value).__name__)
        )
    text = " ".join(unicodedata.normalize("NFC", str(value)).split())
    if _CONTROL.search(text):
        raise InvalidInputError(_("%(name)s: contains control characters", name=name))
    if len(text) > TEXT_LIMIT:
        raise InvalidInputError(
            _(
                "%(name)s: at most %(text_limit)s characters, not %(n_text)s",
                name=name,
                text_limit=TEXT_LIMIT,
                n_text=len(text),
            )
        )
    if not text:
        return None
    if name == "issued_date":
        return _iso_day(text).isoformat()
    if name == "number":
        if not text.isascii() or not text.isdigit() or len(text) > 12:
            raise InvalidInputError(
                _(
                    "number: digits only (Số của văn bản, e.g. 12), not %(text)r; the symbol "
                    "goes in `symbol`",
                    text=text,
                )
            )
        return int(text) if isinstance(current, int) else text
    if name == "secrecy":
        return _closed(name, text, _SECRECY, ("", *SECRECY_LEVELS))
    if name == "urgency":
        return _closed(name, text, _URGENCY, ("", *URGENCY_LEVELS))
    if name == "language":
        code = text.lower()
        if not _LANGUAGE.fullmatch(code):
            raise InvalidInputError(
                _("language: a language code such as vi or en, not %(text)r", text=text)
            )
        return code
    if name == "document_type":
        return text.upper()  # as printed: QUYẾT ĐỊNH, CÔNG VĂN
    return text


def _iso_day(text: str) -> date:
    formats = "write dd/mm/yyyy (05/03/2019) or yyyy-mm-dd"
    if match := _ISO_DAY.fullmatch(text):
        year, month, day = (int(part) for part in match.groups())
    elif match := _DAY_FIRST.fullmatch(text):
        day, month, year = (int(part) for part in match.groups())
    else:
        raise InvalidInputError(
            _("issued_date: not a date (%(text)r); %(formats)s", text=text, formats=formats)
        )
    try:
        return date(year, month, day)
    except ValueError as exc:
        raise InvalidInputError(
            _(
                "issued_date: not a real date (%(text)r: %(exc)s); %(formats)s",
                text=text,
                exc=exc,
                formats=formats,
            )
        ) from exc


def _closed(name: str, text: str, known: dict[str, str], shown: tuple[str, ...]) -> str | None:
    found = known.get(text.casefold())
    if found is None:
        named = ", ".join(repr(level) for level in shown[1:])
        raise InvalidInputError(
            _(
                "%(name)s: one of %(named)s (or empty), not %(text)r",
                name=name,
                named=named,
                text=text,
            )
        )
    return found


def _recipients(value: Any) -> list[str] | None:
    """Nơi nhận: a list, or text with a recipient per line or between semicolons."""
    if value is None:
        return None
    if isinstance(value, str):
        items: list[Any] = re.split(r"[;\n]", value)
    elif isinstance(value, list):
        items = value
    else:
        raise InvalidInputError(_("recipients: a list of text, or text with ; between recipients"))
    lines = []
    for item in items:
        if not isinstance(item, str):
            raise InvalidInputError(_("recipients: each recipient is text"))
        text = " ".join(unicodedata.normalize("NFC", item).split()).strip(" -–+•")
        if _CONTROL.search(text):
            raise InvalidInputError(_("recipients: contains control characters"))
        if len(text) > 500:
            raise InvalidInputError(_("recipients: at most 500 characters a recipient"))
        if text:
            lines.append(text)
    if len(lines) > RECIPIENTS_LIMIT:
        raise InvalidInputError(
            _(
                "recipients: at most %(recipients_limit)s recipients",
                recipients_limit=RECIPIENTS_LIMIT,
            )
        )
    return lines or None


# --- changes -------------------------------------------------------------------------------------


def edit_fields(store: Store, user: User, document_id: int, changes: dict[str, Any]) -> Document:
    """Correct fields: each becomes the reviewer's (confidence 1.0), checked from then on."""
    document, folder, pages = _open_for_change(store, user, document_id, N_("editing documents"))
    if not changes:
        raise InvalidInputError(_("Nothing to change: send {field: value, ...}"))
    problems, checked = [], {}
    for name, value in changes.items():
        try:
            checked[name] = checked_value(name, value, records.value(document, name))
        except InvalidInputError as exc:
            problems.append(exc.message)
    if problems:
        raise InvalidInputError("; ".join(problems))
    if "secrecy" in checked and (checked["secrecy"] or "") != document.secrecy:
        raise InvalidInputError(
            _(
                "secrecy: the document is %(value)s; a new level needs a reason and clearance "
                "for both levels: POST /api/documents/%(document_id)s/secrecy",
                value=document.secrecy or "not secret",
                document_id=document_id,
            )
        )
    fields = copy.deepcopy(document.fields)
    before, after = {}, {}
    for name, value in checked.items():
        old = _reading(fields.get(name))
        before[name], after[name] = old["value"], value
        fields[name] = old | {"value": value, "confidence": 1.0, "source": "reviewer"}
    event = _event(user, document, folder, pages, "edit_document", before, after)
    assert document.id is not None
    return store.change_document(document.id, event, fields=fields, edited=True)


def confirm(
    store: Store, user: User, document_id: int, *, profiles_dir: Path | None = None
) -> Document:
    """The reviewer checked the document: every field counts as checked from now on."""
    document, folder, pages = _open_for_change(store, user, document_id, N_("confirming documents"))
    if document.state == "confirmed":
        return document
    unsure = records.needs_confirmation(document, threshold(folder, profiles_dir))
    event = _event(
        user, document, folder, pages, "confirm_document",
        {"state": document.state}, {"state": "confirmed"}, checked=unsure,
    )  # fmt: skip
    assert document.id is not None
    return store.change_document(
        document.id, event, state="confirmed", confirmed_by=user.username, confirmed_at=_now()
    )


def confirm_confident(
    store: Store, user: User, number: int, *, profiles_dir: Path | None = None
) -> list[Document]:
    """Confirm at once the folder's documents whose every field was read at or above the
    profile's threshold (or is the reviewer's already)."""
    rules.require_role(user, "reviewer", N_("confirming documents"))
    folder = rules.find_folder(store, user, number)
    _check_open(folder)
    limit = threshold(folder, profiles_dir)
    chosen = [
        (d, pages)
        for d, pages in rules.visible_documents(store, user, folder)
        if d.state != "confirmed" and not records.needs_confirmation(d, limit)
    ]
    rules.check_four_eyes(store, user, [p for _, pages in chosen for p in pages])
    at = _now()
    done = {"state": "confirmed", "confirmed_by": user.username, "confirmed_at": at}
    events = [
        _event(user, d, folder, pages, "confirm_confident", {"state": d.state},
               {"state": "confirmed"}, threshold=limit)
        for d, pages in chosen
    ]  # fmt: skip
    return store.change_documents([(d.id, done) for d, _ in chosen if d.id is not None], events)


def confirm_all(
    store: Store, user: User, folder_id: str, *, profiles_dir: Path | None = None
) -> list[Document]:
    """`station review confirm-documents`: the user vouches for every document of a folder.

    For work in bulk (and for folders checked on paper); each confirmation is recorded
    with the fields that were still below the threshold, as in the web app.
    """
    folder = rules.find_folder_by_archival_id(store, user, folder_id)
    return [
        confirm(store, user, d.id, profiles_dir=profiles_dir)
        for d, _ in rules.visible_documents(store, user, folder)
        if d.id is not None
    ]


def split(store: Store, user: User, number: int, page_id: int) -> list[Document]:
    """The page starts a new document: it and the pages after it in its document become the
    next document (the later ones move one place on). The new document's fields are read
    from its pages' readings (station.documents.describe, when installed), else empty."""
    rules.require_role(user, "reviewer", N_("splitting documents"))
    folder = rules.find_folder(store, user, number)
    _check_open(folder)
    page, _ignored = rules.find_page(store, user, page_id)
    if page.folder_id != folder.folder_id:
        raise InvalidInputError(
            _(
                "Page %(page_id)s is not in folder %(folder_id)s",
                page_id=page_id,
                folder_id=folder.folder_id,
            )
        )
    document, _ignored, pages = (
        rules.find_document(store, user, page.document_id)
        if page.document_id is not None
        else (None, None, [])
    )
    ids = [p.id for p in pages]
    if document is None or page_id not in ids:
        raise ConflictError(
            _(
                "Page %(page_id)s (position %(position)s) belongs to no document of the folder "
                "(a blank page or a separator sheet): there is nothing to split",
                page_id=page_id,
                position=page.position,
            )
        )
    at = ids.index(page_id)
    if at == 0:
        raise ConflictError(
            _(
                "Page %(page_id)s (position %(position)s) already starts văn bản %(sequence)s",
                page_id=page_id,
                position=page.position,
                sequence=document.sequence,
            )
        )
    rules.check_four_eyes(store, user, pages)
    head, tail = pages[:at], pages[at:]
    described_tail = _described(store, folder, tail)
    described_head = _described(store, folder, head)
    tail_ids = {p.id for p in tail}

    new_fields = described_tail[0] if described_tail else _empty_fields()
    kept_fields = copy.deepcopy(document.fields)
    for name in FIELDS:  # what was read on the pages that left goes with them (a signature
        old = kept_fields.get(name)  # block, Nơi nhận); the first part reads its own again
        if not isinstance(old, dict) or old.get("source") == "reviewer":
            continue
        if old.get("page_id") in tail_ids:
            if (new_fields.get(name) or {}).get("value") is None:
                new_fields[name] = copy.deepcopy(old)
            again = described_head[0].get(name) if described_head else None
            kept_fields[name] = again if isinstance(again, dict) else _empty_reading()
    level = _highest(document.secrecy, _level(new_fields))
    new_fields["secrecy"] = _secrecy_reading(new_fields.get("secrecy"), level)
    new_fields["page_count"] = _page_count(len(tail))
    kept_fields["secrecy"] = _secrecy_reading(kept_fields.get("secrecy"), document.secrecy)
    kept_fields["page_count"] = _page_count(len(head))
    new = NewDocument(
        sequence=document.sequence + 1,
        page_ids=[i for i in ids[at:] if i is not None],
        fields=new_fields,
        flags=sorted(set(described_tail[1] if described_tail else ()) - {UNCERTAIN}),
        boundary_confidence=1.0,  # a reviewer's decision
        secrecy=level,
    )
    kept = {
        "fields": kept_fields,
        "flags": [f for f in document.flags if f != UNCERTAIN],
        **_reviewed(),
    }
    events = [
        _event(user, document, folder, head, "split_document", {"pages": ids},
               {"pages": ids[:at], "new_document": document.sequence + 1}, page=page),
        _new_part_event(user, folder, tail, page, document, new),
    ]  # fmt: skip
    assert document.id is not None
    store.split_document(document.id, new.page_ids, new, kept, events)
    return _documents_after(store, user, folder)


def merge(store: Store, user: User, number: int, document_id: int) -> list[Document]:
    """The document joins the one before it: its pages are added at the end, the earlier
    document's fields are kept (empty ones filled from the later), later documents move
    one place back."""
    rules.require_role(user, "reviewer", N_("merging documents"))
    folder = rules.find_folder(store, user, number)
    _check_open(folder)
    later, later_folder, later_pages = rules.find_document(store, user, document_id)
    if later_folder.folder_id != folder.folder_id:
        raise InvalidInputError(
            _(
                "Document %(document_id)s is not in folder %(folder_id)s",
                document_id=document_id,
                folder_id=folder.folder_id,
            )
        )
    before_it = [
        d for d in store.documents_of_folder(folder.folder_id) if d.sequence < later.sequence
    ]
    if not before_it:
        raise ConflictError(
            _(
                "Văn bản %(sequence)s is the first document of folder %(folder_id)s: there is "
                "none before it to merge with",
                sequence=later.sequence,
                folder_id=folder.folder_id,
            )
        )
    assert before_it[-1].id is not None and later.id is not None
    try:  # (its number shows in the folder anyway: 1, 3 means a 2)
        earlier, _earlier_folder, earlier_pages = rules.find_document(store, user, before_it[-1].id)
    except NotFoundError:
        raise ConflictError(
            _(
                "The document before văn bản %(sequence)s is above %(username)r's clearance: "
                "someone cleared for it must merge them",
                sequence=later.sequence,
                username=user.username,
            )
        ) from None
    rules.check_four_eyes(store, user, [*earlier_pages, *later_pages])
    fields = copy.deepcopy(earlier.fields)
    for name in FIELDS:
        mine, theirs = fields.get(name), later.fields.get(name)
        empty = not isinstance(mine, dict) or (
            mine.get("value") is None and mine.get("source") != "reviewer"
        )
        if empty and isinstance(theirs, dict) and theirs.get("value") is not None:
            fields[name] = copy.deepcopy(theirs)  # a signature block read on the later part
    level = _highest(earlier.secrecy, later.secrecy)
    fields["secrecy"] = _secrecy_reading(fields.get("secrecy"), level)
    fields["page_count"] = _page_count(len(earlier_pages) + len(later_pages))
    values = {
        "fields": fields,
        "secrecy": level,
        "flags": sorted({*earlier.flags, *later.flags} - {UNCERTAIN}),
        **_reviewed(),
    }
    ids = [p.id for p in earlier_pages]
    event = _event(
        user, earlier, folder, [*earlier_pages, *later_pages], "merge_document",
        {"pages": ids, "merged": None},
        {"pages": ids + [p.id for p in later_pages],
         "merged": {"document_id": later.id, "sequence": later.sequence}},
        level=level,
    )  # fmt: skip
    assert earlier.id is not None
    store.merge_documents(earlier.id, later.id, values, [event])
    return _documents_after(store, user, folder)


def change_secrecy(store: Store, user: User, document_id: int, level: str, reason: str) -> Document:
    """Lower a false alarm or raise a document's level (độ mật), with a reason. Only a user
    cleared for the current level and the new one may; its pages take the new level."""
    rules.require_role(user, "reviewer", N_("changing a document's secrecy"))
    try:
        level = auth.check_clearance(level)
    except BadArgumentError as exc:
        raise InvalidInputError(_("level: %(exc)s", exc=exc)) from exc
    why = " ".join(unicodedata.normalize("NFC", reason or "").split())
    if _CONTROL.search(why):
        raise InvalidInputError(_("reason: contains control characters"))
    if not why:
        raise InvalidInputError(
            _("reason: say why the level changes (lý do), e.g. 'the MẬT is part of the title'")
        )
    if len(why) > 500:
        raise InvalidInputError(_("reason: at most 500 characters"))
    document, folder, pages = rules.find_document(store, user, document_id)
    if not auth.may_see(user.clearance, level):
        raise NotAllowedError(
            _(
                "%(username)r may not mark a document %(level)r: it is above their clearance",
                username=user.username,
                level=level,
            )
        )
    _check_open(folder)
    current = rules.document_secrecy(document, None, pages)
    if level == current and level == document.secrecy:
        raise ConflictError(
            _(
                "Văn bản %(sequence)s is already %(value)s: nothing changes",
                sequence=document.sequence,
                value=level or "not secret",
            )
        )
    if auth.CLEARANCES.index(level) < auth.CLEARANCES.index(current):
        rules.check_four_eyes(store, user, pages)  # lowering decides; raising only protects
    fields = copy.deepcopy(document.fields)
    fields["secrecy"] = _reading(fields.get("secrecy")) | {
        "value": level or None,
        "confidence": 1.0,
        "source": "reviewer",
    }
    event = _event(
        user, document, folder, pages, "document_secrecy",
        {"secrecy": current}, {"secrecy": level}, reason=why, level=level,
    )  # fmt: skip
    assert document.id is not None
    return store.set_document_secrecy(document.id, level, event, fields=fields, edited=True)


# --- helpers -------------------------------------------------------------------------------------


def _open_for_change(
    store: Store, user: User, document_id: int, action: str
) -> tuple[Document, Folder, list[Page]]:
    rules.require_role(user, "reviewer", action)
    document, folder, pages = rules.find_document(store, user, document_id)
    _check_open(folder)
    rules.check_four_eyes(store, user, pages)
    return document, folder, pages


def _check_open(folder: Folder) -> None:
    if folder.approved_at is not None:
        raise ConflictError(
            _(
                "Folder %(folder_id)s is approved; an archivist must reopen it first",
                folder_id=folder.folder_id,
            )
        )


def _documents_after(store: Store, user: User, folder: Folder) -> list[Document]:
    return [d for d, _ in rules.visible_documents(store, user, folder)]


def _reviewed() -> dict[str, Any]:
    """A document a reviewer split or merged: to be confirmed again, its PDF to be written
    again (the one on disk no longer matches)."""
    return {
        "state": "unconfirmed",
        "confirmed_by": None,
        "confirmed_at": None,
        "edited": True,
        "boundary_confidence": 1.0,
        "pdf_path": None,
    }


def _empty_reading() -> dict[str, Any]:
    return {"value": None, "confidence": 0.0, "box": None, "page_id": None, "source": "ocr"}


def _empty_fields() -> dict[str, Any]:
    return {name: _empty_reading() for name in FIELDS}


def _reading(old: Any) -> dict[str, Any]:
    """A field's reading with every key, kept from what was read (box and page stay, so the
    reviewer still sees where it came from)."""
    return _empty_reading() | (dict(old) if isinstance(old, dict) else {})


def _page_count(pages: int) -> dict[str, Any]:
    return _empty_reading() | {"value": pages, "confidence": 1.0, "source": "derived"}


def _level(fields: dict[str, Any]) -> str:
    value = (fields.get("secrecy") or {}).get("value")
    return value if isinstance(value, str) and value in SECRECY_LEVELS else ""


def _highest(*levels: str) -> str:
    return max((lv for lv in levels if lv in auth.CLEARANCES), key=auth.CLEARANCES.index)


def _secrecy_reading(old: Any, level: str) -> dict[str, Any]:
    """The secrecy field agrees with the level in force; a level inherited from the rest
    of the document is derived, not read."""
    reading = _reading(old)
    if (reading.get("value") or "") == level:
        return reading
    return _empty_reading() | {"value": level or None, "confidence": 1.0, "source": "derived"}


def _described(
    store: Store, folder: Folder, pages: Sequence[Page]
) -> tuple[dict[str, Any], list[str]] | None:
    """The fields station.documents.describe reads from these pages, if it is installed."""
    describe = _describer()
    if describe is None or not pages:
        return None
    readings = [(p.id, PageReading.from_json(p.reading)) for p in pages if p.id is not None]
    known = store.issuing_bodies_of_fonds(folder.fonds_code) if folder.fonds_code else []
    try:
        found = describe(
            readings,
            folder_start=folder.start_date,
            folder_end=folder.end_date,
            known_bodies=known,
            default_language=folder.language or "vi",
        )
        fields = {name: reading.to_json() for name, reading in found.fields.items()}
        flags = [str(flag) for flag in found.flags]
    except Exception:  # the reviewer's split must not fail on the reader: fields stay empty
        log.exception("describe_document failed on pages %s", [p.id for p in pages])
        return None
    return _empty_fields() | fields, flags


def _describer() -> Callable[..., Any] | None:
    return describe.describe_document


def _new_part_event(
    user: User, folder: Folder, tail: list[Page], page: Page, document: Document, new: NewDocument
) -> Event:
    """The new document's first event (the store gives it the new document's id)."""
    draft = Document(folder_id=folder.folder_id, sequence=new.sequence, secrecy=new.secrecy)
    fields = {name: (new.fields.get(name) or {}).get("value") for name in FIELDS}
    return _event(
        user, draft, folder, tail, "split_from",
        {"document": None}, {"split_from": document.sequence, "pages": new.page_ids,
                             "fields": fields},
        page=page,
    )  # fmt: skip


def _event(
    user: User,
    document: Document,
    folder: Folder,
    pages: Sequence[Page],
    action: str,
    before: dict[str, Any],
    after: dict[str, Any],
    *,
    page: Page | None = None,
    level: str | None = None,
    **extra: Any,
) -> Event:
    """One change to a document; `secrecy` is its level then, so that its history stays
    hidden from whoever may not see it, even once the document row is gone (merged)."""
    first = page or (pages[0] if pages else None)
    return Event(
        batch_id=first.batch_id if first else None,
        page_id=page.id if page else None,
        folder_id=folder.folder_id,
        document_id=document.id,
        stage=STAGE,
        outcome="ok",
        agent=user.username,
        detail=to_json_safe(
            {
                "action": action,
                "sequence": document.sequence,
                "secrecy": document.secrecy if level is None else level,
                "before": before,
                "after": after,
                **extra,
            }
        ),
    )
