"""Taking scans in: finding a batch's files in scan order and keeping verified masters.

Originals are copied byte for byte into content-addressed master storage before
anything else looks at them, verified by re-reading the copy, and made read-only.
The scanner's own file is never modified, moved or deleted here.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

from station.errors import BadArgumentError, BatchNotFoundError, StorageError
from station.i18n import _

IMAGE_SUFFIXES = frozenset({".tif", ".tiff", ".png", ".jpg", ".jpeg"})
# System and sync-tool litter found in shared scan folders (Paperless-ngx keeps a similar list).
IGNORED_NAMES = frozenset({"Thumbs.db", "desktop.ini", ".DS_Store", "truth.json", "batch.done"})
IGNORED_DIRS = frozenset({"@eaDir", ".stversions", ".Trash-1000"})
_CHUNK = 1 << 20
SYMLINK_REFUSED = "symlink_refused"  # the error code of a refused link in report.json


@dataclass(frozen=True)
class StoredOriginal:
    source: Path
    sha256: str
    size: int
    master_path: Path
    already_stored: bool


def natural_key(name: str | Path) -> list[object]:
    """scan_2.tif before scan_10.tif, as an operator reads them."""
    return [int(part) if part.isdigit() else part.lower() for part in re.split(r"(\d+)", str(name))]


@dataclass(frozen=True)
class RefusedLink:
    """A symbolic link in a batch: never read, reported with why (nothing vanishes)."""

    path: Path
    relative: str
    target: str  # as the link says, not followed
    reason: str


def refused_links(batch_dir: Path) -> list[RefusedLink]:
    """Every symbolic link in the batch (to a file or a folder, inside or outside the batch,
    or to nothing), in scan order. Links are refused: one could show a scan from anywhere,
    /etc/passwd as x.png, or count one page twice; scanners never write them."""
    root = batch_dir.resolve()
    found = []
    for directory, dirs, names in os.walk(batch_dir):  # does not descend into linked folders
        for name in sorted([*dirs, *names]):
            path = Path(directory, name)
            relative = path.relative_to(batch_dir)
            if not path.is_symlink() or _ignored(relative):
                continue
            found.append(_refused(path, relative.as_posix(), root))
        dirs[:] = [d for d in dirs if not _ignored(Path(directory, d).relative_to(batch_dir))]
    return sorted(found, key=lambda link: natural_key(link.relative))


def _refused(path: Path, relative: str, root: Path) -> RefusedLink:
    target = str(path.readlink())
    resolved = Path(os.path.realpath(path))
    folder = resolved.is_dir()
    if not resolved.exists():
        reason = _(
            "%(name)s: refused, not read: a symbolic link to %(target)s, which does not exist; "
            "put the scan itself in the batch folder",
            name=relative,
            target=target,
        )
    elif resolved.is_relative_to(root):
        inside = resolved.relative_to(root).as_posix()
        reason = (
            _(
                "%(name)s: refused, not read: a symbolic link to %(target)s, the folder %(inside)s "
                "in this batch; remove the link: a page must not be taken in twice",
                name=relative,
                target=target,
                inside=inside,
            )
            if folder
            else _(
                "%(name)s: refused, not read: a symbolic link to %(target)s, the file %(inside)s "
                "in this batch; remove the link: a page must not be taken in twice",
                name=relative,
                target=target,
                inside=inside,
            )
        )
    else:
        reason = (
            _(
                "%(name)s: refused, not read: a symbolic link to %(target)s, a folder outside the "
                "batch folder; put the scan itself in the batch folder",
                name=relative,
                target=target,
            )
            if folder
            else _(
                "%(name)s: refused, not read: a symbolic link to %(target)s, a file outside the "
                "batch folder; put the scan itself in the batch folder",
                name=relative,
                target=target,
            )
        )
    return RefusedLink(path, relative, target, reason)


def _ignored(relative: Path) -> bool:
    name = relative.name
    return (
        any(part in IGNORED_DIRS or part.startswith(".") for part in relative.parts)
        or name in IGNORED_NAMES
        or name.startswith("._")
    )


def discover_batch(batch_dir: Path) -> list[Path]:
    """Every file of the batch in scan order; non-images are kept so they can be reported.
    Symbolic links are left out here and reported by `refused_links`."""
    if not batch_dir.exists():
        raise BatchNotFoundError(_("Batch folder not found: %(batch_dir)s", batch_dir=batch_dir))
    if not batch_dir.is_dir():
        raise BatchNotFoundError(
            _(
                "Not a folder: %(batch_dir)s (give the folder that holds the scans)",
                batch_dir=batch_dir,
            )
        )
    files = []
    for path in batch_dir.rglob("*"):
        relative = path.relative_to(batch_dir)
        if any(part in IGNORED_DIRS or part.startswith(".") for part in relative.parts):
            continue
        if path.name in IGNORED_NAMES or path.name.startswith("._") or not path.is_file():
            continue
        if path.is_symlink():  # never read: `refused_links` reports it
            continue
        files.append(path)
    if not files:
        raise BadArgumentError(
            _("Batch folder %(batch_dir)s holds no files to process", batch_dir=batch_dir)
        )
    return sorted(files, key=lambda p: natural_key(p.relative_to(batch_dir)))


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


class MasterStore:
    """Content-addressed, write-once storage of original scans: masters/ab/cd/<sha256>.<ext>."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def path_for(self, sha256: str, suffix: str) -> Path:
        return self.root / sha256[:2] / sha256[2:4] / f"{sha256}{suffix.lower()}"

    def keep(self, source: Path) -> StoredOriginal:
        """Copy `source` in, verify the copy, and return where it is."""
        try:
            return self._keep(source)
        except OSError as exc:
            raise StorageError(
                _(
                    "%(source)s: could not be copied into master storage: %(exc)s",
                    source=source,
                    exc=exc,
                )
            ) from exc

    def _keep(self, source: Path) -> StoredOriginal:
        self.root.mkdir(parents=True, exist_ok=True)
        digest = hashlib.sha256()
        size = 0
        with (
            source.open("rb") as src,
            tempfile.NamedTemporaryFile(dir=self.root, prefix=".incoming-", delete=False) as tmp,
        ):
            while chunk := src.read(_CHUNK):
                digest.update(chunk)
                tmp.write(chunk)
                size += len(chunk)
            tmp.flush()
            os.fsync(tmp.fileno())
        tmp_path = Path(tmp.name)
        sha256 = digest.hexdigest()
        target = self.path_for(sha256, source.suffix)
        if target.exists():
            tmp_path.unlink()
            if target.stat().st_size != size or sha256_of(target) != sha256:
                raise StorageError(
                    _(
                        "%(target)s: the stored master no longer matches its checksum; master "
                        "storage may be damaged",
                        target=target,
                    )
                )
            return StoredOriginal(source, sha256, size, target, already_stored=True)
        if sha256_of(tmp_path) != sha256:
            tmp_path.unlink()
            raise StorageError(
                _(
                    "%(source)s: the copy in master storage does not match the original",
                    source=source,
                )
            )
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp_path.replace(target)
        target.chmod(0o444)
        return StoredOriginal(source, sha256, size, target, already_stored=False)
