"""Benchmark: how long `aidwatch build` takes at scales 1 and 10, and where the time goes.

Scale 1: simulate 24 months of deliveries and ingest them (both also timed in their
own benchmarks). Scale 10: the scale-1 raw zone replicated ten times with renumbered
people and keys (a scale-10 simulation does not fit in memory here; pass
`--scales 1 10` to simulate it anyway). Each build is timed and split into
- dbt start-up: loading dbt, parsing the project, building the manifest (wall time of
  the dbt invocation minus run_results' elapsed_time);
- node execution: run_results' elapsed_time (models, seeds, data and unit tests on 2
  threads), with the summed compile and execute times of the nodes and the slowest;
- publish: everything outside dbt (copying, analyst schema, rename).
Prints figures; asserts nothing.

    .venv/bin/python benchmarks/bench_build.py [--scales 1] [--replicate 10] [--keep DIR]
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from datetime import date, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import pyarrow as pa  # noqa: E402
import pyarrow.compute as pc  # noqa: E402
import pyarrow.parquet as pq  # noqa: E402

from aidwatch.home import Home  # noqa: E402
from benchmarks.measure import as_deployed  # noqa: E402
from ingestion.contracts import load_feeds  # noqa: E402
from ingestion.landing import read_ledger, write_ledger  # noqa: E402
from ingestion.pipeline import ingest_inbox  # noqa: E402
from simulator.generate import simulate  # noqa: E402
from warehouse.build import build  # noqa: E402

AS_OF = date(2026, 11, 1)


def node_timings(run_results: Path) -> tuple[float, float, list[tuple[float, str]]]:
    """Summed compile and execute seconds over all nodes, and the five slowest nodes."""
    data = json.loads(run_results.read_text(encoding="utf-8"))
    compile_s = execute_s = 0.0
    per_node = []
    for result in data["results"]:
        for phase in result.get("timing", []):
            seconds = (
                datetime.fromisoformat(phase["completed_at"].replace("Z", "+00:00"))
                - datetime.fromisoformat(phase["started_at"].replace("Z", "+00:00"))
            ).total_seconds()
            if phase["name"] == "compile":
                compile_s += seconds
            elif phase["name"] == "execute":
                execute_s += seconds
        per_node.append((result["execution_time"], result["unique_id"]))
    return compile_s, execute_s, sorted(per_node, reverse=True)[:5]


#: Text columns that identify a record or link records: renumbered per replica.
KEY_TEXT_COLUMNS = {
    "household_id", "payment_id", "application_id", "case_id", "hukou_no", "plate_no", "settlement_id",
    "record_id", "rr_household_id", "certificate_no", "credit_code", "ticket_id",
}


CHECK_CHARS = "10X98765432"  # GB 11643: check character for (sum of weighted digits) mod 11
FIRST_DIGIT_WEIGHT = 7  # 2**17 mod 11


#: Reference data (the standards), the same for the whole league: copied once, not replicated.
REFERENCE_FEEDS = {"ca_standards"}


def replica_ids(ids: pa.ChunkedArray, copy: int) -> pa.Array:
    """Different valid IDs per replica, vectorised: shift the first digit by `copy` (mod 10)
    and correct the check character by the change in the weighted sum."""
    if copy == 0:
        return ids
    pairs, replaced = [], []
    for d0 in range(10):
        for check in CHECK_CHARS:
            new_d0 = (d0 + copy) % 10
            total = CHECK_CHARS.index(check)  # the weighted sum mod 11 that gives this check
            new_check = CHECK_CHARS[(total + (new_d0 - d0) * FIRST_DIGIT_WEIGHT) % 11]
            pairs.append(f"{d0}{check}")
            replaced.append((str(new_d0), new_check))
    first = pc.utf8_slice_codeunits(ids, 0, 1)
    last = pc.utf8_slice_codeunits(ids, 17, 18)
    index = pc.index_in(pc.binary_join_element_wise(first, last, ""), value_set=pa.array(pairs))
    new_first = pc.take(pa.array([r[0] for r in replaced]), index)
    new_last = pc.take(pa.array([r[1] for r in replaced]), index)
    return pc.binary_join_element_wise(new_first, pc.utf8_slice_codeunits(ids, 1, 17), new_last, "")


def replicate_raw_zone(source: Home, target: Home, copies: int) -> None:
    """Write `copies` renumbered replicas of every raw batch of `source` into `target`.

    Why: a scale-10 simulation does not fit this machine's memory; replicating the
    scale-1 raw zone gives the warehouse ten times the rows with the same shape
    (distinct people, households and keys per replica). Each replica gets a copy of its
    batch's ledger entry: a build removes batches without one (left by a killed ingestion).
    """
    ledger = {entry["batch_id"]: entry for entry in read_ledger(source)}

    def recorded(batch_id: str, copy_of: str) -> None:
        if copy_of in ledger:
            write_ledger(target, {**ledger[copy_of], "batch_id": batch_id})

    for feed in load_feeds().values():
        id_columns = [c.name for c in feed.columns if c.type == "id_number"]
        key_columns = [c.name for c in feed.columns if c.name in KEY_TEXT_COLUMNS]
        out_dir = target.raw_feed(feed.feed_id)
        out_dir.mkdir(parents=True, exist_ok=True)
        for path in sorted(source.raw_feed(feed.feed_id).glob("*.parquet")):
            table = pq.read_table(path)
            if path.name.startswith("_") or table.num_rows == 0 or feed.feed_id in REFERENCE_FEEDS:
                pq.write_table(table, out_dir / path.name)
                recorded(path.stem, path.stem)
                continue
            for copy in range(copies):
                replica = table
                for name in id_columns:
                    index = replica.schema.get_field_index(name)
                    replica = replica.set_column(index, name, replica_ids(replica.column(name), copy))
                for name in key_columns:
                    index = replica.schema.get_field_index(name)
                    replica = replica.set_column(index, name, pc.binary_join_element_wise(
                        replica.column(name), pa.scalar(f"R{copy}"), ""))
                pq.write_table(replica, out_dir / f"{path.stem}_r{copy}.parquet")
                recorded(f"{path.stem}_r{copy}", path.stem)


def bench(scale: float, workdir: Path) -> None:
    inbox = workdir / f"inbox_{scale:g}"
    home = Home(workdir / f"home_{scale:g}")
    if home.raw.exists() and (home.ledger.exists() and any(home.ledger.iterdir())):
        # --keep DIR from an earlier run: rebuild only (a fresh warehouse each time)
        for path in (home.warehouse, home.warehouse_previous):
            path.unlink(missing_ok=True)
        report(f"scale {scale:g} (raw zone reused from {home.root})", home)
        return
    started = time.perf_counter()
    simulate(inbox, as_of=AS_OF, seed=1, scale=scale, months=24)
    simulated = time.perf_counter() - started
    started = time.perf_counter()
    ingest_inbox(inbox, home)
    ingested = time.perf_counter() - started
    report(f"scale {scale:g}: simulate {simulated:.1f}s, ingest {ingested:.1f}s", home)


def bench_replicated(copies: int, base: Home, workdir: Path) -> None:
    home = Home(workdir / f"home_x{copies}")
    started = time.perf_counter()
    replicate_raw_zone(base, home, copies)
    made = time.perf_counter() - started
    report(f"scale {copies} (the scale-1 raw zone replicated {copies}x, renumbered, in {made:.1f}s)", home)


def report(title: str, home: Home) -> None:
    raw_files = sum(1 for _ in home.raw.rglob("*.parquet"))
    raw_rows = sum(pq.ParquetFile(p).metadata.num_rows for p in home.raw.rglob("*.parquet"))
    result = build(home, AS_OF, quiet=True)
    compile_s, execute_s, slowest = node_timings(result.run_results)
    publish_s = result.seconds_total - result.seconds_dbt_startup - result.seconds_dbt_nodes
    print(f"{title}: {raw_files} raw files, {raw_rows} raw rows")
    print(f"  build total            {result.seconds_total:7.1f}s")
    print(f"  dbt start-up (parse)   {result.seconds_dbt_startup:7.1f}s")
    print(f"  node execution (wall)  {result.seconds_dbt_nodes:7.1f}s  "
          f"({', '.join(f'{n} {k}s' for k, n in sorted(result.node_counts.items()))})")
    print(f"    summed over nodes: compile {compile_s:.1f}s, execute {execute_s:.1f}s (2 threads)")
    print(f"  copy + publish + analyst file {publish_s:5.1f}s")
    print(f"  warehouse size         {result.warehouse.stat().st_size / 1e6:7.1f} MB")
    print("  slowest nodes: " + "; ".join(f"{uid.split('.')[-1]} {s:.2f}s" for s, uid in slowest))


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--scales", type=float, nargs="*", default=[1.0],
                        help="simulated scales to build (default 1)")
    parser.add_argument("--replicate", type=int, default=10,
                        help="also build the scale-1 raw zone replicated N times (0: skip; default 10)")
    parser.add_argument("--keep", type=Path, default=None, help="work here and keep the HOMEs")
    args = parser.parse_args()
    workdir = args.keep or Path(tempfile.mkdtemp(prefix="bench_build_"))
    workdir.mkdir(parents=True, exist_ok=True)
    print(as_deployed())
    try:
        for scale in args.scales:
            bench(scale, workdir)
        if args.replicate:
            base = Home(workdir / "home_1")
            if not base.raw.exists():
                bench(1.0, workdir)
            bench_replicated(args.replicate, base, workdir)
    finally:
        if args.keep is None:
            shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
