"""Where OCR time could go next: each reading option's time per page and the CER it costs.

    .venv/bin/python bench/ocr_options.py [--pages 16] [--seed 7] [--second-conf 75]

Every option reads the SAME pages, prepared by station's own stages (load, orient, deskew,
clean, assess), one page at a time in this one process (OMP_THREAD_LIMIT=1), each engine kept
loaded across pages as station does. Only recognition is timed (wall ms and CPU ms per page);
image preparation and file writing are not. Data:
- generated: scripts/make_samples.py "quality" batch, document pages (blurred pages excluded
  from the means, as bench/run.py does);
- real-vi: the six real government first pages in corpus/real/vietnamese-nomvn (silver GT,
  stamps and handwriting not transcribed: absolute CER is high, differences are what count);
- real-latin: corpus/real/tesseract-test (eurotext: gold; the two ISRI magazine pages: gold
  for their zones only, in zone order).
CER is make_samples.character_error_rate, the definition bench/run.py uses.
Writes bench/results/ocr_options.json and prints a markdown table.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

os.environ["OMP_THREAD_LIMIT"] = "1"

import cv2
import numpy as np
import tesserocr
from PIL import Image

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "scripts"))

import make_samples  # noqa: E402

from station import tools  # noqa: E402
from station.pipeline import imaging, ocr, stages  # noqa: E402
from station.profiles import load_profile  # noqa: E402

REAL = Path("/work/shared/corpus/real")
RESULTS = REPO / "bench" / "results" / "ocr_options.json"
GROUPS = ("generated", "real-vi", "real-latin")
PREP_STAGES = (
    stages.load,
    stages.find_separator,
    stages.orient,
    stages.deskew,
    stages.clean,
    stages.assess,
)
# Letters Vietnamese does not use: a word holding one is a loan word, a name or an English term.
NOT_VIETNAMESE = re.compile(r"[fjwzFJWZ]")


@dataclass(frozen=True)
class Page:
    name: str
    group: str
    gray: np.ndarray
    dpi: float
    truth: str
    blurred: bool


@dataclass(frozen=True)
class Option:
    key: str
    label: str
    languages: str = "vie+eng"
    psm: int = 3
    ocr_dpi: int = 250
    bilevel: bool = True
    second: str | None = None  # languages of the line re-read, None: no second pass
    based_on: str | None = None  # reuse this option's first pass (same settings) for timing
    latin_only: bool = False  # second pass: re-read only lines with letters Vietnamese lacks


@dataclass
class Reading:
    text: str
    words: int
    wall_ms: float
    cpu_ms: float
    second_ms: float = 0.0
    lines: int = 0
    reread: int = 0
    replaced: int = 0
    hocr: str = ""


# --- pages ---------------------------------------------------------------------------------


def _prepare(path: Path, page_index: int, work: Path) -> tuple[np.ndarray, float, bool, bool]:
    """Station's stages up to OCR: the upright, straightened, cleaned gray page."""
    profile = load_profile("text-gray-300", REPO / "profiles")
    job = stages.PageJob(
        page_id=1,
        source_file=path.name,
        master_path=path,
        sha256="",
        page_index=page_index,
        work_dir=work,
        profile=profile,
    )
    page = stages.PageWork(job=job)
    for stage in PREP_STAGES:
        page = stage(page)
    return page.gray, page.dpi, page.blank, "blurred" in page.flags


def generated_pages(seed: int, pages: int, work: Path) -> list[Page]:
    batch = work / "quality"
    shutil.rmtree(batch, ignore_errors=True)
    records = make_samples.make_batch(batch, seed=seed, sample_set="quality", pages=pages)
    found = []
    for record in records:
        if record["kind"] != "document" or not record["text"]:
            continue
        gray, dpi, blank, blurred = _prepare(batch / record["file"], record["page_index"], work)
        if blank:
            continue
        name = f"{record['file']}#{record['page_index']}"
        found.append(Page(name, "generated", gray, dpi, record["text"], blurred))
    return found


def real_pages(work: Path) -> list[Page]:
    found = []
    for image in sorted((REAL / "vietnamese-nomvn").glob("*_p1.png")):
        truth = image.with_name(image.stem + ".gt.txt").read_text(encoding="utf-8")
        gray, dpi, _, blurred = _prepare(image, 0, work)
        found.append(Page(image.stem, "real-vi", gray, dpi, truth, blurred))
    for image in sorted((REAL / "tesseract-test").glob("*.tif")):
        truth = image.with_suffix(".txt").read_text(encoding="utf-8", errors="replace")
        gray, dpi, _, blurred = _prepare(image, 0, work)
        found.append(Page(image.stem, "real-latin", gray, dpi, truth, blurred))
    return found


def ocr_image(page: Page, option: Option) -> tuple[np.ndarray, float]:
    """Station's prepare_for_ocr for bilevel; the same resampling without the threshold for gray."""
    if option.bilevel:
        return imaging.prepare_for_ocr(page.gray, page.dpi, ocr_dpi=option.ocr_dpi)
    scale = option.ocr_dpi / page.dpi if page.dpi > 0 else 1.0
    if abs(scale - 1.0) <= 0.04:
        return page.gray, page.dpi
    height, width = page.gray.shape[:2]
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    interpolation = cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC
    return cv2.resize(page.gray, size, interpolation=interpolation), page.dpi * size[0] / width


# --- engines -------------------------------------------------------------------------------

_ENGINES: dict[tuple[str, int], tesserocr.PyTessBaseAPI] = {}


def engine(languages: str, psm: int) -> tesserocr.PyTessBaseAPI:
    """Built like station.tools._ocr_engine (same settings), kept loaded across pages."""
    key = (languages, psm)
    if key not in _ENGINES:
        api = tesserocr.PyTessBaseAPI(
            path=tools.tessdata_dir(), lang=languages, oem=tesserocr.OEM.LSTM_ONLY, psm=psm
        )
        for name, value in {
            "tessedit_do_invert": "0",
            "textonly_pdf": "1",
            "tessedit_create_pdf": "1",
            "tessedit_create_hocr": "1",
        }.items():
            api.SetVariable(name, value)
        _ENGINES[key] = api
    return _ENGINES[key]


def process_page(
    api: tesserocr.PyTessBaseAPI, image_path: Path, dpi: float
) -> tuple[str, float, float]:
    """ProcessPages as station.tools.ocr_page runs it: hOCR + text-only PDF; wall and CPU ms."""
    api.SetVariable("user_defined_dpi", str(round(dpi)))
    base = image_path.with_name("out")
    wall, cpu = time.perf_counter(), time.process_time()
    done = api.ProcessPages(str(base), str(image_path), None, 300_000)
    wall_ms = (time.perf_counter() - wall) * 1000
    cpu_ms = (time.process_time() - cpu) * 1000
    if not done:
        raise RuntimeError(f"Tesseract could not read {image_path}")
    return base.with_suffix(".hocr").read_text(encoding="utf-8"), wall_ms, cpu_ms


def read_page(page: Page, option: Option, work: Path) -> Reading:
    image, dpi = ocr_image(page, option)
    path = work / "ocr-input.pgm"
    imaging.write_pnm(image, path)
    hocr, wall_ms, cpu_ms = process_page(engine(option.languages, option.psm), path, dpi)
    words = ocr.parse_hocr(hocr)
    return Reading(ocr.hocr_text(hocr), len(words), wall_ms, cpu_ms, hocr=hocr)


def second_pass(
    hocr: str, image: np.ndarray, dpi: float, languages: str, min_conf: float
) -> tuple[str, int, float, float, int, int, int]:
    """Re-read, as single lines, only the lines that are weak or look non-Vietnamese.

    A line is re-read when its mean word confidence is below `min_conf` or a word holds a letter
    Vietnamese does not use (f, j, w, z); the re-reading replaces it when more confident.
    Returns text, words, second-pass wall ms and CPU ms, lines, lines re-read, lines replaced.
    """
    lines = ocr.hocr_lines(hocr)
    api = engine(languages, int(tesserocr.PSM.SINGLE_LINE))
    wall, cpu = time.perf_counter(), time.process_time()
    weak = [
        n
        for n, line in enumerate(lines)
        if (min_conf > 0 and statistics.mean(w.confidence for w in line) < min_conf)
        or any(NOT_VIETNAMESE.search(w.text) for w in line)
    ]
    texts = [" ".join(w.text for w in line) for line in lines]
    replaced = 0
    if weak:
        api.SetImage(Image.fromarray(image))
        api.SetSourceResolution(round(dpi))
        height, width = image.shape[:2]
        for n in weak:
            line = lines[n]
            left = max(0, min(w.box[0] for w in line) - 4)
            top = max(0, min(w.box[1] for w in line) - 4)
            right = min(width, max(w.box[2] for w in line) + 4)
            bottom = min(height, max(w.box[3] for w in line) + 4)
            api.SetRectangle(left, top, right - left, bottom - top)
            text = " ".join(api.GetUTF8Text().split())
            if text and api.MeanTextConf() > statistics.mean(w.confidence for w in line):
                texts[n] = text
                replaced += 1
    wall_ms = (time.perf_counter() - wall) * 1000
    cpu_ms = (time.process_time() - cpu) * 1000
    text = "\n".join(texts)
    return text, len(text.split()), wall_ms, cpu_ms, len(lines), len(weak), replaced


def page_fallback(first: Reading, today: Reading, share: float = 0.25) -> Reading:
    """vie first; when at least `share` of its lines look Latin, the page is read again with
    vie+eng (today's reading of this page, whose time is added): hOCR and PDF stay one reading.
    """
    lines = ocr.hocr_lines(first.hocr)
    latin = sum(1 for line in lines if any(NOT_VIETNAMESE.search(w.text) for w in line))
    if lines and latin / len(lines) >= share:
        return Reading(
            today.text,
            today.words,
            first.wall_ms + today.wall_ms,
            first.cpu_ms + today.cpu_ms,
            today.wall_ms,
            len(lines),
            latin,
            1,
        )
    return Reading(first.text, first.words, first.wall_ms, first.cpu_ms, 0.0, len(lines), latin)


def plain_command(page: Page, work: Path) -> Reading:
    """`tesseract IMAGE out -l vie+eng` on the baseline's own OCR image (a process per page)."""
    image, dpi = imaging.prepare_for_ocr(page.gray, page.dpi, ocr_dpi=250)
    path = work / "plain-input.pgm"
    imaging.write_pnm(image, path)
    base = work / "plain-out"
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    wall = time.perf_counter()
    subprocess.run(
        ["tesseract", str(path), str(base), "-l", "vie+eng", "--dpi", str(round(dpi))],
        env={**os.environ, "OMP_THREAD_LIMIT": "1"},
        capture_output=True,
        check=True,
    )
    wall_ms = (time.perf_counter() - wall) * 1000
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu_ms = (after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime) * 1000
    text = base.with_suffix(".txt").read_text(encoding="utf-8")
    return Reading(text, len(text.split()), wall_ms, cpu_ms)


def layout_only(page: Page, work: Path) -> Reading:
    """Layout analysis alone (no recognition), baseline settings: the share option 6 could cut."""
    image, dpi = imaging.prepare_for_ocr(page.gray, page.dpi, ocr_dpi=250)
    api = engine("vie+eng", 3)
    wall, cpu = time.perf_counter(), time.process_time()
    api.SetImage(Image.fromarray(image))
    api.SetSourceResolution(round(dpi))
    layout = api.AnalyseLayout()
    blocks = 0
    if layout is not None:
        for _ in tesserocr.iterate_level(layout, tesserocr.RIL.BLOCK):
            blocks += 1
    wall_ms = (time.perf_counter() - wall) * 1000
    cpu_ms = (time.process_time() - cpu) * 1000
    api.Clear()
    return Reading("", blocks, wall_ms, cpu_ms)


# --- the study -----------------------------------------------------------------------------


def read_one(
    option: Option, page: Page, work: Path, readings: dict[str, dict[str, Reading]], min_conf: float
) -> Reading:
    if option.key == "plain-command":
        return plain_command(page, work)
    if option.key == "layout-only":
        return layout_only(page, work)
    if option.key == "vie-page-fallback":
        return page_fallback(readings["vie"][page.name], readings["today"][page.name])
    if option.second is None:
        return read_page(page, option, work)
    # The first pass is the based_on option's, already read and timed on this page.
    first = readings[option.based_on or ""][page.name]
    image, dpi = ocr_image(page, option)
    text, words, s_wall, s_cpu, lines, reread, replaced = second_pass(
        first.hocr, image, dpi, option.second, 0.0 if option.latin_only else min_conf
    )
    return Reading(
        text,
        words,
        first.wall_ms + s_wall,
        first.cpu_ms + s_cpu,
        s_wall,
        lines,
        reread,
        replaced,
    )


def cer(page: Page, reading: Reading) -> float:
    return make_samples.character_error_rate(page.truth, reading.text)


def summarise(
    option: Option, pages: list[Page], got: dict[str, Reading], base: dict[str, Reading] | None
) -> dict[str, Any]:
    counted = [p for p in pages if not (p.group == "generated" and p.blurred)]
    row: dict[str, Any] = {
        "key": option.key,
        "label": option.label,
        "settings": {
            "languages": option.languages,
            "psm": option.psm,
            "ocr_dpi": option.ocr_dpi,
            "input": "bilevel" if option.bilevel else "gray",
            "second_pass": option.second,
        },
        "ms_per_page": round(statistics.mean(got[p.name].wall_ms for p in counted), 1),
        "cpu_ms_per_page": round(statistics.mean(got[p.name].cpu_ms for p in counted), 1),
        "words_per_page": round(statistics.mean(got[p.name].words for p in counted), 1),
        "ms_per_vietnamese_page": round(
            statistics.mean(got[p.name].wall_ms for p in counted if p.group != "real-latin"), 1
        ),
    }
    if option.second is not None:
        row["second_pass_ms_per_page"] = round(
            statistics.mean(got[p.name].second_ms for p in counted), 1
        )
        row["lines_reread"] = sum(got[p.name].reread for p in counted)
        row["lines_total"] = sum(got[p.name].lines for p in counted)
        row["lines_replaced"] = sum(got[p.name].replaced for p in counted)
        if option.key == "vie-page-fallback":
            row["pages_reread"] = row.pop("lines_replaced")
    for group in GROUPS:
        members = [p for p in counted if p.group == group]
        if not members:
            continue
        row[f"ms_{group}"] = round(statistics.mean(got[p.name].wall_ms for p in members), 1)
        if option.key == "layout-only":
            continue
        values = [cer(p, got[p.name]) for p in members]
        row[f"cer_{group}"] = round(statistics.mean(values), 4)
        if base is not None and len(members) > 1:
            diffs = [v - cer(p, base[p.name]) for v, p in zip(values, members, strict=True)]
            spread = statistics.stdev(diffs) / len(diffs) ** 0.5
            row[f"dcer_{group}"] = round(statistics.mean(diffs), 4)
            row[f"dcer_se_{group}"] = round(spread, 4)
    row["pages"] = [
        {
            "page": p.name,
            "group": p.group,
            "blurred": p.blurred,
            "ms": round(got[p.name].wall_ms, 1),
            "cpu_ms": round(got[p.name].cpu_ms, 1),
            "words": got[p.name].words,
            "cer": None if option.key == "layout-only" else round(cer(p, got[p.name]), 4),
            **(
                {"lines": got[p.name].lines, "reread": got[p.name].reread}
                if option.second is not None
                else {}
            ),
        }
        for p in pages
    ]
    return row


def within_noise(row: dict[str, Any], group: str) -> bool:
    """Not worse than today: the paired CER change is under two standard errors, or < 0.0005."""
    change = row.get(f"dcer_{group}")
    if change is None:
        return True
    return bool(change <= max(2 * row[f"dcer_se_{group}"], 0.0005))


def table(rows: list[dict[str, Any]]) -> str:
    """Markdown: time per page by data set, time against today on Vietnamese pages, CER."""
    base = rows[0]["ms_per_vietnamese_page"]
    lines = [
        "| option | ms/page generated | ms/page real-vi | ms/page real-latin | CPU ms/page "
        "| time vs today (vi pages) | CER generated | CER real-vi | CER real-latin "
        "| words/page | keeps CER (gen / vi / latin) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for row in rows:
        times = [f"{row[f'ms_{g}']:.0f}" if f"ms_{g}" in row else "—" for g in GROUPS]
        cells = []
        for group in GROUPS:
            value = row.get(f"cer_{group}")
            change = row.get(f"dcer_{group}")
            if value is None:
                cells.append("—")
            elif change is None or row is rows[0]:
                cells.append(f"{value:.4f}")
            else:
                cells.append(f"{value:.4f} ({change:+.4f})")
        keeps = (
            "—"
            if row["key"] in {"today", "layout-only"}
            else " / ".join("yes" if within_noise(row, g) else "**no**" for g in GROUPS)
        )
        lines.append(
            f"| {row['label']} | {' | '.join(times)} | {row['cpu_ms_per_page']:.0f} "
            f"| {row['ms_per_vietnamese_page'] / base:.2f}× | {' | '.join(cells)} "
            f"| {row['words_per_page']:.0f} | {keeps} |"
        )
    return "\n".join(lines)


def study_options(second_conf: float) -> list[Option]:
    """The rows, in table order; a second pass follows the first pass it builds on."""
    weak = f"conf < {second_conf:.0f} or Latin-looking"
    return [
        Option("today", "1. today: vie+eng, psm 3, bilevel 250 dpi"),
        Option("vie", "2. vie alone", languages="vie"),
        Option(
            "vie-then-vie+eng",
            f"3a. vie; lines {weak} re-read with vie+eng",
            languages="vie",
            second="vie+eng",
            based_on="vie",
        ),
        Option(
            "vie-then-eng",
            f"3b. vie; lines {weak} re-read with eng",
            languages="vie",
            second="eng",
            based_on="vie",
        ),
        Option(
            "vie-then-vie+eng-latin",
            "3c. vie; Latin-looking lines only re-read with vie+eng",
            languages="vie",
            second="vie+eng",
            based_on="vie",
            latin_only=True,
        ),
        Option("psm4", "4. vie, psm 4", languages="vie", psm=4),
        Option("psm6", "4. vie, psm 6", languages="vie", psm=6),
        Option("dpi200", "5. vie, bilevel 200 dpi", languages="vie", ocr_dpi=200),
        Option("dpi300", "5. vie, bilevel 300 dpi", languages="vie", ocr_dpi=300),
        Option("gray250", "5. vie, gray 250 dpi", languages="vie", bilevel=False),
        Option("gray200", "5. vie, gray 200 dpi", languages="vie", ocr_dpi=200, bilevel=False),
        Option("vie+eng-dpi200", "5. vie+eng, bilevel 200 dpi", ocr_dpi=200),
        Option("vie+eng-gray250", "5. vie+eng, gray 250 dpi", bilevel=False),
        Option("vie+eng-gray200", "5. vie+eng, gray 200 dpi", ocr_dpi=200, bilevel=False),
        Option(
            "vie-page-fallback",
            "3f. vie; whole page re-read with vie+eng when ≥ 25% of lines look Latin",
            languages="vie",
            second="page",
            based_on="vie",
        ),
        Option(
            "dpi200-then-latin",
            "3d. vie, bilevel 200 dpi; Latin-looking lines re-read with vie+eng",
            languages="vie",
            ocr_dpi=200,
            second="vie+eng",
            based_on="dpi200",
            latin_only=True,
        ),
        Option(
            "gray200-then-latin",
            "3e. vie, gray 200 dpi; Latin-looking lines re-read with vie+eng",
            languages="vie",
            ocr_dpi=200,
            bilevel=False,
            second="vie+eng",
            based_on="gray200",
            latin_only=True,
        ),
        Option("plain-command", "plain `tesseract -l vie+eng` command (same image as 1.)"),
        Option("layout-only", "layout analysis alone (vie+eng, psm 3, no recognition)"),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=16, help="generated document pages")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--second-conf", type=float, default=75.0, help="re-read lines below")
    parser.add_argument("--no-real", action="store_true", help="generated pages only")
    parser.add_argument("--out", type=Path, default=RESULTS, help="where the JSON goes")
    args = parser.parse_args()

    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="ocr-options-") as tmp:
        work = Path(tmp)
        pages = generated_pages(args.seed, args.pages, work)
        if not args.no_real:
            pages += real_pages(work)
        counts = {g: sum(1 for p in pages if p.group == g) for g in GROUPS}
        print(
            f"pages: {counts} (generated blurred, not counted: "
            f"{sum(1 for p in pages if p.group == 'generated' and p.blurred)})",
            flush=True,
        )

        options = study_options(args.second_conf)
        readings: dict[str, dict[str, Reading]] = {o.key: {} for o in options}
        for option in options:  # warm-up, untimed: load every engine, first-page cache misses
            if option.second is None and option.key not in {"plain-command", "layout-only"}:
                read_page(pages[0], option, work)
        # Interleaved, page by page, so that load from other processes hits every option alike.
        for n, page in enumerate(pages, 1):
            t0 = time.perf_counter()
            for option in options:
                readings[option.key][page.name] = read_one(
                    option, page, work, readings, args.second_conf
                )
            print(f"  {n}/{len(pages)} {page.name}: {time.perf_counter() - t0:.0f} s", flush=True)
        rows = [summarise(o, pages, readings[o.key], readings["today"]) for o in options]

    print()
    print(table(rows))
    result = {
        "command": "bench/ocr_options.py " + " ".join(sys.argv[1:]),
        "seed": args.seed,
        "generated_pages": args.pages,
        "pages_by_group": counts,
        "second_pass_min_conf": args.second_conf,
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "tesseract": tools.ocr_engine_version(),
        },
        "seconds": round(time.perf_counter() - started, 1),
        "options": rows,
    }
    args.out.write_text(json.dumps(result, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"\nwrote {args.out}")


if __name__ == "__main__":
    main()
