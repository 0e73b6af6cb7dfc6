"""Property-based fuzzing, the fast subset: hypothesis draws the hostile cases of
scripts/fuzz_cases.py (bench/fuzz.py runs 10,000 of them with a time limit each).

Every case ends in success or station's own error naming the file; never a traceback.
The cases that found bugs are pinned as examples so they cannot come back.
"""

from __future__ import annotations

import random
from datetime import timedelta
from pathlib import Path

import fuzz_cases
import numpy as np
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from station.pipeline.separators import read_page_codes

FAST = settings(
    max_examples=60,
    deadline=timedelta(seconds=10),  # a hang or a near-hang fails the case
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    derandomize=True,
)


def check(target: str, seed: int, tmp_path: Path) -> None:
    verdict = fuzz_cases.run_case(target, seed, tmp_path)
    assert verdict.ok, f"{target} seed {seed}: {verdict.outcome}: {verdict.detail}"


@FAST
@given(seed=st.integers(0, 2**32))
@example(seed=75)  # a multi-page TIFF whose next page has no size: TypeError from Pillow
@example(seed=191)  # a TIFF page compressed with an unknown scheme: KeyError from Pillow
@pytest.mark.filterwarnings("ignore")
def test_damaged_scans_end_in_a_named_error_or_a_page(seed: int, tmp_path: Path) -> None:
    check("image", seed, tmp_path)


@FAST
@given(seed=st.integers(0, 2**32))
@example(seed=176)  # 20 x 76 px at 1200 dpi: halved to nothing before OpenCV's resize
def test_separator_reader_takes_any_page_image(seed: int, tmp_path: Path) -> None:
    check("separator", seed, tmp_path)


@FAST
@given(
    image=hnp.arrays(
        np.uint8,
        st.one_of(
            hnp.array_shapes(min_dims=2, max_dims=2, min_side=1, max_side=64),
            st.tuples(st.integers(1, 64), st.integers(1, 64), st.sampled_from((1, 3, 4))),
        ),
    ),
    dpi=st.floats(1, 10_000),
)
def test_separator_reader_on_arbitrary_arrays(image: np.ndarray, dpi: float) -> None:
    separator, _label = read_page_codes(image, dpi)
    assert separator is None  # noise is never a separator sheet


@FAST
@given(seed=st.integers(0, 2**32))
def test_manifest_csv_in_any_encoding_and_delimiter(seed: int, tmp_path: Path) -> None:
    check("manifest-csv", seed, tmp_path)


@settings(FAST, max_examples=25)
@given(seed=st.integers(0, 2**32))
def test_manifest_xlsx_with_odd_cells_or_damage(seed: int, tmp_path: Path) -> None:
    check("manifest-xlsx", seed, tmp_path)


@FAST
@given(seed=st.integers(0, 2**32))
def test_batch_done_files(seed: int, tmp_path: Path) -> None:
    check("batch.done", seed, tmp_path)


@FAST
@given(data=st.binary(max_size=2048), name=st.sampled_from(("batch.done", "m.csv", "m.xlsx")))
def test_arbitrary_bytes_in_every_text_reader(data: bytes, name: str, tmp_path: Path) -> None:
    path = tmp_path / name
    path.write_bytes(data)
    target = {"batch.done": "batch.done", "m.csv": "manifest-csv", "m.xlsx": "manifest-xlsx"}[name]
    verdict = fuzz_cases.judge_file(target, path)
    assert verdict.ok, verdict


def test_giant_and_bomb_headers_are_refused_by_name(tmp_path: Path) -> None:
    """A 200,000 px wide header and a 50,000 x 50,000 bomb end in the file's own error."""
    for width, height in ((200_000, 400), (50_000, 50_000), (10**6, 10**6)):
        path = tmp_path / "scan_0001.png"
        path.write_bytes(fuzz_cases.png_with_size(width, height))
        verdict = fuzz_cases.judge_file("image", path)
        assert verdict.ok and verdict.outcome == "station_error", (width, height, verdict)
        assert verdict.detail == "unreadable_image"


def test_the_cases_are_the_same_for_a_seed() -> None:
    """bench/fuzz.py and these tests name a failing case by its seed: it must replay."""
    for maker in fuzz_cases.MAKERS.values():
        assert maker(random.Random("x:7")) == maker(random.Random("x:7"))
