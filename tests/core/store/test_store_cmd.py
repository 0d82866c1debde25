from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from connectors.base import RejectedRecord
from core.cli import app
from core.store import head_revision, open_store

from .helpers import record

runner = CliRunner()


def test_migrate_then_status_json(store_url, monkeypatch):
    monkeypatch.setenv("CONTACTPOINT_DATABASE_URL", store_url)
    before = json.loads(runner.invoke(app, ["store", "status", "--json"]).stdout)
    assert before["revision"] is None and before["up_to_date"] is False and before["tables"] == {}

    migrated = runner.invoke(app, ["store", "migrate", "--json"])
    assert migrated.exit_code == 0, migrated.output
    assert json.loads(migrated.stdout) | {"url": None} == {
        "url": None,
        "from": None,
        "to": head_revision(),
        "changed": True,
    }

    with open_store(store_url) as store:
        store.records.upsert_source([record("1"), record("2")], run_id="r1")
    status = runner.invoke(app, ["store", "status", "--json"])
    data = json.loads(status.stdout)
    assert data["revision"] == data["head"] == head_revision()
    assert data["up_to_date"] is True
    assert data["tables"]["source_records"] == 2
    assert data["tables"]["runs"] == 0


def test_status_text_and_second_migrate(store_url):
    assert runner.invoke(app, ["store", "migrate", "--url", store_url]).exit_code == 0
    again = runner.invoke(app, ["store", "migrate", "--url", store_url])
    assert "up to date" in again.stdout
    status = runner.invoke(app, ["store", "status", "--url", store_url])
    assert status.exit_code == 0
    assert "source_records" in status.stdout and f"head {head_revision()}" in status.stdout


def test_unreachable_store_exits_5_with_a_hint_and_no_password():
    result = runner.invoke(app, ["store", "status", "--url", "postgresql://cp:hunter2@127.0.0.1:1/cp"])
    assert result.exit_code == 5
    assert "hunter2" not in result.output
    assert "127.0.0.1:1" in result.output
    assert "hint:" in result.output


def test_parked_shows_at_most_limit_and_counts_all(store_url):
    bad = [RejectedRecord("files", "people", f"bad {n}", {"n": n}, source_id=str(n)) for n in range(3)]
    with open_store(store_url) as store:
        store.parked.add(bad, run_id="r1")
    result = runner.invoke(app, ["store", "parked", "--url", store_url, "--limit", "2", "--json"])
    view = json.loads(result.stdout)
    assert [row["source_id"] for row in view["parked"]] == ["0", "1"] and view["parked_total"] == 3
    text = runner.invoke(app, ["store", "parked", "--url", store_url, "--limit", "2"])
    assert text.exit_code == 0, text.output
    assert "2 of 3 parked record(s) shown" in text.stdout


def test_parked_masks_personal_values_unless_revealed_and_groups_by_reason(store_url, capsys):
    bad = [
        RejectedRecord("files", "people", "Person.email: not valid (got 'dana.fox@@example')", {"email": "dana.fox@@example",
                       "name": "Dana Fox", "phone": "+44 7700 900123"}, source_id="7", code="invalid", field="Person.email"),
        RejectedRecord("files", "people", "Person.email: not valid (got 'x@@y')", {"email": "x@@y"}, source_id="8",
                       code="invalid", field="Person.email"),
        RejectedRecord("files", "people", "row has 2 fields, the header has 3", "8,x", code="unreadable"),
    ]  # fmt: skip
    with open_store(store_url) as store:
        store.parked.add(bad, run_id="r1")
    masked = runner.invoke(app, ["store", "parked", "--url", store_url, "--json"])
    assert masked.exit_code == 0, masked.output
    for secret in ("dana.fox", "Dana Fox", "900123", "x@@y"):
        assert secret not in masked.stdout
    view = json.loads(masked.stdout)
    assert view["parked_by_reason"][0] == {"code": "invalid", "field": "Person.email", "count": 2}
    assert view["parked"][0]["raw"]["name"] == "D… (8 characters)"
    revealed = runner.invoke(app, ["store", "parked", "--url", store_url, "--json", "--reveal"])
    assert "dana.fox@@example" in revealed.stdout and "Dana Fox" in revealed.stdout
    assert "store.parked_revealed" in revealed.stderr


def test_runs_lists_the_newest_first_with_how_each_ended_and_masks_what_an_error_quotes(store_url):
    from core.sync.lifecycle import Counter, RunContext, RunKind

    with open_store(store_url) as store:
        with RunContext(store, RunKind.IMPORT, jobs=["stream:files/people"]) as run:
            run.count(Counter.PULLED, 7)
        try:
            with RunContext(store, RunKind.SYNC, jobs=["sync"]):
                raise ValueError("refused ada@example.com")
        except ValueError:
            pass
    shown = runner.invoke(app, ["store", "runs", "--url", store_url, "--json"])
    assert shown.exit_code == 0, shown.output
    rows = json.loads(shown.stdout)
    assert [(r["kind"], r["status"]) for r in rows] == [("sync", "failed"), ("import", "succeeded")]
    assert rows[1]["counters"]["pulled"] == 7 and rows[1]["seconds"] is not None
    assert "ada@example.com" not in shown.stdout and "refused" in rows[0]["error"]
    only = json.loads(runner.invoke(app, ["store", "runs", "--url", store_url, "--kind", "import", "--json"]).stdout)
    assert [r["kind"] for r in only] == ["import"]
    table = runner.invoke(app, ["store", "runs", "--url", store_url, "-n", "1"])
    assert "failed" in table.stdout and "import" not in table.stdout


@pytest.mark.parametrize("width", [60, 80, 200])
def test_runs_shows_every_run_id_and_counter_whole_at_any_terminal_width(store_url, monkeypatch, width):
    from core.commands.common import console
    from core.sync.lifecycle import Counter, RunContext, RunKind

    with open_store(store_url) as store:
        for pulled in (1347, 9563):
            with RunContext(store, RunKind.IMPORT, jobs=["stream:files/people"]) as run:
                run.count(Counter.PULLED, pulled)
                run.count(Counter.STORED, pulled - 1)
        ids = [r.run_id for r in store.runs.list()]
    monkeypatch.setattr(console, "width", width)
    shown = runner.invoke(app, ["store", "runs", "--url", store_url])
    assert shown.exit_code == 0, shown.output
    text = " ".join(shown.stdout.replace("│", " ").split())  # a counter wrapped over two lines reads as one
    assert "…" not in shown.stdout
    for run_id in ids:
        assert run_id in shown.stdout
    assert "pulled 1347" in text and "stored 9562" in text and "pulled 9563" in text
