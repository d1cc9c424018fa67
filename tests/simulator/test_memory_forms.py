"""The simulator's memory-saving forms give the same league as the plain ones (issue 14).

Why: the scale-10 peak was cut by holding things differently, never by generating
something else: IDs given out in a sorted byte array, derived records put into table
form every few households, a snapshot feed's lines formatted one column at a time.
Each is compared here with the plain form on a small league; the inbox as a whole is
compared byte for byte with the code before (sha256 of every file, see the report of
issue 14) and with itself written in other chunk sizes (test_streaming.py).
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from ingestion.contracts import load_feeds
from simulator import derive, idnumbers
from simulator.background import build_background
from simulator.deliver import FeedWriter
from simulator.formats import Style
from simulator.world import World
from tests.simulator.test_world import example_plant

AS_OF = date(2026, 11, 28)


def small_world() -> World:
    world = World(as_of=AS_OF, months=3, seed=7, scale=0.002)
    build_background(world)
    example_plant(world)
    return world


def test_taken_ids_answer_like_a_set() -> None:
    rng = np.random.default_rng(3)
    births = np.datetime64("1950-01-01") + rng.integers(0, 20000, 400).astype("timedelta64[D]")
    ids = idnumbers.make_ids(np.array(["152921"] * 400), births, rng.random(400) < 0.5, rng)
    taken = idnumbers.TakenIds()
    taken.update(ids[:300])
    taken.update(ids[300:350])  # a second batch merges into the sorted array
    taken.add(str(ids[350]))
    expected = {str(i) for i in ids[:351]}
    for candidate in [str(i) for i in ids] + ["", "15292119500101001", "15292119500101001X0", "不是身份证"]:
        assert (candidate in taken) == (candidate in expected), candidate
    assert len(taken) == 351


def test_records_put_into_table_form_in_batches_give_the_same_tables(monkeypatch) -> None:
    whole = derive.tables(small_world())  # records kept as dicts until the end
    monkeypatch.setattr(derive, "FLUSH_HOUSEHOLDS", 3)  # many batches, some of one row
    flushes = []
    flush = derive.flush_records
    monkeypatch.setattr(derive, "flush_records", lambda world: flushes.append(1) or flush(world))
    batched_world = small_world()
    batched = derive.tables(batched_world, hand_over=True)
    assert batched_world.record_parts == {}
    assert sorted(batched) == sorted(whole)
    for feed_id, table in whole.items():
        other = batched[feed_id]
        assert list(other.columns) == list(table.columns), feed_id
        assert [str(other[c].dtype) for c in other.columns] == [str(table[c].dtype) for c in table.columns]
        # categories may be listed in another order; the values must be the same
        pd.testing.assert_frame_equal(other.astype(object), table.astype(object), obj=feed_id)
    assert len(flushes) >= 2 * len(batched_world.households) // 3 >= 4  # the batches really split them


@pytest.mark.parametrize("form", [
    Style("csv", "utf-8", "zh", "cn", "cn", "thousands", "label", "cn", "\r\n"),
    Style("jsonl", "utf-8", "canonical", "slash", "compact", "yuan", "code", "tf"),
])
def test_lines_formatted_column_by_column_equal_the_lines_of_formatted_columns(form: Style) -> None:
    world = small_world()
    feed = load_feeds()["ps_hukou"]
    table = derive.tables(world)["ps_hukou"]
    one_by_one = FeedWriter(feed, table, form).lines()
    formatted_first = FeedWriter(feed, table, form)
    assert formatted_first.columns  # formats every column before the lines
    assert one_by_one.equals(formatted_first.lines())
    assert len(one_by_one) == len(table) > 100
