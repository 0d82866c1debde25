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

from core.identity.explain import Decision, Method
from core.identity.parameters import level_bits, prior_bits
from core.identity.resolution import Resolution
from core.store import ReviewInput, Store
from core.store.report_tables import IdentityReviewRow
from core.store.types import canonical_json

__all__ = ["ExplanationTexts", "review_explanations", "review_inputs"]

_MISSING = "missing"
_METHODS = {method: method.value for method in Method}


def review_inputs(resolution: Resolution, model_id: int) -> Iterator[ReviewInput]:
    """Yield every pair a resolution sent to review, scored by the stored model ``model_id``.

    Each explanation is handed over as its canonical JSON text (``ExplanationTexts``). The
    pairs are scored a part at a time (``Resolution.scored_in_parts``): a batch can send a
    million pairs to review.
    """
    pairs, parameters, keys = resolution.pairs, resolution.parameters, resolution.table.keys
    texts = ExplanationTexts(model_id, parameters.names, [(*found, _MISSING) for found in parameters.labels])
    for scored in resolution.scored_in_parts(Decision.REVIEW):
        found = zip(
            scored.positions.tolist(), pairs.left[scored.positions].tolist(), pairs.right[scored.positions].tolist(),
            scored.probabilities.tolist(), scored.match_weights.tolist(), scored.levels.tolist(),
            scored.adjustments.tolist(), strict=True,
        )  # fmt: skip
        for position, left, right, probability, weight, levels, tf in found:
            text = texts.text(_METHODS[pairs.method[position]], pairs.rule[position], levels, tf)
            yield ReviewInput(keys[left], keys[right], probability, weight, pairs.reasons.get(position), text)


class ExplanationTexts:
    """The stored explanation of each pair as canonical JSON text, its repeated parts encoded once.

    ``text`` equals ``canonical_json({"model", "method", "rule", "comparisons", "levels", "tf"})``
    of the pair (a test compares them): the comparisons' names are the same for every pair, and
    a batch's pairs share a few dozen level patterns, methods and rules and far fewer
    term-frequency adjustments than pairs (they follow the names and addresses compared), so
    each of those is encoded once (at most ``KEPT`` adjustments are kept at a time).
    """

    KEPT = 100_000

    def __init__(self, model_id: int, names: Sequence[str], labels: Sequence[Sequence[str]]) -> None:
        """Prepare the texts of pairs scored by model ``model_id`` over ``names`` (``labels`` by level)."""
        self._head = canonical_json({"comparisons": list(names)})[:-1]
        self._model = canonical_json(model_id)
        self._labels = labels
        self._patterns: dict[tuple[int, ...], str] = {}
        self._scalars: dict[str | None, str] = {}
        self._adjustments: dict[tuple[float, ...], str] = {}

    def text(self, method: str, rule: str | None, levels: Sequence[int], tf: Sequence[float]) -> str:
        """One pair's explanation: its method, rule, level per comparison (-1 missing) and adjustments."""
        pattern, adjusted = tuple(levels), tuple(tf)
        tf_text = self._adjustments.get(adjusted)
        if tf_text is None:
            if len(self._adjustments) >= self.KEPT:
                self._adjustments.clear()
            tf_text = self._adjustments[adjusted] = canonical_json(adjusted)
        level_text = self._patterns.get(pattern)
        if level_text is None:
            labels = self._labels
            level_text = self._patterns[pattern] = canonical_json([labels[c][level] for c, level in enumerate(pattern)])
        scalars = self._scalars
        method_text = scalars.get(method) or scalars.setdefault(method, canonical_json(method))
        rule_text = scalars.get(rule) or scalars.setdefault(rule, canonical_json(rule))
        return (
            f'{self._head},"levels":{level_text},"method":{method_text},"model":{self._model},'
            f'"rule":{rule_text},"tf":{tf_text}}}'
        )


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
