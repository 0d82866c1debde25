from __future__ import annotations

from datetime import UTC, datetime

from core.identity import golden_record
from core.identity.settings import SurvivorshipRule, SurvivorshipSettings
from tests.core.identity.helpers import person

T1 = datetime(2024, 1, 1, tzinfo=UTC)
T2 = datetime(2024, 6, 1, tzinfo=UTC)
T3 = datetime(2025, 1, 1, tzinfo=UTC)

PEOPLE = [
    person("1", system="salesforce", email="bob@acme.com", company="Acme", updated_at=T1, created_at=T1),
    person("2", system="zendesk", email="bob@gmail.com", company="Acme Inc", updated_at=T3, created_at=T2),
    person("3", system="hubspot", email="r.smith@acme.com", company="Acme", updated_at=T2, created_at=T3),
]


def _golden(rule: SurvivorshipRule, **kwargs: object) -> tuple[object, str]:
    settings = SurvivorshipSettings(fields={"email": rule, "company": rule}, **kwargs)  # type: ignore[arg-type]
    golden = golden_record(PEOPLE, settings)
    return golden["email"].value, str(golden["email"].source)


def test_most_recent() -> None:
    assert _golden(SurvivorshipRule.MOST_RECENT) == ("bob@gmail.com", "zendesk/people/2")


def test_system_priority() -> None:
    rule = SurvivorshipRule.SYSTEM_PRIORITY
    assert _golden(rule, system_priority=["hubspot", "salesforce"]) == ("r.smith@acme.com", "hubspot/people/3")
    assert _golden(rule, system_priority=["salesforce"]) == ("bob@acme.com", "salesforce/people/1")


def test_first_non_empty_is_the_earliest_created() -> None:
    assert _golden(SurvivorshipRule.FIRST_NON_EMPTY) == ("bob@acme.com", "salesforce/people/1")


def test_most_frequent_with_provenance_and_rule() -> None:
    settings = SurvivorshipSettings(fields={"company": SurvivorshipRule.MOST_FREQUENT})
    golden = golden_record(PEOPLE, settings)
    assert golden["company"].value == "Acme"
    assert str(golden["company"].source) == "hubspot/people/3"  # the more recent of the two 'Acme'
    assert golden["company"].rule == "most_frequent"
    assert golden["company"].observed_at == T2


def test_fields_nobody_has_are_absent_and_dates_are_iso() -> None:
    golden = golden_record([person("1", date_of_birth="1980-02-03")], SurvivorshipSettings())
    assert golden["date_of_birth"].value == "1980-02-03"
    assert "email" not in golden
