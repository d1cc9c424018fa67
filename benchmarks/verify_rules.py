"""Replay check of the warning rules: are the warnings right on every day?

Simulates one league (small scale, `--months` of deliveries up to `--as-of`), ingests
it once, builds the warnings for each of many as_of dates spread over the simulated
year (ends of months, the 1st, mid-month, 28/29 February, the day the planted
standards change) and compares each build with the truth of that date
(simulator/truth_check.py): recall, precision and severity agreement per rule per
date, printed as a table. Exit status 1 when any warning is wrong on any date.

    .venv/bin/python benchmarks/verify_rules.py [--as-of 2026-11-28] [--months 12]
        [--scale 0.01] [--seed 7] [--work DIR] [--dates D1,D2,...]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from simulator.generate import simulate  # noqa: E402
from simulator.truth_check import format_table, replay, wrong_on_any_date  # noqa: E402
from simulator.world import add_months, month_start  # noqa: E402


def spread_dates(as_of: date, months: int) -> list[date]:
    """About one as_of a month over the simulated months up to `as_of`, cycling
    through the month's last day, its 1st and its 15th; plus the end of February
    (28 or 29), as_of itself (the day the planted standards take effect) and the
    day before. At least twelve dates for a year."""
    first = add_months(as_of, -(months - 1))
    dates = {as_of, as_of - timedelta(days=1)}
    month = month_start(first)
    index = 0
    while month <= as_of:
        next_month = add_months(month, 1)
        day = (next_month - timedelta(days=1), month, month.replace(day=15))[index % 3]
        if first <= day <= as_of:
            dates.add(day)
        if month.month == 2 and first <= next_month - timedelta(days=1) <= as_of:
            dates.add(next_month - timedelta(days=1))
        month, index = next_month, index + 1
    return sorted(dates)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--as-of", type=date.fromisoformat, default=date(2026, 11, 28))
    parser.add_argument("--months", type=int, default=12)
    parser.add_argument("--scale", type=float, default=0.01)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--work", type=Path, help="folder for the inbox and HOME (default: a temporary one)")
    parser.add_argument("--dates", help="comma-separated as_of dates (default: spread over the months)")
    args = parser.parse_args(argv)
    try:
        dates = ([date.fromisoformat(d) for d in args.dates.split(",")] if args.dates
                 else spread_dates(args.as_of, args.months))
    except ValueError as exc:
        parser.error(f"--dates: {exc}")
    if any(d > args.as_of for d in dates):
        parser.error("--dates: every date must be on or before --as-of (the simulated deliveries end there)")
    work = args.work or Path(tempfile.mkdtemp(prefix="verify_rules_"))
    started = time.perf_counter()
    inbox = simulate(work / "inbox", as_of=args.as_of, seed=args.seed, scale=args.scale, months=args.months)
    results = replay(inbox, work / "home", dates, data_tests=True)
    print(format_table(results))
    wrong = wrong_on_any_date(results)
    print(f"\n{len(dates)} dates, {len(next(iter(results.values())))} rules, "
          f"{time.perf_counter() - started:.0f} s (work folder {work})")
    if wrong:
        print("WRONG on: " + ", ".join(wrong))
        return 1
    print("every rule right on every date: 100% recall, precision and severity agreement")
    return 0


if __name__ == "__main__":
    sys.exit(main())
