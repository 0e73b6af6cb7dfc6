"""Pure image functions: decode, orientation, skew, borders, exposure, quality, encoding.

No database, no settings: numpy arrays (HxW gray or HxWx3 RGB, uint8) in, arrays and
small measurement records out. OpenCV does the pixel work.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

import cv2
from PIL import Image

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


def frame_count(path: Path) -> int:
    raise NotImplementedError


def load_page_image(path: Path, page_index: int, source_name: str, *, assumed_dpi: int) -> LoadedImage:
    raise NotImplementedError


def to_gray(image: np.ndarray) -> np.ndarray:
    if image.ndim == 2:
        return image
    return cv2.cvtColor(image, cv2.COLOR_RGB2GRAY)


def estimate_orientation(gray: np.ndarray, dpi: float) -> OrientationEstimate:
    raise NotImplementedError


def write_osd_image(gray: np.ndarray, dpi: float, path: Path) -> None:
    raise NotImplementedError


def rotate_right_angle(image: np.ndarray, degrees_clockwise: int) -> np.ndarray:
    raise NotImplementedError


def estimate_skew(gray: np.ndarray, dpi: float, *, max_angle: float) -> SkewEstimate:
    raise NotImplementedError


def rotate_by(image: np.ndarray, angle_ccw: float) -> np.ndarray:
    raise NotImplementedError


def measure_exposure(gray: np.ndarray) -> Exposure:
    raise NotImplementedError


def find_page_box(gray: np.ndarray) -> tuple[int, int, int, int] | None:
    raise NotImplementedError


def normalize_exposure(image: np.ndarray, *, max_gain: float) -> tuple[np.ndarray, dict[str, Any]]:
    raise NotImplementedError


def assess_quality(gray: np.ndarray, dpi: float) -> Quality:
    raise NotImplementedError


def prepare_for_ocr(gray: np.ndarray, dpi: float, *, min_dpi: int) -> tuple[np.ndarray, float]:
    raise NotImplementedError


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
        Image.fromarray(bilevel).convert("1").save(
            path, compression="group4", dpi=(round(dpi), round(dpi))
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


def save_downscaled(image: np.ndarray, long_side: int, path: Path) -> Path:
    """Web preview or thumbnail for the QA app (JPEG)."""
    height, width = image.shape[:2]
    scale = min(1.0, long_side / max(height, width))
    small = image
    if scale < 1.0:
        size = (max(1, round(width * scale)), max(1, round(height * scale)))
        small = cv2.resize(image, size, interpolation=cv2.INTER_AREA)
    Image.fromarray(small).save(path, quality=82)
    return path
