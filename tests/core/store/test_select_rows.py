"""``select_rows`` answers as SQLAlchemy does: lists of any length, a name used twice, an empty list."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from core.errors import StoreError
from core.store import open_store
from core.store.database import select_rows
from core.store.identity_tables import IdentityBlockKey

_KEYS = IdentityBlockKey.__table__  # type: ignore[attr-defined]
_BY_KEYS = (
    sa.select(_KEYS.c.key, _KEYS.c.record, sa.func.count())
    .where(
        _KEYS.c.key.in_(sa.bindparam("keys", expanding=True)),
        sa.or_(_KEYS.c.sub_key == sa.bindparam("sub"), _KEYS.c.record == sa.bindparam("sub")),
        _KEYS.c.record.in_(sa.bindparam("records", expanding=True)),
    )
    .group_by(_KEYS.c.key, _KEYS.c.record)
    .order_by(_KEYS.c.key, _KEYS.c.record)
)


@pytest.mark.parametrize(
    ("keys", "sub", "records"),
    [
        (["k1", "k2"], "s", ["r1", "r2", "r3"]),
        (["k2", "k1", "k3"], "s", ["r3"]),
        (["k1"], "r2", ["r1", "r2"]),  # the name used twice picks the record as well as the sub-key
        ([], "s", ["r1"]),
        (["k1", "k2"], "s", []),
        ([f"k{i}" for i in range(600)], "s", ["r1", "r2", "r3"]),
    ],
)
def test_rows_are_sqlalchemys_for_any_lists(store_url: str, keys: list[str], sub: str, records: list[str]):
    with open_store(store_url) as store:
        rows = [
            {"key": f"k{k}", "sub_key": s, "record": f"r{r}"}
            for k in range(1, 4)
            for s in ("s", "t")
            for r in range(1, 4)
            if (k + r) % 3 != 0
        ]
        with store.database.transaction() as conn:
            conn.execute(sa.insert(_KEYS), rows)
        with store.database.connection() as conn:
            expected = [tuple(row) for row in conn.execute(_BY_KEYS, {"keys": keys, "sub": sub, "records": records})]
            twice = [  # the text made for these lengths is reused with other values of the same lengths
                select_rows(conn, _BY_KEYS, {"keys": keys, "sub": sub, "records": records}),
                select_rows(conn, _BY_KEYS, {"keys": keys, "sub": sub, "records": records}),
            ]
            other = select_rows(conn, _BY_KEYS, {"keys": ["k3"] * len(keys), "sub": "t", "records": records})
            expected_other = [
                tuple(row)
                for row in conn.execute(_BY_KEYS, {"keys": ["k3"] * len(keys), "sub": "t", "records": records})
            ]
    assert twice == [expected, expected]
    assert other == expected_other
    if keys and records and sub == "s":
        assert expected  # the case finds something to compare


def test_a_failing_look_up_is_a_store_error_naming_what_failed(tmp_path):
    missing = sa.Table("no_such_table", sa.MetaData(), sa.Column("key", sa.Text))
    statement = sa.select(missing.c.key).where(missing.c.key.in_(sa.bindparam("keys", expanding=True)))
    with (
        open_store(f"sqlite:///{tmp_path / 'cp.db'}") as store,
        pytest.raises(StoreError, match="no_such_table"),
        store.database.connection() as conn,
    ):
        select_rows(conn, statement, {"keys": ["a", "b"]})


def test_statements_made_and_dropped_one_after_another_each_run_their_own_text(tmp_path):
    with open_store(f"sqlite:///{tmp_path / 'cp.db'}") as store, store.database.connection() as conn:
        for i in range(50):  # a statement dropped leaves its ID free for the next one
            column = sa.literal_column(f"'{i}'")
            statement = sa.select(column).where(sa.literal_column("1").in_(sa.bindparam("keys", expanding=True)))
            assert select_rows(conn, statement, {"keys": [1]}) == [(str(i),)]
            del statement, column


def test_the_texts_kept_stay_few_whatever_lengths_the_lists_have(tmp_path):
    """A text for every length a list ever had would keep thousands of placeholder names for each."""
    from core.store import database

    with open_store(f"sqlite:///{tmp_path / 'store.db'}") as store:
        with store.database.transaction() as conn:
            conn.execute(
                sa.insert(_KEYS), [{"key": f"k{k}", "sub_key": "s", "record": f"r{k % 7}"} for k in range(700)]
            )
        with store.database.connection() as conn:
            for length in range(701):
                keys = [f"k{k}" for k in range(0, 2 * length, 2)]  # half of them stored
                records = [f"r{r}" for r in range(length % 9)]
                given = {"keys": keys, "sub": "s", "records": records}
                expected = [tuple(row) for row in conn.execute(_BY_KEYS, given)]
                assert select_rows(conn, _BY_KEYS, given) == expected, length
    kept = [key for key in database._DRIVER_TEXTS if key[0] == id(_BY_KEYS)]
    assert len(kept) <= 24 * 5, len(kept)
