"""Header fields of rendered first pages read through real Tesseract, as the pipeline reads
them: an HD 36 Party header, an old typewritten layout, a three-line state header with a
number and a day written in by hand and an urgency stamp, scanned at 200 dpi. Every field is
right or below the threshold; what is printed is read."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFilter, ImageFont
from rapidfuzz.distance import Levenshtein

from station import tools
from station.documents import describe, reading, vocab
from station.documents.model import FieldReading
from station.pipeline import imaging, ocr

THRESHOLD = 0.85
FONTS = Path("/usr/share/fonts/truetype/liberation2")
HAND = Path("/usr/share/fonts/opentype/urw-base35/Z003-MediumItalic.otf")  # a script hand


def _font(name: str, size: int) -> ImageFont.FreeTypeFont:
    path = HAND if name == "hand" and HAND.exists() else FONTS / f"Liberation{name}.ttf"
    if name == "hand" and not HAND.exists():
        path = FONTS / "LiberationSerif-Italic.ttf"
    return ImageFont.truetype(str(path), size, layout_engine=ImageFont.Layout.BASIC)


@dataclass
class Page:
    image: Image.Image
    draw: ImageDraw.ImageDraw

    def centred(self, x: int, y: int, text: str, font: ImageFont.FreeTypeFont) -> float:
        width = self.draw.textlength(text, font=font)
        self.draw.text((x - width / 2, y), text, font=font, fill=(0, 0, 0))
        return width


def _page() -> Page:
    image = Image.new("RGB", (2480, 3508), "white")
    return Page(image, ImageDraw.Draw(image))


def _body(page: Page, y: int, font: ImageFont.FreeTypeFont) -> None:
    for line in (
        "Căn cứ Luật Lưu trữ ngày 11 tháng 11 năm 2011 và các văn bản hướng dẫn thi hành;",
        "theo đề nghị của Chánh Văn phòng, cơ quan ban hành văn bản này để các đơn vị",
        "thực hiện nghiêm túc, đầy đủ và đúng thời hạn quy định của pháp luật hiện hành.",
    ):
        page.draw.text((300, y), line, font=font, fill=(0, 0, 0))
        y += 75


def party_page() -> tuple[Page, dict[str, str]]:
    """HD 36: the body's name left with a "*" under it, "Số" without a colon; the Party's
    name right, underlined, the place and date under it."""
    page = _page()
    bold, regular = _font("Serif-Bold", 52), _font("Serif-Regular", 52)
    page.centred(640, 200, "TỈNH ỦY NGHỆ AN", bold)
    page.centred(640, 265, "VĂN PHÒNG", bold)
    page.centred(640, 330, "*", bold)
    page.centred(640, 400, "Số 589-QĐ/VPTU", regular)
    width = page.centred(1660, 200, "ĐẢNG CỘNG SẢN VIỆT NAM", bold)
    page.draw.line((1660 - width / 2, 265, 1660 + width / 2, 265), fill=(0, 0, 0), width=3)
    page.centred(1660, 300, "Nghệ An, ngày 12 tháng 01 năm 2019", _font("Serif-Italic", 52))
    page.centred(1240, 560, "QUYẾT ĐỊNH", _font("Serif-Bold", 56))
    page.centred(1240, 630, "về việc ban hành Quy chế làm việc của Văn phòng", bold)
    _body(page, 800, regular)
    return page, {
        "number_symbol": "589-QĐ/VPTU",
        "issued_date": "2019-01-12",
        "document_type": "QUYẾT ĐỊNH",
        "issuing_body": "VĂN PHÒNG TỈNH ỦY NGHỆ AN",
        "place": "Nghệ An",
        "summary": "về việc ban hành Quy chế làm việc của Văn phòng",
    }


def old_page() -> tuple[Page, dict[str, str]]:
    """A typewritten page of 1990: one issuer line of a former province, "Số: 12/QĐ-UB"."""
    page = _page()
    mono, mono_bold = _font("Mono-Regular", 46), _font("Mono-Bold", 46)
    page.centred(640, 200, "UBND TỈNH HÀ TÂY", mono_bold)
    page.centred(640, 300, "Số: 12/QĐ-UB", mono)
    page.centred(1660, 200, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", mono_bold)
    page.centred(1660, 260, "Độc lập - Tự do - Hạnh phúc", mono_bold)
    page.centred(1660, 320, "Hà Tây, ngày 5 tháng 3 năm 1990", mono)
    page.centred(1240, 480, "QUYẾT ĐỊNH", mono_bold)
    page.centred(1240, 550, "Về việc thành lập Hội đồng xác định giá trị tài liệu", mono_bold)
    _body(page, 720, mono)
    return page, {
        "number_symbol": "12/QĐ-UB",
        "issued_date": "1990-03-05",
        "document_type": "QUYẾT ĐỊNH",
        "issuing_body": "UBND TỈNH HÀ TÂY",
        "place": "Hà Tây",
        "summary": "Về việc thành lập Hội đồng xác định giá trị tài liệu",
    }


def handwritten_page() -> tuple[Page, dict[str, str]]:
    """NĐ 30 with a three-line issuer; the number and the day written into the printed form
    in blue; a red HỎA TỐC stamp under the number."""
    page = _page()
    bold, regular = _font("Serif-Bold", 50), _font("Serif-Regular", 50)
    page.centred(640, 200, "UBND TỈNH BẮC NINH", regular)
    page.centred(640, 262, "SỞ VĂN HÓA, THỂ THAO", bold)
    page.centred(640, 324, "VÀ DU LỊCH", bold)
    page.draw.line((520, 395, 760, 395), fill=(0, 0, 0), width=3)
    printed = "Số:             /KH-SVHTTDL"
    width = page.centred(640, 430, printed, regular)
    start = 640 - width / 2 + page.draw.textlength("Số: ", font=regular)
    page.draw.text((start + 15, 405), "347", font=_font("hand", 90), fill=(20, 30, 140))
    page.centred(1660, 200, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", _font("Serif-Bold", 46))
    page.centred(1660, 260, "Độc lập - Tự do - Hạnh phúc", bold)
    italic = _font("Serif-Italic", 50)
    date_line = "Bắc Ninh, ngày            tháng 4 năm 2021"
    width = page.centred(1660, 430, date_line, italic)
    day_at = 1660 - width / 2 + page.draw.textlength("Bắc Ninh, ngày ", font=italic)
    page.draw.text((day_at + 20, 405), "17", font=_font("hand", 90), fill=(20, 30, 140))
    stamp = _font("Serif-Bold", 64)
    page.draw.rectangle((470, 520, 810, 630), outline=(200, 20, 30), width=7)
    page.draw.text((495, 540), "HỎA TỐC", font=stamp, fill=(200, 20, 30))
    page.centred(1240, 700, "KẾ HOẠCH", _font("Serif-Bold", 56))
    page.centred(1240, 770, "Về việc số hóa tài liệu lưu trữ giai đoạn 2021 - 2025", bold)
    _body(page, 950, regular)
    return page, {
        "number_symbol": "347/KH-SVHTTDL",
        "issued_date": "2021-04-17",
        "document_type": "KẾ HOẠCH",
        "issuing_body": "SỞ VĂN HÓA, THỂ THAO VÀ DU LỊCH TỈNH BẮC NINH",
        "place": "Bắc Ninh",
        "summary": "Về việc số hóa tài liệu lưu trữ giai đoạn 2021 - 2025",
    }


def _scanned(page: Page, dpi: int) -> np.ndarray:
    """The page as a gray scan at `dpi`: resampled, a little blur and noise, JPEG."""
    gray = page.image.convert("L")
    if dpi != 300:
        gray = gray.resize((gray.width * dpi // 300, gray.height * dpi // 300), Image.LANCZOS)
    gray = gray.filter(ImageFilter.GaussianBlur(0.6))
    noisy = np.asarray(gray, dtype=np.float32) + np.random.default_rng(5).normal(
        0, 4, gray.size[::-1]
    )
    pixels = np.clip(noisy, 0, 255).astype(np.uint8)
    ok, encoded = cv2.imencode(".jpg", pixels, [cv2.IMWRITE_JPEG_QUALITY, 75])
    assert ok
    return cv2.imdecode(encoded, cv2.IMREAD_GRAYSCALE)


def _read(gray: np.ndarray, dpi: int) -> dict[str, FieldReading]:
    """OCR as the pipeline does it (binarised at 250 dpi, vie+eng, automatic layout), then
    the page's reading and the document's description."""
    page = reading.read_page(_words(gray, dpi), gray.shape[1], gray.shape[0], dpi)
    made = describe.describe_document([(1, page)], folder_start=None, folder_end=None)
    return made.fields


def _words(gray: np.ndarray, dpi: int) -> list[ocr.Word]:
    """The page's words as the pipeline's OCR gives them, boxes in the page's pixels."""
    image, ocr_dpi = imaging.prepare_for_ocr(gray, dpi, ocr_dpi=250)
    with tempfile.TemporaryDirectory() as tmp:
        target = Path(tmp) / "page.pgm"
        imaging.write_pnm(image, target)
        result = tools.ocr_page(
            target, languages=["vie", "eng"], psm=3, dpi=round(ocr_dpi), timeout_s=120
        )
    sx, sy = gray.shape[1] / image.shape[1], gray.shape[0] / image.shape[0]
    words = [
        ocr.Word(w.text, (round(w.box[0] * sx), round(w.box[1] * sy), round(w.box[2] * sx),
                          round(w.box[3] * sy)), w.confidence)
        for w in ocr.parse_hocr(result.hocr)
    ]  # fmt: skip
    return words


PAGES = {"party": party_page, "old": old_page, "handwritten": handwritten_page}


@pytest.fixture(scope="module")
def read_pages() -> dict[str, tuple[dict[str, FieldReading], dict[str, str]]]:
    out = {}
    for name, make in PAGES.items():
        page, truth = make()
        dpi = 200 if name == "handwritten" else 300
        out[name] = (_read(_scanned(page, dpi), dpi), truth)
    return out


@pytest.mark.parametrize("name", list(PAGES))
def test_no_field_is_confidently_wrong(
    read_pages: dict[str, tuple[dict[str, FieldReading], dict[str, str]]], name: str
) -> None:
    fields, truth = read_pages[name]
    wrong = {
        key: (fields[key].value, fields[key].confidence)
        for key, value in truth.items()
        if fields[key].confidence >= THRESHOLD and not right(key, fields[key].value, value)
    }
    assert wrong == {}


def right(key: str, found: object, printed: str) -> bool:
    """Exact, but a trích yếu within 5 % of its characters (the bar of issue 10)."""
    if key == "summary":
        return isinstance(found, str) and Levenshtein.normalized_distance(found, printed) <= 0.05
    return found == printed


def test_the_party_header_is_read(
    read_pages: dict[str, tuple[dict[str, FieldReading], dict[str, str]]],
) -> None:
    fields, truth = read_pages["party"]
    for key in ("number_symbol", "issued_date", "document_type", "issuing_body", "place"):
        assert fields[key].value == truth[key], key
        assert fields[key].confidence >= THRESHOLD, key


def test_the_old_layout_is_read(
    read_pages: dict[str, tuple[dict[str, FieldReading], dict[str, str]]],
) -> None:
    fields, truth = read_pages["old"]
    for key in ("number_symbol", "document_type", "issuing_body", "place"):
        assert fields[key].value == truth[key], key


def test_handwriting_is_never_trusted_and_the_print_around_it_is_read(
    read_pages: dict[str, tuple[dict[str, FieldReading], dict[str, str]]],
) -> None:
    fields, truth = read_pages["handwritten"]
    assert fields["number_symbol"].confidence < THRESHOLD
    assert fields["issued_date"].confidence < THRESHOLD
    assert fields["symbol"].value == "KH-SVHTTDL"
    for key in ("document_type", "issuing_body", "place", "summary"):
        assert right(key, fields[key].value, truth[key]), key
    # both are read, and right, just not trusted
    assert fields["number_symbol"].value == truth["number_symbol"]
    assert fields["issued_date"].value == truth["issued_date"]


# --- generated documents (make_samples.render_document), read through real Tesseract --------

# (seed, layout, secrecy, urgency): pages that show the causes issue 10's benchmark found: a
# department under "UBND TỈNH X" and a Đảng ủy khối under "ĐẢNG BỘ TỈNH X" (only the
# territory is added), "HĐND" in a symbol read as HDND, the Party's italic "V/v" read as "VA"
# or "V⁄", a công văn's trích yếu without its "V/v".
GENERATED = (
    (9, "old", None, None),
    (10, "party", None, None),
    (12, "state", None, None),
    (13, "party", None, "Khẩn"),
    (14, "state", "Mật", None),
    (37, "party", None, "Khẩn"),
)


@pytest.fixture(scope="module")
def generated() -> list[tuple[dict[str, FieldReading], dict[str, str]]]:
    import make_samples as ms

    out = []
    for seed, layout, secrecy, urgency in GENERATED:
        doc = ms.render_document(
            np.random.default_rng(seed * 7919 + 13),
            layout=layout,
            secrecy=secrecy,
            urgency=urgency,
        )
        gray = np.asarray(doc.pages[0].convert("L"))
        out.append((_read(gray, 300), doc.truth))
    return out


def test_generated_first_pages_read_right_and_never_confidently_wrong(
    generated: list[tuple[dict[str, FieldReading], dict[str, str]]],
) -> None:
    keys = ("number_symbol", "issued_date", "document_type", "issuing_body", "place", "summary")
    for fields, truth in generated:
        for key in keys:
            found = fields[key]
            if key in ("number_symbol", "document_type", "issuing_body"):
                assert found.value == truth[key], (key, found, truth[key])
            if found.confidence >= THRESHOLD:
                assert right(key, found.value, truth[key]), (key, found, truth[key])


# --- the trích yếu re-read from its region of the page image ----------------------------------


@pytest.fixture(scope="module")
def party_scan() -> tuple[np.ndarray, list[ocr.Word], str]:
    page, truth = party_page()
    gray = _scanned(page, 300)
    return gray, _words(gray, 300), truth["summary"]


def _damaged(words: list[ocr.Word], summary: str, how: str) -> list[ocr.Word]:
    """The trích yếu's words as OCR sometimes gives them: every mark lost ("marks"), or the
    line read twice, the second read a little to the right and without marks ("twice")."""
    line = next(
        line for line in reading.group_lines(words) if vocab.fold(line.text) == vocab.fold(summary)
    )
    out = [w for w in words if w not in line.words]
    for word in line.words:
        bare = vocab.fold(word.text)
        if how == "marks":
            out.append(ocr.Word(bare, word.box, word.confidence))
            continue
        x0, y0, x1, y1 = word.box
        shift = (x1 - x0) // 3
        out += [word, ocr.Word(bare, (x0 + shift, y0, x1 + shift, y1), 88)]
    return out


@pytest.mark.parametrize("how", ["marks", "twice"])
def test_a_damaged_summary_is_read_again_from_its_region(
    party_scan: tuple[np.ndarray, list[ocr.Word], str], how: str
) -> None:
    gray, words, printed = party_scan
    damaged = _damaged(words, printed, how)
    height, width = gray.shape
    from_words = reading.read_page(damaged, width, height, 300).header["summary"]
    assert not right("summary", from_words.value, printed)
    assert from_words.confidence < THRESHOLD
    reread = reading.read_page(damaged, width, height, 300, image=gray).header["summary"]
    assert right("summary", reread.value, printed), reread
    assert reread.confidence >= THRESHOLD


def test_a_summary_read_well_is_not_read_again(
    party_scan: tuple[np.ndarray, list[ocr.Word], str],
) -> None:
    gray, words, printed = party_scan
    header = reading.read_page(words, gray.shape[1], gray.shape[0], 300).header
    assert right("summary", header["summary"].value, printed)
    inner = reading._read_header(reading.group_lines(words), gray.shape[1], gray.shape[0])
    assert reading.reread_summary(inner, gray, 300) is False
    assert inner["summary"] == header["summary"]
