"""Where a page's time goes, stage by stage, on a mixed batch; before and after a change.

Runs the page stages in this process (no pool, no database) over the generated mixed
`quality` batch (TIFF, PNG, JPEG; gray and colour; 150-300 dpi; rotated and skewed; broken
files), timing each stage with `perf_counter` and, with `--profile`, cProfile per stage
(the functions that cost most in each stage).

`--before REF` runs the same pages through the station code of a git ref (a temporary
worktree) in a child process first, so the table shows both in one run on the same files.

    .venv/bin/python bench/stages.py --pages 12 --before 2f4900e --profile
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import json
import os
import pstats
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
RESULTS = REPO / "bench" / "results" / "stages.json"
OCR_STAGE = "read_text"


def measure(
    batch: Path, work: Path, *, profile_stages: bool, repeat: int, with_startup: bool = False
) -> dict[str, Any]:
    """Run every page of `batch` through the stages; ms per stage per page, and profiles."""
    os.environ["OMP_THREAD_LIMIT"] = "1"
    import cv2

    cv2.setNumThreads(1)  # as in a pool worker of a pool sized to the cores
    # What a pool worker's forkserver sets up (loaded engine; memory kept between pages,
    # when the code has it), so the stages run as they do in a worker.
    with contextlib.suppress(ImportError):  # older code has no preload
        import station.pipeline.preload  # noqa: F401
    from station import profiles
    from station.pipeline import PAGE_STAGES, PageJob, PageWork, imaging

    profile = profiles.load_profile("text-gray-300", REPO / "profiles")
    jobs = []
    for path in sorted(batch.iterdir()):
        if path.suffix.lower() not in {".tif", ".tiff", ".png", ".jpg", ".jpeg"}:
            continue
        try:
            frames = imaging.frame_count(path)
        except Exception:  # a broken sample: its first stage fails, as in a real batch
            frames = 1
        for index in range(frames):
            jobs.append((path, index))
    per_stage: dict[str, list[float]] = {}
    profilers: dict[str, cProfile.Profile] = {}
    # The first page pays for loading the OCR engine: read it once before timing.
    warm = PageWork(
        job=PageJob(0, jobs[0][0].name, jobs[0][0], "", jobs[0][1], work / "warm", profile)
    )
    (work / "warm").mkdir(parents=True, exist_ok=True)
    for stage in PAGE_STAGES:
        try:
            warm = stage(warm)
        except Exception:
            break
    pages = 0
    for round_ in range(repeat):
        for number, (path, index) in enumerate(jobs):
            job = PageJob(
                number, path.name, path, "", index, work / f"{round_}-{number:04d}", profile
            )
            job.work_dir.mkdir(parents=True, exist_ok=True)
            current = PageWork(job=job)
            pages += 1
            for stage in PAGE_STAGES:
                profiler = profilers.setdefault(stage.__name__, cProfile.Profile())
                started = time.perf_counter()
                try:
                    if profile_stages:
                        profiler.enable()
                    current = stage(current)
                except Exception:
                    current = None  # type: ignore[assignment]
                finally:
                    if profile_stages:
                        profiler.disable()
                    per_stage.setdefault(stage.__name__, []).append(
                        (time.perf_counter() - started) * 1000
                    )
                if current is None or current.finished:
                    break
    result: dict[str, Any] = {
        "pages": pages,
        "ms_per_page": {k: round(sum(v) / pages, 1) for k, v in per_stage.items()},
        "median_ms_when_run": {k: round(statistics.median(v), 1) for k, v in per_stage.items()},
    }
    if with_startup:
        result["startup"] = startup(batch, work)
    result["non_ocr_ms_per_page"] = round(
        sum(v for k, v in result["ms_per_page"].items() if k != OCR_STAGE), 1
    )
    if profile_stages:
        result["top_functions"] = {
            name: _top(profiler, pages) for name, profiler in profilers.items()
        }
    return result


def startup(batch: Path, work: Path, rounds: int = 3) -> dict[str, Any]:
    """What a worker pays before its first page, and what `station` pays before any.

    - cli_s: `station --help`, the command's own start (imports);
    - pool_cold_s: a 2-worker pool from creation until both workers are ready to take a
      page, the forkserver started from nothing (it imports the pipeline and loads Tesseract
      once; `station process` overlaps this with taking originals in);
    - pool_warm_s: the same with the forkserver already running, as in `station watch`
      after its first batch: what starting workers costs once the models are loaded;
    - first_page_ocr_ms / later_page_ocr_ms: read_text on a worker's first page against
      the mean of the others (a first page that loads the models is slower).
    """
    from station import profiles
    from station.pipeline import PageJob
    from station.room.page_worker import warm_up
    from station.room.runner import PagePool

    profile = profiles.load_profile("text-gray-300", REPO / "profiles")
    page = next(p for p in sorted(batch.iterdir()) if p.suffix.lower() == ".tif")
    cli, ready, first, later = [], [], [], []
    for round_ in range(rounds):
        started = time.perf_counter()
        subprocess.run([str(REPO / ".venv" / "bin" / "station"), "--help"], capture_output=True)
        cli.append(time.perf_counter() - started)
        started = time.perf_counter()
        with PagePool(2) as pool:
            assert pool._executor is not None and pool._starter is not None
            pool._starter.join()
            executor = pool._executor
            for future in [executor.submit(warm_up) for _ in range(2)]:
                future.result()
            ready.append(time.perf_counter() - started)
            jobs = [
                PageJob(i, page.name, page, "", 0, work / f"s{round_}-{i}", profile)
                for i in range(4)
            ]
            for job in jobs:
                job.work_dir.mkdir(parents=True, exist_ok=True)
                pool.submit(job)
            ocr = [r.timings_ms.get("read_text", 0.0) for r in pool.results()]
            first.append(max(ocr))
            later.append(statistics.mean(sorted(ocr)[:2]))
    return {
        "cli_s": round(statistics.median(cli), 3),
        "pool_cold_s": round(ready[0], 3),
        "pool_warm_s": round(statistics.median(ready[1:]), 3),
        "first_page_ocr_ms": round(statistics.median(first)),
        "later_page_ocr_ms": round(statistics.median(later)),
    }


def _top(profiler: cProfile.Profile, pages: int, count: int = 8) -> list[str]:
    stats = pstats.Stats(profiler)
    rows = []
    for (file, line, func), (_, _, tottime, _, _) in stats.stats.items():  # type: ignore[attr-defined]
        rows.append((tottime, f"{Path(file).name}:{line}:{func}"))
    rows.sort(reverse=True)
    return [f"{ms * 1000 / pages:.1f} ms  {name}" for ms, name in rows[:count]]


def _run_child(code: Path, batch: Path, work: Path, args: argparse.Namespace) -> dict[str, Any]:
    out = work / "child.json"
    command = [
        sys.executable,
        str(Path(__file__).resolve()),
        "--child",
        str(batch),
        "--json",
        str(out),
        "--repeat",
        str(args.repeat),
    ]
    if args.profile:
        command.append("--profile")
    if args.startup and code == REPO:
        command.append("--startup")
    env = {**os.environ, "PYTHONPATH": str(code), "OMP_THREAD_LIMIT": "1"}
    subprocess.run(command, env=env, check=True, cwd=code)
    result: dict[str, Any] = json.loads(out.read_text(encoding="utf-8"))
    return result


def table(before: dict[str, Any] | None, after: dict[str, Any]) -> str:
    stages = list(after["ms_per_page"])
    if before:
        stages += [s for s in before["ms_per_page"] if s not in stages]
        lines = ["| stage | before ms/page | after ms/page | after / before |", "|---|---|---|---|"]
    else:
        lines = ["| stage | ms/page |", "|---|---|"]
    for stage in stages:
        now = after["ms_per_page"].get(stage, 0.0)
        if before:
            then = before["ms_per_page"].get(stage, 0.0)
            ratio = f"{now / then:.2f}" if then else "-"
            lines.append(f"| {stage} | {then:.0f} | {now:.0f} | {ratio} |")
        else:
            lines.append(f"| {stage} | {now:.0f} |")
    if before:
        then, now = before["non_ocr_ms_per_page"], after["non_ocr_ms_per_page"]
        lines.append(f"| **all but OCR** | **{then:.0f}** | **{now:.0f}** | {now / then:.2f} |")
    else:
        lines.append(f"| **all but OCR** | **{after['non_ocr_ms_per_page']:.0f}** |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pages", type=int, default=12, help="document pages in the batch")
    parser.add_argument("--seed", type=int, default=31)
    parser.add_argument("--repeat", type=int, default=1, help="passes over the batch")
    parser.add_argument("--before", help="git ref whose station code to time first")
    parser.add_argument("--profile", action="store_true", help="cProfile each stage")
    parser.add_argument("--startup", action="store_true", help="time start-up too (this code)")
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--json", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.child:  # a run of another ref's code: measure and write JSON only
        with tempfile.TemporaryDirectory(prefix="station-stages-") as tmp:
            result = measure(
                args.child,
                Path(tmp),
                profile_stages=args.profile,
                repeat=args.repeat,
                with_startup=args.startup,
            )
        args.json.write_text(json.dumps(result), encoding="utf-8")
        return

    sys.path.insert(0, str(REPO / "scripts"))
    import make_samples

    with tempfile.TemporaryDirectory(prefix="station-stages-") as tmp:
        work = Path(tmp)
        batch = work / "batch"
        make_samples.make_batch(batch, seed=args.seed, sample_set="quality", pages=args.pages)
        before = None
        if args.before:
            tree = work / "before"
            subprocess.run(
                ["git", "-C", str(REPO), "worktree", "add", "--detach", str(tree), args.before],
                check=True,
                capture_output=True,
            )
            try:
                before = _run_child(tree, batch, work, args)
            finally:
                subprocess.run(
                    ["git", "-C", str(REPO), "worktree", "remove", "--force", str(tree)],
                    check=False,
                )
        after = _run_child(REPO, batch, work, args)
        shutil.rmtree(batch, ignore_errors=True)
    record = {
        "command": " ".join(["bench/stages.py", *sys.argv[1:]]),
        "seed": args.seed,
        "before_ref": args.before,
        "before": before,
        "after": after,
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(record, indent=2, ensure_ascii=False), encoding="utf-8")
    print(table(before, after))
    if "startup" in after:
        print("\nstart-up:", json.dumps(after["startup"]))
    if args.profile:
        for name, rows in after.get("top_functions", {}).items():
            print(f"\n{name}:")
            for row in rows:
                print("   ", row)


if __name__ == "__main__":
    main()
