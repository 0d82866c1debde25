"""Properties of every evaluation, on generated people: decay, signs, windows, determinism."""

from __future__ import annotations

import random
from datetime import timedelta
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from core.canonical import Interaction
from core.policy import PolicyInput, load_policies
from core.policy.scores import decay_factor
from tests.core.policy.builders import NOW, consent, email_event, page_view, ticket
from tests.core.policy.helpers import person, policies

ROOT = Path(__file__).resolve().parents[3]
SHIPPED = load_policies(ROOT / "mappings" / "policies.yaml")
SCORE = policies("""
    scores:
      s: {half_life: 3d, round: 6, signals: [{weight: 2.5, match: {kind: product_event}}]}
    """)

ages = st.floats(min_value=0, max_value=120 * 86400, allow_nan=False)
hours = st.integers(min_value=0, max_value=60 * 24)


@st.composite
def an_interaction(draw, index: int) -> Interaction:
    at = NOW - timedelta(hours=draw(hours))
    kind = draw(st.sampled_from(["ticket", "email", "page"]))
    if kind == "ticket":
        status = draw(st.sampled_from(["new", "open", "pending", "solved", "closed"]))
        solved = at + timedelta(hours=draw(st.integers(0, 200))) if status in ("solved", "closed") else None
        solved = min(solved, NOW) if solved else None
        return ticket(
            index, status=status, created=at, updated=solved or at, solved_at=solved,
            priority=draw(st.sampled_from(["low", "normal", "high", "urgent", None])),
            tags=draw(st.lists(st.sampled_from(["complaint", "enterprise", "sso", "billing"]), max_size=3)),
            satisfaction=draw(st.sampled_from([None, "good", "bad"])),
        )  # fmt: skip
    if kind == "email":
        kind_of = draw(st.sampled_from(["SENT", "SENT", "OPEN", "CLICK", "BOUNCE", "UNSUBSCRIBED"]))
        campaign = draw(st.sampled_from(["Getting started nurture", "Quarterly newsletter"]))
        return email_event(kind_of, at, campaign=campaign)
    path = draw(st.sampled_from(["/enterprise/security", "/docs/api", "/pricing", "/blog/getting-started", "/x"]))
    return page_view(at, path, full_url=draw(st.booleans()))


@st.composite
def a_person(draw) -> PolicyInput:
    count = draw(st.integers(min_value=0, max_value=25))
    interactions = [draw(an_interaction(index)) for index in range(count)]
    consents = []
    if draw(st.booleans()):
        status = draw(st.sampled_from(["granted", "denied"]))
        consents.append(consent("hubspot", "1", channel="email", purpose="marketing", status=status,
                                at=NOW - timedelta(hours=draw(hours))))  # fmt: skip
    cap = draw(st.one_of(st.none(), st.integers(min_value=1, max_value=6)))
    return person(*interactions, consents=consents, frequency_cap=cap)


@given(ages, ages, st.floats(min_value=60, max_value=365 * 86400))
def test_decay_never_grows_with_age_and_stays_in_0_1(a, b, half_life):
    young, old = sorted((a, b))
    assert 0 <= decay_factor(old, half_life) <= decay_factor(young, half_life) <= 1


@given(st.integers(0, 2000), st.integers(0, 2000))
def test_an_older_interaction_never_scores_more(a, b):
    young, old = sorted((a, b))
    score = [
        SCORE.evaluate(person(page_view(NOW - timedelta(hours=h), "/x")), now=NOW).enrichment["s"] for h in (young, old)
    ]
    assert score[0] >= score[1] >= 0


@settings(max_examples=60, deadline=None)
@given(a_person())
def test_scores_are_never_negative_and_equal_their_contributions(someone):
    result = SHIPPED.evaluate(someone, now=NOW)
    for name in ("intent_score", "learning_score"):
        assert result.enrichment[name] >= 0
        total = sum(c.value for c in result.explain(f"enrichment.{name}").contributions)
        assert abs(total - result.enrichment[name]) <= 0.05 + 1e-9


@settings(max_examples=60, deadline=None)
@given(a_person(), st.randoms(use_true_random=False))
def test_the_same_input_and_clock_give_the_same_result_in_any_order(someone, rng: random.Random):
    first = SHIPPED.evaluate(someone, now=NOW).to_json()
    shuffled = list(someone.interactions)
    rng.shuffle(shuffled)
    again = PolicyInput(someone.profile_id, someone.golden, someone.records, shuffled, someone.consents,
                        someone.overrides)  # fmt: skip
    assert SHIPPED.evaluate(again, now=NOW).to_json() == first
    assert SHIPPED.evaluate(someone, now=NOW).to_json() == first


@settings(max_examples=60, deadline=None)
@given(a_person())
def test_suppression_windows_hold_now_and_end_when_they_say(someone):
    result = SHIPPED.evaluate(someone, now=NOW)
    for s in result.suppressions:
        assert s.since <= NOW and (s.until is None or s.until > NOW)
        assert s.active(NOW)
        s.to_canonical()  # the canonical model checks until >= since
        if s.until is None:
            continue
        just_before = SHIPPED.evaluate(someone, now=max(NOW, s.until - timedelta(seconds=1)))
        assert s.reason in just_before.reasons
        at_end = SHIPPED.evaluate(someone, now=s.until)
        assert s.reason not in at_end.reasons, (s, at_end.suppressions)


@settings(max_examples=60, deadline=None)
@given(a_person())
def test_the_frequency_cap_agrees_with_counting_by_hand(someone):
    result = SHIPPED.evaluate(someone, now=NOW)
    window_start = NOW - timedelta(days=7)
    sent = [i for i in someone.interactions if i.type == "SENT" and window_start < i.occurred_at <= NOW]
    cap = someone.overrides.frequency_cap or 4
    assert ("frequency_cap" in result.reasons) is (len(sent) >= cap)


@settings(max_examples=60, deadline=None)
@given(a_person())
def test_the_open_ticket_pause_agrees_with_reading_the_tickets_by_hand(someone):
    result = SHIPPED.evaluate(someone, now=NOW)
    expected = False
    for item in someone.interactions:
        if item.kind.value != "ticket" or item.priority not in ("urgent", "high"):
            continue
        if item.status in ("new", "open", "pending", "hold"):
            expected = True
        else:
            solved = item.properties.get("solved_at")
            solved_at = solved and NOW.fromisoformat(solved)
            expected |= (solved_at or item.updated_at) + timedelta(days=3) > NOW
    assert ("urgent_ticket_open" in result.reasons) is expected
    complaints = {a.key for a in result.alerts}
    assert len(complaints) == len(result.alerts)  # never twice for one occurrence
