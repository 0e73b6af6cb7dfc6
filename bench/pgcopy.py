"""A copy of some tables of a SQLite station database in PostgreSQL, through COPY, for the
benchmarks that measure both engines on the same million pages (bench/stats.py,
bench/search.py)."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable, Iterable
from pathlib import Path

PG_SERVER = "postgresql+psycopg://station:station@127.0.0.1:55432"  # scripts/services up


def copy_to_postgresql(
    sqlite_path: Path,
    database: str,
    tables: Iterable[str],
    *,
    server: str = PG_SERVER,
    before: Callable[[object], None] | None = None,
    after: Callable[[object], None] | None = None,
) -> float:
    """Make `database` anew with this code's migrations, fill `tables` from the SQLite file
    and ANALYZE; `before`/`after` get the psycopg connection around the copy (to drop and
    remake indexes a bulk load would otherwise keep up row by row). Returns seconds."""
    import psycopg

    from station.store import Store

    plain = server.replace("postgresql+psycopg", "postgresql")
    with psycopg.connect(f"{plain}/station", autocommit=True) as admin:
        admin.execute(f"drop database if exists {database}")
        admin.execute(f"create database {database}")
    started = time.perf_counter()
    Store.open(f"{server}/{database}").engine.dispose()  # the migrations make the schema
    source = sqlite3.connect(sqlite_path)
    with psycopg.connect(f"{plain}/{database}") as pg:
        if before:
            before(pg)
        for table in tables:
            names = [r[1] for r in source.execute(f'pragma table_info("{table}")')]
            if table == "search_entry":  # PostgreSQL computes its own tsvector columns
                names = [n for n in names if not n.endswith("_tsv")]
            pg.execute(f'delete from "{table}"')
            quoted = ", ".join(f'"{n}"' for n in names)
            rows = source.execute(f'select {quoted} from "{table}"')
            with pg.cursor().copy(f'copy "{table}" ({quoted}) from stdin') as copy:
                for row in rows:
                    copy.write_row(row)
            if "id" in names:
                pg.execute(
                    f"select setval(pg_get_serial_sequence('\"{table}\"', 'id'),"
                    f' coalesce((select max(id) from "{table}"), 1))'
                )
            print(f"  {table}: copied ({time.perf_counter() - started:.0f} s)", flush=True)
        if after:
            after(pg)
        pg.commit()
    with psycopg.connect(f"{plain}/{database}", autocommit=True) as pg:
        pg.execute("analyze")
    return time.perf_counter() - started
