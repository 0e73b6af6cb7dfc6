"""Search (issue 14): the database's own full-text engine queried, secrecy applied inside the
query. Who may see a result is decided at query time from the folder's, the document's and
the page's secrecy, so a mark made later applies at once and nothing above a user's
clearance is returned or counted. The index itself: station.store.search_index.
"""

from __future__ import annotations

import html
from collections.abc import Iterable
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlmodel import delete, select

from station.auth import CLEARANCES, check_clearance
from station.search import (
    MAX_LIMIT,
    RANK_WINDOW,
    SearchHit,
    SearchRequest,
    SearchResults,
)
from station.search.query import WORD as _WORDS
from station.search.query import Query, facets, fts5, parse, tsquery
from station.search.text import fold
from station.store.base import StoreBase
from station.store.models import Document, Folder, Page, SearchEntry
from station.store.search_index import document_text, folder_text, new_entry, read_text_file

SNIPPET_WORDS = 24


def _level(column: str) -> str:
    """A secrecy mark as its rank; anything unknown counts as the highest (fail closed)."""
    cases = " ".join(f"WHEN '{name}' THEN {rank}" for rank, name in enumerate(CLEARANCES))
    return f"(CASE COALESCE({column}, '') {cases} ELSE {len(CLEARANCES) - 1} END)"


def _field_sql(dialect: str, name: str) -> str:
    if dialect == "postgresql":
        return f"(d.fields::json #>> '{{{name},value}}')"
    return f"json_extract(d.fields, '$.{name}.value')"


class SearchQueries(StoreBase):
    """Search folders, documents and pages' text; rebuild the index."""

    def search(self, request: SearchRequest) -> SearchResults:
        """A few short queries however common the words: the newest RANK_WINDOW matches the
        user may see, with their scores (ranked here; their number is the total, or "more
        than" it when the window is full), and what the results shown need to be shown."""
        query = parse(request.text)
        limit = max(1, min(request.limit, MAX_LIMIT))
        offset = max(0, request.offset)
        matching = _Matching(self.engine.dialect.name, query, request)
        with self.engine.connect() as connection:
            window = matching.newest(connection, RANK_WINDOW + 1)
            more = len(window) > RANK_WINDOW
            window = window[:RANK_WINDOW]
            ranked = _ranked(window, matching.exact_ids(connection, [i for i, _ in window]))
            chosen = ranked[offset : offset + limit]
            if more and offset + limit > len(ranked):
                # Past the ranked window: the rest, newest first.
                skip = max(0, offset - len(ranked))
                wanted = offset + limit - max(offset, len(ranked))
                older = matching.newest(connection, skip + wanted, below=window[-1][0])
                chosen += [(entry_id, score, False) for entry_id, score in older[skip:]]
            rows = matching.details(connection, chosen)
        return SearchResults([_hit(row, query) for row in rows], len(window), not more)

    def reindex_search(self) -> int:
        """Rebuild the index from the folders, the documents and the pages' text files."""
        count = 0
        with self.session() as s:
            s.exec(delete(SearchEntry))
            if self.engine.dialect.name != "postgresql":
                s.connection().execute(
                    text("INSERT INTO search_fts(search_fts) VALUES ('delete-all')")
                )
            folders = list(s.exec(select(Folder)))
            facet_words = {f.folder_id: facets(f.fonds_code, f.box_no) for f in folders}
            for folder in folders:
                s.add(new_entry("folder", folder.folder_id, folder_text(folder), facet_words))
                count += 1
            for document in s.exec(select(Document)):
                entry = new_entry(
                    "document", str(document.id), document_text(document), facet_words,
                    folder_id=document.folder_id, document_id=document.id,
                )  # fmt: skip
                s.add(entry)
                count += 1
            for page in s.exec(select(Page).where(Page.state == "ok")):
                page_text = read_text_file(page.derivatives.get("text"))
                if page_text:
                    entry = new_entry(
                        "page", str(page.id), page_text, facet_words,
                        folder_id=page.folder_id or "", page_id=page.id,
                    )  # fmt: skip
                    s.add(entry)
                    count += 1
        return count


class _Matching:
    """The entries matching a query that a user may see, as SQL for either engine: which
    rows, in what order cheaply (newest first, the order the full-text index keeps), and
    the relevance score of each."""

    def __init__(self, dialect: str, query: Query, request: SearchRequest) -> None:
        self.dialect = dialect
        self.params: dict[str, Any] = {"rank": CLEARANCES.index(check_clearance(request.clearance))}
        narrow = facets(request.fonds, request.box)
        if dialect == "postgresql":
            self.params |= {
                "q": tsquery(query, facets=narrow),
                "qx": tsquery(query, exact_words=True),
            }
            self.source = "search_entry e CROSS JOIN to_tsquery('simple', :q) AS q(q)"
            self.match = "e.folded_tsv @@ q.q"
            self.score = "ts_rank(e.folded_tsv, q.q)"
            self.key = "e.id"
        else:
            self.params |= {
                "q": fts5(query, "folded", facets=narrow),
                # the facets here too: the exact matches looked for are in the same few
                # folders as the window, not everywhere between its first and last rowid
                "qx": fts5(query, "exact_text", exact_words=True, facets=narrow),
            }
            self.source = "search_fts"
            self.match = "search_fts MATCH :q"
            self.score = "-bm25(search_fts, 1.0, 0.0)"
            self.key = "rowid"  # the order FTS5 walks its index in
        self.where = [  # what the user may see, and the filters
            "(p.id IS NULL OR p.replaced_by IS NULL)",
            f"{_level('f.secrecy')} <= :rank",
            f"{_level('d.secrecy')} <= :rank",
            f"{_level('p.secrecy')} <= :rank",
            "(d.id IS NULL OR NOT EXISTS (SELECT 1 FROM page p2 WHERE p2.document_id = d.id "
            f"AND {_level('p2.secrecy')} > :rank))",
        ]
        if request.fonds:
            self.where.append("f.fonds_code = :fonds")
            self.params["fonds"] = request.fonds
        if request.box:
            self.where.append("f.box_no = :box")
            self.params["box"] = request.box
        if request.document_type:
            self.where.append(f"lower({_field_sql(dialect, 'document_type')}) = lower(:type)")
            self.params["type"] = request.document_type
        issued = _field_sql(dialect, "issued_date")
        if request.date_from:
            self.where.append(f"COALESCE({issued}, CAST(f.end_date AS TEXT)) >= :date_from")
            self.params["date_from"] = request.date_from.isoformat()
        if request.date_to:
            self.where.append(f"COALESCE({issued}, CAST(f.start_date AS TEXT)) <= :date_to")
            self.params["date_to"] = request.date_to.isoformat()

    def newest(
        self, connection: Connection, count: int, below: int | None = None
    ) -> list[tuple[int, float]]:
        """The newest `count` matches the user may see (older than `below`), newest first,
        with their scores.

        The engine hands its matches over newest first, a batch at a time (it walks its
        index in that order and stops at the batch's end), and the secrecy joins and the
        filters run on each batch alone: a common word costs what a rare one does, and
        neither engine's planner is left to guess how many matches a user may see (asked
        in one query, PostgreSQL joined all 434,000 matches of a common word: 5 s)."""
        found: list[tuple[int, float]] = []
        batch = count + count // 8 + 8  # most material is unmarked: one batch, as a rule
        while len(found) < count:
            older = "" if below is None else f" AND {self.key} < :below"
            matches = connection.execute(
                text(
                    f"SELECT {self.key} AS id, {self.score} AS score FROM {self.source} "
                    f"WHERE {self.match}{older} ORDER BY {self.key} DESC LIMIT :n"
                ),
                self.params | {"n": batch, "below": below},
            ).all()
            seen = self._visible(connection, [m.id for m in matches])
            found += [(m.id, float(m.score or 0.0)) for m in matches if m.id in seen]
            if len(matches) < batch:
                break
            below, batch = matches[-1].id, min(4 * batch, _LARGEST_BATCH)
        return found[:count]

    def _visible(self, connection: Connection, ids: list[int]) -> set[int]:
        if not ids:
            return set()
        listed = ", ".join(str(int(i)) for i in ids)
        sql = (
            f"SELECT e.id FROM search_entry e {_JOINS} "
            f"WHERE e.id IN ({listed}) AND {' AND '.join(self.where)}"
        )
        return {row[0] for row in connection.execute(text(sql), self.params)}

    def exact_ids(self, connection: Connection, ids: list[int]) -> set[int]:
        """Which of these entries match with the diacritics as typed (ranked first)."""
        if not ids:
            return set()
        if self.dialect == "postgresql":
            sql = (
                "SELECT id FROM search_entry WHERE id = ANY(:ids) "
                "AND exact_tsv @@ to_tsquery('simple', :qx)"
            )
            found = connection.execute(text(sql), {"ids": ids, "qx": self.params["qx"]})
        else:  # a rowid range FTS5 seeks to, not every exact match in the index
            sql = (
                "SELECT rowid FROM search_fts WHERE search_fts MATCH :qx "
                "AND rowid BETWEEN :low AND :high"
            )
            found = connection.execute(
                text(sql), {"qx": self.params["qx"], "low": min(ids), "high": max(ids)}
            )
        return {row[0] for row in found} & set(ids)

    def details(self, connection: Connection, chosen: list[tuple[int, float, bool]]) -> list[Any]:
        """What a result shows, for the entries on this page of results, in their order."""
        if not chosen:
            return []
        dialect = self.dialect
        first_page = (
            "(SELECT MIN(p3.id) FROM page p3 WHERE p3.replaced_by IS NULL AND "
            f"{_level('p3.secrecy')} <= :rank AND "
            "((e.kind = 'document' AND p3.document_id = e.document_id) OR "
            "(e.kind = 'folder' AND p3.folder_id = e.folder_id)))"
        )
        ids = ", ".join(str(int(entry_id)) for entry_id, _, _ in chosen)
        rows = connection.execute(
            text(
                "SELECT e.id, e.kind, e.ref, e.body, "
                "COALESCE(f.folder_id, e.folder_id) AS folder_id, f.title AS folder_title, "
                "d.id AS document_id, d.folder_id AS document_folder, d.sequence, "
                f"{_field_sql(dialect, 'summary')} AS summary, "
                f"{_field_sql(dialect, 'document_type')} AS document_type, "
                f"{_field_sql(dialect, 'number_symbol')} AS number_symbol, "
                f"p.id AS page_id, p.position, {first_page} AS first_page "
                f"FROM search_entry e {_JOINS} WHERE e.id IN ({ids})"
            ),
            {"rank": self.params["rank"]},
        ).all()
        by_id = {row.id: row for row in rows}
        return [
            _Shown(by_id[entry_id], score, exact_hit)
            for entry_id, score, exact_hit in chosen
            if entry_id in by_id
        ]


_LARGEST_BATCH = 20_000  # matches handed over at once, when few of them may be seen
_JOINS = (
    "LEFT JOIN page p ON p.id = e.page_id "
    "LEFT JOIN document d ON d.id = COALESCE(e.document_id, p.document_id) "
    "LEFT JOIN folder f ON f.folder_id = COALESCE(p.folder_id, d.folder_id, "
    "NULLIF(e.folder_id, ''))"
)


class _Shown:
    """A result row with its score and whether it matched exactly."""

    def __init__(self, row: Any, score: float, exact_hit: bool) -> None:
        self._row, self.score, self.exact_hit = row, score, exact_hit

    def __getattr__(self, name: str) -> Any:
        return getattr(self._row, name)


def _ranked(window: list[tuple[int, float]], exact: set[int]) -> list[tuple[int, float, bool]]:
    """Exact-diacritic matches first, then by score; newest first among equals."""
    entries = [(entry_id, score, entry_id in exact) for entry_id, score in window]
    return sorted(entries, key=lambda e: (not e[2], -e[1], -e[0]))


def _hit(row: Any, query: Query) -> SearchHit:
    code = f"{row.document_folder}.{row.sequence}" if row.document_id is not None else None
    if row.kind == "folder":
        title = row.folder_title or row.folder_id
    elif row.kind == "document":
        title = row.summary or " ".join(filter(None, (row.document_type, row.number_symbol)))
    else:
        place = f"trang {row.position}" if row.position else f"page {row.page_id}"
        title = f"{row.folder_title or row.folder_id or '–'}, {place}"
    page_id = row.page_id if row.kind == "page" else row.first_page
    return SearchHit(
        kind=row.kind,
        id=row.ref if row.kind == "folder" else int(row.ref),
        folder_id=row.folder_id or "",
        document=code,
        page_id=int(page_id) if page_id is not None else None,
        title=title or "",
        snippet=snippet(row.body or "", query.folded_words()),
        score=float(row.score or 0.0) + (1.0 if row.exact_hit else 0.0),
    )


def snippet(body: str, wanted: Iterable[str], size: int = SNIPPET_WORDS) -> str:
    """The words of `body` around its first match, as written (punctuation kept), escaped,
    the matched words in <mark>."""
    wanted = set(wanted)
    spans = [m.span() for m in _WORDS.finditer(body)]
    if not spans:
        return ""
    marked = [_matches(fold(body[a:b]), wanted) for a, b in spans]
    first = marked.index(True) if any(marked) else 0
    start = max(0, first - size // 3)
    end = min(len(spans), start + size)
    out, at = [], spans[start][0]
    for (a, b), hit in zip(spans[start:end], marked[start:end], strict=True):
        out.append(html.escape(body[at:a]))
        word = html.escape(body[a:b])
        out.append(f"<mark>{word}</mark>" if hit else word)
        at = b
    text_ = "".join(out).replace("\n", " ")
    return ("… " if start else "") + " ".join(text_.split()) + (" …" if end < len(spans) else "")


def _matches(word: str, wanted: set[str]) -> bool:
    return word in wanted or any(len(w) >= 2 and word.startswith(w) for w in wanted)
