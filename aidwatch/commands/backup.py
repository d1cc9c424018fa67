"""`aidwatch backup --to DIR`: one consistent, incremental snapshot of what cannot be rebuilt."""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

from aidwatch.home import Home

log = logging.getLogger(__name__)


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "backup",
        help="back up the raw zone, ledger, reports, audit, published warehouse and operational database",
        description=(
            "Writes a snapshot into DIR/snapshots/<UTC time>/ with a manifest of every file and its sha256. "
            "The append-only raw zone and quarantine are copied once into DIR/raw and DIR/quarantine and "
            "shared by later snapshots. Safe while an ingest or a build runs. The pseudonym key is not "
            "backed up: keep it with the other secrets. See docs/deploy.md for a schedule."
        ),
    )
    parser.add_argument("--to", type=Path, required=True, help="backup folder (outside HOME)")
    parser.add_argument("--home", default=None, help="aidwatch HOME (default $AIDWATCH_HOME, else ./data)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from aidwatch.backup import BackupError, backup

    home = Home.resolve(args.home)
    try:
        result = backup(home, args.to)
    except BackupError as error:
        log.error("backup failed: %s", error)
        return 1
    print(
        f"backup {result.snapshot}: {result.files} files ({', '.join(result.parts)}); "
        f"{result.raw_files_new} raw/quarantine files new, {result.raw_files_kept} already backed up; "
        f"{result.bytes_copied / 1e6:.1f} MB copied"
    )
    return 0
