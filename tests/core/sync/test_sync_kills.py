"""A sync killed at any point, then run again, ends where an uninterrupted sync ends: in the store and in every system.

Two worlds from the same seed: one synced without interruption, one whose first sync is
killed (SIGKILL, at a failpoint chosen from the work's own progress) and then run again.
The killed world decides, plans and pushes a few profiles at a time (``CHUNK``), the
uninterrupted one all at once, so each comparison also shows that a run in chunks ends
like a run done whole, with as many write requests.
Their stores are compared record by record, their systems field by field (profile IDs,
which are random, compared by the records each profile holds), and the writes the
systems received counted: a write the vendor had confirmed is never sent again, and the
complaint's Salesforce Task exists once, also when the kill fell after Salesforce made it.
"""

from __future__ import annotations

import json
import signal
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from connectors.marketing.hubspot.connector import HubSpotConnector
from core.errors import RetryableError
from core.store import Store, open_store
from core.sync import run as sync_run
from tests.support.sandboxes import SyncEnv, synced_project

pytestmark = [pytest.mark.live, pytest.mark.slow, pytest.mark.soak]

KILLED = -signal.SIGKILL
POINTS = [
    "ingest.batch_stored:3",  # during the pull: a batch stored, its cursor not yet
    "ingest.cursor_saved:5",  # during the pull, between two batches
    "identity.links_written",  # while the resolution is written
    "sync.pushed:1",  # a vendor confirmed a write; the write-back ledger does not know yet
    "sync.pushed:2",
    "sync.alert_pushed",  # Salesforce made the complaint's Task; the alert is not marked sent yet
]


def _write_requests(env: SyncEnv) -> dict[str, int]:
    def writes(key: str) -> bool:
        method, path = key.split()[:2]
        if method in ("PATCH", "PUT", "DELETE"):
            return True
        return method == "POST" and (
            path.endswith(("/batch/update", "/batch/upsert", "update_many")) or path == "/engage"
        )

    return {name: sum(n for key, n in sb.control.requests.snapshot().items() if writes(key))
            for name, sb in env.sandboxes.items()}  # fmt: skip


EVALUATED_AT = datetime.now(UTC)
"""Both worlds' policies are evaluated at this one time: scores decay, and the worlds are built minutes apart."""

_VOLATILE = {"updated_at"}
"""What differs between two worlds for no fault of the sync: when each vendor stamped its records."""


def _world(store: Store) -> dict[str, Any]:
    """The store's content comparable across two worlds of the same seed: no times, profiles by their records."""
    members: dict[str, list[str]] = {}
    for link in store.links.iter():
        members.setdefault(link.profile_id, []).append(f"{link.system}/{link.stream}/{link.source_id}")
    label = {pid: "|".join(sorted(keys)) for pid, keys in members.items()}
    golden = store.profiles.golden_of(members)
    decided = store.decisions.get(members)
    return {
        "records": sorted((r.system, r.stream, r.source_id, r.deleted) for r in store.records.iter_source()),
        "canonical": sorted(
            (c.system, c.stream, c.source_id, c.model, c.ordinal, str({k: v for k, v in c.data.items() if k not in _VOLATILE}))
            for c in store.records.iter_canonical()
        ),
        "parked": sorted((p.system, p.stream, p.source_id, p.code, p.field, p.reason) for p in store.parked.list()),
        "profiles": sorted(
            (label[pid], str({f: v.get("value") for f, v in golden.get(pid, {}).items()}),
             str({k: label.get(v, v) if isinstance(v, str) else v for k, v in decided.get(pid, {}).items()}))
            for pid in members
        ),
        "active_profiles_without_records": sorted(set(store.profiles.active()) - set(members)),
        "alerts": sorted((a.key, a.status) for a in store.alerts.pending()),
    }  # fmt: skip


CHUNK = 7
"""Profiles the killed world decides, plans and pushes together (the uninterrupted one: the default, all of them)."""


def _settle(env: SyncEnv, chunk: int | None = None) -> dict[str, Any]:
    """Run until a sync writes nothing (the echo of earlier writes taken in); return that last summary.

    Each run starts a minute after the one before, as scheduled runs do: Zendesk's exports
    leave out the last minute, so a write a killed run made there just before it died is
    seen (and recorded, not sent again) only by a run at least a minute later.
    """
    for _ in range(3):
        if "zendesk" in env.sandboxes:
            env.sandboxes["zendesk"].control.advance_clock(61)
        result = env.subprocess("sync", "run", "--json", evaluated_at=EVALUATED_AT, chunk=chunk)
        assert result.returncode == 0, result.stderr[-2000:]
        if '"writes": 0' in result.stdout:
            return {"stdout": result.stdout}
    raise AssertionError("the sync did not settle in three runs")


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    with synced_project(tmp_path_factory.mktemp("whole"), records=60, seed=5) as env:
        _settle(env)
        vendors = env.labelled_state()
        complaints = [t for t in vendors["salesforce"]["tasks"] if t[0].startswith("complaint:zendesk/")]
        assert len(complaints) == len({t[0] for t in complaints}) >= 1  # one Task per complaint
        with open_store(env.url) as store:
            yield {"store": _world(store), "vendors": vendors, "writes": _write_requests(env)}


@pytest.mark.parametrize("point", POINTS)
def test_a_sync_killed_anywhere_then_run_again_ends_like_an_uninterrupted_one(point, tmp_path: Path, uninterrupted):
    with synced_project(tmp_path, records=60, seed=5) as env:
        killed = env.subprocess(
            "sync", "run", "--json", env={"CONTACTPOINT_FAILPOINTS": point}, evaluated_at=EVALUATED_AT, chunk=CHUNK
        )
        assert killed.returncode == KILLED, killed.stderr[-2000:]
        _settle(env, CHUNK)
        with open_store(env.url) as store:
            found = _world(store)
        for part, rows in found.items():  # name the first differing row of each part
            missing = [r for r in uninterrupted["store"][part] if r not in rows][:3]
            extra = [r for r in rows if r not in uninterrupted["store"][part]][:3]
            assert (missing, extra) == ([], []), (part, missing, extra)
        with open_store(env.url) as store:
            runs = {r.status for r in store.runs.list(kind="sync")}
        assert "abandoned" in runs  # the rerun found the killed run and said so
        assert env.labelled_state() == uninterrupted["vendors"]
        assert _write_requests(env) == uninterrupted["writes"]  # nothing confirmed was sent again


def _unreachable(env: SyncEnv, system: str, *, down: bool) -> None:
    """Point ``system``'s settings at a closed port (``down``), or back at its sandbox."""
    project = yaml.safe_load(env.project.read_text(encoding="utf-8"))
    here, closed = env.sandboxes[system].base_url, "https://127.0.0.1:9"
    old, new = (here, closed) if down else (closed, here)
    settings = project["systems"][system]["settings"]
    for key, value in settings.items():
        if isinstance(value, str) and value.startswith(old):
            settings[key] = new + value[len(old) :]
    env.project.write_text(yaml.safe_dump(project, sort_keys=False), encoding="utf-8")


def test_a_system_down_for_a_run_holds_up_no_other_and_the_next_run_catches_up(tmp_path: Path, uninterrupted):
    with synced_project(tmp_path, records=60, seed=5) as env:
        _unreachable(env, "hubspot", down=True)
        before = _write_requests(env)
        first = env.subprocess("sync", "run", "--json", evaluated_at=EVALUATED_AT)
        assert first.returncode == 3, first.stderr[-2000:]
        summary = json.loads(first.stdout)  # one document: what the run did, and its failure
        assert summary["error"]["message"].startswith(
            f"1 of {len(env.sandboxes)} systems failed: hubspot at its pull: HubSpot"
        )
        assert "the others were synced" in summary["error"]["message"] and summary["error"]["exit_code"] == 3
        assert list(summary["failed_systems"]) == ["hubspot"]
        written = {system: counts["written"] for system, counts in summary["per_system"].items()}
        assert all(written.get(s, 0) > 0 for s in ("salesforce", "zendesk", "mixpanel")), written
        assert summary["per_system"].get("hubspot", {}).get("written", 0) == 0
        assert _write_requests(env)["hubspot"] == before["hubspot"]  # nothing reached it
        with open_store(env.url) as store:
            (run,) = store.runs.list(kind="sync")
        assert run.status == "failed" and "hubspot" in (run.error or "") and run.counters["pulled"] > 0
        # still down: the next run decides what changed since (nothing: the others' echoes are recognised) and
        # what HubSpot is owed (nothing: none of its records was ever pulled), not the first run's work again
        second = env.subprocess("sync", "run", "--json", evaluated_at=EVALUATED_AT)
        assert second.returncode == 3, second.stderr[-2000:]
        again = json.loads(second.stdout)
        assert summary["decided"]["profiles"] > 0 and again["decided"]["profiles"] == 0, again["decided"]
        assert sum(counts["written"] for counts in again["per_system"].values()) == 0
        assert _write_requests(env)["hubspot"] == before["hubspot"]
        _unreachable(env, "hubspot", down=False)
        _settle(env)
        with open_store(env.url) as store:
            found = _world(store)
        for part, rows in found.items():
            missing = [r for r in uninterrupted["store"][part] if r not in rows][:3]
            extra = [r for r in rows if r not in uninterrupted["store"][part]][:3]
            assert (missing, extra) == ([], []), (part, missing, extra)
        assert env.labelled_state() == uninterrupted["vendors"]


def test_a_system_failing_at_its_push_is_owed_its_profiles_until_it_answers(tmp_path: Path, monkeypatch):
    def unreachable(self, batch):
        raise RetryableError("HubSpot request failed (no response): connection refused", hint="is it up?")

    at = datetime.now(UTC).replace(microsecond=0)
    (tmp_path / "twin").mkdir()
    (tmp_path / "down").mkdir()
    monkeypatch.setattr(sync_run, "evaluation_time", lambda store: at)  # runs minutes apart decide alike
    with synced_project(tmp_path / "twin", records=30, seed=11) as twin:  # never interrupted
        twin.sync()
        expected = twin.labelled_state()
    with synced_project(tmp_path / "down", records=30, seed=11) as env, monkeypatch.context() as down:
        down.setattr(HubSpotConnector, "push", unreachable)
        first = env.cli("sync", "run", "--json")
        assert first.exit_code == 3, first.output
        summary = json.loads(first.stdout)
        with open_store(env.url) as store:
            owed = store.writeback.owed("hubspot")
        assert summary["per_system"]["hubspot"]["unsent"] > 0 and summary["per_system"]["salesforce"]["written"] > 0
        assert 0 < len(owed) < summary["decided"]["profiles"]  # the profiles with something for HubSpot
        second = env.cli("sync", "run", "--json")  # still failing: what it is owed, not the first run's work again
        assert second.exit_code == 3, second.output
        again = json.loads(second.stdout)
        assert again["decided"]["profiles"] == len(owed), (again["decided"], len(owed))
        assert sum(c["written"] for s, c in again["per_system"].items() if s != "hubspot") == 0
        report = env.cli("report", "reconcile", "--format", "json", "--out", str(tmp_path / "r.json"), "--no-keep")
        assert report.exit_code == 0, report.output
        table = json.loads((tmp_path / "r.json").read_text())["tables"]["writeback"]
        owed_now = {row[0]: row[table["columns"].index("owed_now")] for row in table["rows"]}
        assert owed_now["hubspot"] == len(owed) and owed_now.get("salesforce", 0) == 0  # the admin sees the wait
        _unreachable(env, "hubspot", down=True)  # now its pull fails too: what it is owed could not be sent
        third = env.cli("sync", "run", "--json")
        assert third.exit_code == 3, third.output
        assert json.loads(third.stdout)["decided"]["profiles"] == 0
        with open_store(env.url) as store:
            assert store.writeback.owed("hubspot") == owed  # still owed, not decided in vain
        _unreachable(env, "hubspot", down=False)
        down.undo()
        back = env.sync()  # it answers: what it was owed is written, and it is owed nothing more
        assert back["per_system"]["hubspot"]["written"] == summary["per_system"]["hubspot"]["unsent"]
        with open_store(env.url) as store:
            assert store.writeback.owed() == []
        assert env.labelled_state() == expected
        assert sum(c["write_calls"] for c in env.sync()["per_system"].values()) == 0


def _record_statements(env: SyncEnv, folder: Path, *statements: dict[str, Any]) -> None:
    path = folder / "statements.json"
    path.write_text(json.dumps([{"source": {"kind": "customer"}, **s} for s in statements]), encoding="utf-8")
    result = env.cli_store("ledger", "record", str(path), "--reason", "asked on the phone")
    assert result.exit_code == 0, result.output


def test_a_write_whose_echo_a_failed_pull_did_not_bring_is_no_hand_change(tmp_path: Path, monkeypatch):
    """Values Contactpoint wrote after a record was last stored are unknown, not a person's edits, until a pull."""
    from connectors.salesforce.connector import SalesforceConnector

    def unreachable(self, *args, **kwargs):
        raise RetryableError("Salesforce request failed (no response): connection refused", hint="is it up?")

    (tmp_path / "world").mkdir()
    with synced_project(tmp_path / "world", records=30, seed=13) as env:
        env.sync()
        org = env.sandboxes["salesforce"].control.org
        # people whose Contact is not suppressed yet (one unsubscribed in HubSpot already is: nothing would change)
        open_to_mail = {
            c.get("Contactpoint_Profile_Id__c") for c in org.live("Contact") if not c.get("Contactpoint_Suppressed__c")
        }
        with open_store(env.url) as store:
            linked = {link.profile_id for link in store.links.iter() if link.system == "salesforce"}
        people = sorted(linked & open_to_mail)[:3]
        assert len(people) == 3
        withdrawn = {"type": "consent", "channel": "email", "purpose": "marketing", "status": "withdrawn"}
        _record_statements(env, tmp_path, *({"person": p, **withdrawn} for p in people))
        written = env.sync()  # their suppression is written to Salesforce; its echo comes with the next pull
        assert written["per_system"]["salesforce"]["written"] >= len(people)
        with monkeypatch.context() as down:
            down.setattr(SalesforceConnector, "pull", unreachable)
            sms = {"type": "preference", "name": "preferred_channel", "value": "sms"}
            _record_statements(env, tmp_path, *({"person": p, **sms} for p in people))
            result = env.cli("sync", "run", "--json")  # its pull fails: the stored Contacts predate that write
        assert result.exit_code == 3, result.output
        summary = json.loads(result.stdout)
        assert summary["decided"]["profiles"] >= len(people)
        assert [h for h in summary["plan"]["hand_changes"] if h["system"] == "salesforce"] == []
        back = env.sync()  # the echo arrives: still no hand change, and what waited is written
        assert back["plan"]["hand_changes"] == []
        assert sum(c["write_calls"] for c in env.sync()["per_system"].values()) == 0


def test_a_hand_change_set_back_is_the_last_write_so_a_record_stored_before_it_is_no_hand_change(
    tmp_path: Path, monkeypatch
):
    """Writing a value again (a person's edit set back) moves the field's last write; the older record says nothing."""
    from connectors.salesforce.connector import SalesforceConnector

    def unreachable(self, *args, **kwargs):
        raise RetryableError("Salesforce request failed (no response): connection refused", hint="is it up?")

    (tmp_path / "world").mkdir()
    with synced_project(tmp_path / "world", records=30, seed=13) as env:
        env.sync()
        env.sync()  # the first run's echoes come back
        org = env.sandboxes["salesforce"].control.org
        contact = next(r for r in org.live("Contact") if r.get("Contactpoint_Profile_Id__c"))
        field, pid = "Contactpoint_Profile_Id__c", contact["Contactpoint_Profile_Id__c"]
        org.update(org.get("Contact", contact["Id"]), {field: "typed by a sales rep"})
        restored = env.sync()  # the edit is pulled and set back; its echo would come with the next pull
        assert [(h["source_id"], h["field"]) for h in restored["plan"]["hand_changes"]] == [(contact["Id"], field)]
        assert org.get("Contact", contact["Id"])[field] == pid
        with monkeypatch.context() as down:
            down.setattr(SalesforceConnector, "pull", unreachable)
            sms = {"type": "preference", "name": "preferred_channel", "value": "sms"}
            _record_statements(env, tmp_path, {"person": pid, **sms})  # the person is decided and planned again
            result = env.cli("sync", "run", "--json")  # the stored Contact still holds the edit: it predates the write
        assert result.exit_code == 3, result.output
        summary = json.loads(result.stdout)
        assert [h for h in summary["plan"]["hand_changes"] if h["system"] == "salesforce"] == []
        planned = [
            c["field"] for w in summary["plan"]["writes"] if w["source_id"] == contact["Id"] for c in w["changes"]
        ]
        assert field not in planned
        back = env.sync()  # the echo arrives: the value written, no hand change
        assert back["plan"]["hand_changes"] == []
