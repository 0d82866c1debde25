"""The admin pages `contactpoint serve` serves, in a real headless browser (Debian's chromium, via Playwright).

A store where a batch resolution left pairs in review is served on 127.0.0.1; the browser
opens an admin session with the admin token, reads the reconciliation report, reads the
review queue (each pair's contributions rebuilt from the stored model), and rejects one
pair through its form, with no console error. A wrong token is refused.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from core.api.admin import ADMIN_TOKEN_ENV
from core.identity.review_pairs import review_explanations
from core.ledger.settings import KEY_ENV
from core.ledger.signing import generate_key_text
from core.store import open_store
from tests.core.api.test_browser import CHROMIUM, CHROMIUM_ARGS
from tests.core.identity.stable_helpers import load, run
from tests.core.identity.synthetic import generate

pytestmark = pytest.mark.slow

TOKEN = "admin-token-for-the-browser-test"


@pytest.fixture
def served(tmp_path):
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: `make test` installs Debian's chromium (apt-get install -y chromium)")
    url = f"sqlite:///{tmp_path / 'admin.db'}"
    with open_store(url) as store:
        load(store, *generate(300, seed=5).people)
        run(store)
        assert store.reviews.count().get("open", 0) > 0, "this seed sends pairs to review"
    env = {**os.environ, KEY_ENV: generate_key_text(), ADMIN_TOKEN_ENV: TOKEN}
    process = subprocess.Popen(
        [str(Path(sys.executable).parent / "contactpoint"), "serve", "--port", "0", "--url", url],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=tmp_path,
    )  # fmt: skip
    try:
        line = process.stdout.readline()
        assert line.startswith("listening on http://127.0.0.1:"), line + process.stderr.read()
        yield line.split("listening on ", 1)[1].strip(), url
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_the_review_queue_shows_each_pairs_contributions_and_rejects_a_pair_in_a_real_browser(served, tmp_path):
    from playwright.sync_api import sync_playwright

    base, url = served
    with open_store(url) as store:
        first = store.reviews.list(limit=1)[0]
        explained = review_explanations(store, [first])[int(first.id or 0)]
    errors: list[str] = []
    with sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        page = browser.new_page()
        page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
        page.on("pageerror", lambda error: errors.append(str(error)))
        assert page.request.get(f"{base}/admin/sign-in?token=wrong").status == 403  # no page, no console line
        assert page.request.get(f"{base}/admin/review", max_redirects=0).status in (401, 403)
        page.goto(f"{base}/admin/sign-in?token={TOKEN}")
        assert page.url == f"{base}/admin/report" and page.locator("#closed_loop").count() == 1

        page.goto(f"{base}/admin/review")
        section = page.locator(f"#pair-{first.id}")
        assert f"{first.left_record}" in section.inner_text() and f"{first.right_record}" in section.inner_text()
        shown = [
            tuple(cell.strip() for cell in row.inner_text().split("\t")) for row in section.locator("tbody tr").all()
        ]
        expected = [(c["comparison"], c["level"], f"{c['weight']:+.2f}") for c in explained["contributions"]]
        assert shown == expected and len(shown) >= 5
        assert all(re.fullmatch(r"[+-]\d+\.\d\d", weight) for _, _, weight in shown)

        page.fill(f"#note-{first.id}", "two people at one address")
        page.click(f"#reject-{first.id}")
        assert f"Decided: pair {first.id}:rejected" in page.inner_text("#saved")
        assert page.locator(f"#pair-{first.id}").count() == 0

        screenshot = tmp_path / "review-queue.png"
        page.screenshot(path=str(screenshot), full_page=False)
        out = os.environ.get("CONTACTPOINT_SCREENSHOTS")
        if out:
            Path(out).mkdir(parents=True, exist_ok=True)
            shutil.copy(screenshot, Path(out) / screenshot.name)
        browser.close()
    with open_store(url) as store:
        row = store.reviews.get(int(first.id or 0))
        pins = store.pins.list(records=[first.left_record, first.right_record])
    assert row is not None and row.status == "rejected" and row.note == "two people at one address"
    assert pins and errors == []
