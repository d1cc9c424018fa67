"""GX's pair and list domain records cut to their own columns during a validation (ingestion.gx_domains).

The cut changes which columns GX copies when it drops rows, never what a validation finds:
the whole validation result of a hukou gate frame whose `agrees_with_id` pairs drop rows and
fail must be the same with and without it, and so must the records of every `ignore_row_if`.
"""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ingestion import gate
from ingestion.gx_configurations import configurations_built_once
from ingestion.gx_domains import LIST_MISSING, PAIR_MISSING, domains_narrowed
from tests.ingestion.test_chunked import hukou_lines, person
from tests.ingestion.test_gx_configurations import _gate_frame, _result

GENDER, BORN = "_agrees_with_id__id_number__gender", "_agrees_with_id__id_number__birth_date"


def hukou_pairs_failing_and_dropping() -> list[str]:
    """Hukou rows whose ID pairs fail (gender, birth date) and are dropped (no facts, no gender)."""
    lines = hukou_lines(30, faults=True)  # a bad check digit, an impossible date, an empty row

    def change(n: int, old: str, new: str) -> None:
        at = next(i for i, line in enumerate(lines) if line.startswith(person(n)[0] + ","))
        assert old in lines[at]
        lines[at] = lines[at].replace(old, new, 1)

    change(20, f",{person(20)[1]},", ",男," if person(20)[1] == "女" else ",女,")  # disagrees
    change(22, f",{person(22)[2]},", ",1970-01-01,")  # disagrees with the ID's birth date
    change(24, f",{person(24)[1]},", ",,")  # no gender: this pair is not checked
    return lines


def test_a_validation_finds_the_same_with_pair_domains_cut_to_their_columns(tmp_path: Path) -> None:
    lines = hukou_pairs_failing_and_dropping()
    feed, frame = _gate_frame(tmp_path, "ps_hukou", "户籍人口_20261101.csv", lines)
    assert frame[GENDER].isna().any() and frame["gender"].isna().any()  # rows the pairs drop
    plain = _result("ps_hukou", frame)
    failed = {r["expectation_config"]["kwargs"].get("column_A") for r in plain["results"] if not r["success"]}
    assert {"gender", "birth_date"} <= failed  # both pairs fail, so their failing indexes are compared
    with domains_narrowed():
        narrowed = _result("ps_hukou", frame)
    with configurations_built_once(), domains_narrowed():  # as gate.validate runs it
        both = _result("ps_hukou", frame)
    assert narrowed == plain and both == plain
    assert _result("ps_hukou", frame) == plain  # and GX runs unchanged after the block


@pytest.fixture(scope="module")
def engine():
    """GX's pandas execution engine holding a frame with values missing in every pattern."""
    gate.warm_up()
    from great_expectations.execution_engine import PandasExecutionEngine
    from great_expectations.execution_engine.pandas_batch_data import PandasBatchData

    frame = pd.DataFrame({
        "a": [1.0, None, 3.0, None, 5.0, 6.0],
        "b": [1.0, 2.0, None, None, 5.0, None],
        "c": ["x", "y", None, None, "z", "w"],
        "other": list("uvwxyz"),
    }, index=pd.RangeIndex(6))
    engine = PandasExecutionEngine()
    engine.load_batch_data("frame", PandasBatchData(engine, frame))
    return engine


@pytest.mark.parametrize(("shape", "rule"), [
    *(({"column_A": "a", "column_B": "b"}, rule) for rule in PAIR_MISSING),
    *(({"column_list": ["a", "b", "c"]}, rule) for rule in LIST_MISSING),
    ({"column_A": "a", "column_B": "a"}, "either_value_is_missing"),
])
def test_a_domain_keeps_gx_rows_index_and_values_in_its_own_columns(engine, shape: dict, rule: str) -> None:
    kwargs = shape | {"ignore_row_if": rule}
    whole = engine.get_domain_records(domain_kwargs=kwargs)
    with domains_narrowed():
        narrowed = engine.get_domain_records(domain_kwargs=kwargs)
    columns = list(dict.fromkeys(shape.get("column_list") or [shape["column_A"], shape["column_B"]]))
    assert list(narrowed.columns) == columns
    pd.testing.assert_frame_equal(narrowed, whole[columns])
    if rule in ("either_value_is_missing", "any_value_is_missing"):
        assert len(narrowed) < 6  # rows were dropped, not only columns


def test_column_and_table_domains_and_unknown_rules_stay_gx_own(engine) -> None:
    with domains_narrowed():
        assert "other" in engine.get_domain_records(domain_kwargs={"column": "a"}).columns
        assert "other" in engine.get_domain_records(domain_kwargs={}).columns
        unknown = {"column_A": "a", "column_B": "b", "ignore_row_if": "often"}
        with pytest.raises(ValueError, match="ignore_row_if"):
            engine.get_domain_records(domain_kwargs=unknown)


def test_a_block_holds_for_its_own_thread_only(engine) -> None:
    kwargs = {"column_A": "a", "column_B": "b", "ignore_row_if": "neither"}
    elsewhere: list[list[str]] = []
    reader = threading.Thread(target=lambda: elsewhere.append(
        list(engine.get_domain_records(domain_kwargs=kwargs).columns)))
    with domains_narrowed():
        assert list(engine.get_domain_records(domain_kwargs=kwargs).columns) == ["a", "b"]
        reader.start()
        reader.join()
    assert elsewhere == [["a", "b", "c", "other"]]
    assert np.array_equal(engine.get_domain_records(domain_kwargs=kwargs).columns, ["a", "b", "c", "other"])
