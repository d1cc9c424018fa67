"""`aidwatch run`: ingest an inbox, build and publish the warehouse, export the warning lists."""

from __future__ import annotations

import argparse
import logging

from aidwatch import league_calendar
from aidwatch.arguments import add_home_argument, existing_folder, iso_date, usable_home
from aidwatch.commands.build import add_accept_change_argument

log = logging.getLogger(__name__)

#: Exit statuses of `aidwatch run` (documented in its --help).
EXIT_OK = 0
EXIT_FAILED = 1
EXIT_PUBLISHED_WITH_FILES_NOT_LOADED = 3

EPILOG = f"""\
exit status:
  {EXIT_OK}  every new file was loaded (or was a duplicate, unchanged or ignored) and the
     warehouse was published (or, for an --as-of earlier than the published one, replayed)
  {EXIT_PUBLISHED_WITH_FILES_NOT_LOADED}  the warehouse was published, but some files were rejected or held:
     their rows are not in it (each is listed with its reason; see the feed health report)
  {EXIT_FAILED}  failed: HOME unusable, build failed, publish refused by the gate, or export
     failed (the published warehouse is then the one before, except after an export failure)
  2  bad arguments

The feed health report is written to HOME/reports/health/<as_of>.json on every run.
"""


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "run",
        help="ingest --inbox, build and publish the warehouse, then export the warning lists",
        description=(
            "The whole pipeline once: ingest every pending delivery of --inbox into HOME's raw "
            "zone, build the warehouse for --as-of and publish it when every test passes, then "
            "write the officials' warning lists. Stops at the first step that fails. The build "
            "passes the publish gate and replays an earlier --as-of as `aidwatch build` does."
        ),
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--inbox", type=existing_folder, required=True, help="folder with <feed_id>/ deliveries"
    )
    parser.add_argument(
        "--as-of", type=iso_date, default=None,
        help="the date to build for (YYYY-MM-DD; default: today in the league, Asia/Shanghai)",
    )
    add_home_argument(parser)
    add_accept_change_argument(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from warehouse.pipeline import PipelineFailed, run_pipeline

    home = usable_home(args.home)
    as_of = args.as_of or league_calendar.league_today()
    try:
        summary = run_pipeline(home, args.inbox, as_of, accept_change=args.accept_change)
    except PipelineFailed as error:
        from aidwatch.alerts import notify_pipeline_failure

        notify_pipeline_failure(as_of, "aidwatch run", None, str(error))  # logs it too
        return EXIT_FAILED
    print(summary.describe())
    if summary.attention:
        print(f"{len(summary.attention)} file(s) rejected or held: their rows are not in the warehouse "
              f"(exit status {EXIT_PUBLISHED_WITH_FILES_NOT_LOADED})")
        return EXIT_PUBLISHED_WITH_FILES_NOT_LOADED
    return EXIT_OK
