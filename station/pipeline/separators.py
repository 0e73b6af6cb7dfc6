"""Separator sheets: print one in front of every folder (hồ sơ), and find them on scanned pages.

A separator sheet is an A4 page with a black header band, a large QR code carrying
``STATION-SEP:<folder_id>``, a second code with the same payload near the bottom (a Code 128,
or a smaller QR code when the id is too long for one), and the box number, folder number,
folder id and title in large Vietnamese type so the operator can check it by eye. During
processing `find_separator` looks at every page: a page that carries such a code starts a new
folder and is left out of the PDF.

Only codes that start with `PAYLOAD_PREFIX` count, so a QR code printed on an ordinary document
page is never taken for a separator.

The QR code carries the payload as UTF-8, so any folder id round-trips exactly. Code 128 can
only hold ISO 8859-1, so its copy of the payload has the folder id percent-encoded (UTF-8, as in
URLs: ``%`` and every character outside printable ASCII); `find_separator` decodes it back.

Rescan slips work the same way for the review loop: a reviewer rejects a page, the operator
prints a slip for it (`write_rescan_slips`), puts it directly in front of the replacement page
and scans both. The slip carries ``STATION-RESCAN:<page_id>`` (ASCII, so Code 128 holds it as
is) under the same header band, and `find_separator` reports it with ``kind="rescan"`` so the
pipeline knows which rejected page the next page replaces.
"""

from __future__ import annotations

import io
import tempfile
import unicodedata
import urllib.parse
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import cv2
import img2pdf
import numpy as np
import zxingcpp
from PIL import Image, ImageDraw, ImageFont

from station.errors import BadArgumentError, MissingToolError, OutputError
from station.i18n import N_, _
from station.pipeline.imaging import to_gray

PAYLOAD_PREFIX = "STATION-SEP:"
RESCAN_PREFIX = "STATION-RESCAN:"

MAX_FOLDER_ID_LENGTH = 100  # characters; keeps the QR code's modules large enough to find cheaply
# Digits of a page id on a rescan slip: anything longer is not a database id (63-bit).
_MAX_PAGE_ID_DIGITS = 18

# Vietnamese-capable fonts, best first: (regular, bold) file names, looked for in the folders
# below. fonts-dejavu-core is the one Debian/Ubuntu package that always has them.
_FONT_FILES: tuple[tuple[str, str], ...] = (
    ("DejaVuSans.ttf", "DejaVuSans-Bold.ttf"),
    ("NotoSans-Regular.ttf", "NotoSans-Bold.ttf"),
    ("LiberationSans-Regular.ttf", "LiberationSans-Bold.ttf"),  # liberation2 only (2.x)
)
_FONT_DIRS: tuple[Path, ...] = (
    Path("/usr/share/fonts/truetype/dejavu"),
    Path("/usr/share/fonts/truetype/noto"),
    Path("/usr/share/fonts/truetype/liberation2"),
    Path("/usr/share/fonts"),
    Path("/usr/local/share/fonts"),
)
_FONT_PACKAGES = "fonts-dejavu-core (or fonts-noto-core, fonts-liberation2)"
_VIETNAMESE_SAMPLE = "ẠẢẤẦẨẪẬẮẰẲẴẶẸẺẼẾỀỂỄỆỈỊỌỎỐỒỔỖỘỚỜỞỠỢỤỦỨỪỬỮỰỲỴỶỸđơưạảấầẩẫậắằẳẵặẹẻẽếềểễệ"

_A4_MM = (210.0, 297.0)
_PDF_DPI = 300
_MARGIN_MM = 12.0
# The solid black header band (long x short side, mm): drawn on the sheet, and looked for on
# pages as the sign that a page is probably a separator sheet.
_BAND_MM = (_A4_MM[0] - 2 * _MARGIN_MM, 22.0)


@dataclass(frozen=True)
class SeparatorLabel:
    """What is printed on one separator sheet."""

    folder_id: str
    box_no: str
    folder_no: str
    title: str
    fonds_code: str = ""


@dataclass(frozen=True)
class RescanLabel:
    """What is printed on one rescan slip: the rejected page and where it belongs."""

    page_id: int
    folder_id: str
    position: int | None  # the page's number in its folder, when known
    reason: str
    box_no: str = ""
    folder_title: str = ""
    batch_name: str = ""
    source_file: str = ""


@dataclass(frozen=True)
class Separator:
    """A separator found on a page: a folder's separator sheet or a page's rescan slip."""

    folder_id: str  # "" for a rescan slip
    payload: str  # the raw decoded text
    symbology: str  # "QRCode", "DataMatrix", "Code128"
    kind: str = "folder"  # "folder" (separator sheet) or "rescan" (rescan slip)
    page_id: int | None = None  # the page a rescan slip names


# --- payload -------------------------------------------------------------------------------


def _check_folder_id(folder_id: str) -> None:
    if not folder_id or not folder_id.strip():
        raise BadArgumentError(_("a separator sheet needs a folder id; it is empty"))
    if not folder_id.isprintable():
        raise BadArgumentError(
            _(
                "folder id %(folder_id)r contains control characters; it cannot go on a separator",
                folder_id=folder_id,
            )
        )
    if len(folder_id) > MAX_FOLDER_ID_LENGTH:
        raise BadArgumentError(
            _(
                "folder id %(folder_id)r… is %(n_folder_id)s characters long; a separator "
                "sheet "
                "holds at most %(max_folder_id_length)s",
                folder_id=folder_id[:30],
                n_folder_id=len(folder_id),
                max_folder_id_length=MAX_FOLDER_ID_LENGTH,
            )
        )


def separator_payload(folder_id: str) -> str:
    """The text the sheet's QR code carries: the prefix and the folder id, exactly as given."""
    _check_folder_id(folder_id)
    return PAYLOAD_PREFIX + folder_id


# Printable ASCII that Code 128 (set B) carries as is; everything else is percent-encoded.
_CODE128_SAFE = "".join(chr(c) for c in range(0x20, 0x7F) if chr(c) != "%")


def _code128_payload(folder_id: str) -> str:
    """The payload in the form Code 128 can hold: printable ASCII, the rest percent-encoded."""
    _check_folder_id(folder_id)
    return PAYLOAD_PREFIX + urllib.parse.quote(folder_id, safe=_CODE128_SAFE, encoding="utf-8")


def _folder_id_from(text: str, symbology: str) -> str | None:
    """The folder id a decoded code carries, or None when it is not one of our separators."""
    if not text.startswith(PAYLOAD_PREFIX):
        return None
    folder_id = text[len(PAYLOAD_PREFIX) :]
    if symbology == "Code128":
        folder_id = urllib.parse.unquote(folder_id, encoding="utf-8", errors="strict")
    if not folder_id.strip() or not folder_id.isprintable():
        return None
    return folder_id


def _check_page_id(page_id: int) -> None:
    if isinstance(page_id, bool) or not isinstance(page_id, int) or page_id <= 0:
        raise BadArgumentError(
            _("a rescan slip needs a positive page id, not %(page_id)r", page_id=page_id)
        )
    if len(str(page_id)) > _MAX_PAGE_ID_DIGITS:
        raise BadArgumentError(
            _("page id %(page_id)s is too large for a rescan slip", page_id=page_id)
        )


def rescan_payload(page_id: int) -> str:
    """The text a rescan slip's codes carry: the prefix and the page id in decimal."""
    _check_page_id(page_id)
    return f"{RESCAN_PREFIX}{page_id}"


def _page_id_from(text: str) -> int | None:
    """The page id a decoded code names, or None when it is not one of our rescan slips.

    Strict (ASCII digits only, no sign or spaces, positive) so that a damaged or foreign code
    that merely starts with the prefix never sends a page to the wrong place.
    """
    if not text.startswith(RESCAN_PREFIX):
        return None
    digits = text[len(RESCAN_PREFIX) :]
    if not (0 < len(digits) <= _MAX_PAGE_ID_DIGITS and digits.isascii() and digits.isdigit()):
        return None
    page_id = int(digits)
    return page_id if page_id > 0 else None


# --- fonts ---------------------------------------------------------------------------------


def _font_candidates() -> Iterator[tuple[Path, Path]]:
    for regular, bold in _FONT_FILES:
        for folder in _FONT_DIRS:
            if (folder / regular).is_file() and (folder / bold).is_file():
                yield folder / regular, folder / bold
        for folder in _FONT_DIRS:  # packaged under another folder name
            if not folder.is_dir():
                continue
            found_regular = next(folder.rglob(regular), None)
            found_bold = next(folder.rglob(bold), None)
            if found_regular is not None and found_bold is not None:
                yield found_regular, found_bold


def _has_vietnamese(path: Path) -> bool:
    """Whether the font draws every Vietnamese letter (not the 'missing glyph' box)."""
    try:
        font = ImageFont.truetype(str(path), 32, layout_engine=ImageFont.Layout.BASIC)
    except OSError:
        return False
    if font.path != str(path):  # Pillow fell back to a system font of the same file name
        return False

    def drawn(ch: str) -> bytes:
        tile = Image.new("L", (64, 64), 0)
        ImageDraw.Draw(tile).text((16, 8), ch, font=font, fill=255)
        return tile.tobytes()

    missing = drawn("\ue000")  # private use: no text font maps it
    return all(drawn(ch) != missing for ch in _VIETNAMESE_SAMPLE)


@lru_cache(maxsize=1)
def _font_paths() -> tuple[Path, Path]:
    """The (regular, bold) font files used for sheets: the first with Vietnamese glyphs."""
    seen: set[Path] = set()
    for regular, bold in _font_candidates():
        if regular in seen:
            continue
        seen.add(regular)
        if _has_vietnamese(regular) and _has_vietnamese(bold):
            return regular, bold
    names = ", ".join(f"{regular}/{bold}" for regular, bold in _FONT_FILES)
    raise MissingToolError(
        _(
            "no font with Vietnamese letters was found for printing separator sheets (looked "
            "for "
            "%(names)s under %(font_dirs)s); install %(font_packages)s",
            names=names,
            font_dirs=", ".join(str(d) for d in _FONT_DIRS),
            font_packages=_FONT_PACKAGES,
        )
    )


@lru_cache(maxsize=64)
def _font(bold: bool, size_px: int) -> ImageFont.FreeTypeFont:
    regular_path, bold_path = _font_paths()
    path = bold_path if bold else regular_path
    # BASIC layout so the sheet does not depend on libraqm; NFC text needs no shaping.
    return ImageFont.truetype(str(path), size_px, layout_engine=ImageFont.Layout.BASIC)


# --- sheet layout --------------------------------------------------------------------------


def _nfc(text: str) -> str:
    return unicodedata.normalize("NFC", " ".join(text.split()))


def _split_long_word(word: str, font: ImageFont.FreeTypeFont, width: float) -> list[str]:
    pieces: list[str] = []
    current = ""
    for ch in word:
        if current and font.getlength(current + ch) > width:
            pieces.append(current)
            current = ch
        else:
            current += ch
    if current:
        pieces.append(current)
    return pieces


def _wrap(text: str, font: ImageFont.FreeTypeFont, width: float) -> list[str]:
    """Greedy word wrap; a word wider than a line is broken between characters."""
    lines: list[str] = []
    current = ""
    for word in text.split(" "):
        candidate = f"{current} {word}" if current else word
        if font.getlength(candidate) <= width:
            current = candidate
            continue
        if current:
            lines.append(current)
        if font.getlength(word) <= width:
            current = word
        else:
            *full, current = _split_long_word(word, font, width)
            lines.extend(full)
    if current:
        lines.append(current)
    return lines


def _truncate(line: str, font: ImageFont.FreeTypeFont, width: float) -> str:
    """The line cut so that it ends with an ellipsis and fits the width."""
    while line and font.getlength(line.rstrip() + "…") > width:
        line = line[:-1]
    return line.rstrip() + "…"


def _fit(
    text: str, *, bold: bool, max_px: int, min_px: int, width: float, max_lines: int
) -> tuple[ImageFont.FreeTypeFont, list[str]]:
    """The largest size at which text fits in max_lines; at min_px, the overflow is cut (…)."""
    size = max_px
    while True:
        font = _font(bold, size)
        lines = _wrap(text, font, width)
        if len(lines) <= max_lines:
            return font, lines
        if size <= min_px:
            kept = lines[:max_lines]
            kept[-1] = _truncate(kept[-1] + " " + lines[max_lines], font, width)
            return font, kept
        size = max(min_px, int(size * 0.92))


class _Sheet:
    """A white A4 page at a given dpi, drawn on in millimetres."""

    def __init__(self, dpi: int) -> None:
        self.dpi = dpi
        self.size = (self.px(_A4_MM[0]), self.px(_A4_MM[1]))
        self.image = Image.new("L", self.size, 255)
        self.draw = ImageDraw.Draw(self.image)

    def px(self, mm: float) -> int:
        return round(mm * self.dpi / 25.4)

    def pt(self, points: float) -> int:
        return max(4, round(points * self.dpi / 72))

    def text_block(
        self,
        text: str,
        top: int,
        *,
        bold: bool,
        max_pt: float,
        min_pt: float,
        max_lines: int = 1,
        fill: int = 0,
        width_mm: float = 180.0,
    ) -> int:
        """Centred, wrapped text starting at `top` (px); returns the y below it."""
        font, lines = _fit(
            _nfc(text),
            bold=bold,
            max_px=self.pt(max_pt),
            min_px=self.pt(min_pt),
            width=self.px(width_mm),
            max_lines=max_lines,
        )
        pitch = round(font.size * 1.22)
        y = top
        for line in lines:
            self.draw.text((self.size[0] // 2, y), line, font=font, fill=fill, anchor="mt")
            y += pitch
        return y

    def matrix(
        self, modules: np.ndarray, left: int, top: int, module_w: int, module_h: int
    ) -> None:
        """Paste a code's module matrix (0 = black), each module module_w x module_h pixels."""
        scaled = np.repeat(np.repeat(modules, module_h, axis=0), module_w, axis=1)
        self.image.paste(Image.fromarray(scaled, mode="L"), (left, top))


def _modules(content: str, fmt: zxingcpp.BarcodeFormat, **options: str) -> np.ndarray:
    """A code's modules, one pixel each, without quiet zone: 0 black, 255 white."""
    barcode = zxingcpp.create_barcode(content, fmt, **options)
    image = zxingcpp.write_barcode_to_image(barcode, scale=1, add_quiet_zones=False)
    modules = np.asarray(image, dtype=np.uint8)
    return np.where(modules < 128, 0, 255).astype(np.uint8)


def _code128_modules(folder_id: str) -> np.ndarray:
    """The Code 128 bars of the payload, or an empty array when Code 128 cannot hold it."""
    try:
        return _modules(_code128_payload(folder_id), zxingcpp.BarcodeFormat.Code128)
    except ValueError:  # longer than Code 128 allows (102 symbol characters)
        return np.zeros((1, 0), dtype=np.uint8)


def _check_dpi(dpi: int) -> None:
    if not 100 <= dpi <= 1200:
        raise BadArgumentError(
            _("sheets and slips are rendered at 100-1200 dpi, not %(dpi)s", dpi=dpi)
        )


def _draw_header(sheet: _Sheet, title: str) -> int:
    """The solid black band with the sheet's name in white; returns its bottom (px).

    Every kind of sheet has the same band: it is what `_has_sheet_band` looks for before the
    slower detection passes, and it makes the sheets easy to spot in a stack.
    """
    band_top, band_bottom = sheet.px(_MARGIN_MM), sheet.px(_MARGIN_MM + _BAND_MM[1])
    band_left, band_right = sheet.px(_MARGIN_MM), sheet.px(_MARGIN_MM + _BAND_MM[0])
    sheet.draw.rectangle((band_left, band_top, band_right, band_bottom), fill=0)
    header_font, _ = _fit(
        title,
        bold=True,
        max_px=sheet.pt(30),
        min_px=sheet.pt(16),
        width=sheet.px(_BAND_MM[0] - 10),
        max_lines=1,
    )
    sheet.draw.text(
        (sheet.size[0] // 2, (band_top + band_bottom) // 2),
        title,
        font=header_font,
        fill=255,
        anchor="mm",
    )
    return band_bottom


def _draw_big_qr(sheet: _Sheet, qr: np.ndarray, band_bottom: int) -> int:
    """The QR code about 8 cm wide, centred around 92 mm from the top; returns the y below it.

    Its quiet zone (4 modules) stays clear of the header band and of the text below.
    """
    modules = int(qr.shape[1])
    module = max(1, round(sheet.px(80) / modules))
    qr_size = module * modules
    qr_top = sheet.px(92) - qr_size // 2
    qr_top = max(qr_top, band_bottom + 4 * module + sheet.px(2))
    sheet.matrix(qr, (sheet.size[0] - qr_size) // 2, qr_top, module, module)
    return qr_top + qr_size + 4 * module


_BOTTOM_CODE_MM = 246.0  # top of the second code near the bottom of a sheet


def _draw_bottom_bars(sheet: _Sheet, bars: np.ndarray, caption: str) -> bool:
    """A Code 128 near the bottom with its text below; False when its bars would be too thin.

    Bars of 0.5 mm when the payload is short, never thinner than 0.3 mm (nor 2 px), so that
    both the page reader and hand scanners read it.
    """
    usable = sheet.px(_BAND_MM[0]) - 20 * sheet.px(0.3)  # less the quiet zones
    bar = min(sheet.px(0.5), usable // bars.shape[1]) if bars.size else 0
    if bar < max(2, sheet.px(0.3)):
        return False
    bottom, bars_h = sheet.px(_BOTTOM_CODE_MM), sheet.px(20)
    sheet.matrix(bars[:1], (sheet.size[0] - bar * bars.shape[1]) // 2, bottom, bar, bars_h)
    sheet.text_block(
        caption, bottom + bars_h + sheet.px(2), bold=False, max_pt=10, min_pt=6, max_lines=2
    )
    return True


def _draw_footer(sheet: _Sheet, text: str) -> None:
    sheet.text_block(text, sheet.px(281), bold=False, max_pt=9, min_pt=6, max_lines=2, fill=60)


def render_separator_sheet(label: SeparatorLabel, dpi: int = 300) -> np.ndarray:
    """The separator sheet for one folder: an A4 portrait page image, gray uint8.

    Raises MissingToolError when no font with Vietnamese letters is installed and
    BadArgumentError for a folder id that cannot be printed (empty, control characters,
    longer than MAX_FOLDER_ID_LENGTH).
    """
    _check_dpi(dpi)
    payload = separator_payload(label.folder_id)
    sheet = _Sheet(dpi)
    band_bottom = _draw_header(sheet, "TỜ PHÂN CÁCH / SEPARATOR SHEET")
    qr = _modules(payload, zxingcpp.BarcodeFormat.QRCode, ec_level="Q")
    y = max(_draw_big_qr(sheet, qr, band_bottom), sheet.px(150))

    # Text for the operator.
    y = sheet.text_block(f"Hộp số (Box) {label.box_no}", y, bold=True, max_pt=30, min_pt=16)
    y = sheet.text_block(f"Hồ sơ số (Folder) {label.folder_no}", y, bold=True, max_pt=30, min_pt=16)
    y += sheet.px(2)
    y = sheet.text_block(
        f"Mã hồ sơ (Folder ID): {label.folder_id}", y, bold=False, max_pt=20, min_pt=11, max_lines=2
    )
    if label.fonds_code.strip():
        y = sheet.text_block(
            f"Phông (Fonds): {label.fonds_code}", y, bold=False, max_pt=16, min_pt=10
        )
    y += sheet.px(2)
    if label.title.strip():
        sheet.text_block(label.title, y, bold=False, max_pt=18, min_pt=14, max_lines=4)

    # A second code near the bottom, a second chance when the QR code above is damaged or
    # badly printed: a Code 128 (the patch-sheet habit, and what hand scanners read). A payload
    # too long for that (long or non-ASCII folder ids, which Code 128 carries percent-encoded)
    # gets a second, smaller QR code instead.
    bars = _code128_modules(label.folder_id)
    if not _draw_bottom_bars(sheet, bars, _code128_payload(label.folder_id)):
        small_module = max(1, sheet.px(30) // qr.shape[1])
        small_size = small_module * qr.shape[1]
        sheet.matrix(
            qr,
            (sheet.size[0] - small_size) // 2,
            sheet.px(_BOTTOM_CODE_MM),
            small_module,
            small_module,
        )
    _draw_footer(
        sheet,
        "Đặt tờ này trước hồ sơ khi quét; trang này không được đưa vào tệp PDF. "
        "Put this sheet in front of the folder; it is left out of the PDF.",
    )
    return np.array(sheet.image, dtype=np.uint8)


def render_rescan_slip(label: RescanLabel, dpi: int = 300) -> np.ndarray:
    """The rescan slip for one rejected page: an A4 portrait page image, gray uint8.

    The operator reads folder, page and reason from it to find the original and scan it again;
    the codes tell the pipeline which rejected page the page behind the slip replaces.
    Raises BadArgumentError for a page id that is not a positive integer, MissingToolError
    when no font with Vietnamese letters is installed.
    """
    _check_dpi(dpi)
    payload = rescan_payload(label.page_id)
    sheet = _Sheet(dpi)
    band_bottom = _draw_header(sheet, "PHIẾU QUÉT LẠI / RESCAN SLIP")
    qr = _modules(payload, zxingcpp.BarcodeFormat.QRCode, ec_level="Q")
    y = _draw_big_qr(sheet, qr, band_bottom)

    # What the operator needs to find the original page: large, then the details smaller.
    # Every block at its largest size and line count still ends above the bottom code (about
    # 96 mm from below the QR code's quiet zone at 142 mm); longer values shrink, then are cut
    # with "…".
    folder = label.folder_id if label.folder_id.strip() else "?"
    position = "?" if label.position is None else str(label.position)
    y = sheet.text_block(
        f"Hồ sơ (Folder) {folder}", y, bold=True, max_pt=28, min_pt=14, max_lines=2
    )
    y += sheet.px(2)
    y = sheet.text_block(f"Trang (Page) {position}", y, bold=True, max_pt=36, min_pt=20)
    y += sheet.px(2)
    y = sheet.text_block(
        f"Lý do (Reason): {label.reason}", y, bold=False, max_pt=22, min_pt=14, max_lines=2
    )
    y += sheet.px(3)
    if label.box_no.strip():
        y = sheet.text_block(f"Hộp số (Box) {label.box_no}", y, bold=False, max_pt=14, min_pt=10)
    if label.folder_title.strip():
        y = sheet.text_block(label.folder_title, y, bold=False, max_pt=12, min_pt=10, max_lines=3)
    if label.batch_name.strip():
        y = sheet.text_block(
            f"Lô quét (Batch): {label.batch_name}", y, bold=False, max_pt=11, min_pt=8
        )
    if label.source_file.strip():
        sheet.text_block(
            f"Tệp gốc (Original file): {label.source_file}", y, bold=False, max_pt=11, min_pt=8
        )

    # The payload is short ASCII, so a Code 128 with 0.5 mm bars always fits.
    drawn = _draw_bottom_bars(sheet, _modules(payload, zxingcpp.BarcodeFormat.Code128), payload)
    assert drawn, payload
    _draw_footer(
        sheet,
        "Đặt phiếu này ngay trước trang quét lại. "
        "Put this slip directly in front of the replacement page.",
    )
    return np.array(sheet.image, dtype=np.uint8)


def _write_pages_pdf(pages: Iterable[np.ndarray], out: Path, what: str) -> Path:
    """A multi-page A4 PDF of rendered gray pages, each made bitonal at 300 dpi, in order.

    Pages are encoded as they come, so a generator of renders keeps one page in memory at a
    time. The file appears whole or not at all. `what` names the sheets in error messages.
    """
    encoded: list[bytes] = []
    for gray in pages:
        bitonal = Image.fromarray(gray, mode="L").point(lambda v: 255 if v >= 128 else 0)
        buffer = io.BytesIO()
        bitonal.convert("1", dither=Image.Dither.NONE).save(
            buffer, format="PNG", dpi=(_PDF_DPI, _PDF_DPI), optimize=True
        )
        encoded.append(buffer.getvalue())
    a4 = (img2pdf.mm_to_pt(_A4_MM[0]), img2pdf.mm_to_pt(_A4_MM[1]))
    layout = img2pdf.get_layout_fun(pagesize=a4, fit=img2pdf.FitMode.into)
    out = Path(out)
    partial: Path | None = None
    try:
        pdf = img2pdf.convert(encoded, layout_fun=layout)
        out.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(
            dir=out.parent, prefix=f".{out.name}.", suffix=".part", delete=False
        ) as tmp:
            partial = Path(tmp.name)
            tmp.write(pdf)
        partial.replace(out)  # a printer never sees half a file
    except (OSError, ValueError, img2pdf.ImageOpenError) as exc:
        if partial is not None:
            partial.unlink(missing_ok=True)
        raise OutputError(
            _("%(name)s: cannot write the %(what)s: %(exc)s", name=out.name, what=_(what), exc=exc)
        ) from exc
    return out


def write_separator_sheets(labels: Sequence[SeparatorLabel], out: Path) -> Path:
    """A multi-page A4 PDF, one bitonal 300 dpi separator sheet per label, in order."""
    if not labels:
        raise BadArgumentError(_("no folders given: there are no separator sheets to print"))
    pages = (render_separator_sheet(label, dpi=_PDF_DPI) for label in labels)
    return _write_pages_pdf(pages, out, N_("separator sheets"))


def write_rescan_slips(labels: Sequence[RescanLabel], out: Path) -> Path:
    """A multi-page A4 PDF, one bitonal 300 dpi rescan slip per rejected page, in order."""
    if not labels:
        raise BadArgumentError(_("no rejected pages: there are no rescan slips to print"))
    pages = (render_rescan_slip(label, dpi=_PDF_DPI) for label in labels)
    return _write_pages_pdf(pages, out, N_("rescan slips"))


# --- detection -----------------------------------------------------------------------------
#
# Measured on a 2-core machine (A4, 300 dpi, gray, median): a text page costs 9-13 ms (one
# read at 150 dpi plus the band check), a separator sheet 6-7 ms, clean or turned, skewed and
# noisy. The slower passes run only on pages that look like a separator sheet but did not
# decode at once (at most ~45 ms more), so ordinary pages never pay for them.

# The QR code is ~8 cm wide, so at 150 dpi its modules are still >= 4 px while the whole page
# is only 1240x1754 pixels; the 0.5 mm Code 128 bars are 3 px.
_WORK_DPI = 150.0
_RETRY_DPI = 300.0
_BAND_DPI = 40.0

_FORMATS = zxingcpp.BarcodeFormats(
    [
        # Model 2 only: the QRCode family would also look for Micro and rMQR codes, slower
        # and with false finds on noisy pages.
        zxingcpp.BarcodeFormat.QRCodeModel2,
        zxingcpp.BarcodeFormat.DataMatrix,
        zxingcpp.BarcodeFormat.Code128,
    ]
)


def _scaled(gray: np.ndarray, dpi: float, target_dpi: float) -> np.ndarray:
    """Downscale to about target_dpi (never up), fast: halvings, then one linear step.

    OpenCV's area resampling is a fraction of a millisecond for an exact halving but 10-20 ms
    for an odd ratio such as 200 -> 150 dpi on a whole page, which would triple the cost of
    looking at a page.
    """
    out = gray
    while dpi / 2 >= 0.9 * target_dpi and min(out.shape[:2]) >= 2:  # a tiny image stays 1 px
        out = cv2.resize(out, None, fx=0.5, fy=0.5, interpolation=cv2.INTER_AREA)
        dpi /= 2
    rest = dpi / target_dpi
    if rest > 1.15:
        height, width = out.shape
        size = (max(1, round(width / rest)), max(1, round(height / rest)))
        out = cv2.resize(out, size, interpolation=cv2.INTER_LINEAR)
    return out


def _read(
    gray: np.ndarray, *, local: bool, downscale: bool = False, rotate: bool = True
) -> list[zxingcpp.Barcode]:
    """Every code zxing finds, including located codes that failed to decode (valid False).

    `local` picks zxing's local-average binarizer (handles shadows, slower to converge on
    noise) over the global histogram one (fast, best on a clean black-on-white sheet).
    """
    binarizer = zxingcpp.Binarizer.LocalAverage if local else zxingcpp.Binarizer.GlobalHistogram
    return zxingcpp.read_barcodes(
        np.ascontiguousarray(gray),
        formats=_FORMATS,
        try_rotate=rotate,  # sideways sheets: the pipeline looks before fixing orientation
        try_downscale=downscale,
        try_invert=False,
        binarizer=binarizer,
        return_errors=True,
    )


def _little_ink(small: np.ndarray) -> bool:
    """Whether the page is nearly bare paper, as a label sheet is (a sample of its pixels)."""
    sample = small[::4, ::4]
    if not sample.size:
        return True
    dark = sample < min(128, int(sample.mean()) - 40)
    return float(dark.mean()) <= 2 * LABEL_MAX_INK


def _symbology(barcode: zxingcpp.Barcode) -> str:
    name = barcode.format.name
    return "QRCode" if name.startswith("QRCode") else name


def _codes(barcodes: list[zxingcpp.Barcode]) -> list[tuple[str, str]]:
    return [(_symbology(b), b.text) for b in barcodes if b.valid and b.text]


def _has_sheet_band(small: np.ndarray, dpi: float) -> bool:
    """Whether the page shows a solid dark bar the size of the sheet's header band (any angle).

    A cheap test (a few ms) that says "this is probably a separator sheet" so that the slower
    passes run only on such pages, never on ordinary text pages.
    """
    tiny = _scaled(small, dpi, _BAND_DPI)
    px_per_mm = dpi * tiny.shape[1] / small.shape[1] / 25.4
    # Divide by the paper level around each point (a max filter wider than the band erases
    # the band and the text) so that a shadow over part of the sheet does not hide the band.
    size = 2 * round(_BAND_MM[1] * 0.75 * px_per_mm) + 1
    paper = cv2.blur(cv2.dilate(tiny, np.ones((size, size), np.uint8)), (size, size))
    flat = cv2.divide(tiny, np.maximum(paper, 1), scale=255)
    _, mask = cv2.threshold(flat, 0, 255, cv2.THRESH_BINARY_INV | cv2.THRESH_OTSU)
    _, labels, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    expected = _BAND_MM[0] * _BAND_MM[1] * px_per_mm**2
    areas = stats[:, cv2.CC_STAT_AREA]
    for index in np.nonzero((areas >= 0.5 * expected) & (areas <= 1.3 * expected))[0][:8]:
        if index == 0:  # the background
            continue
        x, y, w, h, area = (int(v) for v in stats[index])
        ys, xs = np.nonzero(labels[y : y + h, x : x + w] == index)
        (_, _), (side_a, side_b), _ = cv2.minAreaRect(np.column_stack((xs, ys)).astype(np.float32))
        long_mm, short_mm = max(side_a, side_b) / px_per_mm, min(side_a, side_b) / px_per_mm
        fill = area / max(1.0, side_a * side_b)
        if 0.8 * _BAND_MM[0] <= long_mm <= 1.15 * _BAND_MM[0] and (
            0.6 * _BAND_MM[1] <= short_mm <= 1.5 * _BAND_MM[1] and fill >= 0.65
        ):
            return True
    return False


def _passes(gray: np.ndarray, dpi: float, *, thorough: bool) -> Iterator[list[zxingcpp.Barcode]]:
    """The reads of one page, cheapest first; later ones only when there is reason to.

    1. ~150 dpi, global-histogram binarizer, as the page lies: finds the sheet on almost
       every scan. QR and Data Matrix codes read at any angle, Code 128 bars upright or upside
       down. Trying the quarter turns too costs 7 ms more on every page, so:
    2. the same with the quarter turns, when the page shows the sheet's header band or holds
       next to no ink (a label sheet fed sideways);
    3. ~150 dpi, local-average binarizer (shadows, low contrast), quarter turns too: when a
       code was located but not decoded, or the page shows the sheet's header band.
    4. Up to 300 dpi with zxing's own downscaling too (thin Code 128 bars, a damaged QR code):
       only when the page shows the sheet's header band.
    `thorough` runs them all.
    """
    small = _scaled(gray, dpi, _WORK_DPI)
    small_dpi = dpi * small.shape[1] / gray.shape[1]
    first = _read(small, local=False, rotate=False)
    yield first
    band = thorough or _has_sheet_band(small, small_dpi)
    if band or _little_ink(small):
        yield _read(small, local=False)
    if band or any(not b.valid for b in first):
        yield _read(small, local=True)
    if band and small is not gray:
        yield _read(_scaled(gray, dpi, _RETRY_DPI), local=True, downscale=True)


def read_codes(image: np.ndarray, dpi: float) -> list[tuple[str, str]]:
    """Every QR, Data Matrix and Code 128 code readable on a page: (symbology, text) pairs.

    Thorough (every pass, up to 300 dpi), so tens of milliseconds or more: not for every page;
    `find_separator` is. Each distinct code is listed once, in the order found.
    """
    if dpi <= 0:
        raise BadArgumentError(_("the page resolution must be positive, not %(dpi)s", dpi=dpi))
    codes: list[tuple[str, str]] = []
    for barcodes in _passes(to_gray(image), dpi, thorough=True):
        codes += [code for code in _codes(barcodes) if code not in codes]
    return codes


def _separator_in(barcodes: list[zxingcpp.Barcode]) -> Separator | None:
    for symbology, text in _codes(barcodes):
        if text.startswith(RESCAN_PREFIX):
            page_id = _page_id_from(text)
            if page_id is not None:
                return Separator(
                    folder_id="", payload=text, symbology=symbology, kind="rescan", page_id=page_id
                )
            continue
        try:
            folder_id = _folder_id_from(text, symbology)
        except UnicodeDecodeError:  # a Code 128 with a broken percent escape: not ours
            continue
        if folder_id is not None:
            return Separator(folder_id=folder_id, payload=text, symbology=symbology)
    return None


@dataclass(frozen=True)
class FolderLabel:
    """Another system's folder label: a code carrying nothing but an id, on a nearly blank page."""

    payload: str  # NFC, trimmed: compared with the manifest's folder ids
    symbology: str
    ink_outside: float  # share of dark pixels on the page outside the code


# A label sheet may print the id in words under the code; a page of text is 5-15 % ink.
LABEL_MAX_INK = 0.02


def read_page_codes(image: np.ndarray, dpi: float) -> tuple[Separator | None, FolderLabel | None]:
    """One decode of the page for both questions: a station separator or slip, or else a
    folder label from another system (decided against the manifest later, by the room)."""
    if dpi <= 0:
        raise BadArgumentError(_("the page resolution must be positive, not %(dpi)s", dpi=dpi))
    gray = to_gray(image)
    label = None
    for barcodes in _passes(gray, dpi, thorough=False):
        separator = _separator_in(barcodes)
        if separator is not None:
            return separator, None
        label = label or _label_in(barcodes, _scaled(gray, dpi, _WORK_DPI))
    return None, label


def _label_in(barcodes: list[zxingcpp.Barcode], small: np.ndarray) -> FolderLabel | None:
    """A code that is not ours on a page with next to no other ink."""
    for barcode in barcodes:
        text = unicodedata.normalize("NFC", (barcode.text or "").strip())
        if not barcode.valid or not text or text.startswith((PAYLOAD_PREFIX, RESCAN_PREFIX)):
            continue
        if len(text) > 64 or "\n" in text:
            continue  # a URL, a vCard, a paragraph: not an id
        position = barcode.position
        xs = [
            position.top_left.x,
            position.top_right.x,
            position.bottom_left.x,
            position.bottom_right.x,
        ]
        ys = [
            position.top_left.y,
            position.top_right.y,
            position.bottom_left.y,
            position.bottom_right.y,
        ]
        margin = max(max(xs) - min(xs), max(ys) - min(ys)) // 5 + 4
        dark = small < min(128, int(small.mean()) - 40)
        h, w = dark.shape
        dark[
            max(0, min(ys) - margin) : min(h, max(ys) + margin),
            max(0, min(xs) - margin) : min(w, max(xs) + margin),
        ] = False
        border = max(4, min(h, w) // 40)  # scanner edges are not content
        inner = dark[border:-border, border:-border]
        ink = float(inner.mean()) if inner.size else 1.0
        if ink <= LABEL_MAX_INK:
            return FolderLabel(text, _symbology(barcode), round(ink, 4))
    return None


def find_separator(image: np.ndarray, dpi: float) -> Separator | None:
    """The separator sheet or rescan slip on this page, or None when it is an ordinary page.

    Cheap enough for every page (about 10 ms for a 300 dpi A4 text page): the page is read at
    ~150 dpi in any orientation; slower passes run only when the page looks like a separator
    sheet or slip that did not decode at once. Only codes carrying `PAYLOAD_PREFIX` or
    `RESCAN_PREFIX` and a well-formed id count (``kind`` tells which); the first one found is
    returned.
    """
    if dpi <= 0:
        raise BadArgumentError(_("the page resolution must be positive, not %(dpi)s", dpi=dpi))
    for barcodes in _passes(to_gray(image), dpi, thorough=False):
        separator = _separator_in(barcodes)
        if separator is not None:
            return separator
    return None
