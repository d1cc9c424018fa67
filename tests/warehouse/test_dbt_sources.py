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
        assert f"/raw/{feed_id}/*.parquet" in sources


def test_staging_yaml_tests_keys_required_columns_and_enums():
    text = dbt_sources.staging_yaml()
    # composite key of hrss_insurance -> unique_combination; enum values from the contract
    assert "unique_combination" in text
    assert "- pension_contribution" in text
    import yaml

    models = {m["name"]: m for m in yaml.safe_load(text)["models"]}
    insurance = models["stg_hrss_insurance"]
    assert insurance["data_tests"][0]["unique_combination"]["arguments"]["columns"] == [
        "id_number", "month", "item",
    ]
    households = {c["name"]: c for c in models["stg_ca_households"]["columns"]}
    assert households["household_id"]["data_tests"] == ["not_null", "unique"]
