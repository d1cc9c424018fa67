"""Build and publish on a small hand-made raw zone: as_of semantics and safe publishing.

One HOME is built twice (an earlier as_of, then a later one while another process
holds the published file open read-only); a copy of it gets a bad batch and must
fail without touching its published warehouse.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from aidwatch.home import Home
from tests.warehouse.raw_batches import write_batch
from warehouse.build import BuildFailed, BuildResult, build

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


@pytest.fixture(scope="module")
def two_builds(tmp_path_factory) -> TwoBuilds:
    home = Home(tmp_path_factory.mktemp("small_home"))
    write_small_raw_zone(home)
    early = build(home, EARLY, quiet=True)
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


def test_earlier_as_of_gives_that_days_answer(two_builds):
    early = two_builds.early_snapshot
    assert early["households"] == [("H1", "active"), ("H2", "active")]
    assert early["p1"] == [(Decimal("955.00"),)]
    assert early["deaths"] == [(0,)]
    assert early["october"] == [(2, 3)]  # October read on as_of 2026-10-15: the E1 roll


def test_later_as_of_sees_corrections_new_rolls_and_deaths(two_builds):
    path = two_builds.home.warehouse
    late = {k: query(path, q) for k, q in SNAPSHOT_QUERIES.items()}
    assert late["households"] == [("H1", "terminated"), ("H2", "active"), ("H3", "active")]
    assert late["p1"] == [(Decimal("950.00"),)]  # the later delivery of the same key corrects it
    assert late["deaths"] == [(1,)]
    assert late["october"] == [(2, 4)]  # H2 (1 person) and H3 (3 persons)
    september = query(path, SNAPSHOT_QUERIES["october"].replace("2026-10-01", "2026-09-01"))
    assert september == [(2, 3)]


def test_roll_changes_and_history(two_builds):
    path = two_builds.home.warehouse
    changes = query(path, "select new_households, exited_households, net_change "
                          "from marts.ind_03_roll_changes where month = '2026-10-01' "
                          "and region_level = 'league' and urban_rural = 'all'")
    assert changes == [(1, 1, 0)]
    history = query(path, "select household_id, valid_from, valid_to, status "
                          "from marts.household_roll_history "
                          "order by household_id, valid_from")
    assert history == [
        ("H1", E1, E2, "active"), ("H1", E2, None, "terminated"),
        ("H2", E1, None, "active"), ("H3", E2, None, "active"),
    ]


def test_indicators_have_every_month_and_region(two_builds):
    path = two_builds.home.warehouse
    info = query(path, "select as_of, first_indicator_month, last_indicator_month, indicator_months "
                       "from marts.build_info")
    assert info == [(LATE, date(2024, 12, 1), date(2026, 11, 1), 24)]
    regions = query(path, "select count(*) from intermediate.int_report_regions")[0][0]
    for table, combos in [("ind_01_assisted_by_type", 3 * 11), ("ind_03_roll_changes", 3),
                          ("ind_02_coverage_rate", 1), ("ind_08_zero_employment_households", 1)]:
        per_month = query(path, f"select month, count(*) from marts.{table} group by month order by month")
        assert len(per_month) == 24, table
        assert {n for _, n in per_month} == {regions * combos}, table
    # the league total of a quiet month is a zero row, not a missing one
    assert query(path, "select households from marts.ind_01_assisted_by_type where month = '2025-06-01' "
                       "and region_level = 'league' and urban_rural = 'all' and roll_type = 'all'") == [(0,)]


def test_payments_and_aid_library(two_builds):
    path = two_builds.home.warehouse
    paid = query(path, "select sum(amount_paid) from marts.ind_04_payments "
                       "where region_level = 'league' and urban_rural = 'all' and program = 'all'")
    assert paid == [(Decimal("5142.00"),)]  # 950 + 2096 + 2096
    aid = query(path, "select source_feed, source_key, aid_kind, household_id, amount from marts.fct_aid "
                      "order by source_feed, source_key")
    assert aid == [
        ("ca_payments", "P1", "dibao", "H1", Decimal("950.00")),
        ("ca_payments", "P2", "tekun_basic", "H2", Decimal("2096.00")),
        ("ca_payments", "P3", "tekun_basic", "H2", Decimal("2096.00")),
        ("sf_charity_aid", "C1", "charity", "H3", Decimal("300.00")),
    ]


def test_publish_keeps_previous_and_reader_is_not_blocked(two_builds):
    home = two_builds.home
    assert two_builds.late.previous == home.warehouse_previous
    assert query(home.warehouse_previous, "select as_of from marts.build_info") == [(EARLY,)]
    assert not home.warehouse_next.exists()
    # the reader kept its (old) file: same answer before and after the build ran
    assert two_builds.reader_output == "2 2"


def test_failing_test_leaves_published_warehouse_byte_identical(two_builds, tmp_path):
    home = Home(tmp_path / "failing_home")
    shutil.copytree(two_builds.home.root / "raw", home.raw)
    shutil.copyfile(two_builds.home.warehouse, home.warehouse)
    before = hashlib.sha256(home.warehouse.read_bytes()).hexdigest()
    bad = _household("H9", HEAD_1, "152921102001", assistance_type="dibao", status="suspended")
    write_batch(home, "ca_households", date(2026, 11, 1), [bad])
    with pytest.raises(BuildFailed) as failure:
        build(home, LATE, quiet=True)
    assert "accepted_values_stg_ca_households_status" in str(failure.value)
    assert "published warehouse is unchanged" in str(failure.value)
    assert hashlib.sha256(home.warehouse.read_bytes()).hexdigest() == before
    assert not home.warehouse_next.exists()


def test_docs_generate_describes_every_mart(two_builds):
    import json

    from warehouse.docs import generate_docs

    index = generate_docs(two_builds.home)
    assert index == two_builds.home.dbt_work / "docs" / "index.html"
    catalog = json.loads((index.parent / "catalog.json").read_text(encoding="utf-8"))
    manifest = json.loads((index.parent / "manifest.json").read_text(encoding="utf-8"))
    assert "model.aidwatch.fct_aid" in catalog["nodes"]
    fct_aid = manifest["nodes"]["model.aidwatch.fct_aid"]
    assert fct_aid["description"] and all(c["description"] for c in fct_aid["columns"].values())
    assert not (two_builds.home.dbt_work / "docs.duckdb").exists()  # the working copy is removed
