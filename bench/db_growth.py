"""Does a batch cost more in a large station database? The per-batch database work, timed.

    .venv/bin/python bench/db_growth.py [--pages 12] [--repeats 3]

`station process` on the same mixed batch (make_samples' `quality` set), in this process
(as the command runs it: the pages in a pool of 2 workers, the database work here), against
two SQLite databases, alternating: an empty one, and the review benchmark's database of
1,000,000 pages in 10,000 folders (`bench/review.py --build-only`, reused when built; a copy
is written to, the cached one is not changed). Every SQL statement this process sends is
timed through SQLAlchemy's cursor events, so the figure is the database's share of the
batch, apart from the OCR. The batch must cost the same in both: nothing per batch may grow
with the size of the database.

Writes bench/results/db_growth.json; prints a markdown table.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "scripts"))

import make_samples as ms  # noqa: E402
from sqlalchemy import event  # noqa: E402
from sqlalchemy.engine import Engine  # noqa: E402

RESULTS = REPO / "bench" / "results" / "db_growth.json"
REVIEW_DB = REPO / "bench" / "results" / "review-db"


class StatementClock:
    """Time and count every statement sent through any SQLAlchemy engine in this process."""

    def __init__(self) -> None:
        self.by_statement: dict[str, list[float]] = defaultdict(list)
        event.listen(Engine, "before_cursor_execute", self._before)
        event.listen(Engine, "after_cursor_execute", self._after)

    def _before(self, conn: Any, _cursor: Any, *_args: Any) -> None:
        conn.info.setdefault("started", []).append(time.perf_counter())

    def _after(self, conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        spent = time.perf_counter() - conn.info["started"].pop()
        self.by_statement[" ".join(statement.split())[:110]].append(spent * 1000)

    def take(self) -> dict[str, list[float]]:
        taken, self.by_statement = dict(self.by_statement), defaultdict(list)
        return taken


def large_database() -> Path:
    """The review benchmark's cached 1,000,000-page database, built if missing."""
    database = REVIEW_DB / "data" / "station.db"
    if not (REVIEW_DB / "build.json").exists():
        subprocess.run(
            [sys.executable, str(REPO / "bench" / "review.py"), "--build-only",
             "--db-dir", str(REVIEW_DB)],
            check=True,
        )  # fmt: skip
    return database


def run(batch: Path, out: Path, database: Path, data_dir: Path, clock: StatementClock) -> dict:
    from station.profiles import load_profile
    from station.room import runner
    from station.settings import load_settings

    settings = load_settings(
        data_dir=data_dir, database_url=f"sqlite:///{database}", profiles_dir=REPO / "profiles"
    )
    profile = load_profile(settings.default_profile, settings.profiles_dir)
    clock.take()
    started = time.perf_counter()
    runner.process_batch(batch, out, profile, settings, workers=2)
    wall = time.perf_counter() - started
    statements = clock.take()
    return {
        "wall_s": round(wall, 2),
        "db_ms": round(sum(sum(v) for v in statements.values()), 1),
        "statements": sum(len(v) for v in statements.values()),
        "costliest": sorted(
            ([round(sum(v), 1), len(v), text] for text, v in statements.items()), reverse=True
        )[:5],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=12)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    clock = StatementClock()
    big = large_database()
    rows: dict[str, list[dict[str, Any]]] = {"empty": [], "large": []}
    with tempfile.TemporaryDirectory(prefix="station-bench-growth-") as name:
        tmp = Path(name)
        source = tmp / "source"
        ms.make_batch(source, seed=args.seed, sample_set="quality", pages=args.pages)
        (source / "truth.json").unlink()
        databases = {"empty": tmp / "empty.db", "large": tmp / "large.db"}
        started = time.perf_counter()
        shutil.copyfile(big, databases["large"])
        print(f"copied the large database in {time.perf_counter() - started:.1f} s",
              file=sys.stderr)  # fmt: skip
        size_mb = round(databases["large"].stat().st_size / 2**20)
        for repeat in range(-1, args.repeats):  # -1: a warm-up of each, not counted
            for kind in ("empty", "large"):
                batch = tmp / f"{kind}-{repeat + 1}"
                shutil.copytree(source, batch)
                done = run(batch, tmp / f"out-{batch.name}", databases[kind],
                           tmp / f"data-{kind}", clock)  # fmt: skip
                print(f"  {kind} {repeat + 1}: {done['wall_s']} s, database "
                      f"{done['db_ms']} ms in {done['statements']} statements", file=sys.stderr)  # fmt: skip
                if repeat >= 0:
                    rows[kind].append(done)
    summary = {
        kind: {
            "wall_s": statistics.median(r["wall_s"] for r in runs),
            "db_ms": statistics.median(r["db_ms"] for r in runs),
            "statements": statistics.median(r["statements"] for r in runs),
        }
        for kind, runs in rows.items()
    }
    result = {
        "command": "bench/db_growth.py " + " ".join(sys.argv[1:]),
        "large_db_mb": size_mb,
        "summary": summary,
        "runs": rows,
    }
    RESULTS.write_text(json.dumps(result, indent=1, ensure_ascii=False) + "\n")
    print("| database | wall time | database time per batch | statements |")
    print("|---|---:|---:|---:|")
    for kind, s in summary.items():
        print(f"| {kind} | {s['wall_s']} s | {s['db_ms']} ms | {s['statements']:.0f} |")


if __name__ == "__main__":
    main()
