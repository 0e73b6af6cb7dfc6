"""`station serve`: the review app, and in the embedded default the watcher beside it.

Added to the `station` command through the `station.commands` entry point, so that station
never imports the review app.
"""

from __future__ import annotations

import ctypes
import os
import signal
import subprocess
import sys
from typing import Annotated

import typer

from station.settings import StationSettings


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)


def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port to listen on.")] = 8000,
    watch: Annotated[
        bool,
        typer.Option(
            "--watch/--no-watch",
            help="Also run `station watch` (hot folders and workers): one command for the "
            "whole station.",
        ),
    ] = True,
    jobs: Annotated[
        int | None, typer.Option(min=1, help="Worker processes of the watcher.")
    ] = None,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Debug logging.")] = False,
) -> None:
    """Run the review web app (and the hot-folder watcher) until Ctrl-C or SIGTERM."""
    from station.cli import _run, out

    def body(settings: StationSettings) -> None:
        import uvicorn

        from qa.app import create_app, tune_gc_for_serving

        app = create_app(settings)  # opens (and migrates) the database before anything runs
        tune_gc_for_serving()
        watcher = _start_watcher(jobs, verbose) if watch else None
        out.print(f"Review app: http://{host}:{port}/  (API docs: http://{host}:{port}/api/docs)")
        # uvicorn re-raises the SIGTERM it caught once it has shut down; with the default
        # action that would end this process before the watcher is stopped.
        previous = signal.signal(signal.SIGTERM, _raise_stop)
        try:
            uvicorn.run(app, host=host, port=port, log_level="debug" if verbose else "warning")
        except _Stop:
            pass
        finally:
            signal.signal(signal.SIGTERM, previous)
            if watcher is not None:
                _stop(watcher)

    _run(verbose, body)


class _Stop(Exception):
    """SIGTERM arrived: shut down like Ctrl-C, but quietly."""


def _raise_stop(signum: int, frame: object) -> None:
    raise _Stop


def _start_watcher(jobs: int | None, verbose: bool) -> subprocess.Popen[bytes]:
    """`station watch` as a child process: it owns its signals, workers and progress bars."""
    command = [sys.executable, "-m", "station", "watch"]
    command += ["--jobs", str(jobs)] if jobs else []
    command += ["--verbose"] if verbose else []
    return subprocess.Popen(command, env=os.environ.copy(), preexec_fn=_die_with_parent)


def _die_with_parent() -> None:
    """In the watcher, before it starts: SIGTERM it if `station serve` dies without stopping
    it (SIGKILL, a crash), so a restarted serve never meets a second watcher of its folders.
    Linux only (prctl); elsewhere the watcher outlives its parent."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
    except (OSError, AttributeError):
        pass


_PR_SET_PDEATHSIG = 1  # linux/prctl.h


def _stop(watcher: subprocess.Popen[bytes]) -> None:
    """SIGTERM: the watcher finishes the pages in hand, and whatever is left resumes later."""
    if watcher.poll() is None:
        watcher.send_signal(signal.SIGTERM)
        try:
            watcher.wait(timeout=120)
        except subprocess.TimeoutExpired:
            watcher.kill()
