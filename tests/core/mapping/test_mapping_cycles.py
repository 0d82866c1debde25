"""Mapping a batch with refused values leaves nothing for the cyclic collector: records are freed as they go."""

from __future__ import annotations

import gc
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager

from connectors.base import SourceRecord
from core.mapping import Mapped, Rejected, load_mapping_text

MAPPING = """
system: desk
version: 1
streams:
  users:
    id: id
    identifiers:
      - {kind: email, path: email, transforms: [nullif, strip, lower]}
      - {kind: phone, path: phone, transforms: [nullif, {e164: GB}]}
    targets:
      - model: Person
        fields:
          email: {path: email, transforms: [nullif, strip, lower]}
          first_name: name
          date_of_birth: {path: born, transforms: [parse_date]}
          country: country
"""


@contextmanager
def _garbage() -> Iterator[Counter[str]]:
    """Collect with the collector paused around the block; yield the kinds of what only it could free."""
    kinds: Counter[str] = Counter()
    gc.collect()
    gc.disable()
    try:
        yield kinds
        gc.set_debug(gc.DEBUG_SAVEALL)
        gc.collect()
        kinds.update(type(found).__name__ for found in gc.garbage)
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        gc.enable()


def _outcomes(raws: list[dict[str, str]]) -> list[str]:
    mapping = load_mapping_text(MAPPING, file="desk.yaml")
    records = [SourceRecord(system="desk", stream="users", source_id=str(i), raw={"id": str(i), **raw})
               for i, raw in enumerate(raws)]  # fmt: skip
    return [type(mapping.map(record)).__name__ for record in records]


def test_refused_emails_phones_and_dropped_fields_leave_no_frame_in_a_cycle():
    raws = [
        {"email": "ann@example.com", "name": "Ann"},
        {"email": "bob@@example.com", "name": "Bob"},  # email refused by the model's validator: rejected
        {"email": "cy@@example.com", "name": "Cy"},  # the same bad domain again: the remembered verdict
        {"email": "dee@example.com", "phone": "not a phone"},  # a transform fails on an identifier: rejected
        {"email": "eve@example.com", "born": "31/02/1990"},  # a field's transform fails: value left out
        {"email": "fay@example.com", "country": "Atlantis"},  # the model refuses a droppable field: left out
    ]
    with _garbage() as kinds:
        outcomes = _outcomes(raws)
    assert outcomes == [Mapped.__name__, Rejected.__name__, Rejected.__name__, Rejected.__name__,
                        Mapped.__name__, Mapped.__name__]  # fmt: skip
    assert kinds["frame"] == kinds["traceback"] == 0, kinds.most_common(8)
    assert kinds["SourceRecord"] == kinds["Person"] == 0


def test_a_remembered_domain_verdict_holds_no_frame_of_the_record_that_asked():
    from core.canonical import emails

    emails._DOMAINS.clear()
    assert _outcomes([{"email": "gus@@example.com", "name": "Gus"}]) == [Rejected.__name__]
    refused = [found for found in emails._DOMAINS.values() if isinstance(found, BaseException)]
    assert refused  # the verdict is remembered for the next address at that domain
    held = [found for found in refused if found.__traceback__ is not None or found.__context__ is not None]
    assert held == []  # a traceback would keep the caller's frames, up to its whole batch, as long as the cache
