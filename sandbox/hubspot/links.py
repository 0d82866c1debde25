"""Stored associations between records, each kept from both sides with its HubSpot-defined type IDs.

Every association but a contact's primary company (its ``associatedcompanyid``) is stored here:

    (deals, 30000001) -> (contacts, 1001): {3}      (contacts, 1001) -> (deals, 30000001): {4}

HubSpot's default association types of the pairs the sandbox stores, by (from, to): the
unlabeled type first, then the primary one where the pair has one (a deal's, ticket's or
contact's primary company). Each has its v3 name (``deal_to_contact``...) and its inverse.
A contact's primary company (types 1 and 2) is never stored here: ``associations`` keeps it
in the contact's ``associatedcompanyid``.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

__all__ = ["ASSOCIATION_TYPES", "AssociationType", "Links", "inverse_type"]


@dataclass(frozen=True)
class AssociationType:
    """One HubSpot-defined association type: its ID, v3 name and label (None for unlabeled)."""

    type_id: int
    name: str
    label: str | None = None


ASSOCIATION_TYPES: dict[tuple[str, str], tuple[AssociationType, ...]] = {
    ("contacts", "companies"): (AssociationType(279, "contact_to_company_unlabeled"),
                                AssociationType(1, "contact_to_company", "Primary")),
    ("companies", "contacts"): (AssociationType(280, "company_to_contact_unlabeled"),
                                AssociationType(2, "company_to_contact", "Primary")),
    ("deals", "contacts"): (AssociationType(3, "deal_to_contact"),),
    ("contacts", "deals"): (AssociationType(4, "contact_to_deal"),),
    ("deals", "companies"): (AssociationType(341, "deal_to_company_unlabeled"),
                             AssociationType(5, "deal_to_company", "Primary")),
    ("companies", "deals"): (AssociationType(342, "company_to_deal_unlabeled"),
                             AssociationType(6, "company_to_deal", "Primary")),
    ("tickets", "contacts"): (AssociationType(16, "ticket_to_contact"),),
    ("contacts", "tickets"): (AssociationType(15, "contact_to_ticket"),),
    ("tickets", "companies"): (AssociationType(339, "ticket_to_company_unlabeled"),
                               AssociationType(26, "ticket_to_company", "Primary")),
    ("companies", "tickets"): (AssociationType(340, "company_to_ticket_unlabeled"),
                               AssociationType(25, "company_to_ticket", "Primary")),
    ("deals", "tickets"): (AssociationType(27, "deal_to_ticket"),),
    ("tickets", "deals"): (AssociationType(28, "ticket_to_deal"),),
}  # fmt: skip
"""(from, to) -> its association types, the default (unlabeled) one first."""

_INVERSE = {
    a.type_id: b.type_id
    for (src, dst), types in ASSOCIATION_TYPES.items()
    for a, b in zip(types, ASSOCIATION_TYPES[(dst, src)], strict=True)
}


def inverse_type(type_id: int) -> int:
    """The type ID of the same association read from the other side (3 -> 4, 341 -> 342...)."""
    return _INVERSE[type_id]


def find_type(from_obj: str, to_obj: str, type_id: int) -> AssociationType | None:
    """The association type ``type_id`` of the pair, or None when the pair has no such type."""
    return next((t for t in ASSOCIATION_TYPES.get((from_obj, to_obj), ()) if t.type_id == type_id), None)


class Links:
    """Associations kept from both sides; one lock (the portal's) guards them."""

    def __init__(self, lock: threading.RLock) -> None:
        self.lock = lock
        self._types: dict[tuple[str, str, str], dict[str, set[int]]] = {}

    def add(self, from_obj: str, from_id: str, to_obj: str, to_id: str, type_id: int) -> None:
        """Associate two records with ``type_id`` (from ``from_obj``'s side) and its inverse."""
        with self.lock:
            self._types.setdefault((from_obj, from_id, to_obj), {}).setdefault(to_id, set()).add(type_id)
            back = inverse_type(type_id)
            self._types.setdefault((to_obj, to_id, from_obj), {}).setdefault(from_id, set()).add(back)

    def remove(self, from_obj: str, from_id: str, to_obj: str, to_id: str) -> bool:
        """Remove every association between two records; False when there was none."""
        with self.lock:
            found = self._types.get((from_obj, from_id, to_obj), {}).pop(to_id, None)
            self._types.get((to_obj, to_id, from_obj), {}).pop(from_id, None)
            return found is not None

    def of(self, from_obj: str, from_id: str, to_obj: str) -> dict[str, set[int]]:
        """The ``to_obj`` IDs associated with one record, each with its type IDs (a copy)."""
        with self.lock:
            return {k: set(v) for k, v in self._types.get((from_obj, from_id, to_obj), {}).items()}
