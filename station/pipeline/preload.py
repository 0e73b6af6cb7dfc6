"""What the worker pools' forkserver imports before it forks any worker.

The pipeline's modules and loaded Tesseract engines for the default languages: every
worker forked from the server then reads its first page at once, instead of each paying
for importing the pipeline (1.5 s) and loading the vie+eng models (0.65 s). Forked
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
    tools.preload_engine(_DEFAULT.languages[:1], _DEFAULT.page_segmentation)  # most pages
    tools.preload_engine(_DEFAULT.languages, _DEFAULT.page_segmentation)  # Latin-script pages

__all__ = ["stages"]
