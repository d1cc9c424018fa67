"""`aidwatch simulate`: write a simulated inbox of every feed for the whole league.

Why a command: the real feeds never leave the government network; developers,
tests and the demo all work on the simulator's deliveries (see simulator/README.md).
"""

from __future__ import annotations

import argparse
import logging
import time
from pathlib import Path

from aidwatch import league_calendar
from aidwatch.arguments import iso_date, positive_float, positive_int

log = logging.getLogger(__name__)


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "simulate",
        help="simulate the league's departmental deliveries into an inbox",
        description="Write DIR/<feed_id>/... deliveries for every feed over the last N months, "
        "with the truth (expected warnings, quarantine, rejected files) in DIR/_truth/.",
    )
    parser.add_argument("--out", required=True, type=Path, help="inbox folder to write (emptied first)")
    parser.add_argument(
        "--as-of",
        type=iso_date,
        default=league_calendar.league_today(),
        help="last extract date, ISO (default: today in the league, Asia/Shanghai)",
    )
    parser.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    parser.add_argument(
        "--scale", type=positive_float, default=1.0,
        help="population scale above 0; 1 = the league (default 1)",
    )
    parser.add_argument(
        "--months", type=positive_int, default=24, help="monthly deliveries, at least 1 (default 24)"
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from simulator.generate import simulate

    started = time.perf_counter()
    out = simulate(args.out, as_of=args.as_of, seed=args.seed, scale=args.scale, months=args.months)
    files = sum(1 for p in out.rglob("*") if p.is_file() and "_truth" not in p.parts)
    log.info("simulated %d files into %s in %.1f s", files, out, time.perf_counter() - started)
    return 0
