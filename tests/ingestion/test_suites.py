"""The committed Great Expectations suites are exactly what the contracts generate."""

from __future__ import annotations

from pathlib import Path

from ingestion.contracts import load_feeds
from ingestion.suites import SUITES_DIR, suite_for, suite_text, write_suites


def test_committed_suites_are_in_sync_with_feeds_yaml() -> None:
    feeds = load_feeds()
    committed = sorted(p.stem for p in SUITES_DIR.glob("*.json"))
    assert committed == sorted(feeds), "run `python -m ingestion.suites`"
    for feed in feeds.values():
        text = (SUITES_DIR / f"{feed.feed_id}.json").read_text(encoding="utf-8")
        assert text == suite_text(feed), f"{feed.feed_id}: run `python -m ingestion.suites`"


def test_suite_covers_the_contract(tmp_path: Path) -> None:
    write_suites(tmp_path)
    assert len(list(tmp_path.glob("*.json"))) == len(load_feeds())
    suite = suite_for(load_feeds()["ca_households"])
    kinds = [(e["type"], e["meta"]["column"]) for e in suite["expectations"]]
    assert ("expect_column_values_to_not_be_null", "head_id_number") in kinds
    assert ("expect_column_values_to_be_in_set", "status") in kinds
    assert ("expect_column_values_to_be_between", "household_id") in kinds  # key unique in the file
    between = [e["kwargs"] for e in suite["expectations"]
               if e["type"] == "expect_column_values_to_be_between"]
    assert {"column": "_days_after_extract", "max_value": 0} in between
    settlements = suite_for(load_feeds()["mi_settlements"])
    assert any("sum_equals" in str(e["kwargs"]) for e in settlements["expectations"])
