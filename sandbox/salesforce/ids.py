"""Salesforce record IDs: 15-character case-sensitive IDs and their 18-character form.

The 18-character form appends three checksum characters computed from the case of
the 15 characters (Salesforce's published algorithm), so IDs made here look and
verify like real ones. The sandbox always answers with 18-character IDs and accepts
either form.
"""

from __future__ import annotations

import re
import string

__all__ = ["is_id", "make_id", "to18"]

_BASE62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
_SUFFIX = string.ascii_uppercase + "012345"
_ID_RE = re.compile(r"^[a-zA-Z0-9]{15}(?:[A-Z0-5]{3})?$")


def to18(id15: str) -> str:
    """The 18-character form of a 15-character ID (returned unchanged if already 18)."""
    if len(id15) == 18:
        return id15
    suffix = ""
    for chunk in range(3):
        bits = sum(1 << i for i, ch in enumerate(id15[chunk * 5 : chunk * 5 + 5]) if ch.isupper())
        suffix += _SUFFIX[bits]
    return id15 + suffix


def make_id(prefix: str, number: int) -> str:
    """The 18-character ID number ``number`` of an object whose key prefix is ``prefix``."""
    digits = ""
    n = number
    for _ in range(9):
        n, rem = divmod(n, 62)
        digits = _BASE62[rem] + digits
    return to18(f"{prefix}8d0{digits}")


def is_id(value: str) -> bool:
    """Whether ``value`` is shaped like a 15- or 18-character ID with a valid checksum."""
    if not _ID_RE.match(value):
        return False
    return len(value) == 15 or to18(value[:15]) == value
