from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from connectors.base import SourceRecord
from core.canonical import RecordRef
from core.errors import StoreError
from core.store import Store, UpsertCounts, canonical_json, open_store
from core.store.records import meaning_hash, text_and_meaning

from .helpers import record, snapshot


def test_loading_the_same_records_twice_changes_nothing(store_url, fixed_clock):
    records = [record(str(i), email=f"p{i}@example.com", tags=["a", "b"], score=i / 3) for i in range(2500)]
    with open_store(store_url, clock=fixed_clock) as store:
        first = store.records.upsert_source(records, run_id="run-1")
        before = snapshot(store, "source_records")
        fixed_clock.advance(hours=1)
        second = store.records.upsert_source(records, run_id="run-2")
        after = snapshot(store, "source_records")
    assert first == UpsertCounts(inserted=2500)
    assert second == UpsertCounts(unchanged=2500)
    assert after == before
    assert len(after) == 2500


def test_a_changed_record_is_updated_and_keeps_first_seen(store_url, fixed_clock):
    with open_store(store_url, clock=fixed_clock) as store:
        store.records.upsert_source([record("1", email="a@example.com"), record("2")], run_id="run-1")
        first_seen = fixed_clock.now
        fixed_clock.advance(minutes=5)
        counts = store.records.upsert_source([record("1", email="b@example.com"), record("2")], run_id="run-2")
        row = store.records.get_source("hubspot", "contacts", "1")
        other = store.records.get_source("hubspot", "contacts", "2")
    assert counts == UpsertCounts(updated=1, unchanged=1)
    assert row is not None and other is not None
    assert row.raw == {"id": "1", "email": "b@example.com"}
    assert row.first_seen_at == first_seen
    assert row.last_seen_at == fixed_clock.now
    assert row.last_run_id == "run-2"
    assert other.last_run_id == "run-1"


def test_deletion_flag_is_a_change(store):
    store.records.upsert_source([record("1", email="a@example.com")], run_id="r1")
    counts = store.records.upsert_source([record("1", deleted=True, email="a@example.com")], run_id="r2")
    assert counts == UpsertCounts(updated=1)
    row = store.records.get_source("hubspot", "contacts", "1")
    assert row is not None and row.deleted is True
    assert [r.source_id for r in store.records.iter_source(include_deleted=False)] == []
    assert [r.deleted for r in store.records.iter_source()] == [True]


def test_duplicates_within_a_batch_collapse_to_the_last(store):
    counts = store.records.upsert_source([record("1", v=1), record("1", v=2)], run_id="r1")
    assert counts == UpsertCounts(inserted=1)
    row = store.records.get_source("hubspot", "contacts", "1")
    assert row is not None and row.raw["v"] == 2


def test_records_round_trip_as_source_records(store):
    original = SourceRecord(
        system="salesforce",
        stream="Contact",
        source_id="003A",
        raw={"Email": "x@example.com", "Nested": {"a": [1, 2.5, None, True]}, "Name": "Zoë"},
        updated_at=datetime(2024, 1, 2, 3, 4, 5, 678901, tzinfo=timezone(timedelta(hours=2))),
        deleted=True,
        merged_into="003B",
    )
    store.records.upsert_source([original], run_id="r1")
    (back,) = store.records.iter_source(system="salesforce")
    assert back == original
    assert back.updated_at is not None and back.updated_at.tzinfo == UTC


def test_naive_updated_at_is_refused_with_the_record_named(store):
    naive = SourceRecord(system="hubspot", stream="contacts", source_id="9", raw={}, updated_at=datetime(2024, 1, 1))
    with pytest.raises(StoreError, match="hubspot/contacts/9") as caught:
        store.records.upsert_source([naive], run_id="r1")
    assert caught.value.hint


def test_non_json_raw_is_a_store_error(store):
    bad = record("1", value=float("nan"))
    with pytest.raises(StoreError, match="JSON"):
        store.records.upsert_source([bad], run_id="r1")


def test_canonical_upsert_is_idempotent_and_keeps_several_rows_per_record(store_url, fixed_clock):
    ref = RecordRef(system="hubspot", stream="contacts", source_id="1")
    items = [
        (ref, "Person", 0, {"email": "a@example.com"}),
        (ref, "Consent", 0, {"channel": "email", "status": "granted"}),
        (ref, "Consent", 1, {"channel": "sms", "status": "denied"}),
    ]
    with open_store(store_url, clock=fixed_clock) as store:
        assert store.records.upsert_canonical(items, run_id="r1") == UpsertCounts(inserted=3)
        before = snapshot(store, "canonical_records")
        fixed_clock.advance(days=1)
        assert store.records.upsert_canonical(items, run_id="r2") == UpsertCounts(unchanged=3)
        assert snapshot(store, "canonical_records") == before
        changed = [(ref, "Consent", 1, {"channel": "sms", "status": "granted"})]
        assert store.records.upsert_canonical(changed, run_id="r3") == UpsertCounts(updated=1)
        rows = list(store.records.iter_canonical("Consent"))
    assert [(r.model, r.ordinal, r.data["status"]) for r in rows] == [
        ("Consent", 0, "granted"),
        ("Consent", 1, "granted"),
    ]
    assert rows[1].updated_at == fixed_clock.now
    assert rows[0].updated_at == fixed_clock.now - timedelta(days=1)


def test_a_consent_stated_again_keeps_the_time_it_was_first_seen(store_url, fixed_clock):
    """A contact's opt-out flag is dated with the contact's last change, which every write-back moves."""
    ref = RecordRef(system="salesforce", stream="Contact", source_id="003A")
    first = {"channel": "email", "purpose": "marketing", "status": "denied", "at": "2026-10-01T09:00:00Z"}
    with open_store(store_url, clock=fixed_clock) as store:
        store.records.upsert_canonical([(ref, "Consent", 0, first)], run_id="r1")
        again = first | {"at": "2026-12-01T12:00:00Z", "updated_at": "2026-12-01T12:00:00Z"}
        assert store.records.upsert_canonical([(ref, "Consent", 0, again)], run_id="r2") == UpsertCounts(unchanged=1)
        assert [r.data["at"] for r in store.records.iter_canonical("Consent")] == ["2026-10-01T09:00:00Z"]
        granted = again | {"status": "granted"}
        assert store.records.upsert_canonical([(ref, "Consent", 0, granted)], run_id="r3") == UpsertCounts(updated=1)
        assert [r.data["at"] for r in store.records.iter_canonical("Consent")] == ["2026-12-01T12:00:00Z"]
        # a Person's fields named `at` are no such statement time: a change there is a change
        person = {"email": "a@example.com", "at": "x"}
        store.records.upsert_canonical([(ref, "Person", 0, person)], run_id="r4")
        counts = store.records.upsert_canonical([(ref, "Person", 0, person | {"at": "y"})], run_id="r5")
    assert counts == UpsertCounts(updated=1)


def test_canonical_accepts_pydantic_models_and_source_records_as_refs(store: Store):
    ref = RecordRef(system="zendesk", stream="users", source_id="42")
    src = record("7")
    counts = store.records.upsert_canonical([(src, "Person", 0, ref), (ref, "Person", 0, {"x": 1})], run_id="r1")
    assert counts == UpsertCounts(inserted=2)
    rows = {r.source_id: r.data for r in store.records.iter_canonical(system="hubspot")}
    assert rows == {"7": {"system": "zendesk", "stream": "users", "source_id": "42"}}


def test_stored_hash_is_the_documented_content_hash(store):
    from core.store import source_content_hash

    rec = SourceRecord(system="a", stream="b", source_id="c", raw={"ü": [1, None]}, deleted=True, merged_into='d"e')
    store.records.upsert_source([rec], run_id="r1")
    row = store.records.get_source("a", "b", "c")
    assert row is not None and row.content_hash == source_content_hash(rec)
    assert row.raw == {"ü": [1, None]} and row.merged_into == 'd"e'


def test_canonical_texts_are_each_records_first_row_of_the_model_as_json(store_url, fixed_clock):
    import json

    refs = [RecordRef(system=s, stream="people", source_id=i) for s, i in (("b", "2"), ("a", "10"), ("a", "9"))]
    items = [(ref, "Person", n, {"email": f"{ref.source_id}.{n}@example.com", "score": 1.5, "tags": ["é", None]})
             for ref in refs for n in (1, 0)] + [(refs[0], "Consent", 0, {"channel": "email"})]  # fmt: skip
    with open_store(store_url, clock=fixed_clock) as store:
        store.records.upsert_canonical(items, run_id="r1")
        texts = list(store.records.iter_canonical_texts("Person"))
        only_a = list(store.records.iter_canonical_texts("Person", system="a"))
    assert [(s, st, i) for s, st, i, _ in texts] == [("a", "people", "10"), ("a", "people", "9"), ("b", "people", "2")]
    assert [json.loads(t) for *_, t in texts] == [
        {"email": f"{i}.0@example.com", "score": 1.5, "tags": ["é", None]} for i in ("10", "9", "2")
    ]
    assert only_a == texts[:2]


def test_canonical_texts_of_records_are_their_rows_of_the_models_as_json_in_key_order(store_url, fixed_clock):
    import json

    refs = [RecordRef(system=s, stream="events", source_id=i) for s, i in (("b", "2"), ("a", "10"), ("a", "9"))]
    items = [(ref, model, n, {"name": f"{ref.source_id}.{model}.{n}", "at": "2026-01-0{n}T00:00:00Z"})
             for ref in refs for model in ("Interaction", "Consent", "Person") for n in (1, 0)]  # fmt: skip
    wanted = {("a", "events", "9"), ("b", "events", "2"), ("a", "events", "404")}
    with open_store(store_url, clock=fixed_clock) as store:
        store.records.upsert_canonical(items, run_id="r1")
        texts = list(store.records.canonical_texts_of(wanted, models=["Interaction", "Consent"]))
        rows = store.records.canonical_of(wanted, models=["Interaction", "Consent"])
    assert [(s, st, i, m) for s, st, i, m, _ in texts] == [
        (s, "events", i, m)
        for s, i in (("a", "9"), ("b", "2"))
        for m in ("Consent", "Consent", "Interaction", "Interaction")
    ]
    assert [json.loads(t) for *_, t in texts] == [r.data for r in rows]
    assert [json.loads(t)["name"] for *_, t in texts][:2] == ["9.Consent.0", "9.Consent.1"]


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=6),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3),
    max_leaves=8,
)


@settings(max_examples=300, deadline=None)
@given(
    values=st.dictionaries(st.sampled_from(["at", "updated_at", "a", "b", "status", "z", "é", "Updated"]), _JSON),
    model=st.sampled_from([None, "Person", "Consent", "Interaction"]),
)
def test_the_text_and_its_meaning_from_one_serialisation_are_the_two_made_apart(values, model):
    assert text_and_meaning(values, model) == (canonical_json(values), meaning_hash(values, model))
