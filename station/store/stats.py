"""Aggregates for `station stats` and `/stats`: counts by SQL GROUP BY, never every page row."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import distinct, func
from sqlalchemy import select as sa_select
from sqlmodel import col

from station.store.base import StoreBase
from station.store.models import Batch, ExportVersion, Folder, Page

TIMING_SAMPLE = 5000  # latest pages whose stage times stand in for all (no rollup yet)


def _bounds(since: date | None, until: date | None) -> tuple[datetime | None, datetime | None]:
    start = datetime.combine(since, time.min, UTC) if since else None
    end = datetime.combine(until + timedelta(days=1), time.min, UTC) if until else None
    return start, end


class StatsQueries(StoreBase):
    """The figures of issue 13, each one aggregate query."""

    def stats_folders(self, fonds: str | None, profile: str | None) -> list[dict[str, Any]]:
        """Per folder: fonds, box, sheets, pages found, review state, flags (no titles)."""
        q = sa_select(
            col(Folder.folder_id),
            col(Folder.fonds_code),
            col(Folder.box_no),
            col(Folder.sheet_count),
            col(Folder.sheets_counted),
            col(Folder.review_state),
            col(Folder.review_counts),
            col(Folder.page_flags),
        ).where(col(Folder.in_manifest).is_(True))
        if fonds:
            q = q.where(col(Folder.fonds_code) == fonds)
        if profile:
            q = q.where(col(Folder.profile) == profile)
        with self.session() as s:
            return [dict(r._mapping) for r in s.execute(q).all()]

    def stats_exported_folders(self) -> set[str]:
        """Folders that have at least one export version."""
        with self.session() as s:
            rows = s.execute(sa_select(col(ExportVersion.folder_id)).distinct()).all()
            return {r[0] for r in rows if r[0]}

    def stats_pages_per_day(
        self, since: date | None, until: date | None, fonds: str | None, profile: str | None
    ) -> list[dict[str, Any]]:
        """Pages per operator per batch-start day (state ok or failed), with batch counts.

        Without a fonds filter: pages counted per batch on the (batch_id, state) index, then
        summed per operator and day over the few batch rows (4x faster than the join).
        """
        if not fonds:
            return self._pages_per_day_by_batch(since, until, profile)
        day = func.date(col(Batch.started_at))
        q = (
            sa_select(
                col(Batch.operator),
                day.label("day"),
                func.count(col(Page.id)).label("pages"),
                func.count(distinct(col(Batch.id))).label("batches"),
                func.min(col(Batch.started_at)).label("first"),
                func.max(col(Batch.finished_at)).label("last"),
            )
            .join(Page, col(Page.batch_id) == col(Batch.id))
            .where(col(Page.state).in_(("ok", "failed")))
            .group_by(col(Batch.operator), day)
        )
        q = self._filter(q, col(Batch.started_at), since, until, fonds, profile)
        with self.session() as s:
            return [dict(r._mapping) for r in s.execute(q).all()]

    def _pages_per_day_by_batch(
        self, since: date | None, until: date | None, profile: str | None
    ) -> list[dict[str, Any]]:
        counts = (
            sa_select(col(Page.batch_id), func.count(col(Page.id)))
            .where(col(Page.state).in_(("ok", "failed")))
            .group_by(col(Page.batch_id))
        )
        batches = sa_select(col(Batch.id), col(Batch.operator), col(Batch.started_at))
        start, end = _bounds(since, until)
        if start:
            batches = batches.where(col(Batch.started_at) >= start)
        if end:
            batches = batches.where(col(Batch.started_at) < end)
        if profile:
            batches = batches.where(col(Batch.profile) == profile)
        out: dict[tuple[str | None, str], dict[str, Any]] = {}
        with self.session() as s:
            per_batch = {b: int(n) for b, n in s.execute(counts).all()}
            for batch_id, operator, started in s.execute(batches).all():
                if batch_id not in per_batch:
                    continue
                day = started.date().isoformat()
                row = out.setdefault(
                    (operator, day), {"operator": operator, "day": day, "pages": 0, "batches": 0}
                )
                row["pages"] += per_batch[batch_id]
                row["batches"] += 1
        return list(out.values())

    def stats_batch_hours(
        self, since: date | None, until: date | None, profile: str | None
    ) -> dict[str | None, float]:
        """Hours each operator's finished batches took, for pages per hour."""
        q = sa_select(col(Batch.operator), col(Batch.started_at), col(Batch.finished_at)).where(
            col(Batch.finished_at).is_not(None)
        )
        start, end = _bounds(since, until)
        if start:
            q = q.where(col(Batch.started_at) >= start)
        if end:
            q = q.where(col(Batch.started_at) < end)
        if profile:
            q = q.where(col(Batch.profile) == profile)
        hours: dict[str | None, float] = {}
        with self.session() as s:
            for op, a, b in s.execute(q).all():
                if b is None:
                    continue
                hours[op] = hours.get(op, 0.0) + max((b - a).total_seconds(), 0.0) / 3600
        return hours

    def stats_decisions_per_day(
        self, since: date | None, until: date | None, fonds: str | None, profile: str | None
    ) -> list[dict[str, Any]]:
        """Decisions per reviewer per day, from page.decided_by/decided_at."""
        day = func.date(col(Page.decided_at))
        q = (
            sa_select(
                col(Page.decided_by),
                day.label("day"),
                func.count(col(Page.id)).label("decisions"),
                func.count(distinct(col(Page.folder_id))).label("folders"),
            )
            .where(col(Page.decided_at).is_not(None))
            .group_by(col(Page.decided_by), day)
        )
        q = self._filter(q, col(Page.decided_at), since, until, fonds, profile, join_batch=True)
        with self.session() as s:
            return [dict(r._mapping) for r in s.execute(q).all()]

    def stats_counts(
        self,
        column: Any,
        since: date | None,
        until: date | None,
        fonds: str | None,
        profile: str | None,
        *conditions: Any,
    ) -> dict[str, int]:
        """Pages counted by one column (reason, error_code), under conditions."""
        q = sa_select(column, func.count(col(Page.id))).where(*conditions).group_by(column)
        q = self._filter(q, col(Batch.started_at), since, until, fonds, profile, join_batch=True)
        with self.session() as s:
            return {str(k or ""): int(n) for k, n in s.execute(q).all()}

    def stats_timings(
        self, since: date | None, until: date | None, fonds: str | None, profile: str | None
    ) -> list[dict[str, float]]:
        """Stage times of the latest TIMING_SAMPLE ok pages (bounded, never a full scan)."""
        q = (
            sa_select(col(Page.timings))
            .where(col(Page.state) == "ok")
            .order_by(col(Page.id).desc())
            .limit(TIMING_SAMPLE)
        )
        q = self._filter(q, col(Batch.started_at), since, until, fonds, profile, join_batch=True)
        with self.session() as s:
            return [dict(t[0] or {}) for t in s.execute(q).all()]

    def _filter(
        self,
        q: Any,
        when: Any,
        since: date | None,
        until: date | None,
        fonds: str | None,
        profile: str | None,
        *,
        join_batch: bool = False,
    ) -> Any:
        if join_batch:
            q = q.join(Batch, col(Batch.id) == col(Page.batch_id))
        start, end = _bounds(since, until)
        if start:
            q = q.where(when >= start)
        if end:
            q = q.where(when < end)
        if profile:
            q = q.where(col(Batch.profile) == profile)
        if fonds:
            q = q.join(Folder, col(Folder.folder_id) == col(Page.folder_id)).where(
                col(Folder.fonds_code) == fonds
            )
        return q
