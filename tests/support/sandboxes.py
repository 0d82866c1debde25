"""Every vendor sandbox running in this process, with a project file wired to them, for sync tests.

with synced_project(tmp_path) as env:
    env.sandboxes["salesforce"].control.org ...
    env.cli("sync", "run", "--json")
    env.vendor_state()        # what each system holds in Contactpoint's fields, for comparisons
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml
from typer.testing import CliRunner

from core.cli import app
from core.store import open_store
from sandbox.common.registry import KNOWN_SANDBOXES
from sandbox.common.runner import RunningSandbox, running_sandbox

ROOT = Path(__file__).resolve().parents[2]
SYSTEMS = tuple(s for s in ("salesforce", "zendesk", "hubspot", "mixpanel") if s in KNOWN_SANDBOXES)
"""The sandboxes this checkout has, in the order the brief names the silos."""

_PREFIXES = ("Contactpoint_", "contactpoint_")


@dataclass
class SyncEnv:
    """Running sandboxes, the project file that reaches them, and its store."""

    sandboxes: dict[str, RunningSandbox]
    project: Path
    url: str

    def cli(self, *args: str) -> Any:
        """Run a command in this process (``--config`` added where it belongs)."""
        result = CliRunner().invoke(app, [*args, "--config", str(self.project)])
        return result

    def cli_store(self, *args: str) -> Any:
        """Run a command that takes the store's URL (``--url``) in this process."""
        return CliRunner().invoke(app, [*args, "--url", self.url])

    def sync(self, *extra: str) -> dict[str, Any]:
        """Run ``sync run --json`` and return its summary.

        Raises:
            AssertionError: The run did not exit 0.
        """
        result = self.cli("sync", "run", "--json", *extra)
        assert result.exit_code == 0, (result.output, result.exception)
        return dict(json.loads(result.stdout))

    def subprocess(
        self, *args: str, env: dict[str, str] | None = None, evaluated_at: datetime | None = None,
        chunk: int | None = None,
    ) -> subprocess.CompletedProcess[str]:  # fmt: skip
        """Run a command in a child process (for kills), against the same sandboxes and store.

        ``evaluated_at`` holds the time policies are evaluated at still (``core.sync.run.evaluation_time``),
        so runs minutes apart decide alike: scores decay with time. ``chunk`` sets how many
        profiles a sync decides, plans and pushes together (``core.sync.run.CHUNK``).
        """
        code = "from core.cli import main; main()"
        if chunk is not None:
            code = f"import core.sync.run as r; r.CHUNK = {chunk}; " + code
        if evaluated_at is not None:
            code = ("import datetime, core.sync.run as r; "
                    f"r.evaluation_time = lambda store: datetime.datetime.fromisoformat({evaluated_at.isoformat()!r}); "
                    + code)  # fmt: skip
        return subprocess.run(
            [sys.executable, "-c", code, *args, "--config", str(self.project)],
            capture_output=True, text=True, env={**os.environ, **(env or {})}, cwd=self.project.parent, timeout=600,
        )  # fmt: skip

    def vendor_state(self) -> dict[str, Any]:
        """What each system holds in Contactpoint's fields, record by record (and the Tasks the alerts made)."""
        state: dict[str, Any] = {}
        for name, sb in self.sandboxes.items():
            state[name] = _STATE[name](sb)
        return state

    def labelled_state(self) -> dict[str, Any]:
        """``vendor_state`` with profile IDs replaced by the sorted records each profile holds (IDs differ by store)."""
        with open_store(self.url) as store:
            members: dict[str, list[str]] = {}
            for link in store.links.iter():
                members.setdefault(link.profile_id, []).append(f"{link.system}/{link.stream}/{link.source_id}")
        labels = {pid: "|".join(sorted(keys)) for pid, keys in members.items()}

        def relabel(value: Any) -> Any:
            if isinstance(value, dict):
                return {k: relabel(v) for k, v in value.items()}
            if isinstance(value, list | tuple):
                return [relabel(v) for v in value]
            return labels.get(value, value) if isinstance(value, str) else value

        return dict(relabel(self.vendor_state()))


def _owned(fields: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in fields.items() if k.startswith(_PREFIXES) and v not in (None, "")}


def _salesforce(sb: RunningSandbox) -> dict[str, Any]:
    org = sb.control.org
    found = {f"{obj}/{r['Id']}": _owned(r) for obj in ("Contact", "Lead") for r in org.live(obj)}
    found["tasks"] = sorted(
        (str(r.get("Contactpoint_Alert_Key__c")), str(r.get("WhoId")), str(r.get("OwnerId"))) for r in org.live("Task")
    )
    return {k: v for k, v in found.items() if v}


def _hubspot(sb: RunningSandbox) -> dict[str, Any]:
    return {r.id: _owned(r.props) for r in sb.control.portal.live("contacts") if _owned(r.props)}


def _mixpanel(sb: RunningSandbox) -> dict[str, Any]:
    profiles = sb.control.project.profiles
    return {pid: _owned(p.get("$properties", p)) for pid, p in profiles.items() if _owned(p.get("$properties", p))}


def _zendesk(sb: RunningSandbox) -> dict[str, Any]:
    control = sb.control
    users = getattr(control, "users", None) or getattr(getattr(control, "account", None), "users", {})
    found = {}
    for uid, user in dict(users).items():
        fields = user.get("user_fields", {}) if isinstance(user, dict) else getattr(user, "user_fields", {})
        owned = _owned(fields or {})
        if owned:
            found[str(uid)] = owned
    return found


_STATE = {"salesforce": _salesforce, "hubspot": _hubspot, "mixpanel": _mixpanel, "zendesk": _zendesk}

_FAST_EXPORTS = 1000
"""Zendesk answers 10 incremental exports a minute; a test runs several syncs a minute, so both sides lift it."""


def _lift_limits(name: str, sb: RunningSandbox, settings: dict[str, Any]) -> dict[str, Any]:
    if name == "zendesk":
        sb.control.set_limits(exports=_FAST_EXPORTS)
        return {**settings, "exports_per_minute": _FAST_EXPORTS}
    return settings


def _setup(env: SyncEnv) -> None:
    for name in env.sandboxes:
        result = env.cli("setup", name)
        assert result.exit_code == 0, (name, result.output)


@contextmanager
def synced_project(folder: Path, *, records: int = 120, seed: int = 3, url: str | None = None) -> Iterator[SyncEnv]:
    """Start every sandbox, write contactpoint.yaml for them (shipped mappings and policies), run setup.

    The sandboxes' day is fixed to today's (UTC), so two projects of one seed started in one
    test session hold the same data, to the millisecond of their events' times.
    """
    today = datetime.now(UTC).date()
    with ExitStack() as stack:
        sandboxes = {name: stack.enter_context(running_sandbox(name, records=records, seed=seed, today=today))
                     for name in SYSTEMS}  # fmt: skip
        store_url = url or f"sqlite:///{folder / 'contactpoint.db'}"
        project = {
            "version": 1,
            "store": {"url": store_url},
            "systems": {
                name: {
                    "kind": name,
                    "mapping": str(ROOT / "mappings" / f"{name}.yaml"),
                    "settings": _lift_limits(name, sb, sb.connector_settings()),
                }
                for name, sb in sandboxes.items()
            },
            "policies": {"files": [str(ROOT / "mappings" / "policies.yaml")]},
        }
        path = folder / "contactpoint.yaml"
        path.write_text(yaml.safe_dump(project, sort_keys=False), encoding="utf-8")
        env = SyncEnv(sandboxes, path, store_url)
        _setup(env)
        yield env
