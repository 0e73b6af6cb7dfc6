"""The tables: batches, pages, folders (hồ sơ), users, log-in sessions, exports, events.

SQLModel classes only; the queries live beside them by concern (`station.store.*`).
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    Index,
    Integer,
    TypeDecorator,
    UniqueConstraint,
    false,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeEngine
from sqlmodel import Field, SQLModel


class Id(TypeDecorator[int]):
    """Row ids and references to them: INTEGER columns, as the migrations made them (SQLite's
    are 64-bit anyway, and its INTEGER PRIMARY KEY numbers the rows), compared as BIGINT on
    PostgreSQL, so that an id from outside (a URL, a rescan slip's QR code) beyond 2**31 is
    "no such row" there instead of "integer out of range"."""

    impl = Integer
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        return dialect.type_descriptor(BigInteger() if dialect.name == "postgresql" else Integer())


def utcnow() -> datetime:
    return datetime.now(UTC)


class Batch(SQLModel, table=True):
    """One run over a folder of scans."""

    id: int | None = Field(default=None, primary_key=True, sa_type=Id)
    name: str = Field(index=True)
    source_dir: str
    profile: str
    out_dir: str | None = None
    state: str = Field(default="processing", index=True)  # processing, done, failed
    pdf_path: str | None = None
    started_at: datetime = Field(default_factory=utcnow)
    finished_at: datetime | None = None
    origin: str = Field(
        default="cli", sa_column_kwargs={"server_default": "cli"}
    )  # cli (station process) or hotfolder (station watch)
    taken_in_at: datetime | None = None  # every original stored and its pages recorded
    operator: str | None = None  # from batch.done
    station_name: str | None = None
    # what the batch produced per folder: {folder_id: {"pdf": path, "pages": n}}
    folders: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))


class Page(SQLModel, table=True):
    """One page of a scanned file, with everything measured on it."""

    __table_args__ = (
        Index("ix_page_batch_state", "batch_id", "state"),
        Index("ix_page_folder_position", "folder_id", "position"),
        Index("ix_page_updated_at", "updated_at"),  # pages per worker over the last minutes
    )
    id: int | None = Field(default=None, primary_key=True, sa_type=Id)
    batch_id: int = Field(foreign_key="batch.id", sa_type=Id)  # indexed with state (0006)
    seq: int  # position in scan order within the batch
    source_file: str
    page_index: int = 0
    sha256: str = Field(index=True)
    master_path: str
    state: str = Field(default="queued", index=True)  # queued, ok, failed
    processed_by: str | None = None  # the machine, or the worker, that ran its pipeline
    attempts: int = Field(
        default=0, sa_column_kwargs={"server_default": "0"}
    )  # how many times a distributed worker started on it
    error: str | None = None
    error_code: str | None = None
    failed_stage: str | None = None
    dpi: float | None = None
    width_px: int | None = None
    height_px: int | None = None
    color_mode: str | None = None
    rotation: int | None = None
    skew_deg: float | None = None
    blank: bool = False
    blank_probability: float | None = None
    sharpness: float | None = None
    ocr_confidence: float | None = None
    ocr_word_count: int | None = None
    flags: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    timings: dict[str, float] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    derivatives: dict[str, str] = Field(
        default_factory=dict, sa_column=Column(JSON, nullable=False)
    )
    pdf_page: int | None = None
    folder_id: str | None = Field(default=None, index=True)  # manifest folder, or "unassigned"
    separator: str | None = None  # the folder id a separator sheet carries
    phash: str | None = None  # perceptual hash, to find double feeds
    # review (station.review.rules): place in the folder, the reviewer's decision and corrections
    position: int | None = None  # order within the folder, 1-based
    decision: str | None = Field(
        default=None, index=True
    )  # None (undecided), approve, reject, blank
    reason: str | None = None  # why a page was rejected (station.rules.REJECT_REASONS)
    decided_by: str | None = None
    decided_at: datetime | None = None
    turn: int = Field(
        default=0, sa_column_kwargs={"server_default": "0"}
    )  # degrees clockwise a reviewer turned the page, on top of `rotation`
    secrecy: str = Field(
        default="", sa_column_kwargs={"server_default": ""}
    )  # a level a reviewer marked on this page
    rescan_of: int | None = Field(default=None, sa_type=Id)  # a rescan slip: the page to replace
    replaced_by: int | None = Field(default=None, sa_type=Id)  # the rescan in its place
    # documents (văn bản, station.documents): what the page says, and which one it is part of
    reading: dict[str, Any] | None = Field(
        default=None, sa_column=Column(JSON, nullable=True)
    )  # station.documents.model.PageReading.to_json()
    document_id: int | None = Field(default=None, index=True, sa_type=Id)
    folder_label: str | None = None  # payload of another system's folder label (QR, Code 128)
    updated_at: datetime = Field(default_factory=utcnow)


class Folder(SQLModel, table=True):
    """A folder (hồ sơ) of the manifest, what scanning found of it, and where review stands."""

    folder_id: str = Field(primary_key=True)
    # short number for URLs: archival folder ids contain slashes
    id: int | None = Field(default=None, unique=True, index=True, sa_type=Id)
    fonds_code: str = ""
    catalogue_no: str = ""
    box_no: str = Field(default="", index=True)
    folder_no: str = ""
    title: str = ""
    start_date: date | None = None
    end_date: date | None = None
    retention_years: int | None = None  # None: permanent (Vĩnh viễn)
    access: str = ""
    sheet_count: int | None = None
    language: str = "vi"
    notes: str = ""
    physical_condition: str = ""
    secrecy: str = ""
    in_manifest: bool = True  # False for the "unassigned" holding folder
    state: str = "expected"  # expected, scanning, done, flagged
    pages_found: int = 0
    sheets_counted: int = 0
    flags: list[Any] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    pdf_path: str | None = None
    imported_at: datetime | None = None
    profile: str = Field(
        default="", sa_column_kwargs={"server_default": ""}
    )  # of the batch that brought its pages
    # kept by Store.refresh_review after every change, so the queue reads one table:
    review_state: str = Field(
        default="empty", index=True, sa_column_kwargs={"server_default": "empty"}
    )  # empty, to_review, rescan, ready, approved
    review_counts: dict[str, int] | None = Field(
        default=None, sa_column=Column(JSON, nullable=True)
    )  # pages, undecided, approve, reject, blank, separator
    page_flags: dict[str, int] | None = Field(
        default=None, sa_column=Column(JSON, nullable=True)
    )  # flag -> pages carrying it
    operators: list[str] | None = Field(
        default=None, sa_column=Column(JSON, nullable=True)
    )  # who fed the batches its pages came from (four eyes)
    approved_by: str | None = None
    approved_at: datetime | None = None
    updated_at: datetime = Field(default_factory=utcnow)


class Document(SQLModel, table=True):
    """A document (văn bản) found in a folder: its place, its fields, and where review stands.

    `fields` maps each field of station.documents.model.FIELDS to its reading (value,
    confidence, page and box it was read from, source). `secrecy` is the level in force
    (a stamp found, or a cleared reviewer's decision); its pages carry at least that level.
    """

    id: int | None = Field(default=None, primary_key=True, sa_type=Id)
    folder_id: str = Field(index=True)
    sequence: int  # số thứ tự văn bản trong hồ sơ, from 1
    fields: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    flags: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    boundary_confidence: float = Field(
        default=1.0, sa_column_kwargs={"server_default": "1"}
    )  # how sure the split is that this document starts here
    secrecy: str = Field(
        default="", sa_column_kwargs={"server_default": ""}
    )  # "", Mật, Tối mật, Tuyệt mật
    state: str = Field(
        default="unconfirmed", sa_column_kwargs={"server_default": "unconfirmed"}
    )  # unconfirmed, confirmed
    confirmed_by: str | None = None
    confirmed_at: datetime | None = None
    edited: bool = Field(
        default=False, sa_column_kwargs={"server_default": false()}
    )  # a reviewer changed a field, split or merged: keep it as it is
    pdf_path: str | None = None
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class User(SQLModel, table=True):
    """Someone who logs in: a role, a secrecy clearance and an Argon2 password hash."""

    id: int | None = Field(default=None, primary_key=True, sa_type=Id)
    username: str = Field(sa_column_kwargs={"unique": True})
    role: str  # operator, reviewer, archivist, admin (station.auth.ROLES)
    clearance: str = ""  # "", Mật, Tối mật, Tuyệt mật (station.auth.CLEARANCES)
    # en, vi, or "": the browser's choice, else STATION_LANGUAGE (station.i18n.negotiate)
    language: str = Field(default="", sa_column_kwargs={"server_default": ""})
    password_hash: str
    disabled: bool = False
    failed_logins: int = 0
    locked_until: datetime | None = None
    created_at: datetime = Field(default_factory=utcnow)


class LoginSession(SQLModel, table=True):
    """A log-in to the review app: the cookie holds the token, the table only its hash."""

    __tablename__ = "login_session"

    token_hash: str = Field(primary_key=True)
    user_id: int = Field(foreign_key="user.id", index=True, sa_type=Id)
    csrf_token: str
    created_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime


class ExportVersion(SQLModel, table=True):
    """Which content of a folder was exported as which version, and when (first)."""

    __tablename__ = "export_version"
    __table_args__ = (
        UniqueConstraint("folder_id", "digest", name="uq_export_version_folder_digest"),
    )

    id: int | None = Field(default=None, primary_key=True, sa_type=Id)
    folder_id: str = Field(index=True)
    digest: str
    version: int
    created_at: datetime = Field(default_factory=utcnow)
    created_by: str


class Intake(SQLModel, table=True):
    """The exactly-once ledger: every original taken in, by content hash."""

    sha256: str = Field(primary_key=True)
    batch_id: int = Field(foreign_key="batch.id", index=True, sa_type=Id)
    source_file: str
    at: datetime = Field(default_factory=utcnow)


class Event(SQLModel, table=True):
    """What happened to a page or batch, when, by which stage and tool version."""

    # The audit page's filters, newest first: by user, by action, by time.
    __table_args__ = (
        Index("ix_event_agent_id", "agent", "id"),
        Index("ix_event_stage_id", "stage", "id"),
        Index("ix_event_at", "at"),
    )

    id: int | None = Field(default=None, primary_key=True, sa_type=Id)
    batch_id: int | None = Field(default=None, foreign_key="batch.id", index=True, sa_type=Id)
    page_id: int | None = Field(default=None, foreign_key="page.id", index=True, sa_type=Id)
    folder_id: str | None = Field(default=None, index=True)
    document_id: int | None = Field(default=None, index=True, sa_type=Id)
    at: datetime = Field(default_factory=utcnow)
    stage: str
    outcome: str  # ok, failed, skipped, refused
    detail: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    agent: str = "station"
    tool: str | None = None
    tool_version: str | None = None


def to_json_safe(value: Any) -> Any:
    """Event details are JSON: paths and numpy numbers become plain values."""
    return json.loads(json.dumps(value, default=str))


# What the statistics group pages on; a page_tally row counts the pages of one such key.
PAGE_TALLY_KEY = (
    "batch_id",
    "folder_id",
    "state",
    "error_code",
    "decision",
    "reason",
    "decided_by",
    "decided_day",
    "rescan",
)


class PageTally(SQLModel, table=True):
    """Pages counted by what the statistics group them on (issue 13): a rollup kept by
    station.store.stats in the same flush as every page write, so `/stats` sums about
    20,000 rows instead of scanning 1,000,000 pages. Text keys are "" rather than NULL
    (a unique key never matches NULLs)."""

    __tablename__ = "page_tally"
    __table_args__ = (UniqueConstraint(*PAGE_TALLY_KEY, name="uq_page_tally_key"),)

    id: int | None = Field(default=None, primary_key=True, sa_type=Id)
    batch_id: int = Field(sa_type=Id)
    folder_id: str = ""
    state: str = ""
    error_code: str = ""
    decision: str = ""
    reason: str = ""
    decided_by: str = ""
    decided_day: str = ""  # YYYY-MM-DD (UTC) of decided_at, "" when undecided
    rescan: int = 0  # 1: the page is a rescan slip's page (rescan_of set)
    pages: int = 0


class ReviewTime(SQLModel, table=True):
    """A reviewer's active review time per day: the gaps under ten minutes between their
    consecutive decisions, added as each decision is recorded (station.store.stats)."""

    __tablename__ = "review_time"

    reviewer: str = Field(primary_key=True)
    day: str = Field(primary_key=True)  # YYYY-MM-DD (UTC)
    active_s: float = 0.0
    last_at: datetime | None = None  # the reviewer's latest decision that day


class SearchEntry(SQLModel, table=True):
    """A folder, a document or a page as the search finds it (station.store.search).

    `folded` and `exact_text` are the words of `body` (station.search.text: without and
    with diacritics), space-separated, so that SQLite FTS5 (the `search_fts` table) and
    PostgreSQL's full-text search (expression indexes) tokenize them alike; `folded` ends with
    the folder's fonds and box as words (station.search.query.facets), for the filters. Who
    may see an entry is decided at query time from its folder, document and page, never
    stored here.
    """

    __tablename__ = "search_entry"
    __table_args__ = (UniqueConstraint("kind", "ref", name="uq_search_entry_ref"),)

    id: int | None = Field(default=None, primary_key=True, sa_type=Id)
    kind: str  # folder, document, page
    ref: str  # the folder's folder_id, the document's or the page's id
    folder_id: str = Field(default="", index=True)  # kept in step with the page's (0012)
    document_id: int | None = Field(default=None, sa_type=Id)
    page_id: int | None = Field(default=None, index=True, sa_type=Id)
    body: str = ""  # the text as written, for snippets
    folded: str = ""
    exact_text: str = ""
