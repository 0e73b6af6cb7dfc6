"""The pure image functions, measured on generated pages (make_samples) and real scans.

Every assertion here is a number the pipeline relies on: a skew within a tenth of a degree,
an orientation that is never confidently wrong, a blank page that is really blank, a crop
that never cuts text, and load errors that name the file and the cause.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import cv2
import make_samples as ms
import numpy as np
import pytest
from PIL import Image

from station import tools
from station.errors import EmptyFileError, UnreadableImageError, UnsupportedFormatError
from station.pipeline import imaging

CORPUS = Path(__file__).resolve().parent.parent.parent / "shared" / "corpus" / "real"
REAL_ORIENTATION_PAGES = [
    "vietnamese-nomvn/real_qd_729_ttg_p1.png",
    "vietnamese-nomvn/real_cv_3722_metro_p1.png",
    "vietnamese-nomvn/real_tt_37_bca_vehicle_p1.png",
    "ocrmypdf/linn.png",
    "tesseract-test/eurotext.tif",
    "ocrmypdf/typewriter.png",
    "ocrmypdf/congress.jpg",
]


def _gray(img: Image.Image) -> np.ndarray:
    return np.asarray(img.convert("L"))


def _load(relative: str, assumed_dpi: int = 300) -> tuple[np.ndarray, float]:
    path = CORPUS / relative
    loaded = imaging.load_page_image(path, 0, path.name, assumed_dpi=assumed_dpi)
    return imaging.to_gray(loaded.pixels), loaded.dpi


@pytest.fixture(scope="module")
def page300() -> tuple[Image.Image, str]:
    """One clean upright page at 300 dpi, shared by the tests that only degrade it."""
    return ms.render_document_page(np.random.default_rng(300), dpi=300)


# --- skew ----------------------------------------------------------------------------------


def test_skew_of_generated_pages_within_a_tenth_of_a_degree() -> None:
    rng = np.random.default_rng(11)
    errors = []
    for index in range(10):
        dpi = (150, 200, 300, 400)[index % 4]
        page, _ = ms.render_document_page(rng, dpi=dpi)
        angle = float(rng.uniform(-5, 5))
        page = ms.apply_skew(page, angle)
        if index % 3 == 0:
            page = ms.add_noise(page, rng, 8)
        if index % 3 == 1:
            page = ms.add_dark_borders(page, rng)
        if index % 3 == 2:
            page = ms.apply_uneven_light(page, rng)
        estimate = imaging.estimate_skew(_gray(page), dpi, max_angle=10)
        assert estimate.angle is not None, f"page {index}: no angle found"
        assert estimate.confidence > 0.5
        errors.append(abs(estimate.angle - angle))
    assert float(np.mean(errors)) <= 0.1
    assert max(errors) <= 0.25


@pytest.mark.parametrize(
    ("relative", "expected"),
    [
        # Upstream (sbrunner/deskew) asserts -6.0 and +7.0 as the correcting rotation; the
        # skew itself, counter-clockwise positive, is the opposite.
        ("deskew-tests/deskew-3.png", 6.0),
        ("deskew-tests/deskew-4.png", -7.0),
        ("vietnamese-nomvn/real_tt_37_bca_vehicle_p1.png", 0.7),
        ("vietnamese-nomvn/real_qd_729_ttg_p1.png", 0.0),
        ("tesseract-test/eurotext.tif", -0.8),
    ],
)
def test_skew_of_real_scans(relative: str, expected: float) -> None:
    gray, dpi = _load(relative, assumed_dpi=200)
    estimate = imaging.estimate_skew(gray, dpi, max_angle=10)
    assert estimate.angle is not None
    assert estimate.angle == pytest.approx(expected, abs=0.3)


def test_no_skew_on_a_blank_page() -> None:
    blank = ms.render_blank_page(np.random.default_rng(5), dpi=200, show_through=False)
    assert imaging.estimate_skew(_gray(blank), 200, max_angle=10).angle is None


def test_rotate_by_straightens_and_keeps_the_whole_page(page300: tuple[Image.Image, str]) -> None:
    page, _ = page300
    small = ms.resample_dpi(page, 300, 150)
    skewed = _gray(ms.apply_skew(small, 3.0))
    straight = imaging.rotate_by(skewed, 3.0)
    assert straight.shape[0] >= skewed.shape[0] and straight.shape[1] >= skewed.shape[1]
    # the corners are filled with paper, not black
    assert straight[0, 0] > 200 and straight[-1, -1] > 200
    after = imaging.estimate_skew(straight, 150, max_angle=10)
    assert after.angle is not None and abs(after.angle) < 0.1


def test_rotate_right_angle_is_exact() -> None:
    image = np.arange(12, dtype=np.uint8).reshape(3, 4)
    assert np.array_equal(imaging.rotate_right_angle(image, 90), np.rot90(image, -1))
    assert np.array_equal(imaging.rotate_right_angle(image, 180), np.rot90(image, 2))
    assert np.array_equal(imaging.rotate_right_angle(image, 270), np.rot90(image, 1))
    assert imaging.rotate_right_angle(image, 0) is image


# --- orientation ---------------------------------------------------------------------------


def _check_all_rotations(gray: np.ndarray, dpi: float, label: str) -> None:
    upright = Image.fromarray(gray)
    for rotation in (0, 90, 180, 270):
        turned = _gray(ms.apply_orientation(upright, rotation))
        estimate = imaging.estimate_orientation(turned, dpi)
        assert estimate.rotation == rotation, f"{label} at {rotation}: got {estimate}"
        assert 0.0 <= estimate.confidence <= 1.0
        # what the pipeline does with it: upright again
        assert imaging.rotate_right_angle(turned, estimate.rotation).shape == gray.shape


def test_orientation_of_generated_pages() -> None:
    rng = np.random.default_rng(21)
    for index, dpi in enumerate((150, 200, 300)):
        page, _ = ms.render_document_page(rng, dpi=dpi)
        page = ms.add_noise(ms.apply_skew(page, float(rng.uniform(-4, 4))), rng, 6)
        _check_all_rotations(_gray(page), dpi, f"generated page {index}")


@pytest.mark.parametrize("relative", REAL_ORIENTATION_PAGES)
def test_orientation_of_real_scans(relative: str) -> None:
    gray, dpi = _load(relative, assumed_dpi=200 if "nomvn" in relative else 300)
    _check_all_rotations(gray, dpi, relative)


def test_orientation_is_unsure_without_text() -> None:
    rng = np.random.default_rng(8)
    blank = _gray(ms.add_noise(ms.render_blank_page(rng, dpi=200), rng, 6))
    assert imaging.estimate_orientation(blank, 200).confidence < 0.2
    # a "photo": smooth blobs, no text lines
    field = np.asarray(
        Image.fromarray((rng.random((40, 30)) * 255).astype(np.uint8)).resize(
            (1240, 1754), Image.Resampling.BICUBIC
        )
    )
    assert imaging.estimate_orientation(field, 150).confidence < 0.6


def test_osd_reads_a_turned_page_in_process(page300: tuple[Image.Image, str]) -> None:
    """Tesseract OSD on the ~200 dpi copy says which turn makes the page upright."""
    upright = _gray(page300[0])
    for turned_by, needed in ((0, 0), (90, 270), (180, 180)):
        small, dpi = imaging.osd_image(imaging.rotate_right_angle(upright, turned_by), 300)
        assert dpi == pytest.approx(200, abs=1)
        assert max(small.shape) == pytest.approx(max(upright.shape) * 2 / 3, abs=2)
        found = tools.detect_orientation(small, dpi)
        assert found is not None
        assert found.rotate == needed
        assert found.confidence > 1.0


# --- quality: blur and blank ---------------------------------------------------------------


def test_sharpness_separates_readable_from_blurred(page300: tuple[Image.Image, str]) -> None:
    rng = np.random.default_rng(3)
    page, _ = page300
    scores = {}
    for sigma in (0.0, 1.2, 3.0, 4.0):
        degraded = ms.add_noise(ms.apply_blur(page, sigma), rng, 5)
        scores[sigma] = imaging.assess_quality(_gray(degraded), 300).sharpness
    assert scores[0.0] >= 0.8
    assert scores[1.2] >= 0.5
    assert scores[3.0] <= 0.25
    assert scores[4.0] <= 0.25
    # the same physical blur at 150 dpi scores alike
    low = ms.resample_dpi(page, 300, 150)
    assert imaging.assess_quality(_gray(ms.apply_blur(low, 0.6)), 150).sharpness >= 0.5
    assert imaging.assess_quality(_gray(ms.apply_blur(low, 1.5)), 150).sharpness <= 0.25


def test_blank_pages_with_show_through_are_blank() -> None:
    rng = np.random.default_rng(4)
    for dpi in (200, 300):
        for show_through in (False, True):
            blank = ms.add_noise(
                ms.render_blank_page(rng, dpi=dpi, show_through=show_through), rng, 5
            )
            quality = imaging.assess_quality(_gray(blank), dpi)
            assert quality.blank_probability >= 0.8, (dpi, show_through, quality)


def test_a_page_with_one_short_line_is_not_blank() -> None:
    rng = np.random.default_rng(6)
    blank = _gray(ms.add_noise(ms.render_blank_page(rng, dpi=300), rng, 5)).copy()
    page, _ = ms.render_document_page(rng, dpi=300)
    text = _gray(page)
    rows = np.nonzero((text < 128).sum(axis=1))[0]
    top = int(rows[0])
    line = text[top : top + 60, :]  # the first line of the letterhead, a few words
    region = blank[1500 : 1500 + line.shape[0], :]
    blank[1500 : 1500 + line.shape[0], :] = np.minimum(region, line)
    assert imaging.assess_quality(blank, 300).blank_probability < 0.2


def test_a_full_page_is_not_blank(page300: tuple[Image.Image, str]) -> None:
    quality = imaging.assess_quality(_gray(page300[0]), 300)
    assert quality.blank_probability < 0.05
    assert quality.sharpness > 0.8


# --- exposure ------------------------------------------------------------------------------


def test_exposure_of_clean_dark_and_faded_pages(page300: tuple[Image.Image, str]) -> None:
    page, _ = page300
    clean = imaging.measure_exposure(_gray(page))
    assert clean.paper_level >= 240 and clean.ink_level < 60
    dark = imaging.measure_exposure(_gray(ms.apply_exposure(page, "too_dark")))
    assert dark.paper_level < 130
    light = imaging.measure_exposure(_gray(ms.apply_exposure(page, "too_light")))
    assert light.ink_level > 150
    blank = ms.render_blank_page(np.random.default_rng(1), dpi=150, show_through=False)
    measured = imaging.measure_exposure(_gray(blank))
    assert abs(measured.ink_level - measured.paper_level) < 15


def test_normalize_exposure_leaves_a_clean_page_alone(page300: tuple[Image.Image, str]) -> None:
    gray = _gray(page300[0])
    corrected, details = imaging.normalize_exposure(gray, max_gain=4.0)
    assert np.abs(corrected.astype(int) - gray.astype(int)).mean() < 1.0
    assert details["flat_field"] is False


def test_normalize_exposure_fixes_dark_uneven_and_faded(page300: tuple[Image.Image, str]) -> None:
    rng = np.random.default_rng(9)
    page, _ = page300
    for kind in ("too_dark", "too_light", "uneven"):
        degraded = (
            ms.apply_uneven_light(page, rng) if kind == "uneven" else ms.apply_exposure(page, kind)
        )
        corrected, details = imaging.normalize_exposure(_gray(degraded), max_gain=4.0)
        after = imaging.measure_exposure(corrected)
        assert after.paper_level >= 235, (kind, details)
        assert after.ink_level <= 80, (kind, details)
        assert details["gain"] <= 4.0
    colour = np.dstack([_gray(ms.apply_exposure(page, "too_dark"))] * 3)
    corrected, details = imaging.normalize_exposure(colour, max_gain=4.0)
    assert corrected.shape == colour.shape and details["flat_field"] is True
    assert imaging.measure_exposure(imaging.to_gray(corrected)).paper_level >= 235


def test_tesseract_reads_a_faded_page_after_correction(
    page300: tuple[Image.Image, str], tmp_path: Path
) -> None:
    page, truth = page300
    faded = _gray(ms.apply_exposure(page, "too_light"))
    corrected, _ = imaging.normalize_exposure(faded, max_gain=4.0)
    rows = np.nonzero((_gray(page) < 128).sum(axis=1))[0]
    top = int(rows[0])
    band = corrected[top : top + 700]  # the letterhead block: a few seconds of OCR
    image_path = tmp_path / "band.png"
    Image.fromarray(band).save(image_path, dpi=(300, 300))
    result = subprocess.run(
        ["tesseract", str(image_path), "-", "-l", "vie", "--psm", "6"],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "OMP_THREAD_LIMIT": "1"},
    )
    words = [w for w in result.stdout.split() if len(w) >= 3]
    truth_words = set(truth.split())
    assert len(words) >= 10
    assert sum(w in truth_words for w in words) / len(words) >= 0.8


# --- borders -------------------------------------------------------------------------------


def test_border_crop_keeps_all_the_text(page300: tuple[Image.Image, str]) -> None:
    rng = np.random.default_rng(12)
    page, _ = page300
    clean = _gray(page)
    bordered = _gray(ms.add_dark_borders(page, rng))
    box = imaging.find_page_box(bordered)
    assert box is not None
    x, y, w, h = box
    ys, xs = np.nonzero(clean < 128)
    assert x <= xs.min() and y <= ys.min() and x + w > xs.max() and y + h > ys.max()
    cropped = bordered[y : y + h, x : x + w]
    # most of the dark band is gone
    assert (cropped < 60).mean() < 0.5 * (bordered < 60).mean()


def test_border_crop_on_dark_and_clean_pages(page300: tuple[Image.Image, str]) -> None:
    page, _ = page300
    assert imaging.find_page_box(_gray(page)) is None
    dark = _gray(ms.add_dark_borders(ms.apply_exposure(page, "too_dark"), np.random.default_rng(2)))
    box = imaging.find_page_box(dark)
    if box is not None:
        assert box[2] * box[3] >= 0.7 * dark.size
    assert imaging.find_page_box(_gray(ms.apply_exposure(page, "too_dark"))) is None


def test_border_crop_on_a_real_scan_keeps_the_text() -> None:
    gray, _ = _load("tesseract-test/8071_093.3B.tif")
    box = imaging.find_page_box(gray)
    assert box is not None
    x, y, w, h = box
    assert x < 40 and y < 40  # the spread's left page and top line stay
    assert x + w < gray.shape[1] - 20 or y + h < gray.shape[0] - 20  # the black band goes


# --- OCR input -----------------------------------------------------------------------------


def test_prepare_for_ocr_resamples_to_the_ocr_resolution_and_binarises() -> None:
    gray = np.full((1100, 850), 240, np.uint8)
    gray[500:520, 100:700] = 60  # a stroke of gray ink
    upscaled, dpi = imaging.prepare_for_ocr(gray, 100, ocr_dpi=300)
    assert dpi == pytest.approx(300, abs=1) and upscaled.shape == (3300, 2550)
    reduced, reduced_dpi = imaging.prepare_for_ocr(gray, 300, ocr_dpi=250)
    assert reduced_dpi == pytest.approx(250, abs=1) and reduced.shape == (917, 708)
    same, same_dpi = imaging.prepare_for_ocr(gray, 300, ocr_dpi=300)
    assert same_dpi == 300 and same.shape == gray.shape
    assert set(np.unique(same)) == {0, 255}, "Tesseract gets a bilevel page"
    assert same[510, 400] == 0 and same[100, 100] == 255


# --- loading -------------------------------------------------------------------------------


def _saved(tmp_path: Path, name: str, **kwargs: object) -> Path:
    rng = np.random.default_rng(0)
    pixels = (rng.random((300, 200)) * 255).astype(np.uint8)
    path = tmp_path / name
    Image.fromarray(pixels).save(path, **kwargs)  # type: ignore[arg-type]
    return path


def test_load_refuses_an_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "scan_0001.tif"
    path.write_bytes(b"")
    with pytest.raises(EmptyFileError, match=r"scan_0001\.tif: the file is empty"):
        imaging.load_page_image(path, 0, "scan_0001.tif", assumed_dpi=300)


@pytest.mark.parametrize("name", ["scan_0007.jpg", "scan_0008.png", "scan_0009.tif"])
def test_load_refuses_a_truncated_image(tmp_path: Path, name: str) -> None:
    whole = _saved(tmp_path, "whole" + Path(name).suffix, dpi=(300, 300))
    data = whole.read_bytes()
    for cut in (len(data) // 2, len(data) - 2):
        path = tmp_path / name
        path.write_bytes(data[:cut])
        with pytest.raises(UnreadableImageError, match=rf"{name}: .*(truncated|cut short)"):
            imaging.load_page_image(path, 0, name, assumed_dpi=300)
        if name.endswith(".tif"):
            break  # a TIFF's directory sits at the end: cutting 2 bytes already breaks it


def test_load_refuses_text_named_tif(tmp_path: Path) -> None:
    path = tmp_path / "notes.tif"
    path.write_text("Danh sách hồ sơ cần quét\n", encoding="utf-8")
    with pytest.raises(UnsupportedFormatError, match=r"notes\.tif: .*text file"):
        imaging.load_page_image(path, 0, "notes.tif", assumed_dpi=300)
    pdf = tmp_path / "doc.tif"
    pdf.write_bytes(b"%PDF-1.7\n%\xe2\xe3\n")
    with pytest.raises(UnsupportedFormatError, match="PDF"):
        imaging.load_page_image(pdf, 0, "doc.tif", assumed_dpi=300)


def test_load_bilevel_g4_tiff(tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    path = tmp_path / "fax.tif"
    Image.fromarray(rng.random((400, 300)) > 0.5).save(path, compression="group4", dpi=(200, 200))
    loaded = imaging.load_page_image(path, 0, "fax.tif", assumed_dpi=300)
    assert loaded.color_mode == "bw" and loaded.dpi == 200 and loaded.dpi_recorded
    assert loaded.pixels.dtype == np.uint8 and loaded.pixels.shape == (400, 300)
    assert set(np.unique(loaded.pixels)) == {0, 255}
    real = imaging.load_page_image(
        CORPUS / "tesseract-test/8087_054.3B.tif", 0, "x", assumed_dpi=200
    )
    assert real.color_mode == "bw" and real.dpi == 300


def test_load_multi_page_tiff(tmp_path: Path) -> None:
    frames = [Image.fromarray(np.full((120, 80), value, np.uint8)) for value in (10, 120, 240)]
    path = tmp_path / "book.tif"
    frames[0].save(
        path, save_all=True, append_images=frames[1:], compression="tiff_lzw", dpi=(400, 400)
    )
    assert imaging.frame_count(path) == 3
    second = imaging.load_page_image(path, 1, "book.tif", assumed_dpi=300)
    assert second.frame_count == 3 and int(second.pixels.mean()) == 120 and second.dpi == 400
    with pytest.raises(UnreadableImageError, match="holds 3 page"):
        imaging.load_page_image(path, 3, "book.tif", assumed_dpi=300)


def test_load_dpi_recorded_missing_or_nonsense(tmp_path: Path) -> None:
    recorded = imaging.load_page_image(
        _saved(tmp_path, "a.png", dpi=(300, 300)), 0, "a.png", assumed_dpi=200
    )
    assert recorded.dpi == 300 and recorded.dpi_recorded  # pHYs 11811 px/m, rounded
    missing = imaging.load_page_image(_saved(tmp_path, "b.png"), 0, "b.png", assumed_dpi=200)
    assert missing.dpi == 200 and not missing.dpi_recorded
    nonsense = imaging.load_page_image(
        _saved(tmp_path, "c.jpg", dpi=(1, 1)), 0, "c.jpg", assumed_dpi=250
    )
    assert nonsense.dpi == 250 and not nonsense.dpi_recorded


def test_load_colour_modes(tmp_path: Path) -> None:
    rng = np.random.default_rng(2)
    gray = (rng.random((60, 40)) * 255).astype(np.uint8)
    rgb_gray = tmp_path / "g.png"
    Image.fromarray(np.dstack([gray] * 3)).save(rgb_gray)
    loaded = imaging.load_page_image(rgb_gray, 0, "g.png", assumed_dpi=300)
    assert loaded.color_mode == "gray" and loaded.pixels.ndim == 2
    colour = tmp_path / "c.png"
    Image.fromarray(np.dstack([gray, gray // 2, 255 - gray])).save(colour)
    loaded = imaging.load_page_image(colour, 0, "c.png", assumed_dpi=300)
    assert loaded.color_mode == "color" and loaded.pixels.shape == (60, 40, 3)
    for mode in ("CMYK", "RGBA", "P"):
        path = tmp_path / f"m{mode}.{'jpg' if mode == 'CMYK' else 'png'}"
        Image.fromarray(np.dstack([gray, gray // 2, 255 - gray])).convert(mode).save(path)
        loaded = imaging.load_page_image(path, 0, path.name, assumed_dpi=300)
        assert loaded.pixels.dtype == np.uint8 and loaded.pixels.shape[:2] == (60, 40)
    wide = tmp_path / "w.png"
    Image.fromarray(gray.astype(np.uint16) * 257).save(wide)
    loaded = imaging.load_page_image(wide, 0, "w.png", assumed_dpi=300)
    assert loaded.pixels.dtype == np.uint8 and abs(int(loaded.pixels.max()) - int(gray.max())) <= 1


def test_an_implausibly_large_image_fails_with_a_sentence(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Past twice PIL's pixel limit (179 Mpx by default) PIL raises at open: a sentence, not a
    traceback. The limit is lowered here so the test image stays small."""
    path = tmp_path / "huge.png"
    Image.new("1", (200, 100)).save(path)
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 5000)
    with pytest.raises(UnreadableImageError, match=r"huge\.png: the image is implausibly large"):
        imaging.load_page_image(path, 0, "huge.png", assumed_dpi=300)


def test_text_lines_turned_with_the_page_measure_as_the_turned_page(
    page300: tuple[Image.Image, str],
) -> None:
    """orient finds the text ink once and hands it, turned upright, to deskew: the skew
    measured from those points is the skew measured on the upright page itself."""
    gray = _gray(ms.apply_skew(page300[0], 2.5))
    for scanned_turn in (0, 90, 180, 270):
        scanned = imaging.rotate_right_angle(gray, scanned_turn)
        lines = imaging.text_lines(scanned, 300)
        rotation = imaging.estimate_orientation(scanned, 300, lines).rotation
        assert rotation == (360 - scanned_turn) % 360
        upright = imaging.rotate_right_angle(scanned, rotation)
        handed = imaging.turn_lines(lines, rotation)
        assert handed.shape == imaging.text_lines(upright, 300).shape
        direct = imaging.estimate_skew(upright, 300, max_angle=10)
        reused = imaging.estimate_skew(upright, 300, max_angle=10, lines=handed)
        assert direct.angle is not None and reused.angle is not None
        assert direct.angle == pytest.approx(2.5, abs=0.1)
        assert reused.angle == pytest.approx(direct.angle, abs=0.03)


def test_components_label_as_opencv_does_and_survive_a_noise_page(
    page300: tuple[Image.Image, str],
) -> None:
    """16-bit labels are the fast path; a mask with more components than 16 bits can count
    (speckle noise) must still be labelled, in 32 bits, rather than fail the page."""
    gray = _gray(page300[0])
    mask = (gray < 128).astype(np.uint8)
    count, labels, stats = imaging.components(mask)
    expected_count, expected_labels, expected_stats, _ = cv2.connectedComponentsWithStats(
        mask, connectivity=8
    )
    assert count == expected_count > 100
    assert labels.dtype == np.uint16
    assert np.array_equal(labels, expected_labels)
    assert np.array_equal(stats, expected_stats)
    noise = np.zeros((700, 700), np.uint8)
    noise[::2, ::2] = 1  # 122500 single-pixel components
    count, labels, stats = imaging.components(noise)
    assert count == 350 * 350 + 1
    assert labels.dtype == np.int32 and int(labels.max()) == 350 * 350
    assert int(stats[1:, cv2.CC_STAT_AREA].max()) == 1


def test_a_bilevel_page_is_told_from_a_gray_one_by_a_single_gray_pixel() -> None:
    """The sparse first look only ever says "gray"; a page that passes it is checked on the
    full every-third-pixel sample."""
    page = np.where(np.random.default_rng(3).random((600, 500)) < 0.1, 0, 255).astype(np.uint8)
    assert imaging._is_bilevel(page)
    page[30, 21] = 128  # on the every-third-pixel grid, not on the sparse one
    assert not imaging._is_bilevel(page)
    page[30, 21] = 255
    page[31, 21] = 128  # off both grids: the sample does not see it, as before
    assert imaging._is_bilevel(page)
    page[48, 48] = 1  # on the sparse grid
    assert not imaging._is_bilevel(page)
    assert imaging._is_bilevel(np.zeros((0, 5), np.uint8))  # no pixels: nothing gray


@pytest.mark.parametrize("mode", ["L", "RGB", "1"])
@pytest.mark.parametrize("compression", ["tiff_adobe_deflate", "tiff_lzw", None])
def test_every_tiff_decodes_to_the_same_pixels_whichever_decoder_reads_it(
    tmp_path: Path, mode: str, compression: str | None
) -> None:
    """Deflate TIFFs go through libdeflate (tifffile), the rest through Pillow: the page,
    its colour mode and its dpi must not depend on which."""
    page, _ = ms.render_document_page(np.random.default_rng(11), dpi=150)
    image = page.convert(mode)
    if mode == "RGB":  # a red stamp, so that the page stays colour
        pixels = np.asarray(image).copy()
        pixels[40:120, 40:200] = (200, 30, 30)
        image = Image.fromarray(pixels)
    path = tmp_path / "scan.tif"
    image.save(path, dpi=(150, 150), compression=compression)
    loaded = imaging.load_page_image(path, 0, path.name, assumed_dpi=300)
    with Image.open(path) as reference:
        expected, expected_mode = imaging._to_array(reference)
    assert np.array_equal(loaded.pixels, expected)
    assert loaded.color_mode == expected_mode == {"L": "gray", "RGB": "color", "1": "bw"}[mode]
    assert loaded.dpi == 150 and loaded.dpi_recorded


def test_a_damaged_deflate_tiff_is_named_not_filled(tmp_path: Path) -> None:
    """libdeflate refusing a strip is not the end: Pillow reads the file again and says what
    is wrong with it, by name; no page of zeros goes on."""
    page, _ = ms.render_document_page(np.random.default_rng(12), dpi=150)
    path = tmp_path / "scan_0007.tif"
    page.convert("L").save(path, dpi=(150, 150), compression="tiff_adobe_deflate")
    data = bytearray(path.read_bytes())
    data[len(data) // 2 : len(data) // 2 + 64] = bytes(64)
    path.write_bytes(bytes(data))
    with pytest.raises(UnreadableImageError, match=r"scan_0007\.tif"):
        imaging.load_page_image(path, 0, path.name, assumed_dpi=300)
