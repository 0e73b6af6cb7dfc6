"""A page's journey: the ordered stages from a master image to a page of PDF/A.

Contract for a stage:
- it MUST be a plain function `PageWork -> PageWork` that returns a new value
  (`dataclasses.replace`), never mutating its input;
- it MUST NOT touch the database or global settings: everything it needs is in
  `work.job`, and everything it learns goes into the returned `PageWork` (measurements,
  flags, and a note for the page's event log under its own name);
- it MAY raise a `PageError` to fail the page with a sentence naming the file and cause;
  the runner records it, keeps the page visible as failed, and the batch goes on;
- it MAY set `finished` when the page needs no later stage (a separator sheet).

The runner (`station.room.runner`) times each stage and records the results.
"""

from __future__ import annotations

import logging
import time
from dataclasses import replace
from typing import Any

from station import tools
from station.documents import reading, stamps
from station.documents.model import Stamp
from station.errors import PageError
from station.i18n import _
from station.pipeline import imaging, ocr, pdf, separators
from station.pipeline.work import PageJob, PageResult, PageWork, Stage

log = logging.getLogger(__name__)


# --- the stages, in the order a page meets them ------------------------------------------


def load(work: PageWork) -> PageWork:
    """Decode the master completely; a truncated or unsupported file fails here, by name."""
    job = work.job
    loaded = imaging.load_page_image(
        job.master_path, job.page_index, job.source_file, assumed_dpi=job.profile.scan.assumed_dpi
    )
    return replace(
        work,
        image=loaded.pixels,
        dpi=loaded.dpi,
        width_px=loaded.pixels.shape[1],
        height_px=loaded.pixels.shape[0],
        color_mode=loaded.color_mode,
        flags=work.flagged() if loaded.dpi_recorded else work.flagged("dpi_assumed"),
        notes=work.noted(
            "load",
            dpi=loaded.dpi,
            dpi_recorded=loaded.dpi_recorded,
            color_mode=loaded.color_mode,
            frames=loaded.frame_count,
        ),
    )


def find_separator(work: PageWork) -> PageWork:
    """A separator sheet starts a new folder: record its folder id; it is not a page to keep.

    Checked before orientation because the code reads in any direction, and a separator
    needs no straightening, cleaning or OCR: only a thumbnail for the reviewers.
    """
    if not work.job.profile.scan.detect_separators:
        return work
    assert work.image is not None
    found, label = separators.read_page_codes(work.image, work.dpi)
    if found is None:
        if label is None:
            return work
        # Maybe another system's folder label: the room decides against the manifest,
        # and meanwhile the page goes on as any page would.
        return replace(
            work,
            folder_label=label.payload,
            notes=work.noted(
                "folder_label",
                payload=label.payload,
                symbology=label.symbology,
                ink_outside=label.ink_outside,
            ),
        )
    thumbnail, _ = imaging.save_downscaled(
        work.image, work.job.profile.image.thumbnail_px, work.job.work_dir / "thumbnail.jpg"
    )
    if found.kind == "rescan":  # a rescan slip: the next page replaces a rejected one
        return replace(
            work,
            image=None,
            rescan_of=found.page_id,
            finished=True,
            outputs={**work.outputs, "thumbnail": thumbnail},
            notes=work.noted(
                "rescan_slip",
                page_id=found.page_id,
                symbology=found.symbology,
                payload=found.payload,
            ),
        )
    return replace(
        work,
        image=None,
        separator=found.folder_id,
        finished=True,
        outputs={**work.outputs, "thumbnail": thumbnail},
        notes=work.noted(
            "separator", folder_id=found.folder_id, symbology=found.symbology, payload=found.payload
        ),
    )


def orient(work: PageWork) -> PageWork:
    """Turn the page upright: a fast text-line test, with Tesseract OSD when it is unsure."""
    settings = work.job.profile.orientation
    if not settings.enabled:
        return work
    lines = imaging.text_lines(work.gray, work.dpi)
    estimate = imaging.estimate_orientation(work.gray, work.dpi, lines)
    method, rotation, confidence = "text-lines", estimate.rotation, estimate.confidence
    looks_blank = (
        estimate.confidence < settings.min_confidence
        and imaging.blank_probability(work.gray, work.dpi) >= 0.8
    )
    if estimate.confidence < settings.min_confidence and not looks_blank:
        osd = tools.detect_orientation(*imaging.osd_image(work.gray, work.dpi))
        if osd is not None and (osd.confidence >= 2.0 or estimate.confidence < 0.2):
            method, rotation, confidence = "tesseract-osd", osd.rotate, osd.confidence
    flags = (
        work.flagged("orientation_uncertain")
        if confidence < 0.2 and method != "tesseract-osd"
        else work.flags
    )
    assert work.image is not None
    return replace(
        work,
        image=imaging.rotate_right_angle(work.image, rotation),
        rotation=rotation,
        text_lines=imaging.turn_lines(lines, rotation),
        flags=flags,
        notes=work.noted(
            "orient", rotation=rotation, confidence=round(confidence, 3), method=method
        ),
    )


def deskew(work: PageWork) -> PageWork:
    """Measure the skew to a tenth of a degree and straighten; an unknown angle is flagged."""
    settings = work.job.profile.deskew
    if not settings.enabled:
        return work
    estimate = imaging.estimate_skew(
        work.gray, work.dpi, max_angle=settings.max_angle, lines=work.text_lines
    )
    if estimate.angle is None:
        return replace(
            work,
            text_lines=None,
            flags=work.flagged("skew_unknown"),
            notes=work.noted("deskew", angle=None, confidence=estimate.confidence),
        )
    assert work.image is not None
    corrected = abs(estimate.angle) >= settings.min_angle
    return replace(
        work,
        image=imaging.rotate_by(work.image, estimate.angle) if corrected else work.image,
        skew_deg=round(estimate.angle, 3),
        text_lines=None,
        notes=work.noted(
            "deskew",
            angle=round(estimate.angle, 3),
            corrected=corrected,
            confidence=round(estimate.confidence, 3),
        ),
    )


def clean(work: PageWork) -> PageWork:
    """Crop dark scanner borders and even out exposure, gently, recording what was done."""
    settings = work.job.profile.clean
    assert work.image is not None
    image = work.image
    details: dict[str, Any] = {}
    gray = work.gray
    box = imaging.find_page_box(gray)
    exposure = imaging.measure_exposure_within(gray, box)
    if settings.crop_borders and box is not None:
        x, y, w, h = box
        image = image[y : y + h, x : x + w]
        details["crop"] = [x, y, w, h]
    if settings.normalize_exposure:
        image, correction = imaging.normalize_exposure(image, max_gain=settings.max_gain)
        details["exposure"] = correction
    return replace(work, image=image, raw_exposure=exposure, notes=work.noted("clean", **details))


_TEXT_LINE_FLAGS = frozenset({"skew_unknown", "orientation_uncertain"})


def assess(work: PageWork) -> PageWork:
    """Turn measurements into flags a reviewer can act on."""
    settings = work.job.profile.assess
    quality = imaging.assess_quality(work.gray, work.dpi)
    exposure = work.raw_exposure
    new_flags = []
    if work.dpi < work.job.profile.scan.min_dpi:
        new_flags.append("low_dpi")
    if quality.sharpness < settings.blur_threshold and quality.blank_probability < 0.5:
        new_flags.append("blurred")
    if exposure is not None and exposure.paper_level < settings.too_dark:
        new_flags.append("too_dark")
    if (
        exposure is not None
        and exposure.ink_level > settings.too_light
        and quality.blank_probability < 0.5
    ):
        new_flags.append("too_light")
    blank = quality.blank_probability >= settings.blank_threshold
    if settings.possible_blank_threshold <= quality.blank_probability:
        new_flags.append("possible_blank")
    # A blank sheet has no text lines to orient or straighten by: that is expected, not a flag.
    kept = tuple(f for f in work.flags if not (blank and f in _TEXT_LINE_FLAGS))
    return replace(
        work,
        blank=blank,
        blank_probability=quality.blank_probability,
        sharpness=quality.sharpness,
        phash=imaging.perceptual_hash(work.gray),
        flags=replace(work, flags=kept).flagged(*new_flags),
        notes=work.noted(
            "assess",
            sharpness=round(quality.sharpness, 3),
            blank_probability=round(quality.blank_probability, 3),
            paper_level=exposure.paper_level if exposure else None,
            ink_level=exposure.ink_level if exposure else None,
        ),
    )


def read_text(work: PageWork) -> PageWork:
    """Tesseract, exactly once per page; blank pages are not read."""
    if work.blank:
        return replace(work, notes=work.noted("ocr", skipped="blank page"))
    settings = work.job.profile.ocr
    ocr_image, ocr_dpi = imaging.prepare_for_ocr(work.gray, work.dpi, ocr_dpi=settings.ocr_dpi)
    ocr_input = work.job.work_dir / "ocr-input.pgm"
    imaging.write_pnm(ocr_image, ocr_input)

    def read(languages: list[str]) -> tools.OcrOutput:
        return tools.ocr_page(
            ocr_input,
            languages=languages,
            psm=settings.page_segmentation,
            dpi=round(ocr_dpi),
            timeout_s=settings.timeout_s,
        )

    # Vietnamese pages read faster and better with vie alone (bench/ocr_options.py: 0.87x
    # the time); a page that turns out to be in a Latin-script language is read again with
    # every language, whole, so that its words and its text layer stay one reading.
    vie_first = (
        settings.latin_line_share > 0
        and len(settings.languages) > 1
        and settings.languages[0] == "vie"
    )
    languages = settings.languages[:1] if vie_first else settings.languages
    latin_share: float | None = None
    try:
        result = read(languages)
        if vie_first:
            latin_share = ocr.latin_line_share(result.hocr)
            if latin_share >= settings.latin_line_share:
                languages = settings.languages
                result = read(languages)
    finally:
        ocr_input.unlink(missing_ok=True)
    words = ocr.parse_hocr(result.hocr)
    confidence = ocr.mean_confidence(words)
    height, width = work.gray.shape[:2]
    scale_x, scale_y = width / ocr_image.shape[1], height / ocr_image.shape[0]
    hocr_path = work.job.work_dir / "page.hocr"
    hocr_path.write_text(result.hocr, encoding="utf-8")
    low = confidence is not None and confidence < settings.low_confidence
    return replace(
        work,
        ocr_confidence=confidence,
        ocr_word_count=len(words),
        text=ocr.hocr_text(result.hocr),
        words=tuple(_scaled(word, scale_x, scale_y) for word in words),
        text_layer_pdf=result.text_pdf,
        flags=work.flagged("low_ocr_confidence") if low else work.flags,
        outputs={**work.outputs, "hocr": hocr_path},
        notes=work.noted(
            "ocr",
            engine="tesseract",
            version=tools.ocr_engine_version(),
            languages="+".join(languages),
            latin_line_share=None if latin_share is None else round(latin_share, 3),
            dpi=round(ocr_dpi),
            words=len(words),
            confidence=confidence,
        ),
    )


def _scaled(word: ocr.Word, scale_x: float, scale_y: float) -> ocr.Word:
    left, top, right, bottom = word.box
    box = (
        round(left * scale_x),
        round(top * scale_y),
        round(right * scale_x),
        round(bottom * scale_y),
    )
    return ocr.Word(word.text, box, word.confidence)


def read_document(work: PageWork) -> PageWork:
    """What the page says of its document (văn bản): header, page number, stamps, odd words.

    Read from the words Tesseract already found, never a second OCR of the page; stamps
    are looked for in the image too (a red or faint MẬT is easily missed by OCR), and a
    trích yếu whose words look damaged is re-read alone: targeted re-reads of small
    regions only. Splitting the folder into documents
    happens once its pages are all done (station.room.folder_documents).
    """
    if not work.job.profile.documents.enabled or work.blank:
        return work

    assert work.image is not None
    height, width = work.image.shape[:2]
    page = reading.read_page(work.words, width, height, work.dpi, image=work.image)
    found = stamps.find_stamps(work.image, work.dpi, work.words)
    page = replace(page, stamps=_strongest(page.stamps + found))
    secret = [s.level for s in page.stamps if s.kind == "secrecy"]
    return replace(
        work,
        reading=page.to_json(),
        flags=work.flagged("secrecy_stamp") if secret else work.flags,
        notes=work.noted(
            "read_document",
            starts_document=round(page.starts_document, 3),
            layout=page.layout,
            page_number=page.page_number,
            stamps=[f"{s.kind}:{s.level}:{s.confidence:.2f}:{s.method}" for s in page.stamps],
            fields={k: v.value for k, v in page.header.items() if v.value is not None},
            suspect_words=len(page.suspect_words),
        ),
    )


def _strongest(found: tuple[Stamp, ...]) -> tuple[Stamp, ...]:
    """One stamp per kind and level, the most confident of those found."""
    best: dict[tuple[str, str], Stamp] = {}
    for stamp in found:
        key = (stamp.kind, stamp.level)
        if key not in best or stamp.confidence > best[key].confidence:
            best[key] = stamp
    return tuple(best.values())


def render(work: PageWork) -> PageWork:
    """Write the cleaned page image, its preview and thumbnail, and its one-page PDF."""
    settings = work.job.profile.image
    assert work.image is not None
    out = work.job.work_dir
    image_path = imaging.save_page_image(work.image, work.dpi, settings, out / "page")
    preview, preview_pixels = imaging.save_downscaled(
        work.image, settings.preview_px, out / "preview.jpg"
    )
    thumbnail, _ = imaging.save_downscaled(
        preview_pixels, settings.thumbnail_px, out / "thumbnail.jpg"
    )
    text_path = out / "page.txt"
    text_path.write_text(work.text, encoding="utf-8")
    page_pdf = pdf.make_page_pdf(image_path, work.dpi, work.text_layer_pdf, out / "page.pdf")
    return replace(
        work,
        image=None,  # pixels are no longer needed; keep results small across processes
        text_lines=None,
        text_layer_pdf=None,
        words=(),
        outputs={
            **work.outputs,
            "image": image_path,
            "preview": preview,
            "thumbnail": thumbnail,
            "text": text_path,
            "pdf": page_pdf,
        },
        notes=work.noted("render", image=image_path.name, compression=settings.compression),
    )


PAGE_STAGES: tuple[Stage, ...] = (
    load,
    find_separator,
    orient,
    deskew,
    clean,
    assess,
    read_text,
    read_document,
    render,
)


# --- running one page ---------------------------------------------------------------------


def run_page(job: PageJob, stages: tuple[Stage, ...] = PAGE_STAGES) -> PageResult:
    """Run every stage on one page; never raises for a page-level problem."""
    job.work_dir.mkdir(parents=True, exist_ok=True)
    work = PageWork(job=job)
    timings: dict[str, float] = {}
    for stage in stages:
        started = time.perf_counter()
        try:
            work = stage(work)
        except PageError as exc:
            timings[stage.__name__] = _ms_since(started)
            return PageResult(job, _dropped(work), timings, str(exc), exc.code, stage.__name__)
        except Exception as exc:  # a bug or an unforeseen input: keep the batch going
            log.exception("Stage %s failed on %s", stage.__name__, job.label)
            timings[stage.__name__] = _ms_since(started)
            message = _(
                "%(label)s: internal error in stage '%(stage)s': %(kind)s: %(exc)s",
                label=job.label,
                stage=stage.__name__,
                kind=type(exc).__name__,
                exc=exc,
            )
            return PageResult(
                job, _dropped(work), timings, message, "internal_error", stage.__name__
            )
        timings[stage.__name__] = _ms_since(started)
        if work.finished:
            break
    return PageResult(job, work, timings)


def _dropped(work: PageWork) -> PageWork:
    """A failed page's work without its pixels: the result crosses to another process."""
    return replace(work, image=None, text_lines=None)


def _ms_since(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 1)
