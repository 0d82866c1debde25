from __future__ import annotations

import itertools

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from core.identity import block, blocking, default_nicknames, default_role_mailboxes, prepare_records
from core.identity.blocking import key_rows
from core.identity.index_keys import index_keys, iter_index_keys
from core.identity.settings import BlockingKey, IdentitySettings
from core.store import BLOCK_KEY_LENGTH
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


def _pairs_by_hand(rows: blocking.KeyRows, cap: int) -> tuple[set[tuple[int, int]], int]:
    """A key's pairs read plainly: records sharing its code, a block over ``cap`` by its sub-key, or skipped."""
    blocks: dict[int, set[int]] = {}
    subs: dict[tuple[int, int], set[int]] = {}
    columns = (rows.records.tolist(), rows.key_codes().tolist(), rows.sub_codes().tolist())
    for record, code, sub in zip(*columns, strict=True):
        blocks.setdefault(code, set()).add(record)
        subs.setdefault((code, sub), set()).add(record)
    pairs: set[tuple[int, int]] = set()
    skipped = 0
    for code, members in blocks.items():
        if len(members) <= cap:
            pairs |= set(itertools.combinations(sorted(members), 2))
            continue
        for (of, _), inside in subs.items():
            if of != code:
                continue
            if len(inside) <= cap:
                pairs |= set(itertools.combinations(sorted(inside), 2))
            else:
                skipped += 1
    return pairs, skipped


def test_the_candidate_pairs_are_every_pair_sharing_a_key_read_plainly() -> None:
    prepared = table(*generate(250, seed=7).people)
    keys = list(BlockingKey)
    for cap in (3, 8, 100):
        expected: set[tuple[int, int]] = set()
        per_key: dict[str, int] = {}
        skipped: dict[str, int] = {}
        for key, rows in key_rows(prepared, keys, default_nicknames()).items():
            pairs, left_out = _pairs_by_hand(rows, cap)
            expected |= pairs
            per_key[key.value] = len(pairs)
            if left_out:
                skipped[key.value] = left_out
        found = block(prepared, keys, max_block_size=cap, nicknames=default_nicknames())
        as_tuples = list(zip(found.left.tolist(), found.right.tolist(), strict=True))
        assert as_tuples == sorted(expected), cap
        assert found.report.pairs_by_key == per_key and found.report.skipped_blocks == skipped, cap


def test_the_store_index_keys_are_the_batch_keys_written_as_text() -> None:
    truth = generate(150, seed=11)
    prepared = table(*truth.people)
    for key, rows in key_rows(prepared, list(BlockingKey), default_nicknames()).items():
        codes, texts = rows.key_codes().tolist(), [text for _, text, _ in rows.texts()]
        same_code = {(i, j) for i in range(len(codes)) for j in range(i) if codes[i] == codes[j]}
        same_text = {(i, j) for i in range(len(texts)) for j in range(i) if texts[i] == texts[j]}
        assert same_code == same_text, key
        subs, sub_texts = rows.sub_codes().tolist(), [sub for _, _, sub in rows.texts()]
        assert {(i, j) for i in range(len(subs)) for j in range(i) if subs[i] == subs[j]} == {
            (i, j) for i in range(len(sub_texts)) for j in range(i) if sub_texts[i] == sub_texts[j]
        }, key


def test_a_record_resolved_alone_has_the_index_keys_it_has_in_a_batch() -> None:
    truth = generate(120, seed=12)
    prepared = table(*truth.people)
    keys = list(BlockingKey)
    in_batch = index_keys(prepared, keys, default_nicknames())
    compared = 0
    for index, key in enumerate(prepared.keys):
        alone = table(next(p for p in truth.people if str(p.source) == key))
        if any(e.canonical in prepared.shared_emails for e in alone.personal_emails[0]):
            continue  # an address the batch saw shared by two people is no key there; alone, it is one
        assert set(index_keys(alone, keys, default_nicknames())[0]) == set(in_batch[index]), key
        compared += 1
    assert compared > 100


def test_index_keys_name_their_key_and_cover_the_rule_identifiers() -> None:
    bob = person(
        "1", first_name="Bob", last_name="Smith", email="bob.smith@acme.com", phone="+442079460958", postcode="SW1A 2AA"
    )
    found = dict(index_keys(table(bob), list(BlockingKey), default_nicknames())[0])
    assert found["email:bob.smith@acme.com"] == ""
    assert found["phone:+442079460958"] == "s"
    assert found["names_sorted:bob|smith"] == "SW1A2AA"
    assert found["names_sorted:robert|smith"] == "SW1A2AA"  # Bob's formal name meets Robert Smith
    assert found["external_id:crm:1"] == ""
    only_email = index_keys(table(bob), [BlockingKey.EMAIL], default_nicknames())[0]
    assert {k.partition(":")[0] for k, _ in only_email} == {"email", "external_id"}


def test_the_streamed_index_keys_are_each_records_distinct_keys_once() -> None:
    truth = generate(200, seed=13)
    prepared = table(*truth.people)
    keys = list(BlockingKey)
    streamed = list(iter_index_keys(prepared, keys, default_nicknames()))
    assert len(streamed) == len(set(streamed))  # no pair of a record twice
    expected: list[set[tuple[str, str]]] = [set() for _ in range(len(prepared))]
    for name, rows in key_rows(prepared, keys, default_nicknames()).items():
        for record, key, sub in rows.texts():
            expected[record].add((f"{name.value}:{key}"[:BLOCK_KEY_LENGTH], sub[:BLOCK_KEY_LENGTH]))
    for record, own in enumerate(prepared.own_ids):
        expected[record] |= {(f"external_id:{e}", "") for e in (own, *prepared.external_ids[record])}
    by_record = index_keys(prepared, keys, default_nicknames())
    assert [set(found) for found in by_record] == expected
    assert sum(map(len, by_record)) == len(streamed) > 10 * len(prepared)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.lists(st.integers(min_value=0, max_value=2**40), max_size=300), max_size=4))
def test_distinct_pair_codes_of_several_parts_are_numpys_unique_of_them_all(values):
    parts = [np.asarray(found, dtype=np.int64) for found in values]
    expected = np.unique(np.concatenate(parts)) if parts else np.zeros(0, dtype=np.int64)
    given = list(parts)
    found = blocking._sorted_distinct(given)
    assert found.dtype == np.int64 and np.array_equal(found, expected)
    assert given == []  # emptied, so the caller holds no part beside the result


_PART = st.lists(st.text(alphabet="ab|", min_size=0, max_size=6), min_size=1, max_size=5, unique=True)


@settings(max_examples=150, deadline=None)
@given(
    st.lists(_PART, min_size=1, max_size=2),
    st.lists(_PART, max_size=2),
    st.lists(st.tuples(st.integers(0, 6), st.integers(-1, 4), st.integers(-1, 4)), max_size=40),
    st.integers(1, 12),
)
def test_distinct_texts_are_the_rows_texts_cut_and_each_given_once(keys, subs, rows, limit):
    def part(vocab, column):
        return blocking.Part(np.asarray([min(r[column], len(vocab) - 1) for r in rows], dtype=np.int64), vocab)

    found = blocking.KeyRows(
        np.asarray([r[0] for r in rows], dtype=np.int64),
        tuple(part(v, 1 + i % 2) for i, v in enumerate(keys)),
        tuple(part(v, 2 - i % 2) for i, v in enumerate(subs)),
    )
    expected = list(dict.fromkeys((r, f"k:{key}"[:limit], sub[:limit]) for r, key, sub in found.texts()))
    assert list(found.distinct_texts("k:", limit)) == expected
    columns = ([r for r, _, _ in expected], [k for _, k, _ in expected], [s for _, _, s in expected])
    assert found._many_columns("k:", limit) == columns  # numpy's way, at any size
    assert found._few_columns("k:", limit) == columns  # row by row, as for a record resolved on its own
