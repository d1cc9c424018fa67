"""A full `aidwatch run` in its own process: modes as documented, an analyst file with no identity.

One slow test on purpose: a real run (ingest, dbt build, publish, analyst file, export)
is the only way to see what every part writes into HOME under the CLI's umask.
"""

from __future__ import annotations

import os
import re
import stat
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from aidwatch.home import Home
from aidwatch.permissions import loose_modes
from exports.analyst import KEY_ENV
from tests.exports.test_analyst import analyst_cells, identities_in, people_of
from tests.fixtures.simulated import TEST_AS_OF

REPO = Path(__file__).resolve().parents[2]
JOIN = ("select m.id_number, m.name, a.id_number, a.name from marts.dim_person m "
        "join pseudonymisation.id_map p on p.original = m.id_number "
        "join analyst.dim_person a on a.id_number = p.pseudonym")


def aidwatch(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "aidwatch.cli", *args], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=1500)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def doc_queries() -> list[str]:
    text = (REPO / "docs" / "analysts.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```sql\n(.*?)```", text, re.DOTALL)
    return [statement for block in blocks for statement in block.split(";") if statement.strip()]


@pytest.mark.slow
def test_full_run_private_home_and_analyst_file_without_identity(
    simulated_inbox: Path, tmp_path: Path
) -> None:
    home = Home(tmp_path / "home")
    env = {**os.environ, KEY_ENV: "end-to-end-key", "PYTHONPATH": str(REPO)}
    env.pop("AIDWATCH_HOME", None)
    run = aidwatch("run", "--inbox", str(simulated_inbox), "--as-of", TEST_AS_OF.isoformat(),
                   "--home", str(home.root), env=env)
    # 3: published, but the simulated inbox holds faulty files that were rejected (as it should)
    assert run.returncode in (0, 3), run.stderr[-3000:]
    assert "re-identification risk, published: unique on (age_band, sex, " in run.stderr

    # modes as documented (docs/design.md, Permissions and audit)
    assert loose_modes(home) == []
    doctor = aidwatch("doctor", "--home", str(home.root), env=env)
    assert doctor.returncode == 0, doctor.stdout
    export = home.exports / TEST_AS_OF.isoformat()
    assert mode(home.root) == 0o750 and mode(home.analyst_file) == 0o640
    assert mode(home.exports) == mode(export) == 0o750
    assert {mode(path) for path in export.iterdir()} == {0o640}
    assert mode(home.warehouse) == 0o600 and mode(home.audit_log) == 0o600
    assert mode(home.audit_log.parent) == mode(home.ledger) == mode(home.raw) == 0o700
    assert {mode(path) for path in home.raw.rglob("*.parquet")} == {0o600}
    os.chmod(home.warehouse, 0o644)
    assert aidwatch("doctor", "--home", str(home.root), env=env).returncode == 1
    os.chmod(home.warehouse, 0o600)

    # the warehouse keeps no analyst schema and no map; the analyst file no marts
    with duckdb.connect(str(home.warehouse), read_only=True) as con:
        schemas = {r[0] for r in con.execute(
            "select schema_name from information_schema.schemata").fetchall()}
    assert "marts" in schemas and not schemas & {"analyst", "pseudonymisation"}
    with duckdb.connect(str(home.analyst_file), read_only=True) as con:
        with pytest.raises(duckdb.CatalogException):
            con.execute(JOIN)
        for query in doc_queries():  # docs/analysts.md's examples run on the analyst file
            con.execute(query).fetchall()
    assert identities_in(analyst_cells(home.analyst_file), *people_of(home.warehouse)) == []
