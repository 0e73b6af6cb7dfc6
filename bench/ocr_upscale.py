"""Should a low-resolution scan be upscaled before OCR? Small print at 150 and 200 dpi.

`prepare_for_ocr` resamples every page to the profile's `ocr_dpi` (250): a 200-dpi scan is
upscaled by 1.25, a 150-dpi scan by 1.67. Reading such a scan at its own resolution would
save recognition time (bench/ocr_options.py: 0.77x at 200 dpi) and was more accurate on the
six real 200-dpi scans, but their text is 13-14 pt. Here the same pages are read both ways
with print from 8 to 13 pt: a page rendered at 123 dpi and declared 200 dpi carries 13 pt
glyphs at the pixel size of 8 pt at 200 dpi.

Usage: .venv/bin/python bench/ocr_upscale.py [--pages 4] [--seed 11]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "scripts"))

import make_samples as ms  # noqa: E402

from station import tools  # noqa: E402
from station.pipeline import imaging, ocr  # noqa: E402

RESULTS = REPO / "bench" / "results" / "ocr_upscale.json"


def read(gray: np.ndarray, dpi: float, ocr_dpi: int, tmp: Path) -> tuple[str, float]:
    image, effective = imaging.prepare_for_ocr(gray, dpi, ocr_dpi=ocr_dpi)
    path = tmp / "page.pnm"
    imaging.write_pnm(image, path)
    started = time.perf_counter()
    out = tools.ocr_page(path, languages=["vie"], psm=3, dpi=round(effective), timeout_s=120)
    return ocr.hocr_text(out.hocr), time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=4)
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        for declared in (150, 200):
            for print_pt in (8, 9, 10, 13):
                render_dpi = round(declared * print_pt / 13)  # body text is 13 pt
                cer = {"upscaled": [], "native": []}
                secs = {"upscaled": [], "native": []}
                for n in range(args.pages):
                    rng = np.random.default_rng(args.seed * 1000 + n)
                    page, truth = ms.render_document_page(rng, dpi=render_dpi)
                    gray = np.asarray(page.convert("L"))
                    for way, target in (("upscaled", 250), ("native", declared)):
                        text, spent = read(gray, declared, target, tmp)
                        cer[way].append(ms.character_error_rate(truth, text))
                        secs[way].append(spent)
                row = {
                    "dpi": declared,
                    "print_pt": print_pt,
                    "x_height_px": round(print_pt * declared / 72 * 0.5, 1),
                    **{f"cer_{w}": round(statistics.mean(v), 4) for w, v in cer.items()},
                    **{f"ms_{w}": round(1000 * statistics.mean(v)) for w, v in secs.items()},
                    "pages": args.pages,
                }
                rows.append(row)
                print(json.dumps(row), file=sys.stderr)
    RESULTS.write_text(json.dumps({"command": " ".join(sys.argv), "rows": rows}, indent=1) + "\n")
    print(
        "| scan dpi | print | CER read at 250 dpi (upscaled) | CER at scan dpi | ms upscaled | ms native |"
    )
    print("|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        print(f"| {r['dpi']} | {r['print_pt']} pt | {r['cer_upscaled']} | {r['cer_native']} | "
              f"{r['ms_upscaled']} | {r['ms_native']} |")  # fmt: skip


if __name__ == "__main__":
    main()
