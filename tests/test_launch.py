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


def test_a_page_worker_starts_with_the_pipeline_loaded_and_without_the_store() -> None:
    """A worker forked from the forkserver has the pipeline and a loaded engine, and starts
    without importing the runner, the store or SQLAlchemy: they cost 0.3 s per worker
    before its first page, and memory, for nothing."""
    from station.room.runner import PagePool

    probe = (
        "sorted(m for m in ('sqlalchemy', 'sqlmodel', 'station.store', 'station.room.runner',"
        " 'station.pipeline.stages', 'cv2', 'tesserocr') if m in __import__('sys').modules)"
    )
    with PagePool(2) as pool:
        assert pool._executor is not None
        loaded = pool._executor.submit(eval, probe).result(timeout=60)
    assert loaded == ["cv2", "station.pipeline.stages", "tesserocr"]
