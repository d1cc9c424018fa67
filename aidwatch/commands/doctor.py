"""`aidwatch doctor`: report anything in HOME whose permissions are looser than the policy.

Why a command: HOME holds sensitive personal data; a file copied in by hand, a
restored backup or a process started with another umask can open it to other
users. The policy is in `aidwatch.permissions` and docs/design.md.
"""

from __future__ import annotations

import argparse
import logging

from aidwatch.home import Home

log = logging.getLogger(__name__)


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "doctor",
        help="check HOME's permissions: exit 1 and list every path looser than the policy",
        description=(
            "Walks HOME and lists every folder or file whose mode grants more than the policy: "
            "HOME 0750, analyst.duckdb 0640, exports/ 0750 folders and 0640 files, everything "
            "else 0700 folders and 0600 files. Exit status 0 when nothing is looser, 1 otherwise."
        ),
    )
    parser.add_argument("--home", default=None, help="aidwatch HOME (default $AIDWATCH_HOME, else ./data)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from aidwatch.permissions import loose_modes

    home = Home.resolve(args.home)
    if not home.root.is_dir():
        log.error("HOME %s does not exist", home.root)
        return 1
    loose = loose_modes(home)
    for found in loose:
        print(f"too open: {found}")
    if loose:
        print(f"{len(loose)} path(s) in {home.root} looser than the policy (docs/design.md, Permissions)")
        return 1
    print(f"{home.root}: every mode within the policy")
    return 0
