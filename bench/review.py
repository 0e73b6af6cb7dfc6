"""Benchmark the review web app on a station database of 1,000,000 pages in 10,000 folders.

    .venv/bin/python bench/review.py [--requests 20] [--warmups 2] [--patch FILE] [--rebuild]

Not a timed test: it measures and writes down. What it does:

1. builds (once; reused while the sizes and the generator are the same) a SQLite station
   database under bench/results/review-db/ (git-ignored): 10,000 manifest folders in 200
   boxes (a few marked Mật, the last 1% not scanned yet), 1,000,000 page rows (about 100 per
   folder, one folder with exactly 1,000), flags on about 5% of pages, decisions on about
   half the folders, rescanned pages in approved folders, the folders' review counts as
   `store._refresh_review` sets them (computed in bulk, checked against it on a sample),
   210 batches with operators and users with Argon2 hashes. Rows go in with executemany
   through the store's engine, in a child process; every page shares one real thumbnail,
   preview and hOCR file inside the data directory;
2. builds the app as `station serve` does, logs in through `POST /api/login` and times
   each request in-process (Starlette's TestClient): server time = from the app receiving
   the request to the last byte of its answer (an ASGI wrapper around the app), median,
   p95 and max over `--requests` requests after `--warmups`, with the CPU and garbage
   collector time of each;
3. with `--patch FILE`: the same again with a proposed diff applied to a copy of station/
   and qa/ (its migrations to a copy of the database), in a child process: a fix measured
   before it is made;
4. times a few of the same requests through uvicorn over loopback HTTP (a child process),
   to show what the network and the HTTP server add;
5. writes bench/results/review.json and the section "## Review app" of docs/benchmarks.md
   (only that section: the rest of the file belongs to bench/run.py, which keeps it).

`--only NAME` measures a few requests and writes nothing (for profiling rounds).
"""

from __future__ import annotations

import argparse
import gc
import json
import math
import os
import platform
import random
import shutil
import socket
import sqlite3
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

REPO = Path(__file__).resolve().parent.parent
SOURCE_VARIABLE = "BENCH_REVIEW_SOURCE"  # a patched copy of station/ and qa/ (--patch)
DATABASE_VARIABLE = "BENCH_REVIEW_DATABASE"  # a copy of the database, for a patch's migration
sys.path.insert(0, os.environ.get(SOURCE_VARIABLE) or str(REPO))

DEFAULT_DB_DIR = REPO / "bench" / "results" / "review-db"
RESULTS = REPO / "bench" / "results" / "review.json"
DOC = REPO / "docs" / "benchmarks.md"
SECTION = "## Review app"
GENERATOR = 2  # bump when the generated rows change: a cached database is then rebuilt
PASSWORD = "bench-review-password"
REVIEWER, ARCHIVIST = "rev1", "arch"
OPERATORS = ("op1", "op2", "op3", "op4")


@dataclass(frozen=True)
class Sizes:
    folders: int = 10_000
    pages: int = 1_000_000
    boxes: int = 200
    big_folder_pages: int = 1_000
    seed: int = 7


# --- building the database ------------------------------------------------------------------

TITLES = (
    "Công văn về việc tổ chức hội nghị tổng kết",
    "Báo cáo tình hình thực hiện nhiệm vụ",
    "Quyết định phê duyệt kế hoạch",
    "Tờ trình đề nghị cấp kinh phí",
    "Hồ sơ hội nghị cán bộ công chức",
    "Biên bản kiểm tra công tác văn thư lưu trữ",
    "Kế hoạch cải cách hành chính",
    "Hồ sơ xét duyệt thi đua khen thưởng",
    "Sổ đăng ký văn bản đi",
    "Hồ sơ giải quyết đơn thư khiếu nại",
)
# Flags a page can carry (station.pipeline.assess and read_text, station.room.assembly), with
# how often: about 5% of pages carry at least one.
PAGE_FLAGS = (
    (0.015, ("blurred",)),
    (0.030, ("possible_blank",)),
    (0.040, ("low_ocr_confidence",)),
    (0.044, ("too_dark",)),
    (0.047, ("skew_unknown", "orientation_uncertain")),
    (0.049, ("possible_duplicate",)),
    (0.050, ("low_dpi", "blurred")),
)
FAILED_RATE = 0.001  # pages that failed processing (a "failed" flag in the folder's counts)
# Review state of a scanned folder: untouched (to_review), partly decided (to_review), all
# decided with rejected pages waiting (rescan), all decided (ready), approved.
CATEGORIES = (
    ("untouched", 0.50),
    ("progress", 0.10),
    ("rescan", 0.10),
    ("ready", 0.10),
    ("approved", 0.20),
)
STAGES = ("load", "find_separator", "orient", "deskew", "clean", "assess", "read_text", "render")
STAGE_MS = (36, 14, 32, 108, 49, 53, 986, 37)
T0 = datetime(2026, 9, 1, 7, 30, tzinfo=UTC)


def ts(moment: datetime) -> str:
    """A datetime as SQLAlchemy's SQLite dialect stores it."""
    return moment.strftime("%Y-%m-%d %H:%M:%S.%f")


def dumps(value: Any) -> str:
    return json.dumps(value)


@dataclass
class FolderPlan:
    number: int
    folder_id: str
    box: int
    secrecy: str
    category: str  # "empty" for not scanned yet
    size: int = 0  # current pages (separator sheet included)
    replacements: int = 0  # rescanned pages (2 more rows each: the slip and the new page)


def plan_folders(sizes: Sizes, rng: random.Random) -> tuple[list[FolderPlan], int]:
    """Every folder's category and page count; the page rows add up to exactly sizes.pages."""
    big = max(1, min(137, sizes.folders))
    empty_from = sizes.folders - sizes.folders // 100 + 1
    plans = []
    for n in range(1, sizes.folders + 1):
        box = (n - 1) * sizes.boxes // sizes.folders + 1
        secrecy = "Mật" if n % 397 == 0 and n != big else ""
        if n >= empty_from and n != big:
            category = "empty"
        elif n == big:
            category = "progress"
        else:
            pick, category = rng.random(), CATEGORIES[-1][0]
            for name, share in CATEGORIES:
                if pick < share:
                    category = name
                    break
                pick -= share
        plan = FolderPlan(n, f"05/01/HS-{n:05d}", box, secrecy, category)
        if category == "approved":
            plan.replacements = rng.choices((0, 1, 2), weights=(70, 20, 10))[0]
        plans.append(plan)
    unassigned = 20
    scanned = [p for p in plans if p.category != "empty" and p.number != big]
    budget = (
        sizes.pages - unassigned - sizes.big_folder_pages - 2 * sum(p.replacements for p in plans)
    )
    for plan in scanned:
        plan.size = rng.randint(60, 140)
    shortfall = budget - sum(p.size for p in scanned)
    step = 1 if shortfall > 0 else -1
    index = 0
    while shortfall:
        plan = scanned[index % len(scanned)]
        if plan.size + step >= 8:
            plan.size += step
            shortfall -= step
        index += 1
    plans[big - 1].size = sizes.big_folder_pages
    return plans, big


class Rows:
    """executemany in large transactions through the store's engine."""

    def __init__(
        self,
        engine: Any,
        table: str,
        columns: tuple[str, ...],
        chunk: int = 50_000,
        after: Rows | None = None,
        defaults: dict[str, Any] | None = None,
    ):
        """`after`: the rows these refer to, written first; `defaults`: columns later
        migrations added that most rows leave at their default."""
        self.engine, self.columns, self.chunk, self.after = engine, columns, chunk, after
        self.defaults = defaults or {}
        self.sql = (
            f"insert into {table} ({', '.join(columns)}) values ({', '.join('?' for _ in columns)})"
        )
        self.rows: list[tuple[Any, ...]] = []
        self.count = 0

    def add(self, **values: Any) -> None:
        self.rows.append(
            tuple(values[c] if c in values else self.defaults[c] for c in self.columns)
        )
        if len(self.rows) >= self.chunk:
            self.flush()

    def flush(self) -> None:
        if self.after is not None:
            self.after.flush()
        if self.rows:
            with self.engine.begin() as connection:
                connection.exec_driver_sql(self.sql, self.rows)
            self.count += len(self.rows)
            self.rows = []


PAGE_COLUMNS = (
    "id",
    "batch_id",
    "seq",
    "source_file",
    "page_index",
    "sha256",
    "master_path",
    "state",
    "error",
    "error_code",
    "failed_stage",
    "dpi",
    "width_px",
    "height_px",
    "color_mode",
    "rotation",
    "skew_deg",
    "blank",
    "blank_probability",
    "sharpness",
    "ocr_confidence",
    "ocr_word_count",
    "flags",
    "timings",
    "derivatives",
    "pdf_page",
    "folder_id",
    "separator",
    "phash",
    "position",
    "decision",
    "reason",
    "decided_by",
    "decided_at",
    "turn",
    "secrecy",
    "rescan_of",
    "replaced_by",
    "updated_at",
    "reading",
    "document_id",
    "folder_label",
    "processed_by",
    "attempts",
)
FOLDER_COLUMNS = (
    "folder_id",
    "id",
    "fonds_code",
    "catalogue_no",
    "box_no",
    "folder_no",
    "title",
    "start_date",
    "end_date",
    "retention_years",
    "access",
    "sheet_count",
    "language",
    "notes",
    "physical_condition",
    "secrecy",
    "in_manifest",
    "state",
    "pages_found",
    "sheets_counted",
    "flags",
    "pdf_path",
    "imported_at",
    "profile",
    "review_state",
    "review_counts",
    "page_flags",
    "operators",
    "approved_by",
    "approved_at",
    "updated_at",
)
BATCH_COLUMNS = (
    "id",
    "name",
    "source_dir",
    "profile",
    "out_dir",
    "state",
    "pdf_path",
    "started_at",
    "finished_at",
    "origin",
    "operator",
    "station_name",
    "folders",
    "taken_in_at",
)
EVENT_COLUMNS = (
    "batch_id",
    "page_id",
    "folder_id",
    "at",
    "stage",
    "outcome",
    "detail",
    "agent",
    "tool",
    "tool_version",
    "document_id",
)


def _check_columns(engine: Any, table: str, columns: tuple[str, ...]) -> None:
    """The generator writes every column: a new migration must be followed here."""
    with engine.connect() as connection:
        have = {row[1] for row in connection.exec_driver_sql(f"pragma table_info({table})")}
    missing, unknown = have - set(columns) - {"id"}, set(columns) - have
    if missing or unknown:
        raise SystemExit(
            f"bench/review.py: table {table} has columns {sorted(missing)} the generator does "
            f"not write, and lacks {sorted(unknown)}: update the generator (GENERATOR += 1)"
        )


def _shared_files(data_dir: Path) -> dict[str, str]:
    """One real thumbnail, preview and hOCR file that every page points at."""
    from PIL import Image, ImageDraw

    shared = data_dir / "derivatives" / "shared"
    shared.mkdir(parents=True, exist_ok=True)
    picture = Image.new("L", (1240, 1754), 255)
    draw = ImageDraw.Draw(picture)
    for line in range(30):
        draw.text((100, 120 + 50 * line), "Công văn số 12/CV-UBND về việc " * 2, fill=0)
    picture.resize((620, 877)).save(shared / "preview.jpg", quality=80)
    picture.resize((160, 226)).save(shared / "thumbnail.jpg", quality=80)
    (shared / "page.hocr").write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n<html xmlns="http://www.w3.org/1999/xhtml">'
        '<body><div class="ocr_page" title="bbox 0 0 1240 1754"><p class="ocr_par">'
        '<span class="ocr_line" title="bbox 100 100 900 140">'
        '<span class="ocrx_word" title="bbox 100 100 200 140; x_wconf 95">Công</span> '
        '<span class="ocrx_word" title="bbox 210 100 300 140; x_wconf 42">văn</span>'
        "</span></p></div></body></html>\n",
        encoding="utf-8",
    )
    return {
        "thumbnail": str(shared / "thumbnail.jpg"),
        "preview": str(shared / "preview.jpg"),
        "hocr": str(shared / "page.hocr"),
        "pdf": str(shared / "page.pdf"),
    }


def build(db_dir: Path, sizes: Sizes) -> dict[str, Any]:
    """Write the database; returns the landmarks the measurements use."""
    from sqlalchemy import text

    from station import auth
    from station.store import Store, review_state_of

    started = time.perf_counter()
    if db_dir.exists():
        shutil.rmtree(db_dir)
    data_dir = db_dir / "data"
    data_dir.mkdir(parents=True)
    store = Store.open(f"sqlite:///{data_dir / 'station.db'}")
    engine = store.engine
    for table, columns in (
        ("page", PAGE_COLUMNS),
        ("folder", FOLDER_COLUMNS),
        ("batch", BATCH_COLUMNS),
        ("event", EVENT_COLUMNS),
    ):
        _check_columns(engine, table, columns)
    # Indexes are made after the rows (the same indexes, from the migrations' own SQL).
    with engine.begin() as connection:
        indexes = list(
            connection.exec_driver_sql(
                "select name, sql from sqlite_master where type = 'index' and sql is not null "
                "and tbl_name in ('page', 'event')"
            )
        )
        for name, _sql in indexes:
            connection.exec_driver_sql(f"drop index {name}")
    for name, role, clearance in (
        (REVIEWER, "reviewer", ""),
        ("rev2", "reviewer", ""),
        ("rev3", "reviewer", "Mật"),
        (ARCHIVIST, "archivist", "Mật"),
        *((op, "operator", "") for op in OPERATORS),
    ):
        store.add_user(
            name, role=role, clearance=clearance, password_hash=auth.hash_password(PASSWORD)
        )

    rng = random.Random(sizes.seed)
    plans, big = plan_folders(sizes, rng)
    derivatives = dumps(_shared_files(data_dir))
    masters = data_dir / "masters"
    timings_pool = [
        dumps(
            {
                s: round(ms * rng.uniform(0.8, 1.25), 1)
                for s, ms in zip(STAGES, STAGE_MS, strict=True)
            }
        )
        for _ in range(64)
    ]
    pages = Rows(
        engine,
        "page",
        PAGE_COLUMNS,
        defaults={"reading": None, "document_id": None, "folder_label": None, "attempts": 0},
    )
    events = Rows(engine, "event", EVENT_COLUMNS, after=pages, defaults={"document_id": None})
    folder_rows = Rows(engine, "folder", FOLDER_COLUMNS)
    batch_rows = Rows(engine, "batch", BATCH_COLUMNS)

    # Batches: one per box (an operator feeds a box at a time), ten of rescans.
    box_batch = {box: box for box in range(1, sizes.boxes + 1)}
    rescan_batches = list(range(sizes.boxes + 1, sizes.boxes + 11))
    batch_operator = {
        b: OPERATORS[b % len(OPERATORS)] for b in [*box_batch.values(), *rescan_batches]
    }
    batch_start = {b: T0 + timedelta(hours=4 * b) for b in batch_operator}
    batch_folders: dict[int, dict[str, Any]] = {b: {} for b in batch_operator}
    seq = dict.fromkeys(batch_operator, 0)
    for batch, operator in batch_operator.items():
        rescan = batch in rescan_batches
        name = f"rescan-{batch - sizes.boxes:02d}" if rescan else f"box-{batch:03d}"
        batch_rows.add(
            id=batch,
            name=name,
            source_dir=f"/srv/hotfolders/text-gray-300/{name}",
            profile="text-gray-300",
            out_dir=None,
            state="done",
            pdf_path=None,
            started_at=ts(batch_start[batch]),
            finished_at=ts(batch_start[batch] + timedelta(hours=2)),
            origin="hotfolder",
            operator=operator,
            station_name=f"s{batch % 2 + 1}",
            folders="{}",
            taken_in_at=ts(batch_start[batch] + timedelta(minutes=10)),
        )
    batch_rows.flush()  # batches first: pages refer to them
    page_id = 0
    landmarks: dict[str, Any] = {
        "big_folder": big,
        "secret_folders": sum(1 for p in plans if p.secrecy),
        "empty_folders": sum(1 for p in plans if p.category == "empty"),
    }
    reviewer_of = ("rev1", "rev2", "rev3")

    def add_page(folder: FolderPlan, batch: int, position: int | None, **values: Any) -> int:
        nonlocal page_id
        page_id += 1
        seq[batch] += 1
        number = seq[batch]
        row = {
            "id": page_id,
            "batch_id": batch,
            "seq": number - 1,
            "source_file": f"scan_{number:05d}.tif",
            "page_index": 0,
            "sha256": f"{rng.getrandbits(256):064x}",
            "master_path": str(masters / f"{batch:04d}" / f"scan_{number:05d}.tif"),
            "state": "ok",
            "error": None,
            "error_code": None,
            "failed_stage": None,
            "dpi": 300.0,
            "width_px": 2480,
            "height_px": 3508,
            "color_mode": "L",
            "rotation": rng.choice((0, 0, 0, 0, 0, 0, 180, 90)),
            "skew_deg": round(rng.uniform(-2.5, 2.5), 2),
            "blank": False,
            "blank_probability": round(rng.uniform(0.0, 0.2), 3),
            "sharpness": round(rng.uniform(0.3, 0.9), 3),
            "ocr_confidence": round(rng.uniform(75, 96), 1),
            "ocr_word_count": rng.randint(80, 420),
            "flags": "[]",
            "timings": timings_pool[page_id % 64],
            "derivatives": derivatives,
            "pdf_page": None,
            "folder_id": folder.folder_id,
            "separator": None,
            "phash": f"{rng.getrandbits(64):016x}",
            "position": position,
            "decision": None,
            "reason": None,
            "decided_by": None,
            "decided_at": None,
            "turn": 0,
            "secrecy": "",
            "rescan_of": None,
            "replaced_by": None,
            "updated_at": ts(batch_start[batch] + timedelta(seconds=number)),
            "processed_by": f"s{batch % 2 + 1}",
        } | values
        pages.add(**row)
        return page_id

    scanned_so_far = 0
    for folder in plans:
        n, box = folder.number, str(folder.box)
        year = 1995 + n % 26
        title = f"{TITLES[n % len(TITLES)]} năm {year}"
        base = {
            "folder_id": folder.folder_id,
            "id": n,
            "fonds_code": "05",
            "catalogue_no": "01",
            "box_no": box,
            "folder_no": str(n),
            "title": title,
            "start_date": date(year, 1, 1).isoformat(),
            "end_date": date(year, 12, 31).isoformat(),
            "retention_years": (None, 10, 20, 50, 70)[n % 5],
            "access": "",
            "language": "vi",
            "notes": "",
            "physical_condition": "" if n % 13 else "Giấy giòn, ố vàng",
            "secrecy": folder.secrecy,
            "in_manifest": 1,
            "imported_at": ts(T0),
        }
        events.add(
            batch_id=None,
            page_id=None,
            folder_id=folder.folder_id,
            at=ts(T0),
            stage="manifest",
            outcome="ok",
            detail=dumps({"source": "manifest.xlsx", "action": "added"}),
            agent="station",
            tool=None,
            tool_version=None,
        )
        if folder.category == "empty":
            folder_rows.add(
                **base,
                sheet_count=rng.randint(20, 150),
                state="expected",
                pages_found=0,
                sheets_counted=0,
                flags="[]",
                pdf_path=None,
                profile="",
                review_state="empty",
                review_counts=None,
                page_flags=None,
                operators=None,
                approved_by=None,
                approved_at=None,
                updated_at=ts(T0),
            )
            continue
        scanned_so_far += 1
        batch = box_batch[folder.box]
        scanned_at = batch_start[batch]
        counts = {"pages": 0, "undecided": 0, "approve": 0, "reject": 0, "blank": 0, "separator": 0}
        flag_counts: dict[str, int] = {}
        operators = {batch_operator[batch]}
        reviewer = reviewer_of[n % 3]
        decided_at = scanned_at + timedelta(days=2 + n % 5)
        document_pages = failed_pages = 0
        in_pdf = 0
        decide_upto = {
            "untouched": 0,
            "progress": int(folder.size * rng.uniform(0.2, 0.8)),
        }.get(folder.category, folder.size)
        replace_at = set(
            rng.sample(range(2, folder.size + 1), folder.replacements)
            if folder.replacements
            else []
        )
        rejects_wanted = folder.category == "rescan"
        plan_rows: list[dict[str, Any]] = []
        for position in range(1, folder.size + 1):
            if position == 1:  # the separator sheet that starts the folder
                plan_rows.append(
                    {
                        "separator": folder.folder_id,
                        "flags": "[]",
                        "ocr_confidence": None,
                        "ocr_word_count": None,
                        "blank_probability": 0.0,
                    }
                )
                counts["pages"] += 1
                counts["separator"] += 1
                continue
            values: dict[str, Any] = {}
            flags: tuple[str, ...] = ()
            failed = folder.category not in ("ready", "approved") and rng.random() < FAILED_RATE
            if failed:
                values |= {
                    "state": "failed",
                    "error": "Cannot read the image: truncated TIFF",
                    "error_code": "decode_failed",
                    "failed_stage": "load",
                    "derivatives": "{}",
                    "rotation": None,
                    "skew_deg": None,
                    "blank_probability": None,
                    "sharpness": None,
                    "ocr_confidence": None,
                    "ocr_word_count": None,
                    "dpi": None,
                    "width_px": None,
                    "height_px": None,
                    "color_mode": None,
                }
            else:
                pick = rng.random()
                for below, names in PAGE_FLAGS:
                    if pick < below:
                        flags = names
                        break
            blank = False
            if "possible_blank" in flags:
                probability = round(rng.uniform(0.6, 0.99), 3)
                blank = probability >= 0.9
                values |= {
                    "blank_probability": probability,
                    "blank": blank,
                    "ocr_word_count": 0 if blank else 3,
                }
            if "low_ocr_confidence" in flags:
                values["ocr_confidence"] = round(rng.uniform(35, 59), 1)
            decision = reason = None
            if position <= decide_upto or position in replace_at:
                if failed:
                    decision, reason = "reject", "other: tệp hỏng, quét lại"
                elif blank:
                    decision = "blank"
                elif "blurred" in flags and folder.category in ("rescan", "progress"):
                    decision, reason = "reject", "blurred"
                else:
                    decision = "approve"
            if folder.category == "rescan" and position == folder.size and rejects_wanted:
                decision, reason = "reject", "skewed"
            if decision == "reject":
                rejects_wanted = False
            if decision:
                values |= {
                    "decision": decision,
                    "reason": reason,
                    "decided_by": reviewer,
                    "decided_at": ts(decided_at),
                }
            values["flags"] = dumps(list(flags))
            if not failed and decision != "blank":
                in_pdf += 1
                values["pdf_page"] = in_pdf
            if n % 997 == 0 and position == 5 and not folder.secrecy:
                values["secrecy"] = "Mật"  # a reviewer marked one page
            plan_rows.append(values | {"_flags": flags, "_failed": failed})
        for position, values in enumerate(plan_rows, start=1):
            flags, failed = values.pop("_flags", ()), values.pop("_failed", False)
            if position in replace_at:
                # rejected, rescanned: the old page stays (replaced_by), a slip and the new
                # page come in a rescan batch; the new page takes the old one's place.
                old_id = page_id + 1
                new_id = old_id + 2
                add_page(
                    folder,
                    batch,
                    position,
                    **values
                    | {
                        "decision": "reject",
                        "reason": "blurred",
                        "flags": '["blurred"]',
                        "replaced_by": new_id,
                        "pdf_page": None,
                    },
                )
                rescan = rescan_batches[n % len(rescan_batches)]
                add_page(
                    folder,
                    rescan,
                    None,
                    rescan_of=old_id,
                    ocr_confidence=None,
                    ocr_word_count=None,
                    pdf_page=None,
                )
                add_page(
                    folder,
                    rescan,
                    position,
                    **{
                        k: v
                        for k, v in values.items()
                        if k in ("pdf_page", "decision", "decided_by", "decided_at")
                    },
                )
                operators.add(batch_operator[rescan])
                flags, failed = (), False
                values = {"decision": values.get("decision")}
            else:
                add_page(folder, batch, position, **values)
            if values.get("separator") is None and position > 1:
                counts["pages"] += 1
                document_pages += 1
                counts[values.get("decision") or "undecided"] += 1
                for flag in [*flags, *(["failed"] if failed else [])]:
                    flag_counts[flag] = flag_counts.get(flag, 0) + 1
                failed_pages += failed
                if values.get("decision"):
                    events.add(
                        batch_id=batch,
                        page_id=page_id,
                        folder_id=folder.folder_id,
                        at=ts(decided_at),
                        stage="review",
                        outcome="ok",
                        detail=dumps(
                            {
                                "action": "decision",
                                "before": {"decision": None, "reason": None},
                                "after": {
                                    "decision": values["decision"],
                                    "reason": values.get("reason"),
                                },
                            }
                        ),
                        agent=reviewer,
                        tool=None,
                        tool_version=None,
                    )
        approved = folder.category == "approved"
        sheets = document_pages
        sheet_count = sheets if n % 29 else sheets + 1
        folder_flags: list[dict[str, Any]] = []
        if sheet_count != sheets:
            folder_flags.append(
                {"code": "sheet_count_mismatch", "expected": sheet_count, "found": sheets}
            )
        if failed_pages:
            folder_flags.append({"code": "pages_failed", "pages": failed_pages})
        counted = SimpleNamespace(
            review_counts=counts, approved_at=decided_at if approved else None
        )
        state = review_state_of(counted)  # type: ignore[arg-type]
        pdf = str(REPO / "out" / "text-gray-300" / f"box-{folder.box:03d}" / f"{n:05d}.pdf")
        folder_rows.add(
            **base,
            sheet_count=sheet_count,
            state="flagged" if folder_flags else "done",
            pages_found=in_pdf,
            sheets_counted=sheets,
            flags=dumps(folder_flags),
            pdf_path=pdf,
            profile="text-gray-300",
            review_state=state,
            review_counts=dumps(counts),
            page_flags=dumps(flag_counts),
            operators=dumps(sorted(operators)),
            approved_by=ARCHIVIST if approved else None,
            approved_at=ts(decided_at + timedelta(hours=3)) if approved else None,
            updated_at=ts(decided_at),
        )
        batch_folders[batch][folder.folder_id] = {"pdf": pdf, "pages": in_pdf}
        events.add(
            batch_id=batch,
            page_id=None,
            folder_id=folder.folder_id,
            at=ts(scanned_at + timedelta(hours=1)),
            stage="reconcile",
            outcome="flagged" if folder_flags else "ok",
            detail=dumps(
                {
                    "expected_sheets": sheet_count,
                    "sheets_counted": sheets,
                    "pages": in_pdf,
                    "flags": folder_flags,
                }
            ),
            agent="station",
            tool=None,
            tool_version=None,
        )
        if approved:
            events.add(
                batch_id=None,
                page_id=None,
                folder_id=folder.folder_id,
                at=ts(decided_at + timedelta(hours=3)),
                stage="review",
                outcome="ok",
                detail=dumps(
                    {
                        "action": "approve_folder",
                        "before": {"review_state": "ready"},
                        "after": {"review_state": "approved"},
                    }
                ),
                agent=ARCHIVIST,
                tool=None,
                tool_version=None,
            )

    # The holding folder for pages no separator placed: 20 pages of box 1's batch.
    holding = FolderPlan(sizes.folders + 1, "unassigned", 1, "", "untouched", 20)
    holding_counts = {
        "pages": 20,
        "undecided": 20,
        "approve": 0,
        "reject": 0,
        "blank": 0,
        "separator": 0,
    }
    for position in range(1, 21):
        add_page(holding, box_batch[1], position, flags='["unknown_separator"]')
    folder_rows.add(
        folder_id="unassigned",
        id=sizes.folders + 1,
        fonds_code="",
        catalogue_no="",
        box_no="",
        folder_no="",
        title="Trang chưa xếp hồ sơ",
        start_date=None,
        end_date=None,
        retention_years=None,
        access="",
        sheet_count=None,
        language="vi",
        notes="",
        physical_condition="",
        secrecy="",
        in_manifest=0,
        state="expected",
        pages_found=0,
        sheets_counted=0,
        flags="[]",
        pdf_path=None,
        imported_at=None,
        profile="text-gray-300",
        review_state="to_review",
        review_counts=dumps(holding_counts),
        page_flags=dumps({"unknown_separator": 20}),
        operators=dumps([batch_operator[box_batch[1]]]),
        approved_by=None,
        approved_at=None,
        updated_at=ts(T0),
    )
    folder_rows.flush()
    pages.flush()
    events.flush()
    with engine.begin() as connection:  # what each batch produced, known only now
        connection.exec_driver_sql(
            "update batch set folders = ? where id = ?",
            [(dumps(found), batch) for batch, found in batch_folders.items()],
        )
    with engine.begin() as connection:
        for name, sql in indexes:
            started_index = time.perf_counter()
            connection.exec_driver_sql(sql)
            print(f"  index {name}: {time.perf_counter() - started_index:.1f} s", flush=True)
    with engine.connect() as connection:
        connection.execute(text("pragma wal_checkpoint(TRUNCATE)"))
    assert pages.count == sizes.pages, (pages.count, sizes.pages)
    page_numbers = _landmarks(store, big)
    landmarks |= page_numbers
    checked = check_counts(store, plans, big)
    seconds = round(time.perf_counter() - started, 1)
    return landmarks | {
        "build_seconds": seconds,
        "rows": {
            "page": pages.count,
            "folder": folder_rows.count,
            "event": events.count,
            "batch": batch_rows.count,
        },
        "counts_checked_against_refresh_review": checked,
    }


def _landmarks(store: Any, big: int) -> dict[str, Any]:
    """Ids the requests use: the big folder, an undecided unflagged page in it, a box."""
    from sqlmodel import Session, col, select

    from station.store import Folder, Page

    with Session(store.engine) as s:
        folder = s.exec(select(Folder).where(Folder.id == big)).one()
        page = s.exec(
            select(Page)
            .where(
                Page.folder_id == folder.folder_id,
                col(Page.decision).is_(None),
                col(Page.separator).is_(None),
                Page.state == "ok",
            )
            .order_by(col(Page.position).desc())
        ).first()
        shown = s.exec(
            select(Page)
            .where(
                Page.folder_id == folder.folder_id,
                col(Page.separator).is_(None),
                Page.state == "ok",
            )
            .order_by(col(Page.position))
        ).first()
        assert page is not None and shown is not None
        return {
            "big_folder_id": folder.folder_id,
            "big_folder_box": folder.box_no,
            "decision_page": page.id,
            "view_page": shown.id,
        }


def check_counts(store: Any, plans: list[FolderPlan], big: int) -> int:
    """The bulk-computed review fields equal what `_refresh_review` makes of the rows."""
    from sqlmodel import Session

    from station.store import Folder, _refresh_review

    sample = {plans[big - 1].folder_id, "unassigned"}
    rng = random.Random(1)
    for category in ("untouched", "progress", "rescan", "ready", "approved"):
        of_kind = [p for p in plans if p.category == category]
        sample |= {p.folder_id for p in rng.sample(of_kind, min(6, len(of_kind)))}
    sample |= {p.folder_id for p in plans if p.replacements and p.size < 100}
    sample |= {p.folder_id for p in plans if p.secrecy and p.category != "empty"}
    with Session(store.engine) as s:
        for folder_id in sorted(sample):
            folder = s.get(Folder, folder_id)
            assert folder is not None
            stored = (
                folder.review_counts,
                folder.page_flags,
                folder.operators,
                folder.review_state,
            )
            _refresh_review(s, folder_id)
            fresh = (folder.review_counts, folder.page_flags, folder.operators, folder.review_state)
            if stored != fresh:
                raise SystemExit(
                    f"generated review fields of {folder_id} differ from "
                    f"_refresh_review:\n  {stored}\n  {fresh}"
                )
        s.rollback()
    return len(sample)


def ensure_database(db_dir: Path, sizes: Sizes, rebuild: bool) -> dict[str, Any]:
    """The cached database's description, building it (in a child process) when needed."""
    meta_path = db_dir / "build.json"
    wanted = {"generator": GENERATOR, "sizes": asdict(sizes)}
    if not rebuild and meta_path.exists():
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        if {k: meta.get(k) for k in wanted} == wanted:
            print(f"reusing the database in {db_dir} (built {meta['built']})", flush=True)
            return dict(meta)
    print(f"building the database in {db_dir} ...", flush=True)
    # A child process, so that this one's peak RSS is the app's, not the generator's.
    subprocess.run(
        [sys.executable, __file__, "--build-only", "--db-dir", str(db_dir), *_size_args(sizes)],
        check=True,
    )
    return dict(json.loads(meta_path.read_text(encoding="utf-8")))


def _size_args(sizes: Sizes) -> list[str]:
    return [f"--{k.replace('_', '-')}={v}" for k, v in asdict(sizes).items()]


def build_only(db_dir: Path, sizes: Sizes) -> None:
    found = build(db_dir, sizes)
    meta = {
        "generator": GENERATOR,
        "sizes": asdict(sizes),
        "built": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        **found,
    }
    (db_dir / "build.json").write_text(json.dumps(meta, indent=1), encoding="utf-8")
    print(f"built in {found['build_seconds']} s: {found['rows']}", flush=True)


# --- the app, timed ----------------------------------------------------------------------


class GcClock:
    """Time spent in the cyclic garbage collector (all threads), from gc.callbacks."""

    def __init__(self) -> None:
        self.total_ms = 0.0
        self._start = 0.0
        gc.callbacks.append(self._callback)

    def _callback(self, phase: str, _info: dict[str, Any]) -> None:
        if phase == "start":
            self._start = time.perf_counter()
        else:
            self.total_ms += (time.perf_counter() - self._start) * 1000


class ServerTimer:
    """ASGI wrapper: server time from the request arriving to the answer's last byte.

    Also the process's CPU time and the garbage collector's time over the same span (the
    in-process client waits meanwhile, so both are the server's), and, in a `Server-Timing`
    header, the time to the answer's first message: how the loopback run reads the
    server's share of a request.
    """

    def __init__(self, app: Any) -> None:
        self.app = app
        self.gc = GcClock()
        self.last: dict[str, float] = {}

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start, cpu, gc_ms = time.perf_counter(), time.process_time(), self.gc.total_ms

        async def timed_send(message: Any) -> None:
            if message["type"] == "http.response.start":
                elapsed = (time.perf_counter() - start) * 1000
                message["headers"] = [
                    *message.get("headers", []),
                    (b"server-timing", f"app;dur={elapsed:.2f}".encode()),
                ]
            await send(message)
            if message["type"] == "http.response.body" and not message.get("more_body"):
                self.last = {
                    "wall": (time.perf_counter() - start) * 1000,
                    "cpu": (time.process_time() - cpu) * 1000,
                    "gc": self.gc.total_ms - gc_ms,
                }

        await self.app(scope, receive, timed_send)


def make_settings(db_dir: Path) -> Any:
    os.environ["STATION_CONFIG"] = str(db_dir / "station.toml")  # none: only what is given
    for name in ("STATION_DATABASE_URL", "STATION_DATA_DIR"):
        os.environ.pop(name, None)
    from station.settings import load_settings

    data_dir = db_dir / "data"
    database = os.environ.get(DATABASE_VARIABLE) or data_dir / "station.db"
    return load_settings(
        data_dir=data_dir,
        database_url=f"sqlite:///{database}",
        profiles_dir=REPO / "profiles",
    )


@dataclass
class Probe:
    name: str
    method: str
    path: str
    what: str
    body: Callable[[int], dict[str, Any]] | None = None


def probes(meta: dict[str, Any]) -> list[Probe]:
    big, page, box = meta["big_folder"], meta["decision_page"], meta["big_folder_box"]
    first = meta["view_page"]

    def decision(i: int) -> dict[str, Any]:
        return {"decision": "approve" if i % 2 == 0 else "undecided"}

    return [
        Probe("queue_html", "GET", "/", "queue page (HTML), first page"),
        Probe("api_folders", "GET", "/api/folders", "queue, default states, first 100"),
        Probe(
            "api_folders_flag", "GET", "/api/folders?flag=blurred", "queue filtered by a page flag"
        ),
        Probe("api_folders_box", "GET", f"/api/folders?box={box}", "queue of one box"),
        Probe("api_folders_last", "GET", "/api/folders?offset=7900", "queue, a late page"),
        Probe("folder_html", "GET", f"/folders/{big}", "folder view (HTML), 1,000 pages"),
        Probe(
            "api_folder_pages",
            "GET",
            f"/api/folders/{big}/pages",
            "the folder's 1,000 pages (JSON)",
        ),
        Probe("api_folder", "GET", f"/api/folders/{big}", "one folder (JSON)"),
        Probe("page_html", "GET", f"/pages/{first}", "page view (HTML)"),
        Probe("api_page", "GET", f"/api/pages/{first}", "one page (JSON)"),
        Probe("thumbnail", "GET", f"/images/pages/{first}/thumbnail", "thumbnail JPEG"),
        Probe(
            "decision",
            "POST",
            f"/api/pages/{page}/decision",
            "decide a page of the 1,000-page folder (write; approve / undecided in turn)",
            decision,
        ),
        Probe("api_rescan", "GET", "/api/rescan", "rescan list (rejected pages waiting)"),
        Probe("api_boxes", "GET", "/api/boxes", "progress per box (200 boxes)"),
        Probe("rescan_html", "GET", "/rescan", "rescan list (HTML)"),
        Probe("batches_html", "GET", "/batches", "batch list (HTML), 210 batches"),
    ]


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def summary(values: list[float]) -> dict[str, float]:
    return {
        "median_ms": round(statistics.median(values), 1),
        "p95_ms": round(percentile(values, 0.95), 1),
        "max_ms": round(max(values), 1),
    }


def rss_mb(pid: int | str = "self") -> dict[str, float]:
    status = Path(f"/proc/{pid}/status").read_text()
    found = {}
    for line in status.splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            found[key] = round(int(value.split()[0]) / 1024, 1)
    return {"rss_mb": found.get("VmRSS", 0.0), "peak_rss_mb": found.get("VmHWM", 0.0)}


def reset_peak_rss(pid: int | str = "self") -> bool:
    """Start the process's peak RSS (VmHWM) again from its current RSS (Linux 4.0+)."""
    try:
        Path(f"/proc/{pid}/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def measure_in_process(
    db_dir: Path, meta: dict[str, Any], requests: int, warmups: int, only: list[str] | None
) -> dict[str, Any]:
    import warnings

    warnings.filterwarnings("ignore", message=".*httpx.*", category=DeprecationWarning)
    from fastapi.testclient import TestClient

    app = serving_app(db_dir)
    timer = ServerTimer(app)
    results: dict[str, Any] = {}
    with TestClient(timer, base_url="http://testserver", raise_server_exceptions=False) as client:
        login = client.post("/api/login", data={"username": REVIEWER, "password": PASSWORD})
        login.raise_for_status()
        csrf = login.json()["csrf_token"]
        # start-up and the log-in (Argon2 takes 64 MiB for a moment) are not the requests
        after_start = rss_mb()
        after_start["peak_reset"] = reset_peak_rss()
        for probe in probes(meta):
            if only and probe.name not in only:
                continue
            server, cpu, gc_ms, client_ms = [], [], [], []
            status, size = 0, 0
            for i in range(warmups + requests):
                kwargs: dict[str, Any] = {}
                if probe.body is not None:
                    kwargs = {"json": probe.body(i), "headers": {"X-CSRF-Token": csrf}}
                start = time.perf_counter()
                response = client.request(probe.method, probe.path, **kwargs)
                elapsed = (time.perf_counter() - start) * 1000
                status, size = response.status_code, len(response.content)
                wire = response.num_bytes_downloaded  # compressed, when the app gzips
                if i >= warmups:
                    server.append(timer.last["wall"])
                    cpu.append(timer.last["cpu"])
                    gc_ms.append(timer.last["gc"])
                    client_ms.append(elapsed)
            results[probe.name] = {
                "method": probe.method,
                "path": probe.path,
                "what": probe.what,
                "status": status,
                "bytes": size,
                "wire_bytes": wire,
                "requests": requests,
                **summary(server),
                "cpu_median_ms": round(statistics.median(cpu), 1),
                "gc_median_ms": round(statistics.median(gc_ms), 1),
                "client_median_ms": round(statistics.median(client_ms), 1),
            }
            r = results[probe.name]
            flag = "" if status < 400 else f"  <- HTTP {status}"
            print(
                f"  {probe.name:18} {r['median_ms']:7.1f} ms median {r['p95_ms']:7.1f} p95 "
                f"{r['max_ms']:7.1f} max | cpu {r['cpu_median_ms']:6.1f} gc {r['gc_median_ms']:5.1f}"
                f" | {size:>9} B{flag}",
                flush=True,
            )
    return {"requests": results, "memory_after_start": after_start, "memory": rss_mb()}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def serving_app(db_dir: Path) -> Any:
    """The app as `station serve` (qa/cli.py) sets it up before uvicorn runs it."""
    import qa.app

    app = qa.app.create_app(make_settings(db_dir))
    tune = getattr(qa.app, "tune_gc_for_serving", None)  # proposed (docs/benchmarks.md)
    if tune is not None:
        tune()
    return app


def serve(db_dir: Path, port: int) -> None:
    """The child process of the loopback run: the app under uvicorn, as `station serve`."""
    import uvicorn

    app = ServerTimer(serving_app(db_dir))
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


def measure_http(db_dir: Path, meta: dict[str, Any], requests: int, warmups: int) -> dict[str, Any]:
    import httpx

    port = free_port()
    child = subprocess.Popen(
        [sys.executable, __file__, "--serve", str(port), "--db-dir", str(db_dir)]
    )
    results: dict[str, Any] = {}
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(f"{base}/api/me", timeout=1)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline or child.poll() is not None:
                    raise
                time.sleep(0.2)
        with httpx.Client(base_url=base, timeout=60) as client:
            client.post(
                "/api/login", data={"username": REVIEWER, "password": PASSWORD}
            ).raise_for_status()
            memory_after_login = rss_mb(child.pid)
            reset_peak_rss(child.pid)
            wanted = ("queue_html", "api_folders", "folder_html", "api_folder_pages", "thumbnail")
            for probe in [p for p in probes(meta) if p.name in wanted]:
                total, server = [], []
                status = 0
                for i in range(warmups + requests):
                    start = time.perf_counter()
                    response = client.get(probe.path)
                    elapsed = (time.perf_counter() - start) * 1000
                    status = response.status_code
                    timing = response.headers.get("server-timing", "app;dur=0")
                    if i >= warmups:
                        total.append(elapsed)
                        server.append(float(timing.split("dur=")[1]))
                results[probe.name] = {
                    "path": probe.path,
                    "status": status,
                    "bytes": len(response.content),
                    "wire_bytes": response.num_bytes_downloaded,
                    **summary(total),
                    "server_to_first_byte_median_ms": round(statistics.median(server), 1),
                }
                print(
                    f"  http {probe.name:18} {results[probe.name]['median_ms']:8.1f} ms median "
                    f"(server to first byte {results[probe.name]['server_to_first_byte_median_ms']} ms)",
                    flush=True,
                )
        memory = rss_mb(child.pid)
    finally:
        child.terminate()
        child.wait(timeout=30)
    return {
        "requests": results,
        "server_memory": memory,
        "server_memory_after_login": memory_after_login,
        "server": _uvicorn_kind(),
    }


def _uvicorn_kind() -> str:
    import importlib.util

    import uvicorn

    loop = "uvloop" if importlib.util.find_spec("uvloop") else "asyncio"
    http = "httptools" if importlib.util.find_spec("httptools") else "h11"
    return f"uvicorn {uvicorn.__version__} ({loop}, {http}), one worker"


# --- writing it down --------------------------------------------------------------------------

BARS = {
    "folder_html": 1000.0,  # "well under a second"
    "api_folder_pages": 1000.0,
}


def write_results(results: dict[str, Any]) -> None:
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, ensure_ascii=False, indent=1), encoding="utf-8")


SLOW_MS = 300.0  # what this benchmark calls slow for one request (and profiles)


def section_markdown(results: dict[str, Any]) -> str:
    meta, inproc = results["database"], results["in_process"]
    rows, sizes = meta["rows"], meta["sizes"]
    load = results.get("load_average_1min", [])
    patched = results.get("with_patch")
    lines = [
        SECTION,
        "",
        f"Server time per request of the review app (`qa.app.create_app`, set up as `station "
        f"serve` sets it up), measured {results['date']} on {results['machine']} (Python "
        f"{results['python']}, SQLite {results['sqlite']}). Not a timed test: a measurement, "
        "repeated with",
        "",
        "    .venv/bin/python bench/review.py            # --help: --requests, --patch, --only",
        "",
        f"The first run builds the database under `bench/results/review-db/` "
        f"({meta['build_seconds']:.0f} s here; git-ignored, reused while the sizes and the "
        "generator are the same, `--rebuild` to force); raw numbers go to "
        "`bench/results/review.json`, and this section is rewritten in place (`bench/run.py` "
        "keeps it).",
        "",
        f"**Database** ({results['db_size_mb']:,.0f} MB of SQLite): {sizes['folders']:,} manifest "
        f"folders in {sizes['boxes']} boxes (the last {meta.get('empty_folders', 100)} not "
        f"scanned yet, {meta.get('secret_folders', 25)} marked Mật) and the "
        f"unassigned holding folder; {rows['page']:,} page rows, about 100 per folder and "
        f"exactly {sizes['big_folder_pages']:,} in folder `{meta['big_folder_id']}` (id "
        f"{meta['big_folder']}), a separator sheet first in each; flags on about 5% of pages, "
        "0.1% failed; decisions on half the folders (untouched 50%, partly decided 10%, waiting "
        "for rescan 10%, ready 10%, approved 20%, with rescanned pages in place of rejected "
        f"ones); {rows['event']:,} events; {rows['batch']} batches fed by 4 operators. The "
        "folders' review counts are filled as `_refresh_review` fills them (checked against it "
        f"on {meta['counts_checked_against_refresh_review']} folders). The default queue (to "
        f"review, rescan, ready) holds {results['queue_total']:,} folders; "
        f"{results.get('rescan_total', 0):,} rejected pages wait for a rescan. Logged in as a "
        "reviewer without clearance (the Mật folders are filtered out).",
        "",
        "**Server time** runs from the app receiving the request to the last byte of its "
        "answer (an ASGI wrapper around the app, in-process through Starlette's TestClient); "
        f"median, p95 and max over {results['requests']} requests after {results['warmups']} "
        "warm-ups. CPU is the process's CPU time over the same span and GC the part of it the "
        "cyclic garbage collector took (medians): unlike wall time, they do not grow when "
        "other jobs share the two cores"
        + (
            f" (the 1-minute load average was {load[0]} at the start and {load[1]} at the end "
            "of this run: other engineers' test suites were running)."
            if load and max(load) > 2.5
            else "."
        ),
        "",
    ]
    header = "| request | answer | median | p95 | max | CPU (GC) |"
    rule = "|---|---|---|---|---|---|"
    if patched:
        header += " with the fixes below: median / p95 / CPU (GC) |"
        rule += "---|"
    lines += [header, rule]
    for name, r in inproc["requests"].items():
        label = f"`{r['method']} {r['path']}`<br>{r['what']}"
        if r["status"] >= 400:
            lines.append(
                f"| {label} | HTTP {r['status']} | – | – | – | – |" + (" – |" if patched else "")
            )
            continue
        slow = r["median_ms"] >= SLOW_MS or r["p95_ms"] >= SLOW_MS
        median = f"**{r['median_ms']:.0f} ms**" if slow else f"{r['median_ms']:.0f} ms"
        cells = (
            f"| {label} | {_size(r['bytes'], r.get('wire_bytes'))} | {median} | {r['p95_ms']:.0f} ms | "
            f"{r['max_ms']:.0f} ms | {r['cpu_median_ms']:.0f} ms ({r['gc_median_ms']:.0f}) |"
        )
        if patched:
            fixed = patched["requests"].get(name)
            cells += (
                f" {fixed['median_ms']:.0f} / {fixed['p95_ms']:.0f} / "
                f"{fixed['cpu_median_ms']:.0f} ({fixed['gc_median_ms']:.0f}) ms |"
                if fixed and fixed["status"] < 400
                else " – |"
            )
        lines.append(cells)
    memory = inproc["memory"]
    lines += [
        "",
        "**Memory**: peak RSS of the process over these requests "
        f"{memory['peak_rss_mb']:.0f} MB"
        + (f" ({patched['memory']['peak_rss_mb']:.0f} MB with the fixes)" if patched else "")
        + f", from {inproc['memory_after_start']['rss_mb']:.0f} MB after start-up and log-in "
        f"(whose peak, {inproc['memory_after_start']['peak_rss_mb']:.0f} MB, is the log-in's "
        "Argon2 hash: 64 MiB for a moment; the peak is counted again from there).",
        "",
    ]
    http = results.get("http")
    if http:
        lines += [
            f"**Through real HTTP** ({http['server']}, an httpx client with keep-alive on "
            "127.0.0.1, in another process): the client's time against the server's own time "
            "to its first byte (`Server-Timing`).",
            "",
            "| request | answer | median | p95 | max | server, to first byte (median) |",
            "|---|---|---|---|---|---|",
        ]
        for r in http["requests"].values():
            if r["status"] >= 400:
                lines.append(f"| `GET {r['path']}` | HTTP {r['status']} | – | – | – | – |")
                continue
            lines.append(
                f"| `GET {r['path']}` | {_size(r['bytes'], r.get('wire_bytes'))} | "
                f"{r['median_ms']:.0f} ms | "
                f"{r['p95_ms']:.0f} ms | {r['max_ms']:.0f} ms | "
                f"{r['server_to_first_byte_median_ms']:.0f} ms |"
            )
        lines += [
            "",
            "Peak RSS of the uvicorn process over these requests: "
            f"{http['server_memory']['peak_rss_mb']:.0f} MB (from "
            f"{http['server_memory_after_login']['rss_mb']:.0f} MB after start-up and log-in).",
            "",
        ]
    lines += _bars(results)
    if patched:
        lines += [
            "",
            f"**Proposed fixes** (measured above by applying `{patched['patch']}` to a copy of "
            "`station/` and `qa/`, its migration to a copy of the database: `bench/review.py "
            "--patch FILE`; the diff as measured is `bench/results/review-patch.diff`):",
            "",
            *patched.get("description", []),
        ]
    return "\n".join(lines).rstrip() + "\n"


def _bars(results: dict[str, Any]) -> list[str]:
    r = results["in_process"]["requests"]
    patched = results.get("with_patch", {}).get("requests", {})

    def row(text: str, name: str, bar: float) -> str:
        entry = r.get(name)
        if entry is None or entry["status"] >= 400:
            return f"| {text} | not measured (HTTP {entry['status'] if entry else '–'}) | – |"
        met = "yes" if entry["p95_ms"] < bar else "no"
        cell = f"| {text} | {entry['median_ms']:.0f} ms median, {entry['p95_ms']:.0f} ms p95"
        fixed = patched.get(name)
        if fixed and fixed["status"] < 400:
            met += f" (with the fixes: {'yes' if fixed['p95_ms'] < bar else 'no'}, "
            met += f"{fixed['p95_ms']:.0f} ms p95)"
        return f"{cell} | {met} |"

    return [
        "**Against the bars** (the issue: the folder view of 1,000 pages well under a second "
        "of server time, the queue fast at 10,000 folders; taken here as p95 under 1 s and "
        f"under {SLOW_MS:.0f} ms):",
        "",
        "| bar | measured | met |",
        "|---|---|---|",
        row("folder view of 1,000 pages (HTML) < 1 s", "folder_html", 1000),
        row("the same folder's pages as JSON < 1 s", "api_folder_pages", 1000),
        row(f"queue page (HTML) at 10,000 folders < {SLOW_MS:.0f} ms", "queue_html", SLOW_MS),
        row(f"queue API at 10,000 folders < {SLOW_MS:.0f} ms", "api_folders", SLOW_MS),
        row(f"queue filtered by a flag < {SLOW_MS:.0f} ms", "api_folders_flag", SLOW_MS),
        row(f"a late page of the queue < {SLOW_MS:.0f} ms", "api_folders_last", SLOW_MS),
    ]


def _size(n: int, wire: int | None = None) -> str:
    text = f"{n / 1024:,.0f} KB" if n >= 10_240 else f"{n:,} B"
    return text + (f" ({_size(wire)} gzip)" if wire and wire < n else "")


def replace_section(markdown: str) -> None:
    """Put this section in docs/benchmarks.md in place of its old self (at the end if new)."""
    text = DOC.read_text(encoding="utf-8") if DOC.exists() else "# Benchmarks\n"
    start = text.find(f"\n{SECTION}\n")
    if start == -1:
        new = text.rstrip() + "\n\n" + markdown
    else:
        following = text.find("\n## ", start + len(SECTION) + 2)
        tail = text[following + 1 :] if following != -1 else ""
        new = text[: start + 1] + markdown + ("\n" + tail if tail else "")
    DOC.write_text(new, encoding="utf-8")


# --- main -------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db-dir", type=Path, default=DEFAULT_DB_DIR)
    parser.add_argument("--rebuild", action="store_true", help="build the database again")
    parser.add_argument("--requests", type=int, default=20)
    parser.add_argument("--warmups", type=int, default=2)
    parser.add_argument("--no-http", action="store_true", help="skip the uvicorn loopback run")
    parser.add_argument(
        "--patch",
        type=Path,
        help="also measure in-process with this diff (git format, paths station/... qa/...) "
        "applied to a copy of station/ and qa/: a proposed fix, measured without editing them",
    )
    parser.add_argument(
        "--only",
        action="append",
        metavar="NAME",
        help="measure only these requests (queue_html, api_folders, folder_html, ...); "
        "prints, writes nothing",
    )
    for key, value in asdict(Sizes()).items():
        parser.add_argument(f"--{key.replace('_', '-')}", type=int, default=value)
    parser.add_argument("--build-only", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--serve", type=int, metavar="PORT", help=argparse.SUPPRESS)
    parser.add_argument("--measure-to", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    sizes = Sizes(**{k: getattr(args, k) for k in asdict(Sizes())})
    db_dir = args.db_dir.resolve()
    if args.build_only:
        build_only(db_dir, sizes)
        return
    if args.serve:
        serve(db_dir, args.serve)
        return
    meta = ensure_database(db_dir, sizes, args.rebuild)
    if args.measure_to:  # the child of --patch, importing the patched copy
        import station

        print(f"  (station from {Path(station.__file__).parent})", flush=True)
        found = measure_in_process(db_dir, meta, args.requests, args.warmups, args.only)
        args.measure_to.write_text(json.dumps(found), encoding="utf-8")
        return

    load_before = os.getloadavg()
    print("in-process (server time):", flush=True)
    inproc = measure_in_process(db_dir, meta, args.requests, args.warmups, args.only)
    results: dict[str, Any] = {
        "date": datetime.now(UTC).strftime("%Y-%m-%d"),
        "machine": f"{platform.system()} {platform.machine()}, {os.cpu_count()} cores",
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "requests": args.requests,
        "warmups": args.warmups,
        "database": meta,
        "db_size_mb": round((db_dir / "data" / "station.db").stat().st_size / 2**20, 1),
        "queue_total": _count(
            db_dir,
            "select count(*) from folder where review_state in ('to_review', 'rescan', 'ready')"
            " and secrecy = ''",
        ),
        "rescan_total": _count(
            db_dir,
            "select count(*) from page where decision = 'reject' and replaced_by is null",
        ),
        "in_process": inproc,
    }
    if args.patch:
        print(f"in-process, with {args.patch.name} applied:", flush=True)
        text = args.patch.read_text(encoding="utf-8")
        results["with_patch"] = {
            "patch": args.patch.name,
            # what the patch says of itself: the lines before its first diff (git ignores them)
            "description": text.split("diff --git", 1)[0].strip().splitlines(),
            **_measure_patched(db_dir, args.patch.resolve(), args),
        }
        if not args.only:
            (RESULTS.parent / "review-patch.diff").write_text(text, encoding="utf-8")
    if not args.no_http and not args.only:
        print("through uvicorn on loopback:", flush=True)
        results["http"] = measure_http(db_dir, meta, args.requests, args.warmups)
    results["load_average_1min"] = [round(load_before[0], 2), round(os.getloadavg()[0], 2)]
    if args.only:
        return
    write_results(results)
    replace_section(section_markdown(results))
    print(f"wrote {RESULTS.relative_to(REPO)} and the '{SECTION}' section of docs/benchmarks.md")


def _measure_patched(db_dir: Path, patch: Path, args: argparse.Namespace) -> dict[str, Any]:
    """Copy station/ and qa/, apply the diff there, measure in a child importing the copy."""
    import tempfile

    with tempfile.TemporaryDirectory(prefix="review-bench-") as work:
        source = Path(work) / "src"
        for package in ("station", "qa"):
            shutil.copytree(
                REPO / package, source / package, ignore=shutil.ignore_patterns("__pycache__")
            )
        subprocess.run(
            ["git", "apply", "-p1", "--include=station/*", "--include=qa/*", str(patch)],
            cwd=source,
            check=True,
        )  # (what the patch changes elsewhere, tests say, does not run here)
        env = {**os.environ, SOURCE_VARIABLE: str(source)}
        if "station/migrations/" in patch.read_text(encoding="utf-8"):
            # the patch's migration runs on a copy: the cached database stays as built
            copy = Path(work) / "station.db"
            print(f"  (migrating a copy of the database: {copy})", flush=True)
            shutil.copyfile(db_dir / "data" / "station.db", copy)
            env[DATABASE_VARIABLE] = str(copy)
        out = Path(work) / "measured.json"
        subprocess.run(
            [
                sys.executable,
                __file__,
                "--db-dir",
                str(db_dir),
                f"--requests={args.requests}",
                f"--warmups={args.warmups}",
                *(f"--only={name}" for name in args.only or ()),
                "--measure-to",
                str(out),
            ],
            check=True,
            env=env,
        )
        return dict(json.loads(out.read_text(encoding="utf-8")))


def _count(db_dir: Path, sql: str) -> int:
    with sqlite3.connect(db_dir / "data" / "station.db") as connection:
        (total,) = connection.execute(sql).fetchone()
    return int(total)


if __name__ == "__main__":
    main()
