"""The review band: pairs identity was unsure of, kept for a data steward, and what deciding one does.

    review_inputs(resolution, id)  the review pairs of a batch resolution (``id``: the stored model)
    accept_review(store, id, ...)  one person: the two profiles are merged (must-link pins)
    reject_review(store, id, ...)  two people: a cannot-link pin; if one profile holds both, the
                                   right-hand record is split out of it at once

A batch resolution (``resolve_store``) refreshes the open pairs; decided pairs keep their
decision, and the pins a decision wrote win over the model on every later run.
"""

from __future__ import annotations

from dataclasses import dataclass

from core.errors import IdentityError
from core.identity.manual import merge_profiles, split_profile
from core.identity.review_pairs import review_inputs
from core.identity.settings import IdentitySettings
from core.store import IdentityPin, PinInput, PinKind, ReviewStatus, Store, split_record_key
from core.store.report_tables import IdentityReviewRow

__all__ = ["ReviewDecision", "accept_review", "open_review", "reject_review", "review_inputs"]

_HINT = "list the open pairs with `contactpoint identity review --list`"


@dataclass(frozen=True)
class ReviewDecision:
    """What deciding a pair did: the new status, the profiles concerned and the pins written."""

    review_id: int
    status: str
    profiles: tuple[str, ...]
    pin_ids: list[int]
    action: str


def open_review(store: Store, review_id: int) -> IdentityReviewRow:
    """Return an open review pair.

    Raises:
        IdentityError: When no pair has this ID or it was decided already.
    """
    row = store.reviews.get(review_id)
    if row is None:
        msg = f"no review pair {review_id}"
        raise IdentityError(msg, hint=_HINT)
    if row.status != ReviewStatus.OPEN:
        by = f" by {row.decided_by}" if row.decided_by else ""
        msg = f"review pair {review_id} is {row.status}{by}, not open"
        raise IdentityError(msg, hint=_HINT)
    return row


def _profiles(store: Store, row: IdentityReviewRow) -> tuple[str, str]:
    found = [store.links.profile_of(*split_record_key(key)) for key in (row.left_record, row.right_record)]
    left, right = found
    if left is None or right is None:
        store.reviews.decide(int(row.id or 0), status=ReviewStatus.GONE, by=None, note="a record is no longer linked")
        msg = f"review pair {row.id}: a record is no longer linked to any profile (deleted or erased)"
        raise IdentityError(msg, hint=_HINT)
    return left, right


def accept_review(
    store: Store, review_id: int, *, by: str | None, note: str | None = None,
    settings: IdentitySettings | None = None, run_id: str | None = None,
) -> ReviewDecision:  # fmt: skip
    """The two records are one person: merge their profiles (or pin them together if already one).

    Raises:
        IdentityError: When the pair is unknown, decided, or a record is no longer linked.
    """
    row = open_review(store, review_id)
    left, right = _profiles(store, row)
    reason = f"review {review_id} accepted" + (f": {note}" if note else "")
    if left != right:
        change = merge_profiles(store, left, right, run_id=run_id, settings=settings, reason=reason, created_by=by)
        pins, action, profiles = change.pin_ids, f"merged {change.other_id} into {change.profile_id}", (left, right)
    else:
        pins = store.pins.add([PinInput(PinKind.MUST_LINK, row.left_record, row.right_record, reason, by)])
        action, profiles = f"pinned together in {left}", (left, right)
    store.reviews.decide(review_id, status=ReviewStatus.ACCEPTED, by=by, note=note)
    return ReviewDecision(review_id, ReviewStatus.ACCEPTED.value, profiles, pins, action)


def reject_review(
    store: Store, review_id: int, *, by: str | None, note: str | None = None,
    settings: IdentitySettings | None = None, run_id: str | None = None,
) -> ReviewDecision:  # fmt: skip
    """The two records are two people: pin them apart (and split them now if one profile holds both).

    Raises:
        IdentityError: When the pair is unknown, decided, or a record is no longer linked.
    """
    row = open_review(store, review_id)
    left, right = _profiles(store, row)
    reason = f"review {review_id} rejected" + (f": {note}" if note else "")
    if left == right:
        change = split_profile(
            store, left, [row.right_record], run_id=run_id, settings=settings, reason=reason, created_by=by
        )
        pins, action, profiles = change.pin_ids, f"split {row.right_record} into {change.other_id}", (left, right)
    else:
        pins = store.pins.add([PinInput(PinKind.CANNOT_LINK, row.left_record, row.right_record, reason, by)])
        action, profiles = f"kept apart ({left}, {right})", (left, right)
    store.reviews.decide(review_id, status=ReviewStatus.REJECTED, by=by, note=note)
    return ReviewDecision(review_id, ReviewStatus.REJECTED.value, profiles, pins, action)


def pins_of(store: Store, review: IdentityReviewRow) -> list[IdentityPin]:
    """The active pins between a pair's two records (what a decision left)."""
    both = {review.left_record, review.right_record}
    return [p for p in store.pins.list(records=sorted(both)) if {p.left_record, p.right_record} == both]
