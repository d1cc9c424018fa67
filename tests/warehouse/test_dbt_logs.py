"""dbt's output in a process that ends like an Airflow task (os._exit): no colour codes, no
"leaked semaphore" ERROR lines from multiprocessing's resource tracker, and a file log without
dbt's debug lines (warehouse/build.py)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from aidwatch.home import Home

pytestmark = pytest.mark.slow

CHILD = """
import os, sys
from pathlib import Path
from aidwatch.home import Home
from warehouse.build import dbt_args, dbt_env, run_dbt

home = Home(Path(sys.argv[1]))
result = run_dbt(dbt_args("build", home, "--select", "dim_region"), dbt_env(home, Path(sys.argv[2])))
print("dbt success:", result.success, flush=True)
sys.stderr.flush()
os._exit(0 if result.success else 1)  # as Airflow's task process ends: no atexit, no finalisers
"""


def test_a_dbt_build_in_a_task_like_process_logs_clean(built_home: Home, tmp_path: Path) -> None:
    home = Home(tmp_path / "home")
    shutil.copytree(built_home.dbt_work, home.dbt_work, ignore=shutil.ignore_patterns("*.lock"))
    warehouse = tmp_path / "warehouse.duckdb"
    shutil.copyfile(built_home.warehouse, warehouse)

    done = subprocess.run([sys.executable, "-c", CHILD, str(home.root), str(warehouse)],
                          capture_output=True, text=True, timeout=600)

    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    assert "dbt success: True" in done.stdout
    assert "\x1b[" not in output  # DBT_USE_COLORS=false
    assert "leaked semaphore" not in output and "resource_tracker" not in output
    # the file log at info unless DBT_LOG_LEVEL_FILE says otherwise (warehouse.build.dbt_env)
    logged = (home.dbt_work / "logs" / "dbt.log").read_text(encoding="utf-8")
    assert "[info ]" in logged and "[debug]" not in logged
