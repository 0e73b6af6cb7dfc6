"""Seeded generator of realistic scanner output with ground truth, for tests, demos and benchmarks.

Why: the station pipeline must be measured against pages whose text, skew, orientation, dpi and
defects are known exactly. Real archive scans cannot be shared and have no ground truth, so we
render Vietnamese administrative documents laid out after Decree 30/2020/ND-CP, then damage them
the way scanners do (skew, pages fed sideways, blur, noise, dark borders, bad exposure, low dpi,
broken files) and record every choice in ``truth.json``. ``render_document`` draws whole văn bản
for the documents benchmark (state NĐ 30, Party HD 36 and pre-2011 layouts, one to four pages,
stamps, seals, arrival stamps, pen notes) with the truth of each field as drawn.

Conventions (the same as ``station.pipeline.imaging``):

* ``skew_deg`` is the counter-clockwise (CCW) rotation of the text lines as seen on the scan, in
  degrees, the PIL ``Image.rotate`` convention. ``skew_deg > 0``: baselines rise from left to
  right (the right end of each line is higher). Undo with ``img.rotate(-skew_deg)``.
* ``rotation`` is how many degrees CLOCKWISE the scan must be turned to become upright
  (0, 90, 180 or 270), as Tesseract OSD's "Rotate:" reports it.
* A record's scan equals ``skew(orient(page, rotation), skew_deg)``; both are plane rotations, so
  the order of correction does not matter.
* ``blur_sigma`` is the Gaussian sigma in pixels at 300 dpi, applied before any down-sampling.

Degradation names used in records: skew, rotation, noise, blur, heavy_blur, dark_borders,
uneven_light, too_dark, too_light, resampled, bilevel, colour, stamp, jpeg, paper_texture,
show_through, multipage.

Usage: ``python scripts/make_samples.py OUT_DIR [--seed 7] [--set demo|quality|bench|tests]
[--pages N]``; or ``import make_samples`` (pytest puts ``scripts/`` on ``sys.path``).
"""

from __future__ import annotations

import argparse
import io
import json
import math
import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import pairwise
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont, ImageOps
from rapidfuzz.distance import Levenshtein

# --------------------------------------------------------------------------------------------
# Fonts

_LIB = Path("/usr/share/fonts/truetype/liberation2")
_DJV = Path("/usr/share/fonts/truetype/dejavu")
_NOTO = Path("/usr/share/fonts/truetype/noto")

# family -> style -> file; every family here has the full Vietnamese repertoire.
FONT_FAMILIES: dict[str, dict[str, Path]] = {
    "liberation-serif": {
        "regular": _LIB / "LiberationSerif-Regular.ttf",
        "bold": _LIB / "LiberationSerif-Bold.ttf",
        "italic": _LIB / "LiberationSerif-Italic.ttf",
        "bolditalic": _LIB / "LiberationSerif-BoldItalic.ttf",
    },
    "dejavu-serif": {
        "regular": _DJV / "DejaVuSerif.ttf",
        "bold": _DJV / "DejaVuSerif-Bold.ttf",
        "italic": _DJV / "DejaVuSerif-Italic.ttf",
        "bolditalic": _DJV / "DejaVuSerif-BoldItalic.ttf",
    },
    "noto-serif": {
        "regular": _NOTO / "NotoSerif-Regular.ttf",
        "bold": _NOTO / "NotoSerif-Bold.ttf",
        "italic": _NOTO / "NotoSerif-Italic.ttf",
        "bolditalic": _NOTO / "NotoSerif-BoldItalic.ttf",
    },
    "liberation-sans": {
        "regular": _LIB / "LiberationSans-Regular.ttf",
        "bold": _LIB / "LiberationSans-Bold.ttf",
        "italic": _LIB / "LiberationSans-Italic.ttf",
        "bolditalic": _LIB / "LiberationSans-BoldItalic.ttf",
    },
    "noto-sans": {
        "regular": _NOTO / "NotoSans-Regular.ttf",
        "bold": _NOTO / "NotoSans-Bold.ttf",
        "italic": _NOTO / "NotoSans-Italic.ttf",
        "bolditalic": _NOTO / "NotoSans-BoldItalic.ttf",
    },
}
FONT_NAMES: tuple[str, ...] = tuple(FONT_FAMILIES)


@lru_cache(maxsize=256)
def _font(family: str, style: str, size_px: int) -> ImageFont.FreeTypeFont:
    """Load a font once; BASIC layout so output does not depend on libraqm being present."""
    path = FONT_FAMILIES[family][style]
    return ImageFont.truetype(str(path), size_px, layout_engine=ImageFont.Layout.BASIC)


def _nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


# --------------------------------------------------------------------------------------------
# Phrase lists (Vietnamese administrative language, archives and records work)

PROVINCES = (
    "Bắc Ninh", "Hà Nam", "Nam Định", "Thái Bình", "Nghệ An", "Quảng Ninh", "Thanh Hóa",
    "Hải Dương", "Phú Thọ", "Đồng Nai", "Lâm Đồng", "Quảng Nam", "Bình Định", "Vĩnh Phúc",
    "Hưng Yên", "Tuyên Quang", "Hà Tĩnh", "Bắc Giang",
)  # fmt: skip

# (header name, symbol abbreviation, name in running text)
DEPARTMENTS = (
    ("SỞ NỘI VỤ", "SNV", "Sở Nội vụ"),
    ("SỞ TÀI CHÍNH", "STC", "Sở Tài chính"),
    ("SỞ GIÁO DỤC VÀ ĐÀO TẠO", "SGDĐT", "Sở Giáo dục và Đào tạo"),
    ("SỞ TÀI NGUYÊN VÀ MÔI TRƯỜNG", "STNMT", "Sở Tài nguyên và Môi trường"),
    ("SỞ Y TẾ", "SYT", "Sở Y tế"),
    ("SỞ KẾ HOẠCH VÀ ĐẦU TƯ", "SKHĐT", "Sở Kế hoạch và Đầu tư"),
    ("SỞ THÔNG TIN VÀ TRUYỀN THÔNG", "STTTT", "Sở Thông tin và Truyền thông"),
)

# (title, symbol code); CÔNG VĂN has no code of its own (Số: 12/UBND-VP).
DOC_TYPES = (
    ("QUYẾT ĐỊNH", "QĐ"),
    ("CÔNG VĂN", ""),
    ("BÁO CÁO", "BC"),
    ("TỜ TRÌNH", "TTr"),
    ("THÔNG BÁO", "TB"),
    ("KẾ HOẠCH", "KH"),
)

TOPICS = (
    "phê duyệt Kế hoạch chỉnh lý tài liệu lưu trữ năm {y}",
    "số hóa tài liệu lưu trữ lịch sử của tỉnh giai đoạn {y}-{y2}",
    "kiện toàn Hội đồng xác định giá trị tài liệu",
    "thu thập hồ sơ, tài liệu vào Lưu trữ lịch sử tỉnh năm {y}",
    "tăng cường công tác văn thư, lưu trữ trên địa bàn tỉnh",
    "hủy tài liệu hết giá trị tại Chi cục Văn thư - Lưu trữ",
    "triển khai phần mềm quản lý văn bản và hồ sơ công việc",
    "tổ chức kiểm tra công tác văn thư, lưu trữ năm {y}",
    "phân bổ kinh phí bảo quản tài liệu lưu trữ năm {y}",
    "ban hành Danh mục hồ sơ của cơ quan năm {y}",
    "cải tạo kho lưu trữ chuyên dụng của tỉnh",
    "lập hồ sơ và nộp lưu hồ sơ, tài liệu vào Lưu trữ cơ quan",
)

LEGAL_BASES = (
    "Căn cứ Luật Tổ chức chính quyền địa phương ngày 19 tháng 6 năm 2015;",
    "Căn cứ Luật sửa đổi, bổ sung một số điều của Luật Tổ chức Chính phủ và Luật Tổ chức chính "
    "quyền địa phương ngày 22 tháng 11 năm 2019;",
    "Căn cứ Luật Lưu trữ ngày 11 tháng 11 năm 2011;",
    "Căn cứ Nghị định số 30/2020/NĐ-CP ngày 05 tháng 3 năm 2020 của Chính phủ về công tác văn thư;",
    "Căn cứ Nghị định số 01/2013/NĐ-CP ngày 03 tháng 01 năm 2013 của Chính phủ quy định chi tiết "
    "thi hành một số điều của Luật Lưu trữ;",
    "Căn cứ Thông tư số 02/2019/TT-BNV ngày 24 tháng 01 năm 2019 của Bộ trưởng Bộ Nội vụ quy định "
    "tiêu chuẩn dữ liệu thông tin đầu vào và yêu cầu bảo quản tài liệu lưu trữ điện tử;",
    "Căn cứ Thông tư số 16/2014/TT-BNV ngày 20 tháng 11 năm 2014 của Bộ Nội vụ hướng dẫn giao, "
    "nhận tài liệu lưu trữ vào Lưu trữ lịch sử các cấp;",
    "Căn cứ Luật Ngân sách nhà nước ngày 25 tháng 6 năm 2015;",
    "Căn cứ Quyết định số {n}/QĐ-UBND ngày {date} của Ủy ban nhân dân tỉnh về việc ban hành Kế "
    "hoạch công tác văn thư, lưu trữ năm {y};",
)

SENTENCES = (
    "Các cơ quan, tổ chức thuộc nguồn nộp lưu tài liệu vào Lưu trữ lịch sử tỉnh có trách nhiệm "
    "lập Danh mục hồ sơ và nộp lưu tài liệu đúng thời hạn quy định.",
    "Tài liệu được chỉnh lý phải bảo đảm phân loại đúng theo phương án đã được phê duyệt, hồ sơ "
    "được lập đầy đủ, sắp xếp khoa học và có công cụ tra cứu.",
    "Trong năm {y}, toàn tỉnh đã chỉnh lý được {n} mét giá tài liệu và số hóa {n2} trang tài liệu "
    "có giá trị bảo quản vĩnh viễn.",
    "Kinh phí thực hiện được bố trí từ nguồn ngân sách tỉnh năm {y} và các nguồn kinh phí hợp pháp "
    "khác theo quy định.",
    "{agency} chủ trì, phối hợp với các cơ quan liên quan hướng dẫn, kiểm tra, đôn đốc việc thực "
    "hiện nội dung này.",
    "Việc số hóa tài liệu phải tuân thủ quy trình kỹ thuật, bảo đảm bản số hóa có chất lượng tốt, "
    "định dạng PDF/A, độ phân giải tối thiểu 200 dpi.",
    "Hệ thống quản lý tài liệu lưu trữ điện tử phải bảo đảm tính xác thực, toàn vẹn, nhất quán và "
    "khả năng truy cập lâu dài của dữ liệu.",
    "Các đơn vị báo cáo kết quả thực hiện về Sở Nội vụ trước {date} để tổng hợp, báo cáo Ủy "
    "ban nhân dân tỉnh.",
    "Công tác văn thư, lưu trữ tại một số cơ quan, đơn vị còn hạn chế; tài liệu tích đống chưa "
    "được chỉnh lý còn nhiều, kho lưu trữ chưa đạt chuẩn.",
    "Đội ngũ công chức, viên chức làm công tác văn thư, lưu trữ từng bước được bồi dưỡng, nâng cao "
    "trình độ chuyên môn, nghiệp vụ.",
    "Hồ sơ, tài liệu hết giá trị được thống kê thành danh mục riêng, trình Hội đồng xác định giá "
    "trị tài liệu xem xét trước khi tiêu hủy.",
    "Thời gian thực hiện từ tháng {m} năm {y} đến hết tháng 12 năm {y}.",
    "Phòng đọc của Lưu trữ lịch sử tỉnh đã phục vụ {n} lượt độc giả với {n2} hồ sơ, tài liệu được "
    "khai thác, sử dụng.",
    "Đề nghị Ủy ban nhân dân các huyện, thị xã, thành phố chỉ đạo các cơ quan chuyên môn triển "
    "khai thực hiện nghiêm túc các nội dung trên.",
    "Tài liệu sau khi số hóa được kiểm tra chất lượng, đối chiếu với bản gốc và cập nhật vào cơ sở "
    "dữ liệu tài liệu lưu trữ của tỉnh.",
    "Bảo đảm an toàn, bảo mật thông tin trong quá trình số hóa, lưu trữ và khai thác tài liệu theo "
    "quy định của pháp luật.",
    "Mỗi hồ sơ được đánh số tờ, lập mục lục văn bản và ghi chứng từ kết thúc trước khi đưa vào hộp "
    "bảo quản.",
    "Nhiệt độ trong kho lưu trữ được duy trì ở mức {t} độ C, độ ẩm tương đối không quá {h}%.",
    "Văn bản đi phải được đăng ký vào sổ hoặc cơ sở dữ liệu quản lý văn bản, ghi số, ngày, tháng, "
    "năm và đóng dấu đúng quy định.",
    "Năm {y}, các cơ quan cấp tỉnh đã giao nộp {n} hộp tài liệu với tổng số {n2} hồ sơ vào Lưu trữ "
    "lịch sử tỉnh.",
    "Việc ứng dụng công nghệ thông tin trong công tác văn thư, lưu trữ được đẩy mạnh, tỷ lệ văn "
    "bản điện tử đạt {pct}%.",
    "Cơ quan, tổ chức phải bố trí kho lưu trữ đủ diện tích, trang bị giá, hộp, cặp và phương tiện "
    "phòng cháy, chữa cháy.",
    "Tài liệu bị hư hỏng, ố vàng, rách nát được tu bổ, phục chế trước khi đưa ra phục vụ khai "
    "thác.",
    "Người đứng đầu cơ quan, tổ chức chịu trách nhiệm về việc quản lý, bảo quản an toàn tài liệu "
    "lưu trữ của cơ quan mình.",
    "Bản sao số từ bản gốc phải thể hiện đầy đủ thông tin, hình thức, chữ ký và con dấu của văn "
    "bản gốc.",
    "Kết quả kiểm tra cho thấy {k} trên tổng số {k2} cơ quan, đơn vị đã lập Danh mục hồ sơ đầy đủ.",
    "Dự toán kinh phí chỉnh lý tài liệu là {money} đồng, trong đó chi phí nhân công chiếm tỷ lệ "
    "lớn nhất.",
    "Các phông tài liệu có giá trị được ưu tiên số hóa trước nhằm phục vụ nhu cầu khai thác của "
    "tổ chức và cá nhân.",
    "Thời hạn bảo quản hồ sơ được xác định theo Bảng thời hạn bảo quản tài liệu do cơ quan ban "
    "hành.",
    "Việc giao nhận tài liệu được lập thành biên bản, kèm theo mục lục hồ sơ và danh mục tài liệu "
    "có đóng dấu chỉ mức độ mật.",
)

SECTION_HEADINGS = (
    "Mục đích, yêu cầu",
    "Nội dung thực hiện",
    "Kết quả đạt được",
    "Tồn tại, hạn chế",
    "Tổ chức thực hiện",
    "Kinh phí thực hiện",
    "Nhiệm vụ trọng tâm",
)

FAMILY_NAMES = ("Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ", "Đặng", "Bùi", "Đỗ", "Ngô", "Dương")
MIDDLE_NAMES = ("Văn", "Thị", "Đức", "Minh", "Quốc", "Thanh", "Hữu", "Ngọc", "Xuân", "Thu")
GIVEN_NAMES = (
    "Hùng", "Lan", "Phương", "Tuấn", "Hòa", "Thắng", "Dũng", "Hương", "Thủy", "Long", "Nghĩa",
    "Trường", "Hạnh", "Quân", "Bình",
)  # fmt: skip

RECIPIENTS = (
    "- TT Tỉnh ủy, TT HĐND tỉnh (b/c);",
    "- Chủ tịch, các PCT UBND tỉnh;",
    "- Bộ Nội vụ (b/c);",
    "- Cục Văn thư và Lưu trữ nhà nước;",
    "- Các sở, ban, ngành tỉnh;",
    "- UBND các huyện, thị xã, thành phố;",
    "- Trung tâm Lưu trữ lịch sử tỉnh;",
)


def _pick(rng: np.random.Generator, items: Sequence[Any]) -> Any:
    return items[int(rng.integers(len(items)))]


def _date_words(day: int, month: int, year: int) -> str:
    """Decree 30 writes days below 10 and months below 3 with a leading zero."""
    d = f"{day:02d}" if day < 10 else str(day)
    m = f"{month:02d}" if month < 3 else str(month)
    return f"ngày {d} tháng {m} năm {year}"


@dataclass
class _Doc:
    """The words of one document, before layout."""

    parent: str | None  # upper line of the issuing body (regular weight), if any
    body: str  # issuing body (bold)
    motto: tuple[str, str] = ("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc")
    number: str = ""
    place_date: str = ""
    title: str = ""
    summary: str = ""
    addressee: str | None = None
    authority: str | None = None  # centred line before the legal bases of a QUYẾT ĐỊNH
    bases: list[str] = field(default_factory=list)
    opening: list[str] = field(default_factory=list)
    middle: list[tuple[str, str]] = field(default_factory=list)  # (kind, text)
    closing: list[str] = field(default_factory=list)
    signer: list[str] = field(default_factory=list)
    name: str = ""
    recipients: list[str] = field(default_factory=list)
    seal_text: str = ""


class _Filler:
    """Fills sentence templates with rng-chosen numbers; never repeats a sentence on a page."""

    def __init__(self, rng: np.random.Generator, year: int, agency: str) -> None:
        self.rng = rng
        self.year = year
        self.agency = agency
        self.order = list(rng.permutation(len(SENTENCES)))

    def fill(self, template: str) -> str:
        rng = self.rng
        y = self.year
        day, month = int(rng.integers(1, 29)), int(rng.integers(1, 13))
        money = f"{int(rng.integers(120, 990))}.{int(rng.integers(0, 1000)):03d}.000"
        return template.format(
            y=y,
            y2=y + 2,
            n=int(rng.integers(12, 2500)),
            n2=int(rng.integers(1500, 98000)),
            m=int(rng.integers(2, 7)),
            date=_date_words(day, month, y),
            agency=self.agency,
            t=int(rng.integers(18, 23)),
            h=int(rng.integers(50, 61)),
            pct=int(rng.integers(60, 98)),
            money=money,
            k=int(rng.integers(20, 80)),
            k2=int(rng.integers(80, 160)),
        )

    def sentence(self) -> str:
        if not self.order:
            self.order = list(self.rng.permutation(len(SENTENCES)))
        return self.fill(SENTENCES[self.order.pop()])

    def paragraph(self) -> str:
        return " ".join(self.sentence() for _ in range(int(self.rng.integers(1, 4))))


def _person(rng: np.random.Generator) -> str:
    return f"{_pick(rng, FAMILY_NAMES)} {_pick(rng, MIDDLE_NAMES)} {_pick(rng, GIVEN_NAMES)}"


def _compose(rng: np.random.Generator) -> tuple[_Doc, _Filler]:
    """Choose issuing body, document type, dates and fixed paragraphs."""
    prov = _pick(rng, PROVINCES)
    prov_up = prov.upper()
    year = int(rng.integers(2012, 2024))
    day, month = int(rng.integers(1, 29)), int(rng.integers(1, 13))
    title, code = _pick(rng, DOC_TYPES)
    n = int(rng.integers(1, 2600))
    issuer = int(rng.integers(4))
    if issuer == 0:  # provincial People's Committee
        parent, body, abbr, self_name = None, "ỦY BAN NHÂN DÂN", "UBND", "Ủy ban nhân dân tỉnh"
        body_lines = ("ỦY BAN NHÂN DÂN", f"TỈNH {prov_up}")
        authority = f"ỦY BAN NHÂN DÂN TỈNH {prov_up}"
        if code == "QĐ" or rng.random() < 0.3:
            signer = ["TM. ỦY BAN NHÂN DÂN", "KT. CHỦ TỊCH", "PHÓ CHỦ TỊCH"]
        else:
            signer = _pick(rng, (["KT. CHỦ TỊCH", "PHÓ CHỦ TỊCH"], ["CHỦ TỊCH"]))
        seal = f"ỦY BAN NHÂN DÂN TỈNH {prov_up}"
    elif issuer == 1:  # a department of the province
        head, abbr, self_name = _pick(rng, DEPARTMENTS)
        body_lines = (f"UBND TỈNH {prov_up}", head)
        authority = f"GIÁM ĐỐC {head}"
        signer = _pick(rng, (["GIÁM ĐỐC"], ["KT. GIÁM ĐỐC", "PHÓ GIÁM ĐỐC"]))
        seal = f"{head} TỈNH {prov_up}"
    elif issuer == 2:
        abbr, self_name = "CCVTLT", "Chi cục Văn thư - Lưu trữ"
        body_lines = (f"SỞ NỘI VỤ TỈNH {prov_up}", "CHI CỤC VĂN THƯ - LƯU TRỮ")
        authority = "CHI CỤC TRƯỞNG CHI CỤC VĂN THƯ - LƯU TRỮ"
        signer = _pick(rng, (["CHI CỤC TRƯỞNG"], ["KT. CHI CỤC TRƯỞNG", "PHÓ CHI CỤC TRƯỞNG"]))
        seal = f"CHI CỤC VĂN THƯ - LƯU TRỮ {prov_up}"
    else:
        abbr, self_name = "TTLTLS", "Trung tâm Lưu trữ lịch sử"
        body_lines = (f"SỞ NỘI VỤ TỈNH {prov_up}", "TRUNG TÂM LƯU TRỮ LỊCH SỬ")
        authority = "GIÁM ĐỐC TRUNG TÂM LƯU TRỮ LỊCH SỬ"
        signer = _pick(rng, (["GIÁM ĐỐC"], ["KT. GIÁM ĐỐC", "PHÓ GIÁM ĐỐC"]))
        seal = f"TRUNG TÂM LƯU TRỮ LỊCH SỬ {prov_up}"
    parent, body = body_lines
    if code:
        number = f"Số: {n}/{code}-{abbr}"
    else:
        number = f"Số: {n}/{abbr}-{_pick(rng, ('VP', 'VTLT', 'TCCB', 'NV'))}"
    filler = _Filler(rng, year, self_name)
    topic = filler.fill(_pick(rng, TOPICS))
    doc = _Doc(
        parent=parent,
        body=body,
        number=number,
        place_date=f"{prov}, {_date_words(day, month, year)}",
        title=title,
        summary=f"Về việc {topic}",
        signer=list(signer),
        name=_person(rng),
        seal_text=seal,
    )
    ref = (
        f"Kế hoạch số {int(rng.integers(1, 400))}/KH-UBND "
        f"{_date_words(int(rng.integers(1, 29)), int(rng.integers(1, 13)), year)}"
        " của Ủy ban nhân dân tỉnh"
    )
    if code == "QĐ":
        doc.authority = authority
        k = int(rng.integers(2, 5))
        doc.bases = [
            filler.fill(LEGAL_BASES[int(i)]) for i in rng.choice(len(LEGAL_BASES), k, False)
        ]
        tt_no = int(rng.integers(1, 900))
        tt_date = _date_words(int(rng.integers(1, 29)), int(rng.integers(1, 13)), year)
        doc.bases.append(
            f"Theo đề nghị của Giám đốc Sở Nội vụ tại Tờ trình số {tt_no}/TTr-SNV {tt_date}."
        )
        doc.opening = [f"Điều 1. {topic[0].upper()}{topic[1:]} (có văn bản kèm theo)."]
        doc.closing = [
            "Điều 2. Quyết định này có hiệu lực kể từ ngày ký.",
            "Điều 3. Chánh Văn phòng Ủy ban nhân dân tỉnh, Giám đốc Sở Nội vụ, Thủ trưởng các cơ "
            "quan, đơn vị có liên quan chịu trách nhiệm thi hành Quyết định này./.",
        ]
    else:
        if code in ("", "TTr"):
            doc.addressee = (
                f"Kính gửi: Ủy ban nhân dân tỉnh {prov}"
                if code == "TTr" or rng.random() < 0.5
                else "Kính gửi: Các sở, ban, ngành tỉnh"
            )
        verb = {"BC": "báo cáo", "TTr": "kính trình", "TB": "thông báo", "KH": "xây dựng Kế hoạch"}
        doc.opening = [f"Thực hiện {ref}, {self_name} {verb.get(code, 'đề nghị')} {topic} như sau:"]
        doc.closing = [
            {
                "BC": f"Trên đây là báo cáo của {self_name} về {topic}./.",
                "TTr": f"{self_name} kính trình Ủy ban nhân dân tỉnh xem xét, phê duyệt./.",
                "TB": f"{self_name} thông báo để các cơ quan, đơn vị biết, thực hiện./.",
                "KH": "Trong quá trình thực hiện, nếu có vướng mắc, các đơn vị phản ánh về Sở Nội "
                "vụ để tổng hợp, báo cáo Ủy ban nhân dân tỉnh xem xét, giải quyết./.",
            }.get(code, "Đề nghị các cơ quan, đơn vị quan tâm, phối hợp thực hiện./.")
        ]
    k = int(rng.integers(2, 5))
    doc.recipients = [RECIPIENTS[int(i)] for i in sorted(rng.choice(len(RECIPIENTS), k, False))]
    if code == "QĐ":
        doc.recipients.insert(0, "- Như Điều 3;")
    doc.recipients.append(f"- Lưu: VT, {abbr}.")
    return doc, filler


# --------------------------------------------------------------------------------------------
# Layout


@dataclass
class _Line:
    """One rendered text line: words (with per-word style), size, alignment and spacing."""

    words: list[tuple[str, str]]  # (word, style)
    size_pt: float
    align: str = "left"  # left | center | right | justify | block (centred on right_block_px)
    indent_px: int = 0
    gap_before_px: int = 0
    right_block_px: int = 0  # for align="block": centre x of the signature block
    rule_below: bool = False  # short horizontal rule under the line (motto, summary)

    @property
    def text(self) -> str:
        return " ".join(w for w, _ in self.words)


def _words(text: str, style: str, bold_prefix: int = 0) -> list[tuple[str, str]]:
    """Split text into (word, style); the first ``bold_prefix`` words are bold (e.g. 'Điều 1.')."""
    out = []
    for i, w in enumerate(text.split()):
        st = style
        if i < bold_prefix:
            st = "bolditalic" if "italic" in style else "bold"
        out.append((w, st))
    return out


def _measure(family: str, words: list[tuple[str, str]], size_px: int) -> tuple[float, float]:
    """Total ink advance of the words and the width of one space, in pixels."""
    total = sum(_font(family, st, size_px).getlength(w) for w, st in words)
    space = _font(family, "regular", size_px).getlength(" ")
    return total, space


def _wrap(
    family: str,
    words: list[tuple[str, str]],
    size_px: int,
    width: float,
    first_indent: float,
) -> list[list[tuple[str, str]]]:
    """Greedy word wrap to ``width``; the first line is shorter by the paragraph indent."""
    lines: list[list[tuple[str, str]]] = []
    cur: list[tuple[str, str]] = []
    avail = width - first_indent
    for word in words:
        trial = [*cur, word]
        w, sp = _measure(family, trial, size_px)
        if cur and w + sp * (len(trial) - 1) > avail:
            lines.append(cur)
            cur = [word]
            avail = width
        else:
            cur = trial
    if cur:
        lines.append(cur)
    return lines


@dataclass
class _Rendered:
    image: Image.Image
    text: str
    font: str
    seal_center: tuple[int, int]  # where a round seal belongs (left part of the signature)
    seal_radius: int
    seal_text: str
    body_lines: int  # lines between the header and the signature


def _render(
    rng: np.random.Generator, dpi: int, font_family: str | None, ink: int | None = None
) -> _Rendered:
    """Compose, lay out and draw one page; keeps the layout facts the batch needs (seal spot)."""
    family = font_family or _pick(rng, FONT_NAMES)
    if family not in FONT_FAMILIES:
        raise ValueError(f"unknown font family {family!r}; choose from {', '.join(FONT_NAMES)}")
    doc, filler = _compose(rng)
    mm = dpi / 25.4
    pt = dpi / 72.0
    width_px, height_px = round(210 * mm), round(297 * mm)
    left = round(rng.uniform(28, 32) * mm)
    right = round(rng.uniform(15, 18) * mm)
    top = round(rng.uniform(15, 20) * mm)
    bottom = round(rng.uniform(12, 17) * mm)
    text_w = width_px - left - right
    spacing = float(rng.uniform(1.1, 1.22))  # line pitch / font size (single to ~1.3 lines)
    body_pt = 13.0
    indent = round(rng.uniform(10, 12.7) * mm)
    para_gap = round(float(rng.uniform(3, 6)) * pt)

    def pitch(size_pt: float) -> int:
        return round(size_pt * pt * spacing)

    def centred(text: str, style: str, size: float, gap: int = 0) -> _Line:
        return _Line(_words(text, style), size, "center", gap_before_px=gap)

    # Header: single-column, centred, one item per row so OCR reading order is unambiguous.
    header: list[_Line] = []
    if doc.parent:
        header.append(centred(doc.parent, "regular", 12.5))
    header.append(centred(doc.body, "bold", 12.5))
    header.append(centred(doc.motto[0], "bold", 12.5, round(3 * mm)))
    motto2 = centred(doc.motto[1], "bold", 13.5)
    motto2.rule_below = True
    header.append(motto2)
    header.append(centred(doc.number, "regular", 13, round(4 * mm)))
    header.append(
        _Line(
            _words(doc.place_date, "italic"), 13, _pick(rng, ("center", "right")), gap_before_px=0
        )
    )
    header.append(centred(doc.title, "bold", 14, round(5 * mm)))
    summary_lines = _wrap(family, _words(doc.summary, "bold"), round(13.5 * pt), text_w * 0.75, 0)
    for i, words in enumerate(summary_lines):
        ln = _Line(words, 13.5, "center")
        ln.rule_below = i == len(summary_lines) - 1
        header.append(ln)
    if doc.addressee:
        header.append(centred(doc.addressee, "regular", 13.5, round(5 * mm)))

    # Footer: signature block (right half, centred), then "Nơi nhận:" (left).
    sig_centre = left + round(text_w * 0.72)
    footer: list[_Line] = []
    for i, s in enumerate(doc.signer):
        ln = _Line(_words(s, "bold"), 13, "block", gap_before_px=round(5 * mm) if i == 0 else 0)
        ln.right_block_px = sig_centre
        footer.append(ln)
    sig_space = round(rng.uniform(14, 20) * mm)
    name = _Line(_words(doc.name, "bold"), 13.5, "block", gap_before_px=sig_space)
    name.right_block_px = sig_centre
    footer.append(name)
    footer.append(_Line(_words("Nơi nhận:", "bolditalic"), 12, "left", gap_before_px=round(4 * mm)))
    footer.extend(_Line(_words(r, "regular"), 11, "left") for r in doc.recipients)

    # Body: fixed opening/closing, filler paragraphs in between until the target line count.
    body_size = round(body_pt * pt)

    def para(text: str, style: str = "regular", bold_prefix: int = 0) -> list[_Line]:
        wrapped = _wrap(family, _words(text, style, bold_prefix), body_size, text_w, indent)
        out = []
        for i, words in enumerate(wrapped):
            last = i == len(wrapped) - 1
            ln = _Line(words, body_pt, "left" if last else "justify", indent if i == 0 else 0)
            ln.gap_before_px = para_gap if i == 0 else 0
            out.append(ln)
        return out

    def height(lines: Sequence[_Line]) -> int:
        return sum(ln.gap_before_px + pitch(ln.size_pt) for ln in lines)

    head_body: list[_Line] = []
    if doc.authority:
        head_body.append(centred(doc.authority, "bold", 13.5, round(5 * mm)))
    for b in doc.bases:
        head_body += para(b, "italic")
    if doc.authority:
        head_body.append(centred("QUYẾT ĐỊNH:", "bold", 14, round(3 * mm)))
    for o in doc.opening:
        head_body += para(o, "regular", 2 if o.startswith("Điều") else 0)
    tail_body: list[_Line] = []
    for c in doc.closing:
        tail_body += para(c, "regular", 2 if c.startswith("Điều") else 0)
    if head_body:
        head_body[0].gap_before_px = max(head_body[0].gap_before_px, round(4 * mm))

    avail = height_px - top - bottom - height(header) - height(footer)
    target = int(rng.integers(20, 36))
    middle: list[_Line] = []
    section = 0
    for _attempt in range(40):
        n_lines = len(head_body) + len(middle) + len(tail_body)
        if n_lines >= target:
            break
        block: list[_Line] = []
        if doc.title in ("BÁO CÁO", "KẾ HOẠCH", "TỜ TRÌNH") and rng.random() < 0.3:
            section += 1
            heading = f"{section}. {_pick(rng, SECTION_HEADINGS)}"
            block.append(_Line(_words(heading, "bold"), body_pt, "left", indent, para_gap))
        text = filler.paragraph()
        if rng.random() < 0.25:
            text = "- " + text
        block += para(text)
        total = [*head_body, *middle, *block, *tail_body]
        if height(total) > avail or len(total) > target + 2:
            continue
        middle += block
    body = [*head_body, *middle, *tail_body]
    lines = [*header, *body, *footer]

    # Draw. Baselines sit at y + ascent-ish (0.8 em) of each row's pitch.
    ink_level = int(rng.integers(0, 30)) if ink is None else ink
    img = Image.new("L", (width_px, height_px), 255)
    draw = ImageDraw.Draw(img)
    y = float(top)
    sig_top = sig_bottom = 0
    for ln in lines:
        y += ln.gap_before_px
        size_px = round(ln.size_pt * pt)
        base = y + 0.85 * size_px + (pitch(ln.size_pt) - 1.15 * size_px) / 2
        total, space = _measure(family, ln.words, size_px)
        natural = total + space * (len(ln.words) - 1)
        gap = space
        if ln.align == "center":
            x = left + (text_w - natural) / 2
        elif ln.align == "right":
            x = width_px - right - natural
        elif ln.align == "block":
            x = ln.right_block_px - natural / 2
        else:
            x = left + ln.indent_px
            if ln.align == "justify" and len(ln.words) > 1:
                gap = (text_w - ln.indent_px - total) / (len(ln.words) - 1)
        x0 = x
        for w, st in ln.words:
            f = _font(family, st, size_px)
            draw.text((round(x), round(base)), w, font=f, fill=ink_level, anchor="ls")
            x += f.getlength(w) + gap
        if ln.rule_below:
            rule_w = min(natural, 0.4 * text_w) if ln is not motto2 else natural
            cx = x0 + natural / 2
            ry = round(base + 0.45 * size_px)
            draw.line(
                [(round(cx - rule_w / 2), ry), (round(cx + rule_w / 2), ry)],
                fill=ink_level,
                width=max(1, round(0.6 * pt)),
            )
        if ln is name:
            sig_bottom = round(y - 0.3 * size_px)
            sig_top = round(y - ln.gap_before_px)
        y += pitch(ln.size_pt)
    img.info["dpi"] = (dpi, dpi)
    text = "\n".join(_nfc(ln.text) for ln in lines)
    radius = round(rng.uniform(15, 18) * mm)
    seal_center = (sig_centre - round(rng.uniform(14, 22) * mm), (sig_top + sig_bottom) // 2)
    return _Rendered(img, text, family, seal_center, radius, doc.seal_text, len(body))


def render_document_page(
    rng: np.random.Generator, *, dpi: int = 300, font_family: str | None = None
) -> tuple[Image.Image, str]:
    """Render an upright, clean A4 administrative document (mode "L") and its ground-truth text.

    The layout follows Decree 30/2020 (motto, issuing body, number, place and date, title,
    summary, body, signature, "Nơi nhận:") but as a single column, so the ground truth lines are
    in the order Tesseract reads them. Ground truth is the rendered lines, NFC, joined by "\\n".
    Body text is 13 pt; the body aims at 20-35 lines but stops at what fits on A4 with the
    header and signature (typically 19-25 lines). Ink is near black (0-30) on 255 paper.
    """
    r = _render(rng, dpi, font_family)
    return r.image, r.text


def render_continuation_page(seed: int, number: int) -> Image.Image:
    """A second page as NĐ 30 prints it: the page number alone at the top centre, then text."""
    rng = np.random.default_rng(seed)
    page = Image.new("L", (2480, 3508), 255)
    draw = ImageDraw.Draw(page)
    font = _font(FONT_NAMES[0], "regular", 54)
    draw.text((1240, 170), str(number), font=font, fill=0, anchor="mm")
    filler = _Filler(rng, 2015, "Sở Nội vụ")
    y = 360
    for _ in range(14):
        words = filler.sentence().split()
        line: list[str] = []
        for word in words:
            if draw.textlength(" ".join([*line, word]), font=font) > 1900:
                draw.text((290, y), " ".join(line), font=font, fill=0)
                y += 90
                line = []
            line.append(word)
        draw.text((290, y), " ".join(line), font=font, fill=0)
        y += 130
        if y > 3000:
            break
    return page


def add_secrecy_stamp(page: Image.Image, text: str) -> Image.Image:
    """A red framed secrecy stamp under the number block, as NĐ 30 places it."""
    rgb = page.convert("RGB")
    draw = ImageDraw.Draw(rgb)
    font = _font(FONT_NAMES[0], "bold", 70)
    width = int(draw.textlength(text, font=font))
    x, y = 330, 720
    draw.rectangle((x - 30, y - 25, x + width + 30, y + 95), outline=(200, 20, 30), width=8)
    draw.text((x, y), text, font=font, fill=(200, 20, 30))
    return rgb


# --------------------------------------------------------------------------------------------
# Whole documents with structured truth (the documents benchmark)
#
# `render_document` draws a văn bản the way an archive holds it: the two-column header of
# NĐ 30/2020 and TT 01/2011 (state), of HD 36-HD/VPTW and HD 11-HD/VPTW (Party) or of the state
# papers of before 2011 ("Số: 12/QĐ-UB"); one to four pages, numbered at the top centre from
# the second; the signature, a red seal over it and "Nơi nhận" on the last page; and what
# offices add on paper: secrecy and urgency stamps under the number, an arrival stamp with a
# handwritten number and date, pen notes in the margins. Its truth is what it drew, field by
# field; nothing is read back from the rendered text.

LAYOUTS = ("state", "party", "old")
SECRECY_STAMPS = {"Mật": "MẬT", "Tối mật": "TỐI MẬT", "Tuyệt mật": "TUYỆT MẬT"}
URGENCY_STAMPS = {"Khẩn": "KHẨN", "Thượng khẩn": "THƯỢNG KHẨN", "Hỏa tốc": "HỎA TỐC"}

# Type names by symbol code. A state công văn prints no type name and carries no type code
# (Số: 45/UBND-VP); a Party one carries CV (Số 45-CV/TU) and prints no type name either.
_TYPE_NAMES = {
    "QĐ": "QUYẾT ĐỊNH",
    "NQ": "NGHỊ QUYẾT",
    "CT": "CHỈ THỊ",
    "KL": "KẾT LUẬN",
    "QĐi": "QUY ĐỊNH",
    "TB": "THÔNG BÁO",
    "BC": "BÁO CÁO",
    "KH": "KẾ HOẠCH",
    "HD": "HƯỚNG DẪN",
    "TTr": "TỜ TRÌNH",
    "CV": "CÔNG VĂN",
    "": "CÔNG VĂN",
}

MORE_TOPICS = (
    "tổ chức Hội nghị tổng kết công tác văn thư, lưu trữ năm {y}",
    "triển khai thực hiện Chỉ thị số {n}/CT-TTg của Thủ tướng Chính phủ về công tác lưu trữ",
    "đôn đốc nộp lưu hồ sơ, tài liệu vào Lưu trữ lịch sử tỉnh năm {y}",
    "góp ý dự thảo Quy chế công tác văn thư, lưu trữ của cơ quan",
    "cử cán bộ tham dự lớp bồi dưỡng nghiệp vụ văn thư, lưu trữ năm {y}",
)

PARTY_TOPICS = (
    "tăng cường sự lãnh đạo của Đảng đối với công tác văn thư, lưu trữ",
    "thu thập tài liệu vào Kho Lưu trữ Tỉnh ủy năm {y}",
    "chỉnh lý tài liệu Phông Lưu trữ Đảng bộ tỉnh giai đoạn {y}-{y2}",
    "số hóa tài liệu lưu trữ của các cơ quan đảng trong tỉnh",
    "thực hiện chế độ báo cáo, thống kê công tác lưu trữ năm {y}",
    "kiểm tra công tác văn thư, lưu trữ tại các huyện ủy, thị ủy, thành ủy năm {y}",
    "quản lý tài liệu trong quá trình sắp xếp tổ chức bộ máy",
    "bảo vệ bí mật nhà nước trong các cơ quan đảng",
)

PARTY_SENTENCES = (
    "Các cấp ủy, tổ chức đảng quán triệt, triển khai thực hiện nghiêm túc nội dung văn bản này "
    "đến cán bộ, đảng viên.",
    "Ban Thường vụ Tỉnh ủy yêu cầu các huyện ủy, thị ủy, thành ủy, đảng ủy trực thuộc tập trung "
    "lãnh đạo, chỉ đạo thực hiện tốt các nhiệm vụ trên.",
    "Văn phòng Tỉnh ủy chủ trì, phối hợp với các ban đảng theo dõi, đôn đốc, kiểm tra việc thực "
    "hiện và định kỳ báo cáo Ban Thường vụ Tỉnh ủy.",
    "Tài liệu của các cơ quan đảng được thu thập, chỉnh lý, bảo quản an toàn tại Kho Lưu trữ "
    "Tỉnh ủy theo quy định của Trung ương.",
)

PARTY_RECIPIENTS = (
    "- Văn phòng Trung ương Đảng (b/c),",
    "- Thường trực Tỉnh ủy,",
    "- Các ban đảng, Văn phòng Tỉnh ủy,",
    "- Các huyện ủy, thị ủy, thành ủy,",
    "- Các đảng ủy trực thuộc Tỉnh ủy,",
    "- Các đảng đoàn, ban cán sự đảng,",
)

OLD_DEPARTMENTS = (  # (header name, symbol abbreviation, name in running text, years)
    ("BAN TỔ CHỨC CHÍNH QUYỀN", "TCCQ", "Ban Tổ chức chính quyền tỉnh", (1995, 2003)),
    ("SỞ NỘI VỤ", "SNV", "Sở Nội vụ", (2004, 2010)),
    ("SỞ VĂN HÓA - THÔNG TIN", "VHTT", "Sở Văn hóa - Thông tin", (1995, 2007)),
    ("SỞ TÀI CHÍNH - VẬT GIÁ", "TCVG", "Sở Tài chính - Vật giá", (1995, 2003)),
    ("SỞ GIÁO DỤC VÀ ĐÀO TẠO", "GDĐT", "Sở Giáo dục và Đào tạo", (1995, 2010)),
)

# Legal bases of papers from before 2011 (the later ones are in LEGAL_BASES).
OLD_BASES = (
    "Căn cứ Luật Tổ chức Hội đồng nhân dân và Ủy ban nhân dân ngày 21 tháng 6 năm 1994;",
    "Căn cứ Luật Tổ chức Hội đồng nhân dân và Ủy ban nhân dân ngày 26 tháng 11 năm 2003;",
    "Căn cứ Pháp lệnh Lưu trữ quốc gia ngày 04 tháng 4 năm 2001;",
    "Căn cứ Nghị định số 111/2004/NĐ-CP ngày 08 tháng 4 năm 2004 của Chính phủ quy định chi tiết "
    "thi hành một số điều của Pháp lệnh Lưu trữ quốc gia;",
    "Căn cứ Nghị định số 110/2004/NĐ-CP ngày 08 tháng 4 năm 2004 của Chính phủ về công tác văn "
    "thư;",
)

_ROMAN = ("XIV", "XV", "XVI", "XVII", "XVIII", "XIX", "XX")


def _issuer_name(superior: str | None, own: str) -> str:
    """The issuing body's full name from its header, as the documents benchmark scores it.

    standards.md §5 gives no rule (NĐ 30 Phụ lục I prints the body's name under that of its
    direct superior); the rule applied, the one of issue 10:

    * the body's own name first, then its superior's: "TỈNH ỦY NGHỆ AN" / "VĂN PHÒNG" is
      VĂN PHÒNG TỈNH ỦY NGHỆ AN, "SỞ NỘI VỤ TỈNH X" / "CHI CỤC VĂN THƯ - LƯU TRỮ" is
      CHI CỤC VĂN THƯ - LƯU TRỮ SỞ NỘI VỤ TỈNH X;
    * a People's Committee (UBND) or a Party organisation (ĐẢNG BỘ) above gives only its
      territory: "UBND TỈNH X" / "SỞ Y" is SỞ Y TỈNH X; when the own name already ends with
      the territory's level word, that word is said once: "ĐẢNG BỘ TỈNH X" / "ĐẢNG ỦY KHỐI
      CÁC CƠ QUAN TỈNH" is ĐẢNG ỦY KHỐI CÁC CƠ QUAN TỈNH X;
    * a name printed over two lines is one name, in print order: "ỦY BAN NHÂN DÂN" /
      "TỈNH X" is ỦY BAN NHÂN DÂN TỈNH X (`own` is given joined).
    """
    own = " ".join(own.split())
    if not superior:
        return own
    superior = " ".join(superior.split())
    for umbrella in ("ỦY BAN NHÂN DÂN ", "UBND ", "ĐẢNG BỘ "):
        if superior.startswith(umbrella):
            territory = superior.removeprefix(umbrella)
            level, _, proper = territory.partition(" ")
            if own.split()[-1] == level:
                return f"{own} {proper}"
            return f"{own} {territory}"
    return f"{own} {superior}"


@dataclass
class _Letter:
    """The words of a whole document and its truth, before layout."""

    layout: str
    superior: str | None  # upper line(s) of the issuer block, regular weight
    own: list[str]  # the issuing body's own name, bold, as printed (one or two lines)
    motto: list[str]
    number: str  # as printed: "Số: 12/QĐ-UBND", "Số 45-CV/TU"
    place_date: str
    title: list[str]  # type-name lines; empty for a công văn
    summary: str  # the trích yếu as printed ("V/v …" for a công văn)
    vv: bool  # trích yếu under the number (công văn) rather than under the type name
    addressee: list[str] = field(default_factory=list)
    authority: list[str] = field(default_factory=list)
    bases: list[str] = field(default_factory=list)
    enact: str = ""  # "QUYẾT ĐỊNH:" / "QUYẾT NGHỊ:" / "BAN THƯỜNG VỤ TỈNH ỦY QUYẾT ĐỊNH"
    opening: list[str] = field(default_factory=list)
    closing: list[str] = field(default_factory=list)
    signer: list[str] = field(default_factory=list)
    name: str = ""
    recipients: list[str] = field(default_factory=list)
    seal_text: str = ""
    sections: bool = False
    party: bool = False
    truth: dict[str, Any] = field(default_factory=dict)


def _n(rng: np.random.Generator, zero: float) -> str:
    """A registration number; below 10 written "05" (NĐ 30) with probability ``zero``."""
    n = int(rng.choice([int(rng.integers(1, 10)), int(rng.integers(10, 400))], p=[0.2, 0.8]))
    if rng.random() < 0.15:
        n = int(rng.integers(400, 4000))
    return f"{n:02d}" if n < 10 and rng.random() < zero else str(n)


def _topic(rng: np.random.Generator, filler: _Filler, party: bool) -> str:
    pool = PARTY_TOPICS if party and rng.random() < 0.7 else TOPICS + MORE_TOPICS
    return filler.fill(_pick(rng, pool))


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def _compose_letter(rng: np.random.Generator, layout: str) -> tuple[_Letter, _Filler]:
    """Choose issuer, type, number, date, trích yếu and the fixed paragraphs of one document."""
    prov = _pick(rng, PROVINCES)
    up = prov.upper()
    if layout == "party":
        return _compose_party(rng, prov, up)
    old = layout == "old"
    year = int(rng.integers(1996, 2011)) if old else int(rng.integers(2012, 2025))
    kind = int(rng.integers(5))
    if kind <= 1:  # the provincial People's Committee, or (state only) the People's Council
        council = kind == 1 and not old
        head = "HỘI ĐỒNG NHÂN DÂN" if council else "ỦY BAN NHÂN DÂN"
        superior, own = None, [head, f"TỈNH {up}"]
        abbr = "UB" if old else ("HĐND" if council else "UBND")
        self_name = ("Hội đồng nhân dân tỉnh" if council else "Ủy ban nhân dân tỉnh") + f" {prov}"
        codes = ("NQ", "NQ", "BC", "TB", "") if council else ("QĐ", "QĐ", "", "", "CT", "BC")
        codes += ("TTr", "TB", "KH") if not council else ()
        seal = f"{head} TỈNH {up}"
        chair = ["CHỦ TỊCH"] if rng.random() < 0.4 else ["KT. CHỦ TỊCH", "PHÓ CHỦ TỊCH"]
        body_word = "HỘI ĐỒNG NHÂN DÂN" if council else "ỦY BAN NHÂN DÂN"
        signer = [f"TM. {body_word}", *chair] if rng.random() < 0.5 else chair
        if old and rng.random() < 0.4:
            signer = [s.replace("TM.", "T/M").replace("KT.", "K/T") for s in signer]
        authority = [f"{head} TỈNH {up}"]
        if council:
            authority.append(f"KHÓA {_pick(rng, _ROMAN)}, KỲ HỌP THỨ {int(rng.integers(2, 20))}")
    else:
        if old:
            options = [d for d in OLD_DEPARTMENTS if d[3][0] <= year <= d[3][1]]
            head, abbr, self_name, _years = _pick(rng, options)
            superior, own = f"UBND TỈNH {up}", [head]
        elif kind == 2:
            head, abbr, self_name = _pick(rng, DEPARTMENTS)
            superior, own = f"UBND TỈNH {up}", [head]
        elif kind == 3:
            head, abbr, self_name = (
                "CHI CỤC VĂN THƯ - LƯU TRỮ",
                "CCVTLT",
                "Chi cục Văn thư - Lưu trữ",
            )
            superior, own = f"SỞ NỘI VỤ TỈNH {up}", [head]
        else:
            head, abbr, self_name = (
                "TRUNG TÂM LƯU TRỮ LỊCH SỬ",
                "TTLTLS",
                "Trung tâm Lưu trữ lịch sử",
            )
            superior, own = f"SỞ NỘI VỤ TỈNH {up}", [head]
        codes = ("QĐ", "", "", "", "BC", "TTr", "TB", "KH")
        boss = (
            "CHI CỤC TRƯỞNG"
            if head.startswith("CHI CỤC")
            else "TRƯỞNG BAN"
            if head.startswith("BAN")
            else "GIÁM ĐỐC"
        )
        signer = [boss] if rng.random() < 0.5 else [f"KT. {boss}", f"PHÓ {boss}"]
        if old and rng.random() < 0.4:
            signer = [s.replace("KT.", "K/T") for s in signer]
        seal = f"{head} {up}" if head.startswith(("CHI CỤC", "TRUNG TÂM")) else f"{head} TỈNH {up}"
        # "GIÁM ĐỐC SỞ NỘI VỤ", "TRƯỞNG BAN TỔ CHỨC CHÍNH QUYỀN" (the word BAN said once)
        authority = [f"TRƯỞNG {head}" if head.startswith("BAN ") else f"{boss} {head}"]
    code = _pick(rng, codes)
    filler = _Filler(rng, year, self_name)
    topic = _topic(rng, filler, False)
    day, month = int(rng.integers(1, 29)), int(rng.integers(1, 13))
    number = _n(rng, 0.3 if old else 0.9)
    if code == "":
        units = ("VP", "TH", "NC", "KT", "VX") if abbr in ("UB", "UBND") else ("VP", "NV", "TCCB")
        symbol = f"{abbr}-{_pick(rng, units)}"
        if old and rng.random() < 0.3:
            symbol = f"CV-{abbr}"
    else:
        symbol = f"{code}-{abbr}"
        legal = code in ("QĐ", "NQ") and abbr in ("UBND", "HĐND", "UB") and (year >= 2004)
        if legal and rng.random() < 0.2:
            symbol = f"{year}/{symbol}"
    number_symbol = f"{number}/{symbol}"
    place_date = f"{prov}, {_date_words(day, month, year)}"
    if old and rng.random() < 0.5:
        place_date = f"{prov}, ngày {day} tháng {month} năm {year}"
    title: list[str] = []
    if code:
        title = [_TYPE_NAMES[code]]
        if old and code == "QĐ" and rng.random() < 0.4:
            title.append(f"CỦA {authority[0]}")  # "QUYẾT ĐỊNH / CỦA ỦY BAN NHÂN DÂN TỈNH X"
    if not code:
        summary = f"V/v {topic}"
    elif code in ("QĐ", "NQ") and (old or rng.random() < 0.5):
        summary = f"Về việc {topic}"
    else:
        summary = _cap(topic)
    motto = [
        "CỘNG HOÀ XÃ HỘI CHỦ NGHĨA VIỆT NAM" if old else "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "Độc lập - Tự do - Hạnh phúc",
    ]
    letter = _Letter(
        layout=layout,
        superior=superior,
        own=own,
        motto=motto,
        number=f"Số: {number_symbol}",
        place_date=place_date,
        title=title,
        summary=summary,
        vv=not code,
        signer=signer,
        name=_person(rng),
        seal_text=seal,
    )
    ub = "UB" if old else "UBND"
    ref = (
        f"Kế hoạch số {int(rng.integers(1, 400))}/KH-{ub} "
        f"{_date_words(int(rng.integers(1, 29)), int(rng.integers(1, 13)), year)}"
        " của Ủy ban nhân dân tỉnh"
    )
    if code in ("QĐ", "NQ"):
        letter.authority = authority
        # only laws already in force: a 2003 decision does not cite NĐ 30/2020
        pool = [
            b
            for b in (*LEGAL_BASES, *OLD_BASES)
            if all(int(y) <= year for y in re.findall(r"năm (\d{4})", b))
        ]
        k = min(len(pool), int(rng.integers(2, 5)))
        letter.bases = [
            filler.fill(pool[int(i)]).replace("ngày ngày", "ngày").replace("QĐ-UBND", f"QĐ-{ub}")
            for i in rng.choice(len(pool), k, False)
        ]
        # the Sở Nội vụ replaced the Ban Tổ chức chính quyền in 2004
        who, unit = (
            ("Giám đốc Sở Nội vụ", "SNV")
            if year >= 2004
            else ("Trưởng Ban Tổ chức chính quyền tỉnh", "TCCQ")
        )
        tt = f"{int(rng.integers(1, 900))}/TTr-{unit}"
        letter.bases.append(f"Theo đề nghị của {who} tại Tờ trình số {tt}.")
        letter.enact = "QUYẾT NGHỊ:" if code == "NQ" else "QUYẾT ĐỊNH:"
        letter.opening = [f"Điều 1. {_cap(topic)}."]
        last = "Nghị quyết" if code == "NQ" else "Quyết định"
        letter.closing = [
            f"Điều 2. {last} này có hiệu lực kể từ ngày ký.",
            f"Điều 3. Chánh Văn phòng, Giám đốc Sở Nội vụ, Thủ trưởng các cơ quan, đơn vị có "
            f"liên quan chịu trách nhiệm thi hành {last} này./.",
        ]
    else:
        committee = abbr in ("UB", "UBND", "HĐND")
        above = "Bộ Nội vụ" if committee else f"Ủy ban nhân dân tỉnh {prov}"
        if code in ("", "TTr") or rng.random() < 0.2:
            if code == "TTr" or rng.random() < 0.5:
                letter.addressee = [f"Kính gửi: {above}"]
            else:
                letter.addressee = [
                    "Kính gửi:",
                    "- Các sở, ban, ngành tỉnh;",
                    "- Ủy ban nhân dân các huyện, thị xã, thành phố.",
                ]
        verb = {
            "BC": "báo cáo",
            "TTr": "kính trình",
            "TB": "thông báo",
            "KH": "xây dựng Kế hoạch",
            "CT": "yêu cầu",
        }
        letter.opening = [f"Thực hiện {ref}, {self_name} {verb.get(code, 'đề nghị')} {topic}:"]
        letter.closing = [
            {
                "BC": f"Trên đây là báo cáo của {self_name} về {topic}./.",
                "TTr": f"{self_name} kính trình {above} xem xét, phê duyệt./.",
                "TB": f"{self_name} thông báo để các cơ quan, đơn vị biết, thực hiện./.",
                "CT": "Yêu cầu Thủ trưởng các sở, ban, ngành nghiêm túc thực hiện Chỉ thị này./.",
            }.get(code, "Đề nghị các cơ quan, đơn vị quan tâm, phối hợp thực hiện./.")
        ]
        letter.sections = code in ("BC", "KH", "TTr")
    k = int(rng.integers(2, 5))
    letter.recipients = [RECIPIENTS[int(i)] for i in sorted(rng.choice(len(RECIPIENTS), k, False))]
    if code == "QĐ":
        letter.recipients.insert(0, "- Như Điều 3;")
    letter.recipients.append(f"- Lưu: VT, {abbr}." if not old else f"- Lưu VT, {abbr}.")
    letter.truth = {
        "number_symbol": number_symbol,
        "issued_date": f"{year:04d}-{month:02d}-{day:02d}",
        "document_type": _TYPE_NAMES[code],
        "issuing_body": _issuer_name(superior, " ".join(own)),
        "place": prov,
        "summary": summary.removeprefix("V/v ") if not code else summary,
        "signer_title": " ".join(signer),
        "signer_name": letter.name,
    }
    return letter, filler


def _compose_party(rng: np.random.Generator, prov: str, up: str) -> tuple[_Letter, _Filler]:
    """A Party document laid out after HD 36 (and HD 11 before 2018, which looks the same)."""
    year = int(rng.integers(2005, 2025))
    kind = int(rng.integers(6))
    committee = ("NQ", "QĐ", "CT", "KL", "QĐi", "TB", "BC", "KH", "CV", "CV")
    if kind == 0:
        superior, own, abbr = None, f"TỈNH ỦY {up}", "TU"
        self_name, codes = "Ban Thường vụ Tỉnh ủy", committee
        seal = f"TỈNH ỦY {up}"
    elif kind == 5:
        superior, own, abbr = f"ĐẢNG BỘ TỈNH {up}", "ĐẢNG ỦY KHỐI CÁC CƠ QUAN TỈNH", "ĐUK"
        self_name, codes = "Ban Thường vụ Đảng ủy Khối", committee
        seal = f"ĐẢNG ỦY KHỐI CÁC CƠ QUAN TỈNH {up}"
    else:
        own, abbr, self_name, codes = [
            ("VĂN PHÒNG", "VPTU", "Văn phòng Tỉnh ủy", ("TB", "BC", "KH", "HD", "CV", "CV")),
            ("BAN TUYÊN GIÁO", "BTGTU", "Ban Tuyên giáo Tỉnh ủy", ("HD", "BC", "KH", "CV", "TB")),
            ("BAN TỔ CHỨC", "BTCTU", "Ban Tổ chức Tỉnh ủy", ("HD", "BC", "TTr", "CV", "TB")),
            ("ỦY BAN KIỂM TRA", "UBKTTU", "Ủy ban Kiểm tra Tỉnh ủy", ("QĐ", "TB", "BC", "CV")),
        ][kind - 1]
        superior = f"TỈNH ỦY {up}"
        seal = f"{own} TỈNH ỦY {up}"
    code = _pick(rng, codes)
    if kind in (0, 5):
        body = "TỈNH ỦY" if kind == 0 else "ĐẢNG ỦY"
        signer = (
            [f"T/M {body}", "BÍ THƯ"]
            if code == "NQ"
            else ["T/M BAN THƯỜNG VỤ", _pick(rng, ("BÍ THƯ", "PHÓ BÍ THƯ"))]
        )
    elif own == "VĂN PHÒNG":
        signer = _pick(
            rng,
            (
                ["CHÁNH VĂN PHÒNG"],
                ["K/T CHÁNH VĂN PHÒNG", "PHÓ CHÁNH VĂN PHÒNG"],
                ["T/L BAN THƯỜNG VỤ", "CHÁNH VĂN PHÒNG"],
            ),
        )
    elif own == "ỦY BAN KIỂM TRA":
        signer = ["T/M ỦY BAN KIỂM TRA", _pick(rng, ("CHỦ NHIỆM", "PHÓ CHỦ NHIỆM"))]
    else:
        signer = _pick(rng, (["TRƯỞNG BAN"], ["K/T TRƯỞNG BAN", "PHÓ TRƯỞNG BAN"]))
    filler = _Filler(rng, year, self_name)
    topic = _topic(rng, filler, True)
    # older Party regulations carry QĐ (270-QĐ/TW, 2014); QĐi came with HD 36
    code_printed = "QĐ" if code == "QĐi" and year < 2018 else code
    number = _n(rng, 0.4)
    number_symbol = f"{number}-{code_printed}/{abbr}"
    day, month = int(rng.integers(1, 29)), int(rng.integers(1, 13))
    vv = code == "CV"
    if vv:
        summary = f"V/v {topic}" if rng.random() < 0.7 else _cap(topic)
    elif code in ("KL", "TB") and rng.random() < 0.5:
        summary = f"của {self_name} về {topic}"
    else:
        summary = f"về {topic}" if rng.random() < 0.7 else _cap(topic)
    letter = _Letter(
        layout="party",
        superior=superior,
        own=[own],
        motto=["ĐẢNG CỘNG SẢN VIỆT NAM"],
        number=f"Số {number_symbol}" if rng.random() < 0.8 else f"Số: {number_symbol}",
        place_date=f"{prov}, {_date_words(day, month, year)}",
        title=[] if vv else [_TYPE_NAMES[code]],
        summary=summary,
        vv=vv,
        signer=signer,
        name=_person(rng),
        seal_text=seal,
        party=True,
    )
    if code in ("QĐ", "QĐi", "NQ"):
        letter.bases = [
            "- Căn cứ Điều lệ Đảng;",
            f"- Căn cứ Quy chế làm việc của Ban Chấp hành Đảng bộ tỉnh khóa {_pick(rng, _ROMAN)};",
            f"- Xét đề nghị của Văn phòng Tỉnh ủy tại Tờ trình số {int(rng.integers(1, 300))}"
            f"-TTr/VPTU, {_date_words(int(rng.integers(1, 29)), int(rng.integers(1, 13)), year)},",
        ]
        letter.enact = f"{self_name.upper()} QUYẾT ĐỊNH" if code != "NQ" else "QUYẾT NGHỊ"
        letter.opening = [f"Điều 1. {_cap(topic)}."]
        letter.closing = [
            "Điều 2. Văn bản này có hiệu lực từ ngày ký.",
            "Điều 3. Văn phòng Tỉnh ủy, các ban đảng, các huyện ủy, thị ủy, thành ủy và đảng "
            "ủy trực thuộc Tỉnh ủy chịu trách nhiệm thi hành.",
        ]
    else:
        if vv:
            letter.addressee = [
                "Kính gửi:",
                "- Các huyện ủy, thị ủy, thành ủy,",
                "- Các đảng ủy trực thuộc Tỉnh ủy.",
            ]
        letter.opening = [
            f"Thực hiện Kế hoạch số {int(rng.integers(1, 300))}-KH/TU của Ban Thường vụ Tỉnh "
            f"ủy, {self_name} {'thông báo' if code == 'TB' else 'đề nghị'} {topic} như sau:"
        ]
        letter.closing = [_pick(rng, PARTY_SENTENCES)]
        letter.sections = code in ("NQ", "CT", "KL", "BC", "KH", "HD")
    k = int(rng.integers(2, 5))
    picks = sorted(rng.choice(len(PARTY_RECIPIENTS), k, False))
    letter.recipients = [PARTY_RECIPIENTS[int(i)] for i in picks]
    letter.recipients.append("- Lưu Văn phòng Tỉnh ủy.")
    letter.truth = {
        "number_symbol": number_symbol,
        "issued_date": f"{year:04d}-{month:02d}-{day:02d}",
        "document_type": _TYPE_NAMES[code],
        "issuing_body": _issuer_name(superior, own),
        "place": prov,
        "summary": summary.removeprefix("V/v "),
        "signer_title": " ".join(signer),
        "signer_name": letter.name,
    }
    return letter, filler


@dataclass
class _Text:
    """One printed line at its place: anchored at x (l, m, r) on its baseline."""

    words: list[tuple[str, str]]
    size_pt: float
    x: float
    baseline: float
    anchor: str = "l"
    justify: float = 0.0  # width to justify to (body lines); 0 keeps natural spacing
    rule: float = 0.0  # length of a centred rule under the line; 0 for none
    role: str = "body"  # the field it belongs to: marks must leave those readable


_PROTECTED = {"issuer", "motto", "number", "date", "title", "summary", "signer", "name", "page"}


@dataclass
class _Geometry:
    dpi: int
    width: int
    height: int
    left: int
    right: int
    top: int
    bottom: int

    @property
    def mm(self) -> float:
        return self.dpi / 25.4

    @property
    def pt(self) -> float:
        return self.dpi / 72.0

    @property
    def text_w(self) -> int:
        return self.width - self.left - self.right


# Word pairs a typist keeps on one line when a header name must break.
_UNBROKEN = {
    "LƯU TRỮ", "VĂN THƯ", "LỊCH SỬ", "NHÂN DÂN", "TÀI NGUYÊN", "MÔI TRƯỜNG", "GIÁO DỤC",
    "ĐÀO TẠO", "THÔNG TIN", "TRUYỀN THÔNG", "KẾ HOẠCH", "ĐẦU TƯ", "TÀI CHÍNH", "NỘI VỤ",
    "Y TẾ", "TRUNG TÂM", "CHI CỤC", "VĂN PHÒNG", "CƠ QUAN", "ĐẢNG ỦY", "TỈNH ỦY", "ĐẢNG BỘ",
    "TUYÊN GIÁO", "TỔ CHỨC", "KIỂM TRA", "CHÍNH QUYỀN", "VẬT GIÁ", "VĂN HÓA", "ỦY BAN",
    "HỘI ĐỒNG", "CÁC CƠ", "SỞ NỘI", "SỞ TÀI", "SỞ GIÁO", "SỞ KẾ", "SỞ THÔNG", "SỞ VĂN",
    "THƯ -", "- LƯU", "CHÍNH -", "- VẬT", "HÓA -", "- THÔNG",
}  # fmt: skip
_UNBROKEN |= {  # nor a province's name
    f"{a} {b}" for p in PROVINCES for a, b in pairwise(p.upper().split())
}


def _balanced(family: str, text: str, style: str, size_px: float, avail: float) -> list[str]:
    """A header name on one line, or broken where its two lines come out most even."""
    words = text.split()
    if _natural(family, _words(text, style), round(size_px)) <= avail or len(words) < 2:
        return [text]

    def cost(i: int) -> float:
        longest = max(
            _natural(family, _words(" ".join(words[:i]), style), round(size_px)),
            _natural(family, _words(" ".join(words[i:]), style), round(size_px)),
        )
        return longest * (3.0 if f"{words[i - 1]} {words[i]}" in _UNBROKEN else 1.0)

    best = min(range(1, len(words)), key=cost)
    return [" ".join(words[:best]), " ".join(words[best:])]


def _even_wrap(
    family: str, words: list[tuple[str, str]], size_px: int, width: float
) -> list[list[tuple[str, str]]]:
    """Wrap to as few lines as ``width`` allows, made as even as they can be (a centred
    trích yếu is not left with one word on its last line)."""
    lines = _wrap(family, words, size_px, width, 0)
    low, high = width / 2, width
    for _ in range(12):
        mid = (low + high) / 2
        if len(_wrap(family, words, size_px, mid, 0)) == len(lines):
            high = mid
        else:
            low = mid
    return _wrap(family, words, size_px, high, 0)


def _natural(family: str, words: list[tuple[str, str]], size_px: int) -> float:
    total, space = _measure(family, words, size_px)
    return total + space * (len(words) - 1)


def _text_box(family: str, t: _Text, pt: float) -> tuple[int, int, int, int]:
    size = round(t.size_pt * pt)
    w = t.justify or _natural(family, t.words, size)
    x0 = t.x - (w / 2 if t.anchor == "m" else w if t.anchor == "r" else 0)
    return (
        round(x0),
        round(t.baseline - 0.8 * size),
        round(x0 + w),
        round(t.baseline + 0.25 * size),
    )


def _draw_texts(
    img: Image.Image, family: str, texts: Sequence[_Text], pt: float, ink: int
) -> list[tuple[str, tuple[int, int, int, int]]]:
    """Draw the lines; return each line's role and box (for keeping marks off the fields)."""
    draw = ImageDraw.Draw(img)
    boxes = []
    for t in texts:
        size = round(t.size_pt * pt)
        natural = _natural(family, t.words, size)
        gap = _measure(family, t.words, size)[1]
        if t.justify and len(t.words) > 1:
            total = _measure(family, t.words, size)[0]
            gap = (t.justify - total) / (len(t.words) - 1)
        width = t.justify or natural
        x = t.x - (width / 2 if t.anchor == "m" else width if t.anchor == "r" else 0)
        x0 = x
        for w, st in t.words:
            f = _font(family, st, size)
            draw.text((round(x), round(t.baseline)), _nfc(w), font=f, fill=ink, anchor="ls")
            x += f.getlength(w) + gap
        if t.rule:
            cx = x0 + width / 2
            ry = round(t.baseline + (0.75 if t.role == "summary" else 0.6) * size)
            draw.line(
                [(round(cx - t.rule / 2), ry), (round(cx + t.rule / 2), ry)],
                fill=ink,
                width=max(2, round(0.5 * pt)),
            )
        boxes.append((t.role, _text_box(family, t, pt)))
    return boxes


@dataclass
class _Plan:
    """A laid-out document: its pages' lines and where the marks go."""

    pages: list[list[_Text]]
    stamp_slots: list[tuple[int, int]]  # centres under the number block, in order
    sig_centre: int
    sig_space: tuple[int, int]  # top and bottom of the space between title and name
    body_top: int  # where the first page's body begins, under the header block


def _layout_letter(
    rng: np.random.Generator,
    letter: _Letter,
    filler: _Filler,
    g: _Geometry,
    family: str,
    pages: int,
    stamps: Sequence[int],
) -> _Plan:
    """Lay the header out in two columns (issuer left, motto right), then flow the body over
    ``pages`` pages with the signature block and "Nơi nhận" side by side on the last."""
    pt, mm = g.pt, g.mm
    party = letter.party
    hs = 14.0 if party else float(rng.choice([12.0, 12.5, 13.0]))  # header size
    body_pt = 14.0 if party else float(rng.choice([13.0, 13.5, 14.0]))
    spacing = float(rng.uniform(1.15, 1.32))

    def pitch(size: float) -> float:
        return size * pt * spacing

    def width(text: str, style: str, size: float) -> float:
        return _natural(family, _words(text, style), round(size * pt))

    texts: list[_Text] = []
    # Right column: the motto (state) or the Party heading, then the place and date.
    if party:
        right = [(letter.motto[0], "bold", 15.0, True)]
    else:
        right = [(letter.motto[0], "bold", hs), (letter.motto[1], "bold", hs + 1.0, True)]
    date_size = 14.0 if party else 13.0 + float(rng.choice([0.0, 0.5, 1.0]))
    w_right = max(
        max(width(r[0], r[1], r[2]) for r in right),
        width(letter.place_date, "italic", date_size),
    )
    c_right = g.width - g.right - w_right / 2 - rng.uniform(0, 3) * mm
    y = float(g.top)
    for text, style, size, *ruled in right:
        y += pitch(size)
        rule = width(text, style, size) if ruled else 0.0
        texts.append(
            _Text(_words(text, style), size, c_right, y - 0.25 * size * pt, "m", 0, rule, "motto")
        )
    y_right = y + (1.5 * mm if party else 2.5 * mm)
    # Left column: superior (regular), own name (bold), rule or star, number, V/v, stamps.
    block_left = g.left - float(rng.uniform(2, 7)) * mm  # the header block starts left of the text
    avail = (c_right - w_right / 2) - block_left - 3 * mm
    c_left = block_left + avail / 2
    y = float(g.top)
    parts = [(letter.superior, "regular")] if letter.superior else []
    parts += [(part, "bold") for part in letter.own]
    widest = max(width(text, style, hs) for text, style in parts)
    if widest > avail:  # typists shrink a long name a little before breaking it
        hs = max(11.0, math.floor(2 * hs * avail / widest) / 2)
    issuer_lines: list[tuple[str, str]] = []
    for text, style in parts:
        issuer_lines += [(line, style) for line in _balanced(family, text, style, hs * pt, avail)]
    for i, (text, style) in enumerate(issuer_lines):
        y += pitch(hs)
        rule = 0.0
        if i == len(issuer_lines) - 1 and not party:
            rule = width(text, style, hs) * float(rng.uniform(0.33, 0.5))
        texts.append(
            _Text(_words(text, style), hs, c_left, y - 0.25 * hs * pt, "m", 0, rule, "issuer")
        )
    if party:
        y += pitch(hs)
        texts.append(_Text([("*", "regular")], hs, c_left, y - 0.1 * hs * pt, "m", role="issuer"))
    y_left = y + (1.5 * mm if party else 3.5 * mm)
    num_size = 14.0 if party else 13.0
    baseline = max(y_left, y_right) + 0.85 * num_size * pt
    texts.append(
        _Text(_words(letter.number, "regular"), num_size, c_left, baseline, "m", role="number")
    )
    texts.append(
        _Text(_words(letter.place_date, "italic"), date_size, c_right, baseline, "m", role="date")
    )
    y_left = baseline + 0.3 * num_size * pt
    y_right = baseline + 0.3 * date_size * pt
    if letter.vv:
        vv_size = 12.0 if party else float(rng.choice([12.0, 12.5, 13.0]))
        style = "italic" if party else "regular"
        wrapped = _even_wrap(
            family, _words(letter.summary, style), round(vv_size * pt), avail * 0.92
        )
        y_left += 0.5 * mm
        for line in wrapped:
            y_left += pitch(vv_size) * 0.95
            texts.append(
                _Text(line, vv_size, c_left, y_left - 0.2 * vv_size * pt, "m", role="summary")
            )
    slots = []
    y_left += 2 * mm
    for h in stamps:  # secrecy first, urgency under it (NĐ 30 Phụ lục I)
        y_left += 1.5 * mm
        slots.append((round(c_left + rng.uniform(-6, 6) * mm), round(y_left + h / 2)))
        y_left += h
    y = max(y_left, y_right) + float(rng.uniform(4, 7)) * mm
    # Type name, trích yếu and the rule under it; then "Kính gửi".
    if letter.title:
        title_size = 15.0 if party else 14.0
        for line in letter.title:
            y += pitch(title_size)
            texts.append(
                _Text(_words(line, "bold"), title_size, g.left + g.text_w / 2, y, "m", role="title")
            )
        sum_size = 14.0 if party else float(rng.choice([13.0, 14.0]))
        wrapped = _even_wrap(
            family, _words(letter.summary, "bold"), round(sum_size * pt), g.text_w * 0.8
        )
        for i, line in enumerate(wrapped):
            y += pitch(sum_size)
            rule = 0.0
            if i == len(wrapped) - 1:
                rule = min(_natural(family, line, round(sum_size * pt)), g.text_w * 0.4) * 0.6
                rule = max(rule, 25 * mm)
            texts.append(
                _Text(line, sum_size, g.left + g.text_w / 2, y, "m", rule=rule, role="summary")
            )
        y += 4 * mm
    if letter.addressee:
        y += 2 * mm
        if len(letter.addressee) == 1:
            y += pitch(body_pt)
            texts.append(
                _Text(
                    _words(letter.addressee[0], "regular"), body_pt, g.left + g.text_w / 2, y, "m"
                )
            )
        else:
            x_head = g.left + g.text_w * 0.25
            y += pitch(body_pt)
            texts.append(_Text(_words(letter.addressee[0], "regular"), body_pt, x_head, y))
            x_items = x_head + width("Kính gửi:", "regular", body_pt) + 2 * mm
            for item in letter.addressee[1:]:
                y += pitch(body_pt)
                texts.append(_Text(_words(item, "regular"), body_pt, x_items, y))
        y += 2 * mm
    first_body = y

    # The body as lines with their gaps; filler paragraphs are added until the pages fill.
    size_px = round(body_pt * pt)
    indent = round(rng.uniform(10, 12.7) * mm)
    para_gap = round(float(rng.uniform(3, 6)) * pt)

    def para(text: str, style: str = "regular", bold_prefix: int = 0) -> list[_Line]:
        wrapped = _wrap(family, _words(text, style, bold_prefix), size_px, g.text_w, indent)
        out = []
        for i, words in enumerate(wrapped):
            last = i == len(wrapped) - 1
            ln = _Line(words, body_pt, "left" if last else "justify", indent if i == 0 else 0)
            ln.gap_before_px = para_gap if i == 0 else 0
            out.append(ln)
        return out

    def centred(text: str, size: float, gap: float) -> _Line:
        return _Line(_words(text, "bold"), size, "center", gap_before_px=round(gap))

    head: list[_Line] = []
    for i, a in enumerate(letter.authority):
        head.append(centred(a, 14.0, 3 * mm if i == 0 else 0))
    for b in letter.bases:
        head += para(b, "regular" if party else "italic")
    if letter.enact:
        head.append(centred(letter.enact, 14.0, 3 * mm))
    for o in letter.opening:
        head += para(o, "regular", 2 if o.startswith("Điều") else 0)
    tail: list[_Line] = []
    for c in letter.closing:
        tail += para(c, "regular", 2 if c.startswith("Điều") else 0)

    # The closing block: title, space for the signature and seal, name; "Nơi nhận" beside.
    sig_centre = round(g.left + g.text_w * float(rng.uniform(0.70, 0.75)))
    sig_size = 14.0 if party else float(rng.choice([13.0, 14.0]))
    foot: list[tuple[float, _Text]] = []  # (offset from the block's top, line)
    oy = 0.0
    for s in letter.signer:
        oy += pitch(sig_size)
        foot.append((oy, _Text(_words(s, "bold"), sig_size, sig_centre, 0, "m", role="signer")))
    space_top = oy + 0.3 * sig_size * pt
    oy += float(rng.uniform(30, 36)) * mm
    space_bottom = oy - 0.8 * sig_size * pt
    foot.append((oy, _Text(_words(letter.name, "bold"), sig_size, sig_centre, 0, "m", role="name")))
    block_h = oy + 0.4 * sig_size * pt
    ly = 0.0
    rec_w = g.text_w * 0.48
    ly += pitch(12)
    foot.append((ly, _Text(_words("Nơi nhận:", "bolditalic"), 12, g.left, 0, role="recipients")))
    ly += 0.8 * mm
    for r in letter.recipients:
        for line in _wrap(family, _words(r, "regular"), round(11 * pt), rec_w, 0):
            ly += 11 * pt * max(spacing, 1.22)  # single spacing, marks clear of the line above
            foot.append((ly, _Text(line, 11, g.left, 0, role="recipients")))
    block_h = max(block_h, ly + 0.4 * 11 * pt)
    foot_gap = 5 * mm

    bottom = g.height - g.bottom
    page_top = float(g.top)

    def paginate(body: list[_Line]) -> tuple[list[list[tuple[_Line, float]]], float]:
        placed: list[list[tuple[_Line, float]]] = [[]]
        y = first_body
        for ln in body:
            gap = ln.gap_before_px if placed[-1] or len(placed) == 1 else 0
            h = pitch(ln.size_pt)
            if y + gap + h > bottom:
                placed.append([])
                y, gap = page_top, 0
            placed[-1].append((ln, y + gap + h))
            y += gap + h
        if y + foot_gap + block_h > bottom:
            keep = placed[-1][:-3] if len(placed[-1]) > 3 else []
            moved = placed[-1][len(keep) :]
            placed[-1] = keep
            placed.append([])
            y = page_top
            for ln, _ in moved:
                y += pitch(ln.size_pt)
                placed[-1].append((ln, y))
            if not keep and len(placed) > 2:
                placed.pop(-2)
        return placed, y + foot_gap

    middle: list[_Line] = []
    section = 0
    # how far down the last page the signature block ends
    fill = float(rng.uniform(0.6, 0.95) if pages == 1 else rng.uniform(0.35, 0.9))
    for _attempt in range(120):
        block: list[_Line] = []
        if letter.sections and rng.random() < 0.3:
            section += 1
            heading = f"{section}. {_pick(rng, SECTION_HEADINGS)}"
            block.append(_Line(_words(heading, "bold"), body_pt, "left", indent, para_gap))
        text = filler.paragraph()
        if rng.random() < 0.25:
            text = "- " + text
        block += para(text)
        placed, foot_y = paginate([*head, *middle, *block, *tail])
        if len(placed) > pages:
            break
        middle += block
        if len(placed) == pages and foot_y + block_h > page_top + fill * (bottom - page_top):
            break
    placed, foot_y = paginate([*head, *middle, *tail])

    out_pages: list[list[_Text]] = [texts]
    for i, lines in enumerate(placed):
        if i > 0:
            number = _Text(
                [(str(i + 1), "regular")], body_pt, g.width / 2, g.top - 6 * mm, "m", role="page"
            )
            out_pages.append([number])
        for ln, base in lines:
            base -= 0.25 * ln.size_pt * pt
            if ln.align == "center":
                t = _Text(ln.words, ln.size_pt, g.left + g.text_w / 2, base, "m")
            elif ln.align == "justify" and len(ln.words) > 1:
                t = _Text(
                    ln.words, ln.size_pt, g.left + ln.indent_px, base, "l", g.text_w - ln.indent_px
                )
            else:
                t = _Text(ln.words, ln.size_pt, g.left + ln.indent_px, base)
            out_pages[-1].append(t)
    for offset, t in foot:
        t.baseline = foot_y + offset - 0.25 * t.size_pt * pt
        out_pages[-1].append(t)
    return _Plan(
        out_pages,
        slots,
        sig_centre,
        (round(foot_y + space_top), round(foot_y + space_bottom)),
        round(first_body),
    )


# --- marks made by hand and by rubber stamps ---------------------------------------------------

_RED = (200, 40, 50)
_BLUE_STAMP = (45, 60, 165)
_PEN = (25, 45, 140)

# Handwritten digits as pen paths in a unit box (y down, "x,y" points), smoothed by a
# Catmull-Rom spline when drawn.
_DIGIT_PATHS = {
    "0": ".5,0 .12,.3 .15,.8 .5,1 .85,.75 .85,.25 .5,0 .42,.05",
    "1": ".2,.25 .55,0 .5,1",
    "2": ".1,.25 .35,0 .75,.05 .8,.35 .4,.7 .08,1 .9,.97",
    "3": ".1,.1 .5,0 .8,.2 .45,.47 .85,.7 .5,1 .1,.88",
    "4": ".7,1 .65,0 .05,.68 .95,.65",
    "5": ".85,0 .25,.02 .18,.45 .6,.4 .88,.7 .55,1 .1,.9",
    "6": ".8,.05 .35,.3 .15,.75 .45,1 .8,.8 .65,.5 .3,.55 .18,.72",
    "7": ".1,.02 .9,0 .35,1",
    "8": ".5,.5 .18,.25 .5,0 .82,.25 .5,.5 .15,.75 .5,1 .85,.75 .5,.5",
    "9": ".82,.3 .5,.5 .18,.28 .5,0 .82,.3 .7,1",
    "/": ".8,-.05 .2,1.05",
}
_DIGITS = {
    ch: [[(float(p.split(",")[0]), float(p.split(",")[1])) for p in path.split()]]
    for ch, path in _DIGIT_PATHS.items()
}


def _spline(points: Sequence[tuple[float, float]], steps: int = 10) -> list[tuple[float, float]]:
    """A Catmull-Rom curve through the points (a pen does not draw corners)."""
    if len(points) < 3:
        return list(points)
    p = [points[0], *points, points[-1]]
    out = []
    for i in range(1, len(p) - 2):
        (x0, y0), (x1, y1), (x2, y2), (x3, y3) = p[i - 1], p[i], p[i + 1], p[i + 2]
        for s in range(steps):
            t = s / steps
            t2, t3 = t * t, t * t * t
            out.append(
                (
                    0.5 * (2 * x1 + (x2 - x0) * t + (2 * x0 - 5 * x1 + 4 * x2 - x3) * t2
                           + (3 * x1 - x0 - 3 * x2 + x3) * t3),
                    0.5 * (2 * y1 + (y2 - y0) * t + (2 * y0 - 5 * y1 + 4 * y2 - y3) * t2
                           + (3 * y1 - y0 - 3 * y2 + y3) * t3),
                )
            )  # fmt: skip
    out.append(points[-1])
    return out


def _hand_digits(
    rng: np.random.Generator, text: str, height: float
) -> tuple[list[list[tuple[float, float]]], float]:
    """Pen strokes writing digits and slashes, slanted and uneven; and their width."""
    strokes = []
    x = 0.0
    slant = float(rng.uniform(0.1, 0.3))
    for ch in text:
        if ch not in _DIGITS:
            x += 0.5 * height
            continue
        h = height * float(rng.uniform(0.88, 1.1))
        w = h * 0.55 * float(rng.uniform(0.85, 1.1))
        dy = float(rng.uniform(-0.06, 0.06)) * height
        for path in _DIGITS[ch]:
            pts = [
                (
                    x + (px + rng.normal(0, 0.03)) * w + slant * (1 - py) * h,
                    height - h + dy + (py + rng.normal(0, 0.03)) * h,
                )
                for px, py in path
            ]
            strokes.append(_spline(pts))
        x += w * float(rng.uniform(1.05, 1.3))
    return strokes, x + slant * height


def _cursive(
    rng: np.random.Generator, width: float, height: float, words: int
) -> list[list[tuple[float, float]]]:
    """Cursive-looking pen lines: letters as loops ("e", "l") or waves ("n", "u") of varying
    size on a drifting baseline, a pen lift between words."""
    strokes = []
    x = 0.0
    x_height = height * 0.35
    drift = float(rng.uniform(-0.08, 0.08))
    for _ in range(words):
        n = int(rng.integers(3, 8))
        pts = []
        for _ in range(n):
            tall = rng.random() < 0.3
            h = x_height * (2.3 if tall else 1.0) * float(rng.uniform(0.75, 1.2))
            a = x_height * float(rng.uniform(0.6, 1.2))
            r = a * float(rng.uniform(0.3, 0.45) if rng.random() < 0.5 else rng.uniform(0.0, 0.12))
            base = height - drift * x + float(rng.uniform(-0.05, 0.05)) * x_height
            for step in range(12):
                t = 2 * math.pi * step / 12
                pts.append(
                    (x + a * t / (2 * math.pi) - r * math.sin(t), base - h * (1 - math.cos(t)) / 2)
                )
            x += a
        strokes.append(_spline(pts, 3))
        x += x_height * float(rng.uniform(1.0, 1.8))
        if x > width:
            break
    # fit the line, drifted and looped as it came out, into its box
    xs = [px for stroke in strokes for px, _ in stroke]
    ys = [py for stroke in strokes for _, py in stroke]
    pad = 0.08 * height
    sx = min(1.0, (width - 2 * pad) / max(max(xs) - min(xs), 1.0))
    sy = min(1.0, (height - 2 * pad) / max(max(ys) - min(ys), 1.0))
    return [
        [(pad + (px - min(xs)) * sx, pad + (py - min(ys)) * sy) for px, py in stroke]
        for stroke in strokes
    ]


def _signature(
    rng: np.random.Generator, width: float, height: float
) -> list[list[tuple[float, float]]]:
    """A signature: a large initial, a run of smaller letters, a sweeping stroke under them."""
    initial = [
        (width * 0.05, height * 0.9),
        (width * float(rng.uniform(0.12, 0.2)), height * 0.05),
        (width * float(rng.uniform(0.22, 0.3)), height * float(rng.uniform(0.3, 0.5))),
        (width * 0.1, height * float(rng.uniform(0.5, 0.65))),
        (width * 0.3, height * float(rng.uniform(0.55, 0.7))),
    ]
    word = _cursive(rng, width * 0.6, height * 0.75, 1)
    strokes = [_spline(initial, 8)]
    strokes += [[(x + width * 0.28, y + height * 0.1) for x, y in s] for s in word]
    sweep = [
        (width * float(rng.uniform(0.0, 0.15)), height * float(rng.uniform(0.8, 0.95))),
        (width * 0.5, height * float(rng.uniform(0.85, 1.0))),
        (width * float(rng.uniform(0.85, 1.0)), height * float(rng.uniform(0.5, 0.75))),
    ]
    strokes.append(_spline(sweep))
    return strokes


def _ink_mask(
    size: tuple[int, int], strokes: Sequence[Sequence[tuple[float, float]]], line: int, dpi: int
) -> np.ndarray:
    """Strokes drawn as an alpha mask (0-1), softened like ink on paper."""
    mask = Image.new("L", size, 0)
    d = ImageDraw.Draw(mask)
    for s in strokes:
        if len(s) > 1:
            d.line([(round(x), round(y)) for x, y in s], fill=255, width=line, joint="curve")
    alpha = np.asarray(mask, np.float32) / 255.0
    return cv2.GaussianBlur(alpha, (0, 0), 0.5 * dpi / 300)


def _composite(
    rgb: np.ndarray, alpha: np.ndarray, colour: tuple[int, int, int], at: tuple[int, int]
) -> None:
    """Lay ink of ``colour`` with ``alpha`` onto the page at ``at`` (top left), in place."""
    x0, y0 = at
    h, w = alpha.shape
    sx0, sy0 = max(0, x0), max(0, y0)
    sx1, sy1 = min(rgb.shape[1], x0 + w), min(rgb.shape[0], y0 + h)
    if sx1 <= sx0 or sy1 <= sy0:
        return
    a = alpha[sy0 - y0 : sy1 - y0, sx0 - x0 : sx1 - x0, None]
    region = rgb[sy0:sy1, sx0:sx1]
    ink = np.array(colour, np.float32)
    rgb[sy0:sy1, sx0:sx1] = region * (1 - a) + np.minimum(region, ink) * a


def _stamp_mask(rng: np.random.Generator, text: str, dpi: int, arrow: bool) -> np.ndarray:
    """A framed stamp (secrecy or urgency) as NĐ 30 Phụ lục I draws it: bold capitals in a
    single-line rectangle; an urgent "HỎA TỐC" is sometimes an arrow instead."""
    pt = dpi / 72.0
    font = _font("liberation-serif", "bold", round(float(rng.uniform(14, 17)) * pt))
    tw = font.getlength(text)
    pad_x, pad_y = 0.45 * font.size, 0.3 * font.size
    w, h = round(tw + 2 * pad_x), round(font.size * 1.05 + 2 * pad_y)
    extra = h // 2 if arrow else 0
    mask = Image.new("L", (w + extra + 8, h + 8), 0)
    d = ImageDraw.Draw(mask)
    line = max(3, round(0.7 * dpi / 25.4))
    if arrow:
        pts = [(4, 4), (4 + w, 4), (4 + w + extra, 4 + h // 2), (4 + w, 4 + h), (4, 4 + h), (4, 4)]
        d.line(pts, fill=255, width=line, joint="curve")
    else:
        d.rectangle((4, 4, 4 + w, 4 + h), outline=255, width=line)
    d.text((4 + w / 2, 4 + h / 2), text, font=font, fill=255, anchor="mm")
    return np.asarray(mask, np.float32) / 255.0


def _rotate_mask(alpha: np.ndarray, degrees: float) -> np.ndarray:
    if abs(degrees) < 0.05:
        return alpha
    img = Image.fromarray(np.clip(alpha * 255, 0, 255).astype(np.uint8))
    out = img.rotate(degrees, resample=Image.Resampling.BICUBIC, expand=True, fillcolor=0)
    return np.asarray(out, np.float32) / 255.0


def _uneven(rng: np.random.Generator, alpha: np.ndarray, strength: float, dpi: int) -> np.ndarray:
    """Rubber-stamp ink: denser here, starved there, edges slightly soft."""
    alpha = alpha * np.clip(
        1.0 - strength + strength * 0.9 * (1 + _smooth_field(rng, alpha.shape, 5)) / 2, 0.2, 1.0
    )
    return cv2.GaussianBlur(alpha, (0, 0), 0.6 * dpi / 300)


def _arrival_mask(
    rng: np.random.Generator, receiver: str, number: str, date: str, dpi: int, compact: bool
) -> tuple[np.ndarray, np.ndarray]:
    """The office's arrival stamp and, apart, the clerk's pen: a tall "CÔNG VĂN ĐẾN" / Số /
    Ngày box, or the compact kind of the real scans ("ĐẾN" beside Số and Ngày)."""
    mm = dpi / 25.4
    small = _font("liberation-sans", "bold", round(2.4 * mm))
    label = _font("liberation-sans", "regular", round(2.6 * mm))
    w = round(max((46 if compact else 52) * mm, small.getlength(receiver) + 6 * mm))
    h = round((15 if compact else 24) * mm)
    mask = Image.new("L", (w + 10, h + 10), 0)
    d = ImageDraw.Draw(mask)
    line = max(3, round(0.5 * mm))
    d.rectangle((5, 5, 5 + w, 5 + h), outline=255, width=line)
    d.text((5 + w / 2, 5 + 2.8 * mm), receiver, font=small, fill=255, anchor="mm")
    d.line((5, round(5 + 5.3 * mm), 5 + w, round(5 + 5.3 * mm)), fill=255, width=max(2, line // 2))
    if compact:
        big = _font("liberation-serif", "bold", round(5.5 * mm))
        d.text((5 + 2 * mm, 5 + 10.3 * mm), "ĐẾN", font=big, fill=255, anchor="lm")
        left = 5 + 3 * mm + big.getlength("ĐẾN")
        rows = [("Số:", 9.6 * mm), ("Ngày:", 13.6 * mm)]
        digits = 3.4 * mm
    else:
        big = _font("liberation-sans", "bold", round(4.4 * mm))
        d.text((5 + w / 2, 5 + 9.5 * mm), "CÔNG VĂN ĐẾN", font=big, fill=255, anchor="mm")
        left = 5 + 3 * mm
        rows = [("Số:", 15.5 * mm), ("Ngày:", 21 * mm)]
        digits = 4.2 * mm
    pen = Image.new("L", mask.size, 0)
    pd = ImageDraw.Draw(pen)
    for (text, y), value in zip(rows, (number, date), strict=True):
        d.text((left, 5 + y), text, font=label, fill=255, anchor="ls")
        x = left + label.getlength(text) + 0.5 * mm
        dots = "." * int((w - (x - 5) - 2 * mm) / label.getlength("."))
        d.text((x, 5 + y), dots, font=label, fill=255, anchor="ls")
        strokes, _ = _hand_digits(rng, value, digits)
        shifted = [
            [(px + x + 2 * mm, py + 5 + y - digits - 0.4 * mm) for px, py in s] for s in strokes
        ]
        for stroke in shifted:
            pd.line(
                [(round(a), round(b)) for a, b in stroke],
                fill=255,
                width=max(2, round(0.33 * mm)),
                joint="curve",
            )
    stamp = np.asarray(mask, np.float32) / 255.0
    hand = cv2.GaussianBlur(np.asarray(pen, np.float32) / 255.0, (0, 0), 0.5 * dpi / 300)
    return stamp, hand


def _free_spot(
    rng: np.random.Generator,
    size: tuple[int, int],
    zone: tuple[int, int, int, int],
    avoid: Sequence[tuple[int, int, int, int]],
    tries: int = 300,
) -> tuple[int, int] | None:
    """A top-left corner in ``zone`` where a box of ``size`` overlaps none of ``avoid``."""
    w, h = size
    x0, y0, x1, y1 = zone
    if x1 - x0 < w or y1 - y0 < h:
        return None
    for _ in range(tries):
        x = int(rng.integers(x0, x1 - w + 1))
        y = int(rng.integers(y0, y1 - h + 1))
        if not any(x < b[2] and b[0] < x + w and y < b[3] and b[1] < y + h for b in avoid):
            return x, y
    return None


def _grow(box: tuple[int, int, int, int], by: int) -> tuple[int, int, int, int]:
    return (box[0] - by, box[1] - by, box[2] + by, box[3] + by)


@dataclass
class GeneratedDocument:
    """A rendered văn bản: its pages (upright, RGB for a colour scan, L for gray) and its
    truth, the fields as drawn (keys of station.documents.model.FIELDS) plus ``layout``,
    ``page_count`` and ``marks`` (what was stamped and written on it)."""

    pages: list[Image.Image]
    truth: dict[str, Any]


def render_document(
    rng: np.random.Generator,
    *,
    dpi: int = 300,
    layout: str | None = None,
    pages: int | None = None,
    colour: bool = False,
    secrecy: str | None = "auto",
    urgency: str | None = "auto",
) -> GeneratedDocument:
    """Render one whole document with the truth of what was drawn.

    ``layout`` is "state" (NĐ 30 / TT 01-2011), "party" (HD 36 / HD 11) or "old" (state papers
    of before 2011); by default state half the time, Party a third, old a sixth. ``pages`` is
    1-4 (by default 1 to 4, fewer more often). ``secrecy`` and ``urgency`` are levels
    ("Mật", "Hỏa tốc"...), None for none, or "auto" to draw them now and then (a quarter of
    documents carry a secrecy mark, a fifth an urgency mark). A seal is over every signature;
    arrival stamps and pen notes come on some pages. Deterministic for a given ``rng`` state.
    """
    if layout is None:
        layout = str(rng.choice(LAYOUTS, p=[0.5, 1 / 3, 1 / 6]))
    if layout not in LAYOUTS:
        raise ValueError(f"layout must be one of {', '.join(LAYOUTS)}, not {layout!r}")
    if pages is None:
        pages = int(rng.choice([1, 2, 3, 4], p=[0.35, 0.3, 0.2, 0.15]))
    if not 1 <= pages <= 4:
        raise ValueError("a generated document has 1 to 4 pages")
    if secrecy == "auto":
        secrecy = (
            str(rng.choice(list(SECRECY_STAMPS), p=[0.6, 0.25, 0.15]))
            if rng.random() < 0.25
            else None
        )
    if urgency == "auto":
        urgency = (
            str(rng.choice(list(URGENCY_STAMPS), p=[0.5, 0.25, 0.25]))
            if rng.random() < 0.2
            else None
        )
    if secrecy is not None and secrecy not in SECRECY_STAMPS:
        raise ValueError(f"secrecy must be one of {', '.join(SECRECY_STAMPS)} or None")
    if urgency is not None and urgency not in URGENCY_STAMPS:
        raise ValueError(f"urgency must be one of {', '.join(URGENCY_STAMPS)} or None")
    letter, filler = _compose_letter(rng, layout)
    if layout == "old":
        family = "liberation-serif"
    else:
        family = str(
            rng.choice(
                ["liberation-serif", "noto-serif", "dejavu-serif", "liberation-sans"],
                p=[0.78, 0.12, 0.04, 0.06],
            )
        )
    mm = dpi / 25.4
    g = _Geometry(
        dpi,
        round(210 * mm),
        round(297 * mm),
        round(rng.uniform(28, 33) * mm),
        round(rng.uniform(15, 20) * mm),
        round(rng.uniform(18, 24) * mm),
        round(rng.uniform(18, 24) * mm),
    )
    record: dict[str, Any] = {"stamps": [], "arrival": None, "notes": [], "seal": True}
    stamps = []
    for level in (secrecy, urgency):
        if level is None:
            continue
        text = SECRECY_STAMPS.get(level) or URGENCY_STAMPS[level]
        arrow = level == "Hỏa tốc" and rng.random() < 0.3
        tilt = rng.random() < 0.35
        angle = (
            float(rng.uniform(5, 15) * rng.choice([-1, 1])) if tilt else float(rng.uniform(-2, 2))
        )
        faint = rng.random() < 0.25
        alpha = _uneven(rng, _rotate_mask(_stamp_mask(rng, text, dpi, arrow), angle), 0.3, dpi)
        alpha *= float(rng.uniform(0.3, 0.45)) if faint else float(rng.uniform(0.8, 1.0))
        stamps.append(alpha)
        record["stamps"].append(
            {"text": text, "angle": round(angle, 1), "faint": faint, "arrow": arrow}
        )
    plan = _layout_letter(rng, letter, filler, g, family, pages, [a.shape[0] for a in stamps])
    ink = int(rng.integers(20, 60)) if layout == "old" else int(rng.integers(0, 35))
    paper = (
        np.array([244, 234, 208], np.float32)
        if layout == "old"
        else np.array([250, 246, 232], np.float32)
    ) + rng.uniform(-4, 4, 3).astype(np.float32)
    images = []
    for index, texts in enumerate(plan.pages):
        gray = Image.new("L", (g.width, g.height), 255)
        boxes = _draw_texts(gray, family, texts, g.pt, ink)
        a = np.asarray(gray, np.float32)[..., None] / 255.0
        ink_rgb = np.array([25, 25, 35], np.float32)
        rgb = ink_rgb + (paper - ink_rgb) * a
        protected = [_grow(b, round(1 * mm)) for role, b in boxes if role in _PROTECTED]
        every = [_grow(b, round(1.5 * mm)) for _, b in boxes]
        if index == 0:
            for (cx, cy), alpha in zip(plan.stamp_slots, stamps, strict=True):
                h, w = alpha.shape
                _composite(rgb, alpha, _RED, (cx - w // 2, cy - h // 2))
                box = (cx - w // 2, cy - h // 2, cx + w // 2, cy + h // 2)
                protected.append(box)
                every.append(box)
            if rng.random() < 0.4:
                _arrival(rng, rgb, g, letter, plan.body_top, protected, every, record)
        if index == len(plan.pages) - 1:
            _sign_and_seal(rng, rgb, g, plan, letter, dpi)
        if rng.random() < 0.3:
            _pen_note(rng, rgb, g, every, record, index)
        out = Image.fromarray(np.clip(np.rint(rgb), 0, 255).astype(np.uint8), "RGB")
        if not colour:
            out = out.convert("L")
        out.info["dpi"] = (dpi, dpi)
        images.append(out)
    truth = {
        "layout": layout,
        **{k: _nfc(v) if isinstance(v, str) else v for k, v in letter.truth.items()},
        "secrecy": secrecy,
        "urgency": urgency,
        "page_count": len(images),
        "font": family,
        "marks": record,
    }
    return GeneratedDocument(images, truth)


def _arrival(
    rng: np.random.Generator,
    rgb: np.ndarray,
    g: _Geometry,
    letter: _Letter,
    body_top: int,
    protected: list[tuple[int, int, int, int]],
    every: list[tuple[int, int, int, int]],
    record: dict[str, Any],
) -> None:
    """The receiving office's stamp in the header area, number and date by a clerk's pen; it
    may cover the header's rules, "Kính gửi" or the first body line, never a header field."""
    mm = g.mm
    receiver = _pick(
        rng,
        ("VĂN PHÒNG UBND TỈNH", "SỞ NỘI VỤ", "VĂN PHÒNG TỈNH ỦY", "TRUNG TÂM LƯU TRỮ LỊCH SỬ"),
    )
    year = int(letter.truth["issued_date"][:4])
    month, day = int(letter.truth["issued_date"][5:7]), int(letter.truth["issued_date"][8:10])
    day = min(28, day + int(rng.integers(1, 6)))
    compact = rng.random() < 0.6
    stamp, hand = _arrival_mask(
        rng, receiver, str(int(rng.integers(12, 4800))), f"{day}/{month}/{year}", g.dpi, compact
    )
    angle = float(rng.uniform(-4, 4))
    stamp = _uneven(rng, _rotate_mask(stamp, angle), 0.35, g.dpi) * float(rng.uniform(0.6, 0.95))
    hand = _rotate_mask(hand, angle) * 0.9
    h, w = stamp.shape
    # in a blank of the header block or the top margin; failing that, over the header's
    # rules and the first body line, never over its fields
    zone = (round(5 * mm), round(4 * mm), g.width - round(5 * mm), body_top + h // 3)
    spot = _free_spot(rng, (w, h), zone, every) or _free_spot(rng, (w, h), zone, protected)
    if spot is None:
        return
    colour = _BLUE_STAMP if rng.random() < 0.65 else _RED
    _composite(rgb, stamp, colour, spot)
    _composite(rgb, hand, _PEN, spot)
    record["arrival"] = {"box": [spot[0], spot[1], spot[0] + w, spot[1] + h], "receiver": receiver}


def _sign_and_seal(
    rng: np.random.Generator,
    rgb: np.ndarray,
    g: _Geometry,
    plan: _Plan,
    letter: _Letter,
    dpi: int,
) -> None:
    """The signature in the space above the name, and the red seal over its left third."""
    mm = g.mm
    top, bottom = plan.sig_space
    w, h = round(rng.uniform(32, 45) * mm), max(round(8 * mm), bottom - top - round(2 * mm))
    strokes = _signature(rng, w * 0.85, h * 0.85)
    alpha = _ink_mask((w, h), strokes, max(3, round(0.45 * mm)), dpi) * 0.95
    x = plan.sig_centre - w // 2 + round(rng.uniform(-4, 4) * mm)
    pen = _PEN if rng.random() < 0.7 else (30, 30, 35)
    _composite(rgb, alpha, pen, (x, top + round(1 * mm)))
    # over the left of the signature, touching the title's last line by up to 4 mm, clear of
    # the name under it (a smaller seal when the space is short)
    overlap = round(rng.uniform(0, 4) * mm)
    radius = min(round(rng.uniform(14.5, 16.5) * mm), (bottom - top + overlap) // 2 - round(mm))
    centre = (plan.sig_centre - round(rng.uniform(20, 27) * mm), top - overlap + radius)
    page = Image.fromarray(np.clip(np.rint(rgb), 0, 255).astype(np.uint8), "RGB")
    sealed = _draw_seal(page, rng, centre, radius, letter.seal_text, dpi)
    rgb[:] = np.asarray(sealed, np.float32)


def _pen_note(
    rng: np.random.Generator,
    rgb: np.ndarray,
    g: _Geometry,
    every: list[tuple[int, int, int, int]],
    record: dict[str, Any],
    page: int,
) -> None:
    """A reader's note in blue pen in a margin or a blank corner, clear of the print."""
    mm = g.mm
    words = int(rng.integers(1, 5))
    w, h = round(rng.uniform(18, 30) * words * mm * 0.6 + 12 * mm), round(rng.uniform(7, 11) * mm)
    strokes = _cursive(rng, w, h, words)
    alpha = _ink_mask((w + 4, h + 4), strokes, max(2, round(0.3 * mm)), g.dpi) * 0.9
    vertical = rng.random() < 0.3
    if vertical:
        alpha = _rotate_mask(alpha, 90.0)
        zone = (round(4 * mm), round(30 * mm), g.left - round(2 * mm), g.height - round(30 * mm))
    else:
        alpha = _rotate_mask(alpha, float(rng.uniform(-8, 8)))
        zone = (round(4 * mm), round(3 * mm), g.width - round(4 * mm), g.height - round(3 * mm))
    hh, ww = alpha.shape
    spot = _free_spot(rng, (ww, hh), zone, every)
    if spot is None:
        return
    _composite(rgb, alpha, _PEN, spot)
    record["notes"].append(
        {"page": page + 1, "box": [spot[0], spot[1], spot[0] + ww, spot[1] + hh]}
    )


# --------------------------------------------------------------------------------------------
# Pixel helpers


def _arr(img: Image.Image) -> np.ndarray:
    """Pixels as float32 (bilevel becomes 0/255 gray) for arithmetic."""
    if img.mode == "1":
        img = img.convert("L")
    return np.asarray(img, dtype=np.float32)


def _img(arr: np.ndarray, like: Image.Image) -> Image.Image:
    """Back to a PIL image in the mode of ``like`` (bilevel re-thresholded), keeping its dpi."""
    out = Image.fromarray(np.clip(np.rint(arr), 0, 255).astype(np.uint8))
    if like.mode == "1":
        out = out.point(lambda v: 255 if v >= 128 else 0).convert("1")
    elif out.mode != like.mode:
        out = out.convert(like.mode)
    return _keep_dpi(out, like)


def _keep_dpi(out: Image.Image, like: Image.Image) -> Image.Image:
    if "dpi" in like.info:
        out.info["dpi"] = like.info["dpi"]
    return out


def _smooth_field(rng: np.random.Generator, shape: tuple[int, int], cells: int) -> np.ndarray:
    """Low-frequency noise in about [-1, 1]: a small random grid upsampled with bicubic."""
    h, w = shape
    gh, gw = max(2, h * cells // max(h, w)), max(2, w * cells // max(h, w))
    grid = rng.standard_normal((gh, gw)).astype(np.float32)
    return cv2.resize(grid, (w, h), interpolation=cv2.INTER_CUBIC)


def _paper(rng: np.random.Generator, shape: tuple[int, int], level: float) -> np.ndarray:
    """Paper texture: blotchy low-frequency variation plus fine grain around ``level``."""
    tex = level + 1.6 * _smooth_field(rng, shape, 12) + 0.8 * _smooth_field(rng, shape, 90)
    return tex + rng.normal(0.0, 1.2, shape).astype(np.float32)


# --------------------------------------------------------------------------------------------
# Blank page


def render_blank_page(
    rng: np.random.Generator, *, dpi: int = 300, show_through: bool = True
) -> Image.Image:
    """A blank sheet (mode "L", paper ~250); with ``show_through`` the mirrored text of the other
    side bleeds through faintly (gray ~225-240, blurred), which blank-page detection must ignore.
    """
    mm = dpi / 25.4
    shape = (round(297 * mm), round(210 * mm))
    paper = _paper(rng, shape, 250.0)
    if show_through:
        back = _render(rng, dpi, None, ink=0).image
        back = ImageOps.mirror(back)
        darkness = 1.0 - np.asarray(back, dtype=np.float32) / 255.0  # 1 where ink
        sigma = float(rng.uniform(1.2, 2.2)) * dpi / 300
        darkness = cv2.GaussianBlur(darkness, (0, 0), sigma)
        depth = float(rng.uniform(12, 24))  # ink shows at 250 - depth, i.e. ~226-238
        paper -= depth * np.clip(darkness * 1.3, 0, 1)
    out = Image.fromarray(np.clip(np.rint(paper), 0, 255).astype(np.uint8), "L")
    out.info["dpi"] = (dpi, dpi)
    return out


# --------------------------------------------------------------------------------------------
# Degradations (each keeps the image mode and dpi)


def apply_skew(img: Image.Image, degrees: float) -> Image.Image:
    """Rotate the page counter-clockwise by ``degrees`` (PIL convention), expanding with white.

    Positive degrees: text baselines on the result rise from left to right (their right end is
    higher); the skew a deskewer measures is +degrees CCW, and ``img.rotate(-degrees)`` undoes it.
    """
    if degrees == 0:
        return img.copy()
    work = img.convert("L") if img.mode == "1" else img
    fill: int | tuple[int, int, int] = (255, 255, 255) if work.mode == "RGB" else 255
    out = work.rotate(degrees, resample=Image.Resampling.BICUBIC, expand=True, fillcolor=fill)
    if img.mode == "1":
        out = out.point(lambda v: 255 if v >= 128 else 0).convert("1")
    return _keep_dpi(out, img)


_CCW_TRANSPOSE = {
    90: Image.Transpose.ROTATE_90,  # PIL ROTATE_* turn counter-clockwise
    180: Image.Transpose.ROTATE_180,
    270: Image.Transpose.ROTATE_270,
}


def apply_orientation(img: Image.Image, rotation: int) -> Image.Image:
    """Simulate a page fed turned: the result needs ``rotation`` degrees CLOCKWISE to be upright.

    So rotation=90 turns the upright page 90 degrees counter-clockwise (text reads bottom-to-top).
    """
    rotation %= 360
    if rotation == 0:
        return img.copy()
    if rotation not in _CCW_TRANSPOSE:
        raise ValueError(f"rotation must be 0, 90, 180 or 270, not {rotation}")
    return _keep_dpi(img.transpose(_CCW_TRANSPOSE[rotation]), img)


def add_noise(img: Image.Image, rng: np.random.Generator, amount: float = 6.0) -> Image.Image:
    """Sensor noise: Gaussian with std ``amount`` gray levels plus dust specks (dark and light).

    Speck density grows with ``amount`` (about 4 per million pixels per gray level).
    """
    arr = _arr(img)
    arr = arr + rng.normal(0.0, amount, arr.shape).astype(np.float32)
    h, w = arr.shape[:2]
    count = int(h * w * amount * 4e-6)
    for value, frac in ((float(rng.uniform(0, 60)), 0.7), (255.0, 0.3)):
        k = int(count * frac)
        ys = rng.integers(0, h - 2, k)
        xs = rng.integers(0, w - 2, k)
        big = rng.random(k) < 0.35  # some specks are 2x2
        arr[ys, xs] = value
        arr[ys[big] + 1, xs[big]] = value
        arr[ys[big], xs[big] + 1] = value
        arr[ys[big] + 1, xs[big] + 1] = value
    return _img(arr, img)


def apply_blur(img: Image.Image, sigma_px: float) -> Image.Image:
    """Gaussian defocus blur with std ``sigma_px`` pixels (of this image's resolution)."""
    if sigma_px <= 0:
        return img.copy()
    arr = cv2.GaussianBlur(_arr(img), (0, 0), float(sigma_px))
    return _img(arr, img)


def add_dark_borders(img: Image.Image, rng: np.random.Generator) -> Image.Image:
    """Black/dark-gray scanner-lid bands 2-6% wide on 2-4 sides, with slightly wavy soft edges."""
    arr = _arr(img)
    h, w = arr.shape[:2]
    sides = rng.permutation(4)[: int(rng.integers(2, 5))]
    yy = np.arange(h, dtype=np.float32)
    xx = np.arange(w, dtype=np.float32)
    for side in sides:
        along, across = (h, w) if side in (0, 1) else (w, h)  # 0 left, 1 right, 2 top, 3 bottom
        base = float(rng.uniform(0.02, 0.06)) * across
        wave = _smooth_field(rng, (along, 1), 8)[:, 0] * across * 0.004
        edge = base + wave + rng.normal(0, 0.6, along).astype(np.float32)  # band depth per row
        level = float(rng.uniform(0, 60))
        soft = float(rng.uniform(2, 6)) * max(h, w) / 3500
        depth_max = int(edge.max() + 4 * soft) + 1
        if side in (0, 1):
            pos = xx[:depth_max] if side == 0 else (w - 1 - xx[w - depth_max :])
            alpha = np.clip((edge[:, None] - pos[None, :]) / soft + 0.5, 0, 1)
        else:
            pos = yy[:depth_max] if side == 2 else (h - 1 - yy[h - depth_max :])
            alpha = np.clip((edge[None, :] - pos[:, None]) / soft + 0.5, 0, 1)
        band_noise = rng.normal(0, 5, alpha.shape).astype(np.float32)
        region = (
            (slice(None), slice(0, depth_max)) if side == 0
            else (slice(None), slice(w - depth_max, w)) if side == 1
            else (slice(0, depth_max), slice(None)) if side == 2
            else (slice(h - depth_max, h), slice(None))
        )  # fmt: skip
        dark = level + band_noise
        if arr.ndim == 3:
            alpha, dark = alpha[..., None], dark[..., None]
        arr[region] = arr[region] * (1 - alpha) + dark * alpha
    return _img(arr, img)


def apply_uneven_light(img: Image.Image, rng: np.random.Generator) -> Image.Image:
    """A smooth illumination falloff across the page: one side down to ~58-68% brightness."""
    arr = _arr(img)
    h, w = arr.shape[:2]
    theta = float(rng.uniform(0, 2 * math.pi))
    ys = np.linspace(-0.5, 0.5, h, dtype=np.float32)[:, None]
    xs = np.linspace(-0.5, 0.5, w, dtype=np.float32)[None, :]
    t = xs * math.cos(theta) + ys * math.sin(theta)
    t = (t - t.min()) / (t.max() - t.min())  # 0 at the bright side, 1 at the dark side
    low = float(rng.uniform(0.58, 0.68))
    gamma = float(rng.uniform(1.2, 2.2))
    factor = 1.0 - (1.0 - low) * t**gamma
    if arr.ndim == 3:
        factor = factor[..., None]
    return _img(arr * factor, img)


_EXPOSURE = {
    "too_dark": (20.0, 100.0),  # ink level, paper level
    "too_light": (180.0, 250.0),
}


def apply_exposure(img: Image.Image, kind: str) -> Image.Image:
    """Remap gray levels: "too_dark" (paper ~100, ink ~20), "too_light" (faded ink ~180 on 250)."""
    if kind not in _EXPOSURE:
        raise ValueError(f"kind must be one of {sorted(_EXPOSURE)}, not {kind!r}")
    ink, paper = _EXPOSURE[kind]
    arr = _arr(img)
    return _img(ink + arr * (paper - ink) / 255.0, img)


def resample_dpi(img: Image.Image, from_dpi: int, to_dpi: int) -> Image.Image:
    """Resize as if scanned at ``to_dpi`` instead of ``from_dpi`` and set the dpi info."""
    scale = to_dpi / from_dpi
    size = (max(1, round(img.width * scale)), max(1, round(img.height * scale)))
    work = img.convert("L") if img.mode == "1" else img
    interp = cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC
    arr = cv2.resize(np.asarray(work), size, interpolation=interp)
    out = Image.fromarray(arr)
    if img.mode == "1":
        out = out.point(lambda v: 255 if v >= 128 else 0).convert("1")
    out.info["dpi"] = (to_dpi, to_dpi)
    return out


# --------------------------------------------------------------------------------------------
# Colour scans and seals


def _colourise(img: Image.Image, rng: np.random.Generator) -> Image.Image:
    """Gray page to an RGB colour scan: slightly yellowish paper, blue-black ink."""
    a = _arr(img)[..., None] / 255.0
    paper = np.array([250, 244, 226], np.float32) + rng.uniform(-4, 4, 3).astype(np.float32)
    ink = np.array([28, 28, 40], np.float32)
    rgb = ink + (paper - ink) * a
    out = Image.fromarray(np.clip(np.rint(rgb), 0, 255).astype(np.uint8), "RGB")
    return _keep_dpi(out, img)


def _draw_seal(
    img: Image.Image,
    rng: np.random.Generator,
    centre: tuple[int, int],
    radius: int,
    text: str,
    dpi: int,
) -> Image.Image:
    """Stamp a red round seal (double ring, star, text around the rim) with uneven ink."""
    size = 2 * radius + 8
    mask = Image.new("L", (size, size), 0)
    d = ImageDraw.Draw(mask)
    c = size // 2
    line = max(2, round(radius * 0.045))
    d.ellipse([c - radius, c - radius, c + radius, c + radius], outline=255, width=line)
    r2 = round(radius * 0.62)
    d.ellipse([c - r2, c - r2, c + r2, c + r2], outline=255, width=max(1, line // 2))
    star = []
    for i in range(10):
        rr = r2 * (0.45 if i % 2 == 0 else 0.18)
        ang = -math.pi / 2 + i * math.pi / 5
        star.append((c + rr * math.cos(ang), c + rr * math.sin(ang)))
    d.polygon(star, fill=255)
    font = _font("liberation-sans", "bold", max(8, round(radius * 0.2)))
    chars = list(text)
    span = math.radians(300)
    rt = (radius + r2) / 2
    for i, ch in enumerate(chars):
        # Clockwise from lower-left over the top to lower-right, a 60 degree gap at the bottom;
        # angles in image coordinates (y down), so increasing angle runs clockwise on screen.
        phi = math.radians(120) + span * (i + 0.5) / len(chars)
        tile = Image.new("L", (font.size * 2, font.size * 2), 0)
        ImageDraw.Draw(tile).text((font.size, font.size), ch, font=font, fill=255, anchor="mm")
        tile = tile.rotate(270 - math.degrees(phi), resample=Image.Resampling.BICUBIC)
        px = round(c + rt * math.cos(phi) - tile.width / 2)
        py = round(c + rt * math.sin(phi) - tile.height / 2)
        mask.paste(255, (px, py), tile)
    alpha = np.asarray(mask, np.float32) / 255.0
    alpha *= np.clip(0.75 + 0.35 * _smooth_field(rng, alpha.shape, 6), 0.35, 1.0)
    alpha = cv2.GaussianBlur(alpha, (0, 0), 0.6 * dpi / 300)
    rgb = np.asarray(img, np.float32).copy()
    x0, y0 = centre[0] - c, centre[1] - c
    x1, y1 = x0 + size, y0 + size
    sx0, sy0 = max(0, x0), max(0, y0)
    sx1, sy1 = min(img.width, x1), min(img.height, y1)
    a = alpha[sy0 - y0 : sy1 - y0, sx0 - x0 : sx1 - x0, None]
    red = np.array([205, 35, 45], np.float32)
    region = rgb[sy0:sy1, sx0:sx1]
    rgb[sy0:sy1, sx0:sx1] = region * (1 - a) + np.minimum(region, red) * a  # ink multiplies
    return _keep_dpi(Image.fromarray(np.clip(np.rint(rgb), 0, 255).astype(np.uint8)), img)


# --------------------------------------------------------------------------------------------
# Quality metric


def _squash(text: str) -> str:
    return " ".join(_nfc(text).split())


def character_error_rate(reference: str, hypothesis: str) -> float:
    """Levenshtein distance / reference length, after NFC and collapsing whitespace runs.

    Whitespace is collapsed because line breaks and column gaps in OCR output are layout, not
    recognition errors. An empty reference gives 0.0 for an empty hypothesis, else 1.0.
    """
    ref, hyp = _squash(reference), _squash(hypothesis)
    if not ref:
        return 0.0 if not hyp else 1.0
    return Levenshtein.distance(ref, hyp) / len(ref)


# --------------------------------------------------------------------------------------------
# Batches


@dataclass
class _PageSpec:
    """What to do to one document page; filled by the set planners, executed by ``_make_page``."""

    kind: str = "document"  # document | blank
    dpi: int = 300
    rotation: int = 0
    skew: float = 0.0
    font: str | None = None
    blur: float = 0.0
    noise: float = 0.0
    borders: bool = False
    uneven: bool = False
    exposure: str | None = None
    colour: bool = False
    stamp: bool = False
    bilevel: bool = False
    show_through: bool = True
    white_point: int | None = None  # scanner background removal: gray >= this becomes 255


@dataclass
class _FileSpec:
    """One output file: its format and the pages it holds (several for a multi-page TIFF)."""

    fmt: str  # tif_lzw | tif_deflate | tif_g4 | png | jpg | multi | broken_* kinds
    pages: list[_PageSpec] = field(default_factory=list)
    broken: str | None = None  # empty_file | truncated_jpeg | truncated_png | not_an_image | ...
    name: str | None = None  # fixed name (notes.docx); else scan_NNNN.ext


_EXT = {
    "tif_lzw": "tif",
    "tif_deflate": "tif",
    "tif_g4": "tif",
    "multi": "tif",
    "png": "png",
    "jpg": "jpg",
    "empty_file": "tif",
    "truncated_jpeg": "jpg",
    "truncated_png": "png",
    "not_an_image": "tif",
    "unsupported_format": "docx",
}


def _skew(rng: np.random.Generator, limit: float) -> float:
    """A clearly non-zero skew in [-limit, -0.25] U [0.25, limit], rounded to 0.01 degree."""
    mag = float(rng.uniform(0.25, limit))
    return round(mag if rng.random() < 0.5 else -mag, 2)


def _make_page(spec: _PageSpec, rng: np.random.Generator) -> tuple[Image.Image, dict[str, Any]]:
    """Render and degrade one page; return the image and its truth record (without file/index)."""
    degr: list[str] = []
    flags: list[str] = []
    font = ""
    text: str | None
    if spec.kind == "blank":
        img = render_blank_page(rng, dpi=300, show_through=spec.show_through)
        text = ""
        degr.append("paper_texture")
        if spec.show_through:
            degr.append("show_through")
        flags.append("possible_blank")
        seal = None
    else:
        r = _render(rng, 300, spec.font)
        img, text, font = r.image, r.text, r.font
        seal = r
    # On the paper: ink colour and seal. Then how it lies on the glass: orientation and skew.
    # Then the scanner: exposure and lighting act on the whole field (the white fill around a
    # skewed page too), then lid borders, optics (blur), sampling (dpi), sensor noise, output.
    if spec.colour:
        img = _colourise(img, rng)
        degr.append("colour")
        if spec.stamp and seal is not None:
            img = _draw_seal(img, rng, seal.seal_center, seal.seal_radius, seal.seal_text, 300)
            degr.append("stamp")
    if spec.rotation:
        img = apply_orientation(img, spec.rotation)
        degr.append("rotation")
    if spec.skew:
        img = apply_skew(img, spec.skew)
        degr.append("skew")
    if spec.exposure:
        img = apply_exposure(img, spec.exposure)
        degr.append(spec.exposure)
        flags.append(spec.exposure)
    if spec.uneven:
        img = apply_uneven_light(img, rng)
        degr.append("uneven_light")
    if spec.borders:
        img = add_dark_borders(img, rng)
        degr.append("dark_borders")
    if spec.blur:
        img = apply_blur(img, spec.blur)
        degr.append("heavy_blur" if spec.blur >= 3 else "blur")
        if spec.blur >= 3:
            flags.append("blurred")
    if spec.dpi != 300:
        img = resample_dpi(img, 300, spec.dpi)
        degr.append("resampled")
    if spec.dpi < 200:
        flags.append("low_dpi")
    if spec.noise:
        img = add_noise(img, rng, spec.noise)
        degr.append("noise")
    if spec.white_point and img.mode == "L":
        wp = spec.white_point
        img = img.point(lambda v: 255 if v >= wp else v)
    if spec.bilevel:
        img = _binarise(img)
        degr.append("bilevel")
    record: dict[str, Any] = {
        "kind": spec.kind,
        "text": text,
        "skew_deg": float(spec.skew),
        "rotation": int(spec.rotation),
        "dpi": int(spec.dpi),
        "blur_sigma": float(spec.blur),
        "degradations": degr,
        "expected_flags": sorted(set(flags), key=flags.index),
        "broken_reason": None,
        "font": font,
    }
    return img, record


def _binarise(img: Image.Image) -> Image.Image:
    """Otsu threshold to a 1-bit image, as a bilevel scanner mode would deliver."""
    gray = np.asarray(img.convert("L"))
    _, bw = cv2.threshold(gray, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    return _keep_dpi(Image.fromarray(bw).convert("1", dither=Image.Dither.NONE), img)


def _encode(img: Image.Image, fmt: str, rng: np.random.Generator) -> bytes:
    """Encode one image in the file's format with the dpi tag set."""
    dpi = img.info.get("dpi", (300, 300))
    buf = io.BytesIO()
    if fmt == "tif_lzw":
        img.save(buf, "TIFF", compression="tiff_lzw", dpi=dpi)
    elif fmt == "tif_deflate":
        img.save(buf, "TIFF", compression="tiff_adobe_deflate", dpi=dpi)
    elif fmt == "tif_g4":
        img = img if img.mode == "1" else _binarise(img)
        img.save(buf, "TIFF", compression="group4", dpi=dpi)
    elif fmt == "png":
        img.save(buf, "PNG", dpi=dpi, optimize=False)
    elif fmt in ("jpg", "truncated_jpeg"):
        rgb = img.convert("RGB") if img.mode != "RGB" else img
        rgb.save(buf, "JPEG", quality=int(rng.integers(82, 93)), dpi=dpi)
    elif fmt == "truncated_png":
        img.save(buf, "PNG", dpi=dpi)
    else:
        raise ValueError(fmt)
    return buf.getvalue()


def _broken_bytes(reason: str, rng: np.random.Generator) -> tuple[bytes, int]:
    """Bytes of a damaged or foreign file and the dpi the intact image would have had (0: none)."""
    if reason == "empty_file":
        return b"", 0
    if reason == "not_an_image":
        txt = "Biên bản giao nhận tài liệu - file này không phải là ảnh quét.\n" * 20
        return _nfc(txt).encode("utf-8"), 0
    if reason == "unsupported_format":
        return b"PK\x03\x04" + rng.bytes(int(rng.integers(6000, 14000))), 0
    dpi = 200
    img, _ = render_document_page(rng, dpi=dpi)
    if reason == "truncated_jpeg":
        data = _encode(_colourise(img, rng), "truncated_jpeg", rng)
        return data[: int(len(data) * 0.55)], dpi
    if reason == "truncated_png":
        data = _encode(img, "truncated_png", rng)
        return data[: int(len(data) * 0.50)], dpi
    raise ValueError(reason)


def _doc(**kw: Any) -> _PageSpec:
    return _PageSpec(kind="document", **kw)


def _plan_quality(rng: np.random.Generator, pages: int | None) -> list[_FileSpec]:
    """~26 document pages with every defect the pipeline must handle, 2 blanks, 5 broken files."""
    n = 26 if pages is None else max(1, pages)
    specs = [_doc(skew=_skew(rng, 5.0), noise=float(rng.uniform(2.0, 4.0))) for _ in range(n)]
    fonts = [FONT_NAMES[i % len(FONT_NAMES)] for i in range(n)]
    for s, f in zip(specs, [fonts[int(i)] for i in rng.permutation(n)], strict=True):
        s.font = f
    # Formats per page index; the multi-page TIFF takes three consecutive pages.
    fmts = ["tif_lzw" if i % 2 == 0 else "tif_deflate" for i in range(n)]
    order = [int(i) for i in rng.permutation(n)]
    multi_start = None
    if n >= 6:
        multi_start = int(rng.integers(0, n - 3))
        for i in range(multi_start, multi_start + 3):
            fmts[i] = "multi"
    free = [i for i in order if fmts[i] != "multi"]
    for fmt, count in (("tif_g4", 3), ("jpg", 3), ("png", 4)):
        for _ in range(min(count, max(0, len(free) - 4))):
            fmts[free.pop()] = fmt

    # Defects, each on pages that can show it (no exposure/blur on bilevel pages).
    def take(count: int, ok: Callable[[int], bool]) -> list[int]:
        cands = [i for i in map(int, rng.permutation(n)) if ok(i)]
        return cands[:count]

    plain = set(range(n))
    for rot in (90, 180, 270):
        for i in take(2, lambda i: specs[i].rotation == 0):
            specs[i].rotation = rot
    for i in take(2, lambda i: fmts[i] != "tif_g4"):
        specs[i].blur = round(float(rng.uniform(3.5, 5.0)), 2)
        plain.discard(i)
    for kind in ("too_dark", "too_light"):
        for i in take(2, lambda i: i in plain and fmts[i] not in ("tif_g4", "jpg")):
            specs[i].exposure = kind
            plain.discard(i)
    for i in take(2, lambda i: i in plain and fmts[i] != "multi"):
        specs[i].dpi = 150
        plain.discard(i)
    for i in take(max(3, n // 6), lambda i: i in plain and fmts[i] != "multi"):
        specs[i].dpi = 200
    for i in take(max(2, n // 5), lambda i: specs[i].blur == 0):
        specs[i].blur = round(float(rng.uniform(0.8, 1.2)), 2)
    for i in take(max(2, n // 4), lambda i: True):
        specs[i].borders = True
    for i in take(max(2, n // 5), lambda i: fmts[i] != "tif_g4" and specs[i].exposure is None):
        specs[i].uneven = True
    for i in take(max(2, n // 3), lambda i: fmts[i] != "tif_g4"):
        specs[i].noise = round(float(rng.uniform(5.0, 12.0)), 1)
    jpgs = [i for i in range(n) if fmts[i] == "jpg"]
    for k, i in enumerate(jpgs):
        specs[i].colour = True
        specs[i].stamp = k < 2
    for i in range(n):
        s = specs[i]
        if s.noise < 5 and not (s.exposure or s.uneven or fmts[i] == "jpg") and rng.random() < 0.6:
            s.white_point = 244
        if fmts[i] == "multi":
            specs[i].dpi = 300
        specs[i].bilevel = fmts[i] == "tif_g4"
        specs[i].noise = round(specs[i].noise, 1)
    # Assemble files in scan order, then slot blanks and broken files in.
    files: list[_FileSpec] = []
    i = 0
    while i < n:
        if fmts[i] == "multi" and i == multi_start:
            files.append(_FileSpec("multi", specs[i : i + 3]))
            i += 3
            continue
        files.append(_FileSpec(fmts[i], [specs[i]]))
        i += 1
    extras = [
        _FileSpec("tif_lzw", [_PageSpec(kind="blank", show_through=True)]),
        _FileSpec("png", [_PageSpec(kind="blank", show_through=False)]),
        _FileSpec("empty_file", broken="empty_file"),
        _FileSpec("truncated_jpeg", broken="truncated_jpeg"),
        _FileSpec("truncated_png", broken="truncated_png"),
        _FileSpec("not_an_image", broken="not_an_image"),
    ]
    for extra in extras:
        files.insert(int(rng.integers(1, len(files) + 1)), extra)
    files.append(_FileSpec("unsupported_format", broken="unsupported_format", name="notes.docx"))
    return files


def _plan_demo(rng: np.random.Generator, pages: int | None) -> list[_FileSpec]:
    """Eight files for the README demo: skew, sideways, upside-down, blank, multi-page, broken."""
    return [
        _FileSpec("tif_lzw", [_doc(skew=2.5, noise=3.0, font="liberation-serif")]),
        _FileSpec("tif_deflate", [_doc(rotation=90, skew=-1.5, noise=3.0, font="noto-serif")]),
        _FileSpec("png", [_doc(rotation=180, skew=0.8, dpi=200, font="dejavu-serif")]),
        _FileSpec("tif_lzw", [_PageSpec(kind="blank", show_through=True)]),
        _FileSpec(
            "multi",
            [
                _doc(skew=-2.0, noise=4.0, borders=True, font="liberation-sans"),
                _doc(skew=1.2, noise=4.0, uneven=True, font="noto-sans"),
                _doc(skew=-0.7, noise=4.0, exposure="too_light", font="liberation-serif"),
            ],
        ),
        _FileSpec("jpg", [_doc(skew=-3.0, colour=True, stamp=True, font="noto-serif")]),
        _FileSpec("truncated_jpeg", broken="truncated_jpeg"),
        _FileSpec("tif_g4", [_doc(skew=1.8, borders=True, bilevel=True, font="dejavu-serif")]),
    ]


def _plan_tests(rng: np.random.Generator, pages: int | None) -> list[_FileSpec]:
    """Six small items for integration tests, all at 200-300 dpi."""
    return [
        _FileSpec("tif_lzw", [_doc(rotation=180, font="liberation-serif")]),
        _FileSpec("png", [_doc(skew=3.0, font="noto-sans")]),
        _FileSpec("jpg", [_doc(dpi=200, colour=True, stamp=True, font="dejavu-serif")]),
        _FileSpec("tif_lzw", [_PageSpec(kind="blank", show_through=True, dpi=300)]),
        _FileSpec("truncated_jpeg", broken="truncated_jpeg"),
        _FileSpec("empty_file", broken="empty_file"),
    ]


def _plan_bench(rng: np.random.Generator, pages: int | None) -> list[_FileSpec]:
    """``pages`` (default 20) 300 dpi A4 pages with mild defects only, for speed benchmarks."""
    n = 20 if pages is None else max(1, pages)
    files = []
    for i in range(n):
        spec = _doc(
            skew=_skew(rng, 3.0),
            noise=round(float(rng.uniform(2.0, 6.0)), 1),
            blur=round(float(rng.uniform(0.8, 1.1)), 2) if rng.random() < 0.3 else 0.0,
            font=FONT_NAMES[i % len(FONT_NAMES)],
            white_point=244 if rng.random() < 0.5 else None,
        )
        files.append(_FileSpec("tif_lzw", [spec]))
    return files


SAMPLE_SETS: dict[str, Callable[[np.random.Generator, int | None], list[_FileSpec]]] = {
    "quality": _plan_quality,
    "demo": _plan_demo,
    "tests": _plan_tests,
    "bench": _plan_bench,
}


def make_batch(
    out_dir: Path, *, seed: int = 7, sample_set: str = "quality", pages: int | None = None
) -> list[dict[str, Any]]:
    """Write one scanner batch (image files + ``truth.json``) into ``out_dir``; return the records.

    One record per page (a multi-page TIFF has several, with page_index 0, 1, 2); records are in
    file-name order, which is scan order. The same seed always gives the same bytes.
    """
    if sample_set not in SAMPLE_SETS:
        raise ValueError(f"sample_set must be one of {sorted(SAMPLE_SETS)}, not {sample_set!r}")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    seq = np.random.SeedSequence([seed, sorted(SAMPLE_SETS).index(sample_set)])
    plan_seed, *file_seeds = seq.spawn(1 + 200)
    files = SAMPLE_SETS[sample_set](np.random.default_rng(plan_seed), pages)
    if len(files) > len(file_seeds):
        file_seeds += seq.spawn(len(files) - len(file_seeds))
    records: list[dict[str, Any]] = []
    number = 0
    for spec, fseed in zip(files, file_seeds, strict=False):
        rng = np.random.default_rng(fseed)
        if spec.name is None:
            number += 1
            name = f"scan_{number:04d}.{_EXT[spec.fmt]}"
        else:
            name = spec.name
        path = out_dir / name
        if spec.broken:
            data, dpi = _broken_bytes(spec.broken, rng)
            path.write_bytes(data)
            records.append(
                {
                    "file": name,
                    "page_index": 0,
                    "kind": "broken",
                    "text": None,
                    "skew_deg": 0.0,
                    "rotation": 0,
                    "dpi": dpi,
                    "blur_sigma": 0.0,
                    "degradations": ["truncated"] if "truncated" in spec.broken else [],
                    "expected_flags": [],
                    "broken_reason": spec.broken,
                    "font": "",
                }
            )
            continue
        images = []
        for index, page in enumerate(spec.pages):
            img, rec = _make_page(page, rng)
            if spec.fmt == "jpg":
                rec["degradations"].append("jpeg")
            if spec.fmt == "multi":
                rec["degradations"].append("multipage")
            if spec.fmt == "tif_g4" and "bilevel" not in rec["degradations"]:
                rec["degradations"].append("bilevel")
            images.append(img)
            records.append({"file": name, "page_index": index, **rec})
        if spec.fmt == "multi":
            dpi = images[0].info.get("dpi", (300, 300))
            images[0].save(
                path,
                "TIFF",
                save_all=True,
                append_images=images[1:],
                compression="tiff_lzw",
                dpi=dpi,
            )
        else:
            path.write_bytes(_encode(images[0], spec.fmt, rng))
    records.sort(key=lambda r: (r["file"], r["page_index"]))
    (out_dir / "truth.json").write_text(
        json.dumps(records, ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
    )
    return records


def main(argv: Sequence[str] | None = None) -> int:
    """Command line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--set", dest="sample_set", choices=sorted(SAMPLE_SETS), default="quality")
    parser.add_argument("--pages", type=int, default=None, help="document pages (quality, bench)")
    args = parser.parse_args(argv)
    records = make_batch(args.out_dir, seed=args.seed, sample_set=args.sample_set, pages=args.pages)
    files = len({r["file"] for r in records})
    print(f"wrote {files} files ({len(records)} pages) to {args.out_dir}")
    print(f"ground truth: {args.out_dir / 'truth.json'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
