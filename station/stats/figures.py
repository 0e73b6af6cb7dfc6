"""Issue 13's figures as one JSON-able dict: backlog, throughput, quality, processing.

Counts only (no titles leave here): the web page decides who sees which.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from station.settings import StationSettings
from station.store import Store
from station.store.models import PageTally
from station.store.quality import CONFIDENCE_BUCKET

PACE_DAYS = 28  # projection: pace of the last four weeks


@dataclass(frozen=True)
class StatsFilter:
    since: date | None = None
    until: date | None = None
    fonds: str | None = None
    profile: str | None = None


def _day(value: Any) -> str:
    return value.isoformat()[:10] if isinstance(value, date) else str(value)[:10]


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    k = max(0, math.ceil(q * len(ordered)) - 1)
    return round(ordered[k], 1)


def compute(store: Store, filters: StatsFilter, *, now: datetime | None = None) -> dict[str, Any]:
    """Every figure of the statistics page for the filters."""
    f = filters
    today = f.until or (now or datetime.now()).date()
    per_day = store.stats_pages_per_day(f.since, f.until, f.fonds, f.profile)
    decisions = store.stats_decisions_per_day(f.since, f.until, f.fonds, f.profile)
    return {
        "filters": {
            "since": f.since.isoformat() if f.since else None,
            "until": f.until.isoformat() if f.until else None,
            "fonds": f.fonds,
            "profile": f.profile,
        },
        "backlog": _backlog(store, f, today, per_day),
        "throughput": _throughput(store, f, per_day, decisions),
        "quality": _quality(store, f),
        "processing": _processing(store, f),
    }


MEASURES = ("scanned_sheets", "reviewed_pages", "approved_folders", "exported_folders")


def _backlog(
    store: Store, f: StatsFilter, today: date, per_day: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """Per fonds (box "") and per box: the manifest against what was done, the burn-down over
    time (`days`), and the projected completion at the room's pace of the last 4 weeks."""
    boxes = store.stats_boxes(f.fonds, f.profile)
    rows: dict[tuple[str, str], dict[str, Any]] = {}
    for box in boxes:
        for key in {(box["fonds_code"], ""), (box["fonds_code"], box["box_no"])}:
            row = rows.setdefault(
                key,
                {
                    "fonds_code": key[0],
                    "box_no": key[1],
                    "manifest_sheets": 0,
                    **dict.fromkeys(MEASURES, 0),
                },
            )
            for measure in ("manifest_sheets", *MEASURES):
                row[measure] += box[measure]
    pace_start = today - timedelta(days=PACE_DAYS)
    recent = sum(
        int(r["pages"])
        for r in per_day
        if pace_start.isoformat() < _day(r["day"]) <= today.isoformat()
    )
    pace = recent / PACE_DAYS
    series = _burn_down(store, f, boxes, today)
    for key, row in rows.items():
        left = max(row["manifest_sheets"] - row["scanned_sheets"], 0)
        row["projected_completion"] = (
            (today + timedelta(days=math.ceil(left / pace))).isoformat() if pace > 0 else None
        )
        row["days"] = series.get(key, [])
    return sorted(rows.values(), key=lambda r: (r["fonds_code"], r["box_no"]))


def _burn_down(
    store: Store, f: StatsFilter, boxes: list[dict[str, Any]], today: date
) -> dict[tuple[str, str], list[dict[str, Any]]]:
    """Per fonds and box, one point per day something happened, up to `today`: the running
    totals of sheets scanned, pages reviewed, folders approved and exported.

    A box's sheets (the sum of its folders' Folder.sheets_counted, which are sheets: a duplex
    sheet's two pages count once) are spread over the days its pages were scanned in
    proportion to its pages, so the last point equals the backlog's `scanned_sheets`.
    """
    scanned, reviewed = store.stats_progress(f.fonds, f.profile)
    sheets = {(b["fonds_code"], b["box_no"]): b["scanned_sheets"] for b in boxes}
    box_pages: dict[tuple[str, str], int] = defaultdict(int)
    for fonds, box, _, n in scanned:
        box_pages[(fonds, box)] += n
    steps: dict[tuple[str, str], dict[str, dict[str, float]]] = defaultdict(
        lambda: defaultdict(lambda: dict.fromkeys(MEASURES, 0.0))
    )
    last = today.isoformat()

    def add(fonds: str, box: str, day: str, measure: str, value: float) -> None:
        if day <= last:
            for key in {(fonds, ""), (fonds, box)}:
                steps[key][day][measure] += value

    for fonds, box, day, n in scanned:
        share = sheets.get((fonds, box), 0) * n / box_pages[(fonds, box)]
        add(fonds, box, day, "scanned_sheets", share)
    for fonds, box, day, n in reviewed:
        add(fonds, box, day, "reviewed_pages", n)
    for fonds, box, measure, day, n in store.stats_box_days(f.fonds, f.profile):
        add(fonds, box, day, measure, n)
    out: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for key, days in steps.items():
        running = dict.fromkeys(MEASURES, 0.0)
        points: list[dict[str, Any]] = []
        for day in sorted(days):
            for measure in MEASURES:
                running[measure] += days[day][measure]
            points.append({"day": day, **{m: round(v) for m, v in running.items()}})
        if f.since:
            points = [p for p in points if p["day"] >= f.since.isoformat()]
        out[key] = points
    return out


def add_work_now(figures: dict[str, Any], store: Store, settings: StationSettings) -> None:
    """The room as it is now, beside the history: pages per minute of each worker over the
    last minutes and, in distributed mode, the queue's depth and the workers alive."""
    from station.distributed.status import describe, work_status

    now = work_status(store, settings)
    figures["processing"]["now"] = {**now, "summary": describe(now)}


def iso_week(day: str) -> str:
    """The ISO week a day is in ("2026-W49"): weeks start on Monday, as Vietnamese reports'."""
    year, week, _ = date.fromisoformat(day[:10]).isocalendar()
    return f"{year}-W{week:02d}"


def _per_week(per_day: list[dict[str, Any]], *measures: str) -> list[dict[str, Any]]:
    """A row's per-day figures summed by ISO week, oldest first."""
    weeks: dict[str, dict[str, Any]] = {}
    for day in per_day:
        week = weeks.setdefault(iso_week(day["day"]), {"week": iso_week(day["day"])})
        for measure in measures:
            week[measure] = week.get(measure, 0) + day[measure]
    return [weeks[w] for w in sorted(weeks)]


def _pages_by(key: str, per_day: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Pages and batches per operator or per scanning station, in all, per day and per week."""
    out: dict[str, dict[str, Any]] = {}
    days: dict[tuple[str, str], dict[str, Any]] = {}
    for r in per_day:
        name = r[key] or ""
        row = out.setdefault(
            name, {key: name, "pages": 0, "batches": 0, "decisions": 0, "per_day": []}
        )
        row["pages"] += int(r["pages"])
        row["batches"] += int(r["batches"])
        day = days.get((name, _day(r["day"])))
        if day is None:
            day = days[(name, _day(r["day"]))] = {"day": _day(r["day"]), "pages": 0, "batches": 0}
            row["per_day"].append(day)
        day["pages"] += int(r["pages"])
        day["batches"] += int(r["batches"])
    for row in out.values():
        row["per_day"].sort(key=lambda d: d["day"])
        row["per_week"] = _per_week(row["per_day"], "pages", "batches")
    return out


def _throughput(
    store: Store, f: StatsFilter, per_day: list[dict[str, Any]], decisions: list[dict[str, Any]]
) -> dict[str, list[dict[str, Any]]]:
    hours = store.stats_batch_hours(f.since, f.until, f.profile)
    active = store.stats_review_seconds(f.since, f.until)
    # a reviewer's pace is theirs, whatever the fonds: all their decisions in the period
    every = (
        store.stats_decisions_per_day(f.since, f.until, None, None)
        if f.fonds or f.profile
        else decisions
    )
    made: dict[str, int] = defaultdict(int)
    for r in every:
        made[r["decided_by"] or ""] += int(r["decisions"])
    ops = _pages_by("operator", per_day)
    for name, op in ops.items():
        h = hours.get(name or None, 0.0)
        op["pages_per_hour"] = round(op["pages"] / h, 1) if h > 0 else None
    stations = _pages_by("station", per_day)
    for station in stations.values():
        station["pages_per_hour"] = None  # a station's hours are its operators'
    revs: dict[str, dict[str, Any]] = {}
    for r in decisions:
        name = r["decided_by"] or ""
        rev = revs.setdefault(
            name, {"reviewer": name, "pages": 0, "batches": 0, "decisions": 0, "per_day": []}
        )
        rev["decisions"] += int(r["decisions"])
        rev["pages"] += int(r["decisions"])
        rev["per_day"].append({"day": _day(r["day"]), "decisions": int(r["decisions"])})
    for name, rev in revs.items():
        seconds = active.get(name, 0.0)
        rev["active_hours"] = round(seconds / 3600, 2)
        rev["pages_per_hour"] = round(made[name] * 3600 / seconds, 1) if seconds > 0 else None
        rev["per_day"].sort(key=lambda d: d["day"])
        rev["per_week"] = _per_week(rev["per_day"], "decisions")
    return {
        "operator": sorted(ops.values(), key=lambda o: o["operator"]),
        "station": sorted(stations.values(), key=lambda o: o["station"]),
        "reviewer": sorted(revs.values(), key=lambda o: o["reviewer"]),
    }


def _quality(store: Store, f: StatsFilter) -> dict[str, Any]:
    flags = store.stats_flags(f.fonds, f.profile)
    args = (f.since, f.until, f.fonds, f.profile)
    rejects = store.stats_counts(PageTally.reason, *args, PageTally.decision == "reject")
    failed = store.stats_counts(PageTally.error_code, *args, PageTally.state == "failed")
    rescans = store.stats_counts(PageTally.state, *args, PageTally.rescan == 1)
    return {
        "flags": dict(sorted(flags.items())),
        "rejects": rejects,
        "rescans": sum(rescans.values()),
        "failed_files": failed,
        "rejects_by_source": [
            {
                "operator": r["operator"] or "",
                "profile": r["profile"] or "",
                "station": r["station_name"] or "",
                "reason": r["reason"] or "",
                "rejects": int(r["rejects"]),
                "rescanned": int(r["rescanned"]),
            }
            for r in store.stats_rejects_by_source(*args)
        ],
        "ocr_confidence": [
            {"from": low, "to": low + CONFIDENCE_BUCKET, "pages": pages}
            for low, pages in store.stats_ocr_confidence(*args).items()
        ],
    }


def _processing(store: Store, f: StatsFilter) -> dict[str, Any]:
    times: dict[str, list[float]] = defaultdict(list)
    for timing in store.stats_timings(f.since, f.until, f.fonds, f.profile):
        for stage, seconds in timing.items():
            if isinstance(seconds, int | float):
                times[stage].append(float(seconds))  # recorded in ms
    stages = []
    for stage, ms in sorted(times.items()):
        p50 = _percentile(ms, 0.5)
        stages.append(
            {
                "stage": stage,
                "p50_ms": p50,
                "p95_ms": _percentile(ms, 0.95),
                "pages_per_minute": round(60000 / p50, 1) if p50 > 0 else None,
                "pages": len(ms),
            }
        )
    return {"stages": stages}
