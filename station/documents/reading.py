"""Reading one page for its document: header block, page number, signature block, marks.

Works on the words Tesseract already produced (boxes in the cleaned page's pixels): they
are grouped into lines and column segments, and the header's parts are recognised by
their wording (motto, "Số …", "…, ngày … tháng … năm …", a type name from the closed
list, "V/v …") and place, not by a fixed template, so NĐ 30 and HD 36 layouts, older
ones, and single-column renderings all read. Only a trích yếu whose words look damaged is
read again, from its lines' region of the page image alone.

Every value carries a confidence meant to be the chance it is right. It starts from the
OCR confidence of the words it was read from and is lowered for what the page itself says
against it: a repair from a closed list that more than one entry could explain, a word in
no list, a weakly read word, a number or date written by hand into the printed form (a
separate, taller or glued token, or one set apart), stamp text cut from a line. A value the
lists cannot vouch for stays below any sensible threshold (`UNVOUCHED`).
"""

from __future__ import annotations

import itertools
import re
import statistics
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date
from functools import cached_property, lru_cache

import cv2
import numpy as np

from station import tools
from station.documents import syllables, vocab
from station.documents.model import Box, FieldReading, PageReading, SuspectWord
from station.pipeline.ocr import Word

# The confidence model's levels (a profile's threshold is typically 0.85).
UNVOUCHED = 0.8  # cap: a value neither the lists nor the layout can vouch for
FILLED_IN = 0.75  # cap: a number or date most likely written by hand into the form
WEAK_WORD = 70.0  # an OCR word confidence under this caps the value at UNVOUCHED
REPAIRED = 0.97  # factor: marks put back from the one entry of a closed list they fit


@dataclass(frozen=True)
class Line:
    """Words side by side on one row and in one column segment."""

    words: tuple[Word, ...]

    @cached_property
    def text(self) -> str:
        return unicodedata.normalize("NFC", " ".join(w.text for w in self.words))

    @cached_property
    def box(self) -> Box:
        return _union(w.box for w in self.words)

    @property
    def confidence(self) -> float:
        return min(w.confidence for w in self.words) / 100.0

    @property
    def mean_confidence(self) -> float:
        return sum(w.confidence for w in self.words) / len(self.words) / 100.0

    @property
    def top(self) -> int:
        return self.box[1]

    @property
    def height(self) -> int:
        return self.box[3] - self.box[1]

    @property
    def centre(self) -> float:
        return (self.box[0] + self.box[2]) / 2

    @property
    def centre_y(self) -> float:
        return (self.box[1] + self.box[3]) / 2


def _union(boxes: Iterable[Box]) -> Box:
    items = list(boxes)
    return (
        min(b[0] for b in items),
        min(b[1] for b in items),
        max(b[2] for b in items),
        max(b[3] for b in items),
    )


def group_lines(words: Sequence[Word]) -> list[Line]:
    """Rows by vertical overlap, split into segments at wide gaps (left and right columns)."""
    if not words:
        return []
    heights = [w.box[3] - w.box[1] for w in words if w.box[3] > w.box[1]]
    unit = statistics.median(heights) if heights else 10.0
    rows: list[list[Word]] = []
    centres: list[float] = []
    for word in sorted(words, key=lambda w: (w.box[1] + w.box[3]) / 2):
        centre = (word.box[1] + word.box[3]) / 2
        if rows and abs(centre - centres[-1]) <= 0.45 * unit:
            rows[-1].append(word)
            centres[-1] = (centres[-1] * (len(rows[-1]) - 1) + centre) / len(rows[-1])
        else:
            rows.append([word])
            centres.append(centre)
    lines: list[Line] = []
    for row in rows:
        row.sort(key=lambda w: w.box[0])
        segment = [row[0]]
        for word in row[1:]:
            if word.box[0] - segment[-1].box[2] > 2.2 * unit:
                lines.append(Line(tuple(segment)))
                segment = [word]
            else:
                segment.append(word)
        lines.append(Line(tuple(segment)))
    lines.sort(key=lambda line: (line.top, line.box[0]))
    return lines


# --- patterns --------------------------------------------------------------------------------

# Matched on the folded text (lower case, no marks), so OCR's lost or wrong marks do not matter.
_NUMBER_FOLDED = re.compile(r"^\s*s[o06]\s*[:;.,]?\s*")
_DATE_FOLDED = re.compile(
    r"\bng\w{0,2}y\s*[,.]?\s*(?P<day>\S{1,3}?)\s*th\w{1,3}ng\s*(?P<month>\S{1,3}?)\s*"
    r"n\w{1,2}(?:m|rn)\s*(?P<year>\S{4})"
)
_PLACE_DATE = re.compile(r"^(?P<place>[^\d,]{2,40}?)[,.]?\s+ng\w{0,2}y\b.*\bth\w{1,3}ng\b")
_PAGE_NUMBER = re.compile(r"^[-–—\s]*(?:Trang\s*)?(\d{1,3})[-–—\s]*$", re.IGNORECASE)
# V/v, Viv, VN, V/y, V⁄ and V/ (the v lost), VA (the italic slash and v run together)
_VV_WORD = re.compile(r"^V\s*(?:[/|lIi1⁄]\s*[vVyYwNA]?|[vVyYwNA])[:.,%]?$")
_SYMBOL_CHARS = re.compile(r"^[A-Za-zĐđ0-9/\-.]+$")
_BODY_START = re.compile(
    r"^(Căn cứ|Kính gửi|Thực hiện|Xét|Theo|Điều \d|(?:Chương|Phần|Mục) [IVX\d]|[IVX]+\.|\d+\.)",
    re.IGNORECASE,
)
# What opens a body even right under the type name ("Thực hiện …", "Theo …" open trích yếu too).
_BODY_OPENS = re.compile(r"^(Căn cứ|Kính gửi|Điều \d)", re.IGNORECASE)
_DIGIT_LOOKALIKES = {"O": "0", "o": "0", "l": "1", "I": "1", "|": "1", "S": "5", "B": "8"}
_DIGIT_LOOKALIKES |= {"Z": "2", "Ø": "0", "ø": "0", "Ö": "0", "ö": "0"}
_MARK_WORDS = frozenset({"mat", "toi", "tuyet", "khan", "thuong", "hoa", "toc"})
_FRAME = re.compile(r"^[|\[\]{}!\\]+$")
_LEADING_JUNK = " ,.;:'`~\"“”‘’"


def _fold_aligned(text: str) -> str:
    """`vocab.fold` character by character, so indices into it are indices into `text`."""
    return "".join(_fold_char(char) for char in text)


@lru_cache(maxsize=1024)
def _fold_char(char: str) -> str:
    folded = vocab.fold(char)
    return folded if len(folded) == 1 else (char.lower()[:1] or char)


def _spans(line: Line) -> list[tuple[int, int, Word]]:
    """Each word of the line with where it stands in `line.text`."""
    out, at = [], 0
    for word in line.words:
        length = len(unicodedata.normalize("NFC", word.text))
        out.append((at, at + length, word))
        at += length + 1
    return out


def _fix_digits(text: str) -> tuple[str, int]:
    """Letters OCR often reads for digits, put back; returns the text and how many changed."""
    out, changed = [], 0
    for char in text:
        if char in _DIGIT_LOOKALIKES:
            out.append(_DIGIT_LOOKALIKES[char])
            changed += 1
        else:
            out.append(char)
    return "".join(out), changed


def _is_upper_line(line: Line) -> bool:
    letters = [c for c in line.text if c.isalpha()]
    return len(letters) >= 2 and sum(c.isupper() for c in letters) / len(letters) >= 0.8


def _floor(words: Iterable[Word]) -> float:
    """The least OCR confidence of the words a value was read from, 0-1."""
    return min((w.confidence for w in words), default=0.0) / 100.0


def _capped(confidence: float, words: Iterable[Word]) -> float:
    """A weakly read word means the value cannot be vouched for, however strong the rest."""
    if any(w.confidence < WEAK_WORD for w in words):
        confidence = min(confidence, UNVOUCHED)
    return round(max(0.0, min(confidence, 0.99)), 3)


def read_page(
    words: Sequence[Word],
    width: int,
    height: int,
    dpi: float,
    image: np.ndarray | None = None,
) -> PageReading:
    """What this page says about the document it belongs to (see PageReading).

    Stamps are not read here: `stamps.find_stamps` reads them from these words and the image.
    With the page's `image` (the pixels the words' boxes are in), a trích yếu whose words
    look damaged is read again from its lines' region alone (`reread_summary`).
    """
    lines = group_lines(words)
    if not lines:
        return PageReading()
    header = _read_header(lines, width, height)
    if image is not None:
        reread_summary(header, image, dpi)
    closing = _read_closing(lines, width, height)
    score = _start_score(header)
    layout = ""
    if "_motto" in header:
        layout = "party" if header["_motto"].value == vocab.MOTTO_PARTY else "state"
    fields = {k: v for k, v in header.items() if not k.startswith("_")}
    return PageReading(
        starts_document=score,
        page_number=None if score >= 0.5 else _page_number(lines, height),
        layout=layout,
        header=fields if score >= 0.5 else {},
        closing=closing,
        suspect_words=_suspects(words),
    )


def _start_score(header: dict[str, FieldReading]) -> float:
    """Evidence of a header block, combined: motto, number line, date line, type name."""
    weights = {"_motto": 0.35, "_number": 0.3, "issued_date": 0.2, "_type": 0.25}
    weights |= {"_vv": 0.15, "issuing_body": 0.1}
    found = sum(w * min(1.0, header[k].confidence + 0.3) for k, w in weights.items() if k in header)
    return round(min(0.99, found), 3)


# --- the header block ------------------------------------------------------------------------


def _read_header(lines: list[Line], width: int, height: int) -> dict[str, FieldReading]:
    out: dict[str, FieldReading] = {}
    top = _join_blanks(_split_mottos([line for line in lines if line.top < height * 0.45]))
    motto_line = _read_motto(top, height, out)
    layout = "party" if motto_line and out["_motto"].value == vocab.MOTTO_PARTY else "state"
    number_line = None
    for line in top:
        rest = _number_rest(line)
        if rest is not None:
            number_line = line
            _read_number(line, rest, out)
            break
    type_line = _read_type(top, number_line or motto_line, out)
    if number_line is None:
        number_line = _unlabelled_number(top, motto_line, type_line, out)
    date_line = None
    for line in top:
        # the place-and-date line stands in the header: above the type name, near "Số"
        if type_line is not None and line.top >= type_line.top:
            break
        if (
            type_line is None
            and number_line is not None
            and line.top > number_line.box[3] + 3 * number_line.height
        ):
            break
        folded = _fold_aligned(line.text)
        if folded.startswith("can cu"):
            continue
        match = _DATE_FOLDED.search(folded)
        if match:
            _read_date(match, line, out)
            date_line = line
            break
        place = _PLACE_DATE.match(folded)
        if place and date_line is None:
            # "Hà Tây, ngày 15 tháng 3 năm" with the year lost: the place still reads
            words = [w for _, b, w in _spans(line) if b <= place.end("place")]
            _set_place(line.text[: place.end("place")].strip(" ,.;:-"), words, line.box, out)
            date_line = line
    _read_summary(lines, type_line, number_line, out, width, layout)
    _read_issuer(top, motto_line, number_line or date_line, out)
    _put_back_d(out)
    _infer_type(out, layout)
    _check_place(out)
    return out


def _read_motto(top: list[Line], height: int, out: dict[str, FieldReading]) -> Line | None:
    motto_line = None
    for line in top:
        if line.top > height * 0.3:
            break
        folded = vocab.fold(line.text)
        for motto, keys in (
            (vocab.MOTTO_STATE, ("cong hoa xa hoi", "chu nghia viet nam")),
            (vocab.MOTTO_PARTY, ("dang cong san",)),
        ):
            if any(k in folded for k in keys) and (
                motto_line is None or motto == vocab.MOTTO_STATE
            ):
                motto_line = line
                out["_motto"] = FieldReading(motto, line.mean_confidence, line.box)
    return motto_line


def _join_blanks(top: list[Line]) -> list[Line]:
    """A form's label and what was written after it, when a blank (or handwriting OCR kept
    apart, a little higher than the print) split them into segments: "Số:" | "347" |
    "/KH-SVHTTDL", "Bắc Ninh, ngày" | "17" | "tháng 4 năm 2021". The segments to the label's
    right on its row are joined, up to the symbol or the year."""
    out = list(top)
    for line in top:
        if line not in out:
            continue
        folded = vocab.fold(line.text).strip(" :;.,")
        if folded in ("so", "s0", "s6"):
            done = re.compile(r"[/-]\D")  # the symbol ends the number line
        elif re.search(r"\bng\w{0,2}y$", folded):
            done = re.compile(r"\b\d{4}\b")  # the year ends the date line
        else:
            continue
        joined = line
        while not done.search(joined.text):
            row = [
                other
                for other in out
                if other is not line
                and other.box[0] > joined.box[2] - line.height
                and other.box[0] - joined.box[2] < 6 * line.height
                and abs(other.centre_y - line.centre_y) < 0.8 * line.height
            ]
            if not row:
                break
            nearest = min(row, key=lambda other: other.box[0])
            joined = Line(joined.words + nearest.words)
            out.remove(nearest)
        if joined is not line:
            out[out.index(line)] = joined
    return sorted(out, key=lambda x: (x.top, x.box[0]))


_SYMBOL_ALONE = re.compile(r"^\d{1,6}[/-][A-ZĐ][A-Za-zĐđ]*(?:[/-][A-Za-zĐđ0-9]+)+$")


def _unlabelled_number(
    top: list[Line], motto_line: Line | None, type_line: Line | None, out: dict[str, FieldReading]
) -> Line | None:
    """ "6: 2657/CT-UB": the label misread, the number and symbol plain. A reference in the
    text is not one, and a wrapped line of a continuation page may open with one, so only a
    line of a header (near its motto, above its type name) that opens with it counts."""
    if motto_line is None:
        return None
    bottom = type_line.top if type_line else motto_line.box[3] + 8 * motto_line.height
    for line in top:
        if line.top >= bottom:
            break
        if line.top < motto_line.top - 2 * motto_line.height:
            continue
        for index, word in enumerate(line.words[:2]):
            if _SYMBOL_ALONE.match(word.text.strip(" .,;:")):
                _read_number(line, _spans(line)[index][0], out)
                return line
    return None


def _number_rest(line: Line) -> int | None:
    """Where the number and symbol start when the line is a "Số: …" line, else None.

    What follows "Số" must start like a number or a symbol ("12/QĐ-UBND", "/QĐ-TTg" with
    the number left blank): "SỞ NỘI VỤ" is an issuer, not a number line.
    """
    text = line.text
    match = _NUMBER_FOLDED.match(_fold_aligned(text))
    if not match:
        return None
    start = match.end()
    while start < len(text) and text[start] in _LEADING_JUNK:
        start += 1  # "Số: , 2469/BNV-NV", "SỐ: ~ 1750/TB-UB": specks before the number
    rest = text[start:]
    if not rest:
        return None
    first = rest[0]
    if first.isdigit() or first in "/-–":
        return start
    if first in "OoIl|" and len(rest) > 1 and (rest[1].isdigit() or rest[1] in "/-OoIl|"):
        return start
    tokens = rest.split()
    if "/" in tokens[0] or (any(c.isdigit() for c in tokens[0]) and "-" in tokens[0]):
        return start  # "F0%/QĐ-TTg": a number spoilt by handwriting, then the symbol
    if any(t.startswith("/") and len(t) > 2 for t in tokens[1:3]):
        return start  # "FOX /QĐ-TTg", "if - /2026/TT-BCA": the handwriting, then the symbol
    return None


def _read_number(line: Line, start: int, out: dict[str, FieldReading]) -> None:
    """ "Số: 12/QĐ-UBND", "Số 36-HD/VPTW", "Số: 21/2026/TT-BCT": number, symbol, both."""
    # The text after "Số" without its spaces, and which word each of its characters is from.
    raw, owners = "", []
    for begin, end, word in _spans(line):
        if end <= start:
            continue
        piece = re.sub(r"\s+", "", line.text[max(begin, start) : end]).replace("–", "-")
        raw += piece
        owners += [word] * len(piece)
    rest_words = list(dict.fromkeys(owners))
    match = re.match(r"^(?P<number>[^/-]{0,8}?)(?P<sep>[/-])(?P<symbol>.*)$", raw)
    if match is None:
        fixed, changed = _fix_digits(raw)
        if fixed.isdigit():
            # a number with no symbol: the symbol is unread, the number quite likely by hand
            conf = min(_floor(rest_words) * (0.8 if changed else 1.0), FILLED_IN)
            out["number"] = FieldReading(str(int(fixed)), _capped(conf, rest_words), line.box)
            out["_number"] = FieldReading(True, conf, line.box)
        return
    number_text, sep = match.group("number"), match.group("sep")
    symbol = match.group("symbol").lstrip("/-")
    fixed, changed = _fix_digits(number_text)
    number_words = list(dict.fromkeys(owners[: match.end("number")]))
    symbol_words = list(dict.fromkeys(owners[match.start("symbol") :]))
    conf = _floor(number_words or rest_words) * (0.8 if changed else 1.0)
    if number_words and _filled_in_number(line, number_words[0], rest_words):
        conf = min(conf, FILLED_IN)
    symbol_fixed, symbol_factor = _repair_symbol(symbol)
    symbol_conf = _floor(symbol_words or rest_words) * symbol_factor
    if not _SYMBOL_CHARS.match(symbol_fixed or "-"):
        symbol_conf = min(symbol_conf, 0.5)
    out["_number"] = FieldReading(True, max(conf, symbol_conf), line.box)
    if fixed.isdigit():
        out["number"] = FieldReading(str(int(fixed)), _capped(conf, number_words), line.box)
    elif fixed:
        conf = min(conf, 0.3)  # "F0%": not a number
    if symbol_fixed:
        out["symbol"] = FieldReading(symbol_fixed, _capped(symbol_conf, symbol_words), line.box)
        both = f"{fixed}{sep}{symbol_fixed}" if fixed else symbol_fixed
        both_conf = min(conf, symbol_conf) if fixed else min(symbol_conf, 0.5)
        out["number_symbol"] = FieldReading(both, _capped(both_conf, rest_words), line.box)


def _put_back_d(out: dict[str, FieldReading]) -> None:
    """Đ read as D in a symbol ("NQ-HDND", "BC-GDDT", "CV/DUK"): each part of the symbol
    with a D is compared, marks aside, with the closed lists of abbreviations and with the
    initials of the issuer read on the page (HĐND from HỘI ĐỒNG NHÂN DÂN, GDĐT from GIÁO DỤC
    VÀ ĐÀO TẠO); the Đ is put back when exactly one of them fits."""
    symbol = out.get("symbol")
    if symbol is None or "D" not in str(symbol.value):
        return
    body = out.get("issuing_body")
    initials = _initials(str(body.value)) if body is not None else ""
    parts = re.split(r"([/-])", str(symbol.value))
    changed = False
    for index, part in enumerate(parts):
        if "D" not in part or part in "/-" or part.upper() in vocab.ABBREVIATION_TYPES:
            continue  # a type's code was checked against its list already (HD is Hướng dẫn)
        fits = {a for a in vocab.D_ABBREVIATIONS if vocab.fold(a) == part.lower()}
        at = vocab.fold(initials).find(part.lower()) if initials else -1
        if at >= 0 and vocab.fold(initials).find(part.lower(), at + 1) < 0:
            fits.add(initials[at : at + len(part)])
        if len(fits) == 1:
            fit = next(iter(fits))
            if fit != part and fit.upper() == fit:
                parts[index], changed = fit, True
    if not changed:
        return
    value = "".join(parts)
    for name in ("symbol", "number_symbol"):
        field = out.get(name)
        if field is not None:
            fixed = str(field.value).replace(str(symbol.value), value)
            out[name] = replace(
                field, value=fixed, confidence=round(field.confidence * REPAIRED, 3)
            )


def _initials(name: str) -> str:
    """The initials of a body's name, as its abbreviations are made: "SỞ GIÁO DỤC VÀ ĐÀO
    TẠO" gives SGDĐT ("VÀ" and hyphens are left out)."""
    return "".join(
        w[0] if w[0] == "Đ" else vocab.fold(w[0]).upper()
        for w in vocab.tokens(name)
        if w[0].isalpha() and w != "VÀ"
    )


def _filled_in_number(line: Line, number: Word, rest: list[Word]) -> bool:
    """A number written by hand into the printed "Số:      /QĐ-TTg": the number is a word of
    its own beside the printed symbol, or taller than the printed "Số"."""
    alone = not re.search(r"[/-]", number.text) and any(
        w.text.lstrip().startswith(("/", "-")) for w in rest
    )
    label = line.words[0]
    label_height = label.box[3] - label.box[1]
    number_height = number.box[3] - number.box[1]
    odd_height = label_height > 0 and not 0.7 <= number_height / label_height <= 1.4
    return alone or odd_height


def _repair_symbol(symbol: str) -> tuple[str, float]:
    """ "QĐ-UBND", "HD/VPTW": the type part checked against the closed list of abbreviations;
    returns the symbol and a factor for its confidence."""
    symbol = symbol.strip(" .,;:")
    if not symbol:
        return "", 0.0
    parts = re.split(r"([/-])", symbol)
    # The type abbreviation is the first part that is not a year.
    for index, part in enumerate(parts):
        if part in "/-" or part.isdigit():
            continue
        if part.upper() in vocab.ABBREVIATION_TYPES or len(part) > 5:
            return symbol, 1.0
        code, score = vocab.nearest(part, [c for v in vocab.DOCUMENT_TYPES.values() for c in v])
        unit = len(part) > len(code or "") and re.fullmatch(r"[A-ZĐ]+", part)
        if code and score >= 0.75 and len(part) <= 4 and not unit:
            # (clean capitals, a letter more than the code: an issuer's unit, STC is Sở Tài
            # chính, not TC; "QĐÐ" is QĐ misread)
            parts[index] = code
            return "".join(parts), 0.85
        return symbol, 0.95  # a công văn: issuer-unit, no type code
    return symbol, 0.9


def _read_date(match: re.Match[str], line: Line, out: dict[str, FieldReading]) -> None:
    text = line.text
    day_text, changed_d = _fix_digits(text[match.start("day") : match.end("day")])
    month_text, changed_m = _fix_digits(text[match.start("month") : match.end("month")])
    year_text, changed_y = _fix_digits(text[match.start("year") : match.end("year")])
    # every word from "ngày" to the year: a printed "tháng" read weakly has ink over it
    date_words = [w for a, b, w in _spans(line) if b > match.start() and a < match.end()]
    conf = _floor(date_words) * (0.8 if changed_d + changed_m + changed_y else 1.0)
    if _filled_in_date(line, match):
        conf = min(conf, FILLED_IN)
    place_text = text[: match.start()].strip(" ,.;:-")
    if place_text:
        place_words = [w for w in line.words if w.text.strip(" ,.") in place_text.split()]
        _set_place(place_text, place_words, line.box, out)
    try:
        found = date(int(year_text), int(month_text), int(day_text))
    except ValueError:
        return
    if not 1945 <= found.year <= date.today().year + 1:
        return
    out["issued_date"] = FieldReading(found.isoformat(), _capped(conf, date_words), line.box)


def _filled_in_date(line: Line, match: re.Match[str]) -> bool:
    """Day or month written by hand into "ngày … tháng …": glued to the printed word, set
    apart from it by a wide blank, or not the height and baseline of the printed year."""
    words = list(line.words)
    if any(re.match(r"^\D+\d", w.text) or re.match(r"^\d+\D{2,}", w.text) for w in words):
        return True  # "ngày23", "23tháng": a hand did not leave the printed space
    spans = _spans(line)

    def words_of(group: str) -> list[tuple[int, Word]]:
        start, end = match.start(group), match.end(group)
        return [(i, w) for i, (a, b, w) in enumerate(spans) if a < end and b > start]

    year = [w for _, w in words_of("year")]
    if not year:
        return False
    printed = year[0].box
    printed_height = max(1, printed[3] - printed[1])
    gaps = [b.box[0] - a.box[2] for a, b in itertools.pairwise(words)]
    usual = statistics.median(gaps) if gaps else 0
    for group in ("day", "month"):
        for i, word in words_of(group):
            height = word.box[3] - word.box[1]
            if not 0.85 <= height / printed_height <= 1.12:
                return True
            if abs(word.box[3] - printed[3]) > 0.2 * printed_height:
                return True  # not on the printed baseline
            left = gaps[i - 1] if i > 0 else 0
            right = gaps[i] if i < len(gaps) else 0
            if usual > 0 and max(left, right) > 3 * usual + 0.5 * printed_height:
                return True
    return False


def _set_place(text: str, words: list[Word], box: Box, out: dict[str, FieldReading]) -> None:
    """Địa danh: checked against the provinces and cities; an open name is trusted only when
    no word of it could have lost its marks."""
    repaired = vocab.repair_place(unicodedata.normalize("NFC", text))
    conf = _floor(words)
    if repaired.changed:
        conf *= REPAIRED
    if not repaired.listed:
        conf *= 0.97
        if repaired.doubtful or not all(syllables.is_syllable(w) for w in text.split()):
            conf = min(conf, UNVOUCHED)
    out["place"] = FieldReading(repaired.text, _capped(conf, words), box)


def _read_type(top: list[Line], after: Line | None, out: dict[str, FieldReading]) -> Line | None:
    """The type name: the first line under the number (or the motto) that is one of the list."""
    start = after.top if after else 0
    for line in _side_by_side(top):  # "KẾ" and "HOẠCH" a little apart in height: one row
        if line.top < start or not _is_upper_line(line) or len(line.words) > 6:
            continue
        kept, _ = _without_stamp(line)  # "MẬT | QUYẾT ĐỊNH", "BÁO CÁO KHẨN": a stamp beside
        if kept is None:
            continue
        name, score, used = _match_type(kept)
        if name and score >= 0.8:
            read = " ".join(w.text for w in used).strip(" :.")
            confidence = sum(w.confidence for w in used) / len(used) / 100.0
            if unicodedata.normalize("NFC", read) != name:
                confidence *= REPAIRED if vocab.fold(read) == vocab.fold(name) else score * 0.9
            out["document_type"] = FieldReading(name, _capped(confidence, used), line.box)
            out["_type"] = out["document_type"]
            return line
    return None


def _match_type(line: Line) -> tuple[str | None, float, tuple[Word, ...]]:
    """A type name from the closed list, printed alone or after a little noise ("A) QUYẾT ĐỊNH")."""
    best: tuple[str | None, float, tuple[Word, ...]] = (None, 0.0, ())
    words = line.words
    for start in range(0, min(3, len(words))):
        candidate = " ".join(w.text for w in words[start:]).strip(" :.")
        name = _TYPES_BY_LETTERS.get(vocab.fold(candidate))
        if name is not None:
            score = 1.0 if unicodedata.normalize("NFC", candidate.upper()) == name else 0.9
        elif len(candidate) <= _LONGEST_TYPE + 4:
            name, score = vocab.nearest(candidate, vocab.DOCUMENT_TYPES)
        else:
            continue  # longer than any type name: running text, not worth comparing
        score -= 0.03 * start
        if score > best[1]:
            best = (name, score, words[start:])
    return best


_TYPES_BY_LETTERS = {vocab.fold(name): name for name in vocab.DOCUMENT_TYPES}
_LONGEST_TYPE = max(len(name) for name in vocab.DOCUMENT_TYPES)


def _infer_type(out: dict[str, FieldReading], layout: str) -> None:
    """No type name read: the symbol's abbreviation names it (uncertain: a Party QĐ may be an
    older Quy định, TT a Thông tư or a Thông tri); no abbreviation makes a công văn."""
    if "document_type" in out or "symbol" not in out:
        return
    symbol = out["symbol"]
    codes = [p for p in re.split(r"[/-]", str(symbol.value)) if p and not p.isdigit()]
    if not codes:
        return
    code = codes[0].upper()
    name = vocab.ABBREVIATION_BY_LAYOUT.get((code, layout)) or vocab.ABBREVIATION_TYPES.get(code)
    if name is None:
        name = "CÔNG VĂN"
    out["document_type"] = FieldReading(name, round(min(symbol.confidence, 0.7), 3), None)


def _split_mottos(lines: list[Line]) -> list[Line]:
    """A row where the issuer and the motto ran together is cut where the motto begins."""
    out: list[Line] = []
    for line in lines:
        words = line.words
        cut = None
        for i in range(1, len(words) - 1):
            head = vocab.fold(" ".join(w.text for w in words[i : i + 3]))
            if head.startswith(("cong hoa xa", "dang cong san")):
                cut = i
                break
        if cut:
            out += [Line(words[:cut]), Line(words[cut:])]
        else:
            out.append(line)
    return sorted(out, key=lambda x: (x.top, x.box[0]))


# --- trích yếu ---------------------------------------------------------------------------------


def _read_summary(
    lines: list[Line],
    type_line: Line | None,
    number_line: Line | None,
    out: dict[str, FieldReading],
    width: int,
    layout: str,
) -> None:
    """Trích yếu: the lines centred under the type name, or a công văn's "V/v …" under the
    number; a stamp's words beside them are left out. With neither, a "Về …" line under the
    number is taken, but not trusted (the type name OCR missed may have been something else)."""
    if type_line is not None:
        picked, spoilt = _summary_lines(lines, type_line, width, with_head=False)
        # a state trích yếu opens with a capital ("Về việc …"), so a lower-case start lost its
        # head; a Party one may open in lower case ("QUY ĐỊNH / về công tác văn thư")
        if picked and layout == "state" and not picked[0].words[0].text[:1].isupper():
            spoilt = True
    elif number_line is not None:
        _read_vv(lines, number_line, out)
        if "summary" in out:
            return
        head = next(
            (
                line
                for line in lines
                if number_line.box[3] < line.top < number_line.top + 10 * number_line.height
                and line.text.startswith(("V", "v"))  # "Về việc", the Party's "về"
                and vocab.fold(line.text).startswith("ve ")
            ),
            None,
        ) or _cong_van_head(lines, number_line, out)
        if head is None:
            return
        picked, _ = _summary_lines(lines, head, width, with_head=True)
        spoilt = True
    else:
        return
    if picked:
        _set_summary(picked, out, spoilt=spoilt or _smudged(picked, lines))


def _cong_van_head(
    lines: list[Line], number_line: Line, out: dict[str, FieldReading]
) -> Line | None:
    """A công văn (its symbol names no other type) whose trích yếu is printed under the
    number without "V/v" (HD 36 allows it, and OCR may lose the "V/v"): the first line right
    under the number, in its column, that reads as a phrase. Never trusted: without "V/v"
    nothing but its place says it is the trích yếu."""
    symbol = out.get("symbol")
    if symbol is None:
        return None
    codes = [p for p in re.split(r"[/-]", str(symbol.value)) if p and not p.isdigit()]
    if codes and codes[0].upper() in vocab.ABBREVIATION_TYPES and codes[0].upper() != "CV":
        return None
    for line in lines:
        if line.top <= number_line.box[3]:
            continue
        if line.top - number_line.box[3] > 2.5 * number_line.height:
            return None
        if abs(line.centre - number_line.centre) > 4 * number_line.height:
            continue  # the arrival stamp, a note, the date's column
        text = line.text
        if (
            len(line.words) < 2
            or not text[:1].isalpha()
            or _is_upper_line(line)
            or _BODY_OPENS.match(text)  # "Thực hiện chế độ báo cáo …" may be the trích yếu
            or vocab.fold(text).startswith("kinh gui")
            or line.mean_confidence < 0.6
        ):
            return None
        return line
    return None


def _summary_lines(
    lines: list[Line], head: Line, width: int, with_head: bool
) -> tuple[list[Line], bool]:
    """The lines from under `head` (or from it) while they follow closely, centred on it;
    and whether a stamp's words were cut from them."""
    picked: list[Line] = []
    dropped = False
    anchor = head
    for line in lines:
        if line.top < head.top or (line.top == head.top and not with_head):
            continue
        if line is not head and (
            line.top < head.box[3] - 0.5 * head.height or set(line.words) & set(head.words)
        ):
            continue  # beside the head, not under it (a stamp, a word of the head's own row)
        previous = picked[-1] if picked else anchor
        gap = line.top - previous.box[3]
        if line is not head and (
            gap > (0.6 if picked else 1.2) * previous.height or len(picked) >= 5
        ):
            break  # the body starts after a wider blank than between the trích yếu's lines
        kept, cut = _without_stamp(line)
        if kept is not None and any(_FRAME.match(w.text.strip(" .,:;")) for w in kept.words):
            kept, cut = _framed_part(kept, head), True  # an arrival stamp's box on the row
        if kept is not None:
            kept, apart = _without_ends_apart(kept)
            cut = cut or apart
        if kept is None:
            dropped = dropped or cut
            continue
        reach = min(0.25 * (head.box[2] - head.box[0]) + 8 * head.height, 0.15 * width)
        if abs(kept.centre - head.centre) > reach:
            continue  # a stamp or a note in the margin beside the trích yếu
        if _is_upper_line(kept) and not picked and vocab.fold(kept.text).startswith("cua "):
            anchor = kept  # "QUYẾT ĐỊNH / CỦA ỦY BAN NHÂN DÂN TỈNH X": the title goes on
            continue
        opens = _BODY_START if picked else _BODY_OPENS
        if opens.match(kept.text) or (_is_upper_line(kept) and picked):
            break
        if set(kept.text) <= set("-_—–. "):
            break
        if kept.mean_confidence < 0.5:
            continue  # handwriting or a seal's text over the lines
        picked.append(kept)
        dropped = dropped or cut
    return picked, dropped


def _without_ends_apart(line: Line) -> tuple[Line, bool]:
    """The line without a word at either end that print would not have set there: much
    taller than the line's words (a date written by hand on an arrival stamp, "14/6/2014"),
    or set apart by a blank several times the line's spacing. Whether one was cut."""
    words = list(line.words)
    cut = False
    while len(words) >= 4:
        heights = sorted(w.box[3] - w.box[1] for w in words)
        usual = heights[len(heights) // 2]
        gaps = sorted(b.box[0] - a.box[2] for a, b in itertools.pairwise(words))
        spacing = max(gaps[len(gaps) // 2], 1)
        for index, neighbour in ((0, 1), (-1, -2)):
            word, other = words[index], words[neighbour]
            gap = other.box[0] - word.box[2] if index == 0 else word.box[0] - other.box[2]
            tall = word.box[3] - word.box[1] > 1.6 * usual
            if tall or gap > max(3 * spacing, 0.8 * usual):
                words.pop(index)
                cut = True
                break
        else:
            break
    return (Line(tuple(words)) if cut else line), cut


def _framed_part(line: Line, head: Line) -> Line | None:
    """The part of a row between a stamp's frame strokes ("DEN | 3/3/2024 | Phê duyệt …")
    that stands under the head: a boxed arrival stamp beside the trích yếu ran into it."""
    parts: list[list[Word]] = [[]]
    for word in line.words:
        if _FRAME.match(word.text.strip(" .,:;")):
            parts.append([])
        else:
            parts[-1].append(word)
    kept = [Line(tuple(p)) for p in parts if p]
    return min(kept, key=lambda p: abs(p.centre - head.centre), default=None)


def _smudged(picked: list[Line], lines: list[Line]) -> bool:
    """Unreadable ink right at either end of a trích yếu line (a word OCR could only read as
    a speck, in a segment of its own): the line may have lost a word there."""
    for line in picked:
        for other in lines:
            if other in picked or other.mean_confidence >= 0.6:
                continue
            overlap = min(other.box[3], line.box[3]) - max(other.box[1], line.box[1])
            gap = max(other.box[0] - line.box[2], line.box[0] - other.box[2])
            if overlap > 0.5 * min(other.height, line.height) and gap < 3 * line.height:
                return True
    return False


def _read_vv(lines: list[Line], number_line: Line, out: dict[str, FieldReading]) -> None:
    """A công văn's "V/v …" (về việc) under its number: only when the symbol names no other
    type (a state công văn's symbol is issuer-unit, a Party one's carries CV)."""
    symbol = out.get("symbol")
    if symbol is not None:
        codes = [p for p in re.split(r"[/-]", str(symbol.value)) if p and not p.isdigit()]
        if codes and codes[0].upper() in vocab.ABBREVIATION_TYPES and codes[0].upper() != "CV":
            return
    for line in lines:
        if not number_line.top <= line.top < number_line.top + 8 * number_line.height:
            continue
        if len(line.words) < 2 or not _VV_WORD.match(line.words[0].text.strip()):
            continue
        if not line.words[1].text[:1].islower() or line.box[0] > number_line.box[2]:
            continue  # "V/v" opens a lower-case phrase, under the number
        first, spoilt = _without_stamp(line)  # "V/v … năm 2015 [1 ˆ'MẬT": a stamp beside
        if first is None or len(first.words) < 2:
            continue
        picked = [first]
        for following in lines:
            if (
                following.top > picked[-1].top
                and following.top - picked[-1].box[3] < 1.2 * line.height
                and (
                    abs(following.box[0] - line.box[0]) < 6 * line.height
                    or abs(following.centre - line.centre) < 3 * line.height
                )
                and not _BODY_START.match(following.text)
                and not _is_upper_line(following)  # an arrival stamp's "VĂN THƯ ĐẾN"
                and len(picked) < 6
            ):
                kept, cut = _without_stamp(following)  # "[1 ui MAT": a stamp
                if kept is None or kept.box[2] > first.box[2] + 8 * line.height:
                    continue
                if cut and (len(kept.words) < 2 or _stamp_junk(kept.words[0])):
                    continue  # the stamp's own row, no line of the trích yếu
                picked.append(kept)
                spoilt = spoilt or cut
        vv_conf = line.words[0].confidence / 100.0
        out["_vv"] = FieldReading(True, vv_conf, line.box)
        out["document_type"] = FieldReading(
            "CÔNG VĂN", _capped(min(vv_conf, line.mean_confidence), line.words[:1]), None
        )
        _set_summary(picked, out, vv=True, spoilt=spoilt)
        return


def _stamp_word(word: Word) -> bool:
    """A stamp's word: MẬT, KHẨN, HỎA TỐC in capitals (with specks of its frame glued on,
    "ˆ'MẬT"), or its frame read as "|"."""
    text = word.text.strip(" .,:;")
    if _FRAME.match(text):
        return True
    letters = "".join(c for c in text if c.isalpha() and c.lower() != c.upper())  # cased
    return len(letters) >= 2 and letters.isupper() and vocab.fold(letters) in _MARK_WORDS


def _stamp_junk(word: Word) -> bool:
    """What OCR makes of a stamp's frame and ink beside its word ("[1", "ui", "|"): no
    syllable, no plain number, or a weak short read."""
    text = word.text.strip(" .,:;")
    if not text or _FRAME.match(text):
        return True
    if text.isdigit():
        return False
    if not text.isalpha():
        return True
    return not syllables.is_syllable(text) or (word.confidence < 60 and len(text) <= 2)


def _without_stamp(line: Line) -> tuple[Line | None, bool]:
    """The line without a stamp's words at either end (MẬT, KHẨN, its frame read as "|"),
    and the junk of its frame between them and the line's own words ("… năm 2015 [1 MẬT")."""
    words = list(line.words)
    cut = False
    while words and _stamp_word(words[0]):
        words.pop(0)
        cut = True
        while words and _stamp_junk(words[0]) and not _stamp_word(words[0]):
            words.pop(0)
    while words and _stamp_word(words[-1]):
        words.pop()
        cut = True
        while words and _stamp_junk(words[-1]) and not _stamp_word(words[-1]):
            words.pop()
    return (Line(tuple(words)) if words else None), cut


def _set_summary(
    picked: list[Line], out: dict[str, FieldReading], vv: bool = False, spoilt: bool = False
) -> None:
    """The trích yếu's text and how far to trust it: within 5 % of the printed characters
    is right, so a word or two with marks OCR may have dropped (`_suspicious`) already make
    it doubtful; specks of a seal or of handwriting in the line are left out. `vv`: the
    first word is a công văn's "V/v" (về việc), which opens the trích yếu but is not part of
    it. `spoilt`: a stamp's words were cut from it, or it may have lost a word."""
    read = [w for p in picked for w in p.words][1 if vv else 0 :]
    words = [w for w in read if not _speck(w)]
    if not words:
        return
    text, confidence, doubtful = _summary_text(words)
    if not text:
        return
    spoilt = spoilt or len(words) < len(read)
    if spoilt:
        confidence = min(confidence, UNVOUCHED)
    box = _union(p.box for p in picked)
    out["summary"] = FieldReading(text, confidence, box)
    # what a re-read of the lines' region (`reread_summary`) needs: how damaged the words
    # are (doubtful ones, a line read twice over itself), "V/v", the lines' height
    height = statistics.median(p.height for p in picked)
    twice = _overlapping(words)
    out["_summary_read"] = FieldReading(
        (doubtful, len(twice), vv, spoilt, height, _sure_words(words, twice)), confidence, box
    )


def _summary_text(words: Sequence[Word]) -> tuple[str, float, int]:
    """The text of a trích yếu's words, its confidence, and how many words are doubtful."""
    text = " ".join(syllables.unglue(w.text) for w in words)
    text = unicodedata.normalize("NFC", re.sub(r"\s+", " ", text).strip(" -–—_"))
    if not text:
        return "", 0.0, 0
    confidence = sum(w.confidence for w in words) / len(words) / 100.0 * 0.95
    # a word OCR ran together and split again counts twice: the split is a guess; the first
    # word is capitalised for its place, not as a name ("Phan bổ" is Phân bổ with lost marks)
    doubtful = sum(_suspicious(w) + (syllables.unglue(w.text) != w.text) for w in words)
    doubtful += not _suspicious(words[0]) and _suspicious(
        replace(words[0], text=words[0].text.lower())
    )
    if doubtful >= 2:
        confidence = min(confidence, UNVOUCHED)
    elif doubtful:
        confidence *= 0.96
    return text, _capped(confidence, words), doubtful


def _overlapping(words: Sequence[Word]) -> list[tuple[Word, Word]]:
    """Neighbouring words whose boxes lie over each other by half the narrower one: OCR read
    the line twice, shifted ("ve ề to tổ chức chức")."""
    pairs = []
    for a, b in itertools.pairwise(words):
        if abs(a.box[1] - b.box[1]) > a.box[3] - a.box[1]:
            continue  # the next line
        overlap = min(a.box[2], b.box[2]) - max(a.box[0], b.box[0])
        if overlap > 0.5 * min(a.box[2] - a.box[0], b.box[2] - b.box[0]):
            pairs.append((a, b))
    return pairs


def _sure_words(words: Sequence[Word], twice: list[tuple[Word, Word]]) -> frozenset[str]:
    """The words of a trích yếu read surely (strongly, legal, not over another word): a
    re-read of its region must have them too."""
    over = {w for pair in twice for w in pair}
    return frozenset(
        _bare(w.text)
        for w in words
        if w.confidence >= 85 and not _suspicious(w) and w not in over and _bare(w.text)
    )


def reread_summary(header: dict[str, FieldReading], image: np.ndarray, dpi: float) -> bool:
    """A trích yếu whose words look damaged (a doubtful word, a line read twice over itself)
    read again from its lines' region alone, as one block at about 300 dpi: the page's OCR
    may have split the region oddly or been misled by what stands beside it. The re-read is
    taken when it is better by the same measures (fewer doubtful words) and still says the
    same thing; a stamp cut from the lines or a word lost keeps it below the threshold.
    Returns whether the region was re-read (a few tens of ms, on damaged first pages only)."""
    info, summary = header.get("_summary_read"), header.get("summary")
    if info is None or summary is None or info.box is None:
        return False
    damage, twice, vv, spoilt, line_height, sure = info.value
    if not damage + twice:
        return False
    x0, y0, x1, y1 = info.box
    pad_y, pad_x = round(0.3 * line_height), round(0.6 * line_height)
    crop = image[max(0, y0 - pad_y) : y1 + pad_y, max(0, x0 - pad_x) : x1 + pad_x]
    if crop.size == 0:
        return False
    if crop.ndim == 3:
        crop = cv2.cvtColor(crop, cv2.COLOR_RGB2GRAY)
    scale = 300.0 / dpi if dpi else 1.0
    if scale > 1.2:
        crop = cv2.resize(crop, None, fx=scale, fy=scale, interpolation=cv2.INTER_CUBIC)
    text, mean = tools.read_small(np.ascontiguousarray(crop), languages=("vie",), psm=6)
    tokens = [t for row in text.splitlines() for t in _without_edge_specks(row.split())]
    if tokens and (_VV_WORD.match(tokens[0]) or (vv and not syllables.is_syllable(tokens[0]))):
        tokens = tokens[1:]  # "V/v", or what OCR made of its italic ("V⁄%w")
    words = [Word(t, (0, 0, 0, 0), mean) for t in tokens]
    if not "".join(tokens).strip(" -–—_"):
        return True
    new_text, confidence, doubtful = _summary_text(words)
    # the words the page's OCR read well must be in the re-read: none lost at the crop's
    # edge, no line more or less
    missing = len(sure - {_bare(w) for w in new_text.split()})
    if (
        doubtful >= damage + twice
        or missing > 0.1 * len(sure)
        or len(new_text.split()) > len(str(summary.value).split()) + 1
    ):
        return True  # no better, or another text (a line more or less, the stamp beside)
    if spoilt:
        confidence = min(confidence, UNVOUCHED)
    header["summary"] = FieldReading(new_text, confidence, summary.box)
    return True


def _without_edge_specks(tokens: list[str]) -> list[str]:
    """A re-read row without the short non-words at its ends that ink beside the lines
    made ("jJ Lưu trữ …"); a hyphen, a number or an abbreviation (TW, VP) stays."""

    def speck(token: str) -> bool:
        text = token.strip(' ,.;:()"“”')
        return (
            len(text) <= 3
            and any(c.isalpha() for c in text)
            and not any(c.isdigit() for c in text)
            and not syllables.is_syllable(text)
            and not text.isupper()
        )

    while tokens and speck(tokens[0]):
        tokens = tokens[1:]
    while tokens and speck(tokens[-1]):
        tokens = tokens[:-1]
    return tokens


def _bare(text: str) -> str:
    """A word's letters, marks aside: a re-read may well put back marks the page's OCR lost."""
    return vocab.fold(text.strip(' ,.;:()"“”'))


# Syllables often printed without any mark; others unmarked in lower case ("tac", "tai",
# "don", "nam") are nearly always marked words whose marks OCR lost (tác, tại, đơn, năm).
_PLAIN_SYLLABLES = frozenset(
    """an anh ba ban bao bay cam cao cho chi chung con danh doanh dung duy gia giai gian
    giang giao hai hay khai khi kho khoa khu kinh lao long mai minh mua nhau ninh qua quan
    quang quy sau sinh sung thanh theo thi thu tin tra trang tranh trong trung tuy xe xin
    y""".split()  # noqa: SIM905  (a list of words reads as one)
)


def _suspicious(word: Word) -> bool:
    """A word of running text OCR may have misread: weakly read, not a syllable, or a lower-case
    syllable without marks that usually has them. Capitalised names are left alone."""
    text = word.text.strip(' ,.;:()"“”')
    if not text.isalpha():
        return word.confidence < 80
    if word.confidence < 80 or not syllables.is_syllable(text):
        return True
    lower = text.lower()
    return text == lower and vocab.fold(lower) == lower and lower not in _PLAIN_SYLLABLES


def _speck(word: Word) -> bool:
    """A mark of a seal, a signature or a stamp's frame read as a word."""
    text = word.text.strip(" ,.;:")
    if word.confidence >= 60 or not text:
        return not text
    return not text.isdigit() and not syllables.is_syllable(text)


# --- the issuing body ------------------------------------------------------------------------

# Words that open the name of a body; a line that does not open with one continues the
# name above it ("ỦY BAN NHÂN DÂN" / "TỈNH BẮC NINH", "SỞ VĂN HÓA, THỂ THAO" / "VÀ DU LỊCH").
_HEADS = tuple(
    tuple(vocab.tokens(h))
    for h in (
        "TỈNH ỦY", "THÀNH ỦY", "HUYỆN ỦY", "QUẬN ỦY", "THỊ ỦY", "ĐẢNG ỦY", "ĐẢNG BỘ", "CHI BỘ",
        "ĐẢNG ĐOÀN", "BAN CÁN SỰ", "BAN CHẤP HÀNH", "BỘ CHÍNH TRỊ", "BAN BÍ THƯ", "ỦY BAN",
        "HỘI ĐỒNG", "UBND", "HĐND", "CHÍNH PHỦ", "THỦ TƯỚNG", "VĂN PHÒNG", "QUỐC HỘI", "BỘ",
        "SỞ", "CỤC", "CHI CỤC", "TỔNG CỤC", "VỤ", "VIỆN", "TRUNG TÂM", "PHÒNG", "BAN",
        "THANH TRA", "TÒA ÁN", "CÔNG AN", "KIỂM TOÁN", "NGÂN HÀNG", "KHO BẠC", "TRƯỜNG",
        "BỆNH VIỆN", "LIÊN ĐOÀN", "ĐOÀN", "HỘI", "MẶT TRẬN", "CHI NHÁNH", "ĐÀI",
    )
)  # fmt: skip


def _opens_body(name: str) -> bool:
    words = vocab.tokens(name)
    return any(tuple(words[: len(h)]) == h for h in _HEADS)


def _read_issuer(
    top: list[Line],
    motto_line: Line | None,
    below: Line | None,
    out: dict[str, FieldReading],
) -> None:
    """The issuing body: the upper-case lines above "Số", beside or above the motto, as one
    block; its lowest body first, then the bodies above it ("TỈNH ỦY NGHỆ AN" / "VĂN PHÒNG"
    is VĂN PHÒNG TỈNH ỦY NGHỆ AN), each part repaired against the lists.

    `below` is the number line (or the date line when no number was read): the issuer
    stands above it."""
    if below is not None:
        limit = below.top
    elif motto_line is not None:
        limit = motto_line.box[3] + 3 * motto_line.height
    else:
        return
    motto_box = motto_line.box if motto_line else None
    candidates = []
    for line in top:
        if line.top >= limit:
            break
        if not _is_upper_line(line) or line is motto_line:
            continue
        text = line.text.upper()
        if (
            vocab.similarity(text, vocab.MOTTO_STATE) > 0.6
            or vocab.similarity(text, vocab.MOTTO_PARTY) > 0.7
        ):
            continue
        if motto_box and line.box[0] >= motto_box[0] - 10 and line.top >= motto_box[1] - 5:
            continue  # right column, under the motto
        if not any(c.isalpha() for c in text):
            continue
        if sum(c.isalpha() for c in text) <= 4 and line.mean_confidence < 0.6:
            continue  # the rule under the name, read as "TTT"
        if vocab.fold(text).strip(" :.") in _TYPES_BY_LETTERS:
            continue  # a type name ("THONG BAO") is never an issuer
        if set(vocab.fold(text).strip(" :.|[]").split()) <= _MARK_WORDS:
            continue  # nor is a secrecy or urgency stamp (MẬT, HỎA TỐC)
        candidates.append(line)
    picked = _issuer_block(candidates)
    if not picked:
        return
    # Which lines open a body and which go on with the one above, judged on repaired lines;
    # then each body's lines repaired together ("VĂN HÓA," / "THỂ THAO VÀ DU LỊCH" is one
    # phrase of the lists).
    units: list[list[str]] = []
    for line in picked:
        text = re.sub(r"[*_|]", " ", line.text)
        if units and not _opens_body(vocab.repair_name(text).text):
            units[-1].append(text)
        else:
            units.append([text])
    changed = doubtful = 0
    parts = []
    for unit in reversed(units):
        repaired = vocab.repair_name(" ".join(unit))
        changed += repaired.changed
        doubtful += not repaired.vouched
        if repaired.text:
            parts.append(repaired.text)
    name = _compose_issuer(parts)
    words = [w for line in picked for w in line.words if any(c.isalpha() for c in w.text)]
    confidence = min(line.mean_confidence for line in picked)
    if changed:
        confidence *= REPAIRED
    if doubtful:
        # a word outside the lists of organ and place names, or one several fit: OCR damage
        # is likely, and only the fonds' own list of bodies (describe) can vouch for it
        confidence = min(confidence, UNVOUCHED)
    if _incomplete_issuer(name, out.get("symbol")):
        confidence = min(confidence, UNVOUCHED)
    box = _union(p.box for p in picked)
    out["issuing_body"] = FieldReading(
        unicodedata.normalize("NFC", name), _capped(confidence, words), box
    )


def _incomplete_issuer(name: str, symbol: FieldReading | None) -> bool:
    """A name that lost lines: a level word with no territory after it ("UBND TỈNH"), or only
    the superior line ("ỦY BAN NHÂN DÂN TỈNH X", "ĐẢNG BỘ TỈNH X") when the symbol says a
    lower body issued it (a committee's own papers carry UB or UBND in their symbol)."""
    if any(name == level or name.endswith(" " + level) for level in _TERRITORY_LEVELS):
        return True
    if name.startswith("ĐẢNG BỘ"):
        return True
    if name.startswith(("ỦY BAN NHÂN DÂN", "UBND")) and symbol is not None:
        parts = re.split(r"[/-]", str(symbol.value))
        return not any(part.upper().startswith("UB") for part in parts)
    return False


# A People's Committee or a Party organisation of a territory, above a body of that territory:
# it adds only the territory to the name ("UBND TỈNH X" / "SỞ Y" is SỞ Y TỈNH X).
_UMBRELLAS = ("ỦY BAN NHÂN DÂN", "UBND", "ĐẢNG BỘ")
_TERRITORY_LEVELS = tuple(sorted(vocab.UNIT_WORDS, key=len, reverse=True))


def _compose_issuer(parts: list[str]) -> str:
    """One name from the bodies of a header block, the lowest first: each body above adds its
    name ("TỈNH ỦY NGHỆ AN" / "VĂN PHÒNG" is VĂN PHÒNG TỈNH ỦY NGHỆ AN), except a People's
    Committee or a Đảng bộ, which adds only its territory, the level word said once
    ("ĐẢNG BỘ TỈNH X" / "ĐẢNG ỦY KHỐI CÁC CƠ QUAN TỈNH" is ĐẢNG ỦY KHỐI CÁC CƠ QUAN TỈNH X).
    A committee's own office keeps its name whole (VĂN PHÒNG UBND TỈNH X)."""
    name = parts[0].strip(" ,") if parts else ""
    for above in parts[1:]:
        above = above.strip(" ,")
        for umbrella in _UMBRELLAS:
            territory = above.removeprefix(umbrella + " ")
            if territory == above or name == "VĂN PHÒNG":
                continue
            level = next((w for w in _TERRITORY_LEVELS if territory.startswith(w + " ")), None)
            if level is None:
                continue
            if name.endswith(" " + level):
                territory = territory.removeprefix(level + " ")
            above = territory
            break
        name = f"{name} {above}".strip()
    return name


def _issuer_block(candidates: list[Line]) -> list[Line]:
    """The lines that make one block: from the lowest upwards while they follow each other
    closely (a stray mark or handwritten note above the header is not part of the name)."""
    if not candidates:
        return []
    candidates = _side_by_side(candidates)
    block = [candidates[-1]]
    for line in reversed(candidates[:-1]):
        upper = block[0]
        gap = upper.top - line.box[3]
        height = min(line.height, upper.height)
        if gap > 1.6 * max(height, 1) or line.height > 2.5 * upper.height:
            break
        if abs(line.centre - upper.centre) > 0.6 * max(
            line.box[2] - line.box[0], upper.box[2] - upper.box[0]
        ):
            break
        block.insert(0, line)
    return block[-4:]


def _side_by_side(lines: list[Line]) -> list[Line]:
    """Pieces of one printed row that grouping kept apart ("VAN" and a "PHONG" whose box
    took in the asterisk under it): overlapping by half their height, a short gap apart."""
    out: list[Line] = []
    for line in lines:
        for i, other in enumerate(out):
            overlap = min(other.box[3], line.box[3]) - max(other.box[1], line.box[1])
            gap = max(line.box[0] - other.box[2], other.box[0] - line.box[2])
            shorter = min(line.height, other.height)
            if overlap >= 0.5 * shorter and gap < 1.5 * shorter:
                merged = sorted((*other.words, *line.words), key=lambda w: w.box[0])
                out[i] = Line(tuple(merged))
                break
        else:
            out.append(line)
    return sorted(out, key=lambda x: (x.top, x.box[0]))


def _check_place(out: dict[str, FieldReading]) -> None:
    """A provincial body's place is its province. A place one letter from the issuer's
    province is taken for it (a guess, not trusted); when the two name different provinces
    one of them is misread, and neither is trusted."""
    place, body = out.get("place"), out.get("issuing_body")
    if place is None or body is None:
        return
    province = vocab.province_of(str(body.value))
    if province is None:
        return
    place_key = tuple(vocab.fold(w) for w in vocab.tokens(str(place.value)) if w not in "-–")
    if not vocab.in_places(place_key):
        if vocab.near_province(str(place.value), province):
            name = vocab.place_name(province)
            out["place"] = replace(place, value=name, confidence=min(place.confidence, UNVOUCHED))
        return
    if " ".join(place_key) in vocab.PROVINCE_KEYS and " ".join(place_key) != province:
        # (a city is no contradiction: THÀNH ỦY VINH of TỈNH NGHỆ AN dates its papers Vinh)
        for name in ("place", "issuing_body"):
            field = out[name]
            out[name] = replace(field, confidence=min(field.confidence, UNVOUCHED))


# --- the closing block -----------------------------------------------------------------------


def _read_closing(lines: list[Line], width: int, height: int) -> dict[str, FieldReading]:
    """Signature block (chức vụ, họ tên) and the "Nơi nhận:" list, when the page has them."""
    out: dict[str, FieldReading] = {}
    recipients_at = next(
        (i for i, line in enumerate(lines) if vocab.fold(line.text).startswith("noi nh")), None
    )
    if recipients_at is not None:
        head = lines[recipients_at]
        items: list[str] = []
        boxes = [head.box]
        for line in lines[recipients_at + 1 :]:
            if line.box[0] > head.box[0] + width * 0.25 or line.top > head.box[3] + height * 0.3:
                continue
            text = line.text.strip()
            if text.startswith(("-", "–", "•")):
                items.append(text.lstrip("-–• ").rstrip(";.").strip())
                boxes.append(line.box)
            elif items and line.top - boxes[-1][3] < 1.5 * line.height:
                items[-1] = f"{items[-1]} {text.rstrip(';.')}"
                boxes.append(line.box)
        if items:
            conf = head.mean_confidence * 0.9
            out["recipients"] = FieldReading(items, round(conf, 3), _union(boxes))
        _read_signer(lines, head, width, out)
    return out


def _read_signer(
    lines: list[Line], recipients: Line, width: int, out: dict[str, FieldReading]
) -> None:
    """The signature block, right of "Nơi nhận" or above it: the title in capitals, the space
    for the signature and seal, the signer's name."""
    unit = max(recipients.height, 1)
    block = [
        line
        for line in lines
        if line.centre > width * 0.5
        and line.box[0] > recipients.box[0] + width * 0.2
        and recipients.top - 16 * unit <= line.top <= recipients.top + 16 * unit
    ]
    names = [line for line in block if _looks_like_name(line)]
    if not names:
        return
    name = names[-1] if names[-1].top > recipients.top else names[0]
    name = max(
        (n for n in names if n.top >= name.top - unit),
        key=lambda n: (n.mean_confidence, -n.top),
    )
    titles: list[Line] = []
    for line in reversed([b for b in block if b.box[3] <= name.top]):
        if line.mean_confidence < 0.6 or not any(_word_read(w) for w in line.words):
            continue  # the signature and the seal over it ("fi ” `", "x", "Š ae Ly")
        if not _is_upper_line(line) or len(line.words) > 8:
            break
        if titles and titles[0].top - line.box[3] > 1.5 * line.height:
            break
        if not titles and name.top - line.box[3] > 12 * unit:
            break
        titles.insert(0, line)
    if titles:
        repaired = vocab.repair_name(" ".join(t.text for t in titles), titles=True)
        words = [w for t in titles for w in t.words]
        conf = min(t.mean_confidence for t in titles) * (REPAIRED if repaired.changed else 1.0)
        if not repaired.vouched:
            conf = min(conf, UNVOUCHED)
        text, deputy_read = _deputy(titles, repaired.text)
        if not deputy_read or _cut_at_left(titles, lines):
            conf = min(conf, UNVOUCHED)
        out["signer_title"] = FieldReading(
            text, _capped(conf * 0.95, words), _union(t.box for t in titles)
        )
    text, conf = _person_name([w.text.strip(" .,;:") for w in name.words])
    out["signer_name"] = FieldReading(
        text, _capped(_floor(name.words) * conf, name.words), name.box
    )


def _cut_at_left(titles: list[Line], lines: list[Line]) -> bool:
    """A title line with ink left out just at its left on its row ("CHI" under the seal,
    read weakly, beside "CỤC TRƯỞNG"): the title may have lost its first word."""
    for title in titles:
        for other in lines:
            if other is title or other in titles or not any(c.isalpha() for c in other.text):
                continue
            overlap = min(other.box[3], title.box[3]) - max(other.box[1], title.box[1])
            gap = title.box[0] - other.box[2]
            if overlap > 0.5 * min(other.height, title.height) and -title.height < gap < (
                2 * title.height
            ):
                return True
    return False


def _word_read(word: Word) -> bool:
    """A word OCR read with some certainty: two letters or more, a syllable or an
    abbreviation (TM., KT.), not a mark of the signature or of the seal."""
    text = word.text.strip(" .,;:")
    letters = sum(c.isalpha() for c in text)
    return (
        word.confidence >= 80
        and letters >= 2
        and (
            syllables.is_syllable(text)
            or vocab.canonical_marks(text.upper()) in vocab.KNOWN_WORDS
            or text.isupper()
        )
    )


_PERSON_TITLES = frozenset(
    t for t in vocab.TITLE_PHRASES if not t.endswith((".", "/")) and t not in ("PHÓ", "TRƯỞNG")
)
_SIGNS_FOR = re.compile(r"^(?P<head>(?:.* )?(?:KT\.|K/T) )(?P<title>[^ ].*)$")


def _deputy(titles: list[Line], text: str) -> tuple[str, bool]:
    """ "KT. CHỦ TỊCH" (ký thay) is signed by the deputy, whose title follows on its own line:
    PHÓ CHỦ TỊCH, THỨ TRƯỞNG for a BỘ TRƯỞNG. Returns the title, its deputy line put in when
    OCR lost it or part of it (under a seal), and whether the title was read whole: a title
    that ends in a signing prefix's line ("T/M BAN THƯỜNG VỤ") or in no one's title ("VĂN
    PHÒNG", its CHÁNH lost) was not."""
    lines = [vocab.repair_name(t.text, titles=True).text for t in titles]
    at = next((i for i, t in enumerate(lines) if re.match(r"^(KT\.|K/T) ", t)), None)
    if at is not None:
        whole = " ".join(lines[: at + 1])
        match = _SIGNS_FOR.match(whole)
        if match is not None and text[: len(whole)] == whole:
            signs_for = match.group("title").split(", ")[-1]
            expected = "THỨ TRƯỞNG" if signs_for == "BỘ TRƯỞNG" else f"PHÓ {signs_for}"
            read = text[len(whole) :].strip()
            if read == expected:
                return text, True
            first, _, after = read.partition(" ")
            if (
                not read
                or expected.endswith(" " + read)
                or (len(first) <= 3 and expected.endswith(after))
            ):
                return f"{whole} {expected}", False  # "RHO CHỦ TỊCH", "Ó TRƯỞNG BAN": PHÓ misread
            return text, False
    if re.match(r"^(TM\.|T/M|TL\.|T/L|Q\.|TUQ\.)( |$)", lines[-1]):
        return text, False  # "T/M BAN THƯỜNG VỤ" signs for the body: the own title is lost
    if len(lines) > 1 and lines[-1].removeprefix("PHÓ ") not in _PERSON_TITLES:
        return text, False  # "T/L BAN THƯỜNG VỤ" / "VĂN PHÒNG": CHÁNH lost, no one's title
    return text, True


def _person_name(words: list[str]) -> tuple[str, float]:
    """A signer's name, its marks put back where one name alone fits the letters, and a factor
    for its confidence: the họ is a closed list (Lê is the only one spelt LE), the other names
    are not, so a name with a word outside the common ones, or one put right, is a guess."""
    family, *rest = (unicodedata.normalize("NFC", w) for w in words)
    factor = 0.95
    known = vocab.FAMILY_NAMES.get(vocab.fold(family))
    if known is None:
        factor = min(factor, UNVOUCHED)
    elif known != family:
        family, factor = known, factor * REPAIRED
    names = [family]
    for index, word in enumerate(rest):
        if vocab.canonical_marks(word.upper()) in vocab.NAME_WORDS_UPPER:
            names.append(word)
            if len(vocab.NAME_WORDS_BY_LETTERS.get(word.lower(), ())) > 1:
                factor = min(factor, UNVOUCHED)  # "Hoa" unmarked: or Hòa with its mark lost
            continue
        factor = min(factor, UNVOUCHED)  # a name outside the common ones: OCR may have slipped
        letters = vocab.fold(word)
        if index < len(rest) - 1:  # a middle name: "Van" is Văn, "Quéc" is Quốc
            fits = tuple(m for m in vocab.MIDDLE_NAMES if vocab.fold(m) == letters)
            if not fits:
                near = vocab.within_one_edit
                fits = tuple(m for m in vocab.MIDDLE_NAMES if near(vocab.fold(m), letters))
            if len(fits) == 1:
                names.append(fits[0])
                continue
        fits = vocab.NAME_WORDS_BY_LETTERS.get(letters, ())
        if len(fits) > 1 and letters in vocab.COMMONEST_BY_LETTERS and word == letters.title():
            fits = (vocab.COMMONEST_BY_LETTERS[letters],)  # every mark lost: the commonest
        names.append(fits[0] if len(fits) == 1 else word)  # "Quần" is Quân, "Hung" stays
    if names[-1] in vocab.MIDDLE_ONLY or (len(names) <= 2 and names[-1] in vocab.MIDDLE_NAMES):
        factor = min(factor, UNVOUCHED)  # "Vũ Văn": the given name after the middle one lost
    return " ".join(names), factor


def _looks_like_name(line: Line) -> bool:
    """ "Nguyễn Văn An": two to five capitalised words, letters only, not all capitals."""
    texts = [w.text.strip(" .,;:") for w in line.words]
    return (
        2 <= len(texts) <= 5
        and all(t[:1].isupper() and t.isalpha() for t in texts)
        and not _is_upper_line(line)
        and vocab.fold(texts[0]) not in ("noi", "kinh", "can", "ngay")
    )


def _page_number(lines: list[Line], height: int) -> int | None:
    """A number alone near the top or the bottom edge: "2", "- 2 -", "Trang 2"."""
    for line in lines:
        if height * 0.12 < line.top < height * 0.9:
            continue
        match = _PAGE_NUMBER.match(line.text)
        if match and line.confidence >= 0.6 and len(line.words) <= 3:
            number = int(match.group(1))
            if 1 < number < 500:
                return number
    return None


def _suspects(words: Sequence[Word]) -> tuple[SuspectWord, ...]:
    return tuple(SuspectWord(w.text, w.box) for w in syllables.suspect_words(words))
