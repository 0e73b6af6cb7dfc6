"""The /stats page (qa.stats): charts with their tables, who sees which figures, CSV and XLSX
downloads that parse back with the same numbers, and the page in Chromium at 1280 and 390 px."""

from __future__ import annotations

import csv
import io
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import PASSWORD, ReviewRoom, logged_in, serving
from fastapi.testclient import TestClient

from qa import stats
from qa.app import create_app
from station.review import rules
from station.store import Store, User

ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
CHROMIUM = Path("/usr/bin/chromium")
HS1, HS2 = "05/01/HS-001", "05/01/HS-002"

SVG = "{http://www.w3.org/2000/svg}"

# The figures' shape as station.stats.figures gives it, with awkward text on purpose.
FIGURES: dict[str, Any] = {
    "backlog": [
        {"fonds_code": "05", "box_no": "", "manifest_sheets": 120, "scanned_sheets": 80,
         "reviewed_pages": 60, "approved_folders": 3, "exported_folders": 1,
         "projected_completion": "2026-12-24",
         "days": [{"day": "2026-11-30", "scanned_sheets": 30, "reviewed_pages": 10,
                   "approved_folders": 0, "exported_folders": 0},
                  {"day": "2026-12-01", "scanned_sheets": 80, "reviewed_pages": 60,
                   "approved_folders": 3, "exported_folders": 1}]},
        {"fonds_code": "05", "box_no": "1", "manifest_sheets": 70, "scanned_sheets": 80,
         "reviewed_pages": 60, "approved_folders": 3, "exported_folders": 1,
         "projected_completion": None, "days": []},
        {"fonds_code": "=HYPERLINK(\"x\")", "box_no": "", "manifest_sheets": 10,
         "scanned_sheets": 0, "reviewed_pages": 0, "approved_folders": 0,
         "exported_folders": 0, "projected_completion": None, "days": []},
    ],
    "throughput": {
        "operator": [
            {"operator": "op1", "pages": 8, "batches": 2, "decisions": 0, "pages_per_hour": 96.5,
             "days": [{"day": "2026-11-30", "pages": 3, "batches": 1},
                      {"day": "2026-12-01", "pages": 5, "batches": 1}]},
            {"operator": "Nguyễn Thị Hồng", "pages": 3, "batches": 1, "decisions": 0,
             "pages_per_hour": None, "days": [{"day": "2026-12-01", "pages": 3, "batches": 1}]},
        ],
        "reviewer": [
            {"reviewer": "rev2", "pages": 0, "batches": 0, "decisions": 6,
             "pages_per_hour": None, "days": [{"day": "2026-12-01", "decisions": 6}]},
        ],
    },
    "quality": {
        "flags": {"blurred": 2, "possible_blank": 1},
        "rejects": {"blurred": 1, "-1 trang rách": 2},
        "rescans": 3,
        "failed_files": {"unreadable_image": 1},
    },
    "processing": {
        "stages": {"deskew": {"p50_ms": 120, "p95_ms": 300},
                   "ocr": {"p50_ms": 900, "p95_ms": 2100}},
        "pages_per_minute": 14.5,
    },
}  # fmt: skip


def user(name: str, role: str) -> User:
    return User(username=name, role=role, password_hash="x")


def read_csv(body: bytes) -> list[list[str]]:
    assert body.startswith(b"\xef\xbb\xbf")  # the BOM: Excel reads the file as UTF-8
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


# --- the figures as tables, charts and CSV (no database) -----------------------------------


def test_tables_hold_the_figures_numbers() -> None:
    found = stats.tables(FIGURES)
    assert set(found) == set(stats.TABLES)
    backlog = found["backlog"]
    assert backlog.rows[0][:8] == ["05", "", 120, 80, 60, 3, 1, "2026-12-24"]
    assert backlog.rows[1][1] == "1"
    throughput = {(r[0], r[1], r[2]): r for r in found["throughput"].rows}
    assert throughput[("operator", "op1", "")][3:7] == [8, 2, 0, 96.5]
    assert throughput[("operator", "op1", "2026-12-01")][3] == 5
    assert throughput[("reviewer", "rev2", "")][5] == 6
    assert throughput[("operator", "Nguyễn Thị Hồng", "")][6] == ""
    quality = {(r[0], r[1]): r[2] for r in found["quality"].rows}
    assert (
        quality[("rejects", "-1 trang rách")] == 2
        and quality[("rejects", "Blurred (Mờ)")] == 1
        and quality[("rescans", "")] == 3
    )
    assert quality[("failed_files", "unreadable_image")] == 1
    assert found["processing"].rows == [["deskew", 120, 300], ["ocr", 900, 2100]]


def test_pages_per_week_add_up_the_days_by_iso_week() -> None:
    figures = {**FIGURES}
    figures["throughput"] = {
        "operator": [
            {"operator": "op1", "pages": 12, "batches": 3,
             "days": [{"day": "2026-11-29", "pages": 4, "batches": 1},  # Sunday, week 48
                      {"day": "2026-11-30", "pages": 3, "batches": 1},  # Monday, week 49
                      {"day": "2026-12-01", "pages": 5, "batches": 1}]},
            {"operator": "Nguyễn Thị Hồng", "pages": 3, "batches": 1,
             "days": [{"day": "2026-12-01", "pages": 3, "batches": 1}]},
        ],
    }  # fmt: skip
    section = next(s for s in stats.sections(figures) if s.key == "throughput")
    weekly = next(p for p in section.panels if p.title == "Pages scanned per week")
    assert weekly.table.headers == ["Week", "All", "Nguyễn Thị Hồng", "op1"]
    assert weekly.table.rows == [["2026-W48", 4, 0, 4], ["2026-W49", 11, 3, 8]]
    assert "2026-W49" in str(weekly.svg)


def test_csv_guards_formulas_and_parses_back() -> None:
    rows = read_csv(stats.to_csv(stats.tables(FIGURES)["backlog"]).encode("utf-8-sig"))
    assert rows[0][0] == "Phông (fonds)"
    assert rows[1][:4] == ["05", "", "120", "80"]
    assert rows[3][0] == '\'=HYPERLINK("x")'  # a spreadsheet shows it, never runs it
    quality = read_csv(stats.to_csv(stats.tables(FIGURES)["quality"]).encode("utf-8-sig"))
    assert ["rejects", "'-1 trang rách", "2"] in quality


def test_every_chart_parses_and_has_its_table() -> None:
    found = stats.sections(FIGURES)
    assert [s.key for s in found] == ["backlog", "throughput", "quality", "processing"]
    for section in found:
        for panel in section.panels:
            root = ET.fromstring(str(panel.svg))
            assert root.get("role") == "img" and panel.title in (root.get("aria-label") or "")
            assert panel.table.headers and len(panel.table.rows) >= 1, panel.title
    backlog = found[0].panels[0]
    bars = [
        b for b in ET.fromstring(str(backlog.svg)).iter(f"{SVG}rect") if b.get("class") == "bar"
    ]
    assert [float(b.get("data-value", "")) for b in bars[:3]] == [120, 80, 60]
    assert backlog.table.rows[0] == ["05", 120.0, 80.0, 60.0, 3, 1]
    burn = found[0].panels[1]  # fonds 05: 40 sheets left after 1 Dec, 90 after 30 Nov
    assert burn.table.rows == [
        ["2026-11-30", 30.0, 10.0, 0.0, 0.0, 90.0],
        ["2026-12-01", 80.0, 60.0, 3.0, 1.0, 40.0],
    ]
    assert burn.note.endswith("24/12/2026")
    (projection,) = [
        e for e in ET.fromstring(str(burn.svg)).iter() if e.get("class") == "projection"
    ]  # dashed, from the last day's 80 sheets scanned up to the manifest's 120
    assert projection.get("stroke-dasharray") and float(projection.get("y2", "")) < float(
        projection.get("y1", "")
    )
    assert found[2].summary == "Pages sent back for rescan: 3"
    assert found[3].summary == "Pages per minute: 14.5"


def test_one_fonds_shows_the_burn_down_of_its_boxes_too() -> None:
    fonds, box = FIGURES["backlog"][0], FIGURES["backlog"][1]
    one = {"backlog": [fonds, {**box, "manifest_sheets": 100, "days": fonds["days"]}]}
    panels = stats.sections(one)[0].panels
    assert [p.title.split(":")[0] for p in panels[1:]] == [
        "Burn-down of phông 05",
        "Burn-down of phông 05, hộp 1",
    ]
    assert panels[2].table.rows[-1][-1] == 20.0  # 100 sheets in the box, 80 scanned


def test_an_operator_or_reviewer_keeps_only_their_own_throughput() -> None:
    for name, role in (("op1", "operator"), ("rev2", "reviewer")):
        own = stats.own_figures(FIGURES, user(name, role))
        assert set(own) == {"throughput_rows"}
        assert {r["who"] for r in own["throughput_rows"]} == {name}
        assert set(stats.tables(own)) == {"throughput"}
        assert [s.key for s in stats.sections(own)] == ["throughput"]
    for role in ("archivist", "admin"):
        assert stats.own_figures(FIGURES, user("arch", role)) == FIGURES


@pytest.mark.parametrize(
    "figures",
    [{"backlog": [], "throughput": {}, "quality": {}, "processing": {}}, {}],
)
def test_no_figures_draw_no_data_charts(figures: dict[str, Any]) -> None:
    for section in stats.sections(figures):
        for panel in section.panels:
            assert "No data" in str(panel.svg)


# --- the page on a real station ---------------------------------------------------------------


def reviewed(room: ReviewRoom) -> ReviewRoom:
    """The review room after a morning's review: rev2 decides HS-001 (page 3 rejected as
    blurred) and HS-002, and the archivist approves HS-002."""
    store = room.store
    assert isinstance(store, Store)
    rev2, arch = store.get_user("rev2"), store.get_user("arch")
    assert rev2 is not None and arch is not None
    for n, page_id in enumerate(room.pages[HS1], start=1):
        rules.decide(
            store, rev2, page_id, "reject" if n == 3 else "approve", "blurred" if n == 3 else None
        )
    for page_id in room.pages[HS2]:
        rules.decide(store, rev2, page_id, "approve")
    rules.approve_folder(store, arch, room.folders[HS2])
    return room


def cells(html: str, caption: str) -> list[list[str]]:
    """The rows of the table with this caption, as the text of their cells."""
    table = html.split(f"<caption>{caption}</caption>", 1)[1].split("</table>", 1)[0]
    rows = re.findall(r"<tr>(.*?)</tr>", table.split("<tbody>", 1)[1], flags=re.S)
    return [
        [
            re.sub(r"<[^>]+>", "", c).strip()
            for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", r, flags=re.S)
        ]
        for r in rows
    ]


def test_the_archivist_sees_every_figure_with_its_table(review_room: ReviewRoom) -> None:
    from station.stats.figures import StatsFilter, compute

    room = reviewed(review_room)
    assert isinstance(room.store, Store)
    figures = compute(room.store, StatsFilter(None, None, None, None))
    response = logged_in(room, "arch").get("/stats")
    assert response.status_code == 200, response.text[:500]
    html = response.text
    for key in stats.TABLES:
        assert f'id="{key}"' in html and f"/stats.csv?table={key}" in html
    assert html.count("<svg") == html.count("<table")  # every chart has its table
    backlog = cells(html, "Backlog per fonds (phông)")
    fonds = next(r for r in figures["backlog"] if r["fonds_code"] == "05" and not r["box_no"])
    assert backlog[0][:4] == ["05", str(fonds["manifest_sheets"]), str(fonds["scanned_sheets"]),
                              str(fonds["reviewed_pages"])]  # fmt: skip
    assert backlog[0][1] == "12"  # Số tờ of HS-001..004: 6 + 3 + 2 + 1
    pages = {r[0]: r[1] for r in cells(html, "Pages scanned per operator")}
    assert pages == {"op1": "8", "rev1": "3"}  # HS-001 and HS-003 by op1, HS-002 by rev1
    assert {r[0]: r[1] for r in cells(html, "Review decisions per reviewer")} == {"rev2": "9"}
    rejects = {r[0]: r[1] for r in cells(html, "Rejected pages by reason")}
    assert rejects == {"Blurred (Mờ)": "1"}
    flags = {r[0]: r[1] for r in cells(html, "Machine flags by kind")}
    assert flags["blurred"] == "1" and flags["possible blank"] == "1"
    assert "Phông" in html and "phông" in html  # Vietnamese labels, NFC, as written


def test_csv_and_xlsx_downloads_parse_back_with_the_page_numbers(review_room: ReviewRoom) -> None:
    from openpyxl import load_workbook

    room = reviewed(review_room)
    client = logged_in(room, "arch")
    response = client.get("/stats.csv", params={"table": "throughput"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    rows = read_csv(response.content)
    assert rows[0] == [h for _, h in stats.THROUGHPUT_COLUMNS]
    totals = {(r[0], r[1]): r for r in rows[1:] if not r[2]}
    assert totals[("operator", "op1")][3] == "8" and totals[("reviewer", "rev2")][5] == "9"
    backlog = read_csv(client.get("/stats.csv", params={"table": "backlog"}).content)
    assert backlog[1][:3] == ["05", "", "12"]
    quality = read_csv(client.get("/stats.csv", params={"table": "quality"}).content)
    assert ["rejects", "Blurred (Mờ)", "1"] in quality
    assert client.get("/stats.csv", params={"table": "users"}).status_code == 422
    workbook = client.get("/stats.xlsx")
    assert workbook.status_code == 200
    book = load_workbook(io.BytesIO(workbook.content), read_only=True)
    assert book.sheetnames == list(stats.TABLES)
    sheet = [list(r) for r in book["throughput"].iter_rows(values_only=True)]
    assert sheet[0] == [h for _, h in stats.THROUGHPUT_COLUMNS]
    assert ["operator", "op1", None, 8] in [r[:4] for r in sheet]  # a number, not text
    assert "backlog" in book.sheetnames and book["backlog"]["C2"].value == 12


def test_filters_narrow_the_figures(review_room: ReviewRoom) -> None:
    room = reviewed(review_room)
    client = logged_in(room, "arch")
    html = client.get("/stats", params={"fonds": "99", "since": "2001-01-01"}).text
    assert 'value="2001-01-01"' in html and '<option value="99" selected>' in html
    assert "No data for these filters" in html
    bad = client.get("/stats", params={"since": "01/12/2026"})
    assert bad.status_code == 422 and "YYYY-MM-DD" in bad.text
    backwards = client.get("/stats", params={"since": "2026-12-02", "until": "2026-12-01"})
    assert backwards.status_code == 422


def test_an_operator_sees_only_their_own_rows(review_room: ReviewRoom) -> None:
    room = reviewed(review_room)
    client = logged_in(room, "op1")
    html = client.get("/stats").text
    assert "Your figures" in html
    assert {r[0] for r in cells(html, "Pages scanned per operator")} == {"op1"}
    assert "rev1" not in html.split("</header>", 1)[1] and "rev2" not in html
    assert 'id="backlog"' not in html and 'id="quality"' not in html
    rows = read_csv(client.get("/stats.csv", params={"table": "throughput"}).content)
    assert {r[1] for r in rows[1:]} == {"op1"}
    assert client.get("/stats.csv", params={"table": "backlog"}).status_code == 403


def test_a_reviewer_cannot_see_the_archivists_view(review_room: ReviewRoom) -> None:
    room = reviewed(review_room)
    client = logged_in(room, "rev2")
    html = client.get("/stats").text
    assert {r[0]: r[1] for r in cells(html, "Review decisions per reviewer")} == {"rev2": "9"}
    assert 'id="backlog"' not in html and "op1" not in html
    for table in ("backlog", "quality", "processing"):
        response = client.get("/stats.csv", params={"table": table})
        assert response.status_code == 403 and "archivist" in response.text
    book = client.get("/stats.xlsx")
    assert book.status_code == 200
    logged_out = TestClient(create_app(room.settings)).get("/stats", follow_redirects=False)
    assert logged_out.status_code == 303


# --- in Chromium ------------------------------------------------------------------------------


@pytest.fixture
def server(review_room: ReviewRoom) -> Iterator[str]:
    """The real app under uvicorn on a free port, in a thread."""
    reviewed(review_room)
    with serving(review_room.settings) as url:
        yield url


def test_stats_in_the_browser_at_1280_and_390_px(server: str) -> None:
    from playwright.sync_api import expect, sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=str(CHROMIUM),
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        try:
            errors: list[str] = []
            for width, name in ((1280, "30-stats-1280"), (390, "31-stats-390")):
                context = browser.new_context(viewport={"width": width, "height": 900})
                tab = context.new_page()
                tab.on("pageerror", lambda exc: errors.append(str(exc)))
                tab.goto(f"{server}/login?next=/stats")
                tab.get_by_label("Username").fill("arch")
                tab.get_by_label("Password").fill(PASSWORD)
                tab.get_by_role("button", name="Log in").click()
                expect(tab.locator("h1")).to_contain_text("Statistics")
                charts_shown = tab.locator("figure.stats-chart svg")
                assert charts_shown.count() >= 6
                for i in range(charts_shown.count()):  # every chart fits the screen's width
                    box = charts_shown.nth(i).bounding_box()
                    assert box is not None and box["width"] <= width and box["height"] > 40
                page_width = tab.evaluate("() => document.documentElement.scrollWidth")
                assert page_width <= width, (width, page_width)  # wide tables scroll inside
                tab.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
                assert not errors
                context.close()
        finally:
            browser.close()
