"""SOSL search in the Salesforce sandbox through simple-salesforce's ``search`` and ``quick_search``."""

from __future__ import annotations

import pytest
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import SalesforceMalformedRequest

from sandbox.common import RunningSandbox


def _person(sb: RunningSandbox) -> dict:
    contacts = sb.app.org.records["Contact"].values()
    return next(r for r in contacts if r.get("Email") and r.get("Phone") and not r["IsDeleted"])


def test_find_by_email_phone_and_name_returning_fields(sb, sf: Salesforce, seen) -> None:
    person = _person(sb)
    email = person["Email"].strip()
    found = sf.search(f"FIND {{{email.upper()}}} IN EMAIL FIELDS RETURNING Contact(Id, Email, Name), Lead(Id, Email)")
    hits = found["searchRecords"]
    assert person["Id"] in [h["Id"] for h in hits if h["attributes"]["type"] == "Contact"]
    assert all(h["Email"].strip().lower() == email.lower() for h in hits)  # case is ignored, nothing else found
    digits = "".join(ch for ch in person["Phone"] if ch.isdigit())[-7:]
    by_phone = sf.search(f"FIND {{{digits}}} IN PHONE FIELDS RETURNING Contact(Id, Phone LIMIT 5)")["searchRecords"]
    assert person["Id"] in [h["Id"] for h in by_phone] and len(by_phone) <= 5
    prefix = person["LastName"].strip()[:3]
    named = sf.search(f"FIND {{{prefix}*}} IN NAME FIELDS RETURNING Contact(LastName ORDER BY LastName)")
    names = [h["LastName"] for h in named["searchRecords"]]
    assert names == sorted(names) and all(n.lower().startswith(prefix.lower()) for n in names) and names
    everywhere = sf.quick_search(person["LastName"].strip())["searchRecords"]
    assert {h["attributes"]["type"] for h in everywhere} <= {"Account", "Contact", "Lead", "Opportunity"}
    assert person["Id"] in [h["Id"] for h in everywhere] and set(everywhere[0]) == {"attributes", "Id"}
    assert len(seen) == 4  # every exchange followed the contract (the fixture checks them)


def test_words_and_or_and_not_narrow_and_widen(sb, sf: Salesforce, seen) -> None:
    person = _person(sb)
    first, last = person["FirstName"], person["LastName"].strip()

    def ids(term: str) -> set[str]:
        return {h["Id"] for h in sf.search(f"FIND {{{term}}} IN NAME FIELDS RETURNING Contact(Id)")["searchRecords"]}

    both, only_last = ids(f"{first} {last}"), ids(last)
    assert person["Id"] in both and both <= only_last
    assert person["Id"] in ids(f'"{first} {last}"') and person["Id"] not in ids(f'"{last} {first}"')
    assert person["Id"] not in ids(f"{last} AND NOT {first}")
    assert ids(f"{last} OR {first}") >= ids(last) | ids(first)


@pytest.mark.parametrize(
    ("sosl", "code"),
    [
        ("FIND {a}", "INVALID_SEARCH"),
        ("SELECT Id FROM Contact", "MALFORMED_SEARCH"),
        ("FIND {maya} RETURNING Nope__c", "INVALID_TYPE"),
        ("FIND {maya} RETURNING Contact(Nope)", "INVALID_FIELD"),
    ],
)
def test_what_salesforce_refuses_is_a_400_naming_why(sf: Salesforce, seen, sosl: str, code: str) -> None:
    with pytest.raises(SalesforceMalformedRequest) as refused:
        sf.search(sosl)
    assert refused.value.content[0]["errorCode"] == code
