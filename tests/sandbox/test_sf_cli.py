"""Salesforce's own CLI (``sf``, npm ``@salesforce/cli``) against a live sandbox: only the URL differs.

The CLI is installed by ``make sf-cli`` (``scripts/sf-cli.sh``) into ``.tmp/sfcli``, or
``CONTACTPOINT_SF_CLI_DIR``. Missing, these tests skip, or fail when
``CONTACTPOINT_REQUIRE_SF_CLI=1`` (``make test`` sets it) with what to install.
One sandbox serves the module and the CLI signs in once (``org login access-token``);
the read-only commands then run side by side, the writes one after another. Every
command runs with ``--json`` and a home directory inside the test's temporary
directory, so no state outside it is read or written (the Node compile cache lives
beside the CLI). Outputs are checked against the sandbox's own records.
"""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from sandbox.common import RunningSandbox, running_sandbox
from sandbox.common.stories import TEAM_MAILBOX
from sandbox.salesforce.identity import ORG_NAME
from sandbox.salesforce.wire import LATEST_VERSION

pytestmark = [pytest.mark.slow, pytest.mark.live]

ROOT = Path(__file__).resolve().parents[2]
CLI_DIR = Path(os.environ.get("CONTACTPOINT_SF_CLI_DIR") or ROOT / ".tmp" / "sfcli")
REQUIRE_ENV = "CONTACTPOINT_REQUIRE_SF_CLI"
NODE_MAJOR = 22  # what @salesforce/cli 2.x needs
ALIAS = "sandbox"
RECORDS = 2100  # more live Contacts than one query page (2,000)


def _unavailable(problem: str) -> None:
    message = f"Salesforce CLI tests: {problem}"
    if os.environ.get(REQUIRE_ENV) == "1":
        pytest.fail(f"{REQUIRE_ENV}=1 but {message}")
    pytest.skip(message)


def _cli_env(home: Path, sb: RunningSandbox) -> dict[str, str]:
    bin_dir = CLI_DIR / "node_modules" / ".bin"
    keep = {k: v for k, v in os.environ.items() if not k.startswith(("SF_", "SFDX_", "XDG_", "npm_"))}
    return keep | {
        "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}",
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home / ".config"),
        "XDG_DATA_HOME": str(home / ".local" / "share"),
        "XDG_CACHE_HOME": str(home / ".cache"),
        "NODE_EXTRA_CA_CERTS": str(sb.ca_file),
        "NO_PROXY": "127.0.0.1,localhost",
        "SF_ACCESS_TOKEN": sb.credentials["session_id"],
        "SF_DISABLE_TELEMETRY": "true",
        "SF_AUTOUPDATE_DISABLE": "true",
        # the name oclif's own update hook reads: with only the one above set explicitly, an npm-installed
        # CLI leaves it unset and the hook starts `sf update --autoupdate` in the background, which
        # outlives the test and tries to reach Salesforce's download site
        "SF_DISABLE_AUTOUPDATE": "true",
        "SF_SKIP_NEW_VERSION_CHECK": "true",
        "SF_HIDE_RELEASE_NOTES": "true",
        "SF_USE_GENERIC_UNIX_KEYCHAIN": "true",
        "NODE_COMPILE_CACHE": str(CLI_DIR / ".node-compile-cache"),  # kept between runs: faster starts
    }


@pytest.fixture(scope="module")
def sf_bin() -> Path:
    """The installed ``sf``, checked before any sandbox starts."""
    sf = CLI_DIR / "node_modules" / ".bin" / "sf"
    env = os.environ | {"PATH": f"{sf.parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    if shutil.which("node") is None or shutil.which("npm") is None:
        _unavailable("node and npm are not installed (Debian: apt-get install nodejs npm), then run `make sf-cli`")
    if not sf.exists():
        _unavailable(f"the CLI is not installed in {CLI_DIR}; run `make sf-cli` (npm install of @salesforce/cli)")
    node = subprocess.run(["node", "--version"], env=env, capture_output=True, text=True, check=False, timeout=30)
    major = int(node.stdout.strip().lstrip("v").split(".")[0] or 0)
    if major < NODE_MAJOR:
        _unavailable(f"node {node.stdout.strip()} is too old for the CLI (needs {NODE_MAJOR}+); run `make sf-cli`")
    return sf


@dataclass
class Cli:
    """Runs ``sf`` with ``--json`` in a private home and working directory."""

    sf: Path
    env: dict[str, str]
    cwd: Path

    def run(self, *args: str, ok: bool = True) -> dict[str, Any]:
        done = subprocess.run(
            [str(self.sf), *args, "--target-org", ALIAS, "--json"], env=self.env, cwd=self.cwd,
            capture_output=True, text=True, check=False, timeout=180,
        )  # fmt: skip
        try:
            out: dict[str, Any] = json.loads(done.stdout)
        except ValueError:
            pytest.fail(f"sf {' '.join(args)} printed no JSON (exit {done.returncode}):\n{done.stdout}\n{done.stderr}")
        if ok and (done.returncode != 0 or out.get("status") != 0):
            pytest.fail(f"sf {' '.join(args)} failed (exit {done.returncode}): {json.dumps(out)[:2000]}")
        return out

    def text(self, *args: str) -> str:
        """What ``sf`` prints for a person (no ``--json``)."""
        done = subprocess.run(
            [str(self.sf), *args, "--target-org", ALIAS], env=self.env, cwd=self.cwd, capture_output=True,
            text=True, check=False, timeout=180,
        )  # fmt: skip
        if done.returncode != 0:
            pytest.fail(f"sf {' '.join(args)} failed (exit {done.returncode}):\n{done.stdout}\n{done.stderr}")
        return done.stdout


READS = {  # read-only commands, run side by side once the CLI is signed in
    "display": ("org", "display"),
    "limits": ("org", "list", "limits"),
    "contacts": ("data", "query", "--query", "SELECT Id, Email FROM Contact"),
    "bad_field": ("data", "query", "--query", "SELECT Id, Emial FROM Contact"),
    "describe": ("sobject", "describe", "--sobject", "Contact"),
    "objects": ("sobject", "list"),
    "priya": ("data", "get", "record", "--sobject", "Contact", "--where", "FirstName=Priya LastName=Raman"),
    "export": ("data", "export", "bulk", "--query", "SELECT Id, Email, Account.Name FROM Contact", "--output-file",
               "contacts.csv", "--result-format", "csv", "--wait", "5"),
}  # fmt: skip
COLLEAGUES = f"SELECT Name, Email, Account.Name FROM Contact WHERE Email = '{TEAM_MAILBOX}' ORDER BY Name"


@pytest.fixture(scope="module")
def cli_sb(sf_bin: Path) -> Iterator[RunningSandbox]:
    with running_sandbox("salesforce", records=RECORDS, seed=5) as running:
        yield running


@pytest.fixture(scope="module")
def cli(sf_bin: Path, cli_sb: RunningSandbox, tmp_path_factory: pytest.TempPathFactory) -> Cli:
    home = tmp_path_factory.mktemp("sf-home")
    return Cli(sf=sf_bin, env=_cli_env(home, cli_sb), cwd=tmp_path_factory.mktemp("sf-work"))


@pytest.fixture(scope="module")
def login(cli: Cli, cli_sb: RunningSandbox) -> dict[str, Any]:
    done = subprocess.run(
        [str(cli.sf), "org", "login", "access-token", "--instance-url", cli_sb.base_url, "--alias", ALIAS,
         "--no-prompt", "--json"], env=cli.env, cwd=cli.cwd, capture_output=True, text=True, check=False, timeout=180,
    )  # fmt: skip
    out: dict[str, Any] = json.loads(done.stdout or "{}")
    if done.returncode != 0:
        pytest.fail(f"sf org login access-token failed (exit {done.returncode}): {done.stdout[:2000]}{done.stderr}")
    return out


@pytest.fixture(scope="module")
def reads(cli: Cli, login: dict[str, Any]) -> dict[str, dict[str, Any]]:
    with ThreadPoolExecutor(max_workers=3) as pool:
        futures = {name: pool.submit(cli.run, *args, ok=name != "bad_field") for name, args in READS.items()}
        # the table a person reads is laid out from the query's column metadata (query?columns=true)
        table = pool.submit(cli.text, "data", "query", "--query", COLLEAGUES, "--result-format", "csv")
        return {name: future.result() for name, future in futures.items()} | {"colleagues": {"csv": table.result()}}


def _story(sb: RunningSandbox, person: str) -> dict[str, Any]:
    record = next(r for r in sb.app.stories if r.person == person)
    found = sb.app.org.get(record.sobject, record.record_id)
    assert found is not None
    return found


def test_login_by_access_token_learns_user_and_org(cli: Cli, cli_sb: RunningSandbox, login: dict[str, Any]) -> None:
    result = login["result"]
    assert result["username"] == cli_sb.credentials["username"]
    assert result["orgId"] == cli_sb.credentials["organization_id"]
    assert result["instanceApiVersion"] == LATEST_VERSION
    assert (result["name"], result["isSandbox"], result["orgEdition"]) == (ORG_NAME, True, "Enterprise Edition")
    assert cli_sb.control.requests.count("GET /services/oauth2/userinfo") >= 1
    assert (Path(cli.env["HOME"]) / ".sfdx" / f"{result['username']}.json").exists()  # state stays in the test's home


def test_the_cli_never_starts_its_self_updater(cli: Cli, reads: dict[str, dict[str, Any]]) -> None:
    cache = Path(cli.env["XDG_CACHE_HOME"])
    assert reads  # the CLI has run its commands by now, each through its start-up hooks
    started = sorted(str(p.relative_to(cache)) for p in cache.rglob("autoupdate*"))
    assert started == [], f"sf started its self-updater: {started}"


def test_org_display_and_limits(cli_sb: RunningSandbox, reads: dict[str, dict[str, Any]]) -> None:
    shown = reads["display"]["result"]
    assert (shown["id"], shown["username"], shown["alias"]) == (
        cli_sb.credentials["organization_id"], cli_sb.credentials["username"], ALIAS,
    )  # fmt: skip
    assert (shown["connectedStatus"], shown["apiVersion"]) == ("Connected", LATEST_VERSION)
    api = {row["name"]: row for row in reads["limits"]["result"]}["DailyApiRequests"]
    assert api["max"] == cli_sb.app.usage.limit
    assert 0 < api["max"] - api["remaining"] <= cli_sb.app.usage.used


def test_query_pages_past_the_first_2000_rows(cli_sb: RunningSandbox, reads: dict[str, dict[str, Any]]) -> None:
    result = reads["contacts"]["result"]
    live = {r["Id"]: r.get("Email") for r in cli_sb.app.org.live("Contact")}
    assert result["totalSize"] == len(result["records"]) == len(live) > 2000
    assert {r["Id"]: r["Email"] for r in result["records"]} == live
    assert cli_sb.control.requests.count("GET /services/data/v64.0/query/01g") >= 1  # nextRecordsUrl followed


def test_query_table_finds_the_colleagues_behind_the_team_mailbox(reads: dict[str, dict[str, Any]]) -> None:
    rows = list(csv.DictReader(io.StringIO(reads["colleagues"]["csv"])))
    assert [(r["Name"], r["Account.Name"]) for r in rows] == [
        ("Jonah Reyes", "Brightwater Labs"), ("Lena Brandt", "Brightwater Labs"),
    ]  # fmt: skip
    assert {r["Email"].lower() for r in rows} == {TEAM_MAILBOX}


def test_bad_soql_field_is_reported_as_salesforce_does(reads: dict[str, dict[str, Any]]) -> None:
    out = reads["bad_field"]
    assert (out["status"], out["name"]) == (1, "INVALID_FIELD")
    assert "No such column 'Emial' on entity 'Contact'" in out["message"]
    assert "ERROR at Row:1:Column:12" in out["message"]


def test_describe_and_list_objects(cli_sb: RunningSandbox, reads: dict[str, dict[str, Any]]) -> None:
    described = reads["describe"]["result"]
    assert [f["name"] for f in described["fields"]] == list(cli_sb.app.org.objects["Contact"].fields)
    assert described["keyPrefix"] == "003"
    listed = reads["objects"]["result"]
    assert sorted(listed) == sorted(cli_sb.app.org.objects)
    assert {"Task", "Organization", "User"} <= set(listed)


def test_get_record_by_fields(cli_sb: RunningSandbox, reads: dict[str, dict[str, Any]]) -> None:
    priya = _story(cli_sb, "priya")
    got = reads["priya"]["result"]  # a query for the Id, then the record by Id
    assert (got["Id"], got["Email"], got["OwnerId"]) == (priya["Id"], priya["Email"], priya["OwnerId"])


def test_bulk_export_writes_every_contact(cli: Cli, cli_sb: RunningSandbox, reads: dict[str, dict[str, Any]]) -> None:
    with (cli.cwd / "contacts.csv").open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    live = {r["Id"]: r.get("Email") or "" for r in cli_sb.app.org.live("Contact")}
    assert reads["export"]["result"]["totalSize"] == len(rows) == len(live)
    assert {r["Id"]: r["Email"] for r in rows} == live
    assert next(r for r in rows if r["Id"] == _story(cli_sb, "lena")["Id"])["Account.Name"] == "Brightwater Labs"


def test_create_a_task_for_the_complainers_owner_close_it_and_delete_it(
    cli: Cli, cli_sb: RunningSandbox, reads: dict[str, dict[str, Any]]
) -> None:
    priya = _story(cli_sb, "priya")
    values = (f"Subject='Call back about late deliveries' WhoId={priya['Id']} OwnerId={priya['OwnerId']} "
              "Priority=High ActivityDate=2026-12-10")  # fmt: skip
    created = cli.run("data", "create", "record", "--sobject", "Task", "--values", values)
    task = cli_sb.app.org.get("Task", created["result"]["id"])
    assert task is not None
    assert (task["WhoId"], task["OwnerId"], task["Priority"], task["Status"]) == (
        priya["Id"], priya["OwnerId"], "High", "Not Started",
    )  # fmt: skip
    cli.run("data", "update", "record", "--sobject", "Task", "--record-id", task["Id"], "--values", "Status=Completed")
    is_closed = cli_sb.app.org.objects["Task"].fields["IsClosed"]
    assert task["Status"] == "Completed" and cli_sb.app.org.value("Task", task, is_closed) is True
    cli.run("data", "delete", "record", "--sobject", "Task", "--record-id", task["Id"])
    assert task["IsDeleted"] is True


def test_bulk_upsert_updates_inserts_and_reports_a_failed_row(
    cli: Cli, cli_sb: RunningSandbox, reads: dict[str, dict[str, Any]]
) -> None:
    jonah = _story(cli_sb, "jonah")
    (cli.cwd / "upsert.csv").write_text(
        f"Id,FirstName,LastName,Title\n{jonah['Id']},Jonah,Reyes,Head of Customer Success\n"
        ",Ada,Okoye,Buyer\n,Nobody,,Intern\n",
        encoding="utf-8",
    )
    out = cli.run("data", "upsert", "bulk", "--sobject", "Contact", "--file", "upsert.csv", "--external-id", "Id",
                  "--wait", "5", ok=False)  # fmt: skip
    assert (out["status"], out["name"]) == (1, "FailedRecordDetailsError")
    job = cli.run("data", "bulk", "results", "--job-id", out["data"]["jobId"])["result"]
    assert (job["processedRecords"], job["successfulRecords"], job["failedRecords"]) == (3, 2, 1)
    with (cli.cwd / job["successFilePath"]).open(newline="", encoding="utf-8") as handle:
        created = {r["LastName"]: r["sf__Created"] for r in csv.DictReader(handle)}
    assert created == {"Reyes": "false", "Okoye": "true"}
    failed = (cli.cwd / job["failedFilePath"]).read_text(encoding="utf-8")
    assert "REQUIRED_FIELD_MISSING" in failed and "Nobody" in failed
    assert jonah["Title"] == "Head of Customer Success"
    assert [r["FirstName"] for r in cli_sb.app.org.find_by("Contact", "LastName", "Okoye")] == ["Ada"]


def test_refresh_token_login_renews_an_expired_session(cli: Cli, cli_sb: RunningSandbox) -> None:
    # last in the module: expiring the sessions ends the access-token login the tests above share
    c = cli_sb.credentials
    url = f"force://{c['consumer_key']}:{c['consumer_secret']}:{c['refresh_token']}@{cli_sb.base_url[8:]}"
    (cli.cwd / "auth-url.txt").write_text(url, encoding="utf-8")
    done = subprocess.run(
        [str(cli.sf), "org", "login", "sfdx-url", "--sfdx-url-file", "auth-url.txt", "--alias", "renewing", "--json"],
        env=cli.env, cwd=cli.cwd, capture_output=True, text=True, check=False, timeout=180,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[:2000]
    cli_sb.control.expire_sessions()
    grants = cli_sb.control.requests.count("POST /services/oauth2/token")
    done = subprocess.run(
        [str(cli.sf), "data", "query", "--query", "SELECT COUNT() FROM Organization", "--target-org", "renewing",
         "--json"], env=cli.env, cwd=cli.cwd, capture_output=True, text=True, check=False, timeout=180,
    )  # fmt: skip
    assert json.loads(done.stdout)["result"]["totalSize"] == 1
    assert cli_sb.control.requests.count("POST /services/oauth2/token") == grants + 1  # one refresh_token grant
