"""``PolicySet``: compiled policies, evaluated as a pure function of one person and a time.

    PolicySet.evaluate(PolicyInput, now=) ─→ PolicyResult
        prepare      interactions: dropped if deleted or after ``now``, one copy each, oldest first
        enrichment   count / highest / latest / sum, in file order
        scores       weighted, time-decayed counts
        segments     thresholds on scores; the first that holds is the person's segment
        suppressions consent_denied / open_ticket / segment_change / frequency_cap
        alerts       one per occurrence, and the suppression an open one holds

Nothing here reads a clock, the store or a connector: the same input and ``now``
give the same result, whatever order the interactions come in.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime

from core.canonical import SuppressionScope
from core.policy.alerts import AlertRule
from core.policy.context import Context
from core.policy.enrichment import EnrichmentRule
from core.policy.inputs import PolicyInput
from core.policy.matching import Matcher
from core.policy.results import (
    Alert,
    EnrichmentValue,
    Explanation,
    PolicyResult,
    PolicySuppression,
    SegmentMatch,
)
from core.policy.scores import Score, ScoreOutcome, Segment
from core.policy.suppression import SuppressionRule
from core.policy.view import InteractionView, Reader, prepare

__all__ = ["PolicySet"]


@dataclass(frozen=True)
class PolicySet:
    """Policies loaded from one or more files; build it with ``load_policies``.

    Attributes:
        files: The files it was read from, in order.
        enrichment: Enrichment rules, in file order.
        scores: Intent scores, in file order.
        segments: Segments, in priority (file) order.
        suppressions: Suppression rules, in file order.
        alerts: Alert rules, in file order.
        is_open: When a ticket is open (``defaults.open``).
        solved_at: Reads a ticket's solved time (``fields.solved_at``).
    """

    files: tuple[str, ...]
    enrichment: tuple[EnrichmentRule, ...]
    scores: tuple[Score, ...]
    segments: tuple[Segment, ...]
    suppressions: tuple[SuppressionRule, ...]
    alerts: tuple[AlertRule, ...]
    is_open: Matcher
    solved_at: Reader

    def writeback_names(self) -> list[str]:
        """Return the write-back source names the results provide, as ``core.mapping.writeback`` spells them."""
        names = [f"enrichment.{rule.name}" for rule in self.enrichment]
        names += [f"enrichment.{score.name}" for score in self.scores]
        if self.segments:
            names += ["enrichment.segment", "enrichment.segments"]
        names += [f"suppression.{scope.value}" for scope in SuppressionScope]
        return [*names, "suppression.reasons"]

    def reasons(self) -> list[str]:
        """Return every suppression reason the policies can give, in file order."""
        found = [rule.reason for rule in self.suppressions]
        return found + [rule.suppress.reason for rule in self.alerts if rule.suppress is not None]

    def evaluate(self, person: PolicyInput, *, now: datetime) -> PolicyResult:
        """Decide enrichment, segments, suppressions and alerts for one person at ``now``.

        Args:
            person: The person's profile, records, interactions, consents and overrides.
            now: The evaluation time, from the caller's clock; must carry a timezone.

        Returns:
            The result, with an explanation of every value.

        Raises:
            ValueError: ``now`` has no timezone.
        """
        ctx = self._context(person, now)
        enrichment: dict[str, EnrichmentValue] = {}
        explanations: dict[str, Explanation] = {}
        for rule in self.enrichment:
            enrichment[rule.name], explanations[f"enrichment.{rule.name}"] = rule.evaluate(ctx)
        outcomes: dict[str, ScoreOutcome] = {}
        for score in self.scores:
            outcome, explanations[f"enrichment.{score.name}"] = score.evaluate(ctx)
            outcomes[score.name] = outcome
            enrichment[score.name] = round(outcome.value, score.round)
        if self.segments:
            ctx.segments = self._segments(outcomes, explanations)
            enrichment["segment"] = ctx.segments[0].label if ctx.segments else None
            enrichment["segments"] = [s.label for s in ctx.segments]
        suppressions, alerts = self._decisions(ctx, explanations)
        return PolicyResult(person.profile_id, now, enrichment, ctx.segments, tuple(suppressions), tuple(alerts),
                            explanations, _comes_into_view(person, now))  # fmt: skip

    def evaluate_many(self, people: Iterable[PolicyInput], *, now: datetime) -> Iterator[PolicyResult]:
        """Evaluate each person at the same ``now``, lazily, in the order given.

        Raises:
            ValueError: ``now`` has no timezone.
        """
        for person in people:
            yield self.evaluate(person, now=now)

    def _context(self, person: PolicyInput, now: datetime) -> Context:
        if now.tzinfo is None or now.utcoffset() is None:
            msg = f"evaluation time {now.isoformat()} has no timezone; pass an aware datetime such as datetime.now(UTC)"
            raise ValueError(msg)
        now_ts = now.timestamp()
        views = prepare(person.interactions, now_ts=now_ts)
        by_kind: dict[str, list[InteractionView]] = {}
        for view in views:
            by_kind.setdefault(view.kind, []).append(view)
        consents = sorted(
            (c for c in person.consents if not c.deleted and c.at <= now),
            key=lambda c: (c.at, str(c.source), c.channel.value, c.purpose),
        )
        return Context(person, now, now_ts, views, by_kind, tuple(consents), self.is_open, self.solved_at)

    def _segments(
        self, outcomes: dict[str, ScoreOutcome], explanations: dict[str, Explanation]
    ) -> tuple[SegmentMatch, ...]:
        half_lives = {score.name: score.half_life.total_seconds() for score in self.scores}
        found: list[SegmentMatch] = []
        lines: list[str] = []
        for segment in self.segments:
            match = segment.match(outcomes, half_lives)
            lines.append(segment.explain(outcomes, match))
            if match is not None:
                found.append(match)
        lead = f"'{found[0].label}', the first segment that holds" if found else "no segment holds"
        contributions = tuple(
            c for score in self.scores if any(t.score == score.name for s in self.segments for t in s.thresholds)
            for c in outcomes[score.name].contributions
        )  # fmt: skip
        text = f"{lead}. " + "; ".join(lines)
        explanations["enrichment.segment"] = Explanation("enrichment.segment", text, contributions)
        explanations["enrichment.segments"] = Explanation("enrichment.segments", text, contributions)
        return tuple(found)

    def _decisions(
        self, ctx: Context, explanations: dict[str, Explanation]
    ) -> tuple[list[PolicySuppression], list[Alert]]:
        suppressions: list[PolicySuppression] = []
        for rule in self.suppressions:
            decided = rule.evaluate(ctx)
            if decided is not None:
                suppressions.append(decided[0])
                explanations[decided[1].name] = decided[1]
        alerts: list[Alert] = []
        for alert_rule in self.alerts:
            raised, held = alert_rule.evaluate(ctx)
            for alert, why in raised:
                alerts.append(alert)
                explanations[why.name] = why
            if held is not None:
                suppressions.append(held[0])
                explanations[held[1].name] = held[1]
        alerts.sort(key=lambda a: (a.occurred_at, a.key))
        return suppressions, alerts


def _comes_into_view(person: PolicyInput, now: datetime) -> datetime | None:
    """The earliest interaction or consent stamped after ``now``, which an evaluation at ``now`` leaves out."""
    later = [i.occurred_at for i in person.interactions if not i.deleted and i.occurred_at > now]
    later += [c.at for c in person.consents if not c.deleted and c.at > now]
    return min(later, default=None)
