"""A trained Fellegi-Sunter model and scoring with it.

For each comparison level, ``m`` is the chance a true match shows that level and
``u`` the chance a non-match does; the level's weight is ``log2(m / u)`` (bits of
evidence). A pair's match weight is the prior's log-odds plus the weights of its
levels, with term-frequency adjustments on exact matches of names and address parts
(``frequencies``); a missing value contributes nothing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from core.errors import IdentityError
from core.identity.compare import Comparison
from core.identity.frequencies import TermFrequencies, tf_adjustments
from core.identity.records import RecordTable

__all__ = ["ModelParameters", "level_bits", "match_probability", "pair_weights", "prior_bits", "score"]

Floats = npt.NDArray[np.float64]
Levels = npt.NDArray[np.int8]
Index = npt.NDArray[np.int32]
_FLOOR = 1e-9


def level_bits(m: Floats | float, u: Floats | float) -> Floats:
    """A level's weight in bits, ``log2(m / u)``, each probability floored so none is infinite."""
    return np.log2(np.maximum(m, _FLOOR) / np.maximum(u, _FLOOR))


def prior_bits(prior: float) -> float:
    """The prior's log-odds in bits: ``log2(prior / (1 - prior))``."""
    return float(np.log2(prior / (1.0 - prior)))


@dataclass(frozen=True)
class ModelParameters:
    """A trained model: per comparison and level, m and u; the prior; term frequencies; how EM went."""

    names: tuple[str, ...]
    labels: tuple[tuple[str, ...], ...]
    m: tuple[Floats, ...]
    u: tuple[Floats, ...]
    prior: float
    iterations: int = 0
    converged: bool = True
    frequencies: TermFrequencies | None = None
    sessions: tuple[dict[str, object], ...] = field(default_factory=tuple)
    """How each EM session went: its name, pairs, iterations, whether it converged, expected matches."""

    @property
    def prior_weight(self) -> float:
        """The prior's log-odds in bits: ``log2(prior / (1 - prior))``."""
        return prior_bits(self.prior)

    def weight_table(self) -> Floats:
        """Return ``W[c, level]`` = log2(m/u); the last column (index ``-1``, missing) is 0."""
        width = max((len(labels) for labels in self.labels), default=0) + 1
        table = np.zeros((len(self.names), width), dtype=np.float64)
        for c, (m, u) in enumerate(zip(self.m, self.u, strict=True)):
            table[c, : len(m)] = level_bits(m, u)
        return table

    def to_dict(self) -> dict[str, object]:
        """Return the parameters as plain data, for reports and the settings file."""
        found: dict[str, object] = {
            "prior": self.prior,
            "iterations": self.iterations,
            "converged": self.converged,
            "sessions": [dict(session) for session in self.sessions],
            "comparisons": {
                name: {label: {"m": float(m[i]), "u": float(u[i])} for i, label in enumerate(labels)}
                for name, labels, m, u in zip(self.names, self.labels, self.m, self.u, strict=True)
            },
        }
        if self.frequencies is not None:
            found["term_frequencies"] = self.frequencies.to_dict()
        return found

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], comparisons: Sequence[Comparison]) -> ModelParameters:
        """Rebuild parameters that ``to_dict`` wrote, for ``comparisons`` (their order, their levels).

        Levels are read by label, so the stored order does not matter (JSONB keeps none). Term
        frequencies are read as stored ones (``TermFrequencies.stored``); a model stored without
        them scores without adjustments.

        Raises:
            IdentityError: When the stored model lacks a comparison or a level.
        """
        stored = data.get("comparisons", {})
        m: list[Floats] = []
        u: list[Floats] = []
        for comparison in comparisons:
            levels = stored.get(comparison.name, {})
            missing = [label for label in comparison.levels if label not in levels]
            if missing:
                msg = f"the stored identity model has no {comparison.name} level {missing[0]!r}"
                raise IdentityError(
                    msg,
                    hint="run `contactpoint identity resolve --store` to train and store a model for these comparisons",
                )
            m.append(np.asarray([levels[label]["m"] for label in comparison.levels], dtype=np.float64))
            u.append(np.asarray([levels[label]["u"] for label in comparison.levels], dtype=np.float64))
        return cls(
            names=tuple(c.name for c in comparisons),
            labels=tuple(tuple(c.levels) for c in comparisons),
            m=tuple(m),
            u=tuple(u),
            prior=float(data["prior"]),
            iterations=int(data.get("iterations", 0)),
            converged=bool(data.get("converged", True)),
            frequencies=TermFrequencies.from_dict(data["term_frequencies"]) if data.get("term_frequencies") else None,
            sessions=tuple(dict(session) for session in data.get("sessions", ())),
        )


def score(levels: Levels, parameters: ModelParameters) -> Floats:
    """Return each pair's match weight in bits: prior log-odds plus its levels' weights (no term frequencies)."""
    table = parameters.weight_table()
    total = np.full(levels.shape[0], parameters.prior_weight, dtype=np.float64)
    for c in range(levels.shape[1]):
        total += table[c][levels[:, c]]
    return total


def adjustments(table: RecordTable, left: Index, right: Index, levels: Levels, parameters: ModelParameters) -> Floats:
    """Each pair's term-frequency adjustment per comparison, in bits (``frequencies.tf_adjustments``)."""
    return tf_adjustments(
        table, left, right, levels, parameters.names, parameters.labels, parameters.u, parameters.frequencies
    )


def pair_weights(levels: Levels, parameters: ModelParameters, table: RecordTable, left: Index, right: Index) -> Floats:
    """Return each pair's match weight in bits, term-frequency adjustments included."""
    total: Floats = score(levels, parameters) + adjustments(table, left, right, levels, parameters).sum(axis=1)
    return total


def match_probability(weights: Floats) -> Floats:
    """Turn match weights (bits) into probabilities."""
    return 1.0 / (1.0 + np.exp2(-np.clip(weights, -1000, 1000)))
