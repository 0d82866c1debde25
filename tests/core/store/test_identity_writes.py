"""The lean write-out of a batch resolution agrees with the repositories' own upserts, on both backends."""

from __future__ import annotations

from collections.abc import Iterator
from types import MappingProxyType

import pytest
import sqlalchemy as sa
from hypothesis import given
from hypothesis import strategies as st

from core.canonical import Person, RecordRef
from core.errors import StoreError
from core.identity.records import stored_person
from core.store import CanonicalText, LinkInput, LinkMethod, ProfileInput, ProfileStatus, canonical_json
from core.store.golden_codec import pack_golden
from core.store.identity_tables import BLOCK_KEY_LENGTH
from core.store.identity_writes import _dumped, _link_head, insert_rows, replace_index, write_links, write_profiles
from core.store.tables import Profile

GOLDEN = {"email": {"value": "ann@example.com", "source": "crm/people/1", "rule": "most_recent", "observed_at": None}}


def _ref(key: str) -> RecordRef:
    return RecordRef.parse(key)


def _profiles() -> list[ProfileInput]:
    return [
        ProfileInput("cp_1", GOLDEN),
        ProfileInput("cp_2", {}),
        ProfileInput("cp_3", {}, ProfileStatus.MERGED, merged_into="cp_1"),
    ]


def _links(score: float = 0.93) -> list[LinkInput]:
    return [
        LinkInput("crm", "people", "1", "cp_1", LinkMethod.SCORE, "fuzzy", score, {"why": ["email", 1.5]}),
        LinkInput("desk", "people", "2", "cp_2", LinkMethod.RULE, "same_personal_email", None, {}),
    ]


def test_profiles_written_lean_are_unchanged_to_the_repository_upsert(store, fixed_clock):
    assert write_profiles(store.database, _profiles(), run_id="lean") == (3, 0)
    counts = store.profiles.upsert(_profiles(), run_id="other")
    assert (counts.inserted, counts.updated, counts.unchanged) == (0, 0, 3)
    stored = store.profiles.get("cp_3")
    assert stored is not None
    assert (stored.status, stored.merged_into, stored.run_id, stored.golden) == ("merged", "cp_1", "lean", {})
    assert store.profiles.get("cp_1").golden == GOLDEN  # type: ignore[union-attr]


def test_a_golden_record_given_as_its_canonical_text_is_stored_as_the_value_would_be(store):
    stored_form = CanonicalText(canonical_json(pack_golden(GOLDEN)))  # the text a batch makes: the packed form
    as_text = [ProfileInput("cp_1", stored_form), ProfileInput("cp_2", CanonicalText("{}"))]
    assert write_profiles(store.database, as_text, run_id="text") == (2, 0)
    assert store.profiles.get("cp_1").golden == GOLDEN  # type: ignore[union-attr]
    # the same hashes as the values': the value path sees both unchanged, and the text on the repository's path too
    counts = store.profiles.upsert(_profiles()[:2], run_id="value")
    assert (counts.inserted, counts.updated, counts.unchanged) == (0, 0, 2)
    counts = store.profiles.upsert(as_text, run_id="value")
    assert (counts.inserted, counts.updated, counts.unchanged) == (0, 0, 2)
    assert write_profiles(store.database, [ProfileInput("cp_1", CanonicalText('{"other":1}'))], run_id="x") == (0, 1)
    assert store.profiles.get("cp_1").golden == {"other": 1}  # type: ignore[union-attr]


def test_a_changed_profile_is_updated_and_an_equal_one_left_as_it_was(store):
    store.profiles.upsert(_profiles(), run_id="before")
    before = store.profiles.get("cp_2")
    changed = [ProfileInput("cp_1", {}), *_profiles()[1:], ProfileInput("cp_4", GOLDEN)]
    assert write_profiles(store.database, changed, run_id="after") == (1, 1)
    after_1, after_2 = store.profiles.get("cp_1"), store.profiles.get("cp_2")
    assert after_1 is not None and after_1.golden == {} and after_1.run_id == "after"
    assert after_2 is not None and before is not None
    assert (after_2.run_id, after_2.updated_at) == ("before", before.updated_at)


def test_links_written_lean_are_unchanged_to_the_repository_save(store):
    assert write_links(store.database, _links(), run_id="lean") == (2, 0)
    counts = store.links.save(_links(), run_id="other")
    assert (counts.inserted, counts.updated, counts.unchanged) == (0, 0, 2)
    assert write_links(store.database, _links(score=0.5), run_id="later") == (0, 1)
    by_id = {link.source_id: link for link in store.links.iter()}
    assert (by_id["1"].score, by_id["1"].run_id, by_id["2"].run_id) == (0.5, "later", "lean")
    assert by_id["1"].explanation == {"why": ["email", 1.5]}


@given(
    profile_id=st.text(),
    method=st.sampled_from([m.value for m in LinkMethod]),
    rule=st.none() | st.text(),
    score=st.none() | st.floats(allow_nan=False, allow_infinity=False) | st.integers(-(10**20), 10**20),
)
def test_a_link_hash_head_made_from_its_parts_is_the_json_of_them(profile_id, method, rule, score):
    assert _link_head(profile_id, method, rule, score) + "]" == _dumped([profile_id, method, rule, score])


@pytest.mark.parametrize("score", [float("nan"), float("inf"), -float("inf")])
def test_a_link_score_json_cannot_hold_is_refused_as_before(score):
    with pytest.raises(ValueError):
        _link_head("cp_1", "score", None, score)


def test_an_explanation_shared_by_many_links_is_stored_with_each_and_a_dict_is_read_every_time(store):
    shared = MappingProxyType({"decision": "new", "reason": "no link to any other record"})
    mutable = {"why": "first"}
    links = [LinkInput("crm", "people", str(i), f"cp_{i}", LinkMethod.SCORE, explanation=shared) for i in range(3)]
    links += [LinkInput("crm", "people", "3", "cp_3", LinkMethod.SCORE, explanation=mutable)]
    links += [LinkInput("crm", "people", "4", "cp_4", LinkMethod.SCORE, explanation={"why": "own"})]

    def changed() -> Iterator[LinkInput]:  # the same dict, changed between two links
        yield from links[:4]
        mutable["why"] = "second"
        yield LinkInput("crm", "people", "5", "cp_5", LinkMethod.SCORE, explanation=mutable)
        yield links[4]

    assert write_links(store.database, changed(), run_id="lean") == (6, 0)
    stored = {link.source_id: link.explanation for link in store.links.iter()}
    assert stored == {"0": dict(shared), "1": dict(shared), "2": dict(shared), "3": {"why": "first"},
                      "5": {"why": "second"}, "4": {"why": "own"}}  # fmt: skip
    again = [*links[:3], LinkInput("crm", "people", "3", "cp_3", LinkMethod.SCORE, explanation={"why": "first"})]
    counts = store.links.save(again, run_id="other")  # the repository's own hashes agree: nothing to change
    assert (counts.inserted, counts.updated, counts.unchanged) == (0, 0, 4)


def test_the_index_is_replaced_whole_or_within_a_scope(store):
    long_key = "k" * (BLOCK_KEY_LENGTH + 9)
    ann, bob = (
        Person(source=_ref("crm/people/1"), first_name="Ann"),
        Person(source=_ref("desk/people/2"), first_name="Bob"),
    )
    store.records.upsert_canonical([(p.source, "Person", 0, p) for p in (ann, bob)], run_id=None)
    records = [("crm/people/1", "cp_1"), ("desk/people/2", "cp_2"), ("crm/people/3", "cp_2")]  # 3: no canonical row
    keys = [(long_key, "", "crm/people/1"), ("smith", "j", "desk/people/2")]
    replace_index(store.database, records, keys, scope=None)
    members = store.identity_index.members(["cp_1", "cp_2"])  # each with its Person, read from its canonical row
    assert [(m.record, m.profile_id, stored_person(m.person).first_name) for m in members] == [
        ("crm/people/1", "cp_1", "Ann"),
        ("desk/people/2", "cp_2", "Bob"),
    ]
    assert [m.record for m in store.identity_index.records_of(["desk/people/2", "crm/people/3"])] == ["desk/people/2"]
    assert store.identity_index.block_key_sizes([long_key[:BLOCK_KEY_LENGTH], "smith"]) == {
        long_key[:BLOCK_KEY_LENGTH]: 1,
        "smith": 1,
    }
    replace_index(store.database, [("desk/people/2", "cp_9")], [], scope=["desk/people/2"])
    assert store.identity_index.profiles_of(["crm/people/1", "desk/people/2"]) == {
        "crm/people/1": "cp_1",
        "desk/people/2": "cp_9",
    }
    assert store.identity_index.block_key_sizes(["smith"]) == {}


def test_a_row_the_database_refuses_is_a_store_error_and_nothing_of_the_block_lands(store):
    table = Profile.__table__  # type: ignore[attr-defined]
    with pytest.raises(StoreError, match="store error"), store.database.atomic():
        write_profiles(store.database, _profiles(), run_id="lost")
        with store.database.transaction() as conn:
            insert_rows(conn, table, ("profile_id", "status"), [("cp_x", None)])  # status may not be NULL
    assert store.profiles.get("cp_1") is None


def _block_key_indexes(store) -> list[tuple[str, tuple[str, ...]]]:
    with store.database.connection() as conn:
        found = sa.inspect(conn).get_indexes("identity_block_keys")
    return sorted((str(index["name"]), tuple(index["column_names"])) for index in found)


def test_a_whole_replace_builds_the_block_key_indexes_again_and_a_failed_one_keeps_rows_and_indexes(store):
    indexes = _block_key_indexes(store)
    assert indexes == [
        ("ix_identity_block_keys_key", ("key", "sub_key")),
        ("ix_identity_block_keys_record", ("record",)),
    ]
    keys = [(f"k{i}", "", f"crm/people/{i}") for i in range(50)]
    replace_index(store.database, [(f"crm/people/{i}", f"cp_{i}") for i in range(50)], keys, scope=None)
    assert _block_key_indexes(store) == indexes
    with pytest.raises(StoreError):  # a key the database refuses (NULL) after the indexes were dropped
        replace_index(store.database, [], [("k1", "", "crm/people/1"), ("k2", "", None)], scope=None)
    assert _block_key_indexes(store) == indexes
    assert store.identity_index.block_key_sizes(["k0", "k49"]) == {"k0": 1, "k49": 1}


def test_a_whole_replace_empties_the_index_in_its_transaction_and_on_postgresql_leaves_no_dead_rows(store):
    def storage() -> dict[str, int]:  # TRUNCATE gives a PostgreSQL table new storage; DELETE keeps it and its dead rows
        query = "SELECT relname, relfilenode FROM pg_class WHERE relname IN ('identity_block_keys', 'identity_records')"
        with store.database.connection() as conn:
            return {str(name): int(node) for name, node in conn.execute(sa.text(query))}

    postgres = store.database.engine.dialect.name == "postgresql"
    keys = [(f"k{i}", "", f"crm/people/{i}") for i in range(50)]
    records = [(f"crm/people/{i}", f"cp_{i}") for i in range(50)]
    replace_index(store.database, records, keys, scope=None)
    before = storage() if postgres else {}
    replace_index(store.database, records[:10], keys[:10], scope=None)
    if postgres:
        after = storage()
        assert set(after) == {"identity_block_keys", "identity_records"}
        assert all(after[name] != before[name] for name in before)
    assert store.identity_index.size() == 10
    assert store.identity_index.block_key_sizes(["k0", "k9", "k10"]) == {"k0": 1, "k9": 1}
    with pytest.raises(StoreError):  # a refused load rolls the emptying back with it
        replace_index(store.database, [], [("k1", "", None)], scope=None)
    assert store.identity_index.size() == 10
    assert store.identity_index.block_key_sizes(["k0", "k9"]) == {"k0": 1, "k9": 1}
