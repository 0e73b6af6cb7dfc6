"""Batch discovery in scan order, and write-once verified master storage."""

from __future__ import annotations

import hashlib
import stat
from pathlib import Path

import pytest

from station.errors import BatchNotFoundError
from station.ingest import MasterStore, discover_batch


def test_files_come_in_natural_scan_order_without_system_litter(tmp_path: Path) -> None:
    for name in [
        "scan_10.tif",
        "scan_2.tif",
        "scan_1.tif",
        "Thumbs.db",
        ".DS_Store",
        "._scan_1.tif",
        "notes.docx",
    ]:
        (tmp_path / name).write_bytes(b"x")
    (tmp_path / "@eaDir").mkdir()
    (tmp_path / "@eaDir" / "scan_3.tif").write_bytes(b"x")
    names = [p.name for p in discover_batch(tmp_path)]
    assert names == ["notes.docx", "scan_1.tif", "scan_2.tif", "scan_10.tif"]


def test_missing_folder_and_file_instead_of_folder(tmp_path: Path) -> None:
    with pytest.raises(BatchNotFoundError, match="not found"):
        discover_batch(tmp_path / "nope")
    (tmp_path / "a.tif").write_bytes(b"x")
    with pytest.raises(BatchNotFoundError, match="Not a folder"):
        discover_batch(tmp_path / "a.tif")


def test_master_is_a_verified_read_only_copy_and_the_original_is_untouched(tmp_path: Path) -> None:
    original = tmp_path / "scan_0001.TIF"
    content = bytes(range(256)) * 5000
    original.write_bytes(content)
    before = original.stat()
    store = MasterStore(tmp_path / "masters")
    kept = store.keep(original)
    digest = hashlib.sha256(content).hexdigest()
    assert kept.sha256 == digest and kept.size == len(content)
    assert kept.master_path == tmp_path / "masters" / digest[:2] / digest[2:4] / f"{digest}.tif"
    assert kept.master_path.read_bytes() == content
    assert not kept.master_path.stat().st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH)
    assert original.read_bytes() == content and original.stat().st_mtime_ns == before.st_mtime_ns
    assert not list((tmp_path / "masters").glob(".incoming-*")), "no temporary file left behind"


def test_same_content_is_stored_once(tmp_path: Path) -> None:
    (tmp_path / "a.png").write_bytes(b"same bytes")
    (tmp_path / "b.png").write_bytes(b"same bytes")
    store = MasterStore(tmp_path / "masters")
    first, second = store.keep(tmp_path / "a.png"), store.keep(tmp_path / "b.png")
    assert first.master_path == second.master_path
    assert not first.already_stored and second.already_stored
    assert len([p for p in (tmp_path / "masters").rglob("*") if p.is_file()]) == 1
