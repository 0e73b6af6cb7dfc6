"""Every call to an external program (Tesseract, Ghostscript, qpdf) goes through here.

Failures become station errors with the program's own words in them, and tool
versions are read once per process so events can record which version did what.
"""

from __future__ import annotations

import logging
import os
import tempfile
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytesseract
from pytesseract import pytesseract as tesseract_runner

from station.errors import MissingToolError, ToolFailedError, ToolTimeoutError

log = logging.getLogger(__name__)

# Tesseract's OpenMP threads fight with our one-worker-per-core pool: 5.7x slower on
# 2 cores when left unset. Forced, not defaulted, so a stray shell setting cannot undo it.
os.environ["OMP_THREAD_LIMIT"] = "1"

INSTALL_HINT = (
    "Install it with: sudo apt-get install tesseract-ocr tesseract-ocr-vie tesseract-ocr-eng "
    "tesseract-ocr-osd ghostscript qpdf (or run scripts/setup)."
)


@dataclass(frozen=True)
class OcrOutput:
    """What one Tesseract run gives for a page."""

    hocr: str
    text_pdf: bytes  # a one-page PDF holding only the invisible text layer


@dataclass(frozen=True)
class OsdResult:
    rotate: int  # degrees clockwise that make the page upright
    confidence: float


@cache
def tesseract_version() -> str:
    try:
        return str(pytesseract.get_tesseract_version())
    except pytesseract.TesseractNotFoundError as exc:
        raise MissingToolError(f"Tesseract is not installed. {INSTALL_HINT}") from exc


@cache
def installed_languages() -> frozenset[str]:
    try:
        return frozenset(pytesseract.get_languages())
    except pytesseract.TesseractNotFoundError as exc:
        raise MissingToolError(f"Tesseract is not installed. {INSTALL_HINT}") from exc


def check_required_tools(languages: list[str]) -> dict[str, str]:
    """Fail early, with an install hint, when a tool or language pack is missing."""
    versions = {"tesseract": tesseract_version()}
    missing = [lang for lang in [*languages, "osd"] if lang not in installed_languages()]
    if missing:
        packages = " ".join(f"tesseract-ocr-{lang}" for lang in missing)
        raise MissingToolError(
            f"Tesseract language pack(s) missing: {', '.join(missing)}. "
            f"Install with: sudo apt-get install {packages}"
        )
    return versions


def ocr_page(
    image_path: Path, *, languages: list[str], psm: int, dpi: int, timeout_s: float
) -> OcrOutput:
    """Run Tesseract once, producing hOCR (words, boxes, confidences) and the text layer PDF."""
    with tempfile.TemporaryDirectory(prefix="station-ocr-") as tmp:
        base = str(Path(tmp) / "page")
        # tessedit_do_invert=0: do not retry every weak line as white-on-black; scans of
        # paper records have no inverted text, and the retries cost time.
        config = f"--oem 1 --psm {psm} --dpi {dpi} -c textonly_pdf=1 -c tessedit_do_invert=0"
        try:
            tesseract_runner.run_tesseract(
                str(image_path), base, "hocr pdf", "+".join(languages), config, timeout=timeout_s
            )
        except RuntimeError as exc:  # pytesseract signals its timeout this way
            if "timeout" in str(exc).lower():
                raise ToolTimeoutError(
                    f"{image_path.name}: Tesseract took longer than {timeout_s:.0f} s "
                    "and was stopped"
                ) from exc
            raise
        except pytesseract.TesseractError as exc:
            raise ToolFailedError(
                f"{image_path.name}: Tesseract failed (exit {exc.status}): {exc.message}"
            ) from exc
        except pytesseract.TesseractNotFoundError as exc:
            raise MissingToolError(f"Tesseract is not installed. {INSTALL_HINT}") from exc
        hocr_path, pdf_path = Path(f"{base}.hocr"), Path(f"{base}.pdf")
        if not (hocr_path.is_file() and pdf_path.is_file()):
            raise ToolFailedError(f"{image_path.name}: Tesseract exited without writing its output")
        return OcrOutput(hocr=hocr_path.read_text(encoding="utf-8"), text_pdf=pdf_path.read_bytes())


def detect_orientation(image_path: Path, *, timeout_s: float = 60.0) -> OsdResult | None:
    """Tesseract OSD; None when it finds too little text to decide."""
    try:
        osd = pytesseract.image_to_osd(
            str(image_path), output_type=pytesseract.Output.DICT, timeout=timeout_s
        )
    except pytesseract.TesseractError as exc:
        # "Too few characters" is OSD's way of saying it cannot tell; not a failure.
        log.debug("OSD could not decide on %s: %s", image_path.name, exc.message)
        return None
    except RuntimeError as exc:
        raise ToolTimeoutError(f"{image_path.name}: Tesseract OSD timed out") from exc
    return OsdResult(rotate=int(osd["rotate"]) % 360, confidence=float(osd["orientation_conf"]))
