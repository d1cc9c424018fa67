"""The installed `aidwatch` console script: main's exit status and every line it wrote, then a quick exit.

`console_main` freezes the process's objects out of the garbage collector before the
interpreter tears down (docs/performance.md, 2026-12-03). These tests run the script as an
operator does, in its own process, and check that nothing of an orderly exit is lost: the
exit status, the buffered output through a pipe and the files the command wrote.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tomllib
from pathlib import Path

from tests.ingestion.deliveries import STAMP, valid_id, write_csv

REPO = Path(__file__).resolve().parents[2]
SCRIPT = Path(sys.executable).with_name("aidwatch")


def test_the_console_script_is_console_main() -> None:
    scripts = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]["scripts"]
    assert scripts["aidwatch"] == "aidwatch.cli:console_main"
    assert "console_main" in SCRIPT.read_text(encoding="utf-8")  # the venv was installed from it


def test_a_command_keeps_its_status_output_and_files(tmp_path: Path) -> None:
    inbox, home = tmp_path / "inbox", tmp_path / "home"
    write_csv(inbox / "dpf_disability" / f"残疾人证_{STAMP}.csv", ["身份证号", "残疾类别", "有效期至"],
              [[valid_id("15292119800101123"), "肢体", "9999-12-31"]])
    write_csv(inbox / "ca_deaths" / "deaths_without_a_date.csv", ["身份证号"], [["x"]])
    done = subprocess.run([str(SCRIPT), "ingest", "--inbox", str(inbox), "--home", str(home)],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 1, done.stderr  # the file without a date is rejected
    assert "ca_deaths/deaths_without_a_date.csv" in done.stdout + done.stderr
    assert done.stdout.rstrip().splitlines()[-1].strip(), "the last line of the summary arrived"
    entries = [json.loads(p.read_text(encoding="utf-8")) for p in (home / "ledger").glob("*.json")]
    assert sorted(e["status"] for e in entries) == ["loaded", "rejected"]


def test_an_argument_error_still_exits_2() -> None:
    done = subprocess.run([str(SCRIPT), "ingest", "--workers", "0"], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 2 and "argument --workers: must be at least 1, got 0" in done.stderr
