"""HubSpot tests: replayed from vcrpy cassettes, recorded against the local sandbox.

``make cassettes`` sets CONTACTPOINT_RECORD_CASSETTES=1: each cassette test then starts the
HubSpot sandbox in this process, runs against it and (re)writes
``cassettes/hubspot/<test>.yaml``. Otherwise recording is off (``record_mode="none"``): a
request missing from the cassette fails the test. Authorization headers, tokens, client
secrets and refresh tokens are scrubbed before anything is written.

While recording, the connector waits in real time (the sandbox enforces HubSpot's rates);
on replay it gets a clock that only its own sleeps move, so pacing costs no time.
"""

from __future__ import annotations

import json
import os
import re
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode

import pytest
import vcr

from connectors.marketing.hubspot import HubSpotConfig, HubSpotConnector
from sandbox.hubspot.settings import connector_settings

ROOT = Path(__file__).resolve().parents[3]
CASSETTES = ROOT / "cassettes" / "hubspot"
RECORDING = os.environ.get("CONTACTPOINT_RECORD_CASSETTES") == "1"
REDACTED = "REDACTED"
NOW = datetime(2099, 1, 1, tzinfo=UTC)
"""The wall clock of every cassette test: the end of each pull's window, after anything a recording changes."""
STORY_DAY = date(2026, 12, 1)
"""The sandbox's day, which dates the stories' emails: fixed, so recordings replay the same."""

_SECRET_FORM_KEYS = {"client_secret", "refresh_token", "client_id", "code"}
_SECRET_JSON_KEYS = {"access_token", "refresh_token", "token"}
_PRIVATE_TOKEN = re.compile(r"pat-[a-z0-9]+-[0-9a-f-]{36}")


def _scrub_request(request: Any) -> Any:
    body = request.body
    if body and request.path.endswith("/oauth/v1/token"):
        text = body.decode() if isinstance(body, bytes) else str(body)
        form = [(k, REDACTED if k in _SECRET_FORM_KEYS else v) for k, v in parse_qsl(text)]
        request.body = urlencode(form).encode()
    return request


def _scrub_response(response: dict[str, Any]) -> dict[str, Any]:
    raw = response["body"].get("string")
    if not raw:
        return response
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)
    try:
        data = json.loads(text)
    except ValueError:
        data = None
    if isinstance(data, dict) and _SECRET_JSON_KEYS & data.keys():
        text = json.dumps({k: (REDACTED if k in _SECRET_JSON_KEYS else v) for k, v in data.items()})
    response["body"]["string"] = _PRIVATE_TOKEN.sub(REDACTED, text).encode()
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


_OBJECTS = [  # a few properties keep cassettes small
    {"name": "contacts", "writable": True, "properties": ["email", "firstname", "lastname", "hs_email_optout"]},
    {"name": "companies", "properties": ["name", "domain"]},
]


class ReplayClock:
    """Monotonic seconds that only the recorded sleeps move."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


@dataclass
class HubSpotEnv:
    """What a cassette test gets: a connector factory, and the sandbox's control when recording."""

    make: Callable[..., HubSpotConnector]
    control: Any | None
    settings: Callable[..., dict[str, Any]]
    sleeps: list[float] = field(default_factory=list)
    credentials: dict[str, str] | None = None


def _settings(sandbox: Any | None, overrides: dict[str, Any], auth: str) -> dict[str, Any]:
    if sandbox is None:  # replay: any URL; the cassette answers, the token was scrubbed
        login: dict[str, Any] = {"kind": "private_app", "access_token": "replay"}
        if auth == "oauth":
            login = {"kind": "oauth", "client_id": "replay", "client_secret": "replay", "refresh_token": "replay"}
        base: dict[str, Any] = {"base_url": "https://127.0.0.1:1", "auth": login}
    else:
        base = connector_settings(sandbox, auth=auth)  # type: ignore[arg-type]
    return {"events_settle_seconds": 0, "objects": _OBJECTS, **base, **overrides}


class _RealClock:
    def __init__(self) -> None:
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return time.monotonic()

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        time.sleep(seconds)


@contextmanager
def hubspot_env(
    name: str, *, records: int = 300, auth: str = "private_app", api_limit: int = 100_000
) -> Iterator[HubSpotEnv]:
    """Run a test body against the cassette ``name`` (recording it against a fresh sandbox when asked)."""
    clock: ReplayClock | _RealClock = _RealClock() if RECORDING else ReplayClock()

    def factory(sandbox: Any | None) -> Callable[..., HubSpotConnector]:
        def make(**overrides: Any) -> HubSpotConnector:
            config = HubSpotConfig.model_validate(_settings(sandbox, overrides, auth))
            return HubSpotConnector(config, name="hubspot", sleep=clock.sleep, now=lambda: NOW, clock=clock)

        return make

    cassette = f"{name}.yaml"
    if RECORDING:
        from sandbox.common.runner import running_sandbox

        with (
            running_sandbox("hubspot", records=records, seed=7, api_limit=api_limit, today=STORY_DAY) as sb,
            RECORDER.use_cassette(cassette),
        ):
            yield HubSpotEnv(factory(sb), sb.control, lambda **o: _settings(sb, o, auth), clock.sleeps, sb.credentials)
        return
    if not (CASSETTES / cassette).exists():
        pytest.fail(f"cassette {CASSETTES / cassette} is missing; record it with: make cassettes")
    with RECORDER.use_cassette(cassette, allow_playback_repeats=False):
        yield HubSpotEnv(factory(None), None, lambda **o: _settings(None, o, auth), clock.sleeps)
