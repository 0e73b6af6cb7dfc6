"""`station` starts the workers' forkserver before its own imports only when a local pool of
several workers will use it."""

from __future__ import annotations

import os

import pytest

from station import launch


@pytest.mark.parametrize(
    ("argv", "env", "expected"),
    [
        (["station", "process", "in", "--out", "out"], {}, True),
        (["station", "process", "in", "--out", "out", "--jobs", "2"], {}, True),
        (["station", "process", "in", "--out", "out", "--jobs", "1"], {}, False),
        (["station", "process", "in", "--out", "out", "--jobs=1"], {}, False),
        (["station", "process", "--help"], {}, False),
        (["station", "review"], {}, False),
        (["station"], {}, False),
        (["station", "process", "in"], {"STATION_WORKERS": "1"}, False),
        (["station", "process", "in"], {"STATION_DATABASE_URL": "postgresql+psycopg://x"}, False),
        (
            ["station", "process", "in"],
            {"STATION_DATABASE_URL": "postgresql+psycopg://x", "STATION_WORK": "local"},
            True,
        ),
        (["station", "process", "in"], {"STATION_WORK": "queue"}, False),
    ],
)
def test_early_forkserver_only_for_a_local_pool(
    argv: list[str], env: dict[str, str], expected: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("STATION_WORKERS", "STATION_DATABASE_URL", "STATION_WORK"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    if (os.cpu_count() or 1) < 2:
        expected = False
    assert launch._runs_a_local_pool(argv) is expected
