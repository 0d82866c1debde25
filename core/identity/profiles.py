"""Profile IDs of a batch: derived from each cluster's members.

The same records give the same ID on every run. Over a store, ``stable.py`` keeps
IDs across runs instead (a record joining a profile never renames it; a merge
keeps the older ID and records an alias).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

__all__ = ["derived_profile_id"]


def derived_profile_id(members: Sequence[str]) -> str:
    """Return ``cp_`` and 16 hex characters of SHA-256 of the smallest member key.

    Example:
        >>> derived_profile_id(["salesforce/Contact/003A1", "files/people/7"])
        'cp_8dc942fd59cfee62'
    """
    digest = hashlib.sha256(min(members).encode("utf-8")).hexdigest()
    return f"cp_{digest[:16]}"
