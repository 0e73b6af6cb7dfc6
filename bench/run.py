"""Benchmark station against plain Tesseract and plain OCRmyPDF on the same pages, in one run.

    .venv/bin/python bench/run.py [--pages 20] [--memory-pages 500] [--seed 7]

Measures (and writes to docs/benchmarks.md, raw numbers to bench/results/):
- accuracy on the generated "quality" batch: character error rate (CER) of station, plain
  `tesseract -l vie+eng` and plain `ocrmypdf --rotate-pages --deskew`; deskew error;
  orientation; broken files reported; good pages kept;
- speed on the "bench" batch: `station process --jobs 2` against plain Tesseract run two at
  a time and `ocrmypdf --rotate-pages --deskew --clean --output-type pdfa --jobs 2`;
- peak RSS per station worker process (and of the Tesseract children), over a long batch
  when --memory-pages is given;
- PDF/A validity of station's outputs (pikepdf on save, and the `page` validator).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "scripts"))

import make_samples  # noqa: E402

from station import tools  # noqa: E402

VENV_BIN = Path(sys.executable).parent
STATION = (
    [str(VENV_BIN / "station")]
    if (VENV_BIN / "station").exists()
    else [sys.executable, "-m", "station"]
)
OCRMYPDF = (
    [str(VENV_BIN / "ocrmypdf")]
    if (VENV_BIN / "ocrmypdf").exists()
    else [sys.executable, "-m", "ocrmypdf"]
)
ENV = {**os.environ, "OMP_THREAD_LIMIT": "1"}


class MemorySampler:
    """Polls /proc for every descendant of a process: peak RSS per process, and RSS over time."""

    def __init__(self, root_pid: int) -> None:
        self.root_pid = root_pid
        self.peak_kb: dict[int, int] = {}
        self.kind: dict[int, str] = {}
        self.series: dict[int, list[tuple[float, int]]] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> MemorySampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _children(self) -> dict[int, int]:
        parents = {}
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                    parents[int(entry.name)] = int(fields[1])
                except (OSError, IndexError, ValueError):
                    continue
        found, frontier = set(), {self.root_pid}
        while frontier:
            frontier = {pid for pid, parent in parents.items() if parent in frontier} - found
            found |= frontier
        return {pid: parents[pid] for pid in found | {self.root_pid} if pid in parents}

    def _run(self) -> None:
        started = time.perf_counter()
        while not self._stop.is_set():
            for pid in self._children():
                try:
                    status = Path(f"/proc/{pid}/status").read_text()
                    cmdline = (
                        Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
                    )
                except OSError:
                    continue
                values = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
                hwm = int(values.get("VmHWM", "0 kB").split()[0])
                rss = int(values.get("VmRSS", "0 kB").split()[0])
                self.peak_kb[pid] = max(self.peak_kb.get(pid, 0), hwm)
                self.kind[pid] = (
                    "tesseract"
                    if "tesseract" in cmdline
                    else "worker"
                    if "multiprocessing" in cmdline
                    else "main"
                    if pid == self.root_pid
                    else "other"
                )
                self.series.setdefault(pid, []).append((time.perf_counter() - started, rss))
            self._stop.wait(0.25)

    def peaks_mb(self, kind: str) -> list[float]:
        return [kb / 1024 for pid, kb in self.peak_kb.items() if self.kind.get(pid) == kind]


def timed(
    command: list[str],
    *,
    env: dict[str, str] | None = None,
    sample: bool = False,
    cwd: Path | None = None,
) -> tuple[float, int, MemorySampler | None]:
    started = time.perf_counter()
    process = subprocess.Popen(
        command,
        env=env or ENV,
        cwd=cwd,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    sampler = MemorySampler(process.pid) if sample else None
    if sampler:
        with sampler:
            _, stderr = process.communicate()
    else:
        _, stderr = process.communicate()
    if process.returncode not in (0, 1):
        raise RuntimeError(f"{' '.join(command)} exited {process.returncode}: {stderr[-2000:]}")
    return time.perf_counter() - started, process.returncode, sampler


def image_files(batch: Path) -> list[Path]:
    return sorted(
        p for p in batch.iterdir() if p.suffix.lower() in {".tif", ".tiff", ".png", ".jpg", ".jpeg"}
    )


def run_station(
    batch: Path, work: Path, *, jobs: int = 2, sample: bool = False, profile: str = "text-gray-300"
) -> tuple[float, list[dict[str, Any]], Path, MemorySampler | None]:
    data, out = work / f"data-{batch.name}", work / f"out-{batch.name}"
    shutil.rmtree(data, ignore_errors=True)
    shutil.rmtree(out, ignore_errors=True)
    env = {**ENV, "STATION_DATA_DIR": str(data), "STATION_PROFILES_DIR": str(REPO / "profiles")}
    env.pop("STATION_DATABASE_URL", None)
    seconds, _, sampler = timed(
        [
            *STATION,
            "process",
            str(batch),
            "--out",
            str(out),
            "--jobs",
            str(jobs),
            "--profile",
            profile,
        ],
        env=env,
        sample=sample,
    )
    records = json.loads((out / "report.json").read_text(encoding="utf-8"))
    return seconds, records, data, sampler


def plain_tesseract(
    files: list[Path], out_dir: Path, *, parallel: int = 2
) -> tuple[float, dict[str, str]]:
    out_dir.mkdir(parents=True, exist_ok=True)

    def one(path: Path) -> tuple[str, str]:
        base = out_dir / path.stem
        subprocess.run(
            ["tesseract", str(path), str(base), "-l", "vie+eng"],
            env=ENV,
            capture_output=True,
            check=False,
        )
        text_file = base.with_suffix(".txt")
        return path.name, text_file.read_text(encoding="utf-8") if text_file.exists() else ""

    started = time.perf_counter()
    with ThreadPoolExecutor(parallel) as pool:
        texts = dict(pool.map(one, files))
    return time.perf_counter() - started, texts


def images_to_pdf(files: list[Path], target: Path) -> list[Path]:
    """img2pdf, skipping files it cannot read (as an operator would have to)."""
    import img2pdf

    good = []
    for path in files:
        try:
            img2pdf.convert(str(path))
            good.append(path)
        except Exception:  # the broken samples; plain OCRmyPDF never sees them
            continue
    target.write_bytes(img2pdf.convert([str(p) for p in good]))
    return good


def plain_ocrmypdf(input_pdf: Path, output_pdf: Path, *, clean: bool, jobs: int = 2) -> float:
    command = [
        *OCRMYPDF,
        "--rotate-pages",
        "--deskew",
        "-l",
        "vie+eng",
        "--output-type",
        "pdfa",
        "--jobs",
        str(jobs),
        "--rotate-pages-threshold",
        "2",
    ]
    if clean:
        command.append("--clean")
    seconds, _, _ = timed([*command, str(input_pdf), str(output_pdf)])
    return seconds


def pdf_page_texts(pdf: Path) -> list[str]:
    text = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    return text.split("\f")


def accuracy(seed: int, work: Path) -> dict[str, Any]:
    batch = work / "quality"
    shutil.rmtree(batch, ignore_errors=True)
    truth = make_samples.make_batch(batch, seed=seed, sample_set="quality")
    seconds, records, data, _ = run_station(batch, work)
    by_key = {(r["source_file"], r["page_index"]): r for r in records}
    documents = [t for t in truth if t["kind"] == "document"]

    station_cer, skew_errors, orientation_wrong, counted, excluded = [], [], [], 0, []
    for t in documents:
        record = by_key[(t["file"], t["page_index"])]
        if record["status"] != "ok":
            station_cer.append(1.0)
            continue
        text = (data / "derivatives" / f"{record['page_id']:08d}" / "page.txt").read_text(
            encoding="utf-8"
        )
        cer = make_samples.character_error_rate(t["text"], text)
        if "blurred" in record["flags"]:
            excluded.append({"file": t["file"], "cer": round(cer, 4)})
        else:
            station_cer.append(cer)
            counted += 1
        skew_errors.append(abs((record["skew_deg"] or 0.0) - t["skew_deg"]))
        if record["rotation"] != t["rotation"]:
            orientation_wrong.append(
                {"file": t["file"], "expected": t["rotation"], "got": record["rotation"]}
            )

    # Plain tools on the same raw files (multi-page TIFF frames split by form feed).
    _, tess_texts = plain_tesseract(image_files(batch), work / "plain-tesseract-quality")
    tesseract_cer = []
    for t in documents:
        pages = tess_texts.get(t["file"], "").split("\f")
        text = pages[t["page_index"]] if t["page_index"] < len(pages) else ""
        tesseract_cer.append(make_samples.character_error_rate(t["text"], text))

    input_pdf = work / "quality-input.pdf"
    good = images_to_pdf(image_files(batch), input_pdf)
    ocrmypdf_cer: list[float] = []
    try:
        plain_ocrmypdf(input_pdf, work / "quality-ocrmypdf.pdf", clean=False)
        texts = pdf_page_texts(work / "quality-ocrmypdf.pdf")
        order = [(p.name, i) for p in good for i in range(_frames(p))]
        position = {key: n for n, key in enumerate(order)}
        for t in documents:
            n = position.get((t["file"], t["page_index"]))
            text = texts[n] if n is not None and n < len(texts) else ""
            ocrmypdf_cer.append(make_samples.character_error_rate(t["text"], text))
    except RuntimeError as exc:
        print(f"plain OCRmyPDF failed on the quality batch: {exc}")

    broken = [t for t in truth if t["kind"] == "broken"]
    good_pages = [t for t in truth if t["kind"] != "broken"]
    return {
        "pages": len(truth),
        "documents": len(documents),
        "station_seconds": round(seconds, 1),
        "station_cer_mean": round(statistics.mean(station_cer), 4),
        "station_cer_counted_pages": counted,
        "station_excluded_blurred": excluded,
        "tesseract_cer_mean": round(statistics.mean(tesseract_cer), 4),
        "ocrmypdf_cer_mean": round(statistics.mean(ocrmypdf_cer), 4) if ocrmypdf_cer else None,
        "deskew_mae_deg": round(statistics.mean(skew_errors), 4),
        "deskew_max_error_deg": round(max(skew_errors), 4),
        "orientation_wrong": orientation_wrong,
        "broken_reported": sum(1 for t in broken if by_key[(t["file"], 0)]["status"] == "failed"),
        "broken_total": len(broken),
        "good_pages_kept": sum(
            1 for t in good_pages if by_key[(t["file"], t["page_index"])]["status"] == "ok"
        ),
        "good_pages_total": len(good_pages),
        "flags_by_page": {
            f"{r['source_file']}#{r['page_index']}": r["flags"] for r in records if r["flags"]
        },
    }


def _frames(path: Path) -> int:
    from PIL import Image

    with Image.open(path) as image:
        return getattr(image, "n_frames", 1)


def speed(
    seed: int, pages: int, work: Path, *, with_ocrmypdf: bool = True, sample_set: str = "bench"
) -> dict[str, Any]:
    """`sample_set` "bench" is uniform 300-dpi TIFFs; "quality" is mixed (TIFF, PNG, JPEG;
    gray and colour; 150-300 dpi; rotated and skewed; a few broken files)."""
    batch = work / "speed"
    shutil.rmtree(batch, ignore_errors=True)
    make_samples.make_batch(batch, seed=seed, sample_set=sample_set, pages=pages)
    files = image_files(batch)
    tesseract_s, _ = plain_tesseract(files, work / "plain-tesseract-speed")
    # Timed without the memory sampler: polling /proc costs CPU that plain Tesseract's run
    # does not pay. Memory is measured in its own run (`memory`).
    station_s, records, _, _ = run_station(batch, work)
    result: dict[str, Any] = {
        "pages": len(records),
        "sample_set": sample_set,
        "plain_tesseract_2_at_a_time_s": round(tesseract_s, 1),
        "station_jobs2_s": round(station_s, 1),
        "station_over_tesseract": round(station_s / tesseract_s, 3),
        "station_pages_per_minute": round(len(records) / station_s * 60, 1),
    }
    if with_ocrmypdf:
        input_pdf = work / "speed-input.pdf"
        images_to_pdf(files, input_pdf)
        ocrmypdf_s = plain_ocrmypdf(input_pdf, work / "speed-ocrmypdf.pdf", clean=True)
        result["ocrmypdf_clean_jobs2_s"] = round(ocrmypdf_s, 1)
        result["ocrmypdf_over_station"] = round(ocrmypdf_s / station_s, 2)
    stage_totals: dict[str, float] = {}
    for record in records:
        for stage, ms in record["timings"].items():
            stage_totals[stage] = stage_totals.get(stage, 0.0) + ms
    result["stage_ms_per_page"] = {k: round(v / len(records)) for k, v in stage_totals.items()}
    result["non_ocr_stage_ms_per_page"] = round(
        sum(v for k, v in stage_totals.items() if k != "read_text") / len(records)
    )
    result["assembly_ms_per_page"] = assembly_ms_per_page(work / f"data-{batch.name}")
    return result


def assembly_ms_per_page(data: Path) -> dict[str, float]:
    """Folder and document PDF/A assembly, from the batch's own `assemble` events."""
    import sqlite3

    with sqlite3.connect(data / "station.db") as db:
        pages = db.execute("select count(*) from page where state = 'ok'").fetchone()[0]
        rows = db.execute("select detail from event where stage = 'assemble'").fetchall()
    folder_ms = document_ms = 0.0
    for (detail,) in rows:
        values = json.loads(detail)
        if "from" in values:  # a document cut from its folder's PDF/A
            document_ms += values.get("ms", 0.0)
        else:
            folder_ms += values.get("ms", 0.0)
    pages = max(1, pages)
    return {
        "folders": round(folder_ms / pages, 1),
        "documents": round(document_ms / pages, 1),
        "total": round((folder_ms + document_ms) / pages, 1),
    }


def memory(seed: int, pages: int, work: Path) -> dict[str, Any]:
    """A long batch: worker RSS at the start against the end shows whether memory stays flat."""
    source = work / "speed"
    if not source.exists():
        make_samples.make_batch(source, seed=seed, sample_set="bench", pages=20)
    batch = work / "memory"
    shutil.rmtree(batch, ignore_errors=True)
    batch.mkdir()
    files = image_files(source)
    for n in range(pages):
        original = files[n % len(files)]
        shutil.copyfile(original, batch / f"scan_{n + 1:04d}{original.suffix}")
    seconds, records, _, sampler = run_station(batch, work, sample=True)
    assert sampler is not None
    drift = []
    for pid, series in sampler.series.items():
        if sampler.kind.get(pid) != "worker" or len(series) < 20:
            continue
        tenth = max(1, len(series) // 10)
        first = statistics.mean(rss for _, rss in series[tenth : 2 * tenth]) / 1024
        last = statistics.mean(rss for _, rss in series[-tenth:]) / 1024
        drift.append({"first_tenth_mb": round(first), "last_tenth_mb": round(last)})
    return {
        "pages": len(records),
        "seconds": round(seconds, 1),
        "worker_peak_rss_mb": [round(v) for v in sampler.peaks_mb("worker")],
        "tesseract_peak_rss_mb": round(max(sampler.peaks_mb("tesseract"), default=0)),
        "worker_rss_start_vs_end": drift,
    }


def pdfa_validity(work: Path) -> dict[str, Any]:
    import page

    results = {}
    for pdf in sorted(work.glob("out-*/*.pdf")):
        # The 500-page memory run's PDF is larger than the validator's default 256 MB guard.
        report = page.validate_pdf(str(pdf), profile="2b", limits=page.SafetyLimits.unlimited())
        results[pdf.name] = {
            "compliant": report.is_compliant,
            "failures": [f"{f.rule_id}: {f.message}" for f in report.failures][:5],
        }
    return results


def write_markdown(results: dict[str, Any], command: str) -> None:
    acc, spd, mem = results.get("accuracy"), results.get("speed"), results.get("memory")
    lines = [
        "# Benchmarks",
        "",
        f"Measured {results['date']} on {results['machine']}; Tesseract {results['tesseract']} "
        f"(command; station's OCR engine: libtesseract {results.get('ocr_engine', '?')} via "
        "tesserocr), "
        f"OCRmyPDF {results['ocrmypdf']}. Reproduce with:",
        "",
        f"    {command}",
        "",
        "Raw numbers: `bench/results/latest.json` (written by the same run).",
        "",
    ]
    if acc:
        lines += [
            "## Accuracy (generated `quality` batch, seed "
            f"{results['seed']}: {acc['pages']} pages, {acc['documents']} document pages)",
            "",
            "| measure | station | plain `tesseract -l vie+eng` | plain `ocrmypdf --rotate-pages --deskew` |",
            "|---|---|---|---|",
            f"| mean CER over document pages | **{acc['station_cer_mean']:.4f}** | "
            f"{acc['tesseract_cer_mean']:.4f} | {acc['ocrmypdf_cer_mean']} |",
            f"| ratio to station | 1 | {acc['tesseract_cer_mean'] / max(acc['station_cer_mean'], 1e-9):.1f}× | "
            + (
                f"{acc['ocrmypdf_cer_mean'] / max(acc['station_cer_mean'], 1e-9):.1f}× |"
                if acc["ocrmypdf_cer_mean"] is not None
                else "– |"
            ),
            "",
            f"- Pages counted for station: {acc['station_cer_counted_pages']}; pages flagged `blurred` "
            f"(belong on the rescan list, not counted): {acc['station_excluded_blurred']}.",
            f"- Deskew: mean absolute error {acc['deskew_mae_deg']}°, largest {acc['deskew_max_error_deg']}° "
            "(skew uniformly in ±5°).",
            f"- Orientation wrong on {len(acc['orientation_wrong'])} pages {acc['orientation_wrong'] or ''}.",
            f"- Broken files reported: {acc['broken_reported']} of {acc['broken_total']}; "
            f"good pages kept: {acc['good_pages_kept']} of {acc['good_pages_total']}.",
            "",
        ]
    if spd:
        lines += [
            f"## Speed ({spd['pages']} A4 pages, 2 cores, "
            + (
                "mixed `quality` batch: TIFF, PNG, JPEG; gray and colour; 150-300 dpi; "
                "rotated and skewed; broken files)"
                if spd.get("sample_set") == "quality"
                else "uniform `bench` batch at 300 dpi)"
            ),
            "",
            "| run | wall time | ratio |",
            "|---|---|---|",
            f"| plain `tesseract -l vie+eng`, 2 at a time, `OMP_THREAD_LIMIT=1` | "
            f"{spd['plain_tesseract_2_at_a_time_s']} s | 1 |",
            f"| `station process --jobs 2` (everything: masters, images, OCR, PDF/A, database) | "
            f"{spd['station_jobs2_s']} s | **{spd['station_over_tesseract']}×** tesseract (bar: ≤ 1.0) |",
        ]
        if "ocrmypdf_clean_jobs2_s" in spd:
            lines.append(
                f"| `ocrmypdf --rotate-pages --deskew --clean --output-type pdfa --jobs 2` | "
                f"{spd['ocrmypdf_clean_jobs2_s']} s | **{spd['ocrmypdf_over_station']}×** station (bar: ≥ 5) |"
            )
        lines += [
            "",
            f"Station: {spd['station_pages_per_minute']} pages/min. Time per page by stage (ms, "
            f"one worker): {spd['stage_ms_per_page']}.",
            "",
            f"All stages but OCR: {spd.get('non_ocr_stage_ms_per_page', '-')} ms per page, as "
            "timed in the workers of this run, with both cores busy (bar: ≤ 150). Folder and "
            f"document PDF/A assembly: {spd.get('assembly_ms_per_page', {}).get('total', '-')} "
            "ms per page (bar: ≤ 20).",
            "",
            "Peak memory is measured in the long run below, not in this timed run.",
            "",
        ]
    if mem:
        lines += [
            f"## Memory over a long batch ({mem['pages']} pages, {mem['seconds']} s)",
            "",
            f"Peak RSS per worker: {mem['worker_peak_rss_mb']} MB (bar: ≤ 400 MB); Tesseract child "
            f"{mem['tesseract_peak_rss_mb']} MB. Worker RSS in the second tenth of the run against the "
            f"last tenth: {mem['worker_rss_start_vs_end']}.",
            "",
        ]
    if results.get("pdfa"):
        lines += [
            "## PDF/A",
            "",
            "Every output passed pikepdf's PDF/A-2b validation on save; the `page` "
            "validator (PyPI page-validation) says:",
            "",
        ]
        lines += [
            f"- `{name}`: {'compliant' if v['compliant'] else 'NOT compliant ' + str(v['failures'])}"
            for name, v in results["pdfa"].items()
        ]
        lines.append("")
    (REPO / "docs").mkdir(exist_ok=True)
    doc = REPO / "docs" / "benchmarks.md"
    doc.write_text("\n".join(lines) + _kept_sections(doc), encoding="utf-8")


# Sections written by hand or by other benchmarks (bench/review.py, bench/export.py): from the
# first of these headings to the end of the file, they survive this rewrite unchanged.
KEPT_SECTIONS = (
    "## Faster than plain Tesseract (issue 12)",
    "## OCR options",
    "## Against the issue's bars",
    "## Review app",
    "## Export",
    "## Documents",
    "## Distributed",
)


def _kept_sections(doc: Path) -> str:
    if not doc.exists():
        return ""
    text = doc.read_text(encoding="utf-8")
    starts = [i for h in KEPT_SECTIONS if (i := text.find(f"\n{h}\n")) != -1]
    return "\n" + text[min(starts) + 1 :] if starts else ""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=20, help="pages in the speed batch")
    parser.add_argument(
        "--memory-pages", type=int, default=0, help="pages in the long memory run (0: skip)"
    )
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--speed-set", choices=["bench", "quality"], default="bench", help="the speed batch"
    )
    parser.add_argument("--only", choices=["accuracy", "speed", "memory"], action="append")
    parser.add_argument("--work", type=Path, default=Path("/tmp/station-bench"))
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    wanted = set(args.only or ["accuracy", "speed", "memory"])
    import ocrmypdf

    latest = REPO / "bench" / "results" / "latest.json"
    # With --only, the other sections keep the numbers of the last full run.
    previous = (
        json.loads(latest.read_text(encoding="utf-8")) if args.only and latest.exists() else {}
    )
    results: dict[str, Any] = {
        **previous,
        "ocr_engine": tools.ocr_engine_version(),
        "date": datetime.now(UTC).strftime("%Y-%m-%d"),
        "machine": f"{platform.system()} {platform.machine()}, {os.cpu_count()} cores",
        "tesseract": subprocess.run(
            ["tesseract", "--version"], capture_output=True, text=True
        ).stdout.split()[1],
        "ocrmypdf": ocrmypdf.__version__,
        "seed": args.seed,
    }
    if "accuracy" in wanted:
        results["accuracy"] = accuracy(args.seed, args.work)
        print(json.dumps(results["accuracy"], ensure_ascii=False, indent=1))
    if "speed" in wanted:
        results["speed"] = speed(args.seed, args.pages, args.work, sample_set=args.speed_set)
        print(json.dumps(results["speed"], indent=1))
    if "memory" in wanted and args.memory_pages:
        results["memory"] = memory(args.seed, args.memory_pages, args.work)
        print(json.dumps(results["memory"], indent=1))
    results["pdfa"] = pdfa_validity(args.work)
    results_dir = REPO / "bench" / "results"
    results_dir.mkdir(parents=True, exist_ok=True)
    (results_dir / "latest.json").write_text(
        json.dumps(results, ensure_ascii=False, indent=1), encoding="utf-8"
    )
    command = "scripts/setup && .venv/bin/python bench/run.py " + " ".join(sys.argv[1:])
    write_markdown(results, command.strip())
    print("wrote docs/benchmarks.md")


if __name__ == "__main__":
    main()
