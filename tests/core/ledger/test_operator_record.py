"""``ledger record`` is the operator's: it records who ran it and why, and never the customer's own voice."""

from __future__ import annotations

import getpass
import json

import pytest
from typer.testing import CliRunner

from core.cli import app
from core.ledger.settings import LedgerSettings
from core.ledger.signing import generate_key_text
from core.store import open_store
from tests.core.ledger.helpers import PERSON, add_people, consent
from tests.core.ledger.test_cli import setup_store

runner = CliRunner()


def _record(tmp_path, url, body, *extra):
    path = tmp_path / "s.json"
    path.write_text(json.dumps(body))
    return runner.invoke(app, ["ledger", "record", str(path), "--url", url, *extra])


@pytest.mark.parametrize("kind", ["preference_centre", "observation"])
def test_record_refuses_sources_only_the_centre_or_a_sync_write(tmp_path, kind):
    url = setup_store(tmp_path)
    body = consent("given", at="2024-01-01T00:00:00Z", kind=kind, system="hubspot" if kind == "observation" else None)
    result = _record(tmp_path, url, body, "--reason", "phoned")
    assert result.exit_code == 4 and kind in result.stderr and "customer" in result.stderr
    with open_store(url) as store:
        assert store.ledger.history(PERSON) == []


def test_record_needs_a_reason_and_records_the_user(tmp_path):
    url = setup_store(tmp_path)
    missing = _record(tmp_path, url, consent("given", at="2024-01-01T00:00:00Z"))
    assert missing.exit_code != 0 and "--reason" in missing.output + missing.stderr
    done = _record(tmp_path, url, consent("given", at="2024-01-01T00:00:00Z"), "--reason", "letter of 2 Jan")
    assert done.exit_code == 0, done.stderr
    with open_store(url) as store:
        (entry,) = store.ledger.history(PERSON)
    assert entry.statement.body["source"] == {"kind": "customer", "by": getpass.getuser(), "reason": "letter of 2 Jan"}


def test_record_refuses_a_time_in_the_future(tmp_path):
    url = setup_store(tmp_path)
    result = _record(tmp_path, url, consent("given", at="2999-01-01T00:00:00Z"), "--reason", "typo")
    assert result.exit_code == 4 and "future" in result.stderr


def test_verify_flags_an_unsigned_preference_centre_statement(store):
    from core.ledger.service import record_statements

    add_people(store, PERSON)
    record_statements(store, consent("given", at="2024-01-01T00:00:00Z", kind="preference_centre"))
    report = store.ledger.verify(LedgerSettings(signing_key=None).keyring())
    (found,) = report.breaks
    assert "preference_centre" in found.reason and "signature" in found.reason
    settings = LedgerSettings(signing_key=generate_key_text())
    record_statements(
        store, consent("given", at="2024-01-01T00:00:00Z", kind="preference_centre", person=PERSON),
        keyring=settings.keyring(), sign=True,
    )  # fmt: skip
