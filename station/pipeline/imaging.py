"""Pure image functions: decode, orientation, skew, borders, exposure, quality, encoding.

No database, no settings: numpy arrays (HxW gray or HxWx3 RGB, uint8) in, arrays and
small measurement records out. OpenCV does the pixel work.
"""

from __future__ import annotations

import io
import math
import os
import struct
import warnings
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import tifffile
from PIL import Image, ImageFile, ImageOps, UnidentifiedImageError

from station.errors import EmptyFileError, PageError, UnreadableImageError, UnsupportedFormatError
from station.i18n import N_, _
from station.profiles import ImageSettings


@dataclass(frozen=True)
class LoadedImage:
    pixels: np.ndarray  # HxW gray (bilevel scans become 0/255 gray) or HxWx3 RGB
    dpi: float
    dpi_recorded: bool  # False when the file had no resolution and assumed_dpi was used
    color_mode: str  # "bw", "gray" or "color"
    frame_count: int  # frames in the file (multi-page TIFF)


@dataclass(frozen=True)
class OrientationEstimate:
    rotation: int  # 0, 90, 180 or 270: degrees clockwise that make the page upright
    confidence: float  # 0 (no idea) to 1 (certain)


@dataclass(frozen=True)
class SkewEstimate:
    angle: float | None  # degrees, counter-clockwise positive; None when no text lines found
    confidence: float


@dataclass(frozen=True)
class Exposure:
    paper_level: int  # typical gray level of the paper, 0-255
    ink_level: int  # typical gray level of the darkest marks, 0-255


@dataclass(frozen=True)
class Quality:
    sharpness: float  # 0 (unreadably blurred) to 1 (sharp)
    blank_probability: float  # 0 (clearly has content) to 1 (clearly blank)


_LINES_DPI = 100.0


def share_cores(workers: int) -> None:
    """A worker process is one of `workers` on this machine: OpenCV gets its share of the
    cores, so its threads do not contend with the other workers (and with Tesseract) for the
    same ones; one worker on two cores still uses both in its image stages."""
    cv2.setNumThreads(max(1, (os.cpu_count() or 1) // max(1, workers)))


# --- decoding ------------------------------------------------------------------------------

# Pillow would otherwise pad a truncated image with gray and carry on; a master that does
# not decode completely must fail by name instead.
ImageFile.LOAD_TRUNCATED_IMAGES = False

_DECODABLE_FORMATS = frozenset(
    {"TIFF", "PNG", "JPEG", "MPO", "BMP", "GIF", "WEBP", "JPEG2000", "PPM"}
)
_MIN_DPI, _MAX_DPI = 50.0, 4800.0
_RESCAN = N_("rescan or copy it again")


def _describe_content(path: Path, head: bytes) -> tuple[str, bool]:
    """A guess at what a file that is not an image really is, for the error message, in the
    reader's language; and whether that is a known kind of file."""
    signatures = (
        (b"%PDF", N_("a PDF document")),
        (b"PK\x03\x04", N_("a ZIP archive (perhaps an Office document)")),
        (b"\xd0\xcf\x11\xe0", N_("an old Microsoft Office document")),
        (b"<?xml", N_("an XML file")),
        (b"<!DOCTYPE html", N_("an HTML page")),
        (b"<html", N_("an HTML page")),
        (b"%!PS", N_("a PostScript file")),
        (b"\x1f\x8b", N_("a gzip archive")),
        (b"Rar!", N_("a RAR archive")),
        (b"7z\xbc\xaf", N_("a 7-Zip archive")),
        (b"GIF8", N_("a GIF image")),
        (b"RIFF", N_("a RIFF (WebP/AVI/WAV) file")),
    )
    for magic, what in signatures:
        if head.lstrip()[: len(magic)].lower() == magic.lower():
            return _(what), True
    if head and all(32 <= b < 127 or b in (9, 10, 13) for b in head[:512] if b < 128):
        try:
            head[:512].decode("utf-8")
            return _("a text file"), True
        except UnicodeDecodeError:
            pass
    shown = head[:8].hex(" ")
    suffix = path.suffix.lower() or _("no extension")
    return (
        _(
            "not a known image format (extension %(suffix)s, first bytes %(shown)s)",
            suffix=suffix,
            shown=shown,
        ),
        False,
    )


def _image_signature(head: bytes) -> str | None:
    """The image format a file's first bytes announce, if any."""
    for magic, kind in (
        (b"II*\x00", "TIFF"),
        (b"MM\x00*", "TIFF"),
        (b"\x89PNG", "PNG"),
        (b"\xff\xd8\xff", "JPEG"),
        (b"BM", "BMP"),
    ):
        if head.startswith(magic):
            return kind
    return None


def _open(path: Path, source_name: str) -> Image.Image:
    """Open without decoding, turning every failure into a sentence about the file."""
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise UnreadableImageError(
            _(
                "%(source_name)s: the file cannot be read (%(strerror)s)",
                source_name=source_name,
                strerror=exc.strerror,
            )
        ) from exc
    if size == 0:
        raise EmptyFileError(
            _(
                "%(source_name)s: the file is empty (0 bytes); %(rescan)s",
                source_name=source_name,
                rescan=_(_RESCAN),
            )
        )
    try:
        image = Image.open(path)
    except UnidentifiedImageError as exc:
        with path.open("rb") as handle:
            head = handle.read(1024)
        kind = _image_signature(head)
        if kind is not None:
            raise UnreadableImageError(
                _(
                    "%(source_name)s: the file starts like a %(kind)s image but its "
                    "structure is "
                    "cut short or damaged, so it cannot be decoded; %(rescan)s",
                    source_name=source_name,
                    kind=kind,
                    rescan=_(_RESCAN),
                )
            ) from exc
        what, known = _describe_content(path, head)
        raise UnsupportedFormatError(
            _(
                "%(source_name)s: not an image station can read: the file is %(what)s",
                source_name=source_name,
                what=what,
            )
            if known
            else _(
                "%(source_name)s: the file is %(what)s; scan to TIFF, PNG or JPEG",
                source_name=source_name,
                what=what,
            )
        ) from exc
    except Image.DecompressionBombError as exc:
        raise UnreadableImageError(
            _(
                "%(source_name)s: the image is implausibly large (%(exc)s); %(rescan)s",
                source_name=source_name,
                exc=exc,
                rescan=_(_RESCAN),
            )
        ) from exc
    except (OSError, SyntaxError, ValueError, TypeError, KeyError) as exc:  # damaged TIFF tags
        raise UnreadableImageError(
            _(
                "%(source_name)s: the image header is damaged (%(exc)s); %(rescan)s",
                source_name=source_name,
                exc=exc,
                rescan=_(_RESCAN),
            )
        ) from exc
    if image.format not in _DECODABLE_FORMATS:
        fmt = image.format
        image.close()
        raise UnsupportedFormatError(
            _(
                "%(source_name)s: %(fmt)s files are not supported; scan to TIFF, PNG or JPEG",
                source_name=source_name,
                fmt=fmt,
            )
        )
    return image


def frame_count(path: Path) -> int:
    """Pages in a (multi-page TIFF) file; 1 for single-image formats."""
    with _open(path, path.name) as image:
        try:
            return int(getattr(image, "n_frames", 1))
        except (OSError, SyntaxError, ValueError, EOFError, TypeError, KeyError) as exc:
            raise UnreadableImageError(
                _(
                    "%(name)s: the list of pages in the file is damaged (%(exc)s); %(rescan)s",
                    name=path.name,
                    exc=exc,
                    rescan=_(_RESCAN),
                )
            ) from exc


def _check_complete_file(path: Path, fmt: str | None, source_name: str) -> None:
    """Catch truncation that decoders forgive: a JPEG without its end marker, a PNG without IEND."""
    with path.open("rb") as handle:
        handle.seek(0, os.SEEK_END)
        size = handle.tell()
        handle.seek(max(0, size - 4096))
        tail = handle.read().rstrip(b"\x00")
    if fmt in ("JPEG", "MPO") and not tail.endswith(b"\xff\xd9"):
        raise UnreadableImageError(
            _(
                "%(source_name)s: the image is truncated (the JPEG data has no end marker, so "
                "the bottom of the page is missing); %(rescan)s",
                source_name=source_name,
                rescan=_(_RESCAN),
            )
        )
    if fmt == "PNG" and not tail.endswith(b"IEND\xaeB`\x82"):
        raise UnreadableImageError(
            _(
                "%(source_name)s: the image is truncated (the PNG file ends before its last "
                "chunk); %(rescan)s",
                source_name=source_name,
                rescan=_(_RESCAN),
            )
        )


def _file_dpi(image: Image.Image) -> float | None:
    """The resolution recorded in the file, or None when absent or nonsense."""
    value: Any = image.info.get("dpi")
    if value is None and "jfif_density" in image.info and image.info.get("jfif_unit") in (1, 2):
        density = image.info["jfif_density"]
        value = density if image.info["jfif_unit"] == 1 else tuple(d * 2.54 for d in density)
    if value is None:
        return None
    try:
        dpi = float(value[0]) if isinstance(value, tuple | list) else float(value)
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    if not math.isfinite(dpi) or not _MIN_DPI <= dpi <= _MAX_DPI:
        return None
    nearest = round(dpi)
    # pHYs stores pixels per metre: 300 dpi comes back as 299.9994.
    return float(nearest) if abs(dpi - nearest) <= 0.002 * dpi else round(dpi, 2)


def _deflate_tiff_pixels(path: Path, image: Image.Image, page_index: int) -> np.ndarray | None:
    """A Deflate TIFF page decoded by libdeflate (tifffile and imagecodecs): twice as fast as
    Pillow's zlib (15.6 against 33 ms an A4 page at 300 dpi over 44 mixed scans, the same
    pixels). None unless it is a plain 8-bit gray or RGB page of a sane size, or when
    anything about it fails: then Pillow decodes it, and names any damage."""
    if (
        image.format != "TIFF"
        or image.info.get("compression") != "tiff_adobe_deflate"
        or image.mode not in ("L", "RGB")
        or image.width * image.height > (Image.MAX_IMAGE_PIXELS or 0)
    ):
        return None
    try:
        with tifffile.TiffFile(path) as tiff:
            page = tiff.pages[page_index]
            if (
                not isinstance(page, tifffile.TiffPage)
                or page.bitspersample != 8
                or page.photometric
                not in (tifffile.PHOTOMETRIC.MINISBLACK, tifffile.PHOTOMETRIC.RGB)
                or page.planarconfig != tifffile.PLANARCONFIG.CONTIG
                or page.fillorder != tifffile.FILLORDER.MSB2LSB
            ):
                return None
            pixels = page.asarray()
    except Exception:  # any trouble at all: Pillow decodes it, and names the damage
        return None
    expected = (image.height, image.width, *((3,) if image.mode == "RGB" else ()))
    if pixels.dtype != np.uint8 or pixels.shape != expected:
        return None
    return np.asarray(pixels)


def _classified(pixels: np.ndarray) -> tuple[np.ndarray, str]:
    """Uint8 gray or RGB pixels as `_to_array` leaves them, and the page's colour mode."""
    if pixels.ndim == 2:
        return pixels, "bw" if _is_bilevel(pixels) else "gray"
    if _is_practically_gray(pixels):
        gray = cv2.cvtColor(pixels, cv2.COLOR_RGB2GRAY)
        return gray, "bw" if _is_bilevel(gray) else "gray"
    return pixels, "color"


def _to_array(image: Image.Image) -> tuple[np.ndarray, str]:
    """Pixels as uint8 gray or RGB, and the page's colour mode."""
    mode = image.mode
    if mode == "1":
        return np.asarray(image.convert("L")), "bw"
    if mode in ("I;16", "I;16B", "I;16L", "I;16N", "I"):
        wide = np.asarray(image).astype(np.uint32)
        peak = int(wide.max()) if wide.size else 0
        shift = 8 if peak > 255 else 0
        return (wide >> shift).clip(0, 255).astype(np.uint8), "gray"
    if mode == "F":
        return np.asarray(image).clip(0, 255).astype(np.uint8), "gray"
    if mode == "P":
        palette = image.palette
        has_alpha = "transparency" in image.info or (palette is not None and palette.mode == "RGBA")
        image = image.convert("RGBA" if has_alpha else "RGB")
        mode = image.mode
    if mode in ("RGBA", "LA", "PA", "La", "RGBa"):
        rgba = image.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        image = Image.alpha_composite(background, rgba).convert("RGB")
        mode = "RGB"
    if mode not in ("L", "RGB"):
        image = image.convert("RGB")  # CMYK, YCbCr, LAB, HSV
    return _classified(np.asarray(image))


def _is_bilevel(gray: np.ndarray) -> bool:
    """Only black and white in every third pixel of every third row.

    A gray page shows a middle gray in a much sparser sample already, which settles it
    without the full sample's histogram (0.2 ms against 2.7 ms).
    """
    for step in (24, 3):
        sample = gray[::step, ::step]
        if sample.size and cv2.countNonZero(cv2.inRange(sample, 1, 254)):
            return False
    return True


def _is_practically_gray(rgb: np.ndarray) -> bool:
    """Scanners often save gray paper as RGB; equal channels carry no colour.

    A small patch of strong colour keeps the page in colour even when the rest is gray: a
    red secrecy stamp is a few thousandths of the page, and dropping it would hide the one
    mark that decides who may see the page.
    """
    sample = rgb[::4, ::4].astype(np.int16)
    spread = np.abs(sample[..., 0] - sample[..., 1]) + np.abs(sample[..., 1] - sample[..., 2])
    if np.count_nonzero(spread > 80) >= max(40, spread.size // 2000):
        return False
    return bool(np.percentile(spread, 99.5) <= 12)


def load_page_image(
    path: Path, page_index: int, source_name: str, *, assumed_dpi: int
) -> LoadedImage:
    """Decode one frame completely; anything short of a whole image fails by name."""
    image = _open(path, source_name)
    with image:
        fmt = image.format
        try:
            frames = int(getattr(image, "n_frames", 1))
        except (OSError, SyntaxError, ValueError, EOFError, TypeError, KeyError) as exc:
            raise UnreadableImageError(
                _(
                    "%(source_name)s: the list of pages in the file is damaged (%(exc)s); "
                    "%(rescan)s",
                    source_name=source_name,
                    exc=exc,
                    rescan=_(_RESCAN),
                )
            ) from exc
        if not 0 <= page_index < frames:
            raise UnreadableImageError(
                _(
                    "%(source_name)s: page %(value)s was asked for, but the file holds "
                    "%(frames)s page(s)",
                    source_name=source_name,
                    value=page_index + 1,
                    frames=frames,
                )
            )
        try:
            if page_index:
                image.seek(page_index)
            fast = _deflate_tiff_pixels(path, image, page_index)
            if fast is None:
                with warnings.catch_warnings():
                    warnings.simplefilter("error", Image.DecompressionBombWarning)
                    image.load()
            if page_index == 0 and frames == 1:
                _check_complete_file(path, fmt, source_name)
            dpi = _file_dpi(image)
            if fmt in ("JPEG", "MPO"):
                # In place: a JPEG without an orientation tag (most scans) is not copied.
                ImageOps.exif_transpose(image, in_place=True)
            pixels, color_mode = _to_array(image) if fast is None else _classified(fast)
        except PageError:
            raise
        except (Image.DecompressionBombWarning, Image.DecompressionBombError) as exc:
            raise UnreadableImageError(
                _(
                    "%(source_name)s: the image is implausibly large (%(exc)s); %(rescan)s",
                    source_name=source_name,
                    exc=exc,
                    rescan=_(_RESCAN),
                )
            ) from exc
        except (
            OSError,
            SyntaxError,
            ValueError,
            EOFError,
            TypeError,
            KeyError,  # a TIFF tag with an unknown value (compression 2008)
            zlib.error,
            struct.error,
            MemoryError,
            IndexError,
        ) as exc:
            cause = str(exc) or type(exc).__name__
            if "truncated" in cause.lower() or isinstance(exc, EOFError):
                reason = _("the image is truncated (the file ends before the image data does)")
            else:
                reason = _("the image data is corrupt (%(cause)s)", cause=cause)
            raise UnreadableImageError(
                _(
                    "%(source_name)s: %(reason)s; %(rescan)s",
                    source_name=source_name,
                    reason=reason,
                    rescan=_(_RESCAN),
                )
            ) from exc
    if pixels.size == 0:
        raise UnreadableImageError(
            _(
                "%(source_name)s: the image has no pixels; %(rescan)s",
                source_name=source_name,
                rescan=_(_RESCAN),
            )
        )
    pixels = np.ascontiguousarray(pixels)
    return LoadedImage(
        pixels=pixels,
        dpi=dpi if dpi is not None else float(assumed_dpi),
        dpi_recorded=dpi is not None,
        color_mode=color_mode,
        frame_count=frames,
    )


def to_gray(image: np.ndarray) -> np.ndarray:
    if image.ndim == 2:
        return image
    if image.shape[2] == 1:  # one channel kept as a third axis
        return image[:, :, 0]
    return cv2.cvtColor(image, cv2.COLOR_RGB2GRAY)


def components(mask: np.ndarray) -> tuple[int, np.ndarray, np.ndarray]:
    """8-connected components of a mask: count, labels and stats, as
    `cv2.connectedComponentsWithStats` gives them.

    16-bit labels take 40 % of the time of 32-bit ones on a page's ink (2.8 ms against 7 ms
    at 100 dpi) and label the same way; a mask with 65535 components or more (noise) falls
    back to 32 bits.
    """
    try:
        count, labels, stats, _ = cv2.connectedComponentsWithStatsWithAlgorithm(
            mask, 8, cv2.CV_16U, cv2.CCL_DEFAULT
        )
    except cv2.error:
        count, labels, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    return count, labels, stats


# --- text-line geometry: shared by skew and orientation -----------------------------------


def shrink(image: np.ndarray, factor: int) -> np.ndarray:
    """Average `factor` x `factor` blocks: OpenCV's whole-factor area path.

    Measurements need a smaller copy, not an exact size, and the whole-factor path is 4-5x
    faster than an arbitrary scale (2 ms against 8 ms for an A4 page at 300 dpi). Halving
    has a faster path still (0.3 ms for that page), so even factors are taken as halvings
    first: a factor of 4 in 0.4 ms rather than 3.4, 22 in 0.9 rather than 2.3; each halving
    rounds, so a value can differ by one level from a single average. The last rows and
    columns that do not fill a block are dropped.
    """
    if factor <= 1:
        return image
    height, width = image.shape[:2]
    if height < factor or width < factor:
        return image
    image = image[: height - height % factor, : width - width % factor]
    while factor % 2 == 0:
        image = cv2.resize(image, None, fx=0.5, fy=0.5, interpolation=cv2.INTER_AREA)
        factor //= 2
    if factor == 1:
        return image
    if factor <= 5:
        # A running box sum, sampled at block centres: the same averages as the area path,
        # in half the time for these small odd factors (2.3 ms against 4.1 for a third).
        centre = factor // 2
        return np.ascontiguousarray(
            cv2.blur(image, (factor, factor))[centre::factor, centre::factor]
        )
    return cv2.resize(image, None, fx=1 / factor, fy=1 / factor, interpolation=cv2.INTER_AREA)


def halving_factor(image: np.ndarray, long_side: int) -> int:
    """The power of two that brings the long side nearest `long_side`: for measurements that
    want a copy of about that size, since whole halvings are the fastest reduction (an A4
    page at 300 dpi to ~440 px in 0.4 ms, against 2.5 ms for the exact seventh)."""
    ratio = max(image.shape[:2]) / max(1, long_side)
    return 1 if ratio < 1.5 else 2 ** round(math.log2(ratio))


def shrink_to(image: np.ndarray, long_side: int) -> np.ndarray:
    """Exactly `long_side` pixels on the long side (never larger): whole-factor first, then
    a bilinear resize of the already small copy."""
    height, width = image.shape[:2]
    if max(height, width) <= long_side:
        return image
    small = shrink(image, max(height, width) // long_side)
    height, width = small.shape[:2]
    scale = long_side / max(height, width)
    if scale >= 1.0:
        return small
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    # Less than halving is left: bilinear is as good there and a third of area's time.
    return cv2.resize(small, size, interpolation=cv2.INTER_LINEAR)


def _resize_to_dpi(gray: np.ndarray, dpi: float, target_dpi: float) -> tuple[np.ndarray, float]:
    """Area-downscale by a whole factor to about target_dpi (never upscale); returns the image
    and its dpi, which may be up to a fifth below target or well above it."""
    factor = max(1, math.floor(dpi / target_dpi + 0.4)) if dpi > 0 else 1
    if factor == 1:
        return gray, dpi
    return shrink(gray, factor), dpi / factor


def _background(gray: np.ndarray, dpi: float) -> np.ndarray:
    """Local paper level: a max filter wider than strokes and x-heights, on a coarse copy."""
    height, width = gray.shape
    small = shrink(gray, max(1, round(dpi / 30)))
    kernel = cv2.getStructuringElement(cv2.MORPH_RECT, (5, 5))
    paper = cv2.dilate(small, kernel)
    paper = cv2.blur(paper, (5, 5))
    return cv2.resize(paper, (width, height), interpolation=cv2.INTER_LINEAR)


_LEVELS = np.arange(256, dtype=np.float64)


def _limits(margin: np.ndarray | float) -> np.ndarray:
    """For each paper level, the gray a mark must stay below to be ink: level - margin."""
    return np.clip(np.ceil(_LEVELS - margin), 0, 255).astype(np.uint8)


def _below(gray: np.ndarray, paper: np.ndarray, limits: np.ndarray) -> np.ndarray:
    """1 where gray < limits[paper], else 0: a table and a compare, all in 8 bits (a third of
    the time of the same sum in 16-bit numpy)."""
    threshold = cv2.LUT(paper, limits)
    below: np.ndarray = cv2.min(cv2.compare(gray, threshold, cv2.CMP_LT), 1)
    return below


def _ink_mask(gray: np.ndarray, dpi: float, *, darker: float = 0.22) -> np.ndarray:
    """Ink = pixels clearly darker than the local paper, so uneven light and faded paper matter
    less."""
    return _below(gray, _background(gray, dpi), _limits(np.maximum(np.floor(_LEVELS * darker), 18)))


def _text_mask(gray: np.ndarray, dpi: float) -> np.ndarray:
    """Ink that can belong to text: borders, photos, vertical rules and specks removed."""
    mask = _ink_mask(gray, dpi)
    count, labels, stats = components(mask)
    if count <= 1:
        return mask
    height, width = mask.shape
    x, y, w, h, area = (stats[1:, i] for i in range(5))
    max_h = 0.45 * dpi  # taller than a 32 pt capital: a border, a photo, a vertical rule
    touches = (x == 0) | (y == 0) | (x + w == width) | (y + h == height)
    large = (w > dpi * 0.3) | (h > dpi * 0.3)
    keep = (h <= max_h) & (area >= max(2.0, (dpi / 150) ** 2 * 2)) & ~(touches & large)
    keep &= w <= 0.9 * width
    lut = np.zeros(count, dtype=np.uint8)
    lut[1:] = keep
    # np.take of 16-bit labels: a third of the time of lut[labels] (0.8 ms against 2.5 ms).
    text: np.ndarray = np.take(lut, labels.astype(np.intp))
    return text


@dataclass(frozen=True)
class TextLines:
    """Ink points of a page's text, centred, at a known resolution: what both orientation and
    skew are measured from, found once per page (`text_lines`) and turned with the page."""

    xs: np.ndarray
    ys: np.ndarray
    dpi: float
    shape: tuple[int, int]


def _ink_points(mask: np.ndarray, dpi: float, max_points: int = 150_000) -> TextLines:
    found = cv2.findNonZero(mask)  # row-major like np.nonzero, in a third of the time
    if found is None:
        xs = ys = np.zeros(0, dtype=np.int32)
    else:
        points = found.reshape(-1, 2)
        xs, ys = points[:, 0], points[:, 1]
    if len(xs) > max_points:
        step = len(xs) // max_points + 1
        ys, xs = ys[::step], xs[::step]
    height, width = mask.shape
    return TextLines(
        xs.astype(np.float32) - width / 2, ys.astype(np.float32) - height / 2, dpi, (height, width)
    )


def _profile(points: TextLines, angle: float) -> np.ndarray:
    """Ink per row of a page rotated back by angle (counter-clockwise positive)."""
    theta = math.radians(angle)
    projected = points.xs * math.sin(theta) + points.ys * math.cos(theta)
    half = 0.5 * math.hypot(*points.shape) + 2
    return np.bincount((projected + half).astype(np.int32), minlength=int(2 * half) + 1)


def _sharpness(profile: np.ndarray) -> float:
    """Projection-profile criterion: large when rows alternate between ink and paper."""
    values = profile.astype(np.float64)
    return float(np.dot(values, values))


def _search(points: TextLines, angles: np.ndarray) -> np.ndarray:
    return np.array([_sharpness(_profile(points, a)) for a in angles])


def _refine(
    points: TextLines, center: float, half_width: float, step: float
) -> tuple[float, float]:
    """Best angle near center by a fine search and parabolic interpolation."""
    angles = np.arange(center - half_width, center + half_width + step / 2, step)
    scores = _search(points, angles)
    best = int(np.argmax(scores))
    angle = float(angles[best])
    if 0 < best < len(scores) - 1:
        left, mid, right = scores[best - 1 : best + 2]
        denominator = left - 2 * mid + right
        if denominator < 0:
            angle += 0.5 * step * float(left - right) / float(denominator)
    return angle, float(scores[best])


def text_lines(gray: np.ndarray, dpi: float) -> TextLines:
    """The text ink of a ~100 dpi copy, as points.

    100 dpi measures skew as well as 150 did (mean error 0.004° against 0.003° on 24
    generated pages at 150-400 dpi, worst 0.017°) in 60 % of the time.
    """
    small, small_dpi = _resize_to_dpi(gray, dpi, _LINES_DPI)
    return _ink_points(_text_mask(small, small_dpi), small_dpi)


def turn_lines(lines: TextLines, degrees_clockwise: int) -> TextLines:
    """The same points on the page turned by quarter turns (a shift of a pixel aside)."""
    turns = (int(degrees_clockwise) // 90) % 4
    xs, ys, (height, width) = lines.xs, lines.ys, lines.shape
    for _turn in range(turns):  # clockwise: (x, y) -> (-y, x), and the page's sides swap
        xs, ys, height, width = -ys, xs, width, height
    return TextLines(xs, ys, lines.dpi, (height, width))


def estimate_skew(
    gray: np.ndarray, dpi: float, *, max_angle: float, lines: TextLines | None = None
) -> SkewEstimate:
    """Projection profiles of text ink: coarse, then fine, then interpolated."""
    return _skew_from_points(lines if lines is not None else text_lines(gray, dpi), max_angle)


_COARSE_POINTS = 30_000


def _skew_from_points(points: TextLines, max_angle: float) -> SkewEstimate:
    if len(points.xs) < 200:
        return SkewEstimate(angle=None, confidence=0.0)
    coarse_step = 0.5
    limit = max(coarse_step, float(max_angle))
    angles = np.arange(-limit, limit + coarse_step / 2, coarse_step)
    # The half-degree search needs a fifth of the points (the same angle on 94 mixed pages,
    # 7.7 -> 5.0 ms); the fine steps use them all.
    scores = _search(_fewer(points, _COARSE_POINTS), angles)
    best = int(np.argmax(scores))
    baseline = float(np.median(scores))
    contrast = (float(scores[best]) - baseline) / max(baseline, 1.0)
    # The peak lies within a quarter degree of the best half-degree step.
    angle, _ = _refine(points, float(angles[best]), 0.3, 0.1)
    angle, _ = _refine(points, angle, 0.1, 0.025)
    confidence = float(np.clip(contrast / 0.5, 0.0, 1.0))
    if contrast < 0.08:
        return SkewEstimate(angle=None, confidence=confidence)
    return SkewEstimate(angle=float(np.clip(angle, -limit, limit)), confidence=confidence)


def rotate_by(image: np.ndarray, angle_ccw: float) -> np.ndarray:
    """Straighten a page whose text is skewed angle_ccw: turn it clockwise, keeping every corner."""
    height, width = image.shape[:2]
    center = (width / 2, height / 2)
    matrix = cv2.getRotationMatrix2D(center, -angle_ccw, 1.0)
    cos, sin = abs(matrix[0, 0]), abs(matrix[0, 1])
    new_width = math.ceil(height * sin + width * cos - 1e-6)
    new_height = math.ceil(height * cos + width * sin - 1e-6)
    matrix[0, 2] += new_width / 2 - center[0]
    matrix[1, 2] += new_height / 2 - center[1]
    paper = _paper_colour(image)
    # Bilinear: a fifth of bicubic's time (6 ms against 33 ms on a gray A4 page at 300 dpi),
    # and the OCR error rate on the benchmark pages is the same.
    return cv2.warpAffine(
        image,
        matrix,
        (new_width, new_height),
        flags=cv2.INTER_LINEAR,
        borderMode=cv2.BORDER_CONSTANT,
        borderValue=paper,
    )


def _paper_colour(image: np.ndarray) -> tuple[float, ...]:
    sample = image[::8, ::8]
    if sample.ndim == 2:
        return (float(np.percentile(sample, 90)),)
    gray = cv2.cvtColor(np.ascontiguousarray(sample), cv2.COLOR_RGB2GRAY)
    bright = sample[gray >= np.percentile(gray, 90)]
    if not len(bright):
        return (255.0, 255.0, 255.0)
    return tuple(float(v) for v in np.median(bright, axis=0))


def rotate_right_angle(image: np.ndarray, degrees_clockwise: int) -> np.ndarray:
    """Exact quarter turns: no interpolation, so a bilevel page stays bilevel."""
    turns = (int(degrees_clockwise) // 90) % 4
    if int(degrees_clockwise) % 90:
        raise ValueError(f"not a right angle: {degrees_clockwise}")
    if turns == 0:
        return image
    code = (cv2.ROTATE_90_CLOCKWISE, cv2.ROTATE_180, cv2.ROTATE_90_COUNTERCLOCKWISE)[turns - 1]
    return cv2.rotate(image, code)


def _profile_edges(points: TextLines, angle: float) -> float:
    """Sum of squared differences of consecutive rows: sharp for text lines, dull across them."""
    values = _profile(points, angle).astype(np.float64)
    steps = np.diff(values)
    return float(np.dot(steps, steps))


def _edges_near_best(points: TextLines, angles: np.ndarray) -> tuple[float, float]:
    """Best edge criterion and its angle, refined in 0.1° steps (the peak is sharp); the
    half-degree steps over a third of the points."""
    few = _fewer(points, _COARSE_POINTS)
    scores = [_profile_edges(few, a) for a in angles]
    best = float(angles[int(np.argmax(scores))])
    fine = np.arange(best - 0.2, best + 0.21, 0.1)
    fine_scores = [_profile_edges(points, a) for a in fine]
    index = int(np.argmax(fine_scores))
    return fine_scores[index], float(fine[index])


def _fewer(points: TextLines, max_points: int) -> TextLines:
    """Every k-th point: the orientation tests need fewer than the skew search."""
    if len(points.xs) <= max_points:
        return points
    step = len(points.xs) // max_points + 1
    return TextLines(points.xs[::step], points.ys[::step], points.dpi, points.shape)


def _transposed(points: TextLines) -> TextLines:
    return TextLines(points.ys, points.xs, points.dpi, (points.shape[1], points.shape[0]))


def _line_asymmetry(points: TextLines, angle: float) -> tuple[float, int, int]:
    """Ink above versus below each text line's x-height band.

    Returns (ink above / ink below, lines voting upright, lines voting upside down). Latin
    and Vietnamese text carry ascenders, capitals and diacritics above the core and only a
    few descenders below, so an upright page has clearly more ink above.
    """
    profile = _profile(points, angle).astype(np.float64)
    filled = profile[profile > 0]
    if len(filled) < 10:
        return 1.0, 0, 0
    on = profile > 0.08 * np.percentile(filled, 95)
    edges = np.diff(np.concatenate(([0], on.astype(np.int8), [0])))
    starts, ends = np.nonzero(edges == 1)[0], np.nonzero(edges == -1)[0]
    minimum_mass = 0.15 * np.median([profile[s:e].sum() for s, e in zip(starts, ends, strict=True)])
    above_total = below_total = 0.0
    up = down = 0
    for start, end in zip(starts, ends, strict=True):
        line = profile[start:end]
        if end - start < 3 or line.sum() < minimum_mass:
            continue
        core = np.nonzero(line >= 0.45 * line.max())[0]
        above, below = float(line[: core[0]].sum()), float(line[core[-1] + 1 :].sum())
        above_total += above
        below_total += below
        if above > 1.3 * below:
            up += 1
        elif below > 1.3 * above:
            down += 1
    return (above_total + 1.0) / (below_total + 1.0), up, down


def estimate_orientation(
    gray: np.ndarray, dpi: float, lines: TextLines | None = None
) -> OrientationEstimate:
    """Text-line direction from profile sharpness, then up or down from ascender/descender ink.

    Confidence is the weaker of the two decisions, so it is high only when both the line
    direction and the up/down asymmetry are clear and agree across many lines.
    """
    points = _fewer(lines if lines is not None else text_lines(gray, dpi), 60_000)
    if len(points.xs) < 300:
        return OrientationEstimate(rotation=0, confidence=0.0)
    angles = np.arange(-8.0, 8.01, 0.5)
    across = _transposed(points)
    rows, row_angle = _edges_near_best(points, angles)
    columns, column_angle = _edges_near_best(across, angles)
    horizontal = rows >= columns
    ratio = max(rows, 1.0) / max(columns, 1.0)
    if not horizontal:
        ratio = 1.0 / ratio
    # Text lines give ~4-8x sharper row profiles than column profiles; 1.3x is a coin toss.
    axis_confidence = float(np.clip(math.log(ratio / 1.3) / math.log(3.0 / 1.3), 0.0, 1.0))
    lines, best = (points, row_angle) if horizontal else (across, column_angle)
    asymmetry, up, down = _line_asymmetry(lines, best)
    upright = asymmetry >= 1.0
    votes = up + down
    agreement = (up - down) / math.sqrt(votes) if votes else 0.0
    if (agreement > 0) != upright or agreement == 0:
        updown_confidence = 0.0
    else:
        strength = min(1.0, abs(math.log(asymmetry)) / math.log(2.0))
        updown_confidence = strength * min(1.0, abs(agreement) / 3.0)
    rotation = (0 if upright else 180) if horizontal else (90 if upright else 270)
    return OrientationEstimate(
        rotation=rotation, confidence=round(min(axis_confidence, updown_confidence), 3)
    )


def osd_image(gray: np.ndarray, dpi: float) -> tuple[np.ndarray, float]:
    """The page at about 200 dpi for Tesseract OSD, and its dpi: OSD needs no more, and a
    smaller image is read faster."""
    scale = 200.0 / dpi if dpi > 0 else 1.0
    if scale >= 0.95:
        return gray, dpi
    height, width = gray.shape[:2]
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    return cv2.resize(gray, size, interpolation=cv2.INTER_AREA), dpi * size[0] / width


def _estimated_dpi(gray: np.ndarray) -> float:
    """Functions that get no dpi assume a letter/A4-sized page."""
    return float(max(gray.shape[:2])) / 11.5


def _subsample(gray: np.ndarray, target_long_side: int) -> tuple[np.ndarray, int]:
    """Every k-th pixel: unlike averaging, it keeps the true gray of thin ink strokes.

    Copied once into a compact array: OpenCV copies a strided view on every call, and the
    sample goes through three or four (1-1.5 ms a page less).
    """
    step = max(1, round(max(gray.shape[:2]) / target_long_side))
    return np.ascontiguousarray(gray[::step, ::step]), step


def measure_exposure(gray: np.ndarray) -> Exposure:
    """Paper = 90th percentile; ink = 1st percentile of marks clearly darker than local paper."""
    return measure_exposure_within(gray, find_page_box(gray))


def measure_exposure_within(gray: np.ndarray, box: tuple[int, int, int, int] | None) -> Exposure:
    """`measure_exposure` inside a page box already found (scanner borders are not paper)."""
    if box is not None:
        x, y, w, h = box
        gray = gray[y : y + h, x : x + w]
    sample, step = _subsample(gray, 1400)
    paper_level = int(_percentile(sample, 90))
    paper = _background(sample, _estimated_dpi(gray) / step)
    darker = _below(sample, paper, _limits(np.maximum(_LEVELS // 8, 12)))
    marks = sample[darker.view(bool)]
    if marks.size < max(20, 0.0003 * sample.size):
        return Exposure(paper_level=paper_level, ink_level=paper_level)
    return Exposure(paper_level=paper_level, ink_level=int(_percentile(marks, 1)))


def _percentile(values: np.ndarray, q: float) -> float:
    """`np.percentile` (linear) of 8-bit values from their histogram: no sort of a page's
    pixels, a tenth of the time."""
    histogram = cv2.calcHist(
        [np.ascontiguousarray(values).reshape(-1, 1)], [0], None, [256], [0, 256]
    )
    counts = np.cumsum(histogram.ravel().astype(np.int64))
    total = int(counts[-1])
    if total == 0:
        raise ValueError("percentile of no values")
    position = q / 100 * (total - 1)
    below = math.floor(position)
    low = int(np.searchsorted(counts, below, side="right"))
    high = int(np.searchsorted(counts, min(below + 1, total - 1), side="right"))
    return low + (position - below) * (high - low)


def find_page_box(gray: np.ndarray) -> tuple[int, int, int, int] | None:
    """The paper inside dark scanner borders, or None when there are none.

    Borders are dark regions touching an image edge along a good part of it. Each side is
    cut at the depth most of its band reaches, and the box is then widened again to hold
    every mark that is not border, so text is never cropped.
    """
    height, width = gray.shape[:2]
    factor = halving_factor(gray, 700)
    small = shrink(gray, factor)
    scale = 1.0 / factor
    sh, sw = small.shape
    centre = small[sh // 4 : 3 * sh // 4, sw // 4 : 3 * sw // 4]
    paper = _percentile(centre, 90)
    dark = (small < min(paper * 0.55, paper - 40)).astype(np.uint8)
    _, labels, stats = components(dark)
    m = 4  # scanners often leave a thin light strip outside the dark band
    # Whole columns of the stats at once: a dark page has thousands of components.
    x, y, w, h, area = (stats[:, i].astype(np.int64) for i in range(5))
    at_left, at_top, at_right, at_bottom = x <= m, y <= m, x + w >= sw - m, y + h >= sh - m
    tall, wide = h >= 0.2 * sh, w >= 0.2 * sw
    on_side = ((at_left | at_right) & tall) | ((at_top | at_bottom) & wide)
    touches = at_left | at_top | at_right | at_bottom
    border = on_side | (touches & (area >= 0.02 * sh * sw))
    border[0] = False  # the background
    if not border.any():
        return None
    band = np.take(border, labels.astype(np.intp))
    band[:, :m] |= band[:, m : m + 1]
    band[:, -m:] |= band[:, -m - 1 : -m]
    band[:m, :] |= band[m : m + 1, :]
    band[-m:, :] |= band[-m - 1 : -m, :]
    left = _cut_depth(band)
    right = _cut_depth(band[:, ::-1])
    top = _cut_depth(band.T)
    bottom = _cut_depth(band.T[:, ::-1])
    if left + right + top + bottom == 0:
        return None
    x0, y0, x1, y1 = left, top, sw - right, sh - bottom
    # Keep every non-border mark whole (text, stamps, signatures).
    ink = (small < paper - max(25.0, 0.2 * paper)).astype(np.uint8)
    ink[band] = 0
    _, _, stats = components(ink)
    x, y, w, h, area = (stats[1:, i].astype(np.int64) for i in range(5))
    # Not specks, and not dirt in the light strip outside the band.
    kept = (area >= 3) & (x + w > m) & (y + h > m) & (x < sw - m) & (y < sh - m)
    if kept.any():
        x0, y0 = min(x0, int(x[kept].min())), min(y0, int(y[kept].min()))
        x1, y1 = max(x1, int((x + w)[kept].max())), max(y1, int((y + h)[kept].max()))
    if (x1 - x0) * (y1 - y0) < 0.4 * sh * sw:
        return None  # not a page inside a border: leave it alone
    fx0, fy0 = max(0, int(x0 / scale)), max(0, int(y0 / scale))
    fx1, fy1 = min(width, math.ceil(x1 / scale)), min(height, math.ceil(y1 / scale))
    if (fx0, fy0, fx1, fy1) == (0, 0, width, height):
        return None
    return fx0, fy0, fx1 - fx0, fy1 - fy0


def _cut_depth(band: np.ndarray) -> int:
    """How far a border band reaches in from the left edge, in the median row it covers.

    The median, not the maximum: a photo or a wedge running into the band must not pull
    the cut into the page.
    """
    rows = band[:, 0]
    if rows.sum() < 0.2 * len(rows):
        return 0
    # Depth per row: the first non-border column, counted from the edge.
    depth = np.argmin(band[rows], axis=1)
    depth[band[rows].all(axis=1)] = band.shape[1]
    return math.ceil(float(np.percentile(depth, 50))) + 1


def normalize_exposure(image: np.ndarray, *, max_gain: float) -> tuple[np.ndarray, dict[str, Any]]:
    """Flat-field dark or unevenly lit paper to white, then stretch faded ink; gently.

    A clean, evenly lit page is returned unchanged. All channels of a colour page get the
    same per-pixel gain, so colours keep their hue.
    """
    gray = to_gray(image)
    height, width = gray.shape
    small = shrink(gray, halving_factor(gray, 500))
    kernel = cv2.getStructuringElement(cv2.MORPH_RECT, (9, 9))
    background = cv2.morphologyEx(small, cv2.MORPH_CLOSE, kernel)
    background = cv2.GaussianBlur(background, (0, 0), 3)
    low, paper, high = (float(v) for v in np.percentile(background, (5, 50, 95)))
    details: dict[str, Any] = {"background": round(paper), "flat_field": False, "gain": 1.0}
    target = 250.0
    result = image
    flat_gain = 1.0
    if paper < 205 or (high - low) > 0.12 * high:
        floor = target / max_gain
        lifted = np.maximum(background, floor).astype(np.uint8)
        full = cv2.resize(lifted, (width, height), interpolation=cv2.INTER_LINEAR)
        if image.ndim == 3:
            full = cv2.merge([full, full, full])
        # Into the background's own buffer: one fresh page-sized array less to fault in.
        result = cv2.divide(image, full, dst=full, scale=target)
        flat_gain = target / max(paper, floor)
        details.update(
            flat_field=True,
            gain=round(min(flat_gain, max_gain), 2),
            background_range=[round(low), round(high)],
        )
    sample, _ = _subsample(result, 1400)
    sample = to_gray(sample)  # gray is per pixel: sampled first, it is 1/step² of the work
    white = _percentile(sample, 90)
    local = _background(sample, _estimated_dpi(sample))
    marks = sample[_below(sample, local, _limits(max(12.0, white / 8))).view(bool)]
    if marks.size >= max(20, 0.0003 * sample.size) and white > 120:
        ink = _percentile(marks, 1)
        if ink > 90:  # faded: stretch so the ink becomes dark again
            slope_cap = max(1.0, max_gain / max(1.0, flat_gain))
            wanted = (ink - 0.12 * white) / 0.88  # black point putting the ink at ~30
            black = min(wanted, white - 255.0 / slope_cap)
            levels = (np.arange(256, dtype=np.float32) - black) * (255.0 / (white - black))
            lut = np.clip(levels, 0, 255).astype(np.uint8)
            # In place when the pixels are already this function's own (flat-fielded).
            result = cv2.LUT(result, lut, dst=None if result is image else result)
            details.update(
                stretch=[round(black), round(white)],
                ink_before=round(ink),
                gain=round(details["gain"] * 255.0 / (white - black), 2),
            )
    return result, details


def blank_probability(gray: np.ndarray, dpi: float) -> float:
    """How likely the page holds no text: the blank half of `assess_quality`."""
    return _blank_probability(gray, dpi)


def assess_quality(gray: np.ndarray, dpi: float) -> Quality:
    """Sharpness from the width of text edges; blank from the count of glyph-sized marks."""
    return Quality(
        sharpness=_sharpness_score(gray, dpi), blank_probability=_blank_probability(gray, dpi)
    )


def _edge_sigma(gray: np.ndarray, dpi: float) -> float | None:
    """Median blur sigma of text edges, in pixels at 300 dpi.

    For a step edge of height C blurred with a gaussian of sigma s, the steepest gradient
    is C / (s * sqrt(2 pi)); C comes from a local max-min window wider than the blur.
    """
    tiles = _busiest_tiles(gray, dpi, count=10)
    if not tiles:
        return None
    half = max(2, round(7 * dpi / 300))
    window = cv2.getStructuringElement(cv2.MORPH_RECT, (2 * half + 1, 2 * half + 1))
    estimates = []
    for tile in tiles:
        values = tile.astype(np.float32)
        gx = cv2.Sobel(values, cv2.CV_32F, 1, 0, ksize=3) / 8
        gy = cv2.Sobel(values, cv2.CV_32F, 0, 1, ksize=3) / 8
        magnitude = cv2.magnitude(gx, gy)
        contrast = cv2.dilate(tile, window).astype(np.float32) - cv2.erode(tile, window).astype(
            np.float32
        )
        # Edge centres: the steepest point in a 3x3 neighbourhood and close to the steepest
        # in the window (noise inside a stroke is a local peak too, but a weak one).
        peaks = magnitude >= cv2.dilate(magnitude, np.ones((3, 3), np.uint8))
        peaks &= magnitude >= 0.5 * cv2.dilate(magnitude, window)
        strong = peaks & (contrast >= max(40.0, 0.5 * float(np.percentile(contrast, 99))))
        strong &= magnitude > 1.0
        if strong.sum() < 20:
            continue
        estimates.append(contrast[strong] / (magnitude[strong] * math.sqrt(2 * math.pi)))
    if not estimates:
        return None
    sigma_native = float(np.median(np.concatenate(estimates)))
    floor = 0.78  # what a perfectly sharp, pixel-aligned edge measures
    sigma_native = math.sqrt(max(sigma_native**2 - floor**2, 0.0))
    return sigma_native * 300.0 / dpi


def _busiest_tiles(gray: np.ndarray, dpi: float, *, count: int) -> list[np.ndarray]:
    """The tiles with most ink contrast, to measure sharpness where the text is."""
    size = max(64, round(0.6 * dpi / 8) * 8)  # whole blocks of 8: the fast area path
    height, width = gray.shape
    if height < size or width < size:
        return [gray] if gray.size else []
    rows, cols = height // size, width // size
    coarse = shrink(gray[: rows * size, : cols * size], size // 8).astype(np.float32)
    blocks = coarse.reshape(rows, 8, cols, 8)
    spread = blocks.std(axis=(1, 3))
    order = np.argsort(spread.ravel())[::-1][:count]
    return [
        gray[(i // cols) * size : (i // cols + 1) * size, (i % cols) * size : (i % cols + 1) * size]
        for i in order
        if spread.ravel()[i] > 3.0
    ]


def _sharpness_score(gray: np.ndarray, dpi: float) -> float:
    sigma = _edge_sigma(gray, dpi)
    if sigma is None:
        return 1.0  # nothing to measure (blank page): not a blur problem
    # Calibrated on rendered pages: a true sigma of 1.2 px measures ~1.1 (score ~0.93), of
    # 2 px ~1.7 (0.65), of 3 px ~2.4 (0.16); the blurred flag is at 0.35.
    return round(1.0 / (1.0 + math.exp((sigma - 1.9) / 0.3)), 3)


_BLANK_DPI = 100.0  # as good a split as 150 dpi on the generated pages, 2x faster


def _blank_probability(gray: np.ndarray, dpi: float) -> float:
    """Glyph-sized marks clearly darker than the paper; faint show-through and specks do not
    count."""
    sample, step = _subsample(gray, round(max(gray.shape) * min(1.0, _BLANK_DPI / dpi)))
    sample_dpi = dpi / step
    ink = _below(sample, _background(sample, sample_dpi), _limits(np.maximum(_LEVELS // 4, 20)))
    if sample_dpi >= 120:
        ink = cv2.morphologyEx(ink, cv2.MORPH_OPEN, np.ones((2, 2), np.uint8))
    count, _, stats = components(ink)
    if count <= 1:
        return 0.98
    height, width = ink.shape
    x, y, w, h, area = (stats[1:, i] for i in range(5))
    unit = sample_dpi / 150
    inside = (x > 0) & (y > 0) & (x + w < width) & (y + h < height)
    glyphs = inside & (area >= 6 * unit * unit) & (h >= 4 * unit) & (h <= 0.6 * sample_dpi)
    big = inside & (h > 0.6 * sample_dpi)
    marks = int(glyphs.sum()) + 10 * int(big.sum())
    return round(1.0 / (1.0 + math.exp(min(50.0, (marks - 6) / 1.3))), 3)


def perceptual_hash(gray: np.ndarray) -> str:
    """A 256-bit DCT hash (pHash) of the page, as hex.

    A sheet fed twice or rescanned differs from its twin by noise and a little shift, which
    moves few bits; a different page of the same layout moves many more. 16x16 low
    frequencies of a 64x64 copy, rather than pHash's usual 8x8 of 32x32, because text pages
    are alike at the coarsest scale.
    """
    reduced = shrink(gray, halving_factor(gray, 512))
    small = cv2.resize(reduced, (64, 64), interpolation=cv2.INTER_AREA).astype(np.float32)
    low = cv2.dct(small)[:16, :16].flatten()
    bits = low > np.median(low[1:])
    return np.packbits(bits).tobytes().hex()


def hash_distance(first: str, second: str) -> int:
    """Differing bits between two perceptual hashes."""
    return (int(first, 16) ^ int(second, 16)).bit_count()


def prepare_for_ocr(gray: np.ndarray, dpi: float, *, ocr_dpi: int) -> tuple[np.ndarray, float]:
    """The bilevel image Tesseract reads, resampled to about `ocr_dpi`.

    Measured with bench-style pages (scripts/make_samples.py, CER against the truth):
    at 250 dpi Tesseract is 10% faster than at 300 and at least as accurate, also on
    8 pt text; at 200 dpi small print starts to suffer (CER 0.008 against 0.0034).
    Binarising here, after exposure correction, is faster and more accurate than
    letting Tesseract threshold the gray page itself.
    """
    image = gray
    effective_dpi = dpi
    scale = ocr_dpi / dpi if dpi > 0 else 1.0
    if abs(scale - 1.0) > 0.04:
        height, width = gray.shape[:2]
        size = (max(1, round(width * scale)), max(1, round(height * scale)))
        interpolation = cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC
        image = cv2.resize(gray, size, interpolation=interpolation)
        effective_dpi = dpi * size[0] / width
    _, bilevel = cv2.threshold(image, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    return bilevel, effective_dpi


def write_pnm(image: np.ndarray, path: Path) -> None:
    """Uncompressed, so handing a page to Tesseract costs no encoding time."""
    pixels = image if image.ndim == 2 else cv2.cvtColor(image, cv2.COLOR_RGB2BGR)
    if not cv2.imwrite(str(path), pixels):
        raise OSError(f"cannot write {path}")


def save_page_image(image: np.ndarray, dpi: float, settings: ImageSettings, stem: Path) -> Path:
    """Encode the cleaned page as the profile asks; this file is embedded in the PDF as is."""
    if settings.color == "bw" or settings.compression == "ccitt-g4":
        gray = to_gray(image)
        _, bilevel = cv2.threshold(gray, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
        path = stem.with_suffix(".tif")
        height, width = bilevel.shape
        Image.fromarray(bilevel).convert("1").save(
            path,
            compression="group4",
            dpi=(round(dpi), round(dpi)),
            strip_size=(width + 7) // 8 * height,  # one strip: img2pdf embeds it as is
        )
        return path
    pixels = to_gray(image) if settings.color == "gray" else image
    if pixels.ndim == 2 and image.ndim == 3 and settings.color == "color":
        pixels = image
    if settings.compression == "jpeg":
        path = stem.with_suffix(".jpg")
        Image.fromarray(pixels).save(
            path, quality=settings.jpeg_quality, dpi=(round(dpi), round(dpi)), optimize=False
        )
        return path
    path = stem.with_suffix(".png")
    Image.fromarray(pixels).save(path, dpi=(round(dpi), round(dpi)), compress_level=3)
    return path


def save_downscaled(image: np.ndarray, long_side: int, path: Path) -> tuple[Path, np.ndarray]:
    """Web preview or thumbnail for the QA app (JPEG); the pixels are returned so that a
    smaller size can be made from them rather than from the full page again."""
    small = shrink_to(image, long_side)
    Image.fromarray(small).save(path, quality=82)
    return path, small


def web_image(path: Path, *, page_index: int = 0, turn: int = 0, long_side: int = 0) -> bytes:
    """A page image as JPEG for the review app: turned clockwise by `turn`, at most
    `long_side` pixels (0: as is). Masters are TIFF, which browsers do not show."""
    transposes = {
        90: Image.Transpose.ROTATE_270,
        180: Image.Transpose.ROTATE_180,
        270: Image.Transpose.ROTATE_90,
    }
    with Image.open(path) as image:
        image.seek(page_index)
        picture = image.convert("L" if image.mode in ("1", "L", "I;16", "I") else "RGB")
    if long_side and max(picture.size) > long_side:
        picture.thumbnail((long_side, long_side), Image.Resampling.LANCZOS)
    if turn % 360:
        picture = picture.transpose(transposes[turn % 360])
    buffer = io.BytesIO()
    picture.save(buffer, format="JPEG", quality=85)
    return buffer.getvalue()
