"""The `aidwatch` command line: one subcommand per module in `aidwatch.commands`.

Why discovery instead of a list: each step of the pipeline (simulate, ingest,
build, export, ...) owns its subcommand module; adding one needs no edit here.
A command module defines `register(subparsers)` and sets `func` on its parser;
`func(args) -> int` returns the exit status.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import pkgutil
import sys

from aidwatch import commands

DESCRIPTION = """\
aidwatch: the social-assistance data warehouse and early-warning pipeline of
Alxa League (阿拉善盟).

Departmental feeds land in an inbox; `ingest` checks every file against its
contract and lands it as Parquet; `build` makes the DuckDB warehouse (resource
library, indicators, warnings) and publishes it only when every test passes;
`export` writes the warning lists officials receive. `run` does all three;
`demo` first simulates the whole league and then runs everything.

Data lives under HOME (--home, else $AIDWATCH_HOME, else ./data).
"""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="aidwatch",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug detail")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for module_info in sorted(pkgutil.iter_modules(commands.__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{commands.__name__}.{module_info.name}")
        module.register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    return int(args.func(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
