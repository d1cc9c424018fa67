"""The daily pipeline at league scale (1) and ten times it, as cold processes, with memory.

For each scale (default 1; `--scales 1 10` for both, as `make bench` runs it; scale 10 needs
~20 GB of disk and a quiet machine, see docs/performance.md):
- `aidwatch simulate` (wall, CPU, peak RSS of the process tree);
- the bench plays a new installation (its own shared dbt folder, warehouse/installation.py,
  holding only the parse state `make setup` prepared). Its first run sets up the daily HOME
  below (`aidwatch run` with as_of the day before, on every delivery not dated as_of): it
  runs every unit test and seed-only data test, and is printed as the reference;
- `aidwatch run` into a fresh HOME of that installation: ingest + build + publish + export,
  the figure of the goal, split into ingest (ledger timestamps) and build (the run's own
  report); the project's unit tests passed on this installation, so it skips them
  (warehouse/project_tests.py) and starts from the shared parse state;
- the next day's `aidwatch build` on the same HOME (as_of one day later), against the first
  build of that HOME in the same run: a day later only as_of has changed;
- the daily run: `aidwatch run` on the set-up HOME, after the deliveries dated as_of
  arrived in its inbox. The simulator dates its deliveries
  monthly (every feed delivers an extract on as_of, as_of - 1 month, ...), so the new day
  brings one extract of every feed: the heaviest day of the month, not an average one;
- DuckDB's own read of the same inbox (every CSV of every feed read_csv -> Parquet in
  one process), the floor an ingestion could reach.
With two scales, the growth of each figure from the first to the last. The machine's
load is printed with every figure; CPU seconds are steadier than wall time under load.
Prints figures, asserts nothing.

    .venv/bin/python benchmarks/bench_pipeline.py [--scales 1 [10]] [--keep DIR]
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import sys
import tempfile
from datetime import date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from aidwatch.commands.run import EXIT_PUBLISHED_WITH_FILES_NOT_LOADED  # noqa: E402
from aidwatch.duckdb_memory import DEFAULT_MEMORY_LIMIT, MEMORY_LIMIT_ENV, memory_limit  # noqa: E402
from benchmarks.measure import Measured, as_deployed, load, run  # noqa: E402

AIDWATCH = str(ROOT / ".venv" / "bin" / "aidwatch")
AS_OF = date(2026, 11, 1)

#: the issue's figures before this work (issue 14, measured on the same machine)
BEFORE = {"simulate 1": 35.0, "run 1": 114.0, "ingest 1": 65.0, "build 1": 47.5}

DUCKDB_INBOX = """
import sys, pathlib, duckdb
inbox, out = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
out.mkdir(parents=True, exist_ok=True)
duckdb.sql("set enable_progress_bar = false")  # its bar would fill the benchmark's output
n = read = 0
for path in sorted(inbox.glob('*/*.csv')):
    try:
        duckdb.sql(f"copy (select * from read_csv('{path}', header=true, all_varchar=true)) "
                   f"to '{out / f'{n}.parquet'}' (format parquet)")
        read += 1
    except duckdb.Error:
        pass  # GB18030 (DuckDB reads UTF-8 only without extensions) and planted faulty files
    n += 1
print(f"DuckDB read {read} of {n} CSV files")
"""


def ingest_span(home: Path, entries: set[Path] | None = None) -> float:
    """Wall seconds from the first ledger entry's start to the last one's finish (of `entries`, else all)."""
    starts, ends = [], []
    for path in entries if entries is not None else (home / "ledger").glob("*.json"):
        entry = json.loads(path.read_text(encoding="utf-8"))
        if entry.get("started_at") and entry.get("finished_at"):
            starts.append(datetime.fromisoformat(entry["started_at"]))
            ends.append(datetime.fromisoformat(entry["finished_at"]))
    return (max(ends) - min(starts)).total_seconds() if starts else float("nan")


def build_seconds(output: str) -> float:
    """The build's own total from `aidwatch run` / `aidwatch build` output."""
    found = re.findall(r"(?:warehouse built|for as_of \S+) in ([0-9.]+)s", output)
    return float(found[-1]) if found else float("nan")


def failure_text(error: Exception, limit: int = 2000) -> str:
    """What a failed step said, from its first line naming the failure: a refused publish
    lists its batches after the figures that moved, so the output's tail alone (what this
    printed before) hid the reason (a scale-10 daily run refused for REV-10, 2026-12-03)."""
    output = str(getattr(error, "output", None) or error)
    lines = output.splitlines()
    first = next((i for i, line in enumerate(lines)
                  if re.search(r"refused|failed|error", line, re.IGNORECASE)), 0)
    text = "\n".join(lines[first:])
    return text if len(text) <= limit else text[:limit] + " …"


def show(m: Measured, reference: Measured | None = None, note: str = "") -> None:
    ratio = f"  ({m.wall_s / reference.wall_s:.2f}x the reference wall)" if reference else ""
    print(f"  {m.line()}{ratio}{note}", flush=True)


def new_installation(folder: Path) -> dict[str, str]:
    """The environment of a new installation: a shared dbt folder of its own, holding only the
    parse state `make setup` prepared (warehouse/installation.py). Its first passed build runs
    every unit test and leaves the verdict there; later builds of any HOME skip them."""
    from warehouse import parse_state
    from warehouse.installation import SHARED_DIR_ENV

    parse_state.seed(folder)  # copies the shared parse state into a folder without one
    return {SHARED_DIR_ENV: str(folder)}


def bench(scale: float, work: Path) -> dict[str, Measured]:
    inbox, home = work / f"inbox_{scale:g}", work / f"home_{scale:g}"
    installation = new_installation(work / f"installation_{scale:g}")
    print(f"scale {scale:g}; {load()}", flush=True)
    out: dict[str, Measured] = {}
    out["simulate"] = run(f"aidwatch simulate --scale {scale:g}",
                          [AIDWATCH, "simulate", "--out", str(inbox), "--scale", f"{scale:g}",
                           "--as-of", AS_OF.isoformat(), "--seed", "1"])
    files = [p for p in inbox.rglob("*") if p.is_file() and "_truth" not in p.parts]
    show(out["simulate"], note=f"  {len(files)} files, {sum(p.stat().st_size for p in files) / 1e6:,.0f} MB")
    out["duckdb"] = run("DuckDB read_csv -> Parquet of every CSV",
                        [sys.executable, "-c", DUCKDB_INBOX, str(inbox), str(work / f"duck_{scale:g}")])
    show(out["duckdb"], note=f"  {out['duckdb'].stdout.strip()} ({load()})")
    shutil.rmtree(work / f"duck_{scale:g}", ignore_errors=True)
    daily_home = daily_setup(inbox, work / f"daily_{scale:g}", installation, out)
    try:
        out["run"] = run("aidwatch run (ingest+build+publish+export)",
                         [AIDWATCH, "run", "--inbox", str(inbox), "--home", str(home),
                          "--as-of", AS_OF.isoformat()], env=installation,
                         ok=(0, EXIT_PUBLISHED_WITH_FILES_NOT_LOADED))
    except Exception as error:  # noqa: BLE001 - a benchmark reports a failed step and goes on
        print(f"  aidwatch run failed: {failure_text(error)}")
        return out
    show(out["run"], note=f"  ({load()}); the first run of a fresh HOME on this installation")
    ingest, build = ingest_span(home), build_seconds(out["run"].stdout)
    print(f"    of which ingest {ingest:.1f} s (ledger), build + publish {build:.1f} s; "
          f"DuckDB reads the same CSVs in {out['duckdb'].wall_s:.1f} s")
    if "setup" in out:
        print(f"    reference: the set-up run, the first of the new installation (every unit test): "
              f"build + publish {build_seconds(out['setup'].stdout):.1f} s")
    next_day = (AS_OF + timedelta(days=1)).isoformat()
    out["rebuild"] = run("next day's aidwatch build (partial parse)",
                         [AIDWATCH, "build", "--home", str(home), "--as-of", next_day], env=installation)
    print(f"    first build of the HOME {build:.1f} s (reference: the installation's parse state, "
          f"its own raw zone parsed in) vs next day's {build_seconds(out['rebuild'].stdout):.1f} s "
          f"in-process; {load()}")
    show(out["rebuild"])
    if daily_home is not None:
        daily(inbox, daily_home, installation, out)
    return out


def delivered_files(inbox: Path) -> list[Path]:
    """Every delivery of a simulated inbox (not the simulator's truth files)."""
    return [p for p in inbox.rglob("*") if p.is_file() and "_truth" not in p.relative_to(inbox).parts]


def link_files(paths: list[Path], inbox: Path, target_inbox: Path) -> None:
    """Hard links of `paths` (files of `inbox`) at the same places under `target_inbox`: the
    same bytes, no copy."""
    for path in paths:
        target = target_inbox / path.relative_to(inbox)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.hardlink_to(path)


def daily_setup(inbox: Path, work: Path, installation: dict[str, str],
                out: dict[str, Measured]) -> Path | None:
    """A HOME up to date until yesterday: `aidwatch run` on every delivery not dated as_of.

    The first run of the bench's new installation, so it parses from the prepared state and
    runs every unit test: printed as the reference of the fresh-HOME run. The HOME, or None
    when the run failed.
    """
    day = AS_OF.strftime("%Y%m%d")
    daily_inbox, home = work / "inbox", work / "home"
    link_files([p for p in delivered_files(inbox) if day not in p.name], inbox, daily_inbox)
    yesterday = (AS_OF - timedelta(days=1)).isoformat()
    try:
        out["setup"] = run(f"set-up: aidwatch run --as-of {yesterday} without {day}'s files, "
                           "the first run of a new installation",
                           [AIDWATCH, "run", "--inbox", str(daily_inbox), "--home", str(home),
                            "--as-of", yesterday], env=installation,
                           ok=(0, EXIT_PUBLISHED_WITH_FILES_NOT_LOADED))
    except Exception as error:  # noqa: BLE001 - a benchmark reports a failed step and goes on
        print(f"  daily set-up failed: {failure_text(error)}")
        return None
    show(out["setup"], note=f"  (the reference, not a figure; build + publish "
                            f"{build_seconds(out['setup'].stdout):.1f} s)")
    return home


def daily(inbox: Path, home: Path, installation: dict[str, str], out: dict[str, Measured]) -> None:
    """The daily run: the set-up HOME, after the deliveries dated as_of arrived in its inbox."""
    day = AS_OF.strftime("%Y%m%d")
    today = [p for p in delivered_files(inbox) if day in p.name]
    daily_inbox = home.parent / "inbox"
    seen = set((home / "ledger").glob("*.json"))
    link_files(today, inbox, daily_inbox)
    # The new day brings the month's payments; the publish gate compares each aid kind in its
    # own latest paid month, so an ordinary monthly delivery day publishes without --accept-change.
    try:
        out["daily"] = run(f"daily aidwatch run: {len(today)} new files dated {day}",
                           [AIDWATCH, "run", "--inbox", str(daily_inbox), "--home", str(home),
                            "--as-of", AS_OF.isoformat()], env=installation,
                           ok=(0, EXIT_PUBLISHED_WITH_FILES_NOT_LOADED))
    except Exception as error:  # noqa: BLE001
        print(f"  daily run failed: {failure_text(error)}")
        return
    show(out["daily"], note=f"  ({load()}); goal <= 45 s")
    new = set((home / "ledger").glob("*.json")) - seen
    print(f"    of which ingest {ingest_span(home, new):.1f} s ({len(new)} ledger entries), "
          f"build + publish {build_seconds(out['daily'].stdout):.1f} s "
          f"(the first run of a fresh HOME on the whole inbox: {out['run'].wall_s:.1f} s)")


def growth(first: float, last: float, results: dict[float, dict[str, Measured]]) -> None:
    factor = last / first
    print(f"growth from scale {first:g} to {last:g} ({factor:g}x the people); goal <= {1.1 * factor:.0f}x")
    for key in ("simulate", "run", "rebuild", "daily", "duckdb"):
        a, b = results[first].get(key), results[last].get(key)
        if a and b:
            print(f"  {key:<10} wall {b.wall_s / a.wall_s:6.1f}x  cpu {b.cpu_s / a.cpu_s:6.1f}x  "
                  f"peak RSS {a.peak_mb:,.0f} -> {b.peak_mb:,.0f} MB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scales", type=float, nargs="+", default=[1.0])
    parser.add_argument("--keep", type=Path, help="work here and keep the inboxes and HOMEs")
    args = parser.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="bench_pipeline_"))
    work.mkdir(parents=True, exist_ok=True)
    print("before this work (issue 14): " + ", ".join(f"{k} {v:g} s" for k, v in BEFORE.items()))
    print(as_deployed())
    ceiling = memory_limit()
    print(f"DuckDB's memory ceiling for the build and the analyst file: {ceiling} "
          + ("(the default)" if ceiling == DEFAULT_MEMORY_LIMIT else f"(from {MEMORY_LIMIT_ENV})"))
    try:
        results = {scale: bench(scale, work) for scale in args.scales}
        if len(results) > 1:
            growth(args.scales[0], args.scales[-1], results)
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
