"""Mutation fuzzing of station's readers: thousands of hostile cases, each in a time limit.

The cases and the rule are scripts/fuzz_cases.py's (the property tests in tests/test_fuzz.py
draw from the same makers): damaged, truncated and byte-flipped PNG/TIFF/JPEG scans, giant
and decompression-bomb headers, text/HTML/PDF under image names; page images for the
separator reader (noise, flat pages, damaged separator sheets at odd resolutions); manifest
CSV in seven encodings and five delimiters, manifest XLSX with formulas, dates and numbers,
damaged or not; batch.done files. Every case must end in success or station's own error
naming the file.

Each worker is a process of its own with an address-space limit (`--memory-mb`): a memory
blow-up fails its case instead of the machine. The parent gives each case `--limit-s`; a
case that has not answered by then is a hang, its worker is killed and replaced.

    .venv/bin/python bench/fuzz.py --cases 10000 --workers 2 --write-docs
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import platform
import resource
import statistics
import sys
import tempfile
import threading
import time
import warnings
from collections import Counter, defaultdict
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "scripts"))
sys.path.insert(0, str(REPO / "bench"))

import fuzz_cases  # noqa: E402
from sections import replace_section  # noqa: E402

RESULTS = REPO / "bench/results/fuzz.json"
DOC = REPO / "docs/benchmarks.md"
HEADING = "## Fuzzing the readers"


def _worker(conn: Connection, memory_mb: int) -> None:
    """Run cases sent by the parent until it sends None; answer each with its verdict."""
    limit = memory_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    warnings.simplefilter("ignore")  # Pillow's warnings on damaged TIFF tags
    os.dup2(os.open(os.devnull, os.O_WRONLY), 2)  # libtiff's messages on stderr
    folder = Path(tempfile.mkdtemp(prefix="station-fuzz-"))
    while (job := conn.recv()) is not None:
        target, seed = job
        started = time.perf_counter()
        try:
            verdict = fuzz_cases.run_case(target, seed, folder)
            outcome, ok, detail = verdict.outcome, verdict.ok, verdict.detail
            elapsed = verdict.seconds  # the reader's time, not the making of the case
        except MemoryError:
            outcome, ok, detail = "memory", False, f"over {memory_mb} MB"
            elapsed = time.perf_counter() - started
        except BaseException as exc:  # a failure of the case maker itself
            outcome, ok, detail = "harness", False, f"{type(exc).__name__}: {exc}"
            elapsed = time.perf_counter() - started
        rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        conn.send((outcome, ok, detail[:300], elapsed, rss_mb))


class Runner:
    """One worker process, replaced when a case hangs or kills it."""

    def __init__(self, memory_mb: int) -> None:
        self.memory_mb = memory_mb
        self._start()

    def _start(self) -> None:
        self.conn, child = multiprocessing.Pipe()
        self.process = multiprocessing.Process(target=_worker, args=(child, self.memory_mb))
        self.process.start()

    def run(self, target: str, seed: int, limit_s: float) -> tuple[str, bool, str, float, float]:
        started = time.perf_counter()
        self.conn.send((target, seed))
        if self.conn.poll(limit_s):
            try:
                answer: tuple[str, bool, str, float, float] = self.conn.recv()
                return answer
            except EOFError:
                pass
        died = not self.process.is_alive()
        self.process.kill()
        self.process.join()
        self._start()
        elapsed = time.perf_counter() - started
        if died:
            return "crash", False, f"the worker died (exit {self.process.exitcode})", elapsed, 0.0
        return "hang", False, f"no answer in {limit_s:.0f} s", elapsed, 0.0

    def close(self) -> None:
        self.conn.send(None)
        self.process.join(10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=10_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--limit-s", type=float, default=20.0, help="time limit per case")
    parser.add_argument("--memory-mb", type=int, default=3072, help="address space per worker")
    parser.add_argument("--first-seed", type=int, default=0)
    parser.add_argument("--write-docs", action="store_true")
    args = parser.parse_args()

    jobs = [
        (target, args.first_seed + n)
        for n in range(args.cases // len(fuzz_cases.TARGETS) + 1)
        for target in fuzz_cases.TARGETS
    ][: args.cases]
    results: list[dict[str, Any]] = []
    lock = threading.Lock()
    queue = iter(jobs)
    started = time.perf_counter()

    def drive() -> None:
        runner = Runner(args.memory_mb)
        try:
            while True:
                with lock:
                    job = next(queue, None)
                    if job is None:
                        return
                outcome, ok, detail, elapsed, rss = runner.run(*job, args.limit_s)
                with lock:
                    results.append(
                        {"target": job[0], "seed": job[1], "outcome": outcome, "ok": ok,
                         "detail": detail, "s": elapsed, "rss_mb": rss}
                    )  # fmt: skip
                    if len(results) % 1000 == 0:
                        print(f"{len(results)} cases, {time.perf_counter() - started:.0f} s")
        finally:
            runner.close()

    threads = [threading.Thread(target=drive) for _ in range(args.workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - started
    summary = summarize(results, wall, args)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    failures = [r for r in results if not r["ok"]]
    RESULTS.write_text(
        json.dumps(summary | {"failures": failures[:200]}, ensure_ascii=False, indent=1),
        encoding="utf-8",
    )
    text = markdown(summary, failures)
    print(text)
    if args.write_docs:
        replace_section(DOC, HEADING, text)


def summarize(
    results: list[dict[str, Any]], wall: float, args: argparse.Namespace
) -> dict[str, Any]:
    per: dict[str, Any] = {}
    by_target: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for result in results:
        by_target[result["target"]].append(result)
    for target in fuzz_cases.TARGETS:
        rows = by_target[target]
        times = sorted(r["s"] * 1000 for r in rows)
        per[target] = {
            "cases": len(rows),
            "outcomes": dict(Counter(r["outcome"] for r in rows)),
            "failed": sum(1 for r in rows if not r["ok"]),
            "median_ms": round(statistics.median(times), 1) if times else None,
            "p99_ms": round(times[int(len(times) * 0.99) - 1], 1) if times else None,
            "max_ms": round(times[-1], 1) if times else None,
        }
    return {
        "cases": len(results),
        "failed": sum(1 for r in results if not r["ok"]),
        "wall_s": round(wall, 1),
        "workers": args.workers,
        "limit_s": args.limit_s,
        "memory_mb": args.memory_mb,
        "peak_rss_mb": round(max((r["rss_mb"] for r in results), default=0.0)),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores",
        "targets": per,
    }


def markdown(summary: dict[str, Any], failures: list[dict[str, Any]]) -> str:
    lines = [
        HEADING,
        "",
        f"`bench/fuzz.py --cases {summary['cases']}`: {summary['cases']:,} hostile cases "
        f"(scripts/fuzz_cases.py) in {summary['wall_s']:.0f} s on {summary['workers']} worker "
        f"processes ({summary['machine']}), each case limited to {summary['limit_s']:.0f} s and "
        f"each worker to {summary['memory_mb']:,} MB of address space; the largest worker "
        f"peaked at {summary['peak_rss_mb']} MB. A case passes when it succeeds or ends in "
        "station's own error naming the file; a traceback, an error without the file's name, "
        "a hang, a memory error or a dead worker fails it.",
        "",
        "Times are the reader's alone (making the case not counted); the image reader's "
        "slowest cases are TIFFs of 1,000-3,000 pages, counted frame by frame.",
        "",
        "| reader | cases | success | station's error | failed | median ms | p99 ms | max ms |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for target, row in summary["targets"].items():
        outcomes = row["outcomes"]
        lines.append(
            f"| {target} | {row['cases']:,} | {outcomes.get('success', 0):,} | "
            f"{outcomes.get('station_error', 0):,} | {row['failed']} | {row['median_ms']} | "
            f"{row['p99_ms']} | {row['max_ms']} |"
        )
    lines.append("")
    if failures:
        lines.append(f"{len(failures)} case(s) failed; the first:")
        lines += [
            f"- {f['target']} seed {f['seed']}: {f['outcome']}: {f['detail']}"
            for f in failures[:10]
        ]
    else:
        lines.append("No case failed.")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
