"""The human summary of a sync run: a failed system's writes that were not sent are shown, not taken for written."""

from __future__ import annotations

from core.commands import sync_cmd
from core.sync.planner import Plan, PlannedWrite
from core.sync.run import SyncSummary


def _summary(*, unsent: int) -> SyncSummary:
    summary = SyncSummary(dry_run=False)
    writes = [PlannedWrite(f"p{i}", system, "people", f"id{i}", {"Segment": "buyer"})
              for system in ("hubspot", "salesforce") for i in range(3)]  # fmt: skip
    summary.plan.absorb(Plan(writes=writes), keep=10)
    summary.pushed.written["salesforce"], summary.pushed.calls["salesforce"] = 3, 1
    if unsent:
        summary.pushed.unsent["hubspot"] = unsent
        summary.failed["hubspot"] = "push: HubSpot request failed (no response)"
    else:
        summary.pushed.written["hubspot"], summary.pushed.calls["hubspot"] = 3, 1
    return summary


def test_a_failed_systems_unsent_writes_are_said_in_its_line(capsys):
    sync_cmd._print(_summary(unsent=3), "sync-1", 1.0)
    out = capsys.readouterr().out
    assert "hubspot failed at its push: HubSpot request failed (no response): nothing more was sent to it; 3 write(s) " \
           "not sent, owed to it until a run it answers in" in out  # fmt: skip
    assert out.splitlines()[-1] == "pulled 0, parked 0, wrote 3 records in 1 calls; alerts sent 0"


def test_a_run_where_every_system_answered_names_no_failure(capsys):
    sync_cmd._print(_summary(unsent=0), "sync-1", 1.0)
    out = capsys.readouterr().out
    assert "not sent" not in out and "failed at its" not in out
    assert out.splitlines()[-1] == "pulled 0, parked 0, wrote 6 records in 2 calls; alerts sent 0"
