"""`aidwatch restore --from DIR`: put a backup snapshot back into an empty HOME."""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

from aidwatch.home import Home

log = logging.getLogger(__name__)


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "restore",
        help="restore a backup snapshot into an empty HOME (then `aidwatch build` rebuilds the rest)",
        description=(
            "Checks every file of the snapshot against its manifest (size and sha256) before writing "
            "anything, then restores the raw zone, quarantine, ledger, reports, audit, the published "
            "warehouse and the operational database. Refuses a HOME that already holds data. Exports and "
            "the analyst file are not restored: the next build and export write them again."
        ),
    )
    parser.add_argument("--from", dest="source", type=Path, required=True, help="backup folder")
    parser.add_argument("--snapshot", default=None, help="snapshot name (default: the newest)")
    parser.add_argument("--home", default=None, help="aidwatch HOME (default $AIDWATCH_HOME, else ./data)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from aidwatch.backup import BackupError, restore

    home = Home.resolve(args.home)
    try:
        snapshot = restore(args.source, home, args.snapshot)
    except BackupError as error:
        log.error("restore failed: %s", error)
        return 1
    print(f"restored {snapshot} into {home.root}; "
          f"run `aidwatch build --home {home.root}` to rebuild the derived files")
    return 0
