"""Looking up given records costs what is looked up, not what the store holds: every lookup goes by index.

A row-value ``IN`` over ``(system, stream, source_id)`` is a full table scan on SQLite, once
per chunk of 500 records: an incremental resolution, a decide chunk or a lookup of a few
links read every row of the table. The lookups go stream by stream instead.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from core.canonical import RecordRef
from core.store import Store, open_store
from core.store.database import record_chunks
from core.store.links import LinkInput
from core.store.tables import LinkMethod

STREAMS = (("crm", "Contact"), ("crm", "Lead"), ("desk", "users"))
PER_STREAM = 620  # more than one chunk of 500 in each stream


def _fill(store: Store) -> None:
    rows = []
    for system, stream in STREAMS:
        for i in range(PER_STREAM):
            ref = RecordRef(system=system, stream=stream, source_id=f"{i:04d}")
            rows.append((ref, "Person", 0, {"first_name": f"{stream}{i}"}))
            if i % 2 == 0:
                rows.append((ref, "Consent", 0, {"channel": "email", "status": "granted"}))
    store.records.upsert_canonical(rows, run_id="r1")
    links = [
        LinkInput(s, st, f"{i:04d}", f"cp_{s}_{i:04d}", LinkMethod.RULE) for s, st in STREAMS for i in range(PER_STREAM)
    ]
    store.links.save(links, run_id=None)


@pytest.fixture
def filled(store: Store) -> Store:
    _fill(store)
    return store


def _asked() -> list[tuple[str, str, str]]:
    """Records of every stream, more than a chunk of one stream, unsorted, one named twice, one not stored."""
    picked = [(s, st, f"{i:04d}") for s, st in reversed(STREAMS) for i in range(PER_STREAM - 1, -1, -1) if i % 3 != 1]
    return [*picked, picked[0], ("crm", "Contact", "nobody")]


def test_record_chunks_group_by_stream_in_key_order_and_bound_each_part():
    asked = [("b", "s", "2"), ("a", "t", "1"), ("a", "s", "3"), ("a", "s", "1"), ("a", "s", "2"), ("a", "s", "1")]
    assert list(record_chunks(asked, 2)) == [
        ("a", "s", ["1", "2"]),
        ("a", "s", ["3"]),
        ("a", "t", ["1"]),
        ("b", "s", ["2"]),
    ]


def test_canonical_rows_of_many_records_come_whole_and_in_key_order(filled: Store):
    asked = _asked()
    wanted = sorted({a for a in asked if a[2] != "nobody"})
    texts = list(filled.records.canonical_texts_of(asked, models=["Person", "Consent"]))
    expected = [(s, st, i, m) for s, st, i in wanted for m in ("Consent", "Person") if m == "Person" or int(i) % 2 == 0]
    assert [row[:4] for row in texts] == expected
    rows = filled.records.canonical_of(asked, models=["Person"])
    assert [(r.system, r.stream, r.source_id) for r in rows] == wanted
    assert all(r.data["first_name"] == f"{r.stream}{int(r.source_id)}" for r in rows)


def test_links_of_many_records_are_found_in_every_stream(filled: Store):
    asked = _asked()
    found = filled.links.profiles_of([RecordRef(system=s, stream=st, source_id=i) for s, st, i in asked])
    assert found == {(s, st, i): f"cp_{s}_{i}" for s, st, i in asked if i != "nobody"}


def test_touch_and_erase_reach_exactly_the_records_named(filled: Store):
    asked = [("crm", "Lead", f"{i:04d}") for i in range(0, PER_STREAM, 2)] + [("desk", "users", "0001")]
    assert filled.records.touch(asked) == 2 * (PER_STREAM // 2) + 1  # a Lead with an even ID has two rows
    removed = filled.forget.records([("crm", "Lead", "0000"), ("desk", "users", "0001")])
    assert removed["canonical_records"] == 3
    assert removed["links"] == 2
    left = {(r.system, r.stream, r.source_id) for r in filled.records.canonical_of(_asked(), models=["Person"])}
    assert ("crm", "Lead", "0000") not in left
    assert ("desk", "users", "0001") not in left
    assert ("crm", "Lead", "0002") in left


@contextmanager
def _statements(engine: sa.Engine) -> Iterator[list[tuple[str, Any]]]:
    """Every statement SQLite runs inside the block, its values in place (SQLAlchemy's and the driver's own)."""
    seen: list[tuple[str, Any]] = []
    traced: list[Any] = []

    def trace(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.set_trace_callback(lambda statement: seen.append((statement, ())))
        traced.append(dbapi_connection)

    engine.dispose()  # the connections made from here on are traced
    sa.event.listen(engine, "connect", trace)
    try:
        yield seen
    finally:
        sa.event.remove(engine, "connect", trace)
        for dbapi_connection in traced:
            dbapi_connection.set_trace_callback(None)


LOOKUPS: dict[str, Callable[[Store, list[tuple[str, str, str]]], object]] = {
    "canonical_texts_of": lambda s, asked: list(s.records.canonical_texts_of(asked, models=["Person"])),
    "canonical_of": lambda s, asked: s.records.canonical_of(asked, models=["Person", "Consent"]),
    "touch": lambda s, asked: s.records.touch(asked),
    "links.profiles_of": lambda s, asked: s.links.profiles_of(
        [RecordRef(system=a, stream=b, source_id=c) for a, b, c in asked]
    ),
    "identifiers.profiles_of": lambda s, asked: s.identifiers.profiles_of(
        [RecordRef(system=a, stream=b, source_id=c) for a, b, c in asked]
    ),
    "parked.close_stored": lambda s, asked: s.parked.close_stored(asked),
    "field_problems.replace": lambda s, asked: s.field_problems.replace(
        [(RecordRef(system=a, stream=b, source_id=c), []) for a, b, c in asked], run_id=None
    ),
    "reviews.forget": lambda s, asked: s.reviews.forget([f"{a}/{b}/{c}" for a, b, c in asked]),
    "forget.person_keys": lambda s, asked: s.forget.person_keys(asked),
    "forget.records": lambda s, asked: s.forget.records(asked),
    "identity_index.records_of": lambda s, asked: s.identity_index.records_of([f"{a}/{b}/{c}" for a, b, c in asked]),
}

SELECTIVE = ("source_id=", "key=", "record=", "rowid=", "id=", "profile_id=")
"""A search by one of these columns finds the rows named; one by ``model`` or a stream alone reads many."""


def _unselective(step: str) -> bool:
    """Whether a query plan's step reads rows beyond those asked for: a scan, or a search on an unselective index."""
    if step.startswith("SCAN"):
        return "CONSTANT ROW" not in step
    if step.startswith("SEARCH"):
        return not any(column in step for column in SELECTIVE)
    return False


@pytest.mark.parametrize("lookup", sorted(LOOKUPS))
def test_a_lookup_of_records_reads_only_them_by_index_on_sqlite(tmp_path: Path, lookup: str):
    with open_store(f"sqlite:///{tmp_path / 'cp.db'}") as store:
        _fill(store)
        asked = [("crm", "Lead", "0007"), ("desk", "users", "0003"), ("crm", "Contact", "0100")]
        engine = store.database.engine
        with _statements(engine) as seen:
            LOOKUPS[lookup](store, asked)
        assert seen
        with engine.connect() as conn:
            for statement, parameters in seen:
                if not statement.lstrip().upper().startswith(("SELECT", "UPDATE", "DELETE")):
                    continue
                plan = conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters).all()
                assert [row[-1] for row in plan if _unselective(str(row[-1]))] == [], (statement, plan)


def test_the_rows_changed_since_a_time_come_once_each_and_all_from_the_start(store_url: str, fixed_clock):
    with open_store(store_url, clock=fixed_clock) as store:
        _fill(store)
        start = fixed_clock.now
        later = fixed_clock.advance(minutes=5)
        changed = [
            (RecordRef(system="crm", stream="Lead", source_id="0002"), "Person", 0, {"first_name": "Changed"}),
            (RecordRef(system="crm", stream="Lead", source_id="0002"), "Consent", 0, {"channel": "sms"}),
            (RecordRef(system="desk", stream="users", source_id="0004"), "Consent", 0, {"channel": "sms"}),
            (RecordRef(system="desk", stream="users", source_id="0004"), "Consent", 1, {"channel": "post"}),
        ]
        store.records.upsert_canonical(changed, run_id="r2")
        assert sorted(store.records.changed_since(later)) == [
            ("crm", "Lead", "0002", "Consent"),
            ("crm", "Lead", "0002", "Person"),
            ("desk", "users", "0004", "Consent"),
        ]
        assert list(store.records.changed_since(fixed_clock.advance(seconds=1))) == []
        everything = list(store.records.changed_since(start))
        assert len(everything) == len(set(everything)) == len(STREAMS) * (PER_STREAM + PER_STREAM // 2)
        assert sorted(store.records.changed_since(datetime.min.replace(tzinfo=UTC))) == sorted(everything)


def test_a_run_with_nothing_changed_finds_its_work_by_the_time_index_on_sqlite(tmp_path: Path, fixed_clock):
    with open_store(f"sqlite:///{tmp_path / 'cp.db'}", clock=fixed_clock) as store:
        _fill(store)
        engine = store.database.engine
        with _statements(engine) as seen:
            assert list(store.records.changed_since(fixed_clock.advance(minutes=1))) == []
        with engine.connect() as conn:
            queries = [(statement, parameters) for statement, parameters in seen if "canonical_records" in statement]
            assert queries
            for statement, parameters in queries:
                plan = [row[-1] for row in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters).all()]
                assert any("ix_canonical_records_updated_at" in step for step in plan), plan


PER_RUN: dict[str, tuple[Callable[[Store], object], str]] = {
    "decisions.due": (lambda s: s.decisions.due(datetime(2026, 1, 1, tzinfo=UTC)), "ix_profile_decisions_review_at"),
    "ledger.stated_since": (
        lambda s: s.ledger.stated_since(datetime(2026, 1, 1, tzinfo=UTC)),
        "ix_ledger_entries_recorded_at",
    ),
    "alerts.pending": (lambda s: s.alerts.pending(), "ix_alerts_unsent"),
    "runs.abandon": (
        lambda s: s.runs.abandon(host="h", stale_after=timedelta(hours=1), found_by="r"),
        "ix_runs_status",
    ),
}
"""What every run asks of tables that grow with the people and the runs, and the index that answers it."""


@pytest.mark.parametrize("ask", sorted(PER_RUN))
def test_what_every_run_asks_of_tables_that_grow_goes_by_an_index_on_sqlite(tmp_path: Path, ask: str):
    lookup, index = PER_RUN[ask]
    with open_store(f"sqlite:///{tmp_path / 'cp.db'}") as store:
        engine = store.database.engine
        with _statements(engine) as seen:
            lookup(store)
        queries = [(s, p) for s, p in seen if s.lstrip().upper().startswith("SELECT")]
        assert queries
        with engine.connect() as conn:
            for statement, parameters in queries:
                plan = [str(row[-1]) for row in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters)]
                assert any(index in step for step in plan), (statement, plan)
