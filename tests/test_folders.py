"""The folder rules: separators and subfolders to folders, sheet counts, double feeds."""

from __future__ import annotations

import make_samples as ms
import numpy as np

from station.pipeline import imaging
from station.room import folders
from station.room.folders import UNASSIGNED, PageFacts, Placement

KNOWN = {"HS-01", "HS-02"}


def _page(page_id: int, name: str = "", **kw: object) -> PageFacts:
    return PageFacts(page_id=page_id, source_file=name or f"scan_{page_id:04d}.tif", ok=True, **kw)  # type: ignore[arg-type]


def test_a_batch_without_separators_or_subfolders_is_one_document() -> None:
    placements = folders.assign_folders([_page(1), _page(2)], KNOWN)
    assert placements == {1: Placement(None), 2: Placement(None)}


def test_separators_start_folders_and_pages_before_the_first_are_unassigned() -> None:
    pages = [
        _page(1),
        _page(2, separator="HS-01"),
        _page(3),
        _page(4),
        _page(5, separator="HS-99"),  # not in the manifest
        _page(6),
        _page(7, separator="HS-02"),
        _page(8),
    ]
    placed = folders.assign_folders(pages, KNOWN)
    assert placed[1] == Placement(UNASSIGNED, ("unassigned",))
    assert placed[2].folder_id == "HS-01" and placed[3].folder_id == placed[4].folder_id == "HS-01"
    assert placed[5] == Placement(UNASSIGNED, ("unknown_separator",))
    assert placed[6] == Placement(UNASSIGNED, ("unassigned",))
    assert placed[8] == Placement("HS-02")


def test_one_subfolder_per_folder_id() -> None:
    pages = [
        _page(1, "HS-01/a.tif"),
        _page(2, "HS-01/b.tif"),
        _page(3, "HS-02/a.tif"),
        _page(4, "HS-77/a.tif"),  # a subfolder the manifest does not know
    ]
    placed = folders.assign_folders(pages, KNOWN)
    assert [placed[i].folder_id for i in (1, 2, 3)] == ["HS-01", "HS-01", "HS-02"]
    assert placed[4] == Placement(UNASSIGNED, ("unassigned",))


def test_sheet_counts_simplex_and_duplex() -> None:
    pages = [
        _page(1, separator="HS-01"),
        _page(2),
        _page(3, blank=True),
        _page(4),
        PageFacts(page_id=5, source_file="x.tif", ok=False),
    ]
    assert folders.count_sheets(pages, duplex=False) == 2  # blank and failed pages are no sheet
    assert folders.count_sheets(pages, duplex=True) == 2  # 3 sides: fronts and backs, 2 sheets
    assert folders.sheet_count_flag(3, 2) == {
        "code": "sheet_count_mismatch",
        "expected": 3,
        "found": 2,
    }
    assert folders.sheet_count_flag(2, 2) is None
    assert folders.sheet_count_flag(None, 2) is None


def _rescan(page: np.ndarray, rng: np.random.Generator, skew: float) -> np.ndarray:
    from PIL import Image

    noisy = ms.add_noise(ms.apply_skew(Image.fromarray(page), skew), rng)
    return np.asarray(noisy.convert("L"))


def test_double_feeds_are_found_and_different_pages_of_one_layout_are_not() -> None:
    rng = np.random.default_rng(5)
    first, first_text = ms.render_document_page(np.random.default_rng(1))
    other, other_text = ms.render_document_page(np.random.default_rng(2))
    page = np.asarray(first.convert("L"))
    twin = _rescan(page, rng, 0.3)[8:, 5:]
    different = np.asarray(other.convert("L"))

    def facts(page_id: int, pixels: np.ndarray, text: str, sha: str) -> PageFacts:
        return _page(page_id, sha256=sha, phash=imaging.perceptual_hash(pixels), text=text)

    pages = [
        facts(1, page, first_text, "a"),
        facts(2, twin, first_text.replace("\n", " "), "b"),  # same sheet fed again
        facts(3, different, other_text, "c"),
        facts(4, different, other_text, "c"),  # the same file twice: byte-identical
    ]
    assert folders.possible_duplicates(pages) == {2, 4}
    # The same image with different text (a form filled in differently) is not a duplicate.
    form = [facts(1, page, first_text, "a"), facts(2, page, other_text, "b")]
    assert folders.possible_duplicates(form) == set()


def test_blank_pages_and_separators_are_never_duplicates() -> None:
    blank = np.full((350, 250), 250, np.uint8)
    phash = imaging.perceptual_hash(blank)
    pages = [
        _page(1, blank=True, phash=phash, sha256="a"),
        _page(2, blank=True, phash=phash, sha256="b"),
        _page(3, separator="HS-01", phash=phash, sha256="c"),
        _page(4, separator="HS-01", phash=phash, sha256="d"),
    ]
    assert folders.possible_duplicates(pages) == set()


def test_text_similarity_ignores_line_breaks() -> None:
    text = "Ủy ban nhân dân tỉnh Bình Định báo cáo kết quả số hóa tài liệu lưu trữ"
    assert folders.text_similarity(text, text.replace(" ", "\n", 3)) == 1.0
    assert folders.text_similarity(text, "Một văn bản hoàn toàn khác về việc khác") < 0.2


def test_a_subfolder_named_like_the_folders_files_finds_a_folder_id_with_slashes() -> None:
    pages = [PageFacts(page_id=1, source_file="05-01-HS-12/a.tif", ok=True)]
    assert folders.assign_folders(pages, {"05/01/HS-12"})[1] == Placement("05/01/HS-12")


def test_a_folder_label_naming_a_manifest_folder_acts_as_a_separator() -> None:
    from station.room.folders import label_separators

    pages = [
        PageFacts(1, "a.tif", True, folder_label="HS-1"),
        PageFacts(2, "b.tif", True),
        PageFacts(3, "c.tif", True, folder_label="not-in-manifest"),
    ]
    assert label_separators(pages, {"HS-1", "HS-2"}) == {1: "HS-1"}
