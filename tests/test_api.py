"""The review app over HTTP: log-in, sessions and CSRF, every JSON API route and the page
images, for each role, with every error status and its message (real SQLite, Argon2, files)."""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest
from conftest import PASSWORD, REPO, ReviewRoom, make_review_room
from fastapi import FastAPI
from fastapi.testclient import TestClient
from httpx import Response
from PIL import Image
from sqlmodel import select

from qa.app import create_app
from qa.security import CSRF_COOKIE, CSRF_FIELD, CSRF_HEADER, SESSION_COOKIE
from station.documents.model import FIELDS
from station.settings import load_settings
from station.store import LoginSession, NewDocument, Store, User, utcnow
from station.store.audit import VIEWED, AuditFilter

HS1, HS2, HS3, HS4 = "05/01/HS-001", "05/01/HS-002", "05/01/HS-003", "05/01/HS-004"
UNKNOWN = 999_999


# --- every route, and what a valid call to it sends ------------------------------------------


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    names: str | None = None  # "folder" or "page": what {id} is
    body: dict[str, Any] | None = None  # JSON for a valid call
    minimum: str = "reviewer"  # the least role allowed

    @property
    def changes(self) -> bool:
        return self.method != "GET" and self.path != "/api/login"

    def url(self, id: int | str = 0) -> str:
        return (
            self.path.replace("{id}", str(id))
            .replace("{kind}", "thumbnail")
            .replace("{name}", "summary")
        )

    def __str__(self) -> str:
        return f"{self.method} {self.path}"


ROUTES = (
    Route("POST", "/api/login", minimum="operator"),
    Route("GET", "/api/me", minimum="operator"),
    Route("GET", "/api/folders"),
    Route("GET", "/api/folders/{id}", "folder"),
    Route("PATCH", "/api/folders/{id}", "folder", {"notes": "Giấy ố vàng"}, "archivist"),
    Route("GET", "/api/folders/{id}/pages", "folder"),
    Route("GET", "/api/folders/{id}/history", "folder"),
    Route("POST", "/api/folders/{id}/approve", "folder", minimum="archivist"),
    Route("POST", "/api/folders/{id}/reopen", "folder", minimum="archivist"),
    Route("POST", "/api/folders/{id}/approve-unflagged", "folder"),
    Route("PUT", "/api/folders/{id}/order", "folder", {"page_ids": [1, 2]}),
    Route("POST", "/api/folders/{id}/export", "folder", {"format": "bagit"}, "archivist"),
    Route("GET", "/api/boxes"),
    Route("GET", "/api/pages/{id}", "page"),
    Route("GET", "/api/pages/{id}/text", "page"),
    Route("POST", "/api/pages/{id}/decision", "page", {"decision": "approve"}),
    Route("POST", "/api/pages/{id}/turn", "page", {"degrees": 90}),
    Route("POST", "/api/pages/{id}/move", "page", {"position": 1}),
    Route("POST", "/api/pages/{id}/secrecy", "page", {"secrecy": ""}),
    Route("POST", "/api/pages/{id}/undo-separator", "page"),
    Route("GET", "/api/activity", minimum="operator"),
    Route("GET", "/api/work", minimum="operator"),
    Route("GET", "/api/rescan", minimum="operator"),
    Route("GET", "/api/search", minimum="operator"),
    Route("GET", "/images/pages/{id}/{kind}", "page", minimum="operator"),
    Route("GET", "/api/folders/{id}/documents", "folder"),
    Route("POST", "/api/folders/{id}/documents/confirm-confident", "folder"),
    Route("POST", "/api/folders/{id}/documents/split", "folder", {"page_id": 1}),
    Route("POST", "/api/folders/{id}/documents/merge", "folder", {"document_id": 1}),
    Route("PATCH", "/api/documents/{id}", "document", {"summary": "Về việc tổ chức hội nghị"}),
    Route("POST", "/api/documents/{id}/confirm", "document"),
    Route("POST", "/api/documents/{id}/secrecy", "document", {"level": "", "reason": "Nhầm"}),
    Route("GET", "/api/documents/{id}/history", "document"),
    Route("GET", "/api/documents/{id}/fields/{name}/crop", "document"),
)
WITH_ID = [r for r in ROUTES if r.names]
CHANGING = [r for r in ROUTES if r.changes]
NEEDS_LOGIN = [r for r in ROUTES if r.path != "/api/login"]
IMAGES = "/images/pages/{id}/{kind}"


def app_routes(app: FastAPI) -> set[tuple[str, str]]:
    """(method, path) of every route the app serves, through included routers."""
    found: set[tuple[str, str]] = set()

    def walk(routes: Any) -> None:
        for route in routes:
            if hasattr(route, "effective_route_contexts"):  # FastAPI's included router
                walk(route.effective_route_contexts())
            elif getattr(route, "methods", None):
                found.update((m, route.path) for m in route.methods if m != "HEAD")

    walk(app.routes)
    return found


# --- a logged-in client per user --------------------------------------------------------------


@dataclass
class Session:
    """A browser logged in as one user: its cookies and the CSRF token to send back."""

    client: TestClient
    username: str
    csrf: str
    cookies: dict[str, str] = field(default_factory=dict)

    def call(self, route: Route, id: int | str = 0, *, body: Any = None, **kwargs: Any) -> Response:
        headers = kwargs.pop("headers", {CSRF_HEADER: self.csrf} if route.changes else {})
        json = body if body is not None else route.body
        return self.client.request(route.method, route.url(id), json=json, headers=headers,
                                   **kwargs)  # fmt: skip

    def get(self, url: str, **kwargs: Any) -> Response:
        return self.client.get(url, **kwargs)

    def send(self, method: str, url: str, json: Any = None, **kwargs: Any) -> Response:
        headers = {CSRF_HEADER: self.csrf, **kwargs.pop("headers", {})}
        return self.client.request(method, url, json=json, headers=headers, **kwargs)


@pytest.fixture
def room(review_room: ReviewRoom) -> ReviewRoom:
    return review_room


@pytest.fixture
def store(room: ReviewRoom) -> Store:
    assert isinstance(room.store, Store)
    return room.store


@pytest.fixture
def app(room: ReviewRoom) -> FastAPI:
    return create_app(room.settings)


@pytest.fixture
def anonymous(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as client:
        yield client


@pytest.fixture
def login(app: FastAPI) -> Iterator[Callable[[str], Session]]:
    clients: list[TestClient] = []

    def log_in(username: str) -> Session:
        client = TestClient(app)
        clients.append(client)
        response = client.post("/api/login", data={"username": username, "password": PASSWORD})
        assert response.status_code == 200, response.text
        cookies = {name: client.cookies[name] for name in (SESSION_COOKIE, CSRF_COOKIE)}
        return Session(client, username, response.json()["csrf_token"], cookies)

    yield log_in
    for client in clients:
        client.close()


@dataclass
class Shared:
    """One review room for the tests that only send refused requests (401, 403, 404, 422):
    made once per module, as rooms cost seconds; each such test checks nothing changed."""

    room: ReviewRoom
    app: FastAPI
    store: Store
    sessions: dict[str, Session]


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Shared]:
    tmp = tmp_path_factory.mktemp("shared")
    with pytest.MonkeyPatch.context() as env:  # as conftest's `settings`, once per module
        env.setenv("STATION_DATA_DIR", str(tmp / "data"))
        env.setenv("STATION_PROFILES_DIR", str(REPO / "profiles"))
        env.delenv("STATION_DATABASE_URL", raising=False)
        env.setenv("STATION_CONFIG", str(tmp / "station.toml"))
        room = make_review_room(load_settings())
    app = create_app(room.settings)
    sessions = {}
    for username in ("op1", "rev1", "rev2", "arch", "secret"):
        client = TestClient(app)
        response = client.post("/api/login", data={"username": username, "password": PASSWORD})
        cookies = {name: client.cookies[name] for name in (SESSION_COOKIE, CSRF_COOKIE)}
        sessions[username] = Session(client, username, response.json()["csrf_token"], cookies)
    assert isinstance(room.store, Store)
    yield Shared(room, app, room.store, sessions)
    for session in sessions.values():
        session.client.close()


def ids_for(room: ReviewRoom, route: Route, folder_id: str) -> int:
    if route.names == "document":
        return document_ids(room, folder_id)[0]
    return room.folders[folder_id] if route.names == "folder" else room.pages[folder_id][0]


def refused(response: Response, status: int, code: str, message: str) -> None:
    """An error answer: the status, the stable code, and a sentence containing `message`."""
    assert response.status_code == status, response.text
    body = response.json()
    assert body["error"] == code, body
    assert re.search(message, body["detail"]), body


def event_count(store: Store, folder_id: str = HS1) -> int:
    return len(store.events_of_folder(folder_id))


# --- the route list itself --------------------------------------------------------------------


def test_every_api_and_image_route_is_in_this_files_route_list(shared: Shared) -> None:
    """A route added to the app without a line in ROUTES (and so without tests) fails here."""
    served = {(m, p) for m, p in app_routes(shared.app) if p.startswith(("/api/", "/images/"))}
    served -= {("GET", "/api/openapi.json"), ("GET", "/api/docs")}
    assert served == {(r.method, r.path) for r in ROUTES}


def test_every_route_is_in_the_openapi_schema(shared: Shared) -> None:
    schema = shared.app.openapi()
    documented = {(m.upper(), p) for p, ops in schema["paths"].items() for m in ops}
    assert documented == {(r.method, r.path) for r in ROUTES}
    assert schema["info"]["title"] == "station review"
    with TestClient(shared.app) as anonymous:
        assert anonymous.get("/api/openapi.json").json() == schema


# --- log-in, sessions, log-out ----------------------------------------------------------------


def test_login_form_sets_both_cookies_and_redirects(anonymous: TestClient) -> None:
    response = anonymous.post(
        "/login", data={"username": "rev2", "password": PASSWORD}, follow_redirects=False
    )
    assert response.status_code == 303 and response.headers["location"] == "/"
    cookies = {c.split("=", 1)[0]: c for c in response.headers.get_list("set-cookie")}
    session, csrf = cookies[SESSION_COOKIE], cookies[CSRF_COOKIE]
    assert "HttpOnly" in session and re.search("SameSite=lax", session, re.I)
    assert "HttpOnly" not in csrf  # page scripts read it
    assert "Path=/" in session and "Max-Age=43200" in session  # session_hours: 12
    me = anonymous.get("/api/me")
    assert me.status_code == 200
    assert me.json() == {
        "username": "rev2",
        "role": "reviewer",
        "clearance": "",
        "csrf_token": anonymous.cookies[CSRF_COOKIE],
    }


def test_cookies_are_secure_when_served_over_https(room: ReviewRoom) -> None:
    settings = room.settings.model_copy(update={"secure_cookies": True})
    with TestClient(create_app(settings), base_url="https://testserver") as client:
        response = client.post("/api/login", data={"username": "rev2", "password": PASSWORD})
    cookies = {c.split("=", 1)[0]: c for c in response.headers.get_list("set-cookie")}
    assert "Secure" in cookies[SESSION_COOKIE] and "Secure" in cookies[CSRF_COOKIE]
    assert re.search("SameSite=strict", cookies[CSRF_COOKIE], re.I)


def test_login_form_sends_operators_to_the_rescan_list_and_keeps_next(
    anonymous: TestClient, app: FastAPI
) -> None:
    response = anonymous.post(
        "/login", data={"username": "op1", "password": PASSWORD}, follow_redirects=False
    )
    assert response.headers["location"] == "/rescan"
    with TestClient(app) as other:
        for target, expected in (("/folders/1", "/folders/1"), ("//evil.example/x", "/"),
                                 ("https://evil.example/", "/")):  # fmt: skip
            response = other.post(
                "/login",
                data={"username": "rev2", "password": PASSWORD, "next": target},
                follow_redirects=False,
            )
            assert response.headers["location"] == expected


@pytest.mark.parametrize(
    ("username", "password"),
    [("rev2", "wrong password!"), ("nobody", PASSWORD), ("REV2", PASSWORD), (" ", "x")],
)
def test_a_wrong_password_or_unknown_user_answers_the_same(
    anonymous: TestClient, username: str, password: str
) -> None:
    form = anonymous.post("/login", data={"username": username, "password": password})
    assert form.status_code == 401 and "Wrong username or password" in form.text
    assert SESSION_COOKIE not in form.cookies
    api = anonymous.post("/api/login", data={"username": username, "password": password})
    refused(api, 401, "not_logged_in", "^Wrong username or password$")
    assert anonymous.get("/api/me").status_code == 401


def test_api_login_answers_in_json_with_the_csrf_token(anonymous: TestClient) -> None:
    response = anonymous.post("/api/login", data={"username": "secret", "password": PASSWORD})
    assert response.status_code == 200
    body = response.json()
    assert body == {
        "username": "secret",
        "role": "reviewer",
        "clearance": "Tối mật",
        "csrf_token": anonymous.cookies[CSRF_COOKIE],
    }
    assert anonymous.cookies[SESSION_COOKIE]


def test_api_login_refuses_a_bad_form(anonymous: TestClient) -> None:
    refused(anonymous.post("/api/login", data={"username": "rev2"}), 422, "invalid_input",
            "password: Field required")  # fmt: skip
    refused(anonymous.post("/api/login", json={"username": "rev2", "password": PASSWORD}), 422,
            "invalid_input", "Field required")  # fmt: skip
    long = {"username": "x" * 201, "password": PASSWORD}
    refused(anonymous.post("/api/login", data=long), 422, "invalid_input", "username: String")


def test_lock_out_after_failed_logins_even_with_the_right_password(
    anonymous: TestClient, room: ReviewRoom, store: Store
) -> None:
    attempts = room.settings.login_attempts
    assert attempts == 5
    for _ in range(attempts - 1):
        response = anonymous.post("/login", data={"username": "rev2", "password": "not it at all"})
        assert response.status_code == 401 and "Wrong username or password" in response.text
    last = anonymous.post("/login", data={"username": "rev2", "password": "not it at all"})
    assert last.status_code == 403 and "locked for 15 minutes" in last.text
    right = anonymous.post(
        "/login", data={"username": "rev2", "password": PASSWORD}, follow_redirects=False
    )
    assert right.status_code == 403 and "locked until" in right.text
    refused(anonymous.post("/api/login", data={"username": "rev2", "password": PASSWORD}),
            403, "not_allowed", "locked until")  # fmt: skip
    assert SESSION_COOKIE not in anonymous.cookies
    # others are not locked out with rev2
    assert anonymous.post("/api/login", data={"username": "rev1", "password": PASSWORD}).is_success
    # once the lock has run out, the right password works again
    with store.session() as s:
        user = s.exec(select(User).where(User.username == "rev2")).one()
        user.locked_until = utcnow() - timedelta(seconds=1)
    assert anonymous.post("/api/login", data={"username": "rev2", "password": PASSWORD}).is_success


def test_a_success_resets_the_count_of_failures(anonymous: TestClient, store: Store) -> None:
    for _ in range(4):
        anonymous.post("/api/login", data={"username": "rev2", "password": "not it at all"})
    assert anonymous.post("/api/login", data={"username": "rev2", "password": PASSWORD}).is_success
    for _ in range(4):
        response = anonymous.post("/api/login", data={"username": "rev2", "password": "nope"})
        assert response.status_code == 401
    user = store.get_user("rev2")
    assert user is not None and user.locked_until is None and user.failed_logins == 4


def test_a_disabled_user_cannot_log_in_and_their_session_stops(
    anonymous: TestClient, login: Callable[[str], Session], store: Store
) -> None:
    rev2 = login("rev2")
    assert rev2.get("/api/me").status_code == 200
    store.set_user_disabled("rev2", True)
    refused(rev2.get("/api/me"), 401, "not_logged_in", "'rev2' is disabled")
    refused(rev2.send("POST", "/api/pages/1/decision", {"decision": "approve"}), 401,
            "not_logged_in", "disabled")  # fmt: skip
    form = anonymous.post("/login", data={"username": "rev2", "password": PASSWORD})
    assert form.status_code == 401 and "Wrong username or password" in form.text
    refused(anonymous.post("/api/login", data={"username": "rev2", "password": PASSWORD}),
            401, "not_logged_in", "^Wrong username or password$")  # fmt: skip
    store.set_user_disabled("rev2", False)
    assert rev2.get("/api/me").status_code == 200


def test_logout_takes_the_csrf_form_field_and_ends_the_session(
    login: Callable[[str], Session], app: FastAPI
) -> None:
    rev2 = login("rev2")
    refused(rev2.client.post("/logout", headers={"accept": "application/json"}), 403,
            "not_allowed", "CSRF")  # fmt: skip
    wrong = rev2.client.post("/logout", data={CSRF_FIELD: "guess"}, follow_redirects=False)
    assert wrong.status_code == 403
    response = rev2.client.post("/logout", data={CSRF_FIELD: rev2.csrf}, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/login"
    deleted = " ".join(response.headers.get_list("set-cookie"))
    assert f'{SESSION_COOKIE}=""' in deleted and f'{CSRF_COOKIE}=""' in deleted
    # the old cookie, kept by someone, opens nothing any more
    with TestClient(app, cookies=rev2.cookies) as stolen:
        refused(stolen.get("/api/me"), 401, "not_logged_in", "session has ended; log in again")


def test_logout_also_takes_the_csrf_header(login: Callable[[str], Session]) -> None:
    rev2 = login("rev2")
    response = rev2.client.post("/logout", headers={CSRF_HEADER: rev2.csrf},
                                follow_redirects=False)  # fmt: skip
    assert response.status_code == 303


def test_an_expired_session_is_refused_and_removed(
    login: Callable[[str], Session], store: Store
) -> None:
    rev2 = login("rev2")
    with store.session() as s:
        for row in s.exec(select(LoginSession)):
            row.expires_at = utcnow() - timedelta(seconds=1)
    refused(rev2.get("/api/me"), 401, "not_logged_in", "session has expired; log in again")
    refused(rev2.get("/api/me"), 401, "not_logged_in", "session has ended")  # it is gone


def test_the_database_keeps_only_a_hash_of_the_session_token(
    login: Callable[[str], Session], store: Store
) -> None:
    rev2 = login("rev2")
    with store.session() as s:
        rows = list(s.exec(select(LoginSession)))
    assert len(rows) == 1
    assert rows[0].token_hash != rev2.cookies[SESSION_COOKIE]
    assert rev2.cookies[SESSION_COOKIE] not in rows[0].token_hash


@pytest.mark.parametrize("route", NEEDS_LOGIN, ids=str)
def test_every_route_needs_a_session(route: Route, shared: Shared) -> None:
    id = ids_for(shared.room, route, HS1) if route.names else 0
    json = {"accept": "application/json"}
    before = event_count(shared.store)
    with TestClient(shared.app) as anonymous:
        response = anonymous.request(route.method, route.url(id), json=route.body, headers=json)
        refused(response, 401, "not_logged_in", "^Log in first$")
    bogus = {SESSION_COOKIE: "not-a-session", CSRF_COOKIE: "x"}
    with TestClient(shared.app, cookies=bogus) as forged:
        response = forged.request(route.method, route.url(id), json=route.body,
                                  headers=json | {CSRF_HEADER: "x"})  # fmt: skip
        refused(response, 401, "not_logged_in", "session has ended")
    assert event_count(shared.store) == before


def test_images_without_a_session_send_people_to_the_login(anonymous: TestClient) -> None:
    response = anonymous.get("/images/pages/1/preview?v=0", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=/images/pages/1/preview%3Fv%3D0"


def test_after_logout_no_route_answers_the_old_cookie(shared: Shared) -> None:
    with TestClient(shared.app) as client:
        client.post("/api/login", data={"username": "arch", "password": PASSWORD})
        cookies = dict(client.cookies)
        csrf = cookies[CSRF_COOKIE]
        assert client.post("/logout", data={CSRF_FIELD: csrf}).status_code == 200  # the form
    before = event_count(shared.store)
    with TestClient(shared.app, cookies=cookies) as old:
        for route in NEEDS_LOGIN:
            id = ids_for(shared.room, route, HS1) if route.names else 0
            response = old.request(
                route.method,
                route.url(id),
                json=route.body,
                headers={CSRF_HEADER: csrf, "accept": "application/json"},
            )
            refused(response, 401, "not_logged_in", "session has ended")  # fmt: skip
    assert event_count(shared.store) == before


# --- CSRF ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("route", CHANGING, ids=str)
def test_every_change_needs_the_csrf_token(route: Route, shared: Shared) -> None:
    arch = shared.sessions["arch"]
    other = shared.sessions["rev2"]  # a real token, but another session's
    id = ids_for(shared.room, route, HS1)
    before = event_count(shared.store)
    message = f"Missing or wrong CSRF token: send the {CSRF_COOKIE} cookie's value in the"
    for headers in ({}, {CSRF_HEADER: ""}, {CSRF_HEADER: "guess"}, {CSRF_HEADER: other.csrf},
                    {CSRF_HEADER: arch.csrf[:-1]}, {CSRF_HEADER: "é".encode()},
                    {CSRF_HEADER: b"\xff\xfe"}):  # fmt: skip
        refused(arch.call(route, id, headers=headers), 403, "not_allowed", message)
    # the header must also match the cookie: a token set as a cookie by someone else fails
    planted = arch.cookies | {CSRF_COOKIE: "planted"}
    with TestClient(shared.app, cookies=planted) as client:
        attack = Session(client, "arch", "planted")
        refused(attack.call(route, id), 403, "not_allowed", message)
        refused(attack.call(route, id, headers={CSRF_HEADER: arch.csrf}), 403, "not_allowed",
                message)  # right token, wrong cookie # fmt: skip
    assert event_count(shared.store) == before


def test_the_csrf_token_may_come_as_a_form_field(
    login: Callable[[str], Session], room: ReviewRoom
) -> None:
    rev2 = login("rev2")
    page_id = room.pages[HS1][0]
    response = rev2.client.post(
        f"/api/pages/{page_id}/turn", data={CSRF_FIELD: rev2.csrf, "degrees": "90"}
    )
    refused(response, 422, "invalid_input", "")  # past the CSRF check: the body is JSON
    response = rev2.client.post(f"/api/folders/{room.folders[HS1]}/approve-unflagged",
                                data={CSRF_FIELD: rev2.csrf})  # fmt: skip
    assert response.status_code == 200 and len(response.json()) == 4


# --- 404: unknown, and above the user's clearance -----------------------------------------------


@pytest.mark.parametrize("route", WITH_ID, ids=str)
def test_an_unknown_id_is_404(route: Route, shared: Shared) -> None:
    arch = shared.sessions["arch"]
    response = arch.call(route, UNKNOWN, headers={CSRF_HEADER: arch.csrf,
                                                  "accept": "application/json"})  # fmt: skip
    refused(response, 404, "not_found", f"^No {route.names} {UNKNOWN}$")


@pytest.mark.parametrize("route", WITH_ID, ids=str)
def test_the_secret_folder_and_its_pages_are_404_like_unknown_ids(
    route: Route, shared: Shared
) -> None:
    """Not cleared for Mật: the folder and its pages answer exactly as ids that do not exist
    (the same status, the same words, the same headers) and nothing changes."""
    before = event_count(shared.store, HS3)
    hidden = ids_for(shared.room, route, HS3)
    noun = route.names

    def same(text: str, number: int) -> str:
        return text.replace(f"No {noun} {number}", f"No {noun} N")

    for username in ("rev2", "arch"):
        user = shared.sessions[username]
        headers = {CSRF_HEADER: user.csrf, "accept": "application/json"}
        secret = user.call(route, hidden, headers=headers)
        unknown = user.call(route, UNKNOWN, headers=headers)
        assert secret.status_code == unknown.status_code
        assert secret.status_code == (404 if user.username == "arch" or
                                      route.minimum != "archivist" else 403)  # fmt: skip
        assert same(secret.text, hidden) == same(unknown.text, UNKNOWN)
        assert secret.headers["content-type"] == unknown.headers["content-type"]
    assert event_count(shared.store, HS3) == before


def test_a_user_cleared_for_mat_sees_the_secret_folder(
    login: Callable[[str], Session], room: ReviewRoom
) -> None:
    secret = login("secret")
    folder = secret.get(f"/api/folders/{room.folders[HS3]}")
    assert folder.status_code == 200 and folder.json()["secrecy"] == "Mật"
    pages = secret.get(f"/api/folders/{room.folders[HS3]}/pages").json()
    assert [p["id"] for p in pages] == room.pages[HS3]
    assert secret.get(f"/images/pages/{room.pages[HS3][0]}/thumbnail").status_code == 200
    queue = secret.get("/api/folders").json()
    assert HS3 in [f["folder_id"] for f in queue["folders"]]


def test_a_page_marked_above_a_users_clearance_disappears_from_everything(
    login: Callable[[str], Session], room: ReviewRoom
) -> None:
    secret, rev2 = login("secret"), login("rev2")
    page_id, number = room.pages[HS1][1], room.folders[HS1]
    assert rev2.send("POST", f"/api/pages/{page_id}/decision", {"decision": "reject",
                     "reason": "other: con dấu mật"}).status_code == 200  # fmt: skip
    marked = secret.send("POST", f"/api/pages/{page_id}/secrecy", {"secrecy": "Tối mật"})
    assert marked.status_code == 200 and marked.json()["secrecy"] == "Tối mật"
    for url in (f"/api/pages/{page_id}", f"/api/pages/{page_id}/text"):
        refused(rev2.get(url), 404, "not_found", f"^No page {page_id}$")
    assert rev2.get(f"/images/pages/{page_id}/preview").status_code == 404
    pages = rev2.get(f"/api/folders/{number}/pages").json()
    assert page_id not in [p["id"] for p in pages] and len(pages) == 5
    history = rev2.get(f"/api/folders/{number}/history").json()
    assert page_id not in [e["page_id"] for e in history]
    assert page_id not in [r["page"]["id"] for r in rev2.get("/api/rescan").json()]
    refused(rev2.send("PUT", f"/api/folders/{number}/order",
                      {"page_ids": list(reversed(room.pages[HS1]))}),
            403, "not_allowed", "holds pages marked above 'rev2'")  # fmt: skip
    # the reviewer who marked it still sees all of it
    assert page_id in [e["page_id"] for e in secret.get(f"/api/folders/{number}/history").json()]
    assert page_id in [r["page"]["id"] for r in secret.get("/api/rescan").json()]


def test_marking_above_ones_clearance_is_refused(
    login: Callable[[str], Session], room: ReviewRoom
) -> None:
    rev2 = login("rev2")
    refused(
        rev2.send("POST", f"/api/pages/{room.pages[HS1][0]}/secrecy", {"secrecy": "Mật"}),
        403,
        "not_allowed",
        "'rev2' may not mark pages 'Mật': it is above their clearance",
    )


# --- 422: ids and bodies --------------------------------------------------------------------


@pytest.mark.parametrize("route", WITH_ID, ids=str)
def test_a_bad_id_is_422(route: Route, shared: Shared) -> None:
    arch = shared.sessions["arch"]
    for id in ("0", "-1", str(2**62 + 1), str(2**64), "abc", "1.5", "1e3"):
        response = arch.call(route, id, headers={CSRF_HEADER: arch.csrf,
                                                 "accept": "application/json"})  # fmt: skip
        refused(response, 422, "invalid_input", "^Invalid request: path.id: ")
        assert response.json()["problems"][0]["loc"] == ["path", "id"]


@pytest.mark.parametrize(
    ("url", "body", "message"),
    [
        ("/api/pages/{page}/decision", {"decision": "maybe"}, "decision: Input should be"),
        ("/api/pages/{page}/decision", {}, "decision: Field required"),
        ("/api/pages/{page}/decision", {"decision": "approve", "extra": 1}, "extra: Extra"),
        ("/api/pages/{page}/decision", {"decision": "reject"}, "needs a reason, one of blurred"),
        ("/api/pages/{page}/decision", {"decision": "reject", "reason": "ugly"}, "needs a reason"),
        (
            "/api/pages/{page}/decision",
            {"decision": "reject", "reason": "x" * 501},
            "reason: String should have at most 500",
        ),
        ("/api/pages/{page}/decision", ["approve"], "Input should be a valid dictionary"),
        ("/api/pages/{page}/decision", None, "Field required"),
        ("/api/pages/{page}/turn", {"degrees": 45}, "degrees: Input should be 90, 180, 270"),
        ("/api/pages/{page}/turn", {"degrees": "90"}, "degrees: Input should be 90"),
        ("/api/pages/{page}/move", {"position": 0}, "position: Input should be greater"),
        ("/api/pages/{page}/move", {"position": 99}, "Position must be from 1 to 6, not 99"),
        ("/api/pages/{page}/move", {"folder": 0}, "folder: Input should be greater"),
        ("/api/pages/{page}/secrecy", {"secrecy": "Top secret"}, "secrecy: Input should be"),
        ("/api/folders/{folder}/order", {"page_ids": [1, 2]}, "each of the folder's 6 pages"),
        ("/api/folders/{folder}/order", {"page_ids": [0]}, "page_ids.0: Input should be"),
        ("/api/folders/{folder}/order", {"page_ids": "1,2"}, "page_ids: Input should be"),
    ],
)
def test_bad_values_are_422_with_the_reason(
    url: str, body: Any, message: str, shared: Shared
) -> None:
    rev2, room, store = shared.sessions["rev2"], shared.room, shared.store
    target = url.format(page=room.pages[HS1][0], folder=room.folders[HS1])
    before = event_count(store)
    method = "PUT" if target.endswith("/order") else "POST"
    response = rev2.send(method, target) if body is None else rev2.send(method, target, body)
    refused(response, 422, "invalid_input", re.escape(message))
    assert event_count(store) == before


def test_a_body_that_is_not_json_is_refused_in_the_error_shape(
    login: Callable[[str], Session], room: ReviewRoom
) -> None:
    rev2 = login("rev2")
    url = f"/api/pages/{room.pages[HS1][0]}/decision"
    headers = {CSRF_HEADER: rev2.csrf, "content-type": "application/json"}
    refused(rev2.client.post(url, content=b"{decision", headers=headers), 422, "invalid_input",
            "JSON decode error")  # fmt: skip
    refused(rev2.client.post(url, content='{"decision": "é"}'.encode("latin-1"), headers=headers),
            400, "bad_request",
            "error parsing the body")  # fmt: skip
    refused(rev2.client.post(url, content=b'{"decision": "approve"}',
                             headers={CSRF_HEADER: rev2.csrf, "content-type": "text/plain"}),
            422, "invalid_input", "valid dictionary")  # fmt: skip
    refused(rev2.get("/api/no-such-thing"), 404, "not_found", "Not Found")
    refused(rev2.client.delete(url), 405, "method_not_allowed", "Method Not Allowed")


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"start_date": "31/02/2019"}, "start_date: not a real date"),
        ({"end_date": "2018"}, "end_date: the folder ends before it starts"),
        ({"title": ""}, "title: "),
        ({"sheet_count": -1}, "sheet_count: Input should be greater than or equal to 0"),
        ({"folder_id": "HS-9"}, "folder_id: Extra inputs are not permitted"),
        ({"secrecy": "Mật"}, "'arch' may not mark a folder 'Mật'"),
    ],
)
def test_metadata_edits_are_checked(body: dict[str, Any], message: str, shared: Shared) -> None:
    arch = shared.sessions["arch"]
    before = event_count(shared.store)
    response = arch.send("PATCH", f"/api/folders/{shared.room.folders[HS1]}", body)
    status, code = (403, "not_allowed") if "may not mark" in message else (422, "invalid_input")
    refused(response, status, code, re.escape(message))
    assert event_count(shared.store) == before


# --- roles and four eyes ----------------------------------------------------------------------


ROLE_REFUSALS = [
    (route, username)
    for route in NEEDS_LOGIN
    for username, role in (("op1", "operator"), ("rev2", "reviewer"))
    if ["operator", "reviewer", "archivist"].index(route.minimum)
    > ["operator", "reviewer", "archivist"].index(role)
]


@pytest.mark.parametrize(("route", "username"), ROLE_REFUSALS, ids=lambda v: str(v))
def test_a_role_too_low_is_403_naming_the_role(route: Route, username: str, shared: Shared) -> None:
    user, store = shared.sessions[username], shared.store
    id = ids_for(shared.room, route, HS1) if route.names else 0
    before = event_count(store)
    refused(user.call(route, id), 403, "not_allowed",
            f"needs the {route.minimum} role; '{username}' is ")  # fmt: skip
    assert event_count(store) == before


def test_an_operator_sees_their_batches_and_the_rescan_list(
    login: Callable[[str], Session], room: ReviewRoom
) -> None:
    op1, rev2 = login("op1"), login("rev2")
    rejected = room.pages[HS1][2]
    rev2.send("POST", f"/api/pages/{rejected}/decision", {"decision": "reject",
              "reason": "blurred"})  # fmt: skip
    rescan = op1.get("/api/rescan").json()
    assert [(r["page"]["id"], r["reason_label"], r["batch"], r["box_no"]) for r in rescan] == [
        (rejected, "Blurred (Mờ)", "batch-op1", "1")
    ]
    activity = op1.get("/api/activity").json()
    assert [b["name"] for b in activity] == ["batch-op1"]
    assert activity[0]["pages"] == {"ok": 8} and activity[0]["operator"] == "op1"
    assert {b["name"] for b in rev2.get("/api/activity").json()} == {"batch-op1", "batch-rev1"}
    assert len(rev2.get("/api/activity?limit=1").json()) == 1
    work = op1.get("/api/work").json()  # the embedded default: no queue, pages per machine
    assert "queue" not in work or work["queue"] is None
    assert work["window_minutes"] == 5 and isinstance(work["pages_per_minute"], dict)
    refused(rev2.get("/api/activity?limit=0"), 422, "invalid_input", "limit")
    # images: their own pages and the pages waiting for a rescan, nothing else
    assert op1.get(f"/images/pages/{room.pages[HS1][0]}/thumbnail").status_code == 200
    assert op1.get(f"/images/pages/{rejected}/preview").status_code == 200
    assert op1.get(f"/images/pages/{room.pages[HS2][0]}/thumbnail").status_code == 404


def test_four_eyes_over_the_api(login: Callable[[str], Session], room: ReviewRoom) -> None:
    rev1, rev2 = login("rev1"), login("rev2")
    own = room.pages[HS2][0]
    for url, body in ((f"/api/pages/{own}/decision", {"decision": "approve"}),
                      (f"/api/pages/{own}/turn", {"degrees": 90}),
                      (f"/api/pages/{own}/move", {"position": 2})):  # fmt: skip
        refused(rev1.send("POST", url, body), 403, "not_allowed",
                f"'rev1' fed batch {room.batches['rev1']} to the scanner; another person "
                "must review its pages \\(four eyes\\)")  # fmt: skip
    refused(rev1.send("POST", f"/api/folders/{room.folders[HS2]}/approve-unflagged"), 403,
            "not_allowed", "four eyes")  # fmt: skip
    response = rev2.send("POST", f"/api/pages/{own}/decision", {"decision": "approve"})
    assert response.status_code == 200 and response.json()["decided_by"] == "rev2"


# --- 409 ----------------------------------------------------------------------------------------


def test_conflicts_are_409_with_what_to_do(
    login: Callable[[str], Session], room: ReviewRoom
) -> None:
    arch, rev2 = login("arch"), login("rev2")
    number = room.folders[HS1]
    refused(arch.send("POST", f"/api/folders/{number}/approve"), 409, "conflict",
            f"Folder {HS1} has 6 undecided page\\(s\\), the first at position 1")  # fmt: skip
    refused(arch.send("POST", f"/api/folders/{number}/reopen"), 409, "conflict",
            f"Folder {HS1} is not approved")  # fmt: skip
    refused(arch.send("POST", f"/api/folders/{room.folders[HS4]}/approve"), 409, "conflict",
            "no scanned pages")  # fmt: skip
    refused(rev2.send("POST", f"/api/pages/{room.pages[HS1][0]}/undo-separator"), 409,
            "conflict", "is not a separator sheet")  # fmt: skip
    for page_id in room.pages[HS1]:
        assert rev2.send("POST", f"/api/pages/{page_id}/decision",
                         {"decision": "approve"}).status_code == 200  # fmt: skip
    assert arch.send("POST", f"/api/folders/{number}/approve").status_code == 200
    closed = f"Folder {HS1} is approved; an archivist must reopen it first"
    for url, body in ((f"/api/pages/{room.pages[HS1][0]}/decision", {"decision": "reject",
                       "reason": "blurred"}),
                      (f"/api/pages/{room.pages[HS1][0]}/turn", {"degrees": 90}),
                      (f"/api/folders/{number}/approve", None)):  # fmt: skip
        refused(rev2.send("POST", url, body) if "approve" not in url
                else arch.send("POST", url), 409, "conflict", closed)  # fmt: skip
    refused(rev2.send("PUT", f"/api/folders/{number}/order",
                      {"page_ids": room.pages[HS1]}), 409, "conflict", closed)  # fmt: skip


def test_a_failed_page_cannot_be_approved_over_the_api(
    login: Callable[[str], Session], room: ReviewRoom, store: Store
) -> None:
    page_id = room.pages[HS1][0]
    store.update_page(page_id, state="failed", error="tesseract crashed")
    rev2 = login("rev2")
    refused(
        rev2.send("POST", f"/api/pages/{page_id}/decision", {"decision": "approve"}),
        409,
        "conflict",
        "failed processing and cannot be approved: reject it for a rescan",
    )
    page = rev2.get(f"/api/pages/{page_id}").json()
    assert page["state"] == "failed" and "failed" in page["flags"]
    assert page["error"] == "tesseract crashed"


# --- each route doing its work ------------------------------------------------------------------


def test_folders_list_is_the_queue(login: Callable[[str], Session], room: ReviewRoom) -> None:
    rev2 = login("rev2")
    queue = rev2.get("/api/folders").json()
    assert queue["total"] == 2 and (queue["limit"], queue["offset"]) == (100, 0)
    assert [f["folder_id"] for f in queue["folders"]] == [HS1, HS2]  # not Mật, not empty
    first = queue["folders"][0]
    assert first["id"] == room.folders[HS1] and first["review_state"] == "to_review"
    assert first["counts"]["undecided"] == 6 and first["flags"] == ["blurred", "possible_blank"]
    assert first["retention"] == "Vĩnh viễn" and first["start_date"] == "2019-01-01"

    def ids(query: str) -> list[str]:
        body = rev2.get(f"/api/folders?{query}").json()
        return [f["folder_id"] for f in body["folders"]]

    assert ids("state=empty") == [HS4]
    assert ids("flag=blurred") == [HS1]
    assert ids("box=1") == [HS1, HS2] and ids("box=2") == []
    assert ids("profile=text-gray-300") == [HS1, HS2] and ids("profile=other") == []
    assert ids("limit=1") == [HS1] and ids("limit=1&offset=1") == [HS2]
    assert rev2.get("/api/folders?limit=1").json()["total"] == 2
    for bad in ("state=done", "limit=0", "limit=1001", "offset=-1", "flag=" + "x" * 201):
        refused(rev2.get(f"/api/folders?{bad}"), 422, "invalid_input", "^Invalid request: query")


def test_get_folder_pages_and_history(login: Callable[[str], Session], room: ReviewRoom) -> None:
    rev2 = login("rev2")
    number = room.folders[HS1]
    folder = rev2.get(f"/api/folders/{number}").json()
    assert folder["folder_id"] == HS1 and folder["box_no"] == "1" and folder["sheet_count"] == 6
    assert folder["approved_by"] is None and folder["page_flags"] == {
        "blurred": 1, "possible_blank": 1,
    }  # fmt: skip
    pages = rev2.get(f"/api/folders/{number}/pages").json()
    assert [p["id"] for p in pages] == room.pages[HS1]
    assert [p["position"] for p in pages] == [1, 2, 3, 4, 5, 6]
    third = pages[2]
    assert third["flags"] == ["blurred"] and third["decision"] is None
    assert third["folder"] == number and third["folder_id"] == HS1
    assert third["thumbnail_url"] == f"/images/pages/{third['id']}/thumbnail?v=0"
    history = rev2.get(f"/api/folders/{number}/history").json()
    assert [(e["stage"], e["detail"]["action"]) for e in history] == [("manifest", "added")]
    rev2.send("POST", f"/api/pages/{third['id']}/decision", {"decision": "blank"})
    last = rev2.get(f"/api/folders/{number}/history").json()[-1]
    assert (last["who"], last["page_id"], last["stage"]) == ("rev2", third["id"], "review")
    assert last["detail"]["after"] == {"decision": "blank", "reason": None}


def test_page_and_its_text(login: Callable[[str], Session], room: ReviewRoom) -> None:
    rev2 = login("rev2")
    page_id = room.pages[HS1][3]
    page = rev2.get(f"/api/pages/{page_id}").json()
    assert (page["id"], page["position"], page["source_file"]) == (
        page_id, 4, "05_01_HS-001_004.tif",
    )  # fmt: skip
    assert (page["dpi"], page["width_px"], page["height_px"], page["turn"]) == (
        150.0, 1240, 1754, 0,
    )  # fmt: skip
    text = rev2.get(f"/api/pages/{page_id}/text").json()
    assert text["page_id"] == page_id and text["low_confidence_below"] == 60.0
    assert [(w["text"], w["low"]) for w in text["lines"][0]] == [
        ("Công", False), ("văn", False), ("sô", True), ("4", False),
    ]  # fmt: skip


def test_decisions_over_the_api(login: Callable[[str], Session], room: ReviewRoom) -> None:
    rev2 = login("rev2")
    page_id = room.pages[HS1][0]
    url = f"/api/pages/{page_id}/decision"
    approved = rev2.send("POST", url, {"decision": "approve"}).json()
    assert approved["decision"] == "approve" and approved["decided_by"] == "rev2"
    rejected = rev2.send("POST", url, {"decision": "reject", "reason": "other: rách"}).json()
    assert (rejected["decision"], rejected["reason"]) == ("reject", "other: rách")
    blank = rev2.send("POST", url, {"decision": "blank"}).json()
    assert (blank["decision"], blank["reason"]) == ("blank", None)
    undone = rev2.send("POST", url, {"decision": "undecided"}).json()
    assert undone["decision"] is None and undone["decided_by"] is None
    assert rev2.get(f"/api/folders/{room.folders[HS1]}").json()["counts"]["undecided"] == 6


def test_turn_move_secrecy_and_order(login: Callable[[str], Session], room: ReviewRoom) -> None:
    rev2, secret = login("rev2"), login("secret")
    ids, number = room.pages[HS1], room.folders[HS1]
    turned = rev2.send("POST", f"/api/pages/{ids[0]}/turn", {"degrees": -90}).json()
    assert turned["turn"] == 270 and turned["thumbnail_url"].endswith("?v=270")
    moved = rev2.send("POST", f"/api/pages/{ids[5]}/move", {"position": 1}).json()
    assert moved["position"] == 1 and moved["folder_id"] == HS1
    assert [p["id"] for p in rev2.get(f"/api/folders/{number}/pages").json()] == [
        ids[5], *ids[:5],
    ]  # fmt: skip
    elsewhere = rev2.send("POST", f"/api/pages/{ids[5]}/move",
                          {"folder": room.folders[HS4]}).json()  # fmt: skip
    assert (elsewhere["folder_id"], elsewhere["folder"], elsewhere["position"]) == (
        HS4, room.folders[HS4], 1,
    )  # fmt: skip
    assert rev2.get(f"/api/folders/{room.folders[HS4]}").json()["review_state"] == "to_review"
    refused(rev2.send("POST", f"/api/pages/{ids[0]}/move", {"folder": room.folders[HS3]}),
            404, "not_found", f"^No folder {room.folders[HS3]}$")  # fmt: skip
    new = list(reversed(ids[:5]))
    ordered = rev2.send("PUT", f"/api/folders/{number}/order", {"page_ids": new}).json()
    assert [p["id"] for p in ordered] == new and [p["position"] for p in ordered] == [1, 2, 3, 4, 5]
    marked = secret.send("POST", f"/api/pages/{ids[0]}/secrecy", {"secrecy": "Mật"}).json()
    assert marked["secrecy"] == "Mật"
    cleared = secret.send("POST", f"/api/pages/{ids[0]}/secrecy", {"secrecy": ""}).json()
    assert cleared["secrecy"] == ""


def test_approve_reopen_and_edit_a_folder(
    login: Callable[[str], Session], room: ReviewRoom
) -> None:
    arch, rev2 = login("arch"), login("rev2")
    number = room.folders[HS1]
    unflagged = rev2.send("POST", f"/api/folders/{number}/approve-unflagged").json()
    assert len(unflagged) == 4 and {p["decision"] for p in unflagged} == {"approve"}
    for page_id in (room.pages[HS1][2], room.pages[HS1][4]):
        rev2.send("POST", f"/api/pages/{page_id}/decision", {"decision": "approve"})
    approved = arch.send("POST", f"/api/folders/{number}/approve").json()
    assert approved["review_state"] == "approved" and approved["approved_by"] == "arch"
    assert approved["approved_at"] is not None
    reopened = arch.send("POST", f"/api/folders/{number}/reopen").json()
    assert reopened["review_state"] == "ready" and reopened["approved_by"] is None
    edited = arch.send("PATCH", f"/api/folders/{number}",
                       {"title": "Công văn (sửa)", "retention": "10 năm",
                        "start_date": "02/2019"}).json()  # fmt: skip
    assert edited["title"] == "Công văn (sửa)" and edited["retention"] == "10 năm"
    assert edited["start_date"] == "2019-02-01"
    permanent = arch.send("PATCH", f"/api/folders/{number}", {"retention": None}).json()
    assert permanent["retention"] == "Vĩnh viễn"
    history = arch.get(f"/api/folders/{number}/history").json()
    edits = [e for e in history if e["detail"].get("action") == "edit_metadata"]
    assert edits[0]["who"] == "arch" and edits[0]["detail"]["after"]["retention_years"] == 10
    assert edits[1]["detail"] == {"action": "edit_metadata", "before": {"retention_years": 10},
                                  "after": {"retention_years": None}}  # fmt: skip


def test_boxes_show_progress_of_the_folders_one_may_see(shared: Shared) -> None:
    box1 = {"fonds_code": "05", "box_no": "1", "folders": 2, "states": {"to_review": 2}}
    assert shared.sessions["rev2"].get("/api/boxes").json() == [
        box1, {"fonds_code": "05", "box_no": "2", "folders": 1, "states": {"empty": 1}},
    ]  # fmt: skip
    assert shared.sessions["secret"].get("/api/boxes").json() == [
        box1,
        {"fonds_code": "05", "box_no": "2", "folders": 2, "states": {"to_review": 1, "empty": 1}},
    ]


def test_undo_separator_runs_the_sheet_again_as_a_page(
    login: Callable[[str], Session], room: ReviewRoom, store: Store
) -> None:
    sheet = room.pages[HS1][0]
    store.update_page(sheet, separator=HS1)
    store.refresh_review(HS1)
    rev2 = login("rev2")
    refused(rev2.send("POST", f"/api/pages/{sheet}/decision", {"decision": "approve"}), 409,
            "conflict", "separator sheet")  # fmt: skip
    redone = rev2.send("POST", f"/api/pages/{sheet}/undo-separator")
    assert redone.status_code == 200, redone.text
    page = redone.json()
    assert page["separator"] is False and "separator_undone" in page["flags"]
    assert page["state"] == "ok" and page["decision"] is None
    assert rev2.get(f"/api/folders/{room.folders[HS1]}").json()["counts"]["separator"] == 0


# --- images ---------------------------------------------------------------------------------------


def jpeg_size(response: Response) -> tuple[int, int]:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "image/jpeg"
    with Image.open(io.BytesIO(response.content)) as image:
        assert image.format == "JPEG"
        return image.size


@pytest.mark.parametrize(
    ("kind", "size"),
    [("thumbnail", (160, 226)), ("preview", (620, 877)), ("original", (1240, 1754))],
)
def test_images_are_jpeg(
    kind: str, size: tuple[int, int], login: Callable[[str], Session], room: ReviewRoom
) -> None:
    response = login("rev2").get(f"/images/pages/{room.pages[HS1][0]}/{kind}")
    assert jpeg_size(response) == size
    assert response.headers["cache-control"] == "private, max-age=3600"


@pytest.mark.parametrize("kind", ["thumbnail", "preview"])
def test_a_turned_page_comes_turned(
    kind: str, login: Callable[[str], Session], room: ReviewRoom
) -> None:
    rev2 = login("rev2")
    page_id = room.pages[HS1][0]
    width, height = jpeg_size(rev2.get(f"/images/pages/{page_id}/{kind}"))
    assert height > width
    rev2.send("POST", f"/api/pages/{page_id}/turn", {"degrees": 90})
    assert jpeg_size(rev2.get(f"/images/pages/{page_id}/{kind}?v=90")) == (height, width)
    rev2.send("POST", f"/api/pages/{page_id}/turn", {"degrees": 90})
    assert jpeg_size(rev2.get(f"/images/pages/{page_id}/{kind}?v=180")) == (width, height)


@pytest.mark.parametrize(
    "path",
    ["/etc/passwd", "../../../../etc/passwd", "{data}/../station.toml", "{data}/nothing.jpg"],
)
def test_an_image_path_outside_the_data_dir_is_404_never_the_file(
    path: str, login: Callable[[str], Session], room: ReviewRoom, store: Store
) -> None:
    page_id = room.pages[HS1][0]
    outside = room.settings.data_dir.parent / "station.toml"
    outside.write_text("secret = 1\n", encoding="utf-8")
    target = path.format(data=room.settings.data_dir)
    store.update_page(page_id, derivatives={"thumbnail": target, "preview": target})
    store.update_page(room.pages[HS1][1], master_path=target)
    rev2 = login("rev2")
    for url in (f"/images/pages/{page_id}/thumbnail", f"/images/pages/{page_id}/preview",
                f"/images/pages/{room.pages[HS1][1]}/original"):  # fmt: skip
        response = rev2.get(url, headers={"accept": "application/json"})
        refused(response, 404, "not_found", "is not in the data directory")
        assert b"root:" not in response.content and b"secret = 1" not in response.content


def test_a_symlink_out_of_the_data_dir_is_404(
    login: Callable[[str], Session], room: ReviewRoom, store: Store
) -> None:
    page_id = room.pages[HS1][0]
    link = room.settings.data_dir / "derivatives" / "evil.jpg"
    link.symlink_to("/etc/passwd")
    store.update_page(page_id, derivatives={"thumbnail": str(link)})
    response = login("rev2").get(f"/images/pages/{page_id}/thumbnail")
    assert response.status_code == 404 and b"root:" not in response.content


def test_a_page_without_images_is_404(
    login: Callable[[str], Session], room: ReviewRoom, store: Store
) -> None:
    page_id = room.pages[HS1][0]
    store.update_page(page_id, derivatives={})
    response = login("rev2").get(f"/images/pages/{page_id}/preview",
                                 headers={"accept": "application/json"})  # fmt: skip
    refused(response, 404, "not_found", f"Page {page_id} has no preview image")


@pytest.mark.parametrize(
    "url",
    [
        "/images/pages/1/..%2F..%2F..%2Fetc%2Fpasswd",
        "/images/pages/..%2F..%2Fetc/passwd",
        "/images/pages/1/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
        "/images/pages/1/thumbnail/../../../../etc/passwd",
        "/images/pages/1/preview%00.jpg",
        "/images/pages/1/master",
        "/images/pages/1",
    ],
)
def test_dots_in_an_image_url_reach_no_file(url: str, shared: Shared) -> None:
    response = shared.sessions["rev2"].get(url, headers={"accept": "application/json"})
    assert response.status_code in (404, 422), response.text
    assert b"root:" not in response.content


# --- documents (văn bản) ----------------------------------------------------------------------


def document_ids(room: ReviewRoom, folder_id: str) -> list[int]:
    """The folder's documents (a document per two pages, read with confidence, the summary
    with a box on the first page), made the first time a test asks for them."""
    assert isinstance(room.store, Store)
    found = [d.id for d in room.store.documents_of_folder(folder_id) if d.id is not None]
    if found:
        return found
    pages = room.pages[folder_id]
    sure = {"confidence": 1.0, "box": None, "page_id": None, "source": "ocr"}
    summary = {"value": "Về việc tổ chức hội nghị", "confidence": 0.97, "box": [100, 100, 500, 140]}
    made = room.store.replace_documents(
        folder_id,
        [
            NewDocument(
                sequence=n + 1,
                page_ids=pages[2 * n : 2 * n + 2],
                fields={name: {"value": None, **sure} for name in FIELDS}
                | {"summary": sure | summary | {"page_id": pages[2 * n]}},
            )
            for n in range((len(pages) + 1) // 2)
        ],
        [],
    )
    return [d.id for d in made if d.id is not None]


def test_documents_over_the_api(login: Callable[[str], Session], room: ReviewRoom) -> None:
    """The folder's documents, a correction, a confirmation and the document's history; the
    generic refusals (401, 403, 404, 422, CSRF) are the parametrized tests above."""
    first, second, third = document_ids(room, HS1)
    rev2 = login("rev2")
    listed = rev2.get(f"/api/folders/{room.folders[HS1]}/documents").json()
    assert [d["sequence"] for d in listed] == [1, 2, 3]
    assert [p["page_id"] for p in listed[0]["pages"]] == room.pages[HS1][:2]
    assert listed[0]["archival_code"] == f"{HS1}.1"
    assert listed[0]["fields"]["summary"]["label"] == "Trích yếu nội dung"
    assert listed[0]["fields"]["summary"]["crop_url"].startswith(
        f"/api/documents/{first}/fields/summary/crop?v="
    )
    assert listed[0]["needs_confirmation"] == []
    edited = rev2.send("PATCH", f"/api/documents/{first}", {"issued_date": "05/03/2019"})
    assert edited.status_code == 200, edited.text
    assert edited.json()["issued_date"] == "2019-03-05"
    assert edited.json()["fields"]["issued_date"]["source"] == "reviewer"
    refused(rev2.send("PATCH", f"/api/documents/{first}", {"issued_date": "31/02/2019"}),
            422, "invalid_input", "^issued_date: not a real date")  # fmt: skip
    confirmed = rev2.send("POST", f"/api/documents/{second}/confirm")
    assert confirmed.json()["state"] == "confirmed" and confirmed.json()["confirmed_by"] == "rev2"
    crop = rev2.get(listed[0]["fields"]["summary"]["crop_url"])
    assert crop.status_code == 200 and crop.headers["content-type"] == "image/jpeg"
    assert Image.open(io.BytesIO(crop.content)).size[0] > 100
    history = rev2.get(f"/api/documents/{first}/history").json()
    assert [e["detail"]["action"] for e in history] == ["edit_document"]  # not "viewed":
    assert isinstance(room.store, Store)
    viewed = [e for e in room.store.audit_events(AuditFilter(user="rev2"), limit=50)
              if e.stage == VIEWED and e.document_id == first]  # fmt: skip
    assert len(viewed) == 1  # opening the document is the audit's, once in ten minutes
    assert history[0]["document_id"] == first and history[0]["who"] == "rev2"
    folder_history = rev2.get(f"/api/folders/{room.folders[HS1]}/history").json()
    assert {e["document_id"] for e in folder_history} >= {first, second}
    assert third in [d["id"] for d in rev2.get(
        f"/api/folders/{room.folders[HS1]}/documents").json()]  # fmt: skip
