from __future__ import annotations

from core.store import LinkInput, LinkMethod, UpsertCounts, open_store

from .helpers import snapshot


def _link(source_id: str, profile_id: str, **kw) -> LinkInput:
    return LinkInput(system="hubspot", stream="contacts", source_id=source_id, profile_id=profile_id, **kw)


def test_links_are_idempotent_and_follow_merges(store_url, fixed_clock):
    links = [
        _link("1", "cp_aaaaaaaa", method=LinkMethod.RULE, rule="same email", explanation={"email": "match"}),
        _link("2", "cp_bbbbbbbb", method=LinkMethod.SCORE, score=0.93, explanation={"name": 0.9, "phone": 1.0}),
    ]
    with open_store(store_url, clock=fixed_clock) as store:
        assert store.links.save(links, run_id="r1") == UpsertCounts(inserted=2)
        before = snapshot(store, "links")
        fixed_clock.advance(minutes=1)
        assert store.links.save(links, run_id="r2") == UpsertCounts(unchanged=2)
        assert snapshot(store, "links") == before
        store.aliases.add({"cp_bbbbbbbb": "cp_aaaaaaaa"}, run_id="r3")
        assert store.links.profile_of("hubspot", "contacts", "2") == "cp_aaaaaaaa"
        assert [link.source_id for link in store.links.of_profile("cp_aaaaaaaa")] == ["1", "2"]
        assert [link.source_id for link in store.links.of_profile("cp_bbbbbbbb")] == ["1", "2"]
        moved = [_link("2", "cp_aaaaaaaa", method=LinkMethod.MANUAL, rule="pin")]
        assert store.links.save(moved, run_id="r4") == UpsertCounts(updated=1)
        link = next(iter(store.links.iter(system="hubspot")))
    assert store_profile_missing(store_url) is None
    assert link.method == LinkMethod.RULE and link.explanation == {"email": "match"}


def store_profile_missing(url):
    with open_store(url) as store:
        return store.links.profile_of("hubspot", "contacts", "404")


def test_remove_links(store):
    store.links.save([_link("1", "cp_aaaaaaaa", method=LinkMethod.RULE)], run_id="r1")
    ref = type("Ref", (), {"system": "hubspot", "stream": "contacts", "source_id": "1"})()
    assert store.links.remove([ref]) == 1
    assert store.links.remove([ref]) == 0
    assert store.links.of_profile("cp_aaaaaaaa") == []
