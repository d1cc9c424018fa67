"""The append-only log of every export (`HOME/audit/exports.jsonl`).

Why: personal data leaves the warehouse in these files (PIPL art. 51 asks for a
record of processing). Each export adds one JSON line: when, for which as_of,
which areas, how many rows, which files with their sha256. Lines are only ever
appended (opened in append mode, one write per line), never rewritten.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from aidwatch.home import Home


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def append_audit_record(home: Home, record: dict) -> Path:
    """Append one record as a JSON line, flushed to disk before returning."""
    path = home.audit_log
    path.parent.mkdir(parents=True, exist_ok=True)
    line = json.dumps(record, ensure_ascii=False, sort_keys=True, default=str) + "\n"
    with path.open("a", encoding="utf-8") as handle:
        handle.write(line)
        handle.flush()
        os.fsync(handle.fileno())
    return path


def read_audit_records(home: Home) -> list[dict]:
    """Every record of the log, oldest first (empty when nothing was exported yet)."""
    path = home.audit_log
    if not path.exists():
        return []
    with path.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]
