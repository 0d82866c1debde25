"""Reading the preference centre's forms: only the values a form offers, or 400 naming the field.

    read_preferences(form, held)           the preferences the form asks for (``{name: value}``)
    read_consents(form)                    ``[(channel, purpose, status)]`` the form answers
    read_grant(form, systems=...)          ``(system, parts, purposes)``
    read_system(value, systems=...)        a system the page lists
    check_topic(topic)                     a topic as the ledger takes it

Every problem is collected and raised once as ``FormRefused`` (an HTTP 400) whose
message reads in the page's words: ``weekly cap: takes a whole number from 0 to 1000``.
Nothing is recorded when a form is refused. Removing a protection (a weekly limit,
quiet hours) is its own choice on the form (a ``*_none`` checkbox): an empty field
alone never clears one that is held.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Mapping
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from fastapi import HTTPException

from core.ledger.statements import statement_schema
from core.ledger.vocabulary import ConsentChoice, LedgerChannel, Part, Purpose

__all__ = [
    "GRANTABLE",
    "FormRefused",
    "check_topic",
    "read_consents",
    "read_grant",
    "read_preferences",
    "read_system",
]

GRANTABLE = [p for p in Part if p is not Part.PROTECTIONS]
"""Parts a person may grant (protections are always written and need no grant)."""


def _weekly_cap_bound() -> int:
    """The largest weekly cap a statement may hold, as the statement schema says."""
    preferences = statement_schema()["allOf"][1]["then"]["allOf"]
    (rule,) = [r for r in preferences if r["if"]["properties"]["name"].get("const") == "weekly_cap"]
    return int(rule["then"]["properties"]["value"]["maximum"])


# the form refuses what the statement schema would: the same bounds and patterns, read from it
MAX_WEEKLY_CAP = _weekly_cap_bound()
_CLOCK = re.compile(statement_schema()["$defs"]["clock"]["pattern"])
_TOPIC = re.compile(statement_schema()["properties"]["topic"]["pattern"])
_CHECKED = ("", "on")


class FormRefused(HTTPException):
    """A form value the page never offers: 400, each problem in the page's words."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__(status_code=400, detail="Nothing was saved: " + "; ".join(problems) + ".")
        self.problems = problems


def _one_of(values: Iterable[str]) -> str:
    return ", ".join(str(v) for v in values)


def _weekly_cap(text: str, *, remove: bool, held: int | None, problems: list[str]) -> int | None:
    text = text.strip()
    if text and not (text.isdigit() and int(text) <= MAX_WEEKLY_CAP):
        problems.append(f"weekly cap: takes a whole number from 0 to {MAX_WEEKLY_CAP} (at most {MAX_WEEKLY_CAP})")
        return held
    if remove:
        return None
    if text:
        return int(text)
    if held is not None:
        problems.append(
            f"weekly cap: takes a whole number from 0 to {MAX_WEEKLY_CAP}; to remove your limit, tick 'no weekly limit'"
        )
    return held


def _quiet_hours(form: Mapping[str, str], *, remove: bool, held: Any, problems: list[str]) -> Any:
    fields = {
        "quiet hours from": form.get("quiet_start", "").strip(),
        "quiet hours to": form.get("quiet_end", "").strip(),
    }
    timezone = form.get("timezone", "").strip()
    if remove:
        return None
    if not any(fields.values()) and not timezone:
        if held is not None:
            problems.append("quiet hours: give from, to and timezone; to remove them, tick 'no quiet hours'")
        return held
    found = len(problems)
    for name, value in fields.items():
        if not value:
            problems.append(f"{name}: is required with the rest of quiet hours (a time such as 21:00)")
        elif not _CLOCK.match(value):
            problems.append(f"{name}: takes a time such as 21:00 (00:00 to 23:59)")
    if not timezone:
        problems.append("timezone: is required with quiet hours (a name such as Europe/London)")
    else:
        try:
            ZoneInfo(timezone)
        except (ZoneInfoNotFoundError, ValueError):
            problems.append(f"timezone: {timezone[:64]!r} is not known; give a name such as Europe/London")
    if len(problems) > found:
        return held
    return {"start": fields["quiet hours from"], "end": fields["quiet hours to"], "timezone": timezone}


def read_preferences(form: Mapping[str, str], held: Mapping[str, Any]) -> dict[str, Any]:
    """Return the preferences the form asks for, by ledger name (``weekly_cap``, ``quiet_hours``...).

    Args:
        form: The posted fields.
        held: The preferences in force, by the same names (to keep what an empty field does not change).

    Raises:
        FormRefused: A field holds a value the form never offers; every problem is named.
    """
    problems: list[str] = []
    channel = form.get("preferred_channel", "")
    if channel and channel not in LedgerChannel.__members__.values():
        problems.append(f"preferred channel: takes one of {_one_of(LedgerChannel)}, or no preference")
    never_call = form.get("never_call", "")
    if never_call not in _CHECKED:
        problems.append("never call: is a checkbox (ticked or not)")
    removes = {name: form.get(name, "") for name in ("weekly_cap_none", "quiet_hours_none")}
    for name, value in removes.items():
        if value not in _CHECKED:
            problems.append(f"{name.removesuffix('_none').replace('_', ' ')}: 'no ...' is a checkbox (ticked or not)")
    wanted = {
        "preferred_channel": channel or None,
        "quiet_hours": _quiet_hours(form, remove=removes["quiet_hours_none"] == "on", held=held["quiet_hours"],
                                    problems=problems),
        "weekly_cap": _weekly_cap(form.get("weekly_cap", ""), remove=removes["weekly_cap_none"] == "on",
                                  held=held["weekly_cap"], problems=problems),
        "never_call": never_call == "on",
    }  # fmt: skip
    if problems:
        raise FormRefused(problems)
    return wanted


def read_consents(form: Mapping[str, str]) -> list[tuple[str, str, str]]:
    """Return ``(channel, purpose, status)`` for each consent the form answers (``not said`` is left out).

    Raises:
        FormRefused: A field names a channel or purpose the form does not have, or an answer it does not offer.
    """
    problems: list[str] = []
    answers = []
    for name, value in form.items():
        if not name.startswith("consent__"):
            continue
        _, channel, purpose = ([*name.split("__"), "", ""])[:3]
        if channel not in LedgerChannel.__members__.values() or purpose not in Purpose.__members__.values():
            problems.append(
                f"consent {channel[:20]} {purpose[:20]}: the form asks about channels {_one_of(LedgerChannel)} "
                f"and purposes {_one_of(Purpose)}"
            )
        elif value and value not in ConsentChoice.__members__.values():
            problems.append(f"consent {channel} {purpose}: takes yes (given), no (withdrawn) or not said")
        elif value:
            answers.append((channel, purpose, value))
    if problems:
        raise FormRefused(problems)
    return answers


def read_system(value: str, *, systems: Collection[str]) -> str:
    """Return ``value`` when it is a system the page lists.

    Raises:
        FormRefused: It is not.
    """
    if value not in systems:
        raise FormRefused([f"system: takes one of the systems listed on your page ({_one_of(systems) or 'none'})"])
    return value


def read_grant(
    system: str, parts: list[str], purposes: list[str], *, systems: Collection[str]
) -> tuple[str, list[str], list[str]]:
    """Return the grant the form asks for: a listed system, grantable parts, known purposes (at least one each).

    Raises:
        FormRefused: Any of them is not what the form offers.
    """
    problems: list[str] = []
    if system not in systems:
        problems.append(f"system: takes one of the systems listed on your page ({_one_of(systems) or 'none'})")
    grantable = [p.value for p in GRANTABLE]
    bad_parts = [p for p in parts if p not in grantable]
    if not parts or bad_parts:
        given = f"{bad_parts[0][:40]!r} is not a part you can grant; " if bad_parts else ""
        problems.append(f"parts: {given}tick one or more of {_one_of(grantable)}")
    bad_purposes = [p for p in purposes if p not in Purpose.__members__.values()]
    if not purposes or bad_purposes:
        given = f"{bad_purposes[0][:40]!r} is not a purpose; " if bad_purposes else ""
        problems.append(f"purposes: {given}tick one or more of {_one_of(Purpose)}")
    if problems:
        raise FormRefused(problems)
    return system, list(dict.fromkeys(parts)), list(dict.fromkeys(purposes))


def check_topic(topic: str) -> str:
    """Return the topic in lower case.

    Raises:
        FormRefused: It is not lower-case words (letters, digits, spaces, - and _; up to 100 characters).
    """
    cleaned = topic.strip().lower()
    if not _TOPIC.match(cleaned):
        raise FormRefused(["topic: takes words of letters and digits (spaces, - and _ allowed), up to 100 characters"])
    return cleaned
