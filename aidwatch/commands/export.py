"""`aidwatch export`: write officials' warning lists and the league report from the published warehouse."""

from __future__ import annotations

import argparse
import logging
from datetime import date
from pathlib import Path

from aidwatch.home import Home

log = logging.getLogger(__name__)


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "export",
        help="write the warning lists per banner and township (.xlsx, masked) and the league report",
        description=(
            "Reads the published warehouse read-only and writes one workbook per banner, per "
            "township and for the league, an HTML league report and a manifest into "
            "HOME/exports/<as_of>/ (or --out); every export is logged in HOME/audit/exports.jsonl."
        ),
    )
    parser.add_argument(
        "--as-of", type=date.fromisoformat, default=None,
        help="the date of the warnings (default: the as_of the published warehouse was built for)",
    )
    parser.add_argument("--home", default=None, help="aidwatch HOME (default $AIDWATCH_HOME, else ./data)")
    parser.add_argument("--out", type=Path, default=None, help="output folder (default HOME/exports/<as_of>)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from exports.officials import ExportAsOfMismatch, export_warning_lists
    from exports.published import WarehouseMissing

    home = Home.resolve(args.home)
    try:
        result = export_warning_lists(home, args.as_of, args.out)
    except (WarehouseMissing, ExportAsOfMismatch) as error:
        log.error("%s", error)
        return 1
    total = result.rows_by_area.get(next(iter(result.rows_by_area), ""), 0)
    print(f"{result.as_of}: {total} warnings, {len(result.workbooks)} workbooks, report {result.report}")
    print(f"written to {result.out_dir}; logged in {home.audit_log}")
    return 0
