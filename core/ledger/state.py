"""The state in force of one person's ledger, computed from their statements; and what it permits.

    compute_state(profile_id, statements, at=, mode=) -> LedgerState      (pure)
    LedgerState.permits(system, part, purpose, channel=) -> Permission
    LedgerState.preferences                                -> Preferences (plain values)
    LedgerState.writeback_values()                         -> {"ledger.quiet_hours": ..., ...}

Each thing a statement can be about is a *slot*: a consent per (channel, purpose), a
preference per name, an interest per topic, a grant per (system, purpose, part). The
statement in force for a slot is the one with the highest rank (the customer's own
statement outranks an observation), then the latest ``at``, then the latest recorded.
Statements made after ``at`` are not yet in force, so a state can be asked for any moment.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from core.ledger.statements import Statement, iso, parse_time
from core.ledger.vocabulary import (
    ConsentChoice,
    LedgerChannel,
    Mode,
    Part,
    PermissionCode,
    PreferenceName,
    Purpose,
    Stance,
    StatementType,
)

__all__ = ["Decided", "LedgerState", "Permission", "Preferences", "QuietHours", "compute_state"]

_Order = tuple[int, datetime, int]


@dataclass(frozen=True, slots=True)
class Decided:
    """What one slot holds, and the statement that put it there."""

    value: Any
    statement_id: str
    source: str
    at: datetime
    expires_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class QuietHours:
    """Hours not to contact the person, in their own timezone (may span midnight: 21:00-08:00)."""

    start: time
    end: time
    timezone: str

    def contains(self, moment: datetime) -> bool:
        """Return whether ``moment`` (aware) falls inside the quiet hours, read in the person's timezone."""
        local = moment.astimezone(ZoneInfo(self.timezone)).time()
        if self.start <= self.end:
            return self.start <= local < self.end
        return local >= self.start or local < self.end

    def __str__(self) -> str:
        """Render as ``21:00-08:00 Europe/London``."""
        return f"{self.start:%H:%M}-{self.end:%H:%M} {self.timezone}"


@dataclass(frozen=True, slots=True)
class Preferences:
    """A person's communication preferences and interests in force, as plain values."""

    preferred_channel: LedgerChannel | None = None
    quiet_hours: QuietHours | None = None
    weekly_cap: int | None = None
    never_call: bool = False
    interests: tuple[str, ...] = ()
    topics_to_avoid: tuple[str, ...] = ()

    def writeback_values(self) -> dict[str, Any]:
        """Return the ``ledger.*`` write-back source values (None or empty where nothing is set)."""
        quiet = self.quiet_hours
        return {
            "ledger.preferred_channel": None if self.preferred_channel is None else self.preferred_channel.value,
            "ledger.interests": list(self.interests),
            "ledger.quiet_hours": None if quiet is None else str(quiet),
            "ledger.quiet_hours_start": None if quiet is None else f"{quiet.start:%H:%M}",
            "ledger.quiet_hours_end": None if quiet is None else f"{quiet.end:%H:%M}",
            "ledger.timezone": None if quiet is None else quiet.timezone,
            "ledger.weekly_cap": self.weekly_cap,
            "ledger.never_call": self.never_call,
            "ledger.topics_to_avoid": list(self.topics_to_avoid),
        }


@dataclass(frozen=True, slots=True)
class Permission:
    """Whether one write may happen, why, and the statement that decided it (None when none did)."""

    allowed: bool
    code: PermissionCode
    reason: str
    statement_id: str | None = None


@dataclass(frozen=True)
class LedgerState:
    """A person's ledger in force at ``at``: consents, preferences, grants; see the module docstring.

    Attributes:
        profile_id: The surviving profile the state is of.
        at: The moment it is computed for.
        mode: How writes are decided while no grant is held.
        consents: ``{(channel, purpose): Decided(ConsentChoice)}``.
        preferences: The preferences and interests in force.
        grant_slots: ``{(system, purpose, part): Decided(True for granted, False for revoked)}``.
        holds_grants: Whether any grant or revocation has been stated.
        statements: How many statements the state was computed from.
    """

    profile_id: str
    at: datetime
    mode: Mode = Mode.OBSERVED_CONSENT
    consents: Mapping[tuple[LedgerChannel, Purpose], Decided] = field(default_factory=dict)
    preferences: Preferences = field(default_factory=Preferences)
    grant_slots: Mapping[tuple[str, Purpose, Part], Decided] = field(default_factory=dict)
    holds_grants: bool = False
    statements: int = 0

    def consent(self, channel: LedgerChannel, purpose: Purpose) -> ConsentChoice | None:
        """Return the consent in force for a channel and purpose (None when never stated or observed)."""
        found = self.consents.get((LedgerChannel(channel), Purpose(purpose)))
        return None if found is None else ConsentChoice(found.value)

    def permits(
        self, system: str, part: Part | str, purpose: Purpose | str, *, channel: LedgerChannel | str | None = None
    ) -> Permission:
        """Return whether ``part`` of the profile may be written to ``system`` for ``purpose``.

        Protections are always permitted. A consent withdrawn for the purpose (on
        ``channel``, or on every channel the ledger holds a consent for when no channel
        is given) holds the write back. Then, once any grant is held (always, in strict
        mode), only a grant in force for (system, purpose, part) permits it.
        """
        part, purpose = Part(part), Purpose(purpose)
        if part is Part.PROTECTIONS:
            return _allow(PermissionCode.PROTECTIVE, "protections are always written")
        withdrawn = self._withdrawn(purpose, None if channel is None else LedgerChannel(channel))
        if withdrawn is not None:
            return withdrawn
        if not self.holds_grants:
            if self.mode is Mode.STRICT:
                reason = "no grant held: strict mode writes nothing personal without one"
                return _deny(PermissionCode.STRICT_MODE, reason)
            reason = "no grant held: observed-consent mode writes what consent allows"
            return _allow(PermissionCode.NO_GRANT_HELD, reason)
        return self._granted(system, part, purpose)

    def _withdrawn(self, purpose: Purpose, channel: LedgerChannel | None) -> Permission | None:
        if channel is not None:
            found = self.consents.get((channel, purpose))
            decided = [found] if found is not None else []
        else:
            decided = [d for (_, p), d in self.consents.items() if p is purpose]
        if not decided or any(d.value != ConsentChoice.WITHDRAWN for d in decided):
            return None
        latest = max(decided, key=lambda d: d.at)
        where = channel.value if channel is not None else "every channel"
        reason = f"{purpose.value} consent withdrawn on {where} ({latest.source}, {iso(latest.at)})"
        return _deny(PermissionCode.CONSENT_WITHDRAWN, reason, latest.statement_id)

    def _granted(self, system: str, part: Part, purpose: Purpose) -> Permission:
        found = self.grant_slots.get((system, purpose, part))
        what = f"{part.value} for {purpose.value} to {system}"
        if found is None:
            return _deny(PermissionCode.NOT_GRANTED, f"{what} is not granted")
        if not found.value:
            return _deny(PermissionCode.GRANT_REVOKED, f"{what} revoked at {iso(found.at)}", found.statement_id)
        if found.expires_at is not None and found.expires_at <= self.at:
            reason = f"the grant of {what} expired at {iso(found.expires_at)}"
            return _deny(PermissionCode.GRANT_EXPIRED, reason, found.statement_id)
        until = "" if found.expires_at is None else f" until {iso(found.expires_at)}"
        return _allow(PermissionCode.GRANTED, f"{what} granted{until}", found.statement_id)

    def grants(self) -> list[dict[str, Any]]:
        """Return the grants in force, one per granting statement: system, parts, purposes, expiry."""
        found: dict[str, dict[str, Any]] = {}
        for (system, purpose, part), decided in sorted(self.grant_slots.items()):
            in_force = decided.value and (decided.expires_at is None or decided.expires_at > self.at)
            if not in_force:
                continue
            entry = found.setdefault(
                decided.statement_id,
                {"system": system, "parts": [], "purposes": [], "statement_id": decided.statement_id,
                 "expires_at": None if decided.expires_at is None else iso(decided.expires_at)},
            )  # fmt: skip
            for key, value in (("parts", part.value), ("purposes", purpose.value)):
                if value not in entry[key]:
                    entry[key].append(value)
        return list(found.values())

    def granted_parts(self, system: str, purpose: Purpose | str) -> set[Part]:
        """Return the parts ``system`` may use for ``purpose`` under a grant in force."""
        return {part for part in Part if self._granted(system, part, Purpose(purpose)).allowed}

    def writeback_values(self) -> dict[str, Any]:
        """Return the ``ledger.*`` write-back source values: see ``Preferences.writeback_values``."""
        return self.preferences.writeback_values()

    def to_json(self) -> dict[str, Any]:
        """Return the state as JSON-ready data (``ledger show --json``, exports, the scoped API)."""
        prefs = self.preferences
        return {
            "profile_id": self.profile_id,
            "at": iso(self.at),
            "mode": self.mode.value,
            "consents": [
                {
                    "channel": ch.value,
                    "purpose": p.value,
                    "status": d.value,
                    "source": d.source,
                    "at": iso(d.at),
                    "statement_id": d.statement_id,
                }
                for (ch, p), d in sorted(self.consents.items())
            ],
            "preferences": {
                "preferred_channel": None if prefs.preferred_channel is None else prefs.preferred_channel.value,
                "quiet_hours": None if prefs.quiet_hours is None else str(prefs.quiet_hours),
                "weekly_cap": prefs.weekly_cap,
                "never_call": prefs.never_call,
            },
            "interests": list(prefs.interests),
            "topics_to_avoid": list(prefs.topics_to_avoid),
            "grants": self.grants(),
            "holds_grants": self.holds_grants,
            "statements": self.statements,
        }


def _allow(code: PermissionCode, reason: str, statement_id: str | None = None) -> Permission:
    return Permission(allowed=True, code=code, reason=reason, statement_id=statement_id)


def _deny(code: PermissionCode, reason: str, statement_id: str | None = None) -> Permission:
    return Permission(allowed=False, code=code, reason=reason, statement_id=statement_id)


def _slots(statement: Statement) -> Iterable[tuple[tuple[Any, ...], Any, datetime | None]]:
    """Yield ``(slot, value, expires_at)`` for every slot a statement decides."""
    body = statement.body
    kind = statement.type
    if kind is StatementType.CONSENT:
        yield ("consent", LedgerChannel(body["channel"]), Purpose(body["purpose"])), body["status"], None
    elif kind is StatementType.PREFERENCE:
        yield ("preference", PreferenceName(body["name"])), body["value"], None
    elif kind is StatementType.INTEREST:
        yield ("interest", body["topic"]), body["stance"], None
    else:
        granted = kind is StatementType.GRANT
        expires = parse_time(body["expires_at"]) if granted else None
        parts = body.get("parts") or [p.value for p in Part]
        purposes = body.get("purposes") or [p.value for p in Purpose]
        for purpose in purposes:
            for part in parts:
                yield ("grant", body["system"], Purpose(purpose), Part(part)), granted, expires


def _winners(statements: Iterable[Statement], at: datetime) -> tuple[dict[tuple[Any, ...], Decided], int, bool]:
    best: dict[tuple[Any, ...], tuple[_Order, Decided]] = {}
    count, holds_grants = 0, False
    for index, statement in enumerate(statements):
        if statement.at > at:
            continue
        count += 1
        holds_grants = holds_grants or statement.type in (StatementType.GRANT, StatementType.REVOKE)
        order = (int(statement.rank), statement.at, index)
        for slot, value, expires in _slots(statement):
            held = best.get(slot)
            if held is None or order > held[0]:
                decided = Decided(value, statement.statement_id, statement.source.value, statement.at, expires)
                best[slot] = (order, decided)
    return {slot: decided for slot, (_, decided) in best.items()}, count, holds_grants


def _quiet_hours(value: Any) -> QuietHours | None:
    if not value:
        return None
    return QuietHours(time.fromisoformat(value["start"]), time.fromisoformat(value["end"]), value["timezone"])


def _preferences(slots: Mapping[tuple[Any, ...], Decided]) -> Preferences:
    prefs = {slot[1]: d.value for slot, d in slots.items() if slot[0] == "preference"}
    topics = {slot[1]: d.value for slot, d in slots.items() if slot[0] == "interest"}
    channel = prefs.get(PreferenceName.PREFERRED_CHANNEL)
    return Preferences(
        preferred_channel=None if channel is None else LedgerChannel(channel),
        quiet_hours=_quiet_hours(prefs.get(PreferenceName.QUIET_HOURS)),
        weekly_cap=prefs.get(PreferenceName.WEEKLY_CAP),
        never_call=bool(prefs.get(PreferenceName.NEVER_CALL, False)),
        interests=tuple(sorted(t for t, s in topics.items() if s == Stance.INTERESTED)),
        topics_to_avoid=tuple(sorted(t for t, s in topics.items() if s == Stance.AVOID)),
    )


def compute_state(
    profile_id: str, statements: Iterable[Statement], *, at: datetime, mode: Mode = Mode.OBSERVED_CONSENT
) -> LedgerState:
    """Compute the state in force at ``at`` from a person's statements, given in the order they were recorded.

    Returns:
        The ``LedgerState``; statements made after ``at`` are left out.
    """
    slots, count, holds_grants = _winners(statements, at)
    return LedgerState(
        profile_id=profile_id,
        at=at,
        mode=Mode(mode),
        consents={(s[1], s[2]): d for s, d in slots.items() if s[0] == "consent"},
        preferences=_preferences(slots),
        grant_slots={(s[1], s[2], s[3]): d for s, d in slots.items() if s[0] == "grant"},
        holds_grants=holds_grants,
        statements=count,
    )
