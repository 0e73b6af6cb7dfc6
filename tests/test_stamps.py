"""Secrecy and urgency stamps found in the page image: red, framed, turned; never a seal."""

from __future__ import annotations

from pathlib import Path

import make_samples as ms
import numpy as np
import pytest
from PIL import Image

from station.documents import stamps

REAL = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "real" / "vietnamese-nomvn"


@pytest.fixture(scope="module")
def page() -> Image.Image:
    image, _ = ms.render_document_page(np.random.default_rng(12), dpi=300)
    return image


def levels(image: Image.Image, dpi: int = 300) -> set[tuple[str, str]]:
    return {(s.kind, s.level) for s in stamps.find_stamps(np.asarray(image), dpi, [])}


@pytest.mark.parametrize(
    ("printed", "kind", "level"),
    [
        ("MẬT", "secrecy", "Mật"),
        ("TỐI MẬT", "secrecy", "Tối mật"),
        ("TUYỆT MẬT", "secrecy", "Tuyệt mật"),
        ("HỎA TỐC", "urgency", "Hỏa tốc"),
        ("KHẨN", "urgency", "Khẩn"),
    ],
)
def test_each_level_is_read(page: Image.Image, printed: str, kind: str, level: str) -> None:
    found = stamps.find_stamps(np.asarray(ms.add_secrecy_stamp(page, printed)), 300, [])
    best = max((s for s in found if s.kind == kind), key=lambda s: s.confidence)
    assert best.level == level and best.confidence >= 0.8


@pytest.mark.parametrize("angle", [-15, 8])
def test_a_turned_stamp_is_read(page: Image.Image, angle: int) -> None:
    turned = ms.add_secrecy_stamp(page, "MẬT").rotate(angle, fillcolor=(255, 255, 255))
    assert ("secrecy", "Mật") in levels(turned)


def test_a_faint_stamp_is_still_found(page: Image.Image) -> None:
    stamped = np.asarray(ms.add_secrecy_stamp(page, "MẬT")).astype(np.float32)
    faint = (255 - (255 - stamped) * 0.55).clip(0, 255).astype(np.uint8)  # ink at 55 %
    assert ("secrecy", "Mật") in levels(Image.fromarray(faint))


def test_a_stamp_on_a_smaller_scan_is_found(page: Image.Image) -> None:
    stamped = ms.add_secrecy_stamp(page, "TỐI MẬT")
    small = stamped.resize((stamped.width * 2 // 3, stamped.height * 2 // 3), Image.LANCZOS)
    assert ("secrecy", "Tối mật") in levels(small, 200)


def test_a_red_round_seal_is_not_a_stamp(page: Image.Image) -> None:
    sealed = ms._draw_seal(
        page.convert("RGB"), np.random.default_rng(1), (1700, 2900), 190, "ỦY BAN NHÂN DÂN", 300
    )
    assert np.asarray(sealed).ndim == 3 and stamps.red_mask(np.asarray(sealed)).any()
    assert levels(sealed) == set()


def test_real_scans_carry_no_secrecy_stamp() -> None:
    for path in sorted(REAL.glob("*.png")):
        image = Image.open(path).convert("RGB")
        dpi = 160 if "tt_37" in path.name else 200
        assert not {k for k, _ in levels(image, dpi)} & {"secrecy"}, path.name


def test_gray_pages_are_left_to_the_words(page: Image.Image) -> None:
    assert stamps.find_stamps(np.asarray(page.convert("L")), 300, []) == ()
