"""A batch prepared ``compact`` (people held as their JSON text) is the same batch, and resolves the same."""

from __future__ import annotations

from dataclasses import fields

import numpy as np

from core.identity import default_nicknames, default_role_mailboxes, prepare_records, resolve
from core.identity.records import Column, StoredPeople, person_json
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
    held = sum(len(StoredPeople.pack(p)) for p in plain.people)
    assert held < sum(map(len, texts)) / 2  # compressed with the shape of a person's JSON as dictionary
    sources = [p.source for p in plain.people]
    assert compact.refs == sources and list(compact.refs) == sources and compact.refs[1:3] == sources[1:3]
    assert compact.refs != sources[:-1] and compact.refs != [*sources[:-1], sources[0]]


def test_a_compact_resolution_links_alike_and_makes_the_same_golden_records():
    truth = generate(150, seed=9)
    plain = resolve(truth.people)
    compact = resolve(iter(truth.people), compact=True)  # a generator is read once
    assert compact.clusters == plain.clusters and compact.profile_ids == plain.profile_ids
    assert compact.golden_records == plain.golden_records
