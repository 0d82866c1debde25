"""Memory around batch work: the cyclic collector paused while it runs, what it freed given back after.

collector_paused()      the collector off for a batch that makes no reference cycles
return_freed_memory()   after a batch: cycles collected, the C heap's free pages returned
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import cache

__all__ = ["collector_paused", "return_freed_memory"]


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause the cyclic collector while a batch runs; restore it afterwards, whatever happens.

    A batch (5,000 ingested records, or an identity run over 100,000 people) allocates
    hundreds of thousands of small containers that live until it ends and form no
    cycles; with the collector on, each of its passes walks every one of them, which
    costs a fifth of an identity run at 100,000 records. Reference counting still frees
    memory as usual, and what cycles a batch leaves are collected when the collector
    runs again after it. Nested use keeps the outer pause.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


@cache
def _malloc_trim() -> Callable[[int], int] | None:
    """The C library's ``malloc_trim`` (glibc), or ``None`` where the library is another (musl, macOS, Windows)."""
    name = ctypes.util.find_library("c")
    if name is None:
        return None
    try:
        trim: Callable[[int], int] = ctypes.CDLL(name).malloc_trim
    except (OSError, AttributeError):
        return None
    return trim


def return_freed_memory() -> bool:
    """Give the memory a finished batch freed back to the system; return whether the C heap was trimmed.

    A batch's larger objects (lists of rows, arrays, long strings) come from the C heap,
    which keeps what is freed for the process's next allocations: after an identity
    batch over 100,000 records a long-lived process (``schedule run``) would go on
    holding tens of MiB it no longer uses, and the next step's allocations (deciding,
    pushing) land on top of them. ``malloc_trim(0)`` hands every free page of the heap
    back; where the C library has none, the collection alone runs. It costs some 40 ms
    in a process that has imported the sync (the collection walks every object), so it
    belongs after a batch, not after each record.
    """
    gc.collect()
    trim = _malloc_trim()
    return trim is not None and trim(0) >= 0
