"""A small part of Zendesk's search syntax, for ``users/search`` and ``search``.

A query is words and ``key:value`` terms, all of which must match (``"..."`` quotes a
value with spaces). ``type:user|ticket|organization`` picks what ``GET search`` returns;
``email:``, ``name:``, ``phone:``, ``external_id:``, ``role:``, ``tags:``/``tag:``,
``status:``, ``priority:``, ``requester:`` (an ID or email) and ``organization:`` (an ID
or name) compare one field; a bare word matches a name, email, phone or subject
containing it, ignoring case. ``*`` in a value or word stands for any characters, as in
Zendesk (``email:maya*``, ``name:*son``). ``users/search?query=`` finds by the same rules.
"""

from __future__ import annotations

import re
import shlex
from typing import Any

from sandbox.zendesk.account import Account, Record

__all__ = ["parse_query", "search_all", "user_matches"]

_TEXT_FIELDS = ("name", "email", "phone", "subject", "external_id", "description")


def parse_query(query: str) -> tuple[list[str], dict[str, str]]:
    """Split a query into bare words and ``key:value`` terms (keys lower-cased)."""
    try:
        parts = shlex.split(query)
    except ValueError:
        parts = query.split()
    words: list[str] = []
    terms: dict[str, str] = {}
    for part in parts:
        key, sep, value = part.partition(":")
        if sep and key and value:
            terms[key.lower()] = value
        else:
            words.append(part)
    return words, terms


def _pattern(text: str, *, whole: bool) -> re.Pattern[str]:
    """``text`` as a case-blind pattern, ``*`` standing for any characters; ``whole``: the value entire."""
    body = ".*".join(re.escape(part) for part in text.split("*"))
    return re.compile(f"^{body}$" if whole else body, re.IGNORECASE | re.DOTALL)


def _contains(record: Record, word: str) -> bool:
    pattern = _pattern(word, whole=False)
    return any(pattern.search(str(record.get(f) or "")) for f in _TEXT_FIELDS)


def _term(record: Record, key: str, value: str, account: Account | None) -> bool:
    wanted = value.lower()
    if key in {"tags", "tag"}:
        return wanted in [str(t).lower() for t in record.get("tags") or []]
    if key == "requester" and account is not None:
        user = account.users.get(int(value)) if value.isdigit() else account.user_by("email", value)
        return user is not None and record.get("requester_id") == user["id"]
    if key == "organization" and account is not None:
        org_id = record.get("organization_id")
        org = account.organizations.get(org_id) if isinstance(org_id, int) else None
        return org is not None and wanted in {str(org["id"]), str(org["name"]).lower()}
    actual = record.get(key)
    return actual is not None and _pattern(value, whole=True).match(str(actual)) is not None


def _matches(record: Record, query: str, account: Account | None) -> bool:
    words, terms = parse_query(query)
    terms.pop("type", None)
    return all(_contains(record, w) for w in words) and all(_term(record, k, v, account) for k, v in terms.items())


def user_matches(user: Record, query: str) -> bool:
    """Whether a user matches ``query`` (as ``users/search?query=`` reads it)."""
    return _matches(user, query, None)


def search_all(account: Account, query: str) -> list[tuple[str, Record]]:
    """Everything ``GET search?query=`` finds: (result type, record), users first."""
    _, terms = parse_query(query)
    kind = terms.get("type", "").lower()
    found: list[tuple[str, Record]] = []
    groups: tuple[tuple[str, Any], ...] = (
        ("user", account.live_users()),
        ("organization", (o for _, o in sorted(account.organizations.items()) if not o.get("deleted_at"))),
        ("ticket", (t for _, t in sorted(account.tickets.items()) if t.get("status") != "deleted")),
    )
    for result_type, records in groups:
        if kind and kind != result_type:
            continue
        found.extend((result_type, r) for r in records if _matches(r, query, account))
    return found
