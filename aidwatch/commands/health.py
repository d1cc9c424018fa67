"""`aidwatch health`: check the feeds' data quality, and acknowledge a known problem."""

from __future__ import annotations

import argparse
import logging
from datetime import date

from aidwatch import league_calendar
from aidwatch.home import Home

log = logging.getLogger(__name__)


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "health",
        help="data-quality problems of the feeds (check), and acknowledging a known one (ack)",
        description=(
            "`check` writes the health report of an as_of and lists each problem with its key, marking "
            "the acknowledged ones; `ack KEY --until DATE --reason TEXT` keeps a known problem quiet until "
            "DATE unless it gets worse (recorded with who and why in HOME/records/health_acks.jsonl). "
            "Exit status of `check`: 0 no problem needs attention, 3 some problem alerts."
        ),
    )
    actions = parser.add_subparsers(dest="health_action", metavar="ACTION", required=True)
    check = actions.add_parser("check", help="write the health report and list the problems")
    ack = actions.add_parser("ack", help="acknowledge a known problem until a date")
    ack.add_argument("key", metavar="PROBLEM", help="the problem's key as `health check` prints it")
    ack.add_argument("--until", type=date.fromisoformat, required=True, help="last day it stays quiet")
    ack.add_argument("--reason", required=True, help="why it may stay quiet (recorded)")
    ack.add_argument("--user", default=None, help="who acknowledges it (default: the OS user)")
    for sub in (check, ack):
        sub.add_argument("--as-of", type=date.fromisoformat, default=None,
                         help="the date judged (default: today in Asia/Shanghai)")
        sub.add_argument("--home", default=None, help="aidwatch HOME (default $AIDWATCH_HOME, else ./data)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from aidwatch.alerts import AckError, acknowledge, problem_key, read_acks
    from aidwatch.health_signal import check_and_report, permission_problems
    from ingestion.health import check_feed_health

    home = Home.resolve(args.home)
    as_of = args.as_of or league_calendar.league_today()
    if not home.ledger.is_dir():
        log.error("HOME %s has no ledger: nothing was ingested there", home.root)
        return 1
    problems = [*check_feed_health(home, as_of), *permission_problems(home)]
    if args.health_action == "ack":
        try:
            ack = acknowledge(home, args.key, args.until, args.reason, problems, as_of, args.user)
        except AckError as error:
            log.error("%s", error)
            return 1
        print(f"acknowledged {ack.key} until {ack.until} by {ack.user}: {ack.reason}")
        return 0
    try:
        read_acks(home)
    except AckError as error:
        log.error("%s", error)
        return 1
    signal = check_and_report(home, as_of)  # the same report as Airflow's task, permissions included
    report, alert, quiet = signal.report, signal.alerting, signal.quiet
    for problem in alert:
        print(f"ALERT {problem_key(problem)}: {problem.message}")
    for problem, ack in quiet:
        print(f"quiet {problem_key(problem)} (acknowledged until {ack.until} by {ack.user}: {ack.reason})")
    print(f"{len(alert)} alerting, {len(quiet)} acknowledged; report {report}")
    return 3 if alert else 0
