"""Shared fixtures: an isolated data directory, the CLI in-process, and generated batches."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from typer.testing import CliRunner

from station.cli import app
from station.profiles import ScanProfile, load_profile
from station.settings import StationSettings, load_settings

REPO = Path(__file__).resolve().parent.parent
CORPUS = REPO.parent / "shared" / "corpus" / "real"


@pytest.fixture
def settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> StationSettings:
    """Settings pointing at a fresh data directory, as a new station would have."""
    monkeypatch.setenv("STATION_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("STATION_PROFILES_DIR", str(REPO / "profiles"))
    monkeypatch.delenv("STATION_DATABASE_URL", raising=False)
    monkeypatch.setenv("STATION_CONFIG", str(tmp_path / "station.toml"))
    return load_settings()


@pytest.fixture
def default_profile(settings: StationSettings) -> ScanProfile:
    return load_profile("text-gray-300", settings.profiles_dir)


@dataclass
class CliResult:
    exit_code: int
    stdout: str
    stderr: str


@pytest.fixture
def run_station(settings: StationSettings) -> Iterator[object]:
    """Run the `station` command in-process and return its exit code and output."""
    runner = CliRunner()

    def run(*args: str) -> CliResult:
        result = runner.invoke(app, list(args), catch_exceptions=False)
        return CliResult(result.exit_code, result.stdout, result.stderr)

    yield run


@pytest.fixture(scope="session")
def tests_batch(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[dict[str, object]]]:
    """The generator's small 'tests' set: documents, a blank page and broken files (made once)."""
    import make_samples

    folder = tmp_path_factory.mktemp("batches") / "tests-batch"
    truth = make_samples.make_batch(folder, seed=11, sample_set="tests")
    return folder, truth


@pytest.fixture
def batch_copy(tests_batch: tuple[Path, list[dict[str, object]]], tmp_path: Path) -> Path:
    """A private copy of the tests batch, so a test may inspect that originals stay untouched."""
    target = tmp_path / tests_batch[0].name
    shutil.copytree(tests_batch[0], target)
    return target
