"""Secrecy (MẬT, TỐI MẬT, TUYỆT MẬT) and urgency (KHẨN, THƯỢNG KHẨN, HỎA TỐC) stamps.

A missed secrecy stamp is a leak: a classified page would reach an uncleared user. So three
cues are used. The OCR words: a short upper-case line of its own reading a label (running
text says "bí mật", "mật độ" in lower case, so a line with other lower-case words is not a
stamp). Red ink: stamps are usually red, framed, and often rotated or faint, which
full-page OCR misses; red regions of a stamp's size and shape (not round seals) are re-read
on their own (a small crop, tens of milliseconds). Frames in any ink: a gray scan turns red
to gray and a faint red falls out of the red mask, so stamp-sized rectangles in the top half
(turned or not, light or dark, with no rule inside as arrival stamps have) have their inside
turned level and read alone. A framed box in the top half holding one line of one or two
words that cannot be read still counts as a possible secrecy stamp with a low confidence, at
the highest level (Tuyệt mật): whichever level it really is, no one cleared below it sees
the document until a reviewer cleared for it has looked and lowered it.

Measured (A4, 2 shared cores, bench/secrecy.py): ~1 ms for the words of a page, ~3-6 ms for
the red ink of a colour page at 200 or 300 dpi (the 100-dpi red mask is made only where a
coarse look finds red), ~5-10 ms to look for frames, 10-60 ms per candidate re-read.
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import cv2
import numpy as np

from station import tools
from station.documents import vocab
from station.documents.model import Stamp
from station.pipeline.ocr import Word

Box = tuple[int, int, int, int]

# The level of a stamp seen but not read: the highest, so that nobody cleared for less sees
# what may be Tuyệt mật (a cleared reviewer lowers a false alarm, recorded with a reason).
UNREAD_LEVEL = "Tuyệt mật"

_LABELS = (
    *(("secrecy", printed, level) for printed, level in vocab.SECRECY_MARKS.items()),
    *(("urgency", printed, level) for printed, level in vocab.URGENCY_MARKS.items()),
)
# Both spellings of the tone placement occur in print (HỎA / HOẢ).
_VARIANTS = {unicodedata.normalize("NFC", "HOẢ TỐC"): "HỎA TỐC"}

_CM = 1 / 2.54  # inches per cm


def find_stamps(image: np.ndarray, dpi: float, words: Sequence[Word]) -> tuple[Stamp, ...]:
    """Stamps from the OCR words and from the image's red ink, one per place and level."""
    if dpi <= 0:
        return ()
    found = list(_from_words(image, words))
    if image.ndim == 3:
        for box in _red_candidates(image, dpi):
            stamp = _read_candidate(image, box, dpi)
            if stamp is not None:
                found.append(stamp)
    for frame in _frame_candidates(image, dpi):
        if any(_contains(s.box, frame.centre) for s in found):
            continue  # read already, from the words or the red ink
        stamp = _read_frame(image, frame, dpi)
        if stamp is not None:
            found.append(stamp)
    return _merged(found)


# --------------------------------------------------------------------------------------------
# Cue 1: the OCR words


def _label(text: str) -> tuple[float, str, str, str] | None:
    """Best (score, kind, printed, level) for a short upper-case text, or None."""
    cleaned = unicodedata.normalize("NFC", text).upper().strip(" .:!|[]()'\"-")
    cleaned = " ".join(cleaned.split())
    cleaned = _VARIANTS.get(cleaned, cleaned)
    if not cleaned:
        return None
    best: tuple[float, str, str, str] | None = None
    for kind, printed, level in _LABELS:
        score = vocab.similarity(cleaned, printed)
        if vocab.fold(cleaned) == vocab.fold(printed):
            score = max(score, 0.9)  # MAT, MÂT, MẶT, TOI MAT: the letters are right
        if len(vocab.fold(cleaned)) > len(vocab.fold(printed)) + 3:
            score *= 0.7  # more words than a stamp carries
        if best is None or score > best[0] or (score == best[0] and len(printed) > len(best[2])):
            best = (score, kind, printed, level)
    return best


def _is_upper(text: str) -> bool:
    letters = [c for c in text if c.isalpha()]
    return bool(letters) and all(c.isupper() for c in letters)


def _stamp_lines(words: Sequence[Word]) -> list[list[Word]]:
    """The lines that could be a stamp: one or two words, all upper case, top to bottom.

    Words chain into a line when they overlap vertically by half the smaller height and are
    no further apart than three times the larger. Lines are grown from the upper-case
    words only and given up at a third word: the same lines as chaining every word of the
    page, at a fraction of the cost (hundreds of words, a few dozen upper-case ones).
    """
    order = sorted(words, key=lambda w: (w.box[1], w.box[0]))
    upper = [_is_upper(w.text) for w in order]
    if not any(upper):
        return []
    boxes = np.array([w.box for w in order], dtype=np.int64).reshape(-1, 4)
    left, top, right, bottom = boxes.T
    height = np.maximum(1, bottom - top)

    def neighbours(i: int) -> list[int]:
        """The words chained with word i (the test is symmetric)."""
        overlap = np.minimum(bottom[i], bottom) - np.maximum(top[i], top)
        gap = np.maximum(left[i], left) - np.minimum(right[i], right)
        near = (overlap >= 0.5 * np.minimum(height[i], height)) & (
            gap <= 3 * np.maximum(height[i], height)
        )
        near[i] = False
        return [int(j) for j in np.flatnonzero(near)]

    seen: set[int] = set()
    out = []
    for i in range(len(order)):
        if i in seen or not upper[i]:
            continue
        line, frontier = {i}, [i]
        while frontier and len(line) <= 2:
            for j in neighbours(frontier.pop()):
                if j not in line:
                    line.add(j)
                    frontier.append(j)
        seen |= line
        if len(line) <= 2 and all(upper[j] for j in line):
            out.append(sorted((order[j] for j in sorted(line)), key=lambda w: w.box[0]))
    return out


def _from_words(image: np.ndarray, words: Sequence[Word]) -> list[Stamp]:
    found = []
    for line in _stamp_lines([w for w in words if w.text.strip()]):
        best = _label(" ".join(w.text for w in line))
        if best is None or best[0] < 0.5:
            continue
        box = (
            min(w.box[0] for w in line),
            min(w.box[1] for w in line),
            max(w.box[2] for w in line),
            max(w.box[3] for w in line),
        )
        conf = sum(w.confidence for w in line) / len(line) / 100.0
        method = "ocr-words"
        if best[0] < 0.85:
            # Half a match (a frame turned MẬT into MẠI): read the region again on its own.
            best, conf = _reread_words(image, box)
            method = "ocr-words-reread"
            if best is None or best[0] < 0.85:
                continue
        score, kind, _printed, level = best
        colour = _colour(image, box)
        found.append(Stamp(kind, level, round(score * (0.5 + 0.5 * conf), 3), box, colour, method))
    return found


def _reread_words(image: np.ndarray, box: Box) -> tuple[tuple[float, str, str, str] | None, float]:
    """The words' region with its frame, re-read alone with the frame's strokes removed."""
    left, top, right, bottom = box
    pad = max(4, int(0.8 * (bottom - top)))
    crop = image[max(0, top - pad) : bottom + pad, max(0, left - pad) : right + pad]
    gray = crop.min(axis=2) if crop.ndim == 3 else crop
    if gray.size == 0:
        return None, 0.0
    ink = np.where(gray < 160, 0, 255).astype(np.uint8)
    text, confidence = tools.read_small(_without_frame(ink), languages=("vie",), psm=7)
    return _label(text), confidence / 100.0


def _colour(image: np.ndarray, box: Box) -> str:
    """ "red" when most of the ink under the box is red, else "dark"."""
    if image.ndim != 3:
        return "dark"
    left, top, right, bottom = box
    crop = image[max(0, top) : bottom, max(0, left) : right]
    if crop.size == 0:
        return "dark"
    ink = crop.min(axis=2) < 160
    red = red_mask(crop) > 0
    return "red" if red.sum() >= 0.4 * max(1, int((ink | red).sum())) else "dark"


# --------------------------------------------------------------------------------------------
# Cue 2: red ink


def red_mask(image: np.ndarray) -> np.ndarray:
    """Red ink, faint or strong: hue near 0/180 and clearly more saturated than paper."""
    hsv = cv2.cvtColor(np.ascontiguousarray(image), cv2.COLOR_RGB2HSV)
    # 8-bit hue runs 0-179; one pass per side of red is cheaper than numpy's four masks.
    low = cv2.inRange(hsv, (0, 60, 70), (10, 255, 255))
    high = cv2.inRange(hsv, (165, 60, 70), (255, 255, 255))
    red: np.ndarray = cv2.bitwise_or(low, high)
    return red


# A coarse look at red ink: every pixel on a grid of ~33 dpi.
_COARSE_DPI = 100 / 3
# Around red seen on the coarse grid, the 100-dpi mask is made this far (cm) on every side.
_MARGIN_CM = 1.0
# Past this many red places, or this share of the page, the whole page is downscaled at once.
_MAX_PLACES, _MAX_SHARE = 40, 0.5


def _red_mask_100dpi(image: np.ndarray, dpi: float) -> np.ndarray:
    """`red_mask` of the page area-averaged to 100 dpi, made only where there is red.

    Downscaling a whole 300-dpi colour page was most of a colour page's cost here (~15 ms);
    its red is a few seals and stamps. So where red is, is seen first on a coarse grid of
    single pixels (~33 dpi), and the page is downscaled only there, 1 cm around, in tiles
    on the 100-dpi grid, so each pixel is the one a whole-page downscale gives. Ink is
    redder in its own pixels than averaged with paper, so a red place is seen on the coarse
    grid; what it can miss is a lone pixel where dark ink averages to a dull red, far from
    any red, too small to be a candidate (the candidates were the same as the whole page's
    on 34 generated and real colour pages and 120 pages of random stamps, thin, small,
    turned and faint). A dpi that is not a whole multiple of 100, or red all over, takes
    the whole page.
    """
    scale = 100.0 / dpi
    factor = round(dpi / 100)
    if factor < 1 or abs(dpi / 100 - factor) > 1e-6:
        return _downscaled_red(image, scale)
    height, width = image.shape[:2]
    step = 3 * factor  # full-size pixels between two coarse ones: every third 100-dpi pixel
    coarse = red_mask(image[::step, ::step])
    mask = np.zeros((round(height * scale), round(width * scale)), np.uint8)
    if not cv2.countNonZero(coarse):
        return mask
    margin = math.ceil(_MARGIN_CM * _CM * _COARSE_DPI)
    grown = cv2.dilate(coarse, np.ones((2 * margin + 1, 2 * margin + 1), np.uint8))
    _, _, stats, _ = cv2.connectedComponentsWithStats(grown, connectivity=8)
    places = stats[1:, :4]
    if len(places) > _MAX_PLACES or (places[:, 2] * places[:, 3]).sum() > _MAX_SHARE * grown.size:
        return _downscaled_red(image, scale)
    for x, y, w, h in places.tolist():
        # On the 100-dpi grid (a multiple of `factor`): each pixel averages the same block.
        x0, y0 = x * step, y * step
        x1, y1 = min(width, (x + w) * step), min(height, (y + h) * step)
        tile = red_mask(_downscaled(image[y0:y1, x0:x1], scale))
        into = mask[y0 // factor :, x0 // factor :]
        rows, cols = min(into.shape[0], tile.shape[0]), min(into.shape[1], tile.shape[1])
        into[:rows, :cols] = tile[:rows, :cols]
    return mask


def _downscaled(image: np.ndarray, scale: float) -> np.ndarray:
    out: np.ndarray = cv2.resize(image, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    return out


def _downscaled_red(image: np.ndarray, scale: float) -> np.ndarray:
    return red_mask(_downscaled(image, scale))


def _red_candidates(image: np.ndarray, dpi: float) -> list[Box]:
    """Compact red blobs of a stamp's size and oblong shape; round seals are left out."""
    scale = 100.0 / dpi  # work at 100 dpi: cheap, and stamps stay well resolved
    mask = _red_mask_100dpi(image, dpi)
    if cv2.countNonZero(mask) < 30:
        return []
    mask = cv2.morphologyEx(mask, cv2.MORPH_CLOSE, np.ones((5, 5), np.uint8))
    contours, _ = cv2.findContours(mask, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    cm = 100 * _CM  # pixels per cm at 100 dpi
    out = []
    for contour in contours:
        if cv2.contourArea(contour) < 0.15 * cm * cm:
            continue
        (_, _), (rw, rh), _ = cv2.minAreaRect(contour)
        long, short = max(rw, rh), min(rw, rh)
        if not (1.2 * cm <= long <= 9 * cm and 0.4 * cm <= short <= 4 * cm):
            continue
        aspect = long / max(short, 1.0)
        hull = cv2.convexHull(contour)
        area, perimeter = cv2.contourArea(hull), cv2.arcLength(hull, True)
        circularity = 4 * math.pi * area / max(perimeter * perimeter, 1.0)
        if aspect < 1.4 or aspect > 7 or circularity > 0.85:
            continue  # round seals, square marks, rules and underlines are not stamps
        x, y, w, h = cv2.boundingRect(contour)
        out.append((int(x / scale), int(y / scale), int((x + w) / scale), int((y + h) / scale)))
    return out


def _read_candidate(image: np.ndarray, box: Box, dpi: float) -> Stamp | None:
    left, top, right, bottom = box
    pad = int(dpi * 0.1)
    crop = image[max(0, top - pad) : bottom + pad, max(0, left - pad) : right + pad]
    ink = 255 - red_mask(crop)  # the stamp's own ink, black on white
    angle = _angle(ink)
    upright = _rotate(ink, angle)
    attempts = [(angle, 7), (angle, 6)] + ([(0.0, 7)] if angle else [])
    best = _best_label(
        (_without_frame(upright if turn == angle else ink), psm) for turn, psm in attempts
    )
    if best is not None and best[0] >= 0.6:
        return Stamp(best[1], best[3], round(min(1.0, best[0]), 3), box, "red", "red-reread")
    if top >= image.shape[0] / 2 or not _framed(upright):
        return None
    # The frame's inside alone, turned level: what the frame holds decides.
    points = cv2.findNonZero(255 - ink)
    if points is None:
        return None
    (cx, cy), (rw, rh), _ = rect = cv2.minAreaRect(points)
    inside = _level_inside(ink, (cx, cy), (max(rw, rh), min(rw, rh)), _long_side_angle(rect))
    if inside is None:
        return None
    again = _best_label((inside, psm) for psm in (7, 8))
    if again is not None and again[0] >= 0.6:
        return Stamp(again[1], again[3], round(min(1.0, again[0]), 3), box, "red", "red-reread")
    if again is not None and again[0] >= 0.45 and again[1] == "urgency":
        return None  # half a KHẨN or HỎA TỐC: an urgency mark, not a secrecy one
    if 1 <= _word_count(inside) <= 2 and _one_line(inside):
        # Red, framed, stamp-sized, one line of one or two words, unreadable: possibly a
        # secrecy stamp of any level; the highest, until a cleared reviewer looks.
        return Stamp("secrecy", UNREAD_LEVEL, 0.3, box, "red", "red-frame")
    return None


# --------------------------------------------------------------------------------------------
# Cue 3: frames, in any ink (a gray scan turns red to gray)


@dataclass(frozen=True)
class _Frame:
    """A stamp-sized rectangle of ink, maybe turned: full-size pixels."""

    centre: tuple[float, float]
    size: tuple[float, float]  # long side, short side
    angle: float  # degrees (counter-clockwise) that turn its long side level
    box: Box  # its upright bounding box
    level: int  # the frame's ink (0-255): faint stamps are light gray


# The share of the page's height where secrecy and urgency marks go (under the number).
_TOP_SHARE = 0.5


def _frame_candidates(image: np.ndarray, dpi: float) -> list[_Frame]:
    """Rectangles of ink of a stamp's size in the top half, turned up to 45°, with no rule
    inside (an arrival stamp's "ĐẾN / Số / Ngày" box has one); round seals are not.

    Seen at 100 dpi on one channel (green: red and blue ink are dark in it, gray pages are
    gray) with ink anything clearly darker than the paper, so faint stamps count too.
    """
    height = image.shape[0]
    step = max(1, round(dpi / 100))
    scale = 1.0 / step
    top = image[: int(height * _TOP_SHARE) : step, ::step]
    # Every step-th pixel, not an average: a faint frame keeps its contrast (its stroke is
    # 0.7 mm, several pixels at any scanning resolution), and there is nothing to compute.
    small = np.ascontiguousarray(top if top.ndim == 2 else top[:, :, 1])
    hist = cv2.calcHist([small], [0], None, [256], [0, 256]).ravel().cumsum()
    paper = int(np.searchsorted(hist, 0.5 * hist[-1]))
    ink = (small < paper - 25).astype(np.uint8)
    # Outer contours only (half the cost of labelling every letter); the few of a stamp's
    # size are then labelled within their own box.
    contours, _ = cv2.findContours(ink, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    cm = dpi * scale * _CM
    out = []
    for index in _frame_sized(contours, cm):
        contour = contours[index]
        x, y, w, h = cv2.boundingRect(contour)
        _, labels = cv2.connectedComponents(ink[y : y + h, x : x + w], connectivity=8)
        px, py = (int(v) for v in contour[0, 0])
        own = (labels == labels[py - y, px - x]).astype(np.uint8)
        rows, cols = np.nonzero(own)
        rect = cv2.minAreaRect(np.column_stack((cols, rows)).astype(np.float32))
        (rw, rh) = rect[1]
        long, short = max(rw, rh), min(rw, rh)
        if not (1.3 * cm <= long <= 8 * cm and 0.55 * cm <= short <= 2.6 * cm):
            continue
        if not 1.3 <= long / max(short, 1.0) <= 7:
            continue
        # The outline a pixel inside the rectangle's extreme corners (a turned stroke's
        # outer edge is jagged): all of it near ink when the component is a frame.
        inner_rect = (rect[0], (rw - 2, rh - 2), rect[2])
        corners = cv2.boxPoints(inner_rect)
        outline = np.zeros_like(own)
        cv2.polylines(outline, [np.rint(corners).astype(np.int32)], True, 1, thickness=3)
        near = cv2.dilate(own, np.ones((5, 5), np.uint8))
        if cv2.countNonZero(outline & near) < 0.85 * cv2.countNonZero(outline):
            continue  # not closed all round: text, a seal's arc, a signature
        band = np.zeros_like(own)
        cv2.polylines(band, [np.rint(corners).astype(np.int32)], True, 1, thickness=7)
        if cv2.countNonZero(own & (1 - band)) > 0.6 * long:
            continue  # a rule or letters joined inside: an arrival or filing stamp
        angle = _long_side_angle(rect)
        level = int(np.median(small[y : y + h, x : x + w][own > 0]))
        cx, cy = rect[0]
        out.append(
            _Frame(
                ((x + cx) / scale, (y + cy) / scale),
                (long / scale, short / scale),
                angle,
                (int(x / scale), int(y / scale), int((x + w) / scale), int((y + h) / scale)),
                level,
            )
        )
    return out


def _frame_sized(contours: Sequence[np.ndarray], cm: float) -> list[int]:
    """Which contours have a bounding box of a stamp's size: all boxes at once (a text page
    has thousands of contours, 3 ms one `boundingRect` at a time)."""
    if not contours:
        return []
    sizes = np.fromiter((len(c) for c in contours), dtype=np.int64, count=len(contours))
    points = np.concatenate(contours).reshape(-1, 2)
    starts = np.concatenate(([0], np.cumsum(sizes)[:-1]))
    w = np.maximum.reduceat(points[:, 0], starts) - np.minimum.reduceat(points[:, 0], starts) + 1
    h = np.maximum.reduceat(points[:, 1], starts) - np.minimum.reduceat(points[:, 1], starts) + 1
    sized = (1.2 * cm <= w) & (w <= 8.5 * cm) & (0.5 * cm <= h) & (h <= 3.5 * cm)
    return [int(i) for i in np.flatnonzero(sized)]


def _read_frame(image: np.ndarray, frame: _Frame, dpi: float) -> Stamp | None:
    """The letters inside a frame, turned level and read alone; an unreadable frame of one
    or two words is a possible Mật (recall first), anything else is not a stamp."""
    letters = _inside(image, frame)
    if letters is None:
        return None
    best = _best_label((letters, psm) for psm in (7, 8))
    colour = _colour(image, frame.box)
    if best is not None and best[0] >= 0.6:
        return Stamp(best[1], best[3], round(min(1.0, best[0]), 3), frame.box, colour, "frame")
    if best is not None and best[0] >= 0.45 and best[1] == "urgency":
        return None  # half a KHẨN or HỎA TỐC: an urgency mark, not a secrecy one
    if 1 <= _word_count(letters) <= 2 and _one_line(letters):
        return Stamp("secrecy", UNREAD_LEVEL, 0.3, frame.box, colour, "frame-unread")
    return None


def _long_side_angle(rect: tuple[Sequence[float], Sequence[float], float]) -> float:
    """The angle (degrees, counter-clockwise) that turns a rotated rectangle's long side level."""
    corners = cv2.boxPoints(rect)
    edges = [corners[(k + 1) % 4] - corners[k] for k in range(2)]
    dx, dy = max(edges, key=lambda e: float(np.hypot(*e)))
    angle = math.degrees(math.atan2(float(dy), float(dx)))
    return ((angle + 90) % 180) - 90


def _inside(image: np.ndarray, frame: _Frame) -> np.ndarray | None:
    """What is inside the frame, level, black letters on white with a white margin."""
    left, top, right, bottom = frame.box
    pad = 4
    top, left = max(0, top - pad), max(0, left - pad)
    crop = image[top : bottom + pad, left : right + pad]
    gray = np.ascontiguousarray(crop if crop.ndim == 2 else crop[:, :, 1])
    centre = (frame.centre[0] - left, frame.centre[1] - top)
    return _level_inside(gray, centre, frame.size, frame.angle)


def _level_inside(
    gray: np.ndarray, centre: tuple[float, float], size: tuple[float, float], angle: float
) -> np.ndarray | None:
    """The inside of a turned rectangle (long side, short side) of `gray`, level, binarised,
    with what touches its edge (the frame's remains, a rule across) left out."""
    long, short = size
    inset = max(2.0, 0.08 * short)  # about the frame's stroke
    out_w, out_h = int(long - 2 * inset), int(short - 2 * inset)
    if out_w < 10 or out_h < 8:
        return None
    matrix = cv2.getRotationMatrix2D(centre, angle, 1.0)
    matrix[0, 2] += out_w / 2 - centre[0]
    matrix[1, 2] += out_h / 2 - centre[1]
    inner = cv2.warpAffine(gray, matrix, (out_w, out_h), flags=cv2.INTER_LINEAR, borderValue=255)
    if int(inner.max()) - int(inner.min()) < 20:
        return None  # nothing inside
    _, ink = cv2.threshold(inner, 0, 255, cv2.THRESH_BINARY_INV + cv2.THRESH_OTSU)
    # What touches the edge is the frame's inner side (a turned frame's rectangle is never
    # exact), never a letter: the letters stand clear of the frame.
    _, labels, stats, _ = cv2.connectedComponentsWithStats(ink, connectivity=8)
    x, y, w, h = stats[:, 0], stats[:, 1], stats[:, 2], stats[:, 3]
    edge = (x == 0) | (y == 0) | (x + w >= out_w) | (y + h >= out_h)
    edge[0] = True  # the background
    letters = np.where(edge[labels], 255, 0).astype(np.uint8)
    margin = max(8, out_h // 3)
    padded: np.ndarray = cv2.copyMakeBorder(
        letters, margin, margin, margin, margin, cv2.BORDER_CONSTANT, value=255
    )
    return padded


def _best_label(
    attempts: Iterable[tuple[np.ndarray, int]],
) -> tuple[float, str, str, str] | None:
    """The best label Tesseract reads in a stamp's letters (image and page segmentation mode,
    tried in turn until one reads well), its score weighted by confidence."""
    best: tuple[float, str, str, str] | None = None
    for letters, psm in attempts:
        text, confidence = tools.read_small(letters, languages=("vie",), psm=psm)
        found = _label(text)
        if found is None:
            continue
        score = found[0] * (0.6 + 0.4 * confidence / 100.0)
        if best is None or score > best[0]:
            best = (score, *found[1:])
        if best[0] >= 0.8:
            break
    return best


def _one_line(letters: np.ndarray) -> bool:
    """The ink's rows form one band: a stamp's single line, not a block of text.

    Runs of inked rows closer than a quarter of the tallest run merge (a capital's accents sit
    just above it, its dot just under); a second line is further off.
    """
    inked = (letters < 128).any(axis=1)
    rows = np.flatnonzero(inked)
    if rows.size == 0:
        return False
    breaks = np.flatnonzero(np.diff(rows) > 1)
    starts = np.concatenate(([rows[0]], rows[breaks + 1]))
    ends = np.concatenate((rows[breaks], [rows[-1]]))
    tallest = int((ends - starts).max()) + 1
    gaps = starts[1:] - ends[:-1] - 1
    return bool((gaps < 0.25 * tallest).all())


def _contains(box: Box, point: tuple[float, float]) -> bool:
    return box[0] <= point[0] <= box[2] and box[1] <= point[1] <= box[3]


def _without_frame(ink: np.ndarray) -> np.ndarray:
    """The letters alone: a frame's long strokes make Tesseract see no text line at all."""
    dark = (ink < 128).astype(np.uint8) * 255
    points = cv2.findNonZero(dark)
    if points is None:
        return ink
    _, _, w, h = cv2.boundingRect(points)  # the frame's size, not the (turned) crop's
    across = cv2.morphologyEx(dark, cv2.MORPH_OPEN, np.ones((1, max(3, w // 3)), np.uint8))
    down = cv2.morphologyEx(dark, cv2.MORPH_OPEN, np.ones((max(3, h // 2), 1), np.uint8))
    lines = cv2.bitwise_or(across, down)
    letters = cv2.subtract(dark, cv2.dilate(lines, np.ones((3, 3), np.uint8)))
    out: np.ndarray = 255 - letters
    return out


def _angle(ink: np.ndarray) -> float:
    """The angle that turns the stamp's frame level (0 when it is already)."""
    points = cv2.findNonZero(255 - ink)
    if points is None:
        return 0.0
    (_, _), (w, h), angle = cv2.minAreaRect(points)
    if w < h:
        angle -= 90
    angle = ((angle + 45) % 90) - 45
    return 0.0 if abs(angle) < 2 else float(angle)


def _rotate(image: np.ndarray, angle: float) -> np.ndarray:
    if not angle:
        return image
    h, w = image.shape[:2]
    cos, sin = abs(math.cos(math.radians(angle))), abs(math.sin(math.radians(angle)))
    nw, nh = int(w * cos + h * sin), int(w * sin + h * cos)
    matrix = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
    matrix[0, 2] += (nw - w) / 2
    matrix[1, 2] += (nh - h) / 2
    return cv2.warpAffine(image, matrix, (nw, nh), borderValue=255)


def _framed(ink: np.ndarray) -> bool:
    """A rectangle of ink around the ink's extent: the frame of a stamp."""
    points = cv2.findNonZero((ink < 128).astype(np.uint8))
    if points is None:
        return False
    x, y, w, h = cv2.boundingRect(points)
    dark = ink[y : y + h, x : x + w] < 128
    band_h, band_w = max(2, h // 6), max(2, w // 6)
    edges = [
        dark[:band_h].any(axis=0).mean(),
        dark[-band_h:].any(axis=0).mean(),
        dark[:, :band_w].any(axis=1).mean(),
        dark[:, -band_w:].any(axis=1).mean(),
    ]
    return bool(min(edges) >= 0.6)


def _word_count(letters: np.ndarray) -> int:
    """Runs of ink columns split by gaps wider than half the letters' height."""
    dark = letters < 128
    rows = np.flatnonzero(dark.any(axis=1))
    cols = [bool(v) for v in np.any(dark, axis=0)]
    if rows.size == 0:
        return 0
    gap_limit = max(2, int(0.5 * (rows[-1] - rows[0] + 1)))
    words, gap, inside = 0, gap_limit, False
    for filled in cols:
        if filled:
            if not inside and gap >= gap_limit:
                words += 1
            inside, gap = True, 0
        else:
            inside = False
            gap += 1
    return words


def _merged(found: list[Stamp]) -> tuple[Stamp, ...]:
    """One stamp per level and place: the words and the red ink often see the same one."""
    kept: list[Stamp] = []
    for stamp in sorted(found, key=lambda s: -s.confidence):
        if not any(s.level == stamp.level and _overlap(s.box, stamp.box) for s in kept):
            kept.append(stamp)
    return tuple(kept)


def _overlap(a: Box, b: Box) -> bool:
    return min(a[2], b[2]) > max(a[0], b[0]) and min(a[3], b[3]) > max(a[1], b[1])
