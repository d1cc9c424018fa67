"""The `aidwatch` command line: one subcommand per module in `aidwatch.commands`.

Why discovery instead of a list: each step of the pipeline (simulate, ingest,
build, export, ...) owns its subcommand module; adding one needs no edit here.
A command module defines `register(subparsers)` and sets `func` on its parser;
`func(args) -> int` returns the exit status.
"""

from __future__ import annotations

import argparse
import gc
import importlib
import logging
import os
import pkgutil
import sys

from aidwatch import commands
from aidwatch.arguments import UsageError
from aidwatch.permissions import use_private_umask

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
    # what a command writes into HOME is private (aidwatch/permissions.py)
    previous_umask = use_private_umask()
    try:
        return int(args.func(args) or 0)
    except UsageError as error:
        return refuse(args, str(error))
    except OSError as error:  # an unusable path met at run time: say which, without a traceback
        if args.verbose:
            logging.getLogger(__name__).exception("%s", error)
        return refuse(args, f"{error.strerror or error}: {error.filename or ''}".rstrip(": "))
    finally:
        os.umask(previous_umask)  # for callers in the same process (tests)


def refuse(args: argparse.Namespace, message: str) -> int:
    """Print why the command cannot go on as one line naming the command; exit status 1."""
    print(f"aidwatch {args.command}: error: {message}", file=sys.stderr)
    return 1


def console_main() -> int:
    """The `aidwatch` console script: `main`, then leave the interpreter's teardown little to collect.

    Why: a command that imported GX, pandas and Arrow holds ~190,000 objects the cyclic
    collector tracks, and Python runs that collector again while it tears the modules down at
    exit: 0.55-0.65 s between `main` returning and the process ending (`aidwatch ingest` of
    one file), 0.06-0.09 s once they are frozen out of its reach (`gc.freeze`). Everything
    else of an orderly exit still happens: atexit handlers (logging's flush, multiprocessing's
    clean-up), and every file and database is closed by the command before it returns. Not
    in `main`, which tests call in-process: a frozen object is never collected again.
    """
    status = main()
    gc.freeze()
    return status


if __name__ == "__main__":
    sys.exit(console_main())
