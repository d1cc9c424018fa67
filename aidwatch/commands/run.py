"""`aidwatch run`: ingest an inbox, build and publish the warehouse, export the warning lists."""

from __future__ import annotations

import argparse
import logging
from datetime import date
from pathlib import Path

from aidwatch.home import Home

log = logging.getLogger(__name__)


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "run",
        help="ingest --inbox, build and publish the warehouse, then export the warning lists",
        description=(
            "The whole pipeline once: ingest every pending delivery of --inbox into HOME's raw "
            "zone, build the warehouse for --as-of and publish it when every test passes, then "
            "write the officials' warning lists. Stops at the first step that fails."
        ),
    )
    parser.add_argument("--inbox", type=Path, required=True, help="folder with <feed_id>/ deliveries")
    parser.add_argument(
        "--as-of", type=date.fromisoformat, default=None, help="the date to build for (default: today)"
    )
    parser.add_argument("--home", default=None, help="aidwatch HOME (default $AIDWATCH_HOME, else ./data)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from warehouse.pipeline import PipelineFailed, run_pipeline

    home = Home.resolve(args.home)
    try:
        summary = run_pipeline(home, args.inbox, args.as_of or date.today())
    except PipelineFailed as error:
        log.error("%s", error)
        return 1
    print(summary.describe())
    return 0
