"""The command line: exit codes and messages on bad input, in-process and as a real program."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from station.errors import ExitCode

REPO = Path(__file__).resolve().parent.parent


def test_missing_batch_folder(run_station: Any, tmp_path: Path) -> None:
    result = run_station("process", str(tmp_path / "no-such-batch"), "--out", str(tmp_path / "out"))
    assert result.exit_code == ExitCode.BAD_ARGS
    assert "Batch folder not found" in result.stderr and "no-such-batch" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout


def test_empty_batch_folder(run_station: Any, tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    result = run_station("process", str(tmp_path / "empty"), "--out", str(tmp_path / "out"))
    assert result.exit_code == ExitCode.BAD_ARGS
    assert "holds no files" in result.stderr


def test_unknown_profile(run_station: Any, tmp_path: Path) -> None:
    (tmp_path / "batch").mkdir()
    (tmp_path / "batch" / "a.png").write_bytes(b"x")
    result = run_station(
        "process",
        str(tmp_path / "batch"),
        "--out",
        str(tmp_path / "out"),
        "--profile",
        "text-colour",
    )
    assert result.exit_code == ExitCode.BAD_ARGS
    assert "Unknown profile 'text-colour'" in result.stderr and "text-gray-300" in result.stderr


def test_invalid_profile_file(
    run_station: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    profiles = tmp_path / "profiles"
    profiles.mkdir()
    (profiles / "text-gray-300.toml").write_text("[scan]\nmin_dpi = 20\n", encoding="utf-8")
    monkeypatch.setenv("STATION_PROFILES_DIR", str(profiles))
    (tmp_path / "batch").mkdir()
    (tmp_path / "batch" / "a.png").write_bytes(b"x")
    result = run_station("process", str(tmp_path / "batch"), "--out", str(tmp_path / "out"))
    assert result.exit_code == ExitCode.BAD_CONFIG
    assert "scan.min_dpi" in result.stderr and ">= 72" in result.stderr


def test_batch_of_only_corrupt_files_reports_each_and_writes_no_pdf(
    run_station: Any, tmp_path: Path
) -> None:
    batch = tmp_path / "broken"
    batch.mkdir()
    (batch / "empty.tif").write_bytes(b"")
    (batch / "letter.tif").write_text("Kính gửi: Sở Nội vụ\n", encoding="utf-8")
    result = run_station("process", str(batch), "--out", str(tmp_path / "out"), "--jobs", "1")
    assert result.exit_code == ExitCode.PAGES_FAILED
    assert "empty.tif" in result.stdout and "letter.tif" in result.stdout
    assert not list((tmp_path / "out").glob("*.pdf"))
    assert (tmp_path / "out" / "report.json").is_file()


def test_profiles_command_lists_the_shipped_profiles(run_station: Any) -> None:
    result = run_station("profiles")
    assert result.exit_code == 0
    for name in ("text-gray-300", "text-bw", "color-photo"):
        assert name in result.stdout


def test_real_program_reports_a_missing_folder_without_traceback(tmp_path: Path) -> None:
    station = REPO / ".venv" / "bin" / "station"
    program = [str(station)] if station.exists() else ["python", "-m", "station"]
    completed = subprocess.run(
        [*program, "process", str(tmp_path / "nope"), "--out", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
    )
    assert completed.returncode == ExitCode.BAD_ARGS
    assert "Batch folder not found" in completed.stderr
    assert "Traceback" not in completed.stderr


def test_commands_that_read_figures_do_not_import_the_pipeline(tmp_path: Path) -> None:
    """`station stats`, `--help` and the like start in a third of a second: the pipeline
    (numpy, OpenCV, Tesseract), the profiles and the runner load only for the commands
    that run pages."""
    probe = (
        "import sys, json; sys.argv = ['station', 'stats', '--json']\n"
        "from station.launch import main\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "heavy = ['numpy', 'cv2', 'tesserocr', 'PIL', 'pikepdf', 'procrastinate', 'fastapi',"
        " 'station.profiles', 'station.room.runner', 'station.pipeline']\n"
        "print(json.dumps([m for m in heavy if m in sys.modules]), file=sys.stderr)\n"
    )
    env = {
        "PATH": "/usr/bin:/bin",
        "STATION_DATA_DIR": str(tmp_path / "data"),
        "STATION_CONFIG": str(tmp_path / "none.toml"),
    }
    done = subprocess.run(
        [sys.executable, "-c", probe],
        env=env, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert '"backlog"' in done.stdout
    assert done.stderr.strip().splitlines()[-1] == "[]"
