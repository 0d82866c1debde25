"""What incremental resolution needs from the batch model: stored parameters and stored people.

``load_person`` rebuilds a Person the identity index stored (a ``model_dump``
of a validated Person) without validating it again: validation (email syntax
above all) would cost more than resolving the record.

``parameters_from_dict`` reads back ``ModelParameters.to_dict()`` in the
comparisons' level order (JSONB does not keep key order). Scored links are
checked with the batch engine's own ``required_failed``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import numpy as np
import numpy.typing as npt

from core.canonical import Identifier, IdentifierKind, Person, RecordRef
from core.errors import IdentityError
from core.identity.compare import Comparison
from core.identity.model import ModelParameters
from core.identity.records import RecordTable

__all__ = ["Candidates", "load_person", "parameters_from_dict"]

_RERUN = "run `contactpoint identity resolve --store` to train and store a model for these comparisons"


@dataclass(frozen=True)
class Candidates:
    """A record and the records it is resolved against, prepared in one table.

    Attributes:
        table: The prepared records (sorted by key).
        index: The record's position in ``table``.
        profile_of: Every other record's key → its profile ID.
        people: The record first, then the others (as read from the store).
    """

    table: RecordTable
    index: int
    profile_of: dict[str, str]
    people: list[Person]


def parameters_from_dict(data: Mapping[str, Any], comparisons: Sequence[Comparison]) -> ModelParameters:
    """Rebuild stored model parameters for ``comparisons`` (their order, their levels).

    Raises:
        IdentityError: When the stored model lacks a comparison or a level.
    """
    stored = data.get("comparisons", {})
    m: list[npt.NDArray[np.float64]] = []
    u: list[npt.NDArray[np.float64]] = []
    for comparison in comparisons:
        levels = stored.get(comparison.name, {})
        missing = [label for label in comparison.levels if label not in levels]
        if missing:
            msg = f"the stored identity model has no {comparison.name} level {missing[0]!r}"
            raise IdentityError(msg, hint=_RERUN)
        m.append(np.asarray([levels[label]["m"] for label in comparison.levels], dtype=np.float64))
        u.append(np.asarray([levels[label]["u"] for label in comparison.levels], dtype=np.float64))
    return ModelParameters(
        names=tuple(c.name for c in comparisons),
        labels=tuple(tuple(c.levels) for c in comparisons),
        m=tuple(m),
        u=tuple(u),
        prior=float(data["prior"]),
        iterations=int(data.get("iterations", 0)),
        converged=bool(data.get("converged", True)),
    )


def load_person(text: str) -> Person:
    """Rebuild a Person from JSON that ``Person.model_dump(mode="json")`` wrote, without re-validating.

    Only for text the store wrote from a validated Person; anything else goes through
    ``Person.model_validate_json``.
    """
    data = json.loads(text)
    data["source"] = RecordRef.model_construct(**data["source"])
    data["identifiers"] = [
        Identifier.model_construct(**{**item, "kind": IdentifierKind(item["kind"])})
        for item in data.get("identifiers") or ()
    ]
    for name in ("updated_at", "created_at"):
        if data.get(name):
            data[name] = datetime.fromisoformat(data[name])
    if data.get("date_of_birth"):
        data["date_of_birth"] = date.fromisoformat(data["date_of_birth"])
    return Person.model_construct(**data)
