"""The review pairs of a batch resolution, as the store keeps them for a data steward (``store.reviews``).

    review_inputs(resolution, model_id)   every pair sent to review, its explanation kept as levels
    review_explanations(store, rows)      each stored pair's explanation as ``identity explain`` shows it

A large batch sends a million pairs to review, so a pair's explanation is stored as what
the model cannot tell again: the comparisons' names, each one's level, each one's
term-frequency adjustment, the pair's method and rule, and the ID of the stored model that
scored it. Reading a pair rebuilds the rest from that model (each level's m and u, its
weight in bits, the prior's weight), as ``Explanation.to_dict`` gives it. Pairs stored
whole by earlier versions are read as they are.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from core.identity.explain import Decision
from core.identity.parameters import level_bits, prior_bits
from core.identity.resolution import Resolution
from core.store import ReviewInput, Store
from core.store.report_tables import IdentityReviewRow

__all__ = ["review_explanations", "review_inputs"]

_MISSING = "missing"


def review_inputs(resolution: Resolution, model_id: int) -> Iterator[ReviewInput]:
    """Yield every pair a resolution sent to review, scored by the stored model ``model_id``."""
    pairs, parameters, keys = resolution.pairs, resolution.parameters, resolution.table.keys
    scored = resolution.scored(Decision.REVIEW)
    names = list(parameters.names)
    labels = [(*found, _MISSING) for found in parameters.labels]  # level -1 is a value missing
    for row, position in enumerate(scored.positions.tolist()):
        levels = [labels[c][level] for c, level in enumerate(scored.levels[row].tolist())]
        explanation = {
            "model": model_id, "method": pairs.method[position].value, "rule": pairs.rule[position],
            "comparisons": names, "levels": levels, "tf": scored.adjustments[row].tolist(),
        }  # fmt: skip
        yield ReviewInput(
            keys[int(pairs.left[position])], keys[int(pairs.right[position])],
            float(scored.probabilities[row]), float(scored.match_weights[row]), pairs.reasons.get(position),
            explanation,
        )  # fmt: skip


def review_explanations(store: Store, rows: Sequence[IdentityReviewRow]) -> dict[int, dict[str, Any]]:
    """Review pair ID → its explanation: method, rule, prior weight and each comparison's contribution.

    The contributions are those ``Explanation.to_dict`` lists (comparison, level, weight,
    m, u, tf_adjustment); each stored model is read once. A pair whose model is no longer
    stored shows its levels with no weights (``None``).
    """
    models: dict[int, Mapping[str, Any] | None] = {}
    found = {}
    for row in rows:
        stored = row.explanation or {}
        if "levels" not in stored:  # stored whole
            found[int(row.id or 0)] = dict(stored)
            continue
        model_id = int(stored["model"])
        if model_id not in models:
            model = store.identity_models.get(model_id)
            models[model_id] = None if model is None else model.parameters
        found[int(row.id or 0)] = _rebuilt(stored, models[model_id])
    return found


def _rebuilt(stored: Mapping[str, Any], model: Mapping[str, Any] | None) -> dict[str, Any]:
    """A pair's explanation from its stored levels and the model that scored it."""
    comparisons = (model or {}).get("comparisons", {})
    contributions = []
    for name, level, tf in zip(stored["comparisons"], stored["levels"], stored["tf"], strict=True):
        known = comparisons.get(name, {}).get(level)
        if level == _MISSING or known is None:
            weight = 0.0 if level == _MISSING else None
            contributions.append(
                {"comparison": name, "level": level, "weight": weight, "m": None, "u": None, "tf_adjustment": 0.0}
            )
            continue
        m, u = float(known["m"]), float(known["u"])
        weight = float(level_bits(m, u)) + float(tf)
        contributions.append(
            {"comparison": name, "level": level, "weight": round(weight, 4), "m": m, "u": u,
             "tf_adjustment": round(float(tf), 4)}
        )  # fmt: skip
    prior = None if model is None else float(model["prior"])
    prior_weight = None if prior is None else round(prior_bits(prior), 4)
    return {"method": stored.get("method"), "rule": stored.get("rule"), "prior_weight": prior_weight,
            "contributions": contributions}  # fmt: skip
