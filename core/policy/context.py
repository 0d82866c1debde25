"""One evaluation's working state: the person's prepared interactions and consents at one time.

Built once per person by ``PolicySet.evaluate``; every rule reads it and none changes
it, except the engine, which adds the segments once the scores are known.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from core.canonical import Consent, RecordRef
from core.policy.durations import describe_time
from core.policy.inputs import PolicyInput
from core.policy.matching import Matcher
from core.policy.results import Contribution, SegmentMatch
from core.policy.view import InteractionView, Reader

__all__ = ["Context", "Window", "cited", "listed", "merge_windows"]


@dataclass
class Context:
    """What the rules read while evaluating one person.

    Attributes:
        input: The person.
        now: The evaluation time (from the caller's clock).
        now_ts: ``now`` as a POSIX timestamp.
        views: Their interactions, prepared (``view.prepare``), oldest first.
        by_kind: The same, grouped by interaction kind.
        consents: Their consents in force by ``now``, oldest first.
        is_open: Whether a ticket is still open (``defaults.open``).
        solved_at: Reads a ticket's solved time (``fields.solved_at``).
        segments: The segments they qualify for, primary first (set by the engine).
    """

    input: PolicyInput
    now: datetime
    now_ts: float
    views: tuple[InteractionView, ...]
    by_kind: dict[str, list[InteractionView]]
    consents: tuple[Consent, ...]
    is_open: Matcher
    solved_at: Reader
    segments: tuple[SegmentMatch, ...] = field(default=())

    def matching(self, matcher: Matcher, within: timedelta | None = None) -> list[InteractionView]:
        """Return the interactions ``matcher`` matches, oldest first (only those within ``within`` of now)."""
        kinds = matcher.kinds
        if kinds is None:
            candidates: Sequence[InteractionView] = self.views
            test = matcher.test
        else:
            one = len(kinds) == 1
            candidates = self.by_kind.get(next(iter(kinds)), ()) if one else [v for v in self.views if v.kind in kinds]
            test = matcher.given_kind
        if within is None:
            return [view for view in candidates if test(view)]
        cutoff = self.now_ts - within.total_seconds()
        return [view for view in candidates if view.ts >= cutoff and test(view)]

    def solved_time(self, view: InteractionView) -> datetime:
        """When a ticket that is no longer open was solved: ``fields.solved_at``, else its last update."""
        found = self.solved_at(view)
        if isinstance(found, datetime):
            return found
        item = view.interaction
        return item.updated_at or item.occurred_at


@dataclass(frozen=True, slots=True)
class Window:
    """One cause of a suppression: from ``since`` until ``until`` (``None``: while the cause lasts)."""

    since: datetime
    until: datetime | None
    source: RecordRef | None
    text: str
    contribution: Contribution


def merge_windows(windows: Sequence[Window], now: datetime) -> tuple[datetime, datetime | None, Window] | None:
    """Join the windows in force at ``now`` into one: the earliest start and the latest end.

    Returns:
        ``(since, until, the window that lasts longest)``, or ``None`` when none is in force.
    """
    active = [w for w in windows if w.since <= now and (w.until is None or now < w.until)]
    if not active:
        return None
    since = min(w.since for w in active)
    open_ended = [w for w in active if w.until is None]
    if open_ended:
        return since, None, open_ended[0]
    last = max(active, key=lambda w: (w.until, str(w.source)))
    return since, last.until, last


def cited(view: InteractionView) -> str:
    """Name an interaction for a sentence: ``ticket 'SSO login fails' (zendesk/tickets/9001, 2026-10-01 09:15 UTC)``."""
    item = view.interaction
    subject = f" '{_cut(item.subject)}'" if item.subject else ""
    return f"{item.type}{subject} ({item.source}, {describe_time(item.occurred_at)})"


def _cut(text: str, size: int = 80) -> str:
    return text if len(text) <= size else text[: size - 1] + "…"


def listed(parts: Sequence[Any], *, most: int = 3) -> str:
    """Join up to ``most`` parts with commas, then say how many more there are."""
    shown = ", ".join(str(p) for p in parts[:most])
    return shown + (f" and {len(parts) - most} more" if len(parts) > most else "")
