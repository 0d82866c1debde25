from __future__ import annotations

import pytest

from core.identity import resolve
from tests.core.identity.synthetic import generate


def test_contributions_sum_to_the_match_weight_and_name_their_levels() -> None:
    resolution = resolve(generate(150, seed=11).people)
    explained = [resolution.explain(i) for i in range(len(resolution.pairs))]
    assert explained
    methods = {e.method.value for e in explained}
    assert methods == {"rule", "score"}
    for explanation in explained:
        total = explanation.prior_weight + sum(c.weight for c in explanation.contributions)
        assert total == pytest.approx(explanation.match_weight)
        assert 0 <= explanation.probability <= 1
        for contribution in explanation.contributions:
            if contribution.level == "missing":
                assert contribution.weight == 0
            else:
                assert contribution.m is not None and contribution.u is not None
        as_dict = explanation.to_dict()
        assert as_dict["left"] == explanation.left
        assert len(as_dict["contributions"]) == len(explanation.contributions)  # type: ignore[arg-type]


def test_rule_links_name_their_rule() -> None:
    resolution = resolve(generate(60, seed=5).people)
    rules = {e.rule for e in resolution.links() if e.method.value == "rule"}
    assert rules <= {"same_external_id", "same_personal_email", "same_phone_and_surname"}
    assert "same_personal_email" in rules
