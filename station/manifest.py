"""Box/folder manifests: the archivists' inventory of hồ sơ, read from CSV or XLSX.

Archivists list the folders of a backlog before scanning, one row per hồ sơ, with
the fields of the mục lục (mã phông, hộp số, hồ sơ số, mã hồ sơ, tiêu đề, thời gian,
thời hạn bảo quản…). The whole file is validated before anything is stored and every
problem is reported at once, located by spreadsheet row and column as written, because
an archivist fixes a manifest in Excel in one pass, not one error per import.

Headers may be the English names of `FIELDS` or the Vietnamese field names (any case,
NFC, whitespace collapsed); a row-number column ("STT") is ignored. Row numbers are those
a spreadsheet shows: the header is row 1, and blank rows are skipped but still counted.
Folder ids must be unique ignoring case, since they end up in file names.

Box and folder numbers stay text (archives number folders "12a", "12.1"), must start
with a positive whole number, and sort by that number (`ManifestFolder.sort_key`), so
"12a" sorts after "12" and before "13", and "9" before "10".
"""

from __future__ import annotations

import calendar
import csv
import datetime
import difflib
import io
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from station.errors import BadArgumentError, ManifestError, ManifestProblem, OutputError
from station.i18n import N_, _
from station.spreadsheet import looks_like_formula

PERMANENT_LABEL = "Vĩnh viễn"
SECRECY_LEVELS = ("Mật", "Tối mật", "Tuyệt mật")
CSV_SUFFIXES = (".csv",)
XLSX_SUFFIXES = (".xlsx", ".xlsm")
TEMPLATE_SHEET = "Hồ sơ"
GUIDE_SHEET = "Hướng dẫn - Guide"  # Excel forbids "/" in sheet names


@dataclass(frozen=True)
class ManifestField:
    """One manifest column, named in both languages, for the reader, the template and docs."""

    english: str
    vietnamese: str
    required: bool
    description: str  # English gloss
    format: str
    example: str
    default: str = ""  # used when an optional column is absent or its cell is empty
    aliases: tuple[str, ...] = ()  # further accepted headers, besides both names


FIELDS: tuple[ManifestField, ...] = (
    ManifestField(
        "fonds_code",
        "Mã phông",
        required=True,
        description="Code of the fonds (phông lưu trữ) the folder belongs to",
        format="text",
        example="05",
        aliases=("Mã phông lưu trữ", "Phông số", "Số phông"),
    ),
    ManifestField(
        "catalogue_no",
        "Mục lục số",
        required=False,
        description="Number of the finding aid (mục lục) within the fonds; empty if none",
        format="text",
        example="1",
        aliases=("Mục lục", "Số mục lục", "catalogue number", "catalog_no"),
    ),
    ManifestField(
        "box_no",
        "Hộp số",
        required=True,
        description="Box number: a whole number from 1, optionally followed by a suffix",
        format=N_("12, 12a, 12.1"),
        example="12",
        aliases=("Hộp", "Số hộp", "box", "box number"),
    ),
    ManifestField(
        "folder_no",
        "Hồ sơ số",
        required=True,
        description="Folder number: a whole number from 1, optionally followed by a suffix",
        format=N_("345, 345a, 345.1"),
        example="345",
        aliases=("Số hồ sơ", "folder", "folder number"),
    ),
    ManifestField(
        "folder_id",
        "Mã hồ sơ",
        required=True,
        description="Unique code of the folder, used in file and package names",
        format=N_('text without / \\ : * ? " < > |, unique in the file'),
        example="05.01.345",
        aliases=("folder code",),
    ),
    ManifestField(
        "title",
        "Tiêu đề hồ sơ",
        required=True,
        description="Title of the folder",
        format="text",
        example="Hồ sơ Hội nghị Ban Chấp hành Đảng bộ tỉnh lần thứ 5",
        aliases=("Tiêu đề", "Tên hồ sơ"),
    ),
    ManifestField(
        "start_date",
        "Thời gian bắt đầu",
        required=True,
        description="Date of the earliest document; a year alone means 1 January",
        format=N_("dd/mm/yyyy, mm/yyyy, yyyy or yyyy-mm-dd"),
        example="05/03/2019",
        aliases=("Ngày bắt đầu", "start"),
    ),
    ManifestField(
        "end_date",
        "Thời gian kết thúc",
        required=True,
        description="Date of the latest document; a year alone means 31 December",
        format=N_("dd/mm/yyyy, mm/yyyy, yyyy or yyyy-mm-dd"),
        example="28/12/2019",
        aliases=("Ngày kết thúc", "end"),
    ),
    ManifestField(
        "retention",
        "Thời hạn bảo quản",
        required=True,
        description="Retention period: permanent, or a number of years from 1 to 100",
        format=N_("Vĩnh viễn, or a number of years (10, 10 năm)"),
        example="Vĩnh viễn",
        aliases=("Thời hạn lưu trữ",),  # its name under Luật Lưu trữ 2024 (TT 05/2025)
    ),
    ManifestField(
        "access",
        "Chế độ sử dụng",
        required=False,
        description="Access regime",
        format="text",
        example="Công khai",
        aliases=("Mức độ tiếp cận",),  # its name under Luật Lưu trữ 2024 (TT 05/2025)
    ),
    ManifestField(
        "sheet_count",
        "Số lượng tờ",
        required=True,
        description="Number of sheets (leaves) in the folder",
        format=N_("whole number, 0 or more"),
        example="45",
        aliases=("Số tờ", "sheets"),
    ),
    ManifestField(
        "language",
        "Ngôn ngữ",
        required=False,
        description="Language of the documents",
        format=N_("language code or name"),
        example="vi",
        default="vi",
    ),
    ManifestField(
        "notes",
        "Ghi chú",
        required=False,
        description="Notes",
        format="text",
        example="Thiếu tờ số 3",
    ),
    ManifestField(
        "physical_condition",
        "Tình trạng vật lý",
        required=False,
        description="Physical condition of the paper",
        format="text",
        example="Giấy giòn, rách mép",
        aliases=("Tình trạng vật lí",),
    ),
    ManifestField(
        "secrecy",
        "Độ mật",
        required=False,
        description="Secrecy level; empty when the folder is not classified",
        format=N_("empty, Mật, Tối mật or Tuyệt mật"),
        example="",
        aliases=("Mức độ mật",),
    ),
)

# Row-number columns ("STT") are in nearly every Vietnamese inventory and carry nothing.
IGNORED_HEADERS = ("STT", "TT", "Số TT", "Số thứ tự")


@dataclass(frozen=True)
class ManifestFolder:
    """One validated hồ sơ from a manifest."""

    folder_id: str
    fonds_code: str
    catalogue_no: str
    box_no: str
    folder_no: str
    title: str
    start_date: datetime.date
    end_date: datetime.date
    retention_years: int | None  # None = permanent (Vĩnh viễn)
    access: str
    sheet_count: int
    language: str
    notes: str
    physical_condition: str
    secrecy: str  # "" or "Mật" / "Tối mật" / "Tuyệt mật"
    source_row: int

    @property
    def retention_permanent(self) -> bool:
        return self.retention_years is None

    @property
    def retention_label(self) -> str:
        return retention_label(self.retention_years)

    @property
    def sort_key(self) -> tuple[str, str, int, str, int, str]:
        """Shelf order: fonds, catalogue, then box and folder by their leading number."""
        box_number, box_rest = number_key(self.box_no)
        folder_number, folder_rest = number_key(self.folder_no)
        return (
            self.fonds_code,
            self.catalogue_no,
            box_number,
            box_rest,
            folder_number,
            folder_rest,
        )

    def as_dict(self) -> dict[str, str | int | None]:
        """JSON-safe, English keys as in the template, dates ISO, plus the retention label."""
        result: dict[str, str | int | None] = {}
        for field in fields(self):
            value = getattr(self, field.name)
            result[field.name] = value.isoformat() if isinstance(value, datetime.date) else value
        result["retention"] = self.retention_label
        return result


def retention_label(years: int | None) -> str:
    """The retention as archivists write it: "Vĩnh viễn" (None) or "10 năm"."""
    return PERMANENT_LABEL if years is None else f"{years} năm"


def diff_folders(old: ManifestFolder, new: ManifestFolder) -> dict[str, tuple[Any, Any]]:
    """The fields a re-import changes, as {name: (old, new)}; the source row is not a change."""
    changes: dict[str, tuple[Any, Any]] = {}
    for field in fields(ManifestFolder):
        if field.name == "source_row":
            continue
        before, after = getattr(old, field.name), getattr(new, field.name)
        if before != after:
            changes[field.name] = (before, after)
    return changes


def read_manifest(path: Path) -> list[ManifestFolder]:
    """Read and validate a whole manifest; raise `ManifestError` listing every problem.

    CSV must be UTF-8 (a BOM is fine, as Excel's "CSV UTF-8" writes it), separated by
    commas, semicolons or tabs. XLSX is read from its first sheet. A cell that holds a
    formula, or whose text starts like one, is a problem (station.spreadsheet).
    """
    suffix = _manifest_suffix(path)
    if not path.exists():
        raise BadArgumentError(_("Manifest file not found: %(path)s", path=path))
    if not path.is_file():
        raise BadArgumentError(_("Manifest %(path)s is not a file", path=path))
    rows = _read_csv(path) if suffix in CSV_SUFFIXES else _read_xlsx(path)
    folders, problems = _parse_rows(rows)
    if problems:
        raise ManifestError(path, problems)
    return folders


def file_name(folder_id: str) -> str:
    """The name a folder's files take: archival ids have slashes (05/01/HS-12), files cannot."""
    return folder_id.replace("/", "-")


def check_folder(values: dict[str, object]) -> tuple[ManifestFolder | None, list[ManifestProblem]]:
    """One folder's values (keyed by English field name) checked by the manifest's rules.

    For metadata edited in the review app: the same checks as an imported row, so an edit
    cannot store what an import would refuse. Problems name the field, row 2.
    """
    names = [field.english for field in FIELDS]
    unknown = sorted(set(values) - set(names))
    if unknown:
        return None, [ManifestProblem(2, name, "", "unknown field") for name in unknown]
    cells = dict(values)
    if "retention" in cells and cells["retention"] is None:
        cells["retention"] = PERMANENT_LABEL  # None is how a folder stores "permanent"
    row = [cells.get(name) for name in names]
    folders, problems = _parse_rows([list(names), row])
    return (folders[0] if folders and not problems else None), problems


def write_template(path: Path, *, overwrite: bool = False) -> Path:
    """Write an empty manifest that `read_manifest` reads back, filled in or not.

    `.xlsx`: sheet "Hồ sơ" with the Vietnamese headers (each with a comment giving the
    English name and format; date, number and code columns formatted as text so Excel
    does not turn 05/03/2019 into a US date or drop leading zeros; drop-down lists for
    độ mật and thời hạn bảo quản), and a sheet "Hướng dẫn - Guide" describing every
    column in both languages. `.csv`: only the header row, with the English names (ASCII
    survives any re-save), UTF-8 with a BOM so Excel opens Vietnamese text correctly;
    its guide is the XLSX template and `FIELDS`. An existing file is kept unless
    `overwrite`, because it may be a filled-in manifest.
    """
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".xlsx"):
        raise BadArgumentError(
            _(
                "Cannot write a manifest template to %(path)s: the name must end in .xlsx or .csv",
                path=path,
            )
        )
    if path.exists() and not overwrite:
        raise BadArgumentError(
            _("%(path)s already exists; choose another name for the template", path=path)
        )
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        if suffix == ".csv":
            _write_csv_template(path)
        else:
            _write_xlsx_template(path)
    except OSError as exc:
        raise OutputError(
            _(
                "Cannot write the manifest template %(path)s: %(strerror)s",
                path=path,
                strerror=exc.strerror,
            )
        ) from exc
    return path


# --- reading files ---------------------------------------------------------------------


def _manifest_suffix(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix not in CSV_SUFFIXES + XLSX_SUFFIXES:
        raise BadArgumentError(
            _(
                "Cannot read the manifest %(path)s: unknown file type '%(suffix)s'; save it as "
                ".xlsx (Excel workbook) or .csv (CSV UTF-8)",
                path=path,
                suffix=path.suffix,
            )
        )
    return suffix


def _read_csv(path: Path) -> list[list[object]]:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise BadArgumentError(
            _("Cannot read the manifest %(path)s: %(strerror)s", path=path, strerror=exc.strerror)
        ) from exc
    text = _decode(path, data)
    delimiter = _guess_delimiter(text)
    try:
        return [list(row) for row in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)]
    except csv.Error as exc:
        raise BadArgumentError(
            _("Cannot read the manifest %(path)s as CSV: %(exc)s", path=path, exc=exc)
        ) from exc


def _decode(path: Path, data: bytes) -> str:
    """UTF-8 (BOM or not), or UTF-16 with a BOM as Excel's "Unicode Text" saves it."""
    encoding = "utf-16" if data[:2] in (b"\xff\xfe", b"\xfe\xff") else "utf-8-sig"
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        raise BadArgumentError(
            _(
                "Cannot read the manifest %(path)s: it is not UTF-8 text (byte 0x%(data)s at "
                "position %(start)s). In Excel, save it as 'CSV UTF-8 (Comma delimited)' or as "
                "an .xlsx workbook",
                path=path,
                data=f"{data[exc.start]:02x}",
                start=exc.start,
            )
        ) from exc


def _guess_delimiter(text: str) -> str:
    """The delimiter that splits the header row into the most known column names.

    Counting recognised headers is surer than `csv.Sniffer` on a short, mostly text file,
    and Vietnamese Excel writes semicolons where the decimal mark is a comma.
    """

    def score(delimiter: str) -> tuple[int, int]:
        header = next(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter), [])
        known = sum(1 for cell in header if _header_key(cell) in _HEADER_LOOKUP)
        return known, len(header)

    try:
        return max((",", ";", "\t"), key=score)
    except csv.Error:
        return ","  # the real read reports the malformed file


def _read_xlsx(path: Path) -> list[list[object]]:
    """Every row of the first sheet, as cell values; row i of the list is sheet row i+1."""
    # openpyxl has no type information (types-openpyxl is not a dependency).
    import openpyxl  # type: ignore[import-untyped, unused-ignore]

    # openpyxl raises anything from BadZipFile to KeyError on damaged or foreign files;
    # whatever it is, the archivist needs a sentence, not a traceback.
    try:
        # Formulas as written, not their cached values: a formula cell is refused (see
        # `_Formula`), and no other cell reads differently.
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=False)
    except Exception as exc:
        raise BadArgumentError(
            _(
                "Cannot read the manifest %(path)s: it is not a valid Excel .xlsx workbook "
                "(%(cause)s). Save it from Excel as 'Excel Workbook (.xlsx)' or as CSV UTF-8",
                path=path,
                cause=_cause(exc),
            )
        ) from exc
    try:
        if not workbook.worksheets:
            raise BadArgumentError(
                _("Cannot read the manifest %(path)s: the workbook has no sheet", path=path)
            )
        sheet = workbook.worksheets[0]
        sheet.reset_dimensions()  # some programs record a wrong used range
        return [
            [_cell_value(cell) for cell in row] for row in sheet.iter_rows(min_row=1, min_col=1)
        ]
    except BadArgumentError:
        raise
    except Exception as exc:
        raise BadArgumentError(
            _(
                "Cannot read the manifest %(path)s: its first sheet is damaged (%(cause)s)",
                path=path,
                cause=_cause(exc),
            )
        ) from exc
    finally:
        workbook.close()


class _Formula(str):
    """An XLSX cell holding a formula, as its text ("=A2&B2").

    Refused rather than read through its cached value: a file written by a program has
    none (the cell would read as empty), a stale one differs from what Excel shows, and a
    formula can fetch from the network when the workbook is opened.
    """


def _cell_value(cell: Any) -> object:
    if getattr(cell, "data_type", None) == "f":
        value = cell.value
        return _Formula(value if isinstance(value, str) else getattr(value, "text", "") or "=")
    return cell.value


def _cause(exc: Exception) -> str:
    detail = str(exc).strip()
    return f"{type(exc).__name__}: {detail}" if detail else type(exc).__name__


# --- cell values -----------------------------------------------------------------------


class _Invalid(Exception):
    """A cell value that cannot be used; the message is shown to the archivist."""


def _as_text(value: object) -> str:
    """A cell as the text a spreadsheet shows (12.0 as "12", a midnight datetime as a date)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime.datetime) and value.time() == datetime.time():
        return value.date().isoformat()
    if isinstance(value, datetime.date | datetime.time):
        return value.isoformat()
    return str(value)


def _clean(value: object, *, single_line: bool = True) -> str:
    """NFC and stripped; single-line fields also collapse line breaks and runs of spaces."""
    text = unicodedata.normalize("NFC", _as_text(value)).strip()
    if single_line:
        text = re.sub(r"\s+", " ", text)
    return text


def _is_empty(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _is_blank(cells: Sequence[object]) -> bool:
    return all(_is_empty(cell) for cell in cells)


def _column_letter(index: int) -> str:
    """The spreadsheet name of a 0-based column: 0 is A, 26 is AA."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


def number_key(label: str) -> tuple[int, str]:
    """Box and folder numbers in shelf order: 2 before 10, 12 before 12a."""
    match = re.match(r"\d+", label)
    if match is None:
        return 0, label.casefold()
    return int(match.group()), label[match.end() :].casefold()


def _whole_number(value: object, *, suffixes: tuple[str, ...] = ()) -> int | None:
    """An integer, an integral float (Excel's 12.0) or digits with an optional unit word."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value) if value.is_integer() else None
    if not isinstance(value, str):
        return None
    text = _clean(value).casefold()
    units = "|".join(re.escape(suffix) for suffix in suffixes)
    match = re.fullmatch(rf"(-?\d+)(?:\.0+)?(?:\s*(?:{units}))?" if units else r"(-?\d+)", text)
    return int(match.group(1)) if match else None


_PERMANENT = frozenset({"vĩnh viễn", "vinh vien", "permanent", "permanently"})


def _parse_retention(value: object) -> int | None:
    """None for permanent, else the years; `_Invalid` for anything else."""
    if isinstance(value, str) and _clean(value).casefold() in _PERMANENT:
        return None
    years = _whole_number(value, suffixes=("năm", "nam", "years", "year", "yrs", "yr"))
    if years is None:
        raise _Invalid("unknown retention: write Vĩnh viễn or a number of years (10, 10 năm)")
    if not 1 <= years <= 100:
        raise _Invalid("retention must be Vĩnh viễn or from 1 to 100 years")
    return years


_SEP = r"[/.\-]"
_ISO_DAY = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?")
_ISO_MONTH = re.compile(r"(\d{4})-(\d{1,2})")
_DAY_FIRST = re.compile(rf"(\d{{1,2}}){_SEP}(\d{{1,2}}){_SEP}(\d{{4}})")
_MONTH_YEAR = re.compile(rf"(\d{{1,2}}){_SEP}(\d{{4}})")
_YEAR = re.compile(r"(\d{4})")
_DATE_FORMATS = "write dd/mm/yyyy (05/03/2019), mm/yyyy, yyyy or yyyy-mm-dd"


def _parse_date(value: object) -> tuple[datetime.date, datetime.date]:
    """The first and last day a cell can mean: a day is itself, "2019" is the whole year.

    Text dates are read day first, as Vietnamese write them: 05/03/2019 is 5 March.
    """
    if isinstance(value, datetime.datetime):
        return value.date(), value.date()
    if isinstance(value, datetime.date):
        return value, value
    if isinstance(value, int | float) and not isinstance(value, bool):
        # A year typed into an Excel cell arrives as a number.
        if float(value).is_integer() and 1000 <= value <= 9999:
            return _year_range(int(value))
        raise _Invalid(f"a number, not a date; {_DATE_FORMATS}")
    text = _clean(value)
    try:
        if match := _ISO_DAY.fullmatch(text):
            year, month, day = (int(part) for part in match.groups())
            return _day(year, month, day)
        if match := _DAY_FIRST.fullmatch(text):
            day, month, year = (int(part) for part in match.groups())
            return _day(year, month, day)
        if match := _ISO_MONTH.fullmatch(text):
            return _month_range(int(match.group(1)), int(match.group(2)))
        if match := _MONTH_YEAR.fullmatch(text):
            return _month_range(int(match.group(2)), int(match.group(1)))
        if _YEAR.fullmatch(text):
            return _year_range(int(text))
    except ValueError as exc:
        raise _Invalid(f"not a real date ({exc}); {_DATE_FORMATS}") from exc
    raise _Invalid(f"not a date; {_DATE_FORMATS}")


def _day(year: int, month: int, day: int) -> tuple[datetime.date, datetime.date]:
    date = datetime.date(year, month, day)
    return date, date


def _month_range(year: int, month: int) -> tuple[datetime.date, datetime.date]:
    first = datetime.date(year, month, 1)
    return first, first.replace(day=calendar.monthrange(year, month)[1])


def _year_range(year: int) -> tuple[datetime.date, datetime.date]:
    return datetime.date(year, 1, 1), datetime.date(year, 12, 31)


# --- headers ---------------------------------------------------------------------------


def _header_key(header: object) -> str:
    """How headers are compared: NFC, any case, "_"/"-" as spaces, runs of spaces as one."""
    text = unicodedata.normalize("NFC", _as_text(header)).casefold()
    text = re.sub(r"[\s_\-]+", " ", text).strip()
    return text.rstrip("*").strip()  # templates often star the required columns


def _plain(text: str) -> str:
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def _build_lookup() -> dict[str, ManifestField | None]:
    lookup: dict[str, ManifestField | None] = {_header_key(name): None for name in IGNORED_HEADERS}
    for field in FIELDS:
        for name in (field.english, field.vietnamese, *field.aliases):
            key = _header_key(name)
            assert key not in lookup, f"manifest header {name!r} is ambiguous"
            lookup[key] = field
    return lookup


_HEADER_LOOKUP = _build_lookup()


@dataclass(frozen=True)
class _Column:
    index: int
    header: str  # as written in the file
    field: ManifestField


def _map_headers(header_row: Sequence[object], problems: list[ManifestProblem]) -> list[_Column]:
    columns: list[_Column] = []
    seen: dict[str, str] = {}
    for index, cell in enumerate(header_row):
        header = _clean(cell)
        if not header:
            continue
        key = _header_key(header)
        if key not in _HEADER_LOOKUP:
            problems.append(ManifestProblem(1, header, header, _unknown_column(key)))
            continue
        field = _HEADER_LOOKUP[key]
        if field is None:
            continue
        if field.english in seen:
            problems.append(
                ManifestProblem(
                    1,
                    header,
                    header,
                    f"column '{seen[field.english]}' already holds {field.vietnamese} "
                    f"({field.english}); keep only one of them",
                )
            )
            continue
        seen[field.english] = header
        columns.append(_Column(index, header, field))
    for field in FIELDS:
        if field.required and field.english not in seen:
            problems.append(
                ManifestProblem(
                    1, "", "", f"required column '{field.vietnamese}' ({field.english}) is missing"
                )
            )
    return columns


def _unknown_column(key: str) -> str:
    """Suggest the column meant, comparing without diacritics ("Tieu de" for Tiêu đề)."""
    plain = {_plain(known): known for known in _HEADER_LOOKUP}
    close = difflib.get_close_matches(_plain(key), list(plain), n=1, cutoff=0.75)
    field = _HEADER_LOOKUP[plain[close[0]]] if close else None
    if field is not None:
        return f"unknown column; did you mean '{field.vietnamese}' ({field.english})?"
    known = ", ".join(f"{f.vietnamese} ({f.english})" for f in FIELDS)
    return f"unknown column; the columns are: {known}"


# --- rows ------------------------------------------------------------------------------


def _parse_rows(rows: list[list[object]]) -> tuple[list[ManifestFolder], list[ManifestProblem]]:
    problems: list[ManifestProblem] = []
    if not rows or _is_blank(rows[0]):
        return [], [ManifestProblem(1, "", "", "row 1 must hold the column headers; it is empty")]
    header_row = rows[0]
    columns = _map_headers(header_row, problems)
    headerless = {index for index, cell in enumerate(header_row) if _is_empty(cell)}
    folders: list[ManifestFolder] = []
    first_row_of_id: dict[str, int] = {}
    for row_no, cells in enumerate(rows[1:], start=2):
        if _is_blank(cells):
            continue
        row = _Row(row_no, cells, columns)
        row.check_headerless(len(header_row), headerless)
        folder = row.folder()
        folder_id = _clean(row.raw("folder_id"))
        key = file_name(folder_id).casefold()  # ids name files: "HS1" and "hs1" would collide
        if key and key in first_row_of_id:
            row.problem(
                "folder_id",
                folder_id,
                f"duplicate folder id: row {first_row_of_id[key]} has it already (ids name "
                "files, so case and / against - do not tell them apart)",
            )
            folder = None
        elif key:
            first_row_of_id[key] = row_no
        problems.extend(row.problems)
        if folder is not None:
            folders.append(folder)
    # In the order the archivist reads the sheet: by row, then left to right.
    order = {_clean(cell): index for index, cell in enumerate(header_row) if not _is_empty(cell)}
    problems.sort(key=lambda problem: (problem.row, order.get(problem.column, -1)))
    return folders, problems


class _Row:
    """One data row: typed values out, problems collected, never raised."""

    def __init__(self, row_no: int, cells: Sequence[object], columns: Iterable[_Column]) -> None:
        self.row_no = row_no
        self.cells = cells
        self.columns = {column.field.english: column for column in columns}
        self.problems: list[ManifestProblem] = []
        self.refused = self._formulas()

    def header(self, name: str) -> str:
        column = self.columns.get(name)
        return column.header if column else ""

    def raw(self, name: str) -> object:
        column = self.columns.get(name)
        if column is None or column.index >= len(self.cells):
            return None
        return self.cells[column.index]

    def problem(self, name: str, raw: object, message: str) -> None:
        self.problems.append(
            ManifestProblem(self.row_no, self.header(name), _clean(raw, single_line=False), message)
        )

    def _formulas(self) -> set[str]:
        """Fields whose cell is a formula or starts like one (station.spreadsheet), each
        reported once; their other checks are skipped."""
        refused: set[str] = set()
        for name in self.columns:
            raw = self.raw(name)
            if isinstance(raw, _Formula):
                message = (
                    "the cell holds a formula; station reads values only: select the "
                    "column, Copy, then Paste Special > Values"
                )
            elif isinstance(raw, str) and looks_like_formula(_clean(raw, single_line=False)):
                message = (
                    "starts like a spreadsheet formula (= + - @), which Excel or LibreOffice "
                    "would run: remove the sign, or write a list dash with a space (- Lưu VT)"
                )
            else:
                continue
            self.problem(name, raw, message)
            refused.add(name)
        return refused

    def check_headerless(self, header_width: int, headerless: set[int]) -> None:
        for index, raw in enumerate(self.cells):
            if (index >= header_width or index in headerless) and not _is_empty(raw):
                message = f"value in column {_column_letter(index)}, which has no header"
                shown = _clean(raw, single_line=False)
                self.problems.append(ManifestProblem(self.row_no, "", shown, message))
                return

    def folder(self) -> ManifestFolder | None:
        start = self.date("start_date", last=False)
        end = self.date("end_date", last=True)
        if start is not None and end is not None and end < start:
            self.problem(
                "end_date",
                self.raw("end_date"),
                f"the folder ends before it starts ({start:%d/%m/%Y})",
            )
        folder_id = self.text("folder_id", single_line=True)
        if _UNSAFE_IN_ID.search(folder_id):
            self.problem(
                "folder_id",
                self.raw("folder_id"),
                'a folder id names files, so it cannot contain \\ : * ? " < > |',
            )
        fonds_code = self.text("fonds_code", single_line=True)
        catalogue_no = self.text("catalogue_no", single_line=True)
        box_no = self.number_label("box_no")
        folder_no = self.number_label("folder_no")
        title = self.text("title")
        retention_years = self.retention()
        sheet_count = self.sheet_count()
        access = self.text("access")
        language = self.text("language")
        notes = self.text("notes", single_line=False)
        physical_condition = self.text("physical_condition")
        secrecy = self.secrecy()
        if self.problems or start is None or end is None or sheet_count is None:
            return None
        return ManifestFolder(
            folder_id=folder_id,
            fonds_code=fonds_code,
            catalogue_no=catalogue_no,
            box_no=box_no,
            folder_no=folder_no,
            title=title,
            start_date=start,
            end_date=end,
            retention_years=retention_years,
            access=access,
            sheet_count=sheet_count,
            language=language,
            notes=notes,
            physical_condition=physical_condition,
            secrecy=secrecy,
            source_row=self.row_no,
        )

    def _present(self, name: str) -> tuple[object, bool]:
        """The raw value, and whether there is one; a missing required value is a problem."""
        raw = self.raw(name)
        if name in self.refused:
            return raw, False
        if not _is_empty(raw):
            return raw, True
        field = _FIELD_BY_NAME[name]
        if field.required and name in self.columns:
            self.problem(name, raw, f"{field.vietnamese} ({field.english}) is required")
        return raw, False

    def text(self, name: str, *, single_line: bool = True) -> str:
        raw, present = self._present(name)
        if not present:
            return _FIELD_BY_NAME[name].default
        if isinstance(raw, datetime.date | datetime.time) and name in _CODE_FIELDS:
            self.problem(name, raw, _EXCEL_DATE_HINT)
            return ""
        return _clean(raw, single_line=single_line)

    def number_label(self, name: str) -> str:
        raw, present = self._present(name)
        if not present:
            return ""
        if isinstance(raw, datetime.date | datetime.time):
            self.problem(name, raw, _EXCEL_DATE_HINT)
            return ""
        text = _clean(raw)
        if _NUMBER_LABEL.fullmatch(text) is None or number_key(text)[0] < 1:
            self.problem(
                name,
                raw,
                "must be a whole number from 1, optionally followed by a suffix (12, 12a, 12.1)",
            )
        return text

    def date(self, name: str, *, last: bool) -> datetime.date | None:
        raw, present = self._present(name)
        if not present:
            return None
        try:
            first_day, last_day = _parse_date(raw)
        except _Invalid as exc:
            self.problem(name, raw, str(exc))
            return None
        if first_day > datetime.date.today():
            self.problem(name, raw, "the date is in the future")
            return None
        return last_day if last else first_day

    def retention(self) -> int | None:
        raw, present = self._present("retention")
        if not present:
            return None
        try:
            return _parse_retention(raw)
        except _Invalid as exc:
            self.problem("retention", raw, str(exc))
            return None

    def sheet_count(self) -> int | None:
        raw, present = self._present("sheet_count")
        if not present:
            return None
        count = _whole_number(raw, suffixes=("tờ", "to", "sheets", "sheet"))
        if count is None or count < 0:
            self.problem("sheet_count", raw, "must be a whole number, 0 or more")
            return None
        return count

    def secrecy(self) -> str:
        raw, present = self._present("secrecy")
        if not present:
            return ""
        level = _SECRECY_LOOKUP.get(_clean(raw).casefold())
        if level is None:
            self.problem(
                "secrecy", raw, "unknown secrecy level; write Mật, Tối mật, Tuyệt mật or nothing"
            )
            return ""
        return level


_FIELD_BY_NAME = {field.english: field for field in FIELDS}
_UNSAFE_IN_ID = re.compile(r'[\\:*?"<>|\x00-\x1f]')
_CODE_FIELDS = frozenset({"folder_id", "fonds_code", "catalogue_no"})
_EXCEL_DATE_HINT = (
    "Excel turned this into a date; format the column as Text and type the value again"
)
_NUMBER_LABEL = re.compile(r"\d+[^\W_]*(?:[./-][^\W_]+)*")
_SECRECY_LOOKUP = {level.casefold(): level for level in SECRECY_LEVELS} | {
    "confidential": "Mật",
    "secret": "Tối mật",
    "top secret": "Tuyệt mật",
}


# --- templates -------------------------------------------------------------------------


def _write_csv_template(path: Path) -> None:
    with path.open("w", encoding="utf-8-sig", newline="") as file:
        csv.writer(file).writerow(field.english for field in FIELDS)


_TEXT_COLUMNS = frozenset(
    {"fonds_code", "catalogue_no", "box_no", "folder_no", "folder_id", "start_date", "end_date"}
)


def _write_xlsx_template(path: Path) -> None:
    import openpyxl  # type: ignore[import-untyped, unused-ignore]
    from openpyxl.comments import Comment  # type: ignore[import-untyped, unused-ignore]
    from openpyxl.styles import Alignment, Font, PatternFill  # type: ignore[import-untyped, unused-ignore]
    from openpyxl.utils import get_column_letter  # type: ignore[import-untyped, unused-ignore]
    from openpyxl.worksheet.datavalidation import (  # type: ignore[import-untyped, unused-ignore]
        DataValidation,
    )
    from openpyxl.worksheet.worksheet import Worksheet  # type: ignore[import-untyped, unused-ignore]

    bold = Font(bold=True)
    required_fill = PatternFill("solid", fgColor="FFF2CC")
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert isinstance(sheet, Worksheet)  # a new workbook starts with one worksheet
    sheet.title = TEMPLATE_SHEET
    for number, field in enumerate(FIELDS, start=1):
        cell = sheet.cell(row=1, column=number, value=field.vietnamese)
        cell.font = bold
        if field.required:
            cell.fill = required_fill
        needed = "required" if field.required else "optional"
        cell.comment = Comment(
            f"{field.english} ({needed})\n{field.description}.\nFormat: {field.format}", "station"
        )
        letter = get_column_letter(number)
        sheet.column_dimensions[letter].width = 40 if field.english == "title" else 18
        if field.english in _TEXT_COLUMNS:
            sheet.column_dimensions[letter].number_format = "@"
    sheet.freeze_panes = "A2"
    letters = {field.english: get_column_letter(n) for n, field in enumerate(FIELDS, start=1)}
    secrecy = DataValidation(
        type="list",
        formula1='"' + ",".join(SECRECY_LEVELS) + '"',
        allow_blank=True,
        showErrorMessage=True,
        error="Độ mật: để trống, Mật, Tối mật hoặc Tuyệt mật / empty, Mật, Tối mật or Tuyệt mật",
    )
    secrecy.add(f"{letters['secrecy']}2:{letters['secrecy']}10000")
    retention = DataValidation(
        type="list",
        formula1=f'"{PERMANENT_LABEL},70 năm,50 năm,30 năm,20 năm,10 năm,5 năm"',
        allow_blank=True,
        showErrorMessage=False,  # a suggestion list: any number of years is allowed
    )
    retention.add(f"{letters['retention']}2:{letters['retention']}10000")
    sheet.add_data_validation(secrecy)
    sheet.add_data_validation(retention)

    guide = workbook.create_sheet(GUIDE_SHEET)
    guide.append(
        [
            "Cột (tiêu đề tiếng Việt)",
            "Column (English header)",
            "Bắt buộc / Required",
            "Định dạng / Format",
            "Ví dụ / Example",
            "Mô tả / Description",
        ]
    )
    for cell in guide[1]:
        cell.font = bold
    for field in FIELDS:
        needed = "Có / Yes" if field.required else "Không / No"
        description = field.description + (f" (default: {field.default})" if field.default else "")
        guide.append(
            [field.vietnamese, field.english, needed, field.format, field.example, description]
        )
    guide.append([])
    guide.append(
        [
            "Tiêu đề cột có thể viết bằng tiếng Việt hoặc tiếng Anh. Mỗi dòng là một hồ sơ; "
            "Mã hồ sơ không được trùng. Chỉ trang tính đầu tiên được đọc.",
        ]
    )
    guide.append(
        [
            "Headers may be Vietnamese or English. One row per folder; folder ids must be "
            "unique. Only the first sheet is read.",
        ]
    )
    for letter, width in zip("ABCDEF", (24, 22, 18, 40, 40, 70), strict=True):
        guide.column_dimensions[letter].width = width
    for row in guide.iter_rows(min_row=2):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    workbook.save(path)
