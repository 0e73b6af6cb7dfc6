"""METS 1.12 + PREMIS 3 + Dublin Core for an exported folder (hồ sơ), and offline validation.

An approved folder becomes an archival package whose `METS.xml` says what the folder is (simple
Dublin Core), which files it holds (masters, the folder PDF/A, OCR text and hOCR, each with its
SHA-256 and size), how the pages are ordered, and what happened to them (PREMIS events and
agents: capture, image corrections, OCR, QA decisions, rescans, export).

Why plain lxml and not `metsrw`: metsrw is AGPL-3.0 (station is Apache-2.0), writes PREMIS 2.2
unless told otherwise, has no Dublin Core model, and builds only its own "Archivematica default"
structMap from a file tree, so a page-ordered map would have to be patched in afterwards. The
document has a fixed, small shape; building it directly is shorter and deterministic (no uuid4,
no clock): the same `PackageFacts` give the same bytes.

Layout of the document `build_mets` writes:

* `metsHdr` with CREATEDATE and the creating software as agent;
* `dmdSec` `dmd-folder`: `mdWrap MDTYPE="DC"` holding `dc:*` (and `dcterms:*`) elements;
* `amdSec` `amd-folder` (techMD of the PDF, events on the whole folder), one `amdSec` per page
  (`amd-p0001`: techMDs of its master, text and hOCR, events on that page) and `amd-agents`;
  techMD holds a PREMIS `object` (fixity, size, format, originalName for masters), digiprovMD a
  PREMIS `event` or `agent`. An event's digiprovMD lists its agents' digiprovMDs in ADMID;
* `fileSec` with fileGrps `original` (masters), `preservation` (the PDF/A), `ocr-text`,
  `ocr-hocr`; a file's ADMID names its techMD and the events that concern it;
* one `structMap TYPE="physical"`: the folder div (DMDID, a pointer to the whole PDF) holding a
  `page` div per page in order.

METS has no begin/end type for "page of a PDF" (BETYPE allows BYTE, IDREF, SMIL, TIME, XPTR…,
and IDREF would claim an XML ID inside the PDF), so a page in the PDF gets an `fptr` to the PDF
whose CONTENTIDS is the PDF page as an RFC 8118 fragment URI (`pdf/HS-12.pdf#page=2`); pages
left out of the PDF (blanks) have no such pointer.

Event types for station's stages (id.loc.gov labels, see `EVENT_TYPES`): a scan is "capture"
(outcome detail: the SHA-256 taken at intake), rotation/deskew/cleaning "modification", OCR
"transcription" (detail: engine, version, language; it links the master as source and the text
and hOCR as outcomes), a QA decision "validation" with the reviewer as agent (failure = sent
for rescan), the PDF/A assembly "creation", a metadata edit "metadata modification", and the
export "information package creation". A rescan is the failed validation plus a new "capture"
of the same page whose detail names the replaced file: page events link to the page's current
master, since the replaced image is not in the package.

All METS IDs are made from page positions and indexes, never from folder ids, which may hold
slashes and so are not XML IDs (NCName).
"""

from __future__ import annotations

import re
import threading
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import quote

from lxml import etree  # type: ignore[import-untyped]

from station.i18n import N_, _

__all__ = [
    "AGENT_TYPES",
    "DCTERMS_ELEMENTS",
    "DC_ELEMENTS",
    "EVENT_OUTCOMES",
    "EVENT_TYPES",
    "PackageAgent",
    "PackageDocument",
    "PackageEvent",
    "PackageFacts",
    "PackagePage",
    "PayloadFile",
    "build_mets",
    "validate_mets",
]

METS_NS = "http://www.loc.gov/METS/"
PREMIS_NS = "http://www.loc.gov/premis/v3"
DC_NS = "http://purl.org/dc/elements/1.1/"
DCTERMS_NS = "http://purl.org/dc/terms/"
XLINK_NS = "http://www.w3.org/1999/xlink"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
NSMAP = {
    "mets": METS_NS,
    "premis": PREMIS_NS,
    "dc": DC_NS,
    "dcterms": DCTERMS_NS,
    "xlink": XLINK_NS,
    "xsi": XSI_NS,
}
# Official locations, for readers outside station; `validate_mets` uses the vendored copies.
SCHEMA_LOCATION = " ".join(
    (
        METS_NS,
        "http://www.loc.gov/standards/mets/mets.xsd",
        PREMIS_NS,
        "http://www.loc.gov/standards/premis/v3/premis-v3-0.xsd",
        DC_NS,
        "http://dublincore.org/schemas/xmls/qdc/2008/02/11/dc.xsd",
        DCTERMS_NS,
        "http://dublincore.org/schemas/xmls/qdc/2008/02/11/dcterms.xsd",
    )
)

SCHEMAS_DIR = Path(__file__).parent.parent / "schemas"
# Loads METS, PREMIS 3 and DC into one schema set: METS's xmlData is processContents="lax",
# so embedded PREMIS and DC are only checked when their schemas sit in the same set.
DRIVER_SCHEMA = SCHEMAS_DIR / "mets-premis-dc.xsd"

# id.loc.gov preservation event types (2018 list), label -> code, plus Archivematica's
# "transcription" for OCR, which the LoC list has no term for (standards.md §4).
_LOC_EVENT_TYPE = "http://id.loc.gov/vocabulary/preservation/eventType"
_LOC_EVENT_CODES = {
    "accession": "acc",
    "appraisal": "app",
    "capture": "cap",
    "compiling": "cop",
    "compression": "com",
    "creation": "cre",
    "deaccession": "dea",
    "decompression": "dec",
    "decryption": "der",
    "deletion": "del",
    "digital signature generation": "dsg",
    "digital signature validation": "dig",
    "displaying": "dsp",
    "dissemination": "dis",
    "encryption": "enc",
    "execution": "exe",
    "exporting": "exp",
    "extraction": "ext",
    "filename change": "fil",
    "fixity check": "fix",
    "forensic feature analysis": "ffa",
    "format identification": "for",
    "imaging": "ima",
    "information package creation": "ipc",
    "information package merging": "ipm",
    "information package splitting": "ips",
    "ingestion": "ing",
    "ingestion end": "ine",
    "ingestion start": "ins",
    "interpreting": "int",
    "message digest calculation": "mes",
    "metadata extraction": "mee",
    "metadata modification": "mem",
    "migration": "mig",
    "modification": "mod",
    "normalization": "nor",
    "packing": "pac",
    "policy assignment": "poa",
    "printing": "prt",
    "quarantine": "qua",
    "recovery": "rec",
    "redaction": "red",
    "refreshment": "ref",
    "rendering": "ren",
    "replication": "rep",
    "transfer": "tra",
    "unpacking": "unp",
    "unquarantine": "unq",
    "validation": "val",
    "virus check": "vir",
}
EVENT_TYPES: Mapping[str, str] = {
    **{label: f"{_LOC_EVENT_TYPE}/{code}" for label, code in _LOC_EVENT_CODES.items()},
    "transcription": "",  # OCR (Archivematica's term); no LoC URI
}
"""Accepted `PackageEvent.type` values -> their id.loc.gov URI ("" when not an LoC term)."""

_LOC_AGENT_TYPE = "http://id.loc.gov/vocabulary/preservation/agentType"
AGENT_TYPES: Mapping[str, str] = {
    "person": f"{_LOC_AGENT_TYPE}/per",
    "organization": f"{_LOC_AGENT_TYPE}/org",
    "software": f"{_LOC_AGENT_TYPE}/sof",
    "hardware": f"{_LOC_AGENT_TYPE}/har",  # the scanner
}
"""Accepted `PackageAgent.type` values -> their id.loc.gov URI."""

EVENT_OUTCOMES = ("success", "failure", "")

_SHA256_URI = "http://id.loc.gov/vocabulary/preservation/cryptographicHashFunctions/sha256"

# The 15 DCMES elements in their usual order; keys of `PackageFacts.dublin_core`.
DC_ELEMENTS = (
    "title",
    "creator",
    "subject",
    "description",
    "publisher",
    "contributor",
    "date",
    "type",
    "format",
    "identifier",
    "source",
    "language",
    "relation",
    "coverage",
    "rights",
)
# DCMI terms refinements declared in the vendored dcterms.xsd; keys spelt "dcterms.isPartOf".
DCTERMS_ELEMENTS = frozenset(
    {
        "alternative",
        "tableOfContents",
        "abstract",
        "created",
        "valid",
        "available",
        "issued",
        "modified",
        "dateAccepted",
        "dateCopyrighted",
        "dateSubmitted",
        "extent",
        "medium",
        "isVersionOf",
        "hasVersion",
        "isReplacedBy",
        "replaces",
        "isRequiredBy",
        "requires",
        "isPartOf",
        "hasPart",
        "isReferencedBy",
        "references",
        "isFormatOf",
        "hasFormat",
        "conformsTo",
        "spatial",
        "temporal",
        "audience",
        "accrualMethod",
        "accrualPeriodicity",
        "accrualPolicy",
        "instructionalMethod",
        "provenance",
        "rightsHolder",
        "mediator",
        "educationLevel",
        "accessRights",
        "license",
        "bibliographicCitation",
    }
)

_ID_TYPE = "local"  # PREMIS identifier type: ids are station's own, not UUIDs or handles
_HEX64 = re.compile(r"[0-9a-fA-F]{64}")
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_DIGEST_LENGTHS = {"MD5": 32, "SHA-1": 40, "SHA-256": 64, "SHA-384": 96, "SHA-512": 128}


@dataclass(frozen=True)
class PayloadFile:
    """One file of the package payload, as the METS fileSec and PREMIS object describe it."""

    path: str  # inside the package payload, POSIX, e.g. "masters/0001_scan_0003.tif"
    sha256: str
    size: int
    mime: str  # "image/tiff", "application/pdf", "text/plain", "text/html" (hOCR)...


@dataclass(frozen=True)
class PackagePage:
    """One page of the folder: its master and OCR files and its place in the folder PDF."""

    position: int  # 1-based order in the folder
    label: str  # e.g. "Trang 1" or the page's original file name
    master: PayloadFile
    text: PayloadFile | None
    hocr: PayloadFile | None
    pdf_page: int | None  # page number inside the folder PDF, None if left out (blank)
    original_name: str  # the scanner's file name


@dataclass(frozen=True)
class PackageAgent:
    """Who or what acted: a person, the software (with version), the scanner, the archive."""

    identifier: str  # e.g. "station-user:arch", "software:tesseract-5.5.4", "org:..."
    name: str
    type: str  # a key of AGENT_TYPES: "person" | "software" | "organization" | "hardware"
    note: str = ""  # e.g. role, or version string


@dataclass(frozen=True)
class PackageEvent:
    """One provenance event, on a page (its master) or on the whole folder (its PDF)."""

    identifier: str  # stable, e.g. "station-event-1234"
    type: str  # a key of EVENT_TYPES, e.g. "capture", "modification", "transcription"
    date: datetime  # timezone-aware
    detail: str
    outcome: str  # "success" / "failure" / ""
    outcome_detail: str = ""
    agents: tuple[str, ...] = ()  # agent identifiers
    page_position: int | None = None  # the page it concerns, None for the whole folder/PDF
    document: int | None = None  # the document (its sequence) it concerns, if any


@dataclass(frozen=True)
class PackageDocument:
    """A document (văn bản) of the folder: its own PDF/A, its description and its pages.

    Described in a dmdSec of its own and placed in the logical structMap (folder, documents,
    pages), so a catalogue can take the folder apart item by item.
    """

    sequence: int  # số thứ tự văn bản trong hồ sơ, from 1
    label: str  # archival code and trích yếu, e.g. "VN-X-HS05.3: Về việc ..."
    pdf: PayloadFile | None  # its own PDF/A; None when none of its pages is in a PDF
    dublin_core: dict[str, list[str]]
    page_positions: tuple[int, ...]  # its pages, in order


@dataclass(frozen=True)
class PackageFacts:
    """Everything `build_mets` writes, gathered by the caller so the builder stays pure."""

    object_id: str  # the archival folder id, e.g. "05/01/HS-12"
    dublin_core: dict[str, list[str]]  # DC_ELEMENTS names or "dcterms.<term>" -> values
    pdf: PayloadFile  # the folder's PDF/A
    pages: tuple[PackagePage, ...]
    events: tuple[PackageEvent, ...]
    agents: tuple[PackageAgent, ...]
    created: datetime  # METS header CREATEDATE (given by the caller, for determinism)
    creator: str = "station"  # METS agent (software) name with version
    documents: tuple[PackageDocument, ...] = ()  # the folder's văn bản, when they are known


# --- building -------------------------------------------------------------------------------


def build_mets(facts: PackageFacts) -> bytes:
    """The folder's METS.xml as pretty-printed UTF-8; the same facts always give the same bytes.

    Raises ValueError listing every inconsistency in `facts` (duplicate positions or paths,
    unknown event or agent types, events naming unknown agents or pages, naive dates...):
    those are bugs in the caller, and a package must not be written from them.
    """
    _check_facts(facts)
    pages = sorted(facts.pages, key=lambda page: page.position)
    events = sorted(facts.events, key=lambda event: event.date)  # stable: ties keep input order
    agent_ids = {agent.identifier: f"agent-{n:04d}" for n, agent in enumerate(facts.agents, 1)}
    event_ids = [f"event-{n:04d}" for n in range(1, len(events) + 1)]
    page_by_position = {page.position: page for page in pages}
    documents = sorted(facts.documents, key=lambda document: document.sequence)
    document_by_sequence = {document.sequence: document for document in documents}

    # Which files each event concerns (with a PREMIS role for OCR), and the reverse for ADMID.
    event_links: list[list[tuple[str, PayloadFile, str]]] = []
    file_events: dict[str, list[str]] = {}
    for event, event_id in zip(events, event_ids, strict=True):
        links = _event_links(event, page_by_position, document_by_sequence, facts.pdf)
        event_links.append(links)
        for file_id, _payload, _role in links:
            file_events.setdefault(file_id, []).append(event_id)

    root = etree.Element(
        _q("mets:mets"),
        nsmap=NSMAP,
        attrib=_attrs(
            {
                "OBJID": facts.object_id,
                "LABEL": _title(facts),
                "TYPE": "folder",
                "xsi:schemaLocation": SCHEMA_LOCATION,
            }
        ),
    )
    header = _sub(root, "mets:metsHdr", CREATEDATE=_iso(facts.created))
    agent = _sub(header, "mets:agent", ROLE="CREATOR", TYPE="OTHER", OTHERTYPE="SOFTWARE")
    _sub(agent, "mets:name", facts.creator)

    dmd = _sub(root, "mets:dmdSec", ID="dmd-folder")
    _add_dublin_core(_wrap(dmd, "DC", None), facts.dublin_core)
    for document in documents:
        dmd = _sub(root, "mets:dmdSec", ID=f"dmd-{_document_key(document.sequence)}")
        _add_dublin_core(_wrap(dmd, "DC", None), document.dublin_core)

    def add_events(amd: Any, page: int | None, document: int | None = None) -> None:
        for event, event_id, links in zip(events, event_ids, event_links, strict=True):
            if (event.page_position, event.document) == (page, document):
                admid = " ".join(agent_ids[a] for a in dict.fromkeys(event.agents))
                md = _sub(amd, "mets:digiprovMD", ID=event_id, ADMID=admid or None)
                _add_event(_wrap(md, "PREMIS:EVENT", "3.0"), event, links)

    folder_amd = _sub(root, "mets:amdSec", ID="amd-folder")
    _add_object(folder_amd, "tech-pdf", facts.pdf, None)
    add_events(folder_amd, None)
    for page in pages:
        key = _page_key(page.position)
        page_amd = _sub(root, "mets:amdSec", ID=f"amd-{key}")
        _add_object(page_amd, f"tech-{key}-master", page.master, page.original_name)
        if page.text is not None:
            _add_object(page_amd, f"tech-{key}-text", page.text, None)
        if page.hocr is not None:
            _add_object(page_amd, f"tech-{key}-hocr", page.hocr, None)
        add_events(page_amd, page.position)
    for document in documents:
        key = _document_key(document.sequence)
        document_amd = _sub(root, "mets:amdSec", ID=f"amd-{key}")
        if document.pdf is not None:
            _add_object(document_amd, f"tech-{key}-pdf", document.pdf, None)
        add_events(document_amd, None, document.sequence)
    agents_amd = _sub(root, "mets:amdSec", ID="amd-agents")
    for package_agent in facts.agents:
        md = _sub(agents_amd, "mets:digiprovMD", ID=agent_ids[package_agent.identifier])
        _add_agent(_wrap(md, "PREMIS:AGENT", "3.0"), package_agent)

    file_sec = _sub(root, "mets:fileSec")
    groups: dict[str, list[tuple[str, PayloadFile]]] = {
        "original": [(f"{_page_key(p.position)}-master", p.master) for p in pages],
        "preservation": [
            ("pdf", facts.pdf),
            *((f"{_document_key(d.sequence)}-pdf", d.pdf) for d in documents if d.pdf is not None),
        ],
        "ocr-text": [
            (f"{_page_key(p.position)}-text", p.text) for p in pages if p.text is not None
        ],
        "ocr-hocr": [
            (f"{_page_key(p.position)}-hocr", p.hocr) for p in pages if p.hocr is not None
        ],
    }
    for use, files in groups.items():
        if not files:
            continue
        group = _sub(file_sec, "mets:fileGrp", USE=use)
        for key, payload in files:
            file_id = f"file-{key}"
            admid = " ".join([f"tech-{key}", *file_events.get(file_id, [])])
            page_group = key.split("-")[0] if key != "pdf" else None
            element = _sub(
                group,
                "mets:file",
                ID=file_id,
                GROUPID=page_group,
                MIMETYPE=payload.mime,
                SIZE=str(payload.size),
                CHECKSUM=payload.sha256.lower(),
                CHECKSUMTYPE="SHA-256",
                ADMID=admid,
            )
            _sub(
                element,
                "mets:FLocat",
                LOCTYPE="OTHER",
                OTHERLOCTYPE="SYSTEM",
                **{"xlink:href": payload.path},
            )

    struct_map = _sub(root, "mets:structMap", ID="structmap-physical", TYPE="physical")
    folder_div = _sub(
        struct_map,
        "mets:div",
        ID="div-folder",
        TYPE="folder",
        LABEL=_title(facts),
        DMDID="dmd-folder",
        ADMID="amd-folder",
    )
    _sub(folder_div, "mets:fptr", FILEID="file-pdf")
    for page in pages:
        key = _page_key(page.position)
        page_div = _sub(
            folder_div,
            "mets:div",
            ID=f"div-{key}",
            TYPE="page",
            ORDER=str(page.position),
            LABEL=page.label,
            ADMID=f"amd-{key}",
        )
        _sub(page_div, "mets:fptr", FILEID=f"file-{key}-master")
        if page.text is not None:
            _sub(page_div, "mets:fptr", FILEID=f"file-{key}-text")
        if page.hocr is not None:
            _sub(page_div, "mets:fptr", FILEID=f"file-{key}-hocr")
        if page.pdf_page is not None:
            fragment = f"{quote(facts.pdf.path)}#page={page.pdf_page}"  # RFC 8118
            _sub(page_div, "mets:fptr", FILEID="file-pdf", CONTENTIDS=fragment)
    if documents:
        _add_logical_map(root, facts, documents, page_by_position)

    tree = etree.ElementTree(root)
    data: bytes = etree.tostring(tree, encoding="UTF-8", xml_declaration=True, pretty_print=True)
    return data


def _add_logical_map(
    root: Any,
    facts: PackageFacts,
    documents: list[PackageDocument],
    pages: Mapping[int, PackagePage],
) -> None:
    """The logical structMap: the folder, its documents (each with its dmdSec and its own
    PDF), and each document's pages (their masters), so the folder reads item by item."""
    struct_map = _sub(root, "mets:structMap", ID="structmap-logical", TYPE="logical")
    folder_div = _sub(
        struct_map,
        "mets:div",
        ID="div-logical-folder",
        TYPE="folder",
        LABEL=_title(facts),
        DMDID="dmd-folder",
    )
    for document in documents:
        key = _document_key(document.sequence)
        document_div = _sub(
            folder_div,
            "mets:div",
            ID=f"div-{key}",
            TYPE="document",
            ORDER=str(document.sequence),
            LABEL=document.label,
            DMDID=f"dmd-{key}",
            ADMID=f"amd-{key}",
        )
        if document.pdf is not None:
            _sub(document_div, "mets:fptr", FILEID=f"file-{key}-pdf")
        for order, position in enumerate(document.page_positions, start=1):
            page = pages[position]
            page_key = _page_key(position)
            page_div = _sub(
                document_div,
                "mets:div",
                ID=f"div-{key}-{page_key}",
                TYPE="page",
                ORDER=str(order),
                LABEL=page.label,
            )
            _sub(page_div, "mets:fptr", FILEID=f"file-{page_key}-master")


def _event_links(
    event: PackageEvent,
    pages: Mapping[int, PackagePage],
    documents: Mapping[int, PackageDocument],
    pdf: PayloadFile,
) -> list[tuple[str, PayloadFile, str]]:
    """(file id, file, PREMIS linkingObjectRole) of the objects an event concerns.

    A page event concerns the page's master; OCR also made the page's text and hOCR, which
    it names as outcomes. A document's event concerns its PDF; a folder event the folder PDF.
    """
    if event.document is not None:
        document = documents[event.document]
        if document.pdf is None:
            return []
        return [(f"file-{_document_key(document.sequence)}-pdf", document.pdf, "")]
    if event.page_position is None:
        return [("file-pdf", pdf, "")]
    page = pages[event.page_position]
    key = _page_key(page.position)
    if event.type != "transcription":
        return [(f"file-{key}-master", page.master, "")]
    links = [(f"file-{key}-master", page.master, "source")]
    if page.text is not None:
        links.append((f"file-{key}-text", page.text, "outcome"))
    if page.hocr is not None:
        links.append((f"file-{key}-hocr", page.hocr, "outcome"))
    return links


def _add_dublin_core(xml_data: Any, dublin_core: Mapping[str, list[str]]) -> None:
    def order(key: str) -> tuple[int, str]:
        return (DC_ELEMENTS.index(key), "") if key in DC_ELEMENTS else (len(DC_ELEMENTS), key)

    for key in sorted(dublin_core, key=order):
        qname = f"dc:{key}" if key in DC_ELEMENTS else f"dcterms:{key.removeprefix('dcterms.')}"
        for value in dublin_core[key]:
            if value.strip():
                _sub(xml_data, qname, value.strip())


def _add_object(amd: Any, md_id: str, payload: PayloadFile, original_name: str | None) -> None:
    """A techMD holding the PREMIS file object: identifier, fixity, size, format, name."""
    tech = _sub(amd, "mets:techMD", ID=md_id)
    obj = _sub(_wrap(tech, "PREMIS:OBJECT", "3.0"), "premis:object")
    obj.set(_q("xsi:type"), "premis:file")
    obj.set("version", "3.0")
    identifier = _sub(obj, "premis:objectIdentifier")
    _sub(identifier, "premis:objectIdentifierType", _ID_TYPE)
    _sub(identifier, "premis:objectIdentifierValue", payload.path)
    characteristics = _sub(obj, "premis:objectCharacteristics")
    _sub(characteristics, "premis:compositionLevel", "0")
    fixity = _sub(characteristics, "premis:fixity")
    _sub(
        fixity,
        "premis:messageDigestAlgorithm",
        "SHA-256",
        authority="cryptographicHashFunctions",
        authorityURI=_SHA256_URI.rsplit("/", 1)[0],
        valueURI=_SHA256_URI,
    )
    _sub(fixity, "premis:messageDigest", payload.sha256.lower())
    _sub(characteristics, "premis:size", str(payload.size))
    designation = _sub(_sub(characteristics, "premis:format"), "premis:formatDesignation")
    _sub(designation, "premis:formatName", payload.mime)
    if original_name:
        _sub(obj, "premis:originalName", original_name)


def _add_event(
    xml_data: Any, event: PackageEvent, links: Iterable[tuple[str, PayloadFile, str]]
) -> None:
    element = _sub(xml_data, "premis:event", version="3.0")
    identifier = _sub(element, "premis:eventIdentifier")
    _sub(identifier, "premis:eventIdentifierType", _ID_TYPE)
    _sub(identifier, "premis:eventIdentifierValue", event.identifier)
    uri = EVENT_TYPES[event.type]
    authority = (
        {"authority": "eventType", "authorityURI": _LOC_EVENT_TYPE, "valueURI": uri} if uri else {}
    )
    _sub(element, "premis:eventType", event.type, **authority)
    _sub(element, "premis:eventDateTime", _iso(event.date))
    if event.detail.strip():
        _sub(_sub(element, "premis:eventDetailInformation"), "premis:eventDetail", event.detail)
    if event.outcome or event.outcome_detail.strip():
        outcome = _sub(element, "premis:eventOutcomeInformation")
        if event.outcome:
            _sub(outcome, "premis:eventOutcome", event.outcome)
        if event.outcome_detail.strip():
            detail = _sub(outcome, "premis:eventOutcomeDetail")
            _sub(detail, "premis:eventOutcomeDetailNote", event.outcome_detail)
    for agent_id in dict.fromkeys(event.agents):
        link = _sub(element, "premis:linkingAgentIdentifier")
        _sub(link, "premis:linkingAgentIdentifierType", _ID_TYPE)
        _sub(link, "premis:linkingAgentIdentifierValue", agent_id)
    for _file_id, payload, role in links:
        link = _sub(element, "premis:linkingObjectIdentifier")
        _sub(link, "premis:linkingObjectIdentifierType", _ID_TYPE)
        _sub(link, "premis:linkingObjectIdentifierValue", payload.path)
        if role:
            _sub(link, "premis:linkingObjectRole", role)


def _add_agent(xml_data: Any, agent: PackageAgent) -> None:
    element = _sub(xml_data, "premis:agent", version="3.0")
    identifier = _sub(element, "premis:agentIdentifier")
    _sub(identifier, "premis:agentIdentifierType", _ID_TYPE)
    _sub(identifier, "premis:agentIdentifierValue", agent.identifier)
    _sub(element, "premis:agentName", agent.name)
    _sub(
        element,
        "premis:agentType",
        agent.type,
        authority="agentType",
        authorityURI=_LOC_AGENT_TYPE,
        valueURI=AGENT_TYPES[agent.type],
    )
    if agent.note.strip():
        _sub(element, "premis:agentNote", agent.note)


def _wrap(section: Any, mdtype: str, version: str | None) -> Any:
    """mdWrap + xmlData inside a metadata section; returns the xmlData element."""
    wrap = _sub(section, "mets:mdWrap", MDTYPE=mdtype, MDTYPEVERSION=version)
    return _sub(wrap, "mets:xmlData")


def _sub(parent: Any, qname: str, text: str | None = None, **attrs: str | None) -> Any:
    """A child element; attributes given None are left out, all text is NFC."""
    element = etree.SubElement(parent, _q(qname), attrib=_attrs(attrs))
    if text is not None:
        element.text = _nfc(text)
    return element


def _attrs(attrs: Mapping[str, str | None]) -> dict[str, str]:
    return {_q(name): _nfc(value) for name, value in attrs.items() if value is not None}


def _q(qname: str) -> str:
    """Prefixed name to Clark name: mets:file -> {http://www.loc.gov/METS/}file."""
    prefix, _, local = qname.rpartition(":")
    return f"{{{NSMAP[prefix]}}}{local}" if prefix else local


def _nfc(value: str) -> str:
    return unicodedata.normalize("NFC", value)


def _iso(value: datetime) -> str:
    return value.isoformat()


def _page_key(position: int) -> str:
    return f"p{position:04d}"


def _document_key(sequence: int) -> str:
    return f"d{sequence:04d}"


def _title(facts: PackageFacts) -> str:
    titles = [value.strip() for value in facts.dublin_core.get("title", []) if value.strip()]
    return titles[0] if titles else facts.object_id


def _check_facts(facts: PackageFacts) -> None:
    """Raise one ValueError naming every inconsistency, so a caller fixes them in one pass."""
    problems: list[str] = []

    def check_text(where: str, value: str) -> None:
        if _NOT_XML.search(value):
            problems.append(f"{where} holds a control character XML cannot carry: {value!r}")

    def check_date(where: str, value: datetime) -> None:
        if value.tzinfo is None or value.utcoffset() is None:
            problems.append(f"{where} has no time zone: {value.isoformat()}")

    paths: set[str] = set()

    def check_file(where: str, payload: PayloadFile) -> None:
        path = PurePosixPath(payload.path)
        if (
            not payload.path
            or path.is_absolute()
            or "\\" in payload.path
            or any(part in ("", ".", "..") for part in payload.path.split("/"))
        ):
            problems.append(f"{where}: path {payload.path!r} is not a relative POSIX path")
        if payload.path in paths:
            problems.append(f"{where}: path {payload.path!r} is used twice")
        paths.add(payload.path)
        if not _HEX64.fullmatch(payload.sha256):
            problems.append(f"{where}: sha256 {payload.sha256!r} is not 64 hex digits")
        if payload.size < 0:
            problems.append(f"{where}: size {payload.size} is negative")
        if not payload.mime or "/" not in payload.mime:
            problems.append(f"{where}: {payload.mime!r} is not a MIME type")
        check_text(where, payload.path)

    check_text("object_id", facts.object_id)
    check_text("creator", facts.creator)
    check_date("created", facts.created)
    for key, values in facts.dublin_core.items():
        if key not in DC_ELEMENTS and not (
            key.startswith("dcterms.") and key.removeprefix("dcterms.") in DCTERMS_ELEMENTS
        ):
            problems.append(f"dublin_core: {key!r} is neither a DC element nor 'dcterms.<term>'")
        for value in values:
            check_text(f"dublin_core[{key!r}]", value)

    check_file("pdf", facts.pdf)
    positions: set[int] = set()
    pdf_pages: set[int] = set()
    for page in facts.pages:
        where = f"page {page.position}"
        if page.position < 1 or page.position in positions:
            problems.append(f"{where}: position must be unique and at least 1")
        positions.add(page.position)
        if page.pdf_page is not None:
            if page.pdf_page < 1 or page.pdf_page in pdf_pages:
                problems.append(f"{where}: pdf_page {page.pdf_page} must be unique and at least 1")
            pdf_pages.add(page.pdf_page)
        check_file(f"{where} master", page.master)
        if page.text is not None:
            check_file(f"{where} text", page.text)
        if page.hocr is not None:
            check_file(f"{where} hocr", page.hocr)
        check_text(f"{where} label", page.label)
        check_text(f"{where} original_name", page.original_name)

    sequences: set[int] = set()
    for document in facts.documents:
        where = f"document {document.sequence}"
        if document.sequence < 1 or document.sequence in sequences:
            problems.append(f"{where}: sequence must be unique and at least 1")
        sequences.add(document.sequence)
        if document.pdf is not None:
            check_file(f"{where} pdf", document.pdf)
        check_text(f"{where} label", document.label)
        for key, values in document.dublin_core.items():
            if key not in DC_ELEMENTS and not (
                key.startswith("dcterms.") and key.removeprefix("dcterms.") in DCTERMS_ELEMENTS
            ):
                problems.append(f"{where}: {key!r} is neither a DC element nor 'dcterms.<term>'")
            for value in values:
                check_text(f"{where} dublin_core[{key!r}]", value)
        for position in document.page_positions:
            if position not in positions:
                problems.append(f"{where}: there is no page at position {position}")

    agents: set[str] = set()
    for agent in facts.agents:
        where = f"agent {agent.identifier!r}"
        if not agent.identifier or agent.identifier in agents:
            problems.append(f"{where}: identifier must be unique and not empty")
        agents.add(agent.identifier)
        if agent.type not in AGENT_TYPES:
            problems.append(f"{where}: type {agent.type!r} is not one of {sorted(AGENT_TYPES)}")
        for value in (agent.identifier, agent.name, agent.note):
            check_text(where, value)

    events: set[str] = set()
    for event in facts.events:
        where = f"event {event.identifier!r}"
        if not event.identifier or event.identifier in events:
            problems.append(f"{where}: identifier must be unique and not empty")
        events.add(event.identifier)
        if event.type not in EVENT_TYPES:
            problems.append(f"{where}: type {event.type!r} is not a known PREMIS event type")
        if event.outcome not in EVENT_OUTCOMES:
            problems.append(f"{where}: outcome {event.outcome!r} is not one of {EVENT_OUTCOMES}")
        check_date(where, event.date)
        for agent_id in event.agents:
            if agent_id not in agents:
                problems.append(f"{where}: agent {agent_id!r} is not among the agents")
        if event.page_position is not None and event.page_position not in positions:
            problems.append(f"{where}: there is no page at position {event.page_position}")
        if event.document is not None and event.document not in sequences:
            problems.append(f"{where}: there is no document {event.document}")
        if event.document is not None and event.page_position is not None:
            problems.append(f"{where}: concerns a page or a document, not both")
        for value in (event.identifier, event.detail, event.outcome_detail):
            check_text(where, value)
    if problems:
        raise ValueError("Cannot build METS: " + "; ".join(problems) + ".")


# --- validating -----------------------------------------------------------------------------

_SCHEMA_LOCK = threading.Lock()  # an XMLSchema's error_log is shared by all its callers
_PREFIXES = {f"{{{uri}}}": f"{prefix}:" for prefix, uri in NSMAP.items()}


@cache
def _schema() -> Any:
    """The compiled METS + PREMIS 3 + DC schema set (slow to build, so built once)."""
    parser = etree.XMLParser(no_network=True, resolve_entities=False, load_dtd=False)
    return etree.XMLSchema(etree.parse(str(DRIVER_SCHEMA), parser))


def validate_mets(xml: bytes | Path) -> list[str]:
    """Problems of a METS document, one sentence each with its line; [] when it is valid.

    Checks the XML schemas (METS 1.12.1, and PREMIS 3 and DC inside mdWrap/xmlData), then
    what the schemas cannot: that FILEID/DMDID/ADMID point at the right kind of element
    (libxml2 does not resolve IDREFs), that checksums have their algorithm's length and agree
    with the PREMIS fixity and size, and that PREMIS events link to agents and objects the
    document describes. Never raises for bad content; a file that cannot be read raises OSError.
    """
    data = xml.read_bytes() if isinstance(xml, Path) else xml
    parser = etree.XMLParser(
        no_network=True, resolve_entities=False, load_dtd=False, huge_tree=False
    )
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        line, column = exc.position if exc.position else (1, 1)
        reason = re.sub(r",? line \d+, column \d+$", "", exc.msg or "").strip()
        return [
            _(
                "Line %(line)s: not well-formed XML at column %(column)s: %(reason)s",
                line=line,
                column=column,
                reason=_sentence(reason),
            )
        ]
    if root is None or root.tag != _q("mets:mets"):
        tag = _readable(root.tag) if root is not None else _("nothing")
        return [
            _(
                "Line %(line)s: the root element is %(tag)s, not mets:mets.",
                line=getattr(root, "sourceline", 1),
                tag=tag,
            )
        ]

    found: list[tuple[int, str]] = []
    schema = _schema()
    with _SCHEMA_LOCK:
        schema.validate(root.getroottree())
        errors = [(error.line, error.message) for error in schema.error_log]
    found += [(line or 0, _sentence(_readable(message))) for line, message in errors]
    found += _wrapped_problems(root)
    found += _reference_problems(root)
    found += _checksum_problems(root)
    found += _premis_link_problems(root)
    found.sort(key=lambda problem: problem[0] or 0)
    return [_("Line %(line)s: %(message)s", line=line or 1, message=m) for line, m in found]


def _wrapped_problems(root: Any) -> list[tuple[int, str]]:
    """An mdWrap must hold what its MDTYPE says.

    xmlData is lax: an element the schemas do not declare (a typo such as premis:evnt or
    dc:titel) is skipped by schema validation, so it is caught here.
    """
    premis = {name: _q(f"premis:{name}") for name in ("premis", "object", "event", "agent")}
    dublin_core = {_q(f"dc:{name}") for name in DC_ELEMENTS} | {
        _q(f"dcterms:{name}") for name in (*DC_ELEMENTS, *DCTERMS_ELEMENTS)
    }
    expected: dict[str, tuple[set[str], str]] = {
        "DC": (dublin_core, _("Dublin Core elements")),
        "PREMIS": (set(premis.values()) | {_q("premis:rights")}, _("PREMIS elements")),
        "PREMIS:OBJECT": ({premis["object"]}, "premis:object"),
        "PREMIS:EVENT": ({premis["event"]}, "premis:event"),
        "PREMIS:AGENT": ({premis["agent"]}, "premis:agent"),
    }
    problems: list[tuple[int, str]] = []
    for wrap in root.iter(_q("mets:mdWrap")):
        mdtype = wrap.get("MDTYPE")
        if mdtype not in expected:
            continue
        tags, kind = expected[mdtype]
        for data in wrap.iterchildren(_q("mets:xmlData")):
            for child in data.iterchildren(etree.Element):
                if child.tag not in tags:
                    problems.append(
                        (
                            child.sourceline,
                            _(
                                "mets:mdWrap MDTYPE=%(mdtype)r holds %(tag)s, not %(kind)s.",
                                mdtype=mdtype,
                                tag=_readable(child.tag),
                                kind=kind,
                            ),
                        )
                    )
    return problems


def _reference_problems(root: Any) -> list[tuple[int, str]]:
    """FILEID/DMDID/ADMID must name an element of the right kind: the XSD only types them."""
    by_id = {element.get("ID"): element for element in root.iter() if element.get("ID")}
    admin = {
        _q(f"mets:{name}") for name in ("amdSec", "techMD", "rightsMD", "sourceMD", "digiprovMD")
    }
    kinds = {
        "FILEID": ({_q("mets:file")}, _("a mets:file")),
        "DMDID": ({_q("mets:dmdSec")}, _("a mets:dmdSec")),
        "ADMID": (admin, _("an amdSec or its techMD/rightsMD/sourceMD/digiprovMD")),
    }
    problems: list[tuple[int, str]] = []
    for element in root.iter(etree.Element):
        if not isinstance(element.tag, str) or not element.tag.startswith(f"{{{METS_NS}}}"):
            continue
        for attribute, (tags, kind) in kinds.items():
            for ref in (element.get(attribute) or "").split():
                target = by_id.get(ref)
                where = f"{_readable(element.tag)} {attribute} {ref!r}"
                if target is None:
                    problems.append(
                        (element.sourceline, _("%(where)s points to no element.", where=where))
                    )
                elif target.tag not in tags:
                    problems.append(
                        (
                            element.sourceline,
                            _(
                                "%(where)s points to %(tag)s, not %(kind)s.",
                                where=where,
                                tag=_readable(target.tag),
                                kind=kind,
                            ),
                        )
                    )
    return problems


def _checksum_problems(root: Any) -> list[tuple[int, str]]:
    """A file's CHECKSUM must fit its CHECKSUMTYPE and match its PREMIS fixity and size."""
    by_id = {element.get("ID"): element for element in root.iter() if element.get("ID")}
    problems: list[tuple[int, str]] = []
    for element in root.iter(_q("mets:file")):
        checksum = element.get("CHECKSUM")
        algorithm = element.get("CHECKSUMTYPE")
        line = element.sourceline
        name = f"mets:file {element.get('ID')!r}"
        length = _DIGEST_LENGTHS.get(algorithm or "")
        if (
            checksum is not None
            and length is not None
            and not re.fullmatch(f"[0-9a-fA-F]{{{length}}}", checksum)
        ):
            problems.append(
                (
                    line,
                    _(
                        "%(name)s CHECKSUM is not a %(algorithm)s digest.",
                        name=name,
                        algorithm=algorithm,
                    ),
                )
            )
            continue
        for ref in (element.get("ADMID") or "").split():
            section = by_id.get(ref)
            if section is None or section.tag != _q("mets:techMD"):
                continue
            for fixity in section.iter(_q("premis:fixity")):
                premis_algorithm = fixity.findtext(_q("premis:messageDigestAlgorithm")) or ""
                digest = fixity.findtext(_q("premis:messageDigest")) or ""
                if (
                    checksum is not None
                    and premis_algorithm.strip().upper() == (algorithm or "").upper()
                    and digest.strip().lower() != checksum.lower()
                ):
                    problems.append(
                        (
                            line,
                            _(
                                "%(name)s CHECKSUM differs from the PREMIS fixity in %(ref)r.",
                                name=name,
                                ref=ref,
                            ),
                        )
                    )
            size = element.get("SIZE")
            for premis_size in section.iter(_q("premis:size")):
                if size is not None and (premis_size.text or "").strip() != size:
                    problems.append(
                        (
                            line,
                            _(
                                "%(name)s SIZE differs from the PREMIS size in %(ref)r.",
                                name=name,
                                ref=ref,
                            ),
                        )
                    )
    return problems


def _premis_link_problems(root: Any) -> list[tuple[int, str]]:
    """PREMIS events must link to agents and objects described in the same package."""

    def identifiers(kind: str) -> set[tuple[str, str]]:
        return {
            (
                (ident.findtext(_q(f"premis:{kind}IdentifierType")) or "").strip(),
                (ident.findtext(_q(f"premis:{kind}IdentifierValue")) or "").strip(),
            )
            for ident in root.iter(_q(f"premis:{kind}Identifier"))
        }

    known = {"Agent": identifiers("agent"), "Object": identifiers("object")}
    described_kinds = {"Agent": N_("agent"), "Object": N_("object")}
    problems: list[tuple[int, str]] = []
    for kind, described in known.items():
        for link in root.iter(_q(f"premis:linking{kind}Identifier")):
            key = (
                (link.findtext(_q(f"premis:linking{kind}IdentifierType")) or "").strip(),
                (link.findtext(_q(f"premis:linking{kind}IdentifierValue")) or "").strip(),
            )
            if key not in described:
                problems.append(
                    (
                        link.sourceline,
                        _(
                            "premis:linking%(kind)sIdentifier %(type)s %(value)r names no "
                            "%(what)s described in this document.",
                            kind=kind,
                            type=key[0],
                            value=key[1],
                            what=_(described_kinds[kind]),
                        ),
                    )
                )
    return problems


def _readable(text: str) -> str:
    """Clark names ("{http://www.loc.gov/METS/}file") as prefixed names ("mets:file")."""
    for clark, prefix in _PREFIXES.items():
        text = text.replace(clark, prefix)
    return text


def _sentence(text: str) -> str:
    text = text.strip()
    return text if text.endswith(".") else f"{text}."
