"""Aggregates for `station stats` and `/stats`, from two rollups kept beside the pages.

`page_tally` counts pages per batch, folder, state, failure cause, decision, reason,
reviewer, decision day and rescan; `review_time` holds each reviewer's active time per day
(gaps under ten minutes between consecutive decisions). Both are kept here, by a
`before_flush` listener, in the same transaction as every ORM write of a page (the store
writes pages only through the ORM), and filled from scratch by migration 0009
(`backfill_rollups`). Why a rollup and not an index: on the 1,000,000-page benchmark one
pass over even the narrowest index of the page table costs 0.3-0.4 s on SQLite, and the
figures need several; the tally has about 20,000 rows.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Connection, case, event, func, text
from sqlalchemy import inspect as sa_inspect
from sqlalchemy import select as sa_select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session as OrmSession
from sqlmodel import col

from station.store.base import StoreBase
from station.store.models import (
    PAGE_TALLY_KEY,
    Batch,
    ExportVersion,
    Folder,
    Page,
    PageTally,
    ReviewTime,
)

TIMING_SAMPLE = 2000  # latest pages whose stage times stand in for all (p95 of 2,000 is stable)
ACTIVE_GAP_S = 600  # gaps between a reviewer's decisions shorter than this count as work
DONE = ("ok", "failed")  # page states that count as scanned
REVIEWED = ("approve", "reject", "blank")
TALLY_KEY = PAGE_TALLY_KEY


def _bounds(since: date | None, until: date | None) -> tuple[datetime | None, datetime | None]:
    start = datetime.combine(since, time.min, UTC) if since else None
    end = datetime.combine(until + timedelta(days=1), time.min, UTC) if until else None
    return start, end


def _utc(value: datetime) -> datetime:
    """Stored times are UTC, read back without a zone on SQLite: aware UTC for comparing."""
    return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)


def _day(value: datetime | None) -> str:
    return _utc(value).date().isoformat() if value is not None else ""


# --- keeping the rollups ----------------------------------------------------------------------


def _tally_key(values: dict[str, Any]) -> tuple[Any, ...]:
    return (
        values["batch_id"],
        values["folder_id"] or "",
        values["state"] or "",
        values["error_code"] or "",
        values["decision"] or "",
        values["reason"] or "",
        values["decided_by"] or "",
        _day(values["decided_at"]),
        0 if values["rescan_of"] is None else 1,
    )


_PAGE_FIELDS = (
    "batch_id",
    "folder_id",
    "state",
    "error_code",
    "decision",
    "reason",
    "decided_by",
    "decided_at",
    "rescan_of",
)


def _values(page: Page, *, old: bool) -> dict[str, Any]:
    """The page's tallied columns now, or as they were before this flush (old)."""
    attrs = sa_inspect(page).attrs
    out = {}
    for name in _PAGE_FIELDS:
        current = getattr(page, name)
        if old:
            history = attrs[name].history
            out[name] = history.deleted[0] if history.deleted else current
        else:
            out[name] = current
    return out


def _tally_flush(session: OrmSession, _context: Any, _instances: Any) -> None:
    """Count the pages this flush adds, changes or deletes, in this flush's transaction."""
    deltas: dict[tuple[Any, ...], int] = defaultdict(int)
    decided: list[tuple[str, datetime]] = []
    for page in session.new:
        if isinstance(page, Page):
            now = _values(page, old=False)
            deltas[_tally_key(now)] += 1
            if now["decided_at"] is not None and now["decided_by"]:
                decided.append((now["decided_by"], _utc(now["decided_at"])))
    for page in session.dirty:
        if isinstance(page, Page) and session.is_modified(page):
            before, now = _values(page, old=True), _values(page, old=False)
            old_key, new_key = _tally_key(before), _tally_key(now)
            if old_key != new_key:
                deltas[old_key] -= 1
                deltas[new_key] += 1
            changed = now["decided_at"] != before["decided_at"]
            if changed and now["decided_at"] is not None and now["decided_by"]:
                decided.append((now["decided_by"], _utc(now["decided_at"])))
    for page in session.deleted:
        if isinstance(page, Page):
            deltas[_tally_key(_values(page, old=True))] -= 1
    if not any(deltas.values()) and not decided:
        return
    connection = session.connection()
    _apply_tally(connection, {k: n for k, n in deltas.items() if n})
    _apply_review_time(connection, decided)


def _apply_tally(connection: Connection, deltas: dict[tuple[Any, ...], int]) -> None:
    table: Any = PageTally.__table__  # type: ignore[attr-defined]
    dialect = sqlite if connection.dialect.name == "sqlite" else postgresql
    for key, n in deltas.items():
        insert = dialect.insert(table).values(**dict(zip(TALLY_KEY, key, strict=True)), pages=n)
        connection.execute(
            insert.on_conflict_do_update(
                index_elements=list(TALLY_KEY),
                set_={"pages": table.c.pages + insert.excluded.pages},
            )
        )


def _apply_review_time(connection: Connection, decided: list[tuple[str, datetime]]) -> None:
    """Add each new decision's gap since the reviewer's previous one, if under ten minutes."""
    table: Any = ReviewTime.__table__  # type: ignore[attr-defined]
    dialect = sqlite if connection.dialect.name == "sqlite" else postgresql
    last: dict[str, datetime | None] = {}
    for reviewer, at in sorted(decided, key=lambda d: (d[0], d[1])):
        if reviewer not in last:
            previous = connection.execute(
                sa_select(func.max(table.c.last_at)).where(table.c.reviewer == reviewer)
            ).scalar()
            last[reviewer] = _utc(previous) if previous is not None else None
        before = last[reviewer]
        gap = (at - before).total_seconds() if before is not None else None
        active = gap if gap is not None and 0 <= gap < ACTIVE_GAP_S else 0.0
        if before is None or at > before:
            last[reviewer] = at
        insert = dialect.insert(table).values(
            reviewer=reviewer, day=at.date().isoformat(), active_s=active, last_at=at
        )
        connection.execute(
            insert.on_conflict_do_update(
                index_elements=["reviewer", "day"],
                set_={
                    "active_s": table.c.active_s + insert.excluded.active_s,
                    "last_at": case(
                        (
                            table.c.last_at.is_(None) | (insert.excluded.last_at > table.c.last_at),
                            insert.excluded.last_at,
                        ),
                        else_=table.c.last_at,
                    ),
                },
            )
        )


event.listen(OrmSession, "before_flush", _tally_flush)


def backfill_rollups(connection: Connection) -> None:
    """Fill both rollups from the pages as they stand (migration 0009, a bulk load)."""
    pg = connection.dialect.name == "postgresql"
    day = "to_char(decided_at, 'YYYY-MM-DD')" if pg else "date(decided_at)"
    gap = (
        "extract(epoch from decided_at - lag(decided_at) over w)"
        if pg
        else "(julianday(decided_at) - julianday(lag(decided_at) over w)) * 86400.0"
    )
    connection.execute(text("delete from page_tally"))
    connection.execute(text("delete from review_time"))
    connection.execute(
        text(
            "insert into page_tally (batch_id, folder_id, state, error_code, decision, reason,"
            " decided_by, decided_day, rescan, pages)"
            " select batch_id, coalesce(folder_id, ''), coalesce(state, ''),"
            " coalesce(error_code, ''), coalesce(decision, ''), coalesce(reason, ''),"
            f" coalesce(decided_by, ''), coalesce({day}, ''),"
            " case when rescan_of is null then 0 else 1 end, count(*)"
            " from page group by 1, 2, 3, 4, 5, 6, 7, 8, 9"
        )
    )
    connection.execute(
        text(
            "insert into review_time (reviewer, day, active_s, last_at)"
            f" select decided_by, day, sum(case when gap < {ACTIVE_GAP_S} then gap else 0 end),"
            " max(decided_at) from ("
            f"  select decided_by, decided_at, {day} as day, {gap} as gap from page"
            "   where decided_at is not null and decided_by is not null and decided_by <> ''"
            "   window w as (partition by decided_by order by decided_at)"
            " ) as d group by decided_by, day"
        )
    )


# --- the queries ------------------------------------------------------------------------------


class StatsQueries(StoreBase):
    """The figures of issue 13, each one aggregate query over a rollup or the folders."""

    def stats_boxes(self, fonds: str | None, profile: str | None) -> list[dict[str, Any]]:
        """Per fonds and box of the manifest, summed by the database: sheets in the manifest
        and counted (Folder.sheets_counted: sheets, a duplex sheet's two pages once), pages
        reviewed (from each folder's review counts), folders approved and exported."""
        counts: Any = col(Folder.review_counts)
        reviewed = sum(
            (func.coalesce(counts[k].as_integer(), 0) for k in REVIEWED[1:]),
            func.coalesce(counts[REVIEWED[0]].as_integer(), 0),
        )
        exported = col(Folder.folder_id).in_(sa_select(col(ExportVersion.folder_id)))
        fonds_box = (col(Folder.fonds_code), col(Folder.box_no))
        q = self._folders(
            sa_select(
                *fonds_box,
                func.sum(func.coalesce(col(Folder.sheet_count), 0)).label("manifest_sheets"),
                func.sum(col(Folder.sheets_counted)).label("scanned_sheets"),
                func.sum(reviewed).label("reviewed_pages"),
                func.sum(case((col(Folder.review_state) == "approved", 1), else_=0)).label(
                    "approved_folders"
                ),
                func.sum(case((exported, 1), else_=0)).label("exported_folders"),
            ).group_by(*fonds_box),
            fonds,
            profile,
        )
        with self.engine.connect() as connection:
            result = connection.execute(q)
            keys = list(result.keys())
            text_keys = ("fonds_code", "box_no")
            return [
                {k: v if k in text_keys else int(v or 0) for k, v in zip(keys, r, strict=True)}
                for r in result.all()
            ]

    def stats_box_days(
        self, fonds: str | None, profile: str | None
    ) -> list[tuple[str, str, str, str, int]]:
        """(fonds, box, measure, day, folders) for the burn-down: folders approved per
        approval day, and exported per day of their first export version."""
        fonds_box = (col(Folder.fonds_code), col(Folder.box_no))
        approved_day = self._day_of(col(Folder.approved_at))
        approved = self._folders(
            sa_select(*fonds_box, approved_day, func.count())
            .where(col(Folder.review_state) == "approved", col(Folder.approved_at).is_not(None))
            .group_by(*fonds_box, approved_day),
            fonds,
            profile,
        )
        first = (
            sa_select(
                col(ExportVersion.folder_id).label("folder_id"),
                func.min(col(ExportVersion.created_at)).label("at"),
            )
            .group_by(col(ExportVersion.folder_id))
            .subquery()
        )
        exported_day = self._day_of(first.c.at)
        exported = self._folders(
            sa_select(*fonds_box, exported_day, func.count())
            .join(first, first.c.folder_id == col(Folder.folder_id))
            .group_by(*fonds_box, exported_day),
            fonds,
            profile,
        )
        with self.engine.connect() as connection:
            return [
                (f, b, measure, str(d), int(n))
                for measure, q in (("approved_folders", approved), ("exported_folders", exported))
                for f, b, d, n in connection.execute(q).all()
            ]

    def _day_of(self, column: Any) -> Any:
        """A timestamp's UTC day as YYYY-MM-DD text, computed by the database."""
        if self.engine.dialect.name == "postgresql":
            return func.to_char(column, "YYYY-MM-DD")
        return func.date(column)

    @staticmethod
    def _folders(q: Any, fonds: str | None, profile: str | None) -> Any:
        q = q.where(col(Folder.in_manifest).is_(True))
        if fonds:
            q = q.where(col(Folder.fonds_code) == fonds)
        if profile:
            q = q.where(col(Folder.profile) == profile)
        return q

    def stats_flags(self, fonds: str | None, profile: str | None) -> dict[str, int]:
        """Pages per machine flag, summed in SQL over the folders' flag counts."""
        pg = self.engine.dialect.name == "postgresql"
        each = (  # a JSON null (not SQL NULL) has no keys to take apart
            "json_each_text(case when json_typeof(folder.page_flags) = 'object'"
            " then folder.page_flags else '{}'::json end)"
            if pg
            else "json_each(folder.page_flags)"
        )
        value = "cast(flag.value as integer)" if pg else "flag.value"
        sql = (
            f"select flag.key, sum({value}) from folder, {each} as flag"
            " where folder.in_manifest and folder.page_flags is not null"
        )
        params: dict[str, Any] = {}
        if fonds:
            sql += " and folder.fonds_code = :fonds"
            params["fonds"] = fonds
        if profile:
            sql += " and folder.profile = :profile"
            params["profile"] = profile
        with self.session() as s:
            rows = s.execute(text(sql + " group by flag.key"), params).all()
            return {str(k): int(n or 0) for k, n in rows}

    def _tally(
        self, q: Any, fonds: str | None, profile: str | None, *, folder_profile: bool = False
    ) -> Any:
        """Join the tally to its batch, and to its folder for a fonds (or folder profile)."""
        q = q.join(Batch, col(Batch.id) == col(PageTally.batch_id))
        if fonds or folder_profile:
            q = q.join(Folder, col(Folder.folder_id) == col(PageTally.folder_id))
        if fonds:
            q = q.where(col(Folder.fonds_code) == fonds)
        if profile:
            q = q.where(col(Folder.profile if folder_profile else Batch.profile) == profile)
        return q

    def stats_pages_per_day(
        self, since: date | None, until: date | None, fonds: str | None, profile: str | None
    ) -> list[dict[str, Any]]:
        """Pages per operator, scanning station and batch-start day (state ok or failed),
        with batch counts."""
        q = (
            sa_select(
                col(Batch.id),
                col(Batch.operator),
                col(Batch.station_name),
                col(Batch.started_at),
                func.sum(col(PageTally.pages)),
            )
            .where(col(PageTally.state).in_(DONE))
            .group_by(
                col(Batch.id), col(Batch.operator), col(Batch.station_name), col(Batch.started_at)
            )
        )
        q = self._window(self._tally(q, fonds, profile), col(Batch.started_at), since, until)
        out: dict[tuple[str | None, str | None, str], dict[str, Any]] = {}
        with self.session() as s:
            for _batch, operator, station, started, pages in s.execute(q).all():
                if not pages:
                    continue
                day = _day(started)
                row = out.setdefault(
                    (operator, station, day),
                    {
                        "operator": operator,
                        "station": station,
                        "day": day,
                        "pages": 0,
                        "batches": 0,
                    },
                )
                row["pages"] += int(pages)
                row["batches"] += 1
        return list(out.values())

    def stats_batch_hours(
        self, since: date | None, until: date | None, profile: str | None
    ) -> dict[str | None, float]:
        """Hours each operator's finished batches took, for pages per hour."""
        q = sa_select(col(Batch.operator), col(Batch.started_at), col(Batch.finished_at)).where(
            col(Batch.finished_at).is_not(None)
        )
        q = self._window(q, col(Batch.started_at), since, until)
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
        """Decisions per reviewer per day (the page's latest decision, on its day)."""
        q: Any = (
            sa_select(
                col(PageTally.decided_by),
                col(PageTally.decided_day).label("day"),
                func.sum(col(PageTally.pages)).label("decisions"),
            )
            .where(col(PageTally.decided_day) != "", col(PageTally.decision) != "")
            .group_by(col(PageTally.decided_by), col(PageTally.decided_day))
        )
        if since:
            q = q.where(col(PageTally.decided_day) >= since.isoformat())
        if until:
            q = q.where(col(PageTally.decided_day) <= until.isoformat())
        if fonds or profile:
            q = self._tally(q, fonds, profile)
        with self.session() as s:
            return [dict(r._mapping) for r in s.execute(q).all() if r[2]]

    def stats_review_seconds(self, since: date | None, until: date | None) -> dict[str, float]:
        """Each reviewer's active review time in the period, in seconds."""
        q = sa_select(col(ReviewTime.reviewer), func.sum(col(ReviewTime.active_s))).group_by(
            col(ReviewTime.reviewer)
        )
        if since:
            q = q.where(col(ReviewTime.day) >= since.isoformat())
        if until:
            q = q.where(col(ReviewTime.day) <= until.isoformat())
        with self.session() as s:
            return {str(r): float(n or 0) for r, n in s.execute(q).all()}

    def stats_counts(
        self,
        column: Any,
        since: date | None,
        until: date | None,
        fonds: str | None,
        profile: str | None,
        *conditions: Any,
    ) -> dict[str, int]:
        """Pages counted by one tally column (reason, error_code, state), under conditions
        on tally columns, for pages of batches started in the period."""
        q = sa_select(column, func.sum(col(PageTally.pages))).where(*conditions).group_by(column)
        q = self._window(self._tally(q, fonds, profile), col(Batch.started_at), since, until)
        with self.session() as s:
            return {str(k or ""): int(n) for k, n in s.execute(q).all() if n}

    def stats_progress(
        self, fonds: str | None, profile: str | None
    ) -> tuple[list[tuple[str, str, str, int]], list[tuple[str, str, str, int]]]:
        """For the burn-down: (fonds, box, batch-start day, pages scanned) and (fonds, box,
        decision day, pages reviewed), over manifest folders of the fonds and folder profile:
        a few hundred rows, grouped by the database."""
        fonds_box = (col(Folder.fonds_code), col(Folder.box_no))
        started = self._day_of(col(Batch.started_at))
        scanned = (
            sa_select(*fonds_box, started, func.sum(col(PageTally.pages)))
            .join(Folder, col(Folder.folder_id) == col(PageTally.folder_id))
            .join(Batch, col(Batch.id) == col(PageTally.batch_id))
            .where(col(PageTally.state).in_(DONE))
            .group_by(*fonds_box, started)
        )
        reviewed = (
            sa_select(*fonds_box, col(PageTally.decided_day), func.sum(col(PageTally.pages)))
            .join(Folder, col(Folder.folder_id) == col(PageTally.folder_id))
            .where(col(PageTally.decision).in_(REVIEWED), col(PageTally.decided_day) != "")
            .group_by(*fonds_box, col(PageTally.decided_day))
        )
        with self.engine.connect() as connection:
            return (
                [
                    (f, b, str(d), int(n))
                    for f, b, d, n in connection.execute(self._folders(scanned, fonds, profile))
                    if n
                ],
                [
                    (f, b, str(d), int(n))
                    for f, b, d, n in connection.execute(self._folders(reviewed, fonds, profile))
                    if n
                ],
            )

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
            return [t[0] or {} for t in s.execute(q).all()]

    @staticmethod
    def _window(q: Any, when: Any, since: date | None, until: date | None) -> Any:
        start, end = _bounds(since, until)
        if start:
            q = q.where(when >= start)
        if end:
            q = q.where(when < end)
        return q

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
        q = self._window(q, when, since, until)
        if profile:
            q = q.where(col(Batch.profile) == profile)
        if fonds:
            q = q.join(Folder, col(Folder.folder_id) == col(Page.folder_id)).where(
                col(Folder.fonds_code) == fonds
            )
        return q
