"""Clients of a running Zendesk sandbox whose exchanges a test keeps, to check them against the contract."""

from __future__ import annotations

import requests
from zenpy import Zenpy

from sandbox.common import RunningSandbox
from tests.contracts.validator import Exchange, exchange_of

__all__ = ["seeing_session", "token_session", "zenpy_client"]


def seeing_session(zd: RunningSandbox, seen: list[Exchange]) -> requests.Session:
    """A session trusting the sandbox's CA, with no credentials, that appends every exchange to ``seen``."""
    session = zd.requests_session()
    session.hooks["response"].append(lambda response, *args, **kwargs: seen.append(exchange_of(response)))
    return session


def token_session(zd: RunningSandbox, seen: list[Exchange]) -> requests.Session:
    """``seeing_session`` signed in with the sandbox's API token, as a script calling the API would be."""
    session = seeing_session(zd, seen)
    session.auth = (f"{zd.credentials['email']}/token", zd.credentials["api_token"])
    return session


def zenpy_client(zd: RunningSandbox, seen: list[Exchange]) -> Zenpy:
    """zenpy pointed at the sandbox (only its URL differs), its exchanges appended to ``seen``."""
    creds = zd.credentials
    return Zenpy(subdomain=creds["zenpy_subdomain"], domain=creds["zenpy_domain"], session=seeing_session(zd, seen),
                 disable_cache=True, email=creds["email"], token=creds["api_token"])  # fmt: skip
