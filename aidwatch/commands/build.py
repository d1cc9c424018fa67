"""`aidwatch build`: build the warehouse for a date and publish it only if every test passes."""

from __future__ import annotations

import argparse
import logging

from aidwatch import league_calendar
from aidwatch.arguments import add_home_argument, iso_date, reason_text, usable_home

log = logging.getLogger(__name__)


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "build",
        help="dbt build the warehouse into a copy and publish it when every test passes",
        description=(
            "Copies HOME/warehouse.duckdb to warehouse.next.duckdb, runs `dbt build` there for "
            "--as-of, and only when every model and test passed renames it over the published "
            "file (the old one is kept as warehouse.previous.duckdb). On failure the published "
            "warehouse is untouched and the failing model/test is named.\n\n"
            "Before publishing, the publish gate compares the build with the published warehouse "
            "(assisted households and persons by banner, aid paid in the latest month by kind, open "
            "warnings by rule; bounds in warehouse/publish_bounds.yaml) and refuses a change beyond "
            "them, naming every figure that moved and the deliveries behind it; --accept-change "
            "publishes it anyway and records who, why and when in HOME/audit/publishes.jsonl.\n\n"
            "Publishing only moves forward: an --as-of earlier than the published one is a replay, "
            "written read-only to HOME/replays/<as_of>/warehouse.duckdb; the published warehouse "
            "and its warning history stay as they are.\n\n"
            "Exit status: 0 published (or replayed); 1 failed or refused (nothing published); "
            "2 bad arguments."
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--as-of", type=iso_date, default=None,
        help="the date to build for (YYYY-MM-DD; default: today in the league, Asia/Shanghai)",
    )
    add_home_argument(parser)
    add_accept_change_argument(parser)
    parser.set_defaults(func=run)


def add_accept_change_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--accept-change", type=reason_text, default=None, metavar="REASON",
        help="publish even when the publish gate finds a change beyond its bounds; the reason is "
        "recorded with your name and the time in HOME/audit/publishes.jsonl",
    )


def run(args: argparse.Namespace) -> int:
    from warehouse.build import BuildFailed, build

    home = usable_home(args.home)
    as_of = args.as_of or league_calendar.league_today()
    from warehouse.pipeline import deliver_officials_feedback

    deliver_officials_feedback(home, as_of)  # the officials' feedback is a feed like any other
    try:
        result = build(home, as_of, accept_change=args.accept_change)
    except BuildFailed as error:
        log.error("%s", error)
        return 1
    if result.replay:
        print(
            f"as_of {as_of} is earlier than the published warehouse's ({result.published_as_of}): replayed "
            f"into {result.warehouse} (read-only) in {result.seconds_total:.1f}s; the published warehouse "
            "and its warning history are unchanged"
        )
        return 0
    if result.accepted_change:
        print(f"published a change beyond the publish gate's bounds, accepted: {result.accepted_change}")
    print(
        f"published {result.warehouse} for as_of {as_of} in {result.seconds_total:.1f}s "
        f"(dbt start-up {result.seconds_dbt_startup:.1f}s, nodes {result.seconds_dbt_nodes:.1f}s; "
        + ", ".join(f"{n} {kind}s" for kind, n in sorted(result.node_counts.items()))
        + ")"
    )
    return 0
