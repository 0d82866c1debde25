"""Salesforce's wire formats for errors and the API versions the sandbox accepts."""

from __future__ import annotations

import re
from enum import StrEnum

from sandbox.common.http import Response

__all__ = ["API_VERSION", "ErrorCode", "error", "parse_version"]

API_VERSION = "59.0"
MIN_VERSION = 52.0
_VERSION_RE = re.compile(r"^v(\d{2,3}\.\d)$")


class ErrorCode(StrEnum):
    """The ``errorCode`` values the sandbox answers with."""

    INVALID_SESSION_ID = "INVALID_SESSION_ID"
    REQUEST_LIMIT_EXCEEDED = "REQUEST_LIMIT_EXCEEDED"
    SERVER_UNAVAILABLE = "SERVER_UNAVAILABLE"
    URI_TOO_LONG = "URI_TOO_LONG"
    MALFORMED_QUERY = "MALFORMED_QUERY"
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
    EXCEEDED_ID_LIMIT = "EXCEEDED_ID_LIMIT"
    ALL_OR_NONE_OPERATION_ROLLED_BACK = "ALL_OR_NONE_OPERATION_ROLLED_BACK"
    DUPLICATE_DEVELOPER_NAME = "DUPLICATE_DEVELOPER_NAME"
    INVALIDJOB = "INVALIDJOB"
    UNSUPPORTED_API_VERSION = "UNSUPPORTED_API_VERSION"


def error(status: int, code: ErrorCode | str, message: str, *, headers: dict[str, str] | None = None) -> Response:
    """Salesforce's REST error body: ``[{"message": ..., "errorCode": ...}]``."""
    return Response.json(status, [{"message": message, "errorCode": str(code)}], headers=headers)


def parse_version(segment: str) -> str | None:
    """``"59.0"`` for ``"v59.0"`` when the version is one the sandbox accepts (52.0 and later), else None."""
    match = _VERSION_RE.match(segment)
    if match is None or float(match.group(1)) < MIN_VERSION:
        return None
    return match.group(1)
