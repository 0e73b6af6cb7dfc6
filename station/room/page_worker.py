"""What a page pool's worker runs: its start and its pages.

Light on purpose, and imported by the forkserver with the pipeline (station.launch's
WORKER_PRELOAD): a worker unpickles these functions by module name when it starts, and
were they the runner's, every worker would import the runner, the store and SQLAlchemy
before its first page (0.3 s, and 20 MB each) for nothing.
"""

from __future__ import annotations

import os
import select
import signal
import threading

from station import i18n
from station.pipeline import PageJob, PageResult, imaging


def start(runner_pid: int, workers: int, language: str = i18n.DEFAULT) -> None:
    """Leave the terminal's process group: Ctrl-C is for the runner, which finishes the pages
    in hand, and must not kill a worker or its Tesseract mid-page.

    But die with the runner. A forkserver worker is the forkserver's child, and both outlive
    a killed runner: they would go on taking queued pages whose results nobody records, while
    the next start runs those pages again.
    """
    os.setpgrp()
    threading.Thread(target=_exit_with, args=(runner_pid,), daemon=True).start()
    imaging.share_cores(workers)
    i18n.activate(language)  # the runner's: errors recorded for its pages read in it


def _exit_with(runner_pid: int) -> None:
    try:
        handle = os.pidfd_open(runner_pid)
    except ProcessLookupError:
        handle = None
    if handle is not None:
        select.select([handle], [], [])  # readable once the runner has exited
    os.killpg(0, signal.SIGKILL)  # this worker and the Tesseract it may be running


def warm_up() -> None:
    """A first task that makes the pool start its workers while originals are still copied."""


def run_page(job: PageJob) -> PageResult:
    """A page's journey, in a worker. The stages are imported here, where the forkserver has
    them loaded already, and not by the runner's process, which only hands out jobs."""
    from station.pipeline.stages import run_page

    return run_page(job)
