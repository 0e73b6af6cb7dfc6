"""The audit trail of issue 13: every event filtered and paged newest first, and "viewed"
events for what people open in the review app.

Pages are keyset pages (`id < before`, newest first), never OFFSET: the event table holds a
row per page per stage, millions of rows on a station that has been running a while.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import or_
from sqlmodel import col, select

from station.store.base import StoreBase
from station.store.models import Event, Folder, Page, utcnow

VIEWED = "viewed"  # the stage of an event that records someone opening something
VIEW_WINDOW = timedelta(minutes=10)  # one "viewed" per user per object in this time


@dataclass(frozen=True)
class AuditFilter:
    """What the audit page narrows the events to; None (or empty) means any."""

    user: str | None = None  # the event's agent: a user name, or "station"
    action: str | None = None  # the event's stage (capture, review, export, viewed...)
    folder_id: str | None = None  # mã hồ sơ, the archival folder id
    document_id: int | None = None
    since: date | None = None  # from this day on, UTC
    until: date | None = None  # up to and including this day, UTC

    def conditions(self) -> list[Any]:
        found: list[Any] = []
        if self.user:
            found.append(col(Event.agent) == unicodedata.normalize("NFC", self.user))
        if self.action:
            found.append(col(Event.stage) == self.action)
        if self.folder_id:  # the folder's own events and those of its pages (a page's
            # capture, or someone opening it, name the page only)
            folder_id = unicodedata.normalize("NFC", self.folder_id)
            pages = select(col(Page.id)).where(col(Page.folder_id) == folder_id)
            found.append(or_(col(Event.folder_id) == folder_id, col(Event.page_id).in_(pages)))
        if self.document_id is not None:
            found.append(col(Event.document_id) == self.document_id)
        if self.since:
            found.append(col(Event.at) >= datetime.combine(self.since, time.min, UTC))
        if self.until:
            end = datetime.combine(self.until + timedelta(days=1), time.min, UTC)
            found.append(col(Event.at) < end)
        return found


class AuditQueries(StoreBase):
    """Reading the event table for the audit page, and recording what people look at."""

    def audit_events(
        self, chosen: AuditFilter, *, before: int | None = None, limit: int = 100
    ) -> list[Event]:
        """The newest `limit` events matching the filter with an id below `before`."""
        q = select(Event).where(*chosen.conditions())
        if before is not None:
            q = q.where(col(Event.id) < before)
        q = q.order_by(col(Event.id).desc()).limit(limit)
        with self.session() as s:
            return list(s.exec(q))

    def folder_numbers(self, folder_ids: set[str]) -> dict[str, Folder]:
        """The folders of these archival ids, by id (for links and their secrecy)."""
        if not folder_ids:
            return {}
        with self.session() as s:
            rows = s.exec(select(Folder).where(col(Folder.folder_id).in_(sorted(folder_ids))))
            return {f.folder_id: f for f in rows}

    def record_view(
        self,
        agent: str,
        *,
        folder_id: str | None = None,
        page_id: int | None = None,
        document_id: int | None = None,
        batch_id: int | None = None,
        what: str = "",
        within: timedelta = VIEW_WINDOW,
    ) -> bool:
        """Record that `agent` opened a folder, page or document, unless they did within
        `within` (an image grid would otherwise add a row per tile). True if recorded.

        The object is the most specific id given: a page, else a document, else a folder."""
        if page_id is not None:
            same: Any = col(Event.page_id) == page_id
        elif document_id is not None:
            same = (col(Event.document_id) == document_id) & col(Event.page_id).is_(None)
        elif folder_id is not None:
            same = (
                (col(Event.folder_id) == folder_id)
                & col(Event.page_id).is_(None)
                & col(Event.document_id).is_(None)
            )
        else:
            raise ValueError("record_view needs a folder, a page or a document")
        now = utcnow()
        with self.session() as s:
            recent = s.exec(
                select(col(Event.id))
                .where(same, col(Event.stage) == VIEWED, col(Event.agent) == agent)
                .where(col(Event.at) >= now - within)
                .limit(1)
            ).first()
            if recent is not None:
                return False
            s.add(
                Event(
                    batch_id=batch_id,
                    page_id=page_id,
                    folder_id=folder_id,
                    document_id=document_id,
                    at=now,
                    stage=VIEWED,
                    outcome="ok",
                    agent=agent,
                    detail={"what": what} if what else {},
                )
            )
        return True
