"""Giving freed memory back to the system between the simulator's steps.

Why: the simulator's peak is what limits the scale it reaches on one machine (issue 14:
scale 10 in <= 6 GB). Python's and glibc's allocators keep freed heap for reuse, and
Arrow's pool keeps freed pages; a step that allocated a lot and freed it (a feed's
table, the population's temporaries) would otherwise carry its high-water mark into
every later step. Nothing here changes what is generated.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
from collections.abc import Iterator
from contextlib import contextmanager

import pyarrow as pa


def _libc_trim():
    """glibc's malloc_trim, or None where the C library has none (then heap is kept)."""
    name = ctypes.util.find_library("c")
    if name is None:
        return None
    return getattr(ctypes.CDLL(name), "malloc_trim", None)


_MALLOC_TRIM = _libc_trim()


def release_memory(collect: bool = False) -> None:
    """Return Arrow's unused pages and trim the C heap; `collect`: run the cycle collector
    first (a full collection walks every object: ~0.1 s a time, so only between phases)."""
    if collect:
        gc.collect()
    pa.default_memory_pool().release_unused()
    if _MALLOC_TRIM is not None:
        _MALLOC_TRIM(0)


@contextmanager
def arrow_on_system_allocator() -> Iterator[None]:
    """Arrow allocates from the C library's heap while the block runs.

    Why: Arrow's default pool (mimalloc) keeps pages freed by its worker threads'
    heaps, which `release_unused` does not reach; at scale 2 that was ~70 MB of the
    resident floor (issue 14). The C heap is trimmed by `release_memory`. Buffers keep
    the pool they came from, so the previous default is simply restored afterwards.
    """
    previous = pa.default_memory_pool()
    pa.set_memory_pool(pa.system_memory_pool())
    try:
        yield
    finally:
        pa.set_memory_pool(previous)
