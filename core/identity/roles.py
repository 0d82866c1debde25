"""Role and shared mailboxes: ``info@``, ``sales@``, ``noreply@`` reach a team, not a person.

Two colleagues who both left ``info@acme.com`` in a form are not one person, so
such addresses are never a deterministic key and carry no weight in fuzzy
matching. The list is ``data/role_mailboxes.txt`` (RFC 2142 names plus common
team mailboxes); a settings file can add more.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

__all__ = ["RoleMailboxes", "default_role_mailboxes"]

_TRAILING_DIGITS = re.compile(r"[\d._-]+$")


@dataclass(frozen=True)
class RoleMailboxes:
    """A set of role local parts and the test that applies it.

    A local part is a role mailbox when it is in the set, or when it is in the set
    once a trailing number or separator is removed (``support2``, ``sales-uk``
    is not: only digits and separators are trimmed).

    Examples:
        >>> roles = default_role_mailboxes()
        >>> roles.is_role("info"), roles.is_role("no-reply"), roles.is_role("support2")
        (True, True, True)
        >>> roles.is_role("bob.smith"), roles.is_role("information.officer")
        (False, False)
    """

    local_parts: frozenset[str]

    def is_role(self, local_part: str) -> bool:
        """Return whether a lowercase local part (without ``+tag``) is a role mailbox."""
        if local_part in self.local_parts:
            return True
        if not local_part or not (local_part[-1].isdecimal() or local_part[-1] in "._-"):
            return False  # nothing to trim: the lookup above was the whole test
        trimmed = _TRAILING_DIGITS.sub("", local_part)
        return bool(trimmed) and trimmed in self.local_parts

    def extended(self, extra: Iterable[str]) -> RoleMailboxes:
        """Return a copy that also knows ``extra`` local parts."""
        return RoleMailboxes(self.local_parts | {part.strip().lower() for part in extra if part.strip()})


@lru_cache(maxsize=1)
def default_role_mailboxes() -> RoleMailboxes:
    """Return the bundled list, read once per process."""
    text = resources.files("core.identity").joinpath("data/role_mailboxes.txt").read_text(encoding="utf-8")
    parts = {line.strip().lower() for line in text.splitlines() if line.strip() and not line.startswith("#")}
    return RoleMailboxes(frozenset(parts))
