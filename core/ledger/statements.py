"""Ledger statements: read from JSON, checked against the published JSON Schema, held as values.

    parse_statements(data, now=...)  -> list[Statement]   (raises StatementRejected, naming each field)
    Statement.body                   the statement as stored, hashed, signed and exported
    statement_schema()               the JSON Schema (statement.schema.json, docs/ledger.md)
    new_statement_id(now)            st_ + 12 hex digits of milliseconds + 16 random hex digits

A list is checked whole before anything is written: one bad statement refuses them all,
each problem reading ``statements[2].channel: 'fax' is not one of ...``.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from importlib.resources import files
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError

from core.ledger.errors import StatementRejected
from core.ledger.vocabulary import Rank, SourceKind, StatementType

__all__ = ["Statement", "iso", "new_statement_id", "parse_statements", "parse_time", "statement_schema"]


@cache
def statement_schema() -> dict[str, Any]:
    """Return the JSON Schema every statement is checked against."""
    text = files("core.ledger").joinpath("statement.schema.json").read_text(encoding="utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


@cache
def _validator() -> Draft202012Validator:
    return Draft202012Validator(statement_schema())


def iso(moment: datetime) -> str:
    """Render an aware datetime as RFC 3339 in UTC (``2024-05-01T09:30:00Z``)."""
    text = moment.astimezone(UTC).isoformat()
    return text.removesuffix("+00:00") + "Z"


def parse_time(text: str) -> datetime:
    """Parse an RFC 3339 time with a timezone into an aware UTC datetime.

    Raises:
        ValueError: When the text is not such a time.
    """
    value = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    if value.tzinfo is None:
        msg = f"time {text!r} has no timezone; add Z or an offset"
        raise ValueError(msg)
    return value.astimezone(UTC)


def new_statement_id(now: datetime) -> str:
    """Return a new statement ID: time-sortable, never reused (``st_`` + 28 hex digits)."""
    return f"st_{int(now.timestamp() * 1000):012x}{secrets.token_hex(8)}"


@dataclass(frozen=True, slots=True)
class Statement:
    """One validated statement.

    Attributes:
        statement_id: Its ID, kept across installations.
        person: The profile ID it was made for (as given; the ledger files it under the surviving profile).
        type: What it says.
        source: Who made it.
        at: When it was made (aware UTC).
        body: The whole statement as JSON: what is stored, hashed, signed and exported.
    """

    statement_id: str
    person: str
    type: StatementType
    source: SourceKind
    at: datetime
    body: Mapping[str, Any]

    @property
    def rank(self) -> Rank:
        """How much it weighs against other statements about the same thing."""
        return Rank.of(self.source)

    @property
    def signed(self) -> bool:
        """Whether the statement carries a signature."""
        return "signature" in self.body

    @classmethod
    def from_body(cls, body: Mapping[str, Any]) -> Statement:
        """Build a statement from a stored (already validated) body."""
        return cls(
            statement_id=str(body["statement_id"]),
            person=str(body["person"]),
            type=StatementType(body["type"]),
            source=SourceKind(body["source"]["kind"]),
            at=parse_time(str(body["at"])),
            body=body,
        )

    def unsigned_body(self) -> dict[str, Any]:
        """The body without its signature and import note: what a signature covers (in canonical JSON)."""
        return {k: v for k, v in self.body.items() if k not in ("signature", "imported")}


def _where(index: int | None, error: ValidationError) -> str:
    path = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in error.absolute_path)
    head = "statement" if index is None else f"statements[{index}]"
    return f"{head}{path}"


def _schema_problems(item: Any, index: int | None) -> list[str]:
    errors = sorted(_validator().iter_errors(item), key=lambda e: (list(map(str, e.absolute_path)), e.message))
    problems = []
    for error in errors:
        message = error.message
        if "propertyNames" in error.schema_path:
            message = f"{error.instance!r} is not a field of a {item.get('type')} statement"
        problems.append(f"{_where(index, error)}: {message}")
    return problems


def _semantic_problems(item: Mapping[str, Any], head: str, now: datetime) -> list[str]:
    problems = []
    times = {"at": item.get("at"), "expires_at": item.get("expires_at")}
    for name, text in times.items():
        if isinstance(text, str):
            try:
                parse_time(text)
            except ValueError as err:
                problems.append(f"{head}.{name}: {text!r} is not a time: {err}")
    value = item.get("value")
    if item.get("name") == "quiet_hours" and isinstance(value, dict) and isinstance(value.get("timezone"), str):
        try:
            ZoneInfo(value["timezone"])
        except (ZoneInfoNotFoundError, ValueError):
            problems.append(
                f"{head}.value.timezone: unknown timezone {value['timezone']!r}; use an IANA name such as Europe/London"
            )
    if not problems and isinstance(times["expires_at"], str):
        at = parse_time(times["at"]) if isinstance(times["at"], str) else now
        if parse_time(times["expires_at"]) <= at:
            problems.append(f"{head}.expires_at: {times['expires_at']!r} is not after the statement's time")
    return problems


def _complete(item: Mapping[str, Any], now: datetime) -> dict[str, Any]:
    body = dict(item)
    body.setdefault("statement_id", new_statement_id(now))
    body["at"] = iso(parse_time(body["at"])) if "at" in body else iso(now)
    if "expires_at" in body:
        body["expires_at"] = iso(parse_time(body["expires_at"]))
    return body


def parse_statements(data: Any, *, now: datetime) -> list[Statement]:
    """Check one statement (a JSON object) or a list of them, and return them as ``Statement`` values.

    Missing ``statement_id`` and ``at`` are filled in (a new ID; ``now``); times are
    rewritten in UTC.

    Raises:
        StatementRejected: When any statement breaks the schema or names an unknown
            timezone or an expiry before its own time; every problem is listed.
    """
    items: Sequence[Any] = data if isinstance(data, list) else [data]
    single = not isinstance(data, list)
    if not items:
        msg = "an empty list of statements"
        raise StatementRejected([f"statements: {msg}"], hint="give one statement object or a non-empty list")
    problems: list[str] = []
    for index, item in enumerate(items):
        where = None if single else index
        found = _schema_problems(item, where)
        if not found and isinstance(item, Mapping):
            found = _semantic_problems(item, "statement" if single else f"statements[{index}]", now)
        problems.extend(found)
    if problems:
        raise StatementRejected(problems)
    return [Statement.from_body(_complete(item, now)) for item in items]
