"""Connecting to the database and bringing its schema to the newest migration.

SQLite in the data directory by default, PostgreSQL (`postgresql+psycopg://…`) when one
machine is outgrown. The schema is owned by Alembic migrations (station/migrations), the same
on both.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from sqlalchemy import (
    Column,
    Connection,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    event,
    inspect,
    text,
)
from sqlalchemy.engine import Engine, make_url
from sqlmodel import create_engine

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")  # readers (the QA app) never block the runner
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


# Many station processes share one PostgreSQL (workers on every machine, the web app, the
# watcher): each keeps few idle connections and opens a few more only under load.
PG_POOL_SIZE = 2
PG_MAX_OVERFLOW = 8


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    parsed = make_url(url)
    if parsed.get_backend_name() != "postgresql":
        return create_engine(url, pool_pre_ping=True)
    if parsed.drivername in ("postgresql", "postgres"):  # libpq's form: psycopg 3 is installed
        parsed = parsed.set(drivername="postgresql+psycopg")
    return create_engine(
        parsed,
        json_serializer=_postgresql_json,
        pool_pre_ping=True,  # a restarted server or a dropped connection is met with a new one
        pool_size=PG_POOL_SIZE,
        max_overflow=PG_MAX_OVERFLOW,
        pool_recycle=1800,
        connect_args={
            "connect_timeout": 10,
            "application_name": "station",
            # Timestamps are stored without a zone, in UTC, as on SQLite: the server's own
            # time zone must not shift them.
            "options": "-c timezone=UTC",
        },
    )


def _postgresql_json(value: Any) -> str:
    """JSON as SQLite stores it, except NaN and infinities, which PostgreSQL's json refuses
    (a page's measurement that came out undefined): they are stored as null."""
    try:
        return json.dumps(value, allow_nan=False)
    except ValueError:
        return json.dumps(_finite(value), allow_nan=False)


def _finite(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {key: _finite(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(item) for item in value]
    return value


def is_postgresql(engine: Engine) -> bool:
    return engine.dialect.name == "postgresql"


def safe_url(url: str) -> str:
    """The URL for messages and logs: any password masked."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return url


def migrate(engine: Engine, *, new_from_models: bool = True) -> None:
    """Bring the schema to the newest migration (idempotent).

    The usual case, a schema already current, is answered by one query: importing Alembic
    alone costs a quarter of a second on every command. A new SQLite database (a new
    station, every test) gets the models' tables at once, stamped with the newest revision:
    the same schema (tests/test_store.py compares the two) in 0.02 s instead of the 0.4 s of
    running every migration since the first. PostgreSQL, made once per deployment, keeps the
    migrations' INTEGER keys, which the models would make BIGINT. `new_from_models=False`
    runs the migrations on SQLite too.
    """
    if _schema_version(engine) == HEAD_REVISION:
        return
    with engine.begin() as connection:
        if is_postgresql(engine):
            # Machines starting together: one migrates (in one transaction, DDL included),
            # the others wait here and then find the schema current.
            connection.execute(text("select pg_advisory_xact_lock(7251500)"))
            if _version_on(connection) == HEAD_REVISION:
                return
        tables = inspect(connection)
        new = not tables.has_table("alembic_version") and not tables.has_table("batch")
        if new and new_from_models and not is_postgresql(engine):
            _create_newest(connection)
            return
        from alembic import command
        from alembic.config import Config

        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS))
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


def _create_newest(connection: Connection) -> None:
    from sqlmodel import SQLModel

    from station.store import models  # noqa: F401  (the tables, on SQLModel's metadata)

    SQLModel.metadata.create_all(connection)
    from station.store.search_index import create_full_text

    create_full_text(connection)  # not a model: FTS5 and its triggers
    version = Table(
        "alembic_version",
        MetaData(),
        Column("version_num", String(32), nullable=False),
        PrimaryKeyConstraint("version_num", name="alembic_version_pkc"),  # as Alembic names it
    )
    version.create(connection)
    connection.execute(version.insert().values(version_num=HEAD_REVISION))


# Migrations are named <revision>_<what>.py with revision ids 0001, 0002...: the newest file
# names the head.
HEAD_REVISION = max(p.name.split("_", 1)[0] for p in (MIGRATIONS / "versions").glob("[0-9]*_*.py"))


def _schema_version(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return _version_on(connection)


def _version_on(connection: Connection) -> str | None:
    if not inspect(connection).has_table("alembic_version"):
        return None
    version = connection.execute(text("select version_num from alembic_version")).scalar()
    return str(version) if version is not None else None
