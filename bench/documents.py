"""Documents benchmark: boundaries, fields, calibration, secrecy, urgency and cost, on
generated folders and on the six real government scans.

    .venv/bin/python bench/documents.py [--folders 4] [--seed 7] [--threshold 0.85]
                                        [--skip-cost]

1. generates `--folders` folders of a manifest, each a station separator sheet and 3–5
   documents drawn by `make_samples.render_document`, with the truth of what it drew: state
   (NĐ 30), Party (HD 36) and pre-2011 state layouts in turn (half, a third, a sixth), 1–4
   pages numbered at the top centre, công văn with "V/v" under the number, two-line issuer
   headers, red secrecy and urgency stamps (some rotated, some faint), a red seal over every
   signature, arrival stamps and pen notes; a blank page now and then; saved as PNG, TIFF
   and JPEG, gray and colour, 200 and 300 dpi, some skewed;
2. runs `station process` on it with the profile's `[documents]` on and, unless
   `--skip-cost`, again with them off, and scores OUT/documents.json against the truth:
   document-start F1, exact fields (the header's also per layout), trích yếu within 5 %
   character error and its mean error, calibration (share right among fields at or above
   the threshold), secrecy and urgency recall and precision with the level right; the cost
   is the difference in per-page time;
3. processes the six real first pages (a folder each) and counts, among the fields they
   print, those right, those uncertain (below the threshold) and those confidently wrong;
4. writes bench/results/documents.json and the section "## Documents" of docs/benchmarks.md.

The issuing body's truth is its full name as `make_samples._issuer_name` composes it: the
body's own name, then its superior's; a People's Committee or a Đảng bộ above adds only its
territory ("UBND TỈNH X" / "SỞ Y" is SỞ Y TỈNH X).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "scripts"))
sys.path.insert(0, str(REPO / "bench"))

import make_samples as ms  # noqa: E402
import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402
from sections import replace_section  # noqa: E402

from station.pipeline import separators  # noqa: E402

SECTION = "## Documents"
RESULTS = REPO / "bench" / "results" / "documents.json"
DOCS = REPO / "docs" / "benchmarks.md"
REAL = REPO.parent / "shared" / "corpus" / "real" / "vietnamese-nomvn"
EXACT = (
    "number_symbol",
    "issued_date",
    "document_type",
    "issuing_body",
    "place",
    "signer_name",
    "signer_title",
    "urgency",
)
BY_LAYOUT = ("number_symbol", "issued_date", "document_type", "issuing_body")
# Layouts in turn, so that small runs mix them too: half state, a third Party, a sixth old.
LAYOUT_TURNS = ("state", "party", "state", "old", "party", "state")
# Every third document carries a secrecy mark and every fourth an urgency mark, their levels
# in turn, so that a run of 15 documents has each level.
SECRECY_TURNS = ("Mật", "Tối mật", "Tuyệt mật")
URGENCY_TURNS = ("Khẩn", "Thượng khẩn", "Hỏa tốc")
HEADER = "Mã phông;Hộp số;Hồ sơ số;Mã hồ sơ;Tiêu đề hồ sơ;Ngày bắt đầu;Ngày kết thúc;Thời hạn bảo quản;Số lượng tờ\n"

# What the real first pages print; numbers and dates written by hand are included: the
# right outcome for those is the value or a confidence below the threshold.
REAL_TRUTH = {
    "real_qd_729_ttg_p1": {
        "document_type": "QUYẾT ĐỊNH",
        "number_symbol": "729/QĐ-TTg",
        "issuing_body": "THỦ TƯỚNG CHÍNH PHỦ",
        "issued_date": "2026-04-23",
        "place": "Hà Nội",
    },
    "real_qd_707_ttg_p1": {
        "document_type": "QUYẾT ĐỊNH",
        "number_symbol": "707/QĐ-TTg",
        "issuing_body": "THỦ TƯỚNG CHÍNH PHỦ",
        "place": "Hà Nội",
    },
    "real_cv_3722_metro_p1": {
        "document_type": "CÔNG VĂN",
        "number_symbol": "3722/VPCP-CN",
        "issuing_body": "VĂN PHÒNG CHÍNH PHỦ",
        "issued_date": "2026-04-28",
        "place": "Hà Nội",
    },
    "real_nq_115_ba_vi_p1": {
        "document_type": "NGHỊ QUYẾT",
        "number_symbol": "115/NQ-CP",
        "issuing_body": "CHÍNH PHỦ",
    },
    "real_tt_21_bct_fuel_p1": {
        "document_type": "THÔNG TƯ",
        "number_symbol": "21/2026/TT-BCT",
        "issuing_body": "BỘ CÔNG THƯƠNG",
    },
    "real_tt_37_bca_vehicle_p1": {
        "document_type": "THÔNG TƯ",
        "number_symbol": "37/2026/TT-BCA",
        "issuing_body": "BỘ CÔNG AN",
        "place": "Hà Nội",
    },
}


def make_folders(root: Path, folders: int, seed: int) -> tuple[Path, list[dict[str, Any]]]:
    rng = np.random.default_rng(seed)
    batch = root / "batch"
    batch.mkdir()
    rows, truth, n = [], [], 0

    def save(image: Image.Image) -> str:
        nonlocal n
        n += 1
        fmt = ("png", "tif", "jpg")[n % 3]
        dpi = 300 if n % 4 else 200
        if dpi == 200:
            image = image.resize((image.width * 2 // 3, image.height * 2 // 3), Image.LANCZOS)
        if n % 5 == 0:
            image = ms.apply_skew(image, float(rng.uniform(-1.5, 1.5)))
        name = f"scan_{n:04d}.{fmt}"
        image.save(batch / name, dpi=(dpi, dpi), **({"quality": 90} if fmt == "jpg" else {}))
        return name

    doc_seed = seed * 1000
    for f in range(1, folders + 1):
        folder_id = f"B{seed}/H01/HS{f:03d}"
        before = n
        save(
            Image.fromarray(
                separators.render_separator_sheet(
                    separators.SeparatorLabel(folder_id, "1", str(f), f"Hồ sơ đo {f}")
                )
            )
        )
        for _ in range(int(rng.integers(3, 6))):
            doc_seed += 1
            k = len(truth)
            doc = ms.render_document(
                np.random.default_rng(doc_seed),
                layout=LAYOUT_TURNS[k % len(LAYOUT_TURNS)],
                colour=bool(rng.random() < 0.4),
                secrecy=SECRECY_TURNS[k // 3 % 3] if k % 3 == 2 else None,
                urgency=URGENCY_TURNS[k // 4 % 3] if k % 4 == 1 else None,
            )
            pages = [save(page) for page in doc.pages]
            truth.append({"folder_id": folder_id, "pages": pages, **doc.truth})
            if rng.random() < 0.15:
                save(ms.render_blank_page(rng, dpi=300))
        rows.append(f"BM;1;{f};{folder_id};Hồ sơ đo {f};2010;2024;Vĩnh viễn;{n - before - 1}")
    (root / "manifest.csv").write_text(HEADER + "\n".join(rows) + "\n", encoding="utf-8-sig")
    return batch, truth


def station(root: Path, *args: str, documents: bool = True) -> float:
    profiles = root / "profiles"
    if not profiles.exists():
        shutil.copytree(REPO / "profiles", profiles)
    profile = profiles / "text-gray-300.toml"
    text = (REPO / "profiles" / "text-gray-300.toml").read_text(encoding="utf-8")
    profile.write_text(
        text + ("" if documents else "\n[documents]\nenabled = false\n"), encoding="utf-8"
    )
    env = {k: v for k, v in os.environ.items() if k not in ("STATION_DATABASE_URL", "STATION_WORK")}
    env |= {  # SQLite in the run's own data directory, whatever the shell has set
        "STATION_DATA_DIR": str(root / "data"),
        "STATION_PROFILES_DIR": str(profiles),
        "STATION_CONFIG": str(root / "station.toml"),
    }
    started = time.perf_counter()
    done = subprocess.run(
        [str(REPO / ".venv" / "bin" / "station"), *args], env=env, capture_output=True, text=True
    )
    if done.returncode not in (0, 1):
        raise SystemExit(f"station {' '.join(args)} failed: {done.stderr[-2000:]}")
    return time.perf_counter() - started


def work_share(data_dir: Path) -> dict[str, Any]:
    """What documents cost out of all the work of the run, from station's own timings:
    each page's `read_document` stage and each folder's `extract_documents` (splitting,
    fields, the documents' PDF/As, recording), against every page stage and folder step.

    Unlike two runs' wall times, this does not move with whatever else the machine does.
    """
    import sqlite3

    with sqlite3.connect(data_dir / "station.db") as db:
        timings = [json.loads(t) for (t,) in db.execute("select timings from page") if t]
        steps = {
            stage: sum(json.loads(d).get("ms") or 0 for (d,) in rows)
            for stage in ("assemble", "extract_documents")
            for rows in [db.execute("select detail from event where stage = ? and folder_id is not "
                                    "null", (stage,)).fetchall()]
        }  # fmt: skip
    reading = sum(t.get("read_document", 0) for t in timings)
    pages = sum(sum(t.values()) for t in timings)
    # extract_documents' time includes the documents' own assemble events: count it once
    documents = reading + steps["extract_documents"]
    folder_pdfs = steps["assemble"] - _document_assembly_ms(data_dir)
    total = pages + folder_pdfs + steps["extract_documents"]
    return {
        "read_document_ms_per_page": round(reading / max(1, len(timings)), 1),
        "extract_documents_ms": round(steps["extract_documents"]),
        "share": round(documents / total, 4),
        "added": round(documents / (total - documents), 4),
    }


def _document_assembly_ms(data_dir: Path) -> float:
    import sqlite3

    with sqlite3.connect(data_dir / "station.db") as db:
        rows = db.execute(
            "select detail from event where stage = 'assemble' and detail like '%\"from\"%'"
        ).fetchall()
    return sum(json.loads(d).get("ms") or 0 for (d,) in rows)


def cer(a: str, b: str) -> float:
    return ms.character_error_rate(a, b)


def _rate(right: int, total: int) -> float | None:
    return round(right / total, 3) if total else None


def _levels(pairs: list[tuple[str | None, str | None]]) -> dict[str, Any]:
    """Recall and precision of a mark (secrecy or urgency) over its three levels: a found
    mark counts as right only with the right level; per level, how many marked were found."""
    marked = [(t, f) for t, f in pairs if t is not None]
    found = [(t, f) for t, f in pairs if f is not None]
    by_level: dict[str, list[int]] = {}
    for t, f in marked:
        counts = by_level.setdefault(t, [0, 0])
        counts[0] += f == t
        counts[1] += 1
    return {
        "recall": _rate(sum(f == t for t, f in marked), len(marked)),
        "precision": _rate(sum(f == t for t, f in found), len(found)),
        "marked": len(marked),
        "found": len(found),
        "by_level": {level: f"{r}/{n}" for level, (r, n) in sorted(by_level.items())},
    }


def score(
    found: list[dict[str, Any]], truth: list[dict[str, Any]], threshold: float
) -> dict[str, Any]:
    starts_found = {(d["folder_id"], d["pages"][0]["source_file"]) for d in found}
    starts_true = {(t["folder_id"], t["pages"][0]) for t in truth}
    tp = len(starts_found & starts_true)
    precision, recall = tp / max(1, len(starts_found)), tp / max(1, len(starts_true))
    by_start = {(d["folder_id"], d["pages"][0]["source_file"]): d for d in found}
    right: dict[str, int] = {}
    layouts: dict[str, dict[str, int]] = {}
    confident = confident_right = 0
    misses: list[str] = []
    summaries: list[str] = []
    cers: list[float] = []
    secrecy: list[tuple[str | None, str | None]] = []
    urgency: list[tuple[str | None, str | None]] = []
    for t in truth:
        d = by_start.get((t["folder_id"], t["pages"][0]))
        per_layout = layouts.setdefault(t["layout"], {"documents": 0})
        per_layout["documents"] += 1
        read = d["summary"] if d is not None else None
        cers.append(1.0 if read is None else min(1.0, cer(t["summary"], read)))
        if cers[-1] > 0.05:
            summaries.append(f"{t['layout']} {t['summary']!r} read {read!r}")
        for name in (*EXACT, "summary"):
            if name == "summary":
                ok = read is not None and cers[-1] <= 0.05
            else:
                ok = d is not None and d[name] == t[name]
            right[name] = right.get(name, 0) + ok
            if name in BY_LAYOUT:
                per_layout[name] = per_layout.get(name, 0) + ok
            if d is not None and d["confidence"].get(name, 0) >= threshold:
                confident += 1
                confident_right += ok
                if not ok:
                    misses.append(
                        f"{t['layout']} {name}: {t[name]!r} read {d[name]!r} "
                        f"({d['confidence'][name]})"
                    )
        secrecy.append((t["secrecy"], d["secrecy"] if d is not None else None))
        urgency.append((t["urgency"], d["urgency"] if d is not None else None))
    marks = _levels(secrecy)
    return {
        "documents": len(truth),
        "start_f1": round(2 * precision * recall / max(1e-9, precision + recall), 3),
        "field_accuracy": {k: round(v / len(truth), 3) for k, v in right.items()},
        "summary_mean_cer": round(sum(cers) / max(1, len(cers)), 3),
        "by_layout": {
            layout: {"documents": c["documents"]}
            | {name: round(c.get(name, 0) / c["documents"], 3) for name in BY_LAYOUT}
            for layout, c in sorted(layouts.items())
        },
        "calibration": round(confident_right / max(1, confident), 3),
        "confident_fields": confident,
        "secrecy_recall": marks["recall"],
        "secrecy_precision": marks["precision"],
        "secrecy": marks,
        "urgency": _levels(urgency),
        "confidently_wrong": misses,
        "summaries_wrong": summaries,
    }


def real_pages(root: Path, threshold: float) -> dict[str, Any]:
    batch = root / "real"
    batch.mkdir()
    rows = []
    for i, stem in enumerate(REAL_TRUTH, start=1):
        folder_id = f"REAL/{i:02d}"
        rows.append(f"R;1;{i};{folder_id};{stem};2025;2026;Vĩnh viễn;1")
        sub = batch / folder_id.replace("/", "-")
        sub.mkdir()
        shutil.copy(REAL / f"{stem}.png", sub / f"{stem}.png")
    (root / "real.csv").write_text(HEADER + "\n".join(rows) + "\n", encoding="utf-8-sig")
    station(root, "manifest", "import", str(root / "real.csv"))
    station(root, "process", str(batch), "--out", str(root / "real-out"), "--jobs", "2")
    found = json.loads((root / "real-out" / "documents.json").read_text(encoding="utf-8"))
    counts = {"right": 0, "uncertain": 0, "confidently_wrong": 0, "starts_found": 0}
    wrong = []
    for d in found:
        stem = d["pages"][0]["source_file"].split("/")[-1].removesuffix(".png")
        counts["starts_found"] += 1
        for name, value in REAL_TRUTH[stem].items():
            if d[name] == value:
                counts["right"] += 1
            elif d["confidence"].get(name, 0) < threshold:
                counts["uncertain"] += 1
            else:
                counts["confidently_wrong"] += 1
                wrong.append(f"{stem} {name}={d[name]!r}")
    return counts | {"fields": sum(len(t) for t in REAL_TRUTH.values()), "wrong": wrong}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folders", type=int, default=4)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--threshold", type=float, default=0.85)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument(
        "--skip-cost", action="store_true", help="skip the run with documents off (the cost)"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="station-documents-bench-") as scratch:
        root = Path(scratch)
        batch, truth = make_folders(root, args.folders, args.seed)
        pages = len(list(batch.iterdir()))
        on, off = root / "on", root / "off"
        for where in (on,) if args.skip_cost else (on, off):
            where.mkdir()
            station(where, "manifest", "import", str(root / "manifest.csv"), documents=where == on)
        cost = None
        seconds_on = station(
            on, "process", str(batch), "--out", str(on / "out"), "--jobs", str(args.jobs)
        )
        if not args.skip_cost:
            seconds_off = station(
                off,
                "process",
                str(batch),
                "--out",
                str(off / "out"),
                "--jobs",
                str(args.jobs),
                documents=False,
            )
            cost = {
                "ms_per_page_off": round(1000 * seconds_off / pages),
                "ms_per_page_on": round(1000 * seconds_on / pages),
                "added": round(seconds_on / seconds_off - 1, 3),
            }
        found = json.loads((on / "out" / "documents.json").read_text(encoding="utf-8"))
        command = f".venv/bin/python bench/documents.py --folders {args.folders} --seed {args.seed}"
        results = {
            "generated": score(found, truth, args.threshold) | {"pages": pages},
            "cost": cost,
            "work_share": work_share(on / "data"),
            "ms_per_page_on": round(1000 * seconds_on / pages),
            "real": real_pages(root / "on", args.threshold),
            "threshold": args.threshold,
            "command": command + (" --skip-cost" if args.skip_cost else ""),
            "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
        }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    write_section(results)
    print(json.dumps(results, ensure_ascii=False, indent=2))


def write_section(r: dict[str, Any]) -> None:
    g, c, real = r["generated"], r["cost"], r["real"]
    acc = g["field_accuracy"]
    sec, urg = g["secrecy"], g["urgency"]
    if c:
        cost = f"{c['ms_per_page_off']} → {c['ms_per_page_on']} ms ({c['added']:+.1%})"
    else:
        cost = f"not measured (--skip-cost); {r['ms_per_page_on']} ms a page with documents on"
    w = r["work_share"]
    share = (
        f"{w['added']:+.1%} ({w['read_document_ms_per_page']} ms a page reading, "
        f"{w['extract_documents_ms']} ms splitting, fields and PDF/As in all)"
    )
    layouts = "\n".join(
        f"| {name} | {v['documents']} | {v['number_symbol']} | {v['issued_date']} "
        f"| {v['document_type']} | {v['issuing_body']} |"
        for name, v in g["by_layout"].items()
    )
    levels = ", ".join(f"{k} {v}" for k, v in sec["by_level"].items()) or "none marked"
    text = f"""{SECTION}

`{r["command"]}` ({r["machine"]}; threshold {r["threshold"]}). Generated folders
(`make_samples.render_document`; the truth is what it drew): {g["documents"]} documents on
{g["pages"]} pages; state (NĐ 30), Party (HD 36: "ĐẢNG CỘNG SẢN VIỆT NAM", a star under the
issuer, "Số 12-QĐ/TU") and pre-2011 state ("Số: 12/QĐ-UB") layouts; 1–4 pages numbered at
the top centre; công văn with "V/v" under the number and no type name; two-line issuer
headers; red MẬT / TỐI MẬT / TUYỆT MẬT and KHẨN / THƯỢNG KHẨN / HỎA TỐC stamps under the
number (some rotated up to 15°, some faint); a red seal over every signature; arrival
stamps with a handwritten number and date in the header area; pen notes in the margins;
PNG, TIFF and JPEG, gray and colour, 200 and 300 dpi, some skewed. The issuing body's
truth is its full name: own name, then the superior's, a People's Committee or Đảng bộ
above adding only its territory ("UBND TỈNH X" / "SỞ Y" is SỞ Y TỈNH X). Real: the six
government first pages in shared/corpus/real/vietnamese-nomvn (handwritten numbers and
dates, arrival stamps, seals).

| measure | generated | bar |
|---|---|---|
| document-start F1 | {g["start_f1"]} | ≥ 0.97 |
| số/ký hiệu exact | {acc["number_symbol"]} | ≥ 0.95 |
| date exact | {acc["issued_date"]} | ≥ 0.95 |
| type exact | {acc["document_type"]} | ≥ 0.95 |
| issuing body exact | {acc["issuing_body"]} | ≥ 0.95 |
| place exact | {acc["place"]} | ≥ 0.90 |
| signer name exact | {acc["signer_name"]} | ≥ 0.90 |
| signer title exact | {acc["signer_title"]} | |
| urgency exact (none counts) | {acc["urgency"]} | |
| trích yếu within 5 % CER | {acc["summary"]} (mean CER {g["summary_mean_cer"]}) | ≥ 0.95 |
| right among fields ≥ threshold | {g["calibration"]} ({g["confident_fields"]} fields) | ≥ 0.98 |
| secrecy recall / precision, level right | {sec["recall"]} / {sec["precision"]} ({levels}) | 1.0 / ≥ 0.9 |
| urgency recall / precision, level right | {urg["recall"]} / {urg["precision"]} ({urg["marked"]} marked) | |
| work added by documents, from station's stage timings | {share} | ≤ +5 % |
| per-page wall time, documents off → on (two runs) | {cost} | |

Exact per layout:

| layout | documents | số/ký hiệu | date | type | issuing body |
|---|---|---|---|---|---|
{layouts}

Real scans: of {real["fields"]} printed fields, {real["right"]} right, {real["uncertain"]}
uncertain (sent to the reviewer), {real["confidently_wrong"]} confidently wrong
{("(" + "; ".join(real["wrong"]) + ")") if real["wrong"] else ""}; {real["starts_found"]} of 6 pages found as documents.
"""
    replace_section(DOCS, SECTION, text)


if __name__ == "__main__":
    main()
