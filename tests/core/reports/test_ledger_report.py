"""The customer's ledger in the reconciliation report: stated consents, whether opt-outs landed, statements by kind.

The store: Ada withdrew email marketing in the preference centre (after giving it once),
her suppression flag landed in Salesforce and was written to HubSpot but not read back
yet; Bob's withdrawal was recorded for him by the call centre, nothing was decided or
written for him, and HubSpot still says he is subscribed; Dee withdrew before the window
and it has not landed; Cy withdrew before the window and it landed (so he is not listed).
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from connectors.base import SourceRecord
from core.ledger.service import record_statements
from core.mapping import load_mapping
from core.reports.customer_ledger import ledger_status
from core.reports.reconcile import ReportOptions, build_report
from core.reports.render import write_csv, write_html, write_json
from core.store import DecisionInput, LinkInput, LinkMethod, ProfileInput, open_store
from tests.core.ledger.helpers import consent, preference

MAPPINGS = Path(__file__).resolve().parents[3] / "mappings"
ADA, BOB, CY, DEE = "cp_0000ada00000", "cp_0000b0b00000", "cp_0000c0000000", "cp_0000dee00000"
SF, HS = ("salesforce", "Contact"), ("hubspot", "contacts")
FLAG_SF, FLAG_HS = "Contactpoint_Suppressed__c", "contactpoint_suppressed"


def _targets() -> list:
    found = []
    for system in ("salesforce", "hubspot"):
        mapping = load_mapping(MAPPINGS / f"{system}.yaml")
        found += [(system, s, mapping.writeback(s)) for s in mapping.streams if mapping.writeback(s).fields]
    return found


class _Op:
    def __init__(self, source_id: str, fields: dict) -> None:
        self.source_id, self.fields = source_id, fields


def _sf(sid: str, *, flag: bool) -> SourceRecord:
    return SourceRecord(*SF, sid, {"Id": sid, FLAG_SF: flag})


def _hs(sid: str, *, flag: str) -> SourceRecord:
    return SourceRecord(*HS, sid, {"id": sid, "properties": {FLAG_HS: flag}})


def _people(store) -> None:
    names = {ADA: ("Ada", "Lovelace"), BOB: ("Bob", "Marley"), CY: ("Cy", "Twombly"), DEE: ("Dee", "Dee")}
    store.profiles.upsert([ProfileInput(pid, {"first_name": {"value": first}, "last_name": {"value": last}})
                           for pid, (first, last) in names.items()], run_id=None)  # fmt: skip
    records = {ADA: [_sf("003ADA", flag=False), _hs("901", flag="")],
               BOB: [_sf("003BOB", flag=False), _hs("902", flag="")],
               CY: [_sf("003CY", flag=True)], DEE: [_sf("003DEE", flag=False)]}  # fmt: skip
    store.links.save([LinkInput(r.system, r.stream, r.source_id, pid, LinkMethod.RULE, "same_personal_email")
                      for pid, found in records.items() for r in found], run_id=None)  # fmt: skip
    store.records.upsert_source([r for found in records.values() for r in found], run_id=None)
    person = {pid: f"{names[pid][0].lower()}@example.com" for pid in names}
    store.records.upsert_canonical([(r, "Person", 0, {"email": person[pid], "first_name": names[pid][0]})
                                    for pid, found in records.items() for r in found], run_id=None)  # fmt: skip
    subscribed = SourceRecord("hubspot", "subscriptions", "902:all", {"id": "902:all"})
    store.records.upsert_source([subscribed], run_id=None)
    store.records.upsert_canonical([(subscribed, "Consent", 0, {"channel": "email", "purpose": "all email",
                                                                "status": "granted", "at": "2024-04-20T00:00:00Z"})],
                                   run_id=None)  # fmt: skip
    store.identifiers.replace(
        [(r, [("Person", f"email:{person[pid]}")]) for pid, found in records.items() for r in found]
        + [(subscribed, [("Consent", f"email:{person[BOB]}")])]
    )


@pytest.fixture
def ledger_store(store_url, fixed_clock):
    """The store of the module docstring; the report's window starts at the run ``window-run``."""
    with open_store(store_url, clock=fixed_clock) as store:
        _people(store)
        record_statements(store, [consent("withdrawn", at="2024-04-25T10:00:00Z", person=CY),
                                  consent("withdrawn", at="2024-04-25T11:00:00Z", person=DEE)])  # fmt: skip
        fixed_clock.advance(minutes=5)
        store.runs.start("sync", run_id="window-run")
        fixed_clock.advance(minutes=1)
        stated = [
            consent("given", at="2024-04-01T10:00:00Z", person=ADA, kind="preference_centre"),
            consent("withdrawn", at="2024-05-01T09:00:00Z", person=ADA, kind="preference_centre"),
            consent("withdrawn", at="2024-05-01T09:10:00Z", person=BOB),
            consent("withdrawn", at="2024-05-01T09:20:00Z", person=ADA, kind="observation", system="hubspot"),
        ]
        stated[2]["source"]["by"] = "call centre: Jo Bloggs"
        stated[3]["source"]["record"] = "hubspot/contacts/901"
        record_statements(store, [*stated, preference("weekly_cap", 3, at="2024-05-01T09:25:00Z", person=CY)])
        store.decisions.save([DecisionInput(ADA, {"suppression.marketing": True,
                                                  "suppression.reasons": ["unsubscribed_anywhere"]}, {})], run_id=None)  # fmt: skip
        fixed_clock.advance(minutes=1)
        store.writeback.record(*SF, [_Op("003ADA", {FLAG_SF: True})], run_id=None)
        store.writeback.record(*HS, [_Op("901", {FLAG_HS: "true"})], run_id=None)
        fixed_clock.advance(minutes=1)
        store.records.upsert_source([_sf("003ADA", flag=True)], run_id=None)  # Salesforce read back; HubSpot not yet
        yield store


def _report(store, *, reveal: bool = False):
    return build_report(store, ReportOptions(since_run="window-run", targets=_targets(), reveal=reveal, keep=False))


def _json(report) -> dict:
    out = io.StringIO()
    write_json(report, out)
    return dict(json.loads(out.getvalue()))


def _rows(document: dict, name: str) -> list[dict]:
    table = document["tables"][name]
    return [dict(zip(table["columns"], row, strict=True)) for row in table["rows"]]


@pytest.mark.parametrize(
    ("stated", "field_status", "system_consent", "status"),
    [
        ("withdrawn", "landed", None, "landed"),
        ("withdrawn", "not written yet", "denied", "landed"),
        ("withdrawn", "landed", "granted", "conflicting: the system says granted"),
        ("withdrawn", "written (read back at the next pull)", None, "written (read back at the next pull)"),
        ("withdrawn", "written (the system's value is not read back)", None,
         "written (the system's value is not read back)"),
        ("withdrawn", "not landed", None, "not written yet"),
        ("withdrawn", "not written", None, "not written yet"),
        ("withdrawn", "not landed: changed in the system since written", None,
         "not landed: changed in the system since written"),
        ("given", "landed", None, "given (nothing to suppress)"),
        ("given", "not written yet", "denied", "conflicting: the system says denied"),
    ],
)  # fmt: skip
def test_a_stated_consent_stands_in_a_system_by_its_suppression_field_and_the_systems_own_consent(
    stated, field_status, system_consent, status
):
    assert ledger_status(stated, field_status, system_consent) == status


def test_the_json_report_lists_each_stated_consent_per_system_and_counts_opt_outs_not_landed(ledger_store):
    with _report(ledger_store) as report:
        document = _json(report)
        summary = report.summary
    rows = _rows(document, "ledger_consents")
    where = {(r["profile_id"], r["stated"], r["system"]): r for r in rows}
    assert where[(ADA, "withdrawn", "salesforce")]["status"] == "landed"
    assert where[(ADA, "withdrawn", "salesforce")]["field"] == FLAG_SF
    assert where[(ADA, "withdrawn", "hubspot")]["status"] == "written (read back at the next pull)"
    assert where[(ADA, "withdrawn", "hubspot")]["kind"] == "preference_centre"
    assert where[(ADA, "withdrawn", "hubspot")]["in_force"] == "in force"
    given = where[(ADA, "given", "")]
    assert given["status"].startswith("superseded") and given["in_force"].startswith("superseded by st_")
    assert where[(BOB, "withdrawn", "salesforce")]["status"] == "not written yet"
    assert where[(BOB, "withdrawn", "hubspot")]["status"] == "conflicting: the system says granted"
    assert where[(BOB, "withdrawn", "hubspot")]["system_consent"] == "granted"
    assert where[(BOB, "withdrawn", "salesforce")]["kind"] == "customer"
    assert where[(DEE, "withdrawn", "salesforce")]["window"] == "before the window, not landed yet"
    assert where[(ADA, "withdrawn", "salesforce")]["window"] == "in the window"
    assert CY not in {r["profile_id"] for r in rows}  # withdrawn before the window, and it landed
    assert all(r["kind"] != "observation" for r in rows)
    assert where[(ADA, "withdrawn", "salesforce")]["name"] == "A… (12 characters)"
    assert where[(BOB, "withdrawn", "salesforce")]["by"] == "c… (22 characters)"
    ledger = document["figures"]["ledger"]
    assert ledger["opt_outs"] == 3 and ledger["opt_outs_not_landed_everywhere"] == 3
    assert ledger["opt_outs_landed_everywhere"] == 0 and ledger["opt_outs_conflicting"] == 1
    assert (ledger["statements_customer"], ledger["statements_operator"], ledger["statements_preference_centre"],
            ledger["statements_observation"]) == (1, 1, 2, 1)  # fmt: skip
    assert "3 ledger opt-out(s) not landed everywhere" in summary
    assert document["report"]["summary"] == summary
    kinds = {(r["made_by"], r["type"]): r for r in _rows(document, "ledger_statements")}
    assert kinds[("preference centre", "consent")]["statements"] == 2
    assert kinds[("preference centre", "consent")]["people"] == 1
    assert kinds[("operator", "consent")]["kind"] == "customer"
    assert kinds[("operator", "consent")]["who"].startswith("an operator")
    assert kinds[("customer", "preference")]["statements"] == 1
    assert kinds[("observation", "consent")]["statements"] == 1
    assert ("customer", "consent") not in kinds  # Cy's and Dee's were recorded before the window
    assert "Lovelace" not in json.dumps(document) and "Jo Bloggs" not in json.dumps(document)


def test_once_the_flag_is_read_back_everywhere_the_opt_out_landed(ledger_store, fixed_clock):
    fixed_clock.advance(minutes=1)
    ledger_store.records.upsert_source([_hs("901", flag="true")], run_id=None)
    with _report(ledger_store) as report:
        rows = [r for r in report.tables["ledger_consents"].dicts() if r["profile_id"] == ADA]
        figures = report.figures["ledger"]
    assert {r["status"] for r in rows if r["stated"] == "withdrawn"} == {"landed"}
    assert figures["opt_outs_landed_everywhere"] == 1 and figures["opt_outs_not_landed_everywhere"] == 2


def test_html_and_csv_carry_the_same_rows_as_json_and_reveal_shows_the_names(ledger_store, tmp_path):
    with _report(ledger_store) as report:
        document = _json(report)
        html = io.StringIO()
        write_html(report, html)
        write_csv(report, tmp_path / "csv")
    expected = document["tables"]["ledger_consents"]["rows"]
    assert len(expected) == 6
    with (tmp_path / "csv" / "ledger_consents.csv").open(newline="", encoding="utf-8") as handle:
        read = list(csv.reader(handle))
    assert read[0] == document["tables"]["ledger_consents"]["columns"]
    assert read[1:] == [["" if v is None else str(v) for v in row] for row in expected]
    page = html.getvalue()
    assert 'id="ledger_consents"' in page and 'id="ledger_statements"' in page and 'id="ledger-section"' in page
    body = page.split('id="ledger_consents"', 1)[1].split("</table>", 1)[0]
    assert body.count("<tr") - 1 == len(expected)
    assert body.count('class="bad"') == 3  # Bob twice (not written, conflicting) and Dee
    assert "3 ledger opt-out(s) not landed everywhere" in page
    assert "Lovelace" not in page
    with _report(ledger_store, reveal=True) as revealed:
        names = {r["name"] for r in revealed.tables["ledger_consents"].dicts()}
        by = {r["by"] for r in revealed.tables["ledger_consents"].dicts()}
    assert "Ada Lovelace" in names and "call centre: Jo Bloggs" in by


@pytest.mark.slow
def test_the_ledger_table_filters_and_highlights_in_a_real_browser(ledger_store, tmp_path):
    from playwright.sync_api import sync_playwright

    from tests.core.reports.test_reports_e2e import CHROMIUM, CHROMIUM_ARGS

    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: `make test` installs Debian's chromium (apt-get install -y chromium)")
    out = tmp_path / "reconcile.html"
    with _report(ledger_store) as report, out.open("w", encoding="utf-8") as handle:
        write_html(report, handle)
    errors: list[str] = []
    requests: list[str] = []
    with sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        page = browser.new_page()
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.on("request", lambda r: requests.append(r.url))
        page.goto(out.as_uri())
        assert "3 ledger opt-out(s) not landed everywhere" in page.inner_text("#summary")
        assert page.locator("#ledger_consents tbody tr").count() == 6
        page.fill("#filter-ledger_consents", BOB)
        visible = page.locator("#ledger_consents tbody tr:not([hidden])")
        assert visible.count() == 2 and page.locator("#ledger_consents tbody tr.bad:not([hidden])").count() == 2
        assert page.inner_text("#count-ledger_consents").startswith("2 of 6 rows")
        browser.close()
    assert errors == [] and requests == [out.as_uri()]
