"""What the worker pools' forkserver imports before it forks any worker.

The pipeline's modules and a loaded Tesseract engine for the first default language (vie):
every worker forked from the server then reads its first page at once, instead of each
paying for importing the pipeline (1.5 s) and loading the models (0.4-0.65 s). Forked
memory is shared until written, so the models are in memory once, not once per worker.
"""

import contextlib

from station import tools
from station.errors import StationError
from station.pipeline import stages
from station.profiles import OcrSettings

_DEFAULT = OcrSettings()
# Missing language packs: the first page names the problem, in the batch's report.
with contextlib.suppress(StationError):
    # vie alone reads most pages (read_text); vie+eng loads on a worker's first Latin-script
    # page: preloaded, it would add its models to every worker's memory for a rare page.
    tools.preload_engine(_DEFAULT.languages[:1], _DEFAULT.page_segmentation)

__all__ = ["stages"]
