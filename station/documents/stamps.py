"""Secrecy (MẬT, TỐI MẬT, TUYỆT MẬT) and urgency (KHẨN, THƯỢNG KHẨN, HỎA TỐC) stamps.

A missed secrecy stamp is a leak: a classified page would reach an uncleared user. So the
page image is searched as well as the OCR words: stamps are usually red, framed, and often
rotated or faint, which full-page OCR misses. Red regions of a stamp's size (not round
seals) are re-read on their own (a small crop, tens of milliseconds); a framed red box that
cannot be read still counts as a possible Mật stamp with a low confidence, so a cleared
reviewer decides rather than nobody noticing.
"""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np

from station import tools
from station.documents import vocab
from station.documents.model import Stamp
from station.ocr import Word

_LABELS = (
    *(("secrecy", printed, level) for printed, level in vocab.SECRECY_MARKS.items()),
    *(("urgency", printed, level) for printed, level in vocab.URGENCY_MARKS.items()),
)


def find_stamps(image: np.ndarray, dpi: float, words: Sequence[Word]) -> tuple[Stamp, ...]:
    """Stamps found in the image's red ink (colour pages); the words' own marks are the
    reader's (station.documents.reading)."""
    if image.ndim != 3 or dpi <= 0:
        return ()
    found = []
    for box in _red_candidates(image, dpi):
        stamp = _read_candidate(image, box, dpi)
        if stamp is not None:
            found.append(stamp)
    return tuple(found)


def red_mask(image: np.ndarray) -> np.ndarray:
    """Red ink, faint or strong: hue near 0/180 and clearly more saturated than paper."""
    hsv = cv2.cvtColor(image, cv2.COLOR_RGB2HSV)
    hue, sat, val = hsv[..., 0], hsv[..., 1], hsv[..., 2]
    red = ((hue <= 10) | (hue >= 165)) & (sat >= 60) & (val >= 70)
    return red.astype(np.uint8) * 255


def _red_candidates(image: np.ndarray, dpi: float) -> list[tuple[int, int, int, int]]:
    scale = 100.0 / dpi  # work at 100 dpi: cheap, and stamps stay well resolved
    mask = red_mask(cv2.resize(image, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA))
    if cv2.countNonZero(mask) < 30:
        return []
    mask = cv2.morphologyEx(mask, cv2.MORPH_CLOSE, np.ones((5, 5), np.uint8))
    count, _, stats, _ = cv2.connectedComponentsWithStats(mask)
    cm = 100 / 2.54  # pixels per cm at 100 dpi
    out = []
    for i in range(1, count):
        x, y, w, h, _area = stats[i]
        long, short = max(w, h), min(w, h)
        if not (1.2 * cm <= long <= 12 * cm and 0.5 * cm <= short <= 5 * cm):
            continue
        if long / max(short, 1) < 1.25:
            continue  # round seals and square marks are not secrecy stamps
        out.append((int(x / scale), int(y / scale), int((x + w) / scale), int((y + h) / scale)))
    return out


def _read_candidate(image: np.ndarray, box: tuple[int, int, int, int], dpi: float) -> Stamp | None:
    left, top, right, bottom = box
    pad = int(dpi * 0.1)
    crop = image[max(0, top - pad) : bottom + pad, max(0, left - pad) : right + pad]
    ink = 255 - red_mask(crop)  # the stamp's own ink, black on white
    best: tuple[float, str, str, str] | None = None
    for angle in _angles(ink):
        turned = _without_frame(_rotate(ink, angle))
        text, confidence = tools.read_small(turned, languages=("vie",), psm=7)
        cleaned = text.upper().strip(" .:!|[]()")
        for kind, printed, level in _LABELS:
            score = vocab.similarity(cleaned, printed)
            if len(vocab.fold(cleaned)) > len(vocab.fold(printed)) + 3:
                score *= 0.7  # more words than a stamp carries
            if (
                best is None
                or score > best[0]
                or (score == best[0] and len(printed) > len(best[2]))
            ):
                best = (score * (0.6 + 0.4 * confidence / 100.0), kind, printed, level)
        if best is not None and best[0] >= 0.8:
            break
    if best is not None and best[0] >= 0.6:
        return Stamp(best[1], best[3], round(min(1.0, best[0]), 3), box, "red", "red-reread")
    if _framed(ink):
        # Red, framed, stamp-sized, unreadable: possibly a secrecy stamp; let a cleared
        # reviewer look (recall first).
        return Stamp("secrecy", "Mật", 0.3, box, "red", "red-frame")
    return None


def _without_frame(ink: np.ndarray) -> np.ndarray:
    """The letters alone: a frame's long strokes make Tesseract see no text line at all."""
    dark = (ink < 128).astype(np.uint8) * 255
    h, w = dark.shape
    across = cv2.morphologyEx(dark, cv2.MORPH_OPEN, np.ones((1, max(3, w // 3)), np.uint8))
    down = cv2.morphologyEx(dark, cv2.MORPH_OPEN, np.ones((max(3, h // 2), 1), np.uint8))
    lines = cv2.bitwise_or(across, down)
    letters = cv2.subtract(dark, cv2.dilate(lines, np.ones((3, 3), np.uint8)))
    out: np.ndarray = 255 - letters
    return out


def _angles(ink: np.ndarray) -> list[float]:
    """0°, then the angle of the stamp's frame if it is turned."""
    points = cv2.findNonZero(255 - ink)
    if points is None:
        return [0.0]
    (_, _), (w, h), angle = cv2.minAreaRect(points)
    if w < h:
        angle -= 90
    angle = ((angle + 45) % 90) - 45
    return [0.0] if abs(angle) < 2 else [angle, 0.0]


def _rotate(image: np.ndarray, angle: float) -> np.ndarray:
    if not angle:
        return image
    h, w = image.shape[:2]
    matrix = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
    return cv2.warpAffine(image, matrix, (w, h), borderValue=255)


def _framed(ink: np.ndarray) -> bool:
    """A rectangle of ink around the crop's edge: the frame of a stamp."""
    dark = ink < 128
    h, w = dark.shape
    band_h, band_w = max(2, h // 6), max(2, w // 6)
    edges = [
        dark[:band_h].any(axis=0).mean(),
        dark[-band_h:].any(axis=0).mean(),
        dark[:, :band_w].any(axis=1).mean(),
        dark[:, -band_w:].any(axis=1).mean(),
    ]
    return bool(min(edges) >= 0.6)
