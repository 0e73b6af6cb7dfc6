"""Vietnamese folded as people type it without a Vietnamese keyboard."""

from __future__ import annotations

import unicodedata

import pytest

from station.search.text import exact, fold


@pytest.mark.parametrize(
    ("typed", "folded"),
    [
        ("Chỉnh lý tài liệu", "chinh ly tai lieu"),
        ("ĐẢNG BỘ tỉnh", "dang bo tinh"),  # đ has no decomposition: mapped on its own
        ("Nghị quyết số 589-QĐ/VPTW", "nghi quyet so 589-qd/vptw"),
        ("Tuyệt mật", "tuyet mat"),  # two marks on one vowel
        ("Hồ sơ 05-01-HS001", "ho so 05-01-hs001"),
    ],
)
def test_fold_drops_every_mark_and_d_bar(typed: str, folded: str) -> None:
    assert fold(typed) == folded
    assert fold(unicodedata.normalize("NFD", typed)) == folded  # decomposed input too


def test_exact_keeps_the_marks_in_one_normal_form() -> None:
    assert exact(unicodedata.normalize("NFD", "Chỉnh Lý")) == "chỉnh lý"
    assert exact("ĐẢNG") == "đảng"
    assert fold("chỉnh lý") == fold("chính lý")  # folding loses tones: exact ranks them
    assert exact("chỉnh lý") != exact("chính lý")
