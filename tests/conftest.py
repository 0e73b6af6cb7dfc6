"""Shared fixtures: an isolated data directory and database, the CLI in-process, and
generated batches.

The suite runs on SQLite (the default: every data directory has its own station.db) or on
PostgreSQL, with `STATION_TEST_DATABASE=postgres` and `STATION_DATABASE_URL` naming the
server (as `eval "$(scripts/services up)"` sets it), or `STATION_TEST_DATABASE=<url>`. On
PostgreSQL every test that has a data directory of its own (the `settings` fixture, or
`tmp_path` and no module-wide fixture) gets a database of its own, and every test module one
for its module-wide fixtures and the tests using them: copied from a migrated template
(`CREATE DATABASE … TEMPLATE`, milliseconds), named in `STATION_DATABASE_URL` while it runs,
so `load_settings()`, `StationSettings(data_dir=…)` and every `station` subprocess started
with the environment use it, and dropped afterwards. Pages run in the local pool there too
(`STATION_WORK=local`); tests/test_distributed.py runs the queue and its workers.
"""

from __future__ import annotations

import hashlib
import itertools
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from typer.testing import CliRunner

from station.cli import app
from station.profiles import ScanProfile, load_profile
from station.settings import StationSettings, load_settings

if TYPE_CHECKING:
    from fastapi.testclient import TestClient

REPO = Path(__file__).resolve().parent.parent
CORPUS = REPO.parent / "shared" / "corpus" / "real"


# --- the database: SQLite, or PostgreSQL with a database per test ---------------------------


def _postgres_server() -> str:
    """The PostgreSQL server the suite runs on, or "" for SQLite."""
    mode = os.environ.get("STATION_TEST_DATABASE", "sqlite")
    if mode == "sqlite":
        return ""
    if mode == "postgres":
        mode = os.environ.get("STATION_DATABASE_URL", "")
        # xdist's workers may start after STATION_DATABASE_URL is gone (below): keep it here.
        os.environ["STATION_TEST_DATABASE"] = mode
    if not mode.startswith(("postgresql", "postgres:")):
        raise pytest.UsageError(
            "STATION_TEST_DATABASE is sqlite, postgres (with STATION_DATABASE_URL naming the "
            f"server, as `scripts/services up` prints it) or a PostgreSQL URL, not {mode!r}"
        )
    return mode


POSTGRES_SERVER = _postgres_server()
# A developer's own database never reaches a test: tests name theirs (below) or use SQLite.
os.environ.pop("STATION_DATABASE_URL", None)


# One count for the process: a module with its own PostgresDatabases (test_distributed's
# rooms) must not name a database the suite's instance already made.
_DATABASE_NUMBERS = itertools.count(1)


class PostgresDatabases:
    """Databases on the test server: made from a migrated template, dropped after use."""

    def __init__(self, server: str) -> None:
        import psycopg
        from sqlalchemy.engine import make_url

        self.server = make_url(server)
        self.admin = psycopg.connect(self._libpq(self.server.database or "postgres"))
        self.admin.autocommit = True
        self.worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
        self._template = ""

    def _libpq(self, database: str) -> str:
        url = self.server.set(drivername="postgresql", database=database)
        return url.render_as_string(hide_password=False)

    def url(self, database: str) -> str:
        """The SQLAlchemy URL of a database on the server."""
        return self.server.set(database=database).render_as_string(hide_password=False)

    def _execute(self, sql: str, *params: object) -> list[tuple[Any, ...]]:
        cursor = self.admin.execute(sql, params or None)  # type: ignore[arg-type]
        return cursor.fetchall() if cursor.description else []

    def template(self) -> str:
        """The migrated template, made once per schema (migrations, queue) on the server."""
        if self._template:
            return self._template
        from station.store import MIGRATIONS, Store

        digest = hashlib.sha256()
        for path in sorted((MIGRATIONS / "versions").glob("*.py")):
            digest.update(path.read_bytes())
        queue = _queue_module()
        digest.update(str(queue and queue.SchemaManager.get_schema()).encode())
        name = f"station_template_{digest.hexdigest()[:16]}"
        self._execute("select pg_advisory_lock(7251503)")  # one xdist worker makes it
        try:
            self._drop_leftovers(keep=name)
            if not self._execute("select 1 from pg_database where datname = %s", name):
                building = f"{name}_{os.getpid()}"
                self._execute(f'drop database if exists "{building}"')
                self._execute(f'create database "{building}" template template0')
                store = Store.open(self.url(building))
                if queue is not None:
                    queue.ensure_schema(store.engine)
                store.engine.dispose()  # a template is copied only while nobody is connected
                self._execute(f'alter database "{building}" rename to "{name}"')
                self._execute(f'alter database "{name}" is_template true allow_connections false')
        finally:
            self._execute("select pg_advisory_unlock(7251503)")
        self._template = name
        return name

    def _drop_leftovers(self, keep: str) -> None:
        """Templates of older schemas, and databases of test runs that were killed."""
        rows = self._execute("select datname from pg_database where datname like 'station_%'")
        for (name,) in rows:
            if name.startswith("station_template_") and name != keep:
                self._execute(f'alter database "{name}" is_template false')
                self._execute(f'drop database if exists "{name}" with (force)')
            elif name.startswith("station_test_"):
                pid = name.split("_")[3]
                if pid.isdigit() and not Path(f"/proc/{pid}").exists():
                    self._execute(f'drop database if exists "{name}" with (force)')

    def create(self, *, empty: bool = False) -> str:
        """A new database, migrated (or `empty`, without a single table); its URL."""
        name = f"station_test_{self.worker}_{os.getpid()}_{next(_DATABASE_NUMBERS)}"
        source = "template0" if empty else self.template()
        # FILE_COPY: for a database this small, copying the files beats writing it to the WAL
        self._execute(f'create database "{name}" template "{source}" strategy file_copy')
        return self.url(name)

    def drop(self, url: str) -> None:
        from sqlalchemy.engine import make_url

        # FORCE: connections an in-process engine still pools are closed with it.
        self._execute(f'drop database if exists "{make_url(url).database}" with (force)')


def _queue_module() -> Any:
    """The distributed queue's module, when this checkout has one (its schema goes into the
    template, so that no test database builds it again)."""
    try:
        from station.distributed import queue
    except ImportError:
        return None
    return queue


_databases: PostgresDatabases | None = None
_current_database = ""  # on PostgreSQL, the database of the module or test now running


def postgres_databases() -> PostgresDatabases:
    """The test server's databases (PostgreSQL runs only)."""
    global _databases
    assert POSTGRES_SERVER, "not a PostgreSQL run"
    if _databases is None:
        _databases = PostgresDatabases(POSTGRES_SERVER)
    return _databases


@pytest.fixture(scope="module", autouse=True)
def _module_database() -> Iterator[None]:
    """On PostgreSQL: the module's database, for its module-wide fixtures."""
    yield from _use_new_database()


@pytest.fixture(autouse=True)
def _test_database(request: pytest.FixtureRequest) -> Iterator[None]:
    """On PostgreSQL: a database of the test's own when it has a data directory of its own."""
    if POSTGRES_SERVER and _has_own_data_dir(request):
        yield from _use_new_database()
    else:
        yield


def _use_new_database() -> Iterator[None]:
    global _current_database
    if not POSTGRES_SERVER:
        yield
        return
    databases = postgres_databases()
    url, outer = databases.create(), _current_database
    try:
        with pytest.MonkeyPatch.context() as env:
            env.setenv("STATION_DATABASE_URL", url)
            # The suite's tests run pages in the local pool, as on SQLite; the queue's own
            # tests (test_distributed) ask for it.
            env.setenv("STATION_WORK", "local")
            _current_database = url
            yield
    finally:
        _current_database = outer
        databases.drop(url)


def _has_own_data_dir(request: pytest.FixtureRequest) -> bool:
    """`settings` makes a fresh data directory; a test with `tmp_path` and no module-wide
    fixture (whose data directory it would look into) makes its own there."""
    names = request.fixturenames
    if "settings" in names:
        return True
    if "tmp_path" not in names:
        return False
    info = getattr(request.node, "_fixtureinfo", None)
    shared = (
        name
        for name, definitions in (info.name2fixturedefs.items() if info else ())
        if definitions[-1].scope in ("module", "class", "package") and name != "_module_database"
    )
    return next(shared, None) is None


def current_database_url(settings: StationSettings) -> str:
    """The database a store for `settings` belongs in: on PostgreSQL the running module's or
    test's, even where a fixture removed STATION_DATABASE_URL to stay off a developer's own."""
    if POSTGRES_SERVER and settings.database_url.startswith("sqlite:"):
        return _current_database
    return settings.database_url


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    """A migrated, empty station database for a test that opens a store by URL."""
    if not POSTGRES_SERVER:
        return f"sqlite:///{tmp_path / 'station.db'}"
    return _current_database or os.environ["STATION_DATABASE_URL"]


@pytest.fixture
def blank_database_url(tmp_path: Path) -> Iterator[str]:
    """A database without a single table, for tests of the migrations themselves."""
    if not POSTGRES_SERVER:
        yield f"sqlite:///{tmp_path / 'blank.db'}"
        return
    databases = postgres_databases()
    url = databases.create(empty=True)
    try:
        yield url
    finally:
        databases.drop(url)


@pytest.fixture
def settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> StationSettings:
    """Settings pointing at a fresh data directory (and database), as a new station has."""
    monkeypatch.setenv("STATION_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("STATION_PROFILES_DIR", str(REPO / "profiles"))
    if not POSTGRES_SERVER:
        monkeypatch.delenv("STATION_DATABASE_URL", raising=False)
    monkeypatch.setenv("STATION_CONFIG", str(tmp_path / "station.toml"))
    return load_settings()


@pytest.fixture
def default_profile(settings: StationSettings) -> ScanProfile:
    return load_profile("text-gray-300", settings.profiles_dir)


@dataclass
class CliResult:
    exit_code: int
    stdout: str
    stderr: str


@pytest.fixture
def run_station(settings: StationSettings) -> Iterator[object]:
    """Run the `station` command in-process and return its exit code and output."""
    runner = CliRunner()

    def run(*args: str) -> CliResult:
        result = runner.invoke(app, list(args), catch_exceptions=False)
        return CliResult(result.exit_code, result.stdout, result.stderr)

    yield run


@pytest.fixture(scope="session")
def tests_batch(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[dict[str, object]]]:
    """The generator's small 'tests' set: documents, a blank page and broken files (made once)."""
    import make_samples

    folder = tmp_path_factory.mktemp("batches") / "tests-batch"
    truth = make_samples.make_batch(folder, seed=11, sample_set="tests")
    return folder, truth


@pytest.fixture
def batch_copy(tests_batch: tuple[Path, list[dict[str, object]]], tmp_path: Path) -> Path:
    """A private copy of the tests batch, so a test may inspect that originals stay untouched."""
    target = tmp_path / tests_batch[0].name
    shutil.copytree(tests_batch[0], target)
    return target


# --- the review app: a station with folders, pages and people --------------------------------

PASSWORD = "correct horse battery"  # every test user's password


@dataclass
class ReviewRoom:
    """A station database as review finds it: manifest folders with scanned pages.

    Folders (archival id -> what is in it):
    - "05/01/HS-001" (box 1): 6 pages fed by op1; page 3 flagged blurred, page 5 blank-ish
    - "05/01/HS-002" (box 1): 3 pages fed by rev1 (four eyes: rev1 may not decide them)
    - "05/01/HS-003" (box 2): 2 pages, secrecy Mật (only users cleared for Mật see it)
    - "05/01/HS-004" (box 2): in the manifest, nothing scanned yet
    Users: op1 (operator), rev1 and rev2 (reviewer), arch (archivist), boss (admin), secret
    (reviewer cleared Tối mật), all with PASSWORD.
    """

    settings: StationSettings
    store: object
    folders: dict[str, int]  # archival folder id -> short id used in URLs
    pages: dict[str, list[int]]  # archival folder id -> page ids in order
    batches: dict[str, int]  # operator -> batch id


def logged_in(room: ReviewRoom, username: str) -> TestClient:
    """The review app, with `username` logged in."""
    from fastapi.testclient import TestClient

    from qa.app import create_app

    client = TestClient(create_app(room.settings))
    response = client.post(
        "/login", data={"username": username, "password": PASSWORD}, follow_redirects=False
    )
    assert response.status_code == 303, response.text
    return client


def make_review_room(settings: StationSettings) -> ReviewRoom:
    """Rows written through the store the way the runner and documents write them; the page
    images are real small JPEGs and the OCR text real hOCR, in the data directory."""
    import datetime

    from PIL import Image, ImageDraw

    from station import auth
    from station.manifest import ManifestFolder
    from station.store import Store

    settings = settings.model_copy(update={"database_url": current_database_url(settings)})
    store = Store.open(settings.database_url)
    folders = [
        ManifestFolder(
            folder_id=f"05/01/HS-00{n}",
            fonds_code="05",
            catalogue_no="01",
            box_no=box,
            folder_no=str(n),
            title=title,
            start_date=datetime.date(2019, 1, 1),
            end_date=datetime.date(2019, 12, 31),
            retention_years=None,
            access="",
            sheet_count=sheets,
            language="vi",
            notes="",
            physical_condition="",
            secrecy=secrecy,
            source_row=n + 1,
        )
        for n, box, title, sheets, secrecy in (
            (1, "1", "Công văn về việc tổ chức hội nghị tổng kết năm 2019", 6, ""),
            (2, "1", "Báo cáo tình hình thực hiện nhiệm vụ", 3, ""),
            (3, "2", "Kế hoạch bảo vệ bí mật nhà nước", 2, "Mật"),
            (4, "2", "Tờ trình chưa quét", 1, ""),
        )
    ]
    store.import_folders(folders, Path("manifest.csv"))
    for name, role, clearance in (
        ("op1", "operator", ""),
        ("rev1", "reviewer", ""),
        ("rev2", "reviewer", ""),
        ("arch", "archivist", ""),
        ("boss", "admin", ""),
        ("secret", "reviewer", "Tối mật"),
    ):
        store.add_user(
            name, role=role, clearance=clearance, password_hash=auth.hash_password(PASSWORD)
        )
    derivatives_root = settings.data_dir / "derivatives"
    masters = settings.data_dir / "masters"
    masters.mkdir(parents=True, exist_ok=True)
    pages: dict[str, list[int]] = {}
    batches: dict[str, int] = {}
    plan = (
        ("op1", "05/01/HS-001", 6),
        ("rev1", "05/01/HS-002", 3),
        ("op1", "05/01/HS-003", 2),
    )
    for operator, folder_id, count in plan:
        batch_id = batches.get(operator) or store.create_batch(
            f"batch-{operator}", masters, "text-gray-300", None
        )
        store.set_batch_source(
            batch_id, source_dir=masters, operator=operator, station_name="s1", origin="hotfolder"
        )
        batches[operator] = batch_id
        ids = []
        for number in range(1, count + 1):
            name = f"{folder_id.replace('/', '_')}_{number:03d}"
            master = masters / f"{name}.tif"
            picture = Image.new("L", (1240, 1754), 255)
            draw = ImageDraw.Draw(picture)
            draw.text((100, 100), f"{folder_id} trang {number}", fill=0)
            picture.save(master, dpi=(150, 150))
            page_id = store.add_page(
                batch_id,
                seq=len(ids),
                source_file=f"{name}.tif",
                page_index=0,
                sha256=f"{hash(name) & 0xFFFFFFFF:064x}",
                master_path=master,
            )
            work = derivatives_root / f"{page_id:08d}"
            work.mkdir(parents=True)
            picture.resize((620, 877)).save(work / "preview.jpg")
            picture.resize((160, 226)).save(work / "thumbnail.jpg")
            (work / "page.hocr").write_text(_HOCR.format(n=number), encoding="utf-8")
            flags = ["blurred"] if (folder_id, number) == ("05/01/HS-001", 3) else []
            flags += ["possible_blank"] if (folder_id, number) == ("05/01/HS-001", 5) else []
            store.update_page(
                page_id,
                state="ok",
                flags=flags,
                dpi=150.0,
                width_px=1240,
                height_px=1754,
                rotation=0,
                ocr_confidence=88.0,
                ocr_word_count=6,
                derivatives={
                    "preview": str(work / "preview.jpg"),
                    "thumbnail": str(work / "thumbnail.jpg"),
                    "hocr": str(work / "page.hocr"),
                },
            )
            ids.append(page_id)
        store.place_pages(folder_id, ids, "text-gray-300")
        pages[folder_id] = ids
    numbers = {f.folder_id: f.id for f in store.list_folders()}
    return ReviewRoom(settings, store, numbers, pages, batches)  # type: ignore[arg-type]


_HOCR = """<?xml version="1.0" encoding="UTF-8"?>
<html xmlns="http://www.w3.org/1999/xhtml"><body><div class="ocr_page" title="bbox 0 0 1240 1754">
<p class="ocr_par"><span class="ocr_line" title="bbox 100 100 900 140">
<span class="ocrx_word" title="bbox 100 100 200 140; x_wconf 95">Công</span>
<span class="ocrx_word" title="bbox 210 100 300 140; x_wconf 91">văn</span>
<span class="ocrx_word" title="bbox 310 100 400 140; x_wconf 42">sô</span>
<span class="ocrx_word" title="bbox 410 100 500 140; x_wconf 90">{n}</span>
</span></p></div></body></html>
"""


@pytest.fixture
def review_room(settings: StationSettings) -> ReviewRoom:
    return make_review_room(settings)


@contextmanager
def serving(settings: StationSettings) -> Iterator[str]:
    """The real review app under uvicorn on a free loopback port, in a thread: its URL."""
    import socket
    import threading
    import time

    import uvicorn

    from qa.app import create_app

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    app = create_app(settings)
    uv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=uv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not uv.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the review app did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        uv.should_exit = True
        thread.join(10)
