"""End to end: a generated batch through `station process`, checked against its ground truth."""

from __future__ import annotations

import hashlib
import json
import subprocess
import unicodedata
from pathlib import Path
from typing import Any

import make_samples
import pikepdf
import pytest

from station.errors import ExitCode
from station.settings import StationSettings
from station.store import Store


@pytest.fixture(scope="module")
def processed(
    tests_batch: tuple[Path, list[dict[str, Any]]],
    tmp_path_factory: pytest.TempPathFactory,
) -> dict[str, Any]:
    """Run the real CLI once on a copy of the tests batch; the tests below inspect the results."""
    import shutil

    from typer.testing import CliRunner

    from station.cli import app

    root = tmp_path_factory.mktemp("processed")
    batch = root / "hop-01"
    shutil.copytree(tests_batch[0], batch)
    hashes_before = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in batch.iterdir()}
    env = {
        "STATION_DATA_DIR": str(root / "data"),
        "STATION_PROFILES_DIR": str(Path(__file__).resolve().parent.parent / "profiles"),
        "STATION_CONFIG": str(root / "station.toml"),
    }
    result = CliRunner(env=env).invoke(
        app, ["process", str(batch), "--out", str(root / "out"), "--jobs", "2"]
    )
    return {
        "root": root,
        "batch": batch,
        "truth": tests_batch[1],
        "result": result,
        "hashes_before": hashes_before,
        "report": json.loads((root / "out" / "report.json").read_text(encoding="utf-8")),
        "settings": StationSettings(data_dir=root / "data"),
    }


def by_file(report: list[dict[str, Any]]) -> dict[tuple[str, int], dict[str, Any]]:
    return {(r["source_file"], r["page_index"]): r for r in report}


def test_exit_code_and_summary_report_the_broken_files(processed: dict[str, Any]) -> None:
    result = processed["result"]
    assert result.exit_code == ExitCode.PAGES_FAILED, result.output
    broken = [t["file"] for t in processed["truth"] if t["kind"] == "broken"]
    assert broken and all(name in result.stdout for name in broken)
    assert "Traceback" not in result.output


def test_every_page_has_a_report_record_matching_the_truth(processed: dict[str, Any]) -> None:
    records = by_file(processed["report"])
    assert len(records) == len(processed["truth"])
    for truth in processed["truth"]:
        record = records[(truth["file"], truth["page_index"])]
        assert record["sha256"] == processed["hashes_before"][truth["file"]]
        if truth["kind"] == "broken":
            assert record["status"] == "failed"
            assert record["error"].startswith(truth["file"]), record["error"]
            assert record["pdf_page"] is None
            continue
        assert record["status"] == "ok", record["error"]
        assert record["rotation"] == truth["rotation"], truth["file"]
        assert record["dpi"] == truth["dpi"]
        assert record["blank"] is (truth["kind"] == "blank")
        assert set(truth["expected_flags"]) <= set(record["flags"])
        assert set(record["timings"]) >= {"load", "orient", "deskew", "clean", "assess", "render"}
        if truth["kind"] == "document":
            assert record["skew_deg"] == pytest.approx(truth["skew_deg"], abs=0.1)
            assert record["ocr_confidence"] > 80


def test_pdf_is_valid_pdfa_with_pages_in_scan_order_and_readable_text(
    processed: dict[str, Any],
) -> None:
    import page

    pdf_path = processed["root"] / "out" / "hop-01.pdf"
    report = processed["report"]
    ok = [r for r in report if r["status"] == "ok"]
    assert [r["pdf_page"] for r in ok] == list(range(1, len(ok) + 1))
    assert all(r["pdf"] == "hop-01.pdf" for r in ok)
    with pikepdf.open(pdf_path) as pdf:
        assert len(pdf.pages) == len(ok), "blank pages are kept, failed ones are not in the PDF"
        meta = pdf.open_metadata()
        assert meta["dc:title"] == "hop-01"
        assert meta.pdfa_status == "2B"
        assert "station" in str(pdf.docinfo.get("/Producer"))
        assert "vi" in str(meta.get("dc:language"))
    assert page.validate_pdf(str(pdf_path), profile="2b").is_compliant
    pages = subprocess.run(
        ["pdftotext", "-raw", str(pdf_path), "-"], capture_output=True, text=True, check=True
    ).stdout.split("\f")
    truth = {(t["file"], t["page_index"]): t for t in processed["truth"]}
    for record in ok:
        expected = truth[(record["source_file"], record["page_index"])]
        if expected["kind"] != "document":
            continue
        text = unicodedata.normalize("NFC", pages[record["pdf_page"] - 1])
        assert make_samples.character_error_rate(expected["text"], text) < 0.03


def test_originals_untouched_and_masters_byte_identical(processed: dict[str, Any]) -> None:
    batch: Path = processed["batch"]
    after = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in batch.iterdir()}
    assert after == processed["hashes_before"]
    masters = processed["root"] / "data" / "masters"
    for name, digest in processed["hashes_before"].items():
        if name == "truth.json":
            continue
        stored = list(masters.glob(f"{digest[:2]}/{digest[2:4]}/{digest}.*"))
        assert len(stored) == 1, name
        assert hashlib.sha256(stored[0].read_bytes()).hexdigest() == digest


def test_database_records_batch_pages_events_and_derivatives(processed: dict[str, Any]) -> None:
    store = Store.open(processed["settings"].database_url)
    report = processed["report"]
    page_ids = [r["page_id"] for r in report]
    batch_pages = store.pages_of_batch(store_batch_id(store, page_ids[0]))
    assert [p.id for p in batch_pages] == page_ids
    for page_row, record in zip(batch_pages, report, strict=True):
        assert page_row.state == record["status"]
        assert page_row.flags == record["flags"]
        events = store.events_of_page(page_row.id or 0)
        stages = [e.stage for e in events]
        assert stages[0] == "capture" and events[0].detail["checksum_verified"] is True
        if record["status"] == "failed":
            assert events[-1].outcome == "failed" and events[-1].detail["error"] == record["error"]
            continue
        page_stages = [s for s in stages[1:] if s != "read_document"]
        assert (
            page_stages
            == ["load", "orient", "deskew", "clean", "assess", "ocr", "render"][: len(page_stages)]
        )
        assert ("read_document" in stages) is (not page_row.blank and "render" in stages)
        ocr_event = next(e for e in events if e.stage == "ocr")
        if not record["blank"]:
            assert ocr_event.tool == "tesseract" and ocr_event.tool_version
            assert Path(page_row.derivatives["hocr"]).is_file()
        for kind in ("image", "preview", "thumbnail", "pdf"):
            assert Path(page_row.derivatives[kind]).is_file(), kind


def store_batch_id(store: Store, page_id: int) -> int:
    with store.session() as session:
        from station.store import Page

        row = session.get(Page, page_id)
        assert row is not None
        return row.batch_id
