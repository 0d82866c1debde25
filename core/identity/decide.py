"""Which scored pairs may link: required agreements, personal evidence, and a lone disagreement.

``required_failed`` is the settings' rule: a pair fails when a required
comparison (the first name, by default) is at "different", or when none of the
evidence sets agrees. Records that carry no email or phone to tell two people
apart get two exceptions (``lone_disagreement``), as data-entry errors: a first
name that disagrees where the date of birth agrees exactly and the address too
(a first name replaced, or swapped and replaced), and a date of birth that is
the only thing that disagrees while names and street agree. A household's
members differ in first name *and* date of birth, so neither applies to them;
twins with their own email or phone differ there too. Twins at one address who
carry no contact details cannot be told from one mistyped record.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from core.identity.compare import COMPARISON_LEVELS
from core.identity.settings import FuzzySettings

__all__ = ["AGREES", "lone_disagreement", "required_failed"]

Flags = npt.NDArray[np.bool_]

AGREES: dict[str, str] = {
    "first_name": "close",
    "last_name": "close",
    "email": "local_part_or_typo",
    "phone": "exact",
    "date_of_birth": "typo",
    "company": "close",
    "address": "street",
}
"""The level from which a comparison counts as agreeing when another one is the lone disagreement."""


def _at_least(levels: npt.NDArray[np.int8], names: Sequence[str], name: str, label: str) -> Flags:
    if name not in names:
        return np.zeros(levels.shape[0], dtype=np.bool_)
    return np.asarray(levels[:, names.index(name)] >= COMPARISON_LEVELS[name].index(label), dtype=np.bool_)


def _contact_agrees(levels: npt.NDArray[np.int8], names: Sequence[str], name: str) -> Flags:
    """Missing, or at least at the agreeing level (``AGREES``)."""
    if name not in names:
        return np.ones(levels.shape[0], dtype=np.bool_)
    return np.asarray(levels[:, names.index(name)] < 0, dtype=np.bool_) | _at_least(levels, names, name, AGREES[name])


def lone_disagreement(levels: npt.NDArray[np.int8], names: Sequence[str], name: str) -> Flags:
    """Pairs whose disagreement on ``name`` (``first_name`` or ``date_of_birth``) is overlooked.

    * ``first_name``: the date of birth agrees exactly, the address at least on the
      postcode, and no email, phone or employer disagrees (a first name replaced or
      swapped away; the score still has to clear the link threshold).
    * ``date_of_birth``: the first name and surname agree at least closely, the street
      too, and no email, phone or employer disagrees.
    """
    if name not in names:
        return np.zeros(levels.shape[0], dtype=np.bool_)
    found = np.asarray(levels[:, names.index(name)] == 0, dtype=np.bool_)
    for other in ("email", "phone", "company"):
        found &= _contact_agrees(levels, names, other)
    if name == "first_name":
        return (
            found & _at_least(levels, names, "date_of_birth", "exact") & _at_least(levels, names, "address", "postcode")
        )
    found &= _at_least(levels, names, "first_name", "close") & _at_least(levels, names, "last_name", "close")
    return found & _at_least(levels, names, "address", "street_name")


def required_failed(levels: npt.NDArray[np.int8], names: Sequence[str], fuzzy: FuzzySettings) -> Flags:
    """Pairs that disagree on a required comparison (unless it is a lone disagreement), or agree on no evidence."""
    failed = np.zeros(levels.shape[0], dtype=np.bool_)
    for name in fuzzy.required:  # "different" and below ("different_personal" for emails)
        column = levels[:, names.index(name)]
        disagrees = (column == 0) | (column == COMPARISON_LEVELS[name].index("different"))
        failed |= disagrees & ~lone_disagreement(levels, names, name)
    if fuzzy.evidence:
        found = np.zeros(levels.shape[0], dtype=np.bool_)
        for group in fuzzy.evidence:
            agree = np.ones(levels.shape[0], dtype=np.bool_)
            for name, label in group.items():
                agree &= _at_least(levels, names, name, label)
            found |= agree
        failed |= ~found
    return failed
