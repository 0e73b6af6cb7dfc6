"""The shapes a văn bản's reading takes, shared by the page reader, the splitter and the store.

Everything is plain, JSON-able data: a page's reading crosses process boundaries and is
kept on the page row (`Page.reading`); a document's fields are kept on its row.
Coordinates are pixels of the cleaned page image (`derivatives/<page id>/page.*`), so the
review app can crop the region a field was read from.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

Box = tuple[int, int, int, int]  # left, top, right, bottom in cleaned-page pixels

# The fields of a document record, in the order a reviewer meets them (NĐ 30 Phụ lục VI,
# TT 02/2019 annex): English key -> Vietnamese record-keeping name.
FIELDS: dict[str, str] = {
    "document_type": "Tên loại văn bản",
    "number": "Số của văn bản",
    "symbol": "Ký hiệu của văn bản",
    "number_symbol": "Số, ký hiệu văn bản",
    "issued_date": "Ngày tháng năm văn bản",
    "place": "Địa danh",
    "issuing_body": "Tên cơ quan, tổ chức ban hành văn bản",
    "summary": "Trích yếu nội dung",
    "signer_title": "Chức vụ người ký",
    "signer_name": "Họ tên người ký",
    "recipients": "Nơi nhận",
    "secrecy": "Độ mật",
    "urgency": "Mức độ khẩn",
    "language": "Ngôn ngữ",
    "page_count": "Số lượng trang",
}

# Fields read from a first page's header block; the closing block gives the rest.
HEADER_FIELDS = (
    "document_type",
    "number",
    "symbol",
    "number_symbol",
    "issued_date",
    "place",
    "issuing_body",
    "summary",
)
CLOSING_FIELDS = ("signer_title", "signer_name", "recipients")

SECRECY_LEVELS = ("Mật", "Tối mật", "Tuyệt mật")  # ascending, as station.auth orders them
URGENCY_LEVELS = ("Khẩn", "Thượng khẩn", "Hỏa tốc")


@dataclass(frozen=True)
class FieldReading:
    """One field as read: its value, how sure we are (0-1), and where it was read."""

    value: Any  # str, int, list[str] (recipients) or None when not found
    confidence: float = 0.0
    box: Box | None = None
    page_id: int | None = None  # set when a page's readings become a document's
    source: str = "ocr"  # ocr, stamp, derived, reviewer

    def to_json(self) -> dict[str, Any]:
        return {
            "value": self.value,
            "confidence": round(self.confidence, 3),
            "box": list(self.box) if self.box else None,
            "page_id": self.page_id,
            "source": self.source,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> FieldReading:
        box = data.get("box")
        return cls(
            value=data.get("value"),
            confidence=float(data.get("confidence") or 0.0),
            box=(int(box[0]), int(box[1]), int(box[2]), int(box[3])) if box else None,
            page_id=data.get("page_id"),
            source=str(data.get("source") or "ocr"),
        )


@dataclass(frozen=True)
class Stamp:
    """A stamp found on the page image: secrecy (độ mật) or urgency (độ khẩn)."""

    kind: str  # "secrecy" or "urgency"
    level: str  # one of SECRECY_LEVELS or URGENCY_LEVELS
    confidence: float
    box: Box
    colour: str = ""  # "red", "dark" or "" when unknown
    method: str = ""  # how it was found: "ocr-words", "red-region", "frame-reread", ...


@dataclass(frozen=True)
class SuspectWord:
    """A word that cannot be Vietnamese (nor a known abbreviation): shown to the reviewer."""

    text: str
    box: Box


@dataclass(frozen=True)
class PageReading:
    """What one page says about the documents it belongs to.

    `starts_document` is the probability that the page is the first page of a văn bản
    (a header block: issuing body top left, national or Party motto top right, "Số …",
    the place-and-date line, the type name). `page_number` is the number printed on a
    continuation page (None when none is printed). `header` holds the fields of a header
    block, `closing` those of a signature block and "Nơi nhận" list, both keyed by
    `HEADER_FIELDS` / `CLOSING_FIELDS` names.
    """

    starts_document: float = 0.0
    page_number: int | None = None
    layout: str = ""  # "state", "party" or "" (no header block recognised)
    header: dict[str, FieldReading] = field(default_factory=dict)
    closing: dict[str, FieldReading] = field(default_factory=dict)
    stamps: tuple[Stamp, ...] = ()
    suspect_words: tuple[SuspectWord, ...] = ()
    language: str = "vi"

    def to_json(self) -> dict[str, Any]:
        return {
            "starts_document": round(self.starts_document, 3),
            "page_number": self.page_number,
            "layout": self.layout,
            "header": {k: v.to_json() for k, v in self.header.items()},
            "closing": {k: v.to_json() for k, v in self.closing.items()},
            "stamps": [asdict(s) | {"box": list(s.box)} for s in self.stamps],
            "suspect_words": [{"text": w.text, "box": list(w.box)} for w in self.suspect_words],
            "language": self.language,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> PageReading:
        if not data:
            return cls()
        return cls(
            starts_document=float(data.get("starts_document") or 0.0),
            page_number=data.get("page_number"),
            layout=str(data.get("layout") or ""),
            header={k: FieldReading.from_json(v) for k, v in (data.get("header") or {}).items()},
            closing={k: FieldReading.from_json(v) for k, v in (data.get("closing") or {}).items()},
            stamps=tuple(
                Stamp(
                    kind=s["kind"],
                    level=s["level"],
                    confidence=float(s["confidence"]),
                    box=(int(s["box"][0]), int(s["box"][1]), int(s["box"][2]), int(s["box"][3])),
                    colour=s.get("colour", ""),
                    method=s.get("method", ""),
                )
                for s in data.get("stamps") or ()
            ),
            suspect_words=tuple(
                SuspectWord(w["text"], (w["box"][0], w["box"][1], w["box"][2], w["box"][3]))
                for w in data.get("suspect_words") or ()
            ),
            language=str(data.get("language") or "vi"),
        )
