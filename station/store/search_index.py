"""The search index (issue 14): what each folder, document and page is found by, kept in
the same transaction as the writes it follows, on the database's own full-text engine.

- SQLite: an FTS5 table `search_fts` over `search_entry` (external content, kept in step by
  triggers). PostgreSQL: stored generated tsvector columns with GIN indexes.
- A folder or a document is (re)indexed by an `after_flush` listener whenever the ORM writes
  one, whichever query wrote it; a page's OCR text when its result is recorded
  (`index_page_text`, station.store.work). A rescan's replaced page drops out at query time.
- An entry's folded words end with its folder's fonds and box (`qqfonds05 qqbox12`), kept in
  step when a page is placed in a folder or a folder moves: the filters of station.store.search.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from sqlalchemy import event, insert, inspect, text, update
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session as OrmSession
from sqlmodel import Session, col, delete, select

from station.documents.model import FIELDS
from station.search.query import facets, index_words
from station.store.models import Document, Folder, Page, SearchEntry

_SQLITE_DDL = (
    "CREATE VIRTUAL TABLE IF NOT EXISTS search_fts USING fts5(folded, exact_text, "
    "content='search_entry', content_rowid='id', tokenize='unicode61 remove_diacritics 0')",
    "CREATE TRIGGER IF NOT EXISTS search_entry_ai AFTER INSERT ON search_entry BEGIN "
    "INSERT INTO search_fts(rowid, folded, exact_text) "
    "VALUES (new.id, new.folded, new.exact_text); END",
    "CREATE TRIGGER IF NOT EXISTS search_entry_ad AFTER DELETE ON search_entry BEGIN "
    "INSERT INTO search_fts(search_fts, rowid, folded, exact_text) "
    "VALUES ('delete', old.id, old.folded, old.exact_text); END",
    "CREATE TRIGGER IF NOT EXISTS search_entry_au AFTER UPDATE ON search_entry BEGIN "
    "INSERT INTO search_fts(search_fts, rowid, folded, exact_text) "
    "VALUES ('delete', old.id, old.folded, old.exact_text); "
    "INSERT INTO search_fts(rowid, folded, exact_text) "
    "VALUES (new.id, new.folded, new.exact_text); END",
)
# Stored tsvectors: ranking and the GIN recheck read them instead of re-parsing every
# matching text (2.3-2.9 s -> milliseconds for a common word on 3,000 long pages).
_POSTGRESQL_DDL = (
    "ALTER TABLE search_entry ADD COLUMN IF NOT EXISTS folded_tsv tsvector "
    "GENERATED ALWAYS AS (to_tsvector('simple', folded)) STORED",
    "ALTER TABLE search_entry ADD COLUMN IF NOT EXISTS exact_tsv tsvector "
    "GENERATED ALWAYS AS (to_tsvector('simple', exact_text)) STORED",
    "CREATE INDEX IF NOT EXISTS ix_search_entry_folded ON search_entry USING gin (folded_tsv)",
    "CREATE INDEX IF NOT EXISTS ix_search_entry_exact ON search_entry USING gin (exact_tsv)",
)


def create_full_text(connection: Connection) -> None:
    """The engine's own full-text index over search_entry (migration 0011 and new
    databases made from the models both call this)."""
    for statement in _POSTGRESQL_DDL if connection.dialect.name == "postgresql" else _SQLITE_DDL:
        connection.execute(text(statement))


# --- what an entry holds ------------------------------------------------------------------------


def _value(document: Document, name: str) -> str:
    field = (document.fields or {}).get(name)
    value = field.get("value") if isinstance(field, dict) else field
    return str(value) if value not in (None, "") else ""


def folder_text(folder: Folder) -> str:
    return " ".join(
        part for part in (folder.folder_id, folder.fonds_code, folder.title, folder.notes) if part
    )


def document_text(document: Document) -> str:
    from station.documents.records import archival_code

    values = [_value(document, name) for name in FIELDS if name != "secrecy"]
    return " ".join([archival_code(document.folder_id, document.sequence), *filter(None, values)])


def entry_words(body: str, facet_words: str) -> tuple[str, str]:
    """The entry's folded and exact words; the folded ones end with its folder's facets."""
    folded, exact_text = index_words(body)
    return (f"{folded} {facet_words}" if facet_words else folded), exact_text


def _folder_facets(connection: Connection, folder_id: str | None) -> str:
    if not folder_id:
        return ""
    row = connection.execute(
        select(Folder.fonds_code, Folder.box_no).where(col(Folder.folder_id) == folder_id)
    ).first()
    return facets(row[0], row[1]) if row else ""


def _put(
    connection: Connection, kind: str, ref: str, body: str, folder_id: str, **keys: Any
) -> None:
    """One entry, replacing the one it had (the FTS triggers follow the table)."""
    _drop(connection, kind, ref)
    folded, exact_text = entry_words(body, _folder_facets(connection, folder_id))
    connection.execute(
        insert(SearchEntry).values(
            kind=kind,
            ref=ref,
            body=body,
            folded=folded,
            exact_text=exact_text,
            folder_id=folder_id or "",
            **keys,
        )
    )


def _refile(connection: Connection, where: Any, folder_id: str) -> None:
    """Entries that now belong to `folder_id` (a page placed in a folder, a folder given
    another box or fonds): their folder and facet words follow."""
    facet_words = _folder_facets(connection, folder_id)
    rows = connection.execute(select(SearchEntry.id, SearchEntry.body).where(where)).all()
    for entry_id, body in rows:
        connection.execute(
            update(SearchEntry)
            .where(col(SearchEntry.id) == entry_id)
            .values(folder_id=folder_id or "", folded=entry_words(body, facet_words)[0])
        )


def add_facets(connection: Connection) -> None:
    """Migration 0012: each page entry's folder from its page, and every entry's folded
    words followed by its folder's facets (0011 wrote the words alone). On SQLite the
    full-text index is rebuilt once at the end, not row by row through the update trigger
    (a million entries: 14.6 min row by row)."""
    sqlite = connection.dialect.name != "postgresql"
    if sqlite:
        connection.execute(text("DROP TRIGGER IF EXISTS search_entry_au"))
    connection.execute(
        text(
            "UPDATE search_entry SET folder_id = COALESCE((SELECT p.folder_id FROM page p "
            "WHERE p.id = search_entry.page_id), '') WHERE kind = 'page'"
        )
    )
    for folder_id, fonds, box in connection.execute(
        select(Folder.folder_id, Folder.fonds_code, Folder.box_no)
    ).all():
        facet_words = facets(fonds, box)
        if facet_words:
            connection.execute(
                text("UPDATE search_entry SET folded = folded || :w WHERE folder_id = :f"),
                {"w": " " + facet_words, "f": folder_id},
            )
    if sqlite:
        create_full_text(connection)  # the trigger again
        connection.execute(text("INSERT INTO search_fts(search_fts) VALUES ('rebuild')"))


def _drop(connection: Connection, kind: str, ref: str) -> None:
    connection.execute(
        delete(SearchEntry).where(col(SearchEntry.kind) == kind, col(SearchEntry.ref) == ref)
    )


def index_page_text(session: Session, page: Page, page_text: str) -> None:
    """A page's OCR text, in the transaction that records the page's result."""
    assert page.id is not None
    _put(
        session.connection(), "page", str(page.id), page_text, page.folder_id or "",
        page_id=page.id,
    )  # fmt: skip


_FOLDER_TEXT = ("folder_id", "fonds_code", "title", "notes")
_FOLDER_FACETS = ("fonds_code", "box_no")
_DOCUMENT_TEXT = ("fields", "folder_id", "sequence")


def _changed(obj: Any, names: Iterable[str]) -> bool:
    state = inspect(obj)
    return any(state.attrs[name].history.has_changes() for name in names)


def _index_flush(session: OrmSession, _context: Any) -> None:
    """Folders and documents the flush wrote, whichever query wrote them, indexed in the
    same transaction (after the flush: new documents have their ids); pages placed in a
    folder, and a folder's entries when its fonds or box changes, refiled."""
    connection = session.connection()
    for obj in [*session.new, *session.dirty]:
        new = obj in session.new
        if isinstance(obj, Folder):
            if new or _changed(obj, _FOLDER_TEXT + _FOLDER_FACETS):
                _put(connection, "folder", obj.folder_id, folder_text(obj), obj.folder_id)
            if new or _changed(obj, _FOLDER_FACETS):
                held = col(SearchEntry.folder_id) == obj.folder_id
                _refile(connection, held & (col(SearchEntry.kind) != "folder"), obj.folder_id)
        elif isinstance(obj, Document) and (new or _changed(obj, _DOCUMENT_TEXT)):
            assert obj.id is not None
            _put(
                connection, "document", str(obj.id), document_text(obj), obj.folder_id,
                document_id=obj.id,
            )  # fmt: skip
        elif isinstance(obj, Page) and not new and _changed(obj, ("folder_id",)):
            entry = (col(SearchEntry.kind) == "page") & (col(SearchEntry.ref) == str(obj.id))
            _refile(connection, entry, obj.folder_id or "")
    for obj in session.deleted:
        if isinstance(obj, Document):
            _drop(connection, "document", str(obj.id))
        elif isinstance(obj, Folder):
            _drop(connection, "folder", obj.folder_id)


event.listen(OrmSession, "after_flush", _index_flush)


def new_entry(
    kind: str, ref: str, body: str, facet_words: dict[str, str], folder_id: str | None = None,
    **keys: Any,
) -> SearchEntry:  # fmt: skip
    folder = ref if folder_id is None else folder_id  # a folder's entry: its own
    folded, exact_text = entry_words(body, facet_words.get(folder, ""))
    return SearchEntry(
        kind=kind, ref=ref, body=body, folded=folded, exact_text=exact_text, folder_id=folder,
        **keys,
    )  # fmt: skip


def read_text_file(path: str | None) -> str:
    if not path:
        return ""
    try:
        return Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return ""
