"""Issue 13 figures on a generated history with known answers."""

from __future__ import annotations

import json
import random
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from station.settings import StationSettings
from station.stats.figures import StatsFilter, compute
from station.store import Batch, ExportVersion, Folder, Page, Store

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
    assert ops["an"]["pages_per_hour"] == 8.0
    rev = figures["throughput"]["reviewer"][0]
    assert rev["reviewer"] == "cuc" and rev["decisions"] == 9 + 5 + 3
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
    assert text.exit_code == 0 and "Operators" in text.stdout
