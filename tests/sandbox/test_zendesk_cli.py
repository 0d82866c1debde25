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


def test_zendesk_up_json_prints_what_clients_need_then_down(tmp_path: Path) -> None:
    started = _run(["sandbox", "up", "zendesk", "--records", "20", "--json"], tmp_path)
    assert started.returncode == 0, started.stderr
    state = json.loads(started.stdout)
    try:
        creds = state["credentials"]
        assert state["base_url"].startswith("https://127.0.0.1:") and creds["base_url"] == state["base_url"]
        assert f"https://{creds['zenpy_subdomain']}.{creds['zenpy_domain']}" == state["base_url"]
        me = requests.get(
            f"{state['base_url']}/api/v2/users/me.json",
            auth=(f"{creds['email']}/token", creds["api_token"]),
            verify=state["ca_file"],
            timeout=10,
        )
        assert me.status_code == 200 and me.json()["user"]["role"] == "admin"
        assert me.headers["X-Rate-Limit"] == "700"
        bearer = requests.get(
            f"{state['base_url']}/api/v2/users/me.json",
            headers={"Authorization": f"Bearer {creds['oauth_token']}"},
            verify=state["ca_file"],
            timeout=10,
        )
        assert bearer.status_code == 200
    finally:
        stopped = _run(["sandbox", "down", "zendesk", "--json"], tmp_path)
    assert json.loads(stopped.stdout) == {"stopped": ["zendesk"]}
    assert not (tmp_path / "sandbox" / "zendesk.json").exists()
