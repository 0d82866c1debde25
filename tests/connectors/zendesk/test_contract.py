"""Every recorded exchange follows the Zendesk contract; the contract follows Zendesk's own description.

The drift tests read the vendor's OpenAPI file (support-oas.yaml, next to this checkout in
shared/vendor-specs; skipped when it is absent) with a YAML 1.1 loader that reads its bare
``=`` as text, and compare operation by operation: same path (less ``.json``), method and
operationId; same query parameters and types; the same types for every field the contract
declares in requests and answers, and every vendor enum value allowed. What the contract
knowingly adds is listed in ``KNOWN_ADDITIONS``, each with the page that documents it.
"""

from __future__ import annotations

import json
import re
from dataclasses import replace
from functools import cache
from typing import Any

import pytest
import yaml

from tests.contracts.validator import CONTRACTS, cassette_exchanges, validate_all

from .conftest import CASSETTES, ROOT

CASSETTE_FILES = sorted(CASSETTES.glob("*.yaml"))
CONTRACT = CONTRACTS / "zendesk" / "zendesk.openapi.yaml"
VENDOR_FILE = ROOT.parent / "shared" / "vendor-specs" / "zendesk" / "support-oas.yaml"
needs_vendor = pytest.mark.skipif(
    not VENDOR_FILE.exists(), reason="the vendor descriptions are not next to this checkout"
)

KNOWN_ADDITIONS = {
    # deleted organizations come back from the export with deleted_at
    # (https://developer.zendesk.com/documentation/ticketing/managing-tickets/using-the-incremental-export-api)
    "incrementalOrganizationExport 200 organizations[].deleted_at",
    # include=metric_sets (https://developer.zendesk.com/documentation/ticketing/using-the-zendesk-api/side_loading/)
    "incrementalTicketExportCursor 200 metric_sets",
    "incrementalTicketExportCursor param include",
    # per_page, as on the user export (same page as above)
    "incrementalTicketExportCursor param per_page",
    # cursor pagination adds meta and links (https://developer.zendesk.com/api-reference/introduction/pagination/)
    "listUserFields 200 meta",
    "listUserFields 200 links",
    # job results name the user they are about (create_or_update_many by email or external_id)
    "updateManyUsers 200 job_status.results[].email",
    "updateManyUsers 200 job_status.results[].external_id",
    "createOrUpdateManyUsers 200 job_status.results[].email",
    "createOrUpdateManyUsers 200 job_status.results[].external_id",
    "showManyJobStatuses 200 job_statuses[].results[].email",
    "showManyJobStatuses 200 job_statuses[].results[].external_id",
}
KNOWN_ENUM_ADDITIONS = {"deleted", "killed", None}
"""A deleted ticket's status in the exports; a job an admin stopped; null priority and type."""

SECRET_PATTERNS = {
    "authorization header": re.compile(r"(?im)^\s*-?\s*authorization:"),
    "basic credentials": re.compile(r"(?i)basic\s+[A-Za-z0-9+/=]{16,}"),
    "bearer token": re.compile(r"(?i)bearer\s+[A-Za-z0-9._~+/=-]{16,}"),
    "api token": re.compile(r"(?i)api_token\W+(?!replay-token)[A-Za-z0-9_-]{12,}"),
    "token form": re.compile(r"/token:[A-Za-z0-9_-]{12,}"),
}


def test_cassettes_exist():
    assert len(CASSETTE_FILES) >= 12, "record them with: make cassettes"


@pytest.mark.parametrize("path", CASSETTE_FILES, ids=lambda p: p.stem)
def test_cassette_follows_the_contract(path):
    exchanges = cassette_exchanges(path)
    assert exchanges
    problems = validate_all("zendesk", exchanges)
    assert not problems, "\n".join(problems[:10])


@pytest.mark.parametrize("path", CASSETTE_FILES, ids=lambda p: p.stem)
def test_cassette_holds_no_secret(path):
    text = path.read_text(encoding="utf-8")
    found = {name: m.group(0)[:40] for name, pattern in SECRET_PATTERNS.items() if (m := pattern.search(text))}
    assert not found, f"{path.name} holds secret-looking strings: {found}"


def test_secret_scan_catches_planted_secrets():
    planted = [
        "    Authorization:\n    - Basic YWRtaW5AZXhhbXBsZS5jb20vdG9rZW46c2VjcmV0",
        "Authorization: Bearer 0f3a9c2be4d1f5a6b7c8d9e0f1a2b3c4",
        '{"api_token": "s3cr3tT0kenValue99"}',
        "admin@example.com/token:Zx9qWv3LmN8pRt6Y",
    ]
    for sample in planted:
        assert any(p.search(sample) for p in SECRET_PATTERNS.values()), sample
    assert not any(
        p.search('{"api_token": "replay-token-7Hq2", "name": "Sandbox Admin"}') for p in SECRET_PATTERNS.values()
    )


def _first(stem: str, marker: str):
    path = next(p for p in CASSETTE_FILES if p.stem == stem)
    return next(e for e in cassette_exchanges(path) if marker in e.url)


def test_validator_rejects_answers_the_description_does_not_allow():
    exchange = _first("users_resume", "/incremental/users/cursor.json")
    body = json.loads(exchange.response_body)
    assert not validate_all("zendesk", [exchange])
    without_flag = {k: v for k, v in body.items() if k != "end_of_stream"}
    body["users"][0]["id"] = "not-a-number"
    for broken in (without_flag, body):
        assert validate_all("zendesk", [replace(exchange, response_body=json.dumps(broken).encode())])
    job = _first("push_update_many", "/job_statuses/show_many.json")
    answer = json.loads(job.response_body)
    answer["job_statuses"][0]["status"] = "done"  # not one of queued, working, failed, completed, killed
    assert validate_all("zendesk", [replace(job, response_body=json.dumps(answer).encode())])


def test_validator_rejects_a_request_the_description_does_not_allow():
    update = _first("push_update_many", "/users/update_many.json")
    body = json.loads(update.request_body)
    body["users"] = body["users"] + body["users"][:1]  # 101 users: one more than Zendesk takes
    assert len(body["users"]) == 101
    assert validate_all("zendesk", [replace(update, request_body=json.dumps(body).encode())])


# -- drift against the vendor's description ---------------------------------------------------------


@cache
def _vendor() -> dict[str, Any]:
    base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

    class Loader(base):  # type: ignore[misc, valid-type]
        """YAML 1.1 reads a bare '=' as the 'value' type; the vendor file means the text '='."""

    Loader.add_constructor("tag:yaml.org,2002:value", lambda loader, node: loader.construct_scalar(node))
    return yaml.load(VENDOR_FILE.read_text(encoding="utf-8"), Loader=Loader)


@cache
def _contract() -> dict[str, Any]:
    return yaml.safe_load(CONTRACT.read_text(encoding="utf-8"))


def _resolve(spec: dict[str, Any], node: Any) -> Any:
    while isinstance(node, dict) and "$ref" in node:
        target: Any = spec
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        node = target
    return node


def _flat(spec: dict[str, Any], schema: Any) -> dict[str, Any]:
    """The schema with allOf/anyOf/oneOf folded in: properties merged, the first type and enum kept."""
    schema = _resolve(spec, schema) or {}
    out: dict[str, Any] = {"properties": {}, "type": schema.get("type"), "enum": schema.get("enum"),
                           "items": schema.get("items")}  # fmt: skip
    out["properties"].update(schema.get("properties") or {})
    for key in ("allOf", "anyOf", "oneOf"):
        for part in schema.get(key) or []:
            inner = _flat(spec, part)
            for name, prop in inner["properties"].items():
                out["properties"].setdefault(name, prop)
            for attr in ("type", "enum", "items"):
                out[attr] = out[attr] or inner[attr]
    return out


def _compare(theirs: Any, ours: Any, where: str, problems: list[str]) -> None:
    mine, vendor = _flat(_contract(), ours), _flat(_vendor(), theirs)
    if mine["type"] and vendor["type"] and mine["type"] != vendor["type"]:
        problems.append(f"{where}: type {mine['type']} here, {vendor['type']} in the vendor file")
    if mine["enum"] and vendor["enum"]:
        missing = set(vendor["enum"]) - set(mine["enum"])
        extra = set(mine["enum"]) - set(vendor["enum"]) - KNOWN_ENUM_ADDITIONS
        if missing or extra:
            problems.append(f"{where}: enum lacks {sorted(map(str, missing))} or adds {sorted(map(str, extra))}")
    if mine["items"] is not None and vendor["items"] is not None:
        _compare(vendor["items"], mine["items"], f"{where}[]", problems)
    for name, prop in mine["properties"].items():
        label = f"{where}.{name}" if not where.endswith(" ") else f"{where}{name}"
        if name in vendor["properties"]:
            _compare(vendor["properties"][name], prop, label, problems)
        elif label not in KNOWN_ADDITIONS:
            problems.append(f"{label}: not in the vendor file (add it to KNOWN_ADDITIONS with its page, or remove it)")


def _operations():
    for path, item in _contract()["paths"].items():
        for method, operation in item.items():
            yield path, method, operation


def _vendor_operation(operation: dict[str, Any], method: str) -> tuple[dict[str, Any], dict[str, Any]]:
    item = _vendor()["paths"][operation["x-source"]["path"]]
    return item, item[method]


@needs_vendor
def test_every_operation_is_the_vendor_operation_it_names():
    checked = 0
    for path, method, operation in _operations():
        source = operation["x-source"]
        assert path.removesuffix(".json") == source["path"], path
        _, theirs = _vendor_operation(operation, method)
        assert theirs["operationId"] == source["operation"], (path, method)
        assert source.get("docs"), f"{path} names no documentation page"
        checked += 1
    assert checked == 11  # with the user deletes erasure sends


@needs_vendor
def test_query_parameters_agree_with_the_vendor_file():
    problems: list[str] = []
    for _, method, operation in _operations():
        item, theirs = _vendor_operation(operation, method)
        vendor_params = {}
        for param in [*(item.get("parameters") or []), *(theirs.get("parameters") or [])]:
            resolved = _resolve(_vendor(), param)
            vendor_params[resolved["name"]] = resolved
        for param in operation.get("parameters") or []:
            mine = _resolve(_contract(), param)
            label = f"{operation['operationId']} param {mine['name']}"
            if mine["name"] not in vendor_params:
                if label not in KNOWN_ADDITIONS:
                    problems.append(f"{label}: not in the vendor file")
                continue
            _compare(vendor_params[mine["name"]]["schema"], mine["schema"], label, problems)
    assert not problems, "\n".join(problems)


def _json_schema(node: Any, spec: dict[str, Any]) -> Any:
    node = _resolve(spec, node)
    return node["content"]["application/json"]["schema"]


@needs_vendor
def test_request_and_answer_fields_agree_with_the_vendor_file():
    problems: list[str] = []
    for _, method, operation in _operations():
        _, theirs = _vendor_operation(operation, method)
        name = operation["operationId"]
        if "requestBody" in operation and "requestBody" in theirs:  # CreateUserField declares none: docs only
            _compare(_json_schema(theirs["requestBody"], _vendor()), _json_schema(operation["requestBody"], _contract()),
                     f"{name} request ", problems)  # fmt: skip
        for status, answer in operation["responses"].items():
            if status == "default":
                continue
            assert status in theirs["responses"], f"{name} answers {status} here, not in the vendor file"
            _compare(_json_schema(theirs["responses"][status], _vendor()), _json_schema(answer, _contract()),
                     f"{name} {status} ", problems)  # fmt: skip
    assert not problems, "\n".join(problems)


@needs_vendor
def test_the_vendor_file_has_no_cursor_export_of_organizations():
    """Why organizations are read through the time-based export (see docs/zendesk.md)."""
    paths = _vendor()["paths"]
    assert "/api/v2/incremental/organizations" in paths
    assert "/api/v2/incremental/organizations/cursor" not in paths
    assert {"/api/v2/incremental/users/cursor", "/api/v2/incremental/tickets/cursor"} <= set(paths)
