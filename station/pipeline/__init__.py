"""The page pipeline: a page's journey (`stages`) and the image, OCR and PDF work it uses.

`stages` reads top to bottom as the journey; `imaging`, `ocr`, `pdf` and `separators`
are the plain functions the stages call. Nothing here touches the database: the runner
(`station.room.runner`) records what the stages return.
"""

from station.pipeline.stages import (
    PAGE_STAGES,
    PageJob,
    PageResult,
    PageWork,
    Stage,
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
