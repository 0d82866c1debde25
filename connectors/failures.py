"""Failures every connector meets, said so that a person can act on them.

    untrusted_certificate(err, system=, url=)   a TLS chain nobody vouched for
        ─→ FatalApiError         "the TLS certificate of https://… is not trusted (…)",
                                 hint: the ``ca_file`` setting or ``REQUESTS_CA_BUNDLE``
    unknown_name(kind, names, known, system=, setting=)
        ─→ ConnectorConfigError  "salesforce has no object 'Contacts' (in systems.salesforce.settings.objects)",
                                 hint: "did you mean 'Contact'?" (rapidfuzz), else a few known ones
    nearest(name, known)         the closest known names, best first
    failed_text(vendor, operation, status, code, message)
                                 "HubSpot query failed (429 RATE_LIMIT): …", "(no response)" when none came
    no_answer(err)               why a call got no answer, in a few words: "connection refused by 127.0.0.1:9"

Each vendor's ``errors.py`` calls these from its one mapping function, so a private CA or
a misspelt object reads the same whichever system it happens with.
"""

from __future__ import annotations

import socket
import ssl
from collections.abc import Iterable, Sequence
from urllib.parse import urlsplit

from rapidfuzz import fuzz, process, utils

from core.errors import ConnectorConfigError, FatalApiError
from core.logs import redact_text

__all__ = ["failed_text", "nearest", "no_answer", "unknown_name", "untrusted_certificate"]

_VERIFY_FAILED = "CERTIFICATE_VERIFY_FAILED"
_SIMILAR_ENOUGH = 75.0
_SHOWN = 15


def _causes(err: BaseException) -> Iterable[BaseException]:
    """The error, what caused it, and the errors carried in their arguments (urllib3 nests them)."""
    seen: set[int] = set()
    todo: list[BaseException] = [err]
    while todo:
        current = todo.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        linked = (current.__cause__, current.__context__, getattr(current, "reason", None))  # a reason may be text
        todo.extend(e for e in linked if isinstance(e, BaseException))
        todo.extend(a for a in current.args if isinstance(a, BaseException))


def _verify_reason(err: BaseException) -> str | None:
    """Why verification failed (``unable to get local issuer certificate``), or None when it did not."""
    for cause in _causes(err):
        if isinstance(cause, ssl.SSLCertVerificationError):
            return str(cause.verify_message or "certificate verify failed")
    text = str(err)
    if _VERIFY_FAILED in text:
        after = text.split("certificate verify failed:", 1)
        return after[1].split("(_ssl")[0].strip(" :") if len(after) > 1 else "certificate verify failed"
    return None


def untrusted_certificate(err: BaseException, *, system: str, url: str | None = None) -> FatalApiError | None:
    """Say that a server's TLS certificate is not trusted, and how to give the CA file; None for other failures.

    Args:
        err: What the HTTP library raised (``requests.exceptions.SSLError`` and its chain).
        system: The configured system name (``systems.<name>`` in contactpoint.yaml).
        url: The address that was called (read from ``err.request`` when not given); only its
            scheme and host are shown.

    Returns:
        A ``FatalApiError`` (no call can succeed until the CA is given: never retried), or None
        when ``err`` is not a certificate that failed verification.
    """
    reason = _verify_reason(err)
    if reason is None:
        return None
    if url is None:  # requests' exceptions carry the request they failed on
        url = getattr(getattr(err, "request", None), "url", None)
    where = ""
    if url:
        parts = urlsplit(url)
        where = f" of {parts.scheme}://{parts.netloc}"
    msg = f"the TLS certificate{where} is not trusted ({reason})"
    hint = (
        f"give the CA file that signed it: systems.{system}.settings.ca_file in contactpoint.yaml, "
        "or REQUESTS_CA_BUNDLE=/path/to/ca.pem for the process (a local sandbox prints its ca_file: "
        "contactpoint sandbox up SYSTEM --json)"
    )
    return FatalApiError(msg, hint=hint, system=system, error_code="TLS_UNTRUSTED")


def nearest(name: str, known: Iterable[str], *, limit: int = 3) -> list[str]:
    """Return the known names closest to ``name``, best first; none when nothing is close.

    Case and punctuation are ignored (``contacts`` is near ``Contact``; ``Emial`` near ``Email``).
    """
    choices = sorted(set(known))
    found = process.extract(
        name, choices, scorer=fuzz.WRatio, processor=utils.default_process, limit=limit, score_cutoff=_SIMILAR_ENOUGH
    )
    return [choice for choice, _score, _index in found]


def unknown_name(
    kind: str, names: str | Sequence[str], known: Iterable[str], *, system: str, setting: str, owner: str | None = None
) -> ConnectorConfigError:
    """The error for configured names the system does not have: each name, and the nearest it has.

    Args:
        kind: What the names are (``object``, ``field``, ``property``).
        names: The name (or names) as configured.
        known: The names the system has.
        system: The configured system name.
        setting: Where the names are configured (``systems.salesforce.settings.objects``).
        owner: What holds the names, when there is one (``Contact`` for a field).

    Returns:
        A ``ConnectorConfigError`` whose hint says ``did you mean 'Contact'?`` when a known name
        is close, else lists some known names.
    """
    wanted = [names] if isinstance(names, str) else list(names)
    choices = sorted(set(known))
    plural = "s" if len(wanted) > 1 else ""
    msg = f"{owner or system} has no {kind}{plural} {', '.join(repr(n) for n in wanted)} (in {setting})"
    guesses = {name: nearest(name, choices) for name in wanted}
    if any(guesses.values()):
        said = [f"{' or '.join(repr(c) for c in close)}" + (f" for {name!r}" if plural else "")
                for name, close in guesses.items() if close]  # fmt: skip
        hint = f"did you mean {', '.join(said)}?"
    else:
        shown = ", ".join(choices[:_SHOWN]) + (", ..." if len(choices) > _SHOWN else "")
        hint = f"{kind}s of {owner or system}: {shown}"
    return ConnectorConfigError(msg, hint=hint, system=system, error_code=f"UNKNOWN_{kind.upper()}")


def failed_text(vendor: str, operation: str | None, status: int | None, code: str | None, message: str) -> str:
    """Say which call of a vendor failed, with its HTTP status and error code when it answered."""
    said = " ".join(str(part) for part in (status or "no response", code) if part)
    return f"{vendor} {operation or 'call'} failed ({said}): {message}"


_NO_ANSWER = (
    (ConnectionRefusedError, "connection refused by {where}"),
    (socket.gaierror, "the host name of {where} was not found"),
    (ConnectionResetError, "connection reset by {where}"),
)


def no_answer(err: object) -> str:
    """Why a call got no answer, in a few words, naming where it went (``connection refused by 127.0.0.1:9``).

    The HTTP library's own text nests the cause at the end of a long line (the whole URL with
    its query first); this names the cause found in the error's chain, and the host and port
    only. Other failures keep the library's text, with anything secret-looking masked.
    """
    url = getattr(getattr(err, "request", None), "url", None)
    where = urlsplit(url).netloc if url else "the server"
    causes = list(_causes(err)) if isinstance(err, BaseException) else []
    for kind, text in _NO_ANSWER:
        if any(isinstance(cause, kind) for cause in causes):
            return text.format(where=where)
    if any("Timeout" in type(cause).__name__ for cause in causes):  # TimeoutError, requests' and urllib3's own
        return f"no answer from {where} in time"
    return redact_text(str(err))[:300]
