"""Deliveries in the inbox: which files belong to a feed, their fingerprint, extract date and batch id.

Why its own module: the CLI, the Airflow DAG (`pending_feeds`) and the pipeline must agree
on what counts as a delivery and on the batch id (design.md:
`<feed_id>__<YYYYMMDD extract>__<first 12 hex of sha256>`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

from ingestion.readers import FORMATS

_DATE_IN_NAME = re.compile(r"(?<!\d)(\d{8})(?!\d)")


@dataclass(frozen=True)
class Delivery:
    """One file in `inbox/<feed_id>/`."""

    feed_id: str
    path: Path
    relative: str  # path relative to the inbox, with '/' separators
    sha256: str
    size_bytes: int
    extract_date: dt.date

    @property
    def batch_id(self) -> str:
        return f"{self.feed_id}__{self.extract_date:%Y%m%d}__{self.sha256[:12]}"


#: sha256 by (path, size, mtime): `pending_feeds` and `ingest_feed` both fingerprint every
#: file, and forked workers inherit what the parent already hashed.
_SHA_CACHE: dict[tuple[str, int, int], str] = {}


def sha256_of(path: Path) -> str:
    """The file's sha256 (cached per process while its size and modification time stay the same)."""
    stat = path.stat()
    key = (str(path), stat.st_size, stat.st_mtime_ns)
    if key not in _SHA_CACHE:
        _SHA_CACHE[key] = _hash_file(path)
    return _SHA_CACHE[key]


def _hash_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def extract_date_of(path: Path) -> dt.date:
    """The YYYYMMDD in the file name (the first that is a real date), else the modification date."""
    for match in _DATE_IN_NAME.finditer(path.name):
        try:
            return dt.datetime.strptime(match.group(1), "%Y%m%d").date()
        except ValueError:
            continue
    return dt.date.fromtimestamp(path.stat().st_mtime)


def feed_files(inbox: Path, feed_id: str) -> list[Path]:
    """Delivered files of a feed, sorted by name (hidden and temporary files skipped).

    Files with an unsupported suffix are included, so that they are rejected visibly.
    """
    folder = inbox / feed_id
    if not folder.is_dir():
        return []
    return sorted(
        p for p in folder.rglob("*")
        if p.is_file() and not any(part.startswith((".", "~$")) for part in p.relative_to(folder).parts)
    )


def describe(inbox: Path, feed_id: str, path: Path) -> Delivery:
    return Delivery(
        feed_id=feed_id,
        path=path,
        relative=path.relative_to(inbox).as_posix(),
        sha256=sha256_of(path),
        size_bytes=path.stat().st_size,
        extract_date=extract_date_of(path),
    )


def is_data_file(path: Path) -> bool:
    return path.suffix.lower() in FORMATS
