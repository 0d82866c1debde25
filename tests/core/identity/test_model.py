from __future__ import annotations

import numpy as np

from core.identity.model import ModelParameters, estimate_m, match_probability, score
from core.identity.settings import FuzzySettings, LevelOverride


def _synthetic_levels(rng: np.random.Generator) -> tuple[np.ndarray, list[np.ndarray], list[np.ndarray]]:
    """Two binary comparisons and a three-level one; 30% matches."""
    m = [np.array([0.1, 0.9]), np.array([0.2, 0.8]), np.array([0.05, 0.15, 0.8])]
    u = [np.array([0.9, 0.1]), np.array([0.95, 0.05]), np.array([0.8, 0.15, 0.05])]
    matches = rng.random(20_000) < 0.3
    columns = []
    for mc, uc in zip(m, u, strict=True):
        draw_m = rng.choice(len(mc), size=20_000, p=mc)
        draw_u = rng.choice(len(uc), size=20_000, p=uc)
        columns.append(np.where(matches, draw_m, draw_u))
    return np.column_stack(columns).astype(np.int8), m, u


def test_em_recovers_m_and_the_prior_with_u_fixed() -> None:
    levels, m_true, u_true = _synthetic_levels(np.random.default_rng(1))
    start = [np.full(len(m), 1.0 / len(m)) + np.arange(len(m)) * 0.1 for m in m_true]
    start = [s / s.sum() for s in start]
    m, prior, iterations, converged = estimate_m(
        levels, u_true, start, prior_start=0.5, settings=FuzzySettings(), fixed_m=[{}, {}, {}]
    )
    assert converged
    assert iterations < 50
    assert abs(prior - 0.3) < 0.03
    for found, truth in zip(m, m_true, strict=True):
        assert np.allclose(found, truth, atol=0.03)


def test_em_keeps_overridden_m_fixed() -> None:
    levels, _, u_true = _synthetic_levels(np.random.default_rng(2))
    start = [np.array([0.5, 0.5]), np.array([0.5, 0.5]), np.array([0.2, 0.3, 0.5])]
    m, *_ = estimate_m(levels, u_true, start, prior_start=0.5, settings=FuzzySettings(), fixed_m=[{1: 0.6}, {}, {}])
    assert m[0][1] == 0.6
    assert abs(m[0].sum() - 1) < 1e-9


def test_missing_levels_neither_help_nor_hurt() -> None:
    parameters = ModelParameters(
        names=("a",), labels=(("different", "exact"),), m=(np.array([0.1, 0.9]),), u=(np.array([0.9, 0.1]),), prior=0.5
    )
    weights = score(np.array([[-1], [1], [0]], dtype=np.int8), parameters)
    assert weights[0] == 0.0
    assert weights[1] > 0 > weights[2]
    assert match_probability(np.array([0.0]))[0] == 0.5


def test_overrides_are_validated_against_level_names() -> None:
    settings = FuzzySettings(overrides={"email": {"exact": LevelOverride(m=0.9)}})
    assert settings.overrides["email"]["exact"].m == 0.9
