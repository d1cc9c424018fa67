"""Build and publish on a small hand-made raw zone: as_of semantics and safe publishing.

One HOME is built twice (an earlier as_of, then a later one while another process
holds the published file open read-only; fixture `two_builds`); a copy of it gets a bad
batch and must fail without touching its published warehouse.
"""

from __future__ import annotations

import hashlib
import shutil
from datetime import date
from decimal import Decimal

import pytest

from aidwatch.home import Home
from tests.warehouse.raw_batches import write_batch
from tests.warehouse.small_home import (
    E1,
    E2,
    EARLY,
    HEAD_1,
    LATE,
    SNAPSHOT_QUERIES,
    _household,
    query,
)
from warehouse.build import BuildFailed, build
from warehouse.project_tests import project_fingerprint, skipped_selection


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


@pytest.mark.parametrize(
    ("daily", "bad_fields", "named"),
    [
        (False, {"status": "suspended"},
         ["CHECK constraint failed", "status IN ('active', 'gradual_exit', 'terminated')"]),
        (True, {"approved_on": None}, ["NOT NULL constraint failed", "approved_on"]),
    ],
    # Each kind of build and each kind of constraint once (each case is a whole dbt build; the
    # two other pairings added ~50 s to the suite and no path of their own).
    ids=["the project's first build-value outside the contract's codes",
         "a daily build-required value missing"],
)
def test_a_raw_row_breaking_the_contract_fails_the_build_and_leaves_the_published_warehouse_byte_identical(
    two_builds, tmp_path, bad_fields, named, daily
):
    """Rows the gate would have stopped, planted straight into the raw zone: the staging
    model's enforced contract (warehouse/dbt_sources.py) refuses them, naming the model
    and the column's rule, and nothing is published. A daily build (the project's tests
    recorded as passed, dbt writing no JSON artifacts) names the failure from the results
    aidwatch wrote itself, not from an older build's run_results.json."""
    home = Home(tmp_path / "failing_home")
    shutil.copytree(two_builds.home.root / "raw", home.raw)
    shutil.copytree(two_builds.home.ledger, home.ledger)  # a batch without its ledger entry is removed
    shutil.copyfile(two_builds.home.warehouse, home.warehouse)
    if daily:
        shutil.copytree(two_builds.home.dbt_work, home.dbt_work)
        assert skipped_selection(home, project_fingerprint()) is not None
    before = hashlib.sha256(home.warehouse.read_bytes()).hexdigest()
    bad = _household("H9", HEAD_1, "152921102001", assistance_type="dibao", **bad_fields)
    write_batch(home, "ca_households", date(2026, 11, 1), [bad])
    with pytest.raises(BuildFailed) as failure:
        build(home, LATE, quiet=True)
    message = str(failure.value)
    assert "model.aidwatch.stg_ca_households [error]" in message
    for text in named:
        assert text in message
    assert "published warehouse is unchanged" in message
    assert hashlib.sha256(home.warehouse.read_bytes()).hexdigest() == before
    assert not home.warehouse_next.exists()
    assert [f.unique_id for f in failure.value.failures] == ["model.aidwatch.stg_ca_households"]


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


def test_a_daily_build_writes_no_manifest_and_its_own_run_results(two_builds):
    """The later build of `two_builds` is a daily one: dbt wrote no JSON artifact
    (`--no-write-json`), aidwatch wrote run_results.json from the run itself, so the file
    describes that build (no unit tests) while manifest.json is still the first build's."""
    import json

    target = two_builds.home.dbt_work / "target"
    late = json.loads(two_builds.late.run_results.read_text(encoding="utf-8"))
    manifest = json.loads((target / "manifest.json").read_text(encoding="utf-8"))
    assert late["args"]["write_json"] is False
    assert late["metadata"]["invocation_id"] != manifest["metadata"]["invocation_id"]
    assert two_builds.late.node_counts.get("unit_test", 0) == 0 < two_builds.early.node_counts["unit_test"]
    assert {r["status"] for r in late["results"]} <= {"success", "pass"}
