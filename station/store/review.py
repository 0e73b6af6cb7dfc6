"""What reviewers decide, recorded: page decisions, order, moves, replacements, the queue."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func
from sqlalchemy import select as sa_select
from sqlalchemy.orm import defer
from sqlmodel import Session, col, select

from station.manifest import number_key
from station.store.base import StoreBase, _assign
from station.store.models import Batch, Event, Folder, Page, utcnow


class ReviewQueries(StoreBase):
    """Recording review (station.review.rules decides; these record)."""

    # --- review (station.review.rules decides; these record) ---

    def refresh_review(self, folder_id: str) -> None:
        with self.session() as s:
            _refresh_review(s, folder_id)

    def get_page(self, page_id: int) -> Page | None:
        with self.session() as s:
            return s.get(Page, page_id)

    def get_folder_by_number(self, number: int) -> Folder | None:
        with self.session() as s:
            return s.exec(select(Folder).where(Folder.id == number)).first()

    def folder_pages(self, folder_id: str) -> list[Page]:
        """The pages a folder holds now, in review order (replaced pages and slips left out)."""
        with self.session() as s:
            return list(s.exec(_current_pages(folder_id)))

    def batch_operators(self, batch_ids: set[int]) -> dict[int, str | None]:
        if not batch_ids:
            return {}
        with self.session() as s:
            rows = s.exec(select(Batch.id, Batch.operator).where(col(Batch.id).in_(batch_ids)))
            return {batch_id: operator for batch_id, operator in rows if batch_id is not None}

    def review_queue(
        self,
        *,
        states: tuple[str, ...],
        secrecy_levels: tuple[str, ...],
        profile: str | None = None,
        box_no: str | None = None,
        flag: str | None = None,
        offset: int = 0,
        limit: int | None = None,
    ) -> tuple[int, list[Folder]]:
        """(how many, the folders from offset to offset + limit) in shelf order, among those
        in these review states and secrecy levels (flag: the folder or its pages carry it).

        Only the sort keys of every matching folder are read; whole rows only for the slice
        shown, so a queue of tens of thousands of folders answers in tens of milliseconds.
        """
        with self.session() as s:
            keys: list[Any] = [
                col(Folder.folder_id),
                col(Folder.in_manifest),
                col(Folder.fonds_code),
                col(Folder.catalogue_no),
                col(Folder.box_no),
                col(Folder.folder_no),
            ]
            if flag:
                keys += [col(Folder.flags), col(Folder.page_flags)]
            query = sa_select(*keys).where(
                col(Folder.review_state).in_(states), col(Folder.secrecy).in_(secrecy_levels)
            )
            if profile:
                query = query.where(col(Folder.profile) == profile)
            if box_no:
                query = query.where(col(Folder.box_no) == box_no)
            rows = list(s.execute(query))
            if flag:
                rows = [r for r in rows if flag in _flag_codes(r[6], r[7], in_manifest=r[1])]
            rows.sort(key=lambda r: (not r[1], r[2], r[3], number_key(r[4]), number_key(r[5])))
            chosen = [r[0] for r in rows[offset : None if limit is None else offset + limit]]
            found = {
                f.folder_id: f
                for f in s.exec(select(Folder).where(col(Folder.folder_id).in_(chosen)))
            }
        return len(rows), [found[folder_id] for folder_id in chosen]

    def box_progress(
        self, secrecy_levels: tuple[str, ...]
    ) -> list[tuple[str, str, dict[str, int]]]:
        """Per box of the manifest: (fonds, box, folders by review state), in shelf order,
        counting only folders of these secrecy levels."""
        with self.session() as s:
            rows = s.exec(
                select(Folder.fonds_code, Folder.box_no, Folder.review_state).where(
                    col(Folder.in_manifest), col(Folder.secrecy).in_(secrecy_levels)
                )
            )
            boxes: dict[tuple[str, str], dict[str, int]] = {}
            for fonds, box, state in rows:
                counts = boxes.setdefault((fonds, box), {})
                counts[state] = counts.get(state, 0) + 1
        return [
            (fonds, box, counts)
            for (fonds, box), counts in sorted(
                boxes.items(), key=lambda item: (item[0][0], number_key(item[0][1]))
            )
        ]

    def review_profiles(self) -> list[str]:
        with self.session() as s:
            return sorted({p for p in s.exec(select(Folder.profile).distinct()) if p})

    def change_page(self, page_id: int, event: Event, **values: Any) -> Page:
        """Record a reviewer's change to a page, its event, and the folder's new counts."""
        with self.session() as s:
            page = s.get(Page, page_id)
            assert page is not None
            before = page.folder_id
            _assign(page, values)
            s.add(event)
            s.flush()
            for folder_id in {before, page.folder_id}:
                if folder_id:
                    _refresh_review(s, folder_id)
            return page

    def change_folder(self, folder_id: str, event: Event, **values: Any) -> Folder:
        with self.session() as s:
            folder = s.get(Folder, folder_id)
            assert folder is not None
            _assign(folder, values)
            s.add(event)
            s.flush()
            _refresh_review(s, folder_id)
            return folder

    def order_pages(self, folder_id: str, page_ids: list[int], event: Event | None = None) -> None:
        """Give the folder's pages positions 1..n in this order."""
        with self.session() as s:
            pages = {p.id: p for p in s.exec(_current_pages(folder_id))}
            for position, page_id in enumerate(page_ids, start=1):
                pages[page_id].position = position
                pages[page_id].updated_at = utcnow()
            if event is not None:
                s.add(event)

    def next_position(self, folder_id: str) -> int:
        with self.session() as s:
            return _next_position(s, folder_id)

    def place_pages(self, folder_id: str, page_ids: list[int], profile: str) -> None:
        """Append newly scanned pages to a folder (in this order) and recount it."""
        with self.session() as s:
            position = _next_position(s, folder_id)
            for page_id in page_ids:
                page = s.get(Page, page_id)
                assert page is not None
                page.folder_id = folder_id
                if page.position is None:
                    page.position, position = position, position + 1
            folder = s.get(Folder, folder_id)
            if folder is not None:
                folder.profile = profile
                if folder.approved_at is not None and page_ids:
                    folder.approved_at = folder.approved_by = None  # new pages: review again
            s.flush()
            _refresh_review(s, folder_id)

    def replace_page(self, old_id: int, new_id: int, slip_id: int, events: list[Event]) -> None:
        """A rescanned page takes a rejected page's place; the old one stays, superseded."""
        with self.session() as s:
            old, new, slip = s.get(Page, old_id), s.get(Page, new_id), s.get(Page, slip_id)
            assert old is not None and new is not None and slip is not None
            new.folder_id, new.position = old.folder_id, old.position
            slip.folder_id = old.folder_id
            old.replaced_by = new_id
            for page in (old, new, slip):
                page.updated_at = utcnow()
            s.add_all(events)
            s.flush()
            if old.folder_id:
                _refresh_review(s, old.folder_id)

    def rescan_list(self) -> list[tuple[Page, Folder | None, str]]:
        """Rejected pages still waiting for their rescan: (page, folder, batch name).

        Each folder is loaded once (not once per rejected page), and the pages without their
        processing timings and file paths, which no list shows (reading them raises).
        """
        with self.session() as s:
            rows = list(
                s.exec(
                    select(Page, Batch.name)
                    .join(Batch, col(Page.batch_id) == col(Batch.id))
                    .join(Folder, col(Page.folder_id) == col(Folder.folder_id), isouter=True)
                    .where(Page.decision == "reject", col(Page.replaced_by).is_(None))
                    .order_by(  # NULLS FIRST: SQLite's order, which PostgreSQL reverses
                        col(Folder.box_no).nulls_first(),
                        col(Page.folder_id).nulls_first(),
                        col(Page.position).nulls_first(),
                    )
                    .options(
                        defer(Page.timings, raiseload=True),  # type: ignore[arg-type]
                        defer(Page.derivatives, raiseload=True),  # type: ignore[arg-type]
                    )
                )
            )
            wanted = {page.folder_id for page, _ in rows if page.folder_id}
            folders = {
                f.folder_id: f
                for f in s.exec(select(Folder).where(col(Folder.folder_id).in_(wanted)))
            }
            return [
                (page, folders.get(page.folder_id) if page.folder_id else None, name)
                for page, name in rows
            ]

    def recent_batches(self, limit: int, operator: str | None = None) -> list[Batch]:
        """Batches still processing, then the latest others, newest first."""
        with self.session() as s:
            query = select(Batch).order_by(col(Batch.state) != "processing", col(Batch.id).desc())
            if operator is not None:
                query = query.where(Batch.operator == operator)
            return list(s.exec(query.limit(limit)))

    def batch_page_counts(self, batch_ids: list[int]) -> dict[int, dict[str, int]]:
        """Pages per processing state (queued, processing, ok, failed) of each batch."""
        if not batch_ids:
            return {}
        with self.session() as s:
            rows = s.exec(
                select(Page.batch_id, Page.state, func.count())
                .where(col(Page.batch_id).in_(batch_ids))
                .group_by(col(Page.batch_id), col(Page.state))
            )
            counts: dict[int, dict[str, int]] = {batch_id: {} for batch_id in batch_ids}
            for batch_id, state, n in rows:
                counts[batch_id][state] = n
            return counts

    def batches_fed_by(self, operator: str) -> list[Batch]:
        with self.session() as s:
            query = select(Batch).where(Batch.operator == operator).order_by(col(Batch.id).desc())
            return list(s.exec(query))


def _current_pages(folder_id: str) -> Any:
    return (
        select(Page)
        .where(
            Page.folder_id == folder_id,
            col(Page.replaced_by).is_(None),
            col(Page.rescan_of).is_(None),
        )
        .order_by(col(Page.position).nulls_first(), col(Page.id))  # as SQLite orders NULLs
    )


def _next_position(s: Session, folder_id: str) -> int:
    last = s.exec(select(func.max(Page.position)).where(Page.folder_id == folder_id)).one()
    return (last or 0) + 1


def _refresh_review(s: Session, folder_id: str) -> None:
    """Recount a folder's pages by decision and flag, and name where its review stands."""
    folder = s.get(Folder, folder_id)
    if folder is None:
        return
    counts = {"pages": 0, "undecided": 0, "approve": 0, "reject": 0, "blank": 0, "separator": 0}
    flags: dict[str, int] = {}
    batch_ids: set[int] = set()
    for page in s.exec(_current_pages(folder_id)):
        counts["pages"] += 1
        batch_ids.add(page.batch_id)
        if page.separator is not None:
            counts["separator"] += 1
            continue
        counts[page.decision or "undecided"] += 1
        for flag in [*page.flags, *(["failed"] if page.state == "failed" else [])]:
            flags[flag] = flags.get(flag, 0) + 1
    operators = (
        sorted({o for o in s.exec(select(Batch.operator).where(col(Batch.id).in_(batch_ids))) if o})
        if batch_ids
        else []
    )
    folder.review_counts, folder.page_flags, folder.operators = counts, flags, operators
    folder.review_state = review_state_of(folder)


def review_state_of(folder: Folder) -> str:
    counts = folder.review_counts or {}
    if folder.approved_at is not None:
        return "approved"
    if counts.get("pages", 0) - counts.get("separator", 0) <= 0:
        return "empty"
    if counts.get("undecided", 0):
        return "to_review"
    if counts.get("reject", 0):
        return "rescan"
    return "ready"


def folder_flag_codes(folder: Folder) -> set[str]:
    """What the queue shows and filters on: the folder's own flags and its pages' flags."""
    return _flag_codes(folder.flags, folder.page_flags, in_manifest=folder.in_manifest)


def _flag_codes(
    flags: list[Any], page_flags: dict[str, int] | None, *, in_manifest: bool
) -> set[str]:
    own = {f["code"] if isinstance(f, dict) else str(f) for f in flags}
    if not in_manifest:
        own.add("unassigned")
    return own | set(page_flags or {})
