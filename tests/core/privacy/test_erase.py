"""Erasure in a small store: a record that lost a merge into the person's record goes with them."""

from __future__ import annotations

import sqlalchemy as sa

from connectors.base import RejectedRecord, RejectionCode, SourceRecord
from core.mapping.plans import FieldProblem
from core.privacy import erase_person, plan_erasure
from core.store import LinkInput, LinkMethod, ProfileInput
from core.sync.ingest import erased_records

_WINNER = SourceRecord("salesforce", "Contact", "003W", {"Email": "ann@example.com"})
_LOSER = SourceRecord("salesforce", "Contact", "003L1", {"Email": "ann@example.com", "Birthdate": "1980-02-03"},
                      deleted=True, merged_into="003W")  # fmt: skip
_LOSER_OF_LOSER = SourceRecord("salesforce", "Contact", "003L2", {"Email": "a.lee@example.com", "Phone": "+1 416"},
                               deleted=True, merged_into="003L1")  # fmt: skip
_STRANGERS = [  # a merge into another system's or stream's record of the same ID, or into someone else's
    SourceRecord("hubspot", "contacts", "9", {"email": "bob@example.com"}, deleted=True, merged_into="003W"),
    SourceRecord("salesforce", "Lead", "00QX", {"Email": "cy@example.com"}, deleted=True, merged_into="003W"),
    SourceRecord("salesforce", "Contact", "003Z", {"Email": "di@example.com"}, deleted=True, merged_into="003Y"),
]
_KEYED = ("source_records", "canonical_records", "record_identifiers", "field_problems", "parked_records")


def _person_with_merged_away_duplicates(store) -> None:
    store.profiles.upsert([ProfileInput("cp_aa", {})], run_id=None)
    store.links.save([LinkInput("salesforce", "Contact", "003W", "cp_aa", LinkMethod.RULE, "same_personal_email")],
                     run_id=None)  # fmt: skip
    records = [_WINNER, _LOSER, _LOSER_OF_LOSER, *_STRANGERS]
    store.records.upsert_source(records, run_id=None)
    store.records.upsert_canonical([(r, "Person", 0, {"email": next(iter(r.raw.values()))}) for r in records],
                                   run_id=None)  # fmt: skip
    store.identifiers.replace([(r, [("Person", f"email:{next(iter(r.raw.values()))}"),
                                    ("Person", f"external_id:{r.system}:{r.source_id}")]) for r in records])  # fmt: skip
    problem = FieldProblem("Person.birthdate", RejectionCode.INVALID, "not a date: '1980-02-31'")
    store.field_problems.replace([(r, [problem]) for r in records], run_id=None)
    store.parked.add([RejectedRecord(r.system, r.stream, "bad phone", {**r.raw, "v": 2}, r.source_id,
                                     code=RejectionCode.INVALID) for r in records], run_id=None)  # fmt: skip
    with store.database.transaction() as conn:
        conn.execute(sa.text("INSERT INTO identity_records (record, profile_id) VALUES (:r, 'cp_aa')"),
                     [{"r": f"{r.system}/{r.stream}/{r.source_id}"} for r in (_WINNER, _LOSER)])  # fmt: skip


def _rows_of(store, record: SourceRecord) -> dict[str, int]:
    where = "system = :system AND stream = :stream AND source_id = :source_id"
    ref = {"system": record.system, "stream": record.stream, "source_id": record.source_id}
    with store.database.connection() as conn:
        counts = {t: conn.execute(sa.text(f"SELECT count(*) FROM {t} WHERE {where}"), ref).scalar_one() for t in _KEYED}
        key = {"key": f"{record.system}/{record.stream}/{record.source_id}"}
        counts["identity_records"] = conn.execute(
            sa.text("SELECT count(*) FROM identity_records WHERE record = :key"), key).scalar_one()  # fmt: skip
    return counts


def test_the_dry_run_lists_records_that_lost_a_merge_into_the_persons_record_transitively(store):
    _person_with_merged_away_duplicates(store)
    plan = plan_erasure(store, "cp_aa", {})
    assert plan.as_dict()["merged_records"] == ["salesforce/Contact/003L1", "salesforce/Contact/003L2"]
    assert [f"{t.stream}/{t.source_id}" for t in plan.targets] == ["Contact/003W"]  # gone from their system already


def test_records_that_lost_a_merge_into_the_persons_record_are_erased_and_tombstoned(store):
    _person_with_merged_away_duplicates(store)
    erase_person(store, plan_erasure(store, "cp_aa", {}), {}, requested_by="tester", reason=None, run_id=None)

    for gone in (_WINNER, _LOSER, _LOSER_OF_LOSER):
        assert set(_rows_of(store, gone).values()) == {0}, gone.source_id
    for kept in _STRANGERS:
        assert _rows_of(store, kept)["source_records"] == 1, kept.source_id
    # a later pull brings neither duplicate back: their record keys are tombstoned, not only their emails
    pulled = [(r, [], None) for r in (_LOSER, _LOSER_OF_LOSER, *_STRANGERS)]
    assert erased_records(store, pulled) == {("salesforce", "Contact", "003L1"), ("salesforce", "Contact", "003L2")}
    assert store.tombstones.matches(["email:a.lee@example.com", "external_id:salesforce:003L2"]) == {
        "email:a.lee@example.com", "external_id:salesforce:003L2"}  # fmt: skip
