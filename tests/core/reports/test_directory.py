"""``identity list`` and ``profile search`` over a store the bundled people export fills."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import structlog
from typer.testing import CliRunner

from core.cli import app
from core.reports.directory import list_profiles, search_profiles
from core.store import open_store

ROOT = Path(__file__).resolve().parents[3]


def _run(*args: str):
    result = CliRunner().invoke(app, list(args))
    structlog.reset_defaults()
    return result


@pytest.fixture(scope="module")
def url(tmp_path_factory):
    url = f"sqlite:///{tmp_path_factory.mktemp('directory') / 'store.db'}"
    mapped = _run("mapping", "run", str(ROOT / "mappings" / "files.yaml"), "--input", str(ROOT / "samples" / "people.csv"), "--url", url)  # fmt: skip
    assert mapped.exit_code == 0, mapped.output
    resolved = _run("identity", "resolve", "--store", "--url", url)
    assert resolved.exit_code == 0, resolved.output
    return url


def test_the_list_pages_through_every_active_profile_with_record_counts(url):
    with open_store(url) as store:
        active = store.profiles.active()
        first = list_profiles(store, limit=5)
        rest = list_profiles(store, limit=1000, offset=5)
        linked = len(list(store.links.iter()))
    assert first.total == len(active) and first.next_offset == 5
    listed = [p.profile_id for p in first.profiles + rest.profiles]
    assert sorted(listed) == active  # every profile once, across pages
    assert sum(p.records for p in first.profiles + rest.profiles) == linked
    counts = [p.records for p in first.profiles + rest.profiles]
    assert counts == sorted(counts, reverse=True)
    assert rest.next_offset is None


def test_identity_list_prints_whole_ids_and_masks_names_and_addresses(url):
    shown = _run("identity", "list", "--url", url, "--limit", "3")
    assert shown.exit_code == 0, shown.output
    with open_store(url) as store:
        page = list_profiles(store, limit=3)
    for profile in page.profiles:
        assert profile.profile_id in shown.stdout
    assert "@" not in shown.stdout and "Smith" not in shown.stdout
    assert "next: contactpoint identity list --offset 3" in shown.stdout
    data = json.loads(_run("identity", "list", "--url", url, "--json", "--limit", "3").stdout)
    assert data["next_offset"] == 3 and len(data["profiles"]) == 3
    assert _run("identity", "list", "--url", url, "--status", "gone").exit_code == 2


def test_search_by_email_name_record_and_profile_id_finds_the_same_person(url):
    with open_store(url) as store:
        by_email = search_profiles(store, "bob.smith@EXAMPLE.com")
        by_name = search_profiles(store, "rob smi")
        by_record = search_profiles(store, "files:p-0001")
        by_path = search_profiles(store, "files/people/p-0001")
        nobody = search_profiles(store, "nobody-here@example.com")
    assert by_email.total == 1
    pid = by_email.profiles[0].profile_id
    assert pid in {p.profile_id for p in by_name.profiles}
    assert [p.profile_id for p in by_record.profiles] == [pid] == [p.profile_id for p in by_path.profiles]
    with open_store(url) as store:
        assert [p.profile_id for p in search_profiles(store, pid).profiles] == [pid]
    assert nobody.total == 0 and nobody.profiles == []


def test_profile_search_masks_unless_revealed(url):
    masked = _run("profile", "search", "bob.smith@example.com", "--url", url, "--json")
    assert masked.exit_code == 0, masked.output
    found = json.loads(masked.stdout)["profiles"][0]
    assert found["email"].startswith("email#") and found["first_name"] != "Robert"
    revealed = json.loads(_run("profile", "search", "bob.smith@example.com", "--url", url, "--json", "--reveal").stdout)
    assert revealed["profiles"][0]["first_name"] == "Robert"
    none = _run("profile", "search", "Zebedee", "--url", url)
    assert none.exit_code == 0 and "no profile matches" in none.stdout
