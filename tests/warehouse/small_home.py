"""A small hand-made HOME: three households over two monthly deliveries (see write_small_raw_zone).

Why its own module: the session fixture `two_builds` (tests/warehouse/conftest.py) builds it
once for every warehouse test module (publish, publish gate, replay).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path

import duckdb

from aidwatch.home import Home
from tests.fixtures.installation import new_installation
from tests.warehouse.raw_batches import write_batch
from warehouse.build import BuildResult, build, environment

E1 = date(2026, 9, 30)
E2 = date(2026, 10, 31)
EARLY = date(2026, 10, 15)  # sees only the deliveries of E1
LATE = date(2026, 11, 1)  # sees E1 and E2

# Valid resident IDs (stdnum ric.is_valid is true for each).
HEAD_1 = "152921198001010019"
SPOUSE_1 = "152921198202020029"
HEAD_2 = "152922194003030011"
HEAD_3 = "152923199004040034"
CHILD_3A = "152923201505050046"
CHILD_3B = "152923201706060056"


def _household(household_id: str, head: str, region: str, **fields) -> dict:
    base = dict(
        household_id=household_id, head_id_number=head, region_code=region, urban_rural="urban",
        status="active", approved_on=date(2024, 1, 10), last_review_on=date(2026, 1, 10),
    )
    return base | fields


def _member(household_id: str, id_number: str, name: str, relation: str = "self") -> dict:
    return dict(household_id=household_id, id_number=id_number, name=name, relation=relation, covered=True)


def _payment(payment_id: str, month: date, household_id: str, id_number: str, program: str, amount: str):
    return dict(payment_id=payment_id, pay_month=month, household_id=household_id, id_number=id_number,
                program=program, amount=Decimal(amount))


def write_small_raw_zone(home: Home) -> None:
    """Three households over two monthly deliveries, with a correction and a death."""
    h1 = _household("H1", HEAD_1, "152921102001", assistance_type="dibao", dibao_class="A")
    h2 = _household("H2", HEAD_2, "152922103001", assistance_type="tekun", tekun_support_mode="dispersed")
    h3 = _household("H3", HEAD_3, "152923100201", assistance_type="edge", urban_rural="rural")
    write_batch(home, "ca_households", E1, [h1, h2])
    write_batch(home, "ca_households", E2, [h1 | {"status": "terminated", "terminated_on": E2}, h2, h3])
    members_1 = [_member("H1", HEAD_1, "张一"), _member("H1", SPOUSE_1, "李一", "spouse"),
                 _member("H2", HEAD_2, "王二")]
    write_batch(home, "ca_members", E1, members_1)
    write_batch(home, "ca_members", E2, members_1 + [
        _member("H3", HEAD_3, "赵三"), _member("H3", CHILD_3A, "赵小三", "child"),
        _member("H3", CHILD_3B, "赵小四", "child"),
    ])
    write_batch(home, "ca_payments", E1, [
        _payment("P1", date(2026, 9, 1), "H1", HEAD_1, "dibao", "955.00"),
        _payment("P2", date(2026, 9, 1), "H2", HEAD_2, "tekun_basic", "2096.00"),
    ])
    write_batch(home, "ca_payments", E2, [
        _payment("P1", date(2026, 9, 1), "H1", HEAD_1, "dibao", "950.00"),  # correction
        _payment("P3", date(2026, 10, 1), "H2", HEAD_2, "tekun_basic", "2096.00"),
    ])
    write_batch(home, "ca_deaths", E2, [dict(id_number=SPOUSE_1, death_date=date(2026, 10, 20))])
    write_batch(home, "sf_charity_aid", E2, [
        dict(record_id="C1", org_name="阿拉善慈善总会", org_type="charity", id_number=HEAD_3,
             aid_form="goods", value=Decimal("300.00"), given_on=date(2026, 10, 8)),
    ])


@dataclass
class TwoBuilds:
    home: Home
    early: BuildResult
    late: BuildResult
    early_snapshot: dict
    reader_output: str


def query(path: Path, sql: str) -> list[tuple]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


SNAPSHOT_QUERIES = {
    "households": "select household_id, status from staging.stg_ca_households order by 1",
    "p1": "select amount from staging.stg_ca_payments where payment_id = 'P1'",
    "deaths": "select count(*) from intermediate.int_deaths",
    "october": "select households, persons from marts.ind_01_assisted_by_type where month = '2026-10-01' "
    "and region_level = 'league' and urban_rural = 'all' and roll_type = 'all'",
}

READER = textwrap.dedent(
    """
    import sys, time, duckdb
    con = duckdb.connect(sys.argv[1], read_only=True)
    print(con.execute("select count(*) from staging.stg_ca_households").fetchall()[0][0], flush=True)
    sys.stdin.readline()  # hold the file open until the build is done
    print(con.execute("select count(*) from staging.stg_ca_households").fetchall()[0][0], flush=True)
    """
)


def build_twice(root: Path) -> TwoBuilds:
    """Build EARLY, then LATE while another process holds the published file open read-only."""
    home = Home(root)
    write_small_raw_zone(home)
    with new_installation(root.parent / f"{root.name}_installation"):
        early = build(home, EARLY, quiet=True)  # every test runs, as on a new installation
    early_snapshot = {k: query(home.warehouse, q) for k, q in SNAPSHOT_QUERIES.items()}
    reader = subprocess.Popen(
        [sys.executable, "-c", READER, str(home.warehouse)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )
    try:
        first = reader.stdout.readline().strip()
        late = build(home, LATE, quiet=True)  # must not be blocked by the open reader
        out, _ = reader.communicate("done\n", timeout=60)
    finally:
        if reader.poll() is None:
            reader.kill()
    return TwoBuilds(home, early, late, early_snapshot, first + " " + out.strip())


#: dbt's message when it cannot keep its partial-parse state (dbt/parser/manifest.py)
FULL_PARSE = "Unable to do partial parsing"

#: dbt logs its parse decisions at debug; the build's file log is at info unless asked (dbt_env)
DEBUG_FILE_LOG = {"DBT_LOG_LEVEL_FILE": "debug"}


def dbt_logged(logs: Path) -> str:
    """Everything dbt wrote to its log files in `logs` (dbt.log and its rotated parts)."""
    return "".join(p.read_text(encoding="utf-8", errors="replace") for p in sorted(logs.glob("dbt.log*")))


def logged_build(home: Home, as_of: date) -> tuple[BuildResult, str]:
    """Build and return what dbt logged meanwhile (the HOME's earlier logs are removed first:
    dbt rotates its log file, so an offset into the old one is not reliable)."""
    logs = home.dbt_work / "logs"
    shutil.rmtree(logs, ignore_errors=True)
    with environment(DEBUG_FILE_LOG):
        result = build(home, as_of, quiet=True)
    return result, dbt_logged(logs)
