"""The interface in Vietnamese and English (station.i18n): every marked message has its
Vietnamese, no template or page script holds English that was never marked, the domain's
errors are raised translated, and each person gets their language: their own setting, then
the browser's Accept-Language, then STATION_LANGUAGE."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
import unicodedata
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from babel.messages.pofile import read_po
from conftest import PASSWORD, ReviewRoom, logged_in

from station import i18n
from station.settings import StationSettings

ROOT = Path(__file__).resolve().parent.parent
CATALOG = i18n.catalog_path("vi")


def _catalog() -> list[tuple[str, str, bool]]:
    """(English, Vietnamese, fuzzy) of every message; a plural's forms joined by " | "
    (Vietnamese has one form, so a plural's Vietnamese is empty if that form is)."""
    with CATALOG.open("rb") as po:
        return [
            (_joined(m.id), _joined(m.string), m.fuzzy) for m in read_po(po, locale="vi") if m.id
        ]


def _joined(text: object) -> str:
    if isinstance(text, tuple | list):
        return " | ".join(str(t) for t in text) if all(text) else ""
    return str(text)


def _extracted(tmp_path: Path) -> set[str]:
    """What scripts/i18n would extract from the code today (babel.cfg)."""
    pot = tmp_path / "fresh.pot"
    subprocess.run(
        [
            str(Path(sys.executable).parent / "pybabel"), "-q", "extract", "-F", "babel.cfg",
            "--ignore-dirs=.* ._ __pycache__ data out hotfolders bench tests docs scripts "
            "profiles", "-o", str(pot), ".",
        ],
        cwd=ROOT, check=True,
    )  # fmt: skip
    with pot.open("rb") as f:
        return {_joined(m.id) for m in read_po(f) if m.id}


def test_every_marked_message_has_its_vietnamese(tmp_path: Path) -> None:
    fresh = _extracted(tmp_path)
    catalog = {msgid: (text, fuzzy) for msgid, text, fuzzy in _catalog()}
    assert fresh, "nothing was extracted: babel.cfg no longer finds the code"
    new = sorted(fresh - catalog.keys())
    assert not new, f"messages not in {CATALOG.name} (run scripts/i18n, translate): {new[:20]}"
    gone = sorted(catalog.keys() - fresh)
    assert not gone, f"messages no longer in the code (run scripts/i18n): {gone[:20]}"
    untranslated = sorted(m for m, (text, fuzzy) in catalog.items() if not text or fuzzy)
    assert not untranslated, f"{len(untranslated)} without Vietnamese: {untranslated[:20]}"
    not_nfc = [m for m, (text, _f) in catalog.items() if unicodedata.normalize("NFC", text) != text]
    assert not not_nfc, f"Vietnamese not in Unicode NFC: {not_nfc[:10]}"


def test_every_message_in_the_code_is_extracted(tmp_path: Path) -> None:
    """A message Babel cannot read as written (a parenthesised first argument, say) would be
    shown in English to everyone: each _("…") in the Python is in the extraction."""
    fresh = {m.split(" | ")[0] for m in _extracted(tmp_path)}
    lost = []
    for package in ("station", "qa"):
        for path in sorted((ROOT / package).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if (
                    isinstance(node, ast.Call)
                    and isinstance(node.func, ast.Name)
                    and node.func.id in ("_", "N_", "gettext", "ngettext")
                    and node.args
                    and isinstance(node.args[0], ast.Constant)
                    and isinstance(node.args[0].value, str)
                    and node.args[0].value not in fresh
                ):
                    lost.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert not lost, f"messages babel.cfg does not extract: {lost[:20]}"


def test_placeholders_match_between_english_and_vietnamese() -> None:
    """A %(name)s the Vietnamese drops or misspells would raise, or show the wrong value."""
    placeholder = re.compile(r"%\((\w+)\)[sdrfi]")
    wrong = [
        (msgid, text)
        for msgid, text, _fuzzy in _catalog()
        if set(placeholder.findall(msgid)) != set(placeholder.findall(text))
    ]
    assert not wrong, wrong[:10]


def _english_words() -> set[str]:
    """Words of the English messages that no Vietnamese message uses: their appearance in a
    page's text means English that was never marked for translation."""
    words = re.compile(r"[A-Za-z]{3,}")
    english: set[str] = set()
    vietnamese: set[str] = set()
    for msgid, text, _fuzzy in _catalog():
        english.update(w.lower() for w in words.findall(re.sub(r"%\(\w+\)\w", "", msgid)))
        vietnamese.update(w.lower() for w in words.findall(text))
    common = {  # English that no Vietnamese sentence holds, whether or not a message has it
        "the", "and", "for", "with", "not", "this", "that", "from", "your", "are", "has",
        "have", "will", "can", "cannot", "all", "none", "page", "pages", "folder", "folders",
        "document", "documents", "box", "save", "back", "next", "previous", "search", "yet",
    }  # fmt: skip
    return (english | common) - vietnamese - {"station", "pdf", "csv", "json", "ocr", "dpi", "utc"}


class _Text(HTMLParser):
    """Text a person reads: text nodes and the attributes that are shown or spoken."""

    SHOWN = frozenset({"title", "placeholder", "aria-label", "alt", "label", "data-confirm"})

    def __init__(self) -> None:
        super().__init__()
        self.pieces: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style", "kbd", "code"):  # programs, key names, examples
            self._skip += 1
        self.pieces.extend(v for k, v in attrs if k in self.SHOWN and v)

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style", "kbd", "code"):
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.pieces.append(data)


JINJA = re.compile(
    r"\{% block body_class %\}.*?\{% endblock %\}|\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}", re.S
)


@pytest.mark.parametrize(
    "template", sorted(p.name for p in (ROOT / "qa" / "templates").glob("*.html"))
)
def test_templates_hold_no_unmarked_english(template: str) -> None:
    source = (ROOT / "qa" / "templates" / template).read_text(encoding="utf-8")
    parser = _Text()
    parser.feed(JINJA.sub(" ", source))
    english = _english_words()
    found = sorted(
        {
            (word, piece.strip()[:60])
            for piece in parser.pieces
            for word in re.findall(r"[A-Za-z]{3,}", piece)
            if word.lower() in english
        }
    )
    assert not found, f"{template}: English text not marked with _(): {found[:15]}"


@pytest.mark.parametrize("script", sorted(p.name for p in (ROOT / "qa/static").glob("*.js")))
def test_page_scripts_hold_no_unmarked_english(script: str) -> None:
    """Sentences in the scripts go through _(), so people read them in their language."""
    source = (ROOT / "qa" / "static" / script).read_text(encoding="utf-8")
    source = re.sub(r"^\s*//.*$", "", source, flags=re.M)  # comments are for developers
    source = _without_substitutions(source)
    english = _english_words()
    literal = re.compile(r"(_\(\s*)?(\"(?:[^\"\\\n]|\\.)*\"|'(?:[^'\\\n]|\\.)*'|`[^`]*`)")
    found = []
    for match in literal.finditer(source):
        if match.group(1):
            continue
        words = [w for w in re.findall(r"[A-Za-z]{3,}", match.group(2)) if w.lower() in english]
        if re.fullmatch(r"[\"'`][a-z0-9 _-]*-[a-z0-9 _-]*[\"'`]", match.group(2)):
            continue  # CSS classes ("form-message error")
        if " " in match.group(2) and len(words) >= 2:
            found.append(match.group(2)[:70])
    assert not found, f"{script}: sentences not marked with _(): {found[:15]}"


def _without_substitutions(source: str) -> str:
    """The scripts without what template literals fill in (`${...}`, braces balanced): code,
    whose own messages are checked where they are written."""
    out, depth, i = [], 0, 0
    while i < len(source):
        if source.startswith("${", i):
            depth, i = depth + 1, i + 2
            continue
        if depth and source[i] == "{":
            depth += 1
        elif depth and source[i] == "}":
            depth -= 1
        elif not depth:
            out.append(source[i])
        i += 1
    return "".join(out)


def _station_errors() -> set[str]:
    from station import errors

    return {
        name
        for name, value in vars(errors).items()
        if isinstance(value, type) and issubclass(value, errors.StationError)
    }


def _english(message: ast.expr) -> bool:
    """A message written in the code as it stands, not through _()."""
    if isinstance(message, ast.IfExp):
        return _english(message.body) or _english(message.orelse)
    if isinstance(message, ast.BinOp):
        return _english(message.left)
    return isinstance(message, ast.Constant | ast.JoinedStr)


@pytest.mark.parametrize("package", ["station", "qa"])
def test_errors_people_read_are_raised_translated(package: str) -> None:
    """`raise SomeError("English")` reaches people as API details, pages and CLI lines:
    the message must go through _() (it is translated in the request's or run's language)."""
    names = _station_errors()
    untranslated = []
    for path in sorted((ROOT / package).rglob("*.py")):
        if "migrations" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not (isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call)):
                continue
            func = node.exc.func
            name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
            if name not in names or not node.exc.args:
                continue
            if _english(node.exc.args[0]):
                untranslated.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert not untranslated, f"{len(untranslated)} errors raised in English: {untranslated[:20]}"


# --- who gets which language --------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("vi-VN,vi;q=0.9,en-US;q=0.8,en;q=0.7", ["vi", "vi", "en", "en"]),
        ("en;q=0.3, vi", ["vi", "en"]),
        ("fr, vi;q=0", ["fr"]),
        ("*", []),
        ("", []),
        ("vi;q=abc, en", ["en"]),
    ],
)
def test_accept_language_is_read_by_quality(header: str, expected: list[str]) -> None:
    assert [t for t in i18n.accepted(header) if t != "*"] == expected


def test_the_users_setting_wins_then_the_browser_then_the_station() -> None:
    assert i18n.negotiate("vi", "en", "en") == "vi"
    assert i18n.negotiate("", "fr, vi;q=0.5", "en") == "vi"
    assert i18n.negotiate(None, "fr, de", "vi") == "vi"
    assert i18n.negotiate(None, None, "xx") == "en"


def test_messages_follow_the_language_of_the_context() -> None:
    assert i18n.gettext("Log out") == "Log out"
    with i18n.use("vi"):
        assert i18n._("Log out") == "Đăng xuất"
        assert i18n._("No user named %(name)r", name="lan") == "Không có người dùng tên 'lan'"
        with i18n.use("en"):
            assert i18n._("Log out") == "Log out"
        assert i18n.current() == "vi"
    assert i18n.current() == "en"


def test_pages_speak_the_browsers_language_until_the_user_chooses(
    review_room: ReviewRoom,
) -> None:
    client = logged_in(review_room, "rev1")
    english = client.get("/", headers={"Accept-Language": "en-GB,en"})
    assert '<html lang="en">' in english.text and ">Log out<" in english.text
    vietnamese = client.get("/", headers={"Accept-Language": "vi-VN,vi;q=0.9,en;q=0.5"})
    assert '<html lang="vi">' in vietnamese.text and ">Đăng xuất<" in vietnamese.text
    login = client.get("/login", headers={"Accept-Language": "vi"})
    assert "Mật khẩu" in login.text, "before logging in, the browser chooses"

    csrf = client.cookies["csrftoken"]
    chosen = client.post(
        "/account/language", data={"language": "vi", "csrf_token": csrf}, follow_redirects=False
    )
    assert chosen.status_code == 303
    mine = client.get("/", headers={"Accept-Language": "en"})
    assert '<html lang="vi">' in mine.text, "the user's own setting wins over the browser"
    account = client.get("/account", headers={"Accept-Language": "en"})
    assert "Ngôn ngữ giao diện" in account.text and 'value="vi" lang="vi" selected' in account.text

    refused = client.post("/account/language", data={"language": "fr", "csrf_token": csrf})
    assert refused.status_code == 400 and "Không có ngôn ngữ &#39;fr&#39;" in refused.text
    back = client.post("/account/language", data={"language": "", "csrf_token": csrf})
    assert back.status_code == 200  # followed to /account
    assert '<html lang="en">' in client.get("/", headers={"Accept-Language": "en"}).text


def test_api_error_details_are_in_the_users_language(review_room: ReviewRoom) -> None:
    client = logged_in(review_room, "rev1")
    answer = client.get("/api/folders/999999", headers={"Accept-Language": "vi"})
    assert answer.status_code == 404
    body = answer.json()
    assert body["error"] == "not_found", "the code stays stable for programs"
    english = client.get("/api/folders/999999", headers={"Accept-Language": "en"}).json()
    assert body["detail"] != english["detail"], (body, english)
    operator = logged_in(review_room, "op1")
    refused = operator.get("/api/folders", headers={"Accept-Language": "vi"})
    assert refused.status_code == 403, refused.text
    assert refused.json()["detail"] == (
        "Hàng chờ kiểm tra cần vai trò người kiểm tra; 'op1' có vai trò người vận hành máy quét"
    )
    nowhere = client.get("/api/no-such-thing", headers={"Accept-Language": "vi"})
    assert nowhere.json() == {"error": "not_found", "detail": "Không tìm thấy"}
    anonymous = logged_in(review_room, "rev2")
    anonymous.cookies.clear()
    refused = anonymous.get("/api/folders", headers={"Accept-Language": "vi"})
    assert refused.status_code == 401 and refused.json()["detail"] == "Hãy đăng nhập trước"


def test_station_language_is_the_default(review_room: ReviewRoom) -> None:
    settings = review_room.settings.model_copy(update={"language": "vi"})
    from fastapi.testclient import TestClient

    from qa.app import create_app

    client = TestClient(create_app(settings))
    assert "Mật khẩu" in client.get("/login").text, "no Accept-Language: the station's"
    assert "Password" in client.get("/login", headers={"Accept-Language": "en"}).text
    client.post("/login", data={"username": "arch", "password": PASSWORD})
    assert '<html lang="vi">' in client.get("/stats").text


def test_a_user_added_with_a_language_and_changed_by_an_admin(settings: StationSettings) -> None:
    from typer.testing import CliRunner

    from station.cli import app
    from station.store import Store

    def run(*args: str, stdin: str | None = None) -> Any:
        return CliRunner().invoke(app, list(args), input=stdin, catch_exceptions=False)

    added = run(
        "users", "add", "thu", "--role", "reviewer", "--language", "vi", "--password-stdin",
        stdin=f"{PASSWORD}\n",
    )  # fmt: skip
    assert added.exit_code == 0, added.output
    store = Store.open(settings.database_url)
    user = store.get_user("thu")
    assert user is not None and user.language == "vi"
    changed = run("users", "language", "thu", "en")
    assert changed.exit_code == 0, changed.output
    user = store.get_user("thu")
    assert user is not None and user.language == "en"
    wrong = run("users", "language", "thu", "fr")
    assert wrong.exit_code != 0 and "'fr'" in wrong.stderr


@pytest.fixture
def vietnamese_cli(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """STATION_LANGUAGE=vi for the CLI; English again afterwards (the CLI sets the process's
    language, and later tests in this worker expect English)."""
    monkeypatch.setenv("STATION_LANGUAGE", "vi")
    try:
        yield
    finally:
        i18n.activate("en")


def test_the_cli_speaks_station_language(
    settings: StationSettings, vietnamese_cli: None, tmp_path: Path
) -> None:
    from PIL import Image, ImageDraw
    from typer.testing import CliRunner

    from station.cli import app

    def run(*args: str, stdin: str | None = None) -> Any:
        return CliRunner().invoke(app, list(args), input=stdin, catch_exceptions=False)

    added = run(
        "users", "add", "lan", "--role", "reviewer", "--password-stdin", stdin=f"{PASSWORD}\n"
    )
    assert added.exit_code == 0, added.output
    assert "Đã thêm lan (người kiểm tra, không có quyền tiếp cận mật)" in added.stdout
    missing = run("users", "disable", "nobody")
    assert missing.exit_code != 0
    assert "Lỗi: Không có người dùng tên 'nobody'" in missing.stderr
    listed = run("users", "list")
    assert "người dùng" in listed.stdout and "đang hoạt động" in listed.stdout

    batch = tmp_path / "lo-01"
    batch.mkdir()
    page = Image.new("L", (1654, 2339), 255)  # A4 at 200 dpi
    ImageDraw.Draw(page).text((200, 300), "CONG VAN SO 12", fill=0)
    page.save(batch / "0001.png", dpi=(200, 200))
    (batch / "0002.txt").write_text("not a scan")
    done = run("process", str(batch), "--out", str(tmp_path / "out"), "--jobs", "1")
    assert "Lô quét lo-01" in done.stdout, done.stdout
    for line in ("Trang", "Lỗi", "Thời gian", "Báo cáo"):
        assert line in done.stdout, (line, done.stdout)
    assert "0002.txt" in done.stdout and "Pages" not in done.stdout
    assert i18n.current() == "vi"


def test_the_cli_figures_speak_station_language(
    settings: StationSettings, vietnamese_cli: None
) -> None:
    from typer.testing import CliRunner

    from station.cli import app

    figures = CliRunner().invoke(app, ["stats"], catch_exceptions=False)
    assert figures.exit_code == 0, figures.output
    for line in ("Khối lượng tồn theo phông", "Người vận hành máy quét", "Trang bị loại: 0"):
        assert line in figures.stdout, (line, figures.stdout)
    status = CliRunner().invoke(app, ["status"], catch_exceptions=False)
    assert status.exit_code == 0, status.output
    assert "Lô quét" in status.stdout or "lô quét" in status.stdout, status.stdout
