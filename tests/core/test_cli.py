from __future__ import annotations

import subprocess
import sys

from typer.testing import CliRunner

from core import __version__
from core.cli import app

COMMANDS = ["init", "demo", "check", "mapping", "connectors", "store", "setup", "sandbox", "identity", "policy"]


def test_help_lists_every_command_with_one_line_of_help():
    result = CliRunner().invoke(app, ["--help"], terminal_width=200)
    assert result.exit_code == 0
    listed = {}
    in_commands = False
    for line in result.stdout.splitlines():
        if line.startswith("Commands:"):
            in_commands = True
        elif in_commands and line.strip():
            name, _, text = line.strip().partition(" ")
            listed[name] = text.strip()
    assert set(COMMANDS) <= set(listed)
    assert all(listed[name] for name in COMMANDS), listed


def test_version():
    result = CliRunner().invoke(app, ["--version"])
    assert result.stdout.strip() == f"contactpoint {__version__}"


def test_console_script_reports_config_errors_with_hint_and_exit_2(tmp_path):
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "from core.cli import main; main()",
            "check",
            "nowhere",
            "--config",
            str(tmp_path / "x.yaml"),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 2, result.stderr
    assert "hint:" in result.stderr
    assert "Traceback" not in result.stderr


def test_demo_runs_the_pipeline_on_bundled_data_and_exits_0(tmp_path):
    result = CliRunner().invoke(app, ["demo", "--dir", str(tmp_path), "--records", "40"])
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "files/people        20 pulled" in out
    assert "salesforce/Contact" in out
    assert "parked salesforce/Contact/" in out
    assert "not built yet" in out
    assert "unified profiles" in out
    why = next(line.split("why: ", 1)[1] for line in out.splitlines() if "why: contactpoint identity explain" in line)
    from core.store import open_store

    with open_store(f"sqlite:///{tmp_path / 'demo.db'}") as store:
        (run,) = store.runs.list(kind="demo")
        assert run.status == "partial" and run.counters["profiles"] > 0 and run.counters["pulled"] > 40
    usage = run.api_usage["salesforce"]
    assert usage["calls"] > 0
    assert set(usage) == {"calls", "retries", "throttled_seconds"}
    # the printed command works on the store the demo kept
    explained = CliRunner().invoke(app, why.split()[1:])
    assert explained.exit_code == 0, explained.output
    assert "profile cp_" in explained.stdout


def _leaves(command, path=()):
    if hasattr(command, "commands"):  # a group (typer's own click-like classes)
        for name, sub in command.commands.items():
            yield from _leaves(sub, (*path, name))
    else:
        yield path, command


def test_every_command_answers_a_wrong_option_with_usage_exit_2():
    import typer

    leaves = list(_leaves(typer.main.get_command(app)))
    assert {("identity", "resolve"), ("store", "parked"), ("mapping", "run"), ("init",)} <= {p for p, _ in leaves}
    wrong = []
    for path, _ in leaves:
        result = CliRunner().invoke(app, [*path, "--no-such-option"])
        if result.exit_code != 2 or "No such option: --no-such-option" not in result.output:
            wrong.append((" ".join(path), result.exit_code, result.output[-200:]))
    assert wrong == []


def test_options_that_do_not_go_together_are_usage_mistakes_exit_2(tmp_path):
    for args in (
        ["identity", "resolve", "--store", "--explain-out", str(tmp_path / "pairs.jsonl")],
        ["identity", "resolve", "--store", "--out", str(tmp_path / "clusters.csv")],
        ["identity", "resolve"],
        ["identity", "split", "cp_A", "--records", " , "],
        ["identity", "merge", "cp_A", "cp_A"],
    ):
        result = CliRunner().invoke(app, [*args, "--url", f"sqlite:///{tmp_path / 's.db'}"])
        assert result.exit_code == 2, (args, result.output)
        assert "error:" in result.stderr and "hint:" in result.stderr
    explained = CliRunner().invoke(app, ["identity", "resolve", "--store", "--explain-out", "f.jsonl"])
    assert "--explain-out only go with a FILE" in explained.stderr
    assert not (tmp_path / "s.db").exists()  # refused before anything was opened
