"""README.md's tours run as written: every command of their code blocks, in order, in a clean folder.

The folder holds what a fresh clone holds that the tours read (``mappings/``, ``samples/``) and
nothing else: no store, no contactpoint.yaml, no sandbox. The commands run in one shell, so a
variable one exports is there for the next; the sandboxes they start are stopped afterwards.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
_BLOCK = re.compile(r"```sh\n(.*?)```", re.DOTALL)
_CLEARED = ("CONTACTPOINT_DATABASE_URL", "CONTACTPOINT_HOME", "CONTACTPOINT_LEDGER_KEY", "REQUESTS_CA_BUNDLE")


def tour_commands(readme: str) -> list[str]:
    """The commands of the tours' shell blocks, in order (blank and comment-only lines left out)."""
    tours = readme.split("## A tour for each kind of user", 1)[1].split("\n## ", 1)[0]
    return [line.strip() for block in _BLOCK.findall(tours) for line in block.splitlines()
            if line.strip() and not line.strip().startswith("#")]  # fmt: skip


def _script(commands: list[str]) -> str:
    lines = ["set -euo pipefail"]
    for command in commands:
        lines.append(f"printf '%s\\n' {shlex.quote('+ ' + command)} >&2")
        lines.append(command)
    return "\n".join(lines) + "\n"


def test_the_tours_are_read_from_the_readme():
    commands = tour_commands((ROOT / "README.md").read_text(encoding="utf-8"))
    assert len(commands) > 30
    words = {" ".join(shlex.split(c.split("#")[0])[:3]) for c in commands}
    for needed in ("contactpoint identity list", "contactpoint profile search", "contactpoint identity review",
                   "contactpoint identity merge", "contactpoint check salesforce", "contactpoint mapping run"):  # fmt: skip
        assert needed in words, needed


@pytest.mark.slow
@pytest.mark.live
@pytest.mark.journey
def test_every_tour_command_runs_in_order_in_a_clean_folder(tmp_path):
    for folder in ("mappings", "samples"):
        shutil.copytree(ROOT / folder, tmp_path / folder)
    commands = tour_commands((ROOT / "README.md").read_text(encoding="utf-8"))
    env = {k: v for k, v in os.environ.items() if k not in _CLEARED}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    try:
        done = subprocess.run(["bash", "-c", _script(commands)], cwd=tmp_path, env=env, capture_output=True,
                              text=True, timeout=900, check=False)  # fmt: skip
    finally:
        subprocess.run(["contactpoint", "sandbox", "down"], cwd=tmp_path, env=env, capture_output=True, check=False)
    ran = [line[2:] for line in done.stderr.splitlines() if line.startswith("+ ")]
    assert done.returncode == 0, f"stopped at: {ran[-1] if ran else '?'}\n{done.stderr[-4000:]}\n{done.stdout[-2000:]}"
    assert ran == commands
    assert "Traceback" not in done.stderr
    assert (tmp_path / "clusters.csv").is_file() and (tmp_path / "report.html").is_file()
    assert (tmp_path / "person.json").is_file() and (tmp_path / "ledger.json").is_file()
