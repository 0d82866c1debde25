"""``contactpoint check hubspot`` and ``contactpoint setup hubspot`` on a project file (replayed)."""

from __future__ import annotations

import json
import logging

import structlog
import yaml
from typer.testing import CliRunner

from core.cli import app

from .conftest import ROOT, hubspot_env

MAPPING = ROOT / "mappings" / "hubspot.yaml"


def _project(tmp_path, monkeypatch, settings):
    secret = settings["auth"]["access_token"]
    monkeypatch.setenv("HUBSPOT_ACCESS_TOKEN", secret)
    settings = {**settings, "auth": {**settings["auth"], "access_token": "${HUBSPOT_ACCESS_TOKEN}"}}
    path = tmp_path / "contactpoint.yaml"
    path.write_text(
        yaml.safe_dump(
            {"version": 1, "systems": {"hubspot": {"kind": "hubspot", "mapping": str(MAPPING), "settings": settings}}}
        )
    )
    return path, secret


def _run(*args):
    result = CliRunner().invoke(app, list(args))
    structlog.reset_defaults()
    return result


def test_check_reports_auth_api_usage_and_streams(tmp_path, monkeypatch):
    with hubspot_env("cli_check") as env:
        path, secret = _project(tmp_path, monkeypatch, env.settings())
        result = _run("check", "hubspot", "--config", str(path), "--json")
        assert result.exit_code == 0, result.output
        report = json.loads(result.stdout)
        assert report["ok"] and report["facts"]["auth"] == "private_app" and report["facts"]["portal_id"] == 24681357
        assert report["api_limit"] == 100_000 and report["api_used"] >= 1
        assert report["facts"]["streams"] == ["contacts", "companies", "email_events", "subscriptions"]
        assert secret not in result.output
        text = _run("--log-json", "--log-level", "DEBUG", "check", "hubspot", "--config", str(path))
        assert "API usage today" in text.stdout and secret not in text.stdout + text.stderr


def test_check_with_refused_credentials_exits_3_with_a_hint(tmp_path, monkeypatch, caplog):
    with hubspot_env("cli_check_refused") as env:
        settings = env.settings()
        settings["auth"] = {"kind": "private_app", "access_token": "pat-na1-00000000-0000-4000-8000-wrongwrong00"}
        path, wrong = _project(tmp_path, monkeypatch, settings)
        with caplog.at_level(logging.DEBUG):
            result = _run("check", "hubspot", "--config", str(path))
        assert result.exit_code == 3
        assert "hint:" in result.stderr and "access token" in result.stderr
        assert "INVALID_AUTHENTICATION" in result.stderr
        assert wrong not in result.output + result.stderr + caplog.text


def test_setup_dry_run_then_create_then_nothing_to_do(tmp_path, monkeypatch):
    with hubspot_env("cli_setup") as env:
        path, _ = _project(tmp_path, monkeypatch, env.settings())
        dry = json.loads(_run("setup", "hubspot", "--config", str(path), "--dry-run", "--json").stdout)
        assert [(g["object"], g["name"], g["action"]) for g in dry["groups"]] == [
            ("contacts", "contactpoint", "create")
        ]
        props = {p["name"]: (p["type"], p["action"]) for p in dry["properties"]}
        assert props == {
            "contactpoint_profile_id": ("string", "create"),
            "contactpoint_intent_score": ("number", "create"),
            "contactpoint_segment": ("string", "create"),
            "contactpoint_open_tickets": ("number", "create"),
            "contactpoint_suppressed": ("bool", "create"),
            "contactpoint_suppression_reasons": ("string", "create"),
            "contactpoint_quiet_hours": ("string", "create"),
            "contactpoint_weekly_cap": ("number", "create"),
            "contactpoint_topics_to_avoid": ("string", "create"),
        }
        assert dry["pending"] == 10  # the group and nine properties
        text = _run("setup", "hubspot", "--config", str(path), "--dry-run")
        assert "would create" in text.stdout and "10 change(s) to make" in text.stdout
        created = json.loads(_run("setup", "hubspot", "--config", str(path), "--json").stdout)
        assert created["done"] == 10 and created["pending"] == 0
        again = _run("setup", "hubspot", "--config", str(path))
        assert again.exit_code == 0 and again.stdout.strip().endswith("nothing to do")
        assert "would" not in again.stdout and "created" not in again.stdout
