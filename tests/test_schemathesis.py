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

from dataclasses import dataclass
from typing import Any

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error

from conftest import PASSWORD, ReviewRoom
from qa import api, images
from qa.app import create_app
from qa.security import CSRF_COOKIE, CSRF_HEADER, SESSION_COOKIE

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
    ids: list[int]  # folder and page ids that exist, for half the examples


@pytest.fixture
def fuzzing(review_room: ReviewRoom) -> Fuzzing:
    """The app's schema loaded over ASGI, and the archivist's session cookie and CSRF header."""
    app = create_app(review_room.settings)
    with TestClient(app) as client:
        response = client.post("/api/login", data={"username": "arch", "password": PASSWORD})
        assert response.status_code == 200, response.text
        cookies = {name: client.cookies[name] for name in (SESSION_COOKIE, CSRF_COOKIE)}
    schema = schemathesis.openapi.from_asgi("/api/openapi.json", app)
    ids = sorted({*review_room.folders.values(), *(i for p in review_room.pages.values() for i in p)})
    return Fuzzing(schema, cookies, {CSRF_HEADER: response.json()["csrf_token"]}, ids)


def test_schema_lists_every_operation(fuzzing: Fuzzing) -> None:
    found = sorted(
        (operation.ok().method.upper(), operation.ok().path)
        for operation in fuzzing.schema.get_all_operations()
    )
    assert found == OPERATIONS


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
            r = case.call_and_validate(checks=[not_a_server_error]); print("STATUS", method, case.formatted_path, case.query, r.status_code, r.content[-200:])

        try:
            call()
        except Unsatisfiable:  # nothing to break: a call that takes no values, or only `id`
            pass
