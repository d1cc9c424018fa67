"""The inbox's sha256 fingerprints, remembered from one run to the next.

Why: whether a path in the inbox is new is decided by its sha256 (the ledger records path
and sha256), and the inbox keeps every delivery of every month. Hashing all of it again
on every run cost the daily run about 3 s of its 41 s at league scale and 28 s at ten
times the league, to learn that 625 of 652 files were already recorded. So each run keeps,
per feed, the fingerprint of every data and control file it saw (ingestion.delivery:
sha256 with the file's size, modification and change times, inode and device), and the
next run reuses a fingerprint only when the file's state is identical and the file had been
left alone for `delivery.SETTLE_NS` before it was hashed; any other file is read again.

The store is a cache, not a record: deleting it only costs one run's hashing. It lives in
HOME/state/fingerprints/<feed_id>.json, private like the rest of HOME, and is written by
`ingest_feed` under the feed's lock.
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict
from pathlib import Path

from aidwatch.home import Home
from ingestion.delivery import FileState, Fingerprint
from ingestion.landing import write_atomic_bytes

log = logging.getLogger(__name__)

#: Bump when the stored form changes: older stores are then ignored (and rewritten).
STORE_VERSION = 1


def store_path(home: Home, feed_id: str) -> Path:
    return home.root / "state" / "fingerprints" / f"{feed_id}.json"


def load(home: Home, feed_id: str) -> dict[str, Fingerprint]:
    """The fingerprints kept for a feed, by path relative to the inbox; {} when none or unreadable."""
    path = store_path(home, feed_id)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.get("version") != STORE_VERSION:
            return {}
        return {
            relative: Fingerprint(FileState(**entry["state"]), entry["sha256"], entry["hashed_at_ns"])
            for relative, entry in data["files"].items()
        }
    except FileNotFoundError:
        return {}
    except (OSError, ValueError, KeyError, TypeError) as exc:  # a damaged cache is only a cache
        log.warning("%s: fingerprint store %s unreadable (%s); hashing every file again", feed_id, path, exc)
        return {}


def save(home: Home, feed_id: str, seen: dict[str, Fingerprint], kept: dict[str, Fingerprint]) -> None:
    """Keep the fingerprints worth reusing (settled ones) of the paths seen in this run.

    `kept`: what `load` returned at the start of the run; when nothing changed the store is
    not written again.
    """
    settled = {relative: found for relative, found in sorted(seen.items()) if found.settled}
    if settled == kept:
        return
    files = {
        relative: {"state": asdict(found.state), "sha256": found.sha256, "hashed_at_ns": found.hashed_at_ns}
        for relative, found in settled.items()
    }
    text = json.dumps({"version": STORE_VERSION, "files": files}, indent=1)
    write_atomic_bytes(store_path(home, feed_id), text.encode("utf-8"))
