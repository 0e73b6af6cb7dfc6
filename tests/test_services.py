"""scripts/services: a real PostgreSQL for development and tests, and the store on it.

Run against an instance of its own (another folder, another port), so that the service the
suite itself may be using is never stopped or wiped.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from station.store import HEAD_REVISION, MIGRATIONS, Event, Store, make_engine

REPO = Path(__file__).resolve().parent.parent
SERVICES = REPO / "scripts" / "services"


@dataclass
class Instance:
    folder: Path
    port: int
    first_up: subprocess.CompletedProcess[str]

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        env = os.environ | {
            "STATION_SERVICES_DIR": str(self.folder),
            "STATION_SERVICES_PG_PORT": str(self.port),
        }
        return subprocess.run(
            ["bash", str(SERVICES), *args], env=env, capture_output=True, text=True, timeout=300
        )

    def up(self, *args: str) -> str:
        done = self.run("up", *args)
        assert done.returncode == 0, done.stderr
        return url_of(done.stdout)

    def pid(self) -> int:
        return int((self.folder / "postgres/data/postmaster.pid").read_text().split()[0])


def url_of(stdout: str) -> str:
    prefix = "export STATION_DATABASE_URL="
    assert stdout.startswith(prefix) and stdout.count("\n") == 1, stdout
    return stdout.removeprefix(prefix).strip()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def libpq(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def keep_something(url: str) -> None:
    with psycopg.connect(libpq(url), autocommit=True) as connection:
        connection.execute("create table if not exists kept (n integer)")


def tables(url: str) -> set[str]:
    with psycopg.connect(libpq(url)) as connection:
        rows = connection.execute("select tablename from pg_tables where schemaname = 'public'")
        return {row[0] for row in rows}


@pytest.fixture(scope="module")
def instance() -> Iterator[Instance]:
    # Not under pytest's tmp folder: the postgres user must be able to reach the cluster.
    folder = Path(tempfile.mkdtemp(prefix="station-services-"))
    folder.chmod(0o755)
    made = Instance(folder, free_port(), subprocess.CompletedProcess([], 0))
    made.first_up = made.run("up")
    try:
        yield made
    finally:
        made.run("down")
        shutil.rmtree(folder, ignore_errors=True)


def test_up_prints_only_the_export_line_and_is_idempotent(instance: Instance) -> None:
    first = instance.first_up
    assert first.returncode == 0, first.stderr
    url = url_of(first.stdout)
    assert url == f"postgresql+psycopg://station:station@127.0.0.1:{instance.port}/station"
    assert "starting PostgreSQL" in first.stderr
    pid = instance.pid()
    again = instance.run("up")
    assert again.returncode == 0, again.stderr
    assert again.stdout == first.stdout, "the same line, and nothing else"
    assert "starting" not in again.stderr
    assert instance.pid() == pid, "a running service is left running"
    shell = subprocess.run(
        ["bash", "-c", f'eval "$({SERVICES} up)" && echo "$STATION_DATABASE_URL"'],
        env=os.environ
        | {
            "STATION_SERVICES_DIR": str(instance.folder),
            "STATION_SERVICES_PG_PORT": str(instance.port),
        },
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    assert shell.stdout.strip() == url


def test_it_listens_on_loopback_only_and_the_cluster_is_ignored_by_git(
    instance: Instance,
) -> None:
    instance.up()
    port = f"{instance.port:04X}"
    listening = []
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            if state == "0A" and local.endswith(f":{port}"):  # 0A: LISTEN
                listening.append(local.split(":")[0])
    assert listening == ["0100007F"], "127.0.0.1 and nothing else"
    ignored = subprocess.run(
        ["git", "check-ignore", "-q", ".services/postgres/data/PG_VERSION"], cwd=REPO
    )
    assert ignored.returncode == 0


def test_the_url_holds_a_station_store(instance: Instance) -> None:
    url = instance.up()
    store = Store.open(url)
    Store.open(url)  # a second open finds the schema current
    with store.engine.connect() as connection:
        version = connection.execute(sa.text("select version_num from alembic_version")).scalar()
    assert version == HEAD_REVISION
    batch_id = store.create_batch("hộp-01", Path("/scans"), "text-gray-300", None)
    page_id = store.add_page(
        batch_id,
        seq=0,
        source_file="trang 1.tif",
        page_index=0,
        sha256="a" * 64,
        master_path=Path("/masters/a.tif"),
    )
    store.update_page(page_id, state="ok", flags=["blurred"], timings={"ocr": 812.5}, blank=True)
    store.add_events(
        [Event(batch_id=batch_id, page_id=page_id, stage="ocr", outcome="ok", detail={"từ": 12})]
    )
    page = store.pages_of_batch(batch_id)[0]
    assert (page.flags, page.timings, page.blank) == (["blurred"], {"ocr": 812.5}, True)
    assert page.updated_at.tzinfo is not None, "times come back in UTC, as from SQLite"
    assert abs(time.time() - page.updated_at.timestamp()) < 120
    assert store.events_of_page(page_id)[0].detail == {"từ": 12}
    # PostgreSQL's json refuses NaN, which Python writes: an undefined measurement is null.
    store.add_events(
        [Event(batch_id=batch_id, page_id=page_id, stage="deskew", outcome="ok",
               detail={"skew": float("nan"), "tries": [0.5, float("inf")]})]
    )  # fmt: skip
    assert store.events_of_page(page_id)[1].detail == {"skew": None, "tries": [0.5, None]}
    # An id from outside (a URL, a slip's QR code) beyond PostgreSQL's integer is no row.
    assert store.get_page(2**31) is None and store.get_page(2**62) is None
    assert store.get_folder_by_number(2**40) is None
    store.engine.dispose()


def test_an_older_database_is_upgraded_on_postgresql(instance: Instance) -> None:
    """Migration 0004 numbers existing folders in the order they were added: SQLite's rowid
    does not exist on PostgreSQL."""
    from alembic import command
    from alembic.config import Config

    base = instance.up()
    name = f"upgrade_{os.getpid()}"
    with psycopg.connect(libpq(base), autocommit=True) as connection:
        connection.execute(f'drop database if exists "{name}"')  # type: ignore[arg-type]
        connection.execute(f'create database "{name}"')  # type: ignore[arg-type]
    url = make_url(base).set(database=name).render_as_string(hide_password=False)
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
                    " '1', :n, 't', '', 'vi', '', '', '', true, 'expected', 0, 0, '[]',"
                    " '2026-01-01')"
                ),
                {"id": folder_id, "n": str(number)},
            )
    upgraded = Store.open(url)
    assert {f.folder_id: f.id for f in upgraded.list_folders()} == {"HS-2": 1, "HS-1": 2}
    upgraded.engine.dispose()


def test_status_and_down(instance: Instance) -> None:
    url = instance.up()
    keep_something(url)
    status = instance.run("status")
    assert status.returncode == 0 and "running" in status.stdout
    assert instance.run("down").returncode == 0
    stopped = instance.run("status")
    assert stopped.returncode == 3 and "stopped" in stopped.stdout
    with pytest.raises(psycopg.OperationalError):
        psycopg.connect(libpq(url), connect_timeout=3).close()
    assert instance.run("down").returncode == 0, "down twice is fine"
    assert instance.up() == url
    assert "kept" in tables(url), "down and up keep the data"


def test_up_after_a_crash(instance: Instance) -> None:
    url = instance.up()
    keep_something(url)
    pid = instance.pid()
    os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + 30
    while Path(f"/proc/{pid}").exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert instance.run("status").returncode == 3
    assert (instance.folder / "postgres/data/postmaster.pid").exists(), "the stale pid file"
    assert instance.up() == url
    assert instance.pid() != pid
    assert "kept" in tables(url)


def test_fresh_gives_an_empty_database(instance: Instance) -> None:
    url = instance.up()
    keep_something(url)
    assert "kept" in tables(url)
    assert instance.up("--fresh") == url
    assert tables(url) == set()
    assert instance.run("status").returncode == 0


def test_bad_arguments_are_refused(instance: Instance) -> None:
    for args in ((), ("start",), ("up", "--stale"), ("down", "now")):
        done = instance.run(*args)
        assert done.returncode == 2 and done.stdout == "" and "usage" in done.stderr, args


def test_the_suites_database_builds_the_schema_from_nothing(
    blank_database_url: str, database_url: str
) -> None:
    """On the database the suite runs on (SQLite, or PostgreSQL in its PostgreSQL run): the
    migrations from an empty database, and the migrated one every test starts from."""
    for url in (blank_database_url, database_url):
        store = Store.open(url)
        with store.engine.connect() as connection:
            names = set(sa.inspect(connection).get_table_names())
            version = connection.execute(sa.text("select version_num from alembic_version"))
            assert version.scalar() == HEAD_REVISION
        assert {"batch", "page", "event", "folder", "user", "document"} <= names
        assert store.list_folders() == []
        store.engine.dispose()
