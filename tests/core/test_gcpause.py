"""Memory around batch work: the freed C heap given back after a batch."""

from __future__ import annotations

import gc
import sys
import weakref
from pathlib import Path

import pytest

from core.gcpause import collector_paused, return_freed_memory

STATUS = Path("/proc/self/status")


def _anonymous_mib() -> int:
    """The process's resident anonymous memory in MiB (Linux)."""
    line = next(line for line in STATUS.read_text().splitlines() if line.startswith("RssAnon:"))
    return int(line.split()[1]) // 1024


@pytest.mark.skipif(not sys.platform.startswith("linux") or not STATUS.exists(), reason="reads /proc/self/status")
def test_the_heap_a_batch_freed_is_given_back_to_the_system():
    # 200 MiB of 2,000-byte objects (from the C heap, not Python's small-object arenas),
    # the last one kept: it pins the top of the heap, so freeing the rest returns nothing by itself
    gc.collect()
    before = _anonymous_mib()
    blocks = [bytes(2000) for _ in range(100_000)]
    kept = blocks[-1]
    del blocks
    held = _anonymous_mib()
    if held - before < 150:
        pytest.skip("this C library gives freed memory back by itself")
    assert return_freed_memory() is True
    assert _anonymous_mib() - before < 50, "the freed heap stayed with the process"
    assert len(kept) == 2000


def test_a_cycle_made_while_the_collector_was_paused_is_collected_after():
    class Node:
        def __init__(self) -> None:
            self.me = self

    with collector_paused():
        node = Node()
        ref = weakref.ref(node)
        del node
        assert ref() is not None  # a cycle: reference counting alone does not free it
    return_freed_memory()
    assert ref() is None
