"""METS + PREMIS + DC for an exported folder: real lxml, the vendored official schemas, no mocks."""

from __future__ import annotations

import dataclasses
import hashlib
import re
import unicodedata
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from lxml import etree

from station.export.mets import (
    SCHEMAS_DIR,
    PackageAgent,
    PackageDocument,
    PackageEvent,
    PackageFacts,
    PackagePage,
    PayloadFile,
    build_mets,
    validate_mets,
)

NS = {
    "mets": "http://www.loc.gov/METS/",
    "premis": "http://www.loc.gov/premis/v3",
    "dc": "http://purl.org/dc/elements/1.1/",
    "dcterms": "http://purl.org/dc/terms/",
    "xlink": "http://www.w3.org/1999/xlink",
    "xsi": "http://www.w3.org/2001/XMLSchema-instance",
}
VN = timezone(timedelta(hours=7))
TITLE = "Hồ sơ Hội nghị Ban Chấp hành Đảng bộ tỉnh lần thứ 5 (khóa XIV)"
FOLDER_ID = "05/01/HS-12"
NCNAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.\-]*")


def payload(path: str, mime: str) -> PayloadFile:
    """A payload file whose checksum and size are those of some made-up content."""
    content = f"content of {path}".encode() * 50
    return PayloadFile(path, hashlib.sha256(content).hexdigest(), len(content), mime)


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2025, 6, day, hour, minute, tzinfo=VN)


SCANNER = "hardware:fujitsu-fi-7160"
OPERATOR = "station-user:scan1"
REVIEWER = "station-user:arch"
STATION = "software:station-0.1.0"
TESSERACT = "software:tesseract-5.5.4"
ARCHIVE = "org:ttlt-ha-tinh"


def realistic_facts() -> PackageFacts:
    """A three-page hồ sơ: page 2 was rescanned after QA, page 3 is a blank left out of the PDF."""
    pages = (
        PackagePage(
            position=1,
            label="Trang 1",
            master=payload("masters/0001_scan_0001.tif", "image/tiff"),
            text=payload("text/0001.txt", "text/plain"),
            hocr=payload("hocr/0001.hocr", "text/html"),
            pdf_page=1,
            original_name="scan_0001.tif",
        ),
        PackagePage(
            position=2,
            label="Trang 2",
            master=payload("masters/0002_scan_0007.tif", "image/tiff"),
            text=payload("text/0002.txt", "text/plain"),
            hocr=payload("hocr/0002.hocr", "text/html"),
            pdf_page=2,
            original_name="scan_0007.tif",
        ),
        PackagePage(
            position=3,
            label="Trang 3 (trắng)",
            master=payload("masters/0003_scan_0003.tif", "image/tiff"),
            text=None,
            hocr=None,
            pdf_page=None,
            original_name="scan_0003.tif",
        ),
    )
    agents = (
        PackageAgent(SCANNER, "Fujitsu fi-7160", "hardware", "600 dpi duplex scanner"),
        PackageAgent(OPERATOR, "Trần Văn Bình", "person", "scanning operator"),
        PackageAgent(REVIEWER, "Nguyễn Thị Lan", "person", "archivist, QA reviewer"),
        PackageAgent(STATION, "station", "software", "0.1.0"),
        PackageAgent(TESSERACT, "Tesseract OCR", "software", "5.5.4, traineddata vie"),
        PackageAgent(ARCHIVE, "Trung tâm Lưu trữ lịch sử tỉnh Hà Tĩnh", "organization"),
    )
    digest = {page.position: page.master.sha256 for page in pages}
    events = [
        PackageEvent(
            f"station-event-{100 + n}",
            "capture",
            at(2, 8, n),
            f"Scanned at 300 dpi, grey, as scan_000{n}.tif",
            "success",
            f"SHA-256 {digest[n] if n != 2 else '9' * 64}",
            (OPERATOR, SCANNER),
            n,
        )
        for n in (1, 2, 3)
    ]
    events += [
        PackageEvent(
            f"station-event-{200 + n}",
            "modification",
            at(2, 9, n),
            "Orientation 0°, deskew −1.4°, border cleaning",
            "success",
            agents=(STATION,),
            page_position=n,
        )
        for n in (1, 2, 3)
    ]
    events += [
        PackageEvent(
            "station-event-301",
            "validation",
            at(3, 10),
            "QA decision: rescan (blurred)",
            "failure",
            "Page image blurred, text unreadable",
            (REVIEWER,),
            2,
        ),
        PackageEvent(
            "station-event-302",
            "capture",
            at(3, 14),
            "Rescan replacing scan_0002.tif (slip R-17)",
            "success",
            f"SHA-256 {digest[2]}",
            (OPERATOR, SCANNER),
            2,
        ),
        PackageEvent(
            "station-event-303",
            "modification",
            at(3, 14, 5),
            "Orientation 0°, deskew 0.3°",
            "success",
            agents=(STATION,),
            page_position=2,
        ),
    ]
    events += [
        PackageEvent(
            f"station-event-{400 + n}",
            "transcription",
            at(3, 15, n),
            "OCR engine=Tesseract 5.5.4 lang=vie psm=3",
            "success",
            "mean word confidence 91",
            (TESSERACT, STATION),
            n,
        )
        for n in (1, 2)
    ]
    events += [
        PackageEvent(
            f"station-event-{500 + n}",
            "validation",
            at(4, 9, n),
            "QA decision: approved" if n != 3 else "QA decision: blank, left out of the PDF",
            "success",
            agents=(REVIEWER,),
            page_position=n,
        )
        for n in (1, 2, 3)
    ]
    events += [
        PackageEvent(
            "station-event-601",
            "creation",
            at(4, 10),
            "Folder PDF/A-2b assembled from 2 pages (blank page 3 left out)",
            "success",
            agents=(STATION,),
        ),
        PackageEvent(
            "station-event-602",
            "information package creation",
            at(4, 11),
            "Export of the approved folder as an archival package",
            "success",
            agents=(STATION, ARCHIVE),
        ),
    ]
    return PackageFacts(
        object_id=FOLDER_ID,
        dublin_core={
            "title": [TITLE],
            "identifier": [FOLDER_ID],
            "date": ["2019-03-05/2019-12-28"],
            "language": ["vi"],
            "rights": ["Công khai"],
            "source": ["Phông Tỉnh ủy Hà Tĩnh, mục lục 01, hộp 3, hồ sơ 12"],
            "description": ["Biên bản, nghị quyết và tài liệu hội nghị"],
            "coverage": ["Hà Tĩnh"],
            "type": ["Hồ sơ"],
            "publisher": ["Trung tâm Lưu trữ lịch sử tỉnh Hà Tĩnh"],
            "dcterms.isPartOf": ["05/01"],
        },
        pdf=payload("pdf/05_01_HS-12.pdf", "application/pdf"),
        pages=pages,
        events=tuple(events),
        agents=agents,
        created=at(4, 11, 30),
        creator="station 0.1.0",
    )


@pytest.fixture(scope="module")
def facts() -> PackageFacts:
    return realistic_facts()


@pytest.fixture(scope="module")
def mets_bytes(facts: PackageFacts) -> bytes:
    return build_mets(facts)


@pytest.fixture
def doc(mets_bytes: bytes) -> Any:
    return etree.fromstring(mets_bytes)


def reparse(root: Any) -> tuple[bytes, Any]:
    """Serialise an edited tree and parse it again, so elements carry their new line numbers."""
    data: bytes = etree.tostring(root, encoding="UTF-8", xml_declaration=True, pretty_print=True)
    return data, etree.fromstring(data)


def one(root: Any, xpath: str) -> Any:
    found = root.xpath(xpath, namespaces=NS)
    assert len(found) == 1, xpath
    return found[0]


# --- a good document --------------------------------------------------------------------------


def test_realistic_folder_validates(mets_bytes: bytes, tmp_path: Path) -> None:
    assert validate_mets(mets_bytes) == []
    path = tmp_path / "METS.xml"
    path.write_bytes(mets_bytes)
    assert validate_mets(path) == []


def test_same_facts_give_same_bytes(facts: PackageFacts, mets_bytes: bytes) -> None:
    assert build_mets(realistic_facts()) == mets_bytes
    shuffled = dataclasses.replace(
        facts, pages=facts.pages[::-1], events=facts.events[::-1], agents=facts.agents
    )
    assert build_mets(shuffled) == mets_bytes  # pages go by position, events by date
    assert mets_bytes.startswith(b"<?xml") and b"\n  <mets:metsHdr" in mets_bytes


def test_header_and_dublin_core(doc: Any) -> None:
    assert doc.get("OBJID") == FOLDER_ID
    header = one(doc, "mets:metsHdr")
    assert header.get("CREATEDATE") == "2025-06-04T11:30:00+07:00"
    agent = one(header, "mets:agent")
    assert (agent.get("ROLE"), agent.get("TYPE"), agent.get("OTHERTYPE")) == (
        "CREATOR",
        "OTHER",
        "SOFTWARE",
    )
    assert one(agent, "mets:name").text == "station 0.1.0"
    wrap = one(doc, "mets:dmdSec[@ID='dmd-folder']/mets:mdWrap")
    assert wrap.get("MDTYPE") == "DC"
    data = one(wrap, "mets:xmlData")
    assert one(data, "dc:title").text == TITLE
    assert one(data, "dc:language").text == "vi"
    assert one(data, "dcterms:isPartOf").text == "05/01"
    assert [etree.QName(e).localname for e in data][:3] == ["title", "description", "publisher"]


def test_vietnamese_text_is_stored_nfc(facts: PackageFacts) -> None:
    decomposed = unicodedata.normalize("NFD", TITLE)
    assert decomposed != TITLE
    dc = {**facts.dublin_core, "title": [decomposed]}
    root = etree.fromstring(build_mets(dataclasses.replace(facts, dublin_core=dc)))
    assert one(root, "//dc:title").text == TITLE
    assert one(root, "//mets:structMap/mets:div").get("LABEL") == TITLE


def test_file_section(doc: Any, facts: PackageFacts) -> None:
    groups = {g.get("USE"): g for g in doc.xpath("mets:fileSec/mets:fileGrp", namespaces=NS)}
    assert list(groups) == ["original", "preservation", "ocr-text", "ocr-hocr"]
    hrefs = {
        use: [f.get(f"{{{NS['xlink']}}}href") for f in g.xpath(".//mets:FLocat", namespaces=NS)]
        for use, g in groups.items()
    }
    assert hrefs["original"] == [page.master.path for page in facts.pages]
    assert hrefs["preservation"] == [facts.pdf.path]
    assert hrefs["ocr-text"] == ["text/0001.txt", "text/0002.txt"]  # the blank has no OCR
    assert hrefs["ocr-hocr"] == ["hocr/0001.hocr", "hocr/0002.hocr"]
    master = one(doc, "//mets:file[@ID='file-p0002-master']")
    assert master.get("CHECKSUM") == facts.pages[1].master.sha256
    assert master.get("CHECKSUMTYPE") == "SHA-256"
    assert master.get("SIZE") == str(facts.pages[1].master.size)
    assert master.get("MIMETYPE") == "image/tiff"
    assert master.get("ADMID").split()[0] == "tech-p0002-master"
    flocat = one(master, "mets:FLocat")
    assert (flocat.get("LOCTYPE"), flocat.get("OTHERLOCTYPE")) == ("OTHER", "SYSTEM")


def test_structmap_lists_pages_in_order(doc: Any, facts: PackageFacts) -> None:
    struct_map = one(doc, "mets:structMap")
    assert struct_map.get("TYPE") == "physical"
    folder = one(struct_map, "mets:div")
    assert (folder.get("TYPE"), folder.get("DMDID")) == ("folder", "dmd-folder")
    assert one(folder, "mets:fptr").get("FILEID") == "file-pdf"  # the whole PDF
    divs = folder.xpath("mets:div", namespaces=NS)
    assert [div.get("TYPE") for div in divs] == ["page"] * 3
    assert [int(div.get("ORDER")) for div in divs] == [p.position for p in facts.pages]
    assert [div.get("LABEL") for div in divs] == ["Trang 1", "Trang 2", "Trang 3 (trắng)"]
    fptrs = [[(f.get("FILEID"), f.get("CONTENTIDS")) for f in div] for div in divs]
    assert fptrs[0] == [
        ("file-p0001-master", None),
        ("file-p0001-text", None),
        ("file-p0001-hocr", None),
        ("file-pdf", "pdf/05_01_HS-12.pdf#page=1"),
    ]
    assert fptrs[1][-1] == ("file-pdf", "pdf/05_01_HS-12.pdf#page=2")
    assert fptrs[2] == [("file-p0003-master", None)]  # blank: not in the PDF, no OCR


def test_every_reference_resolves(doc: Any) -> None:
    ids = {e.get("ID"): e for e in doc.iter() if e.get("ID")}
    assert all(NCNAME.fullmatch(i) for i in ids), sorted(ids)
    assert not any("HS-12" in i or "/" in i for i in ids)
    kinds = {
        "FILEID": {"file"},
        "DMDID": {"dmdSec"},
        "ADMID": {"amdSec", "techMD", "digiprovMD"},
    }
    checked = 0
    for element in doc.iter():
        for attribute, allowed in kinds.items():
            for ref in (element.get(attribute) or "").split():
                assert ref in ids, (attribute, ref)
                assert etree.QName(ids[ref]).localname in allowed, (attribute, ref)
                checked += 1
    assert checked > 40
    # Every file is in the structMap, and every techMD/digiprovMD is reachable from a file.
    pointed = {f.get("FILEID") for f in doc.iter(f"{{{NS['mets']}}}fptr")}
    files = {f.get("ID") for f in doc.iter(f"{{{NS['mets']}}}file")}
    assert pointed == files
    file_admids = {ref for f in doc.iter(f"{{{NS['mets']}}}file") for ref in f.get("ADMID").split()}
    tech = {t.get("ID") for t in doc.iter(f"{{{NS['mets']}}}techMD")}
    events = {
        md.get("ID")
        for md in doc.xpath("//mets:digiprovMD[mets:mdWrap/@MDTYPE='PREMIS:EVENT']", namespaces=NS)
    }
    assert tech | events <= file_admids


def test_premis_objects_events_and_agents(doc: Any, facts: PackageFacts) -> None:
    objects = {
        one(o, "premis:objectIdentifier/premis:objectIdentifierValue").text: o
        for o in doc.iter(f"{{{NS['premis']}}}object")
    }
    assert len(objects) == 3 + 2 + 2 + 1  # masters, texts, hOCRs, PDF
    master = objects["masters/0002_scan_0007.tif"]
    assert master.get(f"{{{NS['xsi']}}}type") == "premis:file"
    assert one(master, ".//premis:messageDigest").text == facts.pages[1].master.sha256
    assert one(master, ".//premis:messageDigestAlgorithm").text == "SHA-256"
    assert one(master, ".//premis:size").text == str(facts.pages[1].master.size)
    assert one(master, ".//premis:formatName").text == "image/tiff"
    assert one(master, "premis:originalName").text == "scan_0007.tif"
    assert not objects["pdf/05_01_HS-12.pdf"].xpath("premis:originalName", namespaces=NS)

    events = {
        one(e, "premis:eventIdentifier/premis:eventIdentifierValue").text: e
        for e in doc.iter(f"{{{NS['premis']}}}event")
    }
    assert len(events) == len(facts.events)
    capture = one(events["station-event-302"], "premis:eventType")
    assert capture.text == "capture"
    assert capture.get("valueURI") == "http://id.loc.gov/vocabulary/preservation/eventType/cap"
    ocr = events["station-event-402"]
    assert one(ocr, "premis:eventType").text == "transcription"
    assert "Tesseract 5.5.4" in one(ocr, ".//premis:eventDetail").text
    links = [
        (
            one(link, "premis:linkingObjectIdentifierValue").text,
            link.findtext(f"{{{NS['premis']}}}linkingObjectRole"),
        )
        for link in ocr.xpath("premis:linkingObjectIdentifier", namespaces=NS)
    ]
    assert links == [
        ("masters/0002_scan_0007.tif", "source"),
        ("text/0002.txt", "outcome"),
        ("hocr/0002.hocr", "outcome"),
    ]
    qa = events["station-event-301"]
    assert one(qa, ".//premis:eventOutcome").text == "failure"
    assert one(qa, ".//premis:linkingAgentIdentifierValue").text == REVIEWER
    assert one(qa, "premis:eventDateTime").text == "2025-06-03T10:00:00+07:00"
    export = events["station-event-602"]
    assert one(export, ".//premis:linkingObjectIdentifierValue").text == "pdf/05_01_HS-12.pdf"

    agents = {
        one(a, ".//premis:agentIdentifierValue").text: a
        for a in doc.iter(f"{{{NS['premis']}}}agent")
    }
    assert set(agents) == {agent.identifier for agent in facts.agents}
    assert one(agents[REVIEWER], "premis:agentName").text == "Nguyễn Thị Lan"
    assert one(agents[SCANNER], "premis:agentType").text == "hardware"

    # Event sections sit in their page's amdSec and point to their agents' sections.
    section = one(doc, "//mets:digiprovMD[.//premis:eventIdentifierValue='station-event-301']")
    assert section.getparent().get("ID") == "amd-p0002"
    agent_sections = [
        one(doc, f"//mets:digiprovMD[@ID='{ref}']") for ref in section.get("ADMID").split()
    ]
    assert [one(s, ".//premis:agentIdentifierValue").text for s in agent_sections] == [REVIEWER]


def test_embedded_premis_is_valid_premis_3_on_its_own(doc: Any) -> None:
    """Each PREMIS element, taken out of METS, passes premis-v3-0.xsd compiled alone."""
    parser = etree.XMLParser(no_network=True)
    premis = etree.XMLSchema(etree.parse(str(SCHEMAS_DIR / "premis-v3-0.xsd"), parser))
    elements = doc.xpath("//mets:xmlData/premis:*", namespaces=NS)
    assert {etree.QName(e).localname for e in elements} == {"object", "event", "agent"}
    for element in elements:
        standalone = etree.fromstring(etree.tostring(element))
        assert premis.validate(standalone), premis.error_log
    broken = etree.fromstring(etree.tostring(one(doc, "(//premis:event)[1]")))
    broken.remove(one(broken, "premis:eventType"))
    assert not premis.validate(broken)


# --- broken documents -------------------------------------------------------------------------


@pytest.mark.parametrize("garbage", [b"", b"garbage", b"\x00\x01\xff binary", b"<a><b></a>"])
def test_garbage_is_one_problem_naming_the_line(garbage: bytes) -> None:
    problems = validate_mets(garbage)
    assert len(problems) == 1
    assert problems[0].startswith("Line 1: not well-formed XML at column "), problems


def test_truncated_document_names_the_line(mets_bytes: bytes) -> None:
    cut = mets_bytes[: len(mets_bytes) // 2]
    problems = validate_mets(cut)
    assert len(problems) == 1
    last_line = cut.count(b"\n") + 1
    assert problems[0].startswith(f"Line {last_line}: not well-formed XML")


def test_missing_structmap_is_reported(doc: Any) -> None:
    doc.remove(one(doc, "mets:structMap"))
    data, root = reparse(doc)
    problems = validate_mets(data)
    assert any(
        p.startswith(f"Line {root.sourceline}:") and "mets:structMap" in p for p in problems
    ), problems
    # ... and the files no fptr points to are still consistent, so nothing else is flagged.
    assert len(problems) == 1


def test_wrong_checksum_type_is_reported(doc: Any) -> None:
    one(doc, "//mets:file[@ID='file-p0003-master']").set("CHECKSUMTYPE", "SHA256")
    data, root = reparse(doc)
    line = one(root, "//mets:file[@ID='file-p0003-master']").sourceline
    problems = validate_mets(data)
    assert any(p.startswith(f"Line {line}:") and "CHECKSUMTYPE" in p for p in problems), problems


def test_checksum_that_disagrees_with_premis_is_reported(doc: Any) -> None:
    one(doc, "//mets:file[@ID='file-pdf']").set("CHECKSUM", "0" * 64)
    data, root = reparse(doc)
    line = one(root, "//mets:file[@ID='file-pdf']").sourceline
    assert validate_mets(data) == [
        f"Line {line}: mets:file 'file-pdf' CHECKSUM differs from the PREMIS fixity in 'tech-pdf'."
    ]


def test_short_checksum_is_reported(doc: Any) -> None:
    one(doc, "//mets:file[@ID='file-pdf']").set("CHECKSUM", "abc123")
    data, root = reparse(doc)
    line = one(root, "//mets:file[@ID='file-pdf']").sourceline
    assert validate_mets(data) == [
        f"Line {line}: mets:file 'file-pdf' CHECKSUM is not a SHA-256 digest."
    ]


def test_dangling_and_misdirected_references_are_reported(doc: Any) -> None:
    """libxml2 only checks that IDREFs are names, so validate_mets resolves them itself."""
    one(doc, "//mets:div[@ID='div-p0002']/mets:fptr[1]").set("FILEID", "file-p0099-master")
    one(doc, "//mets:div[@ID='div-p0003']/mets:fptr[1]").set("FILEID", "dmd-folder")
    data, root = reparse(doc)
    problems = validate_mets(data)
    first = one(root, "//mets:div[@ID='div-p0002']/mets:fptr[1]").sourceline
    second = one(root, "//mets:div[@ID='div-p0003']/mets:fptr[1]").sourceline
    assert problems == [
        f"Line {first}: mets:fptr FILEID 'file-p0099-master' points to no element.",
        f"Line {second}: mets:fptr FILEID 'dmd-folder' points to mets:dmdSec, not a mets:file.",
    ]


def test_invalid_premis_event_is_caught_inside_mets(doc: Any) -> None:
    """METS wraps PREMIS in a lax xsd:any; the driver schema makes the PREMIS schema apply."""
    event = one(doc, "//premis:event[.//premis:eventIdentifierValue='station-event-302']")
    event.remove(one(event, "premis:eventType"))
    data, root = reparse(doc)
    line = one(
        root,
        "//premis:event[.//premis:eventIdentifierValue='station-event-302']/premis:eventDateTime",
    ).sourceline
    problems = validate_mets(data)
    assert len(problems) == 1, problems
    assert problems[0].startswith(f"Line {line}: Element 'premis:eventDateTime'")
    assert "premis:eventType" in problems[0]


def test_premis_link_to_unknown_agent_is_reported(doc: Any) -> None:
    value = one(
        doc,
        "//premis:event[.//premis:eventIdentifierValue='station-event-301']"
        "//premis:linkingAgentIdentifierValue",
    )
    value.text = "station-user:ghost"
    data, root = reparse(doc)
    line = one(
        root,
        "//premis:linkingAgentIdentifier[premis:linkingAgentIdentifierValue='station-user:ghost']",
    ).sourceline
    assert validate_mets(data) == [
        f"Line {line}: premis:linkingAgentIdentifier local 'station-user:ghost' names no agent "
        "described in this document."
    ]


def test_dublin_core_with_markup_is_reported(doc: Any) -> None:
    title = one(doc, "//dc:title")
    etree.SubElement(title, "b").text = "đậm"
    data, root = reparse(doc)
    line = one(root, "//dc:title/b").sourceline
    problems = validate_mets(data)
    assert len(problems) == 1 and problems[0].startswith(f"Line {line}: Element 'b'"), problems


def test_misspelt_wrapped_elements_are_reported(doc: Any) -> None:
    """xmlData is lax, so schemas skip undeclared names; validate_mets checks them by MDTYPE."""
    one(doc, "//dc:title").tag = f"{{{NS['dc']}}}titel"
    one(doc, "(//premis:event)[1]").tag = f"{{{NS['premis']}}}evnt"
    data, root = reparse(doc)
    title_line = one(root, "//dc:titel").sourceline
    event_line = one(root, "//premis:evnt").sourceline
    assert validate_mets(data) == [
        f"Line {title_line}: mets:mdWrap MDTYPE='DC' holds dc:titel, not Dublin Core elements.",
        f"Line {event_line}: mets:mdWrap MDTYPE='PREMIS:EVENT' holds premis:evnt, not "
        "premis:event.",
    ]


def test_other_root_element_is_reported() -> None:
    data = (
        b'<?xml version="1.0"?>\n<dc:title xmlns:dc="http://purl.org/dc/elements/1.1/">x</dc:title>'
    )
    assert validate_mets(data) == ["Line 2: the root element is dc:title, not mets:mets."]


def test_entities_are_not_expanded(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("do not read")
    data = (
        f'<!DOCTYPE m [<!ENTITY e SYSTEM "{secret.as_uri()}">]>\n'
        '<mets:mets xmlns:mets="http://www.loc.gov/METS/" OBJID="&e;">'
        "<mets:structMap><mets:div/></mets:structMap></mets:mets>"
    ).encode()
    problems = validate_mets(data)
    assert not any("do not read" in p for p in problems)


# --- facts that cannot make a package ---------------------------------------------------------


def test_inconsistent_facts_are_refused_all_at_once(facts: PackageFacts) -> None:
    page = facts.pages[0]
    bad = dataclasses.replace(
        facts,
        created=datetime(2025, 6, 4, 11, 30),  # naive
        pages=(*facts.pages, dataclasses.replace(page, pdf_page=5)),  # position 1 again
        agents=(*facts.agents, PackageAgent("x", "X", "robot")),
        events=(
            *facts.events,
            PackageEvent("e1", "ocr", at(5, 1), "", "ok", agents=("nobody",), page_position=9),
        ),
        dublin_core={**facts.dublin_core, "dc.title": ["x"]},
    )
    with pytest.raises(ValueError) as caught:
        build_mets(bad)
    message = str(caught.value)
    for expected in (
        "created has no time zone",
        "page 1: position must be unique",
        "path 'masters/0001_scan_0001.tif' is used twice",
        "type 'robot' is not one of",
        "type 'ocr' is not a known PREMIS event type",
        "outcome 'ok' is not one of",
        "agent 'nobody' is not among the agents",
        "there is no page at position 9",
        "'dc.title' is neither a DC element",
    ):
        assert expected in message, expected


def test_bad_payload_values_are_refused(facts: PackageFacts) -> None:
    bad_pdf = PayloadFile("../pdf/x.pdf", "XYZ", -1, "pdf")
    with pytest.raises(ValueError, match="not a relative POSIX path") as caught:
        build_mets(dataclasses.replace(facts, pdf=bad_pdf))
    for expected in ("not 64 hex digits", "size -1 is negative", "'pdf' is not a MIME type"):
        assert expected in str(caught.value)
    with pytest.raises(ValueError, match="control character"):
        build_mets(dataclasses.replace(facts, object_id="05/01\x00HS"))


def test_utc_dates_are_written_with_offset(facts: PackageFacts) -> None:
    root = etree.fromstring(
        build_mets(dataclasses.replace(facts, created=at(4, 11).astimezone(UTC)))
    )
    assert one(root, "mets:metsHdr").get("CREATEDATE") == "2025-06-04T04:00:00+00:00"


# --- the vendored schemas ---------------------------------------------------------------------

OFFICIAL_SHA256 = {
    "mets.xsd": "92a993a3886d7c7d64d1a6d19b573ede5783b1f5bf938b1ba92b93ca37590004",
    "xlink.xsd": "f1f5bb6003165cdd8f6c1fcc32f8fd1f965e1681010f3b9806d9460bcffa8a3c",
    "premis-v3-0.xsd": "03b8a77a20b32b882ad799e12262671d07ad18210c60233f4e613a1289491cba",
    "dc.xsd": "cb06610457a2d840e8ad5ff6c312ef319e95f0d969791c852ed069b1ee8b50a8",
    "dcterms.xsd": "d23102baf91c8df732f52a230f5fbf5307313ac9112d1374a038c297b2d42e96",
    "dcmitype.xsd": "04d8303aca4246d73dea2122467bef648c89bc6e43160990dc903e8bd0db19cc",
    "simpledc20021212.xsd": "e9542e0cd08b59ad3ad994f50226dd7e6707792327b08f46eaa6250dd728d3aa",
    "xml.xsd": "0ed94db44402526e7a683424d0bd4b65e5bc50e65d9b9a762b11b30bae06d0c8",
}


def test_vendored_schemas_are_the_official_files() -> None:
    for name, sha256 in OFFICIAL_SHA256.items():
        assert hashlib.sha256((SCHEMAS_DIR / name).read_bytes()).hexdigest() == sha256, name
    readme = (SCHEMAS_DIR / "README.md").read_text(encoding="utf-8")
    assert "copied unchanged from the project's shared folder" in readme
    assert (SCHEMAS_DIR / "mets-premis-dc.xsd").is_file() and (
        SCHEMAS_DIR / "catalog.xml"
    ).is_file()


def test_inconsistent_documents_are_refused(facts: PackageFacts) -> None:
    replace = dataclasses.replace
    stray = PackageDocument(1, "X.1", None, {"title": ["a"]}, (999,))
    twice = PackageDocument(1, "X.1", None, {"titel": ["a"]}, ())
    lost = PackageEvent("e-lost", "metadata extraction", at(1, 9), "", "success", document=7)
    with pytest.raises(ValueError) as raised:
        build_mets(replace(facts, documents=(stray, twice), events=(*facts.events, lost)))
    message = str(raised.value)
    assert "document 1: there is no page at position 999" in message
    assert "document 1: sequence must be unique" in message
    assert "'titel' is neither a DC element" in message
    assert "there is no document 7" in message


def test_documents_get_a_logical_map_and_their_own_history(facts: PackageFacts) -> None:
    replace = dataclasses.replace
    positions = tuple(sorted(p.position for p in facts.pages))
    documents = (
        PackageDocument(1, "X.1: Về việc A", payload("X.1.pdf", "application/pdf"),
                        {"title": ["Về việc A"], "identifier": ["X.1", "12/QĐ-UBND"]},
                        positions[:1]),
        PackageDocument(2, "X.2", None, {"title": ["Báo cáo"]}, positions[1:]),
    )  # fmt: skip
    events = (
        PackageEvent("e-read", "metadata extraction", at(1, 9), "read", "success", document=1),
        PackageEvent("e-fix", "metadata modification", at(1, 10), "fix", "success", document=2),
    )
    built = build_mets(replace(facts, documents=documents, events=(*facts.events, *events)))
    assert validate_mets(built) == []
    root = etree.fromstring(built)
    ns = NS
    logical = root.find("mets:structMap[@TYPE='logical']", ns)
    divs = logical.findall(".//mets:div[@TYPE='document']", ns)
    assert [d.get("DMDID") for d in divs] == ["dmd-d0001", "dmd-d0002"]
    assert [len(d.findall("mets:div", ns)) for d in divs] == [1, len(positions) - 1]
    assert divs[0].find("mets:fptr", ns).get("FILEID") == "file-d0001-pdf"
    assert divs[1].find("mets:fptr", ns) is None, "a document without a PDF points to none"
    amd = root.find("mets:amdSec[@ID='amd-d0001']", ns)
    assert b"metadata extraction" in etree.tostring(amd)
    assert b"X.1.pdf" in etree.tostring(amd), "the event links the document's PDF"
    assert b"metadata modification" in etree.tostring(root.find("mets:amdSec[@ID='amd-d0002']", ns))
