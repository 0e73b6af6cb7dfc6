"""The scanning room end to end: manifest, printed separator sheets scanned back, folders,
reconciliation and the record commands, through the real CLI and real Tesseract."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import make_samples as ms
import numpy as np
import pikepdf
import pytest
from PIL import Image
from typer.testing import CliRunner

from station.cli import app
from station.errors import ExitCode
from station.pipeline import separators

MANIFEST = """\
Mã phông;Mục lục số;Hộp số;Hồ sơ số;Mã hồ sơ;Tiêu đề hồ sơ;Ngày bắt đầu;Ngày kết thúc;\
Thời hạn bảo quản;Chế độ sử dụng;Số lượng tờ;Ngôn ngữ;Độ mật
P12;1;3;1;P12-03-01;Hồ sơ hội nghị tổng kết công tác văn thư năm 2017;05/01/2017;\
28/12/2017;Vĩnh viễn;Hạn chế;2;vi;
P12;1;3;2;P12-03-02;Báo cáo kết quả số hóa tài liệu lưu trữ;2018;2018;20 năm;Công khai;3;vi;
P12;1;4;1;P12-04-01;Tờ trình về việc hủy tài liệu hết giá trị;03/2019;04/2019;10;Công khai;1;vi;Mật
"""


def _cli(env: dict[str, str]) -> Any:
    runner = CliRunner(env=env)

    def run(*args: str) -> Any:
        return runner.invoke(app, list(args), catch_exceptions=False)

    return run


def _document(seed: int) -> Image.Image:
    page, _ = ms.render_document_page(np.random.default_rng(seed), dpi=300)
    return page


def _save(image: Image.Image, path: Path, dpi: int = 300) -> None:
    image.save(path, dpi=(dpi, dpi), compression="tiff_lzw" if path.suffix == ".tif" else None)


@pytest.fixture(scope="module")
def room(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    root = tmp_path_factory.mktemp("room")
    env = {
        "STATION_DATA_DIR": str(root / "data"),
        "STATION_PROFILES_DIR": str(Path(__file__).resolve().parent.parent / "profiles"),
        "STATION_CONFIG": str(root / "station.toml"),
    }
    run = _cli(env)
    manifest = root / "manifest.csv"
    manifest.write_text(MANIFEST, encoding="utf-8-sig")
    imported = run("manifest", "import", str(manifest))
    printed = run("separators", "--out", str(root / "sheets.pdf"))
    subprocess.run(
        ["pdftoppm", "-r", "200", "-gray", "-png", str(root / "sheets.pdf"), str(root / "sheet")],
        check=True,
    )
    sheets = sorted(root.glob("sheet-*.png"))
    batch = root / "hop-03"
    batch.mkdir()
    rng = np.random.default_rng(4)
    twin = ms.add_noise(ms.apply_skew(_document(3), 0.4), rng)
    stranger = separators.render_separator_sheet(
        separators.SeparatorLabel("P12-99-99", "99", "99", "Không có trong mục lục")
    )
    scans: list[Image.Image] = [
        _document(1),  # before the first separator: unassigned
        Image.open(sheets[0]),  # P12-03-01
        _document(2),
        _document(3),
        Image.open(sheets[1]),  # P12-03-02, whose manifest says 3 sheets
        _document(4),
        ms.apply_orientation(ms.add_noise(_document(4), rng), 0),  # fed twice
        Image.fromarray(stranger),  # a folder id the manifest does not know
        twin,  # unassigned, after the unknown separator
        Image.open(sheets[2]),  # P12-04-01
        ms.apply_orientation(_document(5), 180),
    ]
    for number, image in enumerate(scans, start=1):
        dpi = 200 if number in (2, 5, 10) else 300
        _save(image, batch / f"scan_{number:04d}.tif", dpi)
    result = run("process", str(batch), "--out", str(root / "out"), "--jobs", "2")
    report = json.loads((root / "out" / "report.json").read_text(encoding="utf-8"))
    return {
        "root": root,
        "run": run,
        "env": env,
        "imported": imported,
        "printed": printed,
        "result": result,
        "report": report,
        "by_file": {r["source_file"]: r for r in report},
    }


def test_manifest_import_and_separator_printing(room: dict[str, Any]) -> None:
    assert room["imported"].exit_code == 0, room["imported"].output
    assert "3 new" in room["imported"].stdout
    assert room["printed"].exit_code == 0 and "3 separator sheet" in room["printed"].stdout
    with pikepdf.open(room["root"] / "sheets.pdf") as sheets:
        assert len(sheets.pages) == 3


def test_separator_sheets_scanned_back_start_their_folders(room: dict[str, Any]) -> None:
    assert room["result"].exit_code == 0, room["result"].output
    files = room["by_file"]
    assert files["scan_0002.tif"]["separator"] == "P12-03-01"
    assert files["scan_0005.tif"]["separator"] == "P12-03-02"
    assert files["scan_0010.tif"]["separator"] == "P12-04-01"
    assert files["scan_0008.tif"]["separator"] == "P12-99-99"
    assert "unknown_separator" in files["scan_0008.tif"]["flags"]
    folder_of = {name: r["folder_id"] for name, r in files.items()}
    assert [folder_of[f"scan_{n:04d}.tif"] for n in (3, 4, 6, 7, 11)] == [
        "P12-03-01",
        "P12-03-01",
        "P12-03-02",
        "P12-03-02",
        "P12-04-01",
    ]
    for unassigned in ("scan_0001.tif", "scan_0009.tif"):
        assert folder_of[unassigned] == "unassigned"
        assert "unassigned" in files[unassigned]["flags"], "kept, and flagged for QA"


def test_each_folder_is_a_pdfa_named_by_its_id_without_the_separators(
    room: dict[str, Any],
) -> None:
    out = room["root"] / "out"
    pages = {}
    for name in ("P12-03-01", "P12-03-02", "P12-04-01", "unassigned"):
        with pikepdf.open(out / f"{name}.pdf") as document:
            pages[name] = len(document.pages)
    assert pages == {"P12-03-01": 2, "P12-03-02": 2, "P12-04-01": 1, "unassigned": 2}
    files = room["by_file"]
    assert files["scan_0004.tif"]["pdf"] == "P12-03-01.pdf"
    assert files["scan_0004.tif"]["pdf_page"] == 2
    assert files["scan_0002.tif"]["pdf"] is None, "a separator is not a page of the document"
    text = subprocess.run(
        ["pdftotext", "-raw", str(out / "P12-04-01.pdf"), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    truth = ms.render_document_page(np.random.default_rng(5), dpi=300)[1]
    assert ms.character_error_rate(truth, text) < 0.05, "the upside-down page was read"


def test_folder_pdf_carries_the_manifest_metadata(room: dict[str, Any]) -> None:
    with pikepdf.open(room["root"] / "out" / "P12-03-01.pdf") as document:
        meta = document.open_metadata()
        assert meta["dc:title"] == "Hồ sơ hội nghị tổng kết công tác văn thư năm 2017"
        assert meta["dc:identifier"] == "P12-03-01"
        assert meta["dc:coverage"] == "2017-01-05/2017-12-28"
        assert meta["dc:source"] == "Phông P12, Mục lục 1, Hộp 3, Hồ sơ 1"
        assert "vi" in meta["dc:language"]
    with pikepdf.open(room["root"] / "out" / "P12-04-01.pdf") as document:
        assert "Mật" in document.open_metadata()["dc:rights"]


def test_reconciliation_and_double_feeds(room: dict[str, Any]) -> None:
    listed = room["run"]("folders", "--json")
    assert listed.exit_code == 0
    folders = {f["folder_id"]: f for f in json.loads(listed.stdout)}
    assert folders["P12-03-01"]["state"] == "done" and folders["P12-03-01"]["flags"] == []
    assert folders["P12-03-01"]["sheets_counted"] == 2
    mismatch = [f for f in folders["P12-03-02"]["flags"] if f["code"] == "sheet_count_mismatch"]
    assert mismatch == [{"code": "sheet_count_mismatch", "expected": 3, "found": 2}]
    assert folders["P12-03-02"]["state"] == "flagged"
    assert "possible_duplicate" in room["by_file"]["scan_0007.tif"]["flags"]
    assert "possible_duplicate" not in room["by_file"]["scan_0006.tif"]["flags"]
    assert folders["unassigned"]["in_manifest"] is False
    assert folders["P12-04-01"]["retention"] == "10 năm"
    box = json.loads(room["run"]("folders", "--json", "--box", "4").stdout)
    assert [f["folder_id"] for f in box] == ["P12-04-01"]


def test_pages_command_lists_records_by_batch_and_folder(room: dict[str, Any]) -> None:
    result = room["run"]("pages", "--json", "--folder", "P12-03-01")
    assert result.exit_code == 0
    records = json.loads(result.stdout)
    assert [r["source_file"] for r in records] == [
        "scan_0002.tif",
        "scan_0003.tif",
        "scan_0004.tif",
    ]
    expected_keys = set(room["report"][0])
    for record in records:
        assert set(record) == expected_keys
        assert record["batch"] == "hop-03" and record["state"] == "ok"
    assert records[2]["pdf"] == "P12-03-01.pdf" and records[2]["pdf_page"] == 2
    everything = json.loads(room["run"]("pages", "--json", "--batch", "hop-03").stdout)
    assert len(everything) == 11
    assert json.loads(room["run"]("pages", "--json", "--batch", "nope").stdout) == []


def test_reimport_updates_by_folder_id_and_records_the_change(
    room: dict[str, Any], tmp_path: Path
) -> None:
    changed = tmp_path / "manifest.csv"
    changed.write_text(
        MANIFEST.replace("Tờ trình về việc hủy", "Tờ trình về việc tiêu hủy"), encoding="utf-8"
    )
    result = room["run"]("manifest", "import", str(changed))
    assert result.exit_code == 0
    assert "0 new, 1 changed, 2 unchanged" in result.stdout
    assert "tiêu hủy" in result.stdout
    from station.settings import StationSettings
    from station.store import Store

    store = Store.open(StationSettings(data_dir=room["root"] / "data").database_url)
    events = [e for e in store.events_of_folder("P12-04-01") if e.stage == "manifest"]
    assert [e.detail["action"] for e in events] == ["added", "changed"]
    assert events[1].detail["changes"]["title"][1].startswith("Tờ trình về việc tiêu hủy")


def test_a_bad_manifest_imports_nothing_and_lists_every_problem(
    room: dict[str, Any], tmp_path: Path
) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text(
        MANIFEST.replace(";2;vi;\n", ";hai;vi;\n", 1).replace("P12-04-01", "P12-03-02"),
        encoding="utf-8",
    )
    result = room["run"]("manifest", "import", str(bad))
    assert result.exit_code == ExitCode.BAD_ARGS
    assert "bad.csv" in result.stderr and "nothing was imported" in result.stderr
    assert "row 2" in result.stderr and "row 4" in result.stderr
    listed = json.loads(room["run"]("folders", "--json").stdout)
    assert "P12-03-02" in {f["folder_id"] for f in listed}
    assert len([f for f in listed if f["in_manifest"]]) == 3


def test_a_batch_with_one_subfolder_per_folder(room: dict[str, Any]) -> None:
    """The folder's pages from an earlier batch stay: its PDF/A holds them and the new ones."""
    before = {f["folder_id"]: f for f in json.loads(room["run"]("folders", "--json").stdout)}
    batch = room["root"] / "hop-03-by-folder"
    for folder, seeds in (("P12-03-01", (21, 22)), ("P12-04-01", (23,))):
        (batch / folder).mkdir(parents=True)
        for seed in seeds:
            _save(_document(seed), batch / folder / f"page_{seed}.tif")
    result = room["run"]("process", str(batch), "--out", str(room["root"] / "out-2"))
    assert result.exit_code == 0, result.output
    report = json.loads((room["root"] / "out-2" / "report.json").read_text(encoding="utf-8"))
    assert {r["source_file"]: r["folder_id"] for r in report} == {
        "P12-03-01/page_21.tif": "P12-03-01",
        "P12-03-01/page_22.tif": "P12-03-01",
        "P12-04-01/page_23.tif": "P12-04-01",
    }
    earlier = before["P12-03-01"]["pages_found"]
    with pikepdf.open(room["root"] / "out-2" / "P12-03-01.pdf") as document:
        assert len(document.pages) == earlier + 2
    placed = {r["source_file"]: (r["position"], r["pdf_page"]) for r in report}
    first, second = placed["P12-03-01/page_21.tif"], placed["P12-03-01/page_22.tif"]
    assert (first[1], second[1]) == (earlier + 1, earlier + 2), "appended after the earlier pages"
    assert first[0] > earlier and second[0] == first[0] + 1


def test_separators_command_errors(room: dict[str, Any], tmp_path: Path) -> None:
    result = room["run"]("separators", "--out", str(tmp_path / "x.pdf"), "--folder", "nope")
    assert result.exit_code == ExitCode.BAD_ARGS and "nope" in result.stderr
    result = room["run"]("separators", "--out", str(tmp_path / "x.pdf"), "--box", "77")
    assert result.exit_code == ExitCode.BAD_ARGS and "box 77" in result.stderr
    one = room["run"]("separators", "--out", str(tmp_path / "one.pdf"), "--folder", "P12-03-01")
    assert one.exit_code == 0
    shutil.rmtree(tmp_path)
