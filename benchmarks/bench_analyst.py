"""The analyst file of a published HOME, against a plain copy of the same marts, in the same run.

Every publish writes `HOME/analyst.duckdb` (exports/analyst.py): each materialised mart
with its person keys pseudonymised (keyed HMAC), names masked and dim_person generalised,
then the re-identification risk measured. The reference is what DuckDB alone takes to
copy the same tables from the warehouse into a new file (`create table ... as select *`):
the floor for any analyst file. Both write into a scratch folder, never over the HOME's
own analyst file; each is the median of `--repeat` runs, taken in turn. The key is a
random one unless `AIDWATCH_PSEUDONYM_KEY` is set. Prints figures, asserts nothing.

    .venv/bin/python benchmarks/bench_analyst.py --home HOME [--repeat 3]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import duckdb

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from aidwatch.home import Home  # noqa: E402
from benchmarks.measure import as_deployed, load  # noqa: E402
from exports.analyst import SOURCE_CATALOG, SOURCE_SCHEMA, mart_tables, publish_analyst_file, quote  # noqa: E402


def plain_copy(warehouse: Path, target: Path) -> float:
    """Copy every materialised mart into a new file as it is; seconds."""
    started = time.perf_counter()
    con = duckdb.connect(str(target))
    try:
        con.execute(f"attach '{warehouse}' as {SOURCE_CATALOG} (read_only)")
        for table in mart_tables(con):
            con.execute(f"create table main.{quote(table)} as "
                        f"select * from {SOURCE_CATALOG}.{SOURCE_SCHEMA}.{quote(table)}")
        con.execute(f"detach {SOURCE_CATALOG}")
        con.execute("checkpoint")
    finally:
        con.close()
    return time.perf_counter() - started


def analyst_file(home: Home, scratch: Path) -> tuple[float, int]:
    """Write the analyst file of `home`'s published warehouse into a scratch HOME; (seconds, persons)."""
    scratch.mkdir(parents=True)
    work = Home(scratch)
    started = time.perf_counter()
    result = publish_analyst_file(work, warehouse=home.warehouse)
    seconds = time.perf_counter() - started
    persons = max((m.persons for m in result.risk), default=0)
    return seconds, persons


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--home", type=Path, required=True, help="a HOME with a published warehouse")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    home = Home(args.home.resolve())
    if not home.warehouse.exists():
        parser.error(f"{home.warehouse} does not exist: build and publish first (make demo)")
    print(as_deployed())
    work = Path(tempfile.mkdtemp(prefix="bench_analyst_"))
    ours, reference, persons = [], [], 0
    try:
        for number in range(args.repeat):
            reference.append(plain_copy(home.warehouse, work / f"plain{number}.duckdb"))
            seconds, persons = analyst_file(home, work / f"home{number}")
            ours.append(seconds)
            shutil.rmtree(work / f"home{number}", ignore_errors=True)
            (work / f"plain{number}.duckdb").unlink(missing_ok=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    mine, floor = statistics.median(ours), statistics.median(reference)
    print(f"analyst file of {home.warehouse} ({persons:,} persons), median of {args.repeat}; {load()}")
    print(f"  {'analyst file (pseudonymise, mask, measure risk), s':<52} {mine:7.1f}")
    print(f"  {'plain copy of the same marts (DuckDB alone), s':<52} {floor:7.1f}   "
          f"ratio {mine / floor:5.1f}x")


if __name__ == "__main__":
    main()
