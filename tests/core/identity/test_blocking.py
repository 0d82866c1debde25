from __future__ import annotations

import itertools

from core.identity import block, default_nicknames, default_role_mailboxes, prepare_records
from core.identity.settings import BlockingKey, IdentitySettings
from tests.core.identity.helpers import person, table
from tests.core.identity.synthetic import generate


def test_blocking_finds_nearly_every_true_pair() -> None:
    truth = generate(300, seed=3)
    prepared = prepare_records(truth.people, nicknames=default_nicknames(), roles=default_role_mailboxes())
    pairs = block(prepared, IdentitySettings().blocking.keys, max_block_size=100, nicknames=default_nicknames())
    found = {
        (prepared.keys[a], prepared.keys[b]) for a, b in zip(pairs.left.tolist(), pairs.right.tolist(), strict=True)
    }
    by_entity: dict[int, list[str]] = {}
    for key, entity in truth.entity_of.items():
        by_entity.setdefault(entity, []).append(key)
    true_pairs = {tuple(sorted(p)) for keys in by_entity.values() for p in itertools.combinations(keys, 2)}
    recall = len(true_pairs & found) / len(true_pairs)
    assert recall > 0.95  # the rest share no field at all (e.g. an email-only and a name-only record)
    n = len(prepared)
    assert len(pairs) < n * (n - 1) / 2 / 10  # far fewer than all pairs


def test_pairs_are_distinct_and_ordered() -> None:
    people = [person(str(i), first_name="Bob", last_name="Smith", email=f"bob{i}@acme.com") for i in range(5)]
    prepared = table(*people)
    pairs = block(prepared, list(BlockingKey), max_block_size=100, nicknames=default_nicknames())
    as_tuples = list(zip(pairs.left.tolist(), pairs.right.tolist(), strict=True))
    assert len(as_tuples) == len(set(as_tuples)) == 10
    assert all(a < b for a, b in as_tuples)


def test_oversized_blocks_are_skipped_and_reported() -> None:
    people = [person(str(i), first_name="Bob", last_name="Smith") for i in range(12)]
    prepared = table(*people)
    pairs = block(prepared, [BlockingKey.NAMES_SORTED], max_block_size=5, nicknames=default_nicknames())
    assert len(pairs) == 0
    assert pairs.report.skipped_blocks["names_sorted"] >= 1
