"""The daily run of two code trees in turn: `aidwatch run` of one day's deliveries on a HOME
that already holds everything delivered before that day.

Why in turn: on this shared machine the same daily run moves by ±25 % within minutes
(docs/performance.md), so a figure taken in another run cannot tell a 5 s change from the
noise. Each code tree gets its own HOME, set up once (`aidwatch run` for the day before,
without the day's files) and kept as a snapshot; before every trial the snapshot is copied
back to the same path (dbt keeps its partial parse, as on a server), then `aidwatch run`
with the day's files is measured. Trials alternate A B B A A B ..., so a drift of the
machine's speed falls on both.

    .venv/bin/python benchmarks/bench_daily.py --inbox INBOX --work DIR \\
        [--code old=/tmp/old_tree] [--code new=.] [--repeat 3] [--day YYYY-MM-DD]

INBOX is a simulated inbox (`aidwatch simulate --scale 1 --out INBOX`, or `make demo`'s). A
code tree is a checkout or a `git archive` of aidwatch; it runs with this checkout's venv,
its own packages first on sys.path. Prints figures, asserts nothing.
"""

from __future__ import annotations

import argparse
import re
import shutil
import statistics
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from aidwatch.commands.run import EXIT_PUBLISHED_WITH_FILES_NOT_LOADED  # noqa: E402
from benchmarks.bench_pipeline import AS_OF, build_seconds, delivered_files, link_files  # noqa: E402
from benchmarks.measure import Measured, as_deployed, load, run  # noqa: E402

#: `aidwatch` from a given code tree, with this checkout's interpreter and packages, entered as
#: the installed console script enters it (`console_main`; `main` in trees older than it)
CLI = ("import sys; sys.path.insert(0, {tree!r}); sys.argv[0] = 'aidwatch'; "
       "from aidwatch import cli; sys.exit(getattr(cli, 'console_main', cli.main)())")
RAN = (0, EXIT_PUBLISHED_WITH_FILES_NOT_LOADED)  # the simulator plants files that are rejected


def aidwatch(tree: Path) -> list[str]:
    return [sys.executable, "-c", CLI.format(tree=str(tree.resolve()))]


def latest_file_date(files: list[Path]) -> date:
    """The latest YYYYMMDD date in the files' names (the simulator names each delivery by its
    extract date), or bench_pipeline's AS_OF when no name carries one."""
    dates = [date(int(m[1]), int(m[2]), int(m[3])) for p in files
             if (m := re.search(r"(20\d\d)(\d\d)(\d\d)", p.name))]
    return max(dates, default=AS_OF)


def restore(snapshot: Path, home: Path) -> None:
    """The HOME as it was after the set-up, at the same path (modes and times kept)."""
    shutil.rmtree(home, ignore_errors=True)
    shutil.copytree(snapshot, home, symlinks=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--inbox", type=Path, required=True)
    parser.add_argument("--work", type=Path, required=True, help="a folder for the HOMEs (~1 GB each)")
    parser.add_argument("--code", action="append", default=[], metavar="LABEL=TREE",
                        help="a code tree to measure (repeatable; default: this checkout)")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--day", type=date.fromisoformat,
                        help="the day measured (default: the latest date in the inbox's file names)")
    args = parser.parse_args()
    print(as_deployed())
    trees = dict(code.split("=", 1) for code in args.code) or {"this checkout": str(ROOT)}
    files = delivered_files(args.inbox)
    day = args.day or latest_file_date(files)
    yesterday = day - timedelta(days=1)
    stamp = day.strftime("%Y%m%d")
    if not any(stamp in p.name for p in files):
        sys.exit(f"no file of {args.inbox} is dated {stamp}: nothing would be delivered on the day "
                 "measured (the simulator dates its deliveries after its --as-of; give --day)")
    before, with_day = args.work / "inbox_before", args.work / "inbox_with_day"
    for folder in (before, with_day):
        shutil.rmtree(folder, ignore_errors=True)
    link_files([p for p in files if stamp not in p.name], args.inbox, before)
    link_files(files, args.inbox, with_day)
    print(f"{sum(stamp in p.name for p in files)} files dated {stamp}; {load()}", flush=True)

    for label, tree in trees.items():
        home, snapshot = args.work / label / "home", args.work / label / "snapshot"
        shutil.rmtree(args.work / label, ignore_errors=True)
        setup = run(f"set-up {label}: aidwatch run --as-of {yesterday}",
                    [*aidwatch(Path(tree)), "run", "--inbox", str(before), "--home", str(home),
                     "--as-of", yesterday.isoformat()], ok=RAN)
        print(f"  {setup.line()}  (not the figure)", flush=True)
        shutil.copytree(home, snapshot, symlinks=True)

    trials: dict[str, list[Measured]] = {label: [] for label in trees}
    builds: dict[str, list[float]] = {label: [] for label in trees}
    for turn in range(args.repeat):
        for label in (list(trees) if turn % 2 == 0 else list(trees)[::-1]):
            home = args.work / label / "home"
            restore(args.work / label / "snapshot", home)
            argv = [*aidwatch(Path(trees[label])), "run", "--inbox", str(with_day),
                    "--home", str(home), "--as-of", day.isoformat()]
            try:
                measured = run(f"daily {label}", argv, ok=RAN)
            except subprocess.CalledProcessError as failed:  # e.g. the publish gate refused the day
                tail = "\n".join((failed.output or "").splitlines()[-15:])
                sys.exit(f"daily {label}: aidwatch run exited {failed.returncode}; no figure. "
                         f"Its last lines:\n{tail}")
            trials[label].append(measured)
            builds[label].append(build_seconds(measured.stdout))
            print(f"  {measured.line()}  build + publish {builds[label][-1]:.1f} s; {load()}", flush=True)

    print("daily run, median (min-max) of the trials; goal <= 45 s")
    for label, runs in trials.items():
        walls = [m.wall_s for m in runs]
        print(f"  {label:<24} wall {statistics.median(walls):6.1f} s ({min(walls):.1f}-{max(walls):.1f})  "
              f"cpu {statistics.median(m.cpu_s for m in runs):6.1f} s  "
              f"build + publish {statistics.median(builds[label]):6.1f} s  "
              f"under 45 s in {sum(w <= 45 for w in walls)} of {len(walls)}")


if __name__ == "__main__":
    main()
