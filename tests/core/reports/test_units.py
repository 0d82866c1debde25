"""Small stores: tombstones, review pairs, the report's tables and the closed loop's statuses."""

from __future__ import annotations

import json

import pytest

from connectors.base import SourceRecord
from core.errors import IdentityError, UsageError
from core.reports.person import find_person
from core.reports.profiles import landing_status
from core.reports.reconcile import ReportOptions, build_report
from core.reports.tables import Table
from core.store import (
    DecisionInput,
    LinkInput,
    LinkMethod,
    ProfileInput,
    ReviewInput,
    ReviewStatus,
    StreamStep,
)
from core.sync.values import MISSING


def test_tombstones_recognise_only_what_was_erased_and_depend_on_the_key(store, monkeypatch):
    monkeypatch.setenv("CONTACTPOINT_ERASURE_KEY", "first key")
    assert store.tombstones.matches(["email:ann@example.com"]) == set()
    assert store.tombstones.add(["email:ann@example.com", "record:hubspot/contacts/7"], erasure_id="e1") == 2
    assert store.tombstones.any()
    assert store.tombstones.matches(["email:ANN@example.com ", "email:bob@example.com"]) == {"email:ANN@example.com "}
    assert store.tombstones.add(["email:ann@example.com"], erasure_id="e2") == 0
    monkeypatch.setenv("CONTACTPOINT_ERASURE_KEY", "another key")
    assert store.tombstones.matches(["email:ann@example.com"]) == set()


def test_a_store_made_tombstone_key_is_kept_and_reused(store, monkeypatch):
    monkeypatch.delenv("CONTACTPOINT_ERASURE_KEY", raising=False)
    store.tombstones.add(["email:ann@example.com"], erasure_id="e1")
    assert store.tombstones.matches(["email:ann@example.com"]) == {"email:ann@example.com"}


def test_review_refresh_keeps_decisions_and_retires_pairs_no_longer_in_review(store):
    pairs = [
        ReviewInput("b/s/2", "a/s/1", 0.7, 1.2, "score between thresholds"),
        ReviewInput("c/s/3", "d/s/4", 0.6, 0.8, None),
    ]
    assert store.reviews.refresh(pairs, run_id="r1") == 2
    first = store.reviews.list()[0]
    assert (first.left_record, first.right_record) == ("a/s/1", "b/s/2")  # sorted pair, most probable first
    assert store.reviews.decide(int(first.id), status=ReviewStatus.REJECTED, by="ann")
    assert not store.reviews.decide(int(first.id), status=ReviewStatus.ACCEPTED, by="bob")
    assert store.reviews.refresh([pairs[0]], run_id="r2") == 0
    assert store.reviews.count() == {"rejected": 1, "gone": 1}


@pytest.mark.parametrize(
    ("desired", "written", "found", "fresh", "status"),
    [
        (True, True, True, True, "landed"),
        (True, True, "true", True, "landed"),
        (True, True, False, False, "written (read back at the next pull)"),
        (True, True, False, True, "not landed: changed in the system since written"),
        (True, MISSING, False, True, "not written yet"),
        (True, True, MISSING, True, "written (the system's value is not read back)"),
        (True, MISSING, MISSING, True, "not written"),
    ],
)
def test_closed_loop_status(desired, written, found, fresh, status):
    assert landing_status(desired, written, found, pulled_since_write=fresh) == status


def test_a_table_refuses_a_short_row_and_reads_back_every_row_each_time():
    table = Table("t", "T", ["a", "b"])
    table.add([1, "x"])
    table.add([2, None])
    with pytest.raises(ValueError, match="2 columns"):
        table.add([3])
    assert list(table.rows()) == list(table.rows()) == [[1, "x"], [2, None]]
    table.close()


def _small_store(store) -> None:
    store.profiles.upsert([ProfileInput("cp_aa", {"email": {"value": "ann@example.com", "source": {
        "system": "hubspot", "stream": "contacts", "source_id": "7"}}})], run_id=None)  # fmt: skip
    store.links.save([LinkInput("hubspot", "contacts", "7", "cp_aa", LinkMethod.RULE, "same_personal_email"),
                      LinkInput("salesforce", "Contact", "003A", "cp_aa", LinkMethod.SCORE)], run_id=None)  # fmt: skip
    records = [SourceRecord("hubspot", "contacts", "7", {"email": "ann@example.com"}),
               SourceRecord("salesforce", "Contact", "003A", {"Email": "ann.lee@example.com"})]  # fmt: skip
    store.records.upsert_source(records, run_id=None)
    store.records.upsert_canonical(
        [(records[0], "Person", 0, {"email": "ann@example.com", "first_name": "Ann"}),
         (records[1], "Person", 0, {"email": "ann.lee@example.com", "first_name": "Ann"})], run_id=None)  # fmt: skip
    store.decisions.save([DecisionInput("cp_aa", {"suppression.marketing": True}, {})], run_id=None)
    run = store.runs.start("sync")
    store.run_streams.record(run, [StreamStep("hubspot", "contacts", "pull", {"pulled": 5, "parked": 1, "deleted": 2})])


def test_the_report_counts_conflicts_masks_values_and_says_what_drifted(store):
    _small_store(store)
    with build_report(store, ReportOptions()) as report:
        conflicts = list(report.tables["conflicts"].dicts())
        systems = list(report.tables["systems"].dicts())
        assert report.figures["conflicts"]["profiles_with_conflicts"] == 1
    assert {r["system"] for r in conflicts if r["field"] == "email"} == {"hubspot", "salesforce"}
    assert all(r["value"].startswith("email#") for r in conflicts if r["field"] == "email")
    assert "ann@example.com" not in json.dumps(conflicts)
    hubspot = next(r for r in systems if r["system"] == "hubspot")
    assert (hubspot["pulled"], hubspot["parked"], hubspot["deleted"], hubspot["held_now"]) == (5, 1, 2, 1)
    store.profiles.upsert([ProfileInput("cp_bb", {})], run_id=None)
    store.links.save([LinkInput("mixpanel", "profiles", "d1", "cp_bb", LinkMethod.SCORE)], run_id=None)
    with build_report(store, ReportOptions()) as second:
        drift = {r["figure"]: r for r in second.tables["drift"].dicts()}
    assert drift["identity.profiles"]["previous"] == 1 and drift["identity.profiles"]["now"] == 2


def test_an_unknown_since_run_names_the_newest_runs(store):
    _small_store(store)
    with pytest.raises(UsageError, match="no such run"):
        build_report(store, ReportOptions(since_run="sync-nope"))


def test_people_are_found_by_profile_email_or_record_and_unknown_ones_refused(store):
    _small_store(store)
    store.identifiers.replace([(SourceRecord("hubspot", "contacts", "7", {}), [("Person", "email:ann@example.com")])])
    assert find_person(store, "cp_aa") == "cp_aa"
    assert find_person(store, "ANN@example.com") == "cp_aa"
    assert find_person(store, "salesforce:003A") == "cp_aa"
    assert find_person(store, "hubspot/contacts/7") == "cp_aa"
    with pytest.raises(IdentityError) as err:
        find_person(store, "nobody@example.com")
    assert err.value.exit_code == 4 and err.value.hint
