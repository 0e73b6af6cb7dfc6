"""The closed lists a header is repaired against and judged by: a name is put right only
where its letters fit one entry, and vouched for only when every word is accounted for."""

from __future__ import annotations

import pytest

from station.documents import vocab

# The 34 provinces and cities after the 2025 merger (Nghị quyết 202/2025/QH15): each keeps
# the name of one of the 63 before it.
PROVINCES_2025 = (
    "HÀ NỘI", "HUẾ", "LAI CHÂU", "ĐIỆN BIÊN", "SƠN LA", "LẠNG SƠN", "QUẢNG NINH", "THANH HÓA",
    "NGHỆ AN", "HÀ TĨNH", "CAO BẰNG", "TUYÊN QUANG", "LÀO CAI", "THÁI NGUYÊN", "PHÚ THỌ",
    "BẮC NINH", "HƯNG YÊN", "HẢI PHÒNG", "NINH BÌNH", "QUẢNG TRỊ", "ĐÀ NẴNG", "QUẢNG NGÃI",
    "GIA LAI", "KHÁNH HÒA", "LÂM ĐỒNG", "ĐẮK LẮK", "HỒ CHÍ MINH", "ĐỒNG NAI", "TÂY NINH",
    "CẦN THƠ", "VĨNH LONG", "ĐỒNG THÁP", "CÀ MAU", "AN GIANG",
)  # fmt: skip


def test_the_province_lists_are_complete_and_unambiguous() -> None:
    assert len(set(vocab.PROVINCES) - {"HUẾ"}) == 63  # Thừa Thiên Huế and the city of Huế
    assert set(PROVINCES_2025) <= set(vocab.PROVINCES)
    names = (*vocab.PROVINCES, *vocab.FORMER_PROVINCES, *vocab.CITIES)
    letters = [vocab.fold(name) for name in names]
    assert len(set(letters)) == len(set(names))  # no two places spelt alike without marks


@pytest.mark.parametrize(
    ("read", "expected", "changed"),
    [
        ("ỦY BAN NHÂN DÂN TỈNH THÁI BINH", "ỦY BAN NHÂN DÂN TỈNH THÁI BÌNH", 1),
        ("SO NOI VU", "SỞ NỘI VỤ", 3),
        ("CHI CUC VAN THU-LUU TRU", "CHI CỤC VĂN THƯ - LƯU TRỮ", 5),
        ("BỘ CÔNG THUONG", "BỘ CÔNG THƯƠNG", 1),
        ("SỞ VĂN HOÁ, THỂ THAO VÀ DU LỊCH", "SỞ VĂN HÓA, THỂ THAO VÀ DU LỊCH", 0),
        ("UBND TỈNH THANH HOÁ", "UBND TỈNH THANH HÓA", 0),  # old tone placement, not damage
        ("TỈNH ỦY NGHỆ AN", "TỈNH ỦY NGHỆ AN", 0),
    ],
)
def test_names_are_put_right_phrase_by_phrase(read: str, expected: str, changed: int) -> None:
    repaired = vocab.repair_name(read)
    assert repaired.text == expected
    assert repaired.changed == changed
    assert repaired.vouched


@pytest.mark.parametrize(
    "read",
    [
        "ỦY BAN NHÂN DÂN TỈNH BINH",  # BINH alone: BÌNH of a province, or BINH of THƯƠNG BINH
        "THỦ TƯỚNG CHÍNH PHỦ THỊ",  # THỊ is only ever a part of THỊ XÃ, THỊ ỦY, THỊ TRẤN
        "HUYỆN GIA LAM",  # a district: in no list
        "UBND TỈNH MINH HÁT",  # one letter off MINH HẢI: guessed, never vouched
    ],
)
def test_names_the_lists_cannot_account_for_are_not_vouched(read: str) -> None:
    assert not vocab.repair_name(read).vouched


def test_a_guess_is_made_only_after_a_province_level_unit() -> None:
    assert vocab.repair_name("UBND TỈNH MINH HÁT").text == "UBND TỈNH MINH HẢI"
    assert vocab.repair_name("UBND HUYỆN GIA LAM").text == "UBND HUYỆN GIA LAM"


def test_words_run_together_are_split_on_the_lists_words() -> None:
    repaired = vocab.repair_name("UBNDTỈNHPHÚTHỌ")
    assert repaired.text == "UBND TỈNH PHÚ THỌ" and repaired.vouched
    assert not vocab.repair_name("NGUYENVANAN").vouched  # a person's name: not the lists'


def test_specks_between_words_are_dropped() -> None:
    assert vocab.repair_name("UBND TỈNH MINH HẢI ˆ").text == "UBND TỈNH MINH HẢI"


def test_signers_titles_have_their_own_list() -> None:
    repaired = vocab.repair_name("KT. CHU TICH PHO CHU TICH", titles=True)
    assert repaired.text == "KT. CHỦ TỊCH PHÓ CHỦ TỊCH" and repaired.vouched


@pytest.mark.parametrize(
    ("read", "expected", "listed", "doubtful"),
    [
        ("Thai Binh", "Thái Bình", True, False),
        ("Thanh Hoá", "Thanh Hóa", True, False),
        ("TP. Hồ Chí Minh", "TP. Hồ Chí Minh", True, False),
        ("Bà Rịa - Vũng Tàu", "Bà Rịa - Vũng Tàu", True, False),
        ("Từ Sơn", "Từ Sơn", True, False),
        ("Gia Lâm", "Gia Lâm", False, False),  # a district, every word marked as printed
        ("Gia Lam", "Gia Lam", False, True),  # LAM may have lost its marks
    ],
)
def test_places(read: str, expected: str, listed: bool, doubtful: bool) -> None:
    place = vocab.repair_place(read)
    assert (place.text, place.listed, place.doubtful) == (expected, listed, doubtful)


@pytest.mark.parametrize(
    ("name", "province"),
    [
        ("ỦY BAN NHÂN DÂN TỈNH HÀ NAM", "ha nam"),
        ("UBND TỈNH HÀ NAM NINH", "ha nam ninh"),  # the longer name, not HÀ NAM
        ("VĂN PHÒNG TỈNH ỦY NGHỆ AN", "nghe an"),
        ("SỞ NỘI VỤ THÀNH PHỐ HỒ CHÍ MINH", "ho chi minh"),
        ("BỘ NỘI VỤ", None),
    ],
)
def test_the_province_a_body_is_in(name: str, province: str | None) -> None:
    assert vocab.province_of(name) == province


def test_one_letter_apart() -> None:
    assert vocab.within_one_edit("minhhat", "minhhai")
    assert vocab.within_one_edit("minhhadi", "minhhai")
    assert not vocab.within_one_edit("hanam", "hanoi")


def test_family_names_and_given_names() -> None:
    assert vocab.FAMILY_NAMES[vocab.fold("Le")] == "Lê"
    assert vocab.NAME_WORDS_BY_LETTERS["quan"] == ("Quân",)
    assert len(vocab.NAME_WORDS_BY_LETTERS["hung"]) == 2  # Hùng, Hưng


def test_a_phrase_read_with_its_marks_is_not_ambiguous_with_one_spelt_alike() -> None:
    # THỨ TRƯỞNG and THỦ TRƯỞNG share their letters; read with its marks, it is the one read
    assert vocab.repair_name("KT. BỘ TRƯỞNG THỨ TRƯỞNG", titles=True).vouched
    assert not vocab.repair_name("KT. BO TRUONG THU TRUONG", titles=True).vouched


def test_old_departments_and_short_glued_provinces_are_in_the_lists() -> None:
    assert vocab.repair_name("SỞ TÀI CHÍNH - VAT GIA").text == "SỞ TÀI CHÍNH - VẬT GIÁ"
    assert vocab.repair_name("SỞ NỘI VỤ TỈNH LAMDONG").text == "SỞ NỘI VỤ TỈNH LÂM ĐỒNG"


@pytest.mark.parametrize(
    ("read", "expected"),
    [
        ("lưuhồsơ,", "lưu hồ sơ,"),  # syllables OCR ran together
        ("tàiliệu", "tài liệu"),
        ("thông", "thông"),  # a syllable already
        ("nărn", "nărn"),  # damage, not glue: no split into syllables
        ("Hànội", "Hànội"),  # capitalised: a name, left alone
    ],
)
def test_words_run_together_are_split_into_syllables(read: str, expected: str) -> None:
    from station.documents import syllables

    assert syllables.unglue(read) == expected


@pytest.mark.parametrize(
    ("read", "expected", "guessed"),
    [
        ("BANG BỘ TỈNH PHÚ THỌ", "ĐẢNG BỘ TỈNH PHÚ THỌ", 1),  # Đ read as B: a guess
        ("PANG BỘ TINH VINH PHUC", "ĐẢNG BỘ TỈNH VĨNH PHÚC", 1),
        ("BAN BỘ", "BAN BỘ", 0),  # BAN is a word of the lists: nothing to guess
    ],
)
def test_a_party_head_one_letter_off_is_guessed(read: str, expected: str, guessed: int) -> None:
    repaired = vocab.repair_name(read)
    assert (repaired.text, repaired.guessed) == (expected, guessed)
    assert not repaired.vouched or not guessed
