"""`aidwatch build`: build the warehouse for a date and publish it only if every test passes."""

from __future__ import annotations

import argparse
import logging
from datetime import date

from aidwatch.home import Home

log = logging.getLogger(__name__)


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "build",
        help="dbt build the warehouse into a copy and publish it when every test passes",
        description=(
            "Copies HOME/warehouse.duckdb to warehouse.next.duckdb, runs `dbt build` there for "
            "--as-of, and only when every model and test passed renames it over the published "
            "file (the old one is kept as warehouse.previous.duckdb). On failure the published "
            "warehouse is untouched and the failing model/test is named."
        ),
    )
    parser.add_argument(
        "--as-of", type=date.fromisoformat, default=None,
        help="the date to build for (ISO; default: today)",
    )
    parser.add_argument("--home", default=None, help="aidwatch HOME (default $AIDWATCH_HOME, else ./data)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from warehouse.build import BuildFailed, build

    home = Home.resolve(args.home)
    as_of = args.as_of or date.today()
    try:
        result = build(home, as_of)
    except BuildFailed as error:
        log.error("%s", error)
        return 1
    print(
        f"published {result.warehouse} for as_of {as_of} in {result.seconds_total:.1f}s "
        f"(dbt start-up {result.seconds_dbt_startup:.1f}s, nodes {result.seconds_dbt_nodes:.1f}s; "
        + ", ".join(f"{n} {kind}s" for kind, n in sorted(result.node_counts.items()))
        + ")"
    )
    return 0
