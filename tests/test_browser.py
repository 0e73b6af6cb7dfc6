"""The review pages: in-process (roles, secrecy, a 1,000-page folder, a 10,000-folder queue)
and in a real Chromium driven by Playwright against the real server, keyboard and all.

Screenshots of every browser step go to tests/artifacts/ for people to look at.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import PASSWORD, ReviewRoom, logged_in, serving
from fastapi.testclient import TestClient

from qa.app import create_app
from station.manifest import ManifestFolder
from station.store import Folder, Page, Store

ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
CHROMIUM = Path("/usr/bin/chromium")
HS1, HS2, HS3, HS4 = (f"05/01/HS-00{n}" for n in range(1, 5))


# --- helpers ----------------------------------------------------------------------------------


def manifest_folder(folder_id: str, box: str, number: int, **values: Any) -> ManifestFolder:
    fields: dict[str, Any] = {
        "folder_id": folder_id,
        "fonds_code": "05",
        "catalogue_no": "01",
        "box_no": box,
        "folder_no": str(number),
        "title": f"Hồ sơ số {number}",
        "start_date": datetime.date(2019, 1, 1),
        "end_date": datetime.date(2019, 12, 31),
        "retention_years": None,
        "access": "",
        "sheet_count": 1,
        "language": "vi",
        "notes": "",
        "physical_condition": "",
        "secrecy": "",
        "source_row": number + 1,
    }
    return ManifestFolder(**(fields | values))


def add_big_folder(room: ReviewRoom, pages: int) -> int:
    """A folder of `pages` pages fed by op1, the first its separator sheet, written in one
    session (adding them one by one through the store would take longer than the test); the
    thumbnail is shared."""
    store: Store = room.store  # type: ignore[assignment]
    folder_id = "05/01/HS-999"
    store.import_folders([manifest_folder(folder_id, "3", 999, sheet_count=pages)], Path("big.csv"))
    thumbnail = str(next(room.settings.data_dir.glob("derivatives/*/thumbnail.jpg")))
    batch_id = room.batches["op1"]
    with store.session() as s:
        rows = [
            Page(
                batch_id=batch_id,
                seq=1000 + n,
                source_file=f"big_{n:04d}.tif",
                sha256=f"{n:064x}",
                master_path="/nonexistent",
                state="ok",
                flags=["blurred"] if n % 50 == 10 else [],
                separator=folder_id if n == 0 else None,
                derivatives={"thumbnail": thumbnail, "preview": thumbnail},
            )
            for n in range(pages)
        ]
        s.add_all(rows)
        s.flush()
        ids = [p.id for p in rows if p.id is not None]
    store.place_pages(folder_id, ids, "text-gray-300")
    found = store.get_folder(folder_id)
    assert found is not None and found.id is not None
    return found.id


# --- in-process: who sees which page ----------------------------------------------------------


def test_pages_by_role(review_room: ReviewRoom) -> None:
    room = review_room
    hs1 = room.folders[HS1]
    page = room.pages[HS1][2]
    html = ("/", f"/folders/{hs1}", f"/folders/{hs1}/history", f"/pages/{page}")
    for username in ("rev2", "arch", "boss"):
        client = logged_in(room, username)
        for url in (*html, "/rescan", "/batches"):
            response = client.get(url)
            assert response.status_code == 200, (username, url, response.text[:300])
            assert 'name="csrf-token"' in response.text
            assert 'action="/logout"' in response.text

    operator = logged_in(room, "op1")
    response = operator.get("/", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/rescan"
    for url in ("/rescan", "/batches"):
        assert operator.get(url).status_code == 200
    for url in html[1:]:
        response = operator.get(url)
        assert response.status_code == 403, url
        assert "needs the reviewer role" in response.text


def test_logged_out_goes_to_login(review_room: ReviewRoom) -> None:
    client = TestClient(create_app(review_room.settings))
    hs1 = review_room.folders[HS1]
    for url in ("/", f"/folders/{hs1}", f"/pages/{review_room.pages[HS1][0]}", "/rescan",
                "/batches", "/rescan/slips.pdf", f"/folders/{hs1}/history"):  # fmt: skip
        response = client.get(url, follow_redirects=False)
        assert response.status_code == 303, url
        assert response.headers["location"].startswith("/login?next=")


def test_secret_folder_does_not_exist_below_clearance(review_room: ReviewRoom) -> None:
    room = review_room
    hs3 = room.folders[HS3]
    reviewer = logged_in(room, "rev2")
    for url in (f"/folders/{hs3}", f"/folders/{hs3}/history", f"/pages/{room.pages[HS3][0]}"):
        response = reviewer.get(url)
        assert response.status_code == 404, url
        assert "Kế hoạch bảo vệ" not in response.text
    assert HS3 not in reviewer.get("/").text
    cleared = logged_in(room, "secret")
    assert cleared.get(f"/folders/{hs3}").status_code == 200
    assert HS3 in cleared.get("/").text


def test_a_page_marked_above_clearance_is_left_out(review_room: ReviewRoom) -> None:
    room = review_room
    marked = room.pages[HS1][5]
    cleared = logged_in(room, "secret")
    response = cleared.post(
        f"/api/pages/{marked}/secrecy",
        json={"secrecy": "Mật"},
        headers={"X-CSRF-Token": cleared.cookies["csrftoken"]},
    )
    assert response.status_code == 200, response.text
    assert cleared.get(f"/folders/{room.folders[HS1]}").text.count('class="tile ') == 6
    reviewer = logged_in(room, "rev2")
    html = reviewer.get(f"/folders/{room.folders[HS1]}").text
    assert html.count('class="tile ') == 5 and f'id="p{marked}"' not in html
    assert "Secrecy marked" not in html
    assert "Secrecy marked" in cleared.get(f"/folders/{room.folders[HS1]}/history").text
    assert "Secrecy marked" not in reviewer.get(f"/folders/{room.folders[HS1]}/history").text
    assert reviewer.get(f"/pages/{marked}").status_code == 404
    previous = reviewer.get(f"/pages/{room.pages[HS1][4]}").text
    assert f"/pages/{marked}" not in previous  # no "next" link to it


def test_batches_by_whom(review_room: ReviewRoom) -> None:
    own = logged_in(review_room, "op1").get("/batches").text
    assert "Your batches" in own and "batch-op1" in own and "batch-rev1" not in own
    assert '<td class="num">8</td>' in own  # HS-001 and the Mật HS-003: 8 pages ok
    everyone = logged_in(review_room, "rev2").get("/batches").text
    assert "batch-op1" in everyone and "batch-rev1" in everyone


def test_queue_filters_and_counts(review_room: ReviewRoom) -> None:
    client = logged_in(review_room, "rev2")
    queue = client.get("/").text
    assert HS1 in queue and HS2 in queue
    assert HS4 not in queue.split('id="queue"')[1]  # nothing scanned: not waiting
    assert "6 undecided" in queue
    assert 'data-flag="blurred"' in queue
    blurred = client.get("/", params={"flag": "blurred"}).text.split('id="queue"')[1]
    assert HS1 in blurred and HS2 not in blurred
    box2 = client.get("/", params={"box": "2", "state": "empty"}).text.split('id="queue"')[1]
    assert HS4 in box2 and HS1 not in box2
    assert client.get("/", params={"page": 0}).status_code == 422


def test_folder_page_shows_tiles_metadata_and_history(review_room: ReviewRoom) -> None:
    room = review_room
    client = logged_in(room, "arch")
    html = client.get(f"/folders/{room.folders[HS1]}").text
    assert html.count('class="tile ') == 6
    for page_id in room.pages[HS1]:
        assert f'src="/images/pages/{page_id}/thumbnail?v=0" loading="lazy"' in html
    assert 'width="120" height="170"' in html
    assert "Hộp số" in html and "Độ mật" in html and 'id="meta-form"' in html
    assert 'id="approve-folder"' in html
    assert "Manifest: folder added" in html  # the history, newest first
    reviewer = logged_in(room, "rev2").get(f"/folders/{room.folders[HS1]}").text
    assert 'id="approve-folder"' not in reviewer and "<textarea" not in reviewer


def test_page_view_marks_unsure_words(review_room: ReviewRoom) -> None:
    client = logged_in(review_room, "rev2")
    pages = review_room.pages[HS1]
    html = client.get(f"/pages/{pages[2]}").text
    assert '<mark title="42%">sô</mark>' in html
    assert "150 dpi" in html and "_003.tif" in html and "batch-op1" in html
    assert f'href="/pages/{pages[1]}"' in html and f'href="/pages/{pages[3]}"' in html
    assert f"/images/pages/{pages[2]}/original" in html


def test_rescan_slips_pdf(review_room: ReviewRoom) -> None:
    room = review_room
    reviewer = logged_in(room, "rev2")
    page = room.pages[HS1][2]
    response = reviewer.post(
        f"/api/pages/{page}/decision",
        json={"decision": "reject", "reason": "cut_off"},
        headers={"X-CSRF-Token": reviewer.cookies["csrftoken"]},
    )
    assert response.status_code == 200, response.text
    operator = logged_in(room, "op1")
    rescan = operator.get("/rescan").text
    assert "Cut off (Mất góc, mất chữ)" in rescan and HS1 in rescan
    for query in ("", f"?folder={room.folders[HS1]}"):
        pdf = operator.get("/rescan/slips.pdf" + query)
        assert pdf.status_code == 200
        assert pdf.headers["content-type"] == "application/pdf"
        assert pdf.content.startswith(b"%PDF")
    assert operator.get(f"/rescan/slips.pdf?folder={room.folders[HS2]}").status_code == 400


def test_thousand_page_folder_renders_every_tile(review_room: ReviewRoom) -> None:
    number = add_big_folder(review_room, 1000)
    client = logged_in(review_room, "rev2")
    response = client.get(f"/folders/{number}")
    assert response.status_code == 200
    assert response.text.count('class="tile ') == 1000
    assert response.text.count('loading="lazy"') == 1000
    assert response.text.count('data-flag="blurred"') == 20
    assert response.text.count('class="tile d-none sep"') == 1
    assert "999</b> undecided" in response.text


def test_queue_of_ten_thousand_folders_pages_by_hundred(review_room: ReviewRoom) -> None:
    store: Store = review_room.store  # type: ignore[assignment]
    with store.session() as s:  # written at once: importing 10,000 rows one by one takes 20 s
        s.add_all(
            Folder(
                folder_id=f"09/{n:05d}",
                id=1000 + n,
                fonds_code="09",
                box_no=str(n // 40 + 10),
                folder_no=str(n),
                title=f"Hồ sơ số {n}",
                sheet_count=3,
                secrecy="Mật" if n % 100 == 0 else "",
                review_state="to_review",
                review_counts={"pages": 3, "undecided": 3, "separator": 0},
                page_flags={"blurred": 1} if n % 7 == 0 else {},
            )
            for n in range(10_000)
        )
    client = logged_in(review_room, "rev2")
    response = client.get("/", params={"page": 50})
    assert response.status_code == 200
    body = response.text.split('id="queue"')[1]
    assert body.count('class="folder-link"') == 100
    # 9,900 visible to rev2 (every hundredth is Mật) and HS-001, HS-002
    assert "of 9902" in response.text and "page 50 of 100" in response.text


# --- in a browser -----------------------------------------------------------------------------


@pytest.fixture
def server(review_room: ReviewRoom) -> Iterator[str]:
    """The real app under uvicorn on a free port, in a thread."""
    with serving(review_room.settings) as url:
        yield url


def test_review_in_the_browser(review_room: ReviewRoom, server: str) -> None:
    from playwright.sync_api import Page as Tab
    from playwright.sync_api import expect, sync_playwright

    room = review_room
    hs1 = room.folders[HS1]
    p1, p2, p3, p4, p5, p6 = (f"#p{i}" for i in room.pages[HS1])
    ARTIFACTS.mkdir(exist_ok=True)
    shots: list[str] = []

    def shot(tab: Tab, name: str) -> None:
        tab.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
        shots.append(name)

    def log_in(tab: Tab, username: str) -> None:
        tab.goto(f"{server}/login")
        tab.get_by_label("Username").fill(username)
        tab.get_by_label("Password").fill(PASSWORD)
        tab.get_by_role("button", name="Log in").click()
        tab.wait_for_load_state()

    def message() -> Any:
        return tab.locator("#message")

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=str(CHROMIUM),
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        try:
            context = browser.new_context(viewport={"width": 1400, "height": 900})
            tab = context.new_page()
            errors: list[str] = []
            tab.on("pageerror", lambda exc: errors.append(str(exc)))

            # The queue: two folders waiting, the Mật one is not there.
            log_in(tab, "rev2")
            expect(tab).to_have_url(f"{server}/")
            queue = tab.locator("#queue")
            expect(queue).to_contain_text(HS1)
            expect(queue).to_contain_text(HS2)
            expect(queue).not_to_contain_text(HS3)
            shot(tab, "01-queue")
            answer = tab.goto(f"{server}/folders/{room.folders[HS3]}")
            assert answer is not None and answer.status == 404
            expect(tab.locator("h1")).to_have_text("404 · Not found")
            shot(tab, "01b-secret-folder-404")
            tab.go_back()

            # The folder, reviewed with the keyboard.
            tab.keyboard.press("j")  # the queue's keys: j (or ↓) chooses, Enter opens
            expect(queue.locator("tbody tr").first).to_have_class("selected")
            tab.keyboard.press("Enter")
            expect(tab).to_have_url(re.compile(rf"/folders/{hs1}"))
            tiles = tab.locator("#grid .tile")
            expect(tiles).to_have_count(6)
            expect(tab.locator(p1)).to_have_attribute("aria-selected", "true")
            expect(tab.locator(p3)).to_contain_text("blurred")
            shot(tab, "02-folder")

            tab.keyboard.press("a")
            expect(tab.locator(p1)).to_have_class(re.compile(r"\bd-approve\b"))
            expect(tab.locator(p1)).to_contain_text("Approved")
            expect(tab.locator(p2)).to_have_attribute("aria-selected", "true")
            expect(tab.locator("#counts")).to_have_text(
                re.compile(r"5\s+undecided · 1\s+approved · 0\s+rejected · 0\s+blank")
            )
            tab.keyboard.press("ArrowRight")
            expect(tab.locator(p3)).to_have_attribute("aria-selected", "true")
            tab.keyboard.press("r")
            dialog = tab.locator("#reject-dialog")
            expect(dialog).to_be_visible()
            expect(dialog).to_contain_text("Blurred (Mờ)")
            shot(tab, "03-reject-dialog")
            tab.keyboard.press("1")
            expect(dialog).to_be_hidden()
            expect(tab.locator(p3)).to_have_class(re.compile(r"\bd-reject\b"))
            expect(tab.locator(p3)).to_contain_text("blurred")
            expect(tab.locator(p4)).to_have_attribute("aria-selected", "true")
            tab.keyboard.press("ArrowRight")
            tab.keyboard.press("b")
            expect(tab.locator(p5)).to_have_class(re.compile(r"\bd-blank\b"))
            expect(tab.locator(p6)).to_have_attribute("aria-selected", "true")
            # undo and redo on page 5
            tab.keyboard.press("ArrowLeft")
            tab.keyboard.press("u")
            expect(tab.locator(p5)).to_have_class(re.compile(r"\bd-none\b"))
            tab.keyboard.press("ArrowLeft")
            expect(tab.locator(p4)).to_have_attribute("aria-selected", "true")
            tab.keyboard.press("ArrowRight")
            tab.keyboard.press("b")
            expect(tab.locator(p5)).to_have_class(re.compile(r"\bd-blank\b"))
            expect(tab.locator("#counts")).to_have_text(
                re.compile(r"3\s+undecided · 1\s+approved · 1\s+rejected · 1\s+blank")
            )
            # turn page 6, then move it one place left and back
            expect(tab.locator(p6)).to_have_attribute("aria-selected", "true")
            tab.keyboard.press("o")
            expect(tab.locator(f"{p6} img")).to_have_attribute("src", re.compile(r"v=90$"))
            tab.keyboard.press("Shift+ArrowLeft")
            expect(tiles.nth(4)).to_have_id(p6[1:])
            expect(tab.locator(f"{p6} .pos")).to_have_text("5")
            order = context.request.get(f"{server}/api/folders/{hs1}/pages").json()
            assert [page["id"] for page in order][4:] == [room.pages[HS1][5], room.pages[HS1][4]]
            tab.keyboard.press("Shift+ArrowRight")
            expect(tiles.nth(5)).to_have_id(p6[1:])
            expect(tab.locator(f"{p6} .pos")).to_have_text("6")
            tab.keyboard.press("?")
            expect(tab.locator("#help-dialog")).to_be_visible()
            shot(tab, "04-help")
            tab.keyboard.press("Escape")
            expect(tab.locator("#help-dialog")).to_be_hidden()
            shot(tab, "05-folder-decided")

            # The page view: Enter opens it, O shows the original, Esc goes back.
            tab.keyboard.press("Home")
            tab.keyboard.press("ArrowRight")
            tab.keyboard.press("ArrowRight")
            tab.keyboard.press("Enter")
            expect(tab).to_have_url(f"{server}/pages/{room.pages[HS1][2]}")
            expect(tab.locator("#page-decision")).to_contain_text("Rejected")
            expect(tab.locator(".ocr-text mark")).to_have_text("sô")
            expect(tab.locator("#showing")).to_have_text("Processed page")
            shot(tab, "06-page")
            tab.keyboard.press("O")
            expect(tab.locator("#page-image")).to_have_attribute("src", re.compile("/original$"))
            expect(tab.locator("#showing")).to_have_text("Original scan")
            image = tab.locator("#page-image")
            fitted = image.evaluate("i => i.style.transform")
            tab.keyboard.press("+")
            zoomed = image.evaluate("i => i.style.transform")
            assert zoomed != fitted
            box = tab.locator("#viewer").bounding_box()
            assert box is not None
            tab.mouse.move(box["x"] + 300, box["y"] + 300)
            tab.mouse.wheel(0, -300)
            expect(image).not_to_have_attribute("style", f"transform: {zoomed};")
            tab.mouse.down()
            tab.mouse.move(box["x"] + 200, box["y"] + 250, steps=4)
            tab.mouse.up()
            shot(tab, "07-page-original")
            tab.keyboard.press("ArrowRight")
            expect(tab).to_have_url(f"{server}/pages/{room.pages[HS1][3]}")
            tab.keyboard.press("Escape")
            expect(tab).to_have_url(re.compile(rf"/folders/{hs1}#p{room.pages[HS1][3]}$"))
            expect(tab.locator(p4)).to_have_attribute("aria-selected", "true")

            # Four eyes: rev1 fed HS-002 and may not decide its pages.
            tab.goto(f"{server}/folders/{room.folders[HS2]}")
            expect(tab.locator("#grid .tile")).to_have_count(3)
            context.clear_cookies()
            log_in(tab, "rev1")
            tab.goto(f"{server}/folders/{room.folders[HS2]}")
            expect(tab.locator(".notice.warn")).to_contain_text("four eyes")
            tab.keyboard.press("a")
            expect(message()).to_be_visible()
            expect(message()).to_contain_text("Not allowed (403)")
            expect(message()).to_contain_text("four eyes")
            shot(tab, "08-four-eyes")

            # The operator: the rejected page on the rescan list, the slips print.
            operator = browser.new_context(viewport={"width": 1400, "height": 900})
            otab = operator.new_page()
            log_in(otab, "op1")
            expect(otab).to_have_url(f"{server}/rescan")
            expect(otab.locator(".rescan-folder")).to_contain_text(HS1)
            expect(otab.locator("table.rescan")).to_contain_text("Blurred (Mờ)")
            shot(otab, "09-rescan")
            slips = operator.request.get(f"{server}/rescan/slips.pdf?folder={hs1}")
            assert slips.status == 200 and slips.body().startswith(b"%PDF")
            assert operator.request.get(f"{server}/rescan/slips.pdf").body().startswith(b"%PDF")
            otab.goto(f"{server}/batches")
            expect(otab.locator("table.batches")).to_contain_text("batch-op1")
            expect(otab.locator("table.batches")).not_to_contain_text("batch-rev1")
            shot(otab, "10-batches")
            operator.close()

            # The archivist: metadata, Shift+A, a refused approval, then the folder approved.
            context.clear_cookies()
            log_in(tab, "arch")
            tab.goto(f"{server}/folders/{hs1}")
            tab.locator("#f-start_date").fill("31/02/2019")
            tab.get_by_role("button", name="Save metadata").click()
            expect(tab.locator(".form-message")).to_be_visible()
            expect(tab.locator(".form-message")).to_contain_text("start_date")
            shot(tab, "11-metadata-refused")
            tab.locator("#f-start_date").fill("01/01/2019")
            tab.locator("#f-notes").fill("Đã kiểm tra / checked")
            tab.locator("#f-sheet_count").fill("7")
            tab.get_by_role("button", name="Save metadata").click()
            expect(tab.locator(".form-message")).to_have_text("Saved.")
            tab.keyboard.press("Shift+A")
            expect(tab.locator("#counts")).to_have_text(
                re.compile(r"0\s+undecided · 4\s+approved · 1\s+rejected · 1\s+blank")
            )
            for tile in (p2, p4, p6):
                expect(tab.locator(tile)).to_have_class(re.compile(r"\bd-approve\b"))
            tab.get_by_role("button", name="Approve folder").click()
            expect(message()).to_contain_text("Not possible now (409)")
            expect(message()).to_contain_text("rejected page(s) waiting for a rescan")
            shot(tab, "12-approve-refused")
            tab.locator(p3).click()
            tab.keyboard.press("u")
            expect(tab.locator(p3)).to_have_class(re.compile(r"\bd-none\b"))
            tab.keyboard.press("a")
            expect(tab.locator(p3)).to_have_class(re.compile(r"\bd-approve\b"))
            tab.get_by_role("button", name="Approve folder").click()
            expect(tab.locator("#folder-state")).to_have_text("Approved")
            shot(tab, "13-folder-approved")
            tab.reload()
            expect(tab.locator("#folder-state")).to_have_text("Approved")
            tab.locator(".history-box summary").click()
            expect(tab.locator("table.history")).to_contain_text("Folder approved")
            shot(tab, "14-history")
            expect(tab.locator("table.history")).to_contain_text("Metadata edited")
            expect(tab.locator("table.history")).to_contain_text("sheet_count: 6")
            expect(tab.locator("#f-notes")).to_have_value("Đã kiểm tra / checked")
            tab.goto(f"{server}/?state=approved")
            expect(tab.locator("#queue")).to_contain_text(HS1)
            shot(tab, "15-queue-approved")
            assert not errors, errors
        finally:
            browser.close()
    assert len(shots) == 16


def test_thousand_pages_in_the_browser(review_room: ReviewRoom, server: str) -> None:
    from playwright.sync_api import expect, sync_playwright

    number = add_big_folder(review_room, 1000)
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=str(CHROMIUM),
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        try:
            tab = browser.new_page(viewport={"width": 1400, "height": 900})
            tab.goto(f"{server}/login")
            tab.get_by_label("Username").fill("rev2")
            tab.get_by_label("Password").fill(PASSWORD)
            tab.get_by_role("button", name="Log in").click()
            tab.goto(f"{server}/folders/{number}")  # the first compiles the templates
            tab.goto(f"{server}/folders/{number}")
            tiles = tab.locator("#grid .tile")
            expect(tiles).to_have_count(1000)
            timing = tab.evaluate(
                "() => { const t = performance.getEntriesByType('navigation')[0];"
                " return {ready: t.domContentLoadedEventEnd, first: t.responseStart, images:"
                " [...document.images].filter(i => i.complete && i.naturalWidth).length}; }"
            )
            print(
                f"1,000 tiles: first byte after {timing['first']:.0f} ms, "
                f"DOM ready after {timing['ready']:.0f} ms"
            )
            assert timing["images"] < 300  # lazy: only what is on screen (and near it)
            expect(tiles.nth(0)).to_contain_text("Separator")
            first = tiles.nth(1)  # the first page to decide: the separator needs no decision
            expect(first).to_have_attribute("aria-selected", "true")
            columns = tab.evaluate(
                "() => { const t = [...document.querySelectorAll('#grid .tile')];"
                " return t.filter(x => x.offsetTop === t[0].offsetTop).length; }"
            )
            tab.keyboard.press("ArrowDown")
            expect(tiles.nth(1 + columns)).to_have_attribute("aria-selected", "true")
            tab.keyboard.press("End")
            expect(tiles.nth(999)).to_have_attribute("aria-selected", "true")
            expect(tiles.nth(999)).to_be_in_viewport()
            tab.keyboard.press("ArrowRight")  # stays on the last page
            expect(tiles.nth(999)).to_have_attribute("aria-selected", "true")
            tab.keyboard.press("a")
            expect(tiles.nth(999)).to_have_class(re.compile(r"\bd-approve\b"))
            expect(tab.locator("[data-count=approve]")).to_have_text("1")
            # the next undecided page after the last is the first
            expect(first).to_have_attribute("aria-selected", "true")
            tab.screenshot(path=str(ARTIFACTS / "16-thousand-pages.png"))
        finally:
            browser.close()


def test_documents_in_the_browser(review_room: ReviewRoom, server: str) -> None:
    """A folder of three documents (văn bản), one stamped Mật: where each begins, the fields
    of the selected page's document, corrected and confirmed with the keyboard, split and
    merged with keys; on a desktop and on a 390 px phone."""
    from playwright.sync_api import Page as Tab
    from playwright.sync_api import expect, sync_playwright
    from test_document_review import add_documents

    docs = add_documents(review_room)
    hs1 = review_room.folders[HS1]
    p1, p2, p3, p4 = (f"#p{docs.pages[n]}" for n in (1, 2, 3, 4))
    ARTIFACTS.mkdir(exist_ok=True)

    def shot(tab: Tab, name: str) -> None:
        tab.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)

    def log_in(tab: Tab, username: str) -> None:
        tab.goto(f"{server}/login")
        tab.get_by_label("Username").fill(username)
        tab.get_by_label("Password").fill(PASSWORD)
        tab.get_by_role("button", name="Log in").click()
        tab.wait_for_load_state()

    def focused() -> str:
        return str(tab.evaluate("() => document.activeElement.id"))

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=str(CHROMIUM),
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        try:
            context = browser.new_context(viewport={"width": 1400, "height": 900})
            tab = context.new_page()
            errors: list[str] = []
            tab.on("pageerror", lambda exc: errors.append(str(exc)))
            log_in(tab, "rev2")
            tab.goto(f"{server}/folders/{hs1}")
            starts = tab.locator("#grid .doc-start")
            expect(starts).to_have_count(2)  # the Mật one is not there for rev2
            expect(tab.locator(f"{p1} .doc-start")).to_have_text("VB 1 · QUYẾT ĐỊNH 707/QĐ-TTg")
            expect(tab.locator(f"{p3} .doc-start")).to_have_text("VB 2 · CÔNG VĂN 3722/VPCP-CN")
            expect(tab.locator("#grid .tile")).to_have_count(4)
            expect(tab.locator(p1)).to_have_attribute("aria-selected", "true")
            panel = tab.locator("#doc-panel")
            expect(panel.locator(".doc-head")).to_contain_text("Văn bản 1 of 2 · pages 1–2")
            expect(panel.locator(".dfield.low")).to_have_count(3)  # number, số/ký hiệu, date
            expect(panel.locator('.dfield[data-name="issued_date"] .conf')).to_have_text("⚠ 52%")
            expect(panel.locator('.dfield[data-name="summary"] img.crop')).to_be_visible()
            shot(tab, "20-documents")

            # Tab into the fields and through them; a bad date is refused, naming the field.
            tab.keyboard.press("Tab")
            assert focused() == "d-document_type"
            tab.keyboard.press("Tab")
            assert focused() == "d-number"
            tab.keyboard.press("Tab")
            tab.keyboard.press("Tab")
            assert focused() == "d-number_symbol"
            tab.keyboard.press("Control+a")
            tab.keyboard.type("707/QĐ-TTg")
            tab.keyboard.press("Tab")
            assert focused() == "d-issued_date"
            tab.keyboard.press("Control+a")
            tab.keyboard.type("31/04/2026")
            tab.keyboard.press("Enter")
            message = tab.locator("#message")
            expect(message).to_contain_text("Invalid (422)")
            expect(message).to_contain_text("issued_date: not a real date")
            expect(tab.locator("#d-issued_date")).to_have_class(re.compile(r"\binvalid\b"))
            assert focused() == "d-issued_date"
            shot(tab, "21-document-refused")
            tab.keyboard.press("Control+a")
            tab.keyboard.type("22/04/2026")
            tab.keyboard.press("Enter")
            expect(tab.locator("#doc-state")).to_have_text("Confirmed by rev2")
            expect(message).to_contain_text("Văn bản 1 confirmed · 1 field corrected")
            expect(tab.locator("#d-issued_date")).to_have_value("2026-04-22")
            expect(tab.locator(p1)).to_be_focused()
            shot(tab, "22-document-confirmed")
            stored = docs.document(1)
            assert stored.state == "confirmed" and stored.confirmed_by == "rev2"
            assert stored.fields["issued_date"]["value"] == "2026-04-22"
            assert stored.fields["issued_date"]["source"] == "reviewer"
            assert stored.fields["number_symbol"]["source"] == "ocr"  # typed as it was: checked

            # Split at page 4 with s, merge it back with m.
            for _ in range(3):
                tab.keyboard.press("ArrowRight")
            expect(tab.locator(p4)).to_have_attribute("aria-selected", "true")
            tab.keyboard.press("s")
            expect(starts).to_have_count(3)
            expect(tab.locator(f"{p4} .doc-start")).to_have_text("VB 3")
            expect(panel.locator(".doc-head")).to_contain_text("Văn bản 3 of 3 · page 4")
            expect(message).to_contain_text("Văn bản 3 now begins at page 4")
            shot(tab, "23-document-split")
            assert [d.sequence for d in docs.store.documents_of_folder(HS1)] == [1, 2, 3, 4]
            tab.keyboard.press("m")
            expect(starts).to_have_count(2)
            expect(tab.locator(f"{p4} .doc-start")).to_have_count(0)
            expect(panel.locator(".doc-head")).to_contain_text("Văn bản 2 of 2 · pages 3–4")
            assert [d.sequence for d in docs.store.documents_of_folder(HS1)] == [1, 2, 3]
            # pages moved: the document begins where its first page now is
            tab.keyboard.press("Home")
            tab.keyboard.press("ArrowRight")
            tab.keyboard.press("Shift+ArrowLeft")
            expect(tab.locator(f"{p2} .doc-start")).to_have_text(re.compile(r"^VB 1 · "))
            expect(tab.locator(f"{p1} .doc-start")).to_have_count(0)
            tab.keyboard.press("Shift+ArrowRight")
            expect(tab.locator(f"{p1} .doc-start")).to_have_text(re.compile(r"^VB 1 · "))
            expect(tab.locator(f"{p2} .doc-start")).to_have_count(0)
            tab.keyboard.press("?")
            help_dialog = tab.locator("#help-dialog")
            expect(help_dialog).to_contain_text("split: a new document starts at this page")
            expect(help_dialog).to_contain_text("merge the page's document into the one before")
            shot(tab, "24-document-keys")
            tab.keyboard.press("Escape")

            # The page view marks the words that cannot be Vietnamese.
            tab.goto(f"{server}/pages/{docs.pages[1]}")
            expect(tab.locator(".ocr-text mark.suspect")).to_have_text("sô")
            expect(tab.locator("#marks .suspect-box")).to_be_visible()
            expect(tab.locator("#page-document")).to_contain_text("QUYẾT ĐỊNH 707/QĐ-TTg")
            shot(tab, "25-page-suspect-words")

            # The cleared reviewer sees the Mật document, and lowers a false alarm.
            context.clear_cookies()
            log_in(tab, "secret")
            tab.goto(f"{server}/folders/{hs1}#p{docs.pages[5]}")
            expect(starts).to_have_count(3)
            expect(panel.locator(".doc-head")).to_contain_text("Văn bản 3 of 3")
            expect(panel.locator(".doc-head .secrecy")).to_have_text("Mật")
            panel.get_by_role("button", name="Change…").click()
            dialog = tab.locator("#secrecy-dialog")
            expect(dialog).to_be_visible()
            dialog.locator("#secrecy-level").select_option("")
            dialog.locator("#secrecy-reason").fill("Dấu MẬT là dấu lưu trữ, không phải độ mật")
            shot(tab, "26-document-secrecy")
            dialog.get_by_role("button", name="Change the level").click()
            expect(dialog).to_be_hidden()
            expect(panel.locator(".doc-head .secrecy")).to_have_count(0)
            assert docs.document(3).secrecy == ""

            # A phone, 390 px wide: the grid, then the document, nothing wider than the screen.
            phone = browser.new_context(
                viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True,
                has_touch=True,
            )  # fmt: skip
            ptab = phone.new_page()
            ptab.on("pageerror", lambda exc: errors.append(str(exc)))
            log_in(ptab, "rev2")
            ptab.goto(f"{server}/folders/{hs1}")
            expect(ptab.locator("#grid .doc-start")).to_have_count(3)
            ptab.locator(p3).tap()
            expect(ptab.locator("#doc-panel .doc-head")).to_contain_text("Văn bản 2 of 3")
            width = ptab.evaluate("() => document.documentElement.scrollWidth")
            assert width <= 390, width
            box = ptab.locator("#d-summary").bounding_box()
            assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390
            shot(ptab, "27-documents-phone")
            ptab.goto(f"{server}/pages/{docs.pages[1]}")
            assert ptab.evaluate("() => document.documentElement.scrollWidth") <= 390
            shot(ptab, "28-page-phone")
            phone.close()
            assert not errors, errors
        finally:
            browser.close()
