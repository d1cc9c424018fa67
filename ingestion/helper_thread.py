"""A second thread for one file's ingestion, lent only when the process has a core to spare.

Why: ingestion runs one worker process per core, each taking one feed at a time, and there
threads only add CPU (they contend for the cores the other workers use). But when a run
has a single feed with new files (`aidwatch ingest` of one delivery, a daily run of one
department), the second core sits idle while one thread reads, normalises, validates and
writes. Much of that work releases the GIL: Arrow's CSV parse, most normalisers (Arrow
compute and numpy), building the Arrow tables and the Parquet encoding. GX holds it. So
`pipeline.ingest_inbox` lends a helper thread (`lent`) when a core is spare, and three
stages use it:
- a CSV's bytes are hashed on it while Arrow parses them on its own threads
  (`readers.sha256_aside`: the scan's hash of the file it parses, `ingestion.early_read`, or
  the hash of a file read at its turn, `readers.read_csv`), so the file need not be read
  again to prove it did not change (`pipeline._read_unchanged`);
- the contract columns are normalised on both threads (`on_both`);
- the raw table of every row is built and encoded as Parquet while GX validates, on the
  bet that every row passes (`batch._gated` uses that encoding only when the raw table is
  that table).
Moved to the helper and measured no faster, since both threads then contend for the GIL:
the gate frame's key count (`key_counts.key_occurrences`), 0.34-0.38 s against 0.29-0.35 s
for the 261k-row file.

Nothing depends on which thread did what: every value is computed by the same functions,
so a file lands byte for byte the same with or without the helper
(tests/ingestion/test_every_path.py ingests every feed both ways).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, wait
from contextvars import ContextVar
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")

_HELPER: ContextVar[ThreadPoolExecutor | None] = ContextVar("ingestion_helper_thread", default=None)


@contextlib.contextmanager
def lent(enabled: bool) -> Iterator[None]:
    """For the block, in this thread: a helper thread when `enabled`, none otherwise.

    The helper's own tasks see no helper (a context variable is per thread), so they never
    wait for themselves. Leaving the block waits for what the helper still runs and drops
    what it has not started (work nobody waits for: an encoding whose bet was lost).
    """
    if not enabled:
        token = _HELPER.set(None)
        try:
            yield
        finally:
            _HELPER.reset(token)
        return
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ingestion-helper")
    token = _HELPER.set(pool)
    try:
        yield
    finally:
        _HELPER.reset(token)
        pool.shutdown(wait=True, cancel_futures=True)


def helper() -> ThreadPoolExecutor | None:
    """The helper lent to this thread, or None (one thread: do the work in line)."""
    return _HELPER.get()


def on_helper(work: Callable[[], T]) -> Future[T] | None:
    """`work` started on the helper, or None when there is no helper (the caller then skips it)."""
    pool = helper()
    return None if pool is None else pool.submit(work)


def on_both(function: Callable[[T], R], items: Sequence[T]) -> list[R]:
    """`function` of each item, in order: shared between this thread and the helper when there is one.

    Both threads take the next item from the front of `items` (list the costly ones first),
    so neither waits while the other has more than one item left.
    """
    pool = helper()
    if pool is None or len(items) < 2:
        return [function(item) for item in items]
    results: list[R | None] = [None] * len(items)
    taken = iter(range(len(items)))

    def drain() -> None:
        for position in taken:  # the iterator is shared: each position is taken by one thread
            results[position] = function(items[position])

    other = pool.submit(drain)
    try:
        drain()
    except BaseException:
        wait([other])  # the helper finishes what it took before our exception is raised
        raise
    if not other.cancel():  # cancelled: the helper was still busy with earlier work and took nothing
        other.result()  # the helper's exception, if it had one
    return results  # type: ignore[return-value]
