"""What ``contactpoint identity explain`` shows: a profile, its records, and why each is linked.

``describe(store, ref)`` takes a profile ID, an alias, or a record key
(``system/stream/source_id``) and returns plain data (JSON-ready): the profile,
its golden record with provenance, and every link with its method, rule or
score and each field's contribution.
"""

from __future__ import annotations

from typing import Any

from core.canonical import RecordRef
from core.errors import IdentityError
from core.store import Store

__all__ = ["describe"]

_HINT = (
    "pass a profile ID (cp_…) or a record as system/stream/source_id; "
    "`contactpoint identity resolve --store` links the records in the store"
)


def _profile_id_for(store: Store, ref: str) -> tuple[str, str | None]:
    """Return ``(profile_id, record)`` for a profile ID, alias or record key."""
    if "/" not in ref:
        return store.aliases.resolve(ref), None
    try:
        record = RecordRef.parse(ref)
    except ValueError as err:
        raise IdentityError(str(err), hint=_HINT) from None
    found = store.links.profile_of(record.system, record.stream, record.source_id)
    if found is None:
        msg = f"record {ref} is not linked to any profile"
        raise IdentityError(msg, hint=_HINT, record_id=ref)
    return found, str(record)


def describe(store: Store, ref: str) -> dict[str, Any]:
    """Describe the profile ``ref`` names (a profile ID, an alias, or a record key).

    Returns:
        ``{"query", "alias_of", "record", "profile_id", "status", "golden", "links": [...]}``;
        ``alias_of`` is set when ``ref`` is a merged-away ID; each link has ``record``,
        ``method``, ``rule``, ``score``, ``linked_at`` and ``explanation`` (with
        ``contributions`` for rule and score links).

    Raises:
        IdentityError: When no profile, alias or linked record has this name.
    """
    profile_id, record = _profile_id_for(store, ref)
    profile = store.profiles.get(profile_id)
    if profile is None:
        msg = f"unknown profile {ref!r}"
        raise IdentityError(msg, hint=_HINT, profile_id=ref)
    links = [
        {
            "record": f"{link.system}/{link.stream}/{link.source_id}",
            "method": str(link.method),
            "rule": link.rule,
            "score": link.score,
            "linked_at": link.linked_at.isoformat(),
            "explanation": link.explanation,
        }
        for link in store.links.of_profile(profile_id)
    ]
    return {
        "query": ref,
        "alias_of": profile_id if record is None and profile_id != ref else None,
        "record": record,
        "profile_id": profile_id,
        "status": str(profile.status),
        "created_at": profile.created_at.isoformat(),
        "golden": profile.golden,
        "links": links,
    }
