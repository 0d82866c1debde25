"""A person's rights over what Contactpoint holds: a copy of it (portability) and being forgotten (erasure).

export.py    export_person(store, pid) ─→ one JSON document, validated against export.schema.json
erase.py     plan_erasure / erase_person: remove from the store, tombstones, deletion in every system
targets.py   retry_erasures: send pending deletions to the systems (every sync run calls it)
"""

from __future__ import annotations

from core.privacy.erase import ErasurePlan, erase_person, plan_erasure
from core.privacy.export import EXPORT_FORMAT, export_person, export_schema
from core.privacy.targets import ErasureOutcome, retry_erasures

__all__ = [
    "EXPORT_FORMAT",
    "ErasureOutcome",
    "ErasurePlan",
    "erase_person",
    "export_person",
    "export_schema",
    "plan_erasure",
    "retry_erasures",
]
