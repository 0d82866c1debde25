"""Closed-loop alerts: something a person must act on, raised once per occurrence.

A complaint (a ticket tagged or typed as one, or a bad satisfaction rating) raises one
``Alert`` per ticket. Its ``key`` is derived from the occurrence alone,
``<alert>:<system>/<stream>/<source_id>`` (``complaint:zendesk/tickets/9003``), so
evaluating the person again, tomorrow or after another tag was added, gives the same
key: the sync layer creates the Task once and skips a key it has already created.
Every matching occurrence updated within ``within`` is listed, open or not, so one
opened and solved between two runs still reaches its owner.

The alert names its target (a ``Task`` in the CRM, for the owner of the person's
Contact there) and its words come from the file's ``subject:`` and ``text:``
templates, whose ``{placeholders}`` are checked when the file loads. While an
occurrence is open (and ``resume_after`` after it is solved) the alert's
``suppress:`` holds, e.g. no promotional contact to someone whose complaint waits.
"""

from __future__ import annotations

import string
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from core.canonical import SuppressionScope
from core.policy.context import Context, cited
from core.policy.durations import describe_duration, describe_time
from core.policy.matching import Matcher
from core.policy.results import Alert, AlertTarget, Contribution, Explanation, PolicySuppression
from core.policy.suppression import decide, ticket_windows
from core.policy.view import InteractionView, Reader

__all__ = ["PLACEHOLDERS", "AlertRule", "AlertSuppression", "template_fields"]

PLACEHOLDERS = (
    "name", "first_name", "last_name", "email", "company", "profile_id",
    "subject", "type", "status", "priority", "satisfaction", "tags", "path",
    "system", "stream", "source_id", "occurred_at",
)  # fmt: skip
"""What an alert's ``subject:`` and ``text:`` may name in ``{braces}``."""

_MISSING = "unknown"


def template_fields(template: str) -> list[str]:
    """Return the placeholders a template names, in order.

    Raises:
        ValueError: The braces are unbalanced, or a placeholder is positional (``{}``).
    """
    names: list[str] = []
    for _text, name, _spec, _conversion in string.Formatter().parse(template):
        if name is None:
            continue
        if not name:
            msg = "a placeholder needs a name, e.g. {subject}"
            raise ValueError(msg)
        names.append(name)
    return names


@dataclass(frozen=True, slots=True)
class AlertSuppression:
    """What an alert's open occurrence suppresses, and for how long after it is solved."""

    reason: str
    scope: SuppressionScope
    resume_after: timedelta


@dataclass(frozen=True, slots=True)
class AlertRule:
    """A named alert (see the module docstring)."""

    name: str
    matcher: Matcher
    within: timedelta
    target_system: str
    target_streams: tuple[str, ...]
    target_object: str
    assign_to: str
    subject: str
    text: str
    readers: Mapping[str, Reader]
    is_open: Matcher | None = None
    suppress: AlertSuppression | None = None

    def evaluate(
        self, ctx: Context
    ) -> tuple[list[tuple[Alert, Explanation]], tuple[PolicySuppression, Explanation] | None]:
        """Return one alert per recent occurrence, and the suppression its open occurrences hold."""
        is_open = self.is_open or ctx.is_open
        occurrences = ctx.matching(self.matcher)
        cutoff = ctx.now - self.within
        records = ctx.input.records_in(self.target_system, self.target_streams)
        target = AlertTarget(self.target_system, self.target_object, records[0] if records else None, self.assign_to)
        alerts = []
        for view in occurrences:
            item = view.interaction
            if max(item.occurred_at, item.updated_at or item.occurred_at) < cutoff:
                continue
            still_open = is_open.test(view)
            values = self._values(view, ctx)
            alert = Alert(self.name, f"{self.name}:{item.source}", item.source, item.occurred_at, still_open, target,
                          self.subject.format_map(values), self.text.format_map(values))  # fmt: skip
            where = f"a {target.object} in {target.system}" + (f" on {target.record}" if target.record else "")
            why = (
                f"{cited(view)} matches {self.matcher.text}; {'still open' if still_open else 'solved'}; "
                f"goes to {where}" + ("" if target.record else f" (no {target.system} record is linked to the profile)")
            )
            contribution = Contribution(item.source, item.occurred_at, self.name)
            alerts.append((alert, Explanation(f"alert.{alert.key}", why, (contribution,))))
        return alerts, self._suppression(ctx, occurrences, is_open)

    def _values(self, view: InteractionView, ctx: Context) -> dict[str, str]:
        golden = ctx.input.golden
        values = {name: _text(reader(view)) for name, reader in self.readers.items()}
        for name in ("first_name", "last_name", "email", "company"):
            values[name] = _text(golden.get(name))
        full = " ".join(str(golden[n]) for n in ("first_name", "last_name") if golden.get(n))
        values["name"] = full or str(golden.get("email") or ctx.input.profile_id)
        values["profile_id"] = ctx.input.profile_id
        values["occurred_at"] = describe_time(view.interaction.occurred_at)
        return values

    def _suppression(
        self, ctx: Context, occurrences: list[InteractionView], is_open: Matcher
    ) -> tuple[PolicySuppression, Explanation] | None:
        if self.suppress is None:
            return None
        rule = self.suppress
        windows = ticket_windows(ctx, occurrences, is_open, rule.resume_after, label=self.name)
        after = f" plus {describe_duration(rule.resume_after)}" if rule.resume_after else ""
        return decide(rule.reason, rule.scope, windows, ctx, lead=f"{self.name} waiting to be solved{after}")


def _text(value: Any) -> str:
    if value is None or value == "" or value == []:
        return _MISSING
    if isinstance(value, list | tuple):
        return ", ".join(str(item) for item in value)
    return str(value)
