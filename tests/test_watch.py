"""`station watch` as a real process: killed mid-batch and restarted, every page is done
exactly once; a batch dropped twice is taken in once; SIGTERM stops it cleanly."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import make_samples as ms
import numpy as np
import pytest

from station.ingest import sha256_of
from station.settings import StationSettings
from station.store import Store

REPO = Path(__file__).resolve().parent.parent
PAGES = 6


@pytest.fixture
def station_env(tmp_path: Path) -> dict[str, str]:
    return {
        **os.environ,
        "STATION_DATA_DIR": str(tmp_path / "data"),
        "STATION_HOTFOLDERS": str(tmp_path / "hot"),
        "STATION_OUTPUT_DIR": str(tmp_path / "out"),
        "STATION_PROFILES_DIR": str(REPO / "profiles"),
        "STATION_CONFIG": str(tmp_path / "station.toml"),
        "STATION_WORKERS": "2",
        "STATION_RESCAN_INTERVAL_S": "2",
    }


@pytest.fixture
def start_watch(station_env: dict[str, str]) -> Iterator[Callable[[], subprocess.Popen[str]]]:
    started: list[subprocess.Popen[str]] = []

    def start() -> subprocess.Popen[str]:
        process = subprocess.Popen(
            [sys.executable, "-m", "station", "watch", "--profile", "text-gray-300"],
            env=station_env,
            cwd=REPO,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        started.append(process)
        return process

    yield start
    for process in started:
        if process.poll() is None:
            process.kill()
            process.wait()


def _store(env: dict[str, str]) -> Store:
    return Store.open(StationSettings(data_dir=Path(env["STATION_DATA_DIR"])).database_url)


def _wait(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


def _make_batch(folder: Path, pages: int = PAGES) -> dict[str, str]:
    """Document pages and a batch.done listing their checksums, written last."""
    folder.mkdir(parents=True)
    for number in range(1, pages + 1):
        page, _ = ms.render_document_page(np.random.default_rng(100 + number), dpi=300)
        page.save(folder / f"scan_{number:04d}.tif", dpi=(300, 300), compression="tiff_lzw")
    hashes = {p.name: sha256_of(p) for p in sorted(folder.iterdir())}
    lines = ["operator: Nguyễn Thị Lan", "station: scanner-02"]
    lines += [f"{digest}  {name}" for name, digest in hashes.items()]
    (folder / "batch.done").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return hashes


def _pages(store: Store) -> list[Any]:
    return [page for page, _ in store.list_pages()]


def test_killed_mid_batch_resumes_and_does_every_page_exactly_once(
    station_env: dict[str, str], start_watch: Callable[[], subprocess.Popen[str]], tmp_path: Path
) -> None:
    hot = Path(station_env["STATION_HOTFOLDERS"]) / "text-gray-300"
    staging = tmp_path / "staging" / "hop-05"
    hashes = _make_batch(staging)
    store = _store(station_env)

    first = start_watch()
    shutil.copytree(staging, hot / "hop-05")
    _wait(lambda: any(p.state == "ok" for p in _pages(store)), 120, "the first page to finish")
    first.send_signal(signal.SIGKILL)
    first.wait(timeout=10)
    done_before = sum(1 for p in _pages(store) if p.state == "ok")
    assert done_before < PAGES, "killed in the middle of the batch"

    second = start_watch()
    _wait(
        lambda: any(b.state.startswith("done") for b in store.find_batches("hop-05")),
        180,
        "the batch to finish after the restart",
    )
    pages = _pages(store)
    assert sorted(p.source_file for p in pages) == sorted(hashes), "each page exactly once"
    assert all(p.state == "ok" for p in pages)
    batch = store.find_batches("hop-05")[0]
    assert (batch.operator, batch.station_name, batch.origin) == (
        "Nguyễn Thị Lan",
        "scanner-02",
        "hotfolder",
    )
    assert not (hot / "hop-05").exists(), "nothing left behind in the hot folder"
    done = Path(station_env["STATION_HOTFOLDERS"]) / "_done" / "text-gray-300" / "hop-05"
    assert {p.name: sha256_of(p) for p in done.glob("*.tif")} == hashes, "originals untouched"
    report = json.loads(Path(batch.out_dir or "", "report.json").read_text(encoding="utf-8"))
    assert len(report) == PAGES and all(r["status"] == "ok" for r in report)
    assert Path(batch.out_dir or "", "hop-05.pdf").is_file()

    # The same batch dropped again: taken in, recognised, nothing processed twice.
    shutil.copytree(staging, hot / "hop-05-again")
    _wait(
        lambda: any(b.state.startswith("done") for b in store.find_batches("hop-05-again")),
        120,
        "the repeated batch to be handled",
    )
    assert len(_pages(store)) == PAGES
    assert not (hot / "hop-05-again").exists()

    status = subprocess.run(
        [sys.executable, "-m", "station", "status", "--json"],
        env=station_env,
        capture_output=True,
        text=True,
        check=True,
    )
    rows = {r["batch"]: r for r in json.loads(status.stdout)["batches"]}
    assert rows["hop-05"]["done"] == PAGES and rows["hop-05"]["waiting"] == 0
    assert rows["hop-05"]["state"] == "done" and rows["hop-05"]["origin"] == "hotfolder"

    second.send_signal(signal.SIGTERM)
    output, _ = second.communicate(timeout=60)
    assert second.returncode == 0, output
    assert "Stopped" in output


def test_a_file_whose_checksum_does_not_match_is_set_aside_with_its_reason(
    station_env: dict[str, str], start_watch: Callable[[], subprocess.Popen[str]], tmp_path: Path
) -> None:
    hot_root = Path(station_env["STATION_HOTFOLDERS"])
    staging = tmp_path / "staging" / "hop-06"
    _make_batch(staging)
    done_file = staging / "batch.done"
    lines = done_file.read_text(encoding="utf-8").splitlines()
    lines = [("0" * 64 + "  scan_0002.tif") if "scan_0002" in ln else ln for ln in lines]
    done_file.write_text("\n".join(lines) + "\n", encoding="utf-8")
    for extra in range(3, PAGES + 1):  # keep the test short: two pages are enough
        (staging / f"scan_{extra:04d}.tif").unlink()
    lines = [ln for ln in lines if not any(f"scan_{n:04d}" in ln for n in range(3, PAGES + 1))]
    done_file.write_text("\n".join(lines) + "\n", encoding="utf-8")
    whole = (staging / "scan_0001.tif").read_bytes()
    (staging / "scan_0009.tif").write_bytes(whole[: len(whole) // 2])  # cut short, not listed
    store = _store(station_env)

    watcher = start_watch()
    shutil.copytree(staging, hot_root / "text-gray-300" / "hop-06")
    _wait(
        lambda: any(b.state.startswith("done") for b in store.find_batches("hop-06")),
        120,
        "the batch to finish",
    )
    watcher.send_signal(signal.SIGTERM)
    watcher.communicate(timeout=60)
    pages = {p.source_file: p for p in _pages(store)}
    assert pages["scan_0001.tif"].state == "ok"
    failed = pages["scan_0002.tif"]
    assert failed.state == "failed" and "SHA-256" in (failed.error or "")
    set_aside = hot_root / "_failed" / "hop-06" / "scan_0002.tif"
    assert set_aside.is_file()
    reason = (set_aside.parent / "scan_0002.tif.error.txt").read_text(encoding="utf-8")
    assert "scan_0002.tif" in reason and "SHA-256" in reason
    # Not decoded before intake (batch.done vouched for it): it fails in the pipeline, and is
    # then set aside the same way, with the pipeline's reason.
    assert pages["scan_0009.tif"].state == "failed"
    cut_short = hot_root / "_failed" / "hop-06" / "scan_0009.tif"
    assert cut_short.is_file()
    note = (cut_short.parent / "scan_0009.tif.error.txt").read_text(encoding="utf-8")
    assert "scan_0009.tif" in note and "cut short" in note
    assert not (hot_root / "_done" / "text-gray-300" / "hop-06" / "scan_0009.tif").exists()


def test_links_in_a_hot_folder_batch_are_refused_reported_and_set_aside(
    station_env: dict[str, str], start_watch: Callable[[], subprocess.Popen[str]], tmp_path: Path
) -> None:
    hot_root = Path(station_env["STATION_HOTFOLDERS"])
    staging = tmp_path / "staging" / "hop-08"
    _make_batch(staging, pages=2)
    outside = tmp_path / "elsewhere"
    shutil.copytree(staging, outside / "hop-09")
    (staging / "x.png").symlink_to("/etc/passwd")
    (staging / "scan_0007.tif").symlink_to(outside / "hop-09" / "scan_0001.tif")
    profile_dir = hot_root / "text-gray-300"
    profile_dir.mkdir(parents=True)
    (profile_dir / "linked").symlink_to(outside / "hop-09", target_is_directory=True)
    store = _store(station_env)

    watcher = start_watch()
    shutil.copytree(staging, profile_dir / "hop-08", symlinks=True)
    _wait(
        lambda: any(b.state.startswith("done") for b in store.find_batches("hop-08")),
        120,
        "the batch to finish",
    )
    time.sleep(3)  # a rescan (every 2 s) has looked at the linked folder too
    watcher.send_signal(signal.SIGTERM)
    output, _ = watcher.communicate(timeout=60)
    (batch,) = store.find_batches("hop-08")
    assert batch.state == "done_with_failures"
    assert sorted(p.source_file for p in _pages(store)) == ["scan_0001.tif", "scan_0002.tif"]
    report = json.loads((Path(batch.out_dir or "") / "report.json").read_text(encoding="utf-8"))
    refused = {r["source_file"]: r["error"] for r in report if r["status"] == "refused"}
    assert set(refused) == {"x.png", "scan_0007.tif"}
    assert "a symbolic link to /etc/passwd, a file outside the batch folder" in refused["x.png"]
    # Set aside as links, with their reason, never what they point to.
    failed = hot_root / "_failed" / "hop-08"
    assert (failed / "x.png").is_symlink() and (failed / "scan_0007.tif").is_symlink()
    note = (failed / "x.png.error.txt").read_text(encoding="utf-8")
    assert "refused, not read" in note
    assert not store.find_batches("linked") and not store.find_batches("hop-09")
    said = " ".join(output.split())  # the log wraps long lines
    assert "linked in the hot folder" in said and "is a symbolic link" in said, output
