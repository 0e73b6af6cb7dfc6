"""Export: approved folders leave the station as packages archive systems import as they are.

Formats:
- `bagit`: one BagIt 1.0 bag per folder (SHA-256 and SHA-512), its payload the folder's
  PDF/A, one PDF/A per document (văn bản) beside it named by archival code
  (`<folder>.<sequence>.pdf`), the masters byte for byte, the OCR text and hOCR per page,
  `metadata.json` (the folder's and every document's fields) and a `METS.xml` with Dublin
  Core for the folder and each document, the files, the pages in order, a logical map
  folder → documents → pages, and the PREMIS history (document extraction and every
  correction included);
- `archivematica`: a standard transfer per folder (`objects/`, `metadata/metadata.csv`,
  `metadata/checksum.sha256`, `metadata/submissionDocumentation/`), or that transfer as a
  zipped bag;
- `atom-csv`: one AtoM information-object CSV (fonds, series, file, and an item per
  document) for all the folders, with their PDFs and the documents' PDFs beside it.

Signed (`sign`, or the signing_required setting): every PDF/A of a package carries the
digitizing body's PAdES signature (station.export.signing), made before anything is copied
or checksummed, with a PREMIS `digital signature generation` event each.

Two promises:
- atomic: a package is built in a hidden `.partial-*` folder beside its place and renamed
  into place only when complete; an export killed half-way leaves no package (and the
  next export clears the leftovers);
- repeatable: what goes into a package is fixed by the folder's content (an input digest of
  its pages, decisions and metadata). Exporting an unchanged folder again gives the same
  bytes (the folder's PDF/A is built once per version and kept in the data directory, and
  every date written is the version's); a changed folder gives a new version, `<name>.v2`,
  and never overwrites the old one.
"""

from __future__ import annotations

import csv
import hashlib
import json
import secrets
import shutil
import zipfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from functools import partial
from pathlib import Path, PurePosixPath
from typing import Any

import pikepdf

from station import __version__, auth, manifest, tools
from station.documents import records
from station.documents.model import FIELDS
from station.errors import (
    ConfigError,
    ConflictError,
    InvalidInputError,
    NotFoundError,
    OutputError,
)
from station.export import catalogue, mets, signatures, signing
from station.i18n import N_, _
from station.pipeline import pdfa
from station.profiles import ScanProfile, load_profile
from station.review import rules
from station.room import assembly
from station.settings import StationSettings
from station.store import Document, Event, Folder, Page, Store, User

FORMATS = ("bagit", "archivematica", "atom-csv")
PARTIAL_PREFIX = ".partial-"
CHECKSUMS = ("sha256", "sha512")
ORGANIZATION_DEFAULT = "station"


@dataclass(frozen=True)
class ExportResult:
    """One package (or AtoM import) written, or found already written and unchanged."""

    folder_ids: tuple[str, ...]
    format: str
    path: Path
    version: int
    unchanged: bool
    pages: int
    bytes: int


ProgressHook = Callable[[str], None]


# --- what goes into a package -----------------------------------------------------------------


@dataclass(frozen=True)
class PagePart:
    """One page of the folder as exported."""

    page: Page
    position: int  # 1-based, review order, separators left out
    in_pdf: bool  # False for a page confirmed blank


@dataclass(frozen=True)
class DocumentPart:
    """One document (văn bản) of the folder as exported: its record and its pages."""

    document: Document
    positions: tuple[int, ...]  # its pages' positions in the folder, in order
    pdf_pages: tuple[Page, ...]  # those of its pages that go into PDFs, in order

    @property
    def sequence(self) -> int:
        return self.document.sequence

    @property
    def code(self) -> str:
        return records.archival_code(self.document.folder_id, self.document.sequence)

    @property
    def file_name(self) -> str:
        return records.pdf_file_name(self.document.folder_id, self.document.sequence)


@dataclass
class FolderExport:
    """Everything an approved folder's package is made from, gathered once."""

    folder: Folder
    parts: list[PagePart]
    digest: str  # of everything below: the same digest gives the same package
    documents: list[DocumentPart] = field(default_factory=list)
    version: int = 0
    version_date: datetime = field(default_factory=lambda: datetime.now(UTC))

    @property
    def file_name(self) -> str:
        return manifest.file_name(self.folder.folder_id)

    @property
    def package_name(self) -> str:
        return self.file_name if self.version <= 1 else f"{self.file_name}.v{self.version}"


def _check_documents(store: Store, folder: Folder, settings: StationSettings) -> None:
    """A folder leaves only when every document's unsure fields were checked by someone."""
    limit = rules.document_threshold(folder, settings.profiles_dir)
    waiting = [
        (d, records.needs_confirmation(d, limit))
        for d in store.documents_of_folder(folder.folder_id)
    ]
    named = [
        f"{records.archival_code(d.folder_id, d.sequence)} ({', '.join(fields)})"
        for d, fields in waiting
        if fields
    ]
    if named:
        raise ConflictError(
            _(
                "Folder %(folder_id)s has documents with unconfirmed fields: %(items)s. "
                "Confirm "
                "them before export",
                folder_id=folder.folder_id,
                items="; ".join(named[:10]),
            )
        )


def gather(store: Store, user: User, folder_id: str) -> FolderExport:
    """An approved folder the user may export, with its pages; refused with the reason."""
    rules.require_role(user, "archivist", N_("exporting"))
    folder = rules.find_folder_by_archival_id(store, user, folder_id)
    if folder.approved_at is None:
        raise ConflictError(
            _(
                "Folder %(folder_id)s is not approved (review state: %(review_state)s); only "
                "approved folders export",
                folder_id=folder.folder_id,
                review_state=folder.review_state,
            )
        )
    pages = store.folder_pages(folder.folder_id)
    if rules.visible_pages(user, folder, pages) != pages:
        raise NotFoundError(
            _("No folder %(folder_id)r", folder_id=folder_id)
        )  # pages above the user's clearance
    kept = [p for p in pages if p.separator is None]
    unmade = [p for p in kept if p.decision == "approve" and not _has_pdf(p)]
    if unmade:
        raise ConflictError(
            _(
                "Folder %(folder_id)s: page %(position)s (%(source_file)s) has no page PDF to "
                "export; reject it for a rescan",
                folder_id=folder.folder_id,
                position=unmade[0].position,
                source_file=unmade[0].source_file,
            )
        )
    parts = [
        PagePart(page, position, in_pdf=page.decision == "approve")
        for position, page in enumerate(kept, start=1)
    ]
    documents = _documents(store.documents_of_folder(folder.folder_id), parts)
    return FolderExport(folder, parts, _input_digest(folder, parts, documents), documents)


def _documents(documents: Sequence[Document], parts: Sequence[PagePart]) -> list[DocumentPart]:
    """The folder's documents with their exported pages (a page points to its document)."""
    members: dict[int, list[PagePart]] = {}
    for part in parts:
        if part.page.document_id is not None:
            members.setdefault(part.page.document_id, []).append(part)
    return [
        DocumentPart(
            document,
            tuple(p.position for p in members.get(document.id or 0, [])),
            tuple(p.page for p in members.get(document.id or 0, []) if p.in_pdf),
        )
        for document in sorted(documents, key=lambda d: d.sequence)
    ]


def _has_pdf(page: Page) -> bool:
    made = page.derivatives.get("pdf")
    return bool(made) and Path(made or "").is_file()


def _input_digest(
    folder: Folder, parts: list[PagePart], documents: Sequence[DocumentPart] = ()
) -> str:
    facts: dict[str, Any] = {
        "folder": rules.folder_fields(folder),
        "approved": [folder.approved_by, folder.approved_at],
        "pages": [
            [p.page.id, p.page.sha256, p.page.page_index, p.page.turn, p.page.decision,
             p.page.secrecy, p.in_pdf]
            for p in parts
        ],
    }  # fmt: skip
    if documents:  # a folder without documents keeps the digest it had before they existed
        facts["documents"] = [
            [d.document.id, d.sequence, d.document.fields, d.document.secrecy, d.document.state,
             d.document.confirmed_by, d.positions]
            for d in documents
        ]  # fmt: skip
    return hashlib.sha256(json.dumps(facts, default=str, sort_keys=True).encode()).hexdigest()


# --- the folder's PDF/A, built once per version ---------------------------------------------


def folder_pdf(settings: StationSettings, export: FolderExport, store: Store) -> Path:
    """The folder's PDF/A from its approved pages in review order, each turned as the
    reviewer turned it; kept in the data directory, so a repeated export reuses the bytes."""
    cached = settings.data_dir / "exports" / export.file_name / f"{export.digest[:20]}.pdf"
    if cached.is_file():
        return cached
    pages = [p.page for p in export.parts if p.in_pdf]
    if not pages:
        raise ConflictError(
            _(
                "Folder %(folder_id)s has no approved page to export",
                folder_id=export.folder.folder_id,
            )
        )
    _build_pdf(
        settings,
        store,
        pages,
        cached,
        lambda profile: assembly.folder_metadata(
            export.folder, len(pages), profile, export.version_date, tools.ocr_engine_version()
        ),
    )
    return cached


def document_pdfs(settings: StationSettings, export: FolderExport, store: Store) -> dict[int, Path]:
    """Each document's PDF/A (sequence -> path), built from its approved pages as reviewed,
    with its own XMP (trích yếu, archival code and số/ký hiệu, date, issuer); kept beside
    the folder's PDF in the data directory, so a repeated export reuses the bytes. The PDFs
    written while processing are not used: review may have changed fields or pages since."""
    made: dict[int, Path] = {}
    folder_dir = settings.data_dir / "exports" / export.file_name
    for part in export.documents:
        if not part.pdf_pages:
            continue  # every page left out as blank: the document has no PDF of its own
        cached = folder_dir / f"{export.digest[:20]}.{part.sequence}.pdf"
        if not cached.is_file():
            metadata = partial(_document_metadata, export, part)
            _build_pdf(settings, store, list(part.pdf_pages), cached, metadata)
        made[part.sequence] = cached
    return made


def _document_metadata(
    export: FolderExport, part: DocumentPart, _profile: ScanProfile
) -> pdfa.DocumentMetadata:
    producer = assembly.producer(tools.ocr_engine_version())
    pages = len(part.pdf_pages)
    return records.pdf_metadata(part.document, export.folder, pages, producer, export.version_date)


def _build_pdf(
    settings: StationSettings,
    store: Store,
    pages: list[Page],
    target: Path,
    metadata: Callable[[ScanProfile], pdfa.DocumentMetadata],
) -> None:
    """A PDF/A at `target` from these pages' PDFs, each turned as the reviewer turned it,
    in the flavour of the profile they were scanned with."""
    target.parent.mkdir(parents=True, exist_ok=True)
    _clear_partials(target.parent)
    turned_dir = target.parent / f"{PARTIAL_PREFIX}{secrets.token_hex(4)}"
    turned_dir.mkdir()
    try:
        sources = [_turned(page, turned_dir) for page in pages]
        batch = store.get_batch(pages[0].batch_id)
        assert batch is not None
        profile = load_profile(batch.profile, settings.profiles_dir)
        pdfa.assemble_pdfa(sources, target, metadata(profile), pdfa=profile.pdf.pdfa)
    finally:
        shutil.rmtree(turned_dir, ignore_errors=True)


def _turned(page: Page, scratch: Path) -> Path:
    source = Path(page.derivatives.get("pdf", ""))
    if not source.is_file():
        raise OutputError(
            _(
                "Page %(id)s (%(source_file)s) has no page PDF to export",
                id=page.id,
                source_file=page.source_file,
            )
        )
    if page.turn % 360 == 0:
        return source
    target = scratch / f"{page.id}.pdf"
    with pikepdf.open(source) as one:
        one.pages[0].rotate(page.turn % 360, relative=True)
        one.save(target, deterministic_id=True)
    return target


# --- versions -------------------------------------------------------------------------------


def fix_version(store: Store, export: FolderExport, user: User) -> None:
    """Give the export its version: the same one (and date) as before for the same content."""
    version, created = store.export_version(export.folder.folder_id, export.digest, user.username)
    export.version = version
    export.version_date = created if created.tzinfo else created.replace(tzinfo=UTC)


# --- writing --------------------------------------------------------------------------------


def export_folders(
    store: Store,
    settings: StationSettings,
    user: User,
    folder_ids: Sequence[str],
    fmt: str,
    out_dir: Path,
    *,
    zipped: bool = False,
    sign: bool = False,
    progress: ProgressHook = lambda message: None,
) -> list[ExportResult]:
    """Export these folders (all approved) in one format; everything is checked first.
    With `sign` (or signing_required) every PDF/A is signed by the configured signer, opened
    once for the run (a token allows one session), the files signed in sequence."""
    sign = sign or settings.signing_required
    if sign and not settings.signing_configured:
        raise ConfigError(
            _(
                "Signing is mandatory (signing_required) but no signer is configured: set "
                "signing_p12 (STATION_SIGNING_P12) or signing_pkcs11_module "
                "(STATION_SIGNING_PKCS11_MODULE); `station signing check` tests it"
            )
            if settings.signing_required
            else _(
                "--sign asked for a signature but no signer is configured: set signing_p12 "
                "(STATION_SIGNING_P12) or signing_pkcs11_module (STATION_SIGNING_PKCS11_MODULE); "
                "`station signing check` tests it"
            )
        )  # fmt: skip
    if fmt not in FORMATS:
        raise InvalidInputError(
            _(
                "Unknown export format %(fmt)r: use one of %(formats)s",
                fmt=fmt,
                formats=", ".join(FORMATS),
            )
        )
    if not folder_ids:
        raise InvalidInputError(_("No folders to export: name them, or ask for every approved one"))
    exports = [gather(store, user, folder_id) for folder_id in folder_ids]
    for export in exports:
        _check_documents(store, export.folder, settings)
    out_dir.mkdir(parents=True, exist_ok=True)
    _clear_partials(out_dir)
    for export in exports:
        fix_version(store, export, user)
    results: list[ExportResult] = []
    with ExitStack() as stack:
        signer = stack.enter_context(signing.open_signing(settings)) if sign else None
        if fmt == "atom-csv":
            results.append(_atom_export(store, settings, user, exports, out_dir, progress, signer))
        else:
            for export in exports:
                progress(f"{export.folder.folder_id}: {fmt}")
                results.append(
                    _folder_package(
                        store, settings, user, export, fmt, out_dir,
                        zipped=zipped, signer=signer, progress=progress,
                    )
                )  # fmt: skip
    store.add_events(
        [
            Event(
                folder_id=folder_id,
                stage="export",
                outcome="unchanged" if result.unchanged else "ok",
                agent=user.username,
                detail={"format": fmt, "path": str(result.path), "version": result.version},
                tool="station",
                tool_version=__version__,
            )
            for result in results
            for folder_id in result.folder_ids
        ]
    )
    return results


def approved_folder_ids(store: Store, user: User) -> list[str]:
    """`--approved`: every approved folder the user's clearance reaches, in shelf order."""
    _, folders = store.review_queue(
        states=("approved",), secrecy_levels=auth.visible_levels(user.clearance)
    )
    return [f.folder_id for f in folders]


def _clear_partials(out_dir: Path) -> None:
    """What a killed export left behind is never a package: remove it."""
    for leftover in out_dir.glob(f"{PARTIAL_PREFIX}*"):
        if leftover.is_dir():
            shutil.rmtree(leftover, ignore_errors=True)
        else:
            leftover.unlink(missing_ok=True)


@contextmanager
def _staging(out_dir: Path, final: Path) -> Iterator[Path]:
    """A hidden folder beside the package's place: what the caller builds in it goes into
    place in one rename once complete (a folder package: the folder itself; a zip: the zip
    file it leaves at `staging / final.name`)."""
    staging = out_dir / f"{PARTIAL_PREFIX}{final.name}-{secrets.token_hex(4)}"
    staging.mkdir()
    try:
        yield staging
        single = staging / final.name
        (single if single.is_file() else staging).replace(final)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _folder_package(
    store: Store,
    settings: StationSettings,
    user: User,
    export: FolderExport,
    fmt: str,
    out_dir: Path,
    *,
    zipped: bool,
    signer: signing.Signing | None = None,
    progress: ProgressHook = lambda message: None,
) -> ExportResult:
    suffix = ".zip" if zipped and fmt == "archivematica" else ""
    final = out_dir / f"{export.package_name}{suffix}"
    pages = sum(1 for p in export.parts if p.in_pdf)
    if final.exists():
        found = _package_kind(final)
        if found != fmt:
            raise ConflictError(
                _(
                    "%(final)s already holds the %(found)s package of folder %(folder_id)s; "
                    "export the %(fmt)s package into another folder",
                    final=final,
                    found=found,
                    folder_id=export.folder.folder_id,
                    fmt=fmt,
                )
            )
        if signer is not None and not _package_signed(final):
            raise ConflictError(
                _(
                    "%(final)s holds the unsigned package of folder %(folder_id)s; export the "
                    "signed package into another folder",
                    final=final,
                    folder_id=export.folder.folder_id,
                )
            )
        return ExportResult(
            (export.folder.folder_id,), fmt, final, export.version, True, pages, _size(final)
        )
    pdfs = _Pdfs(folder_pdf(settings, export, store), document_pdfs(settings, export, store))
    if signer is not None:
        pdfs = _signed(pdfs, signer, export, progress)
    with _staging(out_dir, final) as staging:
        if fmt == "bagit":
            _write_bag(store, settings, user, export, pdfs, staging)
        elif zipped:
            bag = staging / export.package_name
            bag.mkdir()
            _write_transfer(store, settings, user, export, pdfs, bag, in_bag=True)
            _bag(bag, export, settings)
            _zip_directory(bag, staging / final.name)
        else:
            _write_transfer(store, settings, user, export, pdfs, staging, in_bag=False)
    return ExportResult(
        (export.folder.folder_id,), fmt, final, export.version, False, pages, _size(final)
    )


def _package_kind(path: Path) -> str:
    """Which format a package already in place was written as."""
    if path.is_file() or not (path / "bagit.txt").is_file():
        return "archivematica"  # a zipped bag or a plain transfer
    return "archivematica" if (path / "data" / "objects").is_dir() else "bagit"


def _size(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


# --- payload ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Pdfs:
    """The PDF/As a package carries: the folder's, and each document's by sequence."""

    folder: Path
    documents: dict[int, Path]
    signed: bool = False


def _signed(
    pdfs: _Pdfs, signer: signing.Signing, export: FolderExport, progress: ProgressHook
) -> _Pdfs:
    """The package's PDF/As signed, one after the other, before anything is copied or
    checksummed (the bag's manifests are computed from the signed files)."""
    files = [pdfs.folder, *pdfs.documents.values()]
    signed: dict[Path, Path] = {}
    for number, path in enumerate(files, start=1):
        progress(f"{export.folder.folder_id}: signing PDF/A {number}/{len(files)}")
        signed[path] = signer.signed(path)
    documents = {sequence: signed[path] for sequence, path in pdfs.documents.items()}
    return _Pdfs(signed[pdfs.folder], documents, signed=True)


def _package_signed(package: Path) -> bool:
    """Whether a package already in place carries signed PDF/As (a zip: taken as signed)."""
    if package.is_file():
        return True
    found = _package_pdfs(package)
    return bool(found) and all(signatures.read_signatures(p) for p in found)


def _package_pdfs(package: Path) -> list[Path]:
    """The PDF/As a package carries (the folder's and its documents'), wherever the format
    puts them: a bag's data/, a transfer's objects/, an AtoM import's objects/."""
    places = (package / "data", package / "data" / "objects", package / "objects")
    return sorted(p for place in places for p in place.glob("*.pdf"))


@dataclass(frozen=True)
class _Payload:
    pdf: mets.PayloadFile
    pages: tuple[mets.PackagePage, ...]
    documents: dict[int, mets.PayloadFile]  # sequence -> the document's own PDF/A


def _write_payload(export: FolderExport, pdfs: _Pdfs, root: Path, prefix: str = "") -> _Payload:
    """PDF/As, masters, OCR text and hOCR under `root`; paths recorded relative to `root`
    with `prefix` (the payload's own view: "" in a bag's data/, "objects/" in a transfer).
    Each document's PDF/A sits beside the folder's, named by its archival code."""
    pdf_file = _put(pdfs.folder, root, f"{prefix}{export.file_name}.pdf", "application/pdf")
    documents = {
        part.sequence: _put(
            pdfs.documents[part.sequence], root, f"{prefix}{part.file_name}", "application/pdf"
        )
        for part in export.documents
        if part.sequence in pdfs.documents
    }
    masters: dict[str, mets.PayloadFile] = {}
    pages = []
    pdf_numbers = iter(range(1, len(export.parts) + 1))
    for part in export.parts:
        page = part.page
        name = PurePosixPath(page.source_file.replace("\\", "/")).name
        if page.sha256 not in masters:
            masters[page.sha256] = _put(
                Path(page.master_path),
                root,
                f"{prefix}masters/{part.position:04d}_{name}",
                _mime(name),
            )
        text = _put_derivative(page, "text", root, f"{prefix}text/{part.position:04d}.txt")
        hocr = _put_derivative(page, "hocr", root, f"{prefix}hocr/{part.position:04d}.hocr")
        pages.append(
            mets.PackagePage(
                position=part.position,
                label=f"Trang {part.position}",
                master=masters[page.sha256],
                text=text,
                hocr=hocr,
                pdf_page=next(pdf_numbers) if part.in_pdf else None,
                original_name=page.source_file,
            )
        )
    return _Payload(pdf_file, tuple(pages), documents)


_MIME = {".tif": "image/tiff", ".tiff": "image/tiff", ".png": "image/png", ".jpg": "image/jpeg",
         ".jpeg": "image/jpeg", ".txt": "text/plain", ".hocr": "text/html",
         ".pdf": "application/pdf"}  # fmt: skip


def _mime(name: str) -> str:
    return _MIME.get(Path(name).suffix.lower(), "application/octet-stream")


def _put(source: Path, root: Path, relative: str, mime: str) -> mets.PayloadFile:
    """Copy a file in byte for byte and describe it. Never a hard link: whatever is done to a
    package later must not reach master storage."""
    target = root / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, target)
    return mets.PayloadFile(relative, _sha256(target), target.stat().st_size, mime)


def _put_derivative(page: Page, kind: str, root: Path, relative: str) -> mets.PayloadFile | None:
    source = page.derivatives.get(kind)
    if not source or not Path(source).is_file():
        return None
    return _put(Path(source), root, relative, _mime(relative))


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


# --- metadata -----------------------------------------------------------------------------------


def metadata_json(export: FolderExport, payload: _Payload) -> bytes:
    """The folder's fields under their Vietnamese record-keeping names, with English keys."""
    folder = export.folder
    values = rules.folder_fields(folder) | {
        "retention": manifest.retention_label(folder.retention_years),
        "start_date": folder.start_date.isoformat() if folder.start_date else None,
        "end_date": folder.end_date.isoformat() if folder.end_date else None,
    }
    names = {f.english: f.vietnamese for f in manifest.FIELDS}
    record = {
        "folder": {
            key: {"vi": names.get(key, key), "value": value} for key, value in values.items()
        },
        "digitization": {
            "reliability": {"vi": "Mức độ tin cậy", "value": "Số hóa"},
            "pages": {"vi": "Số lượng trang", "value": len(payload.pages)},
            "pages_in_pdf": {"vi": "Số trang trong tệp PDF", "value": sum(
                1 for p in payload.pages if p.pdf_page)},
            "approved_by": {"vi": "Người duyệt", "value": folder.approved_by},
            "approved_at": {"vi": "Thời gian duyệt", "value": _iso(folder.approved_at)},
            "package_version": {"vi": "Phiên bản gói", "value": export.version},
        },
        "documents": [_document_json(export, part, payload) for part in export.documents],
        "files": {
            "pdf": payload.pdf.path,
            "pages": [
                {"position": p.position, "master": p.master.path, "original_name":
                 p.original_name, "text": p.text.path if p.text else None,
                 "hocr": p.hocr.path if p.hocr else None, "pdf_page": p.pdf_page}
                for p in payload.pages
            ],
        },
    }  # fmt: skip
    return (json.dumps(record, ensure_ascii=False, indent=2, default=str) + "\n").encode()


# What TT 02/2019 (now TT 05/2025) asks of a document's record beyond the fields read,
# under English keys with their Vietnamese names (standards.md 5.3).
_RECORD_NAMES = {
    "archival_code": "Mã lưu trữ tài liệu",
    "sequence": "Số thứ tự văn bản trong hồ sơ",
    "access": "Chế độ sử dụng",
    "reliability": "Mức độ tin cậy",
    "autograph": "Bút tích",
    "notes": "Ghi chú",
}


def _document_json(export: FolderExport, part: DocumentPart, payload: _Payload) -> dict[str, Any]:
    """One document's record: every field with its Vietnamese name, its value, how sure the
    reading was and who gave it (station or a reviewer), then where its pages and PDF are."""
    document = part.document
    fields: dict[str, Any] = {
        "archival_code": part.code,
        "sequence": part.sequence,
    }
    for name in FIELDS:
        reading = document.fields.get(name) or {}
        fields[name] = {
            "vi": FIELDS[name],
            "value": records.value(document, name),
            "confidence": round(records.confidence(document, name), 3),
            "source": reading.get("source") or "station",
        }
    fields["secrecy"]["value"] = document.secrecy or None  # the level in force
    fields["page_count"]["value"] = len(part.positions)
    secrecy = auth.higher_level(export.folder.secrecy, document.secrecy)
    access = "; ".join(x for x in (export.folder.access, secrecy) if x)
    extra = {
        "access": access or None,
        "reliability": "Số hóa",  # a digitized copy of the paper original
        "autograph": None,  # leaders' handwritten annotations are not read (yet)
        "notes": None,
    }
    record: dict[str, Any] = {
        key: {"vi": _RECORD_NAMES[key], "value": value}
        for key, value in {**{k: fields.pop(k) for k in ("archival_code", "sequence")}}.items()
    }
    record |= fields
    record |= {key: {"vi": _RECORD_NAMES[key], "value": value} for key, value in extra.items()}
    made = payload.documents.get(part.sequence)
    record["review"] = {
        "state": document.state,
        "confirmed_by": document.confirmed_by,
        "confirmed_at": _iso(document.confirmed_at),
        "flags": list(document.flags),
    }
    record["files"] = {"pdf": made.path if made else None, "pages": list(part.positions)}
    return record


def _iso(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).isoformat()


def dublin_core(folder: Folder) -> dict[str, list[str]]:
    reference = assembly.archival_reference(folder)
    coverage = (
        f"{folder.start_date.isoformat()}/{folder.end_date.isoformat()}"
        if folder.start_date and folder.end_date
        else ""
    )
    core = {
        "title": [folder.title],
        "identifier": [folder.folder_id],
        "date": [coverage] if coverage else [],
        "language": [folder.language or "vi"],
        "rights": [access_conditions(folder)],
        "source": [reference],
        "type": ["Text"],
        "format": ["application/pdf"],
        "description": [folder.notes] if folder.notes else [],
    }
    return {key: values for key, values in core.items() if any(values)}


def document_dublin_core(folder: Folder, part: DocumentPart) -> dict[str, list[str]]:
    """A document's Dublin Core: trích yếu, archival code and số/ký hiệu, date, issuer, type."""
    document = part.document
    number_symbol = records.value(document, "number_symbol") or ""
    secrecy = auth.higher_level(folder.secrecy, document.secrecy)
    core = {
        "title": [_document_title(part)],
        "identifier": [part.code, number_symbol],
        "date": [records.value(document, "issued_date") or ""],
        "creator": [records.value(document, "issuing_body") or ""],
        "type": [records.value(document, "document_type") or "", "Text"],
        "language": [records.value(document, "language") or folder.language or "vi"],
        "rights": [access_conditions(folder, secrecy)],
        "format": ["application/pdf"],
        "coverage": [records.value(document, "place") or ""],
        "dcterms.isPartOf": [f"{folder.folder_id}: {folder.title}"],
        "dcterms.extent": [f"{len(part.positions)} trang"],
    }
    return {key: [v for v in values if v] for key, values in core.items() if any(values)}


def _document_title(part: DocumentPart) -> str:
    document = part.document
    summary = records.value(document, "summary") or ""
    kind = records.value(document, "document_type") or ""
    number_symbol = records.value(document, "number_symbol") or ""
    return summary or " ".join(x for x in (kind, number_symbol) if x) or part.code


def _document_label(part: DocumentPart) -> str:
    return f"{part.code}: {_document_title(part)}"


def access_conditions(folder: Folder, secrecy: str | None = None) -> str:
    """Access regime and secrecy, in the words archivists use."""
    level = folder.secrecy if secrecy is None else secrecy
    parts = [f"Chế độ sử dụng: {folder.access}" if folder.access else ""]
    if level:
        parts.append(
            f"Độ mật: {level}. Chỉ người được cấp quyền tiếp cận tài liệu {level} được khai thác"
        )
    return ". ".join(p for p in parts if p) or "Chế độ sử dụng: chưa xác định"


def premis_history(
    store: Store,
    export: FolderExport,
    user: User,
    signed: Sequence[tuple[int | None, signatures.Signature]] = (),
) -> tuple[tuple[mets.PackageEvent, ...], tuple[mets.PackageAgent, ...]]:
    """The PREMIS events of the folder and its pages, from the station's own event log; and
    the signature of each signed PDF/A (None: the folder's; else a document's sequence)."""
    agents: dict[str, mets.PackageAgent] = {}
    events: list[mets.PackageEvent] = []

    def agent(identifier: str, name: str, kind: str, note: str = "") -> str:
        agents.setdefault(identifier, mets.PackageAgent(identifier, name, kind, note))
        return identifier

    station = agent(f"software:station-{__version__}", f"station {__version__}", "software")
    position = {p.page.id: p.position for p in export.parts}
    documents = {d.document.id: d.sequence for d in export.documents}
    seen: set[int] = set()
    page_events = [e for p in export.parts for e in store.events_of_page(_page_id(p.page))]
    for event in sorted(
        [*page_events, *store.events_of_folder(export.folder.folder_id)],
        key=lambda e: (e.at, e.id or 0),
    ):
        if event.id in seen or event.id is None:
            continue
        seen.add(event.id)
        mapped = _premis_type(event)
        if mapped is None:
            continue
        kind, detail = mapped
        # A document's extraction and review belong to the document while it exists; those
        # of documents merged away or split again stay in the folder's history.
        document = documents.get(event.document_id) if event.document_id is not None else None
        who = (
            agent(f"station-user:{event.agent}", event.agent, "person")
            if event.agent not in ("station", "")
            else agent(
                f"software:{event.tool}-{event.tool_version}",
                f"{event.tool} {event.tool_version}",
                "software",
            )
            if event.tool and event.tool != "station"
            else station
        )
        events.append(
            mets.PackageEvent(
                identifier=f"station-event-{event.id}",
                type=kind,
                date=event.at if event.at.tzinfo else event.at.replace(tzinfo=UTC),
                detail=detail,
                outcome=_OUTCOMES.get(event.outcome, ""),
                outcome_detail=_outcome_detail(event),
                agents=(who,),
                page_position=(
                    position.get(event.page_id) if event.page_id and document is None else None
                ),
                document=document,
            )
        )
    exporter = agent(f"station-user:{user.username}", user.username, "person", user.role)
    events.append(
        mets.PackageEvent(
            identifier=f"station-export-{export.digest[:16]}",
            type="information package creation",
            date=export.version_date,
            detail=f"Exported by station {__version__} as package version {export.version}",
            outcome="success",
            agents=(exporter, station),
        )
    )
    for sequence, signature in signed:
        signer = agent(f"certificate:{signature.serial}", signature.subject, "organization")
        events.append(
            mets.PackageEvent(
                identifier=f"station-signature-{export.digest[:16]}-{sequence or 0}",
                type="digital signature generation",
                date=signature.signed_at,
                detail=f"Signed by the digitizing body (NĐ 30/2020): {signature.summary}",
                outcome="success",
                outcome_detail=f"subject: {signature.subject}; serial: {signature.serial}",
                agents=(signer, station),
                document=sequence,
            )
        )
    return tuple(events), tuple(agents.values())


# station's outcomes as PREMIS ones ("skipped": the stage had nothing to do, no outcome)
_OUTCOMES = {"ok": "success", "flagged": "success", "failed": "failure"}


def _page_id(page: Page) -> int:
    assert page.id is not None
    return page.id


# station's stages as PREMIS event types (id.loc.gov labels; "transcription" is
# Archivematica's, for OCR): see station.export.mets.
_STAGE_TYPES = {
    "capture": ("capture", "Original scan taken into master storage, checksum verified"),
    "orient": ("modification", "Page orientation found and corrected"),
    "deskew": ("modification", "Skew measured and corrected"),
    "clean": ("modification", "Borders cropped, exposure evened"),
    "ocr": ("transcription", "Text recognised (OCR)"),
    "rescan": ("capture", "Page replaced by its rescan"),
    "assemble": ("creation", "Folder PDF/A assembled"),
}


def _premis_type(event: Event) -> tuple[str, str] | None:
    if event.stage == "extract_documents":
        return "metadata extraction", (
            "Document (văn bản) found and its fields read from the OCR text by "
            f"{event.tool or 'station'} {event.tool_version}".rstrip()
        )
    if event.stage == "document":
        action = str(event.detail.get("action", ""))
        kind = "validation" if action.startswith("confirm") else "metadata modification"
        return kind, f"Document review: {action}"
    if event.stage == "review":
        action = str(event.detail.get("action", ""))
        decided = "approve" in action or action in ("decision", "reopen_folder")
        kind = "validation" if decided else "metadata modification"
        return kind, f"Quality review: {action}"
    mapped = _STAGE_TYPES.get(event.stage)
    if mapped is None:
        return None
    kind, detail = mapped
    if event.stage == "ocr" and event.tool_version:
        detail = f"{detail} with {event.tool or 'tesseract'} {event.tool_version}"
    if event.stage == "capture" and "sha256" in event.detail:
        detail = f"{detail}: sha256 {event.detail['sha256']}"
    return kind, detail


def _outcome_detail(event: Event) -> str:
    keep = {k: v for k, v in event.detail.items() if k in (
        "before", "after", "angle", "rotation", "confidence", "words", "languages",
        "replaced_by", "replaces", "action", "sha256", "sequence", "flags",
        "boundary_confidence", "fields", "reason")}  # fmt: skip
    return json.dumps(keep, ensure_ascii=False, sort_keys=True, default=str) if keep else ""


# --- bagit ------------------------------------------------------------------------------------


def _write_bag(
    store: Store,
    settings: StationSettings,
    user: User,
    export: FolderExport,
    pdfs: _Pdfs,
    staging: Path,
) -> None:
    payload = _write_payload(export, pdfs, staging)
    (staging / "metadata.json").write_bytes(metadata_json(export, payload))
    _write_mets(store, user, export, payload, staging / "METS.xml", pdfs)
    _bag(staging, export, settings)


def _write_mets(
    store: Store, user: User, export: FolderExport, payload: _Payload, target: Path, pdfs: _Pdfs
) -> None:
    signed: list[tuple[int | None, signatures.Signature]] = []
    if pdfs.signed:
        places = [(None, pdfs.folder), *pdfs.documents.items()]
        signed = [(where, signatures.read_signatures(path)[-1]) for where, path in places]
    events, agents = premis_history(store, export, user, signed)
    xml = mets.build_mets(
        mets.PackageFacts(
            object_id=export.folder.folder_id,
            dublin_core=dublin_core(export.folder),
            pdf=payload.pdf,
            pages=payload.pages,
            events=events,
            agents=agents,
            created=export.version_date,
            creator=f"station {__version__}",
            documents=tuple(
                mets.PackageDocument(
                    sequence=part.sequence,
                    label=_document_label(part),
                    pdf=payload.documents.get(part.sequence),
                    dublin_core=document_dublin_core(export.folder, part),
                    page_positions=part.positions,
                )
                for part in export.documents
            ),
        )
    )
    problems = mets.validate_mets(xml)
    if problems:
        raise OutputError(
            _(
                "%(name)s for %(folder_id)s is invalid: %(problems)s",
                name=target.name,
                folder_id=export.folder.folder_id,
                problems=problems[0],
            )
        )
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(xml)


def _bag(directory: Path, export: FolderExport, settings: StationSettings) -> None:
    import bagit

    folder = export.folder
    info = {
        "Source-Organization": settings.organization or ORGANIZATION_DEFAULT,
        "External-Identifier": folder.folder_id,
        "External-Description": folder.title,
        "Bagging-Date": export.version_date.date().isoformat(),
        "Bag-Group-Identifier": ".".join(x for x in (folder.fonds_code, folder.catalogue_no) if x),
        "Internal-Sender-Identifier": f"{folder.box_no}/{folder.folder_no}",
        "Bag-Software-Agent": f"station {__version__} (bagit-python)",
        "Station-Package-Version": str(export.version),
    }
    try:
        bagit.make_bag(str(directory), info, checksums=list(CHECKSUMS))
    except (bagit.BagError, OSError, RuntimeError) as exc:
        raise OutputError(
            _("Cannot make the bag for %(folder_id)s: %(exc)s", folder_id=folder.folder_id, exc=exc)
        ) from exc


# --- archivematica ---------------------------------------------------------------------------


def _write_transfer(
    store: Store,
    settings: StationSettings,
    user: User,
    export: FolderExport,
    pdfs: _Pdfs,
    root: Path,
    *,
    in_bag: bool,
) -> None:
    """A standard transfer: objects/, metadata/metadata.csv (filename first), checksums and
    the station's METS and metadata.json as submission documentation."""
    payload = _write_payload(export, pdfs, root, prefix="objects/")
    metadata = root / "metadata"
    docs = metadata / "submissionDocumentation"
    docs.mkdir(parents=True, exist_ok=True)
    (docs / "metadata.json").write_bytes(metadata_json(export, payload))
    _write_mets(store, user, export, payload, docs / "station-METS.xml", pdfs)
    folder = _catalogue_folder(export, payload.pdf.path, settings)
    prefix = "data/" if in_bag else ""
    rows = catalogue.archivematica_rows(
        [(f"{prefix}{payload.pdf.path}", folder), (f"{prefix}objects/masters", folder)]
    )
    rows += catalogue.archivematica_document_rows(
        [
            (f"{prefix}{made.path}", folder, _catalogue_document(part, made.path))
            for part in export.documents
            if (made := payload.documents.get(part.sequence)) is not None
        ]
    )
    catalogue.write_archivematica_csv(rows, metadata / "metadata.csv")
    files = [payload.pdf, *payload.documents.values()]
    files += {p.master.path: p.master for p in payload.pages}.values()
    files += [f for p in payload.pages for f in (p.text, p.hocr) if f is not None]
    lines = "".join(f"{f.sha256}  {f.path}\n" for f in sorted(files, key=lambda f: f.path))
    (metadata / "checksum.sha256").write_text(lines, encoding="utf-8")


# Compressed in the zip; the scans and PDFs are compressed already (deflating them took 10 s
# per 100 pages and saved 4%).
_TEXT_SUFFIXES = frozenset({".txt", ".hocr", ".xml", ".json", ".csv"})


def _zip_directory(directory: Path, target: Path) -> None:
    """The bag as the single top-level entry, entries in name order with fixed dates, so the
    same bag gives the same zip."""
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(directory.rglob("*")):
            if path.is_file():
                name = f"{directory.name}/{path.relative_to(directory).as_posix()}"
                info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
                info.compress_type = (
                    zipfile.ZIP_DEFLATED if path.suffix in _TEXT_SUFFIXES else zipfile.ZIP_STORED
                )
                with path.open("rb") as source, archive.open(info, "w") as sink:
                    shutil.copyfileobj(source, sink, 1 << 20)


# --- AtoM ------------------------------------------------------------------------------------


def _catalogue_folder(
    export: FolderExport,
    pdf_path: str,
    settings: StationSettings,
    documents: Sequence[catalogue.CatalogueDocument] = (),
) -> catalogue.CatalogueFolder:
    return catalogue.catalogue_folder(
        export.folder,
        pages=sum(1 for p in export.parts if p.in_pdf),
        pdf_path=pdf_path,
        repository=settings.organization,
        documents=documents,
    )


def _catalogue_document(part: DocumentPart, pdf_path: str) -> catalogue.CatalogueDocument:
    """A document as an AtoM item / Archivematica row: what it prints and where its PDF is."""
    document = part.document
    issued = records.value(document, "issued_date")
    try:
        day = date.fromisoformat(issued) if issued else None
    except ValueError:
        day = None  # a partial date a reviewer kept ("1975-04"): no event date
    return catalogue.CatalogueDocument(
        number=part.sequence,
        title=_document_title(part),
        date=day,
        pdf_path=pdf_path,
        number_symbol=records.value(document, "number_symbol") or "",
        document_type=records.value(document, "document_type") or "",
        creator=records.value(document, "issuing_body") or "",
        secrecy=document.secrecy,
        language=records.value(document, "language") or "",
        pages=len(part.positions),
    )


def _atom_export(
    store: Store,
    settings: StationSettings,
    user: User,
    exports: list[FolderExport],
    out_dir: Path,
    progress: ProgressHook,
    signer: signing.Signing | None = None,
) -> ExportResult:
    """One CSV for all the folders, their PDFs in objects/ beside it; named by what it
    holds, so the same folders at the same versions give the same directory."""
    held = sorted(f"{e.folder.folder_id}:{e.digest}" for e in exports)
    if signer is not None:
        held.append(f"signed:{signer.fingerprint}")
    key = hashlib.sha256("\n".join(held).encode()).hexdigest()[:12]
    final = out_dir / f"atom-{key}"
    pages = sum(1 for e in exports for p in e.parts if p.in_pdf)
    ids = tuple(e.folder.folder_id for e in exports)
    if final.exists():
        return ExportResult(ids, "atom-csv", final, 1, True, pages, _size(final))
    folders = []
    with _staging(out_dir, final) as staging:
        for export in exports:
            progress(f"{export.folder.folder_id}: atom-csv")
            pdfs = _Pdfs(
                folder_pdf(settings, export, store), document_pdfs(settings, export, store)
            )
            if signer is not None:
                pdfs = _signed(pdfs, signer, export, progress)
            relative = f"objects/{export.package_name}.pdf"
            _put(pdfs.folder, staging, relative, "application/pdf")
            documents = []
            made = pdfs.documents
            for part in export.documents:
                where = ""
                if part.sequence in made:
                    name = part.file_name.removeprefix(export.file_name)
                    document_relative = f"objects/{export.package_name}{name}"
                    _put(made[part.sequence], staging, document_relative, "application/pdf")
                    where = str((final / document_relative).resolve())
                documents.append(_catalogue_document(part, where))
            folders.append(
                _catalogue_folder(export, str((final / relative).resolve()), settings, documents)
            )
        catalogue.write_atom_csv(folders, staging / "information_objects.csv")
    return ExportResult(ids, "atom-csv", final, 1, False, pages, _size(final))


# --- verification ----------------------------------------------------------------------------


def verify(path: Path, settings: StationSettings | None = None) -> list[str]:
    """Everything wrong with an exported package, one sentence each naming the file; [] when
    it is whole. Bags: completeness and every checksum; METS: the schemas; transfers: the
    checksum file and metadata.csv paths; AtoM imports: the CSV's header and hierarchy.
    With settings, every PDF/A's signatures too (and a missing one where it is mandatory)."""
    if not path.exists():
        return [_("%(path)s: no such file or folder", path=path)]
    if path.is_file() and path.suffix == ".zip":
        return _verify_zip(path, settings)
    if (path / "bagit.txt").is_file():
        problems = _verify_bag(path)
    elif (path / "objects").is_dir() and (path / "metadata").is_dir():
        problems = _verify_transfer(path)
    elif (path / "information_objects.csv").is_file():
        problems = _verify_atom(path)
    else:
        return [
            _(
                "%(path)s: not a station export (no bagit.txt, objects/ or "
                "information_objects.csv)",
                path=path,
            )
        ]
    if settings is not None:
        for pdf in _package_pdfs(path):
            problems += signatures.verify_pdf(pdf, settings, pdf.relative_to(path).as_posix())
    return problems


def _verify_bag(path: Path) -> list[str]:
    import bagit

    problems: list[str] = []
    try:
        bag = bagit.Bag(str(path))
        bag.validate()
    except bagit.BagValidationError as exc:
        details = getattr(exc, "details", None) or []
        problems += [_bag_problem(path, detail) for detail in details] or [f"{path}: {exc}"]
    except bagit.BagError as exc:
        problems.append(_("%(path)s: not a valid bag: %(exc)s", path=path, exc=exc))
    for candidate in (path / "data" / "METS.xml", path / "data" / "metadata" /
                      "submissionDocumentation" / "station-METS.xml"):  # fmt: skip
        if candidate.is_file():
            where = candidate.relative_to(path)
            problems += [f"{where}: {p}" for p in mets.validate_mets(candidate)]
    return problems


def _bag_problem(path: Path, detail: Any) -> str:
    name = type(detail).__name__
    where = getattr(detail, "path", "?")
    if name == "ChecksumMismatch":
        return _(
            "%(where)s: %(algorithm)s checksum differs (expected %(expected)s…, found "
            "%(found)s…): the file changed after export",
            where=where,
            algorithm=detail.algorithm,
            expected=detail.expected[:16],
            found=detail.found[:16],
        )
    if name == "FileMissing":
        return _("%(where)s: listed in the manifest but missing", where=where)
    if name == "UnexpectedFile":
        return _("%(where)s: in the bag but in no manifest", where=where)
    return f"{where}: {detail}"


def _verify_zip(path: Path, settings: StationSettings | None) -> list[str]:
    import tempfile

    with tempfile.TemporaryDirectory() as scratch:
        try:
            with zipfile.ZipFile(path) as archive:
                archive.extractall(scratch)
        except (zipfile.BadZipFile, OSError) as exc:
            return [_("%(name)s: not a readable zip: %(exc)s", name=path.name, exc=exc)]
        tops = list(Path(scratch).iterdir())
        if len(tops) != 1 or not tops[0].is_dir():
            return [
                _(
                    "%(name)s: a zipped bag must hold exactly one top-level folder",
                    name=path.name,
                )
            ]
        return [f"{path.name}: {p}" for p in verify(tops[0], settings)]


def _verify_transfer(path: Path) -> list[str]:
    problems: list[str] = []
    checksums = path / "metadata" / "checksum.sha256"
    if not checksums.is_file():
        problems.append(_("metadata/checksum.sha256: missing"))
    else:
        for line in checksums.read_text(encoding="utf-8").splitlines():
            expected, _sep, relative = line.partition("  ")
            target = path / relative
            if not target.is_file():
                problems.append(
                    _(
                        "%(path)s: listed in metadata/checksum.sha256 but missing",
                        path=relative,
                    )
                )
            elif _sha256(target) != expected:
                problems.append(
                    _("%(path)s: sha256 differs: the file changed after export", path=relative)
                )
    table = path / "metadata" / "metadata.csv"
    if not table.is_file():
        return [*problems, _("metadata/metadata.csv: missing")]
    with table.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    if not rows or rows[0][:1] != ["filename"]:
        problems.append(_("metadata/metadata.csv: the first column must be 'filename'"))
    for row in rows[1:]:
        if row and not (path / row[0]).exists():
            problems.append(
                _(
                    "metadata/metadata.csv: %(path)s does not exist in the transfer",
                    path=row[0],
                )
            )
    for candidate in (path / "metadata" / "submissionDocumentation").glob("*.xml"):
        problems += [f"{candidate.relative_to(path)}: {p}" for p in mets.validate_mets(candidate)]
    return problems


def _verify_atom(path: Path) -> list[str]:
    table = path / "information_objects.csv"
    with table.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
        header = list(rows[0].keys()) if rows else []
    problems = []
    if tuple(header) != catalogue.ATOM_COLUMNS:
        problems.append(_("information_objects.csv: the header is not AtoM's ISAD(G) template"))
    known: set[str] = set()
    for number, row in enumerate(rows, start=2):
        parent = row.get("parentId", "")
        if parent and parent not in known:
            problems.append(
                _(
                    "information_objects.csv row %(number)s: parentId %(parent)r unknown",
                    number=number,
                    parent=parent,
                )
            )
        known.add(row.get("legacyId", ""))
        target = row.get("digitalObjectPath", "")
        if target and not Path(target).is_file():
            problems.append(
                _(
                    "information_objects.csv row %(number)s: %(target)s does not exist",
                    number=number,
                    target=target,
                )
            )
    return problems


def result_record(result: ExportResult) -> dict[str, Any]:
    return {
        "folders": list(result.folder_ids),
        "format": result.format,
        "path": str(result.path),
        "version": result.version,
        "unchanged": result.unchanged,
        "pages": result.pages,
        "bytes": result.bytes,
    }
