"""`aidwatch accept BATCH_ID --reason "..."`: release a held delivery into the raw zone."""

from __future__ import annotations

import argparse

from aidwatch.commands.reject import add_decision_arguments, decide


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "accept",
        help="release a held delivery (ledger status held) into the raw zone, with who and why",
        description=(
            "A snapshot delivery whose count of keys moved beyond its contract's bounds is held: "
            "kept out of the raw zone and staging until a person decides. `accept` records the "
            "decision (user, reason, time) in the batch's ledger entry, sets its status to "
            "`accepted` and moves its rows into HOME/raw/, so the next build stages them. "
            "Held batches are listed by `aidwatch ingest` and in the health report.\n\n"
            "Exit status: 0 when accepted; 2 when the batch is unknown or not held."
        ),
    )
    add_decision_arguments(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ingestion.decisions import accept_batch

    return decide(args, accept_batch, "accepted")
