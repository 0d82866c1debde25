from __future__ import annotations

import shlex

import pytest
from typer.testing import CliRunner

from core.cli import app


@pytest.mark.slow
def test_the_demo_keeps_its_store_and_the_why_command_it_prints_works(tmp_path):
    done = CliRunner().invoke(app, ["demo", "--dir", str(tmp_path / "demo"), "--records", "40"])
    assert done.exit_code == 0, done.output
    lines = done.stdout.splitlines()
    store = next(line for line in lines if line.startswith("store: "))
    assert str(tmp_path / "demo" / "demo.db") in store
    assert (tmp_path / "demo" / "demo.db").is_file()  # kept after the demo, where it said
    why = next(line.split("why: ", 1)[1] for line in lines if "why: " in line)
    words = shlex.split(why)
    assert words[:3] == ["contactpoint", "identity", "explain"]
    explained = CliRunner().invoke(app, words[1:])
    assert explained.exit_code == 0, explained.output
    assert f"profile {words[3]}" in explained.stdout
    assert "rule " in explained.stdout or "p=" in explained.stdout  # why each record is linked
