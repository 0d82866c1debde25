"""Email syntax checked as email-validator checks it, each distinct domain once.

``check_email(text)`` gives the verdict ``email_validator.validate_email(text,
check_deliverability=False)`` gives, with the same messages, built from the library's own
pieces in the library's own order: the split at the ``@``, the local part, the domain, the
lengths, the display name. Only the domain step is remembered: an export of 100,000
people holds a few hundred domains, and checking one (IDNA, UTS-46, reserved names,
character by character) costs more than the rest of the address together. The local
part and the lengths are checked for every address, since they differ per address.
"""

from __future__ import annotations

import unicodedata
from typing import Any

import email_validator
from email_validator import EmailNotValidError, EmailSyntaxError, ValidatedEmail
from email_validator.rfc_constants import CASE_INSENSITIVE_MAILBOX_NAMES
from email_validator.syntax import (
    split_email,
    validate_email_domain_literal,
    validate_email_domain_name,
    validate_email_length,
    validate_email_local_part,
)

__all__ = ["check_email", "clear_domain_cache"]

_DOMAINS: dict[tuple[str, bool, bool], dict[str, Any] | EmailNotValidError] = {}
"""Domain part (and the two settings that change its verdict) → its checked form, or the error it gave."""
_DOMAINS_MAX = 1 << 16


def clear_domain_cache() -> None:
    """Forget every domain checked so far (the cache is bounded; this is for tests)."""
    _DOMAINS.clear()


def _domain(domain_part: str) -> dict[str, Any]:
    """Return email-validator's result for ``domain_part``, checked once per distinct domain.

    Raises:
        EmailSyntaxError: The domain is not valid (the same error each time it is asked).
    """
    key = (domain_part, email_validator.TEST_ENVIRONMENT, email_validator.GLOBALLY_DELIVERABLE)
    found = _DOMAINS.get(key)
    if found is None:
        try:
            found = dict(validate_email_domain_name(domain_part, test_environment=key[1], globally_deliverable=key[2]))
        except EmailNotValidError as err:
            found = EmailSyntaxError(str(err))  # its message, not the error: a traceback would keep its callers' frames
        if len(_DOMAINS) >= _DOMAINS_MAX:
            _DOMAINS.clear()
        _DOMAINS[key] = found
    if isinstance(found, EmailNotValidError):
        raise EmailSyntaxError(str(found))
    return found


def _split(email: str) -> tuple[str | None, str, str, bool, str]:
    """``split_email``, with its character-by-character walk skipped for an address without quotes or brackets.

    Such an address has no display name and no quoted local part, so the walk splits it at
    its first ``@`` unless a combining character follows that ``@`` (Unicode normalisation
    would merge the two; the walk then reads on, and so does this, by leaving it to the walk).
    """
    at = email.find("@")
    if at >= 0 and '"' not in email and "<" not in email:
        after = email[at + 1 : at + 2]
        if not after or after.isascii() or unicodedata.normalize("NFC", email[at : at + 32])[0] == "@":
            return None, email[:at], email[:at], False, email[at + 1 :]
    return split_email(email)


def check_email(email: str) -> None:
    """Check ``email``'s syntax as ``validate_email(email, check_deliverability=False)`` does.

    Raises:
        EmailNotValidError: With the message email-validator gives for the same address.
    """
    display_name, original_local, local, quoted, domain_part = _split(email)
    options = {
        "allow_smtputf8": email_validator.ALLOW_SMTPUTF8,
        "allow_empty_local": email_validator.ALLOW_EMPTY_LOCAL,
        "quoted_local_part": quoted,
        "strict": email_validator.STRICT,
    }
    info = validate_email_local_part(local, **options)
    normalized = unicodedata.normalize("NFC", local)
    if normalized != local:
        try:
            info = validate_email_local_part(normalized, **options)
        except EmailSyntaxError as err:
            raise EmailSyntaxError("After Unicode normalization: " + str(err)) from err
    if quoted and not email_validator.ALLOW_QUOTED_LOCAL:
        msg = "Quoting the part before the @-sign is not allowed here."
        raise EmailSyntaxError(msg)
    local_part, ascii_local = info["local_part"], info["ascii_local_part"]
    if ascii_local is not None and ascii_local.lower() in CASE_INSENSITIVE_MAILBOX_NAMES and local_part is not None:
        ascii_local, local_part = ascii_local.lower(), local_part.lower()
    if not domain_part:
        msg = "There must be something after the @-sign."
        raise EmailSyntaxError(msg)
    if domain_part.startswith("[") and domain_part.endswith("]"):
        literal = validate_email_domain_literal(domain_part[1:-1])
        if not email_validator.ALLOW_DOMAIN_LITERAL:
            msg = "A bracketed IP address after the @-sign is not allowed here."
            raise EmailSyntaxError(msg)
        domain = ascii_domain = literal["domain"]
    else:
        checked = _domain(domain_part)
        domain, ascii_domain = checked["domain"], checked["ascii_domain"]
    address = ValidatedEmail()
    address.original = original_local + "@" + domain_part
    address.local_part, address.ascii_local_part = local_part, ascii_local
    address.domain, address.ascii_domain = domain, ascii_domain
    address.normalized = local_part + "@" + domain
    validate_email_length(address)
    if display_name is not None and not email_validator.ALLOW_DISPLAY_NAME:
        msg = "A display name and angle brackets around the email address are not permitted here."
        raise EmailSyntaxError(msg)
