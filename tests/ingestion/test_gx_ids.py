"""GX's metric IDs made without its long way round for None and text (ingestion.gx_ids).

The shortcut changes how fast GX's JSON converter answers, never what it answers: every kind
of value a metric's kwargs hold converts to the same JSON, IDs are the same, and a whole
validation finds the same with and without it.
"""

from __future__ import annotations

import datetime as dt
import enum
import math
from pathlib import Path

import numpy as np
import pytest

from ingestion import gate
from ingestion.gx_ids import ids_made_quickly
from tests.ingestion.test_gx_configurations import _gate_frame, _result
from tests.ingestion.test_gx_domains import hukou_pairs_failing_and_dropping


class Colour(enum.Enum):
    RED = "red"


class Level(enum.IntEnum):
    HIGH = 3


class Label(str):
    """A str subclass: not one of the exact types the shortcut answers, so GX converts it."""


VALUES = [None, "", "户籍人口", 0, -3, 2**70, True, False, 1.5, math.nan, np.int64(3), np.float64(2.5),
          np.bool_(True), np.datetime64("2026-11-01"), dt.date(2026, 11, 1), Colour.RED, Level.HIGH,
          Label("x"), [None, "x", 1, [None]], ("t", None), {"a": None, 2: {"b": [None, "y"]}},
          {"result_format": {"result_format": "COMPLETE", "partial_unexpected_count": 0}, "mostly": None}]


@pytest.fixture(scope="module")
def convert():
    gate.warm_up()
    with ids_made_quickly():  # installs the wrapper
        pass
    import great_expectations.util as gx_util

    return gx_util.convert_to_json_serializable


@pytest.mark.parametrize("value", VALUES, ids=[repr(v)[:30] for v in VALUES])
def test_every_kind_of_value_converts_as_gx_converts_it(convert, value) -> None:
    own = convert.gx_own(value)
    with ids_made_quickly():
        quick = convert(value)
    assert quick == own and type(quick) is type(own)
    assert convert(value) == own  # and unchanged after the block


def test_ids_are_the_same(convert) -> None:
    from great_expectations.core.id_dict import IDDict

    kwargs = [{"column": "gender", "row_condition": None, "condition_parser": None, "batch_id": "b1"},
              {"column_A": "a", "column_B": "b", "ignore_row_if": "either_value_is_missing"},
              {"value_set": ["男", "女", None], "mostly": None,
               "result_format": {"result_format": "COMPLETE"}},
              {"column": "x"}, {}]
    plain = [IDDict(k).to_id() for k in kwargs]
    with ids_made_quickly():
        assert [IDDict(k).to_id() for k in kwargs] == plain


def test_plain_values_skip_gx_and_others_do_not(convert, monkeypatch: pytest.MonkeyPatch) -> None:
    """In the block None and text never reach GX's type tests (numpy.issubdtype is one of them)."""
    def refuse(*args: object) -> bool:
        raise AssertionError("GX's converter was asked")

    monkeypatch.setattr(np, "issubdtype", refuse)
    with ids_made_quickly():
        assert convert({"row_condition": None, "column": "x", "n": 3, "b": False}) == \
            {"row_condition": None, "column": "x", "n": 3, "b": False}
        with pytest.raises(AssertionError, match="asked"):
            convert(object())  # not a plain value: GX's own tests
    with pytest.raises(AssertionError, match="asked"):
        convert(None)  # outside the block GX runs unchanged


def test_a_validation_finds_the_same_with_ids_made_quickly(tmp_path: Path) -> None:
    _, frame = _gate_frame(tmp_path, "ps_hukou", "户籍人口_20261101.csv", hukou_pairs_failing_and_dropping())
    plain = _result("ps_hukou", frame)
    assert not plain["success"]  # failing expectations: their indexes and samples are compared too
    with ids_made_quickly():
        quick = _result("ps_hukou", frame)
    assert quick == plain


def test_the_switch_holds_in_its_own_thread_and_block_only() -> None:
    """`ThreadSwitch` (the gate's GX changes hold inside `gate.validate` only): nested blocks
    restore the outer state, another thread sees it off."""
    import threading

    from ingestion.thread_switch import ThreadSwitch

    switch, seen = ThreadSwitch(), []
    with switch.on():
        with switch.on():
            assert switch.active
        assert switch.active  # still inside the outer block
        other = threading.Thread(target=lambda: seen.append(switch.active))
        other.start()
        other.join()
    assert seen == [False] and not switch.active
