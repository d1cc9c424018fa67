"""Back up and restore a HOME: what cannot be rebuilt from anything else.

Why these parts and no others: the raw zone and quarantine are the only record of what
each department sent and when; the ledger says which batch is which (and which were
held, accepted or rejected, by whom); the warning history (inside the published
warehouse) and the operational database (users, audit, officials' feedback) exist
nowhere else. Exports, the analyst file, replays and dbt's work folder are derived
from these and are rebuilt, not backed up. The pseudonym key is a secret and is
backed up with the other secrets, never beside the data it protects.

Layout of a backup folder:

    DIR/raw/<feed>/<batch>.parquet         append-only, copied once (incremental)
    DIR/quarantine/<feed>/<batch>.parquet  likewise
    DIR/held/<feed>/<batch>.parquet        likewise (held for a person's decision)
    DIR/snapshots/<UTC stamp>/             one per backup, complete by itself:
        ledger/ reports/ audit/ records/   copied whole (small, may change)
        warehouse.duckdb                   the published warehouse
        ops.sqlite | ops.pgdump            the operational database
        manifest.json                      every file of the snapshot (raw included)
                                           with size and sha256; written last

Why it is consistent while a build or an ingest runs: the ledger is read first and a
batch's Parquet is renamed into place before its ledger entry is written, so every
batch the snapshot's ledger names is complete on disk; Parquet files newer than that
ledger are simply not part of this snapshot. The published warehouse is only ever
replaced by a rename, so copying from one open file handle yields one whole build.
SQLite is copied with its online backup API; PostgreSQL with pg_dump.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import sqlite3
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from aidwatch.home import Home
from aidwatch.workspace.ops.store import OPS_DB_ENV

log = logging.getLogger(__name__)

#: Zones written once per file name (held files may later move to raw), so a backup copies each once.
APPEND_ONLY_ZONES = ("raw", "quarantine", "held")
#: Small folders whose files may change (accept/reject rewrites a ledger entry): copied whole.
MUTABLE_FOLDERS = ("ledger", "reports", "audit", "records")
MANIFEST = "manifest.json"


class BackupError(RuntimeError):
    """A backup or restore cannot go on; the message names the path and why."""


@dataclass
class BackupResult:
    snapshot: Path
    files: int = 0
    bytes_copied: int = 0
    raw_files_new: int = 0
    raw_files_kept: int = 0
    parts: list[str] = field(default_factory=list)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _private_mkdir(path: Path) -> None:
    path.mkdir(parents=True, exist_ok=True, mode=0o700)


def _copy_file(source: Path, target: Path) -> int:
    """Copy through one open handle (a concurrent rename of `source` cannot split the copy)."""
    _private_mkdir(target.parent)
    partial = target.with_name(target.name + ".partial")
    with open(source, "rb") as src, open(partial, "wb") as dst:
        shutil.copyfileobj(src, dst, 1 << 20)
        dst.flush()
        os.fsync(dst.fileno())
    os.chmod(partial, 0o600)
    os.replace(partial, target)
    return target.stat().st_size


def _files_under(folder: Path) -> Iterator[Path]:
    if folder.is_dir():
        for path in sorted(folder.rglob("*")):
            if path.is_file() and not path.is_symlink() and not path.name.endswith((".tmp", ".partial")):
                yield path


def _ledger_batches(ledger_folder: Path) -> set[str]:
    """Batch ids of every ledger entry (the snapshot holds these batches' Parquet and no others)."""
    batches: set[str] = set()
    for path in _files_under(ledger_folder):
        if path.suffix == ".json":
            try:
                batches.add(json.loads(path.read_text(encoding="utf-8"))["batch_id"])
            except (ValueError, KeyError) as error:
                raise BackupError(f"ledger entry {path} cannot be read: {error}") from error
    return batches


def ops_location(home: Home) -> str | Path:
    """Where the workspace keeps its operational database (the workspace's own `ops_url`):
    the SQLite file, or a PostgreSQL URL in libpq's form for pg_dump/pg_restore (SQLAlchemy's
    `postgresql+psycopg2://` driver suffix removed)."""
    from aidwatch.workspace.ops.store import is_sqlite, ops_url

    url = ops_url(home)
    if is_sqlite(url):
        return Path(url.split("///", 1)[1])
    scheme, rest = url.split("://", 1)
    return f"{scheme.split('+', 1)[0]}://{rest}"


def ops_database(home: Home) -> str | Path | None:
    """The operational database to back up, or None when the SQLite file does not exist yet."""
    location = ops_location(home)
    return None if isinstance(location, Path) and not location.exists() else location


def _backup_ops(home: Home, snapshot: Path) -> str | None:
    database = ops_database(home)
    if database is None:
        return None
    if isinstance(database, Path):
        target = snapshot / "ops.sqlite"
        source = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
        copy = sqlite3.connect(target)
        try:
            source.backup(copy)
        finally:
            copy.close()
            source.close()
        os.chmod(target, 0o600)
        return "ops.sqlite"
    target = snapshot / "ops.pgdump"
    try:
        subprocess.run(
            ["pg_dump", "--format=custom", "--no-owner", f"--file={target}", database],
            check=True, capture_output=True, text=True,
        )
    except FileNotFoundError as error:
        raise BackupError(
            "pg_dump is not installed; it is needed to back up the PostgreSQL ops database"
        ) from error
    except subprocess.CalledProcessError as error:
        raise BackupError(f"pg_dump of the ops database failed: {error.stderr.strip()}") from error
    os.chmod(target, 0o600)
    return "ops.pgdump"


def backup(home: Home, to: Path) -> BackupResult:
    """Write one snapshot of `home` into the backup folder `to` (see the module docstring)."""
    if not home.root.is_dir():
        raise BackupError(f"HOME {home.root} does not exist")
    to = Path(to).resolve()
    if to == home.root or home.root in to.parents:
        raise BackupError(f"backup folder {to} is inside HOME {home.root}; choose a folder outside it")
    try:
        _private_mkdir(to)
    except OSError as error:
        raise BackupError(f"backup folder {to} cannot be created: {error}") from error
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    staging = to / "snapshots" / f".{stamp}.partial"
    snapshot = to / "snapshots" / stamp
    result = BackupResult(snapshot=snapshot)
    manifest: dict[str, dict] = {}

    # 1. The mutable folders, ledger first: it fixes which batches this snapshot holds.
    for folder in MUTABLE_FOLDERS:
        for path in _files_under(home.root / folder):
            relative = path.relative_to(home.root).as_posix()
            result.bytes_copied += _copy_file(path, staging / relative)
            manifest[relative] = {"size": path.stat().st_size, "sha256": _sha256(staging / relative)}
        if (home.root / folder).is_dir():
            result.parts.append(folder)
    batches = _ledger_batches(staging / "ledger")

    # 2. Append-only zones: only the batches of that ledger; each file copied once across backups.
    for zone in APPEND_ONLY_ZONES:
        for path in _files_under(home.root / zone):
            if path.stem not in batches:
                continue
            relative = path.relative_to(home.root).as_posix()
            target = to / relative
            if target.exists() and target.stat().st_size == path.stat().st_size:
                result.raw_files_kept += 1
            else:
                result.bytes_copied += _copy_file(path, target)
                result.raw_files_new += 1
            manifest[relative] = {"size": target.stat().st_size, "sha256": _sha256(target), "shared": True}
        result.parts.append(zone)

    # 3. The published warehouse (carries the warning history) and the operational database.
    if home.warehouse.exists():
        result.bytes_copied += _copy_file(home.warehouse, staging / home.warehouse.name)
        manifest[home.warehouse.name] = {
            "size": (staging / home.warehouse.name).stat().st_size,
            "sha256": _sha256(staging / home.warehouse.name),
        }
        result.parts.append("warehouse")
    ops_part = _backup_ops(home, staging)
    if ops_part:
        ops_file = staging / ops_part
        manifest[ops_part] = {"size": ops_file.stat().st_size, "sha256": _sha256(ops_file)}
        result.parts.append(ops_part)

    # 4. The manifest last, then the rename: a snapshot without a manifest is never used.
    _write_json(staging / MANIFEST, {"home": str(home.root), "taken_at": stamp, "files": manifest})
    os.replace(staging, snapshot)
    result.files = len(manifest)
    log.info("backup %s: %d files, %d bytes copied (%d raw files new, %d already there)",
             snapshot, result.files, result.bytes_copied, result.raw_files_new, result.raw_files_kept)
    return result


def _write_json(path: Path, content: dict) -> None:
    _private_mkdir(path.parent)
    path.write_text(json.dumps(content, indent=1, sort_keys=True), encoding="utf-8")
    os.chmod(path, 0o600)


def latest_snapshot(backup_folder: Path) -> Path:
    snapshots = sorted(
        p for p in (Path(backup_folder) / "snapshots").glob("*") if p.is_dir() and not p.name.startswith(".")
    )
    if not snapshots:
        raise BackupError(
            f"{backup_folder} holds no complete backup snapshot (snapshots/<stamp>/manifest.json)"
        )
    return snapshots[-1]


def _restore_ops(snapshot: Path, home: Home) -> str | None:
    target = ops_location(home)
    if (snapshot / "ops.sqlite").exists():
        if not isinstance(target, Path):
            raise BackupError(f"the backup holds a SQLite ops database but {OPS_DB_ENV} names PostgreSQL")
        _copy_file(snapshot / "ops.sqlite", target)
        return "ops.sqlite"
    if (snapshot / "ops.pgdump").exists():
        if isinstance(target, Path):
            raise BackupError(
                f"the backup holds a PostgreSQL dump: set {OPS_DB_ENV} to the database to restore into"
            )
        url = target
        try:
            subprocess.run(
                ["pg_restore", "--clean", "--if-exists", "--no-owner", f"--dbname={url}",
                 str(snapshot / "ops.pgdump")],
                check=True, capture_output=True, text=True,
            )
        except (FileNotFoundError, subprocess.CalledProcessError) as error:
            detail = getattr(error, "stderr", None) or str(error)
            raise BackupError(f"pg_restore of the ops database failed: {detail.strip()}") from error
        return "ops.pgdump"
    return None


def restore(backup_folder: Path, home: Home, snapshot_name: str | None = None) -> Path:
    """Restore one snapshot into an empty HOME, checking every file against the manifest first."""
    backup_folder = Path(backup_folder).resolve()
    if snapshot_name:
        snapshot = backup_folder / "snapshots" / snapshot_name
    else:
        snapshot = latest_snapshot(backup_folder)
    manifest_path = snapshot / MANIFEST
    if not manifest_path.exists():
        raise BackupError(f"{snapshot} is not a complete backup snapshot: {MANIFEST} is missing")
    if home.root.exists() and any(
        (home.root / name).exists() for name in (*APPEND_ONLY_ZONES, *MUTABLE_FOLDERS, home.warehouse.name)
    ):
        raise BackupError(f"HOME {home.root} already holds data; restore only into an empty or new HOME")
    files: dict[str, dict] = json.loads(manifest_path.read_text(encoding="utf-8"))["files"]

    def source_of(relative: str, entry: dict) -> Path:
        return backup_folder / relative if entry.get("shared") else snapshot / relative

    for relative, entry in files.items():  # verify everything before writing anything
        source = source_of(relative, entry)
        if not source.exists():
            raise BackupError(f"backup file {source} is missing")
        if source.stat().st_size != entry["size"] or _sha256(source) != entry["sha256"]:
            raise BackupError(f"backup file {source} does not match its manifest (damaged or altered)")

    _private_mkdir(home.root)
    os.chmod(home.root, 0o700)
    for relative, entry in files.items():
        if relative.startswith("ops."):
            continue
        _copy_file(source_of(relative, entry), home.root / relative)
    _restore_ops(snapshot, home)
    log.info("restored %s into %s (%d files)", snapshot, home.root, len(files))
    return snapshot
