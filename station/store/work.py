"""Recording a page's result exactly once, and knowing when a batch's last page is in.

The local pool and the distributed workers record through the same query: a result is
written only while its page still waits for one (a retried job whose result is already
recorded changes nothing), in one transaction with its events, the page's row locked.
Only after that transaction has committed does the worker ask whether any page of the
batch still waits, an indexed lookup that takes no lock. Each worker asks after its own
page is committed, so whichever commits last sees nothing left: a batch is never handed
on early, and never missed. Two workers may both see nothing left and both hand it on
(`on_batch_done`, under the batch row's lock, taken only then): the finish job is
idempotent and one at a time per batch, so the batch is still finished once.

Asking inside the page's transaction with the batch row locked (as this module once
did) made every worker of a batch wait for the one before it to commit: with 50
simulated workers on one batch, that lock was where they queued.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from station.store.base import StoreBase, _assign
from station.store.models import Batch, Event, Page, utcnow

WAITING = ("queued", "processing")  # page states that still wait for a result
BatchDone = Callable[[Session, Batch], None]


class WorkQueries(StoreBase):
    """Page results and batch completion, safe under concurrent workers."""

    def record_page_result(
        self,
        page_id: int,
        values: dict[str, Any],
        events: Sequence[Event],
        *,
        sha256: str | None = None,
        again: bool = False,
        on_batch_done: BatchDone | None = None,
    ) -> bool:
        """Write a page's result and its events; False (nothing written) when the page
        already has one (unless `again`), is gone, or now holds other content than `sha256`."""
        with self.session() as s:
            page = s.exec(select(Page).where(Page.id == page_id).with_for_update()).first()
            if page is None:
                return False
            done = page.state not in WAITING and not again
            if done or (sha256 is not None and page.sha256 != sha256):
                return False
            page_text = values.pop("search_text", None)
            _assign(page, values)
            s.add_all(events)
            if page_text is not None:
                from station.store.search_index import index_page_text

                index_page_text(s, page, page_text)
            batch_id = page.batch_id
        if on_batch_done is not None:
            self.hand_on_if_complete(batch_id, on_batch_done)
        return True

    def hand_on_if_complete(self, batch_id: int, on_batch_done: BatchDone) -> bool:
        """Hand the batch on if its intake has ended and no page waits; True if this call
        did. Called after a page's result is committed, and again by a retried job whose
        worker died between that commit and this call."""
        with self.session() as s:
            ready = s.exec(
                select(Batch.id).where(
                    Batch.id == batch_id,
                    Batch.state == "processing",
                    col(Batch.taken_in_at).is_not(None),
                )
            ).first()
            if ready is None or _first_waiting(s, batch_id) is not None:
                return False
        with self.session() as s:
            batch = s.exec(select(Batch).where(Batch.id == batch_id).with_for_update()).one()
            return _hand_on_if_complete(s, batch, on_batch_done)

    def end_intake(self, batch_id: int, on_batch_done: BatchDone | None = None) -> None:
        """Every original of the batch is stored and its pages recorded; if their results
        are all in already, the batch is handed on here."""
        with self.session() as s:
            batch = s.exec(select(Batch).where(Batch.id == batch_id).with_for_update()).one()
            batch.taken_in_at = batch.taken_in_at or utcnow()
            s.flush()
            if on_batch_done is not None:
                _hand_on_if_complete(s, batch, on_batch_done)

    def start_page(self, page_id: int, sha256: str, worker: str) -> int | None:
        """A worker starts on a page: its attempts so far, this one included; None when the
        page needs no work (recorded already, gone, or holding other content)."""
        with self.session() as s:
            page = s.exec(select(Page).where(Page.id == page_id).with_for_update()).first()
            if page is None or page.sha256 != sha256 or page.state not in WAITING:
                return None
            _assign(page, {"state": "processing", "attempts": page.attempts + 1,
                           "processed_by": worker})  # fmt: skip
            return page.attempts

    def waiting_pages(self, batch_id: int) -> int:
        """How many pages of a batch still wait for their result."""
        with self.session() as s:
            return int(
                s.exec(
                    select(func.count())
                    .select_from(Page)
                    .where(Page.batch_id == batch_id, col(Page.state).in_(WAITING))
                ).one()
            )

    def batch_progress(self, batch_id: int, known: set[int]) -> tuple[Batch, list[Page]]:
        """The batch and its pages recorded since the caller last asked (not in `known`).

        One transaction: the ids of the batch's recorded pages, then only the new ones in
        full, so a process watching a 5,000-page batch reads a few rows a poll, not all."""
        with self.session() as s:
            batch = s.exec(select(Batch).where(Batch.id == batch_id)).one()
            done = s.exec(
                select(Page.id).where(Page.batch_id == batch_id, col(Page.state).not_in(WAITING))
            ).all()
            new = [page_id for page_id in done if page_id not in known]
            pages = (
                list(s.exec(select(Page).where(col(Page.id).in_(new)).order_by(col(Page.seq))))
                if new
                else []
            )
            return batch, pages

    def pages_per_worker(self, since: datetime) -> dict[str, int]:
        """Pages each worker (or machine) recorded since then: how fast each one goes."""
        with self.session() as s:
            rows = s.exec(
                select(Page.processed_by, func.count())
                .where(col(Page.updated_at) >= since, col(Page.processed_by).is_not(None))
                .where(col(Page.state).not_in(WAITING))
                .group_by(col(Page.processed_by))
            ).all()
            return {str(worker): int(count) for worker, count in rows}

    def start_batch_finish(self, batch_id: int) -> bool:
        """Mark a batch as being finished; False when it is done already. A finisher that
        died leaves it `finishing`, and the retried job takes it again."""
        return self._move_batch(batch_id, ("processing", "finishing"), "finishing")

    def _move_batch(self, batch_id: int, states: tuple[str, ...], to: str) -> bool:
        with self.session() as s:
            batch = s.exec(select(Batch).where(Batch.id == batch_id).with_for_update()).first()
            if batch is None or batch.state not in states:
                return False
            batch.state = to
            return True


def _first_waiting(s: Session, batch_id: int) -> int | None:
    """A page of the batch still waiting for its result, if any (index on batch, state)."""
    return s.exec(
        select(Page.id).where(Page.batch_id == batch_id, col(Page.state).in_(WAITING)).limit(1)
    ).first()


def _hand_on_if_complete(s: Session, batch: Batch, on_batch_done: BatchDone) -> bool:
    """Hand the batch on when its intake has ended and no page waits (batch row locked)."""
    if batch.state != "processing" or batch.taken_in_at is None:
        return False
    assert batch.id is not None
    if _first_waiting(s, batch.id) is not None:
        return False
    on_batch_done(s, batch)
    return True
