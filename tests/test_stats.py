"""Issue 13 figures on a generated history with known answers."""

from __future__ import annotations

import json
import random
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from station.settings import StationSettings
from station.stats.figures import StatsFilter, compute
from station.store import Batch, Event, ExportVersion, Folder, Page, Store
from station.store.stats import backfill_rollups

DAY0 = date(2026, 11, 2)
NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def _history(store: Store) -> dict[str, Any]:
    """Two fonds, three boxes, two operators on known days, known decisions and failures."""
    rng = random.Random(21)
    folders = [("F1", "1", 100), ("F1", "1", 50), ("F1", "2", 80), ("F2", "7", 200)]
    with store.session() as s:
        for i, (fonds, box, sheets) in enumerate(folders):
            s.add(
                Folder(
                    folder_id=f"{fonds}/{box}/{i}",
                    id=i + 1,
                    fonds_code=fonds,
                    box_no=box,
                    folder_no=str(i),
                    title=f"Bí mật {i}",
                    sheet_count=sheets,
                    sheets_counted=sheets // 2,
                    review_state="approved" if i == 0 else "to_review",
                    review_counts={"approve": 3, "reject": 1},
                    page_flags={"blurry": i},
                    profile="default",
                )
            )
        s.add(ExportVersion(folder_id="F1/1/0", version=1, digest="d", created_by="cuc"))
        s.commit()
        plan = [("an", 0, 10, "F1/1/0"), ("an", 1, 6, "F1/1/1"), ("binh", 1, 4, "F2/7/3")]
        seq = 0
        for op, day, pages, folder in plan:
            start = datetime.combine(
                DAY0 + timedelta(days=day), datetime.min.time(), UTC
            ) + timedelta(hours=8)
            batch = Batch(
                name=f"{op}{day}",
                source_dir="/x",
                profile="default",
                state="done",
                started_at=start,
                finished_at=start + timedelta(hours=1),
                operator=op,
            )
            s.add(batch)
            s.flush()
            for n in range(pages):
                seq += 1
                failed = n == 0
                s.add(
                    Page(
                        batch_id=batch.id,
                        seq=seq,
                        source_file=f"{seq}.tif",
                        sha256=f"{seq:064x}",
                        master_path="m",
                        folder_id=folder,
                        state="failed" if failed else "ok",
                        error_code="decode" if failed else None,
                        timings={"ocr": float(10 * (n + 1)), "deskew": 5.0 + rng.random()},
                        decision=None if failed else ("reject" if n == 1 else "approve"),
                        reason="blurry" if n == 1 else None,
                        decided_by=None if failed else "cuc",
                        decided_at=None if failed else start + timedelta(days=1),
                    )
                )
        s.commit()
    return {}


@pytest.fixture
def store(settings: StationSettings) -> Store:
    st = Store.open(settings.database_url)
    _history(st)
    return st


def test_throughput_backlog_quality(store: Store) -> None:
    figures = compute(store, StatsFilter(), now=NOW)
    ops = {o["operator"]: o for o in figures["throughput"]["operator"]}
    assert [(d["day"], d["pages"]) for d in ops["an"]["per_day"]] == [
        ("2026-11-02", 10),
        ("2026-11-03", 6),
    ]
    assert ops["binh"]["pages"] == 4 and ops["an"]["batches"] == 2
    # 2 and 3 November 2026 are the Monday and Tuesday of ISO week 45
    assert ops["an"]["per_week"] == [{"week": "2026-W45", "pages": 16, "batches": 2}]
    assert ops["an"]["pages_per_hour"] == 8.0
    rev = figures["throughput"]["reviewer"][0]
    assert rev["reviewer"] == "cuc" and rev["decisions"] == 9 + 5 + 3
    assert sum(w["decisions"] for w in rev["per_week"]) == rev["decisions"]
    assert [w["week"] for w in rev["per_week"]] == sorted({w["week"] for w in rev["per_week"]})
    q = figures["quality"]
    assert q["rejects"] == {"blurry": 3}
    assert q["failed_files"] == {"decode": 3}
    assert q["flags"] == {"blurry": 0 + 1 + 2 + 3}
    rows = {(r["fonds_code"], r["box_no"]): r for r in figures["backlog"]}
    assert rows[("F1", "1")]["manifest_sheets"] == 150
    assert rows[("F1", "")]["manifest_sheets"] == 230
    assert rows[("F1", "")]["scanned_sheets"] == 50 + 25 + 40
    assert rows[("F1", "1")]["exported_folders"] == 1
    assert rows[("F1", "")]["approved_folders"] == 1
    # pace: 20 pages in the last 28 days = 5/7 per day; F2 has 100 sheets left -> 140 days
    assert (
        rows[("F2", "")]["projected_completion"]
        == (date(2026, 11, 20) + timedelta(days=140)).isoformat()
    )
    ocr = {s["stage"]: s for s in figures["processing"]["stages"]}["ocr"]
    # ok pages have ocr 20..100 ms (n=1..9), 20..60 and 20..40: 17 values
    values = sorted(
        [10.0 * (n + 1) for n in range(1, 10)]
        + [10.0 * (n + 1) for n in range(1, 6)]
        + [10.0 * (n + 1) for n in range(1, 4)]
    )
    assert ocr["p50_ms"] == values[8] and ocr["p95_ms"] == values[16]
    assert "Bí mật" not in json.dumps(figures, ensure_ascii=False)


def test_filters(store: Store) -> None:
    one_day = compute(store, StatsFilter(since=DAY0, until=DAY0), now=NOW)
    assert [o["operator"] for o in one_day["throughput"]["operator"]] == ["an"]
    assert one_day["throughput"]["operator"][0]["pages"] == 10
    f2 = compute(store, StatsFilter(fonds="F2"), now=NOW)
    assert {r["fonds_code"] for r in f2["backlog"]} == {"F2"}
    assert [o["operator"] for o in f2["throughput"]["operator"]] == ["binh"]
    assert f2["quality"]["failed_files"] == {"decode": 1}
    none = compute(store, StatsFilter(until=date(2026, 1, 1)), now=NOW)
    assert all(r["projected_completion"] is None for r in none["backlog"])


def test_cli_json(store: Store, run_station: Any) -> None:
    result = run_station("stats", "--json", "--fonds", "F1")
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert data["quality"]["rejects"] == {"blurry": 2}
    assert {r["fonds_code"] for r in data["backlog"]} == {"F1"}
    text = run_station("stats")
    assert text.exit_code == 0 and "Operators" in text.stdout and "Reviewers" in text.stdout


def test_burn_down_over_time(store: Store) -> None:
    """Running totals per day: box 1 of F1 holds 75 counted sheets over 16 pages, 10 scanned
    on 2 Nov and 6 on 3 Nov; its pages were decided a day after their batch."""
    figures = compute(store, StatsFilter(), now=NOW)
    rows = {(r["fonds_code"], r["box_no"]): r for r in figures["backlog"]}
    box = [(d["day"], d["scanned_sheets"], d["reviewed_pages"]) for d in rows[("F1", "1")]["days"]]
    assert box == [("2026-11-02", 47, 0), ("2026-11-03", 75, 9), ("2026-11-04", 75, 14)]
    assert rows[("F1", "")]["days"] == rows[("F1", "1")]["days"]  # box 2 has no pages
    f2 = rows[("F2", "")]["days"]
    assert [(d["day"], d["scanned_sheets"], d["reviewed_pages"]) for d in f2] == [
        ("2026-11-03", 100, 0),
        ("2026-11-04", 100, 3),
    ]
    later = compute(store, StatsFilter(since=date(2026, 11, 4)), now=NOW)
    cut = {(r["fonds_code"], r["box_no"]): r for r in later["backlog"]}[("F1", "1")]["days"]
    assert [d["day"] for d in cut] == ["2026-11-04"] and cut[0]["scanned_sheets"] == 75


def _review(store: Store, page_id: int, who: str, at: datetime, decision: str) -> None:
    event = Event(page_id=page_id, stage="review", outcome="ok", agent=who)
    reason = "blurred" if decision == "reject" else None
    store.change_page(
        page_id, event, decision=decision, reason=reason, decided_by=who, decided_at=at
    )


def test_reviewer_pages_per_hour_from_active_time(settings: StationSettings) -> None:
    """Gaps of 2, 3 and 1 minutes count; the 25-minute pause does not: 5 decisions in
    6 minutes of work are 50 pages an hour."""
    store = Store.open(settings.database_url)
    batch = store.create_batch("b", Path("/x"), "default", None)
    ids = [
        store.add_page(
            batch, seq=n, source_file=f"{n}.tif", page_index=0, sha256=f"{n:064x}",
            master_path=Path("m"),
        )
        for n in range(5)
    ]  # fmt: skip
    start = datetime(2026, 11, 5, 9, 0, tzinfo=UTC)
    for page_id, minutes in zip(ids, (0, 2, 5, 30, 31), strict=True):
        _review(store, page_id, "dung", start + timedelta(minutes=minutes), "approve")
    figures = compute(store, StatsFilter(), now=NOW)
    (rev,) = figures["throughput"]["reviewer"]
    assert rev["decisions"] == 5 and rev["active_hours"] == 0.1
    assert rev["pages_per_hour"] == 50.0
    assert (
        compute(store, StatsFilter(since=date(2026, 11, 6)), now=NOW)["throughput"]["reviewer"]
        == []
    )


def _tallies(store: Store) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    with store.engine.connect() as connection:
        tally = connection.execute(
            text(
                "select batch_id, folder_id, state, error_code, decision, reason, decided_by,"
                " decided_day, rescan, pages from page_tally where pages <> 0"
                " order by 1, 2, 3, 4, 5, 6, 7, 8, 9"
            )
        ).all()
        times = connection.execute(
            text("select reviewer, day, round(active_s) from review_time order by 1, 2")
        ).all()
    return [tuple(r) for r in tally], [tuple(r) for r in times]


def test_rollups_equal_the_aggregate_from_scratch(settings: StationSettings) -> None:
    """A random history through the Store API (intake, results, placing, decisions and
    re-decisions, rescans): the rollups kept on every write equal the ones migration 0009
    computes from the pages."""
    store = Store.open(settings.database_url)
    rng = random.Random(13)
    with store.session() as s:
        for n in range(4):
            s.add(Folder(folder_id=f"R/{n}", id=100 + n, fonds_code="R", box_no=str(n % 2)))
    clock = datetime(2026, 11, 10, 8, 0, tzinfo=UTC)
    pages: list[int] = []
    seq = 0
    for b in range(3):
        batch = store.create_batch(f"r{b}", Path("/x"), rng.choice(["p1", "p2"]), None)
        store.set_batch_source(
            batch, source_dir=Path("/x"), operator=f"op{b % 2}", station_name="s", origin="cli"
        )
        mine = []
        for _ in range(rng.randint(8, 15)):
            seq += 1
            mine.append(
                store.add_page(
                    batch, seq=seq, source_file=f"{seq}.tif", page_index=0,
                    sha256=f"{seq:064x}", master_path=Path("m"),
                )
            )  # fmt: skip
        for page_id in mine:
            failed = rng.random() < 0.2
            values = (
                {"state": "failed", "error_code": rng.choice(["decode", "ocr"])}
                if failed
                else {"state": "ok"}
            )
            store.record_page_result(page_id, values, [])
        store.place_pages(f"R/{rng.randrange(4)}", mine, "p1")
        pages += mine
    reviewers = ["an", "binh"]
    for _ in range(60):
        clock += timedelta(minutes=rng.choice([1, 3, 7, 12, 40]))
        _review(
            store,
            rng.choice(pages),
            rng.choice(reviewers),
            clock,
            rng.choice(["approve", "reject", "blank"]),
        )
    rejected = [p for p in pages if (page := store.get_page(p)) and page.decision == "reject"]
    slip_batch = store.create_batch("rescans", Path("/x"), "p1", None)
    for old in rejected[:3]:
        seq += 1
        new = store.add_page(
            slip_batch, seq=seq, source_file=f"{seq}.tif", page_index=0,
            sha256=f"{seq:064x}", master_path=Path("m"),
        )  # fmt: skip
        store.update_page(new, state="ok", rescan_of=old)
        store.replace_page(old, new, new, [])
    live = _tallies(store)
    with store.engine.begin() as connection:
        backfill_rollups(connection)
    scratch = _tallies(store)
    assert live[0] == scratch[0] and sum(r[-1] for r in live[0]) == seq
    # review time: re-decisions count as work when made, and the pages keep only their
    # latest decision, so the live total is at least the one rebuilt from the pages
    assert {r[0] for r in live[1]} == {r[0] for r in scratch[1]}
    assert sum(r[2] for r in live[1]) >= sum(r[2] for r in scratch[1]) > 0
