"""Great Expectations suites, generated from the feed contracts and committed in `expectations/`.

Why generated: the contract (feeds.yaml) is the one place that says what a feed holds; the
suite restates it as expectations the gate runs on every batch. `write_suites()` (or
`python -m ingestion.suites`) regenerates `expectations/<feed_id>.json`; a test checks the
committed files equal what the contracts generate, so they cannot drift apart.

The suites run on the *gate frame* built by `ingestion.gate.gate_frame`, which holds per
contract column the normalised value (a text column that no expectation reads but for
presence, its presence: `gate._cheap_to_filter`), plus helper columns:
- `<column>__error` / `_read_errors`: why cells could not be read as their type;
- `_row_problem`: a row whose field count differs from the header;
- `_batch_id`: the batch of the row (one validation may cover several small batches);
- `_key_occurrences`: how many rows of the row's file share its natural key;
- `_lowest_amount`, `_days_after_extract`, `_seconds_after_extract`: row-wise extremes
  for the range checks;
- `_<check>__...`: the derived values of the feed's `row_checks`.
Each expectation carries `meta.reason` and `meta.column` (the quarantine reason is
`column: reason`), or `meta.reason_from`, a frame column with the full per-row text.
GX costs ~20 ms per expectation per batch whatever the batch size, so checks that apply
to many columns the same way are one expectation over a helper column.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from ingestion.contracts import Feed, load_feeds

SUITES_DIR = Path(__file__).resolve().parent.parent / "expectations"

#: Types whose normaliser can fail to read a cell (text and enum never fail; the gate's
#: value-set expectation judges enums).
PARSED_TYPES = frozenset({
    "id_number", "date", "month", "money", "region_code", "bool", "integer", "decimal",
    "timestamp", "credit_code",
})

ROW_PROBLEM = "_row_problem"
READ_ERRORS = "_read_errors"
LOWEST_AMOUNT = "_lowest_amount"
DAYS_AFTER_EXTRACT = "_days_after_extract"
SECONDS_AFTER_EXTRACT = "_seconds_after_extract"
BATCH_ID = "_batch_id"
KEY_OCCURRENCES = "_key_occurrences"


def error_column(column: str) -> str:
    return f"{column}__error"


def sum_difference_column(check: dict) -> str:
    return f"_sum_equals__{check['column']}__difference_cents"


def id_gender_column(check: dict) -> str:
    return f"_agrees_with_id__{check['id_column']}__gender"


def id_birth_date_column(check: dict) -> str:
    return f"_agrees_with_id__{check['id_column']}__birth_date"


def _expectation(kind: str, kwargs: dict, column: str, reason: str, **meta: str) -> dict:
    return {"type": kind, "kwargs": kwargs, "meta": {"column": column, "reason": reason, **meta}}


def _column_expectations(feed: Feed) -> list[dict]:
    """Per-column checks that GX evaluates on the values themselves: required and enum sets."""
    out: list[dict] = []
    for column in feed.columns:
        name = column.name
        if column.required:
            out.append(_expectation("expect_column_values_to_not_be_null", {"column": name}, name,
                                    "required value missing", skip_when=error_column(name)))
        if column.type == "enum":
            out.append(_expectation("expect_column_values_to_be_in_set",
                                    {"column": name, "value_set": list(column.codes)}, name,
                                    "not an accepted value (" + ", ".join(column.values) + ")"))
    return out


def _range_expectations(feed: Feed) -> list[dict]:
    """Ranges, one expectation per kind over a row-wise extreme (few expectations = less GX overhead).

    `_lowest_amount` is the smallest amount of the row's money columns that must not be
    negative; `_days_after_extract` / `_seconds_after_extract` how far the latest of its
    dates / times lies after the row's extract date (a row column, since one validation may
    cover several batches). The companion `..._detail` column names the offending columns.
    """
    out: list[dict] = []
    if non_negative_money(feed):
        out.append(_expectation("expect_column_values_to_be_between",
                                {"column": LOWEST_AMOUNT, "min_value": 0}, "", "negative amount not allowed",
                                reason_from=f"{LOWEST_AMOUNT}__detail"))
    if dated_columns(feed, ("date", "month")):
        out.append(_expectation("expect_column_values_to_be_between",
                                {"column": DAYS_AFTER_EXTRACT, "max_value": 0}, "",
                                "date after the extract date", reason_from=f"{DAYS_AFTER_EXTRACT}__detail"))
    if dated_columns(feed, ("timestamp",)):
        out.append(_expectation("expect_column_values_to_be_between",
                                {"column": SECONDS_AFTER_EXTRACT, "max_value": 0}, "",
                                "time after the extract date",
                                reason_from=f"{SECONDS_AFTER_EXTRACT}__detail"))
    return out


def non_negative_money(feed: Feed) -> list[str]:
    return [c.name for c in feed.columns if c.type == "money" and not c.allow_negative]


def dated_columns(feed: Feed, types: tuple[str, ...]) -> list[str]:
    return [c.name for c in feed.columns if c.type in types and not c.future_ok]


def _key_expectation(feed: Feed) -> dict:
    """The natural key is unique within each file: no row shares its key with another row.

    `_key_occurrences` counts the rows of the whole file with the row's key (null when a
    key part is missing: not checked), so every occurrence of a repeated key fails, and a
    file read in chunks (ingestion.streaming) is judged over all its rows, not per chunk.
    """
    key = list(feed.key)
    reason = "duplicate key within the file (" + ", ".join(key) + ")"
    return _expectation("expect_column_values_to_be_between", {"column": KEY_OCCURRENCES, "max_value": 1},
                        "+".join(key), reason)


def _row_check_expectations(feed: Feed) -> list[dict]:
    out: list[dict] = []
    for check in feed.row_checks:
        if check["check"] == "sum_equals":
            cents = round(float(check["tolerance"]) * 100)
            parts = " + ".join(check["parts"])
            out.append(_expectation(
                "expect_column_values_to_be_between",
                {"column": sum_difference_column(check), "min_value": -cents, "max_value": cents},
                check["column"], f"does not equal {parts} (tolerance {check['tolerance']})",
            ))
        elif check["check"] == "agrees_with_id":
            out.append(_expectation(
                "expect_column_pair_values_to_be_equal",
                {"column_A": check["gender"], "column_B": id_gender_column(check),
                 "ignore_row_if": "either_value_is_missing"},
                check["gender"], f"does not agree with {check['id_column']}",
            ))
            out.append(_expectation(
                "expect_column_pair_values_to_be_equal",
                {"column_A": check["birth_date"], "column_B": id_birth_date_column(check),
                 "ignore_row_if": "either_value_is_missing"},
                check["birth_date"], f"does not agree with {check['id_column']}",
            ))
        else:
            raise ValueError(f"{feed.feed_id}: unknown row check {check['check']!r}")
    return out


def suite_for(feed: Feed) -> dict:
    """The expectation suite of one feed, as GX 1.x suite JSON."""
    expectations = [
        _expectation("expect_table_columns_to_match_set",
                     {"column_set": list(feed.column_names), "exact_match": False}, "",
                     "contract column missing"),
        _expectation("expect_column_values_to_be_null", {"column": ROW_PROBLEM}, "_row",
                     "row shape does not match the header", reason_from=ROW_PROBLEM),
        _expectation("expect_column_values_to_be_null", {"column": READ_ERRORS}, "",
                     "value cannot be read as its type", reason_from=READ_ERRORS),
        *_column_expectations(feed),
        *_range_expectations(feed),
        _key_expectation(feed),
        *_row_check_expectations(feed),
    ]
    return {
        "name": f"{feed.feed_id}_gate",
        "meta": {
            "generated_from": "ingestion/feeds.yaml",
            "feed_id": feed.feed_id,
            "note": "generated by `python -m ingestion.suites`; do not edit by hand",
        },
        "expectations": expectations,
    }


def suite_text(feed: Feed) -> str:
    return json.dumps(suite_for(feed), ensure_ascii=False, indent=2) + "\n"


def suite_path(feed_id: str, directory: Path = SUITES_DIR) -> Path:
    return directory / f"{feed_id}.json"


def write_suites(directory: Path = SUITES_DIR) -> list[Path]:
    """(Re)generate every feed's suite file from the contracts."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for feed in load_feeds().values():
        path = suite_path(feed.feed_id, directory)
        path.write_text(suite_text(feed), encoding="utf-8")
        written.append(path)
    return written


def load_suite(feed_id: str, directory: Path = SUITES_DIR) -> dict:
    """The committed suite JSON of a feed (what the gate runs)."""
    path = suite_path(feed_id, directory)
    if not path.exists():
        raise FileNotFoundError(f"no expectation suite {path}; run `python -m ingestion.suites`")
    return json.loads(path.read_text(encoding="utf-8"))


if __name__ == "__main__":
    for written_path in write_suites():
        print(written_path)
    sys.exit(0)
