"""A set-up installs exactly what uv.lock says (issue 16): what CI tested is what a fresh
machine gets next month. scripts/setup runs `uv sync --locked`, which also refuses a lock
that no longer matches pyproject.toml."""

from __future__ import annotations

import re
import tomllib
from importlib import metadata
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def _name(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def test_every_installed_package_is_the_locked_version() -> None:
    lock = tomllib.loads((REPO / "uv.lock").read_text(encoding="utf-8"))
    locked: dict[str, set[str]] = {}  # a universal lock: some packages differ by Python version
    for package in lock["package"]:
        locked.setdefault(_name(package["name"]), set()).add(package.get("version", ""))
    installed = {_name(d.metadata["Name"]): d.version for d in metadata.distributions()}
    assert "pikepdf" in installed and "station" in installed
    differ = {n: (v, locked.get(n)) for n, v in installed.items() if v not in locked.get(n, ())}
    assert differ == {}, "installed (version, locked versions) differ from uv.lock"


def test_the_lock_covers_every_dependency_pyproject_names() -> None:
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    names = [*project["dependencies"], *project["optional-dependencies"]["test"]]
    wanted = {_name(re.split(r"[\[<>=!~; ]", n, maxsplit=1)[0]) for n in names}
    lock = tomllib.loads((REPO / "uv.lock").read_text(encoding="utf-8"))
    locked = {_name(p["name"]) for p in lock["package"]}
    assert wanted - locked == set()
