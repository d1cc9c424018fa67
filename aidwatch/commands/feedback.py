"""`aidwatch feedback import FILE.xlsx --user U`: bring a filled warning list back (offline path).

A township without network access fills the feedback columns of its workbook; this
stores every answered row with the same validation and scope as the workspace form,
all rows or none (spec workspace.md). The next build delivers them to the warehouse.
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from aidwatch.home import Home

log = logging.getLogger(__name__)

EXIT_REFUSED = 1


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "feedback",
        help="officials' feedback on warnings: import a filled workbook",
        description="Officials' verification and handling of warnings (核查/处置反馈).",
    )
    actions = parser.add_subparsers(dest="feedback_command", metavar="ACTION", required=True)
    importing = actions.add_parser(
        "import",
        help="import the feedback columns of a filled township/banner workbook (all rows or none)",
        description=(
            "Reads the columns 预警编号, 核查结果, 处置措施, 说明, 核查日期, 处置日期 of every sheet, "
            "checks every filled row like the workspace form (codes, dates, note, the user's area) "
            f"and stores them in one transaction, audited. Any bad row refuses the whole workbook "
            f"(exit {EXIT_REFUSED}) listing each row number and reason."
        ),
    )
    importing.add_argument("file", type=Path, help="the filled workbook (.xlsx)")
    importing.add_argument("--user", required=True, help="login of the official the feedback is from")
    importing.add_argument("--home", default=None, help="aidwatch HOME (default $AIDWATCH_HOME, else ./data)")
    importing.add_argument(
        "--ops-db", default=None,
        help="operational database URL (default $AIDWATCH_OPS_DB, else HOME/workspace.sqlite)",
    )
    importing.set_defaults(func=run_import)


def run_import(args: argparse.Namespace) -> int:
    from aidwatch.feedback.workbook_import import ImportRefused, import_workbook
    from aidwatch.workspace.ops import OpsNotMigrated, open_ops_engine
    from exports.audit import AuditUnavailable

    home = Home.resolve(args.home)
    if args.file.suffix.lower() != ".xlsx" or not args.file.is_file():
        print(f"aidwatch feedback import: {args.file} is not an .xlsx file", file=sys.stderr)
        return EXIT_REFUSED
    try:
        engine = open_ops_engine(home, args.ops_db)
    except OpsNotMigrated as error:
        print(f"aidwatch feedback import: {error}", file=sys.stderr)
        return EXIT_REFUSED
    try:
        result = import_workbook(args.file, home, engine, args.user)
    except ImportRefused as refused:
        print(str(refused), file=sys.stderr)
        return EXIT_REFUSED
    except AuditUnavailable as error:  # no audit line, no import: nothing was stored
        print(f"aidwatch feedback import: nothing imported: {error}", file=sys.stderr)
        return EXIT_REFUSED
    finally:
        engine.dispose()
    print(f"imported {result.rows} feedback rows from {result.path} (sha256 {result.sha256[:12]}); "
          "they reach the warehouse with the next build")
    return 0
