"""What resolving a batch returns: clusters, profile IDs, pair decisions, golden records."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import numpy.typing as npt

from core.canonical import GoldenValue, Person, RecordRef
from core.identity.blocking import BlockingReport
from core.identity.explain import Decision, Explanation, FieldContribution, Method, explain_levels
from core.identity.model import ModelParameters
from core.identity.parameters import match_probability
from core.identity.records import RecordTable
from core.identity.settings import IdentitySettings
from core.identity.survivorship import golden_record

__all__ = ["SCORED_PART", "PairDecisions", "PinDecisions", "Resolution", "ScoredPairs"]

SCORED_PART = 10_000
"""Pairs scored at once when a resolution's pairs are explained or stored one after another."""


@dataclass(frozen=True)
class ScoredPairs:
    """Some of a resolution's pairs with their arithmetic done (``Resolution.scored_in_parts``), one row per pair.

    Attributes:
        positions: The pairs' positions in ``Resolution.pairs``.
        levels: Their comparison levels (-1: a value missing).
        adjustments: Their term-frequency adjustments in bits.
        weights: Each comparison's weight in bits (its level's plus its adjustment; 0 when missing).
        match_weights, probabilities: The prior plus the weights, and the probability it stands for.
    """

    positions: npt.NDArray[np.int64]
    levels: npt.NDArray[np.int64]
    adjustments: npt.NDArray[np.float64]
    weights: npt.NDArray[np.float64]
    match_weights: npt.NDArray[np.float64]
    probabilities: npt.NDArray[np.float64]


@dataclass(frozen=True)
class PairDecisions:
    """Every linked or reviewed pair, as columns (one entry per pair).

    Attributes:
        left, right: Record indexes into ``Resolution.records``.
        decision: ``Decision`` per pair (``link`` or ``review``).
        method: ``Method`` per pair (``rule`` or ``score``).
        rule: The rule's name for rule pairs, ``None`` for scored ones.
        weight, probability: The fuzzy score of the pair (computed for rule pairs too).
        levels: The comparison levels, one row per pair.
        reasons: Position → why the pair is in review.
        adjustments: Term-frequency adjustments in bits, one row per pair, one column per comparison.
    """

    left: npt.NDArray[np.int32]
    right: npt.NDArray[np.int32]
    decision: list[Decision]
    method: list[Method]
    rule: list[str | None]
    weight: npt.NDArray[np.float64]
    probability: npt.NDArray[np.float64]
    levels: npt.NDArray[np.int8]
    reasons: dict[int, str] = field(default_factory=dict)
    adjustments: npt.NDArray[np.float64] | None = None

    def __len__(self) -> int:
        """Return the number of pairs."""
        return len(self.left)


@dataclass(frozen=True)
class PinDecisions:
    """The manual pins that name two records of the batch, as clustering took them.

    Attributes:
        must_link: ``(left, right, pin_id)`` of each must-link pin, oldest first (record indexes).
        applied: One flag per must-link pin: ``True`` when it joined its records (it
            did not only when a cannot-link pin forbade the join).
        cannot_link: ``(left, right, pin_id)`` of each cannot-link pin.
        refused: Positions in ``PairDecisions`` of links refused because of a
            cannot-link pin (in review, with reason ``conflict: pin``).
    """

    must_link: list[tuple[int, int, int]] = field(default_factory=list)
    applied: list[bool] = field(default_factory=list)
    cannot_link: list[tuple[int, int, int]] = field(default_factory=list)
    refused: list[int] = field(default_factory=list)

    def pinned_by(self) -> dict[int, int]:
        """Return record index → the first applied must-link pin that names it."""
        found: dict[int, int] = {}
        for (a, b, pin_id), applied in zip(self.must_link, self.applied, strict=True):
            if applied:
                found.setdefault(b, pin_id)
                found.setdefault(a, pin_id)
        return found


@dataclass(frozen=True)
class Resolution:
    """The result of ``resolve``.

    Attributes:
        records: Every input record's reference, sorted by key.
        labels: Cluster index of each record (same order as ``records``).
        clusters: Record indexes of each cluster; cluster *k* has ``profile_ids[k]``.
        profile_ids: One profile ID per cluster.
        pairs: Linked and reviewed pairs (see ``PairDecisions``).
        parameters: The trained Fellegi-Sunter parameters.
        blocking: What blocking did.
        people: The input people, in the order of ``records`` (for golden records).
        settings: The settings used.
        timings: Seconds spent in each stage (prepare, rules, blocking, compare, train, guard, cluster).
        table: The prepared records (normalised columns), in the order of ``records``.
        pins: The manual pins clustering honoured (none unless ``resolve`` was given pins).
    """

    records: Sequence[RecordRef]
    labels: npt.NDArray[np.int32]
    clusters: list[list[int]]
    profile_ids: list[str]
    pairs: PairDecisions
    parameters: ModelParameters
    blocking: BlockingReport
    people: Sequence[Person]
    settings: IdentitySettings
    table: RecordTable
    timings: dict[str, float] = field(default_factory=dict)
    pins: PinDecisions = field(default_factory=PinDecisions)

    def profile_of(self) -> dict[str, str]:
        """Return record key (``system/stream/source_id``) → profile ID, for every record."""
        return {str(self.records[i]): self.profile_ids[self.labels[i]] for i in range(len(self.records))}

    def cluster_refs(self) -> list[list[RecordRef]]:
        """Return each cluster's record references."""
        return [[self.records[i] for i in members] for members in self.clusters]

    def links(self) -> Iterator[Explanation]:
        """Yield the explanation of every linking decision."""
        yield from self._explained(Decision.LINK)

    def reviews(self) -> Iterator[Explanation]:
        """Yield the explanation of every pair sent to review."""
        yield from self._explained(Decision.REVIEW)

    def scored_in_parts(self, decision: Decision, size: int | None = None) -> Iterator[ScoredPairs]:
        """The pairs with ``decision``, their levels, adjustments, weights and probabilities, in order.

        A part of at most ``size`` pairs (``SCORED_PART``) at a time: a batch can send a million
        pairs to review, and scored at once their levels, adjustments and weights alone would
        take some 200 MB. The weights are summed comparison by comparison, in the order
        ``explain_levels`` adds them, so every figure is the one ``explain`` gives for the pair alone.
        """
        positions, size = self._positions(decision), size or SCORED_PART
        for start in range(0, len(positions), size):
            yield self._scored_at(positions[start : start + size])

    def _positions(self, decision: Decision) -> npt.NDArray[np.int64]:
        return np.asarray([i for i, d in enumerate(self.pairs.decision) if d is decision], dtype=np.int64)

    def _scored_at(self, positions: npt.NDArray[np.int64]) -> ScoredPairs:
        pairs, parameters = self.pairs, self.parameters
        width = len(parameters.names)
        levels = pairs.levels[positions].astype(np.int64).reshape(len(positions), width)
        tf = pairs.adjustments[positions] if pairs.adjustments is not None else np.zeros(levels.shape)
        present = levels >= 0
        columns = np.arange(width)
        weights = np.where(present, self._weights[columns, np.where(present, levels, 0)] + tf, 0.0)
        total = np.zeros(len(positions))
        for c in columns:  # one comparison at a time: the same additions, in the same order, as one pair alone
            total = total + weights[:, c]
        match_weights = parameters.prior_weight + total
        return ScoredPairs(positions, levels, tf, weights, match_weights, match_probability(match_weights))

    def _explained(self, decision: Decision) -> Iterator[Explanation]:
        """``explain(position)`` of every pair with ``decision``, its arithmetic done a part of the pairs at a time."""
        pairs, parameters = self.pairs, self.parameters
        m_of = [[float(x) for x in m] for m in parameters.m]
        u_of = [[float(x) for x in u] for u in parameters.u]
        names, labels = parameters.names, parameters.labels
        for scored in self.scored_in_parts(decision):
            levels, weights, tf = scored.levels, scored.weights, scored.adjustments
            for row, position in enumerate(scored.positions.tolist()):
                found = zip(levels[row].tolist(), weights[row].tolist(), tf[row].tolist(), strict=True)
                contributions = tuple(
                    FieldContribution(names[c], labels[c][level], w, m_of[c][level], u_of[c][level], t)
                    if level >= 0
                    else FieldContribution(names[c], "missing", 0.0, None, None)
                    for c, (level, w, t) in enumerate(found)
                )
                yield Explanation(
                    left=str(self.records[int(pairs.left[position])]),
                    right=str(self.records[int(pairs.right[position])]),
                    decision=decision,
                    method=pairs.method[position],
                    rule=pairs.rule[position],
                    reason=pairs.reasons.get(position),
                    prior_weight=parameters.prior_weight,
                    match_weight=float(scored.match_weights[row]),
                    probability=float(scored.probabilities[row]),
                    contributions=contributions,
                )

    @cached_property
    def _weights(self) -> npt.NDArray[np.float64]:
        """The parameters' weight table, built once for every pair explained (a write-out explains thousands)."""
        return self.parameters.weight_table()

    def explain(self, position: int) -> Explanation:
        """Explain pair ``position`` of ``pairs``."""
        pairs = self.pairs
        tf = pairs.adjustments[position] if pairs.adjustments is not None else None
        weight, probability, contributions = explain_levels(
            pairs.levels[position], self.parameters, tf, table=self._weights
        )
        return Explanation(
            left=str(self.records[int(pairs.left[position])]),
            right=str(self.records[int(pairs.right[position])]),
            decision=pairs.decision[position],
            method=pairs.method[position],
            rule=pairs.rule[position],
            reason=pairs.reasons.get(position),
            prior_weight=self.parameters.prior_weight,
            match_weight=weight,
            probability=probability,
            contributions=contributions,
        )

    @cached_property
    def golden_records(self) -> dict[str, dict[str, GoldenValue]]:
        """Profile ID → golden record (field → value with provenance), computed on first use."""
        rules = self.settings.survivorship
        return {
            self.profile_ids[k]: golden_record([self.people[i] for i in members], rules)
            for k, members in enumerate(self.clusters)
        }
