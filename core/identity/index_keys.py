"""Blocking keys as text, for the store's index that incremental resolution searches.

The keys are the batch's own (``blocking.key_rows``: one definition for both),
written ``name:part|part`` with their sub-key, plus the identifiers the
deterministic rules link on (the record's own ID and its external IDs), so a
record resolved on its own meets every record the batch could have compared
or a rule linked it with. A key held by more records than ``max_block_size``
is narrowed by its sub-key, as in batch blocking.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from core.identity.blocking import key_rows
from core.identity.nicknames import NicknameTable
from core.identity.records import RecordTable
from core.identity.settings import BlockingKey
from core.store import BLOCK_KEY_LENGTH

__all__ = ["index_key_columns", "index_keys", "iter_index_keys"]


def index_keys(
    table: RecordTable, keys: Sequence[BlockingKey], nicknames: NicknameTable
) -> list[list[tuple[str, str]]]:
    """Return the distinct ``(key, sub_key)`` pairs of every record of ``table``, by index.

    Example keys: ``email:bob@acme.com``, ``phone:+442079460958`` (sub-key the
    surname's initial), ``names_sorted:robert|smith`` (sub-key the postcode),
    ``external_id:salesforce:003A1``.
    """
    found: list[list[tuple[str, str]]] = [[] for _ in range(len(table))]
    for record, key, sub in iter_index_keys(table, keys, nicknames):
        found[record].append((key, sub))
    return found


def iter_index_keys(
    table: RecordTable,
    keys: Sequence[BlockingKey],
    nicknames: NicknameTable,
    *,
    wide: tuple[int, dict[str, int]] | None = None,
) -> Iterator[tuple[int, str, str]]:
    """Yield ``(record, key, sub_key)``: ``index_keys`` one blocking key at a time, as a batch's write-out takes them.

    A record's pairs are distinct (a pair can only repeat within one key, whose name
    starts its text), and only one key's texts are held at a time. With ``wide`` as
    ``(max_block_size, left_out)``, a key held by more rows than a block may have keeps
    only its rows with a sub-key (the only ones a search by it reads); the others are
    counted in ``left_out`` (``{key: rows}``, complete once the rows are all taken).
    """
    for columns in index_key_columns(table, keys, nicknames, wide=wide):
        yield from zip(*columns, strict=True)


def index_key_columns(
    table: RecordTable,
    keys: Sequence[BlockingKey],
    nicknames: NicknameTable,
    *,
    wide: tuple[int, dict[str, int]] | None = None,
) -> Iterator[tuple[list[int], list[str], list[str]]]:
    """``iter_index_keys`` as columns ``(records, keys, sub_keys)``, one blocking key at a time.

    The rows of a whole batch (about ten a record) are gathered a column at a time, so a
    writer can zip them with other columns without a Python step per row. Keys and
    sub-keys are cut at ``BLOCK_KEY_LENGTH``.
    """
    for name, rows in key_rows(table, keys, nicknames).items():
        yield rows.distinct_columns(f"{name.value}:", BLOCK_KEY_LENGTH, wide=wide)
    records: list[int] = []
    found: list[str] = []
    for record, own in enumerate(table.own_ids):
        distinct = dict.fromkeys(f"external_id:{e}"[:BLOCK_KEY_LENGTH] for e in (own, *table.external_ids[record]))
        records.extend([record] * len(distinct))
        found.extend(distinct)
    yield records, found, [""] * len(found)
