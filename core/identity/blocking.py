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

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import jellyfish
import numpy as np
import numpy.typing as npt

from core.identity.nicknames import NicknameTable
from core.identity.records import RecordTable
from core.identity.settings import BlockingKey

__all__ = ["BlockingReport", "CandidatePairs", "block"]

Index = npt.NDArray[np.int32]
Codes = npt.NDArray[np.int64]
KeyRows = tuple[Codes, Codes, Codes]
"""``(records, keys, sub_keys)``: one row per key value of a record; ``-1`` sub-key is "none"."""


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


def _per_value(vocab: Sequence[str], func: Callable[[str], str]) -> Codes:
    """Code of ``func(value)`` for each vocabulary entry, plus a trailing ``-1`` for missing (code ``-1``)."""
    seen: dict[str, int] = {}
    codes = [seen.setdefault(func(v), len(seen)) if v else -1 for v in vocab]
    return np.asarray([*codes, -1], dtype=np.int64)


def _combine(*parts: Codes) -> Codes:
    """One code per row for a tuple of codes (``-1`` when any part is missing), kept small by refactorising."""
    out = np.zeros(len(parts[0]), dtype=np.int64)
    missing = np.zeros(len(parts[0]), dtype=np.bool_)
    for part in parts:
        missing |= part < 0
        out = out * (int(part.max(initial=0)) + 1) + np.maximum(part, 0)
        out = np.unique(out, return_inverse=True)[1].astype(np.int64).ravel()
    out[missing] = -1
    return out


@dataclass(frozen=True)
class _Columns:
    """Per-record codes the keys are built from (``-1`` when missing)."""

    first: Codes
    last: Codes
    postcode: Codes
    city: Codes
    company: Codes
    dob: Codes

    @classmethod
    def of(cls, table: RecordTable) -> _Columns:
        def codes(values: npt.NDArray[np.int32]) -> Codes:
            return values.astype(np.int64)

        return cls(
            codes(table.first_name.codes),
            codes(table.last_name.codes),
            codes(table.postcode.codes),
            codes(table.city.codes),
            codes(table.company.codes),
            codes(table.date_of_birth.codes),
        )


def _rows(records: Codes, keys: Codes, subs: Codes) -> KeyRows:
    keep = keys >= 0
    return records[keep], keys[keep], subs[keep]


def _name_variants(table: RecordTable, nicknames: NicknameTable) -> tuple[Codes, Codes, int]:
    """``(vocab code, variant token)`` rows: a first name and the longer names it shortens.

    Tokens share the name vocabulary's codes, so a variant can be compared with a surname.
    """
    vocab = table.last_name.vocab
    tokens = {name: code for code, name in enumerate(vocab)}
    codes: list[int] = []
    variants: list[int] = []
    for code in np.unique(table.first_name.codes[table.first_name.codes >= 0]).tolist():
        for name in nicknames.name_keys(vocab[code].split()[0]):
            codes.append(code)
            variants.append(tokens.setdefault(name, len(tokens)))
    return np.asarray(codes, dtype=np.int64), np.asarray(variants, dtype=np.int64), len(tokens)


def _expand_variants(cols: _Columns, variants: tuple[Codes, Codes, int]) -> tuple[Codes, Codes]:
    """One row per record and first-name variant, for records with both names: ``(records, variant tokens)``."""
    codes, tokens, _ = variants
    records = np.flatnonzero((cols.first >= 0) & (cols.last >= 0)).astype(np.int64)
    if not len(codes) or not len(records):
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    order = np.argsort(codes, kind="stable")
    codes, tokens = codes[order], tokens[order]
    starts = np.searchsorted(codes, cols.first[records], side="left")
    counts = np.searchsorted(codes, cols.first[records], side="right") - starts
    repeated = np.repeat(records, counts)
    offsets = np.arange(len(repeated)) - np.repeat(np.cumsum(counts) - counts, counts)
    return repeated, tokens[np.repeat(starts, counts) + offsets]


def _email_rows(table: RecordTable, nicknames: NicknameTable) -> tuple[KeyRows, KeyRows]:
    """Rows of the ``email`` and ``email_local_part`` keys (per record: emails are lists)."""
    exact: tuple[list[int], list[str]] = ([], [])
    local: tuple[list[int], list[str], list[str]] = ([], [], [])
    for index, found in enumerate(table.emails):
        for e in found:
            if e.is_role or e.canonical in table.shared_emails:
                continue
            exact[0].append(index)
            exact[1].append(e.canonical)
            if len(e.loose_local) >= 4:
                # A bare given name (``matthew@``) names many people: only at the same domain.
                given = bool(nicknames.groups(e.loose_local))
                local[0].append(index)
                local[1].append(f"{e.loose_local}@{e.domain}" if given else e.loose_local)
                local[2].append("" if given else e.domain)

    def encode(values: list[str]) -> Codes:
        seen: dict[str, int] = {}
        return np.asarray([seen.setdefault(v, len(seen)) for v in values], dtype=np.int64)

    exact_records = np.asarray(exact[0], dtype=np.int64)
    return (
        (exact_records, encode(exact[1]), np.full(len(exact_records), -1, dtype=np.int64)),
        (np.asarray(local[0], dtype=np.int64), encode(local[1]), encode(local[2])),
    )


def _phone_rows(table: RecordTable, initial: Codes) -> KeyRows:
    """Every number of a record (phone, mobile and any further ones), sub-keyed by the surname's initial."""
    records = [np.flatnonzero(table.phone.codes >= 0), np.flatnonzero(table.mobile.codes >= 0)]
    keys = [table.phone.codes[records[0]], table.mobile.codes[records[1]]]
    lookup = {number: code for code, number in enumerate(table.mobile.vocab)}
    extra = [(i, lookup.setdefault(n, len(lookup))) for i, found in enumerate(table.phones) for n in found[2:]]
    if extra:
        records.append(np.asarray([i for i, _ in extra]))
        keys.append(np.asarray([code for _, code in extra]))
    all_records = np.concatenate(records).astype(np.int64)
    return all_records, np.concatenate(keys).astype(np.int64), initial[all_records]


def _key_rows(table: RecordTable, keys: Sequence[BlockingKey], nicknames: NicknameTable) -> dict[BlockingKey, KeyRows]:
    """The rows of every requested key."""
    cols = _Columns.of(table)
    names = table.last_name.vocab
    sound = _per_value(names, _sound)[np.where(cols.last >= 0, cols.last, -1)]
    sound_first = _per_value(names, _sound)[np.where(cols.first >= 0, cols.first, -1)]
    initial = _per_value(names, lambda v: v[:1])[cols.last]
    two_letters = _per_value(names, lambda v: v[:2])
    variants = _name_variants(table, nicknames)
    rows: dict[BlockingKey, KeyRows] = {}
    wanted = set(keys)
    if wanted & {BlockingKey.EMAIL, BlockingKey.EMAIL_LOCAL_PART}:
        rows[BlockingKey.EMAIL], rows[BlockingKey.EMAIL_LOCAL_PART] = _email_rows(table, nicknames)
    if BlockingKey.PHONE in wanted:
        rows[BlockingKey.PHONE] = _phone_rows(table, initial)
    every = np.arange(len(table), dtype=np.int64)
    place = np.where(
        cols.postcode >= 0, cols.postcode, np.where(cols.city >= 0, cols.city + len(table.postcode.vocab), -1)
    )
    if wanted & {BlockingKey.NAMES_SORTED, BlockingKey.FIRST_NAME_SURNAME_INITIAL}:
        records, tokens = _expand_variants(cols, variants)
        last = cols.last[records]
        pair = np.minimum(tokens, last) * variants[2] + np.maximum(tokens, last)
        rows[BlockingKey.NAMES_SORTED] = _rows(records, pair, place[records])
        firm = np.where(
            cols.company >= 0, cols.company, np.where(cols.postcode >= 0, cols.postcode + len(table.company.vocab), -1)
        )
        rows[BlockingKey.FIRST_NAME_SURNAME_INITIAL] = _rows(
            records, _combine(tokens, two_letters[last], firm[records] + 1), np.full(len(records), -1)
        )
    rows[BlockingKey.SURNAME_SOUND_FIRST_INITIAL] = _rows(
        every, _combine(sound, two_letters[cols.first], sound_first), np.full(len(every), -1)
    )
    rows[BlockingKey.POSTCODE_SURNAME] = _rows(every, _combine(cols.postcode, sound), np.full(len(every), -1))
    first_initial = _per_value(names, lambda v: v[:1])[cols.first]
    rows[BlockingKey.COMPANY_SURNAME] = _rows(
        every, _combine(cols.company, sound, first_initial), np.full(len(every), -1)
    )
    rows[BlockingKey.DATE_OF_BIRTH] = _rows(every, cols.dob, initial)
    return rows


def _pairs_in_blocks(keys: Codes, records: Codes, cap: int) -> tuple[list[Codes], list[Codes], Codes]:
    """Pairs within blocks of equal ``keys``; returns (lefts, rights, oversized block keys)."""
    order = np.lexsort((records, keys))
    keys, records = keys[order], records[order]
    if len(keys) == 0:
        return [], [], np.zeros(0, dtype=np.int64)
    distinct = np.r_[True, (keys[1:] != keys[:-1]) | (records[1:] != records[:-1])]  # a record once per block
    keys, records = keys[distinct], records[distinct]
    starts = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]])
    sizes = np.diff(np.r_[starts, len(keys)])
    lefts: list[Codes] = []
    rights: list[Codes] = []
    for size in np.unique(sizes[(sizes >= 2) & (sizes <= cap)]).tolist():
        members = records[starts[sizes == size][:, None] + np.arange(size)]
        upper_i, upper_j = np.triu_indices(size, 1)
        lefts.append(members[:, upper_i].ravel())
        rights.append(members[:, upper_j].ravel())
    return lefts, rights, keys[starts[sizes > cap]]


def _block_one_key(rows: KeyRows, cap: int, size: int) -> tuple[Codes | None, int, int]:
    """Distinct pair codes (``left * size + right``) of one key; blocks skipped and the largest of them."""
    records, keys, subs = rows
    if not len(keys):
        return None, 0, 0
    lefts, rights, oversized = _pairs_in_blocks(keys, records, cap)
    skipped = largest = 0
    if len(oversized):
        inside = np.isin(keys, oversized)
        refined = _combine(keys[inside], subs[inside] + 1)
        sub_lefts, sub_rights, still = _pairs_in_blocks(refined, records[inside], cap)
        lefts, rights = lefts + sub_lefts, rights + sub_rights
        skipped = len(still)
        largest = int(np.bincount(refined).max()) if skipped else 0
    if not lefts:
        return None, skipped, largest
    left, right = np.concatenate(lefts), np.concatenate(rights)
    return np.unique(np.minimum(left, right) * size + np.maximum(left, right)), skipped, largest


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
    rows = _key_rows(table, keys, nicknames)
    encoded: list[Codes] = []
    report = BlockingReport()
    for key in keys:
        chunk, skipped, largest = _block_one_key(rows[key], max_block_size, n)
        report.pairs_by_key[key.value] = 0 if chunk is None else len(chunk)
        if skipped:
            report.skipped_blocks[key.value] = skipped
            report.skipped_largest[key.value] = largest
        if chunk is not None:
            encoded.append(chunk)
    pairs = np.unique(np.concatenate(encoded)) if encoded else np.zeros(0, dtype=np.int64)
    return CandidatePairs((pairs // n).astype(np.int32), (pairs % n).astype(np.int32), report)
