"""Manifests: real CSV and XLSX files in both header languages, every problem reported at once."""

from __future__ import annotations

import csv
import datetime
import unicodedata
from collections.abc import Sequence
from pathlib import Path

import openpyxl
import pytest

from station.errors import BadArgumentError, ManifestError, ManifestProblem
from station.manifest import (
    FIELDS,
    ManifestFolder,
    diff_folders,
    read_manifest,
    write_template,
)

ENGLISH = [field.english for field in FIELDS]
VIETNAMESE = [field.vietnamese for field in FIELDS]

# One good row per folder, in the order of FIELDS.
GOOD_ROWS = [
    [
        "05",
        "1",
        "12",
        "345",
        "05.01.345",
        "Hồ sơ Hội nghị Ban Chấp hành Đảng bộ tỉnh lần thứ 5",
        "05/03/2019",
        "28/12/2019",
        "Vĩnh viễn",
        "Công khai",
        "45",
        "",
        "Thiếu tờ số 3",
        "Giấy giòn",
        "",
    ],
    [
        "05",
        "",
        "12",
        "346a",
        "05.01.346a",
        "Báo cáo tổng kết năm",
        "2019-01-02",
        "2019",
        "10 năm",
        "",
        "7",
        "fr",
        "",
        "",
        "Tối mật",
    ],
]


def write_csv(
    path: Path,
    header: Sequence[str],
    rows: Sequence[Sequence[str]],
    *,
    delimiter: str = ",",
    bom: bool = False,
) -> Path:
    with path.open("w", encoding="utf-8-sig" if bom else "utf-8", newline="") as file:
        writer = csv.writer(file, delimiter=delimiter)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def write_xlsx(path: Path, header: Sequence[object], rows: Sequence[Sequence[object]]) -> Path:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "Mục lục"
    sheet.append(list(header))
    for row in rows:
        sheet.append(list(row))
    workbook.create_sheet("Other").append(["not", "read"])
    workbook.save(path)
    return path


def one_row(**changes: str) -> list[str]:
    """The first good row with some English-named fields changed."""
    row = list(GOOD_ROWS[0])
    for name, value in changes.items():
        row[ENGLISH.index(name)] = value
    return row


def problems_of(path: Path) -> list[ManifestProblem]:
    with pytest.raises(ManifestError) as caught:
        read_manifest(path)
    assert caught.value.path == path
    assert str(len(caught.value.problems)) in str(caught.value)
    return caught.value.problems


def located(problems: Sequence[ManifestProblem]) -> set[tuple[int, str, str]]:
    return {(problem.row, problem.column, problem.value) for problem in problems}


def test_good_csv_with_english_headers(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "manifest.csv", ENGLISH, GOOD_ROWS)

    first, second = read_manifest(path)

    assert first == ManifestFolder(
        folder_id="05.01.345",
        fonds_code="05",
        catalogue_no="1",
        box_no="12",
        folder_no="345",
        title="Hồ sơ Hội nghị Ban Chấp hành Đảng bộ tỉnh lần thứ 5",
        start_date=datetime.date(2019, 3, 5),  # day first, as Vietnamese write dates
        end_date=datetime.date(2019, 12, 28),
        retention_years=None,
        access="Công khai",
        sheet_count=45,
        language="vi",  # the default for an empty cell
        notes="Thiếu tờ số 3",
        physical_condition="Giấy giòn",
        secrecy="",
        source_row=2,
    )
    assert first.retention_permanent
    assert first.retention_label == "Vĩnh viễn"
    assert second.catalogue_no == ""
    assert second.folder_no == "346a"
    assert second.start_date == datetime.date(2019, 1, 2)
    assert second.end_date == datetime.date(2019, 12, 31)
    assert second.retention_years == 10
    assert second.retention_label == "10 năm"
    assert not second.retention_permanent
    assert second.language == "fr"
    assert second.secrecy == "Tối mật"
    assert second.source_row == 3


def test_optional_columns_may_be_left_out(tmp_path: Path) -> None:
    required = [field.english for field in FIELDS if field.required]
    rows = [[GOOD_ROWS[0][ENGLISH.index(name)] for name in required]]
    (folder,) = read_manifest(write_csv(tmp_path / "m.csv", required, rows))
    assert (folder.catalogue_no, folder.access, folder.language) == ("", "", "vi")
    assert (folder.notes, folder.physical_condition, folder.secrecy) == ("", "", "")


def test_csv_with_bom_vietnamese_headers_and_semicolons(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "muc-luc.csv", VIETNAMESE, GOOD_ROWS, delimiter=";", bom=True)
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")

    folders = read_manifest(path)

    assert [folder.folder_id for folder in folders] == ["05.01.345", "05.01.346a"]
    assert folders[0].fonds_code == "05"  # the BOM is not part of the first header or value
    assert folders[0].title.startswith("Hồ sơ Hội nghị")


def test_utf16_tab_separated_text_from_excel(tmp_path: Path) -> None:
    path = tmp_path / "unicode-text.csv"
    lines = ["\t".join(VIETNAMESE), *("\t".join(row) for row in GOOD_ROWS)]
    path.write_bytes("\r\n".join(lines).encode("utf-16"))
    assert [folder.folder_id for folder in read_manifest(path)] == ["05.01.345", "05.01.346a"]


def test_header_variants_are_matched(tmp_path: Path) -> None:
    header = [
        "STT",  # row numbers are ignored, not an unknown column
        " MÃ  PHÔNG ",
        "Mục lục",
        "Hộp số*",
        "Số hồ sơ",
        unicodedata.normalize("NFD", "Mã hồ sơ"),
        "Tiêu đề",
        "Ngày bắt đầu",
        "Ngày kết thúc",
        "Thời hạn lưu trữ",
        "Mức độ tiếp cận",
        "Số tờ",
        "Language",
        "Notes",
        "Physical condition",
        "Mức độ mật",
    ]
    rows = [["1", *GOOD_ROWS[0]], ["2", *GOOD_ROWS[1]]]
    folders = read_manifest(write_csv(tmp_path / "m.csv", header, rows))
    assert [folder.folder_no for folder in folders] == ["345", "346a"]
    assert folders[1].secrecy == "Tối mật"


def test_xlsx_with_vietnamese_headers_date_cells_and_floats(tmp_path: Path) -> None:
    rows: list[list[object]] = [
        [
            5.0,
            1,
            12.0,
            345,
            "05.01.345",
            "Hồ sơ Hội nghị",
            datetime.datetime(2019, 3, 5),
            datetime.date(2019, 12, 28),
            "vĩnh viễn",
            "Công khai",
            12.0,
            None,
            None,
            None,
            "tuyệt mật",
        ],
        [None] * len(FIELDS),  # a blank row: skipped, but still counted
        [
            "05",
            None,
            "13",
            "1",
            "05.01.1",
            "Công văn đi",
            1998,  # a year typed into a cell arrives as a number
            "03/1999",
            20,
            None,
            0,
            "vi",
            None,
            None,
            "Secret",
        ],
    ]
    path = write_xlsx(tmp_path / "ho-so.xlsx", VIETNAMESE, rows)

    first, second = read_manifest(path)

    assert (first.fonds_code, first.catalogue_no, first.box_no, first.folder_no) == (
        "5",
        "1",
        "12",
        "345",
    )
    assert first.start_date == datetime.date(2019, 3, 5)
    assert first.end_date == datetime.date(2019, 12, 28)
    assert first.sheet_count == 12
    assert first.retention_years is None
    assert first.secrecy == "Tuyệt mật"
    assert second.source_row == 4
    assert second.start_date == datetime.date(1998, 1, 1)
    assert second.end_date == datetime.date(1999, 3, 31)
    assert second.retention_years == 20
    assert second.sheet_count == 0
    assert second.secrecy == "Tối mật"


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        ("2019", "2019", (datetime.date(2019, 1, 1), datetime.date(2019, 12, 31))),
        ("1975", "1980", (datetime.date(1975, 1, 1), datetime.date(1980, 12, 31))),
        ("02/2020", "2/2020", (datetime.date(2020, 2, 1), datetime.date(2020, 2, 29))),
        ("5/3/2019", "05-03-2019", (datetime.date(2019, 3, 5), datetime.date(2019, 3, 5))),
        ("01.02.2019", "2019-02", (datetime.date(2019, 2, 1), datetime.date(2019, 2, 28))),
        (
            "2019-03-05 00:00:00",
            "31/12/2019",
            (datetime.date(2019, 3, 5), datetime.date(2019, 12, 31)),
        ),
    ],
)
def test_date_forms(
    tmp_path: Path, start: str, end: str, expected: tuple[datetime.date, datetime.date]
) -> None:
    path = write_csv(tmp_path / "m.csv", ENGLISH, [one_row(start_date=start, end_date=end)])
    (folder,) = read_manifest(path)
    assert (folder.start_date, folder.end_date) == expected


@pytest.mark.parametrize(
    ("written", "years"),
    [
        ("Vĩnh viễn", None),
        ("VĨNH VIỄN", None),
        ("vinh vien", None),
        ("Permanent", None),
        ("10", 10),
        ("10 năm", 10),
        ("20 years", 20),
        ("70 Năm", 70),
        ("1", 1),
        ("100", 100),
    ],
)
def test_retention_forms(tmp_path: Path, written: str, years: int | None) -> None:
    path = write_csv(tmp_path / "m.csv", ENGLISH, [one_row(retention=written)])
    (folder,) = read_manifest(path)
    assert folder.retention_years == years


@pytest.mark.parametrize(
    ("written", "level"),
    [
        ("Mật", "Mật"),
        ("tối mật", "Tối mật"),
        ("TUYỆT MẬT", "Tuyệt mật"),
        ("confidential", "Mật"),
        ("Secret", "Tối mật"),
        ("top  secret", "Tuyệt mật"),
        ("", ""),
    ],
)
def test_secrecy_forms(tmp_path: Path, written: str, level: str) -> None:
    path = write_csv(tmp_path / "m.csv", ENGLISH, [one_row(secrecy=written)])
    (folder,) = read_manifest(path)
    assert folder.secrecy == level


def test_text_is_nfc_and_stripped(tmp_path: Path) -> None:
    title = "Hồ sơ về việc thành lập Ủy ban"
    decomposed = unicodedata.normalize("NFD", title)
    assert decomposed != title
    rows = [one_row(title=f"  {decomposed}\n", notes=unicodedata.normalize("NFD", " Ghi chú "))]
    path = write_csv(tmp_path / "m.csv", ENGLISH, rows)

    (folder,) = read_manifest(path)

    assert folder.title == title
    assert unicodedata.is_normalized("NFC", folder.title)
    assert folder.notes == "Ghi chú"


# Every kind of problem, each on its own row, in English-header CSV. (row, column, value)
EVERY_PROBLEM_ROWS = [
    one_row(folder_id=""),  # 2: missing required value
    one_row(folder_id="A-1"),  # 3
    one_row(folder_id="a-1", folder_no="2"),  # 4: duplicate of row 3 (ids compare caselessly)
    one_row(folder_id="B-1", start_date="31/02/2019"),  # 5: not a real date
    one_row(folder_id="B-2", start_date="March 2019"),  # 6: not a date at all
    one_row(folder_id="B-3", start_date="2019", end_date="2018"),  # 7: end before start
    one_row(folder_id="B-4", sheet_count="mười"),  # 8: non-numeric sheet count
    one_row(folder_id="B-5", sheet_count="-3"),  # 9: negative sheet count
    one_row(folder_id="B-6", retention="11 tháng"),  # 10: unknown retention
    one_row(folder_id="B-7", retention="150"),  # 11: retention out of range
    one_row(folder_id="B-8", secrecy="bí mật"),  # 12: unknown secrecy
    one_row(folder_id="B-9", box_no="hộp 3"),  # 13: box number not a number
    one_row(folder_id="B:10"),  # 14: a folder id that cannot name a file
    one_row(folder_id="B-11", end_date="2999"),  # 15: a date in the future
    [],  # 16: blank, skipped silently
    one_row(folder_id="B-12", title="", box_no="0"),  # 17: two problems in one row
]
EVERY_PROBLEM = {
    (2, "folder_id", ""),
    (4, "folder_id", "a-1"),
    (5, "start_date", "31/02/2019"),
    (6, "start_date", "March 2019"),
    (7, "end_date", "2018"),
    (8, "sheet_count", "mười"),
    (9, "sheet_count", "-3"),
    (10, "retention", "11 tháng"),
    (11, "retention", "150"),
    (12, "secrecy", "bí mật"),
    (13, "box_no", "hộp 3"),
    (14, "folder_id", "B:10"),
    (15, "end_date", "2999"),
    (17, "box_no", "0"),
    (17, "title", ""),
}


def test_csv_reports_every_problem_at_once(tmp_path: Path) -> None:
    header = [*ENGLISH, "box_no", "colour"]  # a repeated and an unknown column
    rows = [[*row, "", ""] if row else row for row in EVERY_PROBLEM_ROWS]
    path = write_csv(tmp_path / "bad.csv", header, rows)

    problems = problems_of(path)

    assert located(problems) == EVERY_PROBLEM | {(1, "box_no", "box_no"), (1, "colour", "colour")}
    assert len(problems) == len(EVERY_PROBLEM) + 2
    assert [problem.row for problem in problems] == sorted(problem.row for problem in problems)
    messages = {(problem.row, problem.column): problem.message for problem in problems}
    assert "required" in messages[2, "folder_id"]
    assert "row 3" in messages[4, "folder_id"]
    assert "not a real date" in messages[5, "start_date"]
    assert "not a date" in messages[6, "start_date"]
    assert "ends before it starts" in messages[7, "end_date"]
    assert "whole number" in messages[8, "sheet_count"]
    assert "unknown retention" in messages[10, "retention"]
    assert "1 to 100" in messages[11, "retention"]
    assert "unknown secrecy" in messages[12, "secrecy"]
    assert "future" in messages[15, "end_date"]
    assert "unknown column" in messages[1, "colour"]


def test_xlsx_reports_every_problem_at_once(tmp_path: Path) -> None:
    header: list[object] = [*VIETNAMESE, "Mầu sắc"]
    rows: list[list[object]] = [[*row, None] if row else [] for row in EVERY_PROBLEM_ROWS]
    # 18: real date cells in the wrong order, and a fractional sheet count
    dates: list[object] = [datetime.date(2019, 5, 1), datetime.date(2019, 4, 1)]
    rows.append([*one_row(folder_id="C-1")[:6], *dates, "Vĩnh viễn", "", 12.5])
    rows.append([*one_row(folder_id="C-2"), None, "stray"])  # 19: a value beyond the headers
    box = VIETNAMESE.index("Hộp số")
    rows.append(one_row(folder_id="C-3"))  # 20: Excel turned "12/3" into a date
    rows[-1][box] = datetime.datetime(2019, 3, 12)
    path = write_xlsx(tmp_path / "bad.xlsx", header, rows)

    problems = problems_of(path)

    to_vietnamese = dict(zip(ENGLISH, VIETNAMESE, strict=True))
    expected = {(row, to_vietnamese[column], value) for row, column, value in EVERY_PROBLEM}
    expected |= {
        (1, "Mầu sắc", "Mầu sắc"),
        (18, "Thời gian kết thúc", "2019-04-01"),
        (18, "Số lượng tờ", "12.5"),
        (19, "", "stray"),
        (20, "Hộp số", "2019-03-12"),
    }
    assert located(problems) == expected
    excel_date = next(problem for problem in problems if problem.row == 20)
    assert "format the column as Text" in excel_date.message
    stray = next(problem for problem in problems if problem.row == 19)
    assert "column Q" in stray.message  # 15 fields and the unknown column, then Q


def test_duplicate_folder_ids_name_both_rows(tmp_path: Path) -> None:
    rows = [one_row(), one_row(folder_no="346"), one_row(folder_no="347", folder_id="other")]
    problems = problems_of(write_csv(tmp_path / "m.csv", ENGLISH, rows))
    assert len(problems) == 1
    (problem,) = problems
    assert (problem.row, problem.column, problem.value) == (3, "folder_id", "05.01.345")
    assert "row 2" in problem.message
    assert "row 3" in str(problem)


def test_end_before_start(tmp_path: Path) -> None:
    rows = [one_row(start_date="05/03/2019", end_date="04/03/2019")]
    (problem,) = problems_of(write_csv(tmp_path / "m.csv", VIETNAMESE, rows))
    assert (problem.row, problem.column, problem.value) == (2, "Thời gian kết thúc", "04/03/2019")
    assert "05/03/2019" in problem.message


def test_same_year_only_dates_are_not_reversed(tmp_path: Path) -> None:
    (folder,) = read_manifest(
        write_csv(tmp_path / "m.csv", ENGLISH, [one_row(start_date="2019", end_date="2019")])
    )
    assert folder.start_date < folder.end_date


def test_missing_required_columns(tmp_path: Path) -> None:
    header = [name for name in ENGLISH if name not in {"title", "sheet_count", "access"}]
    rows = [[value for name, value in zip(ENGLISH, GOOD_ROWS[0], strict=True) if name in header]]
    problems = problems_of(write_csv(tmp_path / "m.csv", header, rows))
    assert located(problems) == {(1, "", "")}
    assert sorted(problem.message for problem in problems) == [
        "required column 'Số lượng tờ' (sheet_count) is missing",
        "required column 'Tiêu đề hồ sơ' (title) is missing",
    ]


def test_unknown_header_suggests_the_column_meant(tmp_path: Path) -> None:
    header = [*ENGLISH[:5], "Tieu de ho so", *ENGLISH[6:]]
    missing, unknown = problems_of(write_csv(tmp_path / "m.csv", header, [GOOD_ROWS[0]]))
    assert (missing.row, missing.column) == (1, "")
    assert "(title) is missing" in missing.message
    assert (unknown.row, unknown.column, unknown.value) == (1, "Tieu de ho so", "Tieu de ho so")
    assert "did you mean 'Tiêu đề hồ sơ' (title)?" in unknown.message


def test_empty_header_row_is_a_problem(tmp_path: Path) -> None:
    path = tmp_path / "empty.csv"
    path.write_bytes(b"")
    (problem,) = problems_of(path)
    assert problem.row == 1


def test_sort_key_orders_boxes_and_folders_by_number(tmp_path: Path) -> None:
    numbers = [("10", "1"), ("9", "2"), ("9", "10"), ("9", "2a"), ("9", "2")]
    rows = [
        one_row(box_no=box, folder_no=folder, folder_id=f"id-{index}")
        for index, (box, folder) in enumerate(numbers)
    ]
    folders = read_manifest(write_csv(tmp_path / "m.csv", ENGLISH, rows))
    ordered = sorted(folders, key=lambda folder: folder.sort_key)
    assert [(f.box_no, f.folder_no) for f in ordered] == [
        ("9", "2"),
        ("9", "2"),
        ("9", "2a"),
        ("9", "10"),
        ("10", "1"),
    ]


def test_as_dict_is_json_safe_with_english_keys(tmp_path: Path) -> None:
    first, second = read_manifest(write_csv(tmp_path / "m.csv", ENGLISH, GOOD_ROWS))
    data = first.as_dict()
    assert set(ENGLISH) - {"retention"} < set(data)
    assert data["start_date"] == "2019-03-05"
    assert data["end_date"] == "2019-12-28"
    assert data["retention"] == "Vĩnh viễn"
    assert data["retention_years"] is None
    assert data["sheet_count"] == 45
    assert second.as_dict()["retention"] == "10 năm"
    assert all(isinstance(value, str | int | type(None)) for value in data.values())


def test_diff_folders_lists_changed_fields(tmp_path: Path) -> None:
    (old,) = read_manifest(write_csv(tmp_path / "old.csv", ENGLISH, [one_row()]))
    changed = one_row(title="Tiêu đề mới", sheet_count="46", retention="10")
    (new,) = read_manifest(write_csv(tmp_path / "new.csv", ENGLISH, [[], changed]))
    assert new.source_row == 3

    assert diff_folders(old, new) == {
        "title": (old.title, "Tiêu đề mới"),
        "sheet_count": (45, 46),
        "retention_years": (None, 10),
    }
    assert diff_folders(old, old) == {}


def test_fields_describe_every_column() -> None:
    assert ENGLISH == [
        "fonds_code",
        "catalogue_no",
        "box_no",
        "folder_no",
        "folder_id",
        "title",
        "start_date",
        "end_date",
        "retention",
        "access",
        "sheet_count",
        "language",
        "notes",
        "physical_condition",
        "secrecy",
    ]
    required = {field.english for field in FIELDS if field.required}
    assert required == {
        "fonds_code",
        "box_no",
        "folder_no",
        "folder_id",
        "title",
        "start_date",
        "end_date",
        "retention",
        "sheet_count",
    }
    assert all(field.vietnamese and field.description and field.format for field in FIELDS)


def test_xlsx_template_round_trip(tmp_path: Path) -> None:
    path = write_template(tmp_path / "mau-muc-luc.xlsx")
    assert read_manifest(path) == []

    workbook = openpyxl.load_workbook(path)
    sheet, guide = workbook.worksheets
    assert sheet.title == "Hồ sơ"
    assert [cell.value for cell in sheet[1]] == VIETNAMESE
    guide_rows = list(guide.iter_rows(min_row=2, max_row=len(FIELDS) + 1, values_only=True))
    assert [(row[0], row[1]) for row in guide_rows] == list(zip(VIETNAMESE, ENGLISH, strict=True))
    sheet.append(GOOD_ROWS[0])
    workbook.save(path)

    (folder,) = read_manifest(path)
    assert folder.folder_id == "05.01.345"
    assert folder.start_date == datetime.date(2019, 3, 5)


def test_csv_template_round_trip(tmp_path: Path) -> None:
    path = write_template(tmp_path / "template.csv")
    assert path.read_text(encoding="utf-8-sig").strip() == ",".join(ENGLISH)
    assert read_manifest(path) == []

    with path.open("a", encoding="utf-8", newline="") as file:
        csv.writer(file).writerow(GOOD_ROWS[1])
    (folder,) = read_manifest(path)
    assert folder.folder_no == "346a"


def test_template_does_not_overwrite_a_manifest(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "m.csv", ENGLISH, GOOD_ROWS)
    with pytest.raises(BadArgumentError, match="already exists"):
        write_template(path)
    assert len(read_manifest(path)) == 2
    write_template(path, overwrite=True)
    assert read_manifest(path) == []


def test_template_refuses_other_formats(tmp_path: Path) -> None:
    with pytest.raises(BadArgumentError, match=r"\.xlsx or \.csv"):
        write_template(tmp_path / "template.ods")


def test_unknown_extension(tmp_path: Path) -> None:
    path = tmp_path / "manifest.xls"
    path.write_bytes(b"\xd0\xcf\x11\xe0")
    with pytest.raises(BadArgumentError, match=r"manifest\.xls.*unknown file type"):
        read_manifest(path)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(BadArgumentError, match="not found") as caught:
        read_manifest(tmp_path / "nowhere.csv")
    assert not isinstance(caught.value, ManifestError)
    assert "nowhere.csv" in str(caught.value)


def test_xlsx_that_is_really_text(tmp_path: Path) -> None:
    path = tmp_path / "manifest.xlsx"
    path.write_text(",".join(ENGLISH) + "\n", encoding="utf-8")
    with pytest.raises(BadArgumentError, match=r"manifest\.xlsx.*not a valid Excel"):
        read_manifest(path)


def test_csv_that_is_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "manifest.csv"
    text = ",".join(VIETNAMESE) + "\n"
    path.write_bytes(text.encode("cp1258", errors="replace"))
    with pytest.raises(BadArgumentError, match=r"manifest\.csv.*not UTF-8"):
        read_manifest(path)


def test_folder_ids_with_slashes_are_archival_ids_and_name_files_with_dashes(
    tmp_path: Path,
) -> None:
    """05/01/HS-12 is how archives number folders; its files are 05-01-HS-12, so an id that
    differs only by / against - would overwrite another's files and is refused."""
    from station.manifest import file_name

    rows = [one_row(folder_id="05/01/HS-12"), one_row(folder_id="05-01-hs-12", folder_no="2")]
    path = write_csv(tmp_path / "ids.csv", ENGLISH, rows)
    problems = problems_of(path)
    assert located(problems) == {(3, "folder_id", "05-01-hs-12")}
    assert "row 2" in problems[0].message
    (folder,) = read_manifest(write_csv(tmp_path / "one.csv", ENGLISH, rows[:1]))
    assert folder.folder_id == "05/01/HS-12" and file_name(folder.folder_id) == "05-01-HS-12"
