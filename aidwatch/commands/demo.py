"""`aidwatch demo`: simulate the whole league, then ingest, build, publish and export."""

from __future__ import annotations

import argparse
import logging

from aidwatch import league_calendar
from aidwatch.arguments import add_home_argument, iso_date, positive_float, usable_home

log = logging.getLogger(__name__)


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "demo",
        help="simulate Alxa League at scale 1 into HOME/inbox and run the whole pipeline",
        description=(
            "Simulates 24 months of deliveries from every department (synthetic people, "
            "real regions and standards) into HOME/inbox, then ingests them, builds and "
            "publishes the warehouse and exports the warning lists. Prints what was built "
            "and where."
        ),
    )
    add_home_argument(parser)
    parser.add_argument(
        "--as-of", type=iso_date, default=None,
        help="the simulated 'today' (YYYY-MM-DD; default: today in the league, Asia/Shanghai)",
    )
    parser.add_argument("--seed", type=int, default=1, help="random seed of the simulation")
    parser.add_argument(
        "--scale", type=positive_float, default=1.0, help="above 0; 1 = the league's real caseload"
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from exports.analyst import ensure_demo_key
    from simulator.generate import simulate
    from warehouse.pipeline import PipelineFailed, run_pipeline

    home = usable_home(args.home)
    as_of = args.as_of or league_calendar.league_today()
    print(f"simulating the league at scale {args.scale:g} for as_of {as_of} into {home.inbox} ...")
    simulate(home.inbox, as_of=as_of, seed=args.seed, scale=args.scale, months=24)
    ensure_demo_key(home)  # the analyst file needs a pseudonym key; a deployment brings its own
    try:
        summary = run_pipeline(home, home.inbox, as_of)
    except PipelineFailed as error:
        log.error("%s", error)
        return 1
    print(summary.describe())
    return 0
