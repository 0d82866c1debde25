"""Zendesk tests: replayed from vcrpy cassettes, recorded against the local sandbox.

``make cassettes`` sets CONTACTPOINT_RECORD_CASSETTES=1: each cassette test then starts the
Zendesk sandbox in this process, runs against it and (re)writes
``cassettes/zendesk/<test>.yaml``. Otherwise recording is off (``record_mode="none"``): a
request missing from the cassette fails the test. The Authorization header (the API
token, the OAuth token) is dropped before anything is written.

The sandbox answers the incremental exports 10 times a minute, as Zendesk does; the
recordings lift that (and the connector's own pacing) unless a test is about it.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import vcr

from connectors.helpdesk.zendesk import ZendeskConfig, ZendeskConnector
from sandbox.zendesk.settings import connector_settings

ROOT = Path(__file__).resolve().parents[3]
CASSETTES = ROOT / "cassettes" / "zendesk"
MAPPING = ROOT / "mappings" / "zendesk.yaml"
RECORDING = os.environ.get("CONTACTPOINT_RECORD_CASSETTES") == "1"
REPLAY_URL = "https://127.0.0.1:1"
REPLAY_TOKEN = "replay-token-7Hq2Zx9Wv3"
"""Sent when replaying (cassettes match no header); distinctive, so a test can look for it in logs."""


def _scrub_response(response: dict[str, Any]) -> dict[str, Any]:
    for header in ("Set-Cookie", "set-cookie"):
        response["headers"].pop(header, None)
    return response


RECORDER = vcr.VCR(
    cassette_library_dir=str(CASSETTES),
    record_mode="all" if RECORDING else "none",
    match_on=("method", "path", "query", "body"),
    filter_headers=["Authorization", "Cookie"],
    before_record_response=_scrub_response,
    decode_compressed_response=True,
)


@dataclass
class ZendeskEnv:
    """What a cassette test gets: a connector factory, and the sandbox's control when recording."""

    make: Callable[..., ZendeskConnector]
    control: Any | None
    settings: Callable[..., dict[str, Any]]
    sleeps: list[float] = field(default_factory=list)
    credentials: dict[str, str] | None = None

    @property
    def recording(self) -> bool:
        """Whether the sandbox runs (the scene can be set); False when replaying."""
        return self.control is not None


def _settings(sandbox: Any | None, overrides: dict[str, Any]) -> dict[str, Any]:
    if sandbox is None:  # replay: any URL; the cassette answers, the token was never written
        base: dict[str, Any] = {
            "base_url": REPLAY_URL,
            "auth": {"kind": "api_token", "email": "admin@contactpoint-sandbox.example.com", "api_token": REPLAY_TOKEN},
        }
    else:
        base = connector_settings(sandbox, auth="api_token")
    return {"page_size": 100, "exports_per_minute": 1000, "job_poll_seconds": 0.5, **base, **overrides}


class SleepClock:
    """A monotonic clock that only the recorded sleeps move on: waits are recorded, never slept."""

    def __init__(self, sleeps: list[float]) -> None:
        self.now = 1000.0
        self.sleeps = sleeps

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


@contextmanager
def zendesk_env(name: str, *, records: int = 300, export_limit: int = 10_000) -> Iterator[ZendeskEnv]:
    """Run a test body against the cassette ``name`` (recording it against a fresh sandbox when asked)."""
    sleeps: list[float] = []
    clock = SleepClock(sleeps)

    def factory(sandbox: Any | None) -> Callable[..., ZendeskConnector]:
        def make(**overrides: Any) -> ZendeskConnector:
            config = ZendeskConfig.model_validate(_settings(sandbox, overrides))
            return ZendeskConnector(config, name="zendesk", sleep=clock.sleep, clock=clock)

        return make

    cassette = f"{name}.yaml"
    if RECORDING:
        from sandbox.common.runner import running_sandbox

        with running_sandbox("zendesk", records=records, seed=7) as sb, RECORDER.use_cassette(cassette):
            sb.control.set_limits(exports=export_limit)
            yield ZendeskEnv(factory(sb), sb.control, lambda **o: _settings(sb, o), sleeps, sb.credentials)
        return
    if not (CASSETTES / cassette).exists():
        pytest.fail(f"cassette {CASSETTES / cassette} is missing; record it with: make cassettes")
    with RECORDER.use_cassette(cassette, allow_playback_repeats=False):
        yield ZendeskEnv(factory(None), None, lambda **o: _settings(None, o), sleeps)
