"""The pipeline benchmark says why a step failed, not only how its output ended."""

from __future__ import annotations

import subprocess

from benchmarks.bench_pipeline import failure_text


def test_a_refused_publish_is_reported_from_its_reason_not_its_list_of_batches() -> None:
    output = ("ingested 28 files\n"
              "publish refused for as_of 2026-11-01; the published warehouse is unchanged.\n"
              "  - open_warnings_by_rule REV-10: 35 -> 3 warnings, -32 (-91.4%): fell more than 50%\n"
              + "".join(f"  - batch_{n:04d}\n" for n in range(400)))
    text = failure_text(subprocess.CalledProcessError(1, ["aidwatch", "run"], output))
    assert text.startswith("publish refused for as_of 2026-11-01")
    assert "REV-10: 35 -> 3" in text
    assert text.endswith(" …") and len(text) <= 2002


def test_output_without_a_failure_line_is_shown_from_its_start() -> None:
    text = failure_text(subprocess.CalledProcessError(2, ["aidwatch"], "line one\nline two"))
    assert text == "line one\nline two"
