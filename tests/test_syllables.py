"""The Vietnamese syllable check: OCR damage marked, clean Vietnamese never."""

from __future__ import annotations

from pathlib import Path

import pytest

from station.documents.syllables import is_syllable, suspect_words
from station.pipeline.ocr import Word

REAL = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "real" / "vietnamese-nomvn"


@pytest.mark.parametrize(
    "word",
    ["Quyết", "năm", "ngày", "tháng", "giữa", "gì", "quốc", "nghiêng", "khuya", "Ủy", "hoà",
     "hòa", "thuỷ", "thủy", "kiểm", "việc", "luật", "ĐỊNH", "người", "khoẻ", "Nguyễn"],
)  # fmt: skip
def test_legal_syllables(word: str) -> None:
    assert is_syllable(word)


@pytest.mark.parametrize(
    "word", ["Quyềt", "nărn", "vỉệc", "kết̃", "gha", "kiêt", "ngyễn", "mặt̀", "qưa", "nghà"]
)
def test_damage_is_not_a_syllable(word: str) -> None:
    assert not is_syllable(word)


def test_stop_finals_take_only_the_rising_or_heavy_tone() -> None:
    assert is_syllable("tốt") and is_syllable("học") and not is_syllable("tồt")
    assert not is_syllable("hoc")


def test_no_false_alarm_on_the_real_transcriptions() -> None:
    words = [
        Word(w, (0, 0, 1, 1), 90.0)
        for p in REAL.glob("*.gt.txt")
        for w in p.read_text(encoding="utf-8").split()
    ]
    assert len(words) > 1500
    assert suspect_words(words) == []


def test_symbols_numbers_and_abbreviations_are_left_alone() -> None:
    words = [
        Word(t, (0, 0, 1, 1), 90.0)
        for t in ("12/QĐ-UBND", "2026", "UBND", "HĐND", "VPĐUCP", "Metro", "V/v")
    ]
    assert suspect_words(words) == []
    damaged = [Word("Quyềt", (0, 0, 1, 1), 90.0), Word("định", (0, 0, 1, 1), 90.0)]
    assert [w.text for w in suspect_words(damaged)] == ["Quyềt"]
