"""The identity settings file (``identity.yaml``) as a pydantic model.

Every knob has a default, so an empty file (or none) is valid; the shipped
``mappings/identity.yaml`` spells the defaults out with comments. Loading
collects every problem and raises one ``ConfigError`` whose lines read
``identity.yaml:12:5 fuzzy.link_threshold: Input should be less than 1``.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from core.errors import ConfigError
from core.identity.compare import COMPARISON_LEVELS
from core.yamlfile import Document, YamlSyntaxError, load

__all__ = [
    "BlockingKey",
    "BlockingSettings",
    "EmSettings",
    "FuzzySettings",
    "GuardSettings",
    "IdentitySettings",
    "LevelOverride",
    "PhoneSettings",
    "RuleName",
    "StrongIdentifier",
    "SurvivorshipRule",
    "SurvivorshipSettings",
    "load_settings",
]

GOLDEN_FIELDS = (
    "first_name",
    "last_name",
    "email",
    "phone",
    "mobile",
    "company",
    "job_title",
    "street",
    "city",
    "postcode",
    "region",
    "country",
    "date_of_birth",
    "lifecycle_stage",
)
"""Person fields a golden record carries."""


class RuleName(StrEnum):
    """Deterministic rules, by the name the settings file uses."""

    SAME_EXTERNAL_ID = "same_external_id"
    SAME_PERSONAL_EMAIL = "same_personal_email"
    SAME_PHONE_AND_SURNAME = "same_phone_and_surname"


class BlockingKey(StrEnum):
    """Blocking keys: records sharing a key value become candidate pairs."""

    EMAIL = "email"
    EMAIL_LOCAL_PART = "email_local_part"
    PHONE = "phone"
    NAMES_SORTED = "names_sorted"
    SURNAME_SOUND_FIRST_INITIAL = "surname_sound_first_initial"
    FIRST_NAME_SURNAME_INITIAL = "first_name_surname_initial"
    POSTCODE_SURNAME = "postcode_surname"
    COMPANY_SURNAME = "company_surname"
    DATE_OF_BIRTH = "date_of_birth"
    FIRST_NAME_POSTCODE = "first_name_postcode"
    STREET_POSTCODE = "street_postcode"
    STREET_CITY = "street_city"
    SURNAME_CITY = "surname_city"


class StrongIdentifier(StrEnum):
    """Identifiers on which a profile's members must never disagree."""

    DATE_OF_BIRTH = "date_of_birth"
    EXTERNAL_ID = "external_id"
    EMAIL = "email"


class SurvivorshipRule(StrEnum):
    """How a golden value is chosen among a profile's records."""

    SYSTEM_PRIORITY = "system_priority"
    MOST_RECENT = "most_recent"
    MOST_FREQUENT = "most_frequent"
    FIRST_NON_EMPTY = "first_non_empty"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PhoneSettings(_Strict):
    """Default regions for phone numbers written without a country code."""

    default_region: str | None = Field(default=None, pattern=r"^[A-Z]{2}$")
    system_regions: dict[str, str] = Field(default_factory=dict)

    def region_for(self, system: str) -> str | None:
        """Return the default region of ``system``'s numbers."""
        return self.system_regions.get(system, self.default_region)


class BlockingSettings(_Strict):
    """Which keys make candidate pairs, and the largest block compared in full."""

    keys: list[BlockingKey] = Field(default_factory=lambda: list(BlockingKey))
    max_block_size: int = Field(default=100, ge=2, le=100_000)


class LevelOverride(_Strict):
    """Fixed m and/or u probabilities for one level of one comparison."""

    m: float | None = Field(default=None, gt=0, le=1)
    u: float | None = Field(default=None, gt=0, le=1)


class EmSettings(_Strict):
    """Estimating m and u from the data: u from random pairs, m by EM over candidate pairs."""

    enabled: bool = True
    max_iterations: int = Field(default=50, ge=1, le=1000)
    tolerance: float = Field(default=1e-5, gt=0)
    random_pairs: int = Field(default=200_000, ge=1000)
    seed: int = 20240501


class FuzzySettings(_Strict):
    """Fellegi-Sunter scoring: thresholds, required agreements, overrides."""

    link_threshold: float = Field(default=0.95, gt=0, lt=1)
    review_threshold: float = Field(default=0.50, gt=0, lt=1)
    required: list[str] = Field(default_factory=lambda: ["first_name"])
    evidence: list[dict[str, str]] = Field(
        default_factory=lambda: [
            {"first_name": "close", "last_name": "close"},
            {"email": "loose"},
            {"date_of_birth": "exact"},
            {"first_name": "similar", "last_name": "similar", "date_of_birth": "typo"},
            {"first_name": "similar", "last_name": "close", "address": "street"},
            {"first_name": "exact", "last_name": "similar", "address": "street"},
            {"first_name": "close", "date_of_birth": "typo", "address": "street"},
            {"first_name": "similar", "last_name": "close", "phone": "exact", "company": "close"},
        ],
        description="A fuzzy link needs one of these sets of agreements (comparison: at least this level).",
    )
    prior: float | None = Field(default=None, gt=0, lt=1, description="Probability two random records match.")
    rules_recall: float = Field(
        default=0.6, gt=0, le=1, description="Share of true pairs the rules are assumed to find."
    )
    em: EmSettings = Field(default_factory=EmSettings)
    overrides: dict[str, dict[str, LevelOverride]] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _check(self) -> FuzzySettings:
        if self.review_threshold > self.link_threshold:
            msg = f"review_threshold {self.review_threshold} is above link_threshold {self.link_threshold}"
            raise ValueError(msg)
        for name in [*self.required, *self.overrides]:
            if name not in COMPARISON_LEVELS:
                msg = f"unknown comparison {name!r}; known: {', '.join(COMPARISON_LEVELS)}"
                raise ValueError(msg)
        for name, label in (item for group in self.evidence for item in group.items()):
            if name not in COMPARISON_LEVELS or label not in COMPARISON_LEVELS[name]:
                msg = f"evidence {name}: {label!r} is not a comparison level; levels: {COMPARISON_LEVELS.get(name, ())}"
                raise ValueError(msg)
        for name, levels in self.overrides.items():
            for label in levels:
                if label not in COMPARISON_LEVELS[name]:
                    msg = (
                        f"comparison {name!r} has no level {label!r}; its levels: {', '.join(COMPARISON_LEVELS[name])}"
                    )
                    raise ValueError(msg)
        return self


class GuardSettings(_Strict):
    """The anti-chaining guard: identifiers a profile's members must not disagree on."""

    strong_identifiers: list[StrongIdentifier] = Field(default_factory=lambda: list(StrongIdentifier))


class SurvivorshipSettings(_Strict):
    """Golden-record rules: a default, a system priority, and per-field choices."""

    default: SurvivorshipRule = SurvivorshipRule.MOST_RECENT
    system_priority: list[str] = Field(default_factory=list)
    fields: dict[str, SurvivorshipRule] = Field(default_factory=dict)

    @field_validator("fields")
    @classmethod
    def _known_fields(cls, value: dict[str, SurvivorshipRule]) -> dict[str, SurvivorshipRule]:
        unknown = sorted(set(value) - set(GOLDEN_FIELDS))
        if unknown:
            msg = f"unknown field(s) {', '.join(unknown)}; golden fields: {', '.join(GOLDEN_FIELDS)}"
            raise ValueError(msg)
        return value

    def rule_for(self, field: str) -> SurvivorshipRule:
        """Return the rule that chooses ``field``."""
        return self.fields.get(field, self.default)


class IdentitySettings(_Strict):
    """Everything the identity engine can be told. See docs/identity.md for each knob."""

    version: Literal[1] = 1
    rules: list[RuleName] = Field(default_factory=lambda: list(RuleName))
    role_mailboxes: list[str] = Field(default_factory=list, description="Extra role local parts.")
    phones: PhoneSettings = Field(default_factory=PhoneSettings)
    blocking: BlockingSettings = Field(default_factory=BlockingSettings)
    fuzzy: FuzzySettings = Field(default_factory=FuzzySettings)
    guard: GuardSettings = Field(default_factory=GuardSettings)
    survivorship: SurvivorshipSettings = Field(default_factory=SurvivorshipSettings)


def _problem_lines(err: ValidationError, doc: Document) -> list[str]:
    """Render each validation error as ``file:line:column key: message``, in file order."""
    found: list[tuple[int, int, str]] = []
    for item in err.errors(include_url=False):
        path = [part for part in item["loc"] if isinstance(part, str | int)]
        problem = doc.problem(path, str(item["msg"]).removeprefix("Value error, "))
        found.append((problem.line or 0, problem.column or 0, str(problem)))
    return [text for _, _, text in sorted(found)]


def load_settings(path: Path | str | None) -> IdentitySettings:
    """Read an identity settings file; ``None`` gives the defaults.

    Raises:
        ConfigError: When the file cannot be read, is not YAML, or has problems;
            the message lists every problem with its file, line and column.
    """
    if path is None:
        return IdentitySettings()
    try:
        doc = load(path)
    except YamlSyntaxError as err:
        raise ConfigError(err.problem.headline, hint=err.problem.hint, file=str(path)) from None
    except OSError as err:
        msg = f"cannot read identity settings {path}: {err.strerror}"
        raise ConfigError(msg, file=str(path)) from None
    try:
        return IdentitySettings.model_validate(doc.data or {})
    except ValidationError as err:
        lines = _problem_lines(err, doc)
        count = len(lines)
        body = "\n".join(f"  {line}" for line in lines)
        msg = f"{path}: {count} problem{'s' if count != 1 else ''} in identity settings\n{body}"
        raise ConfigError(
            msg,
            hint="fix the lines above; docs/identity.md lists every setting",
            file=str(path),
            problems=lines,
        ) from None
