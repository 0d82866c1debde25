"""Salesforce tests: replayed from vcrpy cassettes, recorded against the local sandbox.

``make cassettes`` sets CONTACTPOINT_RECORD_CASSETTES=1: each cassette test then starts the
Salesforce sandbox in this process, runs against it and (re)writes
``cassettes/salesforce/<test>.yaml``. Otherwise recording is off (``record_mode="none"``):
a request missing from the cassette fails the test. Authorization headers, tokens,
passwords and secrets are scrubbed before anything is written.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode

import pytest
import vcr

from connectors.salesforce import SalesforceConfig, SalesforceConnector
from sandbox.salesforce.settings import connector_settings

ROOT = Path(__file__).resolve().parents[3]
CASSETTES = ROOT / "cassettes" / "salesforce"
RECORDING = os.environ.get("CONTACTPOINT_RECORD_CASSETTES") == "1"
REDACTED = "REDACTED"
_SECRET_FORM_KEYS = {"client_secret", "password", "assertion", "refresh_token", "client_id", "username"}
_SECRET_JSON_KEYS = {"access_token", "refresh_token", "signature", "id_token"}
_SESSION_ID = re.compile(r"00D[A-Za-z0-9]{12,15}![A-Za-z0-9._-]{20,}")


def _scrub_request(request: Any) -> Any:
    body = request.body
    if body and request.path.endswith("/oauth2/token"):
        text = body.decode() if isinstance(body, bytes) else str(body)
        form = [(k, REDACTED if k in _SECRET_FORM_KEYS else v) for k, v in parse_qsl(text)]
        request.body = urlencode(form).encode()
    return request


def _scrub_response(response: dict[str, Any]) -> dict[str, Any]:
    for header in ("Set-Cookie", "set-cookie"):
        response["headers"].pop(header, None)
    raw = response["body"].get("string")
    if not raw:
        return response
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)
    try:
        data = json.loads(text)
    except ValueError:
        data = None
    if isinstance(data, dict) and _SECRET_JSON_KEYS & data.keys():
        data = {k: (REDACTED if k in _SECRET_JSON_KEYS else v) for k, v in data.items()}
        text = json.dumps(data)
    response["body"]["string"] = _SESSION_ID.sub(REDACTED, text).encode()
    return response


RECORDER = vcr.VCR(
    cassette_library_dir=str(CASSETTES),
    record_mode="all" if RECORDING else "none",
    match_on=("method", "path", "query"),
    filter_headers=["Authorization", "Cookie"],
    before_record_request=_scrub_request,
    before_record_response=_scrub_response,
    decode_compressed_response=True,
)


_OBJECTS = [  # a few fields keep cassettes small; the formula field exercises the refresh
    {
        "name": "Contact",
        "writable": True,
        "fields": ["FirstName", "LastName", "Email", "Contactpoint_Score_Formula__c"],
    },
    {"name": "Lead", "writable": True, "fields": ["LastName", "Email", "Company"]},
    {"name": "Account", "fields": ["Name"]},
]


@dataclass
class SalesforceEnv:
    """What a cassette test gets: a connector factory, and the sandbox's control when recording."""

    make: Callable[..., SalesforceConnector]
    control: Any | None
    settings: Callable[..., dict[str, Any]]
    sleeps: list[float] = field(default_factory=list)
    credentials: dict[str, str] | None = None


def _settings(sandbox: Any | None, overrides: dict[str, Any]) -> dict[str, Any]:
    if sandbox is None:  # replay: any login URL; the cassette answers, the token was scrubbed
        base: dict[str, Any] = {
            "login_url": "https://127.0.0.1:1",
            "auth": {"kind": "client_credentials", "client_id": "replay", "client_secret": "replay"},
        }
    else:
        base = connector_settings(sandbox, auth="client_credentials")
    return {"api_version": "59.0", "objects": _OBJECTS, **base, **overrides}


@contextmanager
def salesforce_env(name: str, *, records: int = 300, api_limit: int = 100_000) -> Iterator[SalesforceEnv]:
    """Run a test body against the cassette ``name`` (recording it against a fresh sandbox when asked)."""
    sleeps: list[float] = []

    def factory(sandbox: Any | None) -> Callable[..., SalesforceConnector]:
        def make(**overrides: Any) -> SalesforceConnector:
            config = SalesforceConfig.model_validate(_settings(sandbox, overrides))
            return SalesforceConnector(config, name="salesforce", sleep=sleeps.append)

        return make

    cassette = f"{name}.yaml"
    if RECORDING:
        from sandbox.common.runner import running_sandbox

        with (
            running_sandbox("salesforce", records=records, seed=7, api_limit=api_limit) as sb,
            RECORDER.use_cassette(cassette),
        ):
            yield SalesforceEnv(factory(sb), sb.control, lambda **o: _settings(sb, o), sleeps, sb.credentials)
        return
    if not (CASSETTES / cassette).exists():
        pytest.fail(f"cassette {CASSETTES / cassette} is missing; record it with: make cassettes")
    with RECORDER.use_cassette(cassette, allow_playback_repeats=False):
        yield SalesforceEnv(factory(None), None, lambda **o: _settings(None, o), sleeps)
