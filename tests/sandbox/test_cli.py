from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import requests


def _run(args: list[str], home: Path) -> subprocess.CompletedProcess[str]:
    env = os.environ | {"CONTACTPOINT_HOME": str(home)}
    code = "from core.cli import main; main()"
    return subprocess.run([sys.executable, "-c", code, *args], env=env, capture_output=True, text=True, timeout=60)


def test_up_json_then_down(tmp_path: Path) -> None:
    started = _run(["sandbox", "up", "salesforce", "--records", "20", "--json"], tmp_path)
    assert started.returncode == 0, started.stderr
    state = json.loads(started.stdout)
    try:
        assert state["base_url"].startswith("https://127.0.0.1:")
        assert state["already_running"] is False
        token = state["credentials"]["session_id"]
        response = requests.get(
            f"{state['base_url']}/services/data/v59.0/query",
            params={"q": "SELECT COUNT() FROM Contact"},
            headers={"Authorization": f"Bearer {token}"},
            verify=state["ca_file"],
            timeout=10,
        )
        assert response.status_code == 200
        assert response.headers["Sforce-Limit-Info"].startswith("api-usage=1/")
        again = json.loads(_run(["sandbox", "up", "salesforce", "--json"], tmp_path).stdout)
        assert again["already_running"] is True and again["pid"] == state["pid"]
    finally:
        stopped = _run(["sandbox", "down", "--json"], tmp_path)
    assert json.loads(stopped.stdout) == {"stopped": ["salesforce"]}
    assert not (tmp_path / "sandbox" / "salesforce.json").exists()


def test_unknown_system_gets_hint(tmp_path: Path) -> None:
    result = _run(["sandbox", "up", "salesfroce"], tmp_path)
    assert result.returncode == 2
    assert "did you mean 'salesforce'" in result.stderr


def test_hubspot_up_json_then_down(tmp_path: Path) -> None:
    started = _run(["sandbox", "up", "hubspot", "--records", "20", "--json"], tmp_path)
    assert started.returncode == 0, started.stderr
    state = json.loads(started.stdout)
    try:
        token = state["credentials"]["private_app_token"]
        response = requests.post(
            f"{state['base_url']}/crm/v3/objects/contacts/search",
            json={"limit": 5, "properties": ["email"]},
            headers={"Authorization": f"Bearer {token}"},
            verify=state["ca_file"],
            timeout=10,
        )
        assert response.status_code == 200 and response.json()["total"] >= 20
        assert state["credentials"]["token_url"].endswith("/oauth/v1/token")
    finally:
        stopped = _run(["sandbox", "down", "hubspot", "--json"], tmp_path)
    assert json.loads(stopped.stdout) == {"stopped": ["hubspot"]}
