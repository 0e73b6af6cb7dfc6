"""Issue 13's figures as one JSON-able dict: backlog, throughput, quality, processing.

Counts only (no titles leave here): the web page decides who sees which.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlmodel import col

from station.store import Page, Store

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
    folders = store.stats_folders(f.fonds, f.profile)
    decisions = store.stats_decisions_per_day(f.since, f.until, f.fonds, f.profile)
    return {
        "filters": {
            "since": f.since.isoformat() if f.since else None,
            "until": f.until.isoformat() if f.until else None,
            "fonds": f.fonds,
            "profile": f.profile,
        },
        "backlog": _backlog(store, folders, today, per_day),
        "throughput": _throughput(store, f, per_day, decisions),
        "quality": _quality(store, f, folders),
        "processing": _processing(store, f),
    }


def _backlog(
    store: Store, folders: list[dict[str, Any]], today: date, per_day: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    exported = store.stats_exported_folders()
    rows: dict[tuple[str, str], dict[str, Any]] = {}
    for folder in folders:
        counts = folder["review_counts"] or {}
        for key in ((folder["fonds_code"], ""), (folder["fonds_code"], folder["box_no"])):
            row = rows.setdefault(
                key,
                {
                    "fonds_code": key[0],
                    "box_no": key[1],
                    "manifest_sheets": 0,
                    "scanned_sheets": 0,
                    "reviewed_pages": 0,
                    "approved_folders": 0,
                    "exported_folders": 0,
                },
            )
            row["manifest_sheets"] += folder["sheet_count"] or 0
            row["scanned_sheets"] += folder["sheets_counted"] or 0
            row["reviewed_pages"] += sum(
                int(counts.get(k, 0)) for k in ("approve", "reject", "blank")
            )
            row["approved_folders"] += folder["review_state"] == "approved"
            row["exported_folders"] += folder["folder_id"] in exported
    pace_start = today - timedelta(days=PACE_DAYS)
    recent = sum(
        int(r["pages"])
        for r in per_day
        if pace_start.isoformat() < _day(r["day"]) <= today.isoformat()
    )
    pace = recent / PACE_DAYS
    for row in rows.values():
        left = max(row["manifest_sheets"] - row["scanned_sheets"], 0)
        row["projected_completion"] = (
            (today + timedelta(days=math.ceil(left / pace))).isoformat() if pace > 0 else None
        )
    out = sorted(rows.values(), key=lambda r: (r["fonds_code"], r["box_no"]))
    return out


def _throughput(
    store: Store, f: StatsFilter, per_day: list[dict[str, Any]], decisions: list[dict[str, Any]]
) -> dict[str, list[dict[str, Any]]]:
    hours = store.stats_batch_hours(f.since, f.until, f.profile)
    ops: dict[str, dict[str, Any]] = {}
    for r in per_day:
        name = r["operator"] or ""
        op = ops.setdefault(
            name, {"operator": name, "pages": 0, "batches": 0, "decisions": 0, "per_day": []}
        )
        op["pages"] += int(r["pages"])
        op["batches"] += int(r["batches"])
        op["per_day"].append(
            {"day": _day(r["day"]), "pages": int(r["pages"]), "batches": int(r["batches"])}
        )
    for name, op in ops.items():
        h = hours.get(name or None, 0.0)
        op["pages_per_hour"] = round(op["pages"] / h, 1) if h > 0 else None
        op["per_day"].sort(key=lambda d: d["day"])
    revs: dict[str, dict[str, Any]] = {}
    for r in decisions:
        name = r["decided_by"] or ""
        rev = revs.setdefault(
            name, {"reviewer": name, "pages": 0, "batches": 0, "decisions": 0, "per_day": []}
        )
        rev["decisions"] += int(r["decisions"])
        rev["pages"] += int(r["decisions"])
        rev["per_day"].append({"day": _day(r["day"]), "decisions": int(r["decisions"])})
    for rev in revs.values():
        rev["pages_per_hour"] = None
        rev["per_day"].sort(key=lambda d: d["day"])
    return {
        "operator": sorted(ops.values(), key=lambda o: o["operator"]),
        "reviewer": sorted(revs.values(), key=lambda o: o["reviewer"]),
    }


def _quality(store: Store, f: StatsFilter, folders: list[dict[str, Any]]) -> dict[str, Any]:
    flags: dict[str, int] = defaultdict(int)
    for folder in folders:
        for kind, n in (folder["page_flags"] or {}).items():
            flags[kind] += int(n)
    args = (f.since, f.until, f.fonds, f.profile)
    rejects = store.stats_counts(Page.reason, *args, Page.decision == "reject")
    failed = store.stats_counts(Page.error_code, *args, Page.state == "failed")
    rescans = store.stats_counts(Page.state, *args, col(Page.rescan_of).is_not(None))
    return {
        "flags": dict(sorted(flags.items())),
        "rejects": rejects,
        "rescans": sum(rescans.values()),
        "failed_files": failed,
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
