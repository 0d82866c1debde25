"""``contactpoint setup SYSTEM`` makes the writes SYSTEM refused before worth sending again."""

from __future__ import annotations

from pathlib import Path

import yaml

from core.commands.setup_cmd import _release_refused
from core.config import load_project
from core.store import open_store
from core.sync.push import _Failed


def _project(folder: Path) -> Path:
    path = folder / "contactpoint.yaml"
    systems = {"zendesk": {"kind": "zendesk", "mapping": "mappings/zendesk.yaml", "settings": {}}}
    path.write_text(yaml.safe_dump({"version": 1, "store": {"url": "sqlite:///./cp.db"}, "systems": systems}))
    return path


def test_setup_before_any_sync_makes_no_store(tmp_path: Path, monkeypatch):
    monkeypatch.delenv("CONTACTPOINT_DATABASE_URL", raising=False)
    project = load_project(_project(tmp_path))
    assert _release_refused(project, "zendesk") == 0
    assert not (tmp_path / "cp.db").exists()


def test_setup_releases_the_system_s_refused_writes_in_the_project_store(tmp_path: Path, monkeypatch):
    monkeypatch.delenv("CONTACTPOINT_DATABASE_URL", raising=False)
    path = _project(tmp_path)
    with open_store(f"sqlite:///{tmp_path / 'cp.db'}") as store:
        refused = [_Failed(str(i), {"user_fields": {"contactpoint_profile_id": f"cp_{i}"}}, "USER_FIELD_MISSING",
                           "no user field contactpoint_profile_id in Zendesk", False) for i in range(3)]  # fmt: skip
        store.writeback.fail("zendesk", "users", refused, run_id="r1")
        store.writeback.fail("hubspot", "contacts", refused[:1], run_id="r1")
    monkeypatch.chdir(tmp_path.parent)  # the store is found from the project file, not the working folder
    assert _release_refused(load_project(path), "zendesk") == 3
    with open_store(f"sqlite:///{tmp_path / 'cp.db'}") as store:
        assert {(f.system, f.retryable) for f in store.writeback.failures()} == {("zendesk", True), ("hubspot", False)}
