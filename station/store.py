"""All database access: the tables, the migrations on open, and the named queries.

SQLite in the data directory by default, any SQLAlchemy URL (PostgreSQL) when one
machine is outgrown. The schema is owned by Alembic migrations (station/migrations),
applied automatically when a store is opened.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import JSON, Column, event, func, inspect, text
from sqlalchemy import select as sa_select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import defer
from sqlmodel import Field, Session, SQLModel, col, create_engine, select

from station.errors import BadArgumentError, ConfigError
from station.manifest import ManifestFolder, number_key

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def utcnow() -> datetime:
    return datetime.now(UTC)


class Batch(SQLModel, table=True):
    """One run over a folder of scans."""

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(index=True)
    source_dir: str
    profile: str
    out_dir: str | None = None
    state: str = Field(default="processing", index=True)  # processing, done, failed
    pdf_path: str | None = None
    started_at: datetime = Field(default_factory=utcnow)
    finished_at: datetime | None = None
    origin: str = "cli"  # cli (station process) or hotfolder (station watch)
    operator: str | None = None  # from batch.done
    station_name: str | None = None
    # what the batch produced per folder: {folder_id: {"pdf": path, "pages": n}}
    folders: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))


class Page(SQLModel, table=True):
    """One page of a scanned file, with everything measured on it."""

    id: int | None = Field(default=None, primary_key=True)
    batch_id: int = Field(foreign_key="batch.id")  # indexed with state (migration 0006)
    seq: int  # position in scan order within the batch
    source_file: str
    page_index: int = 0
    sha256: str = Field(index=True)
    master_path: str
    state: str = Field(default="queued", index=True)  # queued, ok, failed
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
    # review (station.review): place in the folder, the reviewer's decision and corrections
    position: int | None = None  # order within the folder, 1-based
    decision: str | None = None  # None (undecided), approve, reject, blank
    reason: str | None = None  # why a page was rejected (station.review.REJECT_REASONS)
    decided_by: str | None = None
    decided_at: datetime | None = None
    turn: int = 0  # degrees clockwise a reviewer turned the page, on top of `rotation`
    secrecy: str = ""  # a secrecy level a reviewer marked on this page
    rescan_of: int | None = None  # on a rescan slip: the page it asks to replace
    replaced_by: int | None = None  # a rescanned page that took this one's place
    updated_at: datetime = Field(default_factory=utcnow)


class Folder(SQLModel, table=True):
    """A folder (hồ sơ) of the manifest, what scanning found of it, and where review stands."""

    folder_id: str = Field(primary_key=True)
    # short number for URLs: archival folder ids contain slashes
    id: int | None = Field(default=None, sa_column_kwargs={"unique": True})
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
    profile: str = ""  # of the batch that brought its pages
    # kept by Store.refresh_review after every change, so the queue reads one table:
    review_state: str = "empty"  # empty, to_review, rescan, ready, approved
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


class User(SQLModel, table=True):
    """Someone who logs in: a role, a secrecy clearance and an Argon2 password hash."""

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(sa_column_kwargs={"unique": True})
    role: str  # operator, reviewer, archivist, admin (station.auth.ROLES)
    clearance: str = ""  # "", Mật, Tối mật, Tuyệt mật (station.auth.CLEARANCES)
    password_hash: str
    disabled: bool = False
    failed_logins: int = 0
    locked_until: datetime | None = None
    created_at: datetime = Field(default_factory=utcnow)


class LoginSession(SQLModel, table=True):
    """A log-in to the review app: the cookie holds the token, the table only its hash."""

    __tablename__ = "login_session"

    token_hash: str = Field(primary_key=True)
    user_id: int = Field(foreign_key="user.id", index=True)
    csrf_token: str
    created_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime


class ExportVersion(SQLModel, table=True):
    """Which content of a folder was exported as which version, and when (first)."""

    __tablename__ = "export_version"

    id: int | None = Field(default=None, primary_key=True)
    folder_id: str = Field(index=True)
    digest: str
    version: int
    created_at: datetime = Field(default_factory=utcnow)
    created_by: str


class Intake(SQLModel, table=True):
    """The exactly-once ledger: every original taken in, by content hash."""

    sha256: str = Field(primary_key=True)
    batch_id: int = Field(foreign_key="batch.id", index=True)
    source_file: str
    at: datetime = Field(default_factory=utcnow)


class Event(SQLModel, table=True):
    """What happened to a page or batch, when, by which stage and tool version."""

    id: int | None = Field(default=None, primary_key=True)
    batch_id: int | None = Field(default=None, foreign_key="batch.id", index=True)
    page_id: int | None = Field(default=None, foreign_key="page.id", index=True)
    folder_id: str | None = Field(default=None, index=True)
    at: datetime = Field(default_factory=utcnow)
    stage: str
    outcome: str  # ok, failed, skipped
    detail: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    agent: str = "station"
    tool: str | None = None
    tool_version: str | None = None


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")  # readers (the QA app) never block the runner
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True)


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest migration (idempotent).

    The usual case, a schema already current, is answered by one query: importing Alembic
    alone costs a quarter of a second on every command.
    """
    if _schema_version(engine) == HEAD_REVISION:
        return
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


# Migrations are named <revision>_<what>.py with revision ids 0001, 0002...: the newest file
# names the head.
HEAD_REVISION = max(p.name.split("_", 1)[0] for p in (MIGRATIONS / "versions").glob("[0-9]*_*.py"))


def _schema_version(engine: Engine) -> str | None:
    with engine.connect() as connection:
        if not inspect(connection).has_table("alembic_version"):
            return None
        version = connection.execute(text("select version_num from alembic_version")).scalar()
        return str(version) if version is not None else None


class Store:
    """The station's database; every query the rest of the code needs is a method here."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @classmethod
    def open(cls, database_url: str) -> Store:
        try:
            engine = make_engine(database_url)
            migrate(engine)
        except Exception as exc:
            raise ConfigError(f"Cannot open the database {database_url}: {exc}") from exc
        return cls(engine)

    @contextmanager
    def session(self) -> Iterator[Session]:
        with Session(self.engine, expire_on_commit=False) as session:
            yield session
            session.commit()

    # --- batches ---

    def create_batch(self, name: str, source_dir: Path, profile: str, out_dir: Path | None) -> int:
        with self.session() as s:
            batch = Batch(
                name=name,
                source_dir=str(source_dir),
                profile=profile,
                out_dir=str(out_dir) if out_dir else None,
            )
            s.add(batch)
            s.flush()
            assert batch.id is not None
            return batch.id

    def finish_batch(self, batch_id: int, *, state: str, pdf_path: Path | None) -> None:
        with self.session() as s:
            batch = s.get(Batch, batch_id)
            assert batch is not None
            batch.state, batch.finished_at = state, utcnow()
            batch.pdf_path = str(pdf_path) if pdf_path else None

    def get_batch(self, batch_id: int) -> Batch | None:
        with self.session() as s:
            return s.get(Batch, batch_id)

    # --- pages ---

    def add_page(
        self,
        batch_id: int,
        *,
        seq: int,
        source_file: str,
        page_index: int,
        sha256: str,
        master_path: Path,
    ) -> int:
        with self.session() as s:
            page = Page(
                batch_id=batch_id,
                seq=seq,
                source_file=source_file,
                page_index=page_index,
                sha256=sha256,
                master_path=str(master_path),
            )
            s.add(page)
            s.flush()
            assert page.id is not None
            return page.id

    def update_page(self, page_id: int, **values: Any) -> None:
        with self.session() as s:
            page = s.get(Page, page_id)
            assert page is not None
            _assign(page, values)

    def pages_of_batch(self, batch_id: int) -> list[Page]:
        with self.session() as s:
            return list(
                s.exec(select(Page).where(Page.batch_id == batch_id).order_by(col(Page.seq)))
            )

    # --- events ---

    def add_events(self, events: list[Event]) -> None:
        with self.session() as s:
            s.add_all(events)

    def events_of_page(self, page_id: int) -> list[Event]:
        with self.session() as s:
            return list(
                s.exec(select(Event).where(Event.page_id == page_id).order_by(col(Event.id)))
            )

    def find_batches(self, name: str | None = None) -> list[Batch]:
        with self.session() as s:
            query = select(Batch).order_by(col(Batch.id))
            if name is not None:
                query = query.where(Batch.name == name)
            return list(s.exec(query))

    def unfinished_batches(self, origin: str | None = None) -> list[Batch]:
        """Batches a crash or a power cut left in the middle, to resume."""
        with self.session() as s:
            query = select(Batch).where(Batch.state == "processing").order_by(col(Batch.id))
            if origin is not None:
                query = query.where(Batch.origin == origin)
            return list(s.exec(query))

    def set_batch_source(
        self,
        batch_id: int,
        *,
        source_dir: Path,
        operator: str | None,
        station_name: str | None,
        origin: str,
    ) -> None:
        with self.session() as s:
            batch = s.get(Batch, batch_id)
            assert batch is not None
            batch.source_dir, batch.origin = str(source_dir), origin
            batch.operator, batch.station_name = operator, station_name

    def set_batch_folders(self, batch_id: int, folders: dict[str, Any]) -> None:
        with self.session() as s:
            batch = s.get(Batch, batch_id)
            assert batch is not None
            batch.folders = folders

    # --- page queries ---

    def list_pages(
        self,
        *,
        batch_id: int | None = None,
        batch_name: str | None = None,
        folder_id: str | None = None,
    ) -> list[tuple[Page, str]]:
        """Pages with their batch name, in batch then scan order."""
        with self.session() as s:
            query = select(Page, Batch.name).join(Batch, col(Page.batch_id) == col(Batch.id))
            if batch_id is not None:
                query = query.where(Page.batch_id == batch_id)
            if batch_name is not None:
                query = query.where(Batch.name == batch_name)
            if folder_id is not None:
                query = query.where(Page.folder_id == folder_id)
            query = query.order_by(col(Page.batch_id), col(Page.seq))
            return [(page, name) for page, name in s.exec(query)]

    def pages_by_state(self) -> list[tuple[Batch, str, int, int]]:
        """(batch, page state, pages, flagged pages) for the status screen."""
        with self.session() as s:
            batches = {b.id: b for b in s.exec(select(Batch))}
            counts: dict[tuple[int, str], list[int]] = {}
            for batch_id, state, flags in s.exec(select(Page.batch_id, Page.state, Page.flags)):
                entry = counts.setdefault((batch_id, state), [0, 0])
                entry[0] += 1
                entry[1] += 1 if flags else 0
        return [
            (batches[batch_id], state, total, flagged)
            for (batch_id, state), (total, flagged) in sorted(counts.items())
        ]

    # --- the exactly-once ledger ---

    def taken_in(self, sha256s: list[str]) -> dict[str, int]:
        """Which of these originals were already taken in, and by which batch."""
        if not sha256s:
            return {}
        with self.session() as s:
            rows = s.exec(select(Intake).where(col(Intake.sha256).in_(sha256s)))
            return {row.sha256: row.batch_id for row in rows}

    def record_intake(self, sha256: str, batch_id: int, source_file: str) -> None:
        with self.session() as s:
            if s.get(Intake, sha256) is None:
                s.add(Intake(sha256=sha256, batch_id=batch_id, source_file=source_file))

    # --- folders (hồ sơ) ---

    def import_folders(self, folders: list[ManifestFolder], source: Path) -> ManifestImport:
        """Add new folders and update changed ones by folder id, recording every change."""
        summary = ManifestImport()
        now = utcnow()
        with self.session() as s:
            for folder in folders:
                values = _folder_values(folder)
                row = s.get(Folder, folder.folder_id)
                if row is None:
                    number = _next_folder_number(s)
                    s.add(Folder(**values, id=number, imported_at=now, updated_at=now))
                    s.flush()
                    summary.added.append(folder.folder_id)
                    continue
                changes = {
                    key: [_jsonable(getattr(row, key)), _jsonable(value)]
                    for key, value in values.items()
                    if getattr(row, key) != value
                }
                if not changes:
                    summary.unchanged.append(folder.folder_id)
                    continue
                for key, value in values.items():
                    setattr(row, key, value)
                row.imported_at = row.updated_at = now
                summary.changed[folder.folder_id] = changes
            s.add_all(
                Event(
                    folder_id=folder_id,
                    stage="manifest",
                    outcome="ok",
                    detail={"source": source.name, "action": action, **extra},
                )
                for folder_id, action, extra in [
                    *((f, "added", {}) for f in summary.added),
                    *((f, "changed", {"changes": c}) for f, c in summary.changed.items()),
                ]
            )
        return summary

    def get_folder(self, folder_id: str) -> Folder | None:
        with self.session() as s:
            return s.get(Folder, folder_id)

    def list_folders(self, box_no: str | None = None) -> list[Folder]:
        with self.session() as s:
            query = select(Folder)
            if box_no is not None:
                query = query.where(Folder.box_no == box_no)
            rows = list(s.exec(query))
        return sorted(rows, key=_folder_order)

    def manifest_folder_ids(self) -> set[str]:
        with self.session() as s:
            return set(s.exec(select(Folder.folder_id).where(col(Folder.in_manifest))))

    def ensure_holding_folder(self, folder_id: str, title: str) -> None:
        with self.session() as s:
            if s.get(Folder, folder_id) is None:
                s.add(
                    Folder(
                        folder_id=folder_id,
                        id=_next_folder_number(s),
                        title=title,
                        in_manifest=False,
                    )
                )

    def update_folder(self, folder_id: str, **values: Any) -> None:
        with self.session() as s:
            folder = s.get(Folder, folder_id)
            assert folder is not None
            _assign(folder, values)

    def events_of_folder(self, folder_id: str) -> list[Event]:
        with self.session() as s:
            return list(
                s.exec(select(Event).where(Event.folder_id == folder_id).order_by(col(Event.id)))
            )

    # --- users ---

    def add_user(self, username: str, *, role: str, clearance: str, password_hash: str) -> User:
        with self.session() as s:
            if s.exec(select(User).where(User.username == username)).first() is not None:
                raise BadArgumentError(f"A user named {username!r} already exists")
            user = User(
                username=username, role=role, clearance=clearance, password_hash=password_hash
            )
            s.add(user)
            s.add(
                Event(
                    stage="users",
                    outcome="ok",
                    detail={"action": "added", "username": username, "role": role,
                            "clearance": clearance},
                )
            )  # fmt: skip
            s.flush()
            return user

    def get_user(self, username: str) -> User | None:
        with self.session() as s:
            return s.exec(select(User).where(User.username == username)).first()

    def list_users(self) -> list[User]:
        with self.session() as s:
            return list(s.exec(select(User).order_by(col(User.username))))

    def set_user_disabled(self, username: str, disabled: bool) -> None:
        with self.session() as s:
            user = s.exec(select(User).where(User.username == username)).first()
            if user is None:
                raise BadArgumentError(f"No user named {username!r}")
            user.disabled = disabled
            s.add(
                Event(
                    stage="users",
                    outcome="ok",
                    detail={"action": "disabled" if disabled else "enabled", "username": username},
                )
            )


    # --- review (station.review decides; these record) ---

    def refresh_review(self, folder_id: str) -> None:
        with self.session() as s:
            _refresh_review(s, folder_id)

    def get_page(self, page_id: int) -> Page | None:
        with self.session() as s:
            return s.get(Page, page_id)

    def get_folder_by_number(self, number: int) -> Folder | None:
        with self.session() as s:
            return s.exec(select(Folder).where(Folder.id == number)).first()

    def folder_pages(self, folder_id: str) -> list[Page]:
        """The pages a folder holds now, in review order (replaced pages and slips left out)."""
        with self.session() as s:
            return list(s.exec(_current_pages(folder_id)))

    def batch_operators(self, batch_ids: set[int]) -> dict[int, str | None]:
        if not batch_ids:
            return {}
        with self.session() as s:
            rows = s.exec(select(Batch.id, Batch.operator).where(col(Batch.id).in_(batch_ids)))
            return {batch_id: operator for batch_id, operator in rows if batch_id is not None}

    def review_queue(
        self,
        *,
        states: tuple[str, ...],
        secrecy_levels: tuple[str, ...],
        profile: str | None = None,
        box_no: str | None = None,
        flag: str | None = None,
        offset: int = 0,
        limit: int | None = None,
    ) -> tuple[int, list[Folder]]:
        """(how many, the folders from offset to offset + limit) in shelf order, among those
        in these review states and secrecy levels (flag: the folder or its pages carry it).

        Only the sort keys of every matching folder are read; whole rows only for the slice
        shown, so a queue of tens of thousands of folders answers in tens of milliseconds.
        """
        with self.session() as s:
            keys: list[Any] = [
                col(Folder.folder_id),
                col(Folder.in_manifest),
                col(Folder.fonds_code),
                col(Folder.catalogue_no),
                col(Folder.box_no),
                col(Folder.folder_no),
            ]
            if flag:
                keys += [col(Folder.flags), col(Folder.page_flags)]
            query = sa_select(*keys).where(
                col(Folder.review_state).in_(states), col(Folder.secrecy).in_(secrecy_levels)
            )
            if profile:
                query = query.where(col(Folder.profile) == profile)
            if box_no:
                query = query.where(col(Folder.box_no) == box_no)
            rows = list(s.execute(query))
            if flag:
                rows = [r for r in rows if flag in _flag_codes(r[6], r[7], in_manifest=r[1])]
            rows.sort(
                key=lambda r: (not r[1], r[2], r[3], number_key(r[4]), number_key(r[5]))
            )
            chosen = [r[0] for r in rows[offset : None if limit is None else offset + limit]]
            found = {
                f.folder_id: f
                for f in s.exec(select(Folder).where(col(Folder.folder_id).in_(chosen)))
            }
        return len(rows), [found[folder_id] for folder_id in chosen]

    def box_progress(
        self, secrecy_levels: tuple[str, ...]
    ) -> list[tuple[str, str, dict[str, int]]]:
        """Per box of the manifest: (fonds, box, folders by review state), in shelf order,
        counting only folders of these secrecy levels."""
        with self.session() as s:
            rows = s.exec(
                select(Folder.fonds_code, Folder.box_no, Folder.review_state).where(
                    col(Folder.in_manifest), col(Folder.secrecy).in_(secrecy_levels)
                )
            )
            boxes: dict[tuple[str, str], dict[str, int]] = {}
            for fonds, box, state in rows:
                counts = boxes.setdefault((fonds, box), {})
                counts[state] = counts.get(state, 0) + 1
        return [
            (fonds, box, counts)
            for (fonds, box), counts in sorted(
                boxes.items(), key=lambda item: (item[0][0], number_key(item[0][1]))
            )
        ]

    def review_profiles(self) -> list[str]:
        with self.session() as s:
            return sorted({p for p in s.exec(select(Folder.profile).distinct()) if p})

    def change_page(self, page_id: int, event: Event, **values: Any) -> Page:
        """Record a reviewer's change to a page, its event, and the folder's new counts."""
        with self.session() as s:
            page = s.get(Page, page_id)
            assert page is not None
            before = page.folder_id
            _assign(page, values)
            s.add(event)
            s.flush()
            for folder_id in {before, page.folder_id}:
                if folder_id:
                    _refresh_review(s, folder_id)
            return page

    def change_folder(self, folder_id: str, event: Event, **values: Any) -> Folder:
        with self.session() as s:
            folder = s.get(Folder, folder_id)
            assert folder is not None
            _assign(folder, values)
            s.add(event)
            s.flush()
            _refresh_review(s, folder_id)
            return folder

    def order_pages(self, folder_id: str, page_ids: list[int], event: Event | None = None) -> None:
        """Give the folder's pages positions 1..n in this order."""
        with self.session() as s:
            pages = {p.id: p for p in s.exec(_current_pages(folder_id))}
            for position, page_id in enumerate(page_ids, start=1):
                pages[page_id].position = position
                pages[page_id].updated_at = utcnow()
            if event is not None:
                s.add(event)

    def next_position(self, folder_id: str) -> int:
        with self.session() as s:
            return _next_position(s, folder_id)

    def place_pages(self, folder_id: str, page_ids: list[int], profile: str) -> None:
        """Append newly scanned pages to a folder (in this order) and recount it."""
        with self.session() as s:
            position = _next_position(s, folder_id)
            for page_id in page_ids:
                page = s.get(Page, page_id)
                assert page is not None
                page.folder_id = folder_id
                if page.position is None:
                    page.position, position = position, position + 1
            folder = s.get(Folder, folder_id)
            if folder is not None:
                folder.profile = profile
                if folder.approved_at is not None and page_ids:
                    folder.approved_at = folder.approved_by = None  # new pages: review again
            s.flush()
            _refresh_review(s, folder_id)

    def replace_page(self, old_id: int, new_id: int, slip_id: int, events: list[Event]) -> None:
        """A rescanned page takes a rejected page's place; the old one stays, superseded."""
        with self.session() as s:
            old, new, slip = s.get(Page, old_id), s.get(Page, new_id), s.get(Page, slip_id)
            assert old is not None and new is not None and slip is not None
            new.folder_id, new.position = old.folder_id, old.position
            slip.folder_id = old.folder_id
            old.replaced_by = new_id
            for page in (old, new, slip):
                page.updated_at = utcnow()
            s.add_all(events)
            s.flush()
            if old.folder_id:
                _refresh_review(s, old.folder_id)

    def rescan_list(self) -> list[tuple[Page, Folder | None, str]]:
        """Rejected pages still waiting for their rescan: (page, folder, batch name).

        Each folder is loaded once (not once per rejected page), and the pages without their
        processing timings and file paths, which no list shows (reading them raises).
        """
        with self.session() as s:
            rows = list(
                s.exec(
                    select(Page, Batch.name)
                    .join(Batch, col(Page.batch_id) == col(Batch.id))
                    .join(Folder, col(Page.folder_id) == col(Folder.folder_id), isouter=True)
                    .where(Page.decision == "reject", col(Page.replaced_by).is_(None))
                    .order_by(col(Folder.box_no), col(Page.folder_id), col(Page.position))
                    .options(
                        defer(Page.timings, raiseload=True),  # type: ignore[arg-type]
                        defer(Page.derivatives, raiseload=True),  # type: ignore[arg-type]
                    )
                )
            )
            wanted = {page.folder_id for page, _ in rows if page.folder_id}
            folders = {
                f.folder_id: f
                for f in s.exec(select(Folder).where(col(Folder.folder_id).in_(wanted)))
            }
            return [
                (page, folders.get(page.folder_id) if page.folder_id else None, name)
                for page, name in rows
            ]

    def recent_batches(self, limit: int, operator: str | None = None) -> list[Batch]:
        """Batches still processing, then the latest others, newest first."""
        with self.session() as s:
            query = select(Batch).order_by(col(Batch.state) != "processing", col(Batch.id).desc())
            if operator is not None:
                query = query.where(Batch.operator == operator)
            return list(s.exec(query.limit(limit)))

    def batch_page_counts(self, batch_ids: list[int]) -> dict[int, dict[str, int]]:
        """Pages per processing state (queued, processing, ok, failed) of each batch."""
        if not batch_ids:
            return {}
        with self.session() as s:
            rows = s.exec(
                select(Page.batch_id, Page.state, func.count())
                .where(col(Page.batch_id).in_(batch_ids))
                .group_by(col(Page.batch_id), col(Page.state))
            )
            counts: dict[int, dict[str, int]] = {batch_id: {} for batch_id in batch_ids}
            for batch_id, state, n in rows:
                counts[batch_id][state] = n
            return counts

    def batches_fed_by(self, operator: str) -> list[Batch]:
        with self.session() as s:
            query = select(Batch).where(Batch.operator == operator).order_by(col(Batch.id).desc())
            return list(s.exec(query))

    # --- exports ---

    def export_version(self, folder_id: str, digest: str, by: str) -> tuple[int, datetime]:
        """The version this content of the folder has (a new one the first time it is seen)
        and the date it was first exported."""
        with self.session() as s:
            known = s.exec(
                select(ExportVersion).where(
                    ExportVersion.folder_id == folder_id, ExportVersion.digest == digest
                )
            ).first()
            if known is None:
                last = s.exec(
                    select(func.max(ExportVersion.version)).where(
                        ExportVersion.folder_id == folder_id
                    )
                ).one()
                known = ExportVersion(
                    folder_id=folder_id, digest=digest, version=(last or 0) + 1, created_by=by
                )
                s.add(known)
                s.flush()
            return known.version, known.created_at

    # --- log-in sessions ---

    def add_login_session(self, session: LoginSession) -> None:
        with self.session() as s:
            s.add(session)

    def login_session(self, token_hash: str) -> tuple[LoginSession, User] | None:
        with self.session() as s:
            row = s.exec(
                select(LoginSession, User)
                .join(User, col(LoginSession.user_id) == col(User.id))
                .where(LoginSession.token_hash == token_hash)
            ).first()
            return (row[0], row[1]) if row else None

    def end_login_session(self, token_hash: str) -> None:
        with self.session() as s:
            row = s.get(LoginSession, token_hash)
            if row is not None:
                s.delete(row)

    def end_login_sessions_of(self, user_id: int) -> None:
        with self.session() as s:
            for row in s.exec(select(LoginSession).where(LoginSession.user_id == user_id)):
                s.delete(row)

    def record_login(
        self, username: str, *, ok: bool, lock_after: int, lock_for: timedelta
    ) -> User | None:
        """Count a failed log-in (locking the account after `lock_after`), or reset on success."""
        with self.session() as s:
            user = s.exec(select(User).where(User.username == username)).first()
            if user is None:
                return None
            if ok:
                user.failed_logins, user.locked_until = 0, None
            else:
                user.failed_logins += 1
                if user.failed_logins >= lock_after:
                    user.locked_until = utcnow() + lock_for
                    user.failed_logins = 0
            s.add(
                Event(
                    stage="login",
                    outcome="ok" if ok else "failed",
                    agent=username,
                    detail={"locked_until": user.locked_until.isoformat()}
                    if user.locked_until and not ok
                    else {},
                )
            )
            return user


def _assign(row: Page | Folder, values: dict[str, Any]) -> None:
    """Set the given columns of a row, and when it changed."""
    for key, value in values.items():
        setattr(row, key, value)
    row.updated_at = utcnow()


def _current_pages(folder_id: str) -> Any:
    return (
        select(Page)
        .where(
            Page.folder_id == folder_id,
            col(Page.replaced_by).is_(None),
            col(Page.rescan_of).is_(None),
        )
        .order_by(col(Page.position), col(Page.id))
    )


def _next_position(s: Session, folder_id: str) -> int:
    last = s.exec(select(func.max(Page.position)).where(Page.folder_id == folder_id)).one()
    return (last or 0) + 1


def _next_folder_number(s: Session) -> int:
    last = s.exec(select(func.max(Folder.id))).one()
    return (last or 0) + 1


def _refresh_review(s: Session, folder_id: str) -> None:
    """Recount a folder's pages by decision and flag, and name where its review stands."""
    folder = s.get(Folder, folder_id)
    if folder is None:
        return
    counts = {"pages": 0, "undecided": 0, "approve": 0, "reject": 0, "blank": 0, "separator": 0}
    flags: dict[str, int] = {}
    batch_ids: set[int] = set()
    for page in s.exec(_current_pages(folder_id)):
        counts["pages"] += 1
        batch_ids.add(page.batch_id)
        if page.separator is not None:
            counts["separator"] += 1
            continue
        counts[page.decision or "undecided"] += 1
        for flag in [*page.flags, *(["failed"] if page.state == "failed" else [])]:
            flags[flag] = flags.get(flag, 0) + 1
    operators = (
        sorted(
            {
                o
                for o in s.exec(select(Batch.operator).where(col(Batch.id).in_(batch_ids)))
                if o
            }
        )
        if batch_ids
        else []
    )
    folder.review_counts, folder.page_flags, folder.operators = counts, flags, operators
    folder.review_state = review_state_of(folder)


def review_state_of(folder: Folder) -> str:
    counts = folder.review_counts or {}
    if folder.approved_at is not None:
        return "approved"
    if counts.get("pages", 0) - counts.get("separator", 0) <= 0:
        return "empty"
    if counts.get("undecided", 0):
        return "to_review"
    if counts.get("reject", 0):
        return "rescan"
    return "ready"


def folder_flag_codes(folder: Folder) -> set[str]:
    """What the queue shows and filters on: the folder's own flags and its pages' flags."""
    return _flag_codes(folder.flags, folder.page_flags, in_manifest=folder.in_manifest)


def _flag_codes(
    flags: list[Any], page_flags: dict[str, int] | None, *, in_manifest: bool
) -> set[str]:
    own = {f["code"] if isinstance(f, dict) else str(f) for f in flags}
    if not in_manifest:
        own.add("unassigned")
    return own | set(page_flags or {})


@dataclass
class ManifestImport:
    """What a manifest import did, folder id by folder id."""

    added: list[str] = field(default_factory=list)
    changed: dict[str, dict[str, list[Any]]] = field(default_factory=dict)
    unchanged: list[str] = field(default_factory=list)


_FOLDER_FIELDS = (
    "folder_id", "fonds_code", "catalogue_no", "box_no", "folder_no", "title", "start_date",
    "end_date", "retention_years", "access", "sheet_count", "language", "notes",
    "physical_condition", "secrecy",
)  # fmt: skip


def _folder_values(folder: ManifestFolder) -> dict[str, Any]:
    return {name: getattr(folder, name) for name in _FOLDER_FIELDS} | {"in_manifest": True}


def _jsonable(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date) else value


def _folder_order(folder: Folder) -> tuple[bool, str, str, tuple[int, str], tuple[int, str]]:
    return (
        not folder.in_manifest,
        folder.fonds_code,
        folder.catalogue_no,
        number_key(folder.box_no),
        number_key(folder.folder_no),
    )


def to_json_safe(value: Any) -> Any:
    """Event details are JSON: paths and numpy numbers become plain values."""
    return json.loads(json.dumps(value, default=str))
