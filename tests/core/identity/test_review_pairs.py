"""Review pairs are stored as levels and read back as the explanation the resolution gave."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.identity import resolution as resolution_module
from core.identity.explain import Decision
from core.identity.review_pairs import ExplanationTexts, review_explanations
from core.store import ReviewInput, Store
from core.store.types import canonical_json
from tests.core.identity.stable_helpers import load, run
from tests.core.identity.synthetic import generate


def _resolved_with_reviews(store: Store):
    load(store, *generate(300, seed=5).people)
    done = run(store)
    rows = store.reviews.list()
    assert rows, "this seed sends pairs to review"
    return done, rows


@pytest.mark.parametrize("part", [None, 7])
def test_a_stored_pair_reads_back_as_the_explanation_of_that_pair_alone(store, monkeypatch, part):
    if part is not None:  # scored and stored seven pairs at a time
        monkeypatch.setattr(resolution_module, "SCORED_PART", part)
    done, rows = _resolved_with_reviews(store)
    assert part is None or len(rows) > 3 * part
    resolution = done.resolution
    keys = [str(ref) for ref in resolution.records]
    position_of = {
        tuple(sorted((keys[int(resolution.pairs.left[i])], keys[int(resolution.pairs.right[i])]))): i
        for i, d in enumerate(resolution.pairs.decision)
        if d is Decision.REVIEW
    }
    explained = review_explanations(store, rows)
    assert len(rows) == len(position_of)
    for row in rows:
        alone = resolution.explain(position_of[(row.left_record, row.right_record)]).to_dict()
        found = explained[int(row.id or 0)]
        assert (found["method"], found["rule"], found["prior_weight"]) == (
            alone["method"], alone["rule"], alone["prior_weight"],
        )  # fmt: skip
        assert row.probability == pytest.approx(alone["probability"], abs=1e-6)
        assert row.match_weight == pytest.approx(alone["match_weight"], abs=1e-4)
        assert len(found["contributions"]) == len(alone["contributions"])
        for mine, theirs in zip(found["contributions"], alone["contributions"], strict=True):
            assert {k: mine[k] for k in ("comparison", "level", "m", "u")} == {
                k: theirs[k] for k in ("comparison", "level", "m", "u")
            }
            assert mine["weight"] == pytest.approx(theirs["weight"], abs=1e-4)
            assert mine["tf_adjustment"] == pytest.approx(theirs["tf_adjustment"], abs=1e-4)
    whole = max(len(json.dumps(resolution.explain(i).to_dict())) for i in position_of.values())
    stored = max(len(json.dumps(row.explanation)) for row in rows)
    assert stored * 2 < whole, f"a stored pair takes {stored} characters of JSON, its whole explanation {whole}"


def test_a_pair_stored_whole_reads_as_stored_and_one_whose_model_is_gone_shows_no_weights(store):
    whole = {"prior_weight": -9.5, "contributions": [{"comparison": "email", "level": "exact", "weight": 12.0}]}
    levels = {"model": 999, "method": "score", "rule": None, "comparisons": ["email", "first_name"],
              "levels": ["exact", "missing"], "tf": [0.0, 0.0]}  # fmt: skip
    store.reviews.refresh(
        [ReviewInput("a/p/1", "a/p/2", 0.5, 0.0, "score between thresholds", whole),
         ReviewInput("a/p/3", "a/p/4", 0.6, 0.5, "score between thresholds", levels)],
        run_id="r",
    )  # fmt: skip
    rows = {row.left_record: row for row in store.reviews.list()}
    explained = review_explanations(store, list(rows.values()))
    assert explained[int(rows["a/p/1"].id or 0)] == whole
    gone = explained[int(rows["a/p/3"].id or 0)]
    assert gone["prior_weight"] is None
    assert [(c["comparison"], c["level"], c["weight"]) for c in gone["contributions"]] == [
        ("email", "exact", None), ("first_name", "missing", 0.0),
    ]  # fmt: skip


_LABELS = (("different", "close", "exact"), ("different", "exact"), ("different", "street", "exact"))
_PAIR = st.tuples(
    st.sampled_from(["score", "rule"]),
    st.one_of(st.none(), st.sampled_from(["same_personal_email", "pin", 'a "quoted" rule'])),
    st.tuples(*(st.integers(-1, len(found) - 1) for found in _LABELS)),
    st.tuples(*(st.floats(-20, 20, allow_nan=False) for _ in _LABELS)),
)


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 10**6), st.lists(_PAIR, max_size=30))
def test_each_explanation_text_is_the_canonical_json_of_that_explanation_alone(model_id, found):
    names = ("first_name", "email", "address")
    labels = [(*levels, "missing") for levels in _LABELS]
    encoder = ExplanationTexts(model_id, names, labels)
    encoder.KEPT = 3  # the adjustments' texts are forgotten and made again along the way
    texts = [encoder.text(method, rule, levels, tf) for method, rule, levels, tf in found]
    assert texts == [
        canonical_json({"model": model_id, "method": method, "rule": rule, "comparisons": list(names),
                        "levels": [labels[c][level] for c, level in enumerate(levels)], "tf": list(tf)})
        for method, rule, levels, tf in found
    ]  # fmt: skip
