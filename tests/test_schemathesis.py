"""Property-based tests of the JSON API against its own OpenAPI schema (schemathesis).

Every operation of `/api/openapi.json` is called in-process (ASGI) with generated values,
valid and invalid, as the archivist `arch` (session cookie and CSRF header on every call):
whatever it sends, the app must answer without a server error (5xx). Examples are few and
derandomized, so the run is short and the same on every machine.

(`schema.parametrize()` with `schemathesis.pytest.from_fixture` would be the usual way, but
it does not run under pytest 9; each operation's Hypothesis strategy is used directly
instead, which also lets half the examples name folders and pages that exist.)
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import Any

import pytest
import schemathesis
from conftest import PASSWORD, REPO, make_review_room
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error

from qa import api, images
from qa.app import create_app
from qa.security import CSRF_COOKIE, CSRF_HEADER, SESSION_COOKIE
from station.settings import load_settings

MAX_EXAMPLES = 30

# Every operation the schema should hold, from the routers themselves: a route added later is
# fuzzed without anyone editing this file (and test_schema_lists_every_operation notices one
# that does not reach the schema).
OPERATIONS = sorted(
    (method, route.path)
    for router in (api.router, images.router)
    for route in router.routes
    if getattr(route, "include_in_schema", False)
    for method in sorted(getattr(route, "methods", ()))
)


@dataclass
class Fuzzing:
    schema: Any
    cookies: dict[str, str]
    headers: dict[str, str]
    ids: list[int]  # folder and page ids that exist, for the examples that name real ones


@pytest.fixture(scope="module")
def fuzzing(tmp_path_factory: pytest.TempPathFactory) -> Fuzzing:
    """One review room for the whole module (each operation fuzzes the state the ones before
    left), the app's schema loaded over ASGI, and the archivist's cookies and CSRF header."""
    tmp = tmp_path_factory.mktemp("fuzzing")
    with pytest.MonkeyPatch.context() as env:  # as conftest's `settings`, once per module
        env.setenv("STATION_DATA_DIR", str(tmp / "data"))
        env.setenv("STATION_PROFILES_DIR", str(REPO / "profiles"))
        env.delenv("STATION_DATABASE_URL", raising=False)
        env.setenv("STATION_CONFIG", str(tmp / "station.toml"))
        room = make_review_room(load_settings())
    app = create_app(room.settings)
    with TestClient(app) as client:
        response = client.post("/api/login", data={"username": "arch", "password": PASSWORD})
        assert response.status_code == 200, response.text
        cookies = {name: client.cookies[name] for name in (SESSION_COOKIE, CSRF_COOKIE)}
    schema = schemathesis.openapi.from_asgi("/api/openapi.json", app)
    ids = sorted({*room.folders.values(), *(i for pages in room.pages.values() for i in pages)})
    return Fuzzing(schema, cookies, {CSRF_HEADER: response.json()["csrf_token"]}, ids)


def test_schema_lists_every_operation(fuzzing: Fuzzing) -> None:
    found = sorted(
        (operation.ok().method.upper(), operation.ok().path)
        for operation in fuzzing.schema.get_all_operations()
    )
    assert found == OPERATIONS


def test_the_fuzzer_is_logged_in_and_gets_past_csrf(fuzzing: Fuzzing) -> None:
    """Else every generated call would stop at 401/403 and the fuzzing would prove nothing."""
    auth = {"headers": fuzzing.headers, "cookies": fuzzing.cookies}
    me = fuzzing.schema["/api/me"]["GET"].Case(**auth).call()
    assert me.status_code == 200 and me.json()["username"] == "arch"
    turn = fuzzing.schema["/api/pages/{id}/turn"]["POST"].Case(
        path_parameters={"id": 1}, body={"degrees": 180}, media_type="application/json", **auth
    )
    assert turn.call().status_code == 200


@pytest.mark.parametrize(("method", "path"), OPERATIONS, ids=[f"{m} {p}" for m, p in OPERATIONS])
def test_no_server_error(fuzzing: Fuzzing, method: str, path: str) -> None:
    """No value the schema allows, nor one it refuses, makes the app answer 5xx."""
    operation = fuzzing.schema[path][method]
    auth = {"headers": fuzzing.headers, "cookies": fuzzing.cookies}
    strategies = [operation.as_strategy(mode, **auth) for mode in GenerationMode]
    if "{id}" in path:  # the same again, about folders and pages that exist
        strategies += [
            st.sampled_from(fuzzing.ids).flatmap(
                lambda id, mode=mode: operation.as_strategy(
                    mode, path_parameters={"id": id}, **auth
                )
            )
            for mode in GenerationMode
        ]
    for strategy in strategies:  # (one_of them all would draw far fewer examples)

        @settings(
            max_examples=MAX_EXAMPLES,
            derandomize=True,
            database=None,
            deadline=None,
            suppress_health_check=list(HealthCheck),
        )
        @given(case=strategy)
        def call(case: Any) -> None:
            case.call_and_validate(checks=[not_a_server_error])

        with contextlib.suppress(Unsatisfiable):  # nothing to break: no values, or only `id`
            call()
