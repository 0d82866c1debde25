"""Explanations: why two records were linked, sent to review, or kept apart.

A linked pair is explained by the rule that linked it, or by its score. Either
way the explanation lists every comparison with its level and its weight in
bits (``log2(m/u)``, plus the term-frequency adjustment of an exact match on a
common or rare value; 0 when a value is missing), so that::

    prior_weight + sum(c.weight for c in contributions) == match_weight

and ``probability = 1 / (1 + 2 ** -match_weight)``.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import numpy as np
import numpy.typing as npt

from core.identity.parameters import ModelParameters, match_probability

__all__ = ["Decision", "Explanation", "FieldContribution", "Method", "explain_levels"]


class Decision(StrEnum):
    """What became of a pair."""

    LINK = "link"
    REVIEW = "review"


class Method(StrEnum):
    """What decided a pair: a deterministic rule or the fuzzy score."""

    RULE = "rule"
    SCORE = "score"


@dataclass(frozen=True)
class FieldContribution:
    """One comparison's part in a score: its level and weight in bits.

    ``weight`` is ``log2(m / u) + tf_adjustment``: ``tf_adjustment`` is ``log2(u / tf)`` when the
    level is an exact match on a value whose frequency in the data is ``tf``, else 0.
    """

    comparison: str
    level: str
    weight: float
    m: float | None
    u: float | None
    tf_adjustment: float = 0.0


@dataclass(frozen=True)
class Explanation:
    """Why a pair of records was linked or sent to review.

    Attributes:
        left, right: Record keys (``system/stream/source_id``).
        decision: ``link`` or ``review``.
        method: ``rule`` or ``score``.
        rule: The deterministic rule's name when ``method`` is ``rule``.
        reason: Why a pair is in review (``score between thresholds``,
            ``required first_name disagrees``, ``conflict: date_of_birth``).
        prior_weight: The prior's log-odds in bits.
        match_weight: Prior plus every contribution, in bits.
        probability: The match probability the weight stands for.
        contributions: Each comparison's level and weight.
    """

    left: str
    right: str
    decision: Decision
    method: Method
    rule: str | None
    reason: str | None
    prior_weight: float
    match_weight: float
    probability: float
    contributions: tuple[FieldContribution, ...]

    def to_dict(self) -> dict[str, object]:
        """Return plain data for JSON lines."""
        return {
            "left": self.left,
            "right": self.right,
            "decision": self.decision.value,
            "method": self.method.value,
            "rule": self.rule,
            "reason": self.reason,
            "prior_weight": round(self.prior_weight, 4),
            "match_weight": round(self.match_weight, 4),
            "probability": round(self.probability, 6),
            "contributions": [
                {
                    "comparison": c.comparison,
                    "level": c.level,
                    "weight": round(c.weight, 4),
                    "m": c.m,
                    "u": c.u,
                    "tf_adjustment": round(c.tf_adjustment, 4),
                }
                for c in self.contributions
            ],
        }


def explain_levels(
    levels: npt.NDArray[np.int8],
    parameters: ModelParameters,
    adjustments: npt.NDArray[np.float64] | None = None,
    *,
    table: npt.NDArray[np.float64] | None = None,
) -> tuple[float, float, tuple[FieldContribution, ...]]:
    """Turn one pair's levels into ``(match_weight, probability, contributions)``.

    ``adjustments`` are the pair's term-frequency adjustments in bits, one per comparison;
    ``table`` is ``parameters.weight_table()`` when the caller has it already.
    """
    table = parameters.weight_table() if table is None else table
    tf = [0.0] * len(levels) if adjustments is None else [float(x) for x in adjustments]
    contributions = []
    for c, level in enumerate(levels.tolist()):
        if level < 0:
            contributions.append(FieldContribution(parameters.names[c], "missing", 0.0, None, None))
            continue
        contributions.append(
            FieldContribution(
                parameters.names[c],
                parameters.labels[c][level],
                float(table[c, level]) + tf[c],
                float(parameters.m[c][level]),
                float(parameters.u[c][level]),
                tf[c],
            )
        )
    weight = parameters.prior_weight + sum(c.weight for c in contributions)
    probability = float(match_probability(np.asarray([weight]))[0])
    return weight, probability, tuple(contributions)
