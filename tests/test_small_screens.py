"""The queue, folder and page views on a 390 px phone in Chromium: nothing wider than the
screen, titles in lines of words, "Log out" in sight, the page image fitted. Screenshots go
to tests/artifacts/ (5x-small-*.png) for people to look at."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import PASSWORD, ReviewRoom, serving
from sqlmodel import select

from station.store import Folder, Store

ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
CHROMIUM = Path("/usr/bin/chromium")
WIDTH = 390
HS1 = "05/01/HS-001"
LONG_TITLE = (
    "Hồ sơ Hội nghị Ban Chấp hành Đảng bộ tỉnh lần thứ 5 về công tác chỉnh lý tài liệu "
    "lưu trữ và số hóa phông Ủy ban nhân dân tỉnh giai đoạn 2019-2020"
)


@pytest.fixture
def server(review_room: ReviewRoom) -> Iterator[str]:
    store: Store = review_room.store  # type: ignore[assignment]
    with store.session() as s:
        folder = s.exec(select(Folder).where(Folder.folder_id == HS1)).one()
        folder.title = LONG_TITLE  # a real folder title is long: it must wrap in lines
        s.add(folder)
    with serving(review_room.settings) as url:
        yield url


# What the test clicks and reads, in each language of the interface (station.i18n).
WORDS = {
    "en": {"user": "Username", "password": "Password", "log in": "Log in", "log out": "Log out"},
    "vi": {
        "user": "Tên đăng nhập", "password": "Mật khẩu", "log in": "Đăng nhập",
        "log out": "Đăng xuất",
    },
}  # fmt: skip


@pytest.mark.parametrize("language", ["en", "vi"])
def test_queue_folder_and_page_fit_a_390_px_phone(
    review_room: ReviewRoom, server: str, language: str
) -> None:
    """In English and in Vietnamese, whose words run longer: the browser asks for the
    language (Accept-Language), as a phone set to Vietnamese does."""
    from playwright.sync_api import Page as Tab
    from playwright.sync_api import expect, sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)

    words = WORDS[language]
    suffix = "" if language == "en" else f"-{language}"

    def fits(tab: Tab, name: str) -> None:
        tab.screenshot(path=str(ARTIFACTS / f"{name}{suffix}.png"), full_page=True)
        width = tab.evaluate("() => document.documentElement.scrollWidth")
        assert width <= WIDTH, f"{name}: the page is {width} px wide"
        log_out = tab.get_by_role("button", name=words["log out"])
        expect(log_out).to_be_visible()
        inside(log_out.bounding_box(), name)

    def inside(box: dict[str, Any] | None, name: str) -> None:
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= WIDTH, (name, box)

    def lines(tab: Tab, selector: str) -> float:
        """How many lines of text the element takes."""
        script = (
            "e => e.getBoundingClientRect().height / parseFloat(getComputedStyle(e).lineHeight)"
        )
        return float(tab.locator(selector).first.evaluate(script))

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=str(CHROMIUM),
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        try:
            context = browser.new_context(
                viewport={"width": WIDTH, "height": 844},
                device_scale_factor=1,
                is_mobile=True,
                locale="vi-VN" if language == "vi" else "en-GB",
            )
            tab = context.new_page()
            errors: list[str] = []
            tab.on("pageerror", lambda exc: errors.append(str(exc)))
            tab.goto(f"{server}/login")
            tab.get_by_label(words["user"]).fill("rev2")
            tab.get_by_label(words["password"]).fill(PASSWORD)
            tab.get_by_role("button", name=words["log in"]).click()

            # The queue: every folder, its title in a few lines, not a word a line.
            queue = tab.locator("#queue")
            expect(queue).to_contain_text(LONG_TITLE)
            fits(tab, "50-small-queue")
            row = queue.locator("tbody tr", has_text=LONG_TITLE)
            expect(row.locator(".folder-link")).to_be_visible()
            inside(row.locator(".folder-link").bounding_box(), "queue folder link")
            assert lines(tab, "#queue td.title") <= 5  # 26 words
            expect(tab.locator("h1")).to_be_visible()
            assert lines(tab, "h1") <= 2

            # The folder: its title, the tiles and the side panel one below the other.
            row.locator(".folder-link").click()
            expect(tab.locator("h1")).to_contain_text(LONG_TITLE)
            expect(tab.locator(".tile").first).to_be_visible()
            fits(tab, "51-small-folder")
            assert lines(tab, "h1") <= 7
            inside(tab.locator(".tile").first.bounding_box(), "first tile")
            for action in ("#show-help",):
                expect(tab.locator(action)).to_be_visible()
                inside(tab.locator(action).bounding_box(), action)

            # The page view: the image fitted inside the screen, the text below it.
            tab.goto(f"{server}/pages/{review_room.pages[HS1][1]}")
            image = tab.locator("#page-image")
            expect(image).to_be_visible()
            tab.wait_for_function("() => document.getElementById('page-image').complete")
            fits(tab, "52-small-page")
            viewer = tab.locator("#viewer").bounding_box()
            inside(viewer, "viewer")
            shown = image.bounding_box()
            assert shown is not None and viewer is not None
            assert shown["x"] >= viewer["x"] - 1 and shown["width"] <= viewer["width"] + 1
            assert shown["y"] >= viewer["y"] - 1 and shown["height"] <= viewer["height"] + 1
            expect(tab.locator(".ocr-text")).to_be_visible()
            inside(tab.locator(".ocr-text").bounding_box(), "OCR text")

            # The account page, where a reviewer chooses the interface's language.
            tab.goto(f"{server}/account")
            expect(tab.locator("#language")).to_be_visible()
            fits(tab, "54-small-account")
            inside(tab.locator("#language").bounding_box(), "language choice")

            # A longer header: a reviewer cleared for Tối mật logs out from it.
            tab.get_by_role("button", name=words["log out"]).click()
            tab.get_by_label(words["user"]).fill("secret")
            tab.get_by_label(words["password"]).fill(PASSWORD)
            tab.get_by_role("button", name=words["log in"]).click()
            expect(tab.locator("#queue")).to_be_visible()
            fits(tab, "53-small-queue-cleared")
            tab.get_by_role("button", name=words["log out"]).click()
            expect(tab.get_by_label(words["user"])).to_be_visible()
            assert not errors, errors
        finally:
            browser.close()
