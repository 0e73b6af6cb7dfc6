"""The database: migrations from the first table on, and the records the runner writes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import sqlalchemy as sa

from station.store import HEAD_REVISION, Event, Store
from station.store.engine import make_engine


def test_migrations_create_the_schema_and_are_idempotent(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'station.db'}"
    Store.open(url)
    store = Store.open(url)  # second open: nothing to do, nothing breaks
    with store.engine.connect() as connection:
        tables = set(sa.inspect(connection).get_table_names())
        version = connection.execute(sa.text("select version_num from alembic_version")).scalar()
    assert {
        "batch",
        "page",
        "event",
        "folder",
        "intake",
        "user",
        "login_session",
        "document",
    } <= tables
    assert version == HEAD_REVISION == "0013"


def test_pages_and_events_round_trip(tmp_path: Path) -> None:
    store = Store.open(f"sqlite:///{tmp_path / 'station.db'}")
    batch_id = store.create_batch("hop-01", tmp_path, "text-gray-300", tmp_path / "out")
    second = store.add_page(
        batch_id,
        seq=1,
        source_file="b.tif",
        page_index=0,
        sha256="b" * 64,
        master_path=tmp_path / "b.tif",
    )
    first = store.add_page(
        batch_id,
        seq=0,
        source_file="a.tif",
        page_index=0,
        sha256="a" * 64,
        master_path=tmp_path / "a.tif",
    )
    store.update_page(
        first, state="ok", flags=["blurred", "low_dpi"], skew_deg=1.25, timings={"ocr": 1234.5}
    )
    store.add_events(
        [
            Event(
                batch_id=batch_id,
                page_id=first,
                stage="ocr",
                outcome="ok",
                detail={"words": 12},
                tool="tesseract",
                tool_version="5.3.0",
            )
        ]
    )
    pages = store.pages_of_batch(batch_id)
    assert [p.id for p in pages] == [first, second], "pages come back in scan order"
    assert pages[0].flags == ["blurred", "low_dpi"] and pages[0].timings == {"ocr": 1234.5}
    assert pages[1].state == "queued"
    events = store.events_of_page(first)
    assert events[0].tool_version == "5.3.0" and events[0].detail == {"words": 12}
    store.finish_batch(batch_id, state="done", pdf_path=tmp_path / "out" / "hop-01.pdf")
    batch = store.get_batch(batch_id)
    assert batch is not None and batch.state == "done" and batch.finished_at is not None


def test_an_older_database_is_upgraded_on_open(tmp_path: Path) -> None:
    """A station upgraded in place: a database at 0003, with folders in it, gains the review
    columns and tables, and its folders their short ids."""
    from alembic import command
    from alembic.config import Config

    from station.store import MIGRATIONS, make_engine

    url = f"sqlite:///{tmp_path / 'station.db'}"
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with make_engine(url).begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0003")
        for number, folder_id in enumerate(("HS-2", "HS-1")):
            connection.execute(
                sa.text(
                    "insert into folder (folder_id, fonds_code, catalogue_no, box_no, folder_no,"
                    " title, access, language, notes, physical_condition, secrecy, in_manifest,"
                    " state, pages_found, sheets_counted, flags, updated_at) values (:id, '', '',"
                    " '1', :n, 't', '', 'vi', '', '', '', 1, 'expected', 0, 0, '[]', '2026-01-01')"
                ),
                {"id": folder_id, "n": str(number)},
            )
    upgraded = Store.open(url)
    with upgraded.engine.connect() as connection:
        assert "login_session" in sa.inspect(connection).get_table_names()
        version = connection.execute(sa.text("select version_num from alembic_version")).scalar()
    assert version == HEAD_REVISION
    numbers = {f.folder_id: f.id for f in upgraded.list_folders()}
    assert numbers == {"HS-2": 1, "HS-1": 2}, "numbered in the order they were added"
    assert upgraded.get_folder("HS-1").review_state == "empty"  # type: ignore[union-attr]


def test_folders_added_at_once_get_numbers_of_their_own(database_url: str) -> None:
    """Workers finishing batches at the same moment add holding folders side by side: each
    folder once, each with a number of its own (on PostgreSQL too, where nothing else
    serialises the two transactions)."""
    from concurrent.futures import ThreadPoolExecutor

    stores = [Store.open(database_url) for _ in range(6)]
    names = [f"VN/H01/HS{n:02d}" for n in range(6)] + ["VN/H01/HS00"] * 6

    def add(n: int) -> None:
        stores[n % len(stores)].ensure_holding_folder(names[n], "Chưa xếp hồ sơ")

    for _ in range(3):
        with ThreadPoolExecutor(len(stores)) as pool:
            list(pool.map(add, range(len(names))))
    folders = stores[0].list_folders()
    assert sorted(f.folder_id for f in folders) == sorted(set(names))
    assert len({f.id for f in folders}) == len(folders)
    for store in stores:
        store.engine.dispose()


def _schema(url: str) -> dict[str, Any]:
    """Everything a query or a constraint can notice of a database's tables."""
    engine = make_engine(url)
    with engine.connect() as connection:
        seen = sa.inspect(connection)
        schema: dict[str, Any] = {}
        for table in sorted(seen.get_table_names()):
            schema[table] = {
                "columns": sorted(  # in any order: queries name their columns
                    (
                        c["name"],
                        str(c["type"]).split("(")[0],  # VARCHAR(32) and VARCHAR are one to us
                        c["nullable"],
                        _default(c.get("default")),
                    )
                    for c in seen.get_columns(table)
                ),
                "primary_key": seen.get_pk_constraint(table)["constrained_columns"],
                "foreign_keys": sorted(
                    (tuple(f["constrained_columns"]), f["referred_table"])
                    for f in seen.get_foreign_keys(table)
                ),
                "indexes": sorted(  # an expression index (PostgreSQL's full text): its text
                    (tuple(map(str, i.get("expressions") or i["column_names"])), bool(i["unique"]))
                    for i in seen.get_indexes(table)
                ),
                "unique": sorted(
                    tuple(u["column_names"]) for u in seen.get_unique_constraints(table)
                ),
            }
        version = connection.execute(sa.text("select version_num from alembic_version"))
        schema["alembic_version"]["version"] = version.scalar()
    engine.dispose()
    return schema


def _default(value: str | None) -> str | None:
    """A server default as both databases spell it: '0', 0, false and '0'::integer are one."""
    if value is None:
        return None
    plain = value.split("::")[0].strip("'\"() ")
    return {"false": "0", "true": "1"}.get(plain.lower(), plain)


def test_a_new_database_gets_the_schema_its_migrations_would_make(blank_database_url: str) -> None:
    """A new SQLite database is made from the models in one go (a twentieth of the time): it
    must be the very schema that running every migration from the first makes. PostgreSQL
    runs the migrations (the models would make its keys BIGINT): the same there trivially,
    and the comparison still catches a model whose migration is missing."""
    from station.store.engine import migrate

    engine = make_engine(blank_database_url)
    migrate(engine)  # the models' way
    made = _schema(blank_database_url)
    assert made["alembic_version"]["version"] == HEAD_REVISION
    every_table = sa.MetaData()
    every_table.reflect(engine)
    every_table.drop_all(engine)
    migrate(engine, new_from_models=False)  # every migration, from 0001 on
    engine.dispose()
    migrated = _schema(blank_database_url)
    differences = [
        f"{table} {aspect}: models {sorted(set(ours) - set(theirs))}, "
        f"migrations {sorted(set(theirs) - set(ours))}"
        for table in sorted(set(made) | set(migrated))
        for aspect in ("columns", "primary_key", "foreign_keys", "indexes", "unique")
        if (ours := made.get(table, {}).get(aspect, []))
        != (theirs := migrated.get(table, {}).get(aspect, []))
    ]
    assert not differences, "\n".join(differences)
    assert made["alembic_version"] == migrated["alembic_version"]
