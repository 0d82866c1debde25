from __future__ import annotations

from datetime import date

from core.canonical import Person, RecordRef
from core.identity import resolve


def person(system: str, rid: str, **fields) -> Person:
    return Person(source=RecordRef(system=system, stream="people", source_id=rid), **fields)


def test_a_handful_of_records_still_links_the_same_person_and_keeps_colleagues_apart():
    people = [
        person("salesforce", "sf-1", first_name="Robert", last_name="Smith", email="robert.smith@acme.com",
               phone="+447700900123", company="Acme Inc.", city="Leeds", postcode="LS1 4AP", country="GB",
               date_of_birth=date(1980, 4, 2)),
        person("hubspot", "hs-3", first_name="Rob", last_name="Smith", email="robert.smith+news@acme.com",
               company="ACME Ltd", city="Leeds", postcode="LS14AP", country="GB", date_of_birth=date(1980, 4, 2)),
        person("zendesk", "zd-7", first_name="Bob", last_name="Smith", email="bob.smith@acme.com",
               phone="+447700900123", company="Acme"),
        person("salesforce", "sf-2", first_name="Alice", last_name="Jones", email="info@acme.com",
               company="Acme Inc.", city="Leeds", country="GB"),
        person("salesforce", "sf-3", first_name="Carol", last_name="Jones", email="info@acme.com",
               company="Acme Inc.", city="Leeds", country="GB"),
    ]  # fmt: skip
    profile = resolve(people).profile_of()
    assert profile["salesforce/people/sf-1"] == profile["hubspot/people/hs-3"] == profile["zendesk/people/zd-7"]
    assert profile["salesforce/people/sf-2"] != profile["salesforce/people/sf-3"]
    assert len(set(profile.values())) == 3
