"""The preference centre in a real headless browser (Debian's chromium, driven by Playwright).

``contactpoint serve`` runs as a process on 127.0.0.1; the browser signs in through a
link, changes a preference, revokes a grant and downloads the ledger, with no console
error; a used, an expired and a forged link, and a form without its CSRF token, are
refused. The screenshot is saved in the test's output folder (its path is printed).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from pydantic import SecretStr

from core.ledger.links import make_link_token
from core.ledger.service import record_statements, sign_in_link
from core.ledger.settings import KEY_ENV, LedgerSettings
from core.ledger.signing import generate_key_text
from core.store import ProfileInput, open_store

pytestmark = pytest.mark.slow

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PERSON = "cp_0000aaaa0000"


@pytest.fixture
def served(tmp_path):
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: `make test` installs Debian's chromium (apt-get install -y chromium)")
    key = generate_key_text()
    url = f"sqlite:///{tmp_path / 'centre.db'}"
    with open_store(url) as store:
        golden = {
            "first_name": {"value": "Ada", "source": {"system": "salesforce", "stream": "Contact", "source_id": "003A"}}
        }
        store.profiles.upsert([ProfileInput(PERSON, golden)], run_id=None)
        record_statements(
            store,
            {
                "person": PERSON,
                "type": "grant",
                "source": {"kind": "customer"},
                "system": "hubspot",
                "parts": ["contact"],
                "purposes": ["marketing"],
                "expires_at": "2099-01-01T00:00:00Z",
            },
        )
    env = {**os.environ, KEY_ENV: key}
    process = subprocess.Popen(
        [str(Path(sys.executable).parent / "contactpoint"), "serve", "--port", "0", "--url", url],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=tmp_path,
    )
    try:
        line = process.stdout.readline()
        assert line.startswith("listening on http://127.0.0.1:"), line + process.stderr.read()
        base = line.split("listening on ", 1)[1].strip()
        settings = LedgerSettings(signing_key=SecretStr(key), public_url=base)
        yield base, url, settings
    finally:
        process.terminate()
        process.wait(timeout=10)


def _link(url, settings):
    with open_store(url) as store:
        return sign_in_link(store, settings, PERSON)[0]


def test_sign_in_change_revoke_download_in_a_real_browser(served, tmp_path):
    from playwright.sync_api import sync_playwright

    base, url, settings = served
    errors: list[str] = []
    profile_dir = tmp_path / "chromium-profile"
    with sync_playwright() as driver:
        context = driver.chromium.launch_persistent_context(
            str(profile_dir), executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS, accept_downloads=True
        )
        page = context.new_page()
        page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
        page.on("pageerror", lambda error: errors.append(str(error)))
        link = _link(url, settings)
        page.goto(link)
        page.click("#continue")
        assert page.url == f"{base}/ledger/"
        assert "What each system holds about you" in page.inner_text("#holdings")

        page.fill("#quiet_start", "21:30")
        page.fill("#quiet_end", "07:00")
        page.fill("#timezone", "Europe/Paris")
        page.fill("#weekly_cap", "4")
        page.click("#save_preferences")
        assert "Saved: preferences" in page.inner_text("#saved")
        assert page.input_value("#weekly_cap") == "4"

        page.click("#revoke-hubspot")
        assert page.locator("#revoke-hubspot").count() == 0

        with page.expect_download() as downloaded:
            page.click("#download_ledger")
        saved = tmp_path / "ledger.json"
        downloaded.value.save_as(saved)
        document = json.loads(saved.read_text())
        assert document["format"] == "contactpoint.ledger-export/1"
        assert document["state"]["preferences"]["quiet_hours"] == "21:30-07:00 Europe/Paris"
        assert document["state"]["grants"] == []

        screenshot = tmp_path / "preference-centre.png"
        page.screenshot(path=str(screenshot), full_page=True)
        print(f"screenshot: {screenshot}")
        out = os.environ.get("CONTACTPOINT_SCREENSHOTS")
        if out:
            Path(out).mkdir(parents=True, exist_ok=True)
            shutil.copy(screenshot, Path(out) / screenshot.name)

        no_csrf = page.request.post(f"{base}/ledger/preferences", form={"weekly_cap": "9"})
        assert no_csrf.status == 403

        used = context.new_page()
        used.goto(link)
        assert "already been used" in _refusal_after_continue(used)
        forged = context.new_page()
        response = forged.goto(link[:-3] + ("abc" if not link.endswith("abc") else "xyz"))
        assert response.status == 403 and "not made by this installation" in forged.inner_text("#message")
        context.close()

    with open_store(url) as store:
        state = store.ledger.state_in_force(PERSON)
        assert state.preferences.weekly_cap == 4 and not state.permits("hubspot", "contact", "marketing").allowed
    assert errors == []


def _refusal_after_continue(page):
    page.click("#continue")
    return page.inner_text("#message")


def test_an_expired_link_is_refused_in_the_browser(served, tmp_path):
    from playwright.sync_api import sync_playwright

    base, url, settings = served
    key = settings.keyring().signing
    with open_store(url) as store:
        expired_at = store.database.now() - timedelta(minutes=1)
        store.ledger_access.add_link("old-nonce", PERSON, expires_at=expired_at)
    token = make_link_token(key, profile_id=PERSON, nonce="old-nonce", expires_at=expired_at)
    with sync_playwright() as driver:
        context = driver.chromium.launch_persistent_context(
            str(tmp_path / "profile"), executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        page = context.new_page()
        response = page.goto(f"{base}/ledger/sign-in?token={token}")
        assert response.status == 403 and "expired" in page.inner_text("#message")
        context.close()
