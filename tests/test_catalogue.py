"""Catalogue imports: AtoM's ISAD(G) CSV and Archivematica's metadata.csv, read back as files."""

from __future__ import annotations

import csv
import datetime
import re
import unicodedata
from dataclasses import replace
from pathlib import Path

import pytest

from station.errors import InvalidInputError, OutputError
from station.export.catalogue import (
    ARCHIVEMATICA_COLUMNS,
    ATOM_COLUMNS,
    CatalogueDocument,
    CatalogueFolder,
    archivematica_document_rows,
    archivematica_rows,
    atom_rows,
    catalogue_folder,
    write_archivematica_csv,
    write_atom_csv,
)
from station.manifest import ManifestFolder

STANDARDS = Path(__file__).resolve().parents[2] / "shared" / "docs" / "standards.md"

TITLE = "Hồ sơ Hội nghị Ban Chấp hành Đảng bộ tỉnh lần thứ 5"


def folder(**changes: object) -> CatalogueFolder:
    base = CatalogueFolder(
        folder_id="05/01/HS-12",
        fonds_code="05",
        catalogue_no="1",
        box_no="12",
        folder_no="345",
        title=TITLE,
        start_date=datetime.date(2019, 3, 5),
        end_date=datetime.date(2019, 12, 28),
        retention_years=None,
        access="Hạn chế",
        sheet_count=12,
        language="vi",
        notes="Thiếu tờ số 3",
        physical_condition="Giấy giòn, rách mép",
        secrecy="",
        pages=24,
        pdf_path="/srv/atom/import/05-01-HS-12.pdf",
        fonds_title="Phông Tỉnh ủy Hà Tây",
        series_title="Mục lục hồ sơ 1975-2019",
        repository="Kho Lưu trữ Tỉnh ủy",
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def read_csv(path: Path) -> tuple[list[str], list[list[str]]]:
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    return rows[0], rows[1:]


def read_dicts(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


# --- the header ------------------------------------------------------------------------------


def test_atom_columns_are_the_56_of_the_isad_template() -> None:
    assert len(ATOM_COLUMNS) == 56
    assert len(set(ATOM_COLUMNS)) == 56
    assert ATOM_COLUMNS[:3] == ("legacyId", "parentId", "qubitParentSlug")
    assert ATOM_COLUMNS[-1] == "culture"


def test_atom_columns_equal_the_list_in_standards_md() -> None:
    assert STANDARDS.is_file(), f"{STANDARDS}: the shared docs belong beside the repository"
    text = STANDARDS.read_text(encoding="utf-8")
    section = text[text.index("### 3.2") :]
    block = re.search(r"```\s*\n(.*?)\n```", section, re.DOTALL)
    assert block is not None
    documented = tuple(name.strip() for name in block.group(1).strip().split(","))
    assert len(documented) == 56
    assert documented == ATOM_COLUMNS


def test_written_header_is_the_template_and_every_row_has_56_cells(tmp_path: Path) -> None:
    out = write_atom_csv([folder()], tmp_path / "atom.csv")
    header, rows = read_csv(out)
    assert tuple(header) == ATOM_COLUMNS
    assert rows
    assert all(len(row) == len(ATOM_COLUMNS) for row in rows)


def test_atom_csv_is_utf8_without_bom_with_lf_line_ends(tmp_path: Path) -> None:
    data = write_atom_csv([folder()], tmp_path / "atom.csv").read_bytes()
    assert not data.startswith(b"\xef\xbb\xbf")
    assert b"\r" not in data
    data.decode("utf-8")


# --- hierarchy -------------------------------------------------------------------------------


def test_every_parent_id_names_an_earlier_row() -> None:
    folders = [
        folder(),
        folder(folder_id="05/01/HS-13", folder_no="346"),
        folder(folder_id="05/02/HS-1", catalogue_no="2", series_title="", folder_no="1"),
        folder(folder_id="07/HS-1", fonds_code="07", catalogue_no="", fonds_title=""),
        folder(
            folder_id="05/01/HS-14",
            folder_no="347",
            documents=(CatalogueDocument(1, "Nghị quyết số 15-NQ/TU", None),),
        ),
    ]
    rows = atom_rows(folders)
    seen: set[str] = set()
    for row in rows:
        if row["parentId"]:
            assert row["parentId"] in seen, row["legacyId"]
        assert row["legacyId"] not in seen
        seen.add(row["legacyId"])
    top = [row for row in rows if not row["parentId"]]
    assert {row["levelOfDescription"] for row in top} == {"Fonds"}


def test_folders_of_one_fonds_and_series_share_one_fonds_row_and_one_series_row() -> None:
    rows = atom_rows([folder(), folder(folder_id="05/01/HS-13", folder_no="346")])
    levels = [row["levelOfDescription"] for row in rows]
    assert levels == ["Fonds", "Series", "File", "File"]
    fonds, series, first, second = rows
    assert fonds["legacyId"] == "fonds:05"
    assert fonds["identifier"] == "05"
    assert fonds["title"] == "Phông Tỉnh ủy Hà Tây"
    assert series["legacyId"] == "series:05/1"
    assert series["parentId"] == "fonds:05"
    assert series["identifier"] == "1"
    assert first["parentId"] == second["parentId"] == "series:05/1"
    assert first["legacyId"] == "file:05/01/HS-12"


def test_folders_are_grouped_under_their_fonds_whatever_the_input_order() -> None:
    rows = atom_rows(
        [
            folder(),
            folder(folder_id="07/HS-1", fonds_code="07", fonds_title="Phông UBND"),
            folder(folder_id="05/01/HS-13", folder_no="346"),
        ]
    )
    assert [row["legacyId"] for row in rows] == [
        "fonds:05",
        "series:05/1",
        "file:05/01/HS-12",
        "file:05/01/HS-13",
        "fonds:07",
        "series:07/1",
        "file:07/HS-1",
    ]


def test_a_folder_without_catalogue_sits_directly_under_its_fonds() -> None:
    rows = atom_rows([folder(catalogue_no="", fonds_title="")])
    assert [row["levelOfDescription"] for row in rows] == ["Fonds", "File"]
    assert rows[0]["title"] == "Phông 05"  # a fonds needs a title even when none is given
    assert rows[1]["parentId"] == "fonds:05"


def test_documents_become_items_under_their_file() -> None:
    documents = (
        CatalogueDocument(1, "Nghị quyết số 15-NQ/TU", datetime.date(2019, 3, 5), "/srv/a.pdf"),
        CatalogueDocument(2, "Báo cáo tổng kết", None, ""),
    )
    rows = atom_rows([folder(documents=documents)])
    items = [row for row in rows if row["levelOfDescription"] == "Item"]
    assert [row["legacyId"] for row in items] == ["item:05/01/HS-12#1", "item:05/01/HS-12#2"]
    assert all(row["parentId"] == "file:05/01/HS-12" for row in items)
    assert items[0]["identifier"] == "05/01/HS-12.1"
    assert items[0]["title"] == "Nghị quyết số 15-NQ/TU"
    assert items[0]["digitalObjectPath"] == "/srv/a.pdf"
    assert items[0]["eventStartDates"] == items[0]["eventEndDates"] == "2019-03-05"
    assert items[0]["eventTypes"] == "Creation"
    assert items[1]["eventTypes"] == items[1]["eventStartDates"] == ""
    assert items[1]["digitalObjectPath"] == ""


def test_legacy_ids_are_stable_across_exports() -> None:
    assert atom_rows([folder()]) == atom_rows([folder()])


# --- values ----------------------------------------------------------------------------------


def test_file_row_carries_the_manifest_fields() -> None:
    row = atom_rows([folder()])[-1]
    assert row["identifier"] == "05/01/HS-12"
    assert row["title"] == TITLE
    assert row["levelOfDescription"] == "File"
    assert row["extentAndMedium"] == "12 tờ; 24 trang số hóa (PDF/A)"
    assert row["repository"] == "Kho Lưu trữ Tỉnh ủy"
    assert row["appraisal"] == "Thời hạn bảo quản: Vĩnh viễn."
    assert row["accessConditions"] == "Chế độ sử dụng: Hạn chế."
    assert row["language"] == "vi"
    assert row["physicalCharacteristics"] == "Giấy giòn, rách mép"
    assert row["generalNote"] == "Thiếu tờ số 3"
    assert row["digitalObjectPath"] == "/srv/atom/import/05-01-HS-12.pdf"
    assert row["digitalObjectURI"] == ""
    assert row["physicalObjectName"] == "Hộp 12"
    assert row["physicalObjectLocation"] == "Phông 05, Mục lục 1"
    assert row["physicalObjectType"] == "Box"
    assert row["alternativeIdentifiers"] == "12|345"
    assert row["alternativeIdentifierLabels"] == "Hộp số|Hồ sơ số"
    assert row["eventDates"] == "05/03/2019 - 28/12/2019"
    assert row["eventTypes"] == "Creation"
    assert row["eventStartDates"] == "2019-03-05"
    assert row["eventEndDates"] == "2019-12-28"
    assert row["publicationStatus"] == ""


def test_retention_in_years_and_extent_without_sheet_count() -> None:
    row = atom_rows([folder(retention_years=10, sheet_count=None)])[-1]
    assert row["appraisal"] == "Thời hạn bảo quản: 10 năm."
    assert row["extentAndMedium"] == "24 trang số hóa (PDF/A)"


@pytest.mark.parametrize(
    ("start", "end", "shown"),
    [
        ((2019, 1, 1), (2019, 12, 31), "2019"),
        ((1975, 1, 1), (1980, 12, 31), "1975 - 1980"),
        ((2019, 3, 1), (2019, 3, 31), "03/2019"),
        ((2019, 2, 1), (2019, 5, 31), "02/2019 - 05/2019"),
        ((2019, 3, 5), (2019, 3, 5), "05/03/2019"),
    ],
)
def test_event_dates_are_no_more_precise_than_the_manifest(
    start: tuple[int, int, int], end: tuple[int, int, int], shown: str
) -> None:
    row = atom_rows([folder(start_date=datetime.date(*start), end_date=datetime.date(*end))])[-1]
    assert row["eventDates"] == shown
    assert row["eventStartDates"] == datetime.date(*start).isoformat()


def test_culture_is_vi_on_every_row() -> None:
    rows = atom_rows(
        [folder(documents=(CatalogueDocument(1, "Tờ trình", None),)), folder(folder_id="x")]
    )
    assert {row["culture"] for row in rows} == {"vi"}
    assert {row["languageOfDescription"] for row in rows} == {"vi"}


@pytest.mark.parametrize(
    ("written", "codes", "note"),
    [
        ("vi", "vi", ""),
        ("Tiếng Việt, Tiếng Pháp", "vi|fr", ""),
        ("vie; eng", "vi|en", ""),
        ("vi và Hán Nôm", "vi", "Ngôn ngữ: Hán Nôm."),
        ("", "", ""),
    ],
)
def test_language_is_iso_639_1_and_the_rest_a_note(written: str, codes: str, note: str) -> None:
    row = atom_rows([folder(language=written)])[-1]
    assert row["language"] == codes
    assert row["languageNote"] == note


@pytest.mark.parametrize(
    ("secrecy", "access", "expected"),
    [
        ("Mật", "Hạn chế", "Chế độ sử dụng: Hạn chế. Độ mật: Mật — chỉ người được cấp quyền"),
        ("Tuyệt mật", "", "Độ mật: Tuyệt mật — chỉ người được cấp quyền"),
    ],
)
def test_secrecy_shows_in_access_conditions(secrecy: str, access: str, expected: str) -> None:
    documents = (CatalogueDocument(1, "Báo cáo", None),)
    rows = atom_rows([folder(secrecy=secrecy, access=access, documents=documents)])
    for row in rows[-2:]:  # the file and its item
        assert row["accessConditions"].startswith(expected)
        assert row["reproductionConditions"]
        assert row["publicationStatus"] == "Draft"  # never published by the import itself


def test_url_goes_to_digital_object_uri() -> None:
    row = atom_rows([folder(pdf_path="https://files.example.vn/05-01-HS-12.pdf")])[-1]
    assert row["digitalObjectURI"] == "https://files.example.vn/05-01-HS-12.pdf"
    assert row["digitalObjectPath"] == ""


def test_creator_is_the_actor_of_the_creation_event_and_pipes_are_kept_out() -> None:
    row = atom_rows([folder(creator="Tỉnh ủy Hà Tây | Ban Tuyên giáo")])[-1]
    assert row["eventActors"] == "Tỉnh ủy Hà Tây / Ban Tuyên giáo"
    assert row["eventTypes"] == "Creation"


def test_values_are_nfc_and_vietnamese_round_trips_through_the_csv(tmp_path: Path) -> None:
    decomposed = unicodedata.normalize("NFD", TITLE)
    assert decomposed != TITLE
    notes = 'Dòng một,\r\ndòng hai; "trích"'
    out = write_atom_csv([folder(title=decomposed, notes=notes)], tmp_path / "atom.csv")
    row = read_dicts(out)[-1]
    assert row["title"] == TITLE
    assert row["generalNote"] == 'Dòng một,\ndòng hai; "trích"'
    assert row["accessConditions"] == "Chế độ sử dụng: Hạn chế."
    assert row["physicalCharacteristics"] == "Giấy giòn, rách mép"


def test_written_rows_equal_atom_rows(tmp_path: Path) -> None:
    folders = [folder(documents=(CatalogueDocument(1, "Tờ trình", datetime.date(2019, 4, 1)),))]
    out = write_atom_csv(folders, tmp_path / "sub" / "atom.csv")
    assert read_dicts(out) == atom_rows(folders)


# --- errors ----------------------------------------------------------------------------------


def test_missing_required_fields_are_named_with_the_folder() -> None:
    with pytest.raises(InvalidInputError) as caught:
        atom_rows([folder(title=" ", start_date=None), folder(folder_id="B", pdf_path="")])
    message = str(caught.value)
    assert "folder '05/01/HS-12': missing title, start_date" in message
    assert "folder 'B': missing pdf_path" in message


@pytest.mark.parametrize(
    ("changes", "text"),
    [
        ({"fonds_code": ""}, "missing fonds_code"),
        ({"folder_id": ""}, "#1: missing folder_id"),
        ({"pages": 0}, "pages must be at least 1"),
        ({"secrecy": "mat"}, "secrecy 'mat'"),
        ({"start_date": datetime.date(2020, 1, 1)}, "is after end_date"),
        (
            {"documents": (CatalogueDocument(1, "a", None), CatalogueDocument(1, "b", None))},
            "document number 1",
        ),
        ({"documents": (CatalogueDocument(1, "", None),)}, "document 1 is missing title"),
    ],
)
def test_invalid_folders_are_refused(changes: dict[str, object], text: str) -> None:
    with pytest.raises(InvalidInputError, match=re.escape(text)):
        atom_rows([folder(**changes)])


def test_repeated_folder_ids_are_refused() -> None:
    with pytest.raises(InvalidInputError, match="repeats"):
        atom_rows([folder(), folder(folder_id="05/01/hs-12")])


def test_conflicting_fonds_titles_are_refused() -> None:
    with pytest.raises(InvalidInputError, match="fonds_title"):
        atom_rows([folder(), folder(folder_id="B", fonds_title="Phông khác")])


def test_invalid_folders_write_nothing(tmp_path: Path) -> None:
    out = tmp_path / "atom.csv"
    with pytest.raises(InvalidInputError):
        write_atom_csv([folder(title="")], out)
    assert list(tmp_path.iterdir()) == []


# --- Archivematica ---------------------------------------------------------------------------


def make_transfer(root: Path, *names: str) -> None:
    (root / "objects").mkdir(parents=True)
    (root / "metadata").mkdir()
    for name in names:
        (root / "objects" / name).write_bytes(b"%PDF-1.7\n")


def test_archivematica_rows_start_with_filename_and_carry_dublin_core() -> None:
    rows = archivematica_rows([("objects/05-01-HS-12.pdf", folder(secrecy="Mật"))])
    (row,) = rows
    assert next(iter(row)) == "filename"
    assert tuple(row) == ARCHIVEMATICA_COLUMNS
    for column in ("dc.title", "dc.identifier", "dc.date", "dc.language", "dc.rights"):
        assert row[column], column
    for column in ("dc.source", "dc.type", "dc.format", "dc.description"):
        assert row[column], column
    assert row["filename"] == "objects/05-01-HS-12.pdf"
    assert row["dc.title"] == TITLE
    assert row["dc.identifier"] == "05/01/HS-12"
    assert row["dc.date"] == "2019-03-05/2019-12-28"
    assert row["dc.language"] == "vi"
    assert "Độ mật: Mật" in row["dc.rights"]
    assert row["dc.source"] == "Phông 05, Mục lục 1, Hộp 12, Hồ sơ 345"
    assert row["dc.format"] == "application/pdf"
    assert row["dc.description"] == "12 tờ; 24 trang số hóa (PDF/A). Thiếu tờ số 3"
    assert row["retention"] == "Vĩnh viễn"
    assert row["secrecy"] == "Mật"
    assert row["pages"] == "24"


def test_metadata_csv_filenames_exist_in_the_transfer(tmp_path: Path) -> None:
    transfer = tmp_path / "transfer"
    make_transfer(transfer, "05-01-HS-12.pdf", "05-01-HS-13.pdf")
    second = folder(folder_id="05/01/HS-13", folder_no="346")
    rows = archivematica_rows(
        [("objects/05-01-HS-12.pdf", folder()), ("objects/05-01-HS-13.pdf", second)]
    )
    out = write_archivematica_csv(rows, transfer / "metadata" / "metadata.csv")
    data = out.read_bytes()
    assert data.startswith(b"filename,")  # no BOM in front of the first header
    header, body = read_csv(out)
    assert header[0] == "filename"
    assert [c for c in header if c.startswith("dc.")]
    assert all(len(line) == len(header) for line in body)
    for line in body:
        path = Path(line[0])
        assert not path.is_absolute()
        assert (transfer / path).is_file()
    assert read_dicts(out)[0]["dc.title"] == TITLE


def test_metadata_csv_keeps_extra_columns_after_the_known_ones(tmp_path: Path) -> None:
    rows = archivematica_rows([("objects/HS-12", folder())])
    rows[0]["alternative_title"] = "Hội nghị lần thứ 5"
    out = write_archivematica_csv(rows, tmp_path / "metadata.csv")
    header, _ = read_csv(out)
    assert header == [*ARCHIVEMATICA_COLUMNS, "alternative_title"]


@pytest.mark.parametrize(
    "path",
    [
        "/objects/a.pdf",
        "a.pdf",
        "objects",
        "data",
        "objects/../a.pdf",
        "objects\\a.pdf",
        "metadata/a.pdf",
        "",
    ],
)
def test_metadata_csv_paths_must_be_relative_under_objects(path: str) -> None:
    with pytest.raises(InvalidInputError, match="objects/"):
        archivematica_rows([(path, folder())])


def test_metadata_csv_paths_in_a_bag_start_at_its_payload() -> None:
    rows = archivematica_rows(
        [("data/objects/a.pdf", folder()), ("data/objects/masters", folder())]
    )
    assert [row["filename"] for row in rows] == ["data/objects/a.pdf", "data/objects/masters"]


def test_metadata_csv_describes_each_file_once(tmp_path: Path) -> None:
    with pytest.raises(InvalidInputError, match="twice"):
        archivematica_rows([("objects/a.pdf", folder()), ("objects/./a.pdf", folder())])
    with pytest.raises(InvalidInputError, match="without a filename"):
        write_archivematica_csv([{"dc.title": "x"}], tmp_path / "metadata.csv")


def test_catalogue_folder_copies_a_manifest_folder() -> None:
    record = ManifestFolder(
        folder_id="05.01.345",
        fonds_code="05",
        catalogue_no="1",
        box_no="12",
        folder_no="345",
        title=TITLE,
        start_date=datetime.date(2019, 3, 5),
        end_date=datetime.date(2019, 12, 28),
        retention_years=20,
        access="Công khai",
        sheet_count=45,
        language="vi",
        notes="",
        physical_condition="",
        secrecy="Tối mật",
        source_row=2,
    )
    made = catalogue_folder(record, pages=90, pdf_path="objects/05.01.345.pdf")
    assert made.folder_id == "05.01.345"
    assert made.retention_years == 20
    assert made.secrecy == "Tối mật"
    assert (made.pages, made.pdf_path, made.documents) == (90, "objects/05.01.345.pdf", ())


# --- atomic writes ---------------------------------------------------------------------------


class _FailingWriter:
    """A csv writer that writes one row and then fails, as a full disk would."""

    def __init__(self, handle: object, **_: object) -> None:
        self.handle = handle
        self.rows = 0

    def writerow(self, row: list[str]) -> None:
        if self.rows:
            raise OSError(28, "No space left on device")
        self.rows += 1
        self.handle.write(",".join(row) + "\n")  # type: ignore[attr-defined]


@pytest.mark.parametrize("target", ["atom", "archivematica"])
def test_a_failure_mid_write_leaves_no_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, target: str
) -> None:
    monkeypatch.setattr(csv, "writer", _FailingWriter)
    out = tmp_path / "out.csv"
    with pytest.raises(OutputError, match="No space left"):
        if target == "atom":
            write_atom_csv([folder()], out)
        else:
            write_archivematica_csv(archivematica_rows([("objects/a.pdf", folder())]), out)
    assert list(tmp_path.iterdir()) == []


def test_a_failure_mid_write_keeps_the_previous_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = write_atom_csv([folder()], tmp_path / "atom.csv")
    before = out.read_bytes()
    monkeypatch.setattr(csv, "writer", _FailingWriter)
    with pytest.raises(OutputError):
        write_atom_csv([folder(title="Khác")], out)
    assert out.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["atom.csv"]


def test_successful_writes_leave_no_temporary_files(tmp_path: Path) -> None:
    write_atom_csv([folder()], tmp_path / "atom.csv")
    write_atom_csv([folder(title="Lần hai")], tmp_path / "atom.csv")
    write_archivematica_csv(archivematica_rows([("objects/a.pdf", folder())]), tmp_path / "m.csv")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["atom.csv", "m.csv"]
    assert read_dicts(tmp_path / "atom.csv")[-1]["title"] == "Lần hai"


def test_a_document_item_is_described_by_what_it_prints() -> None:
    document = CatalogueDocument(
        2,
        "Về việc bảo vệ bí mật nhà nước",
        datetime.date(2019, 6, 4),
        "/srv/atom/import/05-01-HS-12.2.pdf",
        number_symbol="15-NQ/TU",
        document_type="NGHỊ QUYẾT",
        creator="TỈNH ỦY HÀ TÂY",
        secrecy="Mật",
        pages=3,
    )
    rows = atom_rows([folder(documents=(document,))])
    item = next(row for row in rows if row["levelOfDescription"] == "Item")
    assert item["identifier"] == "15-NQ/TU"
    assert item["alternativeIdentifiers"] == "05/01/HS-12.2"
    assert item["alternativeIdentifierLabels"] == "Mã lưu trữ tài liệu"
    assert item["eventActors"] == "TỈNH ỦY HÀ TÂY" and item["eventTypes"] == "Creation"
    assert item["extentAndMedium"] == "3 trang"
    assert item["scopeAndContent"] == "Nghị quyết số 15-NQ/TU ngày 04/06/2019 của TỈNH ỦY HÀ TÂY"
    # the document is more secret than its folder: its own level governs its row
    assert "Độ mật: Mật" in item["accessConditions"] and item["publicationStatus"] == "Draft"
    file_row = next(row for row in rows if row["levelOfDescription"] == "File")
    assert "Độ mật" not in file_row["accessConditions"]
    with pytest.raises(InvalidInputError, match="document 2 secrecy 'Bí mật'"):
        atom_rows([folder(documents=(replace(document, secrecy="Bí mật"),))])


def test_archivematica_rows_for_document_pdfs() -> None:
    document = CatalogueDocument(
        1, "Về việc A", datetime.date(2019, 3, 5), "", number_symbol="12/QĐ-UBND",
        creator="ỦY BAN NHÂN DÂN TỈNH HÀ TÂY", pages=2,
    )  # fmt: skip
    (row,) = archivematica_document_rows([("objects/05-01-HS-12.1.pdf", folder(), document)])
    assert row["filename"] == "objects/05-01-HS-12.1.pdf"
    assert row["dc.identifier"] == "05/01/HS-12.1; 12/QĐ-UBND"
    assert row["dc.date"] == "2019-03-05" and row["pages"] == "2"
    assert row["dc.creator"] == "ỦY BAN NHÂN DÂN TỈNH HÀ TÂY"
    assert row["dcterms.isPartOf"].startswith("05/01/HS-12: ")
    with pytest.raises(InvalidInputError, match="under objects/"):
        archivematica_document_rows([("05-01-HS-12.1.pdf", folder(), document)])
