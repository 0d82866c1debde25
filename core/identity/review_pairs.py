"""The review pairs of a batch resolution, as the store keeps them for a data steward (``store.reviews``)."""

from __future__ import annotations

from collections.abc import Iterator

from core.identity.resolution import Resolution
from core.store import ReviewInput

__all__ = ["review_inputs"]


def review_inputs(resolution: Resolution) -> Iterator[ReviewInput]:
    """Yield every pair a resolution sent to review, with the explanation ``identity explain`` shows."""
    for explanation in resolution.reviews():
        data = explanation.to_dict()
        yield ReviewInput(
            explanation.left, explanation.right, explanation.probability, explanation.match_weight,
            explanation.reason, data,
        )  # fmt: skip
