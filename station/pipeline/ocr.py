"""Reading Tesseract's hOCR: words with boxes and confidences, and the page text."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from xml.etree import ElementTree

_XHTML = "{http://www.w3.org/1999/xhtml}"
_BBOX = re.compile(r"bbox (\d+) (\d+) (\d+) (\d+)")
_WCONF = re.compile(r"x_wconf (\d+)")


@dataclass(frozen=True)
class Word:
    text: str
    box: tuple[int, int, int, int]  # left, top, right, bottom in OCR-image pixels
    confidence: float  # 0-100


def _root(hocr: str) -> ElementTree.Element:
    return ElementTree.fromstring(hocr.encode("utf-8"))


def parse_hocr(hocr: str) -> list[Word]:
    return parse_hocr_element(_root(hocr))


def mean_confidence(words: list[Word]) -> float | None:
    """Mean word confidence, 0-100; None when there are no words at all."""
    if not words:
        return None
    return round(sum(w.confidence for w in words) / len(words), 1)


def hocr_text(hocr: str) -> str:
    """Plain text in reading order: a line per hOCR line, a blank line between paragraphs."""
    paragraphs = []
    for par in _root(hocr).iter(f"{_XHTML}p"):
        lines = []
        for line in par.iter(f"{_XHTML}span"):
            if line.get("class") not in {"ocr_line", "ocr_header", "ocr_caption", "ocr_textfloat"}:
                continue
            words = [
                "".join(w.itertext()).strip()
                for w in line.iter(f"{_XHTML}span")
                if w.get("class") == "ocrx_word"
            ]
            if any(words):
                lines.append(" ".join(w for w in words if w))
        if lines:
            paragraphs.append("\n".join(lines))
    return unicodedata.normalize("NFC", "\n\n".join(paragraphs))


def hocr_lines(hocr: str) -> list[list[Word]]:
    """Words line by line, for showing the text with each word's confidence."""
    lines = []
    for line in _root(hocr).iter(f"{_XHTML}span"):
        if line.get("class") not in {"ocr_line", "ocr_header", "ocr_caption", "ocr_textfloat"}:
            continue
        words = parse_hocr_element(line)
        if words:
            lines.append(words)
    return lines


_NOT_VIETNAMESE = re.compile(r"[fjwzFJWZ]")


def latin_line_share(hocr: str) -> float:
    """Share of a page's lines holding a letter the Vietnamese alphabet lacks (f, j, w, z).

    Read with `vie` alone, an English or French page still comes out in Latin letters, and
    half or more of its lines hold one of these; a Vietnamese page has a few at most
    (foreign names, abbreviations): at most 8 % of lines on the pages measured
    (bench/ocr_options.py).
    """
    lines = hocr_lines(hocr)
    if not lines:
        return 0.0
    latin = sum(1 for line in lines if any(_NOT_VIETNAMESE.search(w.text) for w in line))
    return latin / len(lines)


def parse_hocr_element(element: ElementTree.Element) -> list[Word]:
    words = []
    for span in element.iter(f"{_XHTML}span"):
        if span.get("class") != "ocrx_word":
            continue
        text = unicodedata.normalize("NFC", "".join(span.itertext()).strip())
        title = span.get("title", "")
        box, conf = _BBOX.search(title), _WCONF.search(title)
        if not text or box is None:
            continue
        left, top, right, bottom = (int(v) for v in box.groups())
        words.append(Word(text, (left, top, right, bottom), float(conf.group(1)) if conf else 0.0))
    return words
