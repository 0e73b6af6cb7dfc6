"""PDF/A: the batch's and a folder's PDF/A with its XMP, a document's PDF/A taken out of
its folder's, and a second validator's opinion.

Built on pikepdf (metadata, PDF/A declaration and pikepdf's own PDF/A validation on save);
the pages come from `station.pipeline.pdf`.
"""

from __future__ import annotations

import base64
import contextlib
import glob
import logging
import os
import socket
import tempfile
import zlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pikepdf
import pikepdf.pdfa
from pikepdf import Name

from station.errors import OutputError
from station.i18n import _

log = logging.getLogger(__name__)

# The PDF/A flavours station writes. pikepdf validates the "b" levels itself; for 2u it
# checks the 2b rules, and we check the Unicode maps (see `_save_unicode_level`).
PDFA_FLAVOURS = ("1b", "2b", "2u", "3b")

# The rule pikepdf's 2b/3b check reports for a level-U declaration (see `_save_unicode_level`).
_CONFORMANCE_LETTER = {"ISO_19005_2:6.6.4-3", "ISO_19005_3:6.6.4-3"}


@dataclass(frozen=True)
class DocumentMetadata:
    """Dublin Core fields written into the XMP of an output PDF."""

    title: str
    date: datetime
    language: str = "vi"
    creator: str = ""
    description: str = ""
    identifier: str = ""
    producer: str = "station"
    coverage: str = ""  # the documents' date range, ISO 8601 "start/end"
    source: str = ""  # the archival reference: fonds, catalogue, box, folder
    rights: str = ""  # access regime (chế độ sử dụng) and secrecy marking
    doc_type: str = ""  # dc:type: a document's type name (tên loại văn bản)
    issued: str = ""  # dc:date when known (a document's date, ISO); else the creation date


# --- the batch's PDF/A -------------------------------------------------------------------


def assemble_pdfa(
    page_pdfs: list[Path], out: Path, metadata: DocumentMetadata, *, pdfa: str
) -> None:
    """Join the page PDFs, in order, into one validated PDF/A at `out`, or raise OutputError.

    Joining is done by qpdf's job interface into a temporary file: it copies page
    streams lazily (closing inputs past 200 files), whereas `Pdf.pages.extend` copies
    every image into memory at once (~1x the batch size). The joined file is then
    opened lazily, made PDF/A and written by pikepdf, one stream at a time.

    pikepdf's `prepare` always records pikepdf as the producer and conformance level B;
    so we prepare, then set our producer (and U for 2u) with the metadata editor, and
    `pikepdf.pdfa.save(repair=False)` writes and validates exactly that. Everything is
    written beside `out` and renamed over it only once valid: `out` is never
    half-written or invalid.
    """
    if pdfa not in PDFA_FLAVOURS:
        raise OutputError(
            _(
                "%(name)s: unknown PDF/A flavour %(pdfa)r; use one of %(pdfa_flavours)s",
                name=out.name,
                pdfa=pdfa,
                pdfa_flavours=", ".join(PDFA_FLAVOURS),
            )
        )
    if not page_pdfs:
        raise OutputError(_("%(name)s: no pages to write", name=out.name))
    missing = [path for path in page_pdfs if not path.is_file()]
    if missing:
        raise OutputError(
            _(
                "%(name)s: %(n_missing)s page PDF(s) missing, first %(missing)s; nothing written",
                name=out.name,
                n_missing=len(missing),
                missing=missing[0],
            )
        )
    checked = pikepdf.pdfa.Flavour(pdfa[0] + "b")  # the flavour pikepdf can check
    with temporary_beside(out) as joined, temporary_beside(out) as tmp:
        _join_pages(page_pdfs, joined, out)
        try:
            with pikepdf.open(joined) as pdf:
                _no_stream_ends_in_cr(pdf)
                _write_metadata(pdf, metadata)
                prepared = pikepdf.pdfa.prepare(pdf, checked, output_intent="sRGB")
                if prepared.xmp_dropped:
                    raise OutputError(
                        _(
                            "%(name)s: PDF/A-%(pdfa)s does not permit the metadata %(xmp_dropped)s",
                            name=out.name,
                            pdfa=pdfa,
                            xmp_dropped=", ".join(prepared.xmp_dropped),
                        )
                    )
                with pdf.open_metadata(set_pikepdf_as_editor=False) as meta:
                    meta["pdf:Producer"] = metadata.producer
                    meta["xmp:CreatorTool"] = metadata.producer
                    if pdfa.endswith("u"):
                        meta["pdfaid:conformance"] = "U"
                if pdfa.endswith("u"):
                    _save_unicode_level(pdf, tmp, out, checked, pdfa)
                else:
                    pikepdf.pdfa.save(
                        pdf, tmp, checked, output_intent=None, repair=False, **_XREF_TABLE
                    )
        except pikepdf.pdfa.PdfaError as exc:
            findings = exc.report.violations + exc.report.unsupported
            raise OutputError(_failure_sentence(out, pdfa, findings)) from exc
        except (OSError, pikepdf.PdfError) as exc:
            raise OutputError(
                _("%(name)s: cannot write the PDF/A: %(exc)s", name=out.name, exc=exc)
            ) from exc
        tmp.replace(out)  # atomic: same folder, same filesystem


def _join_pages(page_pdfs: list[Path], joined: Path, out: Path) -> None:
    """Concatenate the pages with qpdf's job interface (lazy copy; no recompression)."""
    job = pikepdf.Job(
        {
            "empty": "",
            "pages": [{"file": str(path)} for path in page_pdfs],
            "outputFile": str(joined),
            "decodeLevel": "none",
            "objectStreams": "disable",
        }
    )
    try:
        job.run()
    except (OSError, pikepdf.PdfError, pikepdf.JobUsageError) as exc:
        raise OutputError(
            _("%(name)s: cannot join the page PDFs: %(exc)s", name=out.name, exc=exc)
        ) from exc
    if job.exit_code not in (0, 3):  # 3: qpdf repaired a warning-level problem
        raise OutputError(
            _(
                "%(name)s: qpdf could not join the page PDFs (exit %(exit_code)s)",
                name=out.name,
                exit_code=job.exit_code,
            )
        )


# A classic cross-reference table, not a stream: a cross-reference stream is Flate data qpdf
# writes last, and its checksum ends in a carriage return one time in 256, which a strict
# validator reads with the line feed before `endstream` as an end of line (one byte short of
# /Length: `bench/soak.py` met it in a document's PDF/A). Unlike a content stream it cannot
# be padded; without object streams there is none.
_XREF_TABLE: dict[str, Any] = {"object_stream_mode": pikepdf.ObjectStreamMode.disable}


def _no_stream_ends_in_cr(pdf: pikepdf.Pdf) -> None:
    """Rewrite the content streams whose compressed data happens to end in a carriage return.

    Such data, followed by the line feed written before `endstream`, reads as a CR LF end of
    line, so a strict PDF/A validator counts one byte less than /Length (the `page` validator
    failed 1 file in 3 on this). Flate data ends in its Adler-32 checksum, which no
    compression level changes; a content stream takes a trailing space, which changes the
    checksum and nothing on the page. Any other stream (an image, a font, an ICC profile:
    CI met one in 3 flavours of one folder's PDF/A at once) gets an ASCII85 layer over its
    data, whose encoding ends in `~>`: a quarter larger, for one stream in 256.
    """
    for obj in pdf.objects:
        if not isinstance(obj, pikepdf.Stream) or not obj.read_raw_bytes().endswith(b"\r"):
            continue
        flate = obj.get("/Filter") == Name.FlateDecode
        is_content = obj.get("/Subtype") == Name.Form or set(obj.keys()) <= {"/Length", "/Filter"}
        if flate and is_content and _pad_content(obj):
            continue
        _ascii85_layer(obj)


def _pad_content(obj: pikepdf.Stream) -> bool:
    data = obj.read_bytes()
    for padding in range(1, 8):
        encoded = zlib.compress(data + b" " * padding)
        if not encoded.endswith(b"\r"):
            obj.write(encoded, filter=Name.FlateDecode)
            return True
    return False


def _ascii85_layer(obj: pikepdf.Stream) -> None:
    """The stream's raw data under one more filter, ASCII85, its decode parameters kept."""
    filters = obj.get("/Filter")
    chain = list(filters) if isinstance(filters, pikepdf.Array) else [filters] if filters else []
    parms = obj.get("/DecodeParms")
    null = pikepdf.Object.parse(b"null")
    if isinstance(parms, pikepdf.Array):
        chained: pikepdf.Array | None = pikepdf.Array([null, *parms])
    elif parms is not None:
        chained = pikepdf.Array([null, parms])
    else:
        chained = None
    encoded = base64.a85encode(obj.read_raw_bytes()) + b"~>"
    obj.write(
        encoded,
        filter=pikepdf.Array([Name.ASCII85Decode, *chain]),
        decode_parms=chained,
    )


def _write_metadata(pdf: pikepdf.Pdf, metadata: DocumentMetadata) -> None:
    """Dublin Core and XMP basics; DocInfo is kept in step, as PDF/A-1 requires."""
    date = metadata.date if metadata.date.tzinfo else metadata.date.astimezone()
    stamp = date.isoformat(timespec="seconds")
    with pdf.open_metadata(set_pikepdf_as_editor=False) as meta:
        if metadata.title:
            meta["dc:title"] = metadata.title
        meta["dc:date"] = [metadata.issued or stamp]
        meta["xmp:CreateDate"] = stamp
        if metadata.language:
            meta["dc:language"] = {metadata.language}
        if metadata.creator:
            meta["dc:creator"] = [metadata.creator]
        if metadata.description:
            meta["dc:description"] = metadata.description
        if metadata.identifier:
            meta["dc:identifier"] = metadata.identifier
        if metadata.coverage:
            meta["dc:coverage"] = metadata.coverage
        if metadata.source:
            meta["dc:source"] = metadata.source
        if metadata.rights:
            meta["dc:rights"] = metadata.rights
        if metadata.doc_type:
            meta["dc:type"] = [metadata.doc_type]
        meta["xmp:CreatorTool"] = metadata.producer
        meta["pdf:Producer"] = metadata.producer


def _save_unicode_level(
    pdf: pikepdf.Pdf, tmp: Path, out: Path, checked: pikepdf.pdfa.Flavour, pdfa: str
) -> None:
    """Write and check a level-U file, which pikepdf's validator does not know.

    pikepdf checks every level-B rule; the only finding it may make that we accept is
    the conformance letter itself. Level U's own rule (text maps to Unicode) is checked
    here, coarsely: every font carries a /ToUnicode map. The `page` validator's 2u
    profile runs too, but it does not flag a font without one, so it is not enough.
    """
    kwargs = pikepdf.pdfa.resolve_save_kwargs(checked, **_XREF_TABLE)
    pdf.save(tmp, **kwargs)
    report = pikepdf.pdfa.validate_written(tmp, checked, save_kwargs=kwargs)
    findings = [
        f for f in (*report.violations, *report.unsupported) if f.rule not in _CONFORMANCE_LETTER
    ]
    if findings:
        raise OutputError(_failure_sentence(out, pdfa, findings))
    _check_unicode_level(tmp, out, pdfa)


def _check_unicode_level(tmp: Path, out: Path, pdfa: str) -> None:
    """Level U's own rule on a written file: every font maps to Unicode, and `page` agrees."""
    with pikepdf.open(tmp) as written:
        unmapped = _fonts_without_unicode(written)
    if unmapped:
        raise OutputError(
            _(
                "%(name)s failed PDF/A-%(pdfa)s validation: font(s) %(unmapped)s have no "
                "/ToUnicode map, so their text has no Unicode meaning",
                name=out.name,
                pdfa=pdfa,
                unmapped=", ".join(unmapped),
            )
        )
    try:
        problems = validate_pdfa(tmp, pdfa)
    except ImportError as exc:
        raise OutputError(
            _(
                "%(name)s: PDF/A-%(pdfa)s needs the page-validation package to be checked",
                name=out.name,
                pdfa=pdfa,
            )
        ) from exc
    if problems:
        shown = "; ".join(problems[:10])
        raise OutputError(
            _(
                "%(name)s failed PDF/A-%(pdfa)s validation: %(problems)s (and %(more)s more)",
                name=out.name, pdfa=pdfa, problems=shown, more=len(problems) - 10,
            )
            if len(problems) > 10
            else _(
                "%(name)s failed PDF/A-%(pdfa)s validation: %(problems)s",
                name=out.name, pdfa=pdfa, problems=shown,
            )
        )  # fmt: skip


_STANDARD_ENCODINGS = {Name.WinAnsiEncoding, Name.MacRomanEncoding, Name.StandardEncoding}


def _fonts_without_unicode(pdf: pikepdf.Pdf) -> list[str]:
    """Names of fonts whose codes cannot be mapped to Unicode (level U's requirement)."""
    names = []
    for obj in pdf.objects:
        if not isinstance(obj, pikepdf.Dictionary) or obj.get(Name.Type) != Name.Font:
            continue
        if obj.get(Name.Subtype) in (Name.CIDFontType0, Name.CIDFontType2):
            continue  # descendant of a Type0 font, which carries the map
        if Name.ToUnicode in obj or obj.get(Name.Encoding) in _STANDARD_ENCODINGS:
            continue
        names.append(str(obj.get(Name.BaseFont, "unnamed")))
    return names


def _failure_sentence(
    out: Path, pdfa: str, findings: tuple[pikepdf.pdfa.Finding, ...] | list[pikepdf.pdfa.Finding]
) -> str:
    rules = sorted({f"{f.rule} ({f.message})" for f in findings})
    shown = "; ".join(rules[:10])
    if len(rules) > 10:
        return _(
            "%(name)s failed PDF/A-%(pdfa)s validation: %(problems)s (and %(more)s more)",
            name=out.name, pdfa=pdfa, problems=shown, more=len(rules) - 10,
        )  # fmt: skip
    return _(
        "%(name)s failed PDF/A-%(pdfa)s validation: %(problems)s",
        name=out.name, pdfa=pdfa, problems=shown,
    )  # fmt: skip


def _temporary_prefix(out: Path) -> str:
    """`.<name>.<host>-<pid>.`: whose temporary file it is, so that a later write can tell a
    killed writer's leftovers from a live one's."""
    return f".{out.name}.{socket.gethostname()}-{os.getpid()}."


def _remove_orphans(out: Path) -> None:
    """Delete temporaries of `out` that a writer killed mid-write left behind (SIGKILL runs no
    clean-up): those of this host whose process is gone. pikepdf's own temporary carries
    ours in its name."""
    host = socket.gethostname()
    for prefix in (f".{out.name}.{host}-", f".pikepdf..{out.name}.{host}-"):
        for path in out.parent.glob(f"{glob.escape(prefix)}*"):
            pid = path.name[len(prefix) :].split(".", 1)[0]
            if pid.isdigit() and not _alive(int(pid)):
                path.unlink(missing_ok=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@contextlib.contextmanager
def temporary_beside(out: Path) -> Iterator[Path]:
    """A temporary path in `out`'s folder (same filesystem, so the rename is atomic): every
    file station writes for others to read appears whole or not at all.

    Removed when the block fails; after a successful os.replace it no longer exists.
    """
    _remove_orphans(out)
    try:
        fd, name = tempfile.mkstemp(prefix=_temporary_prefix(out), suffix=".part", dir=out.parent)
    except OSError as exc:
        raise OutputError(
            _(
                "%(name)s: cannot write in %(parent)s: %(exc)s",
                name=out.name,
                parent=out.parent,
                exc=exc,
            )
        ) from exc
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
    finally:
        tmp.unlink(missing_ok=True)


# --- a document's PDF/A, out of its folder's ----------------------------------------------------


def extract_pdfa(
    source: Path, page_numbers: Sequence[int], out: Path, metadata: DocumentMetadata, *, pdfa: str
) -> None:
    """Write pages of a PDF/A station made (0-based, in the order given) as a PDF/A of their own.

    A document's PDF/A is its folder's pages, so they are taken from the folder's file (page
    objects, images and text layers copied as they are: no joining, no recompression) with
    a new XMP of the document's own and the source's output intent, then validated in full
    (~10 ms a page, against ~2 ms for extraction alone: measured on 8 generated pages, well
    inside the cost budget of documents, so nothing is taken on trust).

    The file identifier is derived from the content and the XMP dates from
    `metadata.date`, so the same inputs give the same bytes (repeatable packages). `out`
    is written beside and renamed into place once valid; any failure raises OutputError
    naming it.
    """
    if pdfa not in PDFA_FLAVOURS:
        raise OutputError(
            _(
                "%(name)s: unknown PDF/A flavour %(pdfa)r; use one of %(pdfa_flavours)s",
                name=out.name,
                pdfa=pdfa,
                pdfa_flavours=", ".join(PDFA_FLAVOURS),
            )
        )
    numbers = list(page_numbers)
    if not numbers:
        raise OutputError(_("%(name)s: no pages to write", name=out.name))
    if not source.is_file():
        raise OutputError(
            _(
                "%(name)s: the source PDF %(source)s is missing; nothing written",
                name=out.name,
                source=source,
            )
        )
    checked = pikepdf.pdfa.Flavour(pdfa[0] + "b")
    kwargs = pikepdf.pdfa.resolve_save_kwargs(checked, deterministic_id=True, **_XREF_TABLE)
    with temporary_beside(out) as tmp:
        try:
            with pikepdf.open(source) as pdf:
                _keep_pages(pdf, numbers, source, out)
                _no_stream_ends_in_cr(pdf)
                # The folder's XMP and DocInfo describe the folder: start afresh.
                if Name.Metadata in pdf.Root:
                    del pdf.Root[Name.Metadata]
                if Name.Info in pdf.trailer:
                    del pdf.trailer[Name.Info]
                _write_metadata(pdf, metadata)
                prepared = pikepdf.pdfa.prepare(pdf, checked, output_intent=None)
                if prepared.xmp_dropped:
                    raise OutputError(
                        _(
                            "%(name)s: PDF/A-%(pdfa)s does not permit the metadata %(xmp_dropped)s",
                            name=out.name,
                            pdfa=pdfa,
                            xmp_dropped=", ".join(prepared.xmp_dropped),
                        )
                    )
                date = metadata.date if metadata.date.tzinfo else metadata.date.astimezone()
                with pdf.open_metadata(set_pikepdf_as_editor=False) as meta:
                    meta["pdf:Producer"] = metadata.producer
                    meta["xmp:CreatorTool"] = metadata.producer
                    meta["xmp:MetadataDate"] = date.isoformat(timespec="seconds")
                    if pdfa.endswith("u"):
                        meta["pdfaid:conformance"] = "U"
                pdf.save(tmp, **kwargs)
            _check_extracted(tmp, out, checked, pdfa, kwargs)
        except (OSError, pikepdf.PdfError) as exc:
            raise OutputError(
                _(
                    "%(name)s: cannot write the PDF/A from %(name2)s: %(exc)s",
                    name=out.name,
                    name2=source.name,
                    exc=exc,
                )
            ) from exc
        tmp.replace(out)  # atomic: same folder, same filesystem


def _keep_pages(pdf: pikepdf.Pdf, numbers: list[int], source: Path, out: Path) -> None:
    """Leave in `pdf` only the pages asked for, in the order asked (the same page objects)."""
    count = len(pdf.pages)
    bad: list[object] = [n for n in numbers if isinstance(n, bool) or not isinstance(n, int)]
    bad += [n for n in numbers if n not in bad and not 0 <= n < count]
    if bad:
        raise OutputError(
            _(
                "%(name)s: page %(bad)r (0-based) is not in %(name2)s, which has %(count)s "
                "pages; nothing written",
                name=out.name,
                bad=bad[0],
                name2=source.name,
                count=count,
            )
        )
    twice = sorted({n for n in numbers if numbers.count(n) > 1})
    if twice:
        raise OutputError(
            _(
                "%(name)s: page %(twice)s of %(name2)s asked for twice",
                name=out.name,
                twice=twice[0],
                name2=source.name,
            )
        )
    wanted = [pdf.pages[n] for n in numbers]
    del pdf.pages[:]
    pdf.pages.extend(wanted)


def _check_extracted(
    tmp: Path, out: Path, checked: pikepdf.pdfa.Flavour, pdfa: str, kwargs: dict[str, object]
) -> None:
    """Validate the written document in full, as `assemble_pdfa` does its folder."""
    report = pikepdf.pdfa.validate_written(tmp, checked, save_kwargs=kwargs)
    allowed = _CONFORMANCE_LETTER if pdfa.endswith("u") else set()
    findings = [f for f in (*report.violations, *report.unsupported) if f.rule not in allowed]
    if findings:
        raise OutputError(_failure_sentence(out, pdfa, findings))
    if pdfa.endswith("u"):
        _check_unicode_level(tmp, out, pdfa)


# --- second opinion ------------------------------------------------------------------------


def validate_pdfa(path: Path, pdfa: str) -> list[str]:
    """Validate with the independent `page` validator: "rule_id: message" per failure.

    A second implementation of the rules catches what pikepdf's allowlist might wrongly
    pass. The file is our own output, so the validator's limits for hostile input are
    lifted: a 500-page batch must not fail for its size.
    """
    import page  # optional at runtime: only the QA checks need it

    try:
        report = page.validate_pdf(path, profile=pdfa, limits=page.SafetyLimits.unlimited())
    except page.PageError as exc:
        return [f"page:error: {exc}"]
    if report.is_compliant:
        return []
    return [f"{failure.rule_id}: {failure.message}" for failure in report.failures]
