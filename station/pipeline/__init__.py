"""The page pipeline: a page's journey (`stages`) and the image, OCR and PDF work it uses.

`stages` reads top to bottom as the journey; `imaging`, `ocr`, `pdf` and `separators`
are the plain functions the stages call; `work` holds the data a page carries. Nothing
here touches the database: the runner (`station.room.runner`) records what the stages
return.

The stages load on first use (PEP 562), not with the package: a process that only hands
out jobs and records results imports `station.pipeline.work` without OpenCV, Tesseract
and the document readers.
"""

from typing import TYPE_CHECKING, Any

from station.pipeline.work import PageJob, PageResult, PageWork, Stage

_STAGES = (
    "PAGE_STAGES",
    "assess",
    "clean",
    "deskew",
    "find_separator",
    "load",
    "orient",
    "read_document",
    "read_text",
    "render",
    "run_page",
)

if TYPE_CHECKING:
    from station.pipeline.stages import (
        PAGE_STAGES,
        assess,
        clean,
        deskew,
        find_separator,
        load,
        orient,
        read_document,
        read_text,
        render,
        run_page,
    )
else:

    def __getattr__(name: str) -> Any:
        if name in _STAGES:
            from station.pipeline import stages

            return getattr(stages, name)
        raise AttributeError(f"module 'station.pipeline' has no attribute {name!r}")


__all__ = [
    "PAGE_STAGES",
    "PageJob",
    "PageResult",
    "PageWork",
    "Stage",
    "assess",
    "clean",
    "deskew",
    "find_separator",
    "load",
    "orient",
    "read_document",
    "read_text",
    "render",
    "run_page",
]
