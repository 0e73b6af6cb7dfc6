"""The /stats charts (station.stats.charts): SVG that parses, bars as long as their numbers,
text escaped and NFC, print-safe series, and "No data" instead of an exception."""

from __future__ import annotations

import itertools
import unicodedata
import xml.etree.ElementTree as ET
from datetime import date

import pytest

from station.stats import charts

SVG = "{http://www.w3.org/2000/svg}"
# "Nguyễn" written decomposed (NFD), as some keyboards and file systems hand it over.
NFD_NAME = unicodedata.normalize("NFD", "Nguyễn Thị Hồng Nhung")
NFC_NAME = "Nguyễn Thị Hồng Nhung"


def parse(svg: str) -> ET.Element:
    root = ET.fromstring(svg)
    assert root.tag == f"{SVG}svg"
    assert root.get("width") == "100%" and root.get("role") == "img"
    assert len(root.get("viewBox", "").split()) == 4
    assert root.get("aria-label")
    assert root.find(f"{SVG}title") is not None
    return root


def bars(root: ET.Element) -> list[ET.Element]:
    return [e for e in root.iter(f"{SVG}rect") if e.get("class") == "bar"]


def texts(root: ET.Element) -> list[str]:
    return [e.text or "" for e in root.iter(f"{SVG}text")]  # without the <title> inside


def test_bar_lengths_are_proportional_to_the_values() -> None:
    root = parse(charts.bar_chart("Pages per operator", [("a", 10), ("b", 25), ("c", 40)]))
    found = bars(root)
    assert [float(b.get("data-value", "")) for b in found] == [10, 25, 40]
    widths = [float(b.get("width", "")) for b in found]
    assert widths[1] / widths[0] == pytest.approx(2.5, rel=1e-3)
    assert widths[2] / widths[0] == pytest.approx(4.0, rel=1e-3)
    assert max(widths) <= float(root.get("viewBox", "").split()[2])
    assert {"10", "25", "40"} <= set(texts(root))  # every bar says its number: no colour alone


def test_labels_are_escaped_and_vietnamese_stays_nfc() -> None:
    label = "Hồ sơ <mật> & \"khẩn\" 'x'"
    svg = charts.bar_chart(f"Rejects: {NFD_NAME}", [(label, 3), (NFD_NAME, 1)])
    assert "<mật>" not in svg and "&lt;mật&gt;" in svg and "&amp;" in svg and "&quot;" in svg
    root = parse(svg)  # escaped well enough to parse
    shown = texts(root)
    assert label in shown and NFC_NAME in shown
    assert NFD_NAME not in svg
    assert root.get("aria-label", "").startswith(f"Rejects: {NFC_NAME}")
    title = root.find(f"{SVG}title")
    assert title is not None and NFC_NAME in (title.text or "")


def test_a_long_name_is_cut_on_the_chart_and_whole_in_its_title() -> None:
    name = "Phông Ủy ban nhân dân tỉnh Thừa Thiên Huế giai đoạn 1976–2005, " * 3
    root = parse(charts.bar_chart("Sheets per fonds", [(name, 5)]))
    label = next(e for e in root.iter(f"{SVG}text") if e.get("class") == "label")
    assert (label.text or "").endswith("…") and len(label.text or "") == charts.LABEL_CHARS
    assert "".join(label.itertext()).endswith(unicodedata.normalize("NFC", name))


def test_grouped_bars_keep_series_apart_by_pattern_and_scale_together() -> None:
    root = parse(
        charts.grouped_bar_chart(
            "Backlog per fonds",
            ["Phông 05", "Phông 12"],
            [("Manifest sheets", [200, 50]), ("Scanned", [100, 50]), ("Approved", [20, 0])],
        )
    )
    found = bars(root)
    assert len(found) == 6
    by_value = {float(b.get("data-value", "")): float(b.get("width", "")) for b in found}
    assert by_value[200] / by_value[50] == pytest.approx(4.0, rel=1e-3)
    assert by_value[100] / by_value[20] == pytest.approx(5.0, rel=1e-3)
    assert by_value[0] == 0
    fills = {b.get("data-series"): b.get("fill") for b in found}
    assert len(set(fills.values())) == 3  # three patterns, named in the legend
    patterns = root.findall(f".//{SVG}pattern")
    assert len(patterns) >= 3 and all(p.get("id", "").startswith("c") for p in patterns)
    assert {"Manifest sheets", "Scanned", "Approved"} <= set(texts(root))


def test_two_charts_on_one_page_have_their_own_pattern_ids() -> None:
    one = parse(charts.bar_chart("Flags by kind", [("blurred", 1)]))
    two = parse(charts.bar_chart("Rejects by reason", [("blurred", 1)]))
    ids = lambda r: {p.get("id") for p in r.iter(f"{SVG}pattern")}  # noqa: E731
    assert not ids(one) & ids(two)


def test_line_chart_draws_each_day_and_a_dashed_projection_to_its_date() -> None:
    days = [(date(2026, 11, d), float(100 - 5 * d)) for d in (2, 3, 4, 5)]
    projection = charts.Projection(date(2026, 11, 5), 75, date(2026, 12, 5), 0, "Projected")
    root = parse(charts.line_chart("Sheets left", [("Phông 05", days)], projection=projection))
    line = root.find(f".//{SVG}polyline")
    assert line is not None
    points = [tuple(map(float, p.split(","))) for p in line.get("points", "").split()]
    assert len(points) == 4
    xs, ys = [x for x, _ in points], [y for _, y in points]
    assert xs == sorted(xs) and ys == sorted(ys)  # later days right; fewer sheets lower
    assert xs[1] - xs[0] == pytest.approx(xs[2] - xs[1], abs=0.2)  # days evenly apart
    dashed = next(e for e in root.iter(f"{SVG}line") if e.get("class") == "projection")
    assert dashed.get("stroke-dasharray")
    assert float(dashed.get("x1", "")) == pytest.approx(xs[-1], abs=0.2)
    assert float(dashed.get("x2", "")) > xs[-1]  # the projection reaches past the last day
    assert float(dashed.get("y2", "")) > ys[-1]  # down to zero
    assert any("05/12/2026" in t for t in texts(root))


def test_histogram_bars_touch_and_heights_follow_counts() -> None:
    bins = charts.bins_of([10, 55, 58, 91, 92, 93, 100], 0, 100, 10)
    assert [n for _, _, n in bins] == [0, 1, 0, 0, 0, 2, 0, 0, 0, 4]  # 100 in the top bin
    root = parse(charts.histogram("OCR confidence", bins, unit="%"))
    found = bars(root)
    assert len(found) == 10
    heights = [float(b.get("height", "")) for b in found]
    assert heights[9] / heights[1] == pytest.approx(4.0, rel=1e-3)
    assert heights[0] == 0
    x = [float(b.get("x", "")) for b in found]
    w = float(found[0].get("width", ""))
    assert all(b - a == pytest.approx(w, abs=0.02) for a, b in itertools.pairwise(x))
    with pytest.raises(ValueError):
        charts.bins_of([1], 5, 5, 3)


@pytest.mark.parametrize(
    "svg",
    [
        charts.bar_chart("Empty bars", []),
        charts.bar_chart("All zero", [("a", 0)]),
        charts.grouped_bar_chart("Empty groups", [], []),
        charts.line_chart("Empty line", []),
        charts.line_chart("Empty series", [("a", [])]),
        charts.histogram("Empty histogram", []),
    ],
)
def test_empty_data_gives_a_no_data_chart(svg: str) -> None:
    root = parse(svg)
    assert any("No data" in t for t in texts(root))
    assert "No data" in root.get("aria-label", "")
    assert not bars(root)


def test_print_safe_black_text_and_nice_ticks() -> None:
    root = parse(charts.bar_chart("x", [("a", 7)]))
    assert root.get("fill") == charts.INK  # text inherits black ink, not a series colour
    assert charts.nice_ticks(7) == [0, 2, 4, 6, 8]
    assert charts.nice_ticks(1000) == [0, 500, 1000]
    assert charts.nice_ticks(0) == [0, 1] and charts.nice_ticks(2) == [0, 1, 2]
    assert charts.number(12345) == "12,345" and charts.number(2.26) == "2.3"
