"""Wide blocking keys: a whole batch stores only the rows a search reads, and every key's size stays."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from core.identity import persist, resolve_one
from core.identity.index_keys import iter_index_keys
from core.identity.nicknames import default_nicknames
from core.identity.settings import BlockingSettings, IdentitySettings
from core.store import IdentityBlockKey, Store, open_store
from tests.core.identity.stable_helpers import load, person

SETTINGS = IdentitySettings(blocking=BlockingSettings(max_block_size=4))
FIRST = ["Anna", "Ben", "Carl", "Dora", "Emil", "Fay", "Gus", "Hana", "Ivo", "Jana", "Karl", "Lena"]
SMITHS = [
    person(str(i), first_name=name, last_name="Smith", company="Acme", postcode="SW1A 1AA", city="London",
           email=f"{name.lower()}.smith@acme.com", phone=f"+4420794609{i:02d}")
    for i, name in enumerate(FIRST)
]  # fmt: skip
NEWCOMER = person(
    "99", system="shop", first_name="Dora", last_name="Smith", company="Acme", postcode="SW1A 1AA",
    email="dora.smith@acme.com",
)  # fmt: skip


def _every_row(store: Store) -> Counter[str]:
    """Each key's rows as the batch made them, none left out (``iter_index_keys`` without ``wide``)."""
    table = persist.resolve_store(store, SETTINGS, run_id="again").resolution.table
    rows = iter_index_keys(table, SETTINGS.blocking.keys, default_nicknames().fresh())
    return Counter(key for _, key, _ in rows)


def _stored(store: Store) -> list[tuple[str, str]]:
    table = IdentityBlockKey.__table__  # type: ignore[attr-defined]
    with store.database.connection() as conn:
        return sorted((k, s) for k, s in conn.execute(sa.select(table.c.key, table.c.sub_key)))


def test_a_whole_batch_leaves_out_the_rows_no_search_reads_and_keeps_every_keys_size(store):
    load(store, *SMITHS)
    persist.resolve_store(store, SETTINGS, run_id="first")
    expected = _every_row(store)
    stored = _stored(store)

    wide = {key for key, count in expected.items() if count > SETTINGS.blocking.max_block_size}
    assert any(key.startswith("postcode_surname:") for key in wide)  # twelve Smiths at one postcode
    assert all(sub for key, sub in stored if key in wide)  # a wide key keeps only rows a search by sub-key reads
    assert len(stored) < sum(expected.values())
    assert Counter(key for key, _ in stored if key not in wide) == {k: n for k, n in expected.items() if k not in wide}
    assert store.identity_index.block_key_sizes(sorted(expected)) == dict(expected)


def _without_wide(original: Any) -> Any:
    def every_row(*args: Any, wide: Any = None) -> Iterator[tuple[list[int], list[str], list[str]]]:
        return original(*args)

    return every_row


def test_a_new_record_is_decided_as_it_would_be_with_every_row_stored(store, tmp_path: Path, monkeypatch):
    load(store, *SMITHS)
    persist.resolve_store(store, SETTINGS, run_id="first")
    with monkeypatch.context() as patched, open_store(f"sqlite:///{tmp_path / 'every-row.db'}") as full:
        patched.setattr(persist, "index_key_columns", _without_wide(persist.index_key_columns))
        load(full, *SMITHS)
        persist.resolve_store(full, SETTINGS, run_id="first")
        keys = sorted({key for key, _ in _stored(full)})
        assert len(_stored(full)) > len(_stored(store))
        assert store.identity_index.block_key_sizes(keys) == full.identity_index.block_key_sizes(keys)

        left_out, every = resolve_one(store, NEWCOMER, SETTINGS), resolve_one(full, NEWCOMER, SETTINGS)
        assert (left_out.outcome, left_out.matched, left_out.score) == (every.outcome, every.matched, every.score)
        assert left_out.matched == str(SMITHS[3].source)
        assert store.identity_index.block_key_sizes(keys) == full.identity_index.block_key_sizes(keys)


def test_a_batch_over_one_system_stores_no_row_the_whole_batch_left_out(store):
    load(store, *SMITHS)
    persist.resolve_store(store, SETTINGS, run_id="first")
    rows, keys = _stored(store), sorted(_every_row(store))
    sizes = store.identity_index.block_key_sizes(keys)
    persist.resolve_store(store, SETTINGS, run_id="one-system", system="crm")
    assert _stored(store) == rows
    assert store.identity_index.block_key_sizes(keys) == sizes
