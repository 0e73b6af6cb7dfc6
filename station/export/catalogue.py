"""Catalogue imports for exported folders: an AtoM ISAD(G) CSV and Archivematica's metadata.csv.

Exported hồ sơ must reach the archive's catalogue without retyping, so their manifest
metadata is written in the two formats the usual open-source archival systems import
(see /work/shared/docs/standards.md, sections 2.3 and 3):

- AtoM's information-object CSV, with the exact header of its ISAD(G) template. The
  hierarchy phông → mục lục → hồ sơ → văn bản becomes Fonds → Series → File → Item, linked
  by `legacyId`/`parentId`, parents first. The level names are AtoM's English terms:
  the importer looks them up in the importing user's culture, so run the import as an
  `en` user (the CLI default) or a new, unrelated term is created.
- The `metadata/metadata.csv` of an Archivematica standard transfer: `filename` first
  (paths relative to the transfer root, under `objects/`, or `data/` in a bag), Dublin
  Core as `dc.*`, and the Vietnamese-only fields as plain columns (an "OTHER" dmdSec).

Both files are UTF-8 without a BOM (AtoM's docs advise against one, and in metadata.csv it
would corrupt the `filename` header), LF line endings, NFC text, and written atomically.

Formulas (station/spreadsheet.py): archivists open the AtoM CSV in Excel or LibreOffice
before importing it, so its cells that start with = + - @ get a leading apostrophe, which
a spreadsheet hides (and does not save back); imported into AtoM unopened, such a cell
keeps the apostrophe. metadata.csv is written as it is: Archivematica alone reads it,
into the METS of the preserved package, where an apostrophe would be kept for good.
"""

from __future__ import annotations

import csv
import datetime
import os
import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path, PurePosixPath
from typing import Protocol, TextIO

from station import auth
from station.errors import InvalidInputError, OutputError
from station.i18n import _
from station.manifest import SECRECY_LEVELS, retention_label
from station.pipeline.pdfa import temporary_beside
from station.spreadsheet import csv_cell

# The header of AtoM's lib/task/import/example/isad/example_information_objects_isad.csv,
# in order (standards.md 3.2). AtoM warns that other headers "will fail or cause
# unexpected results", so every file carries exactly these.
ATOM_COLUMNS: tuple[str, ...] = (
    "legacyId",
    "parentId",
    "qubitParentSlug",
    "accessionNumber",
    "identifier",
    "title",
    "levelOfDescription",
    "extentAndMedium",
    "repository",
    "archivalHistory",
    "acquisition",
    "scopeAndContent",
    "appraisal",
    "accruals",
    "arrangement",
    "accessConditions",
    "reproductionConditions",
    "language",
    "script",
    "languageNote",
    "physicalCharacteristics",
    "findingAids",
    "locationOfOriginals",
    "locationOfCopies",
    "relatedUnitsOfDescription",
    "publicationNote",
    "digitalObjectPath",
    "digitalObjectURI",
    "generalNote",
    "subjectAccessPoints",
    "placeAccessPoints",
    "nameAccessPoints",
    "genreAccessPoints",
    "descriptionIdentifier",
    "institutionIdentifier",
    "rules",
    "descriptionStatus",
    "levelOfDetail",
    "revisionHistory",
    "languageOfDescription",
    "scriptOfDescription",
    "sources",
    "archivistNote",
    "publicationStatus",
    "physicalObjectName",
    "physicalObjectLocation",
    "physicalObjectType",
    "alternativeIdentifiers",
    "alternativeIdentifierLabels",
    "eventDates",
    "eventTypes",
    "eventStartDates",
    "eventEndDates",
    "eventActors",
    "eventActorHistories",
    "culture",
)

# metadata.csv columns, `filename` first as Archivematica requires. dc.* and dcterms.* go
# to the DC dmdSec (and on to AtoM with a DIP); the others, named like the manifest's
# English field names, to a dmdSec of type OTHER, so nothing of the mục lục is lost.
ARCHIVEMATICA_COLUMNS: tuple[str, ...] = (
    "filename",
    "dc.title",
    "dc.identifier",
    "dc.date",
    "dc.creator",
    "dc.language",
    "dc.rights",
    "dc.source",
    "dc.type",
    "dc.format",
    "dc.description",
    "dcterms.isPartOf",
    "fonds_code",
    "catalogue_no",
    "box_no",
    "folder_no",
    "retention",
    "secrecy",
    "sheet_count",
    "pages",
    "physical_condition",
)

CULTURE = "vi"  # ISO 639-1, one value per row (standards.md 3.3)
LEVEL_FONDS, LEVEL_SERIES, LEVEL_FILE, LEVEL_ITEM = "Fonds", "Series", "File", "Item"
EVENT_CREATION = "Creation"
MULTI_VALUE_SEPARATOR = "|"  # AtoM splits these columns on it; a value must not contain it
# metadata.csv paths start at the transfer's objects/, or at data/ when the transfer is a
# bag: Archivematica reads them against the bag's payload (standards.md 2.3).
TRANSFER_ROOTS = ("objects", "data")

# ISO 639-1 codes (what AtoM's language columns accept) for the languages of Vietnamese
# archives, keyed by the ways archivists write them: code, ISO 639-2 code, or name.
_LANGUAGES: dict[str, str] = {
    **dict.fromkeys(("vi", "vie", "tiếng việt", "việt", "vietnamese"), "vi"),
    **dict.fromkeys(("fr", "fra", "fre", "tiếng pháp", "pháp", "french"), "fr"),
    **dict.fromkeys(("en", "eng", "tiếng anh", "anh", "english"), "en"),
    **dict.fromkeys(
        ("zh", "zho", "chi", "tiếng trung", "tiếng hoa", "tiếng hán", "hán", "chinese"), "zh"
    ),
    **dict.fromkeys(("ru", "rus", "tiếng nga", "nga", "russian"), "ru"),
    **dict.fromkeys(("lo", "lao", "tiếng lào", "lào"), "lo"),
    **dict.fromkeys(("km", "khm", "tiếng khmer", "tiếng campuchia", "khmer"), "km"),
    **dict.fromkeys(("de", "deu", "ger", "tiếng đức", "đức", "german"), "de"),
    **dict.fromkeys(("ja", "jpn", "tiếng nhật", "nhật", "japanese"), "ja"),
}
_LANGUAGE_SPLIT = re.compile(r"\s*(?:[,;|/+]|\bvà\b)\s*")
_URL = re.compile(r"^[a-z][a-z0-9+.-]*://", re.IGNORECASE)


@dataclass(frozen=True)
class CatalogueDocument:
    """A văn bản within a hồ sơ, described as an AtoM Item when the documents are known."""

    number: int  # số thứ tự văn bản trong hồ sơ, from 1
    title: str  # trích yếu nội dung
    date: datetime.date | None
    pdf_path: str = ""  # its own PDF, if it has one; "" leaves the Item without an object
    number_symbol: str = ""  # số, ký hiệu as printed, e.g. "12/QĐ-UBND"
    document_type: str = ""  # tên loại văn bản, e.g. "QUYẾT ĐỊNH"
    creator: str = ""  # tên cơ quan, tổ chức ban hành văn bản
    secrecy: str = ""  # its own độ mật, "" when unmarked (the folder's still applies)
    language: str = ""  # "" for the folder's
    pages: int = 0  # số lượng trang; 0 when unknown


@dataclass(frozen=True)
class CatalogueFolder:
    """An exported hồ sơ: its manifest fields, its PDF, and optional names of the levels above."""

    folder_id: str
    fonds_code: str
    catalogue_no: str
    box_no: str
    folder_no: str
    title: str
    start_date: datetime.date | None
    end_date: datetime.date | None
    retention_years: int | None  # None = Vĩnh viễn
    access: str  # chế độ sử dụng (mức độ tiếp cận)
    sheet_count: int | None
    language: str
    notes: str
    physical_condition: str
    secrecy: str  # "", Mật, Tối mật or Tuyệt mật
    pages: int  # pages in the exported PDF
    pdf_path: str  # where AtoM finds the PDF: a path on its server, or a URL
    fonds_title: str = ""
    series_title: str = ""
    repository: str = ""
    documents: tuple[CatalogueDocument, ...] = ()
    creator: str = ""  # body that created the records, ISAD(G) 3.2.1; "" when unknown


class FolderRecord(Protocol):
    """What a manifest folder or a stored folder carries (`ManifestFolder`, `store.Folder`)."""

    @property
    def folder_id(self) -> str: ...
    @property
    def fonds_code(self) -> str: ...
    @property
    def catalogue_no(self) -> str: ...
    @property
    def box_no(self) -> str: ...
    @property
    def folder_no(self) -> str: ...
    @property
    def title(self) -> str: ...
    @property
    def start_date(self) -> datetime.date | None: ...
    @property
    def end_date(self) -> datetime.date | None: ...
    @property
    def retention_years(self) -> int | None: ...
    @property
    def access(self) -> str: ...
    @property
    def sheet_count(self) -> int | None: ...
    @property
    def language(self) -> str: ...
    @property
    def notes(self) -> str: ...
    @property
    def physical_condition(self) -> str: ...
    @property
    def secrecy(self) -> str: ...


def catalogue_folder(
    record: FolderRecord,
    *,
    pages: int,
    pdf_path: str,
    fonds_title: str = "",
    series_title: str = "",
    repository: str = "",
    creator: str = "",
    documents: Sequence[CatalogueDocument] = (),
) -> CatalogueFolder:
    """A `CatalogueFolder` from a manifest or stored folder, so callers copy no field by hand."""
    return CatalogueFolder(
        folder_id=record.folder_id,
        fonds_code=record.fonds_code,
        catalogue_no=record.catalogue_no,
        box_no=record.box_no,
        folder_no=record.folder_no,
        title=record.title,
        start_date=record.start_date,
        end_date=record.end_date,
        retention_years=record.retention_years,
        access=record.access,
        sheet_count=record.sheet_count,
        language=record.language,
        notes=record.notes,
        physical_condition=record.physical_condition,
        secrecy=record.secrecy,
        pages=pages,
        pdf_path=pdf_path,
        fonds_title=fonds_title,
        series_title=series_title,
        repository=repository,
        documents=tuple(documents),
        creator=creator,
    )


# --- AtoM -----------------------------------------------------------------------------------


def fonds_legacy_id(fonds_code: str) -> str:
    return f"fonds:{_text(fonds_code)}"


def series_legacy_id(fonds_code: str, catalogue_no: str) -> str:
    return f"series:{_text(fonds_code)}/{_text(catalogue_no)}"


def file_legacy_id(folder_id: str) -> str:
    return f"file:{_text(folder_id)}"


def item_legacy_id(folder_id: str, number: int) -> str:
    return f"item:{_text(folder_id)}#{number}"


def atom_rows(folders: Sequence[CatalogueFolder]) -> list[dict[str, str]]:
    """AtoM rows: each fonds and series once, then its files, each file followed by its items.

    Legacy ids are derived from the codes alone, so re-exporting a folder gives the same ids
    and AtoM's `--update=match-and-update` finds it again. Folders are grouped under their
    fonds and catalogue in the order first met, and keep the caller's order within them.
    Raises `InvalidInputError` listing every folder that lacks what AtoM needs.
    """
    _check_folders(folders)
    tree: dict[str, dict[str, list[CatalogueFolder]]] = {}
    for folder in folders:
        fonds = tree.setdefault(_text(folder.fonds_code), {})
        fonds.setdefault(_text(folder.catalogue_no), []).append(folder)
    rows: list[dict[str, str]] = []
    for fonds_code, catalogues in tree.items():
        members = [folder for group in catalogues.values() for folder in group]
        repository = _shared(members, "repository", "fonds " + fonds_code)
        rows.append(_fonds_row(fonds_code, members, repository))
        for catalogue_no, group in catalogues.items():
            parent = fonds_legacy_id(fonds_code)
            if catalogue_no:
                rows.append(_series_row(fonds_code, catalogue_no, group, repository))
                parent = series_legacy_id(fonds_code, catalogue_no)
            for folder in group:
                rows.append(_file_row(folder, parent, repository))
                rows.extend(
                    _item_row(folder, document, repository) for document in folder.documents
                )
    return rows


def write_atom_csv(folders: Sequence[CatalogueFolder], out: Path) -> Path:
    """Write the AtoM import CSV for `folders` to `out` (every `ATOM_COLUMNS`, in order)."""
    rows = atom_rows(folders)
    _write_csv_atomically(out, ATOM_COLUMNS, rows, for_spreadsheets=True)
    return out


def _fonds_row(
    fonds_code: str, members: Sequence[CatalogueFolder], repository: str
) -> dict[str, str]:
    title = _shared(members, "fonds_title", "fonds " + fonds_code) or f"Phông {fonds_code}"
    return _row(
        legacyId=fonds_legacy_id(fonds_code),
        identifier=fonds_code,
        title=title,
        levelOfDescription=LEVEL_FONDS,
        repository=repository,
    )


def _series_row(
    fonds_code: str, catalogue_no: str, group: Sequence[CatalogueFolder], repository: str
) -> dict[str, str]:
    where = _(
        "catalogue %(catalogue_no)s of fonds %(fonds_code)s",
        catalogue_no=catalogue_no,
        fonds_code=fonds_code,
    )
    title = _shared(group, "series_title", where) or f"Mục lục số {catalogue_no}"
    return _row(
        legacyId=series_legacy_id(fonds_code, catalogue_no),
        parentId=fonds_legacy_id(fonds_code),
        identifier=catalogue_no,
        title=title,
        levelOfDescription=LEVEL_SERIES,
        repository=repository,
    )


def _file_row(folder: CatalogueFolder, parent: str, repository: str) -> dict[str, str]:
    assert folder.start_date is not None and folder.end_date is not None  # checked before
    codes, unknown = _languages(folder.language)
    box_no, folder_no = _text(folder.box_no), _text(folder.folder_no)
    # The box is a physical container, not a level (standards.md 3.5). AtoM reuses a
    # container with the same name and location, and "Hộp 12" recurs in every fonds, so
    # the location names the fonds and catalogue the box is shelved under.
    container = ", ".join(_reference_parts(folder)[:2])
    return _row(
        legacyId=file_legacy_id(folder.folder_id),
        parentId=parent,
        identifier=folder.folder_id,
        title=folder.title,
        levelOfDescription=LEVEL_FILE,
        extentAndMedium=_extent(folder),
        repository=repository,
        # Retention (thời hạn bảo quản) is a disposal schedule: ISAD(G) 3.3.2 "Appraisal,
        # destruction and scheduling information" is the element for it, not the custodial
        # history of 3.2.3 (archivalHistory).
        appraisal=f"Thời hạn bảo quản: {retention_label(folder.retention_years)}.",
        accessConditions=_access_conditions(folder),
        reproductionConditions=_reproduction_conditions(folder),
        language=MULTI_VALUE_SEPARATOR.join(codes),
        languageNote=f"Ngôn ngữ: {', '.join(unknown)}." if unknown else "",
        physicalCharacteristics=folder.physical_condition,
        digitalObjectPath="" if _is_url(folder.pdf_path) else folder.pdf_path,
        digitalObjectURI=folder.pdf_path if _is_url(folder.pdf_path) else "",
        # Ghi chú holds remarks such as "Thiếu tờ số 3": an ISAD(G) 3.6.1 note, not the
        # scope and content of the folder (its title says what it is about).
        generalNote=folder.notes,
        publicationStatus=_publication_status(folder),
        physicalObjectName=_single(f"Hộp {box_no}") if box_no else "",
        physicalObjectLocation=_single(container) if box_no else "",
        physicalObjectType="Box" if box_no else "",
        alternativeIdentifiers=_pipe(box_no, folder_no),
        alternativeIdentifierLabels=_pipe(
            "Hộp số" if box_no else "", "Hồ sơ số" if folder_no else ""
        ),
        eventDates=_display_range(folder.start_date, folder.end_date),
        eventTypes=EVENT_CREATION,
        eventStartDates=folder.start_date.isoformat(),
        eventEndDates=folder.end_date.isoformat(),
        eventActors=_single(folder.creator),
    )


def _item_row(
    folder: CatalogueFolder, document: CatalogueDocument, repository: str
) -> dict[str, str]:
    dated = document.date is not None
    day = document.date.isoformat() if document.date else ""
    # Mã lưu trữ tài liệu = mã hồ sơ . số thứ tự văn bản (standards.md 5.3). The item's
    # identifier is what the document prints (số, ký hiệu), as catalogues cite it; the
    # archival code, always present, stays as an alternative identifier.
    code = f"{_text(folder.folder_id)}.{document.number}"
    number_symbol = _text(document.number_symbol)
    # A document is at least as secret as its folder, and may be more.
    secrecy = auth.higher_level(_text(folder.secrecy), _text(document.secrecy))
    conditions = replace(folder, secrecy=secrecy)
    codes, unknown = _languages(document.language or folder.language)
    return _row(
        legacyId=item_legacy_id(folder.folder_id, document.number),
        parentId=file_legacy_id(folder.folder_id),
        identifier=number_symbol or code,
        title=document.title,
        levelOfDescription=LEVEL_ITEM,
        extentAndMedium=f"{document.pages} trang" if document.pages else "",
        repository=repository,
        scopeAndContent=_document_sentence(document),
        accessConditions=_access_conditions(conditions),
        reproductionConditions=_reproduction_conditions(conditions),
        language=MULTI_VALUE_SEPARATOR.join(codes),
        languageNote=f"Ngôn ngữ: {', '.join(unknown)}." if unknown else "",
        digitalObjectPath="" if _is_url(document.pdf_path) else document.pdf_path,
        digitalObjectURI=document.pdf_path if _is_url(document.pdf_path) else "",
        publicationStatus=_publication_status(conditions),
        alternativeIdentifiers=_single(code) if number_symbol else "",
        alternativeIdentifierLabels="Mã lưu trữ tài liệu" if number_symbol else "",
        eventDates=_display_range(document.date, document.date) if document.date else "",
        eventTypes=EVENT_CREATION if dated or _text(document.creator) else "",
        eventStartDates=day,
        eventEndDates=day,
        eventActors=_single(document.creator),
    )


def _document_sentence(document: CatalogueDocument) -> str:
    """ "Quyết định số 12/QĐ-UBND ngày 05/03/2019 của Ủy ban nhân dân tỉnh …": how a
    catalogue card names a văn bản, from what was read."""
    parts = [_text(document.document_type).capitalize()]
    if _text(document.number_symbol):
        parts.append(f"số {_text(document.number_symbol)}")
    if document.date is not None:
        parts.append(f"ngày {document.date.strftime('%d/%m/%Y')}")
    if _text(document.creator):
        parts.append(f"của {_text(document.creator)}")
    return " ".join(p for p in parts if p)


def _row(**values: str) -> dict[str, str]:
    """A full AtoM row: every column present, "" where empty, the description in Vietnamese."""
    unknown = set(values) - set(ATOM_COLUMNS)
    assert not unknown, f"not AtoM columns: {sorted(unknown)}"
    values.setdefault("languageOfDescription", CULTURE)
    values.setdefault("scriptOfDescription", "Latn")  # chữ Quốc ngữ, ISO 15924
    values["culture"] = CULTURE
    return {column: _text(values.get(column, "")) for column in ATOM_COLUMNS}


def _check_folders(folders: Sequence[CatalogueFolder]) -> None:
    """Every problem of every folder at once, so one export attempt shows all fixes needed."""
    problems: list[str] = []
    seen: dict[str, str] = {}
    for index, folder in enumerate(folders, start=1):
        name = (
            _("folder %(folder_id)r", folder_id=_text(folder.folder_id))
            if _text(folder.folder_id)
            else f"#{index}"
        )
        missing = [
            label
            for label, value in (
                ("folder_id", folder.folder_id),
                ("fonds_code", folder.fonds_code),
                ("title", folder.title),
                ("pdf_path", folder.pdf_path),
            )
            if not _text(value)
        ]
        missing += [
            label
            for label, day in (("start_date", folder.start_date), ("end_date", folder.end_date))
            if day is None
        ]
        if missing:
            problems.append(_("%(name)s: missing %(fields)s", name=name, fields=", ".join(missing)))
        if folder.start_date and folder.end_date and folder.start_date > folder.end_date:
            problems.append(
                _(
                    "%(name)s: start_date %(start_date)s is after end_date",
                    name=name,
                    start_date=folder.start_date,
                )
            )
        if folder.pages < 1:
            problems.append(
                _(
                    "%(name)s: pages must be at least 1 (the exported PDF), not %(pages)s",
                    name=name,
                    pages=folder.pages,
                )
            )
        if _text(folder.secrecy) and _text(folder.secrecy) not in SECRECY_LEVELS:
            problems.append(
                _(
                    "%(name)s: secrecy %(secrecy)r is not one of %(levels)s",
                    name=name,
                    secrecy=folder.secrecy,
                    levels=", ".join(SECRECY_LEVELS),
                )
            )
        key = _text(folder.folder_id).casefold()
        if key and key in seen:
            problems.append(
                _("%(name)s: folder_id repeats %(folder_id)r", name=name, folder_id=seen[key])
            )
        seen.setdefault(key, _text(folder.folder_id))
        numbers: set[int] = set()
        for document in folder.documents:
            if document.number < 1 or document.number in numbers:
                problems.append(
                    _(
                        "%(name)s: document number %(number)s is not new and >= 1",
                        name=name,
                        number=document.number,
                    )
                )
            numbers.add(document.number)
            if not _text(document.title):
                problems.append(
                    _(
                        "%(name)s: document %(number)s is missing title",
                        name=name,
                        number=document.number,
                    )
                )
            if _text(document.secrecy) and _text(document.secrecy) not in SECRECY_LEVELS:
                problems.append(
                    _(
                        "%(name)s: document %(number)s secrecy %(secrecy)r is not one of "
                        "%(levels)s",
                        name=name,
                        number=document.number,
                        secrecy=document.secrecy,
                        levels=", ".join(SECRECY_LEVELS),
                    )
                )
    if problems:
        raise InvalidInputError(
            _("Cannot write the AtoM import:") + "\n" + "\n".join(f"  - {p}" for p in problems)
        )


def _shared(folders: Iterable[CatalogueFolder], field: str, where: str) -> str:
    """The one non-empty value folders give for a higher level; two different ones conflict."""
    values: dict[str, str] = {}
    for folder in folders:
        value = _text(getattr(folder, field))
        if value:
            values.setdefault(value, _text(folder.folder_id))
    if len(values) > 1:
        shown = "; ".join(
            _("%(value)r (folder %(folder_id)r)", value=v, folder_id=f) for v, f in values.items()
        )
        raise InvalidInputError(
            _(
                "Folders of %(where)s give different %(field)s values: %(shown)s",
                where=where,
                field=field,
                shown=shown,
            )
        )
    return next(iter(values), "")


def _extent(folder: CatalogueFolder) -> str:
    sheets = f"{folder.sheet_count} tờ; " if folder.sheet_count is not None else ""
    return f"{sheets}{folder.pages} trang số hóa (PDF/A)"


def _access_conditions(folder: CatalogueFolder) -> str:
    """Chế độ sử dụng and độ mật as one sentence: AtoM has a single ISAD(G) 3.4.1 field."""
    parts = []
    if _text(folder.access):
        parts.append(f"Chế độ sử dụng: {_text(folder.access)}.")
    if _text(folder.secrecy):
        parts.append(f"Độ mật: {_text(folder.secrecy)} — chỉ người được cấp quyền tiếp cận.")
    return " ".join(parts)


def _reproduction_conditions(folder: CatalogueFolder) -> str:
    # Copying state-secret records needs the competent person's permission (Luật Bảo vệ bí
    # mật nhà nước 2018); nothing is known of other restrictions, so nothing is claimed.
    if not _text(folder.secrecy):
        return ""
    return "Sao, chụp tài liệu mật phải được người có thẩm quyền cho phép."


def _publication_status(folder: CatalogueFolder) -> str:
    # Classified folders are imported as Draft whatever the site's default, so an import
    # never publishes them; the others follow the AtoM site's default.
    return "Draft" if _text(folder.secrecy) else ""


def _reference_parts(folder: CatalogueFolder) -> list[str]:
    """Phông, mục lục, hộp, hồ sơ as the PDF's dc:source writes them (station.room.assembly)."""
    return [
        part
        for part in (
            f"Phông {_text(folder.fonds_code)}" if _text(folder.fonds_code) else "",
            f"Mục lục {_text(folder.catalogue_no)}" if _text(folder.catalogue_no) else "",
            f"Hộp {_text(folder.box_no)}" if _text(folder.box_no) else "",
            f"Hồ sơ {_text(folder.folder_no)}" if _text(folder.folder_no) else "",
        )
        if part
    ]


def _display_range(start: datetime.date | None, end: datetime.date | None) -> str:
    """Dates as Vietnamese archivists write them, no more precise than the manifest was.

    The manifest turns "2019" into 1 January-31 December and "03/2019" into a whole month;
    showing those as "2019" and "03/2019" keeps the display honest, while the ISO start
    and end columns carry the exact range.
    """
    if start is None or end is None:
        return ""
    if (start.month, start.day, end.month, end.day) == (1, 1, 12, 31):
        years = (str(start.year), str(end.year))
    elif start.day == 1 and _is_month_end(end):
        years = (f"{start.month:02d}/{start.year}", f"{end.month:02d}/{end.year}")
    else:
        years = (start.strftime("%d/%m/%Y"), end.strftime("%d/%m/%Y"))
    return years[0] if years[0] == years[1] else f"{years[0]} - {years[1]}"


def _is_month_end(day: datetime.date) -> bool:
    return (day + datetime.timedelta(days=1)).day == 1


def _languages(language: str) -> tuple[list[str], list[str]]:
    """ISO 639-1 codes for a manifest's language text, and the languages that have none.

    AtoM's validator rejects anything but ISO 639-1 in `language`, so a language it cannot
    name (Hán Nôm, say) is kept as written, for `languageNote`, instead of being dropped.
    """
    codes: list[str] = []
    unknown: list[str] = []
    for token in _LANGUAGE_SPLIT.split(_text(language)):
        if not token:
            continue
        key = token.casefold()
        code = _LANGUAGES.get(key) or _LANGUAGES.get(re.split(r"[-_]", key)[0])
        if code:
            if code not in codes:
                codes.append(code)
        else:
            unknown.append(token)
    return codes, unknown


def _is_url(path: str) -> bool:
    # AtoM loads digitalObjectPath from its own disk and digitalObjectURI over HTTP
    # (standards.md 3.7), so a URL given by the caller must go to the URI column.
    return bool(_URL.match(_text(path)))


def _single(value: str) -> str:
    """One value of a column AtoM splits on "|": a "|" inside would make two."""
    return _text(value).replace(MULTI_VALUE_SEPARATOR, "/")


def _pipe(*values: str) -> str:
    return MULTI_VALUE_SEPARATOR.join(_single(v) for v in values if _text(v))


# --- Archivematica --------------------------------------------------------------------------


def archivematica_rows(files: Sequence[tuple[str, CatalogueFolder]]) -> list[dict[str, str]]:
    """metadata.csv rows for (path relative to the transfer root, folder) pairs.

    A path may name the folder's PDF or a directory of its files; either way it must sit
    under `objects/` (`data/` when the transfer is a bag), as Archivematica matches it
    against the transfer's content.
    """
    rows = []
    for path, folder in files:
        codes, unknown = _languages(folder.language)
        start, end = folder.start_date, folder.end_date
        description = (
            _extent(folder) + "." + (f" {_text(folder.notes)}" if _text(folder.notes) else "")
        )
        row = {
            "filename": _transfer_path(path),
            "dc.title": folder.title,
            "dc.identifier": folder.folder_id,
            "dc.date": _iso_range(start, end),
            "dc.creator": folder.creator,
            "dc.language": "; ".join(codes + unknown),
            "dc.rights": _access_conditions(folder),
            "dc.source": ", ".join(_reference_parts(folder)),
            "dc.type": "Text",  # DCMI Type Vocabulary
            "dc.format": "application/pdf",
            "dc.description": description,
            "dcterms.isPartOf": ", ".join(_reference_parts(folder)[:2]),
            "fonds_code": folder.fonds_code,
            "catalogue_no": folder.catalogue_no,
            "box_no": folder.box_no,
            "folder_no": folder.folder_no,
            "retention": retention_label(folder.retention_years),
            "secrecy": folder.secrecy,
            "sheet_count": "" if folder.sheet_count is None else str(folder.sheet_count),
            "pages": str(folder.pages),
            "physical_condition": folder.physical_condition,
        }
        rows.append({column: _text(row[column]) for column in ARCHIVEMATICA_COLUMNS})
    _check_unique_filenames(rows)
    return rows


def archivematica_document_rows(
    files: Sequence[tuple[str, CatalogueFolder, CatalogueDocument]],
) -> list[dict[str, str]]:
    """metadata.csv rows for documents' own PDFs: (path relative to the transfer root, the
    folder, the document). Each is described as the văn bản it is, and as part of its hồ sơ."""
    rows = []
    for path, folder, document in files:
        code = f"{_text(folder.folder_id)}.{document.number}"
        secrecy = auth.higher_level(_text(folder.secrecy), _text(document.secrecy))
        codes, unknown = _languages(document.language or folder.language)
        row = {
            "filename": _transfer_path(path),
            "dc.title": document.title,
            "dc.identifier": "; ".join(x for x in (code, _text(document.number_symbol)) if x),
            "dc.date": _iso_range(document.date, document.date),
            "dc.creator": document.creator,
            "dc.language": "; ".join(codes + unknown),
            "dc.rights": _access_conditions(replace(folder, secrecy=secrecy)),
            "dc.source": ", ".join(_reference_parts(folder)),
            "dc.type": "Text",
            "dc.format": "application/pdf",
            "dc.description": _document_sentence(document),
            "dcterms.isPartOf": f"{_text(folder.folder_id)}: {_text(folder.title)}",
            "fonds_code": folder.fonds_code,
            "catalogue_no": folder.catalogue_no,
            "box_no": folder.box_no,
            "folder_no": folder.folder_no,
            "retention": retention_label(folder.retention_years),
            "secrecy": secrecy,
            "sheet_count": "",
            "pages": str(document.pages) if document.pages else "",
            "physical_condition": folder.physical_condition,
        }
        rows.append({column: _text(row[column]) for column in ARCHIVEMATICA_COLUMNS})
    _check_unique_filenames(rows)
    return rows


def write_archivematica_csv(rows: list[dict[str, str]], out: Path) -> Path:
    """Write metadata.csv: `filename` first, then the known columns, then any extra ones.

    Rows may come from `archivematica_rows` or be extended by the caller; a column no row
    has is left out (Archivematica allows dropping empty columns), and each filename is
    checked again, since a path outside objects/ would be silently ignored on ingest.
    """
    keys = [key for row in rows for key in row]
    header = ["filename"]
    header += [c for c in ARCHIVEMATICA_COLUMNS if c != "filename" and c in keys]
    header += [c for c in dict.fromkeys(keys) if c not in header]
    checked = []
    for row in rows:
        if "filename" not in row:
            raise InvalidInputError(_("metadata.csv row without a filename: %(row)s", row=row))
        checked.append(
            {
                c: _transfer_path(row[c]) if c == "filename" else _text(row.get(c, ""))
                for c in header
            }
        )
    _check_unique_filenames(checked)
    _write_csv_atomically(out, header, checked, for_spreadsheets=False)
    return out


def _transfer_path(path: str) -> str:
    """A path relative to the transfer root, under objects/ (data/ in a bag), POSIX, checked."""
    text = _text(path)
    pure = PurePosixPath(text)
    if (
        not text
        or "\\" in text
        or pure.is_absolute()
        or ".." in pure.parts
        or not pure.parts
        or pure.parts[0] not in TRANSFER_ROOTS
        or len(pure.parts) < 2
    ):
        raise InvalidInputError(
            _(
                "metadata.csv filename %(path)r must be a relative path under objects/ (like "
                "objects/05-01-HS-12.pdf), or data/ in a bag (data/objects/05-01-HS-12.pdf)",
                path=path,
            )
        )
    return str(pure)


def _check_unique_filenames(rows: Iterable[dict[str, str]]) -> None:
    seen: set[str] = set()
    for row in rows:
        if row["filename"] in seen:
            raise InvalidInputError(_("metadata.csv describes %(row)r twice", row=row["filename"]))
        seen.add(row["filename"])


def _iso_range(start: datetime.date | None, end: datetime.date | None) -> str:
    """An ISO 8601 date or interval ("2019-03-05/2019-12-28"), as dc:date expects."""
    days = [day.isoformat() for day in (start, end) if day is not None]
    if len(days) == 2 and days[0] == days[1]:
        days = days[:1]
    return "/".join(days)


# --- writing ---------------------------------------------------------------------------------


def _text(value: object) -> str:
    """A cell value: text, NFC (Vietnamese typed on different systems compares equal), no CR."""
    if value is None:
        return ""
    text = value if isinstance(value, str) else str(value)
    return unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n")).strip()


def _write_csv_atomically(
    out: Path, header: Sequence[str], rows: Sequence[dict[str, str]], *, for_spreadsheets: bool
) -> None:
    """Write a UTF-8 (no BOM), LF, fully quoted-as-needed CSV, all at once or not at all;
    `for_spreadsheets`: cells that start like a formula escaped (station.spreadsheet)."""
    cell = csv_cell if for_spreadsheets else str

    def write(handle: TextIO) -> None:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        for row in rows:
            writer.writerow([cell(row.get(column, "")) for column in header])

    _replace_atomically(out, write)


def _replace_atomically(out: Path, write: Callable[[TextIO], None]) -> None:
    """A temporary file beside `out`, renamed over it once complete: readers (and an import
    started on the file) never see half a catalogue, and a failure leaves no file behind."""
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        with temporary_beside(out) as tmp:
            with tmp.open("w", encoding="utf-8", newline="") as handle:
                write(handle)
                handle.flush()
                os.fsync(handle.fileno())
            tmp.replace(out)
    except OSError as exc:
        raise OutputError(
            _("%(name)s: could not be written: %(exc)s", name=out.name, exc=exc)
        ) from exc
