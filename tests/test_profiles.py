"""Profiles: the shipped ones are valid and documented; bad ones are refused precisely."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from station.errors import ConfigError, UnknownProfileError
from station.profiles import ScanProfile, list_profiles, load_profile
from station.settings import StationSettings

REPO = Path(__file__).resolve().parent.parent


def test_shipped_profiles_are_valid() -> None:
    names = list_profiles(REPO / "profiles")
    assert {"text-gray-300", "text-bw", "color-photo"} <= set(names)
    for name in names:
        profile = load_profile(name, REPO / "profiles")
        assert profile.name == name
        assert profile.scan.min_dpi >= 200, "the legal minimum for digitized records is 200 dpi"
    assert load_profile("text-bw", REPO / "profiles").image.compression == "ccitt-g4"
    assert load_profile("color-photo", REPO / "profiles").image.color == "color"


def test_every_profile_key_is_documented() -> None:
    readme = (REPO / "profiles" / "README.md").read_text(encoding="utf-8")
    for section, field in ScanProfile.model_fields.items():
        model = field.annotation
        if not isinstance(model, type) or section in {"name", "description"}:
            continue
        assert f"## [{section}]" in readme
        for key in model.model_fields:  # type: ignore[attr-defined]
            assert re.search(rf"\| `{key}` \|", readme), (
                f"{section}.{key} is not in profiles/README.md"
            )


def test_unknown_key_out_of_range_and_bad_choice_are_all_named(tmp_path: Path) -> None:
    (tmp_path / "typo.toml").write_text(
        "[ocr]\nlanguges = ['vie']\nlow_confidence = 150\n[image]\ncolor = 'purple'\n",
        encoding="utf-8",
    )
    with pytest.raises(ConfigError) as caught:
        load_profile("typo", tmp_path)
    message = str(caught.value)
    assert "typo.toml" in message
    assert "unknown key 'ocr.languges'" in message and "languages" in message
    assert "ocr.low_confidence" in message and "<= 100" in message
    assert "image.color" in message and "'gray'" in message


def test_broken_toml_names_the_file(tmp_path: Path) -> None:
    (tmp_path / "broken.toml").write_text("[scan\nmin_dpi = 300\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"broken\.toml: cannot read"):
        load_profile("broken", tmp_path)


def test_unknown_profile_lists_the_known_ones(settings: StationSettings) -> None:
    with pytest.raises(UnknownProfileError, match="text-gray-300") as caught:
        load_profile("text-grey", settings.profiles_dir)
    assert "text-grey" in str(caught.value)
