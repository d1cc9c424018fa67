"""Where ingestion's memory comes from: allocators that reuse what a file freed.

Why: ingestion allocates and frees a file's worth of buffers per delivery (Arrow's columns,
pandas' and numpy's arrays). Memory handed back to the kernel on every free comes back as
fresh pages, each a page fault on first touch: on 2026-12-04 a scale-1 `aidwatch ingest`
took 1.55 M page faults and 6.8-8.2 s of system CPU of its ~48 CPU s. Two allocators
returned freed memory at once:

- Arrow's jemalloc pool, which the wheels build with a decay of 0 (every freed page goes
  back to the kernel; `jemalloc_set_decay_ms` changes only arenas made later). pyarrow's
  own default, mimalloc, keeps and reuses its pages;
- glibc's malloc (numpy, pandas, Python), which starts with a 128 KiB mmap threshold, so
  every larger array is mapped and unmapped, and trims the top of its heap beyond 128 KiB.
  Its threshold adapts upwards only after such a free. Here it is fixed at glibc's largest,
  32 MiB, and the heap trimmed beyond 128 MiB: arrays below 32 MiB reuse the heap; larger
  ones are still mapped and handed back, so a worker holds no more than its peak.

Measured in turn (`aidwatch ingest` into fresh HOMEs, `perf stat -e page-faults`):
- scale-1 inbox (652 files), 3 pairs: 1.55-1.56 M page faults -> 0.39-0.44 M; user + system
  CPU 48.0, 47.5, 53.5 s -> 45.5, 46.1, 48.5 s; wall 26.3, 25.9, 29.3 s -> 25.0, 25.4, 26.6 s;
  the largest process's peak RSS 670-676 MB -> 614-678 MB;
- one scale-10 file of each of the six largest feeds, 2 pairs: 1.21 M page faults -> 0.33 M,
  system CPU 3.7-3.9 s -> 2.3-2.9 s, largest process 970 MB -> 770 MB;
- a cold single-file ingest (261k rows): equal within noise (2.4-2.8 s either way).
An earlier choice of jemalloc (2026-12-02) was measured against mimalloc alone, with glibc
at its defaults: then jemalloc's cold start spent less system time.
"""

from __future__ import annotations

import ctypes
import logging
import platform

import pyarrow as pa

log = logging.getLogger(__name__)

#: mallopt(3) parameters (glibc's malloc.h).
M_TRIM_THRESHOLD = -1
M_MMAP_THRESHOLD = -3
#: glibc's largest mmap threshold on 64-bit (DEFAULT_MMAP_THRESHOLD_MAX): 32 MiB.
MMAP_THRESHOLD_BYTES = 32 << 20
TRIM_THRESHOLD_BYTES = 128 << 20


def reuse_freed_memory() -> str:
    """Arrow on mimalloc, glibc's malloc keeping freed memory below 32 MiB; returns what was set.

    Called once before ingestion's workers fork (they inherit both settings). A pyarrow
    without mimalloc keeps its default pool; a C library other than glibc is left alone.
    """
    try:
        pa.set_memory_pool(pa.mimalloc_memory_pool())
    except NotImplementedError:
        log.info("pyarrow has no mimalloc; ingestion keeps %s", pa.default_memory_pool().backend_name)
    settings = [f"arrow: {pa.default_memory_pool().backend_name}"]
    if glibc_reuses_freed_memory():
        settings.append(f"glibc: mmap threshold {MMAP_THRESHOLD_BYTES >> 20} MiB, "
                        f"trim threshold {TRIM_THRESHOLD_BYTES >> 20} MiB")
    return "; ".join(settings)


def glibc_reuses_freed_memory() -> bool:
    """Set glibc's mmap and trim thresholds (mallopt); False when this is not glibc or it refused."""
    if platform.libc_ver()[0] != "glibc":
        return False
    libc = ctypes.CDLL(None)  # the process's own symbols, glibc's among them (find_library runs ldconfig)
    return bool(libc.mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES)
                and libc.mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD_BYTES))
