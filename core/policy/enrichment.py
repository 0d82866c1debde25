"""Enrichment rules: values read from a person's interactions, each with its explanation.

    count     how many interactions match              open_tickets: 2
    highest   the highest value of a field, by order   highest_open_priority: urgent
    latest    when the latest match happened (or its   last_product_activity: 2026-10-14T08:02:00Z
              field)
    sum       a number added up over the matches       lifetime_value: 48200.0

A rule with nothing to count gives 0 (count, sum) or ``None`` (highest, latest),
which write-back turns into an empty field, so a value that no longer holds is
cleared in every system.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Protocol

from core.policy.context import Context, cited, listed
from core.policy.durations import describe_duration, describe_time
from core.policy.matching import Matcher
from core.policy.results import Contribution, EnrichmentValue, Explanation
from core.policy.view import InteractionView, Reader

__all__ = ["CountRule", "EnrichmentRule", "HighestRule", "LatestRule", "SumRule"]


class EnrichmentRule(Protocol):
    """A named value computed from a person's interactions."""

    @property
    def name(self) -> str:
        """The value's name, written back as ``enrichment.<name>``."""
        ...

    def evaluate(self, ctx: Context) -> tuple[EnrichmentValue, Explanation]:
        """Return the value and why."""
        ...


def _matched(matcher: Matcher, within: timedelta | None, count: int) -> str:
    noun = "interaction matches" if count == 1 else "interactions match"
    window = f" in the last {describe_duration(within)}" if within is not None else ""
    return f"{count} {noun} {matcher.text or 'the rule'}{window}"


def _contributions(name: str, views: list[InteractionView]) -> tuple[Contribution, ...]:
    return tuple(Contribution(v.interaction.source, v.interaction.occurred_at, name) for v in views)


@dataclass(frozen=True, slots=True)
class CountRule:
    """How many interactions match: ``open_tickets: {rule: count, match: {kind: ticket, open: true}}``."""

    name: str
    matcher: Matcher
    within: timedelta | None = None

    def evaluate(self, ctx: Context) -> tuple[EnrichmentValue, Explanation]:
        """Return the count and the interactions counted."""
        views = ctx.matching(self.matcher, self.within)
        text = _matched(self.matcher, self.within, len(views))
        if views:
            text += ": " + listed([cited(v) for v in reversed(views)])
        return len(views), Explanation(f"enrichment.{self.name}", text, _contributions(self.name, views))


@dataclass(frozen=True, slots=True)
class HighestRule:
    """The highest value of a field among matches, by a declared order (lowest first).

    Example: ``order: [low, normal, high, urgent]`` over two open tickets, one
    ``normal`` and one ``Urgent``, gives ``urgent`` (values compare ignoring case and
    are written as the order spells them); a value not in the order is not ranked.
    """

    name: str
    matcher: Matcher
    field: str
    reader: Reader
    order: tuple[str, ...]
    within: timedelta | None = None

    def evaluate(self, ctx: Context) -> tuple[EnrichmentValue, Explanation]:
        """Return the highest ranked value, or ``None`` when no match has a ranked one."""
        rank = {value.casefold(): index for index, value in enumerate(self.order)}
        views = ctx.matching(self.matcher, self.within)
        best: tuple[int, InteractionView] | None = None
        unranked: list[str] = []
        for view in views:
            raw = self.reader(view)
            position = rank.get(str(raw).casefold()) if raw is not None else None
            if position is None:
                unranked.append(repr(raw))
            elif best is None or position > best[0]:
                best = (position, view)
        value = self.order[best[0]] if best is not None else None
        text = f"{value if value is not None else 'nothing'}: the highest {self.field} ({' < '.join(self.order)}); "
        text += _matched(self.matcher, self.within, len(views))
        if best is not None:
            text += f", the highest being {cited(best[1])}"
        if unranked:
            text += f"; not ranked: {listed(sorted(set(unranked)))}"
        return value, Explanation(f"enrichment.{self.name}", text, _contributions(self.name, views))


@dataclass(frozen=True, slots=True)
class LatestRule:
    """When the latest matching interaction happened, or the value of its ``field``."""

    name: str
    matcher: Matcher
    field: str | None = None
    reader: Reader | None = None
    within: timedelta | None = None

    def evaluate(self, ctx: Context) -> tuple[EnrichmentValue, Explanation]:
        """Return the time (or field value) of the latest match, or ``None``."""
        views = ctx.matching(self.matcher, self.within)
        if not views:
            text = "nothing: " + _matched(self.matcher, self.within, 0)
            return None, Explanation(f"enrichment.{self.name}", text)
        last = views[-1]
        value: EnrichmentValue
        if self.reader is None:
            value = last.interaction.occurred_at
            shown = describe_time(value)
        else:
            value = _plain(self.reader(last))
            shown = repr(value)
        text = f"{shown}: from the latest of {_matched(self.matcher, self.within, len(views))}, {cited(last)}"
        return value, Explanation(f"enrichment.{self.name}", text, _contributions(self.name, [last]))


@dataclass(frozen=True, slots=True)
class SumRule:
    """A number added up over matches (``lifetime_value``: won opportunities' amounts).

    A value that is not a number (text that does not read as one, an object) is left
    out and named in the explanation, never guessed.
    """

    name: str
    matcher: Matcher
    field: str
    reader: Reader
    round: int
    within: timedelta | None = None

    def evaluate(self, ctx: Context) -> tuple[EnrichmentValue, Explanation]:
        """Return the sum, rounded to the rule's decimal places."""
        views = ctx.matching(self.matcher, self.within)
        total = 0.0
        used: list[Contribution] = []
        skipped: list[str] = []
        for view in views:
            raw = self.reader(view)
            number = _number(raw)
            if number is None:
                skipped.append(f"{view.interaction.source} ({raw!r})")
                continue
            total += number
            used.append(Contribution(view.interaction.source, view.interaction.occurred_at, self.name, number))
        value = round(total, self.round)
        text = f"{value:g}: the sum of {self.field} over {_matched(self.matcher, self.within, len(views))}"
        if skipped:
            text += f"; left out, not a number: {listed(skipped)}"
        return value, Explanation(f"enrichment.{self.name}", text, tuple(used))


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        number = float(value)
    elif isinstance(value, str):
        try:
            number = float(value.strip().replace(",", ""))
        except ValueError:
            return None
    else:
        return None
    return number if math.isfinite(number) else None


def _plain(value: Any) -> EnrichmentValue:
    if value is None or isinstance(value, str | int | float):
        return value
    if isinstance(value, list):
        return [str(item) for item in value]
    return str(value)
