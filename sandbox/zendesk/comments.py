"""Ticket comments and audits: what was said on a ticket, and the record of every change to it.

As in Zendesk, a ticket's first comment is its description, written by its requester when
the ticket was made, and the ticket's creation is its first audit. Seeded tickets store
neither: both are read from the ticket until an update adds more. Each update through the
API (``PUT tickets/{id}``) is one audit by the signed-in admin: a ``Comment`` event when it
carries a ``comment`` (kept in the ticket's comments), and a ``Change`` event for every field
whose value it changes (``field_name``, ``value``, ``previous_value``). A requester's
satisfaction rating is one audit by the requester with a ``SatisfactionRating`` event
(``score``, ``assignee_id``, ``body``).
"""

from __future__ import annotations

import html
from datetime import datetime
from typing import Any

from sandbox.zendesk.account import ADMIN_USER_ID, Account, Record

__all__ = ["audits_of", "comments_of", "creation_audit", "record_rating", "record_update", "was_solved"]

_FIRST_COMMENT = 6_000_000_000
_FIRST_AUDIT = 5_000_000_000
_API_VIA: Record = {"channel": "api", "source": {"from": {}, "to": {}, "rel": None}}


def _comment(comment_id: int, author_id: int, body: str, *, public: bool, audit_id: int, at: datetime) -> Record:
    return {"id": comment_id, "type": "Comment", "author_id": author_id, "body": body,
            "html_body": f'<div class="zd-comment" dir="auto"><p>{html.escape(body)}</p></div>', "plain_body": body,
            "public": public, "attachments": [], "audit_id": audit_id, "via": _API_VIA,
            "metadata": {"system": {}, "custom": {}}, "created_at": at}  # fmt: skip


def _first_comment(ticket: Record) -> Record:
    author = ticket.get("requester_id") or ADMIN_USER_ID
    return _comment(_FIRST_COMMENT + int(ticket["id"]), author, str(ticket.get("description") or ""),
                    public=True, audit_id=_FIRST_AUDIT + int(ticket["id"]), at=ticket["created_at"])  # fmt: skip


def creation_audit(ticket: Record) -> Record:
    """The audit of a ticket's creation: its first comment and the values it was made with."""
    first = _first_comment(ticket)
    events: list[Record] = [{k: v for k, v in first.items() if k not in {"via", "metadata", "created_at"}}]
    events += [{"id": first["id"] + 1 + n, "type": "Create", "field_name": key, "value": ticket.get(key)}
               for n, key in enumerate(("subject", "status", "priority", "requester_id"))]  # fmt: skip
    return {"id": _FIRST_AUDIT + int(ticket["id"]), "ticket_id": ticket["id"], "created_at": ticket["created_at"],
            "author_id": first["author_id"], "metadata": {"system": {}, "custom": {}}, "via": ticket.get("via"),
            "events": events}  # fmt: skip


def comments_of(account: Account, ticket: Record) -> list[Record]:
    """The ticket's comments, oldest first (the first is its description)."""
    return account.comments.get(int(ticket["id"])) or [_first_comment(ticket)]


def audits_of(account: Account, ticket: Record) -> list[Record]:
    """The ticket's audits, oldest first (the first is its creation)."""
    return [creation_audit(ticket), *account.audits.get(int(ticket["id"]), [])]


def record_update(account: Account, ticket: Record, changes: dict[str, Any], comment: Any) -> Record:
    """Write ``changes`` and ``comment`` (``{"body", "public", "author_id"}`` or a string) to ``ticket``; return the audit.

    Call with the account's lock held; the changes must have been checked.
    """
    now = account.clock.now()
    audit_id = account.new_id("audits")
    events: list[Record] = []
    if isinstance(comment, str):
        comment = {"body": comment}
    if isinstance(comment, dict) and str(comment.get("body") or comment.get("html_body") or "").strip():
        stored = account.comments.setdefault(int(ticket["id"]), [_first_comment(ticket)])
        given = comment.get("author_id")
        author = given if isinstance(given, int) else ADMIN_USER_ID
        made = _comment(account.new_id("comments"), author, str(comment.get("body") or comment.get("html_body")),
                        public=bool(comment.get("public", True)), audit_id=audit_id, at=now)  # fmt: skip
        stored.append(made)
        events.append({k: v for k, v in made.items() if k not in {"via", "metadata", "created_at"}})
    for key, value in changes.items():
        if ticket.get(key) != value:
            events.append({"id": account.new_id("ticket_events"), "type": "Change", "field_name": key,
                           "value": value, "previous_value": ticket.get(key)})  # fmt: skip
    ticket.update(changes)
    return _audited(account, ticket, audit_id, ADMIN_USER_ID, events, at=now)


def _audited(
    account: Account, ticket: Record, audit_id: int, author: int, events: list[Record], *, at: datetime
) -> Record:
    """Stamp ``ticket`` changed at ``at`` and keep the audit of that change (by ``author``); return the audit."""
    account.touch(ticket, at=at)
    audit: Record = {"id": audit_id, "ticket_id": ticket["id"], "created_at": at, "author_id": author,
                     "metadata": {"system": {}, "custom": {}}, "via": _API_VIA, "events": events}  # fmt: skip
    account.audits.setdefault(int(ticket["id"]), []).append(audit)
    return audit


def was_solved(account: Account, ticket: Record) -> bool:
    """Whether the ticket is solved or closed, or was solved before it was opened again (its audits say so)."""
    if ticket.get("status") in {"solved", "closed"}:
        return True
    events = (e for audit in account.audits.get(int(ticket["id"]), []) for e in audit["events"])
    return any(e.get("type") == "Change" and e.get("field_name") == "status" and e.get("value") == "solved"
               for e in events)  # fmt: skip


def record_rating(account: Account, ticket: Record, score: str, comment: str) -> Record:
    """Rate ``ticket`` as its requester: the rating (a new one, or its earlier one changed) and its audit.

    Call with the account's lock held.
    """
    now = account.clock.now()
    earlier = ticket.get("satisfaction_rating") or {}
    rating_id = earlier["id"] if earlier.get("id") and earlier.get("score") in {"good", "bad"} else None
    rating: Record = {"id": rating_id or account.new_id("satisfaction_ratings"), "score": score, "comment": comment}
    ticket["satisfaction_rating"] = rating
    author = int(ticket.get("requester_id") or ADMIN_USER_ID)
    event = {"id": account.new_id("ticket_events"), "type": "SatisfactionRating", "score": score,
             "assignee_id": ticket.get("assignee_id"), "body": comment}  # fmt: skip
    _audited(account, ticket, account.new_id("audits"), author, [event], at=now)
    return rating
