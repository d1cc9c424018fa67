"""Benchmark the simulator: wall time, CPU time and rows written per second.

Prints figures only (asserts nothing). Usage:
    .venv/bin/python benchmarks/bench_simulate.py [--scales 1,10] [--months 24] [--keep DIR]
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from simulator.generate import simulate  # noqa: E402


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def bench(scale: float, months: int, root: Path) -> dict:
    out = root / f"inbox_scale{scale:g}"
    cpu0, wall0 = cpu_seconds(), time.perf_counter()
    simulate(out, as_of=date(2026, 11, 28), seed=1, scale=scale, months=months)
    wall, cpu = time.perf_counter() - wall0, cpu_seconds() - cpu0
    manifest = json.loads((out / "_truth" / "manifest.json").read_text(encoding="utf-8"))
    size = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
    rows = manifest["delivered_rows"]
    return {
        "scale": scale,
        "months": months,
        "wall_s": wall,
        "cpu_s": cpu,
        "rows": rows,
        "rows_per_s": rows / wall,
        "files": manifest["files"],
        "mb": size / 1e6,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--scales", default="1,10", help="comma-separated scales (default 1,10)")
    parser.add_argument("--months", type=int, default=24)
    parser.add_argument("--keep", type=Path, help="write the inboxes here and keep them")
    args = parser.parse_args()
    root = args.keep or Path(tempfile.mkdtemp(prefix="bench_simulate_"))
    root.mkdir(parents=True, exist_ok=True)
    print(
        f"{'scale':>6} {'months':>6} {'wall s':>8} {'cpu s':>8} {'rows':>11} {'rows/s':>10} {'files':>6} "
        f"{'MB':>8} {'peak RSS MB':>12}"
    )
    try:
        for scale in (float(s) for s in args.scales.split(",")):
            r = bench(scale, args.months, root)
            print(
                f"{r['scale']:>6g} {r['months']:>6} {r['wall_s']:>8.1f} {r['cpu_s']:>8.1f} {r['rows']:>11,} "
                f"{r['rows_per_s']:>10,.0f} {r['files']:>6} {r['mb']:>8.0f} {r['peak_rss_mb']:>12,.0f}",
                flush=True,
            )
            if not args.keep:
                shutil.rmtree(root / f"inbox_scale{scale:g}", ignore_errors=True)
    finally:
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
