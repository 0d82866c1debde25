from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests
from simple_salesforce import Salesforce

from sandbox.common import RunningSandbox, running_sandbox
from tests.contracts.validator import Exchange, exchange_of, validate_all


@pytest.fixture(scope="package")
def sandbox() -> Iterator[RunningSandbox]:
    with running_sandbox("salesforce", records=300, seed=3) as running:
        yield running


@pytest.fixture
def sb(sandbox: RunningSandbox) -> Iterator[RunningSandbox]:
    """The shared sandbox with faults and counters cleared before and after each test."""
    sandbox.control.reset()
    yield sandbox
    sandbox.control.reset()


@pytest.fixture
def http(sb: RunningSandbox) -> requests.Session:
    return sb.requests_session()


@pytest.fixture
def sf(sb: RunningSandbox, http: requests.Session) -> Salesforce:
    return Salesforce(instance_url=sb.base_url, session_id=sb.credentials["session_id"], session=http, version="59.0")


@pytest.fixture
def seen(http: requests.Session) -> Iterator[list[Exchange]]:
    """The exchanges of the test's session with the Salesforce sandbox; they must all follow the contract."""
    exchanges: list[Exchange] = []
    http.hooks["response"].append(lambda response, *args, **kwargs: exchanges.append(exchange_of(response)))
    yield exchanges
    problems = validate_all("salesforce", exchanges)
    assert exchanges and not problems, "\n".join(problems[:10])
