"""The simulator writes each delivery a chunk of lines at a time; the files must not depend on it.

Why: streaming keeps memory to a chunk of formatted lines instead of whole files (a scale-10
ps_hukou delivery is ~0.5 GB of text), and "same seed, same bytes" must hold whatever the
chunk size. The session inbox is written with the default chunk (one chunk per file at this
scale); here the same league is written 7 lines at a time, so every chunk boundary, changed
(faulty) row and first-line BOM lands inside a chunk or on its edge somewhere.
"""

from __future__ import annotations

from pathlib import Path

from simulator.generate import simulate
from tests.fixtures.simulated import TEST_AS_OF, TEST_MONTHS, TEST_SCALE, TEST_SEED


def files_of(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_files_are_byte_identical_whatever_the_chunk_size(simulated_inbox: Path, tmp_path: Path) -> None:
    chunked = simulate(tmp_path / "inbox", as_of=TEST_AS_OF, seed=TEST_SEED, scale=TEST_SCALE,
                       months=TEST_MONTHS, chunk_rows=7)
    whole, small = files_of(simulated_inbox), files_of(chunked)
    assert sorted(small) == sorted(whole)
    differing = [name for name in whole if whole[name] != small[name]]
    assert differing == []
    # the comparison covered multi-chunk files of every text format
    suffixes = {name.rsplit(".", 1)[-1] for name, data in whole.items() if data.count(b"\n") > 14}
    assert {"csv", "json", "jsonl"} <= suffixes
