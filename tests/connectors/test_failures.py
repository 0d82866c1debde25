"""Failures a person can act on: an untrusted certificate, a misspelt object or field (Salesforce sandbox, live)."""

from __future__ import annotations

import socket

import pytest
import requests

from connectors.failures import nearest, unknown_name
from connectors.helpdesk.zendesk.errors import map_error as zendesk_error
from connectors.marketing.hubspot.errors import map_error as hubspot_error
from connectors.product_analytics.mixpanel.errors import map_error as mixpanel_error
from connectors.salesforce import SalesforceConfig, SalesforceConnector
from connectors.salesforce.errors import map_error as salesforce_error
from core.errors import ConnectorConfigError, FatalApiError
from sandbox.common.runner import running_sandbox
from sandbox.salesforce.settings import connector_settings


def _connector(sb, **overrides) -> SalesforceConnector:
    settings = connector_settings(sb, auth="client_credentials") | overrides
    return SalesforceConnector.from_config(SalesforceConfig.model_validate(settings), name="salesforce")


@pytest.fixture(scope="module")
def sandbox():
    with running_sandbox("salesforce", records=20, seed=3) as sb:
        yield sb


@pytest.mark.live
def test_a_private_ca_without_ca_file_says_the_certificate_is_not_trusted_and_how_to_give_it(sandbox, monkeypatch):
    monkeypatch.delenv("REQUESTS_CA_BUNDLE", raising=False)
    monkeypatch.delenv("CURL_CA_BUNDLE", raising=False)
    connector = _connector(sandbox, ca_file=None)
    with pytest.raises(FatalApiError) as caught:
        connector.check()
    err = caught.value
    assert err.message.startswith(f"the TLS certificate of {sandbox.base_url} is not trusted")
    assert "HTTPSConnectionPool" not in err.message and "SSLCertVerificationError" not in err.message
    assert "systems.salesforce.settings.ca_file" in (err.hint or "")
    assert "REQUESTS_CA_BUNDLE" in (err.hint or "")
    assert connector.api_usage.calls == 1  # an untrusted certificate is not retried


@pytest.mark.live
def test_an_unknown_object_is_named_with_the_nearest_one(sandbox):
    connector = _connector(sandbox, objects=[{"name": "Contacts"}])
    with pytest.raises(ConnectorConfigError) as caught:
        connector.check()
    assert "no object 'Contacts'" in caught.value.message
    assert caught.value.hint == "did you mean 'Contact'?"
    assert caught.value.exit_code == 2


@pytest.mark.live
def test_an_unknown_field_gets_did_you_mean(sandbox):
    connector = _connector(sandbox, objects=[{"name": "Contact", "fields": ["Id", "Emial", "LastName"]}])
    with pytest.raises(ConnectorConfigError) as caught:
        connector.check()
    assert "Contact has no field 'Emial'" in caught.value.message
    assert caught.value.hint == "did you mean 'Email'?"


def test_nearest_ignores_case_and_gives_up_on_nothing_close():
    known = ["Account", "Contact", "Lead", "Task"]
    assert nearest("contacts", known)[0] == "Contact"
    assert nearest("Zorblax", known) == []


def test_several_unknown_names_each_get_their_guess_and_no_guess_lists_the_known():
    err = unknown_name("field", ["Emial", "LastNmae"], ["Email", "LastName", "Id"], system="crm",
                       setting="systems.crm.settings.objects", owner="Contact")  # fmt: skip
    assert err.message == "Contact has no fields 'Emial', 'LastNmae' (in systems.crm.settings.objects)"
    assert err.hint == "did you mean 'Email' for 'Emial', 'LastName' for 'LastNmae'?"
    none = unknown_name("object", "Zorblax", ["Account", "Lead"], system="crm", setting="systems.crm.settings.objects")
    assert none.hint == "objects of crm: Account, Lead"


@pytest.mark.parametrize("vendor", ["salesforce", "hubspot"])
def test_a_failure_without_a_response_or_an_error_code_reads_without_stray_spaces(vendor):
    map_error = salesforce_error if vendor == "salesforce" else hubspot_error
    refused = requests.ConnectionError("connection refused")
    lost = map_error(refused, system=vendor, stream="contacts", operation="query")
    assert "(no response)" in str(lost) and "  " not in str(lost) and " )" not in str(lost)
    answered = map_error(_answer(503), system=vendor, stream="contacts", operation="query")
    assert "(503)" in str(answered) and " )" not in str(answered)


def _answer(status: int) -> requests.Response:
    answer = requests.Response()
    answer.status_code, answer._content = status, b""
    return answer


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])  # nothing listens there once it is closed


def _failure(url: str, **kwargs) -> requests.RequestException:
    with pytest.raises(requests.RequestException) as info:
        requests.get(url, **kwargs)
    return info.value


@pytest.mark.parametrize(
    ("mapped", "vendor"),
    [
        (lambda err: hubspot_error(err, system="hubspot", operation="search"), "HubSpot search"),
        (lambda err: salesforce_error(err, system="salesforce", operation="query"), "Salesforce query"),
        (lambda err: zendesk_error(err, system="zendesk", operation="export"), "Zendesk export"),
        (lambda err: mixpanel_error(err, system="mixpanel", operation="export"), "Mixpanel export"),
    ],
)
def test_a_call_that_got_no_answer_says_why_in_a_few_words_and_where(mapped, vendor):
    port = _closed_port()
    refused = mapped(_failure(f"http://127.0.0.1:{port}/api/v2/users?email=ann%40example.com&limit=100"))
    assert refused.message.startswith(vendor) and refused.message.endswith(f"connection refused by 127.0.0.1:{port}")
    assert "example.com" not in refused.message and "Max retries" not in refused.message

    with socket.socket() as silent:  # accepts the connection, never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        where = f"127.0.0.1:{silent.getsockname()[1]}"
        late = mapped(_failure(f"http://{where}/export", timeout=0.3))
    assert late.message.endswith(f"no answer from {where} in time"), late.message
