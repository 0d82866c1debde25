"""Golden records are stored packed (each provenance once) and read back as they were, on both backends."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from hypothesis import given, settings
from hypothesis import strategies as st

from core.canonical import Person, RecordRef
from core.identity.persist import golden_json
from core.identity.settings import SurvivorshipRule, SurvivorshipSettings
from core.identity.survivorship import golden_record
from core.store import ProfileInput, canonical_json
from core.store.golden_codec import GOLDEN_MARK, pack_golden, unpack_golden
from core.store.identity_writes import write_profiles

NAMES = st.sampled_from(["Ann", "Zoë", "O'Brien", 'the "A" team\\', "北京 🙂", "line\nbreak"])
TIMES = st.one_of(st.none(), st.datetimes(min_value=datetime(2020, 1, 1), timezones=st.just(UTC)))


@st.composite
def people(draw: st.DrawFn) -> Person:
    return Person(
        source=RecordRef(system=draw(st.sampled_from(["crm", "desk", "shop"])), stream="people",
                         source_id="r" + draw(st.text("ab1/\"é", max_size=4))),
        first_name=draw(st.one_of(st.none(), NAMES)), last_name=draw(st.one_of(st.none(), NAMES)),
        city=draw(st.one_of(st.none(), NAMES)), email=draw(st.sampled_from([None, "ann@example.com", "b@example.org"])),
        updated_at=draw(TIMES),
    )  # fmt: skip


@settings(max_examples=200, deadline=None)
@given(st.lists(people(), min_size=1, max_size=4), st.sampled_from(list(SurvivorshipRule)))
def test_a_golden_record_of_several_records_reads_back_as_it_was_and_shorter(found: list[Person], rule) -> None:
    golden = golden_json(golden_record(found, SurvivorshipSettings(default=rule, system_priority=["desk"])))
    packed = pack_golden(golden)
    assert unpack_golden(packed) == golden
    assert pack_golden(packed) == packed  # packing what is packed changes nothing
    assert unpack_golden(golden) == golden  # a golden record stored before the packed form reads as it was
    provenances = {canonical_json([v["observed_at"], v["source"]]) for v in golden.values()}
    if golden:
        assert len(packed[GOLDEN_MARK]["provenance"]) == len(provenances)
    if len(golden) > len(provenances):  # a provenance shared by two fields is written once
        assert len(canonical_json(packed)) < len(canonical_json(golden))


def test_a_golden_record_of_another_shape_is_stored_as_it_is() -> None:
    odd: dict[str, Any] = {"email": {"value": "a@example.com", "source": "crm/people/1"}}
    assert pack_golden(odd) == odd and unpack_golden(odd) == odd
    assert pack_golden({}) == {} and unpack_golden({}) == {}


GOLDEN = {
    name: {"observed_at": "2026-01-02T03:04:05Z", "rule": "most_recent", "value": value,
           "source": {"source_id": "1", "stream": "people", "system": "crm"}}
    for name, value in (("email", "ann@example.com"), ("first_name", "Ann"), ("city", "Leeds"))
}  # fmt: skip
GOLDEN["phone"] = {"observed_at": None, "rule": "system_priority", "value": "+447700900123", "source": "desk/people/2"}


def _stored(store, profile_id: str) -> Any:
    with store.database.connection() as conn:  # the column's own text, past the column type
        text = conn.execute(
            sa.text("SELECT CAST(golden AS TEXT) FROM profiles WHERE profile_id = :p"), {"p": profile_id}
        )
        return text.scalar_one()


def test_the_store_keeps_the_packed_form_and_every_reader_gets_the_golden_record(store) -> None:
    store.profiles.upsert([ProfileInput("cp_1", GOLDEN)], run_id="r1")
    write_profiles(store.database, [ProfileInput("cp_2", GOLDEN)], run_id="r1")
    for pid in ("cp_1", "cp_2"):
        raw = _stored(store, pid)
        assert GOLDEN_MARK in raw and raw.count("2026-01-02T03:04:05Z") == 1  # the shared provenance once
        profile = store.profiles.get(pid)
        assert profile is not None and profile.golden == GOLDEN
    assert store.profiles.golden_of(["cp_1", "cp_2"]) == {"cp_1": GOLDEN, "cp_2": GOLDEN}
    counts = store.profiles.upsert([ProfileInput("cp_2", GOLDEN)], run_id="r2")  # both paths hash the same
    assert (counts.inserted, counts.updated, counts.unchanged) == (0, 0, 1)


def test_a_golden_record_stored_before_the_packed_form_reads_back_and_is_packed_when_rewritten(store) -> None:
    store.profiles.upsert([ProfileInput("cp_1", {})], run_id="r1")
    cast = "CAST(:g AS JSONB)" if store.database.engine.dialect.name == "postgresql" else ":g"
    with store.database.transaction() as conn:  # as an older version stored it: the full form
        conn.execute(
            sa.text(f"UPDATE profiles SET golden = {cast} WHERE profile_id = 'cp_1'"), {"g": canonical_json(GOLDEN)}
        )
    assert GOLDEN_MARK not in _stored(store, "cp_1")
    profile = store.profiles.get("cp_1")
    assert profile is not None and profile.golden == GOLDEN
    write_profiles(store.database, [ProfileInput("cp_1", GOLDEN)], run_id="r2")
    assert GOLDEN_MARK in _stored(store, "cp_1")
    assert store.profiles.golden_of(["cp_1"]) == {"cp_1": GOLDEN}
