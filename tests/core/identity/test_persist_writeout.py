"""The write-out of a batch resolution: the one-record golden path, the paused collector, the lean rows."""

from __future__ import annotations

import gc
from datetime import UTC, date, datetime, timedelta, timezone

from hypothesis import given, settings
from hypothesis import strategies as st

from core.canonical import Person, RecordRef
from core.identity import golden_record, persist
from core.identity.persist import golden_json
from core.identity.records import person_json
from core.identity.settings import SurvivorshipRule, SurvivorshipSettings
from core.store import CanonicalText, LinkInput, canonical_json
from core.store.golden_codec import pack_golden
from tests.core.identity.stable_helpers import ALICE, ALICE_AGAIN, BOB, MARY, ROBERT, load, run

TEXT = st.one_of(
    st.none(),
    st.just(""),
    st.sampled_from(
        ["Ann", "Zoë", "O'Brien", "Acme Ltd", "LS1 4AP", "lead", 'the "A" team\\', "line\nbreak", "北京 🙂"]
    ),
)
TIMES = st.one_of(st.none(), st.datetimes(timezones=st.sampled_from([UTC, timezone(timedelta(hours=5, minutes=30))])))
RULES = st.sampled_from(list(SurvivorshipRule))


@st.composite
def people(draw: st.DrawFn) -> Person:
    return Person(
        source=RecordRef(
            system=draw(st.sampled_from(["crm", "desk"])), stream=draw(st.sampled_from(["people", 'Zoë "x"\\'])),
            source_id="a" + draw(st.text("ab1/\"\\é北🙂\n")),
        ),
        first_name=draw(TEXT), last_name=draw(TEXT), company=draw(TEXT), job_title=draw(TEXT), street=draw(TEXT),
        city=draw(TEXT), postcode=draw(TEXT), region=draw(TEXT), lifecycle_stage=draw(TEXT),
        email=draw(st.sampled_from([None, "ann@example.com"])), phone=draw(st.sampled_from([None, "+447700900123"])),
        country=draw(st.sampled_from([None, "GB", "FR"])),
        date_of_birth=draw(st.one_of(st.none(), st.dates(min_value=date(1900, 1, 2), max_value=date(2010, 1, 1)))),
        updated_at=draw(TIMES), created_at=draw(TIMES),
    )  # fmt: skip


@settings(max_examples=200, deadline=None)
@given(person=people(), default=RULES, email_rule=RULES)
def test_a_one_record_golden_record_is_the_general_one(person: Person, default: SurvivorshipRule, email_rule):
    rules = SurvivorshipSettings(default=default, fields={"email": email_rule}, system_priority=["desk"])
    text = persist._OneRecordGolden(rules)(person_json(person))
    assert isinstance(text, CanonicalText)
    assert text == canonical_json(pack_golden(golden_json(golden_record([person], rules))))


def test_the_collector_is_paused_for_the_whole_store_resolution_and_restored(store, monkeypatch):
    load(store, ROBERT, BOB, MARY, ALICE, ALICE_AGAIN)
    seen: dict[str, bool] = {}

    def watching(name: str, func):
        def wrapper(*args, **kwargs):
            seen[name] = gc.isenabled()
            return func(*args, **kwargs)

        return wrapper

    for name in ("iter_people_texts", "write_profiles", "write_links", "replace_index"):
        monkeypatch.setattr(persist, name, watching(name, getattr(persist, name)))
    assert gc.isenabled()
    run(store)
    assert seen == dict.fromkeys(("iter_people_texts", "write_profiles", "write_links", "replace_index"), False)
    assert gc.isenabled()


def test_a_rerun_writes_nothing_and_the_store_paths_agree_on_every_hash(store, fixed_clock):
    load(store, ROBERT, BOB, MARY, ALICE, ALICE_AGAIN)
    first = run(store, "first")
    profiles = {p: store.profiles.get(p) for p in first.ids.profile_ids}
    assert all(p is not None and p.run_id == "first" for p in profiles.values())
    # the hash-guarded upsert of the repositories sees every lean row as unchanged
    stored_links = list(store.links.iter())
    again = store.links.save(
        [
            LinkInput(x.system, x.stream, x.source_id, x.profile_id, x.method, x.rule, x.score, x.explanation)
            for x in stored_links
        ],
        run_id="other",
    )
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, len(stored_links))
    run(store, "second")
    for pid, before in profiles.items():
        after = store.profiles.get(pid)
        assert after is not None and before is not None
        assert (after.run_id, after.updated_at, after.content_hash) == ("first", before.updated_at, before.content_hash)
    assert {x.source_id: (x.run_id, x.linked_at) for x in store.links.iter()} == {
        x.source_id: (x.run_id, x.linked_at) for x in stored_links
    }


def test_stored_times_read_back_as_the_clock_gave_them(tmp_path, fixed_clock):
    from core.store import open_store

    with open_store(f"sqlite:///{tmp_path / 'clock.db'}", clock=fixed_clock) as clocked:
        load(clocked, ROBERT, MARY)
        result = run(clocked)
        profile = clocked.profiles.get(result.ids.profile_ids[0])
        assert profile is not None
        assert profile.created_at == profile.updated_at == fixed_clock.now == datetime(2024, 5, 1, 9, 30, tzinfo=UTC)
        assert {link.linked_at for link in clocked.links.iter()} == {fixed_clock.now}


def test_explanations_of_a_whole_batch_are_those_of_each_pair_alone():
    from core.identity import resolve
    from tests.core.identity.synthetic import generate

    resolution = resolve(generate(400, seed=5).people)
    for decision, found in (("review", list(resolution.reviews())), ("link", list(resolution.links()))):
        positions = [i for i, d in enumerate(resolution.pairs.decision) if d.value == decision]
        assert found == [resolution.explain(i) for i in positions]
    assert any(True for _ in resolution.reviews()) and any(True for _ in resolution.links())


def test_a_store_resolution_keeps_no_memo_of_the_batchs_values(store, monkeypatch):
    from core.identity.normalise import _company, house_number, normalise_company, street_name

    placed = {"street": "10 Downing Street", "city": "London", "postcode": "SW1A 2AA", "company": "Acme Ltd"}
    load(store, *(p.model_copy(update=placed) for p in (ROBERT, BOB, MARY)))
    memos = (normalise_company, _company, house_number, street_name)
    seen: dict[str, int] = {}
    original = persist.write_profiles

    def writing(*args, **kwargs):
        seen.update({memo.__name__: memo.cache_info().currsize for memo in memos})
        return original(*args, **kwargs)

    monkeypatch.setattr(persist, "write_profiles", writing)
    run(store)
    assert seen["house_number"] > 0 and seen["normalise_company"] > 0, "the batch filled them"
    assert [memo.cache_info().currsize for memo in memos] == [0, 0, 0, 0]
