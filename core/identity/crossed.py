"""First and last names read crossed: ``Smith Robert`` is ``Robert Smith`` with the fields swapped.

Exports put a surname in the first-name field and the other way round, sometimes with
a typo on top (``catherine newport``/``newpirt catherone``). ``unswap_names`` gives a
pair the crossed levels when its names agree better that way.
"""

from __future__ import annotations

from typing import Protocol

import numpy as np
import numpy.typing as npt

from core.identity.levels import Index, Levels, LevelsOf
from core.identity.levels import levels_for as _levels_for
from core.identity.records import RecordTable

__all__ = ["Graded", "unswap_names"]


class Graded(Protocol):
    """A name comparison: its levels and how it grades many distinct pairs of values."""

    @property
    def levels(self) -> tuple[str, ...]:
        """Level labels; the index is the level."""
        ...

    @property
    def levels_of(self) -> LevelsOf:
        """Levels of many distinct pairs of values."""
        ...


def _initials(column_vocab: list[str]) -> npt.NDArray[np.int32]:
    """The first letter of every vocabulary value as a code (index -1, missing, gives -1)."""
    return np.asarray([*(ord(v[0]) if v else -1 for v in column_vocab), -1], dtype=np.int32)


def _crossed_rows(
    codes: tuple[Index, Index, Index, Index], levels: tuple[Levels, Levels], vocab: list[str]
) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.bool_]]:
    """Pairs that may read better crossed, and which of them share one crossed name exactly.

    A pair qualifies when a name disagrees and either one crossed name is equal or both
    crossed names start with the same letter (a swap with a typo on each side:
    ``catherine newport``/``newpirt catherone``).
    """
    fl, ll, fr, lr = codes
    first, last = levels
    equal = ((fl >= 0) & (fl == lr)) | ((ll >= 0) & (ll == fr))
    initial = _initials(vocab)
    both_initials = (
        (fl >= 0) & (lr >= 0) & (ll >= 0) & (fr >= 0) & (initial[fl] == initial[lr]) & (initial[ll] == initial[fr])
    )
    weak = (first <= 0) | (last <= 0)
    rows = np.flatnonzero(weak & (equal | (both_initials & (first <= 1) & (last <= 1))))
    return rows, equal[rows]


def unswap_names(
    table: RecordTable,
    pairs: tuple[Index, Index],
    given: Graded,
    surname: Graded,
    levels: tuple[Levels, Levels],
) -> None:
    """Where names agree better crossed (``Smith Robert``/``Bob Smith``), use crossed levels.

    Which crossed value is the given name is unknown (either record may be the
    swapped one), so the assignment with the weaker given-name agreement is used:
    crossing never makes a surname count as a first name.
    """
    left, right = pairs
    first, last = levels
    fl, ll = table.first_name.codes[left], table.last_name.codes[left]
    fr, lr = table.first_name.codes[right], table.last_name.codes[right]
    vocab = table.last_name.vocab
    rows, one_equal = _crossed_rows((fl, ll, fr, lr), levels, vocab)
    if not rows.size:
        return
    fl, ll, fr, lr = fl[rows], ll[rows], fr[rows], lr[rows]
    top_given, top_surname = len(given.levels) - 1, len(surname.levels) - 1
    given_a = _levels_for(ll, fr, vocab, top_given, given.levels_of)
    surname_a = _levels_for(fl, lr, vocab, top_surname, surname.levels_of)
    given_b = _levels_for(fl, lr, vocab, top_given, given.levels_of)
    surname_b = _levels_for(ll, fr, vocab, top_surname, surname.levels_of)
    take_a = given_a <= given_b
    cross_given = np.where(take_a, given_a, given_b)
    cross_surname = np.where(take_a, surname_a, surname_b)

    def agreement(a: Levels, b: Levels) -> npt.NDArray[np.float64]:
        return np.maximum(a, 0) / top_given + np.maximum(b, 0) / top_surname

    # With one crossed name equal, read as a swap when the crossed surname is at least close; a given
    # name that then disagrees stays "different" (a name swapped and replaced: ``jayden markellos``/
    # ``markellos kiarnee``), which only the date of birth can outweigh (``decide.lone_disagreement``).
    # Without an equal name, both crossed names must agree: the surname closely, the given name at
    # least as "similar" (a swap with a typo on each side).
    names_agree = (cross_surname >= 2) & (one_equal | (cross_given >= 1))
    use = (agreement(cross_given, cross_surname) > agreement(first[rows], last[rows])) & names_agree
    first[rows[use]] = cross_given[use]
    last[rows[use]] = cross_surname[use]
