"""Every call to an external program or engine (Tesseract, qpdf) goes through here.

Failures become station errors with the program's own words in them, and tool
versions are read once per process so events can record which version did what.

OCR runs in-process through tesserocr (libtesseract), one engine per worker kept loaded
between pages: loading `vie+eng` costs ~0.2 s, which the `tesseract` command pays on every
page. tesserocr's wheel brings its own libtesseract (5.5) and reads the same language
packs as the `tesseract` command from apt, which is still used for orientation (OSD).
Measured on the benchmark pages: 0.86 s a page against 1.21 s for the command, with the
same output files and a slightly lower error rate (CER 0.0066 against 0.0074).
"""

from __future__ import annotations

import logging
import os
import re
import subprocess
import tempfile
import time
import unicodedata
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np
import pytesseract
import tesserocr
from PIL import Image
from pytesseract import pytesseract as tesseract_runner

from station.errors import MissingToolError, ToolFailedError, ToolTimeoutError
from station.i18n import N_, _

log = logging.getLogger(__name__)

# Tesseract's OpenMP threads fight with our one-worker-per-core pool: 5.7x slower on
# 2 cores when left unset. Forced, not defaulted, so a stray shell setting cannot undo it.
os.environ["OMP_THREAD_LIMIT"] = "1"

INSTALL_HINT = N_(
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
        raise MissingToolError(
            _("Tesseract is not installed. %(install_hint)s", install_hint=_(INSTALL_HINT))
        ) from exc


@cache
def installed_languages() -> frozenset[str]:
    try:
        return frozenset(pytesseract.get_languages())
    except pytesseract.TesseractNotFoundError as exc:
        raise MissingToolError(
            _("Tesseract is not installed. %(install_hint)s", install_hint=_(INSTALL_HINT))
        ) from exc


def check_required_tools(languages: list[str]) -> dict[str, str]:
    """Fail early, with an install hint, when a tool or language pack is missing."""
    versions = {"tesseract": tesseract_version(), "ocr_engine": ocr_engine_version()}
    missing = [lang for lang in [*languages, "osd"] if lang not in installed_languages()]
    if missing:
        packages = " ".join(f"tesseract-ocr-{lang}" for lang in missing)
        raise MissingToolError(
            _(
                "Tesseract language pack(s) missing: %(missing)s. Install with: sudo apt-get "
                "install %(packages)s",
                missing=", ".join(missing),
                packages=packages,
            )
        )
    return versions


@cache
def ocr_engine_version() -> str:
    """The libtesseract that reads the pages (tesserocr's), e.g. "5.5.4"."""
    first = str(tesserocr.tesseract_version()).split()
    return first[1] if len(first) > 1 else first[0]


@cache
def tessdata_dir() -> str:
    """Where the installed language packs are: the engine reads the command's models."""
    try:
        listing = subprocess.run(
            [tesseract_runner.tesseract_cmd, "--list-langs"],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
    except FileNotFoundError as exc:
        raise MissingToolError(
            _("Tesseract is not installed. %(install_hint)s", install_hint=_(INSTALL_HINT))
        ) from exc
    found = re.search(r'"([^"]+)"', listing.stdout + listing.stderr)
    if found is None:
        raise MissingToolError(
            _(
                "Cannot find Tesseract's language data. %(install_hint)s",
                install_hint=_(INSTALL_HINT),
            )
        )
    return found.group(1)


def _ocr_engine(languages: tuple[str, ...], psm: int) -> tesserocr.PyTessBaseAPI:
    """The worker's engine for a language set, set to a page segmentation mode.

    One engine per language set, whatever the mode: pages (psm 3) and re-read regions
    (psm 7) share the loaded model instead of loading it twice (0.1-0.3 s and 30 MB).
    """
    engine = _loaded_engine(languages)
    engine.SetPageSegMode(psm)
    return engine


@cache
def _loaded_engine(languages: tuple[str, ...]) -> tesserocr.PyTessBaseAPI:
    """One loaded engine per worker process and language set."""
    try:
        engine = tesserocr.PyTessBaseAPI(
            path=tessdata_dir(), lang="+".join(languages), oem=tesserocr.OEM.LSTM_ONLY
        )
    except RuntimeError as exc:
        raise MissingToolError(
            _(
                "Tesseract cannot load the languages %(languages)s: %(exc)s. %(install_hint)s",
                languages="+".join(languages),
                exc=exc,
                install_hint=_(INSTALL_HINT),
            )
        ) from exc
    settings = {
        # Scans of paper records have no white-on-black text; retrying every weak line
        # inverted costs time.
        "tessedit_do_invert": "0",
        "textonly_pdf": "1",  # the text layer alone: the image is ours
        "tessedit_create_pdf": "1",
        "tessedit_create_hocr": "1",
    }
    for name, value in settings.items():
        if not engine.SetVariable(name, value):
            raise ToolFailedError(_("Tesseract does not know the setting %(name)s", name=name))
    return engine


def preload_engine(languages: list[str], psm: int) -> None:
    """Load the page engine now (a forkserver does, before it forks workers)."""
    _ocr_engine(tuple(languages), psm)


def ocr_page(
    image_path: Path, *, languages: list[str], psm: int, dpi: int, timeout_s: float
) -> OcrOutput:
    """Read one page once, producing hOCR (words, boxes, confidences) and the text layer PDF."""
    engine = _ocr_engine(tuple(languages), psm)
    engine.SetVariable("user_defined_dpi", str(dpi))
    with tempfile.TemporaryDirectory(prefix="station-ocr-") as tmp:
        base = Path(tmp) / "page"
        started = time.monotonic()
        done = engine.ProcessPages(str(base), str(image_path), None, round(timeout_s * 1000))
        hocr_path, pdf_path = base.with_suffix(".hocr"), base.with_suffix(".pdf")
        if not done and time.monotonic() - started >= timeout_s:
            raise ToolTimeoutError(
                _(
                    "%(name)s: Tesseract took longer than %(timeout_s)s s and was stopped",
                    name=image_path.name,
                    timeout_s=f"{timeout_s:.0f}",
                )
            )
        if not (done and hocr_path.is_file() and pdf_path.is_file()):
            raise ToolFailedError(
                _("%(name)s: Tesseract could not read the page", name=image_path.name)
            )
        return OcrOutput(hocr=hocr_path.read_text(encoding="utf-8"), text_pdf=pdf_path.read_bytes())


def read_small(
    image: np.ndarray, *, languages: tuple[str, ...] = ("vie",), psm: int = 7
) -> tuple[str, float]:
    """Re-read a small region (a stamp, a header line): its text and mean confidence, 0-100.

    The engine is kept loaded like the page engine; only the region is recognised, which
    costs milliseconds where a page costs a second.
    """
    engine = _ocr_engine(languages, psm)
    engine.SetVariable("user_defined_dpi", "0")  # not the last page's: a region has none
    engine.SetImage(Image.fromarray(image))
    text = unicodedata.normalize("NFC", engine.GetUTF8Text().strip())
    return text, float(engine.MeanTextConf())


@cache
def _osd_engine() -> tesserocr.PyTessBaseAPI:
    """Tesseract's orientation detector, loaded once per worker like the page engine: a
    `tesseract --psm 0` process per page costs half a second more than reading in place."""
    try:
        return tesserocr.PyTessBaseAPI(path=tessdata_dir(), lang="osd", psm=tesserocr.PSM.OSD_ONLY)
    except RuntimeError as exc:
        raise MissingToolError(
            _(
                "Tesseract cannot load its orientation data: %(exc)s. %(install_hint)s",
                exc=exc,
                install_hint=_(INSTALL_HINT),
            )
        ) from exc


def detect_orientation(image: np.ndarray, dpi: float) -> OsdResult | None:
    """Tesseract OSD on a gray page; None when it finds too little text to decide."""
    engine = _osd_engine()
    engine.SetImage(Image.fromarray(image))
    engine.SetSourceResolution(max(70, round(dpi)))
    found = engine.DetectOrientationScript()
    engine.Clear()
    if not found:
        return None
    # OSD reports how the text is turned; the page needs the opposite turn to stand upright.
    return OsdResult(
        rotate=(360 - int(found["orient_deg"])) % 360, confidence=float(found["orient_conf"])
    )
