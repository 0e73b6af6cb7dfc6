"""What a page carries through the pipeline: its job, its work in progress, its result.

Plain data that crosses process boundaries. Kept apart from the stages so that the
processes that only hand out jobs and record results (the runner, `station process`) do
not import OpenCV, Tesseract and the document readers at start: those load in the workers.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np

    from station.pipeline import imaging, ocr
    from station.profiles import ScanProfile


@dataclass(frozen=True)
class PageJob:
    """Everything a worker needs for one page; plain data, so it crosses process boundaries."""

    page_id: int
    source_file: str  # the name the scanner gave the file, for messages
    master_path: Path  # verified, read-only copy in master storage
    sha256: str  # of the original file
    page_index: int  # frame in a multi-page TIFF; 0 otherwise
    work_dir: Path  # this page's derivatives are written here
    profile: ScanProfile

    @property
    def label(self) -> str:
        return (
            f"{self.source_file} (page {self.page_index + 1})"
            if self.page_index
            else self.source_file
        )


@dataclass(frozen=True)
class PageWork:
    """The page as it moves through the stages."""

    job: PageJob
    image: np.ndarray | None = None  # current pixels: HxW gray or HxWx3 RGB, uint8
    dpi: float = 0.0
    width_px: int = 0  # of the original scan
    height_px: int = 0
    color_mode: str = ""  # of the original: "bw", "gray" or "color"
    rotation: int = 0  # degrees clockwise applied to make the page upright
    skew_deg: float | None = None  # skew found, counter-clockwise positive
    text_lines: imaging.TextLines | None = None  # text ink orient found, turned, for deskew
    raw_exposure: imaging.Exposure | None = None
    blank: bool = False
    blank_probability: float = 0.0
    sharpness: float | None = None
    ocr_confidence: float | None = None
    ocr_word_count: int = 0
    text: str = ""
    words: tuple[ocr.Word, ...] = ()  # Tesseract's words, boxes in this page's pixels
    reading: dict[str, Any] | None = None  # what the page says of its document (PageReading)
    text_layer_pdf: bytes | None = None
    separator: str | None = None  # folder id carried by a separator sheet
    rescan_of: int | None = None  # page id a rescan slip names
    folder_label: str | None = None  # a code on a nearly blank page: another system's label
    phash: str | None = None  # perceptual hash, to find double feeds
    finished: bool = False  # set by a stage when the page needs no further stages
    flags: tuple[str, ...] = ()
    outputs: dict[str, Path] = field(default_factory=dict)
    notes: dict[str, dict[str, Any]] = field(default_factory=dict)

    def flagged(self, *new_flags: str) -> tuple[str, ...]:
        return self.flags + tuple(f for f in new_flags if f not in self.flags)

    def noted(self, stage: str, **details: Any) -> dict[str, dict[str, Any]]:
        return {**self.notes, stage: details}

    @cached_property
    def gray(self) -> np.ndarray:
        """The current pixels in gray, converted once per image however many stages ask."""
        from station.pipeline import imaging  # with the stages: not for the runner's import

        assert self.image is not None, "no image loaded"
        return imaging.to_gray(self.image)

    def __getstate__(self) -> dict[str, Any]:
        """The gray copy is a cache: never send it to another process."""
        state = dict(self.__dict__)
        state.pop("gray", None)
        return state


Stage = Callable[[PageWork], PageWork]


@dataclass(frozen=True)
class PageResult:
    """What the runner records for a page: the final `PageWork` or the error that stopped it."""

    job: PageJob
    work: PageWork
    timings_ms: dict[str, float]
    error: str | None = None
    error_code: str | None = None
    failed_stage: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None
