"""Users, roles and clearance from the command line; passwords hashed with Argon2."""

from __future__ import annotations

import json
from typing import Any

import pytest
from typer.testing import CliRunner

from station import auth
from station.cli import app
from station.errors import BadArgumentError, ExitCode
from station.settings import StationSettings
from station.store import Store


def _invoke(*args: str, stdin: str | None = None) -> Any:
    return CliRunner().invoke(app, list(args), input=stdin, catch_exceptions=False)


def test_add_list_disable(settings: StationSettings) -> None:
    added = _invoke(
        "users", "add", "lan", "--role", "reviewer", "--clearance", "mật", "--password-stdin",
        stdin="một mật khẩu dài\n",
    )  # fmt: skip
    assert added.exit_code == 0, added.output
    assert "clearance Mật" in added.stdout
    listed = json.loads(_invoke("users", "list", "--json").stdout)
    assert [(u["username"], u["role"], u["clearance"], u["disabled"]) for u in listed] == [
        ("lan", "reviewer", "Mật", False)
    ]
    assert "password" not in json.dumps(listed), "no hash leaves the database"
    user = Store.open(settings.database_url).get_user("lan")
    assert user is not None and user.password_hash.startswith("$argon2id$")
    assert auth.verify_password(user.password_hash, "một mật khẩu dài")
    assert not auth.verify_password(user.password_hash, "một mật khẩu sai")
    assert _invoke("users", "disable", "lan").exit_code == 0
    listed = json.loads(_invoke("users", "list", "--json").stdout)
    assert listed[0]["disabled"] is True


@pytest.mark.parametrize(
    ("args", "stdin", "message"),
    [
        (("--role", "boss"), "a long enough password\n", "Unknown role 'boss'"),
        (("--role", "admin", "--clearance", "secret"), "a long enough password\n", "clearance"),
        (("--role", "admin"), "short\n", "too short"),
    ],
)
def test_bad_input_is_refused_with_a_reason(
    settings: StationSettings, args: tuple[str, ...], stdin: str, message: str
) -> None:
    result = _invoke("users", "add", "minh", *args, "--password-stdin", stdin=stdin)
    assert result.exit_code == ExitCode.BAD_ARGS
    assert message in result.stderr
    assert Store.open(settings.database_url).get_user("minh") is None


def test_a_name_is_taken_once(settings: StationSettings) -> None:
    for expected in (0, ExitCode.BAD_ARGS):
        result = _invoke(
            "users", "add", "hoa", "--role", "operator", "--password-stdin",
            stdin="a long enough password\n",
        )  # fmt: skip
        assert result.exit_code == expected
    assert "already exists" in result.stderr
    unknown = _invoke("users", "disable", "nobody")
    assert unknown.exit_code == ExitCode.BAD_ARGS


def test_clearance_order() -> None:
    assert auth.may_see("Tối mật", "Mật") and auth.may_see("Tối mật", "")
    assert not auth.may_see("Mật", "Tối mật") and not auth.may_see("", "Mật")
    assert auth.may_see("Tuyệt mật", "Tuyệt mật")
    with pytest.raises(BadArgumentError):
        auth.may_see("", "Bí mật")
