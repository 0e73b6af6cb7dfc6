"""Settings come from station.toml and STATION_* variables; the variables win."""

from __future__ import annotations

from pathlib import Path

import pytest

from station.errors import ConfigError
from station.settings import load_settings


def test_defaults_put_sqlite_in_the_data_dir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    for name in ("STATION_DATA_DIR", "STATION_DATABASE_URL", "STATION_WORKERS", "STATION_CONFIG"):
        monkeypatch.delenv(name, raising=False)
    settings = load_settings()
    assert settings.data_dir == Path("data")
    assert settings.database_url == f"sqlite:///{tmp_path / 'data' / 'station.db'}"
    assert settings.hotfolders == Path("hotfolders")
    assert settings.workers >= 1


def test_toml_file_then_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "station.toml"
    config.write_text('data_dir = "/srv/station"\nworkers = 3\nhotfolders = "/mnt/scans"\n')
    monkeypatch.setenv("STATION_CONFIG", str(config))
    monkeypatch.delenv("STATION_DATA_DIR", raising=False)
    monkeypatch.delenv("STATION_DATABASE_URL", raising=False)
    monkeypatch.setenv("STATION_WORKERS", "5")
    settings = load_settings()
    assert settings.data_dir == Path("/srv/station")
    assert settings.hotfolders == Path("/mnt/scans")
    assert settings.workers == 5
    assert settings.database_url == "sqlite:////srv/station/station.db"


def test_invalid_values_are_refused_with_the_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("STATION_CONFIG", str(tmp_path / "none.toml"))
    monkeypatch.setenv("STATION_WORKERS", "0")
    with pytest.raises(ConfigError, match="workers"):
        load_settings()


def test_unknown_key_in_station_toml_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "station.toml"
    config.write_text('data_dri = "x"\n')
    monkeypatch.setenv("STATION_CONFIG", str(config))
    with pytest.raises(ConfigError, match="data_dri"):
        load_settings()


def test_where_page_work_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """PostgreSQL puts pages on the queue unless told to keep them local; SQLite never can."""
    for name in ("STATION_WORK", "STATION_DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("STATION_CONFIG", str(tmp_path / "none.toml"))
    pg = "postgresql+psycopg://station@127.0.0.1:5432/station"
    assert not load_settings(data_dir=tmp_path).distributed
    assert load_settings(database_url=pg).distributed
    assert not load_settings(database_url=pg, work="local").distributed
    assert load_settings(database_url=pg, work="queue").distributed
    with pytest.raises(ConfigError, match="work = queue needs a PostgreSQL database_url"):
        load_settings(data_dir=tmp_path, work="queue")
    with pytest.raises(ConfigError, match="work"):
        load_settings(database_url=pg, work="cluster")
