"""Blocking: several cheap keys so that true pairs meet without comparing everything.

Each blocking key gives every record zero or more ``(key, sub_key)`` values.
Records sharing a key form a block; every pair inside a block is a candidate.
A block larger than ``max_block_size`` is split by its sub-key, and if still
too large it is skipped and reported (such keys say little about identity:
a city's most common surname).

Keys are computed once per *distinct value* (a surname's Soundex, a first
name's nickname forms) and then gathered for every record with numpy from the
table's integer-coded columns, so the cost per record is a few array
operations, not Python calls. Pairs are built with numpy, block sizes at a
time, and deduplicated across keys as sorted ``int64`` pair codes, so each pair
is compared once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field

import jellyfish
import numpy as np
import numpy.typing as npt

from core.identity.nicknames import NicknameTable
from core.identity.normalise import house_number, street_name
from core.identity.records import Column, RecordTable
from core.identity.settings import BlockingKey

__all__ = ["BlockingReport", "CandidatePairs", "KeyRows", "Part", "block", "key_rows"]

Index = npt.NDArray[np.int32]
Codes = npt.NDArray[np.int64]


@dataclass(frozen=True)
class BlockingReport:
    """What blocking did: pairs each key produced, and blocks too big to use."""

    pairs_by_key: dict[str, int] = field(default_factory=dict)
    skipped_blocks: dict[str, int] = field(default_factory=dict)
    skipped_largest: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class CandidatePairs:
    """Distinct candidate pairs ``left[k] < right[k]`` (record indexes), sorted."""

    left: Index
    right: Index
    report: BlockingReport

    def __len__(self) -> int:
        """Return the number of pairs."""
        return len(self.left)


def _sound(text: str) -> str:
    return jellyfish.soundex(text.replace(" ", "")) if text else ""


@dataclass(frozen=True)
class Part:
    """One component of a key, one code per row over a vocabulary of texts (``-1``: missing)."""

    codes: Codes
    vocab: Sequence[str]

    def at(self, rows: Codes) -> Part:
        """The part for other rows: ``rows`` are record indexes (``-1`` stays missing)."""
        return Part(np.where(rows >= 0, self.codes[np.maximum(rows, 0)], -1), self.vocab)

    def optional(self) -> Part:
        """The same part with missing as a value of its own (``""``), so a row without it is kept."""
        return Part(self.codes + 1, ["", *self.vocab])

    def or_else(self, other: Part) -> Part:
        """This part where present, else ``other``: the postcode, or else the city."""
        shifted = np.where(other.codes >= 0, other.codes + len(self.vocab), -1)
        return Part(np.where(self.codes >= 0, self.codes, shifted), [*self.vocab, *other.vocab])


def _column(column: Column) -> Part:
    return Part(column.codes.astype(np.int64), column.vocab)


def _derived(part: Part, func: Callable[[str], str]) -> Part:
    """``func`` of each row's value, computed once per distinct value (empty results are missing)."""
    seen: dict[str, int] = {}
    mapped = [seen.setdefault(found, len(seen)) if (found := func(v)) else -1 for v in part.vocab]
    lookup = np.asarray([*mapped, -1], dtype=np.int64)  # code -1 picks the trailing -1
    return Part(lookup[part.codes], list(seen))


def _derived_both(first: Part, last: Part, func: Callable[[str], str]) -> tuple[Part, Part]:
    """``func`` of first and last names (one shared vocabulary), as two parts over one derived vocabulary."""
    derived = _derived(Part(np.arange(len(first.vocab), dtype=np.int64), first.vocab), func)
    lookup = np.append(derived.codes, -1)
    return Part(lookup[first.codes], derived.vocab), Part(lookup[last.codes], derived.vocab)


def _encoded(values: Sequence[str]) -> Part:
    seen: dict[str, int] = {}
    return Part(np.asarray([seen.setdefault(v, len(seen)) for v in values], dtype=np.int64), list(seen))


def _combine(*parts: Codes) -> Codes:
    """One code per row for a tuple of codes (``-1`` when any part is missing), kept small by refactorising."""
    out = np.zeros(len(parts[0]), dtype=np.int64)
    missing = np.zeros(len(parts[0]), dtype=np.bool_)
    for part in parts:
        missing |= part < 0
        out = _refactorised(out, np.maximum(part, 0))
    out[missing] = -1
    return out


_FEW_ROWS = 16
"""Up to this many rows, a key's distinct texts are made row by row (``KeyRows.distinct_columns``)."""


@dataclass(frozen=True)
class KeyRows:
    """One key's rows: one per value of the key a record has, with the sub-key that narrows big blocks.

    The key is a tuple of parts; a row exists only when every part is present. Batch
    blocking groups rows by their combined codes (``key_codes``); the store's index
    keeps their texts (``texts``), which do not depend on the batch, so a record
    resolved on its own finds the records it would have met in the batch.
    """

    records: Codes
    key: tuple[Part, ...]
    sub: tuple[Part, ...] = ()

    @classmethod
    def of(cls, records: Codes, key: Sequence[Part], sub: Sequence[Part] = ()) -> KeyRows:
        """Rows for ``records`` (one each), keeping those whose key parts are all present."""
        keep = np.ones(len(records), dtype=np.bool_)
        for part in key:
            keep &= part.codes >= 0
        return cls(
            records[keep],
            tuple(Part(p.codes[keep], p.vocab) for p in key),
            tuple(Part(p.codes[keep], p.vocab) for p in sub),
        )

    def key_codes(self) -> Codes:
        """One code per row; rows with equal codes share the key."""
        return _combine(*(part.codes for part in self.key))

    def sub_codes(self) -> Codes:
        """One code per row for the sub-key, ``-1`` when there is none."""
        if not self.sub:
            return np.full(len(self.records), -1, dtype=np.int64)
        return _combine(*(part.codes for part in self.sub))

    def texts(self) -> Iterator[tuple[int, str, str]]:
        """``(record, key text, sub-key text)`` of each row; parts are joined with ``|``."""

        def columns(parts: tuple[Part, ...]) -> list[list[str]]:
            texts = [[*p.vocab, ""] for p in parts]  # code -1 picks the trailing ""
            return [[text[code] for code in p.codes.tolist()] for p, text in zip(parts, texts, strict=True)]

        keys, subs = columns(self.key), columns(self.sub)
        for row, record in enumerate(self.records.tolist()):
            yield record, "|".join(c[row] for c in keys), "|".join(c[row] for c in subs)

    def distinct_texts(
        self, prefix: str, limit: int, *, wide: tuple[int, dict[str, int]] | None = None
    ) -> Iterator[tuple[int, str, str]]:
        """``(record, prefix + key text, sub-key text)`` of each distinct row, in row order, texts cut at ``limit``.

        The distinct rows of ``texts``, each prefixed and cut, in the order ``texts`` gives
        them first. Each distinct key and sub-key text is made once, not once a row.

        With ``wide`` as ``(cap, left_out)``, the rows without a sub-key of a key held by more
        than ``cap`` rows (a block too big to search but by its sub-key) are not yielded but
        counted in ``left_out`` by key text.
        """
        return zip(*self.distinct_columns(prefix, limit, wide=wide), strict=True)

    def distinct_columns(
        self, prefix: str, limit: int, *, wide: tuple[int, dict[str, int]] | None = None
    ) -> tuple[list[int], list[str], list[str]]:
        """``distinct_texts`` as three columns: records, key texts, sub-key texts.

        A batch's rows are gathered by numpy, not row by row; the few rows of a record resolved
        on its own (or of its candidates) are read row by row, as numpy's cost per call would
        outweigh its work (both give the same columns: a test compares them).
        """
        if wide is None and len(self.records) <= _FEW_ROWS:
            return self._few_columns(prefix, limit)
        return self._many_columns(prefix, limit, wide=wide)

    def _few_columns(self, prefix: str, limit: int) -> tuple[list[int], list[str], list[str]]:
        """``distinct_columns`` row by row: each row's texts, cut, the first of each distinct row kept."""
        rows = list(dict.fromkeys((record, (prefix + key)[:limit], sub[:limit]) for record, key, sub in self.texts()))
        return [r for r, _, _ in rows], [k for _, k, _ in rows], [s for _, _, s in rows]

    def _many_columns(
        self, prefix: str, limit: int, *, wide: tuple[int, dict[str, int]] | None = None
    ) -> tuple[list[int], list[str], list[str]]:
        """``distinct_columns`` gathered by numpy a column at a time."""
        size = len(self.records)
        key_codes, key_texts = _texts(self.key, prefix, limit, size)
        sub_codes, sub_texts = _texts(self.sub, "", limit, size)
        rows = _joined(_joined(self.records, key_codes), sub_codes)
        first = np.sort(np.unique(rows, return_index=True)[1])
        if wide is not None and first.size:
            cap, left_out = wide
            keys, subs = key_codes[first], sub_codes[first]
            bare = np.asarray([not text for text in sub_texts], dtype=np.bool_)[subs]
            dropped = (np.bincount(keys)[keys] > cap) & bare
            for key, count in zip(*np.unique(keys[dropped], return_counts=True), strict=True):
                left_out[key_texts[key]] = left_out.get(key_texts[key], 0) + int(count)
            first = first[~dropped]
        return (
            self.records[first].tolist(),
            _objects(key_texts)[key_codes[first]].tolist(),
            _objects(sub_texts)[sub_codes[first]].tolist(),
        )


def _objects(texts: Sequence[str]) -> npt.NDArray[np.object_]:
    """``texts`` as a numpy array of the same ``str`` objects, for gathering them by codes."""
    found = np.empty(len(texts), dtype=object)
    found[:] = texts
    return found


def _refactorised(codes: Codes, more: Codes) -> Codes:
    """One small code per distinct ``(codes, more)`` row (both non-negative)."""
    combined = codes.astype(np.int64) * (int(more.max(initial=0)) + 1) + more
    found: Codes = np.unique(combined, return_inverse=True)[1].astype(np.int64).ravel()
    return found


def _joined(codes: Codes, more: Codes) -> Codes:
    """One code per distinct ``(codes, more)`` row (both non-negative), compacted only when it could overflow.

    For grouping alone (``np.unique`` of the result) the codes need not be small: the
    product of the two ranges is used as it is while it stays far inside ``int64``.
    """
    high, width = int(codes.max(initial=0)), int(more.max(initial=0)) + 1
    if (high + 1) * width < 2**62:
        return codes.astype(np.int64) * width + more
    return _refactorised(codes, more)


def _texts(parts: tuple[Part, ...], prefix: str, limit: int, size: int) -> tuple[Codes, list[str]]:
    """Each of ``size`` rows' ``prefix + "|".join(parts)`` cut at ``limit``: a code per row and the distinct texts."""
    if not parts or not size:
        return np.zeros(size, dtype=np.int64), [prefix[:limit]]
    combined = parts[0].codes + 1  # -1 (missing) becomes 0, the part's ""
    for part in parts[1:]:
        combined = _joined(combined, part.codes + 1)
    _, first, inverse = np.unique(combined, return_index=True, return_inverse=True)
    columns = [[p.vocab[code] if code >= 0 else "" for code in p.codes[first].tolist()] for p in parts]
    made = [(prefix + "|".join(texts))[:limit] for texts in zip(*columns, strict=True)]
    ids: dict[str, int] = {}
    code_of = np.asarray([ids.setdefault(text, len(ids)) for text in made], dtype=np.int64)
    return code_of[inverse.ravel()], list(ids)


def _name_variants(first: Part, nicknames: NicknameTable) -> tuple[Codes, Codes, list[str]]:
    """``(first-name code, variant token)`` rows: a first name's first token and the longer names it shortens.

    Variant tokens share the name vocabulary's codes (first and last names have one
    vocabulary), so a variant can be put beside a surname; new names extend it.
    """
    tokens = {name: code for code, name in enumerate(first.vocab)}
    codes: list[int] = []
    variants: list[int] = []
    for code in np.unique(first.codes[first.codes >= 0]).tolist():
        for name in nicknames.name_keys(first.vocab[code].split()[0]):
            codes.append(code)
            variants.append(tokens.setdefault(name, len(tokens)))
    return np.asarray(codes, dtype=np.int64), np.asarray(variants, dtype=np.int64), list(tokens)


def _expand_variants(first: Part, last: Part, nicknames: NicknameTable) -> tuple[Codes, Part]:
    """One row per record and first-name variant, for records with both names: ``(records, variants)``."""
    codes, tokens, vocab = _name_variants(first, nicknames)
    records = np.flatnonzero((first.codes >= 0) & (last.codes >= 0)).astype(np.int64)
    if not len(codes) or not len(records):
        return np.zeros(0, dtype=np.int64), Part(np.zeros(0, dtype=np.int64), vocab)
    order = np.argsort(codes, kind="stable")
    codes, tokens = codes[order], tokens[order]
    starts = np.searchsorted(codes, first.codes[records], side="left")
    counts = np.searchsorted(codes, first.codes[records], side="right") - starts
    repeated = np.repeat(records, counts)
    offsets = np.arange(len(repeated)) - np.repeat(np.cumsum(counts) - counts, counts)
    return repeated, Part(tokens[np.repeat(starts, counts) + offsets], vocab)


def _sorted_pair(a: Part, b: Part) -> tuple[Part, Part]:
    """Two parts over one vocabulary, each row's values in alphabetical order (``robert|smith``)."""
    rank = np.empty(len(a.vocab) + 1, dtype=np.int64)
    rank[:-1] = np.argsort(np.argsort(np.asarray(a.vocab, dtype=object)))
    rank[-1] = -1
    first = rank[a.codes] <= rank[b.codes]
    return Part(np.where(first, a.codes, b.codes), a.vocab), Part(np.where(first, b.codes, a.codes), a.vocab)


def _email_rows(table: RecordTable, nicknames: NicknameTable) -> tuple[KeyRows, KeyRows]:
    """Rows of the ``email`` and ``email_local_part`` keys (per record: personal emails are lists).

    A local part of four letters or more meets the same local part at any domain
    (``bob.smith@acme.com``/``bobsmith@gmail.com``), narrowed by domain; a bare
    given name (``matthew@``) names many people, so only at the same domain.
    """
    exact: tuple[list[int], list[str]] = ([], [])
    local: tuple[list[int], list[str], list[str]] = ([], [], [])
    for index, found in enumerate(table.personal_emails):
        for e in found:
            exact[0].append(index)
            exact[1].append(e.canonical)
            if len(e.loose_local) >= 4:
                given = bool(nicknames.groups(e.loose_local))
                local[0].append(index)
                local[1].append(f"{e.loose_local}@{e.domain}" if given else e.loose_local)
                local[2].append("" if given else e.domain)
    return (
        KeyRows.of(np.asarray(exact[0], dtype=np.int64), [_encoded(exact[1])]),
        KeyRows.of(np.asarray(local[0], dtype=np.int64), [_encoded(local[1])], [_encoded(local[2])]),
    )


def _phone_rows(table: RecordTable, initial: Part) -> KeyRows:
    """Every number of a record (phone, mobile and any further ones), sub-keyed by the surname's initial."""
    records = [np.flatnonzero(table.phone.codes >= 0), np.flatnonzero(table.mobile.codes >= 0)]
    keys = [table.phone.codes[records[0]], table.mobile.codes[records[1]]]
    lookup = {number: code for code, number in enumerate(table.mobile.vocab)}  # phone and mobile share it
    extra = [(i, lookup.setdefault(n, len(lookup))) for i, found in enumerate(table.phones) for n in found[2:]]
    if extra:
        records.append(np.asarray([i for i, _ in extra]))
        keys.append(np.asarray([code for _, code in extra]))
    all_records = np.concatenate(records).astype(np.int64)
    numbers = Part(np.concatenate(keys).astype(np.int64), list(lookup))
    return KeyRows.of(all_records, [numbers], [initial.at(all_records)])


def key_rows(table: RecordTable, keys: Sequence[BlockingKey], nicknames: NicknameTable) -> dict[BlockingKey, KeyRows]:
    """The rows of every requested blocking key: the one definition of what each key is.

    Keys (``part|part``, then the sub-key):
        email: the canonical personal address. email_local_part: see ``_email_rows``.
        phone: each number; sub-key the surname's initial.
        names_sorted: a first-name variant and the surname in alphabetical order (a
            swapped first and last name meets); sub-key the postcode, else the city.
        first_name_surname_initial: a first-name variant, the surname's first two
            letters, and the company, else the postcode ("" when neither).
        surname_sound_first_initial: the surname's Soundex, the first name's first two
            letters and its Soundex.
        postcode_surname: the postcode and the surname's Soundex; a second row with the first
            name's Soundex, so swapped names with a typo (``hannah mihal``/``mihal hannsh``) meet.
        company_surname: the company, the surname's Soundex and the first initial.
        date_of_birth: the date; sub-key the surname's initial.
        first_name_postcode: the first name's first two letters and the postcode.
        street_postcode: the street's name without its house number, and the postcode;
            sub-key the house number.
        street_city: the street's name and the city (a mistyped postcode); sub-key the house number.
        surname_city: the Soundex of the surname and of the city; sub-key the first name's initial.
    """
    wanted = set(keys)
    every = np.arange(len(table), dtype=np.int64)
    first, last = _column(table.first_name), _column(table.last_name)
    sound_first, sound = _derived_both(first, last, _sound)
    initial, first_initial = _derived(last, lambda v: v[:1]), _derived(first, lambda v: v[:1])
    postcode, company = _column(table.postcode), _column(table.company)
    rows: dict[BlockingKey, KeyRows] = {}
    if wanted & {BlockingKey.EMAIL, BlockingKey.EMAIL_LOCAL_PART}:
        rows[BlockingKey.EMAIL], rows[BlockingKey.EMAIL_LOCAL_PART] = _email_rows(table, nicknames)
    if BlockingKey.PHONE in wanted:
        rows[BlockingKey.PHONE] = _phone_rows(table, initial)
    if wanted & {BlockingKey.NAMES_SORTED, BlockingKey.FIRST_NAME_SURNAME_INITIAL}:
        records, variants = _expand_variants(first, last, nicknames)
        surname = Part(last.codes[records], variants.vocab)
        place = postcode.or_else(_column(table.city))
        rows[BlockingKey.NAMES_SORTED] = KeyRows.of(records, _sorted_pair(variants, surname), [place.at(records)])
        two_letters, firm = _derived(surname, lambda v: v[:2]), company.or_else(postcode).at(records).optional()
        rows[BlockingKey.FIRST_NAME_SURNAME_INITIAL] = KeyRows.of(records, [variants, two_letters, firm])
    first_two = _derived(first, lambda v: v[:2])
    rows[BlockingKey.SURNAME_SOUND_FIRST_INITIAL] = KeyRows.of(every, [sound, first_two, sound_first])
    either = Part(np.concatenate([sound.codes, sound_first.codes]), sound.vocab)
    rows[BlockingKey.POSTCODE_SURNAME] = KeyRows.of(np.r_[every, every], [postcode.at(np.r_[every, every]), either])
    rows[BlockingKey.COMPANY_SURNAME] = KeyRows.of(every, [company, sound, first_initial])
    rows[BlockingKey.DATE_OF_BIRTH] = KeyRows.of(every, [_column(table.date_of_birth)], [initial])
    rows[BlockingKey.FIRST_NAME_POSTCODE] = KeyRows.of(every, [first_two, postcode])
    street = _column(table.street)
    name, number = _derived(street, street_name), _derived(street, house_number)
    rows[BlockingKey.STREET_POSTCODE] = KeyRows.of(every, [name, postcode], [number])
    rows[BlockingKey.STREET_CITY] = KeyRows.of(every, [name, _column(table.city)], [number])
    rows[BlockingKey.SURNAME_CITY] = KeyRows.of(every, [sound, _derived(_column(table.city), _sound)], [first_initial])
    return {key: found for key, found in rows.items() if key in wanted}


def _pair_codes_in_blocks(keys: Codes, records: Codes, cap: int, size: int) -> tuple[list[Codes], Codes]:
    """Pair codes (``left * size + right``, ``left < right``) within blocks of equal ``keys``.

    Returns the codes of each group of equal-sized blocks and the keys of the blocks over ``cap``.
    A block's records are in ascending order, so each pair is put together already ordered.
    """
    order = np.lexsort((records, keys))
    keys, records = keys[order], records[order]
    if len(keys) == 0:
        return [], np.zeros(0, dtype=np.int64)
    distinct = np.r_[True, (keys[1:] != keys[:-1]) | (records[1:] != records[:-1])]  # a record once per block
    keys, records = keys[distinct], records[distinct]
    starts = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]])
    sizes = np.diff(np.r_[starts, len(keys)])
    codes: list[Codes] = []
    for block_size in np.unique(sizes[(sizes >= 2) & (sizes <= cap)]).tolist():
        members = records[starts[sizes == block_size][:, None] + np.arange(block_size)]
        upper_i, upper_j = np.triu_indices(block_size, 1)
        found = members[:, upper_i] * size
        found += members[:, upper_j]
        codes.append(found.ravel())
    return codes, keys[starts[sizes > cap]]


def _sorted_distinct(parts: list[Codes]) -> Codes:
    """The distinct values of ``parts`` together, sorted; the list is emptied as they are gathered.

    One array the size of them all is held with its result, not a copy of every part
    beside it: candidate pairs are most of a batch's memory while it is blocked. Sorted, not
    ``np.unique``: numpy 2.4's ``unique`` without ``return_*`` counts distinct values through a
    hash table, 25 to 35 times slower than a sort on millions of mostly distinct pair codes.
    """
    if not parts:
        return np.zeros(0, dtype=np.int64)
    gathered = np.concatenate(parts) if len(parts) > 1 else parts[0]
    parts.clear()
    gathered.sort(kind="stable")  # runs already sorted (a merge of distinct sets) are merged, not sorted again
    keep = np.empty(len(gathered), dtype=np.bool_)
    keep[:1] = True
    np.not_equal(gathered[1:], gathered[:-1], out=keep[1:])
    return gathered[keep]


def _block_one_key(rows: KeyRows, cap: int, size: int) -> tuple[Codes | None, int, int]:
    """Distinct pair codes (``left * size + right``) of one key; blocks skipped and the largest of them."""
    records, keys, subs = rows.records, rows.key_codes(), rows.sub_codes()
    if not len(keys):
        return None, 0, 0
    codes, oversized = _pair_codes_in_blocks(keys, records, cap, size)
    skipped = largest = 0
    if len(oversized):
        inside = np.isin(keys, oversized)
        refined = _combine(keys[inside], subs[inside] + 1)
        sub_codes, still = _pair_codes_in_blocks(refined, records[inside], cap, size)
        codes += sub_codes
        skipped = len(still)
        largest = int(np.bincount(refined).max()) if skipped else 0
    if not codes:
        return None, skipped, largest
    return _sorted_distinct(codes), skipped, largest


def block(
    table: RecordTable, keys: Sequence[BlockingKey], *, max_block_size: int, nicknames: NicknameTable
) -> CandidatePairs:
    """Make the distinct candidate pairs of a table under several blocking keys.

    Args:
        table: The prepared records.
        keys: Which blocking keys to use.
        max_block_size: Largest block compared in full (after sub-blocking).
        nicknames: For the nickname-aware name keys.

    Returns:
        Sorted, distinct pairs with ``left < right`` and a report of what each key did.
    """
    n = max(len(table), 1)
    rows = key_rows(table, keys, nicknames)
    pairs = np.zeros(0, dtype=np.int64)
    report = BlockingReport()
    for key in keys:
        chunk, skipped, largest = _block_one_key(rows.pop(key), max_block_size, n)  # a key's rows freed once used
        report.pairs_by_key[key.value] = 0 if chunk is None else len(chunk)
        if skipped:
            report.skipped_blocks[key.value] = skipped
            report.skipped_largest[key.value] = largest
        if chunk is not None:  # merged key by key: the distinct pairs so far and one key's, nothing else held
            parts = [pairs, chunk]
            del pairs, chunk
            pairs = _sorted_distinct(parts)
    left = (pairs // n).astype(np.int32)
    pairs %= n
    return CandidatePairs(left, pairs.astype(np.int32), report)
