"""Suppression rules: decisions not to contact a person, each with a reason a person can read.

    consent_denied   a consent denied in any system (or an event that means it, such as
                     an unsubscribe) suppresses the scope everywhere
    event            a matching interaction (a bounce, a spam report) suppresses from when
                     it happened, for ``lasts`` or for good
    open_ticket      a matching ticket open pauses contact until it is solved plus
                     ``resume_after``
    segment_change   someone still in a segment's nurture who now belongs to another
                     segment leaves that nurture (only that nurture is stopped)
    frequency_cap    once the messages received across systems in ``window`` reach the
                     cap (the person's own, when they set one), promotional contact stops
                     until enough of them age out of the window

Each rule gives at most one suppression, named after the rule, in force at the
evaluation time: its ``since`` is when the earliest cause in force began and its
``until`` when the last one ends (``None`` while a cause lasts).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Protocol

from core.canonical import Channel, Consent, ConsentStatus, Interaction, SuppressionScope
from core.policy.context import Context, Window, cited, listed, merge_windows
from core.policy.durations import describe_duration, describe_time
from core.policy.matching import Matcher, Pattern
from core.policy.results import Contribution, Explanation, PolicySuppression
from core.policy.scores import Segment
from core.policy.view import InteractionView

__all__ = [
    "ConsentDeniedRule",
    "EventRule",
    "FrequencyCapRule",
    "OpenTicketRule",
    "SegmentChangeRule",
    "SuppressionRule",
    "decide",
    "ticket_windows",
]

Decision = tuple[PolicySuppression, Explanation] | None


class SuppressionRule(Protocol):
    """A named rule that may suppress contact."""

    @property
    def reason(self) -> str:
        """The rule's name, the suppression's reason."""
        ...

    @property
    def scope(self) -> SuppressionScope:
        """What the suppression stops."""
        ...

    def evaluate(self, ctx: Context) -> Decision:
        """Return the suppression in force and why, or ``None``."""
        ...


def decide(rule: str, scope: SuppressionScope, windows: list[Window], ctx: Context, *, lead: str) -> Decision:
    """Join the windows in force into the rule's one suppression, its detail led by ``lead``."""
    merged = merge_windows(windows, ctx.now)
    if merged is None:
        return None
    since, until, longest = merged
    active = [w for w in windows if w.since <= ctx.now and (w.until is None or ctx.now < w.until)]
    detail = f"{lead}: {listed([w.text for w in active])}"
    suppression = PolicySuppression(scope, rule, detail, since, until, longest.source)
    contributions = tuple(w.contribution for w in active)
    return suppression, Explanation(f"suppression.{rule}", detail, contributions)


@dataclass(frozen=True, slots=True)
class ConsentDeniedRule:
    """A denial anywhere is a denial everywhere: ``unsubscribed_anywhere``.

    Example: HubSpot records Tomas's unsubscribe from marketing email; Salesforce,
    Zendesk and Mixpanel know nothing of it. This rule suppresses his marketing in every
    system from the time HubSpot gives. With ``lifted_by_later_grant``, a later grant of
    the same channel and purpose (in any system) lifts it.
    """

    reason: str
    scope: SuppressionScope
    channel: Channel | None
    purposes: tuple[Pattern, ...]
    events: Matcher | None = None
    lifted_by_later_grant: bool = False

    def evaluate(self, ctx: Context) -> Decision:
        """Return the suppression from the earliest denial still standing, or ``None``."""
        windows = [self._consent_window(c) for c in self._denials(ctx)]
        if self.events is not None:
            windows += [self._event_window(view.interaction) for view in ctx.matching(self.events)]
        windows.sort(key=lambda w: (w.since, str(w.source)))
        what = f"{self.channel.value} " if self.channel is not None else ""
        return decide(
            self.reason, self.scope, windows, ctx, lead=f"{what}consent withdrawn, so suppressed in every system"
        )

    def _applies(self, consent: Consent) -> bool:
        if self.channel is not None and consent.channel is not self.channel:
            return False
        return any(p.matches(consent.purpose) for p in self.purposes)

    def _denials(self, ctx: Context) -> list[Consent]:
        denials = [c for c in ctx.consents if c.status is ConsentStatus.DENIED and self._applies(c)]
        if not self.lifted_by_later_grant:
            return denials
        grants = [c for c in ctx.consents if c.status is ConsentStatus.GRANTED and self._applies(c)]
        return [
            d for d in denials
            if not any(g.at > d.at and g.channel is d.channel and g.purpose.casefold() == d.purpose.casefold()
                       for g in grants)
        ]  # fmt: skip

    def _consent_window(self, consent: Consent) -> Window:
        text = f"{consent.purpose} {consent.channel.value} denied in {consent.source.system} on {describe_time(consent.at)}"
        contribution = Contribution(consent.source, consent.at, f"consent {consent.channel.value}/{consent.purpose}")
        return Window(consent.at, None, consent.source, text, contribution)

    def _event_window(self, item: Interaction) -> Window:
        text = f"{item.type} in {item.source.system} on {describe_time(item.occurred_at)}"
        return Window(item.occurred_at, None, item.source, text, Contribution(item.source, item.occurred_at, item.type))


@dataclass(frozen=True, slots=True)
class EventRule:
    """A matching interaction suppresses from when it happened, for ``lasts`` or for good.

    Example: a hard bounce in HubSpot (``type: BOUNCE``) stops marketing email in every
    system; with ``lasts: 90d`` the address is tried again 90 days after the last bounce.
    """

    reason: str
    scope: SuppressionScope
    matcher: Matcher
    lasts: timedelta | None = None

    def evaluate(self, ctx: Context) -> Decision:
        """Return the suppression from the matching interactions in force, or ``None``."""
        windows = []
        for view in ctx.matching(self.matcher):
            item = view.interaction
            until = item.occurred_at + self.lasts if self.lasts is not None else None
            text = f"{cited(view)} in {item.source.system}"
            windows.append(Window(item.occurred_at, until, item.source, text,
                                  Contribution(item.source, item.occurred_at, item.type)))  # fmt: skip
        lasting = f"for {describe_duration(self.lasts)}" if self.lasts is not None else "for good"
        return decide(self.reason, self.scope, windows, ctx, lead=f"suppressed in every system {lasting}")


@dataclass(frozen=True, slots=True)
class OpenTicketRule:
    """A matching ticket open pauses contact until it is solved plus ``resume_after``.

    Example: Maya's urgent ticket "SSO login fails for our whole team" is open, so her
    nurture is paused (``until`` empty); once it is solved on 1 October with
    ``resume_after: 3d``, the pause ends on 4 October.
    """

    reason: str
    scope: SuppressionScope
    matcher: Matcher
    resume_after: timedelta
    is_open: Matcher | None = None

    def evaluate(self, ctx: Context) -> Decision:
        """Return the pause in force, or ``None``."""
        windows = ticket_windows(ctx, ctx.matching(self.matcher), self.is_open or ctx.is_open, self.resume_after,
                                 label=self.reason)  # fmt: skip
        after = f" plus {describe_duration(self.resume_after)}" if self.resume_after else ""
        return decide(self.reason, self.scope, windows, ctx, lead=f"paused until solved{after}")


def ticket_windows(
    ctx: Context, views: list[InteractionView], is_open: Matcher, resume_after: timedelta, *, label: str
) -> list[Window]:
    """Return one window per ticket: from its creation while open, else until solved plus ``resume_after``."""
    windows: list[Window] = []
    for view in views:
        item = view.interaction
        contribution = Contribution(item.source, item.occurred_at, label)
        priority = f", priority {item.priority}" if item.priority else ""
        if is_open.test(view):
            windows.append(
                Window(item.occurred_at, None, item.source, f"{cited(view)} is open{priority}", contribution)
            )
            continue
        solved = ctx.solved_time(view)
        ends = max(solved + resume_after, item.occurred_at)
        text = f"{cited(view)} was solved on {describe_time(solved)}; contact resumes {describe_time(ends)}"
        windows.append(Window(item.occurred_at, ends, item.source, text, contribution))
    return windows


@dataclass(frozen=True, slots=True)
class SegmentChangeRule:
    """Someone in the ``source`` segment's nurture who now belongs to another segment leaves it.

    Example: Maya downloaded the beginner guide and receives the "Getting started
    nurture"; her enterprise-page views now make her an "enterprise buyer", so the
    beginner nurture is suppressed for her (only that nurture: ``nurture`` names it),
    from the time she became an enterprise buyer.
    """

    reason: str
    scope: SuppressionScope
    source: Segment
    to: frozenset[str] | None
    within: timedelta

    def evaluate(self, ctx: Context) -> Decision:
        """Return the suppression of the old nurture, or ``None``."""
        current = ctx.segments[0] if ctx.segments else None
        if current is None or current.name == self.source.name or (self.to is not None and current.name not in self.to):
            return None
        assert self.source.nurture is not None  # the compiler requires it
        evidence = ctx.matching(self.source.nurture, self.within)
        if not evidence:
            return None
        moments = [m for m in (current.since, evidence[0].interaction.occurred_at) if m is not None]
        since = min(max(moments), ctx.now)
        detail = (
            f"now '{current.label}' (since {describe_time(current.since or since)}), so the '{self.source.label}' "
            f"nurture no longer fits: {len(evidence)} of its messages in the last {describe_duration(self.within)}, "
            f"the latest {cited(evidence[-1])}"
        )
        contributions = tuple(
            Contribution(v.interaction.source, v.interaction.occurred_at, "nurture") for v in evidence
        )
        suppression = PolicySuppression(self.scope, self.reason, detail, since, None, evidence[-1].interaction.source,
                                        nurture=self.source.name)  # fmt: skip
        return suppression, Explanation(f"suppression.{self.reason}", detail, contributions)


@dataclass(frozen=True, slots=True)
class FrequencyCapRule:
    """Promotional contact stops once the messages received in ``window`` reach the cap.

    Example: cap 3 in 7 days; messages on 1, 2 and 5 October reach it on 5 October; it
    holds until 8 October, when the message of 1 October leaves the window.
    """

    reason: str
    scope: SuppressionScope
    matcher: Matcher
    cap: int
    window: timedelta
    overridable: bool = True

    def evaluate(self, ctx: Context) -> Decision:
        """Return the suppression while the cap is reached, or ``None``."""
        own = ctx.input.overrides.frequency_cap if self.overridable else None
        cap = own or self.cap
        views = ctx.matching(self.matcher)
        found = _capped(tuple(v.ts for v in views), cap, self.window.total_seconds())
        if found is None:
            return None
        since = views[found[0]].interaction.occurred_at
        until = views[found[1]].interaction.occurred_at + self.window
        if ctx.now >= until:
            return None
        cutoff = ctx.now_ts - self.window.total_seconds()
        recent = [v for v in views if v.ts > cutoff]
        whose = "the person's own" if own else "the policy's"
        detail = (
            f"{len(recent)} messages in the last {describe_duration(self.window)} reached {whose} cap of {cap}; "
            f"promotional contact resumes {describe_time(until)}: the latest {cited(recent[-1])}"
        )
        contributions = tuple(Contribution(v.interaction.source, v.interaction.occurred_at, "message") for v in recent)
        suppression = PolicySuppression(self.scope, self.reason, detail, since, until, recent[-1].interaction.source)
        return suppression, Explanation(f"suppression.{self.reason}", detail, contributions)


def _capped(times: tuple[float, ...], cap: int, window: float) -> tuple[int, int] | None:
    """Find the latest stretch in which the messages in a window reached ``cap``.

    ``times`` are ascending. At a message's time ``t``, the messages in
    ``(t - window, t]`` are counted; when they reach the cap, the stretch lasts until
    the cap-th most recent of them leaves the window. A stretch that lapses before the
    next message reaches the cap again ends there.

    Returns:
        ``(index of the message that started the stretch, index of the message whose
        leaving the window ends it)``, or ``None`` when the cap was never reached.
    """
    since: int | None = None
    until = float("-inf")
    first = 0
    ends = 0
    for index, t in enumerate(times):
        while times[first] <= t - window:
            first += 1
        if index - first + 1 >= cap:
            if since is None or t >= until:
                since = index
            ends = index - cap + 1
            until = times[ends] + window
    return None if since is None else (since, ends)
