"""The cheap column forms of the gate (issue 14) land exactly what plain text columns land.

A column normalised per distinct value comes back as a pandas Categorical, an all-null
helper column of the gate frame is an all-missing Categorical, a text column the suite only
checks for presence is a Categorical of its presence, several files' frames are
stacked with their categories united. None of it may change a raw, quarantine or held
Parquet, a ledger entry or a gate report: the same inbox (two raw spellings of one value,
nulls, values failing the value set, a key repeated through two spellings, money with
currency words and a sum that does not add up, names, household numbers and IDs missing,
several files gated together) is ingested
with the cheap forms and with every column (but the constant batch id) plain text, and the
results are compared.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from aidwatch.home import Home
from ingestion import gate, normalise
from ingestion.completeness import key_count
from ingestion.contracts import get_feed
from ingestion.landing import dictionary_columns, write_atomic_parquet
from ingestion.normalise import Context, digit_shape, id_facts, normalise_column, text_series
from ingestion.pipeline import ingest_feed
from tests.ingestion.deliveries import valid_id, write_csv
from tests.ingestion.test_chunked import (
    build_inbox,
    hukou_lines,
    landed,
    person,
    reports,
    without_times,
    write,
)

CTX = Context(extract_date=dt.date(2026, 11, 1), file_format="csv")
INSURANCE_HEADER = ["身份证号", "所属月份", "项目", "金额"]
SETTLEMENT_HEADER = ["结算编号", "身份证号", "结算日期", "就诊类型", "医疗机构名称", "医疗费用总额",
                     "基本医保", "大病保险", "其他补充", "医疗救助", "个人自付"]


def build_more(inbox: Path) -> None:
    """An insurance file keyed on an enum, a settlement file with a sum check."""
    insurance = [[person(n)[0], f"2026-{1 + n % 9:02d}", "养老金" if n % 2 else "pension_payment",
                  f"{1000 + n}.5元"] for n in range(24)]
    insurance[5] = [person(4)[0], "2026-05", "养老金", "12 RMB"]  # row 4's key through the other spelling
    insurance[7][2] = "失业金"  # not an accepted value
    insurance[9][2] = ""  # a required value missing
    insurance[11][3] = "-5.00"  # negative money
    write_csv(inbox / "hrss_insurance" / "hrss_insurance_20261101.csv", INSURANCE_HEADER, insurance)
    settlements = [[f"S{n}", person(n)[0], "2026-10-01", ["住院", "门诊慢特病", "inpatient"][n % 3], "医院",
                    "100.00元", "60", "20 元", "", "10.00", "10"] for n in range(20)]
    settlements[3][5] = "99.00"  # the parts add up to 100
    settlements[6][4] = ""
    write_csv(inbox / "mi_settlements" / "mi_settlements_20261101.csv", SETTLEMENT_HEADER, settlements)
    hukou = hukou_lines(24, faults=False)
    hukou[2] = hukou[2].replace(",居民1,", ",,")  # a name missing
    hukou[4] = hukou[4].replace(",H1,", ",,")  # a household number missing
    hukou[6] = hukou[6].replace(person(5)[0], "")  # an ID missing
    write(inbox / "ps_hukou" / "户籍人口_20261102.csv", hukou)


def ingest_all(inbox: Path, home: Home) -> list[dict]:
    return [entry for feed in ("ps_hukou", "ca_members", "hrss_insurance", "mi_settlements")
            for entry in ingest_feed(feed, inbox, home)]


def test_categorical_columns_land_what_plain_text_lands(tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    inbox = tmp_path / "inbox"
    build_inbox(inbox)
    build_more(inbox)
    cheap = Home.resolve(tmp_path / "cheap")
    monkeypatch.setattr(gate, "SPARSE_SHARE", 1.0)  # every helper column with a value a Categorical too
    entries_cheap = ingest_all(inbox, cheap)

    forms: list[str] = []
    frame_of = gate.gate_frame

    def spy(*args, **kwargs):  # type: ignore[no-untyped-def]
        frame = frame_of(*args, **kwargs)
        forms.extend(str(dtype) for name, dtype in frame.dtypes.items() if name != "_batch_id")
        return frame

    monkeypatch.setattr(normalise, "DISTINCT_SHARE", 0.0)  # every column normalised whole: plain text
    monkeypatch.setattr(gate, "_cheap_to_filter", lambda values, *_: values)
    monkeypatch.setattr(gate, "gate_frame", spy)
    monkeypatch.setattr("ingestion.batch.gate_frame", spy)
    plain = Home.resolve(tmp_path / "plain")
    entries_plain = ingest_all(inbox, plain)

    assert forms and "category" not in forms  # the comparison really ran on plain columns
    assert without_times(entries_cheap) == without_times(entries_plain)
    assert landed(cheap) == landed(plain)
    assert reports(cheap, entries_cheap) == reports(plain, entries_plain)
    statuses = {e["feed_id"]: e["status"] for e in entries_cheap}
    assert statuses["hrss_insurance"] == statuses["mi_settlements"] == "loaded_with_quarantine"
    reasons = " ".join(r for e in entries_cheap for r in e.get("reasons", []))
    assert "duplicate key within the file" in reasons and "not an accepted value" in reasons
    # text columns checked for presence only went to GX as their presence, failing rows too
    assert all(f"{column}: required value missing" in reasons for column in ("name", "hukou_no", "id_number"))


def test_two_spellings_and_nulls_become_one_categorical_column() -> None:
    feed = get_feed("ps_hukou")
    raw = pd.Series(["男", "M", "m", None, "X", "女", "男", None, "f", "F"] * 3, dtype="str")
    result = normalise_column(raw, feed.column("gender"), CTX)
    plain = normalise.NORMALISERS["enum"](raw, feed.column("gender"), CTX)
    assert isinstance(result.values.dtype, pd.CategoricalDtype)
    assert sorted(result.values.cat.categories) == ["F", "M", "X"]  # one category per normalised value
    assert text_series(result.values).equals(plain.values)
    assert result.values.isna().tolist() == raw.isna().tolist()
    region = pd.Series(["152921001001", "152921100201", "1529210", None] * 3, dtype="str")
    checked = normalise_column(region, feed.column("region_code"), CTX)
    whole = normalise.NORMALISERS["region_code"](region, feed.column("region_code"), CTX)
    assert isinstance(checked.errors.dtype, pd.CategoricalDtype)
    assert text_series(checked.errors).equals(whole.errors)
    assert text_series(checked.values).equals(whole.values)
    assert text_series(checked.errors).notna().tolist() == [False, False, True, False] * 3


def test_id_shape_is_checked_on_ascii_digits_only() -> None:
    ids = pd.Series(["15292119800101001X", "152921198001010011", "1529211980010100x1", "15292119800101001",
                     "15292119800101001٣", "中华人民共和国", None, "", "152921800101001"], dtype="str")
    assert digit_shape(ids, 17, check_char=True).tolist() == [True, True, False, False, False, False, False,
                                                              False, False]
    assert digit_shape(ids, 15).tolist() == [False] * 8 + [True]
    ascii_ids = ids.iloc[[0, 1, 2, 3, 6, 7, 8]]
    assert (digit_shape(ascii_ids, 17, True) == ascii_ids.str.fullmatch(r"\d{17}[\dX]").fillna(False)).all()
    # An Arabic-Indic digit used to pass the shape check and stop `aidwatch ingest` with a traceback.
    column = get_feed("ps_hukou").column("id_number")
    result = normalise_column(pd.Series([valid_id("15292119800101001")[:17] + "٣"], dtype="str"), column, CTX)
    assert result.errors.tolist() == ["ID number must be 17 digits and a digit or X"]


def test_every_real_date_of_years_1_to_9999_is_a_value() -> None:
    """9999-12-31 is how departments write "no end"; it is a real ISO date, not a cell error.

    Dates used to be held in nanoseconds, which end on 2262-04-11: such a row was quarantined
    as "not a valid date". A date before 1678 is a value too (the gate judges plausibility).
    """
    column = get_feed("ps_hukou").column("birth_date")
    raw = pd.Series(["1066-01-01", "0001-01-01", "2262-04-12", "9999-12-31", "2024-02-29", "2023-02-29",
                     "0000-01-01", "2026年11月31日"], dtype="str")
    result = normalise.normalise_date(raw, column, CTX)
    assert [str(v.date()) if pd.notna(v) else None for v in result.values] == [
        "1066-01-01", "0001-01-01", "2262-04-12", "9999-12-31", "2024-02-29", None, None, None]
    assert result.errors.notna().tolist() == [False] * 5 + [True] * 3
    ids = pd.Series([valid_id("15292199991231001"), valid_id("15292110660101001")], dtype="str")
    _, births = id_facts(ids)
    assert [str(v.date()) for v in births] == ["9999-12-31", "1066-01-01"]


def test_key_count_of_gated_rows_counts_partial_keys_by_value() -> None:
    feed = get_feed("hrss_insurance")
    table = pa.table({"id_number": ["a", "b", None, None, "c"], "month": pa.array([1, 1, 2, 2, None]),
                      "item": ["x", "x", "y", "y", "x"]})
    assert key_count(feed, table) == table.group_by(list(feed.key)).aggregate([]).num_rows == 4


def test_currency_words_are_removed_as_pandas_removed_them() -> None:
    raw = pd.Series(["100元", "100 元", "1,234.5 RMB", "12cNy", "12 人民币", "元", "-0.00", "12元元", None,
                     "1,000", "12\x1c元", "5.5"], dtype="str")
    expected = raw.str.replace(r"\s*(元|人民币|rmb|cny)$", "", regex=True, case=False)
    assert normalise._without_currency(raw).equals(expected)


def test_mostly_distinct_columns_are_written_without_a_dictionary(tmp_path: Path) -> None:
    rows = 6000
    table = pa.table({"id": [f"{n:018d}" for n in range(rows)], "code": ["a", "b"] * (rows // 2),
                      "row": pa.array(np.arange(rows))})
    assert dictionary_columns(table) == ["code"]
    write_atomic_parquet(tmp_path / "t.parquet", table)
    assert pq.read_table(tmp_path / "t.parquet").equals(table)


def test_a_column_goes_to_gx_as_its_presence_only_where_the_suite_reads_no_more(
        monkeypatch: pytest.MonkeyPatch) -> None:
    read = gate._values_read("ps_hukou")
    assert {"gender", "birth_date", "relation_to_head", "hukou_status"} <= read  # value sets and pairs
    assert not {"name", "hukou_no", "id_number"} & read  # required: presence only
    suite = gate.load_suite("ps_hukou")
    pattern = {"type": "expect_column_values_to_match_regex",
               "kwargs": {"column": "name", "regex": "^居民"}, "meta": {"column": "name", "reason": "x"}}
    monkeypatch.setattr(gate, "load_suite", lambda feed_id: {**suite, "expectations": [*suite["expectations"],
                                                                                        pattern]})
    gate._values_read.cache_clear()
    try:
        assert "name" in gate._values_read("ps_hukou")  # an expectation on its values gets them
    finally:
        gate._values_read.cache_clear()
