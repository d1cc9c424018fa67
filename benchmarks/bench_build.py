"""Benchmark: how long `aidwatch build` takes at scales 1 and 10, and where the time goes.

For each scale: simulate 24 months of deliveries, ingest them (not timed here: see
bench_ingest.py), then time `warehouse.build.build` and split it into
- dbt start-up: loading dbt, parsing the project, building the manifest (wall time of
  the dbt invocation minus run_results' elapsed_time);
- node execution: run_results' elapsed_time (models, seeds, data and unit tests on 2
  threads), with the summed compile and execute times of the nodes and the slowest;
- publish: everything outside dbt (copying, analyst schema, rename).
Prints figures; asserts nothing.

    .venv/bin/python benchmarks/bench_build.py [--scales 1 10] [--keep DIR]
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

from aidwatch.home import Home  # noqa: E402
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


def bench(scale: float, workdir: Path) -> None:
    inbox = workdir / f"inbox_{scale:g}"
    home = Home(workdir / f"home_{scale:g}")
    started = time.perf_counter()
    simulate(inbox, as_of=AS_OF, seed=1, scale=scale, months=24)
    simulated = time.perf_counter() - started
    started = time.perf_counter()
    ingest_inbox(inbox, home)
    ingested = time.perf_counter() - started
    raw_files = sum(1 for _ in home.raw.rglob("*.parquet"))
    result = build(home, AS_OF, quiet=True)
    compile_s, execute_s, slowest = node_timings(result.run_results)
    publish_s = result.seconds_total - result.seconds_dbt_startup - result.seconds_dbt_nodes
    print(f"scale {scale:g}: simulate {simulated:.1f}s, ingest {ingested:.1f}s ({raw_files} raw files)")
    print(f"  build total            {result.seconds_total:7.1f}s")
    print(f"  dbt start-up (parse)   {result.seconds_dbt_startup:7.1f}s")
    print(f"  node execution (wall)  {result.seconds_dbt_nodes:7.1f}s  "
          f"({', '.join(f'{n} {k}s' for k, n in sorted(result.node_counts.items()))})")
    print(f"    summed over nodes: compile {compile_s:.1f}s, execute {execute_s:.1f}s (2 threads)")
    print(f"  copy + analyst schema + publish {publish_s:5.1f}s")
    print(f"  warehouse size         {result.warehouse.stat().st_size / 1e6:7.1f} MB")
    print("  slowest nodes: " + "; ".join(f"{uid.split('.')[-1]} {s:.2f}s" for s, uid in slowest))


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--scales", type=float, nargs="+", default=[1.0, 10.0])
    parser.add_argument("--keep", type=Path, default=None, help="work here and keep the HOMEs")
    args = parser.parse_args()
    workdir = args.keep or Path(tempfile.mkdtemp(prefix="bench_build_"))
    workdir.mkdir(parents=True, exist_ok=True)
    try:
        for scale in args.scales:
            bench(scale, workdir)
    finally:
        if args.keep is None:
            shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
