"""Exclusive file locks that wait a bounded time and say who holds them.

Why: a hung ingest or build used to hold its lock forever and the next run waited forever
(or, for the build, failed at once without saying why). Here the holder writes its pid, host
and start time into the lock file once it has the lock, and a waiter gives up after a
timeout with a message naming that holder, so an operator can find the process.

The lock is `fcntl.flock` on the file: the kernel drops it when the holder dies, so a stale
file with an old holder in it never blocks anyone.
"""

from __future__ import annotations

import fcntl
import json
import os
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

#: How often a waiter tries the lock again.
POLL_SECONDS = 0.5


class LockTimeout(TimeoutError):
    """The lock stayed held by another process for longer than the caller would wait."""

    def __init__(self, path: Path, waited: float, holder: str) -> None:
        self.path = path
        self.holder = holder
        super().__init__(f"gave up after {waited:.0f} s waiting for {path}: held by {holder}")


def describe_holder(path: Path) -> str:
    """Who holds the lock, from what the holder wrote into the file (or why that is unknown)."""
    try:
        record = json.loads(path.read_text(encoding="utf-8") or "{}")
    except (OSError, ValueError):
        record = {}
    if not record.get("pid"):
        return "an unknown process (it wrote no holder record)"
    return (f"pid {record['pid']} on {record.get('host', '?')} since {record.get('started_at', '?')}"
            + (f" ({record['purpose']})" if record.get("purpose") else ""))


@contextmanager
def exclusive_lock(path: Path, timeout_seconds: float, purpose: str = "") -> Iterator[None]:
    """Hold an exclusive lock on `path`, waiting at most `timeout_seconds` (0: do not wait).

    Raises LockTimeout naming the holder. The file is opened without truncation so that a
    waiter never wipes the holder's record.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    deadline = time.monotonic() + timeout_seconds
    started = time.monotonic()
    with open(path, "a+", encoding="utf-8") as handle:
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise LockTimeout(path, time.monotonic() - started, describe_holder(path)) from None
                time.sleep(POLL_SECONDS)
        try:
            handle.seek(0)
            handle.truncate()
            handle.write(json.dumps({
                "pid": os.getpid(),
                "host": socket.gethostname(),
                "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
                "purpose": purpose,
            }) + "\n")
            handle.flush()
            yield
        finally:
            handle.seek(0)
            handle.truncate()
            handle.flush()
            fcntl.flock(handle, fcntl.LOCK_UN)
