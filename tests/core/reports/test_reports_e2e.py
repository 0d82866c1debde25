"""Reports, profiles, review, export and erasure over a store built by a sync of every sandbox.

The sync runs twice (the second pull reads back what the first wrote). Then: the JSON
report names Tomas's opt-out conflict (unsubscribed in HubSpot, marketable in Salesforce)
and shows his suppression landed in every system; the HTML report in headless chromium
filters its tables, makes no request and logs no error (screenshot kept); the admin pages
serve the report and the review queue behind their token and CSRF; the export validates
against its schema and holds every record, consent, ledger entry and suppression; the
review queue's pair is accepted into a merge; and finally erasure: each sandbox receives
its deletion, a failing one is retried by the next sync, and a re-pull does not bring the
person back.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from jsonschema import Draft202012Validator
from pydantic import SecretStr

from core.api import create_app
from core.ledger.settings import LedgerSettings
from core.ledger.signing import generate_key_text
from core.privacy import export_schema
from core.reports.project import project_context
from core.reports.reconcile import ReportOptions
from core.store import open_store
from sandbox.common.control import FaultSpec
from sandbox.common.stories import story
from tests.support.sandboxes import SyncEnv, synced_project

pytestmark = [pytest.mark.live, pytest.mark.slow]

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]  # fmt: skip


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SyncEnv]:
    folder: Path = tmp_path_factory.mktemp("reports")
    with synced_project(folder) as synced:
        synced.sync()
        synced.sync()  # reads back what the first run wrote
        yield synced


def _tomas() -> str:
    return str(story("unsubscribed").people[0].email)


def _pid(env: SyncEnv, email: str) -> str:
    result = env.cli("profile", "show", email, "--json")
    assert result.exit_code == 0, result.output
    return str(json.loads(result.stdout)["profile_id"])


def _report(env: SyncEnv, tmp_path: Path) -> dict:
    out = tmp_path / "report.json"
    result = env.cli("report", "reconcile", "--format", "json", "--out", str(out), "--no-keep")
    assert result.exit_code == 0, result.output
    return dict(json.loads(out.read_text()))


def _rows(report: dict, table: str) -> list[dict]:
    found = report["tables"][table]
    return [dict(zip(found["columns"], row, strict=True)) for row in found["rows"]]


def test_the_report_names_the_opt_out_conflict_and_shows_it_landed_everywhere(env, tmp_path):
    email = _tomas()
    pid = _pid(env, email)
    report = _report(env, tmp_path)
    consent = {r["system"]: r for r in _rows(report, "conflicts") if r["profile_id"] == pid and r["field"] == "consent"}
    assert consent["hubspot"]["value"] == "denied" and consent["hubspot"]["kept"] == "kept"
    assert consent["salesforce"]["value"].startswith("no opt-out") and consent["salesforce"]["kept"] == ""
    assert consent["salesforce"]["golden_value"] == "suppressed (marketing)"
    loop = [r for r in _rows(report, "closed_loop") if r["profile_id"] == pid]
    flags = {
        r["system"]: r
        for r in loop
        if r["field"].lower().endswith("suppressed__c") or r["field"] == "contactpoint_suppressed"
    }
    assert {"salesforce", "hubspot"} <= set(flags)
    assert flags["salesforce"]["status"] == flags["hubspot"]["status"] == "landed"
    assert flags["hubspot"]["system_consent"] == "denied"
    assert "unsubscribed_anywhere" in flags["salesforce"]["suppression"]
    assert report["figures"]["identity"]["profiles"] == sum(r["profiles"] for r in _rows(report, "profiles_by_systems"))
    systems = {r["system"] for r in _rows(report, "systems")}
    assert {"salesforce", "hubspot", "mixpanel"} <= systems
    assert report["report"]["masked"] is True and email not in json.dumps(report)


def test_csv_carries_the_same_rows_as_json(env, tmp_path):
    report = _report(env, tmp_path)
    folder = tmp_path / "csv"
    result = env.cli("report", "reconcile", "--format", "csv", "--out", str(folder), "--no-keep")
    assert result.exit_code == 0, result.output
    for name in ("conflicts", "closed_loop", "systems", "writeback", "ledger_consents", "ledger_statements"):
        lines = (folder / f"{name}.csv").read_text().splitlines()
        assert len(lines) - 1 == len(report["tables"][name]["rows"]), name


def test_the_html_report_in_a_real_browser_filters_makes_no_request_and_logs_no_error(env, tmp_path):
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: `make test` installs Debian's chromium (apt-get install -y chromium)")
    email = _tomas()
    pid = _pid(env, email)
    out = tmp_path / "reconcile.html"
    result = env.cli("report", "reconcile", "--out", str(out), "--no-keep")
    assert result.exit_code == 0, result.output
    errors: list[str] = []
    requests: list[str] = []
    with sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1440, "height": 900})
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.on("request", lambda r: requests.append(r.url))
        page.goto(out.as_uri())
        conflicts = page.locator("#conflicts tbody tr")
        total = conflicts.count()
        assert total > 0
        page.fill("#filter-conflicts", pid)
        visible = page.locator("#conflicts tbody tr:not([hidden])")
        assert 0 < visible.count() < total
        assert all(pid in row for row in visible.all_inner_texts())
        assert re.match(rf"{visible.count()} of {total} rows", page.inner_text("#count-conflicts"))
        page.fill("#filter-closed_loop", pid)
        loop = page.locator("#closed_loop tbody tr:not([hidden])")
        texts = loop.all_inner_texts()
        assert (
            all(pid in row for row in texts) and sum("\tlanded" in row or row.endswith("landed") for row in texts) >= 2
        )
        page.click("#systems thead th:nth-child(3)")  # sort by pulled
        pulled = [int(t) for t in page.locator("#systems tbody tr td:nth-child(3)").all_inner_texts()]
        assert pulled == sorted(pulled)
        assert page.locator("svg.pygal-chart").count() == 3
        page.fill("#filter-conflicts", "")
        page.locator("header").scroll_into_view_if_needed()
        screenshot = tmp_path / "reconciliation-report.png"
        page.screenshot(path=str(screenshot), full_page=False)
        print(f"screenshot: {screenshot}")
        if os.environ.get("CONTACTPOINT_SCREENSHOTS"):
            Path(os.environ["CONTACTPOINT_SCREENSHOTS"]).mkdir(parents=True, exist_ok=True)
            shutil.copy(screenshot, Path(os.environ["CONTACTPOINT_SCREENSHOTS"]) / screenshot.name)
        browser.close()
    assert errors == []
    assert requests == [out.as_uri()]


def test_the_admin_pages_serve_the_report_and_the_review_queue_behind_token_and_csrf(env):
    settings = LedgerSettings(signing_key=SecretStr(generate_key_text()), public_url="http://127.0.0.1")
    context = project_context(env.project, None)
    with open_store(env.url) as store:
        app = create_app(store, settings, admin_token="t0ken-for-tests",
                         report_options=ReportOptions(targets=context.targets))  # fmt: skip
        with TestClient(app, base_url="http://127.0.0.1") as client:
            assert client.get("/admin/report").status_code == 401
            assert client.get("/admin/sign-in?token=wrong").status_code == 403
            signed = client.get("/admin/sign-in?token=t0ken-for-tests", follow_redirects=False)
            assert signed.status_code == 303
            page = client.get("/admin/report")
            assert page.status_code == 200 and "default-src 'none'" in page.headers["content-security-policy"]
            assert 'id="closed_loop"' in page.text and 'id="conflicts"' in page.text
            queue = client.get("/admin/review")
            assert queue.status_code == 200
            ids = re.findall(r'action="/admin/review/(\d+)"', queue.text)
            if ids:
                refused = client.post(f"/admin/review/{ids[0]}", data={"decision": "reject"})
                assert refused.status_code == 403
            with open_store(env.url) as check:
                assert all(r.status == "open" for r in check.reviews.list())


def test_the_export_validates_and_holds_every_record_consent_ledger_entry_and_suppression(env, tmp_path):
    email = _tomas()
    pid = _pid(env, email)
    out = tmp_path / "export.json"
    result = env.cli("profile", "export", email, "--out", str(out))
    assert result.exit_code == 0, result.output
    document = json.loads(out.read_text())
    assert list(Draft202012Validator(export_schema()).iter_errors(document)) == []
    with open_store(env.url) as store:
        linked = {(link.system, link.stream, link.source_id) for link in store.links.of_profile(pid)}
        entries = {e.statement.statement_id for e in store.ledger.history(pid)}
        suppressed = store.decisions.explained(pid).explanation["suppressions"]
    assert {(r["system"], r["stream"], r["source_id"]) for r in document["records"]} == linked
    assert {s["statement"]["statement_id"] for s in document["ledger"]["statements"]} == entries and entries
    assert {s["reason"] for s in document["suppressions"]} == {s["reason"] for s in suppressed}
    assert any(c["data"]["status"] == "denied" and c["system"] == "hubspot" for c in document["consents"])
    assert email.lower() in json.dumps(document).lower()  # the person's own copy is not masked
    unknown = env.cli("profile", "export", "nobody@nowhere.example")
    assert unknown.exit_code == 4 and "hint:" in unknown.output


def test_accepting_a_review_pair_merges_the_two_profiles_with_pins(env):
    listed = env.cli_store("identity", "review", "--list", "--json")
    assert listed.exit_code == 0, listed.output
    pairs = json.loads(listed.stdout)["pairs"]
    if not pairs:
        pytest.skip("this seed leaves no pair in the review band")
    pair = pairs[0]
    assert pair["contributions"] and {"comparison", "level", "weight"} <= set(pair["contributions"][0])
    with open_store(env.url) as store:
        before = {store.links.profile_of(*key.split("/", 2)) for key in (pair["left"], pair["right"])}
    decided = env.cli_store("identity", "review", "--accept", str(pair["id"]), "--note", "checked", "--json")
    assert decided.exit_code == 0, decided.output
    with open_store(env.url) as store:
        after = {store.links.profile_of(*key.split("/", 2)) for key in (pair["left"], pair["right"])}
        row = store.reviews.get(pair["id"])
        pins = store.pins.list(records=[pair["left"], pair["right"]])
    assert len(after) == 1 and after <= before and row.status == "accepted" and pins
    again = env.cli_store("identity", "review", "--accept", str(pair["id"]))
    assert again.exit_code == 4


def test_erasure_reaches_every_system_retries_the_failing_one_and_a_re_pull_does_not_recreate(env):
    email = _tomas()
    pid = _pid(env, email)
    with open_store(env.url) as store:
        records = {link.system: link.source_id for link in store.links.of_profile(pid)}
    assert {"salesforce", "hubspot", "mixpanel"} <= set(records)
    dry = env.cli("profile", "erase", email, "--dry-run", "--json")
    assert dry.exit_code == 0 and json.loads(dry.stdout)["dry_run"] is True
    assert _pid(env, email) == pid  # a dry run removes nothing
    mixpanel = env.sandboxes["mixpanel"].control
    mixpanel.inject(FaultSpec("unavailable", count=50, retry_after=0))
    erased = env.cli("profile", "erase", email, "--reason", "customer asked", "--json")
    assert erased.exit_code == 0, erased.output
    answer = json.loads(erased.stdout[erased.stdout.index("{\n") :])
    status = {s["system"]: s["status"] for s in answer["systems"]}
    assert status["salesforce"] == "deleted" and status["hubspot"] == "deleted" and status["mixpanel"] == "pending"
    org = env.sandboxes["salesforce"].control.org
    assert org.get("Contact", records["salesforce"])["IsDeleted"] is True
    portal = env.sandboxes["hubspot"].control.portal
    assert records["hubspot"] not in portal.records["contacts"] and email.lower() in portal.blocklist
    mixpanel.reset()
    summary = env.sync()  # pulls again (the Mixpanel profile is still there), then retries the deletion
    assert summary["erasures"]["by_system"] == {"mixpanel": {"deleted": 1}}
    assert records["mixpanel"] not in env.sandboxes["mixpanel"].control.project.profiles
    again = env.cli("profile", "show", email)
    assert again.exit_code == 4
    with open_store(env.url) as store:
        (erasure,) = store.erasures.list()
        assert erasure.status == "done" and erasure.requested_by and erasure.reason == "customer asked"
        assert all(t.status == "deleted" for t in store.erasures.targets_of(erasure.erasure_id))
        assert store.links.profile_of("salesforce", "Contact", records["salesforce"]) is None
        assert store.records.get_source("mixpanel", "profiles", records["mixpanel"]) is None
        assert email.lower() not in json.dumps(erasure.removed).lower()
    env.sync("--full-refresh")  # everything pulled again: still not re-created
    assert env.cli("profile", "show", email).exit_code == 4
