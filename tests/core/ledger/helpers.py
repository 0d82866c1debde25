"""Statements and people for the ledger tests."""

from __future__ import annotations

from typing import Any

from core.store import ProfileInput, Store

PERSON = "cp_0000aaaa0000"
OTHER = "cp_0000bbbb0000"


def add_people(store: Store, *people: str) -> None:
    store.profiles.upsert([ProfileInput(p, {"first_name": {"value": "Ada"}}) for p in people or (PERSON,)], run_id=None)


def consent(
    status: str,
    *,
    at: str,
    kind: str = "customer",
    channel: str = "email",
    purpose: str = "marketing",
    person: str = PERSON,
    system: str | None = None,
) -> dict[str, Any]:
    source: dict[str, Any] = {"kind": kind}
    if system:
        source["system"] = system
    return {
        "person": person,
        "type": "consent",
        "source": source,
        "at": at,
        "channel": channel,
        "purpose": purpose,
        "status": status,
    }


def grant(
    system: str,
    *,
    at: str,
    expires: str = "2099-01-01T00:00:00Z",
    parts: list[str] | None = None,
    purposes: list[str] | None = None,
    person: str = PERSON,
) -> dict[str, Any]:
    return {
        "person": person,
        "type": "grant",
        "source": {"kind": "customer"},
        "at": at,
        "system": system,
        "parts": parts or ["identity", "contact"],
        "purposes": purposes or ["marketing"],
        "expires_at": expires,
    }


def revoke(system: str, *, at: str, person: str = PERSON, **extra: Any) -> dict[str, Any]:
    return {
        "person": person,
        "type": "revoke",
        "source": {"kind": "customer"},
        "at": at,
        "system": system,
        **extra,
    }


def preference(name: str, value: Any, *, at: str, kind: str = "customer", person: str = PERSON) -> dict[str, Any]:
    source: dict[str, Any] = {"kind": kind}
    if kind == "observation":
        source["system"] = "hubspot"
    return {"person": person, "type": "preference", "source": source, "at": at, "name": name, "value": value}
