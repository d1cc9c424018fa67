"""Measuring a command: wall time, CPU time and peak memory of its whole process tree.

Why a sampler rather than getrusage: `ru_maxrss` of RUSAGE_CHILDREN is the largest
single descendant ever waited for (it never goes down between commands), and ingestion
runs several worker processes at once; the machine needs their sum. A thread samples
the summed RSS of the command's process tree from /proc every 0.2 s. CPU time is
getrusage's, for the command's children alone.

Every benchmark prints the load average with its figures: the machine is shared, and
a ratio to a reference measured in the same run is what holds under load.
"""

from __future__ import annotations

import argparse
import os
import resource
import secrets
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path

PAGE = os.sysconf("SC_PAGE_SIZE")
#: exports.analyst.KEY_ENV (not imported: `measure.py` runs without the project's packages)
PSEUDONYM_KEY_ENV = "AIDWATCH_PSEUDONYM_KEY"


def as_deployed() -> str:
    """Give this process and every command it measures a pseudonym key, as a deployment has.

    Why: without a key a build publishes the warehouse but writes no analyst file (it logs
    an error instead). Before 2026-12-02 no benchmark set one, so every build, run and
    Airflow figure left out the analyst file (~20 s of a scale-1 publish then). A key
    already in the environment is kept. Returns what the figures should say about it.
    """
    if os.environ.get(PSEUDONYM_KEY_ENV, "").strip():
        return "pseudonym key from the environment: the analyst file is written and measured"
    os.environ[PSEUDONYM_KEY_ENV] = secrets.token_hex(32)
    return "a random pseudonym key, as a deployment has one: the analyst file is written and measured"


@dataclass
class Measured:
    """One command's cost."""

    label: str
    wall_s: float
    cpu_s: float  # user + system of the children that finished
    peak_mb: float  # sampled: the largest summed RSS of the process tree
    returncode: int
    stdout: str

    def line(self) -> str:
        return (f"{self.label:<52} wall {self.wall_s:7.1f} s  cpu {self.cpu_s:7.1f} s  "
                f"peak RSS {self.peak_mb:7,.0f} MB")


def load() -> str:
    """The 1-minute load average against the core count (say it with every figure)."""
    one, five, _ = os.getloadavg()
    return f"load {one:.1f} (5 min {five:.1f}) on {os.cpu_count()} cores"


def _children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(p) for p in text.split()]


def tree_rss(pid: int) -> int:
    """Summed resident bytes of pid and all its descendants (0 when gone)."""
    total, stack = 0, [pid]
    while stack:
        p = stack.pop()
        try:
            fields = Path(f"/proc/{p}/statm").read_text().split()
            total += int(fields[1]) * PAGE
        except (OSError, IndexError):
            continue
        stack.extend(_children(p))
    return total


def run(label: str, argv: list[str], env: dict[str, str] | None = None,
        cwd: Path | None = None, ok: tuple[int, ...] = (0,)) -> Measured:
    """Run argv to completion and measure it; raises CalledProcessError (with its output) when
    its exit status is not in `ok`."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    process = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                               env={**os.environ, **(env or {})}, cwd=cwd)
    peak = 0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, tree_rss(process.pid))
            done.wait(0.2)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    output, _ = process.communicate()
    done.set()
    sampler.join()
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if process.returncode not in ok:
        raise subprocess.CalledProcessError(process.returncode, argv, output)
    return Measured(label, wall, cpu, peak / 1e6, process.returncode, output)


def median_of(runs: list[Measured]) -> Measured:
    """The run with the median wall time (odd counts; the lower middle otherwise)."""
    ordered = sorted(runs, key=lambda m: m.wall_s)
    return ordered[(len(ordered) - 1) // 2]


def main() -> None:
    """`python benchmarks/measure.py -- COMMAND ...`: one command's wall, CPU and tree peak, with the load."""
    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--label", default=None, help="what to call it in the output line")
    parser.add_argument("--ok", default="0,1,3",
                        help="exit statuses that still give figures (default 0,1,3: `aidwatch ingest` "
                             "exits 1 and `aidwatch run` 3 when a planted faulty file is rejected)")
    parser.add_argument("command", nargs=argparse.REMAINDER, help="the command (after --)")
    args = parser.parse_args()
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("give the command to measure after --")
    print(as_deployed())
    before = load()
    ok = tuple(int(status) for status in args.ok.split(","))
    measured = run(args.label or " ".join(command)[:52], command, ok=ok)
    print(measured.stdout[-2000:])
    print(measured.line())
    print(f"  exit {measured.returncode}; {before} before, {load()} after")


if __name__ == "__main__":
    main()
