"""Erasure against the vendor sandboxes, every exchange checked against the vendors' contracts.

Salesforce: a Contact deleted through sObject Collections; one whose deletion Salesforce
refuses (``refuse_delete``) blanked instead; an ID already gone answered as not found.
HubSpot: GDPR delete of a contact (gone from every list, its email blocklisted), and an
unknown ID. Mixpanel: a GDPR deletion task followed to SUCCESS, the profile gone.
"""

from __future__ import annotations

import pytest

from connectors.base import EraseOutcome, Eraser
from core.config import connector_of
from sandbox.common.control import FaultSpec
from sandbox.common.runner import running_sandbox
from tests.connectors.hubspot.traffic import captured
from tests.contracts.validator import validate_all

pytestmark = [pytest.mark.live, pytest.mark.slow]


def _connector(system: str, sb):
    connector = connector_of(system, sb.connector_settings(), name=system)
    assert isinstance(connector, Eraser)
    return connector


def test_salesforce_deletes_blanks_what_it_may_not_delete_and_knows_what_is_gone():
    with running_sandbox("salesforce", records=20, seed=5) as sb:
        org = sb.control.org
        first, second = [r["Id"] for r in list(org.live("Contact"))[:2]]
        sb.control.inject(FaultSpec("refuse_delete", params={"ids": [second]}))
        with captured(sb) as seen:
            results = _connector("salesforce", sb).erase("Contact", [first, second])
            again = _connector("salesforce", sb).erase("Contact", [first])
        assert [r.outcome for r in results] == [EraseOutcome.DELETED, EraseOutcome.ANONYMISED]
        assert "DELETE_FAILED" in results[1].message
        assert again[0].outcome is EraseOutcome.NOT_FOUND
        assert org.get("Contact", first)["IsDeleted"] is True
        kept = org.get("Contact", second)
        assert kept["IsDeleted"] is False and kept["Email"] is None and kept["LastName"] == "Erased"
        assert validate_all("salesforce", [e for e in seen if "/composite/" in e.url]) == []


def test_hubspot_gdpr_delete_removes_the_contact_for_good_and_blocklists_its_email():
    with running_sandbox("hubspot", records=20, seed=5) as sb:
        portal = sb.control.portal
        contact = next(portal.live("contacts"))
        email = contact.props["email"].lower()
        with captured(sb) as seen:
            results = _connector("hubspot", sb).erase("contacts", [contact.id, "999999999"])
        assert [r.outcome for r in results] == [EraseOutcome.DELETED, EraseOutcome.NOT_FOUND]
        assert contact.id not in portal.records["contacts"] and email in portal.blocklist
        gdpr = [e for e in seen if e.url.endswith("/gdpr-delete")]
        assert len(gdpr) == 2 and validate_all("hubspot", gdpr) == []


def test_mixpanel_deletion_task_is_followed_to_success_and_the_profile_is_gone():
    with running_sandbox("mixpanel", records=20, seed=5) as sb:
        project = sb.control.project
        distinct_id = next(iter(project.profiles))
        connector = connector_of("mixpanel", sb.connector_settings(), name="mixpanel")
        connector._sleep = lambda _seconds: None  # the sandbox's task moves on each status read
        with captured(sb) as seen:
            (result,) = connector.erase("profiles", [distinct_id])
        assert result.outcome is EraseOutcome.DELETED and "SUCCESS" in result.message
        assert distinct_id not in project.profiles
        deletions = [e for e in seen if "/data-deletions/" in e.url]
        assert [e.method for e in deletions][:1] == ["POST"] and len(deletions) >= 3
        assert validate_all("mixpanel", deletions) == []


def test_zendesk_deletes_then_permanently_deletes_the_user():
    with running_sandbox("zendesk", records=20, seed=5) as sb:
        users = sb.control.account.users
        user_id = next(k for k, u in users.items() if u.get("active") and u.get("role") == "end-user")
        with captured(sb) as seen:
            results = _connector("zendesk", sb).erase("users", [str(user_id)])
            again = _connector("zendesk", sb).erase("users", [str(user_id)])
        assert results[0].outcome is EraseOutcome.DELETED and again[0].outcome is EraseOutcome.NOT_FOUND
        assert user_id not in users
        deletes = [e for e in seen if e.method == "DELETE" and e.status < 300]
        assert [e.url.split("/api/v2/")[1].split("/")[0] for e in deletes] == ["users", "deleted_users"]
        assert validate_all("zendesk", deletes) == []
