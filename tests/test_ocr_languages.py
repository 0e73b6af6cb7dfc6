"""Which languages read a page: vie alone for Vietnamese, every language for a Latin page.

Real Tesseract through the real stages. A Vietnamese page read with `vie` alone is faster
and no worse (bench/ocr_options.py); a page in English or French must still come out as
well as reading it with `vie+eng` from the start, so it is read again, whole.
"""

from __future__ import annotations

from pathlib import Path

import make_samples as ms
import numpy as np
import pytest

from station import profiles
from station.pipeline import PageJob, PageResult, ocr, run_page

REPO = Path(__file__).resolve().parent.parent
EUROTEXT = REPO.parent / "shared" / "corpus" / "real" / "tesseract-test" / "eurotext.tif"


def _read(path: Path, tmp_path: Path, latin_line_share: float | None = None) -> PageResult:
    profile = profiles.load_profile("text-gray-300", REPO / "profiles")
    if latin_line_share is not None:
        ocr_settings = profile.ocr.model_copy(update={"latin_line_share": latin_line_share})
        profile = profile.model_copy(update={"ocr": ocr_settings})
    work_dir = tmp_path / f"work-{path.stem}-{latin_line_share}"
    result = run_page(PageJob(1, path.name, path, "", 0, work_dir, profile))
    assert result.ok, result.error
    return result


@pytest.fixture(scope="module")
def vietnamese_page(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    image, truth = ms.render_document_page(np.random.default_rng(41), dpi=300)
    path = tmp_path_factory.mktemp("vi") / "page.tif"
    image.save(path, dpi=(300, 300))
    return path, truth


def test_a_vietnamese_page_is_read_with_vie_alone(
    vietnamese_page: tuple[Path, str], tmp_path: Path
) -> None:
    path, truth = vietnamese_page
    result = _read(path, tmp_path)
    note = result.work.notes["ocr"]
    assert note["languages"] == "vie"
    assert note["latin_line_share"] < 0.25
    assert ms.character_error_rate(truth, result.work.text) < 0.03


def test_a_latin_page_is_read_again_whole_with_every_language(tmp_path: Path) -> None:
    fallback = _read(EUROTEXT, tmp_path)
    note = fallback.work.notes["ocr"]
    assert note["languages"] == "vie+eng"
    assert note["latin_line_share"] >= 0.25
    # The same reading as vie+eng from the start: words, text layer and all.
    at_once = _read(EUROTEXT, tmp_path, latin_line_share=0.0)
    assert at_once.work.notes["ocr"]["languages"] == "vie+eng"
    assert at_once.work.notes["ocr"]["latin_line_share"] is None
    assert fallback.work.text == at_once.work.text
    assert fallback.work.ocr_word_count == at_once.work.ocr_word_count


def test_latin_line_share_counts_lines_with_letters_vietnamese_lacks() -> None:
    def line(words: str, top: int) -> str:
        spans = "".join(
            f"<span class='ocrx_word' title='bbox 0 {top} 10 {top + 10}; x_wconf 90'>{w}</span>"
            for w in words.split()
        )
        return f"<span class='ocr_line' title='bbox 0 {top} 100 {top + 10}'>{spans}</span>"

    hocr = (
        "<html xmlns='http://www.w3.org/1999/xhtml'><body><div class='ocr_page'>"
        + line("Căn cứ Luật Tổ chức", 0)
        + line("The quick brown fox jumps", 20)
        + line("Quyết định số 12", 40)
        + line("over the lazy dog", 60)
        + "</div></body></html>"
    )
    assert ocr.latin_line_share(hocr) == pytest.approx(0.5)
    assert ocr.latin_line_share("<html xmlns='http://www.w3.org/1999/xhtml'></html>") == 0.0


def test_profiles_can_read_every_page_with_every_language(
    vietnamese_page: tuple[Path, str], tmp_path: Path
) -> None:
    path, _ = vietnamese_page
    result = _read(path, tmp_path, latin_line_share=0.0)
    assert result.work.notes["ocr"]["languages"] == "vie+eng"
    assert result.work.ocr_word_count > 50
