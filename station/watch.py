"""`station watch`: hot-folder batches in, exactly once, until stopped.

The order that makes a crash harmless:
1. every original of a ready batch is copied into master storage and verified, its pages
   recorded and its content hash written to the intake ledger (`runner.take_in`); pages
   start on the workers as soon as their original is safe;
2. the batch folder moves to `_done/` (problem files to `_failed/` first, each with a
   `.error.txt`): from here on the hot folder no longer holds it;
3. the pages are processed and the batch finished (folders, PDF/A, report).

Killed at any point, the next start picks up the pieces: a batch whose folder is still in
the hot folder is offered again and continues the same batch record (files already taken
in are not taken again); a batch whose folder already moved on has only its unfinished
pages run. The ledger makes a batch or file dropped a second time a recorded no-op.

In distributed mode (`StationSettings.distributed`) step 3 is the workers': the watcher
takes the next batch in as soon as one's originals are safe and its pages queued, and
waits for each batch's outcome beside, so several scanners feed many workers at once.
"""

from __future__ import annotations

import functools
import logging
import threading
from collections.abc import Callable
from pathlib import Path

from station import hotfolder
from station.errors import (
    BatchNotReadyError,
    EmptyFileError,
    UnreadableImageError,
    UnsupportedFormatError,
)
from station.hotfolder import HotFolderWatcher, ReadyBatch, relative_name
from station.ingest import SYMLINK_REFUSED, natural_key
from station.profiles import load_profile
from station.room import runner
from station.room.runner import BatchOutcome, BatchProgress, BatchSource
from station.settings import StationSettings
from station.store import Batch, Store

log = logging.getLogger(__name__)

ProgressFactory = Callable[[str], BatchProgress]
UNREADABLE_CODES = frozenset(
    {EmptyFileError.code, UnsupportedFormatError.code, UnreadableImageError.code}
)


class WatchService:
    """What `station watch` does with each ready batch, and with batches a crash left behind."""

    def __init__(
        self,
        settings: StationSettings,
        *,
        workers: int | None = None,
        progress_for: ProgressFactory = lambda name: BatchProgress(),
        on_outcome: Callable[[BatchOutcome], None] = lambda outcome: None,
    ) -> None:
        self.settings = settings
        self.workers = workers
        self.progress_for = progress_for
        self.on_outcome = on_outcome
        self.store = Store.open(settings.database_url)
        self.watcher: HotFolderWatcher | None = None
        self.handed_on: list[threading.Thread] = []  # distributed: batches the workers run

    def stopping(self) -> bool:
        return self.watcher is not None and self.watcher.stopping

    def run(self, profiles: list[str] | None = None) -> None:
        """Resume what a crash left, then watch until stopped (SIGTERM / Ctrl-C)."""
        self.watcher = HotFolderWatcher.from_settings(
            self.settings, self.handle_ready, profiles=profiles
        )
        restore = hotfolder.install_signal_handlers(self.watcher)
        try:
            self.resume_unfinished()
            if not self.watcher.stopping:
                self.watcher.run_until_stopped()
        finally:
            restore()
            self.wait_for_handed_on()

    def wait_for_handed_on(self) -> None:
        """Distributed: the threads waiting on batches the workers run (they return at once
        when stopping; the workers carry on with the batches)."""
        for thread in self.handed_on:
            thread.join()

    def resume_unfinished(self) -> None:
        """Finish batches whose folder already left the hot folder but whose pages did not all
        run; batches still in the hot folder are continued when the watcher offers them."""
        for batch in self.store.unfinished_batches(origin="hotfolder"):
            if Path(batch.source_dir).is_dir() or self.stopping():
                continue
            log.info("Resuming batch %s (#%s) stopped before it finished", batch.name, batch.id)
            resume = functools.partial(
                runner.resume_batch,
                batch,
                Path(batch.out_dir or self._out_dir(batch.profile, batch.name)),
                load_profile(batch.profile, self.settings.profiles_dir),
                self.settings,
                workers=self.workers,
                should_stop=self.stopping,
            )
            if self.settings.distributed:
                self._hand_on(batch.name, resume, taken_in=None)
                continue
            with self.progress_for(batch.name) as progress:
                outcome = resume(progress=progress)
            if outcome is not None:
                self.on_outcome(outcome)

    def handle_ready(self, ready: ReadyBatch) -> None:
        profile = load_profile(ready.profile, self.settings.profiles_dir)
        marker = ready.marker
        problems = {p.path: p for p in ready.problems if p.exists}
        files = sorted(
            [*ready.files, *problems], key=lambda p: natural_key(relative_name(p, ready.batch_dir))
        )
        source = BatchSource(
            ready.batch_dir,
            origin="hotfolder",
            operator=marker.operator if marker else None,
            station_name=marker.station if marker else None,
            skip_taken_in=True,
            stopped={relative_name(p, ready.batch_dir): m.message for p, m in problems.items()},
            files=tuple(files),
        )
        earlier = self._unfinished_batch_of(ready.batch_dir)
        out_dir = Path(earlier.out_dir) if earlier and earlier.out_dir else None

        moved_to: list[Path] = []

        def set_aside() -> None:
            for path, problem in problems.items():
                hotfolder.move_failed_file(path, ready.batch_dir, ready.hot_root, problem.message)
            try:
                moved_to.append(
                    hotfolder.move_to_done(
                        ready.batch_dir, ready.hot_root, expected_files=ready.files
                    )
                )
            except BatchNotReadyError as exc:
                # New files arrived while taking in: the folder stays, and the watcher offers
                # it again; the ledger skips what this batch already took in.
                log.warning("%s", exc)

        taken_in = threading.Event()

        def after_intake() -> None:
            set_aside()
            taken_in.set()

        def run(progress: BatchProgress) -> BatchOutcome | None:
            return runner.run_batch(
                source,
                out_dir or self._out_dir(ready.profile, ready.batch_dir.name),
                profile,
                self.settings,
                workers=self.workers,
                progress=progress,
                should_stop=self.stopping,
                continue_batch=earlier.id if earlier else None,
                after_intake=after_intake,
            )

        def done(outcome: BatchOutcome) -> None:
            if moved_to:
                self._set_aside_unreadable(outcome, moved_to[0], ready.hot_root)
            self.on_outcome(outcome)

        if self.settings.distributed:
            self._hand_on(ready.batch_dir.name, run, taken_in=taken_in, done=done)
            return
        with self.progress_for(ready.batch_dir.name) as progress:
            outcome = run(progress)
        if outcome is not None:
            done(outcome)

    def _hand_on(
        self,
        name: str,
        run: Callable[..., BatchOutcome | None],  # called with progress=
        *,
        taken_in: threading.Event | None,
        done: Callable[[BatchOutcome], None] | None = None,
    ) -> None:
        """Distributed: run the batch in a thread of its own; return once its originals are
        taken in (`taken_in` set, or the run over), so the next batch is taken in while the
        workers run this one. Its outcome is reported when the workers have finished it."""
        finished = threading.Event()
        failed: list[BaseException] = []

        def body() -> None:
            try:
                outcome = run(progress=_QueuedProgress(name))
                if outcome is not None:
                    (done or self.on_outcome)(outcome)
            except Exception as exc:
                if taken_in is not None and not taken_in.is_set():
                    failed.append(exc)  # during intake: the watcher's to handle, as locally
                else:
                    log.exception("Batch %s: waiting for the workers failed", name)
            finally:
                finished.set()

        thread = threading.Thread(target=body, name=f"batch {name}", daemon=True)
        self.handed_on = [t for t in self.handed_on if t.is_alive()] + [thread]
        thread.start()
        while taken_in is not None and not taken_in.wait(0.2) and not finished.is_set():
            pass
        if failed:
            raise failed[0]

    @staticmethod
    def _set_aside_unreadable(outcome: BatchOutcome, done_dir: Path, hot_root: Path) -> None:
        """Files that turned out not to decode (batch.done batches are not decoded before
        intake) go to `_failed/` with their reason, like those found before intake, and so
        do the symbolic links refused unread."""
        for record in outcome.failed + outcome.refused:
            if record["error_code"] not in (*UNREADABLE_CODES, SYMLINK_REFUSED):
                continue
            path = done_dir / record["source_file"]
            if path.is_file() or path.is_symlink():
                hotfolder.move_failed_file(path, done_dir, hot_root, record["error"])

    def _unfinished_batch_of(self, batch_dir: Path) -> Batch | None:
        resolved = str(batch_dir.resolve())
        for batch in self.store.unfinished_batches(origin="hotfolder"):
            if batch.source_dir == resolved:
                return batch
        return None

    def _out_dir(self, profile: str, batch_name: str) -> Path:
        """`<output>/<profile>/<batch>`, never reusing another batch's folder."""
        base = self.settings.output_dir / profile
        target, number = base / batch_name, 1
        while target.exists():
            number += 1
            target = base / f"{batch_name}-{number}"
        return target


class _QueuedProgress(BatchProgress):
    """Distributed: a batch the workers run beside others, told in the log, not drawn."""

    def __init__(self, name: str) -> None:
        self.name = name

    def prepared(self, pages: int) -> None:
        log.info("Batch %s: %d pages queued for the workers", self.name, pages)
