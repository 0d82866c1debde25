"""The unified profile: one person across every system, with a golden record."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import Field

from core.canonical.activity import Suppression
from core.canonical.base import CanonicalModel, JsonValue, RecordRef, aware
from core.canonical.identifier import Identifier

__all__ = ["GoldenValue", "ProfileId", "UnifiedProfile"]

ProfileId = Annotated[
    str,
    Field(
        pattern=r"^cp_[0-9a-z]{8,32}$",
        description="Stable unified-profile ID, e.g. 'cp_01hx3k9w2m4b'. Never reused.",
    ),
]


class GoldenValue(CanonicalModel):
    """One field of the golden record and where it came from."""

    value: JsonValue
    source: RecordRef
    rule: str = Field(description="The survivorship rule that chose it, e.g. 'system_priority'.")
    observed_at: Annotated[datetime, aware] | None = None


class UnifiedProfile(CanonicalModel):
    """Everything Contactpoint knows about one person.

    ``golden`` maps canonical Person field names to the surviving value with its
    provenance; ``aliases`` are profile IDs merged into this one, which keep
    resolving here.
    """

    profile_id: ProfileId
    aliases: list[ProfileId] = Field(default_factory=list)
    golden: dict[str, GoldenValue] = Field(default_factory=dict)
    identifiers: list[Identifier] = Field(default_factory=list)
    records: list[RecordRef] = Field(default_factory=list)
    enrichment: dict[str, JsonValue] = Field(default_factory=dict)
    suppressions: list[Suppression] = Field(default_factory=list)
    created_at: Annotated[datetime, aware]
    updated_at: Annotated[datetime, aware]
