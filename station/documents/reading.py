"""Reading one page for its document: header block, page number, signature block, marks.

Works on the words Tesseract already produced (boxes in the cleaned page's pixels): they
are grouped into lines and column segments, and the header's parts are recognised by
their wording (motto, "Số …", "…, ngày … tháng … năm …", a type name from the closed
list, "V/v …") and place, not by a fixed template, so NĐ 30 and HD 36 layouts, older
ones, and single-column renderings all read. Every value carries a confidence built from
the OCR confidence of its words and how much repair it needed; a handwritten number or
date (low OCR confidence, glued or broken digits) stays below any sensible threshold.
"""

from __future__ import annotations

import re
import statistics
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from station.documents import syllables, vocab
from station.documents.model import Box, FieldReading, PageReading, SuspectWord
from station.ocr import Word


@dataclass(frozen=True)
class Line:
    """Words side by side on one row and in one column segment."""

    words: tuple[Word, ...]

    @property
    def text(self) -> str:
        return unicodedata.normalize("NFC", " ".join(w.text for w in self.words))

    @property
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

_NUMBER_LINE = re.compile(r"^\s*(?:S[ốốôo0ỐÔ6]|Sô|So)\s*[:;.]?\s*(.*)$", re.IGNORECASE)
_SYMBOL = re.compile(
    r"^(?P<number>\d{1,6})\s*(?P<sep>[/-])\s*(?P<rest>[A-ZĐa-zđ0-9][A-ZĐa-zđ0-9./-]*)$"
)
_DATE = re.compile(
    r"(?:ngày|ngay|ngảy|ngầy)\s*(?P<day>\S{1,3}?)\s*(?:tháng|thang|thảng)\s*(?P<month>\S{1,3}?)\s*"
    r"(?:năm|nam|nărn|nẵm)\s*(?P<year>\S{4})",
    re.IGNORECASE,
)
_PAGE_NUMBER = re.compile(r"^[-–—\s]*(?:Trang\s*)?(\d{1,3})[-–—\s]*$", re.IGNORECASE)
_VV = re.compile(r"^\s*V\s*/\s*[vV]\s*[:.]?\s*(.*)$")
_SIGNER_PREFIX = re.compile(r"^(TM|KT|TL|TUQ|Q|T/M|K/T|T/L)\s*[./]?\s", re.IGNORECASE)


def _fix_digits(text: str) -> tuple[str, int]:
    """Letters OCR often reads for digits, put back; returns the text and how many changed."""
    table = {"O": "0", "o": "0", "l": "1", "I": "1", "|": "1", "S": "5", "B": "8", "Z": "2"}
    out, changed = [], 0
    for char in text:
        if char in table:
            out.append(table[char])
            changed += 1
        else:
            out.append(char)
    return "".join(out), changed


def _is_upper_line(line: Line) -> bool:
    letters = [c for c in line.text if c.isalpha()]
    return len(letters) >= 2 and sum(c.isupper() for c in letters) / len(letters) >= 0.8


def read_page(words: Sequence[Word], width: int, height: int, dpi: float) -> PageReading:
    """What this page says about the document it belongs to (see PageReading).

    Stamps are not read here: `stamps.find_stamps` reads them from these words and the image.
    """
    lines = group_lines(words)
    if not lines:
        return PageReading()
    header = _read_header(lines, width, height)
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
    weights = {"_motto": 0.35, "number_symbol": 0.3, "issued_date": 0.2, "document_type": 0.25}
    weights |= {"_vv": 0.15, "issuing_body": 0.1}
    found = sum(w * min(1.0, header[k].confidence + 0.3) for k, w in weights.items() if k in header)
    return round(min(0.99, found), 3)


def _read_header(lines: list[Line], width: int, height: int) -> dict[str, FieldReading]:
    out: dict[str, FieldReading] = {}
    top = _split_mottos([line for line in lines if line.top < height * 0.45])
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
    number_line = None
    for line in top:
        match = _NUMBER_LINE.match(line.text)
        if match and (match.group(1) or len(line.words) <= 4):
            number_line = line
            _read_number(match.group(1), line, out)
            break
    type_line = _read_type(top, number_line, out)
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
        match = _DATE.search(line.text)
        if match and not vocab.fold(line.text).startswith("can cu"):
            _read_date(match, line, out)
            break
    _read_summary(lines, type_line, number_line, out, height)
    _read_issuer(top, motto_line, number_line, out)
    return out


def _read_number(printed: str, line: Line, out: dict[str, FieldReading]) -> None:
    raw = re.sub(r"\s+", "", printed)
    if not raw:
        return
    number_part, _, tail = raw.partition("/") if "/" in raw.split("-")[0] else raw.partition("-")
    fixed, changed = _fix_digits(number_part)
    sep = "/" if "/" in raw.split("-")[0] else "-"
    symbol = tail
    digit_words = [w for w in line.words if any(c.isdigit() for c in w.text)]
    ocr = min((w.confidence for w in digit_words), default=0.0) / 100.0
    confidence = ocr * (0.8 if changed else 1.0)
    if not fixed.isdigit():
        confidence = min(confidence, 0.3)
    if digit_words and not re.match(r"^S", digit_words[0].text) and len(line.words) >= 3:
        # "Số: 729 /QĐ-TTg": the number stands apart from the symbol: often written by hand
        gap_word = [w for w in line.words if w.text.strip().startswith("/")]
        if gap_word:
            confidence *= 0.8
    symbol_fixed, sym_conf = _repair_symbol(symbol)
    symbol_ocr = line.mean_confidence
    number_symbol = f"{fixed}{sep}{symbol_fixed}" if fixed else symbol_fixed
    box = line.box
    if fixed.isdigit():
        out["number"] = FieldReading(str(int(fixed)), round(confidence, 3), box)
    if symbol_fixed:
        out["symbol"] = FieldReading(symbol_fixed, round(symbol_ocr * sym_conf, 3), box)
        out["number_symbol"] = FieldReading(
            number_symbol, round(min(confidence, symbol_ocr * sym_conf), 3), box
        )


def _repair_symbol(symbol: str) -> tuple[str, float]:
    """ "QĐ-UBND", "HD/VPTW": the type part checked against the closed list of abbreviations."""
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
        if code and score >= 0.75 and len(part) <= 4:
            parts[index] = code
            return "".join(parts), 0.85
        return symbol, 0.9  # a công văn: issuer-unit, no type code
    return symbol, 0.9


def _read_date(match: re.Match[str], line: Line, out: dict[str, FieldReading]) -> None:
    day_text, changed_d = _fix_digits(match.group("day"))
    month_text, changed_m = _fix_digits(match.group("month"))
    year_text, changed_y = _fix_digits(match.group("year"))
    date_words = [w for w in line.words if any(c.isdigit() for c in w.text)]
    ocr = min((w.confidence for w in date_words), default=0.0) / 100.0
    glued = any(re.match(r"^\D+\d", w.text) for w in line.words)  # "ngày23": often handwritten
    penalty = (0.8 if changed_d + changed_m + changed_y else 1.0) * (0.75 if glued else 1.0)
    place_text = line.text[: match.start()].rstrip(" ,")
    if place_text:
        words = [w for w in line.words if w.text.rstrip(",") in place_text.split()]
        place_conf = min((w.confidence for w in words), default=0.0) / 100.0
        out["place"] = FieldReading(place_text, round(place_conf, 3), line.box)
    try:
        found = date(int(year_text), int(month_text), int(day_text))
    except ValueError:
        return
    if not 1945 <= found.year <= 2100:
        return
    out["issued_date"] = FieldReading(found.isoformat(), round(ocr * penalty, 3), line.box)


def _read_type(
    top: list[Line], number_line: Line | None, out: dict[str, FieldReading]
) -> Line | None:
    start = number_line.top if number_line else 0
    for line in top:
        if line.top < start or not _is_upper_line(line) or len(line.words) > 6:
            continue
        name, score = _match_type(line)
        if name and score >= 0.8:
            confidence = line.mean_confidence * (1.0 if score > 0.99 else score)
            out["document_type"] = FieldReading(name, round(confidence, 3), line.box)
            return line
    return None


def _match_type(line: Line) -> tuple[str | None, float]:
    """A type name from the closed list, printed alone or after a little noise ("A) QUYẾT ĐỊNH")."""
    best: tuple[str | None, float] = (None, 0.0)
    texts = [w.text for w in line.words]
    for start in range(0, min(3, len(texts))):
        candidate = " ".join(texts[start:])
        name, score = vocab.nearest(candidate, vocab.DOCUMENT_TYPES)
        score -= 0.03 * start
        if score > best[1]:
            best = (name, score)
    return best


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


def _read_summary(
    lines: list[Line],
    type_line: Line | None,
    number_line: Line | None,
    out: dict[str, FieldReading],
    height: int,
) -> None:
    """Trích yếu: the lines under the type name, or a công văn's "V/v …" under the number."""
    picked: list[Line] = []
    if type_line is None and number_line is not None:
        for line in lines:
            match = _VV.match(line.text)
            if match and number_line.top <= line.top < number_line.top + 8 * number_line.height:
                picked = [line]
                for following in lines:
                    if (
                        following.top > picked[-1].top
                        and following.top - picked[-1].box[3] < 1.2 * line.height
                        and abs(following.box[0] - line.box[0]) < 6 * line.height
                        and following.box[2] < line.box[2] + 8 * line.height
                        and len(picked) < 5
                    ):
                        picked.append(following)
                out["_vv"] = FieldReading(True, line.mean_confidence, line.box)
                out["document_type"] = FieldReading("CÔNG VĂN", round(line.confidence, 3), None)
                text = " ".join(p.text for p in picked)
                text = _VV.sub(r"\1", text, count=1)
                _set_summary(text, picked, out, prefix="V/v ")
                return
        return
    if type_line is None:
        return
    for line in lines:
        if line.top <= type_line.top:
            continue
        previous = picked[-1] if picked else type_line
        if line.top - previous.box[3] > 1.6 * type_line.height or len(picked) >= 4:
            break
        if re.match(r"^(Căn cứ|Kính gửi|Thực hiện|Điều|I\.|1\.)", line.text):
            break
        if _is_upper_line(line) and picked:
            break
        if set(line.text) <= set("-_—–. "):
            break
        centre, type_centre = (
            (line.box[0] + line.box[2]) / 2,
            (type_line.box[0] + type_line.box[2]) / 2,
        )
        if (
            abs(centre - type_centre)
            > 0.25 * (type_line.box[2] - type_line.box[0]) + 8 * type_line.height
        ):
            continue
        picked.append(line)
    if picked:
        _set_summary(" ".join(p.text for p in picked), picked, out)


def _set_summary(
    text: str, picked: list[Line], out: dict[str, FieldReading], prefix: str = ""
) -> None:
    text = unicodedata.normalize("NFC", re.sub(r"\s+", " ", text).strip(" -–—_"))
    if not text:
        return
    confidence = sum(p.mean_confidence for p in picked) / len(picked)
    out["summary"] = FieldReading(
        prefix + text, round(confidence * 0.95, 3), _union(p.box for p in picked)
    )


def _read_issuer(
    top: list[Line],
    motto_line: Line | None,
    number_line: Line | None,
    out: dict[str, FieldReading],
) -> None:
    """The issuing body: the upper-case lines of the header above "Số", beside the motto."""
    limit = number_line.top if number_line else (motto_line.box[3] * 2 if motto_line else 0)
    if not limit:
        return
    motto_box = motto_line.box if motto_line else None
    picked = []
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
        if set(text) <= set("*-_—–. "):
            continue
        picked.append(line)
    picked = picked[:3]
    if not picked:
        return
    parts = [re.sub(r"[,.;:’'`|]", "", p.text).strip(" *-_—") for p in picked]
    if len(parts) >= 2:
        upper, lower = " ".join(parts[:-1]), parts[-1]
        if any(vocab.fold(upper).startswith(vocab.fold(g)) for g in vocab.GENERIC_ORGANS) and any(
            vocab.fold(lower).startswith(vocab.fold(u)) for u in vocab.UNIT_WORDS
        ):
            name = f"{upper} {lower}"
        else:
            name = f"{lower} {upper}"
    else:
        name = parts[0]
    name, repaired = _repair_words(name.upper())
    confidence = min(p.mean_confidence for p in picked) * (0.9 if repaired else 0.95)
    if not all(w in vocab.KNOWN_HEADER_WORDS or w in "-–" for w in name.split()):
        # a word outside the lexicon of organ and place names: OCR damage is likely, and
        # only the fonds' own list of bodies (describe) can vouch for it
        confidence = min(confidence, 0.8)
    out["issuing_body"] = FieldReading(
        unicodedata.normalize("NFC", name.upper()),
        round(confidence, 3),
        _union(p.box for p in picked),
    )


def _repair_words(text: str) -> tuple[str, int]:
    """Header words whose diacritics OCR lost ("TINH" for TỈNH), put back from the lexicon."""
    out, changed = [], 0
    for word in text.split():
        known = vocab.HEADER_WORDS.get(vocab.fold(word))
        if known and known != word:
            out.append(known)
            changed += 1
        else:
            out.append(word)
    return " ".join(out), changed


def _read_closing(lines: list[Line], width: int, height: int) -> dict[str, FieldReading]:
    """Signature block (chức vụ, họ tên) and the "Nơi nhận:" list, when the page has them."""
    out: dict[str, FieldReading] = {}
    recipients_at = next(
        (i for i, line in enumerate(lines) if vocab.fold(line.text).startswith("noi nhan")), None
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
    """The signature block sits right of "Nơi nhận" (or just above it on a narrow page)."""
    block = [
        line
        for line in lines
        if line.box[0] > width * 0.45
        and recipients.top - 6 * recipients.height
        <= line.top
        <= recipients.top + 16 * recipients.height
    ]
    if not block:
        return
    titles = []
    for line in block:
        if _is_upper_line(line) and len(line.words) <= 8:
            titles.append(line)
        elif titles:
            break
    if titles:
        text = " ".join(t.text for t in titles)
        conf = min(t.mean_confidence for t in titles) * 0.9
        out["signer_title"] = FieldReading(text, round(conf, 3), _union(t.box for t in titles))
    names = [
        line
        for line in block
        if not _is_upper_line(line)
        and 2 <= len(line.words) <= 5
        and all(w.text[:1].isupper() for w in line.words)
        and (not titles or line.top > titles[-1].box[3])
    ]
    if names:
        name = names[-1]
        out["signer_name"] = FieldReading(name.text, round(name.mean_confidence * 0.9, 3), name.box)


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
