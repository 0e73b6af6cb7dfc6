"""A document's PDF/A taken out of its folder's (pdfa.extract_pdfa), with the real tools.

The folder's PDF/A is assembled from page PDFs made as the pipeline makes them: generated
Vietnamese pages (scripts/make_samples.py), OCR'd by Tesseract for their text layer,
embedded by pdf.make_page_pdf, joined and validated by pdfa.assemble_pdfa. The document's
file is then checked the way an archive meets it: both validators, its pages and their
text, its XMP, and its bytes.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

import make_samples as ms
import numpy as np
import pikepdf
import pytest
from pikepdf import Dictionary, Name, String
from PIL import Image

from station import tools
from station.errors import OutputError
from station.pipeline import imaging, pdf, pdfa

FOLDER = pdfa.DocumentMetadata(
    title="Văn bản về công tác lưu trữ",
    date=datetime(2024, 5, 6, 10, 30, tzinfo=UTC),
    description="Phông VN01, Hộp 7, Hồ sơ 5. 4 pages scanned with profile text-gray-300",
    identifier="VN01/H07/HS05",
    producer="station 0.1.0 (Tesseract 5)",
    coverage="2010-01-01/2024-12-31",
    source="Phông VN01, Hộp 7, Hồ sơ 5",
    rights="Công khai",
)
DOCUMENT = pdfa.DocumentMetadata(
    title="Về việc chỉnh lý tài liệu lưu trữ năm 2019",
    date=datetime(2024, 5, 6, 10, 31, tzinfo=UTC),
    creator="SỞ NỘI VỤ TỈNH THÁI BÌNH",
    description="VN01/H07/HS05.2. 2 pages",
    identifier="VN01/H07/HS05.2; 319/QĐ-SNV",
    producer="station 0.1.0 (Tesseract 5)",
    doc_type="QUYẾT ĐỊNH",
    issued="2019-10-09",
)


@dataclass(frozen=True)
class Folder:
    path: Path  # the folder's PDF/A: two documents of two pages each
    texts: list[str]  # each page's text layer as pdftotext reads it from the folder's file
    first_page_b: str  # what make_samples drew on document B's first page


def _page_pdf(image: Image.Image, dpi: int, name: str, folder: Path) -> Path:
    """The page as the pipeline writes it: the scan embedded as is, Tesseract's text over it."""
    path = folder / name
    image.save(path, dpi=(dpi, dpi), quality=90)  # JPEG's quality; PNG ignores it
    pgm = folder / f"{path.stem}.pgm"
    imaging.write_pnm(imaging.to_gray(np.asarray(image)), pgm)
    result = tools.ocr_page(pgm, languages=["vie"], psm=3, dpi=dpi, timeout_s=120)
    return pdf.make_page_pdf(path, dpi, result.text_pdf, folder / f"{path.stem}.pdf")


def pdftotext(path: Path, page: int) -> str:
    done = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", "-f", str(page), "-l", str(page), str(path), "-"],
        capture_output=True,
        text=True,
        check=True,
    )
    return " ".join(done.stdout.split())


def images(path: Path) -> list[bytes]:
    """Each page's image stream, raw: the same bytes mean the same scan, not re-encoded."""
    with pikepdf.open(path) as doc:
        return [next(iter(p.get_images().values())).read_raw_bytes() for p in doc.pages]


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Folder:
    root = tmp_path_factory.mktemp("document-pdfs")
    first_a, _ = ms.render_document_page(np.random.default_rng(21), dpi=200)
    first_b, text_b = ms.render_document_page(np.random.default_rng(22), dpi=200)
    pages = [
        _page_pdf(first_a, 200, "p1.png", root),
        _page_pdf(ms.render_continuation_page(1, 2), 300, "p2.jpg", root),
        _page_pdf(ms.add_secrecy_stamp(first_b, "MẬT"), 200, "p3.jpg", root),  # colour
        _page_pdf(ms.render_continuation_page(2, 2), 300, "p4.png", root),
    ]
    path = root / "out" / "VN01-H07-HS05.pdf"
    path.parent.mkdir()
    pdfa.assemble_pdfa(pages, path, FOLDER, pdfa="2b")
    return Folder(path, [pdftotext(path, n) for n in (1, 2, 3, 4)], text_b)


@pytest.fixture(scope="module")
def document(folder: Folder) -> Path:
    out = folder.path.parent / "VN01-H07-HS05.2.pdf"
    pdfa.extract_pdfa(folder.path, [2, 3], out, DOCUMENT, pdfa="2b")
    return out


def test_the_document_is_a_valid_pdfa_2b(document: Path) -> None:
    assert pdfa.validate_pdfa(document, "2b") == []  # the independent validator
    assert pikepdf.pdfa.validate_written(document, "2b").passed  # and pikepdf's, all pages


def test_it_holds_its_pages_in_order_with_their_text(folder: Folder, document: Path) -> None:
    assert images(document) == images(folder.path)[2:4]
    assert [pdftotext(document, 1), pdftotext(document, 2)] == folder.texts[2:4]
    drawn, read = folder.first_page_b.split(), set(pdftotext(document, 1).split())
    assert sum(word in read for word in drawn) >= 0.8 * len(drawn)  # searchable
    assert len(folder.texts[3]) > 500 and folder.texts[3] != folder.texts[1]  # B's, not A's


def test_pages_come_in_the_order_asked(folder: Folder, tmp_path: Path) -> None:
    out = tmp_path / "turned.pdf"
    pdfa.extract_pdfa(folder.path, [3, 0], out, DOCUMENT, pdfa="2b")
    whole = images(folder.path)
    assert images(out) == [whole[3], whole[0]]
    assert pdfa.validate_pdfa(out, "2b") == []


def test_the_xmp_is_the_documents_own(document: Path) -> None:
    with pikepdf.open(document) as doc:
        meta = doc.open_metadata()
        assert meta["dc:title"] == DOCUMENT.title
        assert meta["dc:identifier"] == DOCUMENT.identifier
        assert meta["dc:date"] == ["2019-10-09"]
        assert meta["dc:creator"] == [DOCUMENT.creator]
        assert meta["dc:type"] == {"QUYẾT ĐỊNH"}
        assert meta["dc:description"] == DOCUMENT.description
        assert meta["dc:language"] == {"vi"}
        assert meta["xmp:CreateDate"] == "2024-05-06T10:31:00+00:00"
        assert meta["pdf:Producer"] == meta["xmp:CreatorTool"] == DOCUMENT.producer
        assert (meta["pdfaid:part"], meta["pdfaid:conformance"]) == ("2", "B")
        # Nothing of the folder's XMP is left over.
        for folder_only in ("dc:coverage", "dc:source", "dc:rights"):
            assert folder_only not in meta
        assert str(doc.docinfo[Name.Title]) == DOCUMENT.title
        assert len(doc.Root.OutputIntents) == 1  # the folder's sRGB intent, kept


def test_the_same_inputs_give_the_same_bytes(folder: Folder, document: Path) -> None:
    again = folder.path.parent / "again" / document.name
    again.parent.mkdir()
    pdfa.extract_pdfa(folder.path, [2, 3], again, DOCUMENT, pdfa="2b")
    assert again.read_bytes() == document.read_bytes()
    later = folder.path.parent / "again" / "later.pdf"
    next_year = replace(DOCUMENT, date=datetime(2025, 5, 6, 10, 31, tzinfo=UTC))
    pdfa.extract_pdfa(folder.path, [2, 3], later, next_year, pdfa="2b")
    assert later.read_bytes() != document.read_bytes()  # the bytes do say when


@pytest.mark.parametrize(
    ("numbers", "says"),
    [([0, 4], "page 4 "), ([-1], "page -1 "), ([1, 1], "page 1 of .* twice"), ([], "no pages")],
)
def test_a_bad_page_number_names_the_file(
    folder: Folder, tmp_path: Path, numbers: list[int], says: str
) -> None:
    out = tmp_path / "VN01-H07-HS05.9.pdf"
    with pytest.raises(OutputError, match=rf"^VN01-H07-HS05\.9\.pdf: {says}"):
        pdfa.extract_pdfa(folder.path, numbers, out, DOCUMENT, pdfa="2b")
    assert list(tmp_path.iterdir()) == []  # nothing written, no temporary left behind


def test_a_failed_extraction_keeps_the_old_file(folder: Folder, document: Path) -> None:
    before = document.read_bytes()
    with pytest.raises(OutputError, match=document.name):
        pdfa.extract_pdfa(folder.path, [7], document, DOCUMENT, pdfa="2b")
    assert document.read_bytes() == before


@pytest.mark.parametrize("where", ["catalog", "page"])
def test_nothing_of_the_source_is_taken_on_trust(
    folder: Folder, tmp_path: Path, where: str
) -> None:
    """A source changed after it was validated: the document is validated in full, pages too."""
    tampered = tmp_path / "tampered.pdf"
    action = Dictionary(S=Name.JavaScript, JS=String("app.alert(1)"))
    with pikepdf.open(folder.path) as doc:
        if where == "catalog":
            doc.Root.AA = Dictionary(WC=action)
        else:
            doc.pages[0].obj.AA = Dictionary(O=action)
        doc.save(tampered)
    out = tmp_path / "doc.pdf"
    with pytest.raises(OutputError, match=r"^doc\.pdf failed PDF/A-2b validation: .*/AA"):
        pdfa.extract_pdfa(tampered, [0], out, DOCUMENT, pdfa="2b")
    assert not out.exists()


def test_a_source_that_is_not_pdfa_is_validated_in_full(tmp_path: Path) -> None:
    page = Image.new("L", (600, 400), 255)
    page.save(tmp_path / "page.png", dpi=(100, 100))
    plain = pdf.make_page_pdf(tmp_path / "page.png", 100, None, tmp_path / "plain.pdf")
    with pytest.raises(OutputError, match=r"^doc\.pdf failed PDF/A-2b validation"):
        pdfa.extract_pdfa(plain, [0], tmp_path / "doc.pdf", DOCUMENT, pdfa="2b")


def test_level_u_from_a_level_b_folder(folder: Folder, tmp_path: Path) -> None:
    out = tmp_path / "doc-2u.pdf"
    pdfa.extract_pdfa(folder.path, [0, 1], out, DOCUMENT, pdfa="2u")
    assert pdfa.validate_pdfa(out, "2u") == []
    with pikepdf.open(out) as doc:
        assert doc.open_metadata().pdfa_status == "2U"


def test_a_missing_source_names_the_file(tmp_path: Path) -> None:
    with pytest.raises(OutputError, match=r"^x\.pdf: the source PDF .*gone\.pdf is missing"):
        pdfa.extract_pdfa(tmp_path / "gone.pdf", [0], tmp_path / "x.pdf", DOCUMENT, pdfa="2b")
