"""A search box's text as terms both full-text engines understand.

People type words, "quoted phrases", the start of an id (`05-01-*`, `HS00`) and document
numbers in any spelling (`589-QĐ/VPTW`, `589 QĐ VPTW`, `Số 589-QĐ/VPTW`). Every term
becomes a run of plain words (the index holds words only, station.search.text), so
nothing a user types reaches the engines' own query syntax: no query is a syntax error.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from station.errors import BadArgumentError
from station.search.text import exact, fold

WORD = re.compile(r"\w+")
_PHRASE = re.compile(r'"([^"]*)"')
_NUMBER_WORDS = {"so"}  # "Số" before a document number: not part of it


def words(text: str) -> list[str]:
    """The words of a text, in order (letters and digits; punctuation separates)."""
    return WORD.findall(text)


@dataclass(frozen=True)
class Term:
    """Words that must follow each other; `prefix`: the last may go on (an id's start)."""

    folded: tuple[str, ...]
    exact: tuple[str, ...]
    prefix: bool = False


@dataclass(frozen=True)
class Query:
    terms: tuple[Term, ...]

    def folded_words(self) -> set[str]:
        return {w for t in self.terms for w in t.folded}


def parse(text: str) -> Query:
    """Every term must match. A word with a digit in it, or ending in `*`, matches as a
    prefix (ids and numbers); a word joined by punctuation (`589-QĐ/VPTW`, `05-01-HS001`)
    matches as the phrase of its parts."""
    terms: list[Term] = []
    for phrase in _PHRASE.findall(text):
        if words(phrase):
            terms.append(_term(words(phrase), prefix=False))
    rest = _PHRASE.sub(" ", text)
    chunks = rest.replace('"', " ").split()
    for i, chunk in enumerate(chunks):
        parts = words(chunk)
        if not parts:
            continue
        if (
            len(parts) == 1
            and fold(parts[0]) in _NUMBER_WORDS
            and i + 1 < len(chunks)
            and chunks[i + 1][:1].isdigit()
        ):
            continue  # "Số 589-QĐ/VPTW"
        prefix = chunk.endswith("*") or any(c.isdigit() for c in chunk)
        terms.append(_term(parts, prefix=prefix))
    if not terms:
        raise BadArgumentError(f"Search for {text.strip()!r}: give at least one word or number")
    return Query(tuple(terms))


def _term(parts: list[str], *, prefix: bool) -> Term:
    return Term(tuple(fold(p) for p in parts), tuple(exact(p) for p in parts), prefix=prefix)


def index_words(text: str) -> tuple[str, str]:
    """A text as the index holds it: its folded words and its exact words."""
    found = words(text)
    return " ".join(fold(w) for w in found), " ".join(exact(w) for w in found)


# --- the engines' query strings (words only: \w+, quoted) -------------------------------------


def fts5(query: Query, column: str, *, exact_words: bool = False) -> str:
    """SQLite FTS5: `column : ("a" AND "b c" AND "d" *)`."""
    parts = []
    for term in query.terms:
        tokens = term.exact if exact_words else term.folded
        phrase = '"' + " ".join(tokens) + '"'
        parts.append(phrase + (" *" if term.prefix else ""))
    return f"{column} : (" + " AND ".join(parts) + ")"


def tsquery(query: Query, *, exact_words: bool = False) -> str:
    """PostgreSQL to_tsquery('simple', …): `'a' & ('b' <-> 'c') & 'd':*`."""
    parts = []
    for term in query.terms:
        tokens = list(term.exact if exact_words else term.folded)
        lexemes = [f"'{t}'" for t in tokens]
        if term.prefix:
            lexemes[-1] += ":*"
        parts.append("(" + " <-> ".join(lexemes) + ")")
    return " & ".join(parts)
