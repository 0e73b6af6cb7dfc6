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
"""

from __future__ import annotations

import logging
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
from station.ingest import natural_key
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

    def resume_unfinished(self) -> None:
        """Finish batches whose folder already left the hot folder but whose pages did not all
        run; batches still in the hot folder are continued when the watcher offers them."""
        for batch in self.store.unfinished_batches(origin="hotfolder"):
            if Path(batch.source_dir).is_dir() or self.stopping():
                continue
            log.info("Resuming batch %s (#%s) stopped before it finished", batch.name, batch.id)
            profile = load_profile(batch.profile, self.settings.profiles_dir)
            with self.progress_for(batch.name) as progress:
                outcome = runner.resume_batch(
                    batch,
                    Path(batch.out_dir or self._out_dir(batch.profile, batch.name)),
                    profile,
                    self.settings,
                    workers=self.workers,
                    progress=progress,
                    should_stop=self.stopping,
                )
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

        with self.progress_for(ready.batch_dir.name) as progress:
            outcome = runner.run_batch(
                source,
                out_dir or self._out_dir(ready.profile, ready.batch_dir.name),
                profile,
                self.settings,
                workers=self.workers,
                progress=progress,
                should_stop=self.stopping,
                continue_batch=earlier.id if earlier else None,
                after_intake=set_aside,
            )
        if outcome is None:
            return
        if moved_to:
            self._set_aside_unreadable(outcome, moved_to[0], ready.hot_root)
        self.on_outcome(outcome)

    @staticmethod
    def _set_aside_unreadable(outcome: BatchOutcome, done_dir: Path, hot_root: Path) -> None:
        """Files that turned out not to decode (batch.done batches are not decoded before
        intake) go to `_failed/` with their reason, like those found before intake."""
        for record in outcome.failed:
            if record["error_code"] not in UNREADABLE_CODES:
                continue
            path = done_dir / record["source_file"]
            if path.is_file():
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
