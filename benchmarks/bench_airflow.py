"""Airflow's first run of the demo inbox, trigger to success, next to `aidwatch run` on the same inbox.

Issue 14's goal: the `aidwatch_daily` DAG's first run of the scale-1 demo inbox in <= 150 s
(416 s before its ingestion became one task). This benchmark:
- simulates an inbox (`--scale`, default 1) or copies one (`--inbox DIR`);
- runs `aidwatch run` on it into a fresh HOME: the reference, same inbox, same machine state;
- makes a throw-away AIRFLOW_HOME (`airflow db migrate`, SQLite, the warehouse pool), then in one
  process parses the project's dags folder and runs the real DAG for the same as_of through
  `dag.test()` (what tests/airflow does; no scheduler) into another fresh HOME, and prints the
  trigger-to-success wall time and every task's duration from Airflow's own task instances.
Each step is its own process (measured: wall, CPU of the process tree, peak RSS). Slow: at
scale 1 about two pipeline runs plus the simulation (~4-5 min on a quiet machine). Prints
figures, asserts nothing; the machine's load is printed with every figure.

    .venv/bin/python benchmarks/bench_airflow.py [--scale 1] [--inbox DIR] [--keep DIR]
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from aidwatch.commands.run import EXIT_PUBLISHED_WITH_FILES_NOT_LOADED  # noqa: E402
from benchmarks.measure import Measured, as_deployed, load, run  # noqa: E402

BIN = ROOT / ".venv" / "bin"
AS_OF = date(2026, 11, 1)
GOAL_S = 150.0
BEFORE_S = 416.0  # issue 14: 27 mapped ingest tasks, each importing Great Expectations

#: Runs in its own process with AIRFLOW_HOME set before airflow is first imported.
DAG_TEST = """
import json, sys, time
from datetime import UTC, datetime, time as clock
from pathlib import Path

started = time.perf_counter()
dags, home, inbox, as_of, pool = sys.argv[1:6]
from airflow.models.pool import Pool
Pool.create_or_update_pool(pool, slots=1, description="aidwatch: one warehouse writer",
                           include_deferred=False)
from airflow.dag_processing.dagbag import DagBag
from airflow.utils.session import create_session
bag = DagBag(dag_folder=dags, known_pools={p.pool for p in Pool.get_pools()})
if bag.import_errors:
    sys.exit(f"DAG import errors: {bag.import_errors}")
dag = bag.get_dag("aidwatch_daily")
ready = time.perf_counter()
logical_date = datetime.combine(datetime.fromisoformat(as_of).date(), clock(0, 0), tzinfo=UTC)
dag_run = dag.test(logical_date=logical_date, run_conf={"home": home, "inbox": inbox})
finished = time.perf_counter()
with create_session() as session:
    tasks = [
        {"task": ti.task_id if ti.map_index < 0 else f"{ti.task_id}[{ti.map_index}]", "state": str(ti.state),
         "seconds": ti.duration, "start": ti.start_date.isoformat() if ti.start_date else None}
        for ti in dag_run.get_task_instances(session=session)
    ]
print("RESULT " + json.dumps({"state": str(dag_run.state), "trigger_to_success_s": finished - ready,
                              "imports_and_parse_s": ready - started, "tasks": tasks}))
"""


def airflow_env(airflow_home: Path) -> dict[str, str]:
    """A throw-away Airflow: SQLite metadata, the project's dags, no examples (as tests/airflow)."""
    return {
        "AIRFLOW_HOME": str(airflow_home),
        "AIRFLOW__CORE__DAGS_FOLDER": str(ROOT / "dags"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{airflow_home / 'airflow.db'}",
        "AIRFLOW__LOGGING__BASE_LOG_FOLDER": str(airflow_home / "logs"),
    }


def prepare_inbox(args: argparse.Namespace, work: Path) -> Path:
    inbox = work / "inbox"
    if args.inbox is not None:
        shutil.copytree(args.inbox, inbox, ignore=shutil.ignore_patterns("_truth"))
        print(f"inbox copied from {args.inbox}", flush=True)
        return inbox
    simulated = run(f"aidwatch simulate --scale {args.scale:g}",
                    [str(BIN / "aidwatch"), "simulate", "--out", str(inbox), "--scale", f"{args.scale:g}",
                     "--as-of", AS_OF.isoformat(), "--seed", "1"])
    print(f"  {simulated.line()}  ({load()})", flush=True)
    return inbox


def show(m: Measured, note: str = "") -> None:
    print(f"  {m.line()}{note}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=float, default=1.0, help="simulate this scale (default 1)")
    parser.add_argument("--inbox", type=Path, help="copy this inbox instead of simulating one")
    parser.add_argument("--keep", type=Path, help="work here and keep the inbox, HOMEs and AIRFLOW_HOME")
    args = parser.parse_args()
    if args.inbox is not None and not args.inbox.is_dir():
        parser.error(f"--inbox {args.inbox} is not a folder")
    work = args.keep or Path(tempfile.mkdtemp(prefix="bench_airflow_"))
    work.mkdir(parents=True, exist_ok=True)
    print(f"before this work (issue 14): Airflow first run {BEFORE_S:g} s; goal <= {GOAL_S:g} s; {load()}")
    print(as_deployed())
    try:
        inbox = prepare_inbox(args, work)
        reference = run("aidwatch run (reference, same inbox)",
                        [str(BIN / "aidwatch"), "run", "--inbox", str(inbox), "--home",
                         str(work / "home_cli"), "--as-of", AS_OF.isoformat()],
                        ok=(0, EXIT_PUBLISHED_WITH_FILES_NOT_LOADED))
        show(reference, f"  ({load()})")
        env = airflow_env(work / "airflow_home")
        migrate = run("airflow db migrate (set-up, not in the figure)",
                      [str(BIN / "airflow"), "db", "migrate"], env=env)
        show(migrate)
        dag_test = run("Airflow dag.test() process (imports, parse, run)",
                       [str(BIN / "python"), "-c", DAG_TEST, str(ROOT / "dags"), str(work / "home_airflow"),
                        str(inbox), AS_OF.isoformat(), "aidwatch_warehouse"], env=env)
        show(dag_test, f"  ({load()})")
        lines = [line for line in dag_test.stdout.splitlines() if line.startswith("RESULT ")]
        if not lines:
            print(dag_test.stdout[-3000:])
            raise SystemExit("dag.test() printed no result")
        result = json.loads(lines[-1].removeprefix("RESULT "))
        print(f"  DAG run {result['state']}: trigger to success {result['trigger_to_success_s']:.1f} s "
              f"(goal <= {GOAL_S:g} s, before {BEFORE_S:g} s) vs aidwatch run {reference.wall_s:.1f} s "
              f"on the same inbox ({result['trigger_to_success_s'] / reference.wall_s:.2f}x); "
              f"imports and DAG parse before the trigger {result['imports_and_parse_s']:.1f} s")
        for task in sorted(result["tasks"], key=lambda t: t["start"] or ""):
            seconds = f"{task['seconds']:7.1f} s" if task["seconds"] is not None else "      - "
            print(f"    {task['task']:<28} {seconds}  {task['state']}")
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
