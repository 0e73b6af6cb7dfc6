"""Closed lists a document header is repaired against and judged by.

Type names and their abbreviations (NĐ 30/2020 Phụ lục III, HD 36-HD/VPTW, Quy định
399-QĐ/TW, as collected in shared/docs/standards.md §5.5–5.6); the provinces and centrally
run cities (the 63 of 2008–2025, which contain the 34 of the 2025 merger, and the older
ones found in archives); the words of issuing bodies' names. OCR of bold capitals often
loses diacritics ("TINH", "BINH"): a word is put back only where its letters fit one entry of
a list, and a value is only as trusted as its least certain word (`NameRepair`).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from difflib import SequenceMatcher
from functools import lru_cache

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
# An abbreviation two lists share: TT is a Thông tư of the state, a Thông tri of the Party.
# (A Party QĐ is a Quyết định, or an older Quy định: a type inferred from a symbol is never
# trusted for that reason.)
ABBREVIATION_BY_LAYOUT: dict[tuple[str, str], str] = {
    ("TT", "state"): "THÔNG TƯ",
    ("TT", "party"): "THÔNG TRI",
}

# Abbreviations with Đ in the issuer's part of a symbol (the types' are above): HĐND, the
# Party's ĐU and ĐUK, ĐTN of the Đoàn, GDĐT, KHĐT, VPĐU, BCĐ of a steering committee. OCR
# often reads the Đ as D.
D_ABBREVIATIONS = frozenset(
    {"HĐND", "ĐU", "ĐUK", "ĐTN", "GDĐT", "SGDĐT", "KHĐT", "SKHĐT", "VPĐU", "BCĐ", "HĐQT"}
    | {"ĐBQH", "HĐBC", "TĐKT", "LĐTBXH", "SLĐTBXH", "ĐHQG", "QĐND"}
)

MOTTO_STATE = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
MOTTO_STATE_2 = "Độc lập - Tự do - Hạnh phúc"
MOTTO_PARTY = "ĐẢNG CỘNG SẢN VIỆT NAM"

SECRECY_MARKS = {"TUYỆT MẬT": "Tuyệt mật", "TỐI MẬT": "Tối mật", "MẬT": "Mật"}
URGENCY_MARKS = {"THƯỢNG KHẨN": "Thượng khẩn", "HỎA TỐC": "Hỏa tốc", "KHẨN": "Khẩn"}

# Administrative units: "TỈNH BẮC NINH" under "ỦY BAN NHÂN DÂN" goes on with its name.
UNIT_WORDS = (
    "TỈNH", "THÀNH PHỐ", "TP", "HUYỆN", "QUẬN", "THỊ XÃ", "XÃ", "PHƯỜNG", "THỊ TRẤN", "ĐẶC KHU",
)  # fmt: skip

SIGNING_PREFIXES = ("TM.", "KT.", "Q.", "TL.", "TUQ.", "T/M", "K/T", "T/L", "Q/")


def fold(text: str) -> str:
    """Lower case without diacritics (đ -> d): for matching OCR-damaged words."""
    lowered = text.lower().replace("đ", "d").replace("ð", "d")
    decomposed = unicodedata.normalize("NFD", lowered)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def similarity(first: str, second: str) -> float:
    """0-1: exact text counts most; the same letters without diacritics count for a little less."""
    exact = SequenceMatcher(None, first.upper(), second.upper()).ratio()
    folded = SequenceMatcher(None, fold(first), fold(second)).ratio()
    return max(exact, 0.9 * folded)


@lru_cache(maxsize=2048)
def _exact_matcher(choice: str) -> SequenceMatcher[str]:
    return SequenceMatcher(None, "", choice.upper())


@lru_cache(maxsize=2048)
def _loose_matcher(choice: str) -> SequenceMatcher[str]:
    return SequenceMatcher(None, "", fold(choice))


def nearest(text: str, choices: Iterable[str]) -> tuple[str | None, float]:
    """The choice most `similar` to the text, and how similar (0-1).

    The choices are the same few lists page after page: a matcher per choice keeps what
    SequenceMatcher learns of its second string, and only the text is set anew (the same
    ratios as a fresh matcher: the text stays the first string)."""
    best, score = None, 0.0
    upper, folded = text.upper(), fold(text)
    for choice in choices:
        exact, loose = _exact_matcher(choice), _loose_matcher(choice)
        exact.set_seq1(upper)
        loose.set_seq1(folded)
        # Bounds first, cheapest first: a choice that cannot beat the best so far is
        # spared the full comparison.
        if max(exact.real_quick_ratio(), 0.9 * loose.real_quick_ratio()) <= score:
            continue
        if max(exact.quick_ratio(), 0.9 * loose.quick_ratio()) <= score:
            continue
        s = max(exact.ratio(), 0.9 * loose.ratio())
        if s > score:
            best, score = choice, s
    return best, score


# The 63 provinces and centrally run cities of 2008–2025 (Thừa Thiên Huế became the city
# of Huế in 2025; the 34 units of the 2025 merger all keep one of these names).
PROVINCES = (
    "HÀ NỘI", "HỒ CHÍ MINH", "HẢI PHÒNG", "ĐÀ NẴNG", "CẦN THƠ", "HUẾ", "THỪA THIÊN HUẾ",
    "BẮC NINH", "HÀ NAM", "NAM ĐỊNH", "THÁI BÌNH", "NGHỆ AN", "QUẢNG NINH", "THANH HÓA",
    "HẢI DƯƠNG", "PHÚ THỌ", "ĐỒNG NAI", "LÂM ĐỒNG", "QUẢNG NAM", "BÌNH ĐỊNH", "VĨNH PHÚC",
    "HƯNG YÊN", "TUYÊN QUANG", "HÀ TĨNH", "BẮC GIANG", "LẠNG SƠN", "CAO BẰNG", "LÀO CAI",
    "YÊN BÁI", "SƠN LA", "ĐIỆN BIÊN", "LAI CHÂU", "HÒA BÌNH", "NINH BÌNH", "QUẢNG BÌNH",
    "QUẢNG TRỊ", "QUẢNG NGÃI", "PHÚ YÊN", "KHÁNH HÒA", "GIA LAI", "KON TUM", "ĐẮK LẮK",
    "ĐẮK NÔNG", "BÌNH DƯƠNG", "BÌNH PHƯỚC", "TÂY NINH", "LONG AN", "TIỀN GIANG", "BẾN TRE",
    "TRÀ VINH", "VĨNH LONG", "ĐỒNG THÁP", "AN GIANG", "KIÊN GIANG", "HẬU GIANG", "SÓC TRĂNG",
    "BẠC LIÊU", "CÀ MAU", "BÌNH THUẬN", "NINH THUẬN", "BÀ RỊA - VŨNG TÀU", "THÁI NGUYÊN",
    "BẮC KẠN", "HÀ GIANG",
)  # fmt: skip
# Provinces of earlier decades, found on older files (merged or split since 1976–2008).
FORMER_PROVINCES = (
    "HÀ TÂY", "HÀ BẮC", "HẢI HƯNG", "HÀ SƠN BÌNH", "HÀ NAM NINH", "NGHỆ TĨNH", "BÌNH TRỊ THIÊN",
    "VĨNH PHÚ", "BẮC THÁI", "HOÀNG LIÊN SƠN", "CAO LẠNG", "NGHĨA BÌNH", "PHÚ KHÁNH",
    "THUẬN HẢI", "SÔNG BÉ", "MINH HẢI", "CỬU LONG", "GIA LAI - KON TUM", "QUẢNG NAM - ĐÀ NẴNG",
    "ĐỒNG NAI - BÀ RỊA - VŨNG TÀU",
)  # fmt: skip
# Provincial cities and towns that name the place of a document of their own bodies.
CITIES = (
    "VINH", "ĐÀ LẠT", "NHA TRANG", "QUY NHƠN", "BUÔN MA THUỘT", "PLEIKU", "BIÊN HÒA",
    "VŨNG TÀU", "THỦ DẦU MỘT", "HẠ LONG", "VIỆT TRÌ", "ĐỒNG HỚI", "ĐÔNG HÀ", "TAM KỲ",
    "TUY HÒA", "PHAN THIẾT", "LONG XUYÊN", "RẠCH GIÁ", "CAO LÃNH", "MỸ THO", "TÂN AN",
    "ĐỒNG XOÀI", "VĨNH YÊN", "PHỦ LÝ", "UÔNG BÍ", "MÓNG CÁI", "CẨM PHẢ", "SẦM SƠN", "TỪ SƠN",
    "THỦ ĐỨC", "VỊ THANH", "GIA NGHĨA", "ĐIỆN BIÊN PHỦ", "HÀ ĐÔNG", "SƠN TÂY", "BÀ RỊA",
)  # fmt: skip

# Names of issuing bodies and their parts, state and Party, as printed in headers.
ORGAN_PHRASES = (
    # state organs
    "ỦY BAN NHÂN DÂN", "HỘI ĐỒNG NHÂN DÂN", "UBND", "HĐND", "CHÍNH PHỦ", "THỦ TƯỚNG",
    "VĂN PHÒNG", "QUỐC HỘI", "ỦY BAN THƯỜNG VỤ QUỐC HỘI", "CHỦ TỊCH NƯỚC", "BỘ", "SỞ", "CỤC",
    "CHI CỤC", "TỔNG CỤC", "VỤ", "VIỆN", "TRUNG TÂM", "PHÒNG", "BAN", "THANH TRA",
    "BAN QUẢN LÝ", "ỦY BAN", "HỘI ĐỒNG", "TÒA ÁN NHÂN DÂN", "VIỆN KIỂM SÁT NHÂN DÂN",
    "TỐI CAO", "CÔNG AN", "BỘ CHỈ HUY QUÂN SỰ", "BỘ ĐỘI BIÊN PHÒNG", "KIỂM TOÁN NHÀ NƯỚC",
    "NGÂN HÀNG NHÀ NƯỚC", "KHO BẠC NHÀ NƯỚC", "THUẾ", "HẢI QUAN", "TRƯỜNG", "BỆNH VIỆN",
    "NHÀ NƯỚC", "TRUNG ƯƠNG", "VIỆT NAM", "NHÂN DÂN", "KHU VỰC", "CHI NHÁNH", "ĐÀI",
    "LIÊN ĐOÀN LAO ĐỘNG", "ỦY BAN MẶT TRẬN TỔ QUỐC VIỆT NAM", "MẶT TRẬN TỔ QUỐC",
    "ĐOÀN THANH NIÊN CỘNG SẢN HỒ CHÍ MINH", "HỘI LIÊN HIỆP PHỤ NỮ", "HỘI NÔNG DÂN",
    "HỘI CỰU CHIẾN BINH",
    # Party organs (HD 36)
    "BAN CHẤP HÀNH TRUNG ƯƠNG", "BAN CHẤP HÀNH", "BỘ CHÍNH TRỊ", "BAN BÍ THƯ", "TỈNH ỦY",
    "THÀNH ỦY", "HUYỆN ỦY", "QUẬN ỦY", "THỊ ỦY", "ĐẢNG ỦY", "ĐẢNG ỦY KHỐI", "ĐẢNG BỘ", "CHI BỘ",
    "ĐẢNG ĐOÀN", "BAN CÁN SỰ ĐẢNG", "BAN THƯỜNG VỤ", "BAN TỔ CHỨC", "BAN TUYÊN GIÁO",
    "BAN DÂN VẬN", "BAN NỘI CHÍNH", "BAN KINH TẾ", "ỦY BAN KIỂM TRA", "BAN TUYÊN GIÁO VÀ DÂN VẬN",
    "CÁC CƠ QUAN", "DOANH NGHIỆP", "ĐẢNG",
    # fields of ministries, departments and their units
    "NỘI VỤ", "TÀI CHÍNH", "QUỐC PHÒNG", "NGOẠI GIAO", "NGOẠI VỤ", "TƯ PHÁP", "CÔNG THƯƠNG",
    "XÂY DỰNG", "GIAO THÔNG VẬN TẢI", "NÔNG NGHIỆP VÀ PHÁT TRIỂN NÔNG THÔN",
    "NÔNG NGHIỆP VÀ MÔI TRƯỜNG", "TÀI NGUYÊN VÀ MÔI TRƯỜNG", "KẾ HOẠCH VÀ ĐẦU TƯ",
    "GIÁO DỤC VÀ ĐÀO TẠO", "Y TẾ", "KHOA HỌC VÀ CÔNG NGHỆ", "THÔNG TIN VÀ TRUYỀN THÔNG",
    "LAO ĐỘNG - THƯƠNG BINH VÀ XÃ HỘI", "VĂN HÓA, THỂ THAO VÀ DU LỊCH", "VĂN HÓA VÀ THỂ THAO",
    "VĂN HÓA - THÔNG TIN", "DU LỊCH", "DÂN TỘC VÀ TÔN GIÁO", "DÂN TỘC", "TÔN GIÁO",
    "VĂN THƯ - LƯU TRỮ", "VĂN THƯ VÀ LƯU TRỮ NHÀ NƯỚC", "LƯU TRỮ LỊCH SỬ", "LƯU TRỮ",
    "VĂN THƯ", "HÀNH CHÍNH", "TỔ CHỨC", "CÁN BỘ", "TỔ CHỨC CÁN BỘ",
    "TÀI CHÍNH - VẬT GIÁ", "VẬT GIÁ", "TỔ CHỨC CHÍNH QUYỀN", "CHÍNH QUYỀN",
    "THI ĐUA - KHEN THƯỞNG", "KẾ TOÁN", "TỔNG HỢP", "PHÁP CHẾ", "KIỂM TRA", "DÂN VẬN",
    "TUYÊN GIÁO", "THƯỜNG TRỰC", "ĐÀO TẠO", "KHOA HỌC", "CÔNG NGHỆ", "MÔI TRƯỜNG",
    "TÀI NGUYÊN", "NÔNG NGHIỆP", "PHÁT TRIỂN NÔNG THÔN", "LAO ĐỘNG", "THƯƠNG BINH", "XÃ HỘI",
    "KINH TẾ", "QUẢN LÝ", "ĐẦU TƯ", "KẾ HOẠCH", "GIÁO DỤC", "THÔNG TIN", "TRUYỀN THÔNG",
    "THỂ THAO", "VĂN HÓA", "CÔNG AN", "QUÂN SỰ", "VÀ",
)  # fmt: skip

# Titles of signers (chức vụ) and the signing prefixes before them (NĐ 30 / HD 36).
TITLE_PHRASES = (
    "CHỦ TỊCH", "PHÓ CHỦ TỊCH", "GIÁM ĐỐC", "PHÓ GIÁM ĐỐC", "TỔNG GIÁM ĐỐC", "CHI CỤC TRƯỞNG",
    "PHÓ CHI CỤC TRƯỞNG", "CỤC TRƯỞNG", "PHÓ CỤC TRƯỞNG", "TỔNG CỤC TRƯỞNG", "VỤ TRƯỞNG",
    "BỘ TRƯỞNG", "THỨ TRƯỞNG", "THỦ TƯỚNG", "PHÓ THỦ TƯỚNG", "CHÁNH VĂN PHÒNG",
    "PHÓ CHÁNH VĂN PHÒNG", "TRƯỞNG BAN", "PHÓ TRƯỞNG BAN", "BÍ THƯ", "PHÓ BÍ THƯ",
    "TRƯỞNG PHÒNG", "PHÓ TRƯỞNG PHÒNG", "CHÁNH THANH TRA", "VIỆN TRƯỞNG", "HIỆU TRƯỞNG",
    "THỦ TRƯỞNG", "CHỦ NHIỆM", "PHÓ CHỦ NHIỆM", "TRƯỞNG", "PHÓ", "THƯỜNG TRỰC", "KT.", "TM.",
    "TL.", "Q.", "TUQ.", "T/M", "K/T", "T/L", "Q/",
)  # fmt: skip
# Family names (họ) of nearly all Vietnamese, with their marks, by their letters: a signer's
# name opens with one, and its marks can be put back from it (LÊ is the only họ spelt LE).
FAMILY_NAMES: dict[str, str] = {
    fold(name): unicodedata.normalize("NFC", name)
    for name in """Nguyễn Trần Lê Phạm Hoàng Huỳnh Phan Vũ Võ Đặng Bùi Đỗ Hồ Ngô Dương Lý Đinh
    Trịnh Đoàn Trương Lâm Lương Mai Cao Hà Lưu Tạ Thái Chu Kiều Văn Quách Lại Tô Triệu Tống La
    Vương Mạc Kim Phùng Nông Lò Hứa Ông Khúc Thạch Quan Sơn Âu Giang Tôn Diệp Tiêu Tăng Nghiêm
    Bạch Đào Hầu Vi Liêu Lục Thân Nhữ Phí Ưng Đồng An Ninh Cù Châu Tất""".split()  # noqa: SIM905
}
# Common middle and given names (tên đệm, tên), with their marks: a signer's name whose other
# words are all among them is trusted; "Quần" (OCR for Quân) is not, and goes to review.
NAME_WORDS = frozenset(
    unicodedata.normalize("NFC", w)
    for w in """An Anh Ánh Ân Bá Bạch Bảo Bằng Bích Biên Bình Cảnh Cao Châu Chi Chí Chiến Chính
    Chung Công Cúc Cường Diễm Diệp Diệu Doãn Dũng Dung Duy Duyên Dương Đại Đan Đào Đạt Đăng
    Điền Điệp Đình Định Đoàn Đông Đồng Đức Gia Giang Giao Hà Hạ Hải Hân Hằng Hạnh Hào Hảo Hậu
    Hiền Hiển Hiệp Hiếu Hoa Hòa Hoài Hoan Hoàn Hoàng Học Hồng Hợp Huấn Huệ Hùng Hưng Hương
    Hường Hữu Huy Huyền Kha Khải Khang Khanh Khánh Khoa Khôi Kiên Kiệt Kim Kỳ Lại Lan Lâm Lập
    Lệ Liên Liễu Linh Lĩnh Loan Lộc Long Lợi Luân Lực Lương Ly Lý Mai Mạnh Minh My Mỹ Nam Nga
    Ngân Nghĩa Ngọc Nguyên Nguyệt Nhàn Nhân Nhật Nhi Nhung Như Ninh Oanh Phát Phi Phong Phú
    Phúc Phụng Phước Phương Phượng Quân Quang Quảng Quế Quốc Quý Quyên Quyền Quyết Quỳnh Sang
    Sáng Sinh Sĩ Sỹ Sơn Tài Tâm Tân Tấn Thạch Thái Thắm Thân Thanh Thành Thảo Thắng Thế Thị
    Thiên Thiện Thịnh Thọ Thoa Thông Thu Thuận Thủy Thúy Thùy Thư Thức Thương Tiến Tiên Tín
    Tình Toàn Toản Trà Trâm Trang Trí Triều Trinh Trọng Trung Trường Tú Tuấn Tuệ Tùng Tường
    Tuyên Tuyết Tư Uyên Văn Vân Vi Việt Vinh Vĩnh Vũ Vương Vượng Vy Xuân Yến""".split()  # noqa: SIM905
)

_HYPHENS = "-–—"
_TOKEN = re.compile(r"[-–—]|[^\s\-–—]+")
_EDGE_PUNCTUATION = ",.;:’'`|!?\"“”()[]{}_*"


def tokens(text: str) -> list[str]:
    """Words and hyphens apart ("THƯ-LƯU" is THƯ, -, LƯU), upper case, NFC."""
    return _TOKEN.findall(unicodedata.normalize("NFC", text.upper()))


def _key(words: Iterable[str]) -> tuple[str, ...]:
    return tuple(fold(w.strip(_EDGE_PUNCTUATION)) for w in words if w not in _HYPHENS)


def canonical_marks(word: str) -> str:
    """Both tone placements occur in print (HOÁ / HÓA, HOÀ / HÒA, THUỶ / THỦY): one form.

    Only an open syllable ending in OA, OE or UY has two placements; TOÀN has one."""
    return _OLD_PLACEMENT.sub(lambda m: _NEW_PLACEMENT[m.group(0)], word)


# The mark on the last vowel (old style) -> on the first (NĐ 30's style): OÁ -> ÓA.
_NEW_PLACEMENT = {
    unicodedata.normalize("NFC", vowel + last + mark): unicodedata.normalize(
        "NFC", vowel + mark + last
    )
    for vowel, last in (("O", "A"), ("O", "E"), ("U", "Y"))
    for mark in ("\u0300", "\u0301", "\u0309", "\u0303", "\u0323")
}
_OLD_PLACEMENT = re.compile("(?:" + "|".join(_NEW_PLACEMENT) + ")$")


def _index(phrases: Iterable[str]) -> dict[tuple[str, ...], set[tuple[str, ...]]]:
    out: dict[tuple[str, ...], set[tuple[str, ...]]] = {}
    for phrase in phrases:
        words = tuple(tokens(phrase))
        out.setdefault(_key(words), set()).add(words)
    return out


_PHRASES = _index((*ORGAN_PHRASES, *UNIT_WORDS, *PROVINCES, *FORMER_PROVINCES, *CITIES))
_TITLES = _index((*ORGAN_PHRASES, *UNIT_WORDS, *PROVINCES, *TITLE_PHRASES))
_LONGEST = max(len(k) for k in (*_PHRASES, *_TITLES))
_PLACES = _index((*PROVINCES, *FORMER_PROVINCES, *CITIES))
# Words of places printed with no mark at all (AN, GIANG, NINH): bare as read, yet not damaged.
_PLAIN_PLACE_WORDS = frozenset(
    w.lower() for phrases in _PLACES.values() for p in phrases for w in p if fold(w) == w.lower()
)
KNOWN_WORDS = frozenset(
    canonical_marks(w.strip(",")) for key_words in _TITLES.values() for ws in key_words for w in ws
)


# Middle names (tên đệm) in common use: a middle word read without its marks is put back from
# this shorter list ("Van" between a họ and a tên is Văn, not the given name Vân).
MIDDLE_NAMES = tuple(
    unicodedata.normalize("NFC", w)
    for w in """Văn Thị Đức Minh Quốc Thanh Hữu Ngọc Xuân Thu Công Đình Hồng Kim Bá Quang Thế
    Anh Trọng Duy Mạnh Tiến Việt Hoàng Huy Trung Thành Hải Phương Bích Mai Thúy Diệu
    Khánh Tuấn Như Gia Đăng Viết Sỹ Sĩ Phú""".split()  # noqa: SIM905
)
# Middle names almost never given as a person's own name: a signer's name read as ending in
# one ("Vũ Văn") lost its last word.
MIDDLE_ONLY = frozenset(
    unicodedata.normalize("NFC", w)
    for w in "Văn Thị Hữu Đình Bá Thế Trọng Viết Đăng Sỹ Sĩ".split()  # noqa: SIM905
)
# Given names whose letters spell several names: the commonest of them, taken as a guess
# (never trusted) when OCR lost every mark ("Phuong" is far more often Phương than Phượng).
COMMONEST_BY_LETTERS = {"phuong": "Phương", "huong": "Hương", "van": "Vân"}

NAME_WORDS_UPPER = frozenset(canonical_marks(w.upper()) for w in NAME_WORDS)
NAME_WORDS_BY_LETTERS: dict[str, tuple[str, ...]] = {}
for _name_word in sorted(NAME_WORDS):
    NAME_WORDS_BY_LETTERS[fold(_name_word)] = (
        *NAME_WORDS_BY_LETTERS.get(fold(_name_word), ()),
        _name_word,
    )


@dataclass(frozen=True)
class NameRepair:
    """A name put right against the lists, and how much that needed.

    `changed`: words whose marks were put back from one phrase only (THÁI BINH -> THÁI BÌNH
    when THÁI BÌNH is the only phrase those letters spell). `ambiguous`: words left as read
    because their letters fit several phrases, or because they are only a part of a phrase
    (BINH alone: BÌNH of THÁI BÌNH, or BINH of THƯƠNG BINH). `unknown`: words in no list.
    `guessed`: a province's name after TỈNH or THÀNH PHỐ read one letter wrong, put right from
    the only province it is one letter from (right more often than not, never trusted). Only
    a name with none of these three can be vouched for by the lists.
    """

    text: str
    changed: int = 0
    ambiguous: int = 0
    unknown: int = 0
    guessed: int = 0  # words put right beyond their marks (MINH HÁT -> MINH HẢI): a guess

    @property
    def vouched(self) -> bool:
        return not self.ambiguous and not self.unknown and not self.guessed


@lru_cache(maxsize=4096)
def repair_name(text: str, titles: bool = False) -> NameRepair:
    """An issuing body's name (or with `titles` a signer's title), upper case, with each run
    of words matched to the longest phrase of the lists whose letters (marks aside) it
    spells, and that phrase's marks."""
    index = _TITLES if titles else _PHRASES
    words = tokens(text)
    out: list[str] = []
    changed = ambiguous = unknown = guessed = 0
    i = 0
    while i < len(words):
        word = words[i]
        if word in _HYPHENS:
            out.append("-")
            i += 1
            continue
        matched = False
        # the next runs of up to _LONGEST words (hyphens inside a run are the phrase's)
        spans: list[int] = []
        j = i
        while j < len(words) and len(spans) < _LONGEST:
            if words[j] not in _HYPHENS:
                spans.append(j)
            j += 1
        for length in range(len(spans), 0, -1):
            end = spans[length - 1] + 1
            read = [w for w in words[i:end] if w not in _HYPHENS]
            found = index.get(_key(read))
            if not found:
                continue
            as_read = tuple(canonical_marks(w.strip(_EDGE_PUNCTUATION)) for w in read)
            exact = {p for p in found if tuple(canonical_marks(w) for w in p) == as_read}
            if len(found) > 1 and len(exact) == 1:
                found = exact  # THỨ TRƯỞNG read with its marks is not THỦ TRƯỞNG
            if len(found) > 1:
                ambiguous += length
                out.extend(w.strip(_EDGE_PUNCTUATION) for w in read)
            else:
                phrase = next(iter(found))
                plain = [w for w in phrase if w not in _HYPHENS]
                changed += sum(
                    canonical_marks(r.strip(_EDGE_PUNCTUATION))
                    != canonical_marks(p.strip(_EDGE_PUNCTUATION))
                    for r, p in zip(read, plain, strict=True)
                )
                out.extend(phrase)
            if read[-1].endswith(",") and not out[-1].endswith(",") and end < len(words):
                out[-1] += ","  # "SỞ VĂN HÓA, THỂ THAO": the comma as printed
            i = end
            matched = True
            break
        if matched:
            continue
        if out and out[-1].strip(",") in _PROVINCE_UNITS:
            near = _near_place(words[i:])
            if near is not None:
                length, phrase = near
                out.extend(phrase)
                guessed += 1
                i += length
                continue
        if not titles and i + 1 < len(words):
            near_head = _near_head(words[i], words[i + 1])
            if near_head is not None:
                out.extend(near_head)
                guessed += 1
                i += 2
                continue
        bare = word.strip(_EDGE_PUNCTUATION)
        if bare and not re.search(r"[a-z0-9]", fold(bare)):
            i += 1  # a speck ("ˆ", "~") between the words
            continue
        glued = _unglue(bare) if len(bare) >= 6 else None
        if glued:
            # "UBNDTỈNHPHÚTHỌ": words run together, split where the lists' words end
            rest = repair_name(glued, titles)
            out.append(rest.text)
            changed += 1 + rest.changed
            ambiguous += rest.ambiguous
            unknown += rest.unknown
            guessed += rest.guessed
        elif bare:
            if canonical_marks(bare) in KNOWN_WORDS:
                ambiguous += 1  # a fragment of a phrase (THỊ of THỊ XÃ): not a name alone
            else:
                unknown += 1
            if word.endswith(",") and i + 1 < len(words):
                bare += ","
            out.append(bare)
        i += 1
    text = re.sub(r"\s+", " ", " ".join(out)).strip(" -")
    return NameRepair(unicodedata.normalize("NFC", text), changed, ambiguous, unknown, guessed)


_PROVINCE_UNITS = frozenset({"TỈNH", "PHỐ", "TP"})  # a province or a city follows these


def within_one_edit(first: str, second: str) -> bool:
    """Whether one letter inserted, dropped or replaced turns one string into the other."""
    if first == second:
        return True
    if abs(len(first) - len(second)) > 1:
        return False
    if len(first) > len(second):
        first, second = second, first
    i = 0
    while i < len(first) and first[i] == second[i]:
        i += 1
    if len(first) == len(second):
        return first[i + 1 :] == second[i + 1 :]
    return first[i:] == second[i + 1 :]


def near_province(name: str, province: str) -> bool:
    """Whether a place name is one letter from a province's (folded) name."""
    return within_one_edit("".join(_key(tokens(name))), province.replace(" ", ""))


# Two-word heads of Party and state bodies whose first word OCR misreads by a letter ("BANG BỘ",
# "PANG BỘ" for ĐẢNG BỘ): the second word must be read as printed.
_TWO_WORD_HEADS = tuple(
    tuple(tokens(h)) for h in ("ĐẢNG BỘ", "ĐẢNG ỦY", "ĐẢNG ĐOÀN", "TỈNH ỦY", "HUYỆN ỦY", "CHI BỘ")
)


def _near_head(first: str, second: str) -> tuple[str, ...] | None:
    """The one two-word head of a body one letter from these words in their first word."""
    key = fold(first.strip(_EDGE_PUNCTUATION))
    after = fold(second.strip(_EDGE_PUNCTUATION))
    if len(key) < 3:
        return None
    found = [h for h in _TWO_WORD_HEADS if fold(h[1]) == after and within_one_edit(key, fold(h[0]))]
    return found[0] if len(found) == 1 else None


def _near_place(words: list[str]) -> tuple[int, tuple[str, ...]] | None:
    """The one province or city whose name is one letter from the next two or three words."""
    for length in (2, 3):
        read = [w for w in words[:length] if w not in _HYPHENS]
        if len(read) < length:
            return None
        key = "".join(_key(read))
        if len(key) < 6:
            continue
        found = {
            phrase
            for place_key, phrases in _PLACES.items()
            if len(place_key) == length and within_one_edit(key, "".join(place_key))
            for phrase in phrases
        }
        if len(found) == 1:
            return length, next(iter(found))
    return None


_FOLDED_WORDS = frozenset(fold(w) for w in KNOWN_WORDS if w.isalpha())


def _unglue(word: str) -> str | None:
    """Words OCR ran together, split into words of the lists (all of it, or None)."""
    folded = fold(word)
    if len(folded) != len(word) or not folded.isalpha():
        return None
    best: list[list[int] | None] = [None] * (len(folded) + 1)
    best[0] = []
    for end in range(1, len(folded) + 1):
        for start in range(max(0, end - 7), end):
            before = best[start]
            fewer = best[end] is None or len(before or []) + 1 < len(best[end] or [])
            if before is not None and folded[start:end] in _FOLDED_WORDS and fewer:
                best[end] = [*before, end]
    cuts = best[-1]
    if not cuts or len(cuts) < 2:
        return None
    pieces, start = [], 0
    for end in cuts:
        pieces.append(word[start:end])
        start = end
    return " ".join(pieces)


_PROVINCE_KEYS = sorted(
    (" ".join(_key(tokens(p))) for p in (*PROVINCES, *FORMER_PROVINCES)), key=len, reverse=True
)
PROVINCE_KEYS = frozenset(_PROVINCE_KEYS)  # provinces, folded ("thai binh")


def province_of(name: str) -> str | None:
    """The province (folded) a body's name places it in: "… TỈNH NGHỆ AN" -> "nghe an"."""
    folded = " ".join(_key(tokens(name)))
    for key in _PROVINCE_KEYS:  # longest first: HÀ NAM NINH before HÀ NAM
        if re.search(rf"\b(?:tinh|thanh pho|tp|tinh uy) {re.escape(key)}\b", folded):
            return key
    return None


@dataclass(frozen=True)
class PlaceRepair:
    """A place name (địa danh) checked against the provinces and cities."""

    text: str
    listed: bool  # the name is one of the list (after any repair)
    changed: bool  # marks (or, with `doubtful`, a letter) were put back from the list
    doubtful: bool  # a guess, or a name outside the list with a word that may have lost marks


_PLACE_PREFIXES = ("thanh pho", "tp.", "tp", "thi xa", "huyen", "quan", "tinh")


@lru_cache(maxsize=4096)
def repair_place(text: str) -> PlaceRepair:
    """ "Thai Binh" -> Thái Bình; a name outside the lists is kept as read."""
    words = text.split()
    head: list[str] = []
    folded = fold(" ".join(words))
    for prefix in _PLACE_PREFIXES:
        if folded.startswith(prefix + " ") and len(words) > len(prefix.split()):
            head, words = words[: len(prefix.split())], words[len(prefix.split()) :]
            break
    found = _PLACES.get(_key(words))
    if found and len(found) == 1:
        phrase = next(iter(found))
        titled = " ".join(w if w in _HYPHENS else w.capitalize() for w in phrase)
        changed = canonical_marks(" ".join(words).upper()) != canonical_marks(" ".join(phrase))
        return PlaceRepair(" ".join([*head, titled]), True, changed, False)
    unmarked = any(
        fold(w) == w.lower() and w.lower() not in _PLAIN_PLACE_WORDS
        for w in words
        if w not in _HYPHENS
    )
    return PlaceRepair(text, False, False, unmarked)


def in_places(folded_words: tuple[str, ...]) -> bool:
    """Whether these (folded) words are a province's or a city's name."""
    return folded_words in _PLACES


def place_name(key: str) -> str:
    """A province's name as a place line prints it, from its folded name: "Bà Rịa - Vũng Tàu"."""
    phrase = sorted(_PLACES[tuple(key.split())])[0]
    return " ".join(w if w in _HYPHENS else w.capitalize() for w in phrase)
