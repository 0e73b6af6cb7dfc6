"""Documents (văn bản) inside a folder, end to end: split, fields read, a PDF/A each,
secret stamps protecting their pages; through the real CLI, Tesseract and SQLite."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import make_samples as ms
import numpy as np
import pikepdf
import pytest
import zxingcpp
from PIL import Image
from typer.testing import CliRunner

from station.cli import app
from station.pipeline import separators

MANIFEST = """\
Mã phông;Hộp số;Hồ sơ số;Mã hồ sơ;Tiêu đề hồ sơ;Ngày bắt đầu;Ngày kết thúc;\
Thời hạn bảo quản;Số lượng tờ
VN01;7;5;VN01/H07/HS05;Văn bản về công tác lưu trữ;2010;2024;Vĩnh viễn;5
VN01;7;6;HS-2019-06;Hồ sơ có nhãn của hệ thống khác;2010;2024;Vĩnh viễn;1
"""


def _foreign_label(folder_id: str) -> Image.Image:
    """A cover label printed by another system: a QR code with the bare folder id."""
    page = np.full((3508, 2480), 255, np.uint8)
    code = np.asarray(
        zxingcpp.write_barcode(zxingcpp.BarcodeFormat.QRCode, folder_id, width=600, height=600)
    )
    page[900 : 900 + code.shape[0], 900 : 900 + code.shape[1]] = code
    return Image.fromarray(page)


def _first_page(seed: int) -> tuple[Image.Image, str]:
    page, text = ms.render_document_page(np.random.default_rng(seed), dpi=300)
    return page, text


def _number_symbol(text: str) -> str:
    line = next(line for line in text.splitlines() if line.startswith("Số"))
    return line.split(":", 1)[1].strip()


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    root = tmp_path_factory.mktemp("documents")
    env = {
        "STATION_DATA_DIR": str(root / "data"),
        "STATION_PROFILES_DIR": str(Path(__file__).resolve().parent.parent / "profiles"),
        "STATION_CONFIG": str(root / "station.toml"),
    }
    runner = CliRunner(env=env)

    def run(*args: str) -> Any:
        return runner.invoke(app, list(args), catch_exceptions=False)

    (root / "manifest.csv").write_text(MANIFEST, encoding="utf-8-sig")
    assert run("manifest", "import", str(root / "manifest.csv")).exit_code == 0
    sheet = separators.render_separator_sheet(
        separators.SeparatorLabel("VN01/H07/HS05", "7", "5", "Văn bản về công tác lưu trữ")
    )
    first_a, text_a = _first_page(11)
    first_b, text_b = _first_page(12)
    first_c, text_c = _first_page(13)
    scans = [
        Image.fromarray(sheet),
        first_a,
        ms.render_continuation_page(1, 2),
        ms.add_secrecy_stamp(first_b, "MẬT"),
        ms.render_blank_page(np.random.default_rng(3), dpi=300),
        first_c,
        ms.render_continuation_page(2, 2),
        ms.render_continuation_page(3, 3),
        _foreign_label("HS-2019-06"),
        _first_page(14)[0],
    ]
    batch = root / "hop-07"
    batch.mkdir()
    for number, image in enumerate(scans, start=1):
        image.save(batch / f"scan_{number:04d}.png", dpi=(300, 300))
    result = run("process", str(batch), "--out", str(root / "out"), "--jobs", "2")
    found = json.loads((root / "out" / "documents.json").read_text(encoding="utf-8"))
    documents = [d for d in found if d["folder_id"] == "VN01/H07/HS05"]
    labelled = [d for d in found if d["folder_id"] == "HS-2019-06"]
    return {
        "root": root,
        "run": run,
        "env": env,
        "result": result,
        "documents": documents,
        "labelled": labelled,
        "truth": [_number_symbol(t) for t in (text_a, text_b, text_c)],
    }


def test_folder_pages_split_into_documents(folder: dict[str, Any]) -> None:
    assert folder["result"].exit_code == 0, folder["result"].output
    documents = folder["documents"]
    assert [d["sequence"] for d in documents] == [1, 2, 3]
    assert [[p["source_file"] for p in d["pages"]] for d in documents] == [
        ["scan_0002.png", "scan_0003.png"],
        ["scan_0004.png"],  # the blank page after it belongs to no document
        ["scan_0006.png", "scan_0007.png", "scan_0008.png"],
    ]
    assert [d["archival_code"] for d in documents] == [
        "VN01/H07/HS05.1",
        "VN01/H07/HS05.2",
        "VN01/H07/HS05.3",
    ]
    assert [d["page_count"] for d in documents] == [2, 1, 3]
    assert all("document_boundary_uncertain" not in d["flags"] for d in documents)


def test_fields_are_read_with_confidence(folder: dict[str, Any]) -> None:
    documents = folder["documents"]
    assert [d["number_symbol"] for d in documents] == folder["truth"]
    for d in documents:
        assert d["document_type"] in {"QUYẾT ĐỊNH", "CÔNG VĂN", "BÁO CÁO", "TỜ TRÌNH",
                                      "THÔNG BÁO", "KẾ HOẠCH"}  # fmt: skip
        assert d["issued_date"] and d["issuing_body"] and d["summary"]
        assert set(d["confidence"]) >= {"number_symbol", "issued_date", "summary"}
        assert all(0.0 <= c <= 1.0 for c in d["confidence"].values())
        assert d["confidence"]["page_count"] == 1.0


def test_each_document_has_its_own_pdfa(folder: dict[str, Any]) -> None:
    out = folder["root"] / "out"
    for d in folder["documents"]:
        path = Path(d["pdf"])
        assert path.parent == out and path.name == f"VN01-H07-HS05.{d['sequence']}.pdf"
        with pikepdf.open(path) as pdf:
            assert len(pdf.pages) == d["page_count"]
            meta = pdf.open_metadata()
            assert meta.pdfa_status == "2B"
            assert d["archival_code"] in meta["dc:identifier"]
            assert meta["dc:title"] == d["summary"]
    assert (out / "VN01-H07-HS05.pdf").is_file()  # the folder's PDF/A stays


def test_a_stamped_document_is_secret_before_anyone_looks(folder: dict[str, Any]) -> None:
    from station.settings import load_settings
    from station.store import Store

    secret = folder["documents"][1]
    assert secret["secrecy"] == "Mật"
    assert [d["secrecy"] for d in folder["documents"][::2]] == [None, None]
    import os

    saved = dict(os.environ)
    os.environ.update(folder["env"])
    try:
        store = Store.open(load_settings().database_url)
    finally:
        os.environ.clear()
        os.environ.update(saved)
    pages = store.pages_of_document(secret["id"])
    assert [p.secrecy for p in pages] == ["Mật"]
    assert store.get_document(secret["id"]).secrecy == "Mật"  # type: ignore[union-attr]


def test_station_documents_lists_them_from_the_database(folder: dict[str, Any]) -> None:
    listed = folder["run"]("documents", "--json", "--folder", "VN01/H07/HS05")
    assert listed.exit_code == 0
    records = json.loads(listed.output)
    assert [r["archival_code"] for r in records] == [
        d["archival_code"] for d in folder["documents"]
    ]
    assert records[0]["number_symbol"] == folder["truth"][0]


def test_another_systems_folder_label_starts_its_folder(folder: dict[str, Any]) -> None:
    assert [[p["source_file"] for p in d["pages"]] for d in folder["labelled"]] == [
        ["scan_0010.png"]
    ]
    pages = json.loads(folder["run"]("pages", "--json", "--folder", "HS-2019-06").output)
    label = next(p for p in pages if p["source_file"] == "scan_0009.png")
    assert label["separator"] == "HS-2019-06" and "folder_label" in label["flags"]
