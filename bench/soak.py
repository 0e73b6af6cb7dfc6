"""Crash soak: `station watch` SIGKILLed at random moments over a stream of hot-folder batches,
`station serve` restarted under load, and afterwards the books must balance.

What is checked, after the last kill, once the watcher has finished everything:
- every file dropped is recorded exactly once (one page row per file, done), in exactly one
  batch record per batch dropped, its original untouched in `_done/`;
- every batch's PDF/A is written once: one `assemble` event, one file in the output, valid
  PDF/A with a page per page, no half-written file beside it;
- no "database is locked" (nor any other server error) reached a user: in HTTP answers, in
  the watcher's and the server's output;
- the batch reports agree with the database.

The kills are seeded: `--seed` replays the same moments. Half of them take the watcher's
whole process group (a power cut, a service manager's kill), half only its main process,
leaving its page workers orphaned (an out-of-memory kill). The server is restarted a few
times while a reviewer's client reads the queue and decides pages, so requests meet the
restart and the watcher's writes.

    .venv/bin/python bench/soak.py --kills 20
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
RESULTS = REPO / "bench" / "results" / "soak.json"
PASSWORD = "correct horse battery"
PROFILE = "text-gray-300"
LOCKED = "database is locked"


@dataclass
class SoakPlan:
    batches: int = 8
    pages: int = 4  # per batch
    kills: int = 20
    server_restarts: int = 3
    seed: int = 1
    dpi: int = 200
    timeout_s: float = 1200.0


@dataclass
class Load:
    """What the reviewer's client saw."""

    requests: int = 0
    answered: Counter[int] = field(default_factory=Counter)
    unreachable: int = 0  # connection refused or reset: the server was restarting
    server_errors: list[str] = field(default_factory=list)
    locked: list[str] = field(default_factory=list)
    decisions: int = 0


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _environment(work: Path) -> dict[str, str]:
    return {
        **os.environ,
        "STATION_DATA_DIR": str(work / "data"),
        "STATION_HOTFOLDERS": str(work / "hot"),
        "STATION_OUTPUT_DIR": str(work / "out"),
        "STATION_PROFILES_DIR": str(REPO / "profiles"),
        "STATION_CONFIG": str(work / "station.toml"),
        "STATION_WORKERS": "2",
        "STATION_RESCAN_INTERVAL_S": "1",
    }


MANIFEST_HEAD = (
    "Mã phông;Mục lục số;Hộp số;Hồ sơ số;Mã hồ sơ;Tiêu đề hồ sơ;Ngày bắt đầu;Ngày kết thúc;"
    "Thời hạn bảo quản;Chế độ sử dụng;Số lượng tờ;Ngôn ngữ;Độ mật"
)


def folder_ids(plan: SoakPlan) -> dict[str, list[str]]:
    """Two manifest folders (hồ sơ) per batch, each arriving as a subfolder of it."""
    return {
        f"hop-{number:02d}": [f"SK-{2 * number - 1:02d}", f"SK-{2 * number:02d}"]
        for number in range(1, plan.batches + 1)
    }


def write_manifest(path: Path, plan: SoakPlan) -> None:
    rows = [MANIFEST_HEAD]
    per_folder = max(1, plan.pages // 2)
    for batch, ids in folder_ids(plan).items():
        for folder_id in ids:
            number = int(folder_id[3:])
            rows.append(
                f"P99;1;{batch[4:]};{number};{folder_id};Hồ sơ thử nghiệm số {number};2019;2019;"
                f"Vĩnh viễn;Công khai;{per_folder};vi;"
            )
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")


def make_batches(staging: Path, plan: SoakPlan) -> dict[str, dict[str, str]]:
    """Small generated pages in TIFF, PNG and JPEG, in one subfolder per folder: for each
    batch, its files (relative paths) and their checksums."""
    import make_samples as ms
    import numpy as np

    from station.ingest import sha256_of

    made: dict[str, dict[str, str]] = {}
    per_folder = max(1, plan.pages // 2)
    for batch_number, (name, ids) in enumerate(folder_ids(plan).items(), start=1):
        made[name] = {}
        for folder_id in ids:
            folder = staging / name / folder_id
            folder.mkdir(parents=True)
            for page_number in range(1, per_folder + 1):
                seed = plan.seed * 10_000 + int(folder_id[3:]) * 10 + page_number
                page, _ = ms.render_document_page(np.random.default_rng(seed), dpi=plan.dpi)
                stem = folder / f"scan_{page_number:03d}"
                kind = (batch_number + page_number) % 3
                if kind == 0:
                    path = stem.with_suffix(".tif")
                    page.save(path, dpi=(plan.dpi, plan.dpi), compression="tiff_lzw")
                elif kind == 1:
                    path = stem.with_suffix(".png")
                    page.save(path, dpi=(plan.dpi, plan.dpi))
                else:
                    path = stem.with_suffix(".jpg")
                    page.convert("L").save(path, dpi=(plan.dpi, plan.dpi), quality=90)
                made[name][f"{folder_id}/{path.name}"] = sha256_of(path)
    return made


def _drop(staging: Path, hot: Path, name: str, hashes: dict[str, str]) -> None:
    """As a scanner does: the images first, then `batch.done` naming them with checksums."""
    target = hot / name
    for relative in hashes:
        (target / relative).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(staging / name / relative, target / relative)
    lines = ["operator: Trần Văn Bình", "station: soak"]
    lines += [f"{digest}  {relative}" for relative, digest in hashes.items()]
    (target / "batch.done").write_text("\n".join(lines) + "\n", encoding="utf-8")


class Processes:
    """The watcher and the server, started and killed, their output kept in files."""

    def __init__(self, work: Path, env: dict[str, str], port: int) -> None:
        self.work, self.env, self.port = work, env, port
        self.logs = work / "logs"
        self.logs.mkdir(parents=True, exist_ok=True)
        self.watcher: subprocess.Popen[bytes] | None = None
        self.server: subprocess.Popen[bytes] | None = None
        self.watch_runs = 0
        self.server_runs = 0
        self.groups: list[int] = []  # every watcher's process group, orphans included

    def _start(self, args: list[str], log_name: str) -> subprocess.Popen[bytes]:
        with (self.logs / log_name).open("wb") as log:
            return subprocess.Popen(
                [sys.executable, "-m", "station", *args],
                env=self.env,
                cwd=REPO,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # a process group of its own: killed whole
            )

    def start_watcher(self) -> None:
        self.watch_runs += 1
        self.watcher = self._start(
            ["watch", "--profile", PROFILE], f"watch-{self.watch_runs:02d}.log"
        )
        self.groups.append(self.watcher.pid)

    def kill_watcher(self, whole_group: bool) -> int | None:
        """Kill the running watcher; the exit code instead when it had already stopped by
        itself (which no watcher may do)."""
        assert self.watcher is not None
        if self.watcher.poll() is not None:
            return self.watcher.returncode
        if whole_group:
            os.killpg(self.watcher.pid, signal.SIGKILL)
        else:
            self.watcher.send_signal(signal.SIGKILL)
        self.watcher.wait(timeout=30)
        return None

    def start_server(self) -> None:
        self.server_runs += 1
        self.server = self._start(
            ["serve", "--no-watch", "--port", str(self.port)], f"serve-{self.server_runs:02d}.log"
        )

    def restart_server(self, hard: bool) -> None:
        assert self.server is not None
        self.server.send_signal(signal.SIGKILL if hard else signal.SIGTERM)
        self.server.wait(timeout=60)
        self.start_server()

    def stop(self) -> dict[str, int | None]:
        codes: dict[str, int | None] = {}
        for name, process in (("watcher", self.watcher), ("server", self.server)):
            if process is None:
                continue
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
                try:
                    process.wait(timeout=90)
                except subprocess.TimeoutExpired:
                    os.killpg(process.pid, signal.SIGKILL)
                    process.wait()
            codes[name] = process.returncode
        for group in self.groups:  # page workers a kill left orphaned, if any still run
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(group, signal.SIGKILL)
        return codes

    def output(self) -> str:
        return "\n".join(
            p.read_text(encoding="utf-8", errors="replace") for p in sorted(self.logs.iterdir())
        )


def _reviewer_load(base: str, stop: threading.Event, load: Load, seed: int) -> None:
    """A reviewer reading the queue and deciding pages, as fast as the server answers."""
    import httpx

    chance = random.Random(seed)
    client = httpx.Client(base_url=base, timeout=30)

    def note(response: httpx.Response, what: str) -> None:
        load.requests += 1
        load.answered[response.status_code] += 1
        body = response.text
        if LOCKED in body.lower():
            load.locked.append(f"{what}: {response.status_code} {body[:200]}")
        if response.status_code >= 500:
            load.server_errors.append(f"{what}: {response.status_code} {body[:200]}")

    csrf = ""
    while not stop.is_set():
        try:
            if not csrf:
                answer = client.post("/api/login", data={"username": "rev", "password": PASSWORD})
                note(answer, "POST /api/login")
                if answer.status_code == 200:
                    csrf = answer.json()["csrf_token"]
                continue
            answer = client.get("/api/activity")
            note(answer, "GET /api/activity")
            note(client.get("/"), "GET /")
            folders = client.get("/api/folders")
            note(folders, "GET /api/folders")
            if folders.status_code == 401:
                csrf = ""
                continue
            pages = _some_page_ids(client, note) if folders.status_code == 200 else []
            if pages:
                page_id = chance.choice(pages)
                note(client.get(f"/api/pages/{page_id}"), "GET /api/pages/{id}")
                decided = client.post(
                    f"/api/pages/{page_id}/decision",
                    json={"decision": chance.choice(["approve", "undecided"])},
                    headers={"X-CSRF-Token": csrf},
                )
                note(decided, "POST /api/pages/{id}/decision")
                load.decisions += decided.status_code == 200
        except (httpx.TransportError, json.JSONDecodeError):
            load.unreachable += 1
            time.sleep(0.2)
    client.close()


def _some_page_ids(client: Any, note: Any) -> list[int]:
    """Pages of the first folders in the queue (`/api/folders`, then their pages)."""
    listed = client.get("/api/folders", params={"limit": 5})
    note(listed, "GET /api/folders?limit=5")
    if listed.status_code != 200:
        return []
    ids: list[int] = []
    for folder in listed.json().get("folders", [])[:2]:
        pages = client.get(f"/api/folders/{folder['id']}/pages")
        note(pages, "GET /api/folders/{id}/pages")
        if pages.status_code == 200:
            ids += [p["id"] for p in pages.json()]
    return ids


def _wait(condition: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.5)
    raise TimeoutError(f"timed out after {timeout:.0f} s waiting for {what}")


def _ready(base: str) -> bool:
    import httpx

    try:
        return httpx.get(f"{base}/login", timeout=5).status_code == 200
    except httpx.HTTPError:
        return False


def run_soak(work: Path, plan: SoakPlan, *, say: Any = print) -> dict[str, Any]:
    """The whole soak in `work`; the figures and every problem found (empty when sound)."""
    from station.settings import StationSettings
    from station.store import Store

    started = time.monotonic()
    env = _environment(work)
    hot = Path(env["STATION_HOTFOLDERS"]) / PROFILE
    added = subprocess.run(
        [sys.executable, "-m", "station", "users", "add", "rev", "--role", "reviewer",
         "--password-stdin"],
        input=PASSWORD, text=True, env=env, cwd=REPO, capture_output=True, check=False,
    )  # fmt: skip
    if added.returncode != 0:
        raise RuntimeError(f"cannot add the reviewer: {added.stderr}")
    write_manifest(work / "manifest.csv", plan)
    imported = subprocess.run(
        [sys.executable, "-m", "station", "manifest", "import", str(work / "manifest.csv")],
        text=True, env=env, cwd=REPO, capture_output=True, check=False,
    )  # fmt: skip
    if imported.returncode != 0:
        raise RuntimeError(f"cannot import the manifest: {imported.stdout}{imported.stderr}")
    say(f"making {plan.batches} batches of {plan.pages} pages in {2 * plan.batches} folders")
    made = make_batches(work / "staging", plan)
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    processes = Processes(work, env, port)
    processes.start_server()
    _wait(lambda: _ready(base), 60, "the review app")
    processes.start_watcher()
    stop, load = threading.Event(), Load()
    reviewer = threading.Thread(
        target=_reviewer_load, args=(base, stop, load, plan.seed), daemon=True
    )
    reviewer.start()
    chance = random.Random(plan.seed)
    store = Store.open(StationSettings(data_dir=Path(env["STATION_DATA_DIR"])).database_url)
    pending = list(made)
    restart_at = set(chance.sample(range(1, plan.kills + 1), min(plan.server_restarts, plan.kills)))
    kills: list[dict[str, Any]] = []
    died: list[str] = []
    try:
        for kill in range(1, plan.kills + 1):
            # A batch or two arrive while the watcher runs; then it dies at a random moment.
            for _ in range(chance.choice([0, 1, 1, 2])):
                if pending:
                    name = pending.pop(0)
                    _drop(work / "staging", hot, name, made[name])
            # From just after the start (the pool still coming up) to well into the pages.
            time.sleep(chance.uniform(0.5, 8.0))
            whole = kill % 2 == 1
            done = _pages_done(store)
            exited = processes.kill_watcher(whole_group=whole)
            if exited is not None:
                died.append(f"watcher run {processes.watch_runs} exited by itself ({exited})")
            kills.append({"kill": kill, "whole_group": whole, "pages_done": done})
            say(f"kill {kill}/{plan.kills} ({'group' if whole else 'main process'}); "
                f"{done} pages done")  # fmt: skip
            if kill in restart_at:
                hard = len([k for k in restart_at if k <= kill]) % 2 == 0
                processes.restart_server(hard=hard)
                say(f"server restarted ({'SIGKILL' if hard else 'SIGTERM'})")
            time.sleep(chance.uniform(0.0, 1.0))
            processes.start_watcher()
        for name in pending:
            _drop(work / "staging", hot, name, made[name])
        _wait(
            lambda: _all_done(store, made), plan.timeout_s, "every batch to finish after the kills"
        )
        _wait(lambda: _ready(base), 60, "the review app")
        time.sleep(1.0)  # the reviewer meets the finished station too
    finally:
        stop.set()
        reviewer.join(timeout=60)
        codes = processes.stop()
    elapsed = time.monotonic() - started
    problems = died + check(store, work, made, processes.output(), load)
    if codes.get("watcher") not in (0, None):
        problems.append(f"the last watcher stopped with exit code {codes.get('watcher')}")
    return {
        "batches": plan.batches,
        "pages": sum(len(h) for h in made.values()),
        "kills": len(kills),
        "kills_of_whole_group": sum(1 for k in kills if k["whole_group"]),
        "watcher_runs": processes.watch_runs,
        "server_restarts": processes.server_runs - 1,
        "seconds": round(elapsed, 1),
        "requests": load.requests,
        "answered": dict(sorted(load.answered.items())),
        "unreachable_during_restarts": load.unreachable,
        "decisions": load.decisions,
        "server_errors": len(load.server_errors),
        "locked_errors": len(load.locked),
        "problems": problems,
        "kill_log": kills,
        "seed": plan.seed,
    }


def _pages_done(store: Any) -> int:
    return sum(1 for page, _ in store.list_pages() if page.state == "ok")


def _all_done(store: Any, made: dict[str, dict[str, str]]) -> bool:
    for name in made:
        batches = store.find_batches(name)
        if not batches or not all(b.state.startswith("done") for b in batches):
            return False
    return True


def check(
    store: Any, work: Path, made: dict[str, dict[str, str]], output: str, load: Load
) -> list[str]:
    """Every way the books can fail to balance, as sentences; none when the station held."""
    import pikepdf
    from sqlalchemy import text

    from station.ingest import sha256_of
    from station.pipeline.pdfa import validate_pdfa

    problems: list[str] = []
    hot_root = work / "hot"
    with store.engine.connect() as connection:
        # Each PDF/A written, folder's and document's (văn bản: `<mã hồ sơ>.<n>.pdf`), by path.
        assembled = Counter(
            (json.loads(row[0]) if isinstance(row[0], str) else row[0])["pdf"]
            for row in connection.execute(
                text("SELECT detail FROM event WHERE stage = 'assemble' AND outcome = 'ok'")
            )
        )
    pages_by_batch: dict[str, list[Any]] = {}
    for page, batch_name in store.list_pages():
        pages_by_batch.setdefault(batch_name, []).append(page)
    for name, hashes in made.items():
        batches = store.find_batches(name)
        if len(batches) != 1:
            problems.append(f"{name}: {len(batches)} batch records, not 1")
            continue
        batch = batches[0]
        files = Counter(p.source_file for p in pages_by_batch.get(name, []))
        for file_name in hashes:
            if files[file_name] != 1:
                problems.append(f"{name}/{file_name}: recorded {files[file_name]} times, not once")
        for file_name in set(files) - set(hashes):
            problems.append(f"{name}/{file_name}: recorded but never dropped")
        states = Counter(p.state for p in pages_by_batch.get(name, []))
        if set(states) != {"ok"}:
            problems.append(f"{name}: pages not all done: {dict(states)}")
        out_dir = Path(batch.out_dir or "")
        expected_pdfs = set()
        for folder_id in sorted({f.split("/")[0] for f in hashes}):
            pages = sum(1 for f in hashes if f.startswith(f"{folder_id}/"))
            times = assembled[str(out_dir / f"{folder_id}.pdf")]
            if times != 1:
                problems.append(f"{folder_id}: its PDF/A assembled {times} times, not once")
            pdf = out_dir / f"{folder_id}.pdf"
            expected_pdfs.add(pdf.name)
            folder = store.get_folder(folder_id)
            if folder is None or folder.pdf_path != str(pdf):
                recorded = folder.pdf_path if folder else "no folder"
                problems.append(f"{folder_id}: the folder records {recorded}, not {pdf}")
            if not pdf.is_file():
                problems.append(f"{folder_id}: no PDF/A at {pdf}")
                continue
            issues = validate_pdfa(pdf, "2b")
            if issues:
                problems.append(f"{folder_id}: {pdf.name} is not valid PDF/A-2b: {issues[:3]}")
            with pikepdf.open(pdf) as opened:
                if len(opened.pages) != pages:
                    problems.append(
                        f"{folder_id}: {pdf.name} has {len(opened.pages)} pages, not {pages}"
                    )
        documents = [
            Path(path)
            for path in assembled
            if Path(path).parent == out_dir and Path(path).name not in expected_pdfs
        ]
        for document in documents:
            if assembled[str(document)] != 1:
                problems.append(f"{document.name}: assembled {assembled[str(document)]} times")
            if not document.is_file() or validate_pdfa(document, "2b"):
                problems.append(f"{document.name}: missing or not valid PDF/A-2b")
        expected_pdfs |= {d.name for d in documents}
        strays = sorted(
            p.name
            for p in out_dir.iterdir()
            if (p.suffix == ".pdf" and p.name not in expected_pdfs)
            or ".tmp" in p.name
            or p.name.startswith(".")
        )
        if strays:
            problems.append(f"{name}: stray files beside its PDF/As: {strays}")
        report_path = out_dir / "report.json"
        if not report_path.is_file():
            problems.append(f"{name}: no report.json")
        else:
            report = json.loads(report_path.read_text(encoding="utf-8"))
            reported = Counter((r["source_file"], r["status"]) for r in report)
            if reported != Counter((file_name, "ok") for file_name in hashes):
                problems.append(
                    f"{name}: report.json lists {dict(reported)}, not each file once ok"
                )
        done = hot_root / "_done" / PROFILE / name
        kept = (
            {
                p.relative_to(done).as_posix(): sha256_of(p)
                for p in done.rglob("*")
                if p.is_file() and p.name != "batch.done"
            }
            if done.is_dir()
            else {}
        )
        if kept != hashes:
            problems.append(f"{name}: the originals in _done differ from those dropped")
    left = [p.name for p in (hot_root / PROFILE).iterdir()] if (hot_root / PROFILE).is_dir() else []
    if left:
        problems.append(f"left in the hot folder: {sorted(left)}")
    failed = hot_root / "_failed"
    if failed.is_dir() and any(failed.rglob("*")):
        problems.append(f"set aside in _failed: {sorted(p.name for p in failed.rglob('*'))[:10]}")
    if LOCKED in output.lower():
        lines = [line for line in output.splitlines() if LOCKED in line.lower()]
        problems.append(f"'{LOCKED}' in the station's output: {lines[:3]}")
    if "Traceback" in output:
        at = output.index("Traceback")
        problems.append(f"a traceback in the station's output: {output[at : at + 600]}")
    problems += [f"a user met '{LOCKED}': {m}" for m in load.locked[:5]]
    problems += [f"a server error reached the user: {m}" for m in load.server_errors[:5]]
    return problems


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--kills", type=int, default=20)
    parser.add_argument("--batches", type=int, default=12)
    parser.add_argument("--pages", type=int, default=4, help="pages per batch")
    parser.add_argument("--server-restarts", type=int, default=4)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--work", type=Path, help="keep the run here (default: a temporary dir)")
    args = parser.parse_args()
    plan = SoakPlan(
        batches=args.batches,
        pages=args.pages,
        kills=args.kills,
        server_restarts=args.server_restarts,
        seed=args.seed,
    )
    sys.path.insert(0, str(REPO / "scripts"))
    if args.work:
        shutil.rmtree(args.work, ignore_errors=True)
        args.work.mkdir(parents=True)
        result = run_soak(args.work, plan)
    else:
        with tempfile.TemporaryDirectory(prefix="station-soak-") as tmp:
            result = run_soak(Path(tmp), plan)
    result["command"] = " ".join(["bench/soak.py", *sys.argv[1:]])
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2, ensure_ascii=False), encoding="utf-8")
    summary = {k: v for k, v in result.items() if k not in ("kill_log", "problems")}
    print(json.dumps(summary, ensure_ascii=False))
    for problem in result["problems"]:
        print("PROBLEM:", problem)
    sys.exit(1 if result["problems"] else 0)


if __name__ == "__main__":
    main()
