"""``contactpoint ledger ...`` end to end through the command line (SQLite)."""

from __future__ import annotations

import json
import logging

import sqlalchemy as sa
from typer.testing import CliRunner

from core.cli import app
from core.ledger.settings import KEY_ENV
from core.ledger.signing import generate_key_text
from core.store import open_store
from core.store.ledger_tables import LedgerEntryRow
from tests.core.ledger.helpers import PERSON, add_people, consent, grant

runner = CliRunner()


def setup_store(tmp_path):
    url = f"sqlite:///{tmp_path / 'cp.db'}"
    with open_store(url) as store:
        add_people(store, PERSON)
    return url


def test_record_show_verify_and_a_refused_batch(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    url = setup_store(tmp_path)
    bad = tmp_path / "bad.json"
    bad.write_text(
        json.dumps(
            [consent("given", at="2024-01-01T00:00:00Z"), consent("given", at="2024-01-01T00:00:00Z", channel="fax")]
        )
    )
    refused = runner.invoke(app, ["ledger", "record", str(bad), "--url", url, "--reason", "call"])
    assert refused.exit_code == 4
    assert "statements[1].channel: 'fax' is not one of" in refused.stderr and "nothing was recorded" in refused.stderr
    good = tmp_path / "good.json"
    good.write_text(
        json.dumps([consent("withdrawn", at="2024-01-01T00:00:00Z"), grant("hubspot", at="2024-01-01T00:00:00Z")])
    )
    recorded = runner.invoke(app, ["ledger", "record", str(good), "--url", url, "--json", "--reason", "call"])
    assert recorded.exit_code == 0, recorded.stderr
    assert len(json.loads(recorded.stdout)["recorded"]) == 2
    shown = json.loads(runner.invoke(app, ["ledger", "show", PERSON, "--url", url, "--json"]).stdout)
    assert shown["state"]["consents"][0]["status"] == "withdrawn" and len(shown["history"]) == 2
    text = runner.invoke(app, ["ledger", "show", PERSON, "--url", url])
    assert "history (2 statements)" in text.stdout and "hubspot" in text.stdout and "withdrawn" in text.stdout
    assert runner.invoke(app, ["ledger", "verify", "--url", url]).exit_code == 0
    with open_store(url) as store, store.database.transaction() as conn:
        table = LedgerEntryRow.__table__
        conn.execute(
            sa.update(table)
            .where(table.c.seq == 1)
            .values(
                stated_at=table.c.stated_at,
                body=consent("given", at="2024-01-01T00:00:00Z")
                | {"statement_id": shown["history"][0]["statement"]["statement_id"]},
            )
        )
    broken = runner.invoke(app, ["ledger", "verify", "--url", url])
    assert broken.exit_code == 4 and f"broken: {PERSON} #1" in broken.stdout
    unknown = runner.invoke(app, ["ledger", "show", "cp_999999999999", "--url", url])
    assert unknown.exit_code == 4 and "no person in the store matches" in unknown.stderr


def test_export_import_link_and_keygen_without_the_key_in_any_output(tmp_path, monkeypatch, caplog):
    monkeypatch.chdir(tmp_path)
    key = generate_key_text()
    url = setup_store(tmp_path)
    other = f"sqlite:///{tmp_path / 'other.db'}"
    with open_store(other) as store:
        add_people(store, PERSON)
    assert runner.invoke(app, ["ledger", "export", PERSON, "--url", url]).exit_code == 2  # no key yet
    monkeypatch.setenv(KEY_ENV, key)
    caplog.set_level(logging.DEBUG)
    (tmp_path / "s.json").write_text(json.dumps(grant("hubspot", at="2024-01-01T00:00:00Z")))
    assert runner.invoke(app, ["ledger", "record", "s.json", "--url", url, "--reason", "letter"]).exit_code == 0
    exported = runner.invoke(app, ["ledger", "export", PERSON, "--url", url, "--out", "ledger.json"])
    assert exported.exit_code == 0, exported.stderr
    document = json.loads((tmp_path / "ledger.json").read_text())
    monkeypatch.setenv(KEY_ENV, generate_key_text())  # the second installation has its own key
    untrusted = runner.invoke(app, ["ledger", "import", "ledger.json", "--url", other])
    assert untrusted.exit_code == 4 and f"--trust-key {document['signer']['key_id']}" in untrusted.stderr
    imported = runner.invoke(
        app, ["ledger", "import", "ledger.json", "--url", other, "--trust-key", document["signer"]["key_id"], "--json"]
    )
    assert json.loads(imported.stdout)["recorded"] == 1
    link = runner.invoke(app, ["ledger", "link", PERSON, "--url", url, "--json"])
    assert json.loads(link.stdout)["url"].startswith("http://127.0.0.1:8765/ledger/sign-in?token=")
    generated = json.loads(runner.invoke(app, ["ledger", "keygen", "--json"]).stdout)
    assert len(generated["key_id"]) == 16
    everything = exported.stdout + exported.stderr + imported.stdout + link.stdout + caplog.text
    assert key not in everything


def test_a_signing_key_under_any_key_name_is_masked_in_logs():
    from core.logs import redact

    assert redact({"signing_key": "c2VjcmV0"}) == {"signing_key": "***"}
