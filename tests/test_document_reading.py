"""The header reader on word lists laid out as state (NĐ 30) and Party (HD 36) documents,
older layouts and OCR damage, and on the real government scans."""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from station import tools
from station.documents import describe, reading
from station.documents.model import PageReading
from station.pipeline import imaging, ocr
from station.pipeline.ocr import Word

REAL = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "real" / "vietnamese-nomvn"
W, H = 2480, 3508


def layout(rows: Sequence[tuple[int, int, str, float]]) -> list[Word]:
    """(x, y, text, confidence) rows -> words 40 px high, 24 px per letter, one space apart."""
    words = []
    for x, y, text, conf in rows:
        for token in text.split():
            right = x + 24 * len(token)
            words.append(Word(token, (x, y, right, y + 40), conf))
            x = right + 20
    return words


SUMMARY = "Về việc phê duyệt Kế hoạch chỉnh lý tài liệu"


def state_page(number: str = "Số: 12/QĐ-UBND", issuer: tuple[str, ...] = (
        "ỦY BAN NHÂN DÂN", "TỈNH BẮC NINH"), date_line: str = "Bắc Ninh, ngày 05 tháng 3 năm 2020",
        type_name: str = "QUYẾT ĐỊNH", summary: str = SUMMARY,
        conf: float = 95) -> list[Word]:  # fmt: skip
    rows = [(250, 200 + 50 * i, line, conf) for i, line in enumerate(issuer)]
    rows += [
        (1200, 200, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", conf),
        (1300, 250, "Độc lập - Tự do - Hạnh phúc", conf),
        (300, 400, number, conf),
        (1250, 400, date_line, conf),
    ]
    if type_name:
        rows += [(1050, 600, type_name, conf), (700, 660, summary, conf)]
    rows += [
        (300, 900, "Căn cứ Luật Tổ chức chính quyền địa phương ngày 19 tháng 6 năm 2015;", conf)
    ]
    return layout(rows)


def read(words: list[Word]) -> PageReading:
    return reading.read_page(words, W, H, 300)


def values(page: PageReading) -> dict[str, object]:
    return {k: v.value for k, v in page.header.items()}


def test_a_state_header_is_read_field_by_field() -> None:
    page = read(state_page())
    assert page.starts_document > 0.9 and page.layout == "state"
    assert values(page) == {
        "number": "12",
        "symbol": "QĐ-UBND",
        "number_symbol": "12/QĐ-UBND",
        "place": "Bắc Ninh",
        "issued_date": "2020-03-05",
        "document_type": "QUYẾT ĐỊNH",
        "summary": "Về việc phê duyệt Kế hoạch chỉnh lý tài liệu",
        "issuing_body": "ỦY BAN NHÂN DÂN TỈNH BẮC NINH",
    }
    assert all(f.confidence >= 0.85 for f in page.header.values())


def test_a_two_line_party_header_names_the_issuer_in_full() -> None:
    words = layout([
        (250, 200, "TỈNH ỦY NGHỆ AN", 95), (300, 250, "VĂN PHÒNG", 95), (400, 300, "*", 90),
        (1250, 200, "ĐẢNG CỘNG SẢN VIỆT NAM", 95), (260, 400, "Số 589-QĐ/VPTW", 95),
        (1250, 400, "Nghệ An, ngày 12 tháng 01 năm 2019", 95), (1050, 600, "QUYẾT ĐỊNH", 95),
        (800, 660, "về việc ban hành Quy chế làm việc", 95),
    ])  # fmt: skip
    page = read(words)
    assert page.layout == "party"
    got = values(page)
    assert got["issuing_body"] == "VĂN PHÒNG TỈNH ỦY NGHỆ AN"
    assert got["number_symbol"] == "589-QĐ/VPTW" and got["symbol"] == "QĐ/VPTW"
    assert got["number"] == "589" and got["issued_date"] == "2019-01-12"


def test_a_cong_van_has_its_v_v_line_as_summary() -> None:
    words = state_page(number="Số: 345/UBND-VP", type_name="")
    words += layout(
        [(300, 460, "V/v tăng cường công tác văn thư,", 95), (300, 510, "lưu trữ năm 2021", 95)]
    )
    got = values(read(words))
    assert got["document_type"] == "CÔNG VĂN"
    assert got["summary"] == "tăng cường công tác văn thư, lưu trữ năm 2021"  # without V/v
    assert got["number_symbol"] == "345/UBND-VP"


def test_old_layouts_are_read() -> None:
    got = values(
        read(state_page(number="Số: 12/QĐ-UB", date_line="Hà Nội, ngày 5 tháng 3 năm 1998"))
    )
    assert got["number_symbol"] == "12/QĐ-UB" and got["issued_date"] == "1998-03-05"


@pytest.mark.parametrize(
    ("printed", "expected", "confident"),
    [
        ("Số: l2/QĐ-UBND", "12/QĐ-UBND", False),  # l for 1: repaired, not trusted
        ("Số: 12/QD-UBND", "12/QĐ-UBND", False),  # lost stroke of Đ, repaired from the list
        ("Sô: 12/QĐ-UBND", "12/QĐ-UBND", True),
    ],
)
def test_ocr_damage_is_repaired_and_costs_confidence(
    printed: str, expected: str, confident: bool
) -> None:
    field = read(state_page(number=printed)).header["number_symbol"]
    assert field.value == expected
    assert (field.confidence >= 0.85) is confident


def test_low_ocr_confidence_never_gives_a_confident_field() -> None:
    page = read(state_page(conf=60))
    assert page.header and all(f.confidence < 0.85 for f in page.header.values())


def test_a_continuation_page_has_its_page_number_and_no_header() -> None:
    words = layout(
        [(1230, 150, "2", 95), (300, 400, "Điều 2. Quyết định này có hiệu lực kể từ ngày ký.", 95)]
    )
    page = read(words)
    assert page.starts_document < 0.5 and page.page_number == 2 and page.header == {}


def test_running_text_date_is_not_the_document_date() -> None:
    got = values(read(state_page(date_line="Bắc Ninh, ngày     tháng 3 năm 2020")))
    assert "issued_date" not in got  # never the "Căn cứ … ngày 19 tháng 6 năm 2015" below


def test_describe_cross_checks_type_against_symbol_and_date_against_folder() -> None:
    from datetime import date

    page = read(state_page(number="Số: 12/BC-UBND"))  # a QUYẾT ĐỊNH numbered as a report
    made = describe.describe_document(
        [(1, page)], folder_start=date(2021, 1, 1), folder_end=date(2021, 12, 31)
    )
    assert set(made.flags) >= {describe.TYPE_SYMBOL_DISAGREE, describe.DATE_OUTSIDE_FOLDER}
    assert made.fields["document_type"].confidence <= 0.5
    assert made.fields["issued_date"].confidence <= 0.4
    assert made.fields["page_count"].value == 1 and made.fields["page_count"].page_id is None
    assert made.fields["number_symbol"].page_id == 1


def test_describe_repairs_an_issuer_to_one_seen_in_the_fonds() -> None:
    page = read(state_page(issuer=("UY BAN NHAN DAN", "TINH BAC NINH")))
    made = describe.describe_document(
        [(1, page)], folder_start=None, folder_end=None,
        known_bodies=["ỦY BAN NHÂN DÂN TỈNH BẮC NINH"],
    )  # fmt: skip
    assert made.fields["issuing_body"].value == "ỦY BAN NHÂN DÂN TỈNH BẮC NINH"


def _ocr_words(path: Path) -> tuple[list[Word], int, int]:
    gray = np.asarray(Image.open(path).convert("L"))
    image, dpi = imaging.prepare_for_ocr(gray, 200, ocr_dpi=250)
    with tempfile.TemporaryDirectory() as tmp:
        target = Path(tmp) / "page.pgm"
        imaging.write_pnm(image, target)
        result = tools.ocr_page(
            target, languages=("vie", "eng"), psm=3, dpi=round(dpi), timeout_s=120
        )
    sx, sy = gray.shape[1] / image.shape[1], gray.shape[0] / image.shape[0]
    words = [
        Word(w.text, (round(w.box[0] * sx), round(w.box[1] * sy), round(w.box[2] * sx),
                      round(w.box[3] * sy)), w.confidence)
        for w in ocr.parse_hocr(result.hocr)
    ]  # fmt: skip
    return words, gray.shape[1], gray.shape[0]


# What the six real first pages print (their numbers and most dates are handwritten).
REAL_TRUTH = {
    "real_qd_729_ttg_p1": {"document_type": "QUYẾT ĐỊNH", "symbol": "QĐ-TTg",
                           "number_symbol": "729/QĐ-TTg", "issuing_body": "THỦ TƯỚNG CHÍNH PHỦ",
                           "issued_date": "2026-04-23", "place": "Hà Nội"},
    "real_qd_707_ttg_p1": {"document_type": "QUYẾT ĐỊNH", "symbol": "QĐ-TTg",
                           "issuing_body": "THỦ TƯỚNG CHÍNH PHỦ", "place": "Hà Nội"},
    "real_cv_3722_metro_p1": {"document_type": "CÔNG VĂN", "number_symbol": "3722/VPCP-CN",
                              "issuing_body": "VĂN PHÒNG CHÍNH PHỦ",
                              "issued_date": "2026-04-28", "place": "Hà Nội"},
    "real_nq_115_ba_vi_p1": {"document_type": "NGHỊ QUYẾT", "symbol": "NQ-CP",
                             "number_symbol": "115/NQ-CP", "issuing_body": "CHÍNH PHỦ"},
    "real_tt_21_bct_fuel_p1": {"document_type": "THÔNG TƯ", "symbol": "2026/TT-BCT",
                               "number_symbol": "21/2026/TT-BCT", "issuing_body": "BỘ CÔNG THƯƠNG"},
    "real_tt_37_bca_vehicle_p1": {"document_type": "THÔNG TƯ", "symbol": "2026/TT-BCA",
                                  "number_symbol": "37/2026/TT-BCA", "issuing_body": "BỘ CÔNG AN",
                                  "place": "Hà Nội"},
}  # fmt: skip


@pytest.fixture(scope="module")
def real_pages() -> dict[str, PageReading]:
    out = {}
    for stem in REAL_TRUTH:
        words, width, height = _ocr_words(REAL / f"{stem}.png")
        out[stem] = reading.read_page(words, width, height, 200)
    return out


def test_real_scans_are_first_pages(real_pages: dict[str, PageReading]) -> None:
    assert all(page.starts_document >= 0.5 for page in real_pages.values())


def test_real_scans_are_never_confidently_wrong(real_pages: dict[str, PageReading]) -> None:
    """Handwritten numbers and dates must come out right or uncertain (below 0.85)."""
    wrong = [
        (stem, name, field.value, field.confidence)
        for stem, page in real_pages.items()
        for name, field in page.header.items()
        if name in REAL_TRUTH[stem]
        and field.confidence >= 0.85
        and field.value != REAL_TRUTH[stem][name]
    ]
    assert wrong == []


def test_real_scans_read_what_is_printed(real_pages: dict[str, PageReading]) -> None:
    right = sum(
        1
        for stem, page in real_pages.items()
        for name, value in REAL_TRUTH[stem].items()
        if name in page.header and page.header[name].value == value
    )
    total = sum(len(t) for t in REAL_TRUTH.values())
    assert right / total >= 0.75, f"{right} of {total}"
