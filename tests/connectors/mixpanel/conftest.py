"""Mixpanel tests: replayed from vcrpy cassettes, recorded against the local sandbox.

``make cassettes`` sets CONTACTPOINT_RECORD_CASSETTES=1: each cassette test then starts the
Mixpanel sandbox in this process (seed 7, its day fixed at ``TODAY``), runs against it and
(re)writes ``cassettes/mixpanel/<test>.yaml``. Otherwise recording is off
(``record_mode="none"``): a request missing from the cassette fails the test. The connector's
clock is fixed too, so the export's date ranges are the recorded ones. Authorization headers,
the project token and API secrets are scrubbed before anything is written.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode

import pytest
import vcr

from connectors.product_analytics.mixpanel import MixpanelConfig, MixpanelConnector

ROOT = Path(__file__).resolve().parents[3]
CASSETTES = ROOT / "cassettes" / "mixpanel"
RECORDING = os.environ.get("CONTACTPOINT_RECORD_CASSETTES") == "1"
REDACTED = "REDACTED"
TODAY = date(2026, 12, 1)
NOW = datetime(2026, 12, 1, 15, 0, tzinfo=UTC)
SEED = 7
PROJECT_ID = 3_100_000 + SEED
_SECRET_KEYS = {"$token", "token", "api_key", "api_secret"}


def _scrub_records(value: Any) -> Any:
    if isinstance(value, list):
        return [_scrub_records(v) for v in value]
    if isinstance(value, dict):
        return {k: (REDACTED if k in _SECRET_KEYS else _scrub_records(v)) for k, v in value.items()}
    return value


def scrub_body(body: bytes | str | None, content_type: str) -> bytes | None:
    """Replace project tokens and API keys in an ingestion body (JSON, or a form's ``data``)."""
    if not body:
        return body if body is None else (body.encode() if isinstance(body, str) else body)
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
    if "x-www-form-urlencoded" in content_type:
        form = []
        for key, value in parse_qsl(text, keep_blank_values=True):
            if key == "data":
                try:
                    value = json.dumps(_scrub_records(json.loads(value)), separators=(",", ":"))
                except ValueError:
                    value = REDACTED
            form.append((key, REDACTED if key in _SECRET_KEYS else value))
        return urlencode(form).encode()
    try:
        return json.dumps(_scrub_records(json.loads(text)), separators=(",", ":")).encode()
    except ValueError:
        return text.encode()


def _scrub_request(request: Any) -> Any:
    content_type = next((v for k, v in request.headers.items() if k.lower() == "content-type"), "")
    request.body = scrub_body(request.body, content_type)
    return request


def _scrub_response(response: dict[str, Any]) -> dict[str, Any]:
    for header in ("Set-Cookie", "set-cookie"):
        response["headers"].pop(header, None)
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


@dataclass
class MixpanelEnv:
    """What a cassette test gets: a connector factory, and the sandbox's control when recording."""

    make: Callable[..., MixpanelConnector]
    control: Any | None
    settings: Callable[..., dict[str, Any]]
    sleeps: list[float] = field(default_factory=list)
    credentials: dict[str, str] | None = None


def replay_settings() -> dict[str, Any]:
    """Settings that reach no server: the cassette answers (any host matches), the secrets are dummies."""
    base = "https://127.0.0.1:1"
    return {
        "project_id": PROJECT_ID,
        "auth": {"kind": "service_account", "username": "replay", "secret": "replay-secret"},
        "project_token": "replay-token",
        "export_url": f"{base}/api/2.0",
        "query_url": f"{base}/api/query",
        "ingestion_url": base,
    }


def _settings(sandbox: Any | None, overrides: dict[str, Any]) -> dict[str, Any]:
    base = replay_settings() if sandbox is None else sandbox.connector_settings()
    # the export limits are exercised by their own tests; elsewhere they would only slow recording down
    fast = {"export_per_second": 1000, "export_per_hour": 100_000, "query_per_hour": 100_000}
    return {**base, "start_date": "2026-11-01", "days_per_query": 3, **fast, **overrides}


@contextmanager
def mixpanel_env(name: str, *, records: int = 150) -> Iterator[MixpanelEnv]:
    """Run a test body against the cassette ``name`` (recording it against a fresh sandbox when asked)."""
    sleeps: list[float] = []

    def factory(sandbox: Any | None) -> Callable[..., MixpanelConnector]:
        def make(**overrides: Any) -> MixpanelConnector:
            config = MixpanelConfig.model_validate(_settings(sandbox, overrides))
            return MixpanelConnector(config, name="mixpanel", sleep=sleeps.append, now=lambda: NOW)

        return make

    cassette = f"{name}.yaml"
    if RECORDING:
        from sandbox.common.runner import running_sandbox

        with (
            running_sandbox("mixpanel", records=records, seed=SEED, today=TODAY) as sb,
            RECORDER.use_cassette(cassette),
        ):
            sb.control.export_limits.per_second = sb.control.export_limits.per_hour = 100_000
            yield MixpanelEnv(factory(sb), sb.control, lambda **o: _settings(sb, o), sleeps, sb.credentials)
        return
    if not (CASSETTES / cassette).exists():
        pytest.fail(f"cassette {CASSETTES / cassette} is missing; record it with: make cassettes")
    with RECORDER.use_cassette(cassette, allow_playback_repeats=False):
        yield MixpanelEnv(factory(None), None, lambda **o: _settings(None, o), sleeps)
