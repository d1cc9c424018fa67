"""dbt's parse state shared by every HOME of this installation, so that a new HOME does not
parse the whole project.

Why: dbt parses the whole project (~3.5 s of Python at scale 1, more under GIL contention)
when a HOME's target folder has no `partial_parse.msgpack`: the first build of a new HOME, of
a restored backup, of every test HOME (issue 14). What that state depends on is not the HOME:
the project's files, dbt's version, the profile's rendered values and the environment
variables the project reads. The profile names the warehouse relative to HOME (build.dbt_env)
and the sources name the raw zone relative to HOME (warehouse/dbt_sources.py), so every HOME
of one installation renders them the same. dbt checks all of this itself when it reads the
state, parses again whatever changed and the whole project when its version, profile or vars
differ; a state taken from another HOME is therefore as safe as the HOME's own from yesterday.

How: before a build, a HOME without a state of its own starts from the shared one (`seed`);
after a build that passed, its state becomes the shared one when it differs (`share`). Both
are best effort: a read-only installation, a missing or damaged file only costs a full parse.
One state is shared, the last build's: a build with another profile (another
AIDWATCH_DUCKDB_MEMORY_LIMIT) parses the whole project once and leaves its own state, so a
new HOME built with the first profile again parses once more; a HOME's own state is never
replaced by the shared one.
"""

from __future__ import annotations

import logging
import tempfile
from pathlib import Path

from ingestion.landing import write_atomic_bytes
from warehouse.installation import shared_dir

log = logging.getLogger(__name__)

#: dbt's own name for its parse state, in a target folder.
STATE_NAME = "partial_parse.msgpack"


def shared_state_file() -> Path:
    """The installation's shared parse state (it may not exist yet), in
    `warehouse.installation.shared_dir()`."""
    return shared_dir() / STATE_NAME


def seed(target: Path) -> bool:
    """Give a target folder without a parse state a copy of the shared one; True when copied."""
    own, shared = target / STATE_NAME, shared_state_file()
    if own.exists() or not shared.is_file():
        return False
    try:
        write_atomic_bytes(own, shared.read_bytes())
    except OSError as error:
        log.info("dbt parses the whole project: cannot copy the shared parse state %s (%s)", shared, error)
        return False
    log.info("dbt starts from the shared parse state %s", shared)
    return True


def share(target: Path) -> bool:
    """Make a target folder's parse state the shared one, unless it already is; True when written.

    Written under a temporary name and renamed (`write_atomic_bytes`): builds of other HOMEs
    may read the shared state meanwhile and see the old file or the new one, never half.
    """
    own, shared = target / STATE_NAME, shared_state_file()
    try:
        if not own.is_file():
            return False
        state = own.read_bytes()  # ~2.4 MB at scale 1
        if shared.is_file() and shared.read_bytes() == state:
            return False
        write_atomic_bytes(shared, state)
    except OSError as error:
        log.info("parse state not shared (a new HOME parses the whole project): %s", error)
        return False
    return True


def prepare() -> Path | None:
    """Parse the project once, as a build of any HOME would, and share the state; its path.

    Why: run at installation (`make setup`, the image build) so that the first build of the
    first HOME does not pay the full parse either, as Python's byte-code is compiled ahead.
    None when dbt failed (the first build then parses the whole project and shares its state).
    """
    from aidwatch.home import Home
    from warehouse.build import dbt_args, dbt_env, run_dbt

    with tempfile.TemporaryDirectory(prefix="aidwatch-parse-") as folder:
        home = Home(Path(folder))
        result = run_dbt(dbt_args("parse", home, "--quiet"), dbt_env(home, home.warehouse_next))
        if not result.success:
            log.warning("dbt parse failed, no shared parse state: %s", result.exception)
            return None
        share(home.dbt_work / "target")
    return shared_state_file()


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    shared = prepare()
    print(f"shared dbt parse state: {shared}" if shared else "no shared dbt parse state (see above)")
    raise SystemExit(0 if shared else 1)
