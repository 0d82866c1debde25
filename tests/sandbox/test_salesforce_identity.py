"""Who a session is (identity URL, userinfo, revoke), the versions list, query columns, streamed uploads."""

from __future__ import annotations

import csv
import io
import socket
import ssl
from collections.abc import Iterator

import requests
from simple_salesforce import Salesforce

from sandbox.common import RunningSandbox
from sandbox.salesforce.org import INTEGRATION_USER_ID

API = "/services/data/v59.0"


def _bearer(sb: RunningSandbox, token: str | None = None) -> dict[str, str]:
    return {"Authorization": f"Bearer {token or sb.credentials['session_id']}"}


def test_token_response_names_an_identity_url_that_answers(sb: RunningSandbox, http: requests.Session) -> None:
    creds = sb.credentials
    form = {"grant_type": "client_credentials", "client_id": creds["consumer_key"]}
    token = http.post(creds["token_url"], data=form | {"client_secret": creds["consumer_secret"]}, timeout=10).json()
    response = http.get(token["id"], headers=_bearer(sb, token["access_token"]), timeout=10)
    assert response.status_code == 200
    body = response.json()
    assert (body["user_id"], body["organization_id"]) == (INTEGRATION_USER_ID, creds["organization_id"])
    assert body["username"] == creds["username"] and body["asserted_user"] is True
    assert body["urls"]["rest"] == f"{sb.base_url}/services/data/v{{version}}/"
    versioned = http.get(token["id"], params={"version": "59.0", "oauth_token": token["access_token"]}, timeout=10)
    assert versioned.json()["urls"]["query"] == f"{sb.base_url}{API}/query/"


def test_identity_url_errors_are_salesforce_plain_text(sb: RunningSandbox, http: requests.Session) -> None:
    url = f"{sb.base_url}/id/{sb.credentials['organization_id']}/{INTEGRATION_USER_ID}"
    missing = http.get(url, timeout=10)
    assert (missing.status_code, missing.text) == (403, "Missing_OAuth_Token")
    bad = http.get(url, headers=_bearer(sb, "00D000000000001!AQnotatoken"), timeout=10)
    assert (bad.status_code, bad.text) == (403, "Bad_OAuth_Token")
    other_org = http.get(f"{sb.base_url}/id/00D000000000002AAA/{INTEGRATION_USER_ID}", headers=_bearer(sb), timeout=10)
    assert (other_org.status_code, other_org.text) == (404, "Bad_Id")


def test_userinfo_gives_the_users_claims_and_record(sb: RunningSandbox, sf: Salesforce, http: requests.Session) -> None:
    info = http.get(f"{sb.base_url}/services/oauth2/userinfo", headers=_bearer(sb), timeout=10).json()
    assert info["preferred_username"] == sb.credentials["username"]
    assert info["sub"] == f"{sb.base_url}/id/{info['organization_id']}/{info['user_id']}"
    user = sf.User.get(info["user_id"])
    assert (user["Username"], user["Name"], user["IsActive"]) == (info["preferred_username"], info["name"], True)
    refused = http.get(f"{sb.base_url}/services/oauth2/userinfo", headers=_bearer(sb, "nope"), timeout=10)
    assert (refused.status_code, refused.text) == (403, "Bad_OAuth_Token")


def test_revoked_token_stops_working(sb: RunningSandbox, http: requests.Session) -> None:
    token = sb.app.sessions.issue()
    assert http.get(f"{sb.base_url}{API}/limits", headers=_bearer(sb, token), timeout=10).status_code == 200
    assert http.post(f"{sb.base_url}/services/oauth2/revoke", data={"token": token}, timeout=10).status_code == 200
    after = http.get(f"{sb.base_url}{API}/limits", headers=_bearer(sb, token), timeout=10)
    assert after.json()[0]["errorCode"] == "INVALID_SESSION_ID"
    again = http.post(f"{sb.base_url}/services/oauth2/revoke", data={"token": token}, timeout=10)
    assert again.status_code == 400 and again.json()["error"] == "unsupported_token_type"


def test_organization_is_queryable_as_the_cli_reads_it(sb: RunningSandbox, sf: Salesforce) -> None:
    row = sf.query("SELECT Id, Name, InstanceName, IsSandbox, TrialExpirationDate, OrganizationType FROM Organization")
    assert row["totalSize"] == 1
    org = row["records"][0]
    assert org["Id"] == sb.credentials["organization_id"] and org["IsSandbox"] is True
    assert org["TrialExpirationDate"] is None and org["OrganizationType"] == "Enterprise Edition"


def test_versions_run_from_31_with_release_names(sb: RunningSandbox, http: requests.Session) -> None:
    versions = http.get(f"{sb.base_url}/services/data", timeout=10).json()
    labels = {v["version"]: v["label"] for v in versions}
    assert labels["31.0"] == "Summer '14" and labels["59.0"] == "Winter '24" and labels["60.0"] == "Spring '24"
    newest = versions[-1]["version"]
    ok = http.get(f"{sb.base_url}/services/data/v{newest}/limits", headers=_bearer(sb), timeout=10)
    too_new = http.get(f"{sb.base_url}/services/data/v{float(newest) + 1}/limits", headers=_bearer(sb), timeout=10)
    assert (ok.status_code, too_new.status_code) == (200, 404)


def test_query_columns_describe_the_selected_paths(sb: RunningSandbox, http: requests.Session) -> None:
    q = "SELECT Id, Email, Account.Name, Account.Owner.Name, HasOptedOutOfEmail FROM Contact"
    body = http.get(f"{sb.base_url}{API}/query", params={"q": q, "columns": "true"}, headers=_bearer(sb), timeout=10)
    columns = body.json()["columnMetadata"]
    assert [c["columnName"] for c in columns] == ["Id", "Email", "Account", "HasOptedOutOfEmail"]
    account = columns[2]
    assert [c["displayName"] for c in account["joinColumns"]] == ["Account.Name", "Account.Owner"]
    assert account["joinColumns"][1]["joinColumns"][0]["displayName"] == "Account.Owner.Name"
    assert columns[3]["booleanType"] is True and columns[1]["textType"] is True
    assert body.json()["entityName"] == "Contact" and "records" not in body.json()


def test_chunked_upload_reaches_the_bulk_job(sb: RunningSandbox, sf: Salesforce, http: requests.Session) -> None:
    job = http.post(f"{sb.base_url}{API}/jobs/ingest", json={"object": "Contact", "operation": "insert"},
                    headers=_bearer(sb), timeout=10).json()  # fmt: skip

    def chunks() -> Iterator[bytes]:  # a generator body is sent with Transfer-Encoding: chunked
        yield b"LastName,Email\n"
        yield b"Chunked,chunked.one@example.com\nChunked,chunked.two@example.com\n"

    put = http.put(f"{sb.base_url}{API}/jobs/ingest/{job['id']}/batches", data=chunks(),
                   headers=_bearer(sb) | {"Content-Type": "text/csv"}, timeout=10)  # fmt: skip
    assert put.status_code == 201 and "chunked" in put.request.headers.get("Transfer-Encoding", "")
    http.patch(f"{sb.base_url}{API}/jobs/ingest/{job['id']}", json={"state": "UploadComplete"},
               headers=_bearer(sb), timeout=10)  # fmt: skip
    done = http.get(f"{sb.base_url}{API}/jobs/ingest/{job['id']}/successfulResults", headers=_bearer(sb), timeout=10)
    rows = list(csv.DictReader(io.StringIO(done.text)))
    assert sorted(r["Email"] for r in rows) == ["chunked.one@example.com", "chunked.two@example.com"]
    assert sf.Contact.get(rows[0]["sf__Id"])["LastName"] == "Chunked"


def test_malformed_chunked_body_is_refused(sb: RunningSandbox) -> None:
    context = ssl.create_default_context(cafile=str(sb.ca_file))
    port = int(sb.base_url.rsplit(":", 1)[1])
    with (
        socket.create_connection(("127.0.0.1", port), timeout=10) as raw,
        context.wrap_socket(raw, server_hostname="127.0.0.1") as tls,
    ):
        tls.sendall(b"PUT /services/data/v59.0/jobs/ingest/x/batches HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                    b"Transfer-Encoding: chunked\r\n\r\nzz\r\nnot hex\r\n0\r\n\r\n")  # fmt: skip
        answer = b"".join(iter(lambda: tls.recv(4096), b"")).decode()  # the server closes the connection
    assert answer.startswith("HTTP/1.1 400") and "malformed chunked request body" in answer
