"""Batches, their pages, the events recorded on them, and the exactly-once intake ledger."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlmodel import col, select

from station.store.audit import VIEWED  # views are the audit's, not a history's
from station.store.base import StoreBase, _assign
from station.store.models import Batch, Event, Intake, Page, utcnow

REFUSED = "refused"  # the outcome of a file refused at intake without being read


class PageQueries(StoreBase):
    """Batches and pages as the runner and the watcher record them."""

    # --- batches ---

    def create_batch(self, name: str, source_dir: Path, profile: str, out_dir: Path | None) -> int:
        with self.session() as s:
            batch = Batch(
                name=name,
                source_dir=str(source_dir),
                profile=profile,
                out_dir=str(out_dir) if out_dir else None,
            )
            s.add(batch)
            s.flush()
            assert batch.id is not None
            return batch.id

    def finish_batch(self, batch_id: int, *, state: str, pdf_path: Path | None) -> None:
        with self.session() as s:
            batch = s.get(Batch, batch_id)
            assert batch is not None
            batch.state, batch.finished_at = state, utcnow()
            batch.pdf_path = str(pdf_path) if pdf_path else None

    def get_batch(self, batch_id: int) -> Batch | None:
        with self.session() as s:
            return s.get(Batch, batch_id)

    # --- pages ---

    def add_page(
        self,
        batch_id: int,
        *,
        seq: int,
        source_file: str,
        page_index: int,
        sha256: str,
        master_path: Path,
    ) -> int:
        with self.session() as s:
            page = Page(
                batch_id=batch_id,
                seq=seq,
                source_file=source_file,
                page_index=page_index,
                sha256=sha256,
                master_path=str(master_path),
            )
            s.add(page)
            s.flush()
            assert page.id is not None
            if self.on_page_added is not None:
                self.on_page_added(s, page)
            return page.id

    def update_page(self, page_id: int, **values: Any) -> None:
        with self.session() as s:
            page = s.get(Page, page_id)
            assert page is not None
            _assign(page, values)

    def pages_of_batch(self, batch_id: int) -> list[Page]:
        with self.session() as s:
            return list(
                s.exec(select(Page).where(Page.batch_id == batch_id).order_by(col(Page.seq)))
            )

    # --- events ---

    def add_events(self, events: list[Event]) -> None:
        with self.session() as s:
            s.add_all(events)

    def refused_of_batch(self, batch_id: int) -> list[Event]:
        """The files a batch refused at intake without reading them (symbolic links)."""
        with self.session() as s:
            return list(
                s.exec(
                    select(Event)
                    .where(Event.batch_id == batch_id, Event.outcome == REFUSED)
                    .order_by(col(Event.id))
                )
            )

    def last_assembly(self, batch_id: int, pdf: str) -> Event | None:
        """The batch's latest PDF/A written at `pdf`, if any: what a restart after a crash
        mid-finish compares with before writing it again."""
        with self.session() as s:
            events = s.exec(
                select(Event)
                .where(Event.batch_id == batch_id, Event.stage == "assemble", Event.outcome == "ok")
                .order_by(col(Event.id).desc())
            )
            return next((e for e in events if (e.detail or {}).get("pdf") == pdf), None)

    def events_of_page(self, page_id: int) -> list[Event]:
        with self.session() as s:
            return list(
                s.exec(
                    select(Event)
                    .where(Event.page_id == page_id, col(Event.stage) != VIEWED)
                    .order_by(col(Event.id))
                )
            )

    def find_batches(self, name: str | None = None) -> list[Batch]:
        with self.session() as s:
            query = select(Batch).order_by(col(Batch.id))
            if name is not None:
                query = query.where(Batch.name == name)
            return list(s.exec(query))

    def unfinished_batches(self, origin: str | None = None) -> list[Batch]:
        """Batches a crash or a power cut left in the middle, to resume."""
        with self.session() as s:
            query = select(Batch).where(Batch.state == "processing").order_by(col(Batch.id))
            if origin is not None:
                query = query.where(Batch.origin == origin)
            return list(s.exec(query))

    def set_batch_source(
        self,
        batch_id: int,
        *,
        source_dir: Path,
        operator: str | None,
        station_name: str | None,
        origin: str,
    ) -> None:
        with self.session() as s:
            batch = s.get(Batch, batch_id)
            assert batch is not None
            batch.source_dir, batch.origin = str(source_dir), origin
            batch.operator, batch.station_name = operator, station_name

    def set_batch_folders(self, batch_id: int, folders: dict[str, Any]) -> None:
        with self.session() as s:
            batch = s.get(Batch, batch_id)
            assert batch is not None
            batch.folders = folders

    # --- page queries ---

    def list_pages(
        self,
        *,
        batch_id: int | None = None,
        batch_name: str | None = None,
        folder_id: str | None = None,
    ) -> list[tuple[Page, str]]:
        """Pages with their batch name, in batch then scan order."""
        with self.session() as s:
            query = select(Page, Batch.name).join(Batch, col(Page.batch_id) == col(Batch.id))
            if batch_id is not None:
                query = query.where(Page.batch_id == batch_id)
            if batch_name is not None:
                query = query.where(Batch.name == batch_name)
            if folder_id is not None:
                query = query.where(Page.folder_id == folder_id)
            query = query.order_by(col(Page.batch_id), col(Page.seq))
            return [(page, name) for page, name in s.exec(query)]

    def pages_by_state(self) -> list[tuple[Batch, str, int, int]]:
        """(batch, page state, pages, flagged pages) for the status screen."""
        with self.session() as s:
            batches = {b.id: b for b in s.exec(select(Batch))}
            counts: dict[tuple[int, str], list[int]] = {}
            for batch_id, state, flags in s.exec(select(Page.batch_id, Page.state, Page.flags)):
                entry = counts.setdefault((batch_id, state), [0, 0])
                entry[0] += 1
                entry[1] += 1 if flags else 0
        return [
            (batches[batch_id], state, total, flagged)
            for (batch_id, state), (total, flagged) in sorted(counts.items())
        ]

    # --- the exactly-once ledger ---

    def taken_in(self, sha256s: list[str]) -> dict[str, int]:
        """Which of these originals were already taken in, and by which batch."""
        if not sha256s:
            return {}
        with self.session() as s:
            rows = s.exec(select(Intake).where(col(Intake.sha256).in_(sha256s)))
            return {row.sha256: row.batch_id for row in rows}

    def record_intake(self, sha256: str, batch_id: int, source_file: str) -> None:
        with self.session() as s:
            if s.get(Intake, sha256) is None:
                s.add(Intake(sha256=sha256, batch_id=batch_id, source_file=source_file))
