"""Salesforce's wire formats for errors and the API versions the sandbox accepts."""

from __future__ import annotations

import re
from enum import StrEnum

from sandbox.common.http import Response

__all__ = ["API_VERSION", "LATEST_VERSION", "MIN_VERSION", "ErrorCode", "error", "parse_version", "versions"]

API_VERSION = "59.0"
"""The version the sandbox gives clients in its credentials."""
MIN_VERSION = 31.0
"""Salesforce retired versions 21.0 to 30.0 (Summer '25); the oldest still served."""
LATEST_VERSION = "64.0"
"""The newest version the org serves; ``GET /services/data`` lists 31.0 up to it."""
_VERSION_RE = re.compile(r"^v(\d{2,3}\.\d)$")


class ErrorCode(StrEnum):
    """The ``errorCode`` values the sandbox answers with."""

    INVALID_SESSION_ID = "INVALID_SESSION_ID"
    REQUEST_LIMIT_EXCEEDED = "REQUEST_LIMIT_EXCEEDED"
    SERVER_UNAVAILABLE = "SERVER_UNAVAILABLE"
    URI_TOO_LONG = "URI_TOO_LONG"
    MALFORMED_QUERY = "MALFORMED_QUERY"
    MALFORMED_SEARCH = "MALFORMED_SEARCH"
    INVALID_SEARCH = "INVALID_SEARCH"
    INVALID_FIELD = "INVALID_FIELD"
    INVALID_TYPE = "INVALID_TYPE"
    INVALID_QUERY_LOCATOR = "INVALID_QUERY_LOCATOR"
    NOT_FOUND = "NOT_FOUND"
    METHOD_NOT_ALLOWED = "METHOD_NOT_ALLOWED"
    JSON_PARSER_ERROR = "JSON_PARSER_ERROR"
    MALFORMED_ID = "MALFORMED_ID"
    ENTITY_IS_DELETED = "ENTITY_IS_DELETED"
    INVALID_FIELD_FOR_INSERT_UPDATE = "INVALID_FIELD_FOR_INSERT_UPDATE"
    REQUIRED_FIELD_MISSING = "REQUIRED_FIELD_MISSING"
    FIELD_CUSTOM_VALIDATION_EXCEPTION = "FIELD_CUSTOM_VALIDATION_EXCEPTION"
    INVALID_EMAIL_ADDRESS = "INVALID_EMAIL_ADDRESS"
    INVALID_TYPE_ON_FIELD_IN_RECORD = "INVALID_TYPE_ON_FIELD_IN_RECORD"
    STRING_TOO_LONG = "STRING_TOO_LONG"
    DUPLICATE_VALUE = "DUPLICATE_VALUE"
    FIELD_INTEGRITY_EXCEPTION = "FIELD_INTEGRITY_EXCEPTION"
    INVALID_CROSS_REFERENCE_KEY = "INVALID_CROSS_REFERENCE_KEY"
    INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST = "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST"
    DELETE_FAILED = "DELETE_FAILED"
    EXCEEDED_ID_LIMIT = "EXCEEDED_ID_LIMIT"
    ALL_OR_NONE_OPERATION_ROLLED_BACK = "ALL_OR_NONE_OPERATION_ROLLED_BACK"
    DUPLICATE_DEVELOPER_NAME = "DUPLICATE_DEVELOPER_NAME"
    INVALIDJOB = "INVALIDJOB"
    UNSUPPORTED_API_VERSION = "UNSUPPORTED_API_VERSION"
    API_ERROR = "API_ERROR"
    NUMBER_OUTSIDE_VALID_RANGE = "NUMBER_OUTSIDE_VALID_RANGE"
    INVALID_REPLICATION_DATE = "INVALID_REPLICATION_DATE"
    PROCESSING_HALTED = "PROCESSING_HALTED"
    BATCH_PROCESSING_HALTED = "BATCH_PROCESSING_HALTED"
    LIMIT_EXCEEDED = "LIMIT_EXCEEDED"


def error(status: int, code: ErrorCode | str, message: str, *, headers: dict[str, str] | None = None) -> Response:
    """Salesforce's REST error body: ``[{"message": ..., "errorCode": ...}]``."""
    return Response.json(status, [{"message": message, "errorCode": str(code)}], headers=headers)


def parse_version(segment: str) -> str | None:
    """``"59.0"`` for ``"v59.0"`` when the org serves that version (31.0 to ``LATEST_VERSION``), else None."""
    match = _VERSION_RE.match(segment)
    if match is None or not MIN_VERSION <= float(match.group(1)) <= float(LATEST_VERSION):
        return None
    return match.group(1)


def versions() -> list[dict[str, str]]:
    """``GET /services/data``: every version the org serves, oldest first, with its release's name.

    Three releases a year, in the order Spring, Summer, Winter; a Winter release carries
    the next year's number (59.0 is Winter '24, 60.0 Spring '24).
    """
    out = []
    for number in range(int(MIN_VERSION), int(float(LATEST_VERSION)) + 1):
        since = number - 31  # 31.0 was Summer '14
        season = ("Summer", "Winter", "Spring")[since % 3]
        year = 14 + (since + 2) // 3
        out.append({"label": f"{season} '{year:02d}", "url": f"/services/data/v{number}.0", "version": f"{number}.0"})
    return out
