"""`aidwatch reject BATCH_ID --reason "..."`: refuse a held delivery for good."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable

from aidwatch.arguments import reason_text, usable_home


def add_decision_arguments(parser: argparse.ArgumentParser) -> None:
    """The arguments `accept` and `reject` share."""
    parser.add_argument("batch_id", metavar="BATCH_ID", help="the held batch (see `aidwatch ingest` "
                        "or HOME/reports/health/<as_of>.json)")
    parser.add_argument("--reason", required=True, type=reason_text,
                        help="why (recorded in the ledger; required, not blank)")
    parser.add_argument("--user", default=None, help="who decides (default: the OS user)")
    parser.add_argument("--home", default=None, help="aidwatch HOME (default $AIDWATCH_HOME, else ./data)")


def decide(args: argparse.Namespace, action: Callable[..., dict], done: str) -> int:
    """Run accept or reject; a clear message (no traceback) when the batch cannot be decided."""
    from ingestion.decisions import DecisionError

    home = usable_home(args.home)
    try:
        entry = action(home, args.batch_id, args.reason, args.user)
    except DecisionError as error:
        print(f"aidwatch {args.command}: error: {error}", file=sys.stderr)
        return 2
    decision = entry["decision"]
    rows = entry["rows_loaded"] if done == "accepted" else entry["rows_held"]
    print(f"{entry['batch_id']} ({entry['file']}): {done} by {decision['user']} at {decision['at']}: "
          f"{decision['reason']} ({rows} rows)")
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "reject",
        help="refuse a held delivery for good (it never reaches the raw zone), with who and why",
        description=(
            "Refuses a held delivery: records the decision (user, reason, time) in its ledger "
            "entry and sets its status to `rejected`. Its rows stay in HOME/held/ for the record "
            "and never reach the raw zone or staging.\n\n"
            "Exit status: 0 when rejected; 2 when the batch is unknown or not held."
        ),
    )
    add_decision_arguments(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ingestion.decisions import reject_batch

    return decide(args, reject_batch, "rejected")
