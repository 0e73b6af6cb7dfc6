"""Export benchmark: time and package size per 100 pages, for each format.

    .venv/bin/python bench/export.py [--pages 100]

1. generates `--pages` A4 300 dpi pages (the generator's bench set), one folder of a manifest,
   processes them (`station process`, 2 workers) and approves the folder (as an archivist);
2. exports it as a BagIt bag, an Archivematica transfer, a zipped bag and an AtoM import,
   each first (the folder's PDF/A is built then) and again into a new folder (the PDF/A of
   the version is reused), and verifies each package;
3. writes bench/results/export.json and the section "## Export" of docs/benchmarks.md
   (replacing only that section).

Times are wall-clock on this machine, one run each (the export is I/O and hashing bound);
sizes are exact. Per 100 pages = measured / pages x 100.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "scripts"))

import make_samples  # noqa: E402

from station import auth  # noqa: E402
from station.export import packages  # noqa: E402
from station.manifest import read_manifest  # noqa: E402
from station.profiles import load_profile  # noqa: E402
from station.review import documents as document_review  # noqa: E402
from station.review import rules  # noqa: E402
from station.room import runner  # noqa: E402
from station.settings import load_settings  # noqa: E402
from station.store import Store  # noqa: E402

SECTION = "## Export"
RESULTS = REPO / "bench" / "results" / "export.json"
DOCS = REPO / "docs" / "benchmarks.md"
FOLDER = "B1/01/HS-001"
MANIFEST = """\
Mã phông;Mục lục số;Hộp số;Hồ sơ số;Mã hồ sơ;Tiêu đề hồ sơ;Ngày bắt đầu;Ngày kết thúc;\
Thời hạn bảo quản;Số lượng tờ
B1;1;1;1;{folder};Hồ sơ đo thời gian xuất gói;2019;2019;Vĩnh viễn;{pages}
"""
FORMATS = (("bagit", False), ("archivematica", False), ("archivematica", True), ("atom-csv", False))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=100)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="station-export-bench-") as scratch:
        results = run(Path(scratch), args.pages)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    write_section(results)
    print(f"wrote {RESULTS} and the '{SECTION}' section of {DOCS}")


def run(root: Path, pages: int) -> dict[str, Any]:
    settings = load_settings(data_dir=root / "data", profiles_dir=REPO / "profiles")
    store = Store.open(settings.database_url)
    manifest = root / "manifest.csv"
    manifest.write_text(MANIFEST.format(folder=FOLDER, pages=pages), encoding="utf-8")
    store.import_folders(read_manifest(manifest), manifest)
    store.add_user("arch", role="archivist", clearance="",
                   password_hash=auth.hash_password("benchmark password"))  # fmt: skip
    batch = root / "batch"
    make_samples.make_batch(batch / FOLDER.replace("/", "-"), seed=5, sample_set="bench",
                            pages=pages)  # fmt: skip
    masters_bytes = sum(p.stat().st_size for p in batch.rglob("*.tif"))
    profile = load_profile(settings.default_profile, settings.profiles_dir)
    print(f"processing {pages} pages…", flush=True)
    started = time.perf_counter()
    runner.process_batch(batch, root / "out", profile, settings, workers=2, operator="scanner")
    processing_s = time.perf_counter() - started
    arch = store.get_user("arch")
    assert arch is not None
    document_review.confirm_all(store, arch, FOLDER, profiles_dir=settings.profiles_dir)
    rules.approve_all(store, arch, FOLDER, profiles_dir=settings.profiles_dir)
    rows = []
    for fmt, zipped in FORMATS:
        name = f"{fmt}{' (zipped bag)' if zipped else ''}"
        timings = []
        for attempt in ("first", "again"):
            out = root / "exports" / f"{fmt}-{zipped}-{attempt}"
            started = time.perf_counter()
            (result,) = packages.export_folders(store, settings, arch, [FOLDER], fmt, out,
                                              zipped=zipped)  # fmt: skip
            timings.append(time.perf_counter() - started)
        started = time.perf_counter()
        problems = packages.verify(result.path)
        verify_s = time.perf_counter() - started
        assert not problems, problems
        rows.append(
            {
                "format": name,
                "first_s": round(timings[0], 2),
                "again_s": round(timings[1], 2),
                "verify_s": round(verify_s, 2),
                "bytes": result.bytes,
                "pages": result.pages,
            }
        )
        print(f"{name}: {timings[0]:.2f} s, again {timings[1]:.2f} s, {result.bytes / 1e6:.1f} MB")
    return {
        "date": time.strftime("%Y-%m-%d"),
        "machine": f"{platform.system()} {platform.machine()}, {_cores()} cores",
        "pages": pages,
        "masters_bytes": masters_bytes,
        "processing_s": round(processing_s, 1),
        "formats": rows,
    }


def _cores() -> int:
    import os

    return os.cpu_count() or 1


def write_section(results: dict[str, Any]) -> None:
    pages = results["pages"]
    per = 100 / pages
    lines = [
        SECTION,
        "",
        f"Export of one approved folder of {pages} A4 300 dpi pages (the generator's bench "
        f"set, LZW TIFF masters: {results['masters_bytes'] / 1e6:.1f} MB), measured "
        f"{results['date']} on {results['machine']}; one run each, wall-clock. Repeat with "
        "`.venv/bin/python bench/export.py [--pages N]` (raw numbers in "
        "`bench/results/export.json`). *First* builds the folder's PDF/A of the version; "
        "*again* exports the same version into a new folder (the PDF/A is reused, the bytes "
        "are the same); *verify* is `station export verify` (every checksum, METS schemas).",
        "",
        "| format | first export | per 100 pages | again | verify | package | per 100 pages |",
        "|---|---|---|---|---|---|---|",
    ]
    for row in results["formats"]:
        lines.append(
            f"| {row['format']} | {row['first_s']:.1f} s | {row['first_s'] * per:.1f} s | "
            f"{row['again_s']:.1f} s | {row['verify_s']:.1f} s | {row['bytes'] / 1e6:.1f} MB | "
            f"{row['bytes'] * per / 1e6:.1f} MB |"
        )
    lines += [
        "",
        f"For scale: processing the same {pages} pages (`station process`, 2 workers) took "
        f"{results['processing_s']:.0f} s. Packages hold copies of the masters byte for byte, so "
        "their size is mostly the masters' plus the PDF/A; the AtoM import holds only the "
        "PDF/A.",
        "",
    ]
    text = DOCS.read_text(encoding="utf-8") if DOCS.exists() else ""
    start = text.find(SECTION)
    if start == -1:
        text = text.rstrip("\n") + "\n\n" + "\n".join(lines)
    else:
        following = text.find("\n## ", start + len(SECTION))
        rest = text[following + 1 :] if following != -1 else ""
        text = text[:start] + "\n".join(lines) + ("\n" + rest if rest else "")
    DOCS.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
