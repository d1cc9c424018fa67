"""Pay dbt's start-up ahead of a build, while something else keeps the machine busy.

Why: a build's dbt invocation starts with ~2.5-3 s of Python on one core before its first
node runs: importing dbt (~1.3 s) and, in a process that has not run dbt yet, ~1.2 s of
first use (mashumaro compiling its decoders for the manifest, dbt building the JSON schemas
it validates the project with). A second invocation in the same process loads the same
manifest in 0.4 s instead of 1.6 s. `aidwatch run` ingests first, in worker processes,
while its own process only waits for them; `warm_up_dbt` runs in that time (a thread of
`ingestion.pipeline.ingest_inbox`, `alongside=`), so the build that follows starts warm: its
dbt start-up took 1.0-1.2 s instead of 4.0-5.4 s, and a fresh scale-1 run ~2.7 s less (median
of eight pairs). A daily run's ingestion ends before the warm-up does, so there it only moves
the time (docs/performance.md, "This round", 2026-12-04 16:37).

What it does: `dbt parse` of the project, as `warehouse.parse_state.prepare` does, in a
temporary HOME that starts from the installation's shared parse state, so it is a partial
parse. Unlike a build it does not change the working directory (the ingestion in this
process may use relative paths): a parse opens no database, so the profile's relative
warehouse path is never resolved. For the parse's duration the process's environment holds
the build's variables for the temporary HOME (`build.dbt_env`); nothing in ingestion reads
them, and they are restored after. It reads and writes nothing of any real HOME, and what it
wrote is removed. It is an optimisation only: a failure is logged and the build then pays its
start-up itself.
"""

from __future__ import annotations

import logging
import tempfile
import time
from pathlib import Path

log = logging.getLogger(__name__)


def warm_up_dbt() -> bool:
    """Import dbt and run one quiet partial parse in a temporary HOME; True when the parse passed.

    Never raises: a failure is logged, and the build then pays its start-up itself.
    """
    started = time.perf_counter()
    passed = False
    try:
        from aidwatch.home import Home
        from warehouse import parse_state
        from warehouse.build import dbt_args, dbt_env, run_dbt

        with tempfile.TemporaryDirectory(prefix="aidwatch-dbt-warm-up-") as folder:
            home = Home(Path(folder))
            parse_state.seed(home.dbt_work / "target")
            # importing dbt (in run_dbt) is half of what this pays ahead
            result = run_dbt(dbt_args("parse", home, "--quiet"), dbt_env(home, home.warehouse_next),
                             in_home=False)
        passed = bool(result.success)
        if not passed:
            log.info("dbt warm-up: the parse did not pass (%s); the build starts cold", result.exception)
    except Exception as error:  # an optimisation only: the build does its own start-up
        log.info("dbt warm-up failed (%s); the build starts cold", error)
    log.debug("dbt warm-up in %.2f s", time.perf_counter() - started)
    return passed
