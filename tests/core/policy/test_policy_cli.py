"""``contactpoint policy check``: OK with a summary, or every problem with file:line and a hint, exit 2."""

from __future__ import annotations

import json
import re
from pathlib import Path

from typer.testing import CliRunner

from core.cli import app

ROOT = Path(__file__).resolve().parents[3]
SHIPPED = ROOT / "mappings" / "policies.yaml"
runner = CliRunner()

BAD = """\
version: 1
enrichment:
  open_tickets: {rule: cuont, match: {kind: ticket}}
  last_page: {rule: latest, match: {kind: product_event, path: {regex: "^/docs/(api"}}}
scores:
  intent: {half_life: 14, signals: [{match: {kind: product_event}}]}
alerts:
  complaint:
    match: {kind: ticket, tags: complaint}
    target: {system: salesforce, streams: [Contact]}
    subject: "From {nam}"
    text: ok
"""


def check(*args):
    result = runner.invoke(app, ["policy", "check", *map(str, args)])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result


def test_the_shipped_policies_are_ok_and_say_what_they_give():
    result = check(SHIPPED, "--mapping", ROOT / "mappings" / "salesforce.yaml")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(f"OK {SHIPPED}")
    assert "segments:     enterprise_buyer ('enterprise buyer'), beginner ('beginner')" in result.stdout
    assert "complaint → Task in salesforce" in result.stdout
    assert "enrichment.intent_score" in result.stdout and "suppression.reasons" in result.stdout


def test_a_bad_file_lists_every_problem_with_its_line_and_a_hint(tmp_path):
    bad = tmp_path / "policies.yaml"
    bad.write_text(BAD)
    result = check(bad)
    assert result.exit_code == 2
    lines = result.output.splitlines()
    headlines = [line for line in lines if line.startswith(str(bad))]
    assert [re.match(rf"{re.escape(str(bad))}:(\d+):\d+ ", h).group(1) for h in headlines] == ["3", "4", "6", "11"]
    assert all(lines[lines.index(h) + 1].startswith("  hint: ") for h in headlines)
    assert "enrichment.open_tickets.rule: unknown rule 'cuont'" in result.output
    assert "  hint: did you mean 'count'?" in result.output
    assert "bad regular expression '^/docs/(api'" in result.output
    assert "scores.intent.half_life: 14 (a number needs a unit) is not a duration" in result.output
    assert "unknown placeholder '{nam}'" in result.output
    assert lines[-1] == "error: 4 problems found"
    assert "Traceback" not in result.output


def test_json_output_for_both_outcomes(tmp_path):
    ok = check(SHIPPED, "--json")
    data = json.loads(ok.stdout)
    assert ok.exit_code == 0 and data["ok"] is True
    assert data["policies"]["segments"][0] == {"name": "enterprise_buyer", "label": "enterprise buyer"}
    bad = tmp_path / "p.yaml"
    bad.write_text(BAD)
    failed = check(bad, "--json")
    data = json.loads(failed.stdout)
    assert failed.exit_code == 2 and data["ok"] is False
    assert [p["line"] for p in data["problems"]] == [3, 4, 6, 11]
    assert all(p["hint"] for p in data["problems"])


def test_a_missing_file_and_a_yaml_error(tmp_path):
    missing = check(tmp_path / "nope.yaml")
    assert missing.exit_code == 2
    assert "policy file not found" in missing.output and "hint: check the path" in missing.output
    broken = tmp_path / "broken.yaml"
    broken.write_text("version: 1\nenrichment:\n  x: {rule: count\n")
    result = check(broken)
    assert result.exit_code == 2 and f"{broken}:4" in result.output and "YAML syntax error" in result.output


def test_a_mapping_that_asks_for_an_unknown_value(tmp_path):
    mapping = tmp_path / "crm.yaml"
    mapping.write_text(
        "system: crm\nversion: 1\nstreams:\n  people:\n    id: id\n    model: Person\n    fields: {email: email}\n"
        "    writeback:\n      enrichment.intent: intent\n"
    )
    result = check(SHIPPED, "--mapping", mapping)
    assert result.exit_code == 2
    assert (
        f"{mapping}:9:7 streams.people.writeback.enrichment.intent: enrichment.intent is written back" in result.output
    )
    assert "hint: did you mean 'enrichment.intent_score'?" in result.output
