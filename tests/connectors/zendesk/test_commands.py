"""``contactpoint check zendesk`` and ``contactpoint setup zendesk`` on a project file (replayed)."""

from __future__ import annotations

import json

import structlog
import yaml
from typer.testing import CliRunner

from core.cli import app

from .conftest import MAPPING, zendesk_env


def _project(tmp_path, monkeypatch, settings):
    secret = settings["auth"]["api_token"]
    monkeypatch.setenv("ZENDESK_API_TOKEN", secret)
    settings = {**settings, "auth": {**settings["auth"], "api_token": "${ZENDESK_API_TOKEN}"}}
    path = tmp_path / "contactpoint.yaml"
    path.write_text(
        yaml.safe_dump(
            {"version": 1, "systems": {"zendesk": {"kind": "zendesk", "mapping": str(MAPPING), "settings": settings}}}
        )
    )
    return path, secret


def _run(*args):
    result = CliRunner().invoke(app, list(args))
    structlog.reset_defaults()
    return result


def test_check_reports_auth_rate_limits_and_readable_streams(tmp_path, monkeypatch):
    with zendesk_env("cli_check", records=30) as env:
        path, secret = _project(tmp_path, monkeypatch, env.settings())
        result = _run("check", "zendesk", "--config", str(path), "--json")
        assert result.exit_code == 0, result.output
        report = json.loads(result.stdout)
        assert report["ok"] and report["facts"]["auth"] == "api_token" and report["api_limit"] == 700
        assert report["facts"]["streams_readable"] == {"users": "readable", "organizations": "readable",
                                                       "tickets": "readable"}  # fmt: skip
        assert report["api_calls_by_check"]["calls"] == 4  # users/me, then one export request per stream
        assert report["facts"]["exports_limit_per_minute"] == 10_000
        assert secret not in result.output
        text = _run("check", "zendesk", "--config", str(path))
        assert "API usage this minute: " in text.stdout and "admin@contactpoint-sandbox.example.com" in text.stdout


def test_check_with_refused_credentials_exits_3_with_a_hint(tmp_path, monkeypatch):
    with zendesk_env("cli_check_refused", records=30) as env:
        settings = env.settings()
        settings["auth"] = {**settings["auth"], "api_token": "wrong-token-value"}
        path, _ = _project(tmp_path, monkeypatch, settings)
        result = _run("check", "zendesk", "--config", str(path))
        assert result.exit_code == 3
        assert "Couldn't authenticate you" in result.stderr and "hint:" in result.stderr
        assert "wrong-token-value" not in result.output + result.stderr


def test_setup_dry_run_then_create_then_nothing_to_do(tmp_path, monkeypatch):
    with zendesk_env("cli_setup", records=30) as env:
        path, _ = _project(tmp_path, monkeypatch, env.settings())
        dry = json.loads(_run("setup", "zendesk", "--config", str(path), "--dry-run", "--json").stdout)
        assert dry["dry_run"] and dry["pending"] == 6
        types = {f["key"]: f["type"] for f in dry["user_fields"]}
        assert types == {
            "contactpoint_profile_id": "text",
            "contactpoint_intent": "decimal",
            "contactpoint_segment": "text",
            "contactpoint_open_tickets": "integer",
            "contactpoint_suppressed": "checkbox",
            "contactpoint_suppression_reasons": "textarea",
        }
        text = _run("setup", "zendesk", "--config", str(path), "--dry-run")
        assert "would create" in text.stdout and "6 change(s) to make" in text.stdout
        created = json.loads(_run("setup", "zendesk", "--config", str(path), "--json").stdout)
        assert created["done"] == 6 and created["pending"] == 0
        assert {f["action"] for f in created["user_fields"]} == {"done"}
        again = _run("setup", "zendesk", "--config", str(path))
        assert again.exit_code == 0 and again.stdout.strip().endswith("nothing to do")
        assert "would" not in again.stdout and "created" not in again.stdout
