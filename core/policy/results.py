"""What a policy evaluation decides for one person, and why.

    PolicyResult
    ├── enrichment        name → value (counts, priorities, times, sums, scores, segment)
    ├── segments          every segment the person qualifies for, the primary first
    ├── suppressions      PolicySuppression: scope, reason, detail, since, until, source
    ├── alerts            Alert: name, idempotency key, target, subject, text
    └── explanations      one per value: a sentence and the interactions that counted,
                          each with its weight and decay factor

``PolicyResult.writeback_values()`` gives the values under the names a mapping's
``writeback:`` section uses (``enrichment.<name>``, ``suppression.<scope>``,
``suppression.reasons``); ``to_json()`` gives all of it for reports and ``--json``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, NamedTuple

from core.canonical import RecordRef, Suppression, SuppressionScope

__all__ = [
    "Alert",
    "AlertTarget",
    "Contribution",
    "EnrichmentValue",
    "Explanation",
    "PolicyResult",
    "PolicySuppression",
    "SegmentMatch",
    "json_value",
]

EnrichmentValue = int | float | str | datetime | list[str] | None
"""An enrichment value: a count, a sum or score, a text, a time, a list of segment labels, or nothing."""


class Contribution(NamedTuple):
    """One interaction that counted towards a value (a named tuple: a score builds many).

    Attributes:
        source: The interaction's source record.
        occurred_at: When it happened.
        label: What it matched (a signal's label, or the rule's name).
        weight: Its weight before decay (1 for a count).
        factor: The decay factor at evaluation time, in (0, 1]; 1 when nothing decays.
    """

    source: RecordRef
    occurred_at: datetime
    label: str
    weight: float = 1.0
    factor: float = 1.0

    @property
    def value(self) -> float:
        """What it added: ``weight * factor``."""
        return self.weight * self.factor

    def to_json(self) -> dict[str, Any]:
        """Return it as JSON-compatible data."""
        return {"source": str(self.source), "occurred_at": json_value(self.occurred_at), "label": self.label,
                "weight": self.weight, "factor": round(self.factor, 6), "value": round(self.value, 6)}  # fmt: skip


@dataclass(frozen=True, slots=True)
class Explanation:
    """Why a value is what it is.

    Attributes:
        name: The value's name: ``enrichment.open_tickets``, ``segment``,
            ``suppression.urgent_ticket_open``, ``alert.<key>``.
        text: One or two sentences a person can read.
        contributions: The interactions that counted, oldest first.
    """

    name: str
    text: str
    contributions: tuple[Contribution, ...] = ()

    def to_json(self) -> dict[str, Any]:
        """Return it as JSON-compatible data."""
        return {"name": self.name, "text": self.text, "contributions": [c.to_json() for c in self.contributions]}


@dataclass(frozen=True, slots=True)
class SegmentMatch:
    """A segment the person qualifies for.

    Attributes:
        name: The segment's name in the policy file (``enterprise_buyer``).
        label: What people read (``enterprise buyer``); written back as ``enrichment.segment``.
        since: Since when the interactions that count now have kept the person in it.
    """

    name: str
    label: str
    since: datetime | None


@dataclass(frozen=True, slots=True)
class PolicySuppression:
    """A decision not to contact the person, with the reason a person can read.

    Attributes:
        scope: What it stops (``marketing``, ``email``, ``all``...).
        reason: The rule's name (``unsubscribed_anywhere``); listed in ``suppression.reasons``.
        detail: A sentence: what happened, where, and when it ends.
        since: When it began.
        until: When it ends; ``None`` while its cause lasts (a ticket still open).
        source: The record that caused it (a ticket, a consent), when there is one.
        nurture: Set when only one nurture track is stopped (the segment's name), not
            the whole scope; such a suppression is in ``suppression.reasons`` but does
            not set ``suppression.<scope>``.
    """

    scope: SuppressionScope
    reason: str
    detail: str
    since: datetime
    until: datetime | None = None
    source: RecordRef | None = None
    nurture: str | None = None

    def active(self, at: datetime) -> bool:
        """Return whether it is in force at ``at``."""
        return self.since <= at and (self.until is None or at < self.until)

    def to_canonical(self) -> Suppression:
        """Return the canonical ``Suppression`` kept on the unified profile."""
        return Suppression(scope=self.scope, reason=self.reason, detail=self.detail, since=self.since,
                           until=self.until, source=self.source)  # fmt: skip

    def to_json(self) -> dict[str, Any]:
        """Return it as JSON-compatible data."""
        return {"scope": self.scope.value, "reason": self.reason, "detail": self.detail,
                "since": json_value(self.since), "until": json_value(self.until),
                "source": str(self.source) if self.source else None, "nurture": self.nurture}  # fmt: skip


@dataclass(frozen=True, slots=True)
class AlertTarget:
    """Where an alert goes: a record to create in a system, for the owner of a linked record.

    Attributes:
        system: The system to create it in (``salesforce``).
        object: What to create there (``Task``).
        record: The person's record in that system the new one is attached to (a
            Contact); ``None`` when the profile has no record there.
        assign_to: Who gets it: ``owner`` (the record's owner in that system).
    """

    system: str
    object: str
    record: RecordRef | None
    assign_to: str


@dataclass(frozen=True, slots=True)
class Alert:
    """Something a person must act on, raised once per occurrence.

    Attributes:
        name: The alert's name in the policy file (``complaint``).
        key: Stable idempotency key, ``<name>:<system>/<stream>/<source_id>``: the same
            occurrence gives the same key on every run, so the sync layer creates its
            task once.
        source: The interaction that raised it (the ticket).
        occurred_at: When that interaction happened.
        open: Whether the occurrence is still unresolved.
        target: Where the alert goes.
        subject: A one-line title.
        text: What happened and what to do.
    """

    name: str
    key: str
    source: RecordRef
    occurred_at: datetime
    open: bool
    target: AlertTarget
    subject: str
    text: str

    def to_json(self) -> dict[str, Any]:
        """Return it as JSON-compatible data."""
        target = self.target
        return {"name": self.name, "key": self.key, "source": str(self.source),
                "occurred_at": json_value(self.occurred_at), "open": self.open,
                "target": {"system": target.system, "object": target.object,
                           "record": str(target.record) if target.record else None, "assign_to": target.assign_to},
                "subject": self.subject, "text": self.text}  # fmt: skip


@dataclass(frozen=True, slots=True)
class PolicyResult:
    """Everything the policies decided for one person at one time.

    Attributes:
        profile_id: Whose result it is.
        evaluated_at: The clock's time the evaluation was made at.
        enrichment: Values by name, in file order; includes every score and
            ``segment`` (the primary segment's label) and ``segments`` (all labels).
        segments: Every segment the person qualifies for, in priority (file) order.
        suppressions: The suppressions in force at ``evaluated_at``, in file order.
        alerts: One per occurrence, oldest first.
        explanations: Why, by value name (see ``Explanation.name``).
        comes_into_view_at: The earliest time of an interaction or consent stamped after
            ``evaluated_at``, which this evaluation left out (a vendor's clock ahead of
            ours, a device's event time): the decision must be made again then. None when
            there is none.
    """

    profile_id: str
    evaluated_at: datetime
    enrichment: Mapping[str, EnrichmentValue]
    segments: tuple[SegmentMatch, ...] = ()
    suppressions: tuple[PolicySuppression, ...] = ()
    alerts: tuple[Alert, ...] = ()
    explanations: Mapping[str, Explanation] = field(default_factory=dict)
    comes_into_view_at: datetime | None = None

    @property
    def segment(self) -> SegmentMatch | None:
        """The primary segment: the first one in the file the person qualifies for."""
        return self.segments[0] if self.segments else None

    @property
    def reasons(self) -> list[str]:
        """The names of the suppressions in force, each once, in file order."""
        return list(dict.fromkeys(s.reason for s in self.suppressions if s.active(self.evaluated_at)))

    def suppressed(self, scope: SuppressionScope | str) -> bool:
        """Return whether contact of ``scope`` is stopped: a whole-scope suppression of it, or of ``all``."""
        wanted = SuppressionScope(scope)
        return any(
            s.nurture is None and s.scope in (wanted, SuppressionScope.ALL) and s.active(self.evaluated_at)
            for s in self.suppressions
        )

    def explain(self, name: str) -> Explanation:
        """Return the explanation of a value.

        Raises:
            KeyError: No value has that name; the message lists those that do.
        """
        try:
            return self.explanations[name]
        except KeyError:
            msg = f"no value named {name!r}; explained: {', '.join(self.explanations)}"
            raise KeyError(msg) from None

    def writeback_values(self) -> dict[str, Any]:
        """Return the values under the write-back source names of ``core.mapping.writeback``.

        ``enrichment.<name>`` for every enrichment value (times as ISO 8601 text),
        ``suppression.<scope>`` for every scope (a boolean), and ``suppression.reasons``
        (a list of names).
        """
        values: dict[str, Any] = {f"enrichment.{name}": json_value(v) for name, v in self.enrichment.items()}
        for scope in SuppressionScope:
            values[f"suppression.{scope.value}"] = self.suppressed(scope)
        values["suppression.reasons"] = self.reasons
        return values

    def canonical_suppressions(self) -> list[Suppression]:
        """Return the suppressions as canonical ``Suppression`` models, for the unified profile."""
        return [s.to_canonical() for s in self.suppressions]

    def to_json(self) -> dict[str, Any]:
        """Return the whole result as JSON-compatible data."""
        return {
            "profile_id": self.profile_id,
            "evaluated_at": json_value(self.evaluated_at),
            "enrichment": {name: json_value(v) for name, v in self.enrichment.items()},
            "segments": [{"name": s.name, "label": s.label, "since": json_value(s.since)} for s in self.segments],
            "suppressions": [s.to_json() for s in self.suppressions],
            "alerts": [a.to_json() for a in self.alerts],
            "writeback": self.writeback_values(),
            "explanations": {name: e.to_json() for name, e in self.explanations.items()},
            "comes_into_view_at": json_value(self.comes_into_view_at),
        }


def json_value(value: Any) -> Any:
    """Return ``value`` ready for JSON: a time as ISO 8601 text in UTC (``2026-10-01T09:15:00Z``)."""
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
    if isinstance(value, list):
        return list(value)
    return value
