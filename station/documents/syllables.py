"""Which words can be Vietnamese syllables: OCR damage ("Quyềt", "nărn") cannot.

Vietnamese writes one syllable per word, and the legal syllables are a closed set: an
onset, a rhyme from a fixed inventory, at most one tone mark, with the spelling rules
(k/gh/ngh before i e ê y, c/g/ng elsewhere; gi and qu; a rhyme closed by p t c ch takes
only the sắc or nặng tone). A word outside the set is marked for the reviewer and lowers
the confidence of the field it is in; it is never changed.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from functools import cache

from station.pipeline.ocr import Word

_ONSETS = (
    "ngh", "ng", "nh", "ch", "gh", "gi", "kh", "ph", "qu", "th", "tr",
    "b", "c", "d", "đ", "g", "h", "k", "l", "m", "n", "p", "r", "s", "t", "v", "x", "",
)  # fmt: skip
_RHYMES = frozenset(
    """a ac ach ai am an ang anh ao ap at au ay ăc ăm ăn ăng ăp ăt âc âm ân âng âp ât âu ây
    e ec em en eng eo ep et ê êch êm ên ênh êp êt êu i ia ich im in inh ip it iu iêc iêm iên
    iêng iêp iêt iêu o oa oac oach oai oam oan oang oanh oao oap oat oay oăc oăm oăn oăng oăt
    oc oe oen oeo oet oi om on ong ooc oong op ot ô ôc ôi ôm ôn ông ôp ôt ơ ơi ơm ơn ơp ơt u ua
    uân uâng uât uây uc uê uêch uênh ui um un ung uôc uôi uôm uôn uông uôt up ut uy uya uych
    uyên uyêt uyn uynh uyt uyu uơ ư ưa ưc ưi ưm ưn ưng ươc ươi ươm ươn ương ươp ươt ươu ưt ưu
    y yêm yên yêng yêt yêu""".split()  # noqa: SIM905  (the inventory reads as a table)
)
_TONES = {"\u0300", "\u0301", "\u0309", "\u0303", "\u0323"}  # huyền sắc hỏi ngã nặng
_STOP_TONES = {"\u0301", "\u0323"}
_FRONT = ("i", "e", "ê", "y")
_PUNCTUATION = " ,.;:!?()[]{}\"'“”‘’«»…-–—/*"


def _split_tone(word: str) -> tuple[str, list[str]]:
    decomposed = unicodedata.normalize("NFD", word)
    tones = [c for c in decomposed if c in _TONES]
    base = unicodedata.normalize("NFC", "".join(c for c in decomposed if c not in _TONES))
    return base, tones


@cache
def is_syllable(token: str) -> bool:
    """Whether a word (any case, surrounding punctuation ignored) is a legal syllable."""
    word = unicodedata.normalize("NFC", token.strip(_PUNCTUATION)).lower()
    if not word or not word.isalpha():
        return False
    base, tones = _split_tone(word)
    if len(tones) > 1:
        return False
    for onset in _ONSETS:
        if not base.startswith(onset):
            continue
        rhyme = base[len(onset) :]
        if onset == "gi" and (rhyme == "" or f"i{rhyme}" in _RHYMES):
            return _tone_fits(rhyme or "i", tones)
        if rhyme not in _RHYMES:
            continue
        if onset in ("k", "gh", "ngh") and not rhyme.startswith(_FRONT):
            continue
        if onset in ("c", "g", "ng") and rhyme.startswith(_FRONT):
            continue
        if onset == "qu" and rhyme.startswith(("u", "o")):
            continue
        if _tone_fits(rhyme, tones):
            return True
    return False


def _tone_fits(rhyme: str, tones: list[str]) -> bool:
    if rhyme.endswith(("p", "t", "c", "ch")):
        return bool(tones) and tones[0] in _STOP_TONES
    return True


def suspect_words(words: Sequence[Word]) -> list[Word]:
    """Words that look Vietnamese but cannot be: numbers, symbols ("12/QĐ-UBND"), upper-case
    abbreviations (UBND, HĐND) and unaccented foreign words are left alone."""
    out = []
    for word in words:
        text = word.text.strip(_PUNCTUATION)
        if len(text) < 2 or not text.isalpha():
            continue  # numbers, symbols, abbreviations with / or -, single letters
        if text.isupper() and len(text) <= 5 and text.isascii():
            continue
        if (
            text.isupper()
            and len(text) <= 6
            and not any(c in _TONES for c in unicodedata.normalize("NFD", text))
        ):
            continue  # HĐND, VPĐUCP: Vietnamese abbreviations carry no tone
        if text.isascii() and not text.islower():
            continue  # a name or a foreign word (Metro, PDF)
        if not is_syllable(text):
            out.append(word)
    return out


def unglue(token: str) -> str:
    """A word OCR ran together from syllables ("lưuhồsơ,"), split into them ("lưu hồ sơ,"):
    only a lower-case word that is no syllable itself and splits into legal syllables in
    exactly one way with the fewest pieces; anything else is returned as read."""
    core = token.strip(_PUNCTUATION)
    if len(core) < 4 or not core.isalpha() or not core.islower() or is_syllable(core):
        return token
    word = unicodedata.normalize("NFC", core)
    # ways[i] = (fewest pieces to spell word[:i], how many splits reach that, last cut)
    ways: list[tuple[int, int, int]] = [(0, 1, 0)] + [(0, 0, 0)] * len(word)
    for end in range(1, len(word) + 1):
        best, count, cut = 0, 0, 0
        for start in range(max(0, end - 7), end):
            pieces, reach, _ = ways[start]
            if not reach or not is_syllable(word[start:end]):
                continue
            if not count or pieces + 1 < best:
                best, count, cut = pieces + 1, reach, start
            elif pieces + 1 == best:
                count += reach
        ways[end] = (best, count, cut)
    pieces, count, _ = ways[-1]
    if count != 1 or pieces < 2:
        return token
    parts: list[str] = []
    end = len(word)
    while end:
        start = ways[end][2]
        parts.insert(0, word[start:end])
        end = start
    return token.replace(core, " ".join(parts))
