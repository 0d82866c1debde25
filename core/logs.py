"""Structured logging: one setup, one vocabulary, secrets never written.

Event names are dotted and lowercase (``sync.started``, ``stream.page_fetched``,
``mapping.record_rejected``); context is bound as keys from ``KEYS``, never
formatted into the message. On a terminal the console renderer is used; jobs and
``--log-json`` get one JSON object a line.

The redaction processor masks values under secret-looking keys, bearer tokens and
session IDs inside strings, and replaces email addresses by a short stable hash
(``email#3f9a1c2b``) so logs can be correlated without holding personal data.
"""

from __future__ import annotations

import hashlib
import logging
import re
import sys
from collections.abc import Iterable, Mapping, MutableMapping
from typing import Any, TextIO

import structlog

__all__ = [
    "KEYS",
    "MASK",
    "configure",
    "verbosity_level",
    "hash_email",
    "mask_record",
    "mask_text",
    "mask_value",
    "names_a_secret",
    "redact",
    "redact_text",
]

KEYS = frozenset(
    {
        "run_id",
        "connector",
        "system",
        "stream",
        "cursor",
        "records",
        "rejected",
        "duration_ms",
        "http_status",
        "http_method",
        "url",
        "attempt",
        "retry_after",
        "api_calls",
        "file",
        "line",
        "profile_id",
        "record_id",
        "rule",
        "merged_from",
        "split_into",
        "error",
        "hint",
    }
)
"""The context keys log events use; a new key is added here first."""

_SECRET_KEY = re.compile(
    r"(pass(word)?|secret|token|api[_-]?key|authorization|session[_-]?id|private[_-]?key|"
    r"client[_-]?secret|assertion|cookie|credential|signing[_-]?key)",
    re.IGNORECASE,
)
_SECRET_IN_TEXT = [
    (re.compile(r"(?i)(bearer|oauth)\s+[A-Za-z0-9._~+/=!-]{8,}"), r"\1 ***"),
    (re.compile(r"(?i)((?:access_token|refresh_token|client_secret|password|sid|session_id)=)[^&\s\"']+"), r"\1***"),
    (re.compile(r"00D[A-Za-z0-9]{12,15}![A-Za-z0-9._]{20,}"), "***"),  # Salesforce session IDs
]
_EMAIL = re.compile(r"[A-Za-z0-9._%+'-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")

MASK = "***"


def hash_email(address: str) -> str:
    """Return a stable, non-reversible stand-in for an email address."""
    digest = hashlib.sha256(address.strip().lower().encode()).hexdigest()[:8]
    return f"email#{digest}"


def redact_text(text: str, *, emails: bool = True) -> str:
    """Mask tokens and session IDs inside free text; hash emails when asked."""
    for pattern, replacement in _SECRET_IN_TEXT:
        text = pattern.sub(replacement, text)
    if emails:
        text = _EMAIL.sub(lambda m: hash_email(m.group(0)), text)
    return text


_SHOWN_VALUE = re.compile(r"(\(got |failed on |: |email |phone |value )('(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\")")
_AT_WORD = re.compile(r"[^\s'\"(),;:]+@[^\s'\"(),;:]+")
_LONG_NUMBER = re.compile(r"(?<![\w.:-])\+?\d[\d ()./-]{5,}\d(?![\w:])")
"""A run of digits a phone number could be; not one glued to letters (a run ID, ``20261207T002532Z``)."""
_NOT_A_PHONE = re.compile(
    r"\d{4}-\d{2}-\d{2}(?:[ T]\d{2})?"  # a date, with the hour that follows it
    r"|\d{1,3}(?:\.\d{1,3}){3}"  # an IPv4 address
)


def _masked_number(match: re.Match[str]) -> str:
    found = match.group(0)
    if _NOT_A_PHONE.fullmatch(found.strip()):
        return found
    return f"{found[0]}… ({len(found)} characters)"


def mask_value(value: Any) -> Any:
    """Mask one personal value for an admin view: an address becomes its hash, other text its first letter and length."""
    if not isinstance(value, str) or not any(ch.isalnum() for ch in value):
        return value  # nothing, or only punctuation ("'@'" as the characters a reason names): no one's value
    if "@" in value:
        return hash_email(value)
    return f"{value[0]}… ({len(value)} characters)"


def mask_text(text: str) -> str:
    """Mask the personal values a reason quotes.

    Values quoted after ``(got``, ``failed on``, ``:``, ``email``, ``phone`` or ``value``, anything with an ``@``
    (well-formed or not) and long runs of digits (phone numbers) are masked. Field names and the reason's own words stay, so ``store parked`` still says what is wrong.
    """
    text = redact_text(text)
    text = _SHOWN_VALUE.sub(lambda m: f"{m.group(1)}{mask_value(m.group(2)[1:-1])!r}", text)
    text = _AT_WORD.sub(lambda m: hash_email(m.group(0)), text)
    return _LONG_NUMBER.sub(_masked_number, text)


def mask_record(value: Any, *, key: str | None = None) -> Any:
    """Return a raw record with every personal value masked (``mask_value``) and secrets hidden; keys stay."""
    if key is not None and _SECRET_KEY.search(key):
        return MASK if value not in (None, "") else value
    if isinstance(value, Mapping):
        return {k: mask_record(v, key=str(k)) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [mask_record(v) for v in value]
    return mask_value(value)


def names_a_secret(path: Iterable[str | int]) -> bool:
    """Whether a key path passes through a secret's key (``auth.password``, ``api_token``): its value is never shown."""
    return any(isinstance(part, str) and _SECRET_KEY.search(part) is not None for part in path)


def redact(value: Any, *, emails: bool = True, key: str | None = None) -> Any:
    """Return ``value`` with secrets masked, walking dicts and lists.

    A value under a secret-looking key (``password``, ``client_secret``,
    ``Authorization``...) becomes ``***`` whatever it is.
    """
    if key is not None and _SECRET_KEY.search(key):
        return MASK if value not in (None, "") else value
    if isinstance(value, str):
        return redact_text(value, emails=emails)
    if isinstance(value, Mapping):
        return {k: redact(v, emails=emails, key=str(k)) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [redact(v, emails=emails) for v in value]
    if hasattr(value, "get_secret_value"):
        return MASK
    return value


def verbosity_level(verbose: int, *, service: bool = False) -> str:
    """The log level for ``-v`` given ``verbose`` times: WARNING, then INFO, then DEBUG.

    A command's summary is its output, so a person sees only warnings and errors from the
    logs unless they ask; a service (``serve``, ``schedule run``) shows INFO by default.
    """
    if verbose > 1:
        return "DEBUG"
    if verbose == 1 or service:
        return "INFO"
    return "WARNING"


def _redaction_processor(*, emails: bool) -> Any:
    def processor(_logger: Any, _name: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
        return {k: (v if k == "event" else redact(v, emails=emails, key=k)) for k, v in event.items()}

    return processor


def _stderr_logger(*_args: Any) -> structlog.PrintLogger:
    return structlog.PrintLogger(sys.stderr)


def configure(
    *, json: bool | None = None, level: str = "INFO", stream: TextIO | None = None, hash_emails: bool = True
) -> None:
    """Set up structlog (and stdlib logging) for the process.

    Args:
        json: JSON lines when True, console when False, decided by ``isatty`` when None.
        level: Minimum level name (DEBUG, INFO, WARNING, ERROR).
        stream: Where to write; standard error by default.
        hash_emails: Replace email addresses by a hash (on by default).
    """
    out = stream or sys.stderr
    use_json = (not out.isatty()) if json is None else json
    numeric = logging.getLevelNamesMapping().get(level.upper(), logging.INFO)
    renderer: Any = (
        structlog.processors.JSONRenderer(sort_keys=False)
        if use_json
        else structlog.dev.ConsoleRenderer(colors=out.isatty())
    )
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.StackInfoRenderer(),
            # a traceback as plain text, before redaction: on a terminal too, never the frames' local
            # variables (a failed job's would show the whole project, secrets and all)
            structlog.processors.format_exc_info,
            _redaction_processor(emails=hash_emails),
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(numeric),
        # without an explicit stream, look standard error up at each write: it may be swapped (tests, daemons)
        logger_factory=structlog.PrintLoggerFactory(file=out) if stream is not None else _stderr_logger,
        cache_logger_on_first_use=False,
    )
    logging.basicConfig(level=max(numeric, logging.WARNING), stream=out, force=True)
