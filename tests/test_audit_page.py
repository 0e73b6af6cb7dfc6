"""The /audit page (qa.audit) on a known history: each filter narrows the trail, keyset pages
follow one another without gaps, the CSV parses back with the page's rows, "viewed" events
are recorded once per user and object in ten minutes, and classified material stays hidden
from an uncleared archivist (counts only, never a title), in the page and in the CSV."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from conftest import PASSWORD, ReviewRoom, serving
from fastapi.testclient import TestClient

from qa import audit
from qa.app import create_app
from station import auth
from station.documents.model import FieldReading
from station.review import rules
from station.store import Event, NewDocument, Store
from station.store.audit import VIEWED, AuditFilter

ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
CHROMIUM = Path("/usr/bin/chromium")
HS1, HS2, HS3 = "05/01/HS-001", "05/01/HS-002", "05/01/HS-003"
SECRET_TITLE = "Về việc bảo vệ bí mật công tác tổ chức cán bộ năm 2026"  # document 1, Mật
OPEN_TITLE = "Về việc tổ chức hội nghị tổng kết năm 2019"  # document 2, open
HS3_TITLE = "Kế hoạch bảo vệ bí mật nhà nước"  # the Mật folder's title in the manifest
OLD_DAY = datetime(2026, 1, 15, 9, 30, tzinfo=UTC)


@dataclass
class History:
    room: ReviewRoom
    store: Store
    secret_doc: int
    open_doc: int
    p: dict[int, int]  # HS-001 position -> page id


def login(room: ReviewRoom, username: str) -> TestClient:
    client = TestClient(create_app(room.settings))
    response = client.post(
        "/login", data={"username": username, "password": PASSWORD}, follow_redirects=False
    )
    assert response.status_code == 303, response.text
    return client


def summary(value: str, page_id: int) -> dict[str, object]:
    return FieldReading(value, 0.9, (100, 100, 500, 140), page_id, "ocr").to_json()


@pytest.fixture
def history(review_room: ReviewRoom) -> History:
    """What a morning at the station leaves in the event table:
    - rev2 decides the six pages of HS-001 and the three of HS-002; then HS-001 is split
      into document 1 (pages 1-2, stamped Mật, SECRET_TITLE) and document 2 (pages 3-6)
    - secret (cleared Tối mật) decides both pages of HS-003 (a Mật folder)
    - arch approves HS-002 and exports it; "@mallory" leaves an event on HS-002
    - the manifest import of 15 January 2026 (station)."""
    room = review_room
    store = room.store
    assert isinstance(store, Store)
    store.add_user(
        "chief", role="archivist", clearance="Tuyệt mật",
        password_hash=auth.hash_password(PASSWORD),
    )  # fmt: skip
    p = dict(enumerate(room.pages[HS1], start=1))
    rev2, secret, arch = (store.get_user(n) for n in ("rev2", "secret", "arch"))
    assert rev2 is not None and secret is not None and arch is not None
    for n, page_id in p.items():
        rules.decide(
            store, rev2, page_id, "reject" if n == 3 else "approve", "blurred" if n == 3 else None
        )
    for page_id in room.pages[HS2]:
        rules.decide(store, rev2, page_id, "approve")
    for page_id in room.pages[HS3]:
        rules.decide(store, secret, page_id, "approve")
    made = store.replace_documents(
        HS1,
        [
            NewDocument(1, [p[1], p[2]], {"summary": summary(SECRET_TITLE, p[1])}, secrecy="Mật"),
            NewDocument(2, [p[3], p[4], p[5], p[6]], {"summary": summary(OPEN_TITLE, p[3])}),
        ],
        [],
    )
    secret_doc, open_doc = (d.id for d in made)
    assert secret_doc is not None and open_doc is not None
    store.add_events(
        [
            Event(folder_id=HS1, document_id=d.id, stage="extract_documents", outcome="ok",
                  detail={"sequence": d.sequence, "summary": title, "secrecy": d.secrecy},
                  tool="station", tool_version="test")
            for d, title in zip(made, (SECRET_TITLE, OPEN_TITLE), strict=True)
        ]
    )  # fmt: skip
    rules.approve_folder(store, arch, room.folders[HS2])
    store.add_events(
        [
            Event(folder_id=HS2, stage="export", outcome="ok", agent="arch",
                  detail={"format": "bagit", "path": "/exports/HS-002", "version": 1}),
            Event(folder_id=HS2, stage="review", outcome="ok", agent="@mallory",
                  detail={"action": "note", "note": "=HYPERLINK(\"http://x\")"}),
            Event(stage="manifest", outcome="ok", at=OLD_DAY, detail={"file": "manifest.csv"}),
        ]
    )  # fmt: skip
    return History(room, store, secret_doc, open_doc, p)


def everything(store: Store) -> list[Event]:
    return store.audit_events(AuditFilter(), limit=100_000)


def ids_on_page(html: str) -> list[int]:
    return [int(i) for i in re.findall(r'<tr data-id="(\d+)">', html)]


def read_csv(body: bytes) -> list[list[str]]:
    assert body.startswith(b"\xef\xbb\xbf")  # the BOM: Excel reads the file as UTF-8
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


# --- the filters -------------------------------------------------------------------------------


def test_each_filter_narrows_the_trail(history: History) -> None:
    client = login(history.room, "chief")  # cleared for everything: every event is listed
    every = everything(history.store)
    page = client.get("/audit")
    assert page.status_code == 200
    assert ids_on_page(page.text) == [e.id for e in every]  # newest first, all of them
    assert ids_on_page(page.text) == sorted(ids_on_page(page.text), reverse=True)

    doc, day, hs2 = history.open_doc, OLD_DAY.date(), history.room.pages[HS2]
    cases: list[tuple[dict[str, str], list[Event]]] = [
        ({"user": "rev2"}, [e for e in every if e.agent == "rev2"]),
        ({"action": "export"}, [e for e in every if e.stage == "export"]),
        ({"folder": HS2}, [e for e in every if e.folder_id == HS2 or e.page_id in hs2]),
        ({"document": str(doc)}, [e for e in every if e.document_id == doc]),
        ({"since": day.isoformat(), "until": day.isoformat()},
         [e for e in every if e.at.date() == day]),
        ({"user": "rev2", "folder": HS2},
         [e for e in every if e.agent == "rev2" and (e.folder_id == HS2 or e.page_id in hs2)]),
    ]  # fmt: skip
    for params, expected in cases:
        assert expected, params  # the history has events for every case
        shown = ids_on_page(client.get("/audit", params=params).text)
        assert shown == [e.id for e in expected], params
        assert len(shown) < len(every)
    # known answers: rev2 decided nine pages; one export; the January import alone
    assert len(cases[0][1]) == 9 and len(cases[1][1]) == 1 and len(cases[4][1]) == 1
    until_yesterday = (datetime.now(UTC) - timedelta(days=1)).date().isoformat()
    assert ids_on_page(client.get("/audit", params={"until": until_yesterday}).text) == [
        e.id for e in every if e.stage == "manifest" and e.at.date() == OLD_DAY.date()
    ]
    bad = client.get("/audit", params={"since": "15/01/2026"})
    assert bad.status_code == 422 and "YYYY-MM-DD" in bad.text
    assert client.get("/audit", params={"document": "x1"}).status_code == 422


def test_keyset_pages_follow_one_another(history: History, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(audit, "PAGE_SIZE", 4)
    for username in ("chief", "arch"):
        client = login(history.room, username)
        seen: list[int] = []
        url: str | None = "/audit"
        pages = 0
        while url:
            html = client.get(url).text
            seen += ids_on_page(html)
            assert len(ids_on_page(html)) <= 4
            found = re.search(r'<a class="button" href="([^"]+)" rel="next">', html)
            url = found.group(1).replace("&amp;", "&") if found else None
            pages += 1
        assert seen == sorted(set(seen), reverse=True)  # no repeats, no disorder
        total = len(everything(history.store))
        if username == "chief":
            assert len(seen) == total and pages >= total // 4
        else:
            assert 0 < len(seen) < total


# --- the CSV ----------------------------------------------------------------------------------


def test_the_csv_parses_back_with_the_pages_rows(history: History) -> None:
    client = login(history.room, "chief")
    for params in ({}, {"user": "rev2"}, {"folder": HS1}):
        html = client.get("/audit", params=params).text
        response = client.get("/audit.csv", params=params)
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/csv")
        assert "attachment" in response.headers["content-disposition"]
        rows = read_csv(response.content)
        assert rows[0] == audit.CSV_HEADERS
        assert [int(r[0]) for r in rows[1:]] == ids_on_page(html)
        times = re.findall(r'<td class="audit-time">([^<]+)</td>', html)
        assert [r[1] for r in rows[1:]] == times
    rows = read_csv(client.get("/audit.csv").content)
    by_user = {r[2] for r in rows[1:]}
    assert "'@mallory" in by_user and "@mallory" not in by_user  # the formula guard
    exported = [r for r in rows if r[3] == "export"]
    assert len(exported) == 1 and exported[0][4] == HS2 and '"format": "bagit"' in exported[0][8]
    assert any(SECRET_TITLE in r[8] for r in rows)  # the cleared see classified details


# --- secrecy ----------------------------------------------------------------------------------


def test_an_uncleared_archivist_sees_counts_only(history: History) -> None:
    store, p = history.store, history.p
    client = login(history.room, "arch")
    assert store.record_view("secret", page_id=p[1])  # names the page only, not its folder
    every = everything(store)
    classified = [
        e for e in every
        if e.folder_id == HS3 or e.page_id in (p[1], p[2]) or e.document_id == history.secret_doc
        or e.page_id in history.room.pages[HS3]
    ]  # fmt: skip
    # HS-003's import and its 2 decisions, the 2 decisions on document 1's pages, its finding,
    # secret's look at page 1
    assert len(classified) == 7
    html = client.get("/audit").text
    shown = ids_on_page(html)
    assert set(shown).isdisjoint(e.id for e in classified)
    assert len(shown) == len(every) - len(classified)
    assert f"{len(classified)} events on classified material are hidden" in html
    rows = read_csv(client.get("/audit.csv").content)
    assert [int(r[0]) for r in rows[1:]] == shown
    body = client.get("/audit.csv").content.decode("utf-8-sig")
    for title in (SECRET_TITLE, HS3_TITLE):
        assert title not in html and title not in body
    assert OPEN_TITLE in body  # the open document's finding is listed, title and all
    # filtering on the classified folder lists nothing, and says how much is hidden
    only = client.get("/audit", params={"folder": HS3}).text
    hidden_hs3 = sum(1 for e in every if e.folder_id == HS3)
    assert ids_on_page(only) == [] and f"{hidden_hs3} events on classified material" in only
    assert (
        client.get("/audit", params={"document": str(history.secret_doc)}).text.count("data-id=")
        == 0
    )
    # the cleared archivist sees those very rows
    cleared = ids_on_page(login(history.room, "chief").get("/audit").text)
    assert {e.id for e in classified} <= set(cleared)


def test_roles(history: History) -> None:
    for username in ("op1", "rev2", "secret"):
        client = login(history.room, username)
        for url in ("/audit", "/audit.csv"):
            response = client.get(url)
            assert response.status_code == 403, (username, url)
            assert "archivist" in response.text and "<html" in response.text
        assert 'href="/audit"' not in client.get("/rescan").text
    for username in ("arch", "boss"):
        client = login(history.room, username)
        assert client.get("/audit").status_code == 200
        assert 'href="/audit"' in client.get("/rescan").text
    anonymous = TestClient(create_app(history.room.settings))
    assert anonymous.get("/audit", follow_redirects=False).status_code == 303
    assert anonymous.get("/audit.csv", follow_redirects=False).status_code == 303


# --- "viewed" events --------------------------------------------------------------------------


def test_opening_a_folder_or_a_page_is_recorded_once_in_ten_minutes(history: History) -> None:
    room, store, p = history.room, history.store, history.p
    client = login(room, "rev2")
    for _ in range(3):
        assert client.get(f"/folders/{room.folders[HS1]}").status_code == 200
        assert client.get(f"/images/pages/{p[3]}/preview").status_code == 200
        assert client.get(f"/images/pages/{p[4]}/thumbnail").status_code == 200
    viewed = store.audit_events(AuditFilter(user="rev2", action=VIEWED), limit=100)
    assert sorted((e.folder_id or "", e.page_id or 0) for e in viewed) == [
        ("", p[3]),  # the page by its id only: the folder's history is not the place for it
        (HS1, 0),
    ]  # one each; the thumbnail (a grid tile) is not a page looked at
    assert store.record_view("rev2", page_id=p[3]) is False
    assert store.record_view("rev2", page_id=p[3], within=timedelta(0)) is True
    assert store.record_view("arch", page_id=p[3]) is True  # per user
    # the audit page lists them, with links to what was opened, also under the folder
    chief = login(room, "chief")
    html = chief.get("/audit", params={"action": VIEWED, "user": "rev2"}).text
    assert len(ids_on_page(html)) == 3
    assert f'href="/pages/{p[3]}"' in html and f'href="/folders/{room.folders[HS1]}"' in html
    in_folder = chief.get("/audit", params={"action": VIEWED, "folder": HS1}).text
    assert len(ids_on_page(in_folder)) == 4
    assert len(ids_on_page(chief.get("/audit", params={"action": VIEWED, "folder": HS2}).text)) == 0


# --- in Chromium ------------------------------------------------------------------------------


@pytest.fixture
def server(history: History) -> Iterator[str]:
    with serving(history.room.settings) as url:
        yield url


def test_audit_in_the_browser_at_1280_and_390_px(server: str) -> None:
    from playwright.sync_api import expect, sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=str(CHROMIUM),
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        try:
            errors: list[str] = []
            for width, name in ((1280, "32-audit-1280"), (390, "33-audit-390")):
                context = browser.new_context(viewport={"width": width, "height": 900})
                tab = context.new_page()
                tab.on("pageerror", lambda exc: errors.append(str(exc)))
                tab.goto(f"{server}/login?next=/audit")
                tab.get_by_label("Username").fill("arch")
                tab.get_by_label("Password").fill(PASSWORD)
                tab.get_by_role("button", name="Log in").click()
                expect(tab.locator("h1")).to_contain_text("Audit")
                expect(tab.locator(".audit-hidden")).to_contain_text("classified material")
                tab.locator("input[name=user]").fill("rev2")
                tab.get_by_role("button", name="Show").click()
                expect(tab.locator("table.audit-table tbody tr")).to_have_count(7)
                page_width = tab.evaluate("() => document.documentElement.scrollWidth")
                assert page_width <= width, (width, page_width)  # the table scrolls inside
                tab.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
                assert not errors
                context.close()
        finally:
            browser.close()
