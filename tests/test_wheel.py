"""An installed wheel runs the demo: the shipped mappings, policies and samples are package data."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

pytestmark = [pytest.mark.slow, pytest.mark.journey]

ROOT = Path(__file__).resolve().parents[1]


def test_a_built_wheel_holds_the_shipped_files_and_runs_the_demo_outside_the_checkout(tmp_path: Path) -> None:
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(tmp_path / "dist"), str(ROOT)],
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert built.returncode == 0, built.stderr
    (wheel,) = (tmp_path / "dist").glob("contactpoint-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for shipped in ("files", "salesforce", "hubspot", "mixpanel", "zendesk", "identity", "policies"):
        assert f"core/shipped/mappings/{shipped}.yaml" in names
    assert "core/shipped/samples/people.csv" in names
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    work = tmp_path / "elsewhere"
    work.mkdir()
    env = {**os.environ, "PYTHONPATH": str(site), "CONTACTPOINT_HOME": str(work / "home")}
    env.pop("CONTACTPOINT_DATABASE_URL", None)
    code = "import core, sys; print(core.__file__, file=sys.stderr); from core.cli import main; main()"
    ran = subprocess.run([sys.executable, "-c", code, "demo", "--records", "20"], capture_output=True, text=True,
                         cwd=work, env=env, timeout=600)  # fmt: skip
    assert ran.returncode == 0, ran.stderr[-3000:]
    assert ran.stderr.splitlines()[0].startswith(str(site))  # the wheel's code, not the checkout's
    assert "crm_export/people            20 pulled" in ran.stdout
    assert "Segment='enterprise buyer'" in ran.stdout
    assert (work / "home" / "demo" / "mappings" / "policies.yaml").is_file()
