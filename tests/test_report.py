"""The periodic report (issue 13): a known history gives known rows; the PDF is valid PDF/A with
its Vietnamese text intact; the XLSX parses back with the same numbers; `station report` writes
both; only archivists and admins download it from the web app."""

from __future__ import annotations

import subprocess
import unicodedata
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pikepdf
import pytest
from conftest import ReviewRoom, logged_in
from fastapi.testclient import TestClient
from openpyxl import load_workbook  # type: ignore[import-untyped, unused-ignore]

from qa.app import create_app
from station.errors import BadArgumentError, OutputError
from station.pipeline.pdfa import validate_pdfa
from station.settings import StationSettings
from station.stats.report import Period, Report, build_report, vn_date, write_pdfa, write_xlsx
from station.store import Batch, ExportVersion, Folder, Page, Store

ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
FONDS_NFC = unicodedata.normalize("NFC", "Sở Nội vụ tỉnh Hà Tĩnh")  # as station stores text
FONDS = unicodedata.normalize("NFD", FONDS_NFC)  # as someone may type it: must still match
ORGANIZATION = "Trung tâm Lưu trữ lịch sử tỉnh Hà Tĩnh"
NOVEMBER = Period(2026, 11)


def at(day: str, hour: int = 8) -> datetime:
    return datetime.fromisoformat(day).replace(hour=hour, tzinfo=UTC)


def _history(store: Store) -> None:
    """Three folders of two fonds (one Vietnamese), batches in October and November.

    November: batch b1 (Nov 3) scans A1: 5 good pages, a failed one and a separator sheet,
    and A2: 3 good pages; A1's 2nd page is rejected as blurred (Nov 5), A2's 1st for a free
    reason (Nov 6). Batch b3 (Nov 20) scans B1: 2 pages, 1 page with no folder, and rescans
    A1's blurred page and B1's page cut off in October (slip + new page each). A1 is approved
    on Nov 25 and exported twice; B1 was approved in October and is exported in December.
    """
    with store.session() as s:
        for n, (fid, fonds, approved) in enumerate(
            [
                ("A1", FONDS_NFC, at("2026-11-25")),
                ("A2", FONDS_NFC, None),
                ("B1", "F2", at("2026-10-31")),
                ("unassigned", "", None),
            ],
            start=1,
        ):
            s.add(
                Folder(
                    folder_id=fid,
                    id=n,
                    fonds_code=fonds,
                    title=f"Hồ sơ {fid}",
                    in_manifest=fid != "unassigned",
                    review_state="approved" if approved else "to_review",
                    approved_at=approved,
                    approved_by="arch" if approved else None,
                )
            )
        for fid, version, day in (
            ("A1", 1, "2026-11-26"),
            ("A1", 2, "2026-11-27"),
            ("B1", 1, "2026-12-01"),
        ):
            s.add(
                ExportVersion(
                    folder_id=fid,
                    digest=f"d{version}",
                    version=version,
                    created_at=at(day),
                    created_by="arch",
                )
            )
        s.commit()

        seq = 0

        def batch(name: str, day: str) -> int:
            row = Batch(
                name=name,
                source_dir="/x",
                profile="default",
                state="done",
                started_at=at(day),
                finished_at=at(day, 9),
                operator="an",
            )
            s.add(row)
            s.flush()
            assert row.id is not None
            return row.id

        def page(batch_id: int, folder: str | None, **extra: Any) -> Page:
            nonlocal seq
            seq += 1
            row = Page(
                batch_id=batch_id,
                seq=seq,
                source_file=f"{seq}.tif",
                sha256=f"{seq:064x}",
                master_path="m",
                folder_id=folder,
                state=extra.pop("state", "ok"),
                **extra,
            )
            s.add(row)
            s.flush()
            return row

        b1, b2, b3 = batch("b1", "2026-11-03"), batch("b2", "2026-10-30"), batch("b3", "2026-11-20")
        a1 = [page(b1, "A1") for _ in range(5)]
        page(b1, "A1", state="failed", error_code="decode")
        page(b1, "A1", separator="A1")
        a2 = [page(b1, "A2") for _ in range(3)]
        b1_pages = [page(b2, "B1") for _ in range(4)]
        for row, reason, day in (
            (a1[1], "blurred", "2026-11-05"),
            (a2[0], "other: rách mép", "2026-11-06"),
            (b1_pages[0], "cut_off", "2026-10-31"),
        ):
            row.decision, row.reason, row.decided_by = "reject", reason, "rev"
            row.decided_at = at(day, 10)
        for _ in range(2):
            page(b3, "B1")
        page(b3, "unassigned")
        for old in (a1[1], b1_pages[0]):
            page(b3, old.folder_id, rescan_of=old.id)  # the slip naming the page to replace
            new = page(b3, old.folder_id)
            old.replaced_by = new.id
        s.commit()


@pytest.fixture
def store(settings: StationSettings) -> Store:
    st = Store.open(settings.database_url)
    _history(st)
    return st


def rows(report: Report, key: str) -> list[tuple[Any, ...]]:
    return [tuple(r) for r in report.table(key).rows]


def test_a_month_of_known_history_gives_known_rows(store: Store) -> None:
    report = build_report(store, NOVEMBER, organization=ORGANIZATION, today=date(2026, 12, 4))
    assert rows(report, "I. Số hóa theo phông") == [
        (1, "F2", 1, 3),  # 2 new pages and B1's rescan
        (2, FONDS_NFC, 2, 9),  # 5 + 3 good pages and A1's rescan; no failed page, no separator
        (3, "Chưa xếp vào hồ sơ", 0, 1),
    ]
    assert report.table("I. Số hóa theo phông").total == ("", "Tổng cộng", 3, 13)
    assert rows(report, "II. Duyệt và xuất") == [(1, FONDS_NFC, 1, 1, 2)]
    assert rows(report, "III. Quét lại") == [
        (1, "Lý do khác", 1, 0),
        (2, "Mờ", 1, 1),
        (3, "Mất góc, mất chữ", 0, 1),  # rejected in October, rescanned in November
    ]
    assert report.table("III. Quét lại").total == ("", "Tổng cộng", 2, 2)
    assert report.period.label == "Tháng 11 năm 2026"
    assert (NOVEMBER.first, NOVEMBER.last) == (date(2026, 11, 1), date(2026, 11, 30))


def test_a_year_and_one_fonds(store: Store) -> None:
    year = build_report(store, Period.parse(None, "2026"))
    assert year.period.label == "Năm 2026"
    assert rows(year, "I. Số hóa theo phông")[0] == (1, "F2", 1, 7)
    assert rows(year, "II. Duyệt và xuất") == [(1, "F2", 1, 1, 1), (2, FONDS_NFC, 1, 1, 2)]
    assert ("Mất góc, mất chữ", 1, 1) in [r[1:] for r in rows(year, "III. Quét lại")]
    one = build_report(store, Period.parse("2026-11", None, FONDS))
    assert one.period.fonds == FONDS_NFC
    assert rows(one, "I. Số hóa theo phông") == [(1, FONDS_NFC, 2, 9)]
    assert [r[1:] for r in rows(one, "III. Quét lại")] == [("Lý do khác", 1, 0), ("Mờ", 1, 1)]
    empty = build_report(store, Period(2025, 1))
    assert all(not t.rows for t in empty.tables)


@pytest.mark.parametrize(
    ("month", "year"),
    [("2026-13", None), ("11/2026", None), (None, "26"), (None, None), ("2026-11", "2026")],
)
def test_a_bad_period_is_refused(month: str | None, year: str | None) -> None:
    with pytest.raises(BadArgumentError):
        Period.parse(month, year)


def test_date_line_follows_nd30() -> None:
    assert vn_date(date(2026, 2, 5)) == "ngày 05 tháng 02 năm 2026"
    assert vn_date(date(2026, 11, 20)) == "ngày 20 tháng 11 năm 2026"


def test_the_pdf_is_pdfa_with_its_vietnamese_text_intact(store: Store, tmp_path: Path) -> None:
    report = build_report(
        store, NOVEMBER, organization=ORGANIZATION, place="Hà Tĩnh", today=date(2026, 12, 4)
    )
    pdf_path = tmp_path / "bao-cao.pdf"
    write_pdfa(report, pdf_path)
    assert validate_pdfa(pdf_path, "2b") == []
    with pikepdf.open(pdf_path) as pdf:
        meta = pdf.open_metadata()
        assert (meta["pdfaid:part"], meta["pdfaid:conformance"]) == ("2", "B")
        fonts = {str(f.get("/BaseFont")) for p in pdf.pages for f in p.Resources.Font.values()}
        assert all("DejaVuSerif" in f for f in fonts)
    text = subprocess.run(
        ["pdftotext", "-layout", "-enc", "UTF-8", str(pdf_path), "-"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    for expected in (
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "Độc lập - Tự do - Hạnh phúc",
        "BÁO CÁO",
        "Thống kê công tác số hóa tài liệu",
        "Tháng 11 năm 2026",
        "TRUNG TÂM LƯU TRỮ LỊCH",  # the body's name, upper case, in two lines
        "SỬ TỈNH HÀ TĨNH",
        "Hà Tĩnh, ngày 04 tháng 12 năm 2026",
        FONDS_NFC,
        "Mất góc, mất chữ",
        "NGƯỜI LẬP BÁO CÁO",
    ):
        assert expected in unicodedata.normalize("NFC", text), expected
    assert FONDS_NFC in text  # composed as written, not only after normalizing
    ARTIFACTS.mkdir(exist_ok=True)
    png = ARTIFACTS / "report-page1"
    subprocess.run(
        [
            "pdftoppm",
            "-png",
            "-r",
            "90",
            "-f",
            "1",
            "-l",
            "1",
            "-singlefile",
            str(pdf_path),
            str(png),
        ],
        check=True,
    )
    assert png.with_suffix(".png").stat().st_size > 10_000


def test_a_long_report_runs_over_pages_and_stays_pdfa(store: Store, tmp_path: Path) -> None:
    """Ninety fonds: the table breaks across pages (its heads repeated), the signer block
    still comes last, and the file is still PDF/A."""
    short = build_report(store, NOVEMBER)
    many = tuple((n, f"Phông số {n:03d} – Ủy ban nhân dân xã", n, n * 100) for n in range(1, 91))
    first = replace(short.tables[0], rows=many, total=("", "Tổng cộng", 4095, 409_500))
    report = replace(short, tables=(first, *short.tables[1:]))
    path = tmp_path / "long.pdf"
    write_pdfa(report, path)
    assert validate_pdfa(path, "2b") == []
    with pikepdf.open(path) as pdf:
        assert len(pdf.pages) >= 3
    text = subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True, text=True
    ).stdout
    pages = text.split("\f")
    assert "Phông số 090" in text and "409.500" in text  # the Vietnamese thousands dot
    assert sum("STT" in page for page in pages) >= 3  # heads repeated on every page
    assert [p.split()[0] for p in pages[1:3]] == ["2", "3"]  # numbered from page 2, on top
    assert "NGƯỜI LẬP BÁO CÁO" in [p for p in pages if p.strip()][-1]


def test_an_unwritable_target_is_an_output_error_and_leaves_nothing(
    store: Store, tmp_path: Path
) -> None:
    report = build_report(store, NOVEMBER)
    (tmp_path / "out").write_text("a file where the folder should be")
    for write, name in ((write_pdfa, "r.pdf"), (write_xlsx, "r.xlsx")):
        with pytest.raises(OutputError, match=name):
            write(report, tmp_path / "out" / name)
    assert not list(tmp_path.glob("**/*.part"))


def test_the_xlsx_parses_back_with_the_same_numbers(store: Store, tmp_path: Path) -> None:
    report = build_report(store, NOVEMBER)
    path = tmp_path / "bao-cao.xlsx"
    write_xlsx(report, path)
    book = load_workbook(path)
    assert book.sheetnames == [t.key for t in report.tables]
    for table in report.tables:
        sheet = book[table.key]
        assert sheet["A1"].value == table.heading
        assert "Tháng 11 năm 2026" in sheet["A2"].value
        values = [tuple(c.value for c in line) for line in sheet.iter_rows(min_row=3)]
        assert values[0] == table.columns
        assert values[1:] == [*table.rows, tuple(None if v == "" else v for v in table.total or ())]
    first = book["I. Số hóa theo phông"]
    assert first["B5"].value == FONDS_NFC and first["D5"].value == 9
    assert isinstance(first["D5"].value, int)


def test_station_report_writes_both(
    store: Store, tmp_path: Path, run_station: Callable[..., Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("STATION_ORGANIZATION", ORGANIZATION)
    out = tmp_path / "out"
    result = run_station("report", "--month", "2026-11", "--out", str(out))
    assert result.exit_code == 0, result.stderr
    pdf, xlsx = out / "bao-cao-so-hoa-2026-11.pdf", out / "bao-cao-so-hoa-2026-11.xlsx"
    assert validate_pdfa(pdf, "2b") == []
    assert load_workbook(xlsx)["II. Duyệt và xuất"]["E4"].value == 2
    one = run_station("report", "--year", "2026", "--fonds", FONDS, "--out", str(out))
    assert one.exit_code == 0, one.stderr
    assert sorted(p.name for p in out.iterdir()) == [
        "bao-cao-so-hoa-2026-11.pdf",
        "bao-cao-so-hoa-2026-11.xlsx",
        "bao-cao-so-hoa-2026-So-Noi-vu-tinh-Ha-Tinh.pdf",
        "bao-cao-so-hoa-2026-So-Noi-vu-tinh-Ha-Tinh.xlsx",
    ]
    bad = run_station("report", "--month", "2026-13", "--out", str(out))
    assert bad.exit_code != 0 and "YYYY-MM" in bad.stderr


def test_the_web_report_is_for_archivists_and_admins(
    review_room: ReviewRoom, tmp_path: Path
) -> None:
    month = f"{datetime.now(UTC):%Y-%m}"
    arch = logged_in(review_room, "arch")
    pdf = arch.get("/stats/report.pdf", params={"month": month})
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert f"bao-cao-so-hoa-{month}.pdf" in pdf.headers["content-disposition"]
    (tmp_path / "r.pdf").write_bytes(pdf.content)
    assert validate_pdfa(tmp_path / "r.pdf", "2b") == []
    boss = logged_in(review_room, "boss")
    book = boss.get("/stats/report.xlsx", params={"year": month[:4], "fonds": "05"})
    assert book.status_code == 200
    (tmp_path / "r.xlsx").write_bytes(book.content)
    pages = load_workbook(tmp_path / "r.xlsx")["I. Số hóa theo phông"]
    assert pages["B4"].value == "05" and pages["D4"].value > 0
    assert arch.get("/stats/report.pdf", params={"month": "2026-13"}).status_code == 400
    for name in ("op1", "rev2"):
        refused = logged_in(review_room, name).get("/stats/report.xlsx", params={"month": month})
        assert refused.status_code == 403
    anonymous = TestClient(create_app(review_room.settings))
    assert anonymous.get("/stats/report.pdf", follow_redirects=False).status_code == 303
