"""The JSON API: what the review pages do, for scripts and other tools.

Folders and pages are named by their `id` (archival folder ids contain slashes, so they are
never put in a URL). The session cookie of `POST /login` works here; requests that change
state carry `X-CSRF-Token` equal to the `csrftoken` cookie. Errors are
`{"error": code, "detail": sentence}` with 401, 403, 404, 409 or 422.
"""

from __future__ import annotations

import datetime
import io
import json
import os
import subprocess
import sys
import unicodedata
from collections import Counter
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Form, Query, Request, Response
from fastapi import Path as PathParam
from PIL import Image
from pydantic import BaseModel, ConfigDict, Field

from qa import security
from qa.security import CheckedUser, CurrentUser, store_of
from station import auth, i18n, manifest
from station.distributed.status import work_status
from station.documents import records
from station.documents.model import FIELDS, Box, PageReading
from station.errors import ConflictError, ExitCode, NotFoundError, OutputError
from station.export import packages
from station.i18n import N_, _
from station.pipeline import ocr
from station.review import documents as review_documents
from station.review import rules
from station.room import runner
from station.store import Document, Event, Folder, Page, Store, folder_flag_codes

router = APIRouter(prefix="/api", tags=["review"])

Id = Annotated[int, PathParam(ge=1, le=2**62, description="The `id` of the folder or page")]
ERRORS: dict[int | str, dict[str, Any]] = {
    status: {"description": text, "content": {"application/json": {"example": example}}}
    for status, text, example in (
        (401, "Not logged in", {"error": "not_logged_in", "detail": "Log in first"}),
        (403, "Not allowed", {"error": "not_allowed", "detail": "Needs the reviewer role"}),
        (404, "No such thing (or above your clearance)",
         {"error": "not_found", "detail": "No page 7"}),
        (409, "Not possible now", {"error": "conflict", "detail": "Folder has undecided pages"}),
        (422, "Invalid value", {"error": "invalid_input", "detail": "Unknown reason"}),
    )
}  # fmt: skip


# --- what the API returns -------------------------------------------------------------------


class FolderOut(BaseModel):
    """A folder (hồ sơ): its manifest fields, what scanning found and where review stands."""

    id: int
    folder_id: str = Field(description="The archival folder id (mã hồ sơ)")
    fonds_code: str
    catalogue_no: str
    box_no: str
    folder_no: str
    title: str
    start_date: datetime.date | None
    end_date: datetime.date | None
    retention: str
    access: str
    sheet_count: int | None
    language: str
    notes: str
    physical_condition: str
    secrecy: str
    in_manifest: bool
    profile: str
    review_state: Literal["empty", "to_review", "rescan", "ready", "approved"]
    counts: dict[str, int] = Field(description="pages, undecided, approve, reject, blank...")
    page_flags: dict[str, int] = Field(description="flag: number of pages carrying it")
    flags: list[str] = Field(description="the folder's own flags and its pages' flags")
    folder_flags: list[dict[str, Any]]
    pages_found: int
    sheets_counted: int
    approved_by: str | None
    approved_at: datetime.datetime | None


class FolderList(BaseModel):
    total: int
    limit: int
    offset: int
    folders: list[FolderOut]


class PageOut(BaseModel):
    """One page of a folder, as the reviewer sees it."""

    id: int
    folder: int | None = Field(description="The `id` of the page's folder")
    folder_id: str | None
    position: int | None
    batch_id: int
    source_file: str
    page_index: int
    state: str = Field(description="queued, ok or failed (processing)")
    error: str | None
    decision: Literal["approve", "reject", "blank"] | None
    reason: str | None
    decided_by: str | None
    decided_at: datetime.datetime | None
    separator: bool
    flags: list[str]
    dpi: float | None
    width_px: int | None
    height_px: int | None
    rotation: int | None
    turn: int
    skew_deg: float | None
    blank_probability: float | None
    ocr_confidence: float | None
    ocr_word_count: int | None
    secrecy: str
    pdf_page: int | None
    thumbnail_url: str
    preview_url: str
    original_url: str


class EventOut(BaseModel):
    id: int
    at: datetime.datetime
    who: str
    stage: str
    outcome: str
    page_id: int | None
    document_id: int | None = None
    detail: dict[str, Any]


class FieldOut(BaseModel):
    """One field of a document as read (or as a reviewer set it)."""

    label: str = Field(description="The Vietnamese record-keeping name (NĐ 30 Phụ lục VI)")
    value: Any = Field(description="Text, a number, a list (recipients) or null")
    confidence: float = Field(description="0-1; a reviewer's value is 1")
    page_id: int | None = Field(description="The page it was read from")
    box: list[int] | None = Field(description="left, top, right, bottom in cleaned-page pixels")
    source: str = Field(description="ocr, stamp, derived or reviewer")
    needs_confirmation: bool = Field(description="Below the threshold and nobody checked it")
    crop_url: str | None = Field(description="The region it was read from, as JPEG")


class DocumentPageOut(BaseModel):
    source_file: str
    page_index: int
    page_id: int | None


class DocumentOut(BaseModel):
    """A document (văn bản) of a folder: its record (as documents.json has it), each field
    with where it was read and how sure, and what a reviewer must still check."""

    id: int
    folder: int = Field(description="The `id` of the document's folder")
    folder_id: str
    sequence: int = Field(description="Số thứ tự văn bản trong hồ sơ, from 1")
    archival_code: str
    pages: list[DocumentPageOut]
    document_type: Any
    number: Any
    symbol: Any
    number_symbol: Any
    issued_date: Any
    place: Any
    issuing_body: Any
    summary: Any
    signer_title: Any
    signer_name: Any
    recipients: Any
    secrecy: Any
    urgency: Any
    language: Any
    page_count: Any
    confidence: dict[str, float]
    flags: list[str]
    state: str = Field(description="unconfirmed or confirmed")
    pdf: str | None
    level: str = Field(description="The secrecy level in force (độ mật), '' when none")
    boundary_confidence: float
    confirmed_by: str | None
    confirmed_at: datetime.datetime | None
    edited: bool
    threshold: float = Field(description="Fields read below this need a reviewer")
    needs_confirmation: list[str]
    fields: dict[str, FieldOut]


class WordOut(BaseModel):
    text: str
    confidence: float
    low: bool
    suspect: bool = Field(default=False, description="Cannot be Vietnamese: OCR damage?")


class SuspectWordOut(BaseModel):
    text: str
    box: list[int] = Field(description="left, top, right, bottom in cleaned-page pixels")


class PageText(BaseModel):
    page_id: int
    low_confidence_below: float
    lines: list[list[WordOut]]
    suspect_words: list[SuspectWordOut] = Field(
        default_factory=list, description="Words that cannot be Vietnamese, marked for review"
    )


class RescanOut(BaseModel):
    page: PageOut
    folder_title: str
    box_no: str
    batch: str
    reason_label: str


class BoxProgress(BaseModel):
    fonds_code: str
    box_no: str
    folders: int
    states: dict[str, int]


class Me(BaseModel):
    username: str
    role: str
    clearance: str
    csrf_token: str


# --- what the API takes ---------------------------------------------------------------------


class DecisionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    decision: Literal["approve", "reject", "blank", "undecided"] = Field(
        description="`undecided` takes a decision back"
    )
    reason: str | None = Field(
        default=None,
        max_length=500,
        description="For reject: " + ", ".join(rules.REJECT_REASONS) + " ('other: text')",
    )


class TurnIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    degrees: Literal[90, 180, 270, -90] = Field(description="Clockwise")


class MoveIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    position: int | None = Field(default=None, ge=1, le=1_000_000)
    folder: int | None = Field(default=None, ge=1, le=2**62, description="Target folder `id`")


class SecrecyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    secrecy: Literal["", "Mật", "Tối mật", "Tuyệt mật"]


class OrderIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    page_ids: list[Annotated[int, Field(ge=1, le=2**62)]] = Field(max_length=100_000)


class DocumentEdit(BaseModel):
    """Fields to correct (a value of null or "" clears one); page_count is read-only."""

    model_config = ConfigDict(extra="forbid")
    document_type: str | None = Field(default=None, max_length=2000)
    number: str | int | None = Field(default=None, description="Digits only")
    symbol: str | None = Field(default=None, max_length=2000)
    number_symbol: str | None = Field(default=None, max_length=2000)
    issued_date: str | None = Field(
        default=None, max_length=40, description="dd/mm/yyyy or yyyy-mm-dd"
    )
    place: str | None = Field(default=None, max_length=2000)
    issuing_body: str | None = Field(default=None, max_length=2000)
    summary: str | None = Field(default=None, max_length=4000)
    signer_title: str | None = Field(default=None, max_length=2000)
    signer_name: str | None = Field(default=None, max_length=2000)
    recipients: list[Annotated[str, Field(max_length=1000)]] | str | None = Field(
        default=None, description="A list, or text with ; between recipients"
    )
    secrecy: str | None = Field(
        default=None, max_length=40, description="Only the level in force; see /secrecy"
    )
    urgency: str | None = Field(
        default=None, max_length=40, description="Khẩn, Thượng khẩn, Hỏa tốc"
    )
    language: str | None = Field(default=None, max_length=40)
    page_count: int | str | None = Field(default=None, description="Read-only: refused")


class SplitIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    page_id: int = Field(ge=1, le=2**62, description="The page that starts the new document")


class MergeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    document_id: int = Field(ge=1, le=2**62, description="Joins the document before it")


class DocumentSecrecyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    level: Literal["", "Mật", "Tối mật", "Tuyệt mật"]
    reason: str = Field(min_length=1, max_length=500, description="Why (lý do), recorded")


class FolderEdit(BaseModel):
    """Manifest fields to change; the manifest's own rules check them."""

    model_config = ConfigDict(extra="forbid")
    title: str | None = Field(default=None, max_length=2000)
    start_date: str | None = Field(default=None, max_length=40)
    end_date: str | None = Field(default=None, max_length=40)
    retention: str | None = Field(default=None, max_length=40)
    access: str | None = Field(default=None, max_length=200)
    sheet_count: int | None = Field(default=None, ge=0, le=1_000_000)
    language: str | None = Field(default=None, max_length=40)
    notes: str | None = Field(default=None, max_length=5000)
    physical_condition: str | None = Field(default=None, max_length=500)
    secrecy: str | None = Field(default=None, max_length=40)


# --- conversions ------------------------------------------------------------------------------


def folder_out(folder: Folder) -> FolderOut:
    assert folder.id is not None
    return FolderOut(
        id=folder.id,
        folder_id=folder.folder_id,
        fonds_code=folder.fonds_code,
        catalogue_no=folder.catalogue_no,
        box_no=folder.box_no,
        folder_no=folder.folder_no,
        title=folder.title,
        start_date=folder.start_date,
        end_date=folder.end_date,
        retention=manifest.retention_label(folder.retention_years) if folder.in_manifest else "",
        access=folder.access,
        sheet_count=folder.sheet_count,
        language=folder.language,
        notes=folder.notes,
        physical_condition=folder.physical_condition,
        secrecy=folder.secrecy,
        in_manifest=folder.in_manifest,
        profile=folder.profile,
        review_state=folder.review_state,
        counts=folder.review_counts or {},
        page_flags=folder.page_flags or {},
        flags=sorted(folder_flag_codes(folder)),
        folder_flags=[f if isinstance(f, dict) else {"code": str(f)} for f in folder.flags],
        pages_found=folder.pages_found,
        sheets_counted=folder.sheets_counted,
        approved_by=folder.approved_by,
        approved_at=folder.approved_at,
    )


def page_out(page: Page, folder: Folder | None) -> PageOut:
    assert page.id is not None
    images = f"/images/pages/{page.id}"
    return PageOut(
        id=page.id,
        folder=folder.id if folder else None,
        folder_id=page.folder_id,
        position=page.position,
        batch_id=page.batch_id,
        source_file=page.source_file,
        page_index=page.page_index,
        state=page.state,
        error=page.error,
        decision=page.decision,
        reason=page.reason,
        decided_by=page.decided_by,
        decided_at=page.decided_at,
        separator=page.separator is not None,
        flags=[*page.flags, *(["failed"] if page.state == "failed" else [])],
        dpi=page.dpi,
        width_px=page.width_px,
        height_px=page.height_px,
        rotation=page.rotation,
        turn=page.turn,
        skew_deg=page.skew_deg,
        blank_probability=page.blank_probability,
        ocr_confidence=page.ocr_confidence,
        ocr_word_count=page.ocr_word_count,
        secrecy=page.secrecy,
        pdf_page=page.pdf_page,
        thumbnail_url=f"{images}/thumbnail?v={page.turn}",
        preview_url=f"{images}/preview?v={page.turn}",
        original_url=f"{images}/original",
    )


def page_answer(store: Store, page: Page) -> PageOut:
    """A page after a change, with its folder as it is now."""
    return page_out(page, store.get_folder(page.folder_id) if page.folder_id else None)


def event_out(event: Event) -> EventOut:
    assert event.id is not None
    return EventOut(
        id=event.id,
        at=event.at,
        who=event.agent,
        stage=event.stage,
        outcome=event.outcome,
        page_id=event.page_id,
        document_id=event.document_id,
        detail=event.detail,
    )


def document_out(
    document: Document, folder: Folder, pages: list[Page], threshold: float
) -> DocumentOut:
    """The record (station.documents.records) and, field by field, where it was read."""
    assert document.id is not None and folder.id is not None
    unsure = records.needs_confirmation(document, threshold)
    fields = {}
    for name, label in FIELDS.items():
        reading = document.fields.get(name)
        reading = reading if isinstance(reading, dict) else {}
        found = review_documents.region(reading.get("box"))
        box = list(found) if found else None
        page_id = reading.get("page_id") if isinstance(reading.get("page_id"), int) else None
        crop = None
        if box is not None and page_id is not None:
            version = f"{page_id}-{'-'.join(str(v) for v in box)}"
            crop = f"/api/documents/{document.id}/fields/{name}/crop?v={version}"
        fields[name] = FieldOut(
            label=label,
            value=reading.get("value"),
            confidence=round(float(reading.get("confidence") or 0.0), 3),
            page_id=page_id,
            box=box,
            source=str(reading.get("source") or "ocr"),
            needs_confirmation=name in unsure,
            crop_url=crop,
        )
    return DocumentOut(
        **records.document_record(document, pages),
        folder=folder.id,
        level=document.secrecy,
        boundary_confidence=document.boundary_confidence,
        confirmed_by=document.confirmed_by,
        confirmed_at=document.confirmed_at,
        edited=document.edited,
        threshold=threshold,
        needs_confirmation=unsure,
        fields=fields,
    )


def documents_out(store: Store, user: Any, folder: Folder, threshold: float) -> list[DocumentOut]:
    """A folder's documents as the user may see them (one query for all their pages)."""
    return [document_out(d, folder, pages, threshold) for d, pages in
            rules.visible_documents(store, user, folder)]  # fmt: skip


def document_answer(request: Request, user: Any, document: Document) -> DocumentOut:
    """A document after a change, with its pages as they are now."""
    assert document.id is not None
    store = store_of(request)
    found, folder, pages = rules.find_document(store, user, document.id)
    limit = review_documents.threshold(folder, security.settings_of(request).profiles_dir)
    return document_out(found, folder, pages, limit)


# Words Tesseract is less sure of than this are marked for the reviewer.
LOW_CONFIDENCE = 60.0


def page_text(page: Page) -> PageText:
    assert page.id is not None
    hocr_path = page.derivatives.get("hocr")
    lines = []
    if hocr_path and Path(hocr_path).is_file():
        lines = ocr.hocr_lines(Path(hocr_path).read_text(encoding="utf-8"))
    suspects = PageReading.from_json(page.reading).suspect_words
    odd = {word_key(w.text) for w in suspects}
    return PageText(
        page_id=page.id,
        low_confidence_below=LOW_CONFIDENCE,
        lines=[
            [WordOut(text=w.text, confidence=w.confidence, low=w.confidence < LOW_CONFIDENCE,
                     suspect=word_key(w.text) in odd)
             for w in line]
            for line in lines
        ],
        suspect_words=[SuspectWordOut(text=w.text, box=list(w.box)) for w in suspects],
    )  # fmt: skip


def word_key(text: str) -> str:
    """A word as the reader compares it: NFC, without the punctuation around it."""
    return unicodedata.normalize("NFC", text).strip(".,;:!?()[]{}\"'“”‘’«»…-–—").casefold()


def queue(
    request: Request,
    user: Any,
    *,
    state: str | None,
    profile: str | None,
    box: str | None,
    flag: str | None,
    offset: int = 0,
    limit: int = 100,
) -> tuple[int, list[Folder]]:
    """The queue (also the web page's): how many folders, and those from offset on; folders
    above the user's clearance are not in it, nor counted."""
    rules.require_role(user, "reviewer", N_("the review queue"))
    return store_of(request).review_queue(
        states=rules.QUEUE_STATES if not state else (state,),
        secrecy_levels=auth.visible_levels(user.clearance),
        profile=profile,
        box_no=box,
        flag=flag,
        offset=offset,
        limit=limit,
    )


# --- session ----------------------------------------------------------------------------------


@router.post(
    "/login",
    response_model=Me,
    responses={k: ERRORS[k] for k in (401, 403)},
    summary="Log in (the same as the form's POST /login, answered in JSON)",
)
def api_login(
    request: Request,
    response: Response,
    username: Annotated[str, Form(max_length=200)],
    password: Annotated[str, Form(max_length=1000)],
) -> Me:
    store, settings = store_of(request), security.settings_of(request)
    user = security.log_in(store, settings, username.strip(), password)
    csrf = security.start_session(store, settings, user, response)
    return Me(username=user.username, role=user.role, clearance=user.clearance, csrf_token=csrf)


@router.get("/me", response_model=Me, responses={401: ERRORS[401]})
def me(request: Request, user: CurrentUser) -> Me:
    return Me(
        username=user.username,
        role=user.role,
        clearance=user.clearance,
        csrf_token=request.state.csrf_token,
    )


# --- folders ----------------------------------------------------------------------------------


@router.get("/folders", response_model=FolderList, responses={k: ERRORS[k] for k in (401, 403)})
def list_folders(
    request: Request,
    user: CurrentUser,
    state: Annotated[
        Literal["empty", "to_review", "rescan", "ready", "approved"] | None,
        Query(description="Review state; without it: to_review, rescan and ready"),
    ] = None,
    profile: Annotated[str | None, Query(max_length=200)] = None,
    box: Annotated[str | None, Query(max_length=200)] = None,
    flag: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> FolderList:
    total, folders = queue(
        request, user, state=state, profile=profile, box=box, flag=flag, offset=offset, limit=limit
    )
    return FolderList(
        total=total, limit=limit, offset=offset, folders=[folder_out(f) for f in folders]
    )


@router.get(
    "/folders/{id}", response_model=FolderOut, responses={401: ERRORS[401], 404: ERRORS[404]}
)
def get_folder(request: Request, user: CurrentUser, id: Id) -> FolderOut:
    rules.require_role(user, "reviewer", N_("opening folders"))
    store = store_of(request)
    folder = rules.find_folder(store, user, id)
    out = folder_out(folder)
    pages = store.folder_pages(folder.folder_id)
    seen = rules.visible_pages(user, folder, pages)
    if len(seen) != len(pages):  # pages above the user's clearance are not counted either
        out.counts, out.page_flags = visible_counts(seen)
        out.flags = sorted(
            {f["code"] if isinstance(f, dict) else str(f) for f in folder.flags}
            | set(out.page_flags)
            | (set() if folder.in_manifest else {"unassigned"})
        )
    return out


def visible_counts(pages: list[Page]) -> tuple[dict[str, int], dict[str, int]]:
    """A folder's review counts and page flags over the pages given (as the store counts)."""
    counts = Counter({"pages": 0, "undecided": 0, "approve": 0, "reject": 0, "blank": 0,
                      "separator": 0})  # fmt: skip
    flags: Counter[str] = Counter()
    for page in pages:
        counts["pages"] += 1
        if page.separator is not None:
            counts["separator"] += 1
            continue
        counts[page.decision or "undecided"] += 1
        flags.update([*page.flags, *(["failed"] if page.state == "failed" else [])])
    return dict(counts), dict(flags)


@router.patch(
    "/folders/{id}",
    response_model=FolderOut,
    responses={k: ERRORS[k] for k in (401, 403, 404, 422)},
    summary="Edit the folder's manifest metadata (archivist)",
)
def edit_folder(request: Request, user: CheckedUser, id: Id, edit: FolderEdit) -> FolderOut:
    changes = edit.model_dump(exclude_unset=True)
    if "retention" in changes and changes["retention"] is None:
        changes["retention"] = manifest.PERMANENT_LABEL
    return folder_out(rules.edit_metadata(store_of(request), user, id, changes))


@router.get(
    "/folders/{id}/pages",
    response_model=list[PageOut],
    responses={401: ERRORS[401], 404: ERRORS[404]},
)
def folder_pages(request: Request, user: CurrentUser, id: Id) -> list[PageOut]:
    rules.require_role(user, "reviewer", N_("opening folders"))
    store = store_of(request)
    folder = rules.find_folder(store, user, id)
    pages = rules.visible_pages(user, folder, store.folder_pages(folder.folder_id))
    return [page_out(p, folder) for p in pages]


@router.get(
    "/folders/{id}/history",
    response_model=list[EventOut],
    responses={401: ERRORS[401], 404: ERRORS[404]},
)
def folder_history(request: Request, user: CurrentUser, id: Id) -> list[EventOut]:
    rules.require_role(user, "reviewer", N_("folder history"))
    store = store_of(request)
    folder = rules.find_folder(store, user, id)
    events = rules.visible_events(store, user, folder, store.events_of_folder(folder.folder_id))
    return [event_out(e) for e in events]


@router.post(
    "/folders/{id}/approve",
    response_model=FolderOut,
    responses={k: ERRORS[k] for k in (401, 403, 404, 409)},
    summary="Approve the folder: every page approved or confirmed blank, every unsure "
    "document field confirmed (archivist)",
)
def approve_folder(request: Request, user: CheckedUser, id: Id) -> FolderOut:
    profiles = security.settings_of(request).profiles_dir
    return folder_out(rules.approve_folder(store_of(request), user, id, profiles_dir=profiles))


@router.post(
    "/folders/{id}/reopen",
    response_model=FolderOut,
    responses={k: ERRORS[k] for k in (401, 403, 404, 409)},
    summary="Take an approval back, to change the folder again (archivist)",
)
def reopen_folder(request: Request, user: CheckedUser, id: Id) -> FolderOut:
    return folder_out(rules.reopen_folder(store_of(request), user, id))


@router.post(
    "/folders/{id}/approve-unflagged",
    response_model=list[PageOut],
    responses={k: ERRORS[k] for k in (401, 403, 404, 409)},
    summary="Approve every undecided page the machine found nothing wrong with",
)
def approve_unflagged(request: Request, user: CheckedUser, id: Id) -> list[PageOut]:
    store = store_of(request)
    pages = rules.approve_unflagged(store, user, id)
    folder = rules.find_folder(store, user, id)
    return [page_out(p, folder) for p in pages]


@router.put(
    "/folders/{id}/order",
    response_model=list[PageOut],
    responses={k: ERRORS[k] for k in (401, 403, 404, 409, 422)},
    summary="Put the folder's pages in a new order (each page id once)",
)
def order_folder(request: Request, user: CheckedUser, id: Id, order: OrderIn) -> list[PageOut]:
    store = store_of(request)
    pages = rules.reorder(store, user, id, order.page_ids)
    folder = rules.find_folder(store, user, id)
    return [page_out(p, folder) for p in pages]


@router.get("/boxes", response_model=list[BoxProgress], responses={401: ERRORS[401]})
def boxes(request: Request, user: CurrentUser) -> list[BoxProgress]:
    """Review progress per box of the manifest: folders by review state."""
    rules.require_role(user, "reviewer", N_("the review queue"))
    return [
        BoxProgress(fonds_code=fonds, box_no=box, folders=sum(states.values()), states=states)
        for fonds, box, states in store_of(request).box_progress(
            auth.visible_levels(user.clearance)
        )
    ]


# --- documents (văn bản) -------------------------------------------------------------------

DocumentId = Annotated[int, PathParam(ge=1, le=2**62, description="The `id` of the document")]
FieldName = Annotated[
    str, PathParam(max_length=40, pattern=r"^[a-z_]+$", description=", ".join(FIELDS))
]
CROP_LONG_SIDE = 900  # pixels: a field's region, readable on a phone and in the side panel
CROP_MARGIN = 0.25  # of the box's height, around it, so that the context shows


def _threshold(request: Request, folder: Folder) -> float:
    return review_documents.threshold(folder, security.settings_of(request).profiles_dir)


@router.get(
    "/folders/{id}/documents",
    response_model=list[DocumentOut],
    responses={k: ERRORS[k] for k in (401, 403, 404)},
    summary="The folder's documents (văn bản) in order, with their fields and pages",
)
def folder_documents(request: Request, user: CurrentUser, id: Id) -> list[DocumentOut]:
    store = store_of(request)
    folder, found = review_documents.folder_documents(store, user, id)
    limit = _threshold(request, folder)
    return [document_out(d, folder, pages, limit) for d, pages in found]


@router.post(
    "/folders/{id}/documents/confirm-confident",
    response_model=list[DocumentOut],
    responses={k: ERRORS[k] for k in (401, 403, 404, 409)},
    summary="Confirm every document whose fields were all read at or above the threshold",
)
def confirm_confident(request: Request, user: CheckedUser, id: Id) -> list[DocumentOut]:
    store, profiles = store_of(request), security.settings_of(request).profiles_dir
    done = review_documents.confirm_confident(store, user, id, profiles_dir=profiles)
    return [document_answer(request, user, d) for d in done]


@router.post(
    "/folders/{id}/documents/split",
    response_model=list[DocumentOut],
    responses={k: ERRORS[k] for k in (401, 403, 404, 409, 422)},
    summary="Start a new document at this page (it and the pages after it in its document)",
)
def split_document(request: Request, user: CheckedUser, id: Id, body: SplitIn) -> list[DocumentOut]:
    store = store_of(request)
    review_documents.split(store, user, id, body.page_id)
    return folder_documents(request, user, id)


@router.post(
    "/folders/{id}/documents/merge",
    response_model=list[DocumentOut],
    responses={k: ERRORS[k] for k in (401, 403, 404, 409, 422)},
    summary="Merge the document into the one before it",
)
def merge_document(request: Request, user: CheckedUser, id: Id, body: MergeIn) -> list[DocumentOut]:
    store = store_of(request)
    review_documents.merge(store, user, id, body.document_id)
    return folder_documents(request, user, id)


@router.patch(
    "/documents/{id}",
    response_model=DocumentOut,
    responses={k: ERRORS[k] for k in (401, 403, 404, 409, 422)},
    summary="Correct fields of a document: each becomes the reviewer's, checked",
)
def edit_document(
    request: Request, user: CheckedUser, id: DocumentId, edit: DocumentEdit
) -> DocumentOut:
    changes = edit.model_dump(exclude_unset=True)
    document = review_documents.edit_fields(store_of(request), user, id, changes)
    return document_answer(request, user, document)


@router.post(
    "/documents/{id}/confirm",
    response_model=DocumentOut,
    responses={k: ERRORS[k] for k in (401, 403, 404, 409)},
    summary="Confirm the document: every field counts as checked",
)
def confirm_document(request: Request, user: CheckedUser, id: DocumentId) -> DocumentOut:
    profiles = security.settings_of(request).profiles_dir
    document = review_documents.confirm(store_of(request), user, id, profiles_dir=profiles)
    return document_answer(request, user, document)


@router.post(
    "/documents/{id}/secrecy",
    response_model=DocumentOut,
    responses={k: ERRORS[k] for k in (401, 403, 404, 409, 422)},
    summary="Lower a false alarm or raise the document's secrecy level, with a reason",
)
def document_secrecy(
    request: Request, user: CheckedUser, id: DocumentId, body: DocumentSecrecyIn
) -> DocumentOut:
    store = store_of(request)
    document = review_documents.change_secrecy(store, user, id, body.level, body.reason)
    return document_answer(request, user, document)


@router.get(
    "/documents/{id}/history",
    response_model=list[EventOut],
    responses={k: ERRORS[k] for k in (401, 403, 404)},
)
def document_history(request: Request, user: CurrentUser, id: DocumentId) -> list[EventOut]:
    """Found, edited, split, merged, confirmed, declassified: who, when, before and after."""
    return [event_out(e) for e in review_documents.history(store_of(request), user, id)]


@router.get(
    "/documents/{id}/fields/{name}/crop",
    response_class=Response,
    responses={200: {"content": {"image/jpeg": {}}}, **{k: ERRORS[k] for k in (401, 403, 404)}},
    summary="The region of its page a field was read from, as JPEG",
)
def field_crop(request: Request, user: CurrentUser, id: DocumentId, name: FieldName) -> Response:
    """Cut from the cleaned page image (or its preview, scaled, when the image is gone); by
    document and field only, never by path, and only for who may see the page."""
    store = store_of(request)
    page, box = review_documents.field_region(store, user, id, name)
    store.record_view(user.username, document_id=id, folder_id=page.folder_id, what="document")
    data_dir = security.settings_of(request).data_dir.resolve()
    jpeg = crop_jpeg(page, box, data_dir)
    return Response(jpeg, media_type="image/jpeg", headers={"Cache-Control": IMAGE_CACHE})


IMAGE_CACHE = "private, max-age=3600"  # the URL changes (?v=page-box) when the region does


def crop_jpeg(page: Page, box: Box, data_dir: Path) -> bytes:
    """A field's region with some margin, turned as the reviewer turned the page."""
    source, scaled = None, False
    image, preview = page.derivatives.get("image"), page.derivatives.get("preview")
    if image and _inside(Path(image), data_dir):
        source = Path(image).resolve()
    elif preview and _inside(Path(preview), data_dir):
        source, scaled = Path(preview).resolve(), True
    if source is None:
        raise NotFoundError(_("Page %(id)s has no image to cut the field from", id=page.id))
    with Image.open(source) as opened:
        # the preview is the cleaned page made smaller (its width is near the page's)
        scale = opened.width / max(1, page.width_px or opened.width) if scaled else 1.0
        left, top, right, bottom = (round(v * scale) for v in box)
        margin = round(max(4, (bottom - top) * CROP_MARGIN))
        region = (
            max(0, min(left, right) - margin),
            max(0, min(top, bottom) - margin),
            min(opened.width, max(left, right) + margin),
            min(opened.height, max(top, bottom) + margin),
        )
        if region[2] <= region[0] or region[3] <= region[1]:
            raise NotFoundError(_("The region of this field lies outside page %(id)s", id=page.id))
        picture = opened.crop(region)
        picture = picture.convert("L" if opened.mode in ("1", "L", "I;16", "I") else "RGB")
    if max(picture.size) > CROP_LONG_SIDE:
        picture.thumbnail((CROP_LONG_SIDE, CROP_LONG_SIDE), Image.Resampling.LANCZOS)
    turns = {90: Image.Transpose.ROTATE_270, 180: Image.Transpose.ROTATE_180,
             270: Image.Transpose.ROTATE_90}  # fmt: skip
    if page.turn % 360 in turns:
        picture = picture.transpose(turns[page.turn % 360])
    buffer = io.BytesIO()
    picture.save(buffer, format="JPEG", quality=85)
    return buffer.getvalue()


def _inside(path: Path, data_dir: Path) -> bool:
    resolved = path.resolve()
    return resolved.is_relative_to(data_dir) and resolved.is_file()


# --- pages ------------------------------------------------------------------------------------


@router.get("/pages/{id}", response_model=PageOut, responses={401: ERRORS[401], 404: ERRORS[404]})
def get_page(request: Request, user: CurrentUser, id: Id) -> PageOut:
    rules.require_role(user, "reviewer", N_("opening pages"))
    page, folder = rules.find_page(store_of(request), user, id)
    return page_out(page, folder)


@router.get(
    "/pages/{id}/text", response_model=PageText, responses={401: ERRORS[401], 404: ERRORS[404]}
)
def get_page_text(request: Request, user: CurrentUser, id: Id) -> PageText:
    """The OCR text line by line, each word with Tesseract's confidence."""
    rules.require_role(user, "reviewer", N_("opening pages"))
    page, _ = rules.find_page(store_of(request), user, id)
    return page_text(page)


@router.post(
    "/pages/{id}/decision",
    response_model=PageOut,
    responses={k: ERRORS[k] for k in (401, 403, 404, 409, 422)},
    summary="Approve, reject (with a reason) or confirm blank; `undecided` takes it back",
)
def decide(request: Request, user: CheckedUser, id: Id, body: DecisionIn) -> PageOut:
    store = store_of(request)
    if body.decision == "undecided":
        page = rules.undo_decision(store, user, id)
    else:
        page = rules.decide(store, user, id, body.decision, body.reason)
    return page_answer(store, page)


@router.post(
    "/pages/{id}/turn",
    response_model=PageOut,
    responses={k: ERRORS[k] for k in (401, 403, 404, 409, 422)},
    summary="Turn the page clockwise",
)
def turn(request: Request, user: CheckedUser, id: Id, body: TurnIn) -> PageOut:
    store = store_of(request)
    page = rules.turn_page(store, user, id, body.degrees)
    return page_answer(store, page)


@router.post(
    "/pages/{id}/move",
    response_model=PageOut,
    responses={k: ERRORS[k] for k in (401, 403, 404, 409, 422)},
    summary="Move the page to a position, in its folder or in another",
)
def move(request: Request, user: CheckedUser, id: Id, body: MoveIn) -> PageOut:
    store = store_of(request)
    page = rules.move_page(store, user, id, position=body.position, to_folder=body.folder)
    return page_answer(store, page)


@router.post(
    "/pages/{id}/secrecy",
    response_model=PageOut,
    responses={k: ERRORS[k] for k in (401, 403, 404, 409, 422)},
    summary="Mark the page Mật, Tối mật or Tuyệt mật (or clear the mark)",
)
def secrecy(request: Request, user: CheckedUser, id: Id, body: SecrecyIn) -> PageOut:
    store = store_of(request)
    page = rules.mark_secrecy(store, user, id, body.secrecy)
    return page_answer(store, page)


@router.post(
    "/pages/{id}/undo-separator",
    response_model=PageOut,
    responses={k: ERRORS[k] for k in (401, 403, 404, 409)},
    summary="Not a separator sheet after all: run it again as a page of the document",
)
def undo_separator(request: Request, user: CheckedUser, id: Id) -> PageOut:
    store, settings = store_of(request), security.settings_of(request)
    page = rules.undo_separator(
        store, user, id, lambda page_id: runner.reprocess_page(store, settings, page_id)
    )
    return page_answer(store, page)


class BatchActivity(BaseModel):
    id: int
    name: str
    profile: str
    state: str = Field(description="processing, done, done_with_failures")
    operator: str | None
    started_at: datetime.datetime
    finished_at: datetime.datetime | None
    pages: dict[str, int] = Field(description="pages per state: queued, ok, failed")


@router.get("/activity", response_model=list[BatchActivity], responses={401: ERRORS[401]})
def activity(
    request: Request, user: CurrentUser, limit: Annotated[int, Query(ge=1, le=200)] = 20
) -> list[BatchActivity]:
    """Batches being processed and the latest finished, with live page counts (operators see
    their own)."""
    rules.require_role(user, "operator", N_("batches"))
    store = store_of(request)
    own = user.username if user.role == "operator" else None
    batches = store.recent_batches(limit, operator=own)
    counts = store.batch_page_counts([b.id for b in batches if b.id is not None])
    return [
        BatchActivity(
            id=b.id,
            name=b.name,
            profile=b.profile,
            state=b.state,
            operator=b.operator,
            started_at=b.started_at,
            finished_at=b.finished_at,
            pages=counts.get(b.id, {}),
        )
        for b in batches
        if b.id is not None
    ]


class QueueDepth(BaseModel):
    todo: int = Field(description="jobs waiting")
    doing: int = Field(description="jobs running")


class QueueStatus(BaseModel):
    queues: dict[str, QueueDepth] = Field(description="by queue: pages, batches, upkeep")
    live_workers: int = Field(description="worker processes that beat recently")


class WorkStatus(BaseModel):
    window_minutes: int
    pages_per_minute: dict[str, float] = Field(
        description="pages each worker (or machine) recorded per minute over the window"
    )
    queue: QueueStatus | None = Field(
        default=None, description="distributed mode only (a PostgreSQL database)"
    )


@router.get("/work", response_model=WorkStatus, responses={401: ERRORS[401]})
def work(request: Request, user: CurrentUser) -> WorkStatus:
    """Who processes pages and how fast: pages per minute per worker, and in distributed
    mode the queue's depth and the live workers."""
    rules.require_role(user, "operator", N_("the work status"))
    status = work_status(store_of(request), security.settings_of(request))
    return WorkStatus.model_validate(status)


class ExportIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    format: Literal["bagit", "archivematica", "atom-csv"]


class ExportOut(BaseModel):
    folders: list[str]
    format: str
    path: str
    version: int
    unchanged: bool
    pages: int
    bytes: int


@router.post(
    "/folders/{id}/export",
    response_model=ExportOut,
    responses={k: ERRORS[k] for k in (401, 403, 404, 409)},
    summary="Export the approved folder into the station's export folder (archivist)",
)
def export_folder(request: Request, user: CheckedUser, id: Id, body: ExportIn) -> ExportOut:
    """Checked here (role, clearance, approval), then written by `station export` in its own
    process: bagit works by changing the working directory, which this server must not."""
    store, settings = store_of(request), security.settings_of(request)
    rules.require_role(user, "archivist", N_("exporting"))
    folder = rules.find_folder(store, user, id)
    packages.gather(store, user, folder.folder_id)
    command = [
        sys.executable, "-m", "station", "export", "--format", body.format,
        "--folder", folder.folder_id, "--out", str(settings.export_dir.resolve()),
        "--as", user.username, "--json",
    ]  # fmt: skip
    # The export speaks the asking user's language (its errors become this answer's detail).
    environment = os.environ | {"STATION_LANGUAGE": i18n.current()}
    done = subprocess.run(command, capture_output=True, text=True, check=False, env=environment)
    if done.returncode != 0:
        said = done.stderr.strip()
        message = said.removeprefix("Error:").removeprefix(_("Error:")).strip()
        message = message or _("the export failed")
        if done.returncode == ExitCode.REFUSED:
            raise ConflictError(message)
        raise OutputError(message)
    (written,) = json.loads(done.stdout)
    return ExportOut(**written)


# --- the rescan list --------------------------------------------------------------------------


@router.get("/rescan", response_model=list[RescanOut], responses={401: ERRORS[401]})
def rescan(request: Request, user: CurrentUser) -> list[RescanOut]:
    """Rejected pages waiting for a rescan (operators print slips from it)."""
    return [rescan_out(entry) for entry in rules.rescan_list(store_of(request), user)]


def rescan_out(entry: rules.RescanEntry) -> RescanOut:
    return RescanOut(
        page=page_out(entry.page, entry.folder),
        folder_title=entry.folder.title if entry.folder else "",
        box_no=entry.folder.box_no if entry.folder else "",
        batch=entry.batch_name,
        reason_label=entry.reason_label,
    )


# --- search (issue 14) ---------------------------------------------------------------------------


class SearchHitOut(BaseModel):
    kind: Literal["folder", "document", "page"]
    id: int | str
    folder_id: str
    document: str | None = Field(description="The document's archival code, where known")
    page_id: int | None = Field(description="The page to open")
    title: str
    snippet: str = Field(description="HTML-safe: the text escaped, the matched words in <mark>")
    score: float


class SearchOut(BaseModel):
    results: list[SearchHitOut]
    total: int = Field(description="Every match the user may see")


@router.get("/search", response_model=SearchOut, responses={k: ERRORS[k] for k in (401, 422)})
def search(
    request: Request,
    user: CurrentUser,
    q: Annotated[str, Query(min_length=1, max_length=500, description="Words, phrase, id")],
    fonds: Annotated[str | None, Query(max_length=200)] = None,
    box: Annotated[str | None, Query(max_length=200)] = None,
    type: Annotated[str | None, Query(max_length=200, description="Tên loại văn bản")] = None,
    date_from: Annotated[datetime.date | None, Query(alias="from")] = None,
    date_to: Annotated[datetime.date | None, Query(alias="to")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 20,
    offset: Annotated[int, Query(ge=0, le=100_000)] = 0,
) -> dict[str, Any]:
    """Folders, documents and pages' text the user may see (secrecy inside the query)."""
    from station.search import SearchRequest

    found = store_of(request).search(
        SearchRequest(
            unicodedata.normalize("NFC", q), clearance=user.clearance, fonds=fonds, box=box,
            document_type=type, date_from=date_from, date_to=date_to, limit=limit,
            offset=offset,
        )
    )  # fmt: skip
    return found.to_json()
