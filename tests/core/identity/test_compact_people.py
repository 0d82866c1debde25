"""A batch prepared ``compact`` (people held as their JSON text) is the same batch, and resolves the same."""

from __future__ import annotations

import json
from dataclasses import fields

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.identity import default_nicknames, default_role_mailboxes, prepare_records, resolve
from core.identity.persist import iter_people, iter_people_texts
from core.identity.records import (
    Column,
    PersonText,
    RecordTable,
    StoredPeople,
    person_json,
    read_person_json,
    stored_person,
)
from tests.core.identity.synthetic import generate


def test_a_compact_table_equals_the_plain_one_column_by_column_and_gives_the_people_back():
    truth = generate(200, seed=5)
    tables = [
        prepare_records(iter(truth.people), nicknames=default_nicknames(), roles=default_role_mailboxes(), compact=c)
        for c in (False, True)
    ]
    plain, compact = tables
    assert isinstance(compact.people, StoredPeople) and not isinstance(plain.people, StoredPeople)
    for item in fields(plain):
        a, b = getattr(plain, item.name), getattr(compact, item.name)
        if isinstance(a, Column):
            assert np.array_equal(a.codes, b.codes) and a.vocab == b.vocab, item.name
        elif item.name != "people":
            assert a == b, item.name
    assert len(compact.people) == len(plain.people) == len(truth.people)
    assert [compact.people[i] for i in range(len(plain))] == list(plain.people)  # rebuilt equal, in key order
    assert compact.people[2:5] == list(plain.people[2:5])
    texts = [person_json(p) for p in plain.people]
    assert list(compact.people.texts()) == texts and compact.people.text(3) == texts[3]
    held = sum(len(StoredPeople.pack(person_json(p))) for p in plain.people)
    assert held < sum(map(len, texts)) / 2  # compressed with the shape of a person's JSON as dictionary
    sources = [p.source for p in plain.people]
    assert compact.refs == sources and list(compact.refs) == sources and compact.refs[1:3] == sources[1:3]
    assert compact.refs != sources[:-1] and compact.refs != [*sources[:-1], sources[0]]


def _columns(table: RecordTable) -> dict[str, object]:
    return {
        item.name: (value.codes.tolist(), value.vocab) if isinstance(value, Column) else value
        for item in fields(table)
        if item.name != "people"
        for value in [getattr(table, item.name)]
    }


def test_people_read_as_the_json_the_store_wrote_prepare_the_same_table(store):
    truth = generate(200, seed=7)
    store.records.upsert_canonical([(p.source, "Person", 0, p) for p in truth.people], run_id=None)
    names, roles = default_nicknames(), default_role_mailboxes()
    from_people = prepare_records(iter_people(store), nicknames=names, roles=roles, compact=True)
    for compact in (True, False):
        texts = iter_people_texts(store)  # as SQLite or PostgreSQL hands them back (jsonb: its own spacing)
        from_texts = prepare_records(texts, nicknames=names, roles=roles, compact=compact)
        assert _columns(from_texts) == _columns(from_people)
        assert list(from_texts.people) == list(from_people.people)  # the same Person objects, rebuilt or read
    # a compact table holds each person's JSON as it was given: the Person's canonical text, or the store's own
    in_key_order = sorted(truth.people, key=lambda person: str(person.source))
    assert list(from_people.people.texts()) == [person_json(p) for p in in_key_order]
    given = sorted(iter_people_texts(store), key=lambda text: str(stored_person(text).source))
    from_texts = prepare_records(iter_people_texts(store), nicknames=names, roles=roles, compact=True)
    assert list(from_texts.people.texts()) == given


def test_a_compact_resolution_links_alike_and_makes_the_same_golden_records():
    truth = generate(150, seed=9)
    plain = resolve(truth.people)
    compact = resolve(iter(truth.people), compact=True)  # a generator is read once
    assert compact.clusters == plain.clusters and compact.profile_ids == plain.profile_ids
    assert compact.golden_records == plain.golden_records


@given(first=st.text(max_size=40), last=st.text(max_size=40), city=st.none() | st.text(max_size=30))
def test_a_stored_persons_json_reads_as_json_loads_reads_it(first, last, city):
    truth = generate(3, seed=11).people[1]
    person = truth.model_copy(update={"first_name": first, "last_name": last, "city": city})
    text = person_json(person)
    assert read_person_json(text) == json.loads(text)
    assert read_person_json(PersonText(text)) == json.loads(text)  # as the store hands it: a str subclass


def test_a_person_text_orjson_refuses_is_read_by_json_loads():
    text = '{"first_name":"\\ud800","identifiers":[],"deleted":false}'  # a lone surrogate, escaped
    assert read_person_json(text) == json.loads(text) == {"first_name": "\ud800", "identifiers": [], "deleted": False}
    with pytest.raises(ValueError):
        read_person_json('{"first_name": ')
