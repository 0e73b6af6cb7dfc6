"""The rescan loop end to end: a page rejected in review, its printed slip scanned back with
the new page, the new page in the old one's place, and the folder approved from the CLI.
Real pipeline, real Tesseract, real zxing, slips printed to PDF and rasterised by pdftoppm."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import make_samples as ms
import numpy as np
import pikepdf
import pytest
from PIL import Image
from typer.testing import CliRunner

from station import auth
from station.cli import app
from station.errors import ExitCode, NotAllowedError
from station.manifest import read_manifest
from station.pipeline import separators
from station.profiles import load_profile
from station.review import rules
from station.room import runner
from station.settings import StationSettings, load_settings
from station.store import Store

MANIFEST = """\
Mã phông;Hộp số;Hồ sơ số;Mã hồ sơ;Tiêu đề hồ sơ;Ngày bắt đầu;Ngày kết thúc;\
Thời hạn bảo quản;Số lượng tờ
P7;1;1;P7/01/01;Hồ sơ về công tác thi đua khen thưởng năm 2020;2020;2020;Vĩnh viễn;3
"""
PASSWORD = "correct horse battery"
FOLDER = "P7/01/01"  # archival ids have slashes; its files are named P7-01-01


def _document(seed: int) -> Image.Image:
    page, _ = ms.render_document_page(np.random.default_rng(seed), dpi=300)
    return page


@pytest.fixture(scope="module")
def loop(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    root = tmp_path_factory.mktemp("loop")
    env = {
        "STATION_DATA_DIR": str(root / "data"),
        "STATION_PROFILES_DIR": str(Path(__file__).resolve().parent.parent / "profiles"),
        "STATION_CONFIG": str(root / "station.toml"),
    }
    runner = CliRunner(env=env)

    def run(*args: str, stdin: str | None = None) -> Any:
        return runner.invoke(app, list(args), input=stdin, catch_exceptions=False)

    (root / "manifest.csv").write_text(MANIFEST, encoding="utf-8")
    assert run("manifest", "import", str(root / "manifest.csv")).exit_code == 0
    for name, role in (("op1", "operator"), ("rev2", "reviewer"), ("arch", "archivist")):
        added = run("users", "add", name, "--role", role, "--password-stdin", stdin=PASSWORD)
        assert added.exit_code == 0, added.output
    run("separators", "--out", str(root / "sheets.pdf"))
    subprocess.run(
        ["pdftoppm", "-r", "200", "-gray", "-png", str(root / "sheets.pdf"), str(root / "sheet")],
        check=True,
    )
    batch = root / "first"
    batch.mkdir()
    scans = [Image.open(root / "sheet-1.png"), _document(31), _document(32), _document(33)]
    for number, image in enumerate(scans, start=1):
        image.save(batch / f"scan_{number:02d}.tif", dpi=(300, 300), compression="tiff_lzw")
    first = run("process", str(batch), "--out", str(root / "out"), "--operator", "op1")
    assert first.exit_code == 0, first.output
    store = Store.open(StationSettings(data_dir=root / "data").database_url)
    return {"root": root, "run": run, "store": store}


def _pages(store: Store) -> list[Any]:
    return [p for p in store.folder_pages(FOLDER) if p.separator is None]


def test_a_rejected_page_is_replaced_in_place_by_its_rescan(loop: dict[str, Any]) -> None:
    store, run, root = loop["store"], loop["run"], loop["root"]
    rev2, op1 = store.get_user("rev2"), store.get_user("op1")
    assert rev2 is not None and op1 is not None
    pages = _pages(store)
    assert [p.position for p in pages] == [2, 3, 4], "the separator sheet holds position 1"
    first, rejected, third = pages
    with pytest.raises(NotAllowedError, match="role"):
        rules.decide(store, op1, first.id, "approve")
    rules.decide(store, rev2, first.id, "approve")
    rules.decide(store, rev2, rejected.id, "reject", "cut_off")
    rules.decide(store, rev2, third.id, "approve")
    folder = store.get_folder(FOLDER)
    assert folder is not None and folder.review_state == "rescan"

    listed = json.loads(run("rescan", "list", "--json").stdout)
    assert [(r["page_id"], r["position"], r["reason"]) for r in listed] == [
        (rejected.id, 3, "cut_off")
    ]
    printed = run("rescan", "slips", "--out", str(root / "slips.pdf"))
    assert printed.exit_code == 0 and "1 rescan slip" in printed.stdout
    subprocess.run(
        ["pdftoppm", "-r", "200", "-gray", "-png", str(root / "slips.pdf"), str(root / "slip")],
        check=True,
    )
    again = root / "rescans"
    again.mkdir()
    Image.open(root / "slip-1.png").save(again / "a_slip.tif", dpi=(200, 200))
    replacement = ms.add_noise(_document(32), np.random.default_rng(5))
    replacement.save(again / "b_page.tif", dpi=(300, 300), compression="tiff_lzw")
    second = run("process", str(again), "--out", str(root / "out"), "--operator", "op1")
    assert second.exit_code == 0, second.output

    after = _pages(store)
    assert [p.position for p in after] == [2, 3, 4]
    new = after[1]
    assert new.id != rejected.id and new.decision is None, "only the new page returns to review"
    assert [p.decision for p in after] == ["approve", None, "approve"]
    old = store.get_page(rejected.id)
    assert old is not None and old.replaced_by == new.id and old.decision == "reject"
    assert Path(old.master_path).is_file(), "the old image stays in master storage"
    events = {e.detail.get("action"): e for e in store.events_of_folder(FOLDER)}
    assert events["replaced"].page_id == rejected.id
    assert events["replacement"].page_id == new.id
    assert json.loads(run("rescan", "list", "--json").stdout) == []
    with pikepdf.open(root / "out" / "P7-01-01.pdf") as document:
        assert len(document.pages) == 3, "the folder's PDF/A is whole again, slip left out"
    folder = store.get_folder(FOLDER)
    assert folder is not None and folder.review_state == "to_review"


def test_review_approve_from_the_command_line(loop: dict[str, Any]) -> None:
    run, store = loop["run"], loop["store"]
    refused = run("review", "approve", FOLDER, "--as", "rev2")
    assert refused.exit_code == ExitCode.REFUSED and "archivist" in refused.stderr
    unknown = run("review", "approve", "P7-99", "--as", "arch")
    assert unknown.exit_code == ExitCode.REFUSED and "P7-99" in unknown.stderr
    unsure = run("review", "approve", FOLDER, "--as", "arch")
    assert unsure.exit_code == ExitCode.REFUSED and "văn bản 1" in unsure.stderr
    confirmed = run("review", "confirm-documents", FOLDER, "--as", "arch")
    assert confirmed.exit_code == 0 and "Confirmed" in confirmed.stdout
    done = run("review", "approve", FOLDER, "--as", "arch")
    assert done.exit_code == 0, done.output
    folder = store.get_folder(FOLDER)
    assert folder is not None and folder.review_state == "approved"
    assert folder.approved_by == "arch"
    assert all(p.decision == "approve" for p in _pages(store))
    twice = run("review", "approve", FOLDER, "--as", "arch")
    assert twice.exit_code == ExitCode.REFUSED and "approved" in twice.stderr


def test_four_eyes_from_the_command_line(loop: dict[str, Any], tmp_path: Path) -> None:
    """An archivist who fed the batch may not approve it either."""
    run, store = loop["run"], loop["store"]
    store.add_user(
        "feeder", role="archivist", clearance="", password_hash=auth.hash_password(PASSWORD)
    )
    batch = tmp_path / "fed"
    batch.mkdir()
    _document(40).save(batch / "p.tif", dpi=(300, 300))
    run("process", str(batch), "--out", str(tmp_path / "out"), "--operator", "feeder")
    page = store.list_pages(batch_name="fed")[0][0]
    assert page.folder_id is None, "a batch without separators is one document, no folder"
    with pytest.raises(NotAllowedError, match="four eyes"):
        rules.check_four_eyes(store, store.get_user("feeder"), [page])  # type: ignore[arg-type]


def test_a_separator_decision_undone_makes_the_sheet_a_page(tmp_path: Path) -> None:
    """A reviewer says the machine's separator was a page of the document after all: it is
    run through OCR and all, stays in place, and waits for a decision."""
    settings = load_settings(data_dir=tmp_path / "data")
    store = Store.open(settings.database_url)
    (tmp_path / "m.csv").write_text(MANIFEST, encoding="utf-8")
    store.import_folders(read_manifest(tmp_path / "m.csv"), tmp_path / "m.csv")
    password_hash = auth.hash_password(PASSWORD)
    store.add_user("rev2", role="reviewer", clearance="", password_hash=password_hash)
    batch = tmp_path / "b"
    batch.mkdir()
    sheet = separators.render_separator_sheet(
        separators.SeparatorLabel(FOLDER, "1", "1", "Hồ sơ về công tác thi đua")
    )
    Image.fromarray(sheet).save(batch / "a.tif", dpi=(300, 300))
    _document(50).save(batch / "b.tif", dpi=(300, 300))
    profile = load_profile("text-gray-300", settings.profiles_dir)
    runner.process_batch(batch, tmp_path / "out", profile, settings, workers=1)
    sheet_page = store.folder_pages(FOLDER)[0]
    assert sheet_page.separator == FOLDER and sheet_page.position == 1
    rev2 = store.get_user("rev2")
    assert rev2 is not None
    redone = rules.undo_separator(
        store, rev2, sheet_page.id, lambda i: runner.reprocess_page(store, settings, i)
    )
    assert redone.separator is None and redone.state == "ok" and redone.position == 1
    assert "separator_undone" in redone.flags and redone.decision is None
    assert redone.ocr_word_count and "pdf" in redone.derivatives, "it was read like a page"
    folder = store.get_folder(FOLDER)
    assert folder is not None and folder.review_counts == {
        "pages": 2, "undecided": 2, "approve": 0, "reject": 0, "blank": 0, "separator": 0
    }  # fmt: skip
    actions = [e.detail.get("action") for e in store.events_of_folder(FOLDER)]
    assert "undo_separator" in actions and "reprocessed" in actions
