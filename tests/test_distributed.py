"""Distributed mode on a real PostgreSQL with real workers: the same outputs as a local run,
every page recorded once and every folder assembled once whatever is killed, a page over
its time limit given up in the end, and the jobs themselves idempotent.

The database server is the suite's in its PostgreSQL run, else the development service
(`scripts/services up`, idempotent); each test works in a database of its own (conftest's,
copied from a migrated template with the queue's schema), so tests never see each other's
queues.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import make_samples as ms
import numpy as np
import psycopg
import pytest
from conftest import POSTGRES_SERVER, PostgresDatabases
from PIL import Image

from station.distributed import batches, jobs, queue
from station.errors import ExitCode
from station.pipeline import separators
from station.settings import load_settings
from station.store import Store

REPO = Path(__file__).resolve().parent.parent
STATION = str(REPO / ".venv" / "bin" / "station")
MANIFEST = """\
Mã phông;Hộp số;Hồ sơ số;Mã hồ sơ;Tiêu đề hồ sơ;Ngày bắt đầu;Ngày kết thúc;\
Thời hạn bảo quản;Số lượng tờ
DX;1;1;DX/H01/HS01;Hồ sơ thứ nhất;2010;2024;Vĩnh viễn;3
DX;1;2;DX/H01/HS02;Hồ sơ thứ hai;2010;2024;Vĩnh viễn;3
"""
FAST = {  # workers that notice a dead colleague in seconds, not a minute
    "STATION_HEARTBEAT_S": "0.5",
    "STATION_STALLED_AFTER_S": "3",
}


def services(*args: str, **env: str) -> str:
    done = subprocess.run(
        ["bash", str(REPO / "scripts" / "services"), *args],
        capture_output=True,
        text=True,
        env=os.environ | env,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def server_url(**env: str) -> str:
    line = services("up", **env).strip()
    assert line.startswith("export STATION_DATABASE_URL="), line
    return line.split("=", 1)[1]


@dataclass
class Room:
    """A data directory and a database shared by `station process` and the workers."""

    root: Path
    url: str

    def env(self, **extra: str) -> dict[str, str]:
        return os.environ | {
            "STATION_DATABASE_URL": self.url,
            "STATION_DATA_DIR": str(self.root / "data"),
            "STATION_PROFILES_DIR": str(REPO / "profiles"),
            "STATION_CONFIG": str(self.root / "station.toml"),
            # the queue (the suite's PostgreSQL run keeps other tests local); a SQLite room is
            # the local run the distributed one is compared with
            "STATION_WORK": "queue" if self.url.startswith("postgresql") else "auto",
            **FAST,
            **extra,
        }

    def station(self, *args: str, **extra: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [STATION, *args], env=self.env(**extra), capture_output=True, text=True, timeout=600
        )

    def start(self, *args: str, **extra: str) -> subprocess.Popen[str]:
        return subprocess.Popen(
            [STATION, *args],
            env=self.env(**extra),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def store(self) -> Store:
        return Store.open(self.url)

    def sql(self, query: str) -> list[tuple[Any, ...]]:
        with psycopg.connect(queue.conninfo(self.url)) as connection:
            return connection.execute(query).fetchall()  # type: ignore[arg-type]


def workers(room: Room, concurrency: int = 2, **extra: str) -> subprocess.Popen[str]:
    process = room.start("worker", "--concurrency", str(concurrency), **extra)
    deadline = time.monotonic() + 60
    while len(worker_pids(process)) < concurrency:
        assert process.poll() is None, process.communicate()[1]
        assert time.monotonic() < deadline, "workers did not start"
        time.sleep(0.2)
    return process


def stop(process: subprocess.Popen[str]) -> str:
    """SIGTERM, as systemd stops a worker; the log it wrote."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
    return process.communicate()[1]


def worker_pids(supervisor: subprocess.Popen[str]) -> list[int]:
    """The worker processes: children of the forkserver the supervisor started."""
    found = []
    for server in _children(supervisor.pid):
        found += _children(server)
    return found


def _children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(p) for p in text.split()]


def make_batch(root: Path, seed: int, documents: int = 4) -> Path:
    """Two manifest folders, each a separator sheet and documents, a blank page between."""
    batch = root / f"batch-{seed}"
    batch.mkdir()
    scans: list[Image.Image] = []
    for folder, title in (("DX/H01/HS01", "Hồ sơ thứ nhất"), ("DX/H01/HS02", "Hồ sơ thứ hai")):
        label = separators.SeparatorLabel(folder, "1", folder[-1], title)
        scans.append(Image.fromarray(separators.render_separator_sheet(label)))
        for n in range(documents // 2):
            page, _ = ms.render_document_page(np.random.default_rng(seed * 100 + len(scans)))
            scans.append(page)
            if n == 0:
                scans.append(ms.render_continuation_page(seed + len(scans), 2))
        scans.append(ms.render_blank_page(np.random.default_rng(seed), dpi=300))
    for number, image in enumerate(scans, start=1):
        image.save(batch / f"scan_{number:03d}.png", dpi=(300, 300))
    return batch


def import_manifest(room: Room) -> None:
    (room.root / "manifest.csv").write_text(MANIFEST, encoding="utf-8")
    done = room.station("manifest", "import", str(room.root / "manifest.csv"))
    assert done.returncode == 0, done.stderr


@pytest.fixture(scope="module")
def databases() -> PostgresDatabases:
    """The suite's PostgreSQL in its PostgreSQL run, else the development service."""
    return PostgresDatabases(POSTGRES_SERVER or server_url())


@pytest.fixture
def room(databases: PostgresDatabases, tmp_path: Path) -> Iterator[Room]:
    made = Room(tmp_path, databases.create())
    import_manifest(made)
    yield made
    databases.drop(made.url)


def recorded_once(room: Room, batch_id: int) -> None:
    """Every page has one result (one OCR event, one capture), each PDF/A one assembly."""
    pages = room.sql(f"select id, state from page where batch_id = {batch_id}")
    assert pages and all(state in ("ok", "failed") for _, state in pages)
    for stage in ("capture", "ocr"):
        counts = room.sql(
            f"select page_id, count(*) from event where batch_id = {batch_id} "
            f"and stage = '{stage}' group by page_id"
        )
        expected = len(pages) if stage == "capture" else len([p for p in pages if p[1] == "ok"])
        assert len(counts) >= expected - 2 and all(c == 1 for _, c in counts), (stage, counts)
    assembled = room.sql(  # each PDF/A (a folder's, each document's) written once
        f"select detail->>'pdf', count(*) from event where batch_id = {batch_id} "
        "and stage = 'assemble' group by 1"
    )
    assert len(assembled) >= 2 and all(count == 1 for _, count in assembled), assembled


def report(out: Path) -> dict[str, dict[str, Any]]:
    records = json.loads((out / "report.json").read_text(encoding="utf-8"))
    return {r["source_file"]: r for r in records}


# --- the same outputs as the single box -------------------------------------------------------


def test_two_workers_give_what_one_box_gives(room: Room, tmp_path: Path) -> None:
    batch = make_batch(tmp_path, 3)
    (tmp_path / "local").mkdir()
    local = Room(tmp_path / "local", "sqlite:///" + str(tmp_path / "local" / "station.db"))
    import_manifest(local)
    alone = local.station("process", str(batch), "--out", str(local.root / "out"))
    assert alone.returncode == 0, alone.stderr

    running = workers(room)
    try:
        done = room.station("process", str(batch), "--out", str(tmp_path / "out"))
        assert done.returncode == 0, done.stderr + done.stdout
        assert "Processing" in done.stdout or "Pages" in done.stdout
        status = room.station("status", "--json")
        work = json.loads(status.stdout)
        assert work["queue"]["live_workers"] == 2
        assert sum(work["pages_per_minute"].values()) > 0
    finally:
        stop(running)
    here, there = report(tmp_path / "out"), report(local.root / "out")
    assert here.keys() == there.keys()
    for name, record in there.items():
        mine = here[name]
        for key in ("status", "blank", "separator", "folder_id", "rotation"):
            assert mine[key] == record[key], (name, key, mine[key], record[key])
        assert sorted(mine["flags"]) == sorted(record["flags"]), name
    for folder in ("DX-H01-HS01", "DX-H01-HS02"):
        assert (tmp_path / "out" / f"{folder}.pdf").is_file()
    documents = json.loads((tmp_path / "out" / "documents.json").read_text(encoding="utf-8"))
    alone_documents = json.loads((local.root / "out" / "documents.json").read_text("utf-8"))
    assert [(d["folder_id"], d["sequence"], d["number_symbol"]) for d in documents] == [
        (d["folder_id"], d["sequence"], d["number_symbol"]) for d in alone_documents
    ]
    (batch_id,) = room.sql("select id from batch")[0]
    recorded_once(room, batch_id)
    workers_seen = room.sql("select distinct processed_by from page where processed_by is not null")
    assert len(workers_seen) == 2, "both workers took pages"


# --- faults -----------------------------------------------------------------------------------


def test_workers_killed_ten_times_lose_and_double_nothing(room: Room, tmp_path: Path) -> None:
    batch = make_batch(tmp_path, 5, documents=8)
    running = workers(room)
    process = room.start("process", str(batch), "--out", str(tmp_path / "out"))
    chance = random.Random(11)
    kills = 0
    try:
        while kills < 10 and process.poll() is None:
            time.sleep(chance.uniform(0.3, 1.5))
            pids = worker_pids(running)
            if pids:
                os.kill(chance.choice(pids), signal.SIGKILL)
                kills += 1
        _out, err = process.communicate(timeout=600)
    finally:
        log = stop(running)
    assert process.returncode == 0, err
    assert kills == 10, f"the batch finished after {kills} kills: make it longer"
    assert log.count("starting another") >= 10
    (batch_id,) = room.sql("select id from batch")[0]
    recorded_once(room, batch_id)
    records = report(tmp_path / "out")
    assert all(r["status"] == "ok" for r in records.values()), records


def test_the_database_restarted_mid_batch(tmp_path: Path) -> None:
    """A PostgreSQL of its own (another port), stopped and started while pages run."""
    # pytest's temporary folders are the test user's alone; PostgreSQL runs as postgres.
    services_dir = Path(tempfile.mkdtemp(prefix="station-services-", dir="/tmp"))
    services_dir.chmod(0o755)
    own = {"STATION_SERVICES_DIR": str(services_dir), "STATION_SERVICES_PG_PORT": "55491"}
    try:
        room = Room(tmp_path, PostgresDatabases(server_url(**own)).create())
        import_manifest(room)
        batch = make_batch(tmp_path, 7)
        running = workers(room)
        process = room.start("process", str(batch), "--out", str(tmp_path / "out"))
        try:
            deadline = time.monotonic() + 120
            # Pages running, every original stored: the restart this test is about. (One
            # during intake stops `station process` with a clear error, to be run again.)
            while not room.sql(
                "select 1 from page join batch on batch.id = page.batch_id "
                "where page.state = 'ok' and batch.taken_in_at is not null limit 1"
            ):
                assert time.monotonic() < deadline and process.poll() is None
                time.sleep(0.3)
            services("down", **own)
            time.sleep(5)  # a few seconds without a database: everyone waits and retries
            server_url(**own)
            _out, err = process.communicate(timeout=600)
        finally:
            log = stop(running)
        assert process.returncode == 0, err + log
        (batch_id,) = room.sql("select id from batch")[0]
        recorded_once(room, batch_id)
    finally:
        services("down", **own)
        shutil.rmtree(services_dir, ignore_errors=True)


def test_a_page_over_its_time_limit_is_given_up(room: Room, tmp_path: Path) -> None:
    batch = tmp_path / "slow"
    batch.mkdir()
    page, _ = ms.render_document_page(np.random.default_rng(9))
    page.save(batch / "scan_001.png", dpi=(300, 300))
    limits = {"STATION_PAGE_TIME_LIMIT_S": "0.2", "STATION_JOB_ATTEMPTS": "2"}
    running = workers(room, 1, **limits)
    try:
        done = room.station("process", str(batch), "--out", str(tmp_path / "out"))
    finally:
        log = stop(running)
    assert done.returncode == ExitCode.PAGES_FAILED, done.stderr
    (record,) = report(tmp_path / "out").values()
    assert record["status"] == "failed"
    assert "given up after 2 attempts" in record["error"] and "scan_001.png" in record["error"]
    assert "ran over" in log and "starting another" in log


# --- the jobs, one by one ---------------------------------------------------------------------


def test_jobs_are_idempotent(room: Room, tmp_path: Path) -> None:
    """A page job for a page already recorded, or for content it no longer holds, does
    nothing; a finish job for a finished batch does nothing."""
    batch = tmp_path / "one"
    batch.mkdir()
    page, _ = ms.render_document_page(np.random.default_rng(4))
    page.save(batch / "scan_001.png", dpi=(300, 300))
    running = workers(room, 1)
    try:
        assert room.station("process", str(batch), "--out", str(tmp_path / "out")).returncode == 0
    finally:
        stop(running)
    store = room.store()
    settings = load_settings(
        database_url=room.url, data_dir=room.root / "data", profiles_dir=REPO / "profiles"
    )
    (stored,) = store.pages_of_batch(1)
    assert stored.id is not None
    assert not jobs.run_page_job(store, settings, stored.id, stored.sha256)
    assert not jobs.run_page_job(store, settings, stored.id, "0" * 64)
    assert not jobs.finish_batch_job(store, settings, 1)
    assert room.sql("select count(*) from event where stage = 'assemble'") == [(1,)]


def test_a_batch_is_handed_on_after_its_last_result_once_and_never_early(
    room: Room, tmp_path: Path
) -> None:
    """The batch's finish job is queued by the result of its last page, not before; and a
    worker that died between committing that result and asking whether the batch was
    complete is made good by its job run again."""
    store = room.store()
    settings = load_settings(
        database_url=room.url, data_dir=room.root / "data", profiles_dir=REPO / "profiles"
    )
    finish_jobs = "select count(*) from procrastinate_jobs where task_name = 'station:finish_batch'"

    def hand_on(session: Any, batch: Any) -> None:
        queue.finish_job(session, batch.id)

    def batch_of(name: str, pages: int) -> list[tuple[int, str]]:
        batch_id = store.create_batch(name, tmp_path, "text-gray-300", None)
        made = []
        for seq in range(pages):
            sha256 = f"{name}{seq}".encode().hex().ljust(64, "0")
            master = tmp_path / f"{seq}.png"
            page_id = store.add_page(
                batch_id, seq=seq, source_file=master.name, page_index=0, sha256=sha256,
                master_path=master,
            )  # fmt: skip
            made.append((page_id, sha256))
        store.end_intake(batch_id, on_batch_done=hand_on)
        return made

    first, second = batch_of("two", 2)
    assert store.record_page_result(first[0], {"state": "ok"}, [], sha256=first[1],
                                    on_batch_done=hand_on)  # fmt: skip
    assert room.sql(finish_jobs) == [(0,)]  # one page still waits
    assert store.record_page_result(second[0], {"state": "ok"}, [], sha256=second[1],
                                    on_batch_done=hand_on)  # fmt: skip
    assert room.sql(finish_jobs) == [(1,)]
    # asked again (two workers both saw nothing left): still one finish job waiting
    page = store.get_page(first[0])
    assert page is not None
    store.hand_on_if_complete(page.batch_id, hand_on)
    assert room.sql(finish_jobs) == [(1,)]

    ((lone, sha256),) = batch_of("crashed", 1)
    # the worker committed the result, then died before asking
    assert store.record_page_result(lone, {"state": "ok"}, [], sha256=sha256)
    assert room.sql(finish_jobs) == [(1,)]
    assert not jobs.run_page_job(store, settings, lone, sha256)  # the stalled job, retried
    assert room.sql(finish_jobs) == [(2,)]
    assert room.sql(
        "select count(distinct args->>'batch_id') from procrastinate_jobs "
        "where task_name = 'station:finish_batch'"
    ) == [(2,)]


def test_a_worker_needs_the_shared_database(tmp_path: Path) -> None:
    local = Room(tmp_path, "sqlite:///" + str(tmp_path / "station.db"))
    done = local.station("worker", STATION_WORK="auto")
    assert done.returncode == ExitCode.BAD_CONFIG
    assert "STATION_DATABASE_URL" in done.stderr and "PostgreSQL" in done.stderr
    done = local.station("status", STATION_WORK="queue")  # the queue asked for, on SQLite
    assert done.returncode == ExitCode.BAD_CONFIG
    assert "work = queue needs a PostgreSQL database_url" in " ".join(done.stderr.split())


def test_work_can_stay_local_on_postgresql(room: Room, tmp_path: Path) -> None:
    """STATION_WORK=local: one machine on PostgreSQL, pages in its own pool, no queue."""
    done = room.station("worker", STATION_WORK="local")
    assert done.returncode == ExitCode.BAD_CONFIG and "work = local" in done.stderr
    batch = tmp_path / "one"
    batch.mkdir()
    page, _ = ms.render_document_page(np.random.default_rng(5))
    page.save(batch / "scan_001.png", dpi=(300, 300))
    done = room.station("process", str(batch), "--out", str(tmp_path / "out"), STATION_WORK="local")
    assert done.returncode == 0, done.stderr
    assert room.sql("select state from page") == [("ok",)]
    assert room.sql("select count(*) from procrastinate_jobs") == [(0,)]


def test_jobs_go_on_the_queue_with_their_page(room: Room, tmp_path: Path) -> None:
    """No worker runs: the batch's pages and their jobs are in the database together."""
    batch = make_batch(tmp_path, 8, documents=2)
    process = room.start("process", str(batch), "--out", str(tmp_path / "out"))
    try:
        deadline = time.monotonic() + 120
        while not room.sql("select 1 from batch where taken_in_at is not null"):
            assert time.monotonic() < deadline
            time.sleep(0.3)
        pages = room.sql("select id from page order by id")
        queued = room.sql(
            "select (args->>'page_id')::int, priority from procrastinate_jobs "
            "where task_name = 'station:process_page' order by 1"
        )
        assert [p for (p,) in pages] == [p for p, _ in queued]
        assert {priority for _, priority in queued} == {queue.PRIORITY_SMALL}
        # the process counts from its own start, which a loaded machine delays: wait the
        # whole period again from the end of intake
        time.sleep(batches.NO_WORKER_WARNING_S + 5)
    finally:
        process.send_signal(signal.SIGINT)
        _out, err = process.communicate(timeout=60)
    assert "no worker is running" in " ".join(err.split()), err


def test_watch_takes_the_next_batch_in_while_the_workers_run(room: Room, tmp_path: Path) -> None:
    """Two scanners' batches: with no worker running, the watcher takes both in (pages
    queued, folders moved to _done) instead of waiting for the first to be finished; workers
    started afterwards finish both, and the watcher reports each."""
    hot = tmp_path / "hot"
    env = {"STATION_HOTFOLDERS": str(hot), "STATION_OUTPUT_DIR": str(tmp_path / "out")}
    for seed in (11, 12):
        batch = make_batch(tmp_path, seed, documents=2)
        target = hot / "text-gray-300" / f"scanner-{seed}"
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(batch, target)
        (target / "batch.done").write_text("operator: op1\n", encoding="utf-8")
    watching = room.start("watch", **env)
    running = None
    try:
        deadline = time.monotonic() + 240
        while len(room.sql("select 1 from batch where taken_in_at is not null")) < 2:
            assert watching.poll() is None, watching.communicate()[1]
            assert time.monotonic() < deadline, "both batches were not taken in"
            time.sleep(0.5)
        assert room.sql("select count(*) from page where state = 'ok'") == [(0,)]
        assert sorted(p.name for p in (hot / "_done" / "text-gray-300").iterdir()) == [
            "scanner-11",
            "scanner-12",
        ]
        running = workers(room, 2)
        while room.sql("select count(*) from batch where state like 'done%'") != [(2,)]:
            assert watching.poll() is None, watching.communicate()[1]
            assert time.monotonic() < deadline + 300, "the workers did not finish both"
            time.sleep(0.5)
    finally:
        if running is not None:
            stop(running)
        watching.send_signal(signal.SIGTERM)  # the watcher reports what is done, then stops
        out, err = watching.communicate(timeout=120)
    output = out + err
    assert watching.returncode == 0, output
    for seed in (11, 12):
        assert f"Batch scanner-{seed}" in output, output
        assert (tmp_path / "out" / "text-gray-300" / f"scanner-{seed}" / "report.json").is_file()


def test_the_queue_forgets_jobs_that_succeeded_long_ago(
    room: Room, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Upkeep deletes the queue's rows of jobs that succeeded more than `done_jobs_kept_h`
    ago (the page records stay in station's tables); recent and failed jobs stay."""
    made = room.sql(  # through the states a worker takes them, each leaving its event
        "insert into procrastinate_jobs (queue_name, task_name, args) values"
        " ('pages', 'station:process_page', '{}'), ('pages', 'station:process_page', '{}'),"
        " ('pages', 'station:process_page', '{}') returning id"
    )
    old_done, new_done, old_failed = (row[0] for row in made)
    room.sql("update procrastinate_jobs set status = 'doing' returning id")
    room.sql(
        "update procrastinate_jobs set status = case id when"
        f" {old_failed} then 'failed'::procrastinate_job_status else 'succeeded' end returning id"
    )
    room.sql(
        "update procrastinate_events set at = at - interval '8 days'"
        f" where job_id in ({old_done}, {old_failed}) returning job_id"
    )
    for name, value in room.env().items():
        monkeypatch.setenv(name, value)
    jobs._context.cache_clear()  # this process's settings and store: the room's
    app = queue.make_app(room.url)

    async def upkeep() -> None:
        async with app.open_async():
            await jobs.forget_done_jobs.configure(app=app).defer_async(timestamp=0)
            await app.run_worker_async(queues=[queue.UPKEEP], wait=False)

    try:
        asyncio.run(upkeep())
    finally:
        jobs._context.cache_clear()
    left = {row[0] for row in room.sql("select id from procrastinate_jobs")}
    assert old_done not in left
    assert {new_done, old_failed} <= left
