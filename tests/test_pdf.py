"""station.pipeline.pdf and .pdfa with real tools: Pillow scans, Tesseract, img2pdf, pikepdf,
poppler, page.

Each page is OCR'd for real and its PDF is checked the way a reader meets it: the page
size, the text pdftotext extracts, and whether each word's box sits on the word's ink.
"""

from __future__ import annotations

import base64
import io
import os
import re
import shutil
import socket
import subprocess
import unicodedata
import zlib
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path

import cv2
import numpy as np
import page
import pikepdf
import pytest
import sqlalchemy
from PIL import Image, ImageDraw, ImageFont, TiffImagePlugin
from rapidfuzz import fuzz

from station import tools
from station.errors import OutputError
from station.pipeline import imaging, pdf, pdfa
from station.profiles import ScanProfile
from station.room import assembly
from station.settings import StationSettings
from station.store import Store

FONT = Path("/usr/share/fonts/truetype/liberation2/LiberationSerif-Regular.ttf")
LINES = [
    "Quyết định số 12/QĐ-UBND về việc",
    "thành lập Hội đồng thẩm định",
    "Ủy ban nhân dân tỉnh Thừa Thiên Huế",
]
EXPECTED_TEXT = " ".join(LINES)
TITLE = "Hồ sơ số 12 — Quyết định thành lập Hội đồng thẩm định"
METADATA = pdfa.DocumentMetadata(
    title=TITLE,
    date=datetime(2024, 5, 6, 10, 30).astimezone(),
    language="vi",
    creator="Trung tâm Lưu trữ lịch sử tỉnh",
    description="Bản quét lô 7",
    identifier="HS-2024-012",
    producer="station 0.1.0",
)

pytestmark = pytest.mark.skipif(
    not (FONT.is_file() and shutil.which("tesseract") and shutil.which("pdftotext")),
    reason="needs Liberation fonts, Tesseract and poppler-utils",
)


# --- building real scans and their OCR ----------------------------------------------------


def draw_page(
    dpi: int,
    *,
    ink: tuple[int, int, int] = (20, 20, 20),
    paper: tuple[int, int, int] = (250, 250, 250),
) -> np.ndarray:
    """A 5.5 x 2.2 inch RGB scan of three Vietnamese lines in 14 pt serif."""
    width, height = round(5.5 * dpi), round(2.2 * dpi)
    image = Image.new("RGB", (width, height), paper)
    draw = ImageDraw.Draw(image)
    font = ImageFont.truetype(str(FONT), size=round(14 / 72 * dpi))
    for i, line in enumerate(LINES):
        draw.text((round(0.5 * dpi), round((0.35 + 0.5 * i) * dpi)), line, font=font, fill=ink)
    return np.asarray(image)


def ocr(gray: np.ndarray, dpi: int, folder: Path, *, upscale: float = 1) -> bytes:
    """OCR as the pipeline does: an uncompressed PGM, upscaled when the scan is coarse."""
    if upscale != 1:
        gray = cv2.resize(gray, None, fx=upscale, fy=upscale, interpolation=cv2.INTER_CUBIC)
    pgm = folder / "ocr-input.pgm"
    imaging.write_pnm(gray, pgm)
    result = tools.ocr_page(pgm, languages=["vie"], psm=3, dpi=round(dpi * upscale), timeout_s=120)
    return result.text_pdf


@dataclass(frozen=True)
class Case:
    name: str
    image_path: Path
    dpi: int
    gray: np.ndarray  # the pixels as embedded, for comparing ink with word boxes
    text_layer: bytes
    page_pdf: Path


def build_case(name: str, folder: Path) -> Case:
    folder.mkdir(parents=True, exist_ok=True)
    upscale: float = 1
    if name == "gray-jpeg-300":
        dpi = 300
        gray = imaging.to_gray(draw_page(dpi))
        path = folder / "page.jpg"
        Image.fromarray(gray).save(path, quality=85, dpi=(dpi, dpi))
    elif name == "gray-jpeg-150-ocr-300":
        dpi, upscale = 150, 2
        gray = imaging.to_gray(draw_page(dpi))
        path = folder / "page.jpg"
        Image.fromarray(gray).save(path, quality=85, dpi=(dpi, dpi))
    elif name == "gray-jpeg-200-ocr-300":
        # 1099 px x 1.5 is 1648.5: the OCR page is rounded, so it differs slightly in points
        dpi, upscale = 200, 1.5
        gray = imaging.to_gray(draw_page(dpi))[:, :-1].copy()
        path = folder / "page.jpg"
        Image.fromarray(gray).save(path, quality=85, dpi=(dpi, dpi))
    elif name == "bw-g4-tiff-300":
        dpi = 300
        gray = np.where(imaging.to_gray(draw_page(dpi)) < 128, 0, 255).astype(np.uint8)
        path = folder / "page.tif"
        Image.fromarray(gray).convert("1").save(path, compression="group4", dpi=(dpi, dpi))
    elif name == "rgb-jpeg-300":
        dpi = 300
        rgb = draw_page(dpi, ink=(25, 35, 110), paper=(245, 238, 220))  # blue ink, cream paper
        path = folder / "page.jpg"
        Image.fromarray(rgb).save(path, quality=85, dpi=(dpi, dpi))
        gray = imaging.to_gray(rgb)
    else:
        raise ValueError(name)
    embedded = np.asarray(Image.open(path).convert("L"))  # what the PDF really shows
    text_layer = ocr(gray, dpi, folder, upscale=upscale)
    page_pdf = pdf.make_page_pdf(path, dpi, text_layer, folder / "page.pdf")
    return Case(name, path, dpi, embedded, text_layer, page_pdf)


CASE_NAMES = [
    "gray-jpeg-300",
    "gray-jpeg-150-ocr-300",
    "gray-jpeg-200-ocr-300",
    "bw-g4-tiff-300",
    "rgb-jpeg-300",
]


@pytest.fixture(scope="module")
def cases(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Case]:
    root = tmp_path_factory.mktemp("pages")
    return {name: build_case(name, root / name) for name in CASE_NAMES}


@pytest.fixture(params=CASE_NAMES)
def case(request: pytest.FixtureRequest, cases: dict[str, Case]) -> Case:
    return cases[request.param]


# --- reading PDFs back --------------------------------------------------------------------


def pdftotext(path: Path, *args: str) -> str:
    return subprocess.run(
        ["pdftotext", "-enc", "UTF-8", *args, str(path), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout


def word_boxes(path: Path) -> list[tuple[str, float, float, float, float]]:
    """Words with their boxes in points, origin top left, from pdftotext -bbox-layout."""
    html = pdftotext(path, "-bbox-layout")
    number = r'"([\d.]+)"'
    pattern = rf"<word xMin={number} yMin={number} xMax={number} yMax={number}>([^<]*)</word>"
    return [
        (w, float(a), float(b), float(c), float(d)) for a, b, c, d, w in re.findall(pattern, html)
    ]


def box_misfits(
    boxes: list[tuple[str, float, float, float, float]], gray: np.ndarray, dpi: float
) -> list[str]:
    """Words whose box is not on their ink; empty when the text layer matches the image.

    A box fits when ink runs through most of its columns and rows, its centre lies
    within the ink around it, and its left edge is a word start (no ink just before
    it). Tesseract stretches each word over the space after it, so pdftotext's box may
    end before the word's last letter; the right edge is not tested.
    """
    ink = gray < 128
    height, width = ink.shape
    scale = dpi / 72.0
    misfits = []
    for word, x0, y0, x1, y1 in boxes:
        if sum(ch.isalnum() for ch in word) < 2:
            continue  # stray punctuation says little about placement
        c0, r0 = max(0, round(x0 * scale)), max(0, round(y0 * scale))
        c1, r1 = min(width, round(x1 * scale)), min(height, round(y1 * scale))
        if c1 - c0 < 2 or r1 - r0 < 2:
            misfits.append(f"{word}: box outside the page")
            continue
        inside = ink[r0:r1, c0:c1]
        columns, rows = inside.any(axis=0).mean(), inside.any(axis=1).mean()
        pad = (r1 - r0) // 2
        band = ink[max(0, r0 - pad) : r1 + pad, c0:c1]
        ink_rows = np.flatnonzero(band.any(axis=1)) + max(0, r0 - pad)
        ink_cols = np.flatnonzero(inside.any(axis=0)) + c0
        centred = (
            ink_rows.size > 0
            and ink_rows[0] <= (r0 + r1) / 2 <= ink_rows[-1]
            and ink_cols.size > 0
            and ink_cols[0] <= (c0 + c1) / 2 <= ink_cols[-1]
        )
        gap = max(2, round(0.1 * (r1 - r0)))
        before = ink[r0:r1, max(0, c0 - gap) : c0].any(axis=0).mean() if c0 >= gap else 0.0
        if columns < 0.6 or rows < 0.5 or not centred or before > 0.34:
            misfits.append(
                f"{word}: ink in {columns:.2f} of columns, {rows:.2f} of rows, "
                f"centred {centred}, ink before it {before:.2f}"
            )
    return misfits


def normalized(text: str) -> str:
    return " ".join(text.split())


# --- one page -----------------------------------------------------------------------------


def test_page_size_is_pixels_over_dpi(case: Case) -> None:
    height, width = case.gray.shape
    with pikepdf.open(case.page_pdf) as doc:
        assert len(doc.pages) == 1
        x0, y0, x1, y1 = (float(v) for v in doc.pages[0].mediabox)
    assert (x0, y0) == (0.0, 0.0)
    assert x1 == pytest.approx(width / case.dpi * 72, abs=0.01)
    assert y1 == pytest.approx(height / case.dpi * 72, abs=0.01)


def test_text_is_vietnamese_in_reading_order(case: Case) -> None:
    text = normalized(pdftotext(case.page_pdf))
    assert text == unicodedata.normalize("NFC", text)
    assert fuzz.ratio(text, EXPECTED_TEXT) >= 85, text
    positions = [text.find(word) for word in ("Quyết", "thành lập", "Thừa Thiên Huế")]
    assert -1 not in positions and positions == sorted(positions), text


def test_each_word_box_lies_on_its_ink(case: Case) -> None:
    boxes = word_boxes(case.page_pdf)
    assert len(boxes) >= 15
    assert box_misfits(boxes, case.gray, case.dpi) == []


def test_rounded_ocr_page_differs_and_is_stretched_onto_the_image(cases: dict[str, Case]) -> None:
    case = cases["gray-jpeg-200-ocr-300"]
    with pikepdf.open(io.BytesIO(case.text_layer)) as text_pdf:
        text_width = float(text_pdf.pages[0].mediabox[2])
    image_width = case.gray.shape[1] / case.dpi * 72
    assert 0.05 < abs(text_width - image_width) < 1.0  # a rounding step, not a mistake
    assert box_misfits(word_boxes(case.page_pdf), case.gray, case.dpi) == []


def test_box_check_catches_a_misplaced_layer(cases: dict[str, Case]) -> None:
    """The alignment check itself: a layer off by one line height, or scaled, fails it."""
    case = cases["gray-jpeg-300"]
    boxes = word_boxes(case.page_pdf)
    line_height = boxes[0][4] - boxes[0][2]
    shifted = [(w, x0, y0 + line_height, x1, y1 + line_height) for w, x0, y0, x1, y1 in boxes]
    scaled = [(w, x0 * 1.05, y0 * 1.05, x1 * 1.05, y1 * 1.05) for w, x0, y0, x1, y1 in boxes]
    assert len(box_misfits(shifted, case.gray, case.dpi)) > len(boxes) // 2
    assert len(box_misfits(scaled, case.gray, case.dpi)) > len(boxes) // 4


def render(path: Path, dpi: int, stem: Path) -> np.ndarray:
    subprocess.run(
        ["pdftoppm", "-r", str(dpi), "-gray", "-singlefile", "-png", str(path), str(stem)],
        check=True,
    )
    return np.asarray(Image.open(stem.with_suffix(".png")).convert("L"))


def test_text_layer_hides_nothing(case: Case, tmp_path: Path) -> None:
    """Rendered, the page is the scan, and exactly what it is without a text layer."""
    without = pdf.make_page_pdf(case.image_path, case.dpi, None, tmp_path / "image-only.pdf")
    rendered = render(case.page_pdf, case.dpi, tmp_path / "with-text")
    assert np.array_equal(rendered, render(without, case.dpi, tmp_path / "without-text"))
    # poppler may round a page of 1099 px at 200 dpi up to 1100 px
    assert abs(rendered.shape[0] - case.gray.shape[0]) <= 1
    assert abs(rendered.shape[1] - case.gray.shape[1]) <= 1
    rows, cols = np.minimum(rendered.shape, case.gray.shape)
    difference = np.abs(
        rendered[:rows, :cols].astype(np.int16) - case.gray[:rows, :cols].astype(np.int16)
    )
    assert difference.mean() < 4.0  # poppler's resampling of the edges only


def test_image_is_embedded_without_recompression(cases: dict[str, Case]) -> None:
    jpeg = cases["rgb-jpeg-300"]
    with pikepdf.open(jpeg.page_pdf) as doc:
        (image,) = doc.pages[0].get_images().values()
        assert image.Filter == pikepdf.Name.DCTDecode
        assert image.ColorSpace == pikepdf.Name.DeviceRGB
        assert image.read_raw_bytes() == jpeg.image_path.read_bytes()
    g4 = cases["bw-g4-tiff-300"]
    with pikepdf.open(g4.page_pdf) as doc:
        (image,) = doc.pages[0].get_images().values()
        assert image.Filter in (pikepdf.Name.CCITTFaxDecode, [pikepdf.Name.CCITTFaxDecode])
        assert int(image.BitsPerComponent) == 1
        assert len(image.read_raw_bytes()) < 1.2 * g4.image_path.stat().st_size


def test_single_strip_g4_tiff_is_copied_byte_for_byte(
    cases: dict[str, Case], tmp_path: Path
) -> None:
    """A one-strip G4 TIFF's data goes into the PDF as is (Pillow writes 64 KB strips
    unless told otherwise, and img2pdf must then transcode them)."""
    case = cases["bw-g4-tiff-300"]
    bilevel = Image.fromarray(case.gray).convert("1")
    path = tmp_path / "one-strip.tif"
    bilevel.save(
        path,
        compression="group4",
        dpi=(300, 300),
        strip_size=(bilevel.width + 7) // 8 * bilevel.height,
    )
    with Image.open(path) as tiff:
        assert isinstance(tiff, TiffImagePlugin.TiffImageFile)
        (offset,), (length,) = tiff.tag_v2[273], tiff.tag_v2[279]  # StripOffsets, ByteCounts
    strip = path.read_bytes()[offset : offset + length]
    out = pdf.make_page_pdf(path, 300, case.text_layer, tmp_path / "page.pdf")
    with pikepdf.open(out) as doc:
        (image,) = doc.pages[0].get_images().values()
        assert image.read_raw_bytes() == strip


def test_blank_page_is_just_the_image(cases: dict[str, Case], tmp_path: Path) -> None:
    case = cases["gray-jpeg-300"]
    out = pdf.make_page_pdf(case.image_path, case.dpi, None, tmp_path / "blank.pdf")
    assert normalized(pdftotext(out)) == ""
    with pikepdf.open(out) as doc:
        assert list(doc.pages[0].get_images()) != []
        assert pikepdf.Name.Font not in doc.pages[0].Resources


def test_text_layer_of_another_shape_is_refused(cases: dict[str, Case], tmp_path: Path) -> None:
    wide = draw_page(150)[:150]  # same width, far shorter page
    path = tmp_path / "strip.jpg"
    Image.fromarray(wide).save(path, dpi=(150, 150))
    with pytest.raises(OutputError, match=r"strip\.jpg"):
        pdf.make_page_pdf(path, 150, cases["gray-jpeg-300"].text_layer, tmp_path / "x.pdf")


# --- the batch's PDF/A --------------------------------------------------------------------


@pytest.fixture(scope="module")
def batch(cases: dict[str, Case], tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """Three pages: text, blank (no text layer), text; told apart by their image types."""
    folder = tmp_path_factory.mktemp("batch")
    blank = pdf.make_page_pdf(
        cases["gray-jpeg-150-ocr-300"].image_path, 150, None, folder / "blank.pdf"
    )
    return [cases["rgb-jpeg-300"].page_pdf, blank, cases["bw-g4-tiff-300"].page_pdf]


@pytest.fixture(scope="module")
def pdfa_2b(batch: list[Path], tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("out") / "batch.pdf"
    pdfa.assemble_pdfa(batch, out, METADATA, pdfa="2b")
    return out


def test_pages_are_in_order(pdfa_2b: Path) -> None:
    with pikepdf.open(pdfa_2b) as doc:
        assert len(doc.pages) == 3
        kinds = []
        for pdf_page in doc.pages:
            (image,) = pdf_page.get_images().values()
            kinds.append((str(image.Filter), str(image.ColorSpace)))
    assert kinds[0] == ("/DCTDecode", "/DeviceRGB")
    assert kinds[1] == ("/DCTDecode", "/DeviceGray")
    assert "CCITTFaxDecode" in kinds[2][0]
    texts = [normalized(pdftotext(pdfa_2b, "-f", str(n), "-l", str(n))) for n in (1, 2, 3)]
    assert fuzz.ratio(texts[0], EXPECTED_TEXT) >= 85
    assert texts[1] == ""
    assert fuzz.ratio(texts[2], EXPECTED_TEXT) >= 85


def test_xmp_carries_the_dublin_core(pdfa_2b: Path) -> None:
    with pikepdf.open(pdfa_2b) as doc:
        meta = doc.open_metadata()
        assert meta["dc:title"] == TITLE
        assert meta["dc:language"] == {"vi"}
        assert meta["dc:creator"] == [METADATA.creator]
        assert meta["dc:description"] == METADATA.description
        assert meta["dc:identifier"] == METADATA.identifier
        assert meta["xmp:CreateDate"].startswith("2024-05-06T10:30:00")
        assert meta["dc:date"] == [meta["xmp:CreateDate"]]
        assert meta["pdf:Producer"] == "station 0.1.0"
        assert meta["xmp:CreatorTool"] == "station 0.1.0"
        assert meta["pdfaid:part"] == "2"
        assert meta["pdfaid:conformance"] == "B"
        xmp = doc.Root.Metadata.read_bytes().decode("utf-8")
    assert TITLE in xmp  # diacritics stored as UTF-8, not lost or escaped away


def test_pdfinfo_names_station_as_producer(pdfa_2b: Path) -> None:
    info = subprocess.run(
        ["pdfinfo", str(pdfa_2b)], capture_output=True, text=True, check=True
    ).stdout
    fields = dict(line.split(":", 1) for line in info.splitlines() if ":" in line)
    assert fields["Producer"].strip() == "station 0.1.0"
    assert fields["Creator"].strip() == "station 0.1.0"
    assert fields["Title"].strip() == TITLE
    assert "pikepdf" not in info


def test_2b_passes_both_validators(pdfa_2b: Path) -> None:
    report = page.validate_pdf(pdfa_2b, profile="2b")
    assert report.is_compliant, [f"{f.rule_id}: {f.message}" for f in report.failures]
    assert pdfa.validate_pdfa(pdfa_2b, "2b") == []
    assert pikepdf.pdfa.validate_written(pdfa_2b, "2b").passed


def test_validate_pdfa_reports_a_plain_pdf(cases: dict[str, Case]) -> None:
    problems = pdfa.validate_pdfa(cases["gray-jpeg-300"].page_pdf, "2b")
    assert problems and all(": " in problem for problem in problems)


@pytest.mark.parametrize(
    ("flavour", "part", "conformance", "version"),
    [("1b", "1", "B", "1.4"), ("2u", "2", "U", None), ("3b", "3", "B", None)],
)
def test_other_flavours_validate(
    batch: list[Path],
    tmp_path: Path,
    flavour: str,
    part: str,
    conformance: str,
    version: str | None,
) -> None:
    out = tmp_path / f"batch-{flavour}.pdf"
    pdfa.assemble_pdfa(batch, out, METADATA, pdfa=flavour)
    report = page.validate_pdf(out, profile=flavour)
    assert report.is_compliant, [f"{f.rule_id}: {f.message}" for f in report.failures]
    assert pdfa.validate_pdfa(out, flavour) == []
    with pikepdf.open(out) as doc:
        meta = doc.open_metadata()
        assert (meta["pdfaid:part"], meta["pdfaid:conformance"]) == (part, conformance)
        assert meta["pdf:Producer"] == "station 0.1.0"
        assert len(doc.pages) == 3
        if version:
            assert doc.pdf_version == version


def test_2u_refuses_text_without_unicode(cases: dict[str, Case], tmp_path: Path) -> None:
    """Level U needs text that maps to Unicode: a text layer whose font lost its
    /ToUnicode map still makes valid 2b, but not 2u."""
    unmapped = tmp_path / "unmapped.pdf"
    with pikepdf.open(cases["gray-jpeg-300"].page_pdf) as doc:
        fonts = [
            obj
            for obj in doc.objects
            if isinstance(obj, pikepdf.Dictionary) and pikepdf.Name.ToUnicode in obj
        ]
        assert fonts
        for font in fonts:
            del font[pikepdf.Name.ToUnicode]
        doc.save(unmapped)
    pdfa.assemble_pdfa([unmapped], tmp_path / "b.pdf", METADATA, pdfa="2b")
    with pytest.raises(OutputError, match="ToUnicode"):
        pdfa.assemble_pdfa([unmapped], tmp_path / "u.pdf", METADATA, pdfa="2u")
    assert not (tmp_path / "u.pdf").exists()


def test_missing_page_leaves_no_output(batch: list[Path], tmp_path: Path) -> None:
    out = tmp_path / "batch.pdf"
    with pytest.raises(OutputError, match="missing"):
        pdfa.assemble_pdfa([batch[0], tmp_path / "gone.pdf"], out, METADATA, pdfa="2b")
    assert not out.exists()
    assert list(tmp_path.iterdir()) == []


def test_failed_validation_keeps_the_old_output(batch: list[Path], tmp_path: Path) -> None:
    """A page with a font that is not embedded cannot be PDF/A: OutputError names the
    rule, the previous file at `out` is untouched and no temporary file is left."""
    bad = tmp_path / "bad-page.pdf"
    with pikepdf.new() as doc:
        doc.add_blank_page(page_size=(200, 200))
        font = doc.make_indirect(
            pikepdf.Dictionary(
                Type=pikepdf.Name.Font, Subtype=pikepdf.Name.Type1, BaseFont=pikepdf.Name.Helvetica
            )
        )
        doc.pages[0].Resources = pikepdf.Dictionary(Font=pikepdf.Dictionary(F1=font))
        doc.pages[0].Contents = doc.make_stream(b"BT /F1 12 Tf 20 100 Td (Chao) Tj ET")
        doc.save(bad)
    out = tmp_path / "out" / "batch.pdf"
    out.parent.mkdir()
    out.write_bytes(b"previous version")
    with pytest.raises(OutputError, match=r"batch\.pdf failed PDF/A-2b validation: .*ISO_19005_2"):
        pdfa.assemble_pdfa([batch[0], bad], out, METADATA, pdfa="2b")
    assert out.read_bytes() == b"previous version"
    assert [p.name for p in out.parent.iterdir()] == ["batch.pdf"]


def test_unknown_flavour_is_refused(batch: list[Path], tmp_path: Path) -> None:
    with pytest.raises(OutputError, match="4b"):
        pdfa.assemble_pdfa(batch, tmp_path / "x.pdf", METADATA, pdfa="4b")


def test_a_content_stream_ending_in_cr_is_rewritten_so_strict_validators_agree(
    tmp_path: Path,
) -> None:
    """Flate data ending in CR before the LF of `endstream` reads as CR LF to a strict
    validator (one byte short of /Length). Found by `page` on 1 of 3 benchmark outputs."""
    import zlib

    content = next(
        body
        for padding in range(1, 300)  # the last byte is the low byte of the sum of the bytes
        if zlib.compress(body := b"q 1 0 0 1 0 0 cm Q %" + b"y" * padding + b"\n")[-1:] == b"\r"
    )
    page_pdf = tmp_path / "page.pdf"
    with pikepdf.new() as doc:
        doc.add_blank_page(page_size=(595, 842))
        stream = pikepdf.Stream(doc, zlib.compress(content))
        stream["/Filter"] = pikepdf.Name.FlateDecode
        doc.pages[0].Contents = doc.make_indirect(stream)
        doc.save(page_pdf)
    out = tmp_path / "out.pdf"
    pdfa.assemble_pdfa([page_pdf], out, METADATA, pdfa="2b")
    report = page.validate_pdf(str(out), profile="2b")
    assert report.is_compliant, [f.message for f in report.failures]
    with pikepdf.open(out) as done:
        assert done.pages[0].Contents.read_bytes().rstrip() == content.rstrip()


def _image_pdf(tmp_path: Path, name: str, shade: int) -> Path:
    image = tmp_path / f"{name}.png"
    Image.new("L", (600, 800), shade).save(image, dpi=(100, 100))
    return pdf.make_page_pdf(image, 100, None, tmp_path / f"{name}.pdf")


def test_a_restarted_finish_does_not_write_a_folder_pdf_a_second_time(
    settings: StationSettings, default_profile: ScanProfile, tmp_path: Path
) -> None:
    """Killed after a folder's PDF/A was written but before the batch was marked finished,
    the restart assembles again: the same pages give the file already there, not a second
    write (`bench/soak.py` found this); changed pages do give a new one."""
    store = Store.open(settings.database_url)
    batch = store.get_batch(store.create_batch("hop-01", tmp_path, "text-gray-300", tmp_path))
    assert batch is not None and batch.id is not None
    pages = [_image_pdf(tmp_path, "p1", 250), _image_pdf(tmp_path, "p2", 240)]
    target = tmp_path / "out" / "HS-01.pdf"
    metadata = pdfa.DocumentMetadata(title="Hồ sơ 1", date=datetime.now())

    def write() -> None:
        metadata_now = replace(metadata, date=datetime.now())  # a later finish, a later time
        assembly.write_folder_pdf(pages, target, metadata_now, default_profile, store, batch, None)

    def writes() -> int:
        query = "SELECT count(*) FROM event WHERE stage = 'assemble' AND outcome = 'ok'"
        with store.engine.connect() as connection:
            return int(connection.execute(sqlalchemy.text(query)).scalar_one())

    write()
    first = target.stat().st_mtime_ns
    write()
    assert writes() == 1 and target.stat().st_mtime_ns == first
    pages[1] = _image_pdf(tmp_path, "p2", 200)  # the page made again (a turn, say)
    write()
    assert writes() == 2


def test_a_killed_writers_temporary_files_are_cleared_a_live_ones_kept(tmp_path: Path) -> None:
    """SIGKILL runs no clean-up: the next write of the same PDF removes the dead writer's
    half-written temporaries (this host, process gone), never a running writer's."""
    out = tmp_path / "HS-01.pdf"
    host = socket.gethostname()
    gone = 4_000_000  # above any pid_max: no such process
    mine = os.getpid()
    orphan = tmp_path / f".HS-01.pdf.{host}-{gone}.abc123.part"
    pikepdf_orphan = tmp_path / f".pikepdf..HS-01.pdf.{host}-{gone}.abc123.part.77aa"
    live = tmp_path / f".HS-01.pdf.{host}-{mine}.def456.part"
    other = tmp_path / f".HS-02.pdf.{host}-{gone}.abc123.part"
    for path in (orphan, pikepdf_orphan, live, other):
        path.write_bytes(b"%PDF-1.7 half")
    with pdfa.temporary_beside(out) as tmp:
        assert tmp.name.startswith(f".HS-01.pdf.{host}-{mine}.")
    assert not orphan.exists() and not pikepdf_orphan.exists()
    assert live.exists() and other.exists()


def test_folder_and_document_pdf_a_have_no_cross_reference_stream(tmp_path: Path) -> None:
    """A cross-reference stream's Flate data ends in a carriage return one time in 256, which
    the strict validator reads as part of the end of line (the soak met it); classic tables
    have none, and both files pass both validators."""
    pages = [_image_pdf(tmp_path, f"p{n}", 250 - n) for n in range(3)]
    folder = tmp_path / "HS-01.pdf"
    metadata = pdfa.DocumentMetadata(title="Hồ sơ 1", date=datetime(2026, 12, 5, 3, 0))
    pdfa.assemble_pdfa(pages, folder, metadata, pdfa="2b")
    document = tmp_path / "HS-01.1.pdf"
    pdfa.extract_pdfa(folder, [1, 2], document, metadata, pdfa="2b")
    for path in (folder, document):
        with pikepdf.open(path) as opened:
            kinds = [o.get("/Type") for o in opened.objects if isinstance(o, pikepdf.Stream)]
        assert pikepdf.Name.XRef not in kinds and pikepdf.Name.ObjStm not in kinds
        assert b"\nxref\n" in path.read_bytes()
        assert pdfa.validate_pdfa(path, "2b") == []


def test_no_stream_of_a_pdf_a_ends_in_a_carriage_return() -> None:
    """Any stream's raw data may end in a carriage return (Flate's checksum, one time in 256):
    a content stream is padded, anything else (an image with decode parameters, a font) gets
    an ASCII85 layer over the same raw data; nothing else changes."""
    text = next(
        t for n in range(600) if zlib.compress(t := b"BT ET %" + b"y" * n + b"\n").endswith(b"\r")
    )
    pdf = pikepdf.new()
    content = pdf.make_stream(b"")
    content.write(zlib.compress(text), filter=pikepdf.Name.FlateDecode)
    image = pdf.make_stream(b"", Subtype=pikepdf.Name.Image)
    parms = pikepdf.Dictionary(Predictor=12, Columns=4)
    image.write(zlib.compress(text), filter=pikepdf.Name.FlateDecode, decode_parms=parms)
    font = pdf.make_stream(b"", Length1=12)
    font.write(b"binary font\r", filter=pikepdf.Array([pikepdf.Name.FlateDecode]))
    raw = {"image": image.read_raw_bytes(), "font": font.read_raw_bytes()}
    pdfa._no_stream_ends_in_cr(pdf)
    for stream in (content, image, font):
        assert not stream.read_raw_bytes().endswith(b"\r")
    assert content.Filter == pikepdf.Name.FlateDecode
    assert content.read_bytes().rstrip(b" ") == text
    assert image.Filter == [pikepdf.Name.ASCII85Decode, pikepdf.Name.FlateDecode]
    assert image.DecodeParms[1].Predictor == 12 and image.DecodeParms[0] is None
    assert base64.a85decode(image.read_raw_bytes()[:-2]) == raw["image"]
    assert font.Filter == [pikepdf.Name.ASCII85Decode, pikepdf.Name.FlateDecode]
    assert base64.a85decode(font.read_raw_bytes()[:-2]) == raw["font"]
