"""Secrecy and urgency stamps: red and framed, turned, dark and read by OCR; never a seal.

Pages are rendered at 200 dpi by scripts/make_samples.py with stamps drawn on them, or as
whole first pages by `make_samples.render_document` (its own stamps: turned, faint, gray);
the OCR words come from the real page OCR (station.tools.ocr_page), as the pipeline reads
them.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import cv2
import make_samples as ms
import numpy as np
import pytest
from PIL import Image, ImageDraw

from station import tools
from station.documents import stamps
from station.documents.model import Stamp
from station.pipeline import imaging, ocr

REAL = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "real" / "vietnamese-nomvn"
DPI = 200
RED = (200, 20, 30)
AT = (110, 330)  # left of the number line, where NĐ 30 puts the secrecy mark


@pytest.fixture(scope="module")
def page() -> Image.Image:
    image, _ = ms.render_document_page(np.random.default_rng(7), dpi=DPI)
    return image


def stamped(
    page: Image.Image, text: str, *, colour: tuple[int, int, int] = RED, angle: float = 0.0
) -> Image.Image:
    """A framed stamp (bold, 47 px letters: 16 pt at 200 dpi) pasted at AT, turned by angle."""
    font = ms._font(ms.FONT_NAMES[0], "bold", 47)
    width = int(ImageDraw.Draw(Image.new("L", (1, 1))).textlength(text, font=font))
    patch = Image.new("RGBA", (width + 60, 110), (0, 0, 0, 0))
    draw = ImageDraw.Draw(patch)
    draw.rectangle((4, 4, width + 56, 106), outline=(*colour, 255), width=6)
    draw.text((30, 22), text, font=font, fill=(*colour, 255))
    if angle:
        patch = patch.rotate(angle, expand=True, resample=Image.BICUBIC)
    out = page.convert("RGB")
    out.paste(patch, AT, patch)
    return out


def page_words(gray: np.ndarray, dpi: float) -> list[ocr.Word]:
    """The page's words as station.pipeline.read_text gets them, boxes in image pixels."""
    ocr_image, ocr_dpi = imaging.prepare_for_ocr(gray, dpi, ocr_dpi=250)
    path = Path(f"/tmp/station-test-stamps-{id(gray)}.pgm")
    imaging.write_pnm(ocr_image, path)
    try:
        result = tools.ocr_page(
            path, languages=["vie", "eng"], psm=3, dpi=round(ocr_dpi), timeout_s=60
        )
    finally:
        path.unlink(missing_ok=True)
    sx, sy = gray.shape[1] / ocr_image.shape[1], gray.shape[0] / ocr_image.shape[0]
    return [
        ocr.Word(
            w.text,
            (
                round(w.box[0] * sx),
                round(w.box[1] * sy),
                round(w.box[2] * sx),
                round(w.box[3] * sy),
            ),
            w.confidence,
        )
        for w in ocr.parse_hocr(result.hocr)
    ]


def find(image: Image.Image, words: Sequence[ocr.Word] = ()) -> tuple[Stamp, ...]:
    return stamps.find_stamps(np.asarray(image), DPI, words)


def only(found: tuple[Stamp, ...], kind: str) -> Stamp:
    kinds = [s for s in found if s.kind == kind]
    assert len(kinds) == 1, found
    return kinds[0]


def near_at(stamp: Stamp) -> bool:
    left, top, _, _ = stamp.box
    return abs(left - AT[0]) < 60 and abs(top - AT[1]) < 60


@pytest.mark.parametrize("angle", [0, 12])
def test_a_red_framed_mat_is_read_upright_or_turned(page: Image.Image, angle: int) -> None:
    stamp = only(find(stamped(page, "MẬT", angle=angle)), "secrecy")
    assert (stamp.level, stamp.colour, stamp.method) == ("Mật", "red", "red-reread")
    assert stamp.confidence >= 0.6 and near_at(stamp)


@pytest.mark.parametrize(
    ("printed", "kind", "level"),
    [
        ("HỎA TỐC", "urgency", "Hỏa tốc"),
        ("TỐI MẬT", "secrecy", "Tối mật"),
        ("TUYỆT MẬT", "secrecy", "Tuyệt mật"),
        ("KHẨN", "urgency", "Khẩn"),
        ("THƯỢNG KHẨN", "urgency", "Thượng khẩn"),
    ],
)
def test_each_red_level_is_read(page: Image.Image, printed: str, kind: str, level: str) -> None:
    found = find(stamped(page, printed))
    stamp = only(found, kind)
    assert stamp.level == level and stamp.confidence >= 0.6 and near_at(stamp)
    assert len(found) == 1  # a TỐI MẬT is not also a MẬT


@pytest.mark.parametrize(
    ("seed", "printed", "level"), [(7, "TỐI MẬT", "Tối mật"), (0, "MẬT", "Mật")]
)
def test_a_dark_stamp_on_a_gray_page_is_found_in_the_words(
    seed: int, printed: str, level: str
) -> None:
    """Seed 0's MẬT is read "MẠI" on the page (its frame): the region is read again alone."""
    page, _ = ms.render_document_page(np.random.default_rng(seed), dpi=DPI)
    gray = np.asarray(stamped(page, printed, colour=(25, 25, 25)).convert("L"))
    stamp = only(stamps.find_stamps(gray, DPI, page_words(gray, DPI)), "secrecy")
    assert (stamp.level, stamp.colour) == (level, "dark")
    assert stamp.method in {"ocr-words", "ocr-words-reread"}
    assert stamp.confidence >= 0.6 and near_at(stamp)
    # Without the words the frame is still seen and its inside read alone (no colour needed).
    alone = only(stamps.find_stamps(gray, DPI, []), "secrecy")
    assert (alone.level, alone.method) == (level, "frame") and near_at(alone)


def test_a_faint_turned_stamp_is_still_found(page: Image.Image) -> None:
    marked = np.asarray(stamped(page, "MẬT", angle=-8)).astype(np.float32)
    faint = (255 - (255 - marked) * 0.55).clip(0, 255).astype(np.uint8)  # ink at 55 %
    assert ("secrecy", "Mật") in {(s.kind, s.level) for s in find(Image.fromarray(faint))}


def test_a_red_round_seal_is_not_a_stamp(page: Image.Image) -> None:
    rng = np.random.default_rng(1)
    sealed = ms._draw_seal(page.convert("RGB"), rng, (1150, 1950), 150, "ỦY BAN NHÂN DÂN", DPI)
    assert stamps.red_mask(np.asarray(sealed)).any()  # the seal is there, and red
    assert find(sealed) == ()


def test_the_words_cue_keeps_running_text_out() -> None:
    def line(texts: str, top: int) -> list[ocr.Word]:
        return [
            ocr.Word(t, (100 + 150 * i, top, 230 + 150 * i, top + 40), 90.0)
            for i, t in enumerate(texts.split())
        ]

    words = [
        *line("bảo vệ bí mật nhà nước", 100),
        *line("MẬT độ dân số", 200),
        *line("BẢO VỆ BÍ MẬT NHÀ NƯỚC", 300),
        *line("MÂT", 400),
        *line("TOI MAT", 500),
        *line("HOẢ TỐC", 600),
    ]
    found = stamps.find_stamps(np.full((1000, 1000), 255, np.uint8), DPI, words)
    assert sorted((s.level, s.box[1]) for s in found) == [
        ("Hỏa tốc", 600),
        ("Mật", 400),
        ("Tối mật", 500),
    ]


def test_a_real_scan_carries_no_stamp() -> None:
    image = np.asarray(Image.open(REAL / "real_qd_729_ttg_p1.png").convert("RGB"))
    words = page_words(np.asarray(Image.fromarray(image).convert("L")), DPI)
    assert len(words) > 100  # the page was read
    assert not [s for s in stamps.find_stamps(image, DPI, words) if s.kind == "secrecy"]


def test_the_other_real_scans_carry_no_secrecy_stamp() -> None:
    for path in sorted(REAL.glob("*.png")):
        image = np.asarray(Image.open(path).convert("RGB"))
        dpi = 160 if "tt_37" in path.name else 200
        assert not [s for s in stamps.find_stamps(image, dpi, []) if s.kind == "secrecy"], path


def blotted(page: Image.Image, at: tuple[int, int]) -> Image.Image:
    """A red frame around one illegible word (ink blots): a stamp too damaged to read."""
    out = page.convert("RGB")
    draw = ImageDraw.Draw(out)
    x, y = at
    draw.rectangle((x, y, x + 200, y + 100), outline=RED, width=6)
    for i in range(3):
        draw.ellipse((x + 40 + 40 * i, y + 30, x + 75 + 40 * i, y + 70), fill=RED)
    return out


def test_an_unreadable_framed_red_box_high_up_is_a_possible_secret(page: Image.Image) -> None:
    """Of a level nobody could read: the highest, so only the most cleared see it for now."""
    stamp = only(find(blotted(page, AT)), "secrecy")
    assert (stamp.level, stamp.confidence, stamp.method) == ("Tuyệt mật", 0.3, "red-frame")
    # Low on the page it is an arrival or filing stamp, not a secrecy mark.
    assert find(blotted(page, (AT[0], 1900))) == ()


def first_page(seed: int, *, colour: bool, secrecy: str | None, urgency: str | None) -> np.ndarray:
    """A first page as `render_document` draws it at 300 dpi (seal, stamps, maybe arrival)."""
    doc = ms.render_document(
        np.random.default_rng(seed), dpi=300, colour=colour, secrecy=secrecy, urgency=urgency,
        pages=1,
    )  # fmt: skip
    return np.asarray(doc.pages[0])


def secrecy_of(found: tuple[Stamp, ...]) -> list[tuple[str, str]]:
    return sorted((s.level, s.method) for s in found if s.kind == "secrecy")


@pytest.mark.parametrize("colour", [False, True])
def test_a_faint_turned_stamp_is_found_on_gray_and_colour_pages(colour: bool) -> None:
    """Seed 18 draws TỐI MẬT at 30-45 % ink, turned 7°: the red mask misses it on colour
    and a gray page has no red at all; its frame is found and its inside read level."""
    page = first_page(18, colour=colour, secrecy="Tối mật", urgency="Khẩn")
    words = page_words(page if page.ndim == 2 else page.min(axis=2), 300)
    found = stamps.find_stamps(page, 300, words)
    assert secrecy_of(found) == [("Tối mật", "frame")]
    assert ("urgency", "Khẩn") in {(s.kind, s.level) for s in found}


def test_a_turned_urgency_stamp_on_a_gray_page_is_no_secrecy_mark() -> None:
    """Seed 3: a faint MẬT and a KHẨN turned 12°, on gray, read from the image alone."""
    found = stamps.find_stamps(first_page(3, colour=False, secrecy="Mật", urgency="Khẩn"), 300, [])
    assert secrecy_of(found) == [("Mật", "frame")]
    assert [s.level for s in found if s.kind == "urgency"] == ["Khẩn"]
    unmarked = first_page(7, colour=False, secrecy=None, urgency="Khẩn")
    assert secrecy_of(stamps.find_stamps(unmarked, 300, [])) == []


def test_a_red_arrival_stamp_is_not_a_possible_mat() -> None:
    """Seed 10034: a red compact "ĐẾN / Số / Ngày" arrival stamp in the header, framed and
    stamp-sized; its inside holds two lines, so it is not an unreadable MẬT."""
    page = first_page(10034, colour=True, secrecy=None, urgency=None)
    assert stamps._red_candidates(page, 300)  # the red path looks at it
    assert secrecy_of(stamps.find_stamps(page, 300, [])) == []


def test_one_line_tells_a_stamp_from_a_block() -> None:
    mat = np.full((60, 200), 255, np.uint8)
    mat[5:9, 40:60] = 0  # the circumflex, just above the letters
    mat[12:50, 20:180] = 0
    mat[53:57, 45:55] = 0  # the dot below
    assert stamps._one_line(mat)
    block = np.full((120, 200), 255, np.uint8)
    block[10:30, 20:180] = 0
    block[50:110, 20:180] = 0
    assert not stamps._one_line(block)


def test_stamp_sized_contours_are_those_whose_bounding_box_fits() -> None:
    """All bounding boxes at once give exactly the contours `cv2.boundingRect` keeps, one at a
    time, on a real page's ink at 100 dpi (letters, rules, the header's frames)."""
    path = REAL / "real_cv_3722_metro_p1.png"
    image = imaging.load_page_image(path, 0, path.name, assumed_dpi=200).pixels
    small = np.ascontiguousarray(imaging.to_gray(image)[::2, ::2])
    cm = 100 / 2.54
    for threshold in (100, 180, 230):
        ink = (small < threshold).astype(np.uint8)
        contours, _ = cv2.findContours(ink, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
        one_at_a_time = []
        for index, contour in enumerate(contours):
            _, _, w, h = cv2.boundingRect(contour)
            if 1.2 * cm <= w <= 8.5 * cm and 0.5 * cm <= h <= 3.5 * cm:
                one_at_a_time.append(index)
        assert len(contours) > 500
        assert stamps._frame_sized(contours, cm) == one_at_a_time
    assert stamps._frame_sized([], cm) == []
    big = np.array([[[0, 0]], [[100, 0]], [[100, 40]], [[0, 40]]], dtype=np.int32)
    assert stamps._frame_sized([big], cm) == [0]
