"""``contactpoint identity resolve --store``, ``explain``, ``merge`` and ``split``."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from core.cli import app
from core.store import open_store
from tests.core.identity.stable_helpers import ALICE, BOB, MARY, ROBERT, key, load

runner = CliRunner()


@pytest.fixture
def url(store_url):
    with open_store(store_url) as store:
        load(store, ROBERT, BOB, MARY, ALICE)
    return store_url


def _invoke(*args: str):
    return runner.invoke(app, ["identity", *args])


def _profile(url: str, record: str) -> str:
    with open_store(url) as store:
        return store.links.profile_of(*record.split("/", 2))


def test_resolve_store_prints_counts_and_a_rerun_creates_nothing(url):
    first = _invoke("resolve", "--store", "--url", url, "--json")
    assert first.exit_code == 0, first.output
    counts = json.loads(first.stdout)
    assert (counts["profiles"], counts["new"], counts["records_linked"]) == (3, 3, 4)
    again = json.loads(_invoke("resolve", "--store", "--url", url, "--json").stdout)
    assert (again["profiles"], again["new"], again["merged"], again["split"]) == (3, 0, 0, 0)
    text = _invoke("resolve", "--store", "--url", url)
    assert "3 profiles (0 new, 0 merged, 0 split); 4 records linked" in text.stdout


def test_resolve_without_a_file_or_store_explains_itself():
    result = _invoke("resolve")
    assert result.exit_code == 2  # a usage mistake
    assert "--store" in result.stderr


def test_explain_shows_each_link_with_its_rule_and_contributions(url):
    _invoke("resolve", "--store", "--url", url)
    result = _invoke("explain", key(BOB), "--url", url, "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["profile_id"] == _profile(url, key(ROBERT))
    links = {link["record"]: link for link in report["links"]}
    assert set(links) == {key(ROBERT), key(BOB)}
    assert links[key(BOB)]["rule"] == "same_personal_email"
    assert any(c["comparison"] == "email" for c in links[key(BOB)]["explanation"]["contributions"])
    assert report["golden"]["last_name"]["value"] == "S… (5 characters)"  # masked, as profile show masks it
    assert report["golden"]["email"]["value"].startswith("email#")
    assert report["golden"]["last_name"]["source"] and report["golden"]["last_name"]["rule"]
    table = _invoke("explain", report["profile_id"], "--url", url)
    assert "same_personal_email" in table.stdout and "first_name" in table.stdout
    assert "Smith" not in table.stdout and "gmail.com" not in table.stdout
    revealed = _invoke("explain", report["profile_id"], "--url", url, "--json", "--reveal")
    assert json.loads(revealed.stdout)["golden"]["last_name"]["value"] == "Smith"


def test_explain_names_an_alias_and_rejects_unknown_ids_with_a_hint(url):
    _invoke("resolve", "--store", "--url", url)
    mary, alice = _profile(url, key(MARY)), _profile(url, key(ALICE))
    merged = _invoke("merge", mary, alice, "--reason", "same person", "--url", url, "--json")
    assert merged.exit_code == 0, merged.output
    gone = json.loads(merged.stdout)["other_id"]
    alias = _invoke("explain", gone, "--url", url)
    assert f"{gone} is an alias of" in alias.stdout
    unknown = _invoke("explain", "cp_nosuchprofile", "--url", url)
    assert unknown.exit_code == 4
    assert "unknown profile" in unknown.stderr and "hint:" in unknown.stderr
    record = _invoke("explain", "crm/people/404", "--url", url)
    assert record.exit_code == 4 and "not linked" in record.stderr


def test_split_and_merge_commands_hold_on_the_next_run(url):
    _invoke("resolve", "--store", "--url", url)
    profile = _profile(url, key(ROBERT))
    split = _invoke("split", profile, "--records", key(BOB), "--reason", "two people", "--url", url, "--json")
    assert split.exit_code == 0, split.output
    new_id = json.loads(split.stdout)["other_id"]
    _invoke("resolve", "--store", "--url", url)
    assert (_profile(url, key(BOB)), _profile(url, key(ROBERT))) == (new_id, profile)
    wrong = _invoke("split", profile, "--records", key(MARY), "--url", url)
    assert wrong.exit_code == 4 and "not in profile" in wrong.stderr
