"""Rejects and rescans per operator, profile and scanning station, and the OCR confidence
histogram, on a generated history with known answers (both databases)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from station.store import Batch, Folder, Page, Store

DAY0 = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)

# (operator, station, profile, day, [(decision, reason, rescanned, confidence), ...])
PLAN = [
    ("an", "may-1", "text-gray-300", 0, [("reject", "blurred", True, 91.0)] * 3),
    ("an", "may-1", "text-gray-300", 0, [("reject", "cut_off", False, 55.5)] * 2),
    ("binh", "may-2", "photo-color", 1, [("reject", "blurred", False, 9.99)] * 1),
    ("binh", "may-2", "photo-color", 1, [("approve", None, False, 100.0)] * 4),
    ("an", "may-2", "text-gray-300", 9, [("reject", "blurred", True, 70.0)] * 2),
]


def _history(store: Store) -> None:
    with store.session() as s:
        s.add(Folder(folder_id="F1/1/1", fonds_code="F1", box_no="1", folder_no="1", title="t"))
        s.add(Folder(folder_id="F2/1/1", fonds_code="F2", box_no="1", folder_no="1", title="t"))
        seq = 0
        for operator, station, profile, day, pages in PLAN:
            batch = Batch(
                name=f"{operator}-{day}-{seq}",
                source_dir="/x",
                profile=profile,
                started_at=DAY0 + timedelta(days=day),
                operator=operator,
                station_name=station,
            )
            s.add(batch)
            s.flush()
            for decision, reason, rescanned, confidence in pages:
                seq += 1
                s.add(
                    Page(
                        batch_id=batch.id,
                        seq=seq,
                        source_file=f"{seq}.tif",
                        sha256=f"{seq:064x}",
                        master_path="m",
                        folder_id="F2/1/1" if operator == "binh" else "F1/1/1",
                        state="ok",
                        decision=decision,
                        reason=reason,
                        replaced_by=10_000 + seq if rescanned else None,
                        ocr_confidence=confidence,
                    )
                )
        # a blank page is not read: no confidence, not in the histogram
        s.add(
            Page(
                batch_id=1, seq=99, source_file="b.tif", sha256="b" * 64, master_path="m",
                state="ok", blank=True, ocr_confidence=None,
            )
        )  # fmt: skip
        s.commit()


def test_rejects_and_rescans_per_operator_profile_and_station(database_url: str) -> None:
    store = Store.open(database_url)
    _history(store)
    rows = {
        (r["operator"], r["profile"], r["station_name"], r["reason"]): (
            r["rejects"],
            r["rescanned"],
        )
        for r in store.stats_rejects_by_source(None, None, None, None)
    }
    assert rows == {
        ("an", "text-gray-300", "may-1", "blurred"): (3, 3),
        ("an", "text-gray-300", "may-1", "cut_off"): (2, 0),
        ("binh", "photo-color", "may-2", "blurred"): (1, 0),
        ("an", "text-gray-300", "may-2", "blurred"): (2, 2),
    }
    first_week = store.stats_rejects_by_source(date(2026, 11, 2), date(2026, 11, 8), None, None)
    assert sum(r["rejects"] for r in first_week) == 6  # the day-9 batch is outside
    of_f2 = store.stats_rejects_by_source(None, None, "F2", None)
    assert [(r["operator"], r["rejects"]) for r in of_f2] == [("binh", 1)]
    store.engine.dispose()


def test_ocr_confidence_in_buckets_of_ten(database_url: str) -> None:
    store = Store.open(database_url)
    _history(store)
    # 9.99 is in 0-9 on both databases (no rounding up), 100 goes with the nineties
    assert store.stats_ocr_confidence(None, None, None, None) == {0: 1, 50: 2, 70: 2, 90: 7}
    assert store.stats_ocr_confidence(None, None, None, "photo-color") == {0: 1, 90: 4}
    assert store.stats_ocr_confidence(date(2026, 11, 11), None, None, None) == {70: 2}
    store.engine.dispose()


def test_the_figures_and_the_page_carry_them(database_url: str) -> None:
    """`station stats --json` and /stats: rejects per operator, profile and station, and
    the confidence histogram, as chart panels and as rows of the quality CSV."""
    from qa.stats import sections, tables
    from station.stats.figures import StatsFilter, compute

    store = Store.open(database_url)
    _history(store)
    quality = compute(store, StatsFilter(), now=DAY0 + timedelta(days=20))["quality"]
    sources = {
        (r["station"], r["reason"], r["rejects"], r["rescanned"])
        for r in quality["rejects_by_source"]
    }
    assert sources == {
        ("may-1", "blurred", 3, 3),
        ("may-1", "cut_off", 2, 0),
        ("may-2", "blurred", 1, 0),
        ("may-2", "blurred", 2, 2),
    }
    assert quality["ocr_confidence"] == [
        {"from": 0, "to": 10, "pages": 1},
        {"from": 50, "to": 60, "pages": 2},
        {"from": 70, "to": 80, "pages": 2},
        {"from": 90, "to": 100, "pages": 7},
    ]
    rows = tables({"quality": quality})["quality"].rows
    assert ["rejects_by_station", "may-1", 5.0] in rows
    assert ["rejects_by_station", "may-2", 3.0] in rows
    assert ["rejects_by_operator", "an", 7.0] in rows
    assert ["ocr_confidence", "90-100", 7.0] in rows and ["ocr_confidence", "10-20", 0.0] in rows
    (section,) = [s for s in sections({"quality": quality}) if s.key == "quality"]
    titles = [panel.title for panel in section.panels]
    assert "Rejected pages by scanning station" in titles
    assert "OCR confidence of the latest pages read" in titles
    store.engine.dispose()


def test_pages_per_scanning_station(database_url: str) -> None:
    """Throughput per station (batch.done's station), beside per operator, in the JSON, on
    the page and in the throughput CSV."""
    from qa.stats import sections, tables
    from station.stats.figures import StatsFilter, compute

    store = Store.open(database_url)
    _history(store)
    throughput = compute(store, StatsFilter(), now=DAY0 + timedelta(days=20))["throughput"]
    stations = {r["station"]: (r["pages"], r["batches"]) for r in throughput["station"]}
    assert stations == {"may-1": (6, 2), "may-2": (7, 3)}  # the blank page is may-1's
    may2 = next(r for r in throughput["station"] if r["station"] == "may-2")
    assert [(d["day"], d["pages"], d["batches"]) for d in may2["per_day"]] == [
        ("2026-11-03", 5, 2),  # binh's two batches that day, one row
        ("2026-11-11", 2, 1),
    ]
    operators = {r["operator"]: r["pages"] for r in throughput["operator"]}
    assert operators == {"an": 8, "binh": 5}
    rows = tables({"throughput": throughput})["throughput"].rows
    assert ["station", "may-2", "", 7, 3, 0, ""] in rows
    (section,) = [s for s in sections({"throughput": throughput}) if s.key == "throughput"]
    assert "Pages scanned per station" in [panel.title for panel in section.panels]
    store.engine.dispose()


def test_the_room_now_beside_the_history(database_url: str, tmp_path: Path) -> None:
    """Pages per minute of each worker over the last minutes, and on the queue (PostgreSQL)
    its depth and live workers: in the JSON and in the processing section's summary."""
    from qa.stats import sections
    from station.settings import load_settings
    from station.stats.figures import StatsFilter, add_work_now, compute

    store = Store.open(database_url)
    _history(store)
    settings = load_settings(database_url=database_url, data_dir=tmp_path)
    figures = compute(store, StatsFilter())
    add_work_now(figures, store, settings)
    now = figures["processing"]["now"]
    assert now["window_minutes"] == 5 and now["pages_per_minute"] == {}  # nothing recent
    assert ("queue" in now) == settings.distributed
    if settings.distributed:
        assert now["queue"]["live_workers"] == 0
        assert any(line.startswith("Queue: ") for line in now["summary"])
    (section,) = [s for s in sections(figures) if s.key == "processing"]
    assert section.summary == " · ".join(now["summary"]).strip(" ·")
    store.engine.dispose()
