"""Documents (văn bản) of folders: found by the splitter, corrected and confirmed in review."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlmodel import col, select

from station import auth
from station.store.audit import VIEWED  # views are the audit's, not a history's
from station.store.base import StoreBase
from station.store.models import Document, Event, Folder, Page, utcnow


@dataclass
class NewDocument:
    """A document as the splitter proposes it, before it has a row."""

    sequence: int
    page_ids: list[int]
    fields: dict[str, Any]
    flags: list[str] = field(default_factory=list)
    boundary_confidence: float = 1.0
    secrecy: str = ""
    pdf_path: str | None = None


class DocumentQueries(StoreBase):
    """Reading and recording a folder's documents."""

    def documents_of_folder(self, folder_id: str) -> list[Document]:
        with self.session() as s:
            return list(
                s.exec(
                    select(Document)
                    .where(Document.folder_id == folder_id)
                    .order_by(col(Document.sequence))
                )
            )

    def list_documents(self, folder_id: str | None = None) -> list[Document]:
        with self.session() as s:
            query = select(Document).order_by(col(Document.folder_id), col(Document.sequence))
            if folder_id is not None:
                query = query.where(Document.folder_id == folder_id)
            return list(s.exec(query))

    def get_document(self, document_id: int) -> Document | None:
        with self.session() as s:
            return s.get(Document, document_id)

    def pages_of_document(self, document_id: int) -> list[Page]:
        with self.session() as s:
            return list(
                s.exec(
                    select(Page)
                    .where(
                        Page.document_id == document_id,
                        col(Page.replaced_by).is_(None),
                        col(Page.rescan_of).is_(None),
                    )
                    .order_by(col(Page.position).nulls_first(), col(Page.id))
                )
            )

    def replace_documents(
        self, folder_id: str, documents: Sequence[NewDocument], events: Sequence[Event]
    ) -> list[Document]:
        """Put the splitter's documents in place of the folder's, in one transaction.

        Pages of the folder not in any new document point to none. Pages take at least
        their document's secrecy level, so every rule that hides secret pages hides them.
        """
        with self.session() as s:
            for old in s.exec(select(Document).where(Document.folder_id == folder_id)):
                s.delete(old)
            for page in s.exec(select(Page).where(Page.folder_id == folder_id)):
                page.document_id = None
            s.flush()
            made = []
            for new in documents:
                row = Document(
                    folder_id=folder_id,
                    sequence=new.sequence,
                    fields=new.fields,
                    flags=new.flags,
                    boundary_confidence=new.boundary_confidence,
                    secrecy=new.secrecy,
                    pdf_path=new.pdf_path,
                )
                s.add(row)
                s.flush()
                assert row.id is not None
                for page_id in new.page_ids:
                    member = s.get(Page, page_id)
                    if member is None:
                        continue
                    member.document_id = row.id
                    member.secrecy = auth.higher_level(member.secrecy, new.secrecy)
                    member.updated_at = utcnow()
                made.append(row)
            for event in events:
                s.add(event)
            return made

    def change_document(self, document_id: int, event: Event | None, **values: Any) -> Document:
        """Set columns of a document and record why, in one transaction."""
        with self.session() as s:
            row = s.get(Document, document_id)
            if row is None:
                raise KeyError(document_id)
            for key, value in values.items():
                setattr(row, key, value)
            row.updated_at = utcnow()
            if event is not None:
                s.add(event)
            return row

    def set_document_secrecy(
        self, document_id: int, level: str, event: Event, **values: Any
    ) -> Document:
        """The level in force for a document and all its pages (a stamp, or a reviewer);
        other columns in `values` (its fields' record of the change) in the same transaction."""
        with self.session() as s:
            row = s.get(Document, document_id)
            if row is None:
                raise KeyError(document_id)
            for key, value in values.items():
                setattr(row, key, value)
            row.secrecy, row.updated_at = level, utcnow()
            for page in s.exec(select(Page).where(Page.document_id == document_id)):
                page.secrecy, page.updated_at = level, utcnow()
            s.add(event)
            return row

    # --- review: a reviewer's corrections (station.review.documents) ---

    def change_documents(
        self, changes: Sequence[tuple[int, dict[str, Any]]], events: Sequence[Event]
    ) -> list[Document]:
        """Set columns of several documents and record why, in one transaction."""
        with self.session() as s:
            rows = []
            for document_id, values in changes:
                row = s.get(Document, document_id)
                if row is None:
                    raise KeyError(document_id)
                for key, value in values.items():
                    setattr(row, key, value)
                row.updated_at = utcnow()
                rows.append(row)
            s.add_all(events)
            return rows

    def split_document(
        self,
        document_id: int,
        page_ids: Sequence[int],
        new: NewDocument,
        kept: dict[str, Any],
        events: Sequence[Event],
    ) -> Document:
        """Cut a document in two: `page_ids` (its last pages) become the document `new`,
        right after it; the documents after it move one place on. `kept` are the first
        part's new column values. Events without a document get the new one's id."""
        with self.session() as s:
            row = s.get(Document, document_id)
            if row is None:
                raise KeyError(document_id)
            later = s.exec(
                select(Document).where(
                    Document.folder_id == row.folder_id, Document.sequence > row.sequence
                )
            )
            for after in later:
                after.sequence, after.updated_at = after.sequence + 1, utcnow()
            made = Document(
                folder_id=row.folder_id,
                sequence=row.sequence + 1,
                fields=new.fields,
                flags=new.flags,
                boundary_confidence=new.boundary_confidence,
                secrecy=new.secrecy,
                pdf_path=new.pdf_path,
                edited=True,
            )
            s.add(made)
            s.flush()
            for page_id in page_ids:
                page = s.get(Page, page_id)
                if page is not None:
                    page.document_id = made.id
                    page.secrecy = auth.higher_level(page.secrecy, new.secrecy)
                    page.updated_at = utcnow()
            for key, value in kept.items():
                setattr(row, key, value)
            row.updated_at = utcnow()
            for event in events:
                event.document_id = event.document_id or made.id
                s.add(event)
            return made

    def merge_documents(
        self, earlier_id: int, later_id: int, values: dict[str, Any], events: Sequence[Event]
    ) -> Document:
        """The later document's pages join the earlier one, which takes `values`; the later
        row goes and the documents after it move one place back. Pages take at least the
        merged document's secrecy level."""
        with self.session() as s:
            earlier, later = s.get(Document, earlier_id), s.get(Document, later_id)
            if earlier is None or later is None:
                raise KeyError(later_id if earlier is not None else earlier_id)
            for key, value in values.items():
                setattr(earlier, key, value)
            earlier.updated_at = utcnow()
            for page in s.exec(
                select(Page).where(col(Page.document_id).in_([earlier_id, later_id]))
            ):
                page.document_id = earlier_id
                page.secrecy = auth.higher_level(page.secrecy, earlier.secrecy)
                page.updated_at = utcnow()
            gone = later.sequence
            s.delete(later)
            for after in s.exec(
                select(Document).where(
                    Document.folder_id == earlier.folder_id, Document.sequence > gone
                )
            ):
                after.sequence, after.updated_at = after.sequence - 1, utcnow()
            s.add_all(events)
            return earlier

    def move_page_to_document(self, page_id: int, document_id: int | None, flag: str) -> None:
        """A page that left its folder leaves its document for `document_id` (None: none).

        Both documents are flagged and go back to unconfirmed, with their page counts
        updated, so a reviewer looks again; a document left without pages goes, and those
        after it move one place back."""
        with self.session() as s:
            page = s.get(Page, page_id)
            if page is None:
                raise KeyError(page_id)
            old_id, page.document_id, page.updated_at = page.document_id, document_id, utcnow()
            s.flush()
            for changed_id in dict.fromkeys((old_id, document_id)):
                row = s.get(Document, changed_id) if changed_id is not None else None
                if row is None:
                    continue
                count = len(s.exec(select(Page.id).where(Page.document_id == row.id)).all())
                if count == 0:
                    gone, folder_id = row.sequence, row.folder_id
                    s.delete(row)
                    s.flush()
                    for after in s.exec(
                        select(Document).where(
                            Document.folder_id == folder_id, Document.sequence > gone
                        )
                    ):
                        after.sequence, after.updated_at = after.sequence - 1, utcnow()
                    continue
                fields = dict(row.fields)
                fields["page_count"] = dict(fields.get("page_count") or {}) | {"value": count}
                row.fields, row.flags = fields, sorted({*row.flags, flag})
                row.state, row.confirmed_by, row.confirmed_at = "unconfirmed", None, None
                row.updated_at = utcnow()
                if changed_id == document_id:
                    page.secrecy = auth.higher_level(page.secrecy, row.secrecy)

    def issuing_bodies_of_fonds(self, fonds_code: str, limit: int = 2000) -> list[str]:
        """Issuing bodies already seen in a fonds, most recent first: the reader's repair list."""
        with self.session() as s:
            rows = s.exec(
                select(Document.fields)
                .join(Folder, col(Folder.folder_id) == col(Document.folder_id))
                .where(Folder.fonds_code == fonds_code)
                .order_by(col(Document.id).desc())
                .limit(limit)
            )
            seen: dict[str, None] = {}
            for fields in rows:
                value = (fields or {}).get("issuing_body", {}).get("value")
                if isinstance(value, str) and value:
                    seen.setdefault(value, None)
            return list(seen)

    def replaced_pages(self, folder_id: str) -> dict[int, int]:
        """Rescanned pages of a folder and the document of the page each one replaced."""
        with self.session() as s:
            rows = s.exec(
                select(Page.replaced_by, Page.document_id).where(
                    Page.folder_id == folder_id,
                    col(Page.replaced_by).is_not(None),
                    col(Page.document_id).is_not(None),
                )
            )
            return {new: doc for new, doc in rows if new is not None and doc is not None}

    def events_of_document(self, document_id: int) -> list[Event]:
        with self.session() as s:
            return list(
                s.exec(
                    select(Event)
                    .where(Event.document_id == document_id, col(Event.stage) != VIEWED)
                    .order_by(col(Event.id))
                )
            )
