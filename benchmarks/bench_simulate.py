"""Benchmark the simulator: wall, CPU, peak memory and output per scale, and the memory slope.

Each scale runs `aidwatch simulate` in its own process (benchmarks/measure.py samples its
RSS), so every peak is that scale's own. Prints figures only (asserts nothing); the slope
between the two largest scales projects the peak at scale 10 (issue 14's goal: <= 6 GB).
Usage:
    .venv/bin/python benchmarks/bench_simulate.py [--scales 0.2,1,2] [--months 24] [--keep DIR]
        [--code DIR]
`--code DIR` measures the simulator of another checkout (e.g. the code before a change,
`git archive HEAD | tar -x -C DIR`): it runs `python -m aidwatch.cli` with DIR first on
PYTHONPATH, with this venv's packages.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.measure import load, run  # noqa: E402

AIDWATCH = str(Path(sys.executable).with_name("aidwatch"))
AS_OF = "2026-11-01"


def bench(scale: float, months: int, root: Path, code: Path | None = None) -> dict:
    out = root / f"inbox_scale{scale:g}"
    command = [AIDWATCH] if code is None else [sys.executable, "-m", "aidwatch.cli"]
    measured = run(
        f"simulate scale {scale:g}",
        [*command, "simulate", "--scale", f"{scale:g}", "--seed", "1", "--as-of", AS_OF,
         "--months", str(months), "--out", str(out)],
        env=None if code is None else {"PYTHONPATH": str(code)},
        cwd=code,
    )
    manifest = json.loads((out / "_truth" / "manifest.json").read_text(encoding="utf-8"))
    size = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
    return {
        "scale": scale,
        "wall_s": measured.wall_s,
        "cpu_s": measured.cpu_s,
        "peak_mb": measured.peak_mb,
        "rows": manifest["delivered_rows"],
        "files": manifest["files"],
        "mb": size / 1e6,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--scales", default="0.2,1,2", help="comma-separated scales (default 0.2,1,2)")
    parser.add_argument("--months", type=int, default=24)
    parser.add_argument("--keep", type=Path, help="write the inboxes here and keep them")
    parser.add_argument("--code", type=Path, help="measure the simulator of this checkout instead")
    args = parser.parse_args()
    if args.code is not None and not (args.code / "aidwatch" / "cli.py").is_file():
        parser.error(f"--code {args.code}: no aidwatch/cli.py there")
    args.code = args.code.resolve() if args.code is not None else None
    root = args.keep or Path(tempfile.mkdtemp(prefix="bench_simulate_"))
    root.mkdir(parents=True, exist_ok=True)
    print(f"simulator benchmark, code {args.code or 'this checkout'} ({load()})")
    print(f"{'scale':>6} {'wall s':>8} {'cpu s':>8} {'rows':>12} {'files':>6} {'MB':>8} {'peak RSS MB':>12}")
    results = []
    try:
        for scale in sorted(float(s) for s in args.scales.split(",")):
            r = bench(scale, args.months, root, args.code)
            results.append(r)
            print(f"{r['scale']:>6g} {r['wall_s']:>8.1f} {r['cpu_s']:>8.1f} {r['rows']:>12,} {r['files']:>6} "
                  f"{r['mb']:>8.0f} {r['peak_mb']:>12,.0f}", flush=True)
            if not args.keep:
                shutil.rmtree(root / f"inbox_scale{scale:g}", ignore_errors=True)
    finally:
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)
    if len(results) >= 2:
        a, b = results[-2], results[-1]
        slope = (b["peak_mb"] - a["peak_mb"]) / (b["scale"] - a["scale"])
        print(f"peak memory slope {a['scale']:g} -> {b['scale']:g}: {slope:,.0f} MB per unit of scale; "
              f"projected scale-10 peak {b['peak_mb'] + slope * (10 - b['scale']):,.0f} MB (goal <= 6,000); "
              f"CPU per unit {(b['cpu_s'] - a['cpu_s']) / (b['scale'] - a['scale']):.1f} s ({load()})")


if __name__ == "__main__":
    main()
