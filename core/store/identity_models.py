"""``store.identity_models``: the m/u parameters each batch identity run trained.

save        store a trained model with the hash of the settings it was trained under
latest      the newest model (incremental resolution scores with it)
latest_id   its ID only (a cheap check for a newer one)
get         one model by ID (the one a review pair was scored with)
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from sqlmodel import select

from core.store.database import Repository
from core.store.identity_tables import IdentityModel

__all__ = ["IdentityModels"]

_MODELS = IdentityModel.__table__  # type: ignore[attr-defined]
_NEWEST_MODEL = sa.select(sa.func.max(_MODELS.c.model_id))


class IdentityModels(Repository):
    """Trained identity models; the newest is the one in use."""

    def save(self, parameters: Mapping[str, Any], *, settings_hash: str, run_id: str | None) -> int:
        """Store a trained model (``ModelParameters.to_dict()``); return its ID (the newest is used).

        Raises:
            StoreError: When the parameters cannot be stored as JSON or the database fails.
        """
        values = {"settings_hash": settings_hash, "parameters": dict(parameters), "created_at": self._db.now()}
        with self._db.transaction() as conn:
            query = sa.insert(_MODELS).values({**values, "run_id": run_id}).returning(_MODELS.c.model_id)
            return int(conn.execute(query).scalar_one())

    def latest(self) -> IdentityModel | None:
        """Return the most recently stored model, or None before the first batch run."""
        rows = self._db.select_all(select(IdentityModel).order_by(_MODELS.c.model_id.desc()).limit(1))
        return rows[0] if rows else None

    def get(self, model_id: int) -> IdentityModel | None:
        """Return the model with this ID, or None."""
        rows = self._db.select_all(select(IdentityModel).where(_MODELS.c.model_id == model_id))
        return rows[0] if rows else None

    def latest_id(self) -> int | None:
        """Return the ID of the newest stored model (a cheap check for a newer one)."""
        with self._db.connection() as conn:
            value = conn.execute(_NEWEST_MODEL).scalar_one_or_none()
        return None if value is None else int(value)
