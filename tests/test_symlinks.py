"""Symbolic links in a batch are refused unread, and every one is in the report and summary."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import make_samples as ms
import numpy as np

from station.errors import ExitCode
from station.ingest import SYMLINK_REFUSED, discover_batch, refused_links
from station.settings import StationSettings
from station.store import REFUSED, Store

PASSWD = Path("/etc/passwd")


def hostile_batch(root: Path) -> Path:
    """Two real pages; a link to /etc/passwd named x.png, a link to a scan outside the batch,
    a link to a page of the batch, a link to a folder outside and a link to nothing."""
    batch = root / "hop-07"
    (batch / "sub").mkdir(parents=True)
    outside = root / "elsewhere"
    outside.mkdir()
    for number, folder in ((1, batch), (2, batch / "sub"), (3, outside)):
        page, _ = ms.render_document_page(np.random.default_rng(200 + number), dpi=300)
        page.save(folder / f"scan_{number:04d}.tif", dpi=(300, 300), compression="tiff_lzw")
    (batch / "x.png").symlink_to(PASSWD)
    (batch / "scan_0003.tif").symlink_to(outside / "scan_0003.tif")
    (batch / "sub" / "again.tif").symlink_to("../scan_0001.tif")
    (batch / "more").symlink_to(outside, target_is_directory=True)
    (batch / "gone.tif").symlink_to(root / "nothing-here.tif")
    return batch


def test_each_link_is_named_with_where_it_points_and_never_listed_as_a_file(
    tmp_path: Path,
) -> None:
    batch = hostile_batch(tmp_path)
    reasons = {link.relative: link.reason for link in refused_links(batch)}
    assert list(reasons) == ["gone.tif", "more", "scan_0003.tif", "sub/again.tif", "x.png"]
    assert "a file outside the batch folder" in reasons["x.png"]
    assert "/etc/passwd" in reasons["x.png"] and "refused, not read" in reasons["x.png"]
    assert "a file outside the batch folder" in reasons["scan_0003.tif"]
    assert "the file scan_0001.tif in this batch" in reasons["sub/again.tif"]
    assert "a folder outside the batch folder" in reasons["more"]
    assert "which does not exist" in reasons["gone.tif"]
    listed = [p.relative_to(batch).as_posix() for p in discover_batch(batch)]
    assert listed == ["scan_0001.tif", "sub/scan_0002.tif"]


def test_process_refuses_links_in_the_report_summary_and_exit_code(
    settings: StationSettings, run_station: Callable[..., Any], tmp_path: Path
) -> None:
    batch = hostile_batch(tmp_path)
    out = tmp_path / "out"
    result = run_station("process", str(batch), "--out", str(out), "--jobs", "1")
    assert result.exit_code == ExitCode.PAGES_FAILED, result.stdout
    summary = " ".join(result.stdout.split())  # rich wraps long lines
    assert "Refused, not read (links) │ 5" in summary and "Traceback" not in summary
    assert "Pages │ 2 " in summary  # a link is not a page
    for name in ("x.png", "scan_0003.tif", "sub/again.tif", "more", "gone.tif"):
        assert f"{name}: refused, not read: a symbolic link to" in summary
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    refused = {r["source_file"]: r for r in report if r["status"] == REFUSED}
    assert set(refused) == {"x.png", "scan_0003.tif", "sub/again.tif", "more", "gone.tif"}
    assert all(r["error_code"] == SYMLINK_REFUSED and r["sha256"] is None for r in refused.values())
    assert set(report[0]) == set(refused["x.png"])  # one record shape
    done = [r for r in report if r["status"] == "ok"]
    assert [r["source_file"] for r in done] == ["scan_0001.tif", "sub/scan_0002.tif"]
    # Never read: nothing of what the links point to reached master storage.
    passwd = hashlib.sha256(PASSWD.read_bytes()).hexdigest()
    outside = hashlib.sha256((tmp_path / "elsewhere" / "scan_0003.tif").read_bytes()).hexdigest()
    stored = {p.name.split(".")[0] for p in (settings.data_dir / "masters").rglob("*.*")}
    assert passwd not in stored and outside not in stored and len(stored) == 2
    store = Store.open(settings.database_url)
    (made,) = store.find_batches("hop-07")
    assert made.state == "done_with_failures"
    assert made.id is not None and len(store.refused_of_batch(made.id)) == 5


def test_links_in_a_profile_hot_folder_are_listed_never_batches(tmp_path: Path) -> None:
    from station.hotfolder import check_loose_files, iter_candidate_batches

    batch = hostile_batch(tmp_path / "staging")
    profile = tmp_path / "hot" / "text-gray-300"
    profile.mkdir(parents=True)
    (profile / "hop-07").symlink_to(batch, target_is_directory=True)
    (profile / "passwd.tif").symlink_to(PASSWD)
    (profile / "real").mkdir()
    assert list(iter_candidate_batches(tmp_path / "hot", ["text-gray-300"])) == [
        ("text-gray-300", profile / "real")
    ]
    loose = check_loose_files(tmp_path / "hot", ["text-gray-300"])
    assert loose == [profile / "hop-07", profile / "passwd.tif"]


def test_a_link_listed_in_batch_done_is_refused_and_never_read(
    settings: StationSettings, default_profile: Any, tmp_path: Path
) -> None:
    from station.hotfolder import check_batch
    from station.ingest import sha256_of
    from station.room.runner import BatchSource, run_batch

    batch = hostile_batch(tmp_path)
    listed = {name: sha256_of(batch / name) for name in ("scan_0001.tif", "x.png")}
    lines = [f"{digest}  {name}" for name, digest in listed.items()]
    (batch / "batch.done").write_text("\n".join(lines) + "\n", encoding="utf-8")
    state = check_batch(batch, 0)
    (problem,) = state.problems
    assert problem.code == SYMLINK_REFUSED and not problem.exists
    assert "x.png: listed in batch.done, but it is a symbolic link" in problem.message
    # Even a caller that lists the link among the files to take in does not get it read.
    source = BatchSource(batch, origin="hotfolder", files=(batch / "x.png", *state.files))
    outcome = run_batch(source, tmp_path / "out", default_profile, settings, workers=1)
    assert outcome is not None
    assert {r["source_file"] for r in outcome.records if r["status"] == "ok"} == {
        "scan_0001.tif",
        "sub/scan_0002.tif",
    }
    assert "x.png" in {r["source_file"] for r in outcome.refused}
    passwd = hashlib.sha256(PASSWD.read_bytes()).hexdigest()
    assert not list((settings.data_dir / "masters").rglob(f"{passwd}*"))
