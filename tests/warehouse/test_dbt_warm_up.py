"""dbt's start-up paid ahead of a build (warehouse/dbt_warm_up.py), in a fresh interpreter each.

The warm-up runs in a thread of `aidwatch run` while ingestion goes on in the same process, so
what it must not do matters as much as what it does: change the working directory or the
environment, leave files, touch a HOME, or raise.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

#: Runs `warm_up_dbt` in a thread of a fresh interpreter; prints what changed around it as JSON.
SCRIPT = r"""
import json, os, sys, tempfile, threading
from pathlib import Path

from dbt_common.dataclass_schema import dbtClassMixin

import warehouse.build
from warehouse.dbt_warm_up import warm_up_dbt

if len(sys.argv) > 1:
    warehouse.build.PROJECT_DIR = Path(sys.argv[1])  # a project that does not parse

schemas = dbtClassMixin.__dict__["json_schema"].__func__.cache_info
before = {"cwd": os.getcwd(), "environ": dict(os.environ), "dbt imported": "dbt.cli.main" in sys.modules,
          "schemas built": schemas().currsize}
answer = {}
thread = threading.Thread(target=lambda: answer.update(passed=warm_up_dbt()))
thread.start()
thread.join()
print(json.dumps({
    "passed": answer["passed"],
    "dbt imported before": before["dbt imported"], "dbt imported after": "dbt.cli.main" in sys.modules,
    "schemas built before": before["schemas built"], "schemas built after": schemas().currsize,
    "same cwd": os.getcwd() == before["cwd"], "same environment": dict(os.environ) == before["environ"],
    "left in the temporary folder": sorted(os.listdir(tempfile.gettempdir())),
}))
"""


def warm_up_in_fresh_interpreter(tmp_path: Path, *args: str) -> dict:
    temporary = tmp_path / "tmp"
    temporary.mkdir()
    workdir = tmp_path / "cwd"
    workdir.mkdir()
    env = {**os.environ, "TMPDIR": str(temporary), "PYTHONPATH": str(Path(__file__).parents[2])}
    done = subprocess.run([sys.executable, "-c", SCRIPT, *args], cwd=workdir, env=env, capture_output=True,
                          text=True, timeout=300, check=True)
    answer = json.loads(done.stdout.strip().splitlines()[-1])
    assert sorted(p.name for p in workdir.iterdir()) == []  # nothing written where it runs
    return answer


def test_a_warm_up_imports_dbt_and_builds_its_first_use_state_and_leaves_nothing(tmp_path: Path) -> None:
    answer = warm_up_in_fresh_interpreter(tmp_path)
    assert answer == {
        "passed": True,
        "dbt imported before": False, "dbt imported after": True,
        "schemas built before": 0, "schemas built after": answer["schemas built after"],
        "same cwd": True, "same environment": True,
        "left in the temporary folder": [],
    }
    assert answer["schemas built after"] > 0  # the JSON schemas a build's parse would build first


def test_a_warm_up_that_cannot_parse_says_so_and_raises_nothing(tmp_path: Path) -> None:
    answer = warm_up_in_fresh_interpreter(tmp_path, str(tmp_path / "no project here"))
    assert answer["passed"] is False
    assert answer["same cwd"] and answer["same environment"]
    assert answer["left in the temporary folder"] == []
