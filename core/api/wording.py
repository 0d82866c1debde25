"""The preference centre's words for what the ledger holds: statements, who made them, and when.

    history_rows(entries)   one row per statement, newest recorded first: when, what, who
    plain_time(moment)      ``7 Dec 2026 00:31 UTC``
    describe(body)          ``quiet hours 21:00 to 08:00 (Europe/London)`` (with an en dash), ``never call: yes``, ``email marketing: given``
    made_by(source)         ``you, in the preference centre``, ``recorded by an operator (jdoe): phoned us``

A row is labelled by when the statement was *recorded* (the history is in recording
order); a statement that says it was made at another time (backdated by an operator,
or imported) shows that time too: ``said 1 Apr 2024 08:00 UTC``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from core.ledger.chain import LedgerEntry
from core.ledger.statements import parse_time

__all__ = ["describe", "history_rows", "made_by", "plain_time"]

_SAME_TIME = timedelta(minutes=1)
_EN_DASH = "\u2013"
_STANCES = {"interested": "interested", "avoid": "avoid", "neutral": "no longer either"}


def plain_time(moment: datetime) -> str:
    """Render an aware time as ``7 Dec 2026 00:31 UTC``."""
    utc = moment.astimezone(UTC)
    return f"{utc.day} {utc:%b %Y %H:%M} UTC"


def _preference(name: str, value: Any) -> str:
    if name == "quiet_hours":
        if not isinstance(value, Mapping):
            return "quiet hours: none"
        return f"quiet hours {value.get('start')}{_EN_DASH}{value.get('end')} ({value.get('timezone')})"
    if name == "weekly_cap":
        return "weekly cap: none" if value is None else f"weekly cap: {value} a week"
    if name == "never_call":
        return f"never call: {'yes' if value else 'no'}"
    if name == "preferred_channel":
        return f"preferred channel: {value or 'no preference'}"
    return f"{name.replace('_', ' ')}: {value}"


def _listed(values: Any, everything: str) -> str:
    return ", ".join(str(v) for v in values) if values else everything


def describe(body: Mapping[str, Any]) -> str:
    """Say what a statement says, in plain words."""
    kind = body.get("type")
    if kind == "preference":
        return _preference(str(body.get("name")), body.get("value"))
    if kind == "consent":
        return f"{body.get('channel')} {body.get('purpose')}: {body.get('status')}"
    if kind == "interest":
        return f"{body.get('topic')}: {_STANCES.get(str(body.get('stance')), body.get('stance'))}"
    if kind == "grant":
        until = plain_time(parse_time(str(body["expires_at"]))) if body.get("expires_at") else "revoked"
        parts, purposes = _listed(body.get("parts"), "everything"), _listed(body.get("purposes"), "every purpose")
        return f"granted {body.get('system')} {parts} for {purposes}, until {until}"
    if kind == "revoke":
        parts, purposes = _listed(body.get("parts"), "everything"), _listed(body.get("purposes"), "every purpose")
        return f"revoked {body.get('system')}: {parts} for {purposes}"
    return str(kind)


def made_by(source: Mapping[str, Any]) -> str:
    """Say who made a statement."""
    kind = source.get("kind")
    if kind == "preference_centre":
        return "you, in the preference centre"
    if kind == "observation":
        return f"seen in {source.get('system')}"
    if source.get("reason"):
        return f"recorded by an operator ({source.get('by', 'unknown')}): {source['reason']}"
    return f"you, recorded for you by {source['by']}" if source.get("by") else "you"


def history_rows(entries: Sequence[LedgerEntry], *, limit: int = 100) -> list[dict[str, str]]:
    """Return the newest ``limit`` statements as rows ``{when, said, what, who}``, newest recorded first."""
    rows = []
    for entry in sorted(entries, key=lambda e: e.entry_id, reverse=True)[:limit]:
        body = entry.statement.body
        stated = entry.statement.at
        differs = abs(stated - entry.recorded_at) > _SAME_TIME
        rows.append({
            "when": plain_time(entry.recorded_at), "said": plain_time(stated) if differs else "",
            "what": describe(body), "who": made_by(body.get("source") or {}),
        })  # fmt: skip
    return rows
