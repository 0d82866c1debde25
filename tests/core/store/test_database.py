from __future__ import annotations

import sqlalchemy as sa


def test_session_gives_ad_hoc_orm_access(store):
    from sqlmodel import select

    from core.store import Run

    store.runs.start("report", run_id="report-1")
    with store.database.session() as session:
        run = session.exec(select(Run).where(Run.run_id == "report-1")).one()
        run.counters = {"rows": 3}
        session.add(run)
    again = store.runs.get("report-1")
    assert again is not None and again.counters == {"rows": 3}


def test_reads_inside_reading_share_one_connection(store):
    checkouts: list[object] = []
    sa.event.listen(store.engine, "checkout", lambda *args: checkouts.append(args[0]))
    store.aliases.add({"cp_aaaaaaaa": "cp_bbbbbbbb"}, run_id="r1")
    writes = len(checkouts)
    with store.database.reading():
        assert store.identity_index.profiles_of(["crm/people/1"]) == {}
        assert store.identity_index.members(["cp_bbbbbbbb"]) == []
        with store.database.reading():  # nested: still the outer connection
            assert store.identity_index.block_key_sizes(["email:bob@acme.com"]) == {}
        assert store.pins.partners("crm/people/1") == ({}, set())
    assert len(checkouts) == writes + 1
    store.identity_index.profiles_of(["crm/people/1"])
    assert len(checkouts) == writes + 2  # outside the block, a read takes its own connection again
