"""The shape of a policy file, as pydantic models (structure only).

The top level is checked first; then every named item of every section is checked
on its own, so one bad rule does not hide the problems of the others. ``match:``
blocks are free-form here and compiled by ``core.policy.matching``, which knows the
field names and checks every glob and regular expression.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from core.canonical import Channel, SuppressionScope
from core.canonical.base import SystemName
from core.policy.durations import Duration
from core.policy.view import DERIVED_FIELDS

__all__ = [
    "ENRICHMENT_RULES",
    "NAME_PATTERN",
    "SECTIONS",
    "SUPPRESSION_RULES",
    "AlertSpec",
    "ConsentDeniedSpec",
    "CountSpec",
    "DefaultsSpec",
    "EventSpec",
    "FieldsSpec",
    "FrequencyCapSpec",
    "HighestSpec",
    "LatestSpec",
    "OpenTicketSpec",
    "PolicyFileSpec",
    "ScoreSpec",
    "SegmentChangeSpec",
    "SegmentSpec",
    "SumSpec",
]

NAME_PATTERN = r"^[a-z][a-z0-9_]{0,99}$"
"""Names of enrichment values, scores, segments, suppressions and alerts: they become
write-back names (``enrichment.<name>``) and suppression reasons."""

SECTIONS = ("enrichment", "scores", "segments", "suppressions", "alerts")
"""The sections of named items, in the order they are evaluated."""

Match = dict[str, Any]
"""A ``match:`` block, compiled by ``core.policy.matching``."""


Section = Annotated[dict[str, Any], BeforeValidator(lambda value: {} if value is None else value)]
"""A section of named items; an empty one (every item commented out) is no items."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class DefaultsSpec(_Strict):
    """File-wide defaults.

    Attributes:
        open: When a ticket counts as open (``open: true`` in a match, and the rules
            that wait for a ticket to be solved).
        round: Decimal places of scores and sums written back (fewer changes to write).
    """

    open: Match = Field(default_factory=lambda: {"status": ["new", "open", "pending", "hold"]})
    round: int = Field(default=1, ge=0, le=6)


class FieldsSpec(_Strict):
    """Where the derived fields are read from, first found wins (``tags``: all of them)."""

    path: list[str] = Field(default_factory=lambda: list(DERIVED_FIELDS["path"]), min_length=1)
    tags: list[str] = Field(default_factory=lambda: list(DERIVED_FIELDS["tags"]), min_length=1)
    satisfaction: list[str] = Field(default_factory=lambda: list(DERIVED_FIELDS["satisfaction"]), min_length=1)
    solved_at: list[str] = Field(default_factory=lambda: list(DERIVED_FIELDS["solved_at"]), min_length=1)


class PolicyFileSpec(_Strict):
    """The top of a policy file; its sections' items are validated one by one afterwards."""

    version: Literal[1]
    description: str = ""
    defaults: DefaultsSpec = Field(default_factory=DefaultsSpec)
    fields: FieldsSpec = Field(default_factory=FieldsSpec)
    enrichment: Section = Field(default_factory=dict)
    scores: Section = Field(default_factory=dict)
    segments: Section = Field(default_factory=dict)
    suppressions: Section = Field(default_factory=dict)
    alerts: Section = Field(default_factory=dict)


class _Rule(_Strict):
    description: str = ""
    match: Match
    within: Duration | None = Field(default=None, description="Only interactions this recent count.")


class CountSpec(_Rule):
    """How many interactions match (``open_tickets``)."""

    rule: Literal["count"]


class HighestSpec(_Rule):
    """The highest value of ``field`` among matching interactions, by ``order`` (``highest_open_priority``)."""

    rule: Literal["highest"]
    field: str
    order: list[str] = Field(min_length=1, description="Values from lowest to highest.")


class LatestSpec(_Rule):
    """When the latest matching interaction happened, or its ``field`` (``last_product_activity``)."""

    rule: Literal["latest"]
    field: str | None = None


class SumSpec(_Rule):
    """The sum of a number over matching interactions (``lifetime_value``, ``open_pipeline``)."""

    rule: Literal["sum"]
    field: str
    round: int | None = Field(default=None, ge=0, le=6)


ENRICHMENT_RULES: dict[str, type[_Rule]] = {"count": CountSpec, "highest": HighestSpec, "latest": LatestSpec,
                                            "sum": SumSpec}  # fmt: skip


class SignalSpec(_Strict):
    """Interactions that show an intent, and how much each one weighs when new."""

    match: Match
    weight: float = Field(default=1.0, gt=0, le=1_000_000)
    label: str | None = Field(default=None, min_length=1, max_length=100)


class ScoreSpec(_Strict):
    """A weighted, time-decayed count of interactions (an intent score)."""

    description: str = ""
    half_life: Duration
    within: Duration | None = None
    round: int | None = Field(default=None, ge=0, le=6)
    signals: list[SignalSpec] = Field(min_length=1)


class ThresholdSpec(_Strict):
    """Bounds on one score: ``at_least`` (inclusive) and ``below`` (exclusive)."""

    at_least: float | None = Field(default=None, ge=0)
    below: float | None = Field(default=None, gt=0)

    @model_validator(mode="after")
    def _some_bound(self) -> ThresholdSpec:
        if self.at_least is None and self.below is None:
            msg = "give 'at_least', 'below' or both"
            raise ValueError(msg)
        if self.at_least is not None and self.below is not None and self.below <= self.at_least:
            msg = f"'below' ({self.below:g}) must be above 'at_least' ({self.at_least:g})"
            raise ValueError(msg)
        return self


class SegmentSpec(_Strict):
    """A segment: thresholds on scores; the first segment in the file a person qualifies for is theirs."""

    description: str = ""
    label: str = Field(min_length=1, max_length=100)
    when: dict[str, ThresholdSpec] = Field(min_length=1)
    nurture: Match | None = Field(default=None, description="Interactions that show someone is in its nurture.")


class _Suppression(_Strict):
    description: str = ""
    scope: SuppressionScope


class ConsentDeniedSpec(_Suppression):
    """A consent denied in any system (or an event that means it) suppresses everywhere."""

    rule: Literal["consent_denied"]
    channel: Channel | None = None
    purposes: list[str] = Field(default_factory=lambda: ["*"], min_length=1)
    events: Match | None = None
    lifted_by_later_grant: bool = False


class EventSpec(_Suppression):
    """A matching interaction suppresses from when it happened, for ``lasts`` (or for good)."""

    rule: Literal["event"]
    match: Match
    lasts: Duration | None = None


class OpenTicketSpec(_Suppression):
    """A matching ticket open suppresses until it is solved plus ``resume_after``."""

    rule: Literal["open_ticket"]
    match: Match
    open: Match | None = None
    resume_after: Duration = Field(default="0d", validate_default=True)


class SegmentChangeSpec(_Suppression):
    """Someone in ``from``'s nurture who now belongs to another segment leaves that nurture."""

    rule: Literal["segment_change"]
    from_: str = Field(alias="from")
    to: list[str] | None = Field(default=None, min_length=1)
    within: Duration = Field(default="180d", validate_default=True)


class FrequencyCapSpec(_Suppression):
    """Once the messages received in ``window`` reach ``cap``, promotional contact stops until it passes."""

    rule: Literal["frequency_cap"]
    match: Match
    cap: int = Field(ge=1, le=10_000)
    window: Duration
    overridable: bool = True


SUPPRESSION_RULES: dict[str, type[_Suppression]] = {
    "consent_denied": ConsentDeniedSpec,
    "event": EventSpec,
    "open_ticket": OpenTicketSpec,
    "segment_change": SegmentChangeSpec,
    "frequency_cap": FrequencyCapSpec,
}


class AlertTargetSpec(_Strict):
    """Where an alert goes: an object created in a system, for the owner of the person's record there."""

    system: SystemName
    streams: list[str] = Field(min_length=1, description="Streams of the person's record there, preferred first.")
    object: str = Field(default="Task", min_length=1)
    assign_to: Literal["owner"] = "owner"


class AlertSuppressSpec(_Strict):
    """The suppression an alert's occurrence holds until it is solved plus ``resume_after``."""

    reason: str = Field(pattern=NAME_PATTERN)
    scope: SuppressionScope
    resume_after: Duration = Field(default="0d", validate_default=True)


class AlertSpec(_Strict):
    """An alert raised once per matching interaction (a complaint)."""

    description: str = ""
    match: Match
    open: Match | None = None
    within: Duration = Field(default="30d", validate_default=True)
    target: AlertTargetSpec
    subject: str = Field(min_length=1, max_length=255)
    text: str = Field(min_length=1, max_length=4000)
    suppress: AlertSuppressSpec | None = None
