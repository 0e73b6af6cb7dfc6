"""From a batch of pages to folders (hồ sơ): which page belongs where, and does it add up.

Plain functions over plain facts, so the rules can be read and tested without a
database or a scanner: the runner gathers the facts and records the answers.

The rules, in scan order:
- a separator sheet whose folder id is in the manifest starts that folder; the sheet
  itself belongs to no document;
- a batch that arrives as one subfolder per folder id puts each subfolder's pages in
  that folder (a separator inside it still wins for the pages after it);
- pages before the first separator, after a separator with an unknown id, or in a
  subfolder that is not a manifest folder go to the `unassigned` holding folder,
  flagged for QA; nothing is dropped;
- a batch with neither separators nor folder subfolders is one document, no folder;
- a rescan slip names a rejected page; the page scanned right after it is that page's
  replacement and takes its place (station.room.assembly); slips and replacements do not
  change which folder the pages around them go to.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import PurePosixPath

from station.manifest import file_name
from station.pipeline import imaging

UNASSIGNED = "unassigned"

# Measured on generated pages: the same sheet rescanned (new noise, 0.7° more skew, a few
# pixels shift) is 8-28 of 256 bits away, different pages of one layout 52 or more.
NEAR_DUPLICATE_BITS = 32
SAME_TEXT = 0.9


@dataclass(frozen=True)
class PageFacts:
    """What the folder rules need to know about a page."""

    page_id: int
    source_file: str
    ok: bool
    separator: str | None = None
    blank: bool = False
    sha256: str = ""
    page_index: int = 0
    phash: str | None = None
    text: str = ""
    rescan_of: int | None = None  # a rescan slip: the page id it names
    folder_label: str | None = None  # another system's folder label read on the page

    @property
    def subfolder(self) -> str | None:
        parts = PurePosixPath(self.source_file.replace("\\", "/")).parts
        return parts[0] if len(parts) > 1 else None


@dataclass(frozen=True)
class Placement:
    folder_id: str | None  # None: the batch is a single document
    flags: tuple[str, ...] = ()


def pair_rescans(pages: Sequence[PageFacts]) -> dict[int, int | None]:
    """Each rescan slip's replacement: the next page that is neither a slip nor a separator
    (None when the slip is last, or followed by another slip or a separator)."""
    pairs: dict[int, int | None] = {}
    for slip, following in itertools.zip_longest(pages, pages[1:]):
        if slip.rescan_of is None:
            continue
        usable = following is not None and following.rescan_of is None and not following.separator
        pairs[slip.page_id] = following.page_id if usable and following else None
    return pairs


def label_separators(pages: Sequence[PageFacts], known_ids: set[str]) -> dict[int, str]:
    """Pages that are other systems' folder labels: a code whose payload is exactly a
    manifest folder's id, on a nearly blank page (the pipeline found it so). They start
    their folder as a separator sheet does; an id the manifest does not know leaves the
    page an ordinary page, since any QR code could be printed on a document."""
    return {
        p.page_id: p.folder_label
        for p in pages
        if p.folder_label and p.separator is None and p.folder_label in known_ids
    }


def assign_folders(pages: Sequence[PageFacts], known_ids: set[str]) -> dict[int, Placement]:
    """Each page's folder, by the rules in the module docstring, and the flags they raise.

    Rescan slips and their replacements are left out: `pair_rescans` places them.
    """
    rescans = pair_rescans(pages)
    taken = set(rescans) | {page_id for page_id in rescans.values() if page_id is not None}
    pages = [p for p in pages if p.page_id not in taken]
    if not any(p.separator for p in pages) and not any(p.subfolder for p in pages):
        return {p.page_id: Placement(None) for p in pages}
    placements: dict[int, Placement] = {}
    current: str | None = None
    previous_subfolder: str | None = None
    # a subfolder is named as the folder's files are: 05/01/HS-12 arrives as 05-01-HS-12
    by_file_name = {file_name(folder_id): folder_id for folder_id in known_ids}
    for page in pages:
        if page.subfolder != previous_subfolder:
            previous_subfolder = page.subfolder
            current = by_file_name.get(page.subfolder or "")
        if page.separator is not None:
            known = page.separator in known_ids
            current = page.separator if known else None
            placements[page.page_id] = Placement(
                page.separator if known else UNASSIGNED, () if known else ("unknown_separator",)
            )
            continue
        placements[page.page_id] = (
            Placement(current) if current else Placement(UNASSIGNED, ("unassigned",))
        )
    return placements


def count_sheets(pages: Sequence[PageFacts], *, duplex: bool) -> int:
    """Sheets of paper the pages stand for: blank backs count in duplex, not in simplex."""
    document_pages = [p for p in pages if p.ok and p.separator is None]
    if duplex:
        return (len(document_pages) + 1) // 2
    return sum(1 for p in document_pages if not p.blank)


def possible_duplicates(pages: Sequence[PageFacts]) -> set[int]:
    """Pages that repeat the page before them: a double feed or a sheet scanned twice.

    Byte-identical files are duplicates outright. Otherwise the images must be close
    (perceptual hash) and, when both pages have text, the texts nearly the same: two
    pages of one form look alike to a hash but read differently.
    """
    found: set[int] = set()
    candidates = [p for p in pages if p.ok and p.separator is None and not p.blank]
    for before, page in itertools.pairwise(candidates):
        same_bytes = bool(page.sha256) and (page.sha256, page.page_index) == (
            before.sha256,
            before.page_index,
        )
        if same_bytes or _look_alike(before, page):
            found.add(page.page_id)
    return found


def _look_alike(first: PageFacts, second: PageFacts) -> bool:
    if first.phash is None or second.phash is None:
        return False
    if imaging.hash_distance(first.phash, second.phash) > NEAR_DUPLICATE_BITS:
        return False
    if first.text.strip() and second.text.strip():
        return text_similarity(first.text, second.text) >= SAME_TEXT
    return True


def text_similarity(first: str, second: str) -> float:
    """Jaccard similarity of word trigrams: cheap, and blind to OCR line-break changes."""
    a, b = _trigrams(first), _trigrams(second)
    if not a and not b:
        return 1.0
    return len(a & b) / len(a | b)


def _trigrams(text: str) -> set[tuple[str, ...]]:
    words = re.findall(r"\w+", text.casefold())
    return {tuple(words[i : i + 3]) for i in range(max(0, len(words) - 2))}


def sheet_count_flag(expected: int | None, found: int) -> dict[str, object] | None:
    """The folder flag for a count that differs from the manifest, with both numbers."""
    if expected is None or expected == found:
        return None
    return {"code": "sheet_count_mismatch", "expected": expected, "found": found}
