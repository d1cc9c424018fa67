"""`aidwatch export`: write officials' warning lists and the league report from the published warehouse."""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

from aidwatch.arguments import add_home_argument, iso_date, usable_home

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
        "--as-of", type=iso_date, default=None,
        help="the date of the warnings, YYYY-MM-DD (default: the published warehouse's as_of)",
    )
    add_home_argument(parser)
    parser.add_argument("--out", type=Path, default=None, help="output folder (default HOME/exports/<as_of>)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from exports.audit import AuditUnavailable
    from exports.officials import ExportAsOfMismatch, ExportTargetNotEmpty, export_warning_lists
    from exports.published import WarehouseMissing

    home = usable_home(args.home)
    try:
        result = export_warning_lists(home, args.as_of, args.out)
    except (WarehouseMissing, ExportAsOfMismatch, ExportTargetNotEmpty) as error:
        log.error("%s", error)
        return 1
    except AuditUnavailable as error:
        log.error("export refused, no file written: %s", error)
        return 1
    total = result.rows_by_area.get(next(iter(result.rows_by_area), ""), 0)
    print(f"{result.as_of}: {total} warnings, {len(result.workbooks)} workbooks, report {result.report}")
    print(f"written to {result.out_dir}; logged in {home.audit_log}")
    return 0
