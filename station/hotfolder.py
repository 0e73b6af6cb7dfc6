"""Hot folders: noticing that a scanner has finished a batch, and moving it out of the way.

Layout, under the hot-folder root (`StationSettings.hotfolders`)::

    hotfolders/
      text-gray-300/               one folder per profile, named after it
        2026-05-09-box-12/         one subfolder per batch; it may hold a subfolder per folder id
          scan_0001.tif
          batch.done               optional, written last: "this batch is complete"
      _done/<profile>/<batch>/     batches taken in, moved here whole (`move_to_done`)
      _failed/<batch>/<path>       single files set aside, each with a <name>.error.txt

When is a batch ready?

- With `batch.done`: at once, without settling or decoding (the scanner vouches for its files;
  the pipeline still reports pages that do not decode). Files it lists with a SHA-256 are
  verified; a file that does not match, or is listed but missing, is a per-file problem and is
  stopped on its own while the rest of the batch goes on. Files it does not list are still
  taken in, with a note.
- Without it: when no file in the batch (subfolders included) has changed size or modification
  time for the profile's `scan.settle_s`, and every image decodes completely. A settled file that
  does not decode is given twice the settle time (a file that does not decode is most often one
  still being written), then it becomes a per-file problem and the rest of the batch goes on.
  The watcher judges "unchanged" on its own clock (`FileHistory`), never by comparing a share's
  modification times with the local clock, so a scanner PC or NAS with a wrong clock cannot make
  a batch look settled early. A batch already present at start-up therefore waits `settle_s`.
- Either way, a file with a temporary name (`*.tmp`, `*.temp`, `*.part`, `*.partial`,
  `*.crdownload`, `*.download`, `*.filepart`, `*~`, `~$*`, or a hidden `.name` that is not known
  system litter such as `.DS_Store`) means a writer is still at work: the batch waits until it is
  renamed or deleted, and `station status` shows which file holds it up.

The `batch.done` format is UTF-8 text (a BOM, or UTF-16 with a BOM, is fine), one item a line;
an empty file just says "done"::

    # scanned on the Fujitsu, box 12        comments and blank lines are ignored
    operator: Nguyễn Văn A                  optional
    station: scanner-02                     optional
    <64 hex>  scan_0001.tif                 the output of `sha256sum`, run in the batch folder
    <64 hex> *folder-12/scan_0002.tif       (`*` is sha256sum's binary marker)
    SHA256 (scan_0003.tif) = <64 hex>       BSD / macOS `shasum -a 256 --tag` style

Paths are relative to the batch folder, with `/` or `\\` between folders. Other `key: value` lines
are kept (`DoneMarker.extra`) and noted. Any other line is an error naming the file and line, and
the batch waits until batch.done is fixed. Scanner software should write `batch.done.tmp` and
rename it, so a half-written marker is never read.

Loose files: a file dropped directly into `hotfolders/<profile>/` belongs to no batch. It is left
where it is, logged once as a warning, and listed by `check_loose_files` (for `station status`);
moving it into a batch subfolder has it taken in.
"""

from __future__ import annotations

import errno
import logging
import os
import re
import signal
import threading
import time
import unicodedata
import warnings
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from pathlib import Path, PurePosixPath
from types import FrameType
from typing import Literal

from watchdog.events import FileSystemEvent, FileSystemEventHandler
from watchdog.observers import Observer
from watchdog.observers.api import BaseObserver
from watchdog.observers.polling import PollingObserver

from station.errors import (
    BadArgumentError,
    BatchNotFoundError,
    BatchNotReadyError,
    ConfigError,
    PageError,
    StorageError,
)
from station.i18n import _
from station.ingest import (
    IGNORED_DIRS,
    IGNORED_NAMES,
    IMAGE_SUFFIXES,
    SYMLINK_REFUSED,
    discover_batch,
    natural_key,
    sha256_of,
)
from station.pipeline.imaging import frame_count, load_page_image
from station.profiles import list_profiles, load_profile
from station.settings import StationSettings

log = logging.getLogger(__name__)

DONE_FILE = "batch.done"
DONE_DIR = "_done"
FAILED_DIR = "_failed"
RESERVED_FOLDERS = frozenset({DONE_DIR, FAILED_DIR})
TEMP_SUFFIXES = (".tmp", ".temp", ".part", ".partial", ".crdownload", ".download", ".filepart", "~")
# A settled file that does not decode waits this many settle times before it is set aside.
UNREADABLE_SETTLE_FACTOR = 2.0
# Folders that operating systems and NAS boxes create on their own; never a writer at work.
_LITTER_DIRS = IGNORED_DIRS | {
    ".AppleDouble",
    ".Spotlight-V100",
    ".TemporaryItems",
    ".Trashes",
    ".fseventsd",
}
_SUM_LINE = re.compile(r"^(\\?)([0-9a-fA-F]{64}) [ *](.+)$")
_BSD_LINE = re.compile(r"^(\\?)SHA256 ?\((.+)\) ?= ?([0-9a-fA-F]{64})$")
_KEY_LINE = re.compile(r"^([A-Za-z][A-Za-z0-9_-]*)[ \t]*:[ \t]*(.*)$")
_MAX_SUFFIX = 10_000

WatchMode = Literal["native", "polling"]


def _quiet_watchdog_noise() -> None:
    """Hide watchdog's warning about a folder it registered twice (by its recursive walk and
    by the folder's own event): the callback is the same, and operators would only be alarmed."""
    warnings.filterwarnings(
        "ignore",
        message=r"Callback with id '\d+' already exists for watch",
        category=RuntimeWarning,
        module=r"watchdog\.observers\.inotify",
    )


def _nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def relative_name(path: Path, batch_dir: Path) -> str:
    """The path as batch.done and messages write it: `/`-separated, NFC."""
    return _nfc(path.relative_to(batch_dir).as_posix())


def is_temporary_name(name: str) -> bool:
    """A name that writers use while a file is incomplete (or hidden, and not system litter)."""
    if name in IGNORED_NAMES or name in _LITTER_DIRS or name.startswith("._"):
        return False
    return name.lower().endswith(TEMP_SUFFIXES) or name.startswith(("~$", "."))


def _is_litter(name: str) -> bool:
    return name in IGNORED_NAMES or name in _LITTER_DIRS or name.startswith("._")


# --- batch.done --------------------------------------------------------------------------------


@dataclass(frozen=True)
class DoneMarker:
    """What a batch.done file says: who scanned, where, and the checksums to verify."""

    operator: str | None = None
    station: str | None = None
    checksums: Mapping[str, str] = field(default_factory=dict)  # relative path -> sha256 hex
    path: Path | None = None
    extra: Mapping[str, str] = field(default_factory=dict)  # other key: value lines


def _decode_text(path: Path, raw: bytes) -> str:
    encoding = "utf-16" if raw.startswith((b"\xff\xfe", b"\xfe\xff")) else "utf-8-sig"
    try:
        return raw.decode(encoding)
    except UnicodeDecodeError as exc:
        raise BadArgumentError(
            _(
                "%(path)s: batch.done is not UTF-8 text (undecodable byte at offset "
                "%(start)s); "
                "save it as UTF-8",
                path=path,
                start=exc.start,
            )
        ) from exc


def _unescape(name: str) -> str:
    r"""Undo sha256sum's escaping of names holding `\` or a newline."""
    out: list[str] = []
    chars = iter(name)
    for char in chars:
        if char == "\\":
            following = next(chars, "")
            out.append({"n": "\n", "r": "\r", "\\": "\\"}.get(following, "\\" + following))
        else:
            out.append(char)
    return "".join(out)


def _checksum_path(path: Path, line_no: int, name: str, escaped: bool) -> str:
    if escaped:
        name = _unescape(name)
    name = name.replace("\\", "/")
    while name.startswith("./"):
        name = name[2:]
    relative = PurePosixPath(_nfc(name))
    if not name or relative.is_absolute() or ".." in relative.parts or ":" in relative.parts[0]:
        raise BadArgumentError(
            _(
                "%(path)s: line %(line_no)s: '%(name)s' is not a path inside the batch folder; "
                "write it relative to the folder that holds batch.done",
                path=path,
                line_no=line_no,
                name=name,
            )
        )
    return relative.as_posix()


def read_done_file(path: Path) -> DoneMarker:
    """Parse a batch.done file (format in the module docstring)."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise BadArgumentError(
            _(
                "%(path)s: batch.done cannot be read (%(strerror)s)",
                path=path,
                strerror=exc.strerror,
            )
        ) from exc
    text = _decode_text(path, raw)
    fields: dict[str, tuple[str, int]] = {}
    checksums: dict[str, tuple[str, int]] = {}
    for line_no, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if match := _SUM_LINE.match(stripped):
            escaped, digest, name = bool(match[1]), match[2].lower(), match[3]
        elif match := _BSD_LINE.match(stripped):
            escaped, name, digest = bool(match[1]), match[2], match[3].lower()
        elif match := _KEY_LINE.match(stripped):
            key, value = match[1].lower(), _nfc(match[2].strip())
            if key in fields and fields[key][0] != value:
                raise BadArgumentError(
                    _(
                        "%(path)s: line %(line_no)s: '%(key)s' is given a second time (first "
                        "on "
                        "line %(first_line)s) with a different value",
                        path=path,
                        line_no=line_no,
                        key=key,
                        first_line=fields[key][1],
                    )
                )
            fields[key] = (value, line_no)
            continue
        else:
            shown = stripped if len(stripped) <= 80 else stripped[:77] + "..."
            raise BadArgumentError(
                _(
                    "%(path)s: line %(line_no)s is not understood: %(shown)r. Expected "
                    "'operator: name', 'station: name', '<64 hex digits>  <file>' as sha256sum "
                    "writes it, or a '# comment'",
                    path=path,
                    line_no=line_no,
                    shown=shown,
                )
            )
        relative = _checksum_path(path, line_no, name, escaped)
        if relative in checksums and checksums[relative][0] != digest:
            raise BadArgumentError(
                _(
                    "%(path)s: line %(line_no)s: %(relative)s is listed a second time (first "
                    "on "
                    "line %(first_line)s) with a different checksum",
                    path=path,
                    line_no=line_no,
                    relative=relative,
                    first_line=checksums[relative][1],
                )
            )
        checksums[relative] = (digest, line_no)
    values = {key: value for key, (value, _) in fields.items()}
    return DoneMarker(
        operator=values.pop("operator", None) or None,
        station=values.pop("station", None) or None,
        checksums={relative: digest for relative, (digest, _) in checksums.items()},
        path=path,
        extra=values,
    )


# --- readiness ---------------------------------------------------------------------------------


class BatchStatus(StrEnum):
    READY = "ready"
    WAITING = "waiting"
    EMPTY = "empty"


@dataclass(frozen=True)
class FileProblem:
    """One file of a ready batch that must not be taken in; the rest of the batch goes on."""

    path: Path
    code: str  # "checksum_mismatch", "missing_file", or a PageError code ("unreadable_image"...)
    message: str  # a sentence naming the file and the cause

    @property
    def exists(self) -> bool:
        """False for a file batch.done lists but the folder does not hold, or holds only as a
        symbolic link (never read)."""
        return self.path.is_file() and not self.path.is_symlink()


@dataclass(frozen=True)
class BatchState:
    """What a batch folder is right now: ready (and with what), waiting (and why), or empty."""

    status: BatchStatus
    batch_dir: Path
    reason: str = ""  # waiting or empty: why, as a sentence
    files: tuple[Path, ...] = ()  # ready: what to take in, in scan order, problem files left out
    problems: tuple[FileProblem, ...] = ()
    notes: tuple[str, ...] = ()  # things worth recording that stop nothing
    marker: DoneMarker | None = None
    needs_attention: bool = False  # waiting on a person (a bad batch.done), not on time

    @property
    def ready(self) -> bool:
        return self.status is BatchStatus.READY


_Signature = tuple[int, int]  # size, mtime_ns


class FileHistory:
    """How long each file has looked the same, measured on our own clock.

    Modification times come from whichever machine wrote the share, whose clock may be wrong;
    seeing the same size and mtime over `settle_s` of local time is the guarantee instead.
    Decode results are kept per file version, so each settled file is decoded once.
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._seen: dict[Path, tuple[_Signature, float]] = {}
        self._decoded: dict[tuple[Path, _Signature], FileProblem | None] = {}

    def unchanged_for(self, path: Path, signature: _Signature) -> float:
        """Seconds this file has had this size and mtime; 0 the first time it is seen so."""
        now = self._clock()
        seen = self._seen.get(path)
        if seen is None or seen[0] != signature:
            self._seen[path] = (signature, now)
            return 0.0
        return now - seen[1]

    def decoded(self, path: Path, signature: _Signature) -> tuple[bool, FileProblem | None]:
        key = (path, signature)
        return key in self._decoded, self._decoded.get(key)

    def remember_decode(
        self, path: Path, signature: _Signature, problem: FileProblem | None
    ) -> None:
        self._decoded[(path, signature)] = problem

    def forget(self, batch_dir: Path) -> None:
        """Drop everything known about one batch (it was handled or has gone)."""
        self._seen = {p: v for p, v in self._seen.items() if not p.is_relative_to(batch_dir)}
        self._decoded = {
            k: v for k, v in self._decoded.items() if not k[0].is_relative_to(batch_dir)
        }


def _temporary_files(batch_dir: Path) -> list[str]:
    found = []
    for path in batch_dir.rglob("*"):
        relative = path.relative_to(batch_dir)
        if any(_is_litter(part) for part in relative.parts[:-1]):
            continue
        if is_temporary_name(path.name) and not any(
            is_temporary_name(part) for part in relative.parts[:-1]
        ):
            found.append(_nfc(relative.as_posix()))
    return sorted(found, key=natural_key)


def _decode_problem(path: Path, relative: str) -> FileProblem | None:
    """None when every frame of the image decodes completely, else why not."""
    try:
        for index in range(frame_count(path)):
            load_page_image(path, index, relative, assumed_dpi=300)
    except PageError as exc:
        message = str(exc)
        if not message.startswith(relative):
            message = f"{relative}: {message.split(': ', 1)[-1]}"
        return FileProblem(path, exc.code, message)
    except Exception as exc:  # a decoder failure imaging does not classify must not stop a watch
        return FileProblem(
            path,
            "unreadable_image",
            _(
                "%(relative)s: the image could not be decoded (%(name)s: %(exc)s); rescan or "
                "copy "
                "it again",
                relative=relative,
                name=type(exc).__name__,
                exc=exc,
            ),
        )
    return None


def _waiting(batch_dir: Path, reason: str, *, needs_attention: bool = False) -> BatchState:
    return BatchState(BatchStatus.WAITING, batch_dir, reason, needs_attention=needs_attention)


def check_batch(
    batch_dir: Path,
    settle_s: float,
    *,
    now: float | None = None,
    history: FileHistory | None = None,
    verify_images: bool = True,
) -> BatchState:
    """Is this batch folder ready to be taken in? Never ready while a file may still be written.

    With `history` (as the watcher keeps) a file has settled once it has looked the same for
    `settle_s` of the history's clock. Without it (a one-off look, as `station status` takes)
    its age is `now - mtime`, `now` defaulting to the current time. `verify_images=False` skips
    decoding, for a quick status that does not promise the images are whole.
    """
    if not batch_dir.is_dir():
        raise BatchNotFoundError(_("Batch folder not found: %(batch_dir)s", batch_dir=batch_dir))
    try:
        temporary = _temporary_files(batch_dir)
        try:
            files = discover_batch(batch_dir)
        except BatchNotFoundError:
            raise
        except BadArgumentError:
            files = []
        has_done = (batch_dir / DONE_FILE).is_file()
    except OSError as exc:
        return _waiting(
            batch_dir,
            _("%(name)s changed while being read (%(exc)s)", name=batch_dir.name, exc=exc),
        )
    if temporary:
        return _waiting(
            batch_dir,
            _(
                "%(temporary)s (and %(more)s more) has a temporary name, so a file is still "
                "being written; the batch waits until it is renamed or deleted",
                temporary=temporary[0],
                more=len(temporary) - 1,
            )
            if len(temporary) > 1
            else _(
                "%(temporary)s has a temporary name, so a file is still being written; the "
                "batch waits until it is renamed or deleted",
                temporary=temporary[0],
            ),
        )
    if not files:
        what = (
            _("%(name)s holds only batch.done", name=batch_dir.name)
            if has_done
            else _("%(name)s holds no files yet", name=batch_dir.name)
        )
        return BatchState(BatchStatus.EMPTY, batch_dir, what)
    if has_done:
        try:
            marker = read_done_file(batch_dir / DONE_FILE)
        except BadArgumentError as exc:
            return _waiting(batch_dir, str(exc), needs_attention=True)
        return _ready_with_marker(batch_dir, files, marker)
    return _ready_when_settled(batch_dir, files, settle_s, now, history, verify_images)


def _ready_with_marker(batch_dir: Path, files: list[Path], marker: DoneMarker) -> BatchState:
    by_name = {relative_name(path, batch_dir): path for path in files}
    problems: list[FileProblem] = []
    notes = [
        _(
            "batch.done: '%(key)s: %(value)s' is not a known field (operator, station); kept as is",
            key=key,
            value=value,
        )
        for key, value in marker.extra.items()
    ]
    for relative, expected in marker.checksums.items():
        path = by_name.get(relative)
        if path is None and (batch_dir / relative).is_symlink():
            problems.append(
                FileProblem(
                    batch_dir / relative,
                    SYMLINK_REFUSED,
                    _(
                        "%(relative)s: listed in batch.done, but it is a symbolic link (to "
                        "%(target)s), refused and not read; put the scan itself in the batch "
                        "folder",
                        relative=relative,
                        target=(batch_dir / relative).readlink(),
                    ),
                )
            )
            continue
        if path is None:
            problems.append(
                FileProblem(
                    batch_dir / relative,
                    "missing_file",
                    _(
                        "%(relative)s: listed in batch.done but not in the batch folder; copy "
                        "it "
                        "again or correct batch.done",
                        relative=relative,
                    ),
                )
            )
            continue
        try:
            found = sha256_of(path)
        except OSError as exc:
            problems.append(
                FileProblem(
                    path,
                    "unreadable_file",
                    _(
                        "%(relative)s: cannot be read (%(strerror)s)",
                        relative=relative,
                        strerror=exc.strerror,
                    ),
                )
            )
            continue
        if found != expected:
            problems.append(
                FileProblem(
                    path,
                    "checksum_mismatch",
                    _(
                        "%(relative)s: SHA-256 does not match batch.done (expected "
                        "%(expected)s, "
                        "found %(found)s); the file changed or was copied badly, copy it again",
                        relative=relative,
                        expected=expected,
                        found=found,
                    ),
                )
            )
    if marker.checksums:
        notes += [
            _(
                "%(relative)s: not listed in batch.done, so it was taken in without a checksum "
                "check",
                relative=relative,
            )
            for relative in by_name
            if relative not in marker.checksums
        ]
    stopped = {problem.path for problem in problems}
    return BatchState(
        BatchStatus.READY,
        batch_dir,
        files=tuple(path for path in files if path not in stopped),
        problems=tuple(problems),
        notes=tuple(notes),
        marker=marker,
    )


def _ready_when_settled(
    batch_dir: Path,
    files: list[Path],
    settle_s: float,
    now: float | None,
    history: FileHistory | None,
    verify_images: bool,
) -> BatchState:
    clock_now = time.time() if now is None else now
    ages: dict[Path, tuple[float, _Signature]] = {}
    for path in files:
        try:
            stat = path.stat()
        except OSError:
            return _waiting(
                batch_dir,
                _(
                    "%(relative_name)s changed while being read",
                    relative_name=relative_name(path, batch_dir),
                ),
            )
        signature = (stat.st_size, stat.st_mtime_ns)
        if history is not None:
            age = history.unchanged_for(path, signature)
        else:
            age = clock_now - stat.st_mtime
        ages[path] = (age, signature)
    youngest = min(ages, key=lambda p: ages[p][0])
    if ages[youngest][0] < settle_s:
        return _waiting(
            batch_dir,
            _(
                "%(relative_name)s changed %(age)s s ago; the batch is ready once nothing has "
                "changed for %(settle_s)s s",
                relative_name=relative_name(youngest, batch_dir),
                age=f"{max(ages[youngest][0], 0.0):.1f}",
                settle_s=f"{settle_s:g}",
            ),
        )
    problems: list[FileProblem] = []
    if verify_images:
        for path in files:
            if path.suffix.lower() not in IMAGE_SUFFIXES:
                continue
            age, signature = ages[path]
            relative = relative_name(path, batch_dir)
            known, problem = history.decoded(path, signature) if history else (False, None)
            if not known:
                problem = _decode_problem(path, relative)
                if history is not None:
                    history.remember_decode(path, signature, problem)
            if problem is None:
                continue
            patience = settle_s * UNREADABLE_SETTLE_FACTOR
            if age < patience:
                return _waiting(
                    batch_dir,
                    _(
                        "%(relative)s does not decode completely yet (%(message)s); it is set "
                        "aside only if it stays so, unchanged, for %(patience)s s",
                        relative=relative,
                        message=problem.message,
                        patience=f"{patience:g}",
                    ),
                )
            problems.append(problem)
    stopped = {problem.path for problem in problems}
    return BatchState(
        BatchStatus.READY,
        batch_dir,
        files=tuple(path for path in files if path not in stopped),
        problems=tuple(problems),
    )


# --- moving ------------------------------------------------------------------------------------


def _rename_unique(
    source: Path, folder: Path, name: str, *, also_taken: Callable[[Path], bool] | None = None
) -> Path:
    """Rename `source` to `folder/name`, or name-2, name-3... never replacing anything."""
    folder.mkdir(parents=True, exist_ok=True)
    stem, suffix = (name, "") if source.is_dir() else (Path(name).stem, Path(name).suffix)
    for number in range(1, _MAX_SUFFIX):
        target = folder / (name if number == 1 else f"{stem}-{number}{suffix}")
        if target.exists() or target.is_symlink() or (also_taken and also_taken(target)):
            continue
        try:
            # rename never replaces a non-empty folder, and the check above rules out a file;
            # an empty folder created in between is the only thing it could replace.
            source.rename(target)
        except (FileExistsError, IsADirectoryError, NotADirectoryError):
            continue
        except OSError as exc:
            if exc.errno in (errno.ENOTEMPTY, errno.EEXIST):  # taken in between
                continue
            raise StorageError(
                _(
                    "%(source)s: could not be moved to %(target)s: %(exc)s",
                    source=source,
                    target=target,
                    exc=exc,
                )
            ) from exc
        return target
    raise StorageError(
        _(
            "%(source)s: could not be moved: %(folder)s already holds %(name)s and its copies",
            source=source,
            folder=folder,
            name=name,
        )
    )


def _profile_of(batch_dir: Path, hot_root: Path) -> str:
    if batch_dir.parent.parent != hot_root:
        raise BadArgumentError(
            _(
                "%(batch_dir)s is not a batch folder of the hot folders in %(hot_root)s "
                "(expected <hot folders>/<profile>/<batch>)",
                batch_dir=batch_dir,
                hot_root=hot_root,
            )
        )
    profile = batch_dir.parent.name
    if profile in RESERVED_FOLDERS:
        raise BadArgumentError(
            _(
                "%(batch_dir)s is already in %(profile)s, not in a profile's hot folder",
                batch_dir=batch_dir,
                profile=profile,
            )
        )
    return profile


def move_to_done(
    batch_dir: Path, hot_root: Path, *, expected_files: Collection[Path] | None = None
) -> Path:
    """Move a taken-in batch whole to `_done/<profile>/<batch>` (renamed -2, -3... if taken).

    With `expected_files` (the `files` of the ready state, after problem files were set aside)
    the batch is left in place, with `BatchNotReadyError`, if files arrived meanwhile: moving
    them to _done would hide them without their having been taken in.
    """
    batch_dir, hot_root = batch_dir.resolve(), hot_root.resolve()
    profile = _profile_of(batch_dir, hot_root)
    if not batch_dir.is_dir():
        raise BatchNotFoundError(_("Batch folder not found: %(batch_dir)s", batch_dir=batch_dir))
    if expected_files is not None:
        expected = {path.resolve() for path in expected_files}
        try:
            present = {path.resolve() for path in discover_batch(batch_dir)}
        except BatchNotFoundError:
            raise
        except BadArgumentError:
            present = set()
        arrived = sorted(present - expected, key=lambda p: natural_key(str(p)))
        if arrived:
            names = ", ".join(relative_name(path, batch_dir) for path in arrived[:5])
            more = f" and {len(arrived) - 5} more" if len(arrived) > 5 else ""
            raise BatchNotReadyError(
                _(
                    "%(name)s: %(n_arrived)s file(s) arrived while the batch was being taken "
                    "in "
                    "(%(names)s%(more)s); the batch was left in place to be checked again",
                    name=batch_dir.name,
                    n_arrived=len(arrived),
                    names=names,
                    more=more,
                )
            )
    target = _rename_unique(batch_dir, hot_root / DONE_DIR / profile, batch_dir.name)
    log.info("Batch %s moved to %s", batch_dir, target)
    return target


def _sentence(text: str) -> str:
    text = _nfc(text.strip())
    return text if text.endswith((".", "!", "?")) else text + "."


def move_failed_file(file: Path, batch_dir: Path, hot_root: Path, reason: str) -> Path:
    """Set one file aside in `_failed/<batch>/<relative path>`, with <name>.error.txt beside it.
    A symbolic link is moved itself, never what it points to."""
    file = file.parent.resolve() / file.name
    batch_dir, hot_root = batch_dir.resolve(), hot_root.resolve()
    if not file.is_relative_to(batch_dir):
        raise BadArgumentError(
            _(
                "%(file)s is not inside the batch folder %(batch_dir)s",
                file=file,
                batch_dir=batch_dir,
            )
        )
    if not (file.is_file() or file.is_symlink()):
        raise BadArgumentError(
            _("%(file)s: cannot be set aside: the file does not exist", file=file)
        )
    relative = file.relative_to(batch_dir)
    folder = hot_root / FAILED_DIR / batch_dir.name / relative.parent
    target = _rename_unique(
        file,
        folder,
        relative.name,
        also_taken=lambda candidate: candidate.with_name(candidate.name + ".error.txt").exists(),
    )
    note = target.with_name(target.name + ".error.txt")
    moved_at = datetime.now().astimezone().isoformat(timespec="seconds")
    text = (
        f"{_sentence(reason)}\n\n"
        + _("File: %(name)s", name=_nfc(target.name))
        + "\n"
        + _("Original path: %(path)s", path=_nfc(str(file)))
        + "\n"
        + _("Batch: %(batch)s", batch=_nfc(batch_dir.name))
        + "\n"
        + _("Set aside at: %(moved_at)s", moved_at=moved_at)
        + "\n"
    )
    try:
        with note.open("x", encoding="utf-8", newline="\n") as handle:
            handle.write(_nfc(text))
    except OSError as exc:
        raise StorageError(
            _("%(note)s: could not write the error note: %(exc)s", note=note, exc=exc)
        ) from exc
    log.warning("%s set aside in %s: %s", relative, target.parent, reason)
    return target


# --- scanning the hot folders ------------------------------------------------------------------


def _is_batch_name(name: str) -> bool:
    return not (_is_litter(name) or is_temporary_name(name) or name in RESERVED_FOLDERS)


def _profile_entries(
    hot_root: Path, profiles: Iterable[str], *, links: bool = False
) -> Iterator[tuple[str, Path]]:
    """(profile, entry) for what lies directly in each profile's hot folder, in name order:
    real files and folders, or with `links` only the symbolic links (never followed)."""
    for profile in profiles:
        if profile in RESERVED_FOLDERS:
            continue
        try:
            entries = list((hot_root / profile).iterdir())
        except (FileNotFoundError, NotADirectoryError):
            continue
        for entry in sorted(entries, key=lambda p: natural_key(p.name)):
            if _is_batch_name(entry.name) and entry.is_symlink() == links:
                yield profile, entry


def iter_candidate_batches(hot_root: Path, profiles: Iterable[str]) -> Iterator[tuple[str, Path]]:
    """(profile, batch folder) for every batch folder in the profiles' hot folders, in name order.

    `_done`, `_failed`, hidden, temporary-named and system folders are never batches.
    """
    for profile, entry in _profile_entries(hot_root, profiles):
        if entry.is_dir():
            yield profile, entry


def check_loose_files(hot_root: Path, profiles: Iterable[str]) -> list[Path]:
    """Files lying directly in a profile's hot folder, outside any batch, and symbolic links
    there (to a batch folder or anything else): none of them is taken in."""
    loose = [entry for _, entry in _profile_entries(hot_root, profiles) if entry.is_file()]
    loose += [entry for _, entry in _profile_entries(hot_root, profiles, links=True)]
    return sorted(loose, key=lambda p: natural_key(str(p)))


def _fingerprint(batch_dir: Path) -> frozenset[tuple[str, int, int]]:
    """Every file's path, size and mtime: equal fingerprints mean nothing changed."""
    found = set()
    for root, _dirs, names in os.walk(batch_dir):
        for name in names:
            path = Path(root, name)
            try:
                stat = path.lstat()
            except OSError:
                continue
            found.add((str(path), stat.st_size, stat.st_mtime_ns))
    return frozenset(found)


# --- watching ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReadyBatch:
    """A batch handed to the `on_ready` callback."""

    profile: str
    batch_dir: Path
    hot_root: Path
    state: BatchState

    @property
    def files(self) -> tuple[Path, ...]:
        return self.state.files

    @property
    def problems(self) -> tuple[FileProblem, ...]:
        return self.state.problems

    @property
    def notes(self) -> tuple[str, ...]:
        return self.state.notes

    @property
    def marker(self) -> DoneMarker | None:
        return self.state.marker


class _EventHandler(FileSystemEventHandler):
    def __init__(self, watcher: HotFolderWatcher) -> None:
        self._watcher = watcher

    def on_any_event(self, event: FileSystemEvent) -> None:
        self._watcher._on_event(event)


class HotFolderWatcher:
    """Watches the profiles' hot folders and hands ready batches, one at a time, to `on_ready`.

    Events only mark a batch "dirty"; a loop in the thread that calls `run_until_stopped`
    checks dirty and waiting batches about every `check_interval_s` and calls `on_ready`
    there. A full rescan at start and every `rescan_interval_s` finds what events missed.
    Once `on_ready` returns, the batch is offered again only if its files change afterwards,
    or at the next rescan (it is expected to have been moved away). If `on_ready` raises
    `BatchNotReadyError` (files arrived meanwhile, see `move_to_done`), the batch is looked at
    again at once and re-offered if it differs from what was offered; any other exception is
    logged and the watch goes on. A watcher runs once: `run_until_stopped` after `stop` returns.
    """

    def __init__(
        self,
        hot_root: Path,
        profiles: Iterable[str],
        *,
        on_ready: Callable[[ReadyBatch], None],
        settle_for: Callable[[str], float] | Mapping[str, float],
        mode: WatchMode = "native",
        poll_interval_s: float = 2.0,
        rescan_interval_s: float = 180.0,
        check_interval_s: float = 1.0,
        verify_images: bool = True,
    ) -> None:
        self.hot_root = hot_root.resolve()
        self.profiles = tuple(dict.fromkeys(profiles))
        for profile in self.profiles:
            if profile in RESERVED_FOLDERS or not profile or Path(profile).name != profile:
                raise BadArgumentError(
                    _(
                        "'%(profile)s' cannot be a hot folder: profile hot folders are plain "
                        "names, and %(reserved)s are kept for finished batches",
                        profile=profile,
                        reserved=", ".join(sorted(RESERVED_FOLDERS)),
                    )
                )
        if isinstance(settle_for, Mapping):
            missing = [p for p in self.profiles if p not in settle_for]
            if missing:
                raise BadArgumentError(
                    _(
                        "No settle time given for profile(s): %(missing)s",
                        missing=", ".join(missing),
                    )
                )
            table = dict(settle_for)
            self._settle_for: Callable[[str], float] = table.__getitem__
        else:
            self._settle_for = settle_for
        if mode not in ("native", "polling"):
            raise BadArgumentError(
                _("Unknown watch mode '%(mode)s' (allowed: native, polling)", mode=mode)
            )
        self.mode: WatchMode = mode
        self.rescan_interval_s = rescan_interval_s
        self.check_interval_s = check_interval_s
        self.verify_images = verify_images
        self._on_ready = on_ready
        self._profile_dirs: dict[Path, str] = {}
        for profile in self.profiles:
            folder = self.hot_root / profile
            try:
                folder.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise StorageError(
                    _(
                        "%(folder)s: the hot folder cannot be created: %(exc)s",
                        folder=folder,
                        exc=exc,
                    )
                ) from exc
            self._profile_dirs[folder.resolve()] = profile
        self.observer: BaseObserver = (
            PollingObserver(timeout=poll_interval_s) if mode == "polling" else Observer()
        )
        handler = _EventHandler(self)
        for folder in self._profile_dirs:
            self.observer.schedule(handler, str(folder), recursive=True)
        self._lock = threading.Lock()
        self._dirty: dict[Path, str] = {}  # changed since last looked at
        self._pending: dict[Path, str] = {}  # waiting: looked at again every round
        self._offered: dict[Path, frozenset[tuple[str, int, int]]] = {}  # content after on_ready
        self._warned_loose: set[Path] = set()
        self._attention: dict[Path, str] = {}
        self._history = FileHistory()
        self._stop_requested = False
        self._started = threading.Event()
        self._events_seen = 0
        self.in_hand: Path | None = None

    @classmethod
    def from_settings(
        cls,
        settings: StationSettings,
        on_ready: Callable[[ReadyBatch], None],
        *,
        profiles: Iterable[str] | None = None,
    ) -> HotFolderWatcher:
        """A watcher over the given profiles (default: every profile), as the settings ask."""
        names = list(profiles) if profiles is not None else list_profiles(settings.profiles_dir)
        settle = {name: load_profile(name, settings.profiles_dir).scan.settle_s for name in names}
        return cls(
            settings.hotfolders,
            names,
            on_ready=on_ready,
            settle_for=settle,
            mode=settings.watch_mode,
            poll_interval_s=settings.poll_interval_s,
            rescan_interval_s=settings.rescan_interval_s,
        )

    @property
    def stopping(self) -> bool:
        return self._stop_requested

    @property
    def events_seen(self) -> int:
        """File-system events that marked a batch to be looked at (for tests and diagnostics)."""
        return self._events_seen

    def wait_started(self, timeout: float | None = None) -> bool:
        """Block until the watch is running and the start-up rescan is done."""
        return self._started.wait(timeout)

    def stop(self) -> None:
        """Ask `run_until_stopped` to return after the batch in hand; safe from any thread and
        from a signal handler (it only sets a flag, taking no lock)."""
        self._stop_requested = True

    def run_until_stopped(self) -> None:
        """Watch, and call `on_ready` for each ready batch in this thread, until `stop()`."""
        if self._stop_requested:
            return
        _quiet_watchdog_noise()
        try:
            self.observer.start()
        except OSError as exc:
            raise ConfigError(
                _(
                    "The hot folders in %(hot_root)s cannot be watched with file-system events "
                    "(%(exc)s); raise the inotify limits (fs.inotify.max_user_watches, "
                    'max_user_instances) or set watch_mode = "polling"',
                    hot_root=self.hot_root,
                    exc=exc,
                )
            ) from exc
        try:
            self.rescan()
            self._started.set()
            next_rescan = time.monotonic() + self.rescan_interval_s
            while not self._stop_requested:
                if time.monotonic() >= next_rescan:
                    self.rescan()
                    next_rescan = time.monotonic() + self.rescan_interval_s
                self._check_round()
                self._sleep(self.check_interval_s)
        finally:
            self.observer.stop()
            if self.observer.is_alive():
                self.observer.join(timeout=10)
            self._started.set()

    def _sleep(self, seconds: float) -> None:
        """Sleep in short steps, so a stop is noticed without taking any lock."""
        deadline = time.monotonic() + seconds
        while not self._stop_requested and (left := deadline - time.monotonic()) > 0:
            time.sleep(min(left, 0.05))

    def rescan(self) -> None:
        """Look at every batch folder again, including those already offered."""
        found = {
            batch_dir: profile
            for profile, batch_dir in iter_candidate_batches(self.hot_root, self.profiles)
        }
        loose = check_loose_files(self.hot_root, self.profiles)
        with self._lock:
            self._dirty.update(found)
            self._offered.clear()
            self._warned_loose &= set(loose)
        for path in loose:
            self._warn_loose(path)

    def _warn_loose(self, path: Path) -> None:
        with self._lock:
            if path in self._warned_loose:
                return
            self._warned_loose.add(path)
        if path.is_symlink():
            log.warning(
                "%s in the hot folder %s is a symbolic link (to %s), refused and not read; "
                "put the batch folder itself in the hot folder",
                path.name,
                path.parent,
                path.readlink(),
            )
            return
        log.warning(
            "%s lies directly in the hot folder %s, outside any batch, so it is not taken in; "
            "move it into a batch subfolder",
            path.name,
            path.parent,
        )

    def _locate(self, raw: bytes | str) -> tuple[str, Path] | None:
        """The (profile, batch folder) an event path belongs to, if any."""
        path = Path(os.fsdecode(raw))
        for folder, profile in self._profile_dirs.items():
            if path.is_relative_to(folder) and path != folder:
                name = path.relative_to(folder).parts[0]
                return (profile, folder / name) if _is_batch_name(name) else None
        return None

    def _on_event(self, event: FileSystemEvent) -> None:
        if event.event_type in ("opened", "closed_no_write"):  # our own reads
            return
        for raw in (event.src_path, event.dest_path):
            if not raw:
                continue
            located = self._locate(raw)
            if located is None:
                continue
            profile, batch_dir = located
            if batch_dir.is_symlink():  # a linked batch folder is never followed
                self._warn_loose(batch_dir)
                continue
            if batch_dir == Path(os.fsdecode(raw)) and not event.is_directory:
                if batch_dir.is_file():
                    self._warn_loose(batch_dir)
                if not batch_dir.is_dir():
                    continue
            with self._lock:
                self._dirty[batch_dir] = profile
                self._events_seen += 1

    def _check_round(self) -> None:
        with self._lock:
            batches = {**self._pending, **self._dirty}
            self._dirty.clear()
        for batch_dir, profile in sorted(
            batches.items(), key=lambda item: (item[1], natural_key(item[0].name))
        ):
            if self._stop_requested:
                return
            self._check_one(profile, batch_dir)

    def _forget(self, batch_dir: Path) -> None:
        with self._lock:
            self._pending.pop(batch_dir, None)
            self._offered.pop(batch_dir, None)
        self._attention.pop(batch_dir, None)
        self._history.forget(batch_dir)

    def _check_one(self, profile: str, batch_dir: Path) -> None:
        try:
            state = check_batch(
                batch_dir,
                self._settle_for(profile),
                history=self._history,
                verify_images=self.verify_images,
            )
        except BatchNotFoundError:
            self._forget(batch_dir)
            return
        if state.status is BatchStatus.WAITING:
            with self._lock:
                self._pending[batch_dir] = profile
            if state.needs_attention and self._attention.get(batch_dir) != state.reason:
                log.warning("Batch %s waits: %s", batch_dir.name, state.reason)
            self._attention[batch_dir] = state.reason
            log.debug("Batch %s waits: %s", batch_dir.name, state.reason)
            return
        with self._lock:
            self._pending.pop(batch_dir, None)
            already = self._offered.get(batch_dir)
        if state.status is BatchStatus.EMPTY:
            self._history.forget(batch_dir)
            return
        if already is not None and already == _fingerprint(batch_dir):
            return
        self._hand_over(profile, batch_dir, state)

    def _hand_over(self, profile: str, batch_dir: Path, state: BatchState) -> None:
        log.info(
            "Batch %s (%s) is ready: %d file(s), %d set aside",
            batch_dir.name,
            profile,
            len(state.files),
            len(state.problems),
        )
        self.in_hand = batch_dir
        offered = _fingerprint(batch_dir)
        refused = False
        try:
            self._on_ready(ReadyBatch(profile, batch_dir, self.hot_root, state))
        except BatchNotReadyError as exc:
            log.warning("Batch %s: %s", batch_dir.name, exc)
            refused = True
        except Exception:
            log.exception(
                "Batch %s could not be handled; it stays where it is and is offered again when "
                "its files change or at the next rescan",
                batch_dir.name,
            )
        finally:
            self.in_hand = None
        self._forget(batch_dir)
        if not batch_dir.is_dir():
            return
        with self._lock:
            if refused:
                # Files arrived while it was in hand: look again at once, and offer it again
                # if it differs from what was offered (not merely from what the callback left).
                self._offered[batch_dir] = offered
                self._pending[batch_dir] = profile
            else:
                # Events the callback's own moves cause must not bring the batch straight back.
                self._offered[batch_dir] = _fingerprint(batch_dir)


def install_signal_handlers(watcher: HotFolderWatcher) -> Callable[[], None]:
    """SIGTERM and SIGINT stop the watcher after the batch in hand; a second SIGINT interrupts
    at once. Call from the main thread; returns a function that puts the old handlers back."""

    def handle(signum: int, frame: FrameType | None) -> None:
        if watcher.stopping and signum == signal.SIGINT:
            raise KeyboardInterrupt
        watcher.stop()

    previous = {sig: signal.signal(sig, handle) for sig in (signal.SIGTERM, signal.SIGINT)}

    def restore() -> None:
        for sig, handler in previous.items():
            signal.signal(sig, handler if handler is not None else signal.SIG_DFL)

    return restore
