from __future__ import annotations

from pathlib import Path

import pytest

from core.errors import ConfigError
from core.identity import IdentitySettings, load_settings

REPO = Path(__file__).resolve().parents[3]


def test_shipped_settings_file_spells_out_the_defaults() -> None:
    shipped = load_settings(REPO / "mappings" / "identity.yaml")
    defaults = IdentitySettings()
    assert shipped.rules == defaults.rules
    assert shipped.blocking == defaults.blocking
    assert shipped.fuzzy == defaults.fuzzy
    assert shipped.guard == defaults.guard


def test_no_file_means_defaults() -> None:
    assert load_settings(None) == IdentitySettings()


def test_problems_are_listed_with_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "identity.yaml"
    path.write_text(
        "version: 1\nfuzzy:\n  link_threshold: 2\nrules:\n  - same_nmae\nsurvivorship:\n  fields:\n    shoe_size: most_recent\n",
        encoding="utf-8",
    )
    with pytest.raises(ConfigError) as caught:
        load_settings(path)
    message = caught.value.message
    assert f"{path}:3:3 fuzzy.link_threshold" in message
    assert f"{path}:5:5 rules.0" in message
    assert "shoe_size" in message
    assert "3 problems" in message


def test_unknown_comparison_and_level_names_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "identity.yaml"
    path.write_text("fuzzy:\n  overrides:\n    email:\n      perfect: {m: 0.9}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="has no level 'perfect'"):
        load_settings(path)


def test_yaml_syntax_error_is_a_config_error(tmp_path: Path) -> None:
    path = tmp_path / "identity.yaml"
    path.write_text("fuzzy: [\n", encoding="utf-8")
    with pytest.raises(ConfigError):
        load_settings(path)
