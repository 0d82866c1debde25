"""What a person sees: summaries on stdout, only warnings from the logs unless -v, errors as JSON under --json."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from core import __version__
from core.cli import app
from core.logs import verbosity_level

ROOT = Path(__file__).resolve().parents[2]


def _contactpoint(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    # standard error is a pipe here, as in `contactpoint ... 2>log` or under a job runner
    return subprocess.run(
        [sys.executable, "-c", "from core.cli import main; main()", *args],
        capture_output=True, text=True, cwd=cwd, check=False, timeout=120,
    )  # fmt: skip


def _mapping_run(tmp_path: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return _contactpoint(
        *extra, "mapping", "run", str(ROOT / "mappings" / "files.yaml"), "--input", str(ROOT / "samples" / "people.csv"),
        "--url", f"sqlite:///{tmp_path / 'store.db'}", cwd=tmp_path,
    )  # fmt: skip


def test_a_summary_is_not_mixed_with_info_log_lines(tmp_path):
    done = _mapping_run(tmp_path)
    assert done.returncode == 0, done.stderr
    assert "20" in done.stdout  # the summary is on standard output
    assert "stream.pull_started" not in done.stdout + done.stderr
    assert "run.started" not in done.stdout + done.stderr
    assert done.stderr.strip() == "", done.stderr


def test_verbose_shows_the_info_logs_on_standard_error_only(tmp_path):
    done = _mapping_run(tmp_path, "-v")
    assert done.returncode == 0, done.stderr
    events = [json.loads(line)["event"] for line in done.stderr.splitlines() if line.startswith("{")]
    assert "stream.pull_started" in events  # JSON lines: standard error is not a terminal
    assert "stream.pull_started" not in done.stdout


def test_the_level_follows_v_and_services_show_info():
    assert verbosity_level(0) == "WARNING"
    assert verbosity_level(1) == "INFO"
    assert verbosity_level(2) == "DEBUG"
    assert verbosity_level(0, service=True) == "INFO"


def test_an_error_under_json_is_a_json_document_with_its_exit_code(tmp_path):
    url = f"sqlite:///{tmp_path / 'store.db'}"
    done = _contactpoint("identity", "explain", "cp_0123456789abcdef01234567", "--url", url, "--json", cwd=tmp_path)
    assert done.returncode == 4, done.stderr
    error = json.loads(done.stdout)["error"]
    assert error["type"] == "IdentityError"
    assert "cp_0123456789abcdef01234567" in error["message"]
    assert error["hint"]
    assert error["exit_code"] == 4
    plain = _contactpoint("identity", "explain", "cp_0123456789abcdef01234567", "--url", url, cwd=tmp_path)
    assert plain.stdout == ""
    assert plain.stderr.startswith("error: ")


def test_short_version_flag_and_shell_completion():
    short = CliRunner().invoke(app, ["-V"])
    assert short.exit_code == 0
    assert short.stdout.strip() == f"contactpoint {__version__}"
    shown = CliRunner().invoke(app, ["--help"], terminal_width=200)
    assert "--install-completion" in shown.stdout
    assert "--verbose" in shown.stdout


def test_the_parked_reasons_a_summary_shows_mask_the_values_they_refused(tmp_path):
    rows = (ROOT / "samples" / "people.csv").read_text(encoding="utf-8").splitlines()
    header, first = rows[0], rows[1].split(",")
    first[0], first[4] = "p-bad", "dana.fox@@example"  # an address no mapping accepts
    people = tmp_path / "people.csv"
    people.write_text("\n".join([header, *rows[1:], ",".join(first)]) + "\n", encoding="utf-8")
    done = _contactpoint(
        "mapping", "run", str(ROOT / "mappings" / "files.yaml"), "--input", str(people),
        "--url", f"sqlite:///{tmp_path / 'store.db'}", cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert re.search(r"parked +1\n", done.stdout) and "e.g. Person.email" in done.stdout, done.stdout
    assert "dana.fox" not in done.stdout + done.stderr
    assert "email#" in done.stdout  # the address, as its hash


def test_an_error_of_a_report_asked_for_as_json_is_a_json_document(tmp_path):
    url = f"sqlite:///{tmp_path / 'store.db'}"
    done = _contactpoint("report", "reconcile", "--format", "json", "--since", "run-nope", "--url", url, cwd=tmp_path)
    assert done.returncode == 2, done.stderr
    error = json.loads(done.stdout)["error"]
    assert error["type"] == "UsageError" and "run-nope" in error["message"] and error["exit_code"] == 2
    html = _contactpoint("report", "reconcile", "--since", "run-nope", "--url", url, cwd=tmp_path)
    assert html.returncode == 2 and html.stdout == "" and html.stderr.startswith("error: ")
