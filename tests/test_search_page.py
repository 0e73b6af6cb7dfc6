"""The search in the review app (qa.search): the box on every page, the results page (kinds,
snippets, paging, filters, secrecy), the query's words boxed on a page read by Tesseract,
and both pages in Chromium at 1280 and 390 px (screenshots in tests/artifacts/)."""

from __future__ import annotations

import datetime
import io
import re
import unicodedata
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import numpy as np
import pytest
from conftest import PASSWORD, ReviewRoom, logged_in, serving
from PIL import Image, ImageDraw, ImageFont

from qa.search import Box, highlight_boxes, query_terms, safe_snippet
from station import tools
from station.manifest import ManifestFolder
from station.pipeline import imaging, ocr
from station.store import Store

ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
CHROMIUM = Path("/usr/bin/chromium")
FONT = Path("/usr/share/fonts/truetype/liberation2/LiberationSerif-Regular.ttf")
HS1, HS2, HS3 = "05/01/HS-001", "05/01/HS-002", "05/01/HS-003"
# A page of a report as a scanning room would meet it (NFC), read by Tesseract in the tests.
LINES = (
    "BÁO CÁO",
    "Công tác chỉnh lý tài liệu năm 2019",
    "Số 589-QĐ/VPTW ngày 12 tháng 3 năm 2019",
    "Kế hoạch chỉnh lý hồ sơ lưu trữ",
)


# --- a page read by Tesseract -----------------------------------------------------------------


@pytest.fixture(scope="module")
def read_page(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """A generated A4 page at 150 dpi (the cleaned page) and its hOCR from real Tesseract."""
    path = tmp_path_factory.mktemp("search-page") / "page.png"
    picture = Image.new("L", (1240, 1754), 255)
    draw = ImageDraw.Draw(picture)
    font = ImageFont.truetype(str(FONT), 40)
    for n, line in enumerate(LINES):
        draw.text((140, 180 + 95 * n), unicodedata.normalize("NFC", line), font=font, fill=0)
    picture.save(path, dpi=(150, 150))
    hocr = tools.ocr_page(path, languages=["vie"], psm=3, dpi=150, timeout_s=60).hocr
    assert "chỉnh" in ocr.hocr_text(hocr)  # Tesseract read the page
    return path, hocr


def ink_under(picture: Image.Image, box: Box) -> float:
    """The share of dark pixels under a box given in % of the picture."""
    width, height = picture.size
    area = picture.convert("L").crop(
        (
            round(box.left * width / 100),
            round(box.top * height / 100),
            round((box.left + box.width) * width / 100),
            round((box.top + box.height) * height / 100),
        )
    )
    pixels = np.asarray(area)
    return float((pixels < 128).mean()) if pixels.size else 0.0


def test_query_terms_fold_words_phrases_and_prefixes() -> None:
    assert query_terms('"Tài liệu" Số 05-01-* ĐẢNG') == [
        ["tai", "lieu"],
        ["so"],
        ["05-01*"],
        ["dang"],
    ]
    assert query_terms('"" * ,') == []
    assert query_terms('"chỉnh lý') == [["chinh", "ly"]]  # an unclosed quote is still a phrase


def test_highlight_boxes_on_a_page_read_by_tesseract(read_page: tuple[Path, str]) -> None:
    path, hocr = read_page
    words = highlight_boxes(hocr, "chinh ly")  # typed without diacritics
    assert [unicodedata.normalize("NFC", b.text) for b in words] == ["chỉnh", "lý"] * 2
    first, second = words[0], words[2]
    assert first.top < second.top  # line 2 above line 4, in reading order
    with Image.open(path) as picture:
        for box in words:
            assert 0 < box.left < 100 and 0 < box.top < 100
            assert 0.5 < box.width < 10 and 1 < box.height < 4  # a word, not a line
            assert ink_under(picture, box) > 0.08, box
    # the same words typed with diacritics and capitals, and as one quoted phrase
    assert highlight_boxes(hocr, "CHỈNH LÝ") == words
    assert highlight_boxes(hocr, '"chỉnh lý"') == words
    phrase = highlight_boxes(hocr, '"tai lieu nam"')
    assert [b.text for b in phrase] == ["tài", "liệu", "năm"]  # not the "năm" of line 3
    assert highlight_boxes(hocr, '"nam tai lieu"') == []  # a phrase keeps its order
    # a document number as OCR reads it (one word), typed either way; prefixes
    number = highlight_boxes(hocr, "589-QĐ/VPTW")
    assert [b.text for b in number] == ["589-QĐ/VPTW"]
    assert highlight_boxes(hocr, "589 QD VPTW") == number
    assert highlight_boxes(hocr, "VPT*") == number
    assert [b.text for b in highlight_boxes(hocr, "luu*")] == ["lưu"]
    assert highlight_boxes(hocr, "giám đốc") == []
    assert highlight_boxes("", "chinh") == [] and highlight_boxes(hocr, "  ") == []


@pytest.mark.parametrize("turn", [90, 180, 270])
def test_highlight_boxes_follow_a_turned_page(read_page: tuple[Path, str], turn: int) -> None:
    """The boxes are on the words of the image as the app shows it (imaging.web_image)."""
    path, hocr = read_page
    upright = highlight_boxes(hocr, '"chỉnh lý tài liệu"')
    turned = highlight_boxes(hocr, '"chỉnh lý tài liệu"', turn=turn)
    assert len(turned) == len(upright) == 4
    shown = Image.open(io.BytesIO(imaging.web_image(path, turn=turn)))
    for before, after in zip(upright, turned, strict=True):
        assert ink_under(shown, after) > 0.08, (turn, after)
        sideways = turn in (90, 270)
        assert after.width == pytest.approx(before.height if sideways else before.width)
    if turn == 180:  # upside down: the first word is now to the right of the last
        assert turned[0].left > turned[-1].left


# --- the review room, with the page read by Tesseract as its HS-001 page 1 --------------------


def a_folder(folder_id: str, number: int, title: str, **values: object) -> ManifestFolder:
    fields: dict[str, object] = {
        "folder_id": folder_id, "fonds_code": "05", "catalogue_no": "01", "box_no": "3",
        "folder_no": str(number), "title": title, "start_date": datetime.date(2020, 1, 1),
        "end_date": datetime.date(2020, 12, 31), "retention_years": None, "access": "",
        "sheet_count": 1, "language": "vi", "notes": "", "physical_condition": "",
        "secrecy": "", "source_row": number + 1,
    }  # fmt: skip
    return ManifestFolder(**(fields | values))  # type: ignore[arg-type]


@pytest.fixture
def room(review_room: ReviewRoom, read_page: tuple[Path, str]) -> ReviewRoom:
    """The review room; HS-001's first page is the page Tesseract read (its preview and
    hOCR), every page has its text file as the pipeline writes it, and the index is rebuilt
    from them; a folder titled with markup shows that titles are escaped."""
    path, hocr = read_page
    store: Store = review_room.store  # type: ignore[assignment]
    first = review_room.pages[HS1][0]
    for page_id in [p for ids in review_room.pages.values() for p in ids]:
        page = store.get_page(page_id)
        assert page is not None
        derivatives = dict(page.derivatives)
        if page_id == first:
            with Image.open(path) as picture:
                picture.resize((620, 877)).convert("RGB").save(derivatives["preview"])
            Path(derivatives["hocr"]).write_text(hocr, encoding="utf-8")
        text = Path(derivatives["hocr"]).with_name("page.txt")
        text.write_text(ocr.hocr_text(Path(derivatives["hocr"]).read_text("utf-8")), "utf-8")
        store.update_page(page_id, derivatives=derivatives | {"text": str(text)})
    store.import_folders(
        [a_folder("05/01/HS-010", 10, 'Tờ trình <img src=x onerror=alert(1)> & "quỹ"')],
        Path("more.csv"),
    )
    assert store.reindex_search() > 0
    return review_room


def search_form_count(html: str) -> int:
    return len(re.findall(r'<form class="search-box" method="get" action="/search"', html))


def test_the_search_box_is_on_every_page(room: ReviewRoom) -> None:
    client = logged_in(room, "rev1")
    folder = room.folders[HS1]
    page = room.pages[HS1][1]
    for url in ("/", f"/folders/{folder}", f"/pages/{page}", "/rescan", "/batches", "/stats"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert search_form_count(response.text) == 1, url
    assert search_form_count(client.get("/search", params={"q": "báo cáo"}).text) == 1
    # what was searched for stays in the box on the results and on the page opened from them
    html = client.get("/search", params={"q": "chỉnh lý"}).text
    assert 'id="search-q" value="chỉnh lý"' in html
    logged_out = client.__class__(client.app).get("/login")
    assert search_form_count(logged_out.text) == 0  # not before logging in


# --- the results page -------------------------------------------------------------------------


def hits_of(html: str) -> list[dict[str, str]]:
    """Each result as shown: its kind, title (as HTML), link and snippet (as HTML)."""
    found = []
    for item in re.findall(r'<li class="search-hit k-(\w+)">(.*?)</li>', html, re.S):
        kind, body = item
        title = re.search(r'class="hit-title"(?: href="([^"]*)")?>(.*?)</', body, re.S)
        snippet = re.search(r'<p class="snippet">(.*?)</p>', body, re.S)
        assert title is not None
        found.append(
            {
                "kind": kind,
                "href": title.group(1) or "",
                "title": title.group(2),
                "snippet": snippet.group(1) if snippet else "",
            }
        )
    return found


def total_of(html: str) -> int:
    found = re.search(r'<p class="search-total" role="status"><b>([\d,]+)</b>', html)
    return int(found.group(1).replace(",", "")) if found else 0


def test_the_snippet_keeps_only_its_marks() -> None:
    assert str(safe_snippet("a <mark>b</mark> &amp; c")) == "a <mark>b</mark> &amp; c"
    assert str(safe_snippet("<script>x</script><mark>y</mark>")) == (
        "&lt;script>x&lt;/script><mark>y</mark>"
    )


def test_results_are_labelled_by_kind_and_open_at_the_page(room: ReviewRoom) -> None:
    client = logged_in(room, "rev1")
    response = client.get("/search", params={"q": "chinh ly"})
    assert response.status_code == 200
    hits = hits_of(response.text)
    page_hits = [h for h in hits if h["kind"] == "page"]
    assert page_hits, hits
    opened = urlsplit(page_hits[0]["href"])
    assert opened.path == f"/pages/{room.pages[HS1][0]}"
    assert parse_qs(opened.query)["q"] == ["chinh ly"]
    assert "<mark>" in page_hits[0]["snippet"]
    assert "Trang" in response.text and 'class="kind k-page"' in response.text
    assert total_of(response.text) == len(hits)
    # a folder found by its title (tiêu đề hồ sơ), labelled hồ sơ
    html = client.get("/search", params={"q": "tong ket"}).text
    folders = [h for h in hits_of(html) if h["kind"] == "folder"]
    assert folders and "Hồ sơ" in html and HS1 in html


def test_a_document_result_shows_its_code_and_opens_at_its_first_page(room: ReviewRoom) -> None:
    """A văn bản found by its trích yếu: labelled as one, titled by it, with its archival
    code, and opening at its first page with the words marked."""
    from station.store import NewDocument

    store: Store = room.store  # type: ignore[assignment]
    first, second = room.pages[HS1][1], room.pages[HS1][2]
    store.replace_documents(
        HS1,
        [
            NewDocument(
                sequence=1,
                page_ids=[first, second],
                fields={
                    "document_type": {"value": "Kế hoạch", "confidence": 0.9},
                    "summary": {"value": "Kế hoạch thẩm định giá trị tài liệu", "confidence": 0.9},
                },
            )
        ],
        [],
    )
    client = logged_in(room, "rev1")
    html = client.get("/search", params={"q": "tham dinh"}).text
    documents = [h for h in hits_of(html) if h["kind"] == "document"]
    assert len(documents) == 1, hits_of(html)
    assert documents[0]["title"].strip() == "Kế hoạch thẩm định giá trị tài liệu"
    assert f"{HS1}.1" in html and "k-document" in html
    opened = urlsplit(documents[0]["href"])
    assert opened.path == f"/pages/{first}" and parse_qs(opened.query)["q"] == ["tham dinh"]


def test_titles_and_snippets_are_escaped_except_the_marks(room: ReviewRoom) -> None:
    html = logged_in(room, "rev1").get("/search", params={"q": "to trinh"}).text
    assert "<img src=x" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    for hit in hits_of(html):
        assert not re.search(r"<(?!/?mark>)", hit["snippet"]), hit["snippet"]


def test_paging_keeps_the_filters(room: ReviewRoom) -> None:
    client = logged_in(room, "rev1")
    params = {"q": "cong van", "fonds": "05", "box": "1", "limit": "2"}
    html = client.get("/search", params=params).text
    total = total_of(html)
    assert total > 2, html  # pages of HS-001 and HS-002 (box 1), and HS-001's title
    following = re.search(r'<a class="button" href="([^"]*)" rel="next">', html)
    assert following is not None
    url = following.group(1).replace("&amp;", "&")
    kept = parse_qs(urlsplit(url).query)
    assert kept == {"q": ["cong van"], "fonds": ["05"], "box": ["1"], "limit": ["2"],
                    "offset": ["2"]}  # fmt: skip
    second = client.get(url).text
    assert 'rel="prev"' in second and total_of(second) == total
    first_ids = {h["href"] for h in hits_of(html)}
    assert not first_ids & {h["href"] for h in hits_of(second)}  # the next ones, not again
    for hit in hits_of(html):  # a result's link keeps the search, for the way back
        if hit["href"].startswith("/pages/"):
            assert parse_qs(urlsplit(hit["href"].replace("&amp;", "&")).query)["box"] == ["1"]
    # the filters narrow: box 2 holds only the classified folder, which rev1 may not see
    narrowed = client.get("/search", params={"q": "cong van", "box": "2"}).text
    assert (
        total_of(narrowed) == 0
        and "No results for" in narrowed
        and "with these filters" in narrowed
    )
    # the filter fields show what was chosen
    assert 'name="fonds" value="05"' in html and 'name="box" value="1"' in html


def test_an_uncleared_reviewer_finds_nothing_of_a_classified_folder(room: ReviewRoom) -> None:
    cleared = logged_in(room, "secret").get("/search", params={"q": "bao ve bi mat"}).text
    assert "Kế hoạch bảo vệ bí mật nhà nước" in cleared and total_of(cleared) >= 1
    html = logged_in(room, "rev1").get("/search", params={"q": "bao ve bi mat"}).text
    assert "bảo vệ bí mật nhà nước" not in html and HS3 not in html
    assert total_of(html) == 0 and "No results for" in html
    # its pages' text neither: the count for the words on every page is the visible pages'
    everyone = logged_in(room, "secret").get("/search", params={"q": "van"}).text
    mine = logged_in(room, "rev1").get("/search", params={"q": "van"}).text
    assert HS3 in everyone and HS3 not in mine
    assert total_of(mine) < total_of(everyone)


def test_a_bad_search_says_why(room: ReviewRoom) -> None:
    client = logged_in(room, "rev1")
    response = client.get("/search", params={"q": "cong van", "from": "2019-13-01"})
    assert response.status_code == 422 and "From must be a date" in response.text
    response = client.get("/search", params={"q": "x", "from": "2020-02-01", "to": "2020-01-01"})
    assert response.status_code == 422 and "ends before it starts" in response.text
    empty = client.get("/search")
    assert empty.status_code == 200 and "chinh ly" in empty.text  # how to search
    assert client.get("/search", params={"q": "x", "limit": "0"}).status_code == 422
    logged_out = client.__class__(client.app).get("/search?q=x", follow_redirects=False)
    assert logged_out.status_code == 303 and "/login" in logged_out.headers["location"]


# --- the page opened from the results ---------------------------------------------------------


def test_the_page_shows_the_matches_and_the_way_back(room: ReviewRoom) -> None:
    client = logged_in(room, "rev1")
    page = room.pages[HS1][0]
    html = client.get(f"/pages/{page}", params={"q": "chinh ly", "box": "1"}).text
    boxes = re.findall(r'<span class="hit-box" style="([^"]*)" title="([^"]*)">', html)
    assert [t for _, t in boxes] == ["chỉnh", "lý", "chỉnh", "lý"]
    assert "<b>4</b> matches for <q>chinh ly</q>" in html
    back = re.search(r'<a class="button" href="([^"]*)">← Results</a>', html)
    assert back is not None
    assert parse_qs(urlsplit(back.group(1).replace("&amp;", "&")).query) == {
        "q": ["chinh ly"], "box": ["1"]}  # fmt: skip
    assert '<mark class="hit">chỉnh</mark>' in html  # in the text beside the image too
    none = client.get(f"/pages/{page}", params={"q": "giám đốc"}).text
    assert "<b>0</b> matches" in none and 'id="hits"' not in none
    plain = client.get(f"/pages/{page}").text
    assert 'id="found"' not in plain and 'id="hits"' not in plain


# --- in Chromium ------------------------------------------------------------------------------


@pytest.fixture
def server(room: ReviewRoom) -> Iterator[str]:
    with serving(room.settings) as url:
        yield url


def test_search_in_the_browser_at_1280_and_390_px(server: str, room: ReviewRoom) -> None:
    from playwright.sync_api import expect, sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=str(CHROMIUM),
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        try:
            errors: list[str] = []
            for width, name in ((1280, "1280"), (390, "390")):
                context = browser.new_context(viewport={"width": width, "height": 900})
                tab = context.new_page()
                tab.on("pageerror", lambda exc: errors.append(str(exc)))
                tab.goto(f"{server}/login?next=/")
                tab.get_by_label("Username").fill("rev1")
                tab.get_by_label("Password").fill(PASSWORD)
                tab.get_by_role("button", name="Log in").click()
                # the box in the header, typed into and sent with Enter
                box = tab.locator("header .search-box input[name=q]")
                expect(box).to_be_visible()
                for link in ("Queue", "Rescan", "Statistics"):  # the header's links stay
                    shown = tab.locator("header nav").get_by_role("link", name=link)
                    expect(shown).to_be_visible()
                    assert (shown.bounding_box() or {"x": width})["x"] < width
                box.fill("chinh ly")
                box.press("Enter")
                expect(tab.locator("h1")).to_contain_text("Search")
                expect(tab.locator(".search-hit").first).to_be_visible()
                assert tab.evaluate("() => document.documentElement.scrollWidth") <= width
                tab.screenshot(path=str(ARTIFACTS / f"40-search-{name}.png"), full_page=True)
                tab.goto(f"{server}/search?q=cong+van&limit=5&offset=5")  # a second page
                expect(tab.locator(".search-hit").first).to_be_visible()
                expect(tab.locator("a[rel=prev]")).to_be_visible()
                assert tab.evaluate("() => document.documentElement.scrollWidth") <= width
                tab.screenshot(path=str(ARTIFACTS / f"42-search-kinds-{name}.png"), full_page=True)
                tab.go_back()
                # the first page result opens the page with the words boxed on the image
                tab.locator(".search-hit.k-page .hit-title").first.click()
                expect(tab.locator("#found")).to_contain_text("4 matches for")
                hits = tab.locator("#hits")
                expect(hits).to_be_visible()
                image = tab.locator("#page-image").bounding_box()
                assert image is not None
                marks = tab.locator("#hits .hit-box")
                assert marks.count() == 4
                for i in range(marks.count()):  # on the image, and a word's size
                    mark = marks.nth(i).bounding_box()
                    assert mark is not None
                    assert image["x"] <= mark["x"] <= image["x"] + image["width"]
                    assert image["y"] <= mark["y"] <= image["y"] + image["height"]
                    assert 0 < mark["width"] < image["width"] / 5
                assert tab.evaluate("() => document.documentElement.scrollWidth") <= width
                tab.screenshot(path=str(ARTIFACTS / f"41-search-page-{name}.png"))
                tab.keyboard.press("Shift+O")  # the original scan: its geometry differs
                expect(hits).to_be_hidden()
                tab.locator("#found a").click()  # back to the results
                expect(tab.locator(".search-hit").first).to_be_visible()
                assert not errors, errors
                context.close()
        finally:
            browser.close()
