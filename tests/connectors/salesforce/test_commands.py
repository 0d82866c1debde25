"""``contactpoint check salesforce`` and ``contactpoint setup salesforce`` on a project file (replayed)."""

from __future__ import annotations

import json

import structlog
import yaml
from typer.testing import CliRunner

from core.cli import app
from core.mapping import load_mapping

from .conftest import ROOT, salesforce_env

MAPPING = ROOT / "mappings" / "salesforce.yaml"


def _project(tmp_path, monkeypatch, settings):
    secret = settings["auth"]["client_secret"]
    monkeypatch.setenv("SF_CLIENT_SECRET", secret)
    settings = {**settings, "auth": {**settings["auth"], "client_secret": "${SF_CLIENT_SECRET}"}}
    path = tmp_path / "contactpoint.yaml"
    path.write_text(
        yaml.safe_dump(
            {
                "version": 1,
                "systems": {"salesforce": {"kind": "salesforce", "mapping": str(MAPPING), "settings": settings}},
            }
        )
    )
    return path, secret


def _run(*args):
    result = CliRunner().invoke(app, list(args))
    structlog.reset_defaults()
    return result


def test_check_reports_auth_and_api_usage(tmp_path, monkeypatch):
    with salesforce_env("cli_check") as env:
        path, secret = _project(tmp_path, monkeypatch, env.settings())
        result = _run("check", "salesforce", "--config", str(path), "--json")
        assert result.exit_code == 0, result.output
        report = json.loads(result.stdout)
        assert report["ok"] and report["facts"]["auth"] == "client_credentials"
        assert report["api_limit"] == 100_000 and report["api_used"] >= 1
        assert report["api_calls_by_check"]["calls"] >= 2
        assert secret not in result.output
        text = _run("check", "salesforce", "--config", str(path))
        assert "API usage today" in text.stdout


def test_check_with_refused_credentials_exits_3_with_a_hint(tmp_path, monkeypatch):
    with salesforce_env("cli_check_refused") as env:
        settings = env.settings()
        settings["auth"] = {**settings["auth"], "client_secret": "wrong-secret"}
        path, _ = _project(tmp_path, monkeypatch, settings)
        result = _run("check", "salesforce", "--config", str(path))
        assert result.exit_code == 3
        assert "hint:" in result.stderr and "wrong-secret" not in result.output + result.stderr


def test_setup_dry_run_then_create_then_nothing_to_do(tmp_path, monkeypatch):
    with salesforce_env("cli_setup") as env:
        path, _ = _project(
            tmp_path, monkeypatch, env.settings(setup={"integration_profile": "Contactpoint Integration"})
        )
        dry = json.loads(_run("setup", "salesforce", "--config", str(path), "--dry-run", "--json").stdout)
        to_create = [(f["object"], f["field"]) for f in dry["fields"] if f["action"] == "create"]
        # the mapping's write-back fields on Contact and on Lead, and the alerts' key on Task; a fresh org has none
        per_object = len(load_mapping(MAPPING).writeback("Contact").fields)
        assert per_object == 10 and len(to_create) == 2 * per_object + 1
        assert ("Task", "Contactpoint_Alert_Key__c") in to_create
        types = {f["field"]: f["type"] for f in dry["fields"]}
        assert types["Contactpoint_Profile_Id__c"] == "Text" and types["Contactpoint_Suppressed__c"] == "Checkbox"
        assert types["Contactpoint_Weekly_Cap__c"] == "Number" and types["Contactpoint_Quiet_Hours__c"] == "Text"
        assert [(c["layout"], len(c["fields"])) for c in dry["layouts"]] == [
            ("Contact Layout", per_object), ("Contact (Support) Layout", per_object), ("Lead Layout", per_object)]  # fmt: skip
        assert {g["access"] for g in dry["grants"] if g["profile"] == "Contactpoint Integration"} == {"edit"}
        # fields, layouts (Task has none in this org), and read (edit for the integration) on three profiles
        assert dry["pending"] == len(to_create) + 3 + 3 * len(to_create)
        text = _run("setup", "salesforce", "--config", str(path), "--dry-run")
        assert "would create" in text.stdout and "would place" in text.stdout and "would grant" in text.stdout
        created = json.loads(_run("setup", "salesforce", "--config", str(path), "--json").stdout)
        assert sorted((f["object"], f["field"]) for f in created["fields"] if f["action"] == "done") == sorted(
            to_create
        )
        assert created["done"] == dry["pending"] and created["pending"] == 0
        again = _run("setup", "salesforce", "--config", str(path))
        assert again.exit_code == 0 and again.stdout.strip().endswith("nothing to do")
        assert "would" not in again.stdout and "created" not in again.stdout


def test_setup_without_a_mapping_exits_with_a_hint(tmp_path, monkeypatch):
    settings = {"login_url": "https://127.0.0.1:1", "auth": {"kind": "client_credentials", "client_id": "x",
                "client_secret": "never-used"}}  # fmt: skip
    path = tmp_path / "contactpoint.yaml"
    path.write_text(
        yaml.safe_dump({"version": 1, "systems": {"salesforce": {"kind": "salesforce", "settings": settings}}})
    )
    result = _run("setup", "salesforce", "--config", str(path), "--dry-run")
    assert result.exit_code != 0 and "--mapping" in result.stderr
