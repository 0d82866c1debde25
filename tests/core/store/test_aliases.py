from __future__ import annotations

import pytest

from core.errors import StoreError
from core.store.aliases import _MAX_ALIAS_HOPS


def test_alias_resolution_follows_chains(store):
    assert store.aliases.resolve("cp_cccccccc") == "cp_cccccccc"
    store.aliases.add({"cp_aaaaaaaa": "cp_bbbbbbbb"}, run_id="r1")
    store.aliases.add({"cp_bbbbbbbb": "cp_cccccccc"}, run_id="r2")
    assert store.aliases.resolve("cp_aaaaaaaa") == "cp_cccccccc"
    assert store.aliases.resolve("cp_bbbbbbbb") == "cp_cccccccc"


def test_alias_loops_are_reported(store):
    with pytest.raises(StoreError, match="itself"):
        store.aliases.add({"cp_aaaaaaaa": "cp_aaaaaaaa"}, run_id="r1")
    store.aliases.add({"cp_aaaaaaaa": "cp_bbbbbbbb", "cp_bbbbbbbb": "cp_aaaaaaaa"}, run_id="r1")
    with pytest.raises(StoreError, match="loop") as caught:
        store.aliases.resolve("cp_aaaaaaaa")
    assert caught.value.hint
    assert _MAX_ALIAS_HOPS > 2


def _graphs():
    from hypothesis import strategies as st

    ids = st.sampled_from([f"cp_{c * 8}" for c in "abcdefghij"])
    edges = st.dictionaries(ids, ids, max_size=9).map(lambda d: {a: t for a, t in d.items() if a != t})
    return edges, st.lists(ids, max_size=12)


def test_many_ids_resolve_and_gather_their_families_as_resolve_all_says(tmp_path):
    import sqlalchemy as sa
    from hypothesis import given, settings

    from core.store import open_store
    from core.store.aliases import _ALIASES

    edges, asked_ids = _graphs()
    with open_store(f"sqlite:///{tmp_path / 'cp.db'}") as store:

        @settings(max_examples=150, deadline=None)
        @given(edges, asked_ids)
        def check(graph: dict[str, str], asked: list[str]) -> None:
            with store.database.transaction() as conn:
                conn.execute(sa.delete(_ALIASES))
            store.aliases.add(graph, run_id="r1")
            final = store.aliases.resolve_all()
            assert store.aliases.resolve_many(asked) == {p: final.get(p, p) for p in asked}
            survivors = {final.get(p, p) for p in asked} - set(graph)  # IDs in a loop have no family to gather
            expected = {s: {s} | {a for a, t in final.items() if t == s} for s in survivors}
            assert store.aliases.families_of(survivors) == expected

        check()


def test_states_in_force_read_only_the_aliases_of_the_people_asked(store):
    import sqlalchemy as sa

    store.aliases.add({f"cp_old{i:05d}": f"cp_new{i:05d}" for i in range(50)}, run_id="r1")
    statements: list[str] = []

    def seen(_conn, _cursor, statement, _parameters, _context, _many):
        if "profile_aliases" in statement:
            statements.append(" ".join(statement.split()))

    sa.event.listen(store.database.engine, "before_cursor_execute", seen)
    try:
        store.ledger.states_in_force([f"cp_old{i:05d}" for i in range(30)])
    finally:
        sa.event.remove(store.database.engine, "before_cursor_execute", seen)
    assert statements
    assert all(" WHERE " in statement for statement in statements), statements
