"""Ingestion's allocators reuse freed memory (ingestion/allocators.py).

Each probe runs in a fresh interpreter: glibc's thresholds and Arrow's pool are set once
per process, and the test session's own allocations would blur the page-fault counts.
"""

from __future__ import annotations

import platform
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

#: Arrays of 1-4 MiB (above glibc's first mmap threshold of 128 KiB, below the 32 MiB set here)
#: allocated and freed twice; prints the minor page faults of the second round. Without the
#: setting glibc maps the first round and hands it back, then grows its heap for the second.
PROBE = r"""
import resource, sys
from pathlib import Path
import numpy as np
import pyarrow as pa
before = pa.default_memory_pool().backend_name
if sys.argv[1] == "ingest":
    from aidwatch.home import Home
    from ingestion.pipeline import ingest_inbox
    ingest_inbox(Path(sys.argv[2]), Home(Path(sys.argv[3])), workers=1)
def round_of_arrays():
    for mib in (1, 2, 3, 4):
        values = np.ones(mib << 17)  # float64: mib MiB, every page written
        del values
round_of_arrays()
faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
round_of_arrays()
print(before, pa.default_memory_pool().backend_name,
      resource.getrusage(resource.RUSAGE_SELF).ru_minflt - faults)
"""


def probe(tmp_path: Path, mode: str) -> tuple[str, str, int]:
    (tmp_path / "inbox").mkdir(exist_ok=True)
    command = [sys.executable, "-c", PROBE, mode, str(tmp_path / "inbox"), str(tmp_path / "home")]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=120, check=True)
    before, after, faults = done.stdout.split()
    return before, after, int(faults)


def test_ingestion_keeps_arrow_on_mimalloc(tmp_path: Path) -> None:
    """Not jemalloc, which pyarrow's wheels build to hand every freed page back at once."""
    before, after, _ = probe(tmp_path, "ingest")
    assert (before, after) == ("mimalloc", "mimalloc")


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="glibc's mallopt thresholds only")
def test_ingestion_reuses_freed_arrays_below_32_mib(tmp_path: Path) -> None:
    """The second round of 1-4 MiB arrays reuses the first round's pages; without the setting
    (same probe, no ingestion) glibc grows its heap for them: ~1,000 fresh pages (4 MiB)."""
    _, _, reused = probe(tmp_path, "ingest")
    _, _, refaulted = probe(tmp_path, "plain")
    assert reused < 100
    assert refaulted > 500
