"""Vietnamese text as people type it into a search box.

Archive staff search with and without diacritics ("chinh ly" must find "chỉnh lý"), and
"đ" is typed "d" on keyboards without Vietnamese input: đ has no Unicode decomposition,
so removing combining marks alone leaves it. Both the index and the queries go through
the same two functions, so they always agree.
"""

from __future__ import annotations

import unicodedata

_NO_DECOMPOSITION = str.maketrans({"đ": "d", "Đ": "d"})


def exact(text: str) -> str:
    """The text as written, for exact-diacritic matches: NFC, lower case."""
    return unicodedata.normalize("NFC", text).lower()


def fold(text: str) -> str:
    """Lower case without diacritics: "Chỉnh lý ĐẢNG" -> "chinh ly dang"."""
    decomposed = unicodedata.normalize("NFD", text.translate(_NO_DECOMPOSITION))
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return unicodedata.normalize("NFC", bare).lower()
