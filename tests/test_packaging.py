"""The distribution's metadata builds without a packaging warning (the first ``make demo`` stays quiet)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
@pytest.mark.journey
def test_building_the_metadata_raises_no_setuptools_deprecation() -> None:
    # a dry-run install prepares the wheel's metadata with the declared build backend, as pip does for `make demo`
    done = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "--dry-run", "--ignore-installed", "--no-cache-dir",
         "--verbose", str(ROOT)],
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    output = done.stdout + done.stderr
    assert done.returncode == 0, output[-3000:]
    assert "Preparing metadata" in output  # the backend ran, so its warnings would be here
    assert "SetuptoolsDeprecationWarning" not in output, output[-3000:]
    assert "deprecated" not in output.lower().replace("--no-deps", ""), output[-3000:]


def test_the_license_is_an_spdx_expression() -> None:
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert isinstance(project["license"], str)
    assert project["license"] == "Apache-2.0"
