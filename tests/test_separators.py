"""Separator sheets: printed by station, degraded like a scan, and found again on every page.

Real images only: sheets rendered by `render_separator_sheet`, printed to PDF and rasterised by
poppler, documents rendered by the sample generator, and the real scans of the shared corpus
(which carry barcodes of their own, none of them ours).
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import make_samples as ms
import numpy as np
import pikepdf
import pytest
import zxingcpp
from PIL import Image, ImageDraw, ImageFont

from station import pipeline
from station.errors import BadArgumentError, MissingToolError
from station.pipeline import imaging, separators
from station.pipeline.separators import (
    PAYLOAD_PREFIX,
    RESCAN_PREFIX,
    RescanLabel,
    Separator,
    SeparatorLabel,
    find_separator,
    read_codes,
    render_rescan_slip,
    render_separator_sheet,
    rescan_payload,
    separator_payload,
    write_rescan_slips,
    write_separator_sheets,
)
from station.profiles import ScanProfile

CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus" / "real"

LABELS = [
    SeparatorLabel("HS-2024-0001", "1", "1", "Hồ sơ tổ chức bộ máy", "P01"),
    SeparatorLabel(
        "Hồ-sơ-đặc-biệt-07",
        "12",
        "045",
        "Hồ sơ về việc xây dựng công trình thủy lợi Bắc Hưng Hải, tỉnh Hải Dương, 1958–1962",
    ),
    SeparatorLabel("VN/TTLT2/P01 H012 HS045 (Ủy ban) 100%", "3", "7", "Tờ trình, báo cáo"),
    # Decomposed (NFD) letters in the id must come back exactly as given.
    SeparatorLabel("Ho\u0302\u0300 so\u031b-\u0110a\u0300 Na\u0303ng-2", "4", "2", "Đà Nẵng"),
    SeparatorLabel(
        "FONDS-UBHC-HN-BOX-0012-FOLDER-00045-ITEM-0009-A",
        "12",
        "45",
        # far more than four lines: cut with an ellipsis, not spilled over the barcode
        "Tập lưu công văn đi, đến của Ủy ban hành chính thành phố Hà Nội năm 1965 " * 6,
    ),
]
IDS = [label.folder_id for label in LABELS]


def _corpus(relative: str = "") -> Path:
    """A path in the real-scan corpus; a missing corpus is a failure, never a silent skip."""
    if not CORPUS.is_dir():
        pytest.fail(
            f"the real-scan corpus is missing: expected it at {CORPUS} "
            "(a checkout of the shared corpus beside the repository)"
        )
    path = CORPUS / relative
    if not path.exists():
        pytest.fail(f"the corpus file {path} is missing")
    return path


def _rasterise(pdf: Path, dpi: int, folder: Path, *, first: int = 0, last: int = 0) -> list[Path]:
    """The pages of a PDF as gray PGM files, as poppler renders them."""
    folder.mkdir(parents=True, exist_ok=True)
    pages = ["-f", str(first)] if first else []
    pages += ["-l", str(last)] if last else []
    subprocess.run(
        ["pdftoppm", "-r", str(dpi), "-gray", *pages, str(pdf), str(folder / pdf.stem)],
        check=True,
        capture_output=True,
    )
    return sorted(folder.glob(f"{pdf.stem}-*.pgm"), key=lambda p: int(p.stem.rsplit("-", 1)[1]))


def _gray(path: Path) -> np.ndarray:
    with Image.open(path) as image:
        return np.asarray(image.convert("L"))


@pytest.fixture(scope="module")
def sheets() -> dict[str, np.ndarray]:
    return {label.folder_id: render_separator_sheet(label) for label in LABELS}


@pytest.fixture(scope="module")
def document_page() -> np.ndarray:
    page, _ = ms.render_document_page(np.random.default_rng(7), dpi=300)
    return np.asarray(page.convert("L"))


def _colour(gray: np.ndarray) -> np.ndarray:
    """A colour scan of a gray page: yellowish paper, blue-black ink (HxWx3 RGB)."""
    level = gray.astype(np.float32)
    rgb = np.stack([level * 0.96 + 8, level * 0.93 + 10, level * 0.80 + 25], axis=-1)
    return np.clip(rgb, 0, 255).astype(np.uint8)


def _scan(
    sheet: np.ndarray,
    *,
    rotation: int = 0,
    skew: float = 0.0,
    dpi: int = 300,
    noise: float = 0.0,
    blur: float = 0.0,
    seed: int = 0,
) -> np.ndarray:
    """The sheet as a scanner returns it: turned, skewed, resampled, blurred and noisy."""
    image = Image.fromarray(sheet)
    image = ms.apply_orientation(image, rotation)
    image = ms.apply_skew(image, skew)
    if dpi != 300:
        image = ms.resample_dpi(image, 300, dpi)
    image = ms.apply_blur(image, blur)
    if noise:
        image = ms.add_noise(image, np.random.default_rng(seed), noise)
    return np.asarray(image.convert("L"))


# --- payload and sheet ----------------------------------------------------------------------


def test_payload_carries_the_prefix_and_the_id_as_given() -> None:
    assert separator_payload("HS-1") == "STATION-SEP:HS-1"
    assert separator_payload("Hồ sơ 1") == PAYLOAD_PREFIX + "Hồ sơ 1"
    for bad in ("", "   ", "HS\n1", "HS\t1", "x" * (separators.MAX_FOLDER_ID_LENGTH + 1)):
        with pytest.raises(BadArgumentError):
            separator_payload(bad)


def test_sheet_is_an_a4_gray_page(sheets: dict[str, np.ndarray]) -> None:
    for sheet in sheets.values():
        assert sheet.dtype == np.uint8
        assert sheet.shape == (3508, 2480)  # A4 portrait at 300 dpi
        assert sheet.min() == 0 and sheet.max() == 255
    small = render_separator_sheet(LABELS[0], dpi=150)
    assert small.shape == (1754, 1240)


def test_qr_code_is_large_and_in_the_upper_half(sheets: dict[str, np.ndarray]) -> None:
    for folder_id, sheet in sheets.items():
        codes = zxingcpp.read_barcodes(sheet, formats=zxingcpp.BarcodeFormat.QRCode)
        assert codes and {b.text for b in codes} == {separator_payload(folder_id)}
        qr = max(codes, key=lambda b: b.position.top_right.x - b.position.top_left.x)
        width_mm = (qr.position.top_right.x - qr.position.top_left.x) * 25.4 / 300
        assert 75 <= width_mm <= 100, width_mm
        assert qr.position.bottom_left.y < sheet.shape[0] / 2
        assert abs((qr.position.top_left.x + qr.position.top_right.x) / 2 - 1240) < 10  # centred
        assert qr.ec_level in ("Q", "H")


@pytest.mark.parametrize("folder_id", IDS)
def test_every_sheet_reads_back(sheets: dict[str, np.ndarray], folder_id: str) -> None:
    found = find_separator(sheets[folder_id], 300)
    assert found == Separator(folder_id, separator_payload(folder_id), "QRCode")


def test_long_title_is_cut_with_an_ellipsis_not_spilled(sheets: dict[str, np.ndarray]) -> None:
    """The over-long title takes four lines, the last ending in "…", and the space above the
    bottom code stays empty."""
    _, lines = separators._fit(
        LABELS[-1].title, bold=False, max_px=75, min_px=58, width=2126, max_lines=4
    )
    assert len(lines) == 4 and lines[-1].endswith("…")
    sheet = sheets[LABELS[-1].folder_id]
    gap = sheet[round(238 / 25.4 * 300) : round(245 / 25.4 * 300)]
    assert gap.min() > 128


def test_sheet_without_a_vietnamese_font_names_the_package(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Fonts that are found but lack Vietnamese letters are refused, with what to install."""
    # DejaVu Sans Mono has no Vietnamese letters; here it stands where DejaVu Sans should be.
    mono = Path("/usr/share/fonts/truetype/dejavu")
    for name, source in (
        ("DejaVuSans", "DejaVuSansMono"),
        ("DejaVuSans-Bold", "DejaVuSansMono-Bold"),
    ):
        (tmp_path / f"{name}.ttf").write_bytes((mono / f"{source}.ttf").read_bytes())
    (tmp_path / "NotoSans-Regular.ttf").write_bytes(b"not a font")
    (tmp_path / "NotoSans-Bold.ttf").write_bytes(b"not a font")
    monkeypatch.setattr(separators, "_FONT_DIRS", (tmp_path,))
    separators._font_paths.cache_clear()
    separators._font.cache_clear()
    try:
        with pytest.raises(MissingToolError, match="fonts-dejavu-core"):
            render_separator_sheet(LABELS[0])
    finally:
        separators._font_paths.cache_clear()
        separators._font.cache_clear()


# --- printed and scanned back ---------------------------------------------------------------


def test_printed_sheets_scanned_back_every_folder_id_read(tmp_path: Path) -> None:
    """Separator sheets printed by station, rendered to images, scanned back: every id read."""
    pdf = write_separator_sheets(LABELS, tmp_path / "print" / "separators.pdf")
    assert pdf == tmp_path / "print" / "separators.pdf"
    assert [p.name for p in pdf.parent.iterdir()] == ["separators.pdf"]  # no temporary left
    with pikepdf.open(pdf) as document:
        assert len(document.pages) == len(LABELS)
        for page in document.pages:
            _, _, width, height = (float(v) for v in page.mediabox)
            assert abs(width - 595.28) < 1 and abs(height - 841.89) < 1  # A4 in points
    pages = _rasterise(pdf, 200, tmp_path / "pages")
    assert len(pages) == len(LABELS)
    read = []
    for page in pages:
        gray = _gray(page)
        assert abs(gray.shape[1] - 1654) <= 1 and abs(gray.shape[0] - 2339) <= 1  # A4, 200 dpi
        found = find_separator(gray, 200)
        assert found is not None, page.name
        read.append(found.folder_id)
    assert read == IDS


def test_no_sheets_no_pdf(tmp_path: Path) -> None:
    with pytest.raises(BadArgumentError):
        write_separator_sheets([], tmp_path / "empty.pdf")
    assert not (tmp_path / "empty.pdf").exists()


@pytest.mark.parametrize("rotation", [0, 90, 180, 270])
@pytest.mark.parametrize("folder_id", [IDS[0], IDS[1], IDS[4]])
def test_degraded_sheet_still_read(
    sheets: dict[str, np.ndarray], folder_id: str, rotation: int
) -> None:
    """Fed in any orientation, skewed by 3°, blurred, noisy, scanned at 200 dpi."""
    scan = _scan(
        sheets[folder_id], rotation=rotation, skew=3.0, dpi=200, noise=12.0, blur=1.0, seed=rotation
    )
    found = find_separator(scan, 200)
    assert found is not None and found.folder_id == folder_id


@pytest.mark.parametrize(
    ("skew", "dpi", "noise", "blur"),
    [(-5.0, 300, 8.0, 1.2), (5.0, 400, 8.0, 1.5), (-3.0, 240, 20.0, 0.8), (4.0, 200, 6.0, 0.6)],
)
def test_skew_and_resolution_range(
    sheets: dict[str, np.ndarray], skew: float, dpi: int, noise: float, blur: float
) -> None:
    for folder_id in (IDS[1], IDS[2]):
        scan = _scan(sheets[folder_id], rotation=180, skew=skew, dpi=dpi, noise=noise, blur=blur)
        found = find_separator(scan, dpi)
        assert found is not None and found.folder_id == folder_id, (folder_id, skew, dpi)


def test_poor_scans_bitonal_colour_shadow_and_faded(sheets: dict[str, np.ndarray]) -> None:
    rng = np.random.default_rng(3)
    sheet = Image.fromarray(sheets[IDS[1]])
    bitonal = ms.add_noise(ms.apply_skew(sheet, 2.0), rng, 8.0).point(
        lambda v: 255 if v >= 128 else 0
    )
    shadow = ms.apply_uneven_light(ms.apply_skew(sheet, -2.0), rng)
    faded = ms.add_noise(ms.apply_exposure(sheet, "too_light"), rng, 4.0)
    dark = ms.apply_exposure(ms.apply_orientation(sheet, 90), "too_dark")
    colour = _colour(sheets[IDS[1]])
    for name, scan in [
        ("bitonal", np.asarray(bitonal)),
        ("shadow", np.asarray(shadow)),
        ("faded", np.asarray(faded)),
        ("dark", np.asarray(dark)),
        ("colour", colour),
    ]:
        found = find_separator(scan, 300)
        assert found is not None and found.folder_id == IDS[1], name


def _without_big_qr(sheet: np.ndarray) -> np.ndarray:
    """The sheet with its big QR code torn off (the area from 40 to 148 mm left white)."""
    damaged = sheet.copy()
    damaged[round(40 / 25.4 * 300) : round(148 / 25.4 * 300)] = 255
    assert not [
        b
        for b in zxingcpp.read_barcodes(damaged, formats=zxingcpp.BarcodeFormat.QRCode)
        if b.position.top_left.y < damaged.shape[0] / 2
    ]
    return damaged


def test_damaged_qr_code_the_bottom_code_still_reads(sheets: dict[str, np.ndarray]) -> None:
    # Short ASCII id: a Code 128 at the bottom.
    found = find_separator(_scan(_without_big_qr(sheets[IDS[0]]), skew=1.5, noise=6.0), 300)
    assert found == Separator(IDS[0], separator_payload(IDS[0]), "Code128")
    # A long id that Code 128 cannot hold: a second, smaller QR code instead.
    found = find_separator(_scan(_without_big_qr(sheets[IDS[4]]), rotation=90), 300)
    assert found is not None and (found.folder_id, found.symbology) == (IDS[4], "QRCode")


def test_code128_carries_vietnamese_ids_percent_encoded() -> None:
    folder_id = "Hồ-01 100%"
    sheet = render_separator_sheet(SeparatorLabel(folder_id, "1", "1", "x"))
    found = find_separator(_scan(_without_big_qr(sheet), rotation=270, blur=0.8), 300)
    assert found is not None
    assert found.symbology == "Code128"
    assert found.folder_id == folder_id
    assert found.payload == "STATION-SEP:H%E1%BB%93-01 100%25"  # the raw decoded text


def _shadowed(sheet: np.ndarray, darkest: float) -> np.ndarray:
    """A deep shadow over the left half of the page (lid not closed, a fold), soft-edged."""
    x = np.arange(sheet.shape[1], dtype=np.float32)
    factor = darkest + (1 - darkest) * np.clip((x - sheet.shape[1] / 2 + 400) / 800, 0, 1)
    shaded = np.clip(sheet.astype(np.float32) * factor[None, :], 0, 255).astype(np.uint8)
    return np.asarray(ms.add_noise(Image.fromarray(shaded), np.random.default_rng(2), 5.0))


@pytest.mark.parametrize("folder_id", IDS[:3])
def test_deep_shadow_is_read_by_the_slower_passes(
    sheets: dict[str, np.ndarray], folder_id: str
) -> None:
    """Half the sheet at 35% brightness defeats the fast global-threshold read; the header
    band still shows, so the local-threshold pass runs and reads it."""
    scan = np.rot90(_shadowed(sheets[folder_id], 0.35)).copy()
    fast = separators._read(separators._scaled(scan, 300, 150), local=False)
    assert not [b for b in fast if b.text.startswith(PAYLOAD_PREFIX)]
    found = find_separator(scan, 300)
    assert found is not None and found.folder_id == folder_id


# --- pages that are not separators ----------------------------------------------------------


def _paste(page: np.ndarray, code: np.ndarray, left: int, top: int) -> np.ndarray:
    out = page.copy()
    out[top : top + code.shape[0], left : left + code.shape[1]] = code
    return out


def _foreign_qr(text: str, module_px: int = 12) -> np.ndarray:
    barcode = zxingcpp.create_barcode(text, zxingcpp.BarcodeFormat.QRCode, ec_level="M")
    return np.asarray(zxingcpp.write_barcode_to_image(barcode, scale=module_px))


def test_document_page_is_not_a_separator(document_page: np.ndarray) -> None:
    assert find_separator(document_page, 300) is None
    assert read_codes(document_page, 300) == []
    assert find_separator(_colour(document_page), 300) is None


def test_plain_text_page_is_not_a_separator() -> None:
    """A page of large PIL-rendered text, letters only, including the words of a sheet."""
    page = Image.new("L", (2480, 3508), 255)
    draw = ImageDraw.Draw(page)
    font = ImageFont.truetype(str(separators._font_paths()[1]), 90)
    lines = ["TỜ PHÂN CÁCH / SEPARATOR SHEET", "Hộp số (Box) 12", "Hồ sơ số (Folder) 45"] * 8
    for index, line in enumerate(lines):
        draw.text((150, 150 + index * 130), line, font=font, fill=0)
    assert find_separator(np.asarray(page), 300) is None


def test_foreign_qr_code_is_not_a_separator(document_page: np.ndarray) -> None:
    page = _paste(document_page, _foreign_qr("https://example.org"), 1900, 150)
    assert ("QRCode", "https://example.org") in read_codes(page, 300)  # it is readable...
    assert find_separator(page, 300) is None  # ...but not ours
    for near_miss in ("STATION-SEP:", "station-sep:HS-1", "STATION-SEP HS-1", "XSTATION-SEP:HS-1"):
        page = _paste(document_page, _foreign_qr(near_miss), 1900, 150)
        assert find_separator(page, 300) is None, near_miss


def test_our_code_on_a_document_page_is_found(document_page: np.ndarray) -> None:
    """Any code with the prefix counts, even a small one pasted on a page."""
    page = _paste(document_page, _foreign_qr(separator_payload("HS-9"), 8), 1900, 150)
    assert find_separator(page, 300) == Separator("HS-9", "STATION-SEP:HS-9", "QRCode")


@pytest.fixture(scope="module")
def real_pages(tmp_path_factory: pytest.TempPathFactory) -> list[tuple[str, np.ndarray, float]]:
    """Every page of the real-scan corpus: images as loaded by station, PDFs at 200 dpi."""
    folder = tmp_path_factory.mktemp("corpus-pages")
    pages: list[tuple[str, np.ndarray, float]] = []
    root = _corpus()
    for path in sorted(root.rglob("*")):
        name = str(path.relative_to(root))
        if path.suffix.lower() in (".png", ".tif", ".tiff", ".jpg"):
            loaded = imaging.load_page_image(path, 0, path.name, assumed_dpi=300)
            pages.append((name, loaded.pixels, loaded.dpi))
        elif path.suffix.lower() == ".pdf":
            for page in _rasterise(path, 200, folder / path.parent.name):
                pages.append((f"{name} {page.stem}", _gray(page), 200.0))
    assert len(pages) > 60, "the corpus looks incomplete"
    return pages


def test_real_scans_are_not_separators(real_pages: list[tuple[str, np.ndarray, float]]) -> None:
    """The corpus has barcode separator sheets of other systems (PATCH T, QR, Code 128): none
    of them carries our prefix, so none is a separator."""
    found = {name: find_separator(pixels, dpi) for name, pixels, dpi in real_pages}
    assert {name: sep for name, sep in found.items() if sep is not None} == {}


@pytest.mark.parametrize(
    ("relative", "page", "dpi", "expected"),
    [
        # REAL: Brother ADS-2800W, 600 dpi colour; a "Document Splitter" sheet.
        (
            "paperless-barcodes/many-qr-codes.pdf",
            2,
            300,
            {("QRCode", "ADAR-NEXTDOC"), ("Code128", "ADAR-NEXTDOC")},
        ),
        # REAL: Fuji Xerox, 200 dpi 1-bit, stored landscape with /Rotate 270.
        (
            "pdfdicer-barcodes/example-scanned-documents.pdf",
            2,
            200,
            {("Code128", "http://pebbles.rockjaw.com.au/#/shortner/m8")},
        ),
        (
            "pdfdicer-barcodes/example-scanned-documents.pdf",
            4,
            200,
            {("Code128", "http://rkj.io/ok6b8R")},
        ),
        # REAL: a small printed-and-scanned QR code, 150 dpi.
        (
            "paperless-barcodes/barcode-qr-asn-000123-upscale-dpi.pdf",
            1,
            150,
            {("QRCode", "ASN 000123")},
        ),
    ],
)
def test_decoder_reads_real_barcode_scans(
    tmp_path: Path, relative: str, page: int, dpi: int, expected: set[tuple[str, str]]
) -> None:
    (path,) = _rasterise(_corpus(relative), dpi, tmp_path, first=page, last=page)
    gray = _gray(path)
    assert expected <= set(read_codes(gray, dpi))
    assert find_separator(gray, dpi) is None


# --- cost -----------------------------------------------------------------------------------


def test_slow_passes_never_run_on_ordinary_pages(
    sheets: dict[str, np.ndarray],
    document_page: np.ndarray,
    real_pages: list[tuple[str, np.ndarray, float]],
) -> None:
    """The header-band check that unlocks the slower passes: yes on sheets in any position,
    no on text pages and on every real scan."""
    for rotation, skew in ((0, 0.0), (90, 5.0), (180, -5.0), (270, 2.0)):
        assert _band(_scan(sheets[IDS[1]], rotation=rotation, skew=skew, dpi=200, noise=8), 200)
    assert not _band(document_page, 300)
    assert [name for name, pixels, dpi in real_pages if _band(imaging.to_gray(pixels), dpi)] == []


def _band(gray: np.ndarray, dpi: float) -> bool:
    """Whether detection sees the header band (and so would run its slower passes)."""
    small = separators._scaled(gray, dpi, 150)
    return separators._has_sheet_band(small, dpi * small.shape[1] / gray.shape[1])


def test_bad_resolution_is_refused(document_page: np.ndarray) -> None:
    with pytest.raises(BadArgumentError):
        find_separator(document_page, 0)
    with pytest.raises(BadArgumentError):
        read_codes(document_page, -1)


# --- rescan slips ---------------------------------------------------------------------------

SLIPS = [
    RescanLabel(
        4711,
        "HS-2024-0001",
        17,
        "Trang bị mờ, thiếu góc phải; chữ ký không đọc được",
        box_no="12",
        folder_title="Hồ sơ về việc xây dựng công trình thủy lợi Bắc Hưng Hải, 1958–1962",
        batch_name="hop-12-2024-05-03",
        source_file="scan_000123.tif",
    ),
    RescanLabel(1, "VN/TTLT2/P01 H012 HS045 (Ủy ban) 100%", None, "Nghiêng, mất chữ"),
    RescanLabel(987654321012345678, "Hồ-sơ-đặc-biệt-07", 3, "Quét thiếu trang"),
]
PAGE_IDS = [label.page_id for label in SLIPS]


@pytest.fixture(scope="module")
def slips() -> dict[int, np.ndarray]:
    return {label.page_id: render_rescan_slip(label) for label in SLIPS}


def _rescan(page_id: int, symbology: str = "QRCode") -> Separator:
    return Separator("", rescan_payload(page_id), symbology, kind="rescan", page_id=page_id)


def test_rescan_payload_round_trips() -> None:
    assert rescan_payload(42) == "STATION-RESCAN:42" == RESCAN_PREFIX + "42"
    for page_id in (1, 42, 4711, 10**17, 10**18 - 1):
        assert separators._page_id_from(rescan_payload(page_id)) == page_id
    assert separators._page_id_from("STATION-RESCAN:007") == 7  # digits only: leading zeros ok
    for bad in (0, -1, True, 10**18):
        with pytest.raises(BadArgumentError):
            rescan_payload(bad)
    with pytest.raises(BadArgumentError):
        render_rescan_slip(RescanLabel(0, "HS-1", 1, "x"))


@pytest.mark.parametrize(
    "text",
    [
        "STATION-RESCAN:abc",
        "STATION-RESCAN:",
        "STATION-RESCAN:12a",
        "STATION-RESCAN:-5",
        "STATION-RESCAN:+5",
        "STATION-RESCAN: 12",
        "STATION-RESCAN:0",
        "STATION-RESCAN:\u0663",  # an Arabic-Indic digit: isdigit() but not ASCII
        "STATION-RESCAN:1234567890123456789",  # longer than any page id
        "station-rescan:12",
        "XSTATION-RESCAN:12",
    ],
)
def test_malformed_rescan_codes_are_ignored(document_page: np.ndarray, text: str) -> None:
    assert separators._page_id_from(text) is None
    page = _paste(document_page, _foreign_qr(text), 1900, 150)
    assert find_separator(page, 300) is None


def test_garbage_rescan_code_on_a_slip_layout_is_ignored(slips: dict[int, np.ndarray]) -> None:
    """Even with the header band showing (every pass runs), a bad payload is not ours."""
    page = slips[PAGE_IDS[0]].copy()
    page[round(40 / 25.4 * 300) :] = 255  # keep only the header band
    page = _paste(page, _foreign_qr("STATION-RESCAN:abc"), 900, 700)
    assert _band(page, 300)
    assert find_separator(page, 300) is None


def test_slip_is_an_a4_gray_page_with_a_large_qr_code(slips: dict[int, np.ndarray]) -> None:
    for page_id, slip in slips.items():
        assert slip.dtype == np.uint8 and slip.shape == (3508, 2480)
        codes = zxingcpp.read_barcodes(slip, formats=zxingcpp.BarcodeFormat.QRCode)
        assert {b.text for b in codes} == {rescan_payload(page_id)}
        (qr,) = codes
        width_mm = (qr.position.top_right.x - qr.position.top_left.x) * 25.4 / 300
        assert 75 <= width_mm <= 100, width_mm
        assert qr.ec_level == "Q"
        bars = zxingcpp.read_barcodes(slip, formats=zxingcpp.BarcodeFormat.Code128)
        assert [b.text for b in bars] == [rescan_payload(page_id)]  # ASCII: carried as is
        assert bars[0].position.top_left.y > slip.shape[0] * 0.8
    assert render_rescan_slip(SLIPS[0], dpi=200).shape == (2339, 1654)


@pytest.mark.parametrize("page_id", PAGE_IDS)
def test_every_slip_reads_back(slips: dict[int, np.ndarray], page_id: int) -> None:
    assert find_separator(slips[page_id], 300) == _rescan(page_id)


def test_slip_rendered_at_200_dpi_reads_back() -> None:
    for label in SLIPS:
        assert find_separator(render_rescan_slip(label, dpi=200), 200) == _rescan(label.page_id)


@pytest.mark.parametrize("rotation", [0, 90, 180, 270])
@pytest.mark.parametrize("page_id", [PAGE_IDS[0], PAGE_IDS[2]])
def test_degraded_slip_still_read(
    slips: dict[int, np.ndarray], page_id: int, rotation: int
) -> None:
    """Fed in any orientation, skewed by 3°, blurred, noisy, scanned at 200 dpi."""
    scan = _scan(
        slips[page_id], rotation=rotation, skew=3.0, dpi=200, noise=12.0, blur=1.0, seed=rotation
    )
    assert _band(scan, 200)  # the slower passes would run if the fast one missed it
    found = find_separator(scan, 200)
    assert found is not None and (found.kind, found.page_id) == ("rescan", page_id)


@pytest.mark.parametrize(
    ("rotation", "skew", "dpi", "noise"),
    [(0, -5.0, 300, 8.0), (90, 4.0, 300, 15.0), (180, 2.0, 200, 20.0), (270, -3.0, 240, 10.0)],
)
def test_skewed_noisy_slip_read(
    slips: dict[int, np.ndarray], rotation: int, skew: float, dpi: int, noise: float
) -> None:
    scan = _scan(slips[PAGE_IDS[1]], rotation=rotation, skew=skew, dpi=dpi, noise=noise, blur=0.8)
    found = find_separator(scan, dpi)  # either code may be read first: both carry the payload
    assert found is not None
    assert (found.kind, found.page_id, found.payload) == ("rescan", 1, rescan_payload(1))


def test_damaged_slip_qr_code_the_code128_still_reads(slips: dict[int, np.ndarray]) -> None:
    for page_id in PAGE_IDS:
        torn = _without_big_qr(slips[page_id])
        found = find_separator(_scan(torn, rotation=90, skew=1.5, noise=6.0), 300)
        assert found == _rescan(page_id, "Code128")


def test_our_rescan_code_on_a_document_page_is_found(document_page: np.ndarray) -> None:
    page = _paste(document_page, _foreign_qr(rescan_payload(9), 8), 1900, 150)
    assert find_separator(page, 300) == _rescan(9)


def test_separator_sheets_stay_folder_separators(sheets: dict[str, np.ndarray]) -> None:
    found = find_separator(sheets[IDS[0]], 300)
    assert found is not None and (found.kind, found.page_id) == ("folder", None)


_TEXT_MM = (142.0, 244.0)  # between the QR code's quiet zone and the bottom code


def _rows_mm(slip: np.ndarray, top_mm: float, bottom_mm: float, dpi: int = 300) -> np.ndarray:
    return slip[round(top_mm / 25.4 * dpi) : round(bottom_mm / 25.4 * dpi)]


def test_vietnamese_reason_is_drawn() -> None:
    """The reason's diacritics reach the page: the same reason with and without them differs
    only in the text area, and no letter is the font's missing-glyph box."""
    base = SLIPS[0]
    accented = render_rescan_slip(RescanLabel(5, "HS-1", 2, "Trang bị mờ, thiếu góc phải"))
    plain = render_rescan_slip(RescanLabel(5, "HS-1", 2, "Trang bi mo, thieu goc phai"))
    assert (_rows_mm(accented, *_TEXT_MM) < 128).sum() > 5000  # ink where the text goes
    differs = np.nonzero((accented != plain).any(axis=1))[0] * 25.4 / 300
    assert differs.size and _TEXT_MM[0] <= differs.min() and differs.max() <= _TEXT_MM[1]
    regular, bold = separators._font_paths()
    assert separators._has_vietnamese(regular) and separators._has_vietnamese(bold)
    assert render_rescan_slip(base).shape == (3508, 2480)


@pytest.mark.parametrize("length", [10, 40, 70, 300])
def test_long_values_stay_above_the_bottom_code(length: int) -> None:
    """At any length the text shrinks, wraps and is cut before it reaches the Code 128."""
    label = RescanLabel(
        123,
        ("Hồ sơ số " * length)[:100],
        12345,
        "Trang mờ, chữ không rõ " * (length // 10 + 1),
        box_no="Hộp " * (length // 4 + 1),
        folder_title="Tập lưu công văn đi, đến của Ủy ban hành chính " * (length // 20 + 1),
        batch_name="lô-" * length,
        source_file="tệp " * length,
    )
    for dpi in (300, 150):
        slip = render_rescan_slip(label, dpi=dpi)
        assert _rows_mm(slip, 240.0, 245.5, dpi).min() > 128
        assert find_separator(slip, dpi) == _rescan(123)


def test_printed_slips_scanned_back_every_page_id_read(tmp_path: Path) -> None:
    pdf = write_rescan_slips(SLIPS, tmp_path / "print" / "rescan.pdf")
    assert pdf == tmp_path / "print" / "rescan.pdf"
    assert [p.name for p in pdf.parent.iterdir()] == ["rescan.pdf"]  # no temporary left
    with pikepdf.open(pdf) as document:
        assert len(document.pages) == len(SLIPS)
        for page in document.pages:
            _, _, width, height = (float(v) for v in page.mediabox)
            assert abs(width - 595.28) < 1 and abs(height - 841.89) < 1  # A4 in points
    read = []
    for page in _rasterise(pdf, 200, tmp_path / "pages"):
        found = find_separator(_gray(page), 200)
        assert found is not None and found.kind == "rescan", page.name
        read.append(found.page_id)
    assert read == PAGE_IDS


def test_no_rejected_pages_no_pdf(tmp_path: Path) -> None:
    with pytest.raises(BadArgumentError, match="no rejected pages: there are no rescan slips"):
        write_rescan_slips([], tmp_path / "empty.pdf")
    assert not (tmp_path / "empty.pdf").exists()


def _page_job(profile: ScanProfile, folder: Path, master: Path) -> pipeline.PageJob:
    return pipeline.PageJob(
        page_id=77,
        source_file=master.name,
        master_path=master,
        sha256="0" * 64,
        page_index=0,
        work_dir=folder / "work",
        profile=profile,
    )


def test_stage_records_the_page_a_slip_names(
    slips: dict[int, np.ndarray], default_profile: ScanProfile, tmp_path: Path
) -> None:
    job = _page_job(default_profile, tmp_path, tmp_path / "slip.png")
    job.work_dir.mkdir()
    work = pipeline.find_separator(pipeline.PageWork(job=job, image=slips[4711], dpi=300.0))
    assert (work.rescan_of, work.separator, work.finished, work.image) == (4711, None, True, None)
    assert work.outputs["thumbnail"].is_file()
    assert work.notes == {
        "rescan_slip": {"page_id": 4711, "symbology": "QRCode", "payload": "STATION-RESCAN:4711"}
    }


def test_scanned_slip_file_finishes_after_the_separator_stage(
    slips: dict[int, np.ndarray], default_profile: ScanProfile, tmp_path: Path
) -> None:
    """A slip scanned to a file: loaded, recognised, and no later stage (OCR...) runs."""
    master = tmp_path / "slip.png"
    scan = _scan(slips[PAGE_IDS[2]], rotation=180, skew=2.0, dpi=200, noise=8.0)
    Image.fromarray(scan).save(master, dpi=(200, 200))
    result = pipeline.run_page(_page_job(default_profile, tmp_path, master))
    assert result.ok, result.error
    assert (result.work.rescan_of, result.work.separator) == (PAGE_IDS[2], None)
    assert list(result.timings_ms) == ["load", "find_separator"]


def test_stage_keeps_folder_separators_as_before(
    sheets: dict[str, np.ndarray], default_profile: ScanProfile, tmp_path: Path
) -> None:
    job = _page_job(default_profile, tmp_path, tmp_path / "sheet.png")
    job.work_dir.mkdir()
    work = pipeline.find_separator(pipeline.PageWork(job=job, image=sheets[IDS[0]], dpi=300.0))
    assert (work.separator, work.rescan_of, work.finished) == (IDS[0], None, True)
    assert set(work.notes) == {"separator"}


# --- other systems' folder labels -----------------------------------------------------------


def _label_page(payload: str, fmt: zxingcpp.BarcodeFormat, *, with_text: bool) -> np.ndarray:
    """An A4 page at 200 dpi with one code; a paragraph of text under it if asked."""
    import make_samples as ms

    page = (
        np.asarray(ms.render_document_page(np.random.default_rng(5), dpi=200)[0]).copy()
        if with_text
        else np.full((2339, 1654), 255, np.uint8)
    )
    code = zxingcpp.write_barcode(
        fmt, payload, width=400, height=400 if fmt == zxingcpp.BarcodeFormat.QRCode else 120
    )
    pixels = np.asarray(code)
    if with_text:
        page[60 : 60 + pixels.shape[0], 1000 : 1000 + pixels.shape[1]] = pixels
    else:
        page[800 : 800 + pixels.shape[0], 600 : 600 + pixels.shape[1]] = pixels
    return page


@pytest.mark.parametrize("turns", [0, 1, 2, 3])
@pytest.mark.parametrize(
    "fmt",
    [
        zxingcpp.BarcodeFormat.QRCode,
        zxingcpp.BarcodeFormat.Code128,
        zxingcpp.BarcodeFormat.DataMatrix,
    ],
)
def test_a_foreign_folder_label_on_a_blank_page_is_read(
    fmt: zxingcpp.BarcodeFormat, turns: int
) -> None:
    """Fed in any direction: the first read takes bars and Data Matrix only as the page lies,
    so a nearly bare page is read again with the quarter turns."""
    page = np.ascontiguousarray(np.rot90(_label_page("HS-2019-05", fmt, with_text=False), turns))
    separator, label = separators.read_page_codes(page, 200)
    assert separator is None and label is not None
    assert label.payload == "HS-2019-05" and label.ink_outside <= separators.LABEL_MAX_INK


def test_a_qr_code_on_a_document_page_is_no_folder_label() -> None:
    page = _label_page("HS-2019-05", zxingcpp.BarcodeFormat.QRCode, with_text=True)
    separator, label = separators.read_page_codes(page, 200)
    assert separator is None and label is None


def test_station_payloads_are_never_taken_for_labels() -> None:
    page = _label_page(
        separators.separator_payload("HS-2019-05"), zxingcpp.BarcodeFormat.QRCode, with_text=False
    )
    separator, label = separators.read_page_codes(page, 200)
    assert separator is not None and separator.folder_id == "HS-2019-05" and label is None
