"""`station serve` as a real process: the review app and the watcher in one command; a batch
dropped in a hot folder shows up in the app; SIGTERM stops both."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import make_samples as ms
import numpy as np

REPO = Path(__file__).resolve().parent.parent
PASSWORD = "correct horse battery"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wait_for(check: object, timeout: float, what: str) -> object:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            found = check()  # type: ignore[operator]
        except httpx.HTTPError:
            found = None
        if found:
            return found
        time.sleep(0.3)
    raise AssertionError(f"timed out waiting for {what}")


def test_serve_runs_the_app_and_the_watcher_and_stops_on_sigterm(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "STATION_DATA_DIR": str(tmp_path / "data"),
        "STATION_HOTFOLDERS": str(tmp_path / "hot"),
        "STATION_OUTPUT_DIR": str(tmp_path / "out"),
        "STATION_PROFILES_DIR": str(REPO / "profiles"),
        "STATION_CONFIG": str(tmp_path / "station.toml"),
        "STATION_WORKERS": "1",
    }
    added = subprocess.run(
        [sys.executable, "-m", "station", "users", "add", "rev", "--role", "reviewer",
         "--password-stdin"],
        input=PASSWORD, text=True, env=env, capture_output=True, check=False,
    )  # fmt: skip
    assert added.returncode == 0, added.stderr
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "station", "serve", "--port", str(port)],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_for(lambda: httpx.get(f"{base}/login").status_code == 200, 30, "the app")
        batch = tmp_path / "hot" / "text-gray-300" / "box-7"
        batch.mkdir(parents=True)
        page, _ = ms.render_document_page(np.random.default_rng(3), dpi=300)
        page.save(batch / "p1.tif", dpi=(300, 300))
        (batch / "batch.done").write_text("operator: op1\n", encoding="utf-8")
        with httpx.Client(base_url=base) as client:
            logged_in = client.post("/login", data={"username": "rev", "password": PASSWORD})
            assert logged_in.status_code == 303 and "station_session" in client.cookies

            def processed() -> bool:
                batches = client.get("/api/activity").json()
                return any(b["name"] == "box-7" and b["pages"].get("ok") == 1 for b in batches)

            _wait_for(processed, 240, "the hot-folder batch to be processed")
        server.send_signal(signal.SIGTERM)
        output, _ = server.communicate(timeout=60)
    finally:
        if server.poll() is None:
            server.kill()  # its watcher follows (see the test below), closing the pipe
            server.communicate(timeout=60)
    assert server.returncode == 0, output
    assert f"Review app: http://127.0.0.1:{port}/" in output
    assert "Watching" in output and "Stopped" in output, "the watcher ran and stopped cleanly"


def test_the_watcher_does_not_outlive_a_killed_serve(tmp_path: Path) -> None:
    """serve SIGKILLed (out of memory, a crash): its watcher stops too, so a restarted serve
    never meets a second watcher on the same hot folders."""
    env = {
        **os.environ,
        "STATION_DATA_DIR": str(tmp_path / "data"),
        "STATION_HOTFOLDERS": str(tmp_path / "hot"),
        "STATION_PROFILES_DIR": str(REPO / "profiles"),
        "STATION_CONFIG": str(tmp_path / "station.toml"),
    }
    server = subprocess.Popen(
        [sys.executable, "-m", "station", "serve", "--port", str(_free_port())],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        watchers = _wait_for(lambda: _children(server.pid), 60, "the watcher to start")
        server.kill()
        server.wait(timeout=30)
        gone = _wait_for(lambda: not any(_alive(p) for p in watchers), 60, "the watcher to stop")
        assert gone
    finally:
        if server.poll() is None:
            server.kill()


def _children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(p) for p in text.split()]


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]
    except OSError:
        return False
    return state != "Z"
