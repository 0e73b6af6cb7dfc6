"""What the worker pools' forkserver imports before it forks any worker.

The pipeline's modules and a loaded Tesseract engine for the first default language (vie):
every worker forked from the server then reads its first page at once, instead of each
paying for importing the pipeline (1.5 s) and loading the models (0.4-0.65 s). Forked
memory is shared until written, so the models are in memory once, not once per worker.
"""

import contextlib
import ctypes
import gc
import sys

from station import tools
from station.errors import StationError
from station.pipeline import stages
from station.profiles import OcrSettings

_M_TRIM_THRESHOLD, _M_MMAP_MAX = -1, -4  # glibc's mallopt parameters


def keep_page_memory() -> None:
    """Let a worker reuse the memory its last page had instead of asking the kernel anew.

    A colour page at 300 dpi is 26-35 MB per copy, and glibc hands a block that large back
    to the kernel when it is freed. The next copy is then fresh memory, which the kernel
    maps page by page and, numpy asking for huge pages, compacts memory for at the first
    touch: 0.2-0.4 s per copy on these machines, a tenth of a page's time at random. Kept in
    the heap, later copies land on memory already mapped. A worker's size stays flat, at
    its largest pages' (200 MB over 150 pages: `bench/run.py --only memory`). Turning numpy's
    huge pages off instead avoids the stall but let workers grow to 460 MB.
    """
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):  # not glibc: its own allocator
            libc = ctypes.CDLL("libc.so.6")
            libc.mallopt(_M_MMAP_MAX, 0)
            libc.mallopt(_M_TRIM_THRESHOLD, 2**31 - 1)


keep_page_memory()

_DEFAULT = OcrSettings()
# Missing language packs: the first page names the problem, in the batch's report.
with contextlib.suppress(StationError):
    # vie alone reads most pages (read_text); vie+eng loads on a worker's first Latin-script
    # page: preloaded, it would add its models to every worker's memory for a rare page.
    tools.preload_engine(_DEFAULT.languages[:1], _DEFAULT.page_segmentation)

# Imported modules and the loaded models live as long as the workers: frozen, the garbage
# collector never walks them (nor writes to their pages, so forked workers keep sharing them).
gc.freeze()

__all__ = ["stages"]
