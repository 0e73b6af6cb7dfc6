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
from station.i18n import _
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
        raise BadArgumentError(
            _("Search for %(query)r: give at least one word or number", query=text.strip())
        )
    return Query(tuple(terms))


def _term(parts: list[str], *, prefix: bool) -> Term:
    return Term(tuple(fold(p) for p in parts), tuple(exact(p) for p in parts), prefix=prefix)


def index_words(text: str) -> tuple[str, str]:
    """A text as the index holds it: its folded words and its exact words."""
    found = words(text)
    return " ".join(fold(w) for w in found), " ".join(exact(w) for w in found)


# --- the engines' query strings (words only: \w+, quoted) -------------------------------------


def fts5(query: Query, column: str, *, exact_words: bool = False, facets: str = "") -> str:
    """SQLite FTS5: `column : ("a" AND "b c" AND "d" *) AND folded : ("qqbox12")` (the
    facets are words of the folded column, whichever column the query is for)."""
    parts = []
    for term in query.terms:
        tokens = term.exact if exact_words else term.folded
        phrase = '"' + " ".join(tokens) + '"'
        parts.append(phrase + (" *" if term.prefix else ""))
    found = f"{column} : (" + " AND ".join(parts) + ")"
    if facets:
        found += " AND folded : (" + " AND ".join(f'"{w}"' for w in facets.split()) + ")"
    return found


def tsquery(query: Query, *, exact_words: bool = False, facets: str = "") -> str:
    """PostgreSQL to_tsquery('simple', …): `'a' & ('b' <-> 'c') & 'd':* & 'qqbox12'`."""
    parts = []
    for term in query.terms:
        tokens = list(term.exact if exact_words else term.folded)
        lexemes = [f"'{t}'" for t in tokens]
        if term.prefix:
            lexemes[-1] += ":*"
        parts.append("(" + " <-> ".join(lexemes) + ")")
    parts += [f"'{word}'" for word in facets.split()]
    return " & ".join(parts)


# Where an entry belongs, as words of its folded text: a filter by fonds or box is then one
# more word for the full-text engine to intersect with the query's (a few milliseconds),
# rather than a join to check on every match of a common word (seconds on a million pages).
# The filter's own SQL condition still decides; these words only narrow. "qq" begins no
# Vietnamese or English word.
_FACET = "qq"


def facets(fonds: str | None, box: str | None) -> str:
    """`qqfonds05 qqbox12` for fonds "05", box "12" (letters and digits only, folded)."""
    found = []
    for name, value in (("fonds", fonds), ("box", box)):
        token = "".join(words(fold(value or "")))
        if token:
            found.append(f"{_FACET}{name}{token}")
    return " ".join(found)
