"""The append-only audit log of every write of personal data, and the write that fails closed.

Why: personal data leaves the warehouse in exports (and enters aidwatch through the
workspace and feedback imports); PIPL art. 51 asks for a record of that processing.
A record that may be missing is no record, so a writer of personal data goes
through `audited_write`:

1. it appends an *intent* line (what, where, by whom) to `HOME/audit/exports.jsonl`;
   if that fails, nothing is written and `AuditUnavailable` says why;
2. the caller writes into a fresh temporary folder beside the target (0700);
3. the *completed* line (the caller's record plus every file with its sha256) is
   appended and flushed to disk; if that fails, the temporary folder is removed;
4. only then is the folder renamed into place (replacing an earlier one whole).

So files are never in place without a complete audit line; a crash after step 3
leaves a line naming files that never arrived, never the other way round. Lines are
only ever appended (one write per line, fsync), never rewritten. A log whose mode
grants its owner no write permission counts as sealed (an operator archiving it or
freezing it for an inspection): writers then fail closed, even when run as root.
"""

from __future__ import annotations

import contextlib
import getpass
import hashlib
import json
import logging
import os
import shutil
import stat
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from aidwatch.home import Home
from aidwatch.permissions import PRIVATE_DIR, PRIVATE_FILE, open_parents_to_group, open_to_group

log = logging.getLogger(__name__)

INTENT = "intent"
COMPLETED = "completed"
ABORTED = "aborted"


class AuditUnavailable(RuntimeError):
    """The audit log cannot be written: the write of personal data did not happen."""


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def append_audit_record(home: Home, record: dict) -> Path:
    """Append one record as a JSON line, flushed to disk before returning.

    Raises AuditUnavailable (naming the log and the reason) when the line cannot be
    written completely, including when the log has been made read-only.
    """
    path = home.audit_log
    line = (json.dumps(record, ensure_ascii=False, sort_keys=True, default=str) + "\n").encode("utf-8")
    try:
        path.parent.mkdir(mode=PRIVATE_DIR, parents=True, exist_ok=True)
        if path.exists() and not path.lstat().st_mode & stat.S_IWUSR:
            mode = stat.S_IMODE(path.lstat().st_mode)
            raise AuditUnavailable(
                f"the audit log {path} is read-only (mode {mode:04o}); nothing was written")
        descriptor = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, PRIVATE_FILE)
        try:
            written = os.write(descriptor, line)
            os.fsync(descriptor)
        finally:
            os.close(descriptor)
    except OSError as error:
        raise AuditUnavailable(f"cannot write the audit log {path}: {error.strerror or error}") from error
    if written != len(line):
        raise AuditUnavailable(f"the audit log {path} took {written} of {len(line)} bytes of a record")
    return path


def read_audit_lines(home: Home) -> list[dict]:
    """Every line of the log, oldest first: intents, completions and aborts."""
    path = home.audit_log
    if not path.exists():
        return []
    with path.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def read_audit_records(home: Home) -> list[dict]:
    """The completed writes, oldest first (empty when nothing was written yet)."""
    return [line for line in read_audit_lines(home) if line.get("event", COMPLETED) == COMPLETED]


@dataclass
class AuditedWrite:
    """One write in progress: the caller writes into `folder` and adds to `record`."""

    write_id: str
    action: str
    target: Path
    folder: Path
    record: dict = field(default_factory=dict)
    completed: dict = field(default_factory=dict)  # the completed line, once written

    @property
    def files(self) -> list[Path]:
        return sorted(path for path in self.folder.rglob("*") if path.is_file())


def now_utc() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def line_for(write: AuditedWrite, event: str, **extra: object) -> dict:
    return {"event": event, "write_id": write.write_id, "action": write.action,
            "target": str(write.target), "user": getpass.getuser(), "at": now_utc(), **extra}


def replace_folder(source: Path, target: Path, write_id: str) -> None:
    """Put `source` at `target` by renames; an earlier `target` is set aside, then deleted."""
    if not target.exists():
        os.rename(source, target)
        return
    aside = target.with_name(f".{target.name}.{write_id}.old")
    os.rename(target, aside)
    os.rename(source, target)
    shutil.rmtree(aside, ignore_errors=True)


@contextlib.contextmanager
def audited_write(
    home: Home, action: str, target: Path, details: dict | None = None, group_readable: bool = False
) -> Iterator[AuditedWrite]:
    """Write a folder of personal data so that it exists only with a complete audit line.

    `target` is the folder the files end up in (replaced whole if it exists);
    `details` go into both lines; the caller adds its own facts to `write.record`
    for the completed line. `group_readable` gives the result the group modes of
    `aidwatch.permissions` (exports), else it stays private. Raises AuditUnavailable
    when the log cannot be written, with nothing left behind.
    """
    target = Path(target).absolute()
    if target.exists() and not target.is_dir():
        raise FileExistsError(f"{target} exists and is not a folder")
    write_id = uuid.uuid4().hex
    write = AuditedWrite(write_id, action, target, target.with_name(f".{target.name}.{write_id}.tmp"))
    details = dict(details or {})
    append_audit_record(home, line_for(write, INTENT, **details))
    target.parent.mkdir(parents=True, exist_ok=True)
    write.folder.mkdir(mode=PRIVATE_DIR)
    try:
        yield write
        files = [
            {"file": path.relative_to(write.folder).as_posix(), "sha256": sha256_of(path),
             "bytes": path.stat().st_size}
            for path in write.files
        ]
        completed = line_for(write, COMPLETED, **details, **write.record, files=files)
        append_audit_record(home, completed)
        write.completed = completed
    except BaseException as error:
        shutil.rmtree(write.folder, ignore_errors=True)
        if not isinstance(error, AuditUnavailable):
            with contextlib.suppress(AuditUnavailable):
                append_audit_record(home, line_for(write, ABORTED, reason=repr(error)))
        raise
    if group_readable:
        open_to_group(write.folder)
        open_parents_to_group(home, write.folder)
    replace_folder(write.folder, target, write.write_id)
    log.info("%s: %d files in %s (audit %s)", action, len(files), target, write.write_id)
