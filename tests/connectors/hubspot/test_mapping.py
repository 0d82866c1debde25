"""The shipped HubSpot mapping, checked on the shipped samples through ``contactpoint mapping check``."""

from __future__ import annotations

import json

import pytest
import structlog
from typer.testing import CliRunner

from core.cli import app

from .conftest import ROOT

MAPPING = ROOT / "mappings" / "hubspot.yaml"


def _check(stream: str) -> dict:
    sample = ROOT / "samples" / f"hubspot_{stream}.json"
    result = CliRunner().invoke(
        app, ["mapping", "check", str(MAPPING), "--stream", stream, "--sample", str(sample), "--json"]
    )
    structlog.reset_defaults()
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def _models(record: dict) -> dict[str, dict]:
    return {m["model"]: m["data"] for m in record["models"]}


@pytest.mark.parametrize("stream", ["contacts", "companies", "email_events", "subscriptions"])
def test_every_sample_record_maps(stream):
    report = _check(stream)
    assert report["ok"] and report["records"]
    assert all(r["outcome"] == "mapped" for r in report["records"]), [
        r for r in report["records"] if r["outcome"] != "mapped"
    ]


def test_a_contact_gives_a_person_its_opt_out_flag_no_consent_and_an_archived_one_a_deleted_person():
    """The flag does not say when it was ticked; the subscriptions stream states it with its time."""
    records = {r["source_id"]: r for r in _check("contacts")["records"]}
    tomas = _models(records["102"])
    assert "Consent" not in tomas and "Consent" not in _models(records["101"])
    archived = [r for r in records.values() if _models(r)["Person"]["deleted"]]
    assert archived and all(r["source_id"] not in {"101", "102"} for r in archived)
    assert {i["kind"] for i in tomas["Person"]["identifiers"]} >= {"external_id", "email"}


def test_email_events_become_interactions_and_an_unsubscribe_a_consent_at_its_moment():
    records = _check("email_events")["records"]
    kinds = {_models(r)["Interaction"]["type"] for r in records}
    assert kinds == {
        "email.sent",
        "email.delivered",
        "email.opened",
        "email.clicked",
        "email.bounced",
        "email.subscription_changed",
    }
    change = next(_models(r) for r in records if "Consent" in _models(r))
    assert change["Consent"]["status"] == "denied" and change["Consent"]["at"] == change["Interaction"]["occurred_at"]
    bounce = next(_models(r)["Interaction"] for r in records if _models(r)["Interaction"]["type"] == "email.bounced")
    assert bounce["status"] == "hard_bounce"


def test_subscription_statuses_keep_the_time_they_were_stated():
    consents = [_models(r)["Consent"] for r in _check("subscriptions")["records"]]
    assert {(c["purpose"], c["status"], c["at"]) for c in consents} == {
        ("marketing information", "granted", "2025-12-30T09:00:00Z"),
        ("all email", "denied", "2026-10-01T09:15:00Z"),
    }
