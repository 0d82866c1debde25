"""A sync over the vendor sandboxes, end to end: the stories told in sandbox/common/stories.py come true.

One sync run: the buyer's records in every system are one profile, she is an enterprise
buyer, the beginner nurture is suppressed with its reason, and her Salesforce contact
(read back through Salesforce's API) shows it; the customer who unsubscribed in HubSpot is
suppressed everywhere; the complaint raised one Task. A second run with nothing new writes
nothing; a dry run writes nothing and leaves the store as it was; a value a person changed
by hand in a field Contactpoint owns is reported and set back.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from simple_salesforce import Salesforce

from core.store import open_store
from sandbox.common.stories import story
from tests.support.sandboxes import SYSTEMS, SyncEnv, synced_project
from tests.support.snapshot import snapshot

pytestmark = [pytest.mark.live, pytest.mark.slow]


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[SyncEnv, dict]]:
    folder: Path = tmp_path_factory.mktemp("sync")
    with synced_project(folder) as synced:
        first = synced.sync()
        yield synced, first


def _salesforce(env: SyncEnv) -> Salesforce:
    sb = env.sandboxes["salesforce"]
    return Salesforce(instance_url=sb.base_url, session_id=sb.credentials["session_id"], session=sb.requests_session(),
                      version=sb.credentials["api_version"])  # fmt: skip


def _profile_of(env: SyncEnv, first_name: str, last_name: str) -> tuple[str, dict]:
    with open_store(env.url) as store:
        decided = store.decisions.get(store.profiles.active())
    found = [
        (p, v)
        for p, v in decided.items()
        if (v.get("golden.first_name"), v.get("golden.last_name")) == (first_name, last_name)
    ]
    (pid, values), *others = found
    assert not others, f"{first_name} {last_name} is in several profiles"
    return pid, values


def _contact(env: SyncEnv, last_name: str) -> dict:
    fields = ("Id, Contactpoint_Profile_Id__c, Contactpoint_Intent__c, Contactpoint_Segment__c, "
              "Contactpoint_Suppressed__c, Contactpoint_Suppression_Reasons__c, Contactpoint_Open_Tickets__c")  # fmt: skip
    found = _salesforce(env).query(f"SELECT {fields} FROM Contact WHERE LastName = '{last_name}'")["records"]
    assert len(found) == 1, found
    return dict(found[0])


def test_the_buyer_is_one_profile_across_every_system_and_her_crm_contact_shows_the_decisions(env):
    synced, first = env
    pid, values = _profile_of(synced, "Maya", "Lindqvist")
    with open_store(synced.url) as store:
        systems = {system for system, _, _ in store.links.of_profiles([pid])[pid]}
    assert systems == set(SYSTEMS)
    assert values["enrichment.segment"] == "enterprise buyer"
    assert "beginner_nurture_left" in values["suppression.reasons"]
    contact = _contact(synced, "Lindqvist")  # through Salesforce's API, not the store
    assert contact["Contactpoint_Profile_Id__c"] == pid
    assert contact["Contactpoint_Segment__c"] == "enterprise buyer"
    assert contact["Contactpoint_Intent__c"] == pytest.approx(values["enrichment.intent_score"])
    assert contact["Contactpoint_Intent__c"] > 15
    assert "beginner_nurture_left" in contact["Contactpoint_Suppression_Reasons__c"]
    if "zendesk" in SYSTEMS:
        assert contact["Contactpoint_Open_Tickets__c"] >= 1 and "urgent_ticket_open" in values["suppression.reasons"]
    assert first["per_system"]["salesforce"]["written"] > 0 and first["per_system"]["salesforce"]["failed"] == 0


def test_a_run_that_wrote_with_no_failure_and_nothing_parked_is_recorded_as_succeeded(env):
    synced, first = env
    assert first["writes"] > 0 and first["writes_failed"] == 0
    with open_store(synced.url) as store:
        run = store.runs.get(first["run_id"])
    assert run is not None
    assert run.status == ("partial" if first["rejected"] else "succeeded"), (run.status, first["rejected"])


def test_unsubscribed_in_hubspot_only_is_suppressed_in_every_other_system(env):
    synced, _ = env
    tomas = story("unsubscribed").people[0]
    pid, values = _profile_of(synced, tomas.first_name, tomas.last_name)
    assert values["suppression.marketing"] is True and "unsubscribed_anywhere" in values["suppression.reasons"]
    assert _contact(synced, tomas.last_name)["Contactpoint_Suppressed__c"] is True
    state = synced.vendor_state()
    mixpanel = [p for p in state["mixpanel"].values() if p.get("contactpoint_profile_id") == pid]
    assert mixpanel and all(p["contactpoint_suppressed"] is True for p in mixpanel)
    if "zendesk" in state:
        zendesk = [u for u in state["zendesk"].values() if u.get("contactpoint_profile_id") == pid]
        assert zendesk and all(u.get("contactpoint_suppressed") in (True, "true") for u in zendesk)


@pytest.mark.skipif("zendesk" not in SYSTEMS, reason="the complaint is a Zendesk ticket")
def test_a_complaint_raises_exactly_one_salesforce_task_also_after_another_run(env):
    synced, _ = env
    priya = story("complainer").people[0]
    contact = _contact(synced, priya.last_name)
    tasks = [t for t in synced.vendor_state()["salesforce"]["tasks"] if t[1] == contact["Id"]]
    assert len(tasks) == 1 and tasks[0][0].startswith("complaint:zendesk/")
    synced.sync()
    again = [t for t in synced.vendor_state()["salesforce"]["tasks"] if t[1] == contact["Id"]]
    assert again == tasks


def test_a_rerun_with_nothing_new_makes_no_write_call(env):
    synced, _ = env
    synced.sync()  # settles what the first run's own writes brought back
    before = {name: sb.control.requests.snapshot() for name, sb in synced.sandboxes.items()}
    summary = synced.sync()
    assert summary["write_calls"] == 0 and summary["writes"] == 0
    assert all(system["write_calls"] == 0 for system in summary["per_system"].values())
    for name, sb in synced.sandboxes.items():
        after = sb.control.requests.snapshot()
        sent = {k: after[k] - before[name].get(k, 0) for k in after if after[k] != before[name].get(k, 0)}
        writes = {k: n for k, n in sent.items() if k.split()[0] in ("PATCH", "PUT", "DELETE") or _is_write(k)}
        assert writes == {}, (name, writes)


def _is_write(key: str) -> bool:
    method, _, path = key.partition(" ")
    return method == "POST" and not any(part in path for part in ("search", "token", "query", "/engage", "batch/read"))


def test_a_dry_run_writes_nothing_and_leaves_the_store_as_it_was_then_a_hand_change_is_set_back(env):
    synced, _ = env
    contact = _contact(synced, "Lindqvist")
    org = synced.sandboxes["salesforce"].control.org
    record = org.get("Contact", contact["Id"])
    org.update(record, {"Contactpoint_Segment__c": "typed by a sales rep"})  # a person's hand change
    with open_store(synced.url) as store:
        before = snapshot(store)
    dry = synced.sync("--dry-run")
    assert dry["dry_run"] is True and dry["writes"] == 0 and dry["per_system"] == {}
    assert _contact(synced, "Lindqvist")["Contactpoint_Segment__c"] == "typed by a sales rep"
    with open_store(synced.url) as store:
        assert snapshot(store) == before  # cursors, records and decisions too: the real run does it all
    planned = [c for w in dry["plan"]["writes"] for c in w["changes"] if w["source_id"] == contact["Id"]]
    assert [(c["field"], c["why"]) for c in planned] == [("Contactpoint_Segment__c", "restore")]
    assert any(
        h["field"] == "Contactpoint_Segment__c" and h["action"] == "overwritten" for h in dry["plan"]["hand_changes"]
    )
    real = synced.sync()
    assert real["per_system"]["salesforce"]["written"] == 1
    assert _contact(synced, "Lindqvist")["Contactpoint_Segment__c"] == "enterprise buyer"


def test_a_revoked_grant_stops_personal_writes_there_while_protections_and_quiet_hours_land(env, tmp_path):
    """The customer's own ledger: grants to Salesforce and HubSpot, quiet hours, then HubSpot's grant revoked."""
    synced, _ = env
    pid, _ = _profile_of(synced, "Maya", "Lindqvist")
    everything = ["identity", "contact", "address", "work", "demographics", "activity", "preferences", "interests"]
    statements = [
        {"person": pid, "type": "grant", "source": {"kind": "customer"}, "system": system, "parts": everything,
         "purposes": ["marketing", "service", "personalisation", "analytics"], "expires_at": "2099-01-01T00:00:00Z"}
        for system in ("salesforce", "hubspot", "mixpanel", "zendesk")
    ] + [
        {"person": pid, "type": "preference", "source": {"kind": "customer"}, "name": "quiet_hours",
         "value": {"start": "21:00", "end": "08:00", "timezone": "Europe/Stockholm"}},
        {"person": pid, "type": "revoke", "source": {"kind": "customer"}, "system": "hubspot"},
    ]  # fmt: skip
    file = tmp_path / "statements.json"
    file.write_text(json.dumps(statements), encoding="utf-8")
    recorded = synced.cli_store("ledger", "record", str(file), "--reason", "the customer's grants, read out by phone")
    assert recorded.exit_code == 0, recorded.output
    portal = synced.sandboxes["hubspot"].control.portal
    maya = next(r for r in portal.live("contacts") if r.props.get("contactpoint_profile_id") == pid)
    portal.update("contacts", maya, {"contactpoint_segment": "typed in HubSpot"})  # owned: restored, were it granted
    summary = synced.sync()
    held = [h for h in summary["plan"]["held_back"] if h["profile_id"] == pid]
    assert held and {h["system"] for h in held} == {"hubspot"}
    assert all("grant_revoked" in h["reason"] for h in held)
    assert maya.props["contactpoint_quiet_hours"] == "21:00-08:00 Europe/Stockholm"  # a protection: it lands
    assert maya.props["contactpoint_segment"] == "typed in HubSpot"  # personal: held back
    contact = _salesforce(synced).query(
        f"SELECT Contactpoint_Quiet_Hours__c FROM Contact WHERE Contactpoint_Profile_Id__c = '{pid}'"
    )["records"][0]
    assert contact["Contactpoint_Quiet_Hours__c"] == "21:00-08:00 Europe/Stockholm"


def test_an_opt_out_in_the_preference_centre_reaches_every_system_at_the_next_run(env, tmp_path):
    """Nothing changed in any system: the statement (recorded for the customer) alone makes the person due, and it
    suppresses everywhere."""
    synced, _ = env
    with open_store(synced.url) as store:
        decided = store.decisions.get(store.profiles.active())
    state = synced.vendor_state()
    in_mixpanel = {p.get("contactpoint_profile_id") for p in state["mixpanel"].values()}
    pid = next(p for p, v in sorted(decided.items()) if not v.get("suppression.marketing") and p in in_mixpanel)
    statement = {"person": pid, "type": "consent", "source": {"kind": "customer"}, "channel": "email",
                 "purpose": "marketing", "status": "withdrawn"}  # fmt: skip
    file = tmp_path / "opt-out.json"
    file.write_text(json.dumps(statement), encoding="utf-8")
    recorded = synced.cli_store("ledger", "record", str(file), "--reason", "asked by phone to get no more emails")
    assert recorded.exit_code == 0, recorded.output
    summary = synced.sync()
    assert not summary["identity"]["mode"].startswith("batch"), summary["identity"]  # no full re-resolve
    with open_store(synced.url) as store:
        values = store.decisions.get([pid])[pid]
    assert values["suppression.marketing"] is True and "unsubscribed_anywhere" in values["suppression.reasons"]
    mixpanel = [p for p in synced.vendor_state()["mixpanel"].values() if p.get("contactpoint_profile_id") == pid]
    assert mixpanel and all(p["contactpoint_suppressed"] is True for p in mixpanel)


def test_the_human_summary_is_plain_words_and_tables_on_stdout(env):
    synced, _ = env
    result = synced.cli("sync", "run")
    assert result.exit_code == 0, result.output
    out = result.stdout
    identity = next(line for line in out.splitlines() if line.startswith("identity: "))
    assert "{" not in identity and "'" not in identity, identity  # no Python dict text
    assert "profiles touched (" in identity
    assert "write-back (wrote)" in out and "write calls" in out
    assert next(line for line in out.splitlines() if line.startswith("pulled ")).split(",")[0].split()[1].isdigit()


def test_an_unsubscribe_from_one_kind_of_email_through_hubspots_own_client_reaches_every_system_in_one_run(env):
    """Not "unsubscribed from all": one subscription type, as a preference centre would; its event comes minutes later."""
    import hubspot
    from hubspot.communication_preferences import PublicUpdateSubscriptionStatusRequest

    synced, _ = env
    synced.sync()  # settles what earlier tests' runs brought back
    maya = story("buyer").people[0]
    pid, values = _profile_of(synced, maya.first_name, maya.last_name)
    assert "unsubscribed_anywhere" not in values["suppression.reasons"]
    sb = synced.sandboxes["hubspot"]
    api = hubspot.Client.create(
        access_token=sb.credentials["private_app_token"], host=sb.base_url, ssl_ca_cert=str(sb.ca_file)
    )
    marketing = next(
        d for d in api.communication_preferences.definition_api.get_page().subscription_definitions
        if d.name == "Marketing Information"
    )  # fmt: skip
    request = PublicUpdateSubscriptionStatusRequest(
        email_address=maya.email, subscription_id=str(marketing.id), legal_basis="CONSENT_WITH_NOTICE",
        legal_basis_explanation="unticked in the preference centre",
    )  # fmt: skip
    assert api.communication_preferences.status_api.unsubscribe(request).status == "NOT_SUBSCRIBED"
    synced.sync()
    assert _profile_of(synced, maya.first_name, maya.last_name)[0] == pid
    values = _profile_of(synced, maya.first_name, maya.last_name)[1]
    assert values["suppression.marketing"] is True and "unsubscribed_anywhere" in values["suppression.reasons"]
    assert "unsubscribed_anywhere" in _contact(synced, maya.last_name)["Contactpoint_Suppression_Reasons__c"]
    mixpanel = [p for p in synced.vendor_state()["mixpanel"].values() if p.get("contactpoint_profile_id") == pid]
    assert mixpanel and all(p["contactpoint_suppressed"] is True for p in mixpanel)


def test_a_profile_deleted_with_mixpanels_own_client_is_unlinked_and_never_made_again(env):
    """Mixpanel's engage API reports no deletions, and a $set to a deleted profile makes it anew."""
    from mixpanel import Consumer, Mixpanel

    synced, _ = env
    tomas = story("unsubscribed").people[0]
    pid, _ = _profile_of(synced, tomas.first_name, tomas.last_name)
    with open_store(synced.url) as store:
        (distinct_id,) = [i for s, st, i in store.links.of_profiles([pid])[pid] if (s, st) == ("mixpanel", "profiles")]
    sb = synced.sandboxes["mixpanel"]
    profiles = sb.control.project.profiles
    assert distinct_id in profiles
    consumer = Consumer(api_host=sb.credentials["api_host"], verify_cert=str(sb.ca_file), retry_backoff_factor=0)
    Mixpanel(sb.credentials["project_token"], consumer=consumer).people_delete(distinct_id)
    assert distinct_id not in profiles
    synced.sync()
    with open_store(synced.url) as store:
        linked = store.links.of_profiles([pid]).get(pid, [])
        assert linked and ("mixpanel", "profiles", distinct_id) not in linked
        stored = store.records.get_source("mixpanel", "profiles", distinct_id)
        assert stored is not None and stored.deleted
    synced.sync()
    assert distinct_id not in profiles  # nothing wrote to it, which would have made it anew


@pytest.mark.skipif("zendesk" not in SYSTEMS, reason="the rating is given in Zendesk")
def test_a_bad_rating_given_through_zenpy_raises_exactly_one_salesforce_task(env):
    """The requester rates a solved ticket "bad" with their own sign-in; no tag, no ticket type says complaint."""
    from zenpy import Zenpy
    from zenpy.lib.api_objects import SatisfactionRating

    synced, _ = env
    zd, sf = synced.sandboxes["zendesk"], synced.sandboxes["salesforce"]
    account = zd.control.account
    contacts = {str(r.get("Email") or "").lower(): r for r in sf.control.org.live("Contact") if r.get("OwnerId")}
    already = {who for _, who, _ in synced.vendor_state()["salesforce"]["tasks"]}
    with open_store(synced.url) as store:
        profile_of = {(link.system, link.stream, link.source_id): link.profile_id for link in store.links.iter()}

    def rated_by_a_customer(ticket: dict) -> dict | None:
        """The customer's Salesforce contact, when the ticket is theirs to rate and they are one profile with it."""
        user = account.users[ticket["requester_id"]]
        contact = contacts.get(str(user.get("email") or "").lower())
        if contact is None or user["role"] != "end-user" or not user.get("verified") or contact["Id"] in already:
            return None
        same = profile_of.get(("zendesk", "users", str(user["id"]))) == profile_of.get(
            ("salesforce", "Contact", contact["Id"])
        )
        return contact if same else None

    ticket, contact = next(
        (t, contact)
        for _, t in sorted(account.tickets.items())
        if t["status"] == "solved" and (t.get("satisfaction_rating") or {}).get("score") in ("offered", "unoffered")
        and "complaint" not in t["tags"] and t.get("type") != "complaint" and (contact := rated_by_a_customer(t))
    )  # fmt: skip
    requester = account.users[ticket["requester_id"]]
    c = zd.credentials
    zenpy = Zenpy(subdomain=c["zenpy_subdomain"], domain=c["zenpy_domain"], session=zd.requests_session(),
                  email=requester["email"], token=c["api_token"])  # fmt: skip
    zenpy.satisfaction_ratings.create(ticket["id"], SatisfactionRating(score="bad", comment="Nobody answered"))
    zd.control.advance_clock(61)  # the export leaves out the last minute's changes
    synced.sync()
    tasks = [t for t in synced.vendor_state()["salesforce"]["tasks"] if t[1] == contact["Id"]]
    assert len(tasks) == 1 and tasks[0][0].startswith(f"complaint:zendesk/tickets/{ticket['id']}")
    assert tasks[0][2] == contact["OwnerId"]
    synced.sync()
    assert [t for t in synced.vendor_state()["salesforce"]["tasks"] if t[1] == contact["Id"]] == tasks


@pytest.mark.skipif("zendesk" not in SYSTEMS, reason="the complaint is a Zendesk ticket")
def test_a_complaint_from_a_helpdesk_whose_clock_runs_ahead_raises_one_task_once_its_time_comes(env, monkeypatch):
    """The agent types the customer's email as the requester (zenpy), the helpdesk's clock runs two minutes ahead
    of ours: the ticket is stamped later than the run that reads it, and must not be lost for it."""
    from zenpy import Zenpy
    from zenpy.lib.api_objects import Comment, Ticket, User

    import core.sync.run as sync_run

    synced, _ = env
    zd, sf = synced.sandboxes["zendesk"], synced.sandboxes["salesforce"]
    already = {who for _, who, _ in synced.vendor_state()["salesforce"]["tasks"]}
    with open_store(synced.url) as store:
        profile_of = {(link.system, link.stream, link.source_id): link.profile_id for link in store.links.iter()}
    users = {str(u.get("email") or "").lower(): u for u in zd.control.account.live_users() if u["role"] == "end-user"}
    contact = next(
        c for c in sf.control.org.live("Contact")
        if c.get("OwnerId") and c["Id"] not in already and (u := users.get(str(c.get("Email") or "").strip().lower()))
        and profile_of.get(("zendesk", "users", str(u["id"]))) == profile_of.get(("salesforce", "Contact", c["Id"]))
    )  # fmt: skip
    email = str(contact["Email"]).strip().upper()  # typed as it came, in capitals
    c = zd.credentials
    zenpy = Zenpy(subdomain=c["zenpy_subdomain"], domain=c["zenpy_domain"], session=zd.requests_session(),
                  email=c["email"], token=c["api_token"])  # fmt: skip
    ours = datetime.now(UTC)
    zd.control.advance_clock(max(0.0, 120 - (zd.control.account.clock.now() - ours).total_seconds()))
    made = zenpy.tickets.create(Ticket(subject="Charged twice", comment=Comment(body="Refund me"), tags=["complaint"],
                                       requester=User(name="Whoever", email=email)))  # fmt: skip
    assert made.ticket.requester_id == users[email.lower()]["id"]  # the existing user, not a new one
    zd.control.advance_clock(61)  # the export leaves out the last minute's changes, by the helpdesk's clock

    def tasks() -> list[tuple[str, str, str]]:
        return [t for t in synced.vendor_state()["salesforce"]["tasks"] if t[1] == contact["Id"]]

    synced.sync()  # reads the ticket, stamped after this run's time: nothing is decided on it yet
    later = datetime.now(UTC) + timedelta(minutes=5)
    monkeypatch.setattr(sync_run, "evaluation_time", lambda store: later)
    synced.sync()  # nothing new was read: the profile is due when the ticket's time came
    raised = tasks()
    assert len(raised) == 1 and raised[0][0] == f"complaint:zendesk/tickets/{made.ticket.id}"
    synced.sync()
    assert tasks() == raised


def test_a_bounce_salesforce_recorded_suppresses_email_marketing_in_every_system_after_one_run(env):
    """Salesforce's bounce management sets Email Bounced Date and Reason; the other systems must stop mailing."""
    synced, _ = env
    sf = _salesforce(synced)
    with open_store(synced.url) as store:
        decided = store.decisions.get(store.profiles.active())
    state = synced.vendor_state()
    in_hubspot = {p.get("contactpoint_profile_id") for p in state["hubspot"].values()}
    contacts = sf.query_all(
        "SELECT Id, Contactpoint_Profile_Id__c FROM Contact WHERE Contactpoint_Profile_Id__c != null"
    )
    pid, contact = next(
        (c["Contactpoint_Profile_Id__c"], c["Id"]) for c in contacts["records"]
        if c["Contactpoint_Profile_Id__c"] in in_hubspot and not decided.get(c["Contactpoint_Profile_Id__c"], {}).get(
            "suppression.marketing")
    )  # fmt: skip
    bounced = (datetime.now(UTC) - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%S.000+0000")
    sf.Contact.update(contact, {"EmailBouncedDate": bounced,
                                "EmailBouncedReason": "550 5.1.1 The email account does not exist"})  # fmt: skip
    synced.sync()
    with open_store(synced.url) as store:
        values = store.decisions.get([pid])[pid]
    assert values["suppression.marketing"] is True and "email_bounced" in values["suppression.reasons"]
    hubspot = [p for p in synced.vendor_state()["hubspot"].values() if p.get("contactpoint_profile_id") == pid]
    assert hubspot and all(p.get("contactpoint_suppressed") in (True, "true") for p in hubspot)
