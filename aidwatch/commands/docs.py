"""`aidwatch docs`: generate the dbt documentation site of the warehouse into HOME."""

from __future__ import annotations

import argparse
import logging
from datetime import date

from aidwatch.home import Home

log = logging.getLogger(__name__)


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "docs",
        help="generate the dbt docs (models, columns, tests, lineage) into HOME/dbt/docs",
        description=(
            "Runs `dbt docs generate` against a copy of the published warehouse (never the "
            "published file itself) and prints the path of the generated index.html."
        ),
    )
    parser.add_argument("--home", default=None, help="aidwatch HOME (default $AIDWATCH_HOME, else ./data)")
    parser.add_argument(
        "--as-of", type=date.fromisoformat, default=None,
        help="as_of for compiling the models (default: the published build's, else today)",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from warehouse.docs import DocsFailed, generate_docs

    home = Home.resolve(args.home)
    try:
        index = generate_docs(home, args.as_of)
    except DocsFailed as error:
        log.error("%s", error)
        return 1
    print(f"dbt docs written: {index}")
    print(f"serve them with: .venv/bin/python -m http.server --directory {index.parent}")
    return 0
