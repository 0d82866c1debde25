from __future__ import annotations

import pytest
import requests
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import SalesforceExpiredSession, SalesforceGeneralError, SalesforceRefusedRequest

from sandbox.common import FaultSpec, RunningSandbox, running_sandbox

API = "/services/data/v59.0"


def _get(sb: RunningSandbox, http: requests.Session, path: str, token: str | None = None) -> requests.Response:
    headers = {"Authorization": f"Bearer {token or sb.credentials['session_id']}"}
    return http.get(f"{sb.base_url}{API}/{path}", headers=headers)


def test_rate_limited_then_recovers_with_retry_after(sb: RunningSandbox, http: requests.Session) -> None:
    sb.control.inject(FaultSpec("rate_limited", count=2, retry_after=7))
    first, second, third = (_get(sb, http, "limits") for _ in range(3))
    assert (first.status_code, second.status_code, third.status_code) == (429, 429, 200)
    assert first.headers["Retry-After"] == "7"
    assert third.json()["DailyApiRequests"]["Max"] == 100_000


def test_unavailable_is_503(sb: RunningSandbox, http: requests.Session) -> None:
    sb.control.fail_next(1, status=503, retry_after=2)
    response = _get(sb, http, "limits")
    assert response.status_code == 503
    assert response.json()[0]["errorCode"] == "SERVER_UNAVAILABLE"


def test_request_limit_exceeded(sb: RunningSandbox, sf: Salesforce) -> None:
    sb.control.inject(FaultSpec("request_limit_exceeded"))
    with pytest.raises(SalesforceRefusedRequest) as info:
        sf.query("SELECT Id FROM Lead LIMIT 1")
    assert info.value.content == [{"message": "TotalRequests Limit exceeded.", "errorCode": "REQUEST_LIMIT_EXCEEDED"}]
    assert sf.query("SELECT Id FROM Lead LIMIT 1")["totalSize"] == 1


def test_daily_limit_counts_in_header_and_is_enforced(sb: RunningSandbox, http: requests.Session) -> None:
    sb.control.set_api_usage(41, limit=43)
    assert _get(sb, http, "limits").headers["Sforce-Limit-Info"] == "api-usage=42/43"
    assert _get(sb, http, "limits").status_code == 200
    refused = _get(sb, http, "limits")
    assert refused.status_code == 403
    assert refused.headers["Sforce-Limit-Info"] == "api-usage=43/43"


def test_expired_session_answers_401_and_a_new_login_works() -> None:
    with running_sandbox("salesforce", records=5, seed=1) as own:
        http = own.requests_session()
        c = own.credentials
        direct = Salesforce(instance_url=own.base_url, session_id=c["session_id"], session=http)
        by_password = Salesforce(username=c["username"], password=c["password"], security_token=c["security_token"],
                                 domain=c["domain"], session=http)  # fmt: skip
        own.control.inject(FaultSpec("expire_session"))
        with pytest.raises(SalesforceExpiredSession) as info:
            direct.query("SELECT Id FROM Lead LIMIT 1")
        assert info.value.content == [{"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}]
        # simple-salesforce logs in again by itself after a 401 when it holds a password
        assert by_password.query("SELECT Id FROM Lead LIMIT 1")["totalSize"] == 1
        assert own.control.requests.count("POST /login.salesforce.com/services/Soap/u/") == 2


def test_malformed_record_shows_in_results() -> None:
    with running_sandbox("salesforce", records=5, seed=1, faults=["malformed_record"]) as own:
        sf = Salesforce(instance_url=own.base_url, session_id=own.credentials["session_id"],
                        session=own.requests_session())  # fmt: skip
        rows = sf.query("SELECT Id, Birthdate FROM Contact")["records"]
        assert rows[0]["Birthdate"] == "1987-02-31"
        after = sf.query(f"SELECT Id FROM Contact WHERE Id = '{rows[0]['Id']}' AND Birthdate > 1980-01-01")
        assert after["totalSize"] == 0


def test_unknown_fault_is_refused(sb: RunningSandbox) -> None:
    from core.errors import ConfigError

    with pytest.raises(ConfigError, match="unknown Salesforce sandbox fault"):
        sb.control.inject(FaultSpec("earthquake"))


def test_admin_endpoint_needs_token_and_injects(sb: RunningSandbox, http: requests.Session) -> None:
    url = f"{sb.base_url}/__sandbox__/faults"
    assert http.post(url, json={"kind": "unavailable"}).status_code == 401
    ok = http.post(url, json={"kind": "unavailable", "count": 1}, headers={"X-Sandbox-Admin-Token": sb.admin_token})
    assert ok.status_code == 200 and ok.json()["pending"]["transient"] == 1
    assert _get(sb, http, "limits").status_code == 503
    bad = http.post(url, json={"kind": "nope"}, headers={"X-Sandbox-Admin-Token": sb.admin_token})
    assert bad.status_code == 400


def test_missing_token_is_invalid_session(sb: RunningSandbox, http: requests.Session) -> None:
    response = _get(sb, http, "limits", token="00Dnot-a-session")
    assert response.status_code == 401
    assert response.json()[0]["errorCode"] == "INVALID_SESSION_ID"


def test_old_api_version_is_not_found(sb: RunningSandbox, http: requests.Session) -> None:
    response = http.get(f"{sb.base_url}/services/data/v30.0/limits")
    assert response.status_code == 404


def test_general_error_class_for_503(sb: RunningSandbox, sf: Salesforce) -> None:
    sb.control.fail_next(1, status=503)
    with pytest.raises(SalesforceGeneralError):
        sf.query("SELECT Id FROM Lead LIMIT 1")
