"""``sandbox up all --json`` starts the four at once; ``init --sandbox`` wires a project to them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from sandbox.common.registry import KNOWN_SANDBOXES

pytestmark = pytest.mark.slow


def _run(args: list[str], home: Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = os.environ | {"CONTACTPOINT_HOME": str(home)}
    code = "from core.cli import main; main()"
    return subprocess.run([sys.executable, "-c", code, *args], env=env, capture_output=True, text=True, timeout=180,
                          cwd=cwd)  # fmt: skip


@pytest.mark.journey
def test_up_all_then_init_sandbox_then_check_each(tmp_path: Path) -> None:
    home, project = tmp_path / "home", tmp_path / "project"
    project.mkdir()
    started = _run(["sandbox", "up", "all", "--records", "20", "--json"], home, project)
    assert started.returncode == 0, started.stderr
    try:
        states = json.loads(started.stdout)
        assert sorted(states) == sorted(KNOWN_SANDBOXES)
        for name, state in states.items():
            assert state["system"] == name and state["already_running"] is False
            assert state["base_url"].startswith("https://127.0.0.1:") and Path(state["ca_file"]).is_file()
            assert state["credentials"] and state["connector_settings"]
        assert len({s["base_url"] for s in states.values()}) == len(states)

        again = json.loads(_run(["sandbox", "up", "all", "--json"], home, project).stdout)
        assert {n: (s["pid"], s["already_running"]) for n, s in again.items()} == {
            n: (s["pid"], True) for n, s in states.items()
        }

        wrote = _run(["init", "--sandbox"], home, project)
        assert wrote.returncode == 0, wrote.stderr
        assert "4 systems" in wrote.stdout
        data = yaml.safe_load((project / "contactpoint.yaml").read_text(encoding="utf-8"))
        assert sorted(data["systems"]) == sorted(KNOWN_SANDBOXES)
        for name, system in data["systems"].items():
            assert (project / system["mapping"]).is_file()
            assert system["settings"] == states[name]["connector_settings"]
        assert (project / "mappings" / "policies.yaml").is_file()
        assert oct((project / "contactpoint.yaml").stat().st_mode & 0o777) == "0o600"

        refused = _run(["init", "--sandbox"], home, project)
        assert refused.returncode == 2 and "already exists" in refused.stderr

        # what it says to do next works as said: each system set up for write-back, then a sync that writes
        steps = next(line for line in wrote.stdout.splitlines() if line.startswith("next: "))[len("next: ") :]
        commands = [step.split() for step in steps.split(" && ")]
        assert [c[:2] for c in commands] == [["contactpoint", "setup"]] * len(states) + [["contactpoint", "sync"]]
        assert sorted(c[2] for c in commands[:-1]) == sorted(KNOWN_SANDBOXES)
        for command in commands[:-1]:
            done = _run(command[1:], home, project)
            assert done.returncode == 0, (command, done.stdout, done.stderr)
        synced = _run([*commands[-1][1:], "--json"], home, project)
        assert synced.returncode == 0, synced.stderr
        per_system = json.loads(synced.stdout)["per_system"]
        assert {name: counts["failed"] for name, counts in per_system.items()} == dict.fromkeys(per_system, 0)
        assert sum(counts["written"] for counts in per_system.values()) > 0

        for name in sorted(KNOWN_SANDBOXES):
            checked = _run(["check", name, "--json"], home, project)
            assert checked.returncode == 0, (name, checked.stdout, checked.stderr)
            assert json.loads(checked.stdout)["ok"] is True
    finally:
        stopped = _run(["sandbox", "down", "all", "--json"], home, project)  # as they were started
    assert sorted(json.loads(stopped.stdout)["stopped"]) == sorted(KNOWN_SANDBOXES)


def test_init_sandbox_with_none_running_says_how_to_start_them(tmp_path: Path) -> None:
    result = _run(["init", "--sandbox"], tmp_path / "home", tmp_path)
    assert result.returncode == 2
    assert "no sandbox is running" in result.stderr and "sandbox up all" in result.stderr
    assert not (tmp_path / "contactpoint.yaml").exists()


def test_up_all_refuses_one_fixed_port(tmp_path: Path) -> None:
    result = _run(["sandbox", "up", "all", "--port", "40001"], tmp_path / "home", tmp_path)
    assert result.returncode == 2
    assert "--port" in result.stderr and "leave --port out" in result.stderr
