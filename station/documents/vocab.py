"""Closed lists a document header is repaired against: type names, their abbreviations, marks.

Sources: NĐ 30/2020 Phụ lục III (state abbreviations), HD 36-HD/VPTW and Quy định
399-QĐ/TW (Party), as collected in shared/docs/standards.md §5.5–5.6.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from difflib import SequenceMatcher

# Type name as printed (upper case) -> the abbreviations it takes in a symbol.
DOCUMENT_TYPES: dict[str, tuple[str, ...]] = {
    "NGHỊ QUYẾT": ("NQ",),
    "QUYẾT ĐỊNH": ("QĐ",),
    "CHỈ THỊ": ("CT",),
    "QUY CHẾ": ("QC",),
    "QUY ĐỊNH": ("QyĐ", "QĐi", "QĐ"),
    "THÔNG CÁO": ("TC",),
    "THÔNG BÁO": ("TB",),
    "HƯỚNG DẪN": ("HD",),
    "CHƯƠNG TRÌNH": ("CTr",),
    "KẾ HOẠCH": ("KH",),
    "PHƯƠNG ÁN": ("PA",),
    "ĐỀ ÁN": ("ĐA",),
    "DỰ ÁN": ("DA",),
    "BÁO CÁO": ("BC",),
    "BIÊN BẢN": ("BB",),
    "TỜ TRÌNH": ("TTr",),
    "HỢP ĐỒNG": ("HĐ",),
    "CÔNG ĐIỆN": ("CĐ",),
    "BẢN GHI NHỚ": ("BGN",),
    "BẢN THỎA THUẬN": ("BTT",),
    "GIẤY ỦY QUYỀN": ("GUQ",),
    "GIẤY MỜI": ("GM",),
    "GIẤY GIỚI THIỆU": ("GGT",),
    "GIẤY NGHỈ PHÉP": ("GNP",),
    "GIẤY CHỨNG NHẬN": ("GCN",),
    "PHIẾU GỬI": ("PG",),
    "PHIẾU CHUYỂN": ("PC",),
    "PHIẾU BÁO": ("PB",),
    "KẾT LUẬN": ("KL",),
    "THÔNG TRI": ("TT",),
    "THÔNG TƯ": ("TT",),
    "THÔNG TƯ LIÊN TỊCH": ("TTLT",),
    "NGHỊ ĐỊNH": ("NĐ",),
    "LUẬT": (),
    "PHÁP LỆNH": (),
    "CÔNG VĂN": ("CV",),  # Party công văn carry CV; a state công văn prints no type name
}
ABBREVIATION_TYPES: dict[str, str] = {}
for _name, _codes in DOCUMENT_TYPES.items():
    for _code in _codes:
        ABBREVIATION_TYPES.setdefault(_code.upper(), _name)

MOTTO_STATE = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
MOTTO_STATE_2 = "Độc lập - Tự do - Hạnh phúc"
MOTTO_PARTY = "ĐẢNG CỘNG SẢN VIỆT NAM"

SECRECY_MARKS = {"TUYỆT MẬT": "Tuyệt mật", "TỐI MẬT": "Tối mật", "MẬT": "Mật"}
URGENCY_MARKS = {"THƯỢNG KHẨN": "Thượng khẩn", "HỎA TỐC": "Hỏa tốc", "KHẨN": "Khẩn"}

# Words that open a unit name, so an upper line "ỦY BAN NHÂN DÂN" and a lower line
# "TỈNH BẮC NINH" read upper-then-lower; otherwise the lower line is the issuer itself
# ("TỈNH ỦY NGHỆ AN" / "VĂN PHÒNG" is VĂN PHÒNG TỈNH ỦY NGHỆ AN).
UNIT_WORDS = ("TỈNH", "THÀNH PHỐ", "HUYỆN", "QUẬN", "THỊ XÃ", "XÃ", "PHƯỜNG", "THỊ TRẤN")
GENERIC_ORGANS = ("ỦY BAN NHÂN DÂN", "HỘI ĐỒNG NHÂN DÂN", "BAN CHẤP HÀNH", "ĐẢNG ỦY")

SIGNING_PREFIXES = ("TM.", "KT.", "Q.", "TL.", "TUQ.", "T/M", "K/T", "T/L", "Q/")


def fold(text: str) -> str:
    """Lower case without diacritics (đ -> d): for matching OCR-damaged words."""
    decomposed = unicodedata.normalize("NFD", text.lower().replace("đ", "d"))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def similarity(first: str, second: str) -> float:
    """0-1: exact text counts most; the same letters without diacritics count for a little less."""
    exact = SequenceMatcher(None, first.upper(), second.upper()).ratio()
    folded = SequenceMatcher(None, fold(first), fold(second)).ratio()
    return max(exact, 0.9 * folded)


def nearest(text: str, choices: Iterable[str]) -> tuple[str | None, float]:
    best, score = None, 0.0
    for choice in choices:
        s = similarity(text, choice)
        if s > score:
            best, score = choice, s
    return best, score


PROVINCES = (
    "HÀ NỘI", "HỒ CHÍ MINH", "HẢI PHÒNG", "ĐÀ NẴNG", "CẦN THƠ", "HUẾ", "BẮC NINH", "HÀ NAM",
    "NAM ĐỊNH", "THÁI BÌNH", "NGHỆ AN", "QUẢNG NINH", "THANH HÓA", "HẢI DƯƠNG", "PHÚ THỌ",
    "ĐỒNG NAI", "LÂM ĐỒNG", "QUẢNG NAM", "BÌNH ĐỊNH", "VĨNH PHÚC", "HƯNG YÊN", "TUYÊN QUANG",
    "HÀ TĨNH", "BẮC GIANG", "LẠNG SƠN", "CAO BẰNG", "LÀO CAI", "YÊN BÁI", "SƠN LA", "ĐIỆN BIÊN",
    "LAI CHÂU", "HÒA BÌNH", "NINH BÌNH", "QUẢNG BÌNH", "QUẢNG TRỊ", "QUẢNG NGÃI", "PHÚ YÊN",
    "KHÁNH HÒA", "GIA LAI", "KON TUM", "ĐẮK LẮK", "ĐẮK NÔNG", "BÌNH DƯƠNG", "BÌNH PHƯỚC",
    "TÂY NINH", "LONG AN", "TIỀN GIANG", "BẾN TRE", "TRÀ VINH", "VĨNH LONG", "ĐỒNG THÁP",
    "AN GIANG", "KIÊN GIANG", "HẬU GIANG", "SÓC TRĂNG", "BẠC LIÊU", "CÀ MAU", "BÌNH THUẬN",
    "NINH THUẬN", "BÀ RỊA - VŨNG TÀU", "THÁI NGUYÊN", "BẮC KẠN", "HÀ GIANG",
)  # fmt: skip

# Words of issuing bodies' names, by their letters without diacritics: OCR of bold capitals
# often drops the marks, and in a header the marked word is nearly always the right one.
_ORGAN_WORDS = (
    "TỈNH ỦY HUYỆN QUẬN THÀNH PHỐ THỊ XÃ PHƯỜNG TRẤN ỦY BAN NHÂN DÂN HỘI ĐỒNG SỞ BỘ NỘI VỤ "
    "TÀI CHÍNH VĂN PHÒNG CHÍNH PHỦ THỦ TƯỚNG TRUNG ƯƠNG CHẤP HÀNH ĐẢNG ĐOÀN THỂ CHI CỤC "
    "THƯ LƯU TRỮ LỊCH SỬ TÂM GIÁO DỤC ĐÀO TẠO Y TẾ KẾ HOẠCH ĐẦU TƯ THÔNG TIN TRUYỀN "
    "NGUYÊN MÔI TRƯỜNG CÔNG AN THƯƠNG TƯ PHÁP XÂY DỰNG GIAO VẬN TẢI NÔNG NGHIỆP PHÁT TRIỂN "
    "NGOẠI KHOA HỌC CÔNG NGHỆ LAO ĐỘNG THƯƠNG BINH XÃ HỘI VĂN HÓA THỂ THAO DU LỊCH TUYÊN GIÁO "
    "KIỂM TRA DÂN VẬN TỔ CHỨC THƯỜNG TRỰC"
)
HEADER_WORDS: dict[str, str] = {}
_CLASHES: set[str] = set()
for _word in _ORGAN_WORDS.split():
    _key = fold(_word)
    if _key in HEADER_WORDS and HEADER_WORDS[_key] != _word:
        _CLASHES.add(_key)  # THƯ and THỦ: the letters alone cannot tell which
    HEADER_WORDS.setdefault(_key, _word)
for _key in _CLASHES:
    del HEADER_WORDS[_key]
for _word in " ".join(PROVINCES).split():  # organ words first: TINH is TỈNH, not TĨNH
    HEADER_WORDS.setdefault(fold(_word), _word)

KNOWN_HEADER_WORDS = frozenset(
    (*_ORGAN_WORDS.split(), *" ".join(PROVINCES).split(), *" ".join(GENERIC_ORGANS).split())
)
