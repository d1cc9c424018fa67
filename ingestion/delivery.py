"""Deliveries in the inbox: which files belong to a feed, their fingerprint, extract date and batch id.

Why its own module: the CLI, the Airflow DAG (`pending_feeds`) and the pipeline must agree
on what counts as a delivery, what is not read (and why), and on the batch id (design.md:
`<feed_id>__<YYYYMMDD extract>__<first 12 hex of sha256>`).

Every path under `inbox/<feed_id>/` is one of:
- a control file (`*.manifest.json`, see ingestion.control): read to check the data files;
- ignored (`ignore_reason` says why): hidden names, unsupported suffixes, symlinks that lead
  out of the inbox or to a folder, broken symlinks. Never read, but recorded in the ledger;
- a data file: fingerprinted by sha256; its extract date is the first real `YYYYMMDD` date
  in its name, or None (the pipeline rejects it: never the clock or the modification time).
"""

from __future__ import annotations

import datetime as dt
import difflib
import hashlib
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ingestion.readers import FORMATS

_DATE_IN_NAME = re.compile(r"(?<!\d)(\d{8})(?!\d)")
CONTROL_SUFFIX = ".manifest.json"
HIDDEN_PREFIXES = (".", "~$")


@dataclass(frozen=True)
class Delivery:
    """One file in `inbox/<feed_id>/`."""

    feed_id: str
    path: Path
    relative: str  # path relative to the inbox, with '/' separators
    sha256: str | None  # None for ignored files (never read)
    size_bytes: int | None
    extract_date: dt.date | None  # None when the file name holds no real YYYYMMDD date
    ignore_reason: str | None = None
    fingerprint: Fingerprint | None = field(default=None, compare=False, repr=False)  # None when ignored

    @property
    def batch_id(self) -> str:
        """`<feed>__<YYYYMMDD>__<sha12>`: the id of the rows this delivery lands."""
        stamp = f"{self.extract_date:%Y%m%d}" if self.extract_date else "nodate"
        fingerprint = (self.sha256 or _path_hash(self.relative))[:12]
        return f"{self.feed_id}__{stamp}__{fingerprint}"

    @staticmethod
    def extract_date_of_batch(batch_id: str) -> dt.date | None:
        """The extract date a `batch_id` (or `own_id`) carries; None for anything else."""
        parts = batch_id.split("__")
        if len(parts) not in (3, 4) or not re.fullmatch(r"\d{8}", parts[1]):
            return None
        try:
            return dt.datetime.strptime(parts[1], "%Y%m%d").date()
        except ValueError:
            return None

    @property
    def own_id(self) -> str:
        """A ledger id unique to this path: for entries that land no rows (duplicate, ignored).

        Why: two copies of one file share sha256 and date, so they share `batch_id`; each
        still needs its own ledger entry, or one would overwrite the other on every run.
        """
        return f"{self.batch_id}__{_path_hash(self.relative)[:8]}"


def _path_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


#: How long a file must have been left alone before it was hashed for its sha256 to be
#: reused later on the strength of its unchanged state (FileState): a write within the file
#: system's timestamp granularity of the hashing could otherwise leave the state unchanged
#: (git's "racy clean" problem). Files written this recently are simply hashed again.
SETTLE_NS = 2_000_000_000


@dataclass(frozen=True)
class FileState:
    """What must be unchanged for a file's content to be taken as unchanged without reading it.

    Why these fields, as git's index: a content change moves the size or the modification
    time; the change time (ctime) moves with any change to the file or its inode and, unlike
    the modification time, cannot be set back by the sender; inode and device change when the
    path is replaced by another file (a re-delivery, a copied or restored inbox).
    """

    size: int
    mtime_ns: int
    ctime_ns: int
    inode: int
    device: int

    @classmethod
    def of(cls, path: Path) -> FileState:
        st = path.stat()
        return cls(st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino, st.st_dev)


@dataclass(frozen=True)
class Fingerprint:
    """A file's sha256, the state it had when it was hashed, and when hashing started."""

    state: FileState
    sha256: str
    hashed_at_ns: int  # wall clock (time.time_ns) when hashing started

    @property
    def settled(self) -> bool:
        """The file was untouched for SETTLE_NS before it was hashed: safe to reuse by state."""
        return max(self.state.mtime_ns, self.state.ctime_ns) < self.hashed_at_ns - SETTLE_NS

    def holds_for(self, state: FileState) -> bool:
        """This sha256 is the file's content now, without reading it."""
        return self.settled and self.state == state


#: Fingerprints hashed in this process, by path: `pending_feeds` and `ingest_feed` both
#: fingerprint every new file, and forked workers inherit what the parent already hashed.
_PROCESS_FINGERPRINTS: dict[str, Fingerprint] = {}


def fingerprint(path: Path, known: Fingerprint | None = None,
                hashed: Callable[[Path], str] | None = None) -> Fingerprint:
    """The file's fingerprint now: `known` (e.g. from an earlier run) or this process's, when it
    still holds for the file's state; otherwise the file is read and hashed (by `hashed`,
    `hash_file` unless given: `ingestion.early_read` parses a file as it hashes it)."""
    state = FileState.of(path)
    for candidate in (known, _PROCESS_FINGERPRINTS.get(str(path))):
        if candidate is not None and candidate.holds_for(state):
            return candidate
    hashed_at = time.time_ns()
    digest = (hashed or hash_file)(path)
    result = Fingerprint(state, digest, hashed_at)
    if FileState.of(path) == state:  # unchanged while it was read: worth remembering
        _PROCESS_FINGERPRINTS[str(path)] = result
    return result


def sha256_of(path: Path) -> str:
    """The file's sha256 now (reused from this process while its state holds)."""
    return fingerprint(path).sha256


def hash_file(path: Path) -> str:
    """The sha256 of the file's bytes, read block by block."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _dates_in_name(path: Path) -> list[dt.date]:
    """Every YYYYMMDD in the file name that is a real date, in order, each once."""
    dates: list[dt.date] = []
    for match in _DATE_IN_NAME.finditer(path.name):
        try:
            day = dt.datetime.strptime(match.group(1), "%Y%m%d").date()
        except ValueError:
            continue
        if day not in dates:
            dates.append(day)
    return dates


def extract_date_of(path: Path) -> dt.date | None:
    """The YYYYMMDD in the file name that is a real date; None when there is none, or several.

    Why not the first of several: `低保_20261101_20261115.csv` may be a period's two ends or an
    extract and a resend, and the date decides which snapshot is the roll and which records a
    build sees; guessing it would be silent. Such a file is rejected with both dates named.
    """
    dates = _dates_in_name(path)
    return dates[0] if len(dates) == 1 else None


def missing_date_reason(path: Path) -> str:
    """Why a file's extract date cannot be read from its name (for the ledger)."""
    dates = _dates_in_name(path)
    if len(dates) > 1:
        listed = ", ".join(f"{day:%Y%m%d}" for day in dates)
        return (f"several dates in the file name {path.name!r} ({listed}): which one is the extract "
                "date is not clear; the name must hold one, e.g. ca_households_20261101.csv")
    candidates = [m.group(1) for m in _DATE_IN_NAME.finditer(path.name)]
    found = f" ({', '.join(candidates)} is not a real date)" if candidates else ""
    return (f"no extract date in the file name {path.name!r}{found}: the name must hold the "
            "extract date as YYYYMMDD, e.g. ca_households_20261101.csv")


def is_control_file(path: Path) -> bool:
    return path.name.lower().endswith(CONTROL_SUFFIX) and not path.is_symlink()


def ignore_reason(inbox: Path, folder: Path, path: Path) -> str | None:
    """Why a path in a feed folder is not read, or None for a data or control file."""
    parts = path.relative_to(folder).parts
    if any(part.startswith(HIDDEN_PREFIXES) for part in parts):
        return "hidden or temporary file name (starts with '.' or '~$'): not read"
    if path.is_symlink():
        try:
            target = path.resolve(strict=True)
        except (OSError, RuntimeError):
            return f"broken symlink (to {path.readlink()}): not read"
        if not target.is_relative_to(inbox):
            return f"symlink to {target}, outside the inbox: not read"
        if target.is_dir():
            return f"symlink to the folder {target}: not read (deliver files, not links to folders)"
    if path.is_file() and not is_control_file(path) and not is_data_file(path):
        return (f"unsupported file type {path.suffix or '(none)'!r}: not read "
                f"(expected {', '.join(FORMATS)} or a {CONTROL_SUFFIX} control file)")
    return None


def stray_inbox_entries(inbox: Path, feed_ids: list[str]) -> list[str]:
    """Why each entry of the inbox's top level that is no feed's folder is not read.

    Why: only `inbox/<feed_id>/` is read. A delivery dropped into a misspelt folder
    (`ca_death/`) or beside the folders would otherwise wait unseen until its feed is
    overdue. Hidden names and `_`-names (the simulator's `_truth/`) are left alone.
    """
    if not inbox.is_dir():
        return []
    reasons = []
    for entry in sorted(inbox.iterdir()):
        if entry.name in feed_ids or entry.name.startswith((*HIDDEN_PREFIXES, "_")):
            continue
        kind = "folder" if entry.is_dir() else "file"
        close = difflib.get_close_matches(entry.name, feed_ids, n=1)
        hint = f" (did you mean {close[0]}/?)" if close else ""
        reasons.append(f"inbox {kind} {entry.name!r} is no feed's folder: nothing in it is read{hint}; "
                       "deliveries go into inbox/<feed_id>/")
    return reasons


def feed_paths(inbox: Path, feed_id: str) -> list[Path]:
    """Every file or symlink under `inbox/<feed_id>/`, sorted by name (folders themselves excluded)."""
    folder = inbox / feed_id
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.rglob("*") if p.is_symlink() or p.is_file())


def feed_files(inbox: Path, feed_id: str) -> list[Path]:
    """The data files of a feed (not ignored, not control files), sorted by name."""
    inbox = inbox.resolve()
    folder = inbox / feed_id
    return [p for p in feed_paths(inbox, feed_id)
            if ignore_reason(inbox, folder, p) is None and not is_control_file(p)]


def describe(inbox: Path, feed_id: str, path: Path, known: Fingerprint | None = None,
             hashed: Callable[[Path], str] | None = None) -> Delivery:
    """A path of the feed folder as a delivery (ignored ones are never opened).

    `known`: the path's fingerprint from an earlier run (ingestion.fingerprints), used instead
    of reading the file when the file's state is unchanged. `hashed`: as for `fingerprint`.
    """
    reason = ignore_reason(inbox, inbox / feed_id, path)
    relative = path.relative_to(inbox).as_posix()
    if reason is not None:
        return Delivery(feed_id, path, relative, None, None, extract_date_of(path), reason)
    found = fingerprint(path, known, hashed)
    return Delivery(
        feed_id=feed_id,
        path=path,
        relative=relative,
        sha256=found.sha256,
        size_bytes=found.state.size,
        extract_date=extract_date_of(path),
        fingerprint=found,
    )


def is_data_file(path: Path) -> bool:
    return path.suffix.lower() in FORMATS and not path.name.lower().endswith(CONTROL_SUFFIX)
