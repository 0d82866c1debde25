"""The records that share an identifier with a person are found by index, however large the store."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from core.store import open_store
from core.store.links import LinkInput
from core.store.tables import LinkMethod


@pytest.fixture
def store(tmp_path: Path):
    with open_store(f"sqlite:///{tmp_path / 'cp.db'}") as opened:
        people = [(_ref("crm", "people", str(i)), [("Person", f"email:p{i}@example.com")]) for i in range(300)]
        events = [(_ref("web", "events", f"e{i}"), [("Interaction", f"email:p{i % 300}@example.com")])
                  for i in range(900)]  # fmt: skip
        tickets = [(_ref("desk", "tickets", f"t{i}"), [("Interaction", f"email:p{i}@example.com")]) for i in range(50)]
        opened.identifiers.replace([*people, *events, *tickets])
        opened.links.save(
            [LinkInput("crm", "people", str(i), f"cp_{i:03d}", LinkMethod.RULE) for i in range(300)], run_id=None
        )
        yield opened


def _ref(system: str, stream: str, source_id: str):
    from connectors.base import SourceRecord

    return SourceRecord(system, stream, source_id, {})


def test_records_of_several_streams_find_the_profiles_of_the_people_they_name(store):
    asked = [_ref("web", "events", "e301"), _ref("desk", "tickets", "t7"), _ref("web", "events", "nobody")]
    assert store.identifiers.profiles_of(asked) == {
        ("web", "events", "e301"): {"cp_001"},
        ("desk", "tickets", "t7"): {"cp_007"},
    }


def test_the_lookup_never_scans_the_identifiers_table(store):
    statements: list[tuple[str, object]] = []

    def seen(_conn, _cursor, statement, parameters, _context, _many):
        if "record_identifiers" in statement:
            statements.append((statement, parameters))

    engine = store.database.engine
    sa.event.listen(engine, "before_cursor_execute", seen)
    try:
        store.identifiers.profiles_of([_ref("web", "events", f"e{i}") for i in range(20)])
    finally:
        sa.event.remove(engine, "before_cursor_execute", seen)
    assert statements
    with engine.connect() as conn:
        for statement, parameters in statements:
            plan = conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters).all()
            scans = [row[-1] for row in plan if str(row[-1]).startswith("SCAN") and "CONSTANT ROW" not in row[-1]]
            assert scans == [], plan
