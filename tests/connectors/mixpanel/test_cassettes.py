"""Every recorded exchange follows the Mixpanel contract; no cassette holds a secret; the contract agrees with Mixpanel's own description."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from pathlib import Path

import pytest
import yaml

from tests.contracts.validator import CONTRACTS, Exchange, cassette_exchanges, validate_all

from .conftest import CASSETTES, scrub_body

CASSETTE_FILES = sorted(CASSETTES.glob("*.yaml"))
VENDOR_SPECS = Path(__file__).resolve().parents[3].parent / "shared" / "vendor-specs" / "mixpanel"

SECRET_PATTERNS = {
    "authorization header": re.compile(r"(?im)^\s*-?\s*authorization:"),
    "basic credentials": re.compile(r"(?i)basic\s+[A-Za-z0-9+/=]{12,}"),
    "project token": re.compile(r'"\$?token"\s*:\s*"(?!REDACTED)[^"]{4,}"'),
    "form token": re.compile(r"(?i)(%22%24token%22|%22token%22)%3A%22(?!REDACTED)"),
    "api secret": re.compile(r"(?i)api_(key|secret)=(?!REDACTED)[^&\s]{4,}"),
    "service account secret": re.compile(r"(?i)secret\W+(?!REDACTED)[A-Za-z0-9_-]{16,}"),
}


def test_cassettes_exist():
    assert len(CASSETTE_FILES) >= 10, "record them with: make cassettes"


@pytest.mark.parametrize("path", CASSETTE_FILES, ids=lambda p: p.stem)
def test_cassette_follows_the_contract(path):
    exchanges = cassette_exchanges(path)
    assert exchanges
    problems = validate_all("mixpanel", exchanges)
    assert not problems, "\n".join(problems[:10])


@pytest.mark.parametrize("path", CASSETTE_FILES, ids=lambda p: p.stem)
def test_cassette_holds_no_secret(path):
    text = path.read_text(encoding="utf-8")
    found = {name: m.group(0)[:40] for name, pattern in SECRET_PATTERNS.items() if (m := pattern.search(text))}
    assert not found, f"{path.name} holds secret-looking strings: {found}"


def test_secret_scan_and_scrubber_catch_planted_secrets():
    planted = [
        "Authorization: Basic Y29udGFjdHBvaW50OnNlY3JldA==",
        '[{"$token":"5f0c2b9e8d7a6f5e4d3c2b1a","$distinct_id":"u1","$set":{}}]',
        "data=%5B%7B%22%24token%22%3A%22abcdef%22%7D%5D&verbose=1",
        "data=x&api_key=0123456789abcdef",
    ]
    for sample in planted:
        assert any(p.search(sample) for p in SECRET_PATTERNS.values()), sample
    scrubbed = scrub_body(planted[1].encode(), "application/json")
    assert scrubbed is not None and b"5f0c2b9e" not in scrubbed and b"REDACTED" in scrubbed
    form = scrub_body(
        b'data={"event":"x","properties":{"token":"abcdef123"}}&api_key=k1234', "application/x-www-form-urlencoded"
    )
    assert form is not None and b"abcdef123" not in form and b"k1234" not in form
    assert not any(p.search('[{"$token":"REDACTED","$distinct_id":"u1"}]') for p in SECRET_PATTERNS.values())


def _first(stem: str, fragment: str) -> Exchange:
    path = next(p for p in CASSETTE_FILES if p.stem == stem)
    return next(e for e in cassette_exchanges(path) if fragment in e.url)


def test_validator_rejects_responses_the_description_does_not_allow():
    profiles = _first("profiles_resume", "/api/query/engage")
    body = json.loads(profiles.response_body)
    del body["session_id"]
    assert validate_all("mixpanel", [replace(profiles, response_body=json.dumps(body).encode())])
    strict = _first("push_strict", "/engage?strict=1")
    bad = {"error": "x", "failed_records": [{"index": "first", "message": "bad"}]}
    assert validate_all("mixpanel", [replace(strict, status=400, response_body=json.dumps(bad).encode())])
    export = _first("rate_limited", "/api/2.0/export")
    assert validate_all("mixpanel", [replace(export, status=418)])


def test_validator_picks_the_engage_operation_from_the_update_key():
    strict = _first("push_strict", "/engage?strict=1")
    updates = json.loads(strict.request_body)
    assert "$set" in updates[0] and not validate_all("mixpanel", [strict])
    unset = [{"$token": "t", "$distinct_id": "u1", "$unset": ["a", "b"]}]
    assert not validate_all("mixpanel", [replace(strict, request_body=json.dumps(unset).encode(), status=200,
                                                 response_body=b'{"error": null, "status": 1}')])  # fmt: skip
    broken = [{"$token": "t", "$distinct_id": "u1", "$unset": "a"}]  # $unset takes a list of names
    problems = validate_all("mixpanel", [replace(strict, request_body=json.dumps(broken).encode())])
    assert problems and "request" in problems[0]
    nothing = [{"$token": "t", "$distinct_id": "u1", "$frobnicate": {}}]
    problems = validate_all("mixpanel", [replace(strict, request_body=json.dumps(nothing).encode())])
    assert problems and "no operation" in problems[0]


# -- drift: our contract against Mixpanel's own description --------------------------------------


def _vendor_operations() -> dict[tuple[str, str], tuple[str, str, dict]]:
    """(file, operationId) -> (path key, method, operation) from Mixpanel's description files."""
    out = {}
    for file in VENDOR_SPECS.glob("*.openapi.yaml"):
        spec = yaml.safe_load(file.read_text(encoding="utf-8"))
        for path, item in spec["paths"].items():
            for method, operation in item.items():
                if isinstance(operation, dict) and "operationId" in operation:
                    out[(file.name, operation["operationId"])] = (path, method, _resolve(spec, operation))
    return out


def _resolve(spec: dict, node):
    if isinstance(node, dict):
        if "$ref" in node:
            target = spec
            for part in node["$ref"].lstrip("#/").split("/"):
                target = target[part]
            return _resolve(spec, target)
        return {k: _resolve(spec, v) for k, v in node.items()}
    if isinstance(node, list):
        return [_resolve(spec, v) for v in node]
    return node


def _our_operations():
    for file in sorted((CONTRACTS / "mixpanel").glob("*.openapi.yaml")):
        spec = yaml.safe_load(file.read_text(encoding="utf-8"))
        for path, item in spec["paths"].items():
            for method, operation in item.items():
                yield file.name, path, method, _resolve(spec, operation)


def _params(operation: dict) -> dict[str, dict]:
    return {p["name"]: p for p in operation.get("parameters", []) if p.get("in") == "query"}


def _item_required(operation: dict) -> set[str]:
    schema = operation.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema", {})
    items = schema.get("items", schema)
    return set(items.get("required", [])) if isinstance(items, dict) else set()


def _check_operation(ours: dict, theirs: dict, name: str) -> None:
    deviations = ours.get("x-deviations", {})
    allowed = deviations.get("parameters", {})
    our_params, their_params = _params(ours), _params(theirs)
    for pname, param in their_params.items():
        if param.get("required") and not our_params.get(pname, {}).get("required") and pname not in allowed:
            pytest.fail(f"{name}: Mixpanel requires query parameter {pname!r}; the contract does not")
    for pname, param in our_params.items():
        if pname not in their_params:
            pytest.fail(f"{name}: query parameter {pname!r} is not in Mixpanel's description")
        ours_type, their_type = param["schema"].get("type"), their_params[pname]["schema"].get("type")
        assert ours_type == their_type or pname in allowed, (
            f"{name}: {pname} is {ours_type}, Mixpanel says {their_type}"
        )
    assert _item_required(theirs) <= _item_required(ours), f"{name}: a record field Mixpanel requires is optional here"
    extra = set(ours.get("responses", {})) - set(theirs.get("responses", {}))
    assert extra <= set(deviations.get("responses", {})), (
        f"{name}: undocumented extra responses {extra - set(deviations.get('responses', {}))}"
    )
    our_media = set(ours.get("requestBody", {}).get("content", {}))
    their_media = set(theirs.get("requestBody", {}).get("content", {}))
    assert our_media - their_media <= set(deviations.get("request_media", {})), f"{name}: undocumented media types"


@pytest.mark.skipif(not VENDOR_SPECS.exists(), reason="the vendor descriptions are not next to this checkout")
def test_contract_agrees_with_mixpanels_own_description():
    """Drift check: each operation has the method, path, parameters and required fields of the one it cites."""
    vendor = _vendor_operations()
    checked = 0
    for file, path, method, operation in _our_operations():
        source = operation["x-source"]
        their_path, their_method, theirs = vendor[(source["vendor"], source["operation"])]
        assert (their_method, their_path) == (method, path), (file, path, their_path)
        _check_operation(operation, theirs, f"{file} {method.upper()} {path}")
        checked += 1
    assert checked == 12


@pytest.mark.skipif(not VENDOR_SPECS.exists(), reason="the vendor descriptions are not next to this checkout")
def test_drift_check_notices_a_difference():
    vendor = _vendor_operations()
    _, _, export = vendor[("export.openapi.yaml", "raw-event-export")]
    ours = next(op for _, path, _, op in _our_operations() if path == "/export")
    weakened = {**ours, "parameters": [p for p in ours["parameters"] if p["name"] != "from_date"]}
    with pytest.raises(pytest.fail.Exception, match="requires query parameter 'from_date'"):
        _check_operation(weakened, export, "export")
    retyped = {**ours, "parameters": [{**p, "schema": {"type": "integer"}} if p["name"] == "limit" else p
                                      for p in ours["parameters"]]}  # fmt: skip
    _check_operation(retyped, export, "export")  # same type as Mixpanel's: passes
    retyped["parameters"] = [
        {**p, "schema": {"type": "string"}} if p["name"] == "limit" else p for p in ours["parameters"]
    ]
    with pytest.raises(AssertionError, match="limit is string"):
        _check_operation(retyped, export, "export")
