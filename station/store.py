"""All database access: the tables, the migrations on open, and the named queries.

SQLite in the data directory by default, any SQLAlchemy URL (PostgreSQL) when one
machine is outgrown. The schema is owned by Alembic migrations (station/migrations),
applied automatically when a store is opened.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import JSON, Column, event
from sqlalchemy.engine import Engine
from sqlmodel import Field, Session, SQLModel, col, create_engine, select

from station.errors import ConfigError

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


class Page(SQLModel, table=True):
    """One page of a scanned file, with everything measured on it."""

    id: int | None = Field(default=None, primary_key=True)
    batch_id: int = Field(foreign_key="batch.id", index=True)
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
    updated_at: datetime = Field(default_factory=utcnow)


class Event(SQLModel, table=True):
    """What happened to a page or batch, when, by which stage and tool version."""

    id: int | None = Field(default=None, primary_key=True)
    batch_id: int = Field(foreign_key="batch.id", index=True)
    page_id: int | None = Field(default=None, foreign_key="page.id", index=True)
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
    """Bring the schema to the newest migration (idempotent)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


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
            for key, value in values.items():
                setattr(page, key, value)
            page.updated_at = utcnow()

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


def to_json_safe(value: Any) -> Any:
    """Event details are JSON: paths and numpy numbers become plain values."""
    return json.loads(json.dumps(value, default=str))
