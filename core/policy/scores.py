"""Intent scores and the segments they put people in.

A **score** is a weighted, time-decayed count of interactions. Each interaction
counts once, with the weight of the first signal (in file order) it matches, halved
for every ``half_life`` of its age at evaluation time::

    score = Σ weight · 0.5 ^ (age / half_life)        (age ≥ 0, weight > 0)

so it is never negative, a newer interaction never weighs less than an older one,
and a person who stops showing an intent drifts out of it on their own.

A **segment** holds while every one of its thresholds does (``at_least`` is
inclusive, ``below`` exclusive). A person may qualify for several; the first in
the file is their segment. ``since`` is when the interactions that count now first
lifted the score to the threshold, found by replaying them in time order.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from core.policy.context import Context
from core.policy.durations import describe_duration
from core.policy.matching import Matcher
from core.policy.results import Contribution, Explanation, SegmentMatch
from core.policy.view import InteractionView

__all__ = ["Score", "ScoreOutcome", "Segment", "Signal", "Threshold", "decay_factor"]

_LN2 = math.log(2.0)


def decay_factor(age_seconds: float, half_life_seconds: float) -> float:
    """Return ``0.5 ** (age / half_life)``: 1 for a new interaction, 0.5 one half-life later.

    A negative age (an interaction at the evaluation time's second) counts as new.

    Examples:
        >>> decay_factor(7 * 86400, 7 * 86400)
        0.5
    """
    return math.exp(-max(age_seconds, 0.0) * _LN2 / half_life_seconds)


@dataclass(frozen=True, slots=True)
class Signal:
    """Interactions that show an intent and what each weighs when new."""

    matcher: Matcher
    weight: float
    label: str


@dataclass(frozen=True, slots=True)
class ScoreOutcome:
    """A score's value for one person, and what it is made of.

    Attributes:
        value: The exact score (not rounded).
        contributions: One per counted interaction, oldest first.
    """

    value: float
    contributions: tuple[Contribution, ...]

    def reached_at(self, threshold: float, half_life_seconds: float) -> datetime | None:
        """Return when the counted interactions last lifted the score from below ``threshold`` to it.

        Between interactions the score only decays, so it can only rise to a threshold
        at an interaction's time; the running score is replayed in time order.
        """
        running, last_ts, since = 0.0, None, None
        for item in self.contributions:
            ts = item.occurred_at.timestamp()
            if last_ts is not None:
                running *= decay_factor(ts - last_ts, half_life_seconds)
            if running < threshold:
                since = None
            running += item.weight
            if since is None and running >= threshold:
                since = item.occurred_at
            last_ts = ts
        if since is None and self.contributions:  # rounding left the replay a hair short of the exact sum
            since = self.contributions[0].occurred_at
        return since


@dataclass(frozen=True, slots=True)
class Score:
    """A named intent score (see the module docstring)."""

    name: str
    half_life: timedelta
    signals: tuple[Signal, ...]
    round: int
    within: timedelta | None = None
    _by_kind: dict[str, tuple[tuple[Callable[[InteractionView], bool], float, str], ...]] = field(
        default_factory=dict, repr=False, compare=False
    )

    def evaluate(self, ctx: Context) -> tuple[ScoreOutcome, Explanation]:
        """Return the score with each counted interaction's weight and decay factor."""
        rate = _LN2 / self.half_life.total_seconds()
        now_ts = ctx.now_ts
        cutoff = None if self.within is None else now_ts - self.within.total_seconds()
        counted: list[Contribution] = []
        for view in ctx.views:
            signals = self._for_kind(view.kind)
            if not signals or (cutoff is not None and view.ts < cutoff):
                continue
            for test, weight, label in signals:
                if test(view):
                    factor = math.exp(-max(now_ts - view.ts, 0.0) * rate)  # decay_factor, inlined: the hot loop
                    item = view.interaction
                    counted.append(Contribution(item.source, item.occurred_at, label, weight, factor))
                    break
        value = math.fsum(c.value for c in counted)
        explanation = Explanation(f"enrichment.{self.name}", self._text(value, counted), tuple(counted))
        return ScoreOutcome(value, tuple(counted)), explanation

    def _for_kind(self, kind: str) -> tuple[tuple[Callable[[InteractionView], bool], float, str], ...]:
        """The signals that can match an interaction of ``kind``, in file order: (test, weight, label)."""
        found = self._by_kind.get(kind)
        if found is None:
            found = self._by_kind[kind] = tuple(
                (s.matcher.given_kind if s.matcher.kinds is not None else s.matcher.test, s.weight, s.label)
                for s in self.signals
                if s.matcher.kinds is None or kind in s.matcher.kinds
            )
        return found

    def _text(self, value: float, counted: list[Contribution]) -> str:
        window = f" in the last {describe_duration(self.within)}" if self.within is not None else ""
        text = f"{round(value, self.round):g} from {len(counted)} interaction{'s' if len(counted) != 1 else ''}{window}"
        text += f" (half-life {describe_duration(self.half_life)})"
        by_label: dict[str, list[Contribution]] = {}
        for item in counted:
            by_label.setdefault(item.label, []).append(item)
        parts = [
            f"{len(items)} x {label} (weight {items[0].weight:g}) = {math.fsum(c.value for c in items):.2f}"
            for label, items in sorted(by_label.items(), key=lambda kv: -math.fsum(c.value for c in kv[1]))
        ]
        return text + (": " + "; ".join(parts) if parts else "")


@dataclass(frozen=True, slots=True)
class Threshold:
    """Bounds on one score: ``at_least`` (inclusive) and ``below`` (exclusive)."""

    score: str
    at_least: float | None
    below: float | None

    def holds(self, value: float) -> bool:
        """Return whether ``value`` is within the bounds."""
        return (self.at_least is None or value >= self.at_least) and (self.below is None or value < self.below)

    def describe(self) -> str:
        """Say the bounds: ``intent_score ≥ 15``, ``learning_score < 3``."""
        parts = []
        if self.at_least is not None:
            parts.append(f"{self.score} ≥ {self.at_least:g}")
        if self.below is not None:
            parts.append(f"{self.score} < {self.below:g}")
        return " and ".join(parts)


@dataclass(frozen=True, slots=True)
class Segment:
    """A named segment: thresholds on scores, and how to tell someone is in its nurture."""

    name: str
    label: str
    thresholds: tuple[Threshold, ...]
    nurture: Matcher | None = None

    def match(self, outcomes: Mapping[str, ScoreOutcome], half_lives: Mapping[str, float]) -> SegmentMatch | None:
        """Return the match when every threshold holds, with since when; else ``None``."""
        if not all(t.holds(outcomes[t.score].value) for t in self.thresholds):
            return None
        moments = [
            outcomes[t.score].reached_at(t.at_least, half_lives[t.score])
            for t in self.thresholds
            if t.at_least is not None and t.at_least > 0
        ]
        known = [m for m in moments if m is not None]
        return SegmentMatch(self.name, self.label, max(known) if known else None)

    def explain(self, outcomes: Mapping[str, ScoreOutcome], found: SegmentMatch | None) -> str:
        """Say whether the thresholds hold, with the scores."""
        values = ", ".join(f"{t.score} = {outcomes[t.score].value:.2f}" for t in self.thresholds)
        rule = " and ".join(t.describe() for t in self.thresholds)
        if found is None:
            return f"not '{self.label}': needs {rule}; {values}"
        since = f" since {found.since.astimezone(UTC).strftime('%Y-%m-%d %H:%M UTC')}" if found.since else ""
        return f"'{self.label}'{since}: {rule}; {values}"
