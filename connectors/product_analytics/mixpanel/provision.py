"""Provisioning for Mixpanel: nothing to prepare.

Mixpanel profile properties need no declaration: ``$set`` creates a property the
first time a value is written, with the type of that value. So ``contactpoint setup
mixpanel`` has nothing to create and ``provision`` returns an empty plan, whatever
the mapping's ``writeback:`` targets are (they are checked by the mapping loader).
"""

from __future__ import annotations

from collections.abc import Sequence

from connectors.base import SetupPlan, WritebackTarget

__all__ = ["plan"]


def plan(targets: Sequence[WritebackTarget], *, system: str) -> SetupPlan:
    """Return the (empty) plan: Mixpanel creates profile properties on first write."""
    del targets  # nothing depends on them: any property name can be set
    return SetupPlan(system)
