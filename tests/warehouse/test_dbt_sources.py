"""The committed dbt sources and staging layer are exactly what the contracts generate."""

from __future__ import annotations

from ingestion.contracts import load_feeds
from warehouse import dbt_sources


def test_committed_files_equal_generator_output():
    stale = [
        str(path.relative_to(dbt_sources.PROJECT_DIR))
        for path, text in dbt_sources.generated_files().items()
        if not path.exists() or path.read_text(encoding="utf-8") != text
    ]
    assert stale == [], f"run `python -m warehouse.dbt_sources`; stale: {stale}"


def test_every_feed_has_a_staging_model_and_source():
    files = dbt_sources.generated_files()
    sources = files[dbt_sources.STAGING_DIR / "_sources.yml"]
    for feed_id in load_feeds():
        assert dbt_sources.STAGING_DIR / f"stg_{feed_id}.sql" in files
        assert f"read_parquet('raw/{feed_id}/*.parquet'" in sources  # relative to HOME


def test_staging_yaml_enforces_keys_required_columns_and_enums():
    import yaml

    models = {m["name"]: m for m in yaml.safe_load(dbt_sources.staging_yaml())["models"]}
    assert all(m["config"]["contract"]["enforced"] for m in models.values())
    # composite key of hrss_insurance -> unique_combination data test
    insurance = models["stg_hrss_insurance"]
    assert insurance["data_tests"][0]["unique_combination"]["arguments"]["columns"] == [
        "id_number", "month", "item",
    ]
    items = {c["name"]: c for c in insurance["columns"]}["item"]
    assert "'pension_contribution'" in items["constraints"][-1]["expression"]
    households = {c["name"]: c for c in models["stg_ca_households"]["columns"]}
    # one-column key: unique data test; required: not null; enum: check of the contract's codes
    assert households["household_id"]["data_tests"] == ["unique"]
    assert households["household_id"]["constraints"] == [{"type": "not_null"}]
    assert households["status"]["constraints"] == [
        {"type": "check", "expression": "status in ('active', 'gradual_exit', 'terminated')"}
    ]
    assert households["monthly_benefit"]["data_type"] == "decimal(14,2)"
    assert "constraints" not in households["last_review_on"]  # optional, free
    assert [(c["name"], c["data_type"]) for c in models["stg_ca_households"]["columns"][-4:]] == [
        ("_extract_date", "date"), ("_batch_id", "varchar"), ("_source_file", "varchar"),
        ("_source_row", "bigint"),
    ]
