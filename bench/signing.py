"""Signing benchmark: time per signed PDF/A, with a PKCS#12 file and with a PKCS#11 token.

    .venv/bin/python bench/signing.py [--pages 10] [--files 20]

1. makes a test PKI and a SoftHSM token (scripts/make_test_pki.py) and a PDF/A-2b of
   `--pages` generated A4 300 dpi pages (no OCR layer: signing does not read it);
2. for each signer, opens it once (as an export run does), signs `--files` copies of the
   PDF/A one after the other (PAdES B-B, the seal on page 1), then verifies each
   (`station export verify`'s check: integrity and chain against the test root);
3. writes bench/results/signing.json and the section "## Signing" of docs/benchmarks.md.

Times are wall-clock on this machine; per file: median (min-max) over the files.
SoftHSM is software: a USB token's own RSA is slower (seconds on some), which adds to it.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "scripts"))
sys.path.insert(0, str(REPO / "bench"))

import make_samples  # noqa: E402
from make_test_pki import BODY, make_pki, make_token  # noqa: E402
from sections import replace_section  # noqa: E402

from station.export import signatures, signing  # noqa: E402
from station.pipeline import pdf, pdfa  # noqa: E402
from station.settings import StationSettings, load_settings  # noqa: E402

SECTION = "## Signing"
RESULTS = REPO / "bench" / "results" / "signing.json"
DOCS = REPO / "docs" / "benchmarks.md"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=10)
    parser.add_argument("--files", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="station-signing-bench-") as scratch:
        results = run(Path(scratch), args.pages, args.files)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    write_section(results)
    print(json.dumps(results, indent=2))
    print(f"wrote {RESULTS} and the '{SECTION}' section of {DOCS}")


def _pdfa(root: Path, pages: int) -> Path:
    rng = np.random.default_rng(15)
    made = []
    for number in range(pages):
        image, _ = make_samples.render_document_page(rng, dpi=300)
        path = root / f"p{number}.jpg"
        image.convert("L").save(path, dpi=(300, 300), quality=85)
        made.append(pdf.make_page_pdf(path, 300, None, root / f"p{number}.pdf"))
    target = root / "folder.pdf"
    metadata = pdfa.DocumentMetadata(title="Hồ sơ đo thời gian ký số", date=datetime.now(UTC))
    pdfa.assemble_pdfa(made, target, metadata, pdfa="2b")
    return target


def _one_signer(settings: StationSettings, source: Path, work: Path, files: int) -> dict[str, Any]:
    work.mkdir()
    copies = []
    for number in range(files):
        copies.append(work / f"f{number}.pdf")
        shutil.copyfile(source, copies[-1])
    start = time.perf_counter()
    sign_ms, verify_ms = [], []
    with signing.open_signing(settings) as signer:
        opened = time.perf_counter() - start
        signed = []
        for copy in copies:
            began = time.perf_counter()
            signed.append(signer.signed(copy))
            sign_ms.append((time.perf_counter() - began) * 1000)
    for path in signed:
        began = time.perf_counter()
        problems = signatures.verify_pdf(path, settings)
        verify_ms.append((time.perf_counter() - began) * 1000)
        assert problems == [], problems
    return {
        "open_ms": round(opened * 1000, 1),
        "sign_ms": _spread(sign_ms),
        "verify_ms": _spread(verify_ms),
        "added_bytes": signed[0].stat().st_size - source.stat().st_size,
    }


def _spread(values: list[float]) -> dict[str, float]:
    return {
        "median": round(statistics.median(values), 1),
        "min": round(min(values), 1),
        "max": round(max(values), 1),
    }


def run(root: Path, pages: int, files: int) -> dict[str, Any]:
    pki = make_pki(_mkdir(root / "pki"))
    token = make_token(pki, _mkdir(root / "softhsm"))
    source = _pdfa(_mkdir(root / "pages"), pages)
    common: dict[str, Any] = {
        "data_dir": root / "data",
        "organization": BODY,
        "signing_seal": pki.seal,
        "signing_trust_roots": (pki.ca_pem,),
    }
    p12 = load_settings(**common, signing_p12=pki.p12, signing_password_file=pki.password)
    hsm = load_settings(
        **common, signing_pkcs11_module=token["module"], signing_pkcs11_token=token["label"],
        signing_pkcs11_key=token["key"], signing_pin_file=token["pin"],
    )  # fmt: skip
    began = time.perf_counter()
    with signing.open_signing(p12):  # the first open imports pyHanko and reads the font
        first_open_ms = round((time.perf_counter() - began) * 1000, 1)
    return {
        "date": datetime.now(UTC).date().isoformat(),
        "first_open_ms": first_open_ms,
        "machine": f"{platform.system()} {platform.machine()}",
        "load_average": round(os.getloadavg()[0], 1),  # other work on the machine meanwhile
        "pages": pages,
        "files": files,
        "pdf_bytes": source.stat().st_size,
        "pkcs12": _one_signer(p12, source, root / "p12", files),
        "softhsm": _one_signer(hsm, source, root / "hsm", files),
    }


def _mkdir(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    return path


def write_section(r: dict[str, Any]) -> None:
    def cell(spread: dict[str, float]) -> str:
        return f"{spread['median']:.0f} ms ({spread['min']:.0f}-{spread['max']:.0f})"

    rows = "\n".join(
        f"| {name} | {r[key]['open_ms']:.0f} ms | {cell(r[key]['sign_ms'])} | "
        f"{cell(r[key]['verify_ms'])} | {r[key]['added_bytes'] / 1000:.1f} kB |"
        for name, key in (("PKCS#12 file", "pkcs12"), ("PKCS#11 token (SoftHSM 2)", "softhsm"))
    )
    text = f"""{SECTION}

Signing exported PDF/As (issue 15): {r["files"]} copies of a PDF/A-2b of {r["pages"]} A4 \
300 dpi pages ({r["pdf_bytes"] / 1e6:.1f} MB) signed one after the other in one session \
(PAdES B-B, RSA 2048, SHA-256, the seal and the body's name at the top right of page 1), \
measured {r["date"]} on {r["machine"]}, 2 cores shared with other work (load average \
{r["load_average"]} at the end: the minimum is the closer figure for a quiet machine). Repeat with `.venv/bin/python \
bench/signing.py [--pages N] [--files N]` (raw numbers in `bench/results/signing.json`). \
*Open* is once per export run (load the key, or open the token session and find the key; \
the first in a process also imports pyHanko: {r["first_open_ms"] / 1000:.1f} s); \
*sign* and *verify* are per file, median (min-max); *verify* is `station export verify`'s \
check of one file (integrity, signer, chain to the trust root).

| signer | open | sign per file | verify per file | added to the file |
|---|---|---|---|---|
{rows}

SoftHSM does its RSA in software; a USB token signs on its chip, which some do in seconds, \
so an export of many documents waits that long per PDF/A (the progress line counts them). \
A repeated export reuses the signed files and signs nothing.
"""
    replace_section(DOCS, SECTION, text)


if __name__ == "__main__":
    main()
