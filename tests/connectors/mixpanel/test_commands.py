"""``contactpoint check mixpanel`` and ``contactpoint setup mixpanel`` on a project file (replayed)."""

from __future__ import annotations

import json

import structlog
import yaml
from typer.testing import CliRunner

from core.cli import app

from .conftest import NOW, ROOT, mixpanel_env

MAPPING = ROOT / "mappings" / "mixpanel.yaml"


def _project(tmp_path, monkeypatch, settings):
    # the command builds the connector with the real clock: fix it, so the recorded date ranges replay
    monkeypatch.setattr("connectors.product_analytics.mixpanel.connector._utcnow", lambda: NOW)
    secret = settings["auth"]["secret"]
    monkeypatch.setenv("MIXPANEL_SA_SECRET", secret)
    monkeypatch.setenv("MIXPANEL_PROJECT_TOKEN", settings["project_token"])
    settings = {
        **settings,
        "auth": {**settings["auth"], "secret": "${MIXPANEL_SA_SECRET}"},
        "project_token": "${MIXPANEL_PROJECT_TOKEN}",
    }
    path = tmp_path / "contactpoint.yaml"
    systems = {"mixpanel": {"kind": "mixpanel", "mapping": str(MAPPING), "settings": settings}}
    path.write_text(yaml.safe_dump({"version": 1, "systems": systems}))
    return path, secret


def _run(*args):
    result = CliRunner().invoke(app, list(args))
    structlog.reset_defaults()
    return result


def test_check_reports_auth_profiles_and_the_export_budget(tmp_path, monkeypatch):
    with mixpanel_env("cli_check") as env:
        path, secret = _project(tmp_path, monkeypatch, env.settings(export_per_hour=60))
        result = _run("check", "mixpanel", "--config", str(path), "--json")
        assert result.exit_code == 0, result.output
        report = json.loads(result.stdout)
        assert report["ok"] and report["facts"]["auth"] == "service_account"
        assert report["api_limit"] == 60 and report["api_used"] == 1
        assert report["facts"]["profiles"] > 100 and report["facts"]["events_yesterday"] == "some"
        assert report["api_calls_by_check"]["calls"] == 2
        assert secret not in result.output


def test_check_with_refused_credentials_exits_3_with_a_hint(tmp_path, monkeypatch):
    with mixpanel_env("cli_check_refused") as env:
        settings = env.settings()
        settings["auth"] = {**settings["auth"], "secret": "wrong-secret-value"}
        path, _ = _project(tmp_path, monkeypatch, settings)
        result = _run("check", "mixpanel", "--config", str(path))
        assert result.exit_code == 3
        assert "401" in result.stderr and "hint:" in result.stderr and "service account" in result.stderr
        assert "wrong-secret-value" not in result.output + result.stderr


def test_setup_has_nothing_to_do_and_says_so(tmp_path, monkeypatch):
    settings = {"project_id": 1, "auth": {"kind": "service_account", "username": "u", "secret": "never-used"},
                "project_token": "t"}  # fmt: skip
    path, _ = _project(tmp_path, monkeypatch, settings)
    dry = _run("setup", "mixpanel", "--config", str(path), "--dry-run", "--json")
    assert dry.exit_code == 0, dry.output
    assert json.loads(dry.stdout) == {"dry_run": True, "system": "mixpanel", "pending": 0, "done": 0, "released": 0}
    again = _run("setup", "mixpanel", "--config", str(path))
    assert again.exit_code == 0 and again.stdout.strip() == "nothing to do"
