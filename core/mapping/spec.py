"""The shape of a mapping file, as pydantic models (structure only).

These models check that keys exist, are spelled right and hold the right kind
of value. What needs knowledge beyond one value (does the target model have
this field, is this transform registered, are its arguments right) is checked
by ``core.mapping.validate``, which reports every problem at once.

A field, ``when``, ``updated_at`` or ``deleted`` may be written as a plain path
(``email: Email``) or as a mapping (``email: {path: Email, transforms: [lower]}``).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from core.canonical import IdentifierKind
from core.canonical.base import SystemName
from core.canonical.fields import TimeZoneName
from core.mapping.transforms.contact import PhoneRegion

__all__ = [
    "DefaultsSpec",
    "FieldSpec",
    "IdentifierSpec",
    "MappingSpec",
    "StreamSpec",
    "TargetSpec",
    "TransformList",
    "WritebackSpec",
]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


def _path_shorthand(value: Any) -> Any:
    return {"path": value} if isinstance(value, str) else value


def _field_shorthand(value: Any) -> Any:
    return {"field": value} if isinstance(value, str) else value


TransformList = list[Any]
"""Each item is a name (``lower``) or a one-key mapping (``{e164: {region: GB}}``)."""


class FieldSpec(_Strict):
    """Where one value comes from and what happens to it.

    Attributes:
        path: Source path; leave out when a transform makes the value (``constant``).
        from_: Sources tried in order (``from:`` in YAML); the first non-empty wins.
        transforms: Applied in order to the value.
        required: A missing value rejects the record.
        default: Used when the value is missing after the transforms.
    """

    path: str | None = None
    from_: list[Annotated[FieldSpec, BeforeValidator(_path_shorthand)]] | None = Field(
        default=None, alias="from", min_length=1
    )
    transforms: TransformList = Field(default_factory=list)
    required: bool = False
    default: Any = None

    @model_validator(mode="after")
    def _one_source(self) -> FieldSpec:
        if self.path is not None and self.from_ is not None:
            msg = "give either 'path' or 'from', not both"
            raise ValueError(msg)
        return self


FieldLike = Annotated[FieldSpec, BeforeValidator(_path_shorthand)]


class IdentifierSpec(FieldSpec):
    """One identifier the stream's records carry.

    Attributes:
        kind: ``email``, ``phone``, ``external_id`` or ``device_id``.
        system: The issuing system of an ``external_id`` (default: the mapping's system).
    """

    kind: IdentifierKind
    system: SystemName | None = None


class TargetSpec(_Strict):
    """One canonical model a stream's record produces.

    Attributes:
        model: A name in ``core.canonical.MODELS`` (Person, Account, Interaction, Consent).
        when: Produce this model only when this value is present and not false.
        fields: Canonical field name → where its value comes from.
    """

    model: str
    when: FieldLike | None = None
    fields: dict[str, FieldLike] = Field(default_factory=dict)


class WritebackFieldSpec(_Strict):
    """One value written back: the vendor field, optional transforms, and whether Contactpoint owns it.

    An owned field (the default) always holds what Contactpoint computed: a value a person
    typed there by hand is reported and overwritten. A field it does not own is only
    filled while it is empty: a person's value there is reported and left alone.
    """

    field: str = Field(min_length=1)
    transforms: TransformList = Field(default_factory=list)
    owned: bool = True


class WritebackMode(StrEnum):
    """Whether write-back only updates records it pulled, or also creates them where a profile has none."""

    UPDATE = "update"
    CREATE_AND_UPDATE = "create_and_update"


class WritebackOptionsSpec(_Strict):
    """How a stream's write-back behaves.

    Attributes:
        mode: ``update`` (never create a record in the vendor) or ``create_and_update``.
        read_from: Where a written field's current value sits in a pulled record, with
            ``{field}`` for the vendor field (``properties.{field}`` for HubSpot); the top
            level by default, which also suits fields named by their place in the record
            (Zendesk's ``user_fields.<key>``).
        match_field: For creates: the vendor field that finds an existing record (``email``).
        match_source: For creates: the profile value it is matched on (``golden.email``).
        purpose: What the system uses the values for, as the customer's ledger names it
            (``marketing``, ``service``, ``personalisation``, ``analytics``): a write needs
            the person's consent and grant for it.
        channel: The channel the system reaches people on (``email``, ``sms``, ``phone``),
            when it has one: only that channel's consent counts.
    """

    mode: WritebackMode = WritebackMode.UPDATE
    purpose: Literal["marketing", "service", "personalisation", "analytics"] = "personalisation"
    channel: Literal["email", "sms", "phone", "ads"] | None = None
    read_from: str = Field(default="{field}", pattern=r"\{field\}")
    match_field: str | None = None
    match_source: str | None = None

    @model_validator(mode="after")
    def _match_for_creates(self) -> WritebackOptionsSpec:
        if self.mode is WritebackMode.CREATE_AND_UPDATE and not (self.match_field and self.match_source):
            msg = "mode create_and_update needs match_field (the vendor field) and match_source (e.g. golden.email)"
            raise ValueError(msg)
        return self


WritebackSpec = dict[str, Annotated[WritebackFieldSpec, BeforeValidator(_field_shorthand)]]
"""Canonical or policy name (``profile_id``, ``enrichment.intent_score``) → vendor field."""


class StreamSpec(_Strict):
    """How one stream's raw records become canonical models.

    Either ``model`` and ``fields`` (one target) or ``targets`` (several).
    """

    description: str = ""
    id: str = Field(min_length=1, description="Source path of the record's ID.")
    updated_at: FieldLike | None = None
    deleted: FieldLike | None = None
    model: str | None = None
    when: FieldLike | None = None
    fields: dict[str, FieldLike] | None = None
    targets: list[TargetSpec] | None = Field(default=None, min_length=1)
    identifiers: list[IdentifierSpec] = Field(default_factory=list)
    writeback: WritebackSpec = Field(default_factory=dict)
    writeback_options: WritebackOptionsSpec = Field(default_factory=WritebackOptionsSpec)

    @model_validator(mode="after")
    def _targets_or_model(self) -> StreamSpec:
        if self.targets is not None and (self.model, self.fields, self.when) != (None, None, None):
            msg = "give either 'model' with 'fields' (and 'when'), or 'targets', not both"
            raise ValueError(msg)
        if self.targets is None and self.model is None:
            msg = "say what the records become: 'model: Person' with 'fields:', or a 'targets:' list"
            raise ValueError(msg)
        return self

    def target_list(self) -> list[tuple[tuple[str | int, ...], TargetSpec]]:
        """Return each target with its key path relative to the stream."""
        if self.targets is not None:
            return [(("targets", i), t) for i, t in enumerate(self.targets)]
        assert self.model is not None  # checked by _targets_or_model
        return [((), TargetSpec(model=self.model, when=self.when, fields=self.fields or {}))]


class DefaultsSpec(_Strict):
    """Mapping-wide defaults for transforms."""

    phone_region: PhoneRegion | None = None
    timezone: TimeZoneName = "UTC"


class AlertSpec(_Strict):
    """How a policy alert becomes a record in this system (a Salesforce Task).

    Attributes:
        key_field: The vendor field (an external ID) holding the alert's key: the record is
            upserted on it, so one occurrence never makes two records.
        fields: Vendor field → value: ``alert.key``, ``alert.title``, ``alert.text``,
            ``alert.kind``, ``alert.raised_at``, ``alert.source``; ``record.id`` (the
            person's record the alert is attached to) or ``record.<path>`` (a value of
            that record as pulled, e.g. ``record.OwnerId``); or ``{constant: value}``.
    """

    key_field: str = Field(min_length=1)
    fields: dict[str, str | dict[str, Any]] = Field(default_factory=dict)


class MappingSpec(_Strict):
    """The top of a mapping file; streams are validated one by one afterwards."""

    system: SystemName
    version: Literal[1]
    description: str = ""
    defaults: DefaultsSpec = Field(default_factory=DefaultsSpec)
    streams: dict[str, dict[str, Any]] = Field(min_length=1)
    alerts: dict[str, AlertSpec] = Field(default_factory=dict)
    """Object name (what the policies' alert targets name, e.g. ``Task``) → how to create it."""
