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


def test_demo_runs_the_main_job_over_the_four_sandboxes_and_exits_0(tmp_path):
    result = CliRunner().invoke(app, ["demo", "--dir", str(tmp_path), "--records", "40"])
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "crm_export/people            20 pulled" in out
    for stream in ("salesforce/Contact", "zendesk/tickets", "hubspot/contacts", "mixpanel/events"):
        assert stream in out
    assert "e.g. parked salesforce/Contact/" in out and "broken email on purpose" in out
    assert "not built yet" not in out
    block = out.split("4. write back (only what changed)\n")[1].split("alerts sent")[0]
    written = {line.split()[0]: line.split() for line in block.splitlines() if line.strip()}
    assert {"salesforce", "zendesk", "hubspot", "mixpanel"} <= set(written) and all(
        int(w[1]) > 0 for w in written.values()
    )
    assert "segment 'enterprise buyer'" in out and "in hubspot, mixpanel, salesforce, zendesk" in out
    assert "Segment='enterprise buyer'" in out  # her contact, read back through Salesforce's API
    assert "6. the same sync again:" in out and out.split("6. the same sync again:")[1].split("\n")[0].endswith(
        " 0 write calls"
    )
    from core.store import open_store

    with open_store(f"sqlite:///{tmp_path / 'demo.db'}") as store:
        first, second = sorted(store.runs.list(kind="demo"), key=lambda r: r.started_at)
        assert first.status == "partial" and first.counters["profiles"] > 0 and first.counters["write_calls"] > 0
        assert second.counters["write_calls"] == 0
    assert first.api_usage["salesforce"]["calls"] > 0
    assert (tmp_path / "contactpoint.yaml").is_file() and (tmp_path / "mappings" / "salesforce.yaml").is_file()
    # the printed commands work on the store the demo kept
    commands = [line.strip() for line in out.splitlines() if line.strip().startswith("contactpoint ")]
    assert len(commands) == 3
    for command in commands:
        shown = CliRunner().invoke(app, command.split()[1:])
        assert shown.exit_code == 0, (command, shown.output)
    assert "cp_" in CliRunner().invoke(app, commands[0].split()[1:]).stdout
    assert (tmp_path / "reconcile.html").is_file()


def _leaves(command, path=()):
    if hasattr(command, "commands"):  # a group (typer's own click-like classes); commands load on first use
        for name in command.list_commands(None):
            yield from _leaves(command.get_command(None, name), (*path, name))
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


def test_the_project_init_writes_reads_the_exports_times_in_the_zone_its_mapping_reads_them(tmp_path):
    import yaml

    result = CliRunner().invoke(app, ["init", "--path", str(tmp_path / "contactpoint.yaml")])
    assert result.exit_code == 0, result.output
    project = yaml.safe_load((tmp_path / "contactpoint.yaml").read_text(encoding="utf-8"))
    export = project["systems"]["crm_export"]
    mapping = yaml.safe_load((tmp_path / export["mapping"]).read_text(encoding="utf-8"))
    (stream,) = export["settings"]["streams"]
    assert stream["timezone"] == mapping["defaults"]["timezone"]  # a time without an offset is one time, not two
