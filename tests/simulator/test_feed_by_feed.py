"""Writing feed by feed and delivery by delivery must give the bytes of the whole table.

Why: to fit scale 10 in memory (issue 14), the simulator keeps hrss_insurance's monthly
rows compact and expands them one delivery at a time, and plants the faults before any
file is written, keeping only what they changed. The inbox of a seed must not depend on
that. Here both paths write the same small feed: a person born after some of the months
(their rows move to a later delivery), a 15-digit ID (no birth date), and rows added
through the world API after the compact parts.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ingestion.contracts import load_feeds
from simulator.deliver import FeedWriter, RowTexts, delivery_counts, delivery_rows
from simulator.derive import coerce, concat_tables
from simulator.formats import Style
from simulator.generate import cut_deliveries, write_monthly_feed
from simulator.monthly import MonthlyRows

EXTRACTS = [date(2026, 9, 1), date(2026, 10, 1), date(2026, 11, 1)]
MONTHS = np.arange("2026-06", "2026-11", dtype="datetime64[M]").astype("datetime64[D]")
DELIVERED = MONTHS + np.timedelta64(45, "D")


def parts() -> list[MonthlyRows]:
    ids = ["152921199001010012", "152921202609150015", "152921500101001"]  # second born 2026-09-15
    return [
        MonthlyRows(pd.Categorical(ids), "pension_contribution", np.array([5200.0, 3100.5, 2270.0]), MONTHS,
                    DELIVERED),
        MonthlyRows(pd.Categorical(["152921195001010014"]), "pension_payment", np.array([180.25]), MONTHS,
                    DELIVERED),
    ]


def api_rows(feed) -> pd.DataFrame:
    """Rows added through the world API: after the compact parts in the table."""
    df = pd.DataFrame({
        "id_number": ["152921198001010016"] * 2,
        "month": [date(2026, 8, 1), date(2026, 9, 1)],
        "item": ["unemployment_benefit"] * 2,
        "amount": [1816.0, 1816.0],
        "_do": [date(2026, 9, 15), date(2026, 10, 15)],
        "_origin": ["plant"] * 2,
    })
    return coerce(df, feed)


@pytest.mark.parametrize("style", [
    Style("csv", "gb18030", "zh", "cn", "cn", "thousands", "label", "cn", "\r\n"),
    Style("jsonl", "utf-8", "canonical", "iso", "compact", "plain", "code", "tf"),
    Style("xlsx", "utf-8", "zh", "slash", "iso", "yuan", "label", "yn"),
])
def test_monthly_rows_written_per_delivery_equal_the_whole_table(style: Style, tmp_path: Path) -> None:
    from simulator.derive import _not_before_own_dates

    feed = load_feeds()["hrss_insurance"]
    rest = api_rows(feed)
    whole = _not_before_own_dates(concat_tables([*(coerce(p.frame(), feed) for p in parts()), rest]), feed)
    writer = FeedWriter(feed, whole, style)
    expected = {}
    for dl in cut_deliveries(feed, style, whole, EXTRACTS):
        expected[dl.rel_path] = (writer.render(dl), len(dl.rows))
        writer.write(dl, tmp_path / "whole" / dl.rel_path, chunk_rows=2)

    compact = parts()
    slots = [p.delivery_slots(feed, EXTRACTS) for p in compact]
    got = {rel: (extract, digest, n) for extract, rel, digest, n in
           write_monthly_feed(feed, style, rest, compact, slots, EXTRACTS, tmp_path / "streamed", 2)}

    assert sorted(got) == sorted(expected)
    for rel, (data, n) in expected.items():
        assert (tmp_path / "streamed" / rel).read_bytes() == data, rel
        assert got[rel][2] == n
    # the person born 2026-09-15: no delivery lists them before the birth date
    born_late = whole["id_number"] == "152921202609150015"
    assert whole.loc[born_late, "_do"].min() >= pd.Timestamp("2026-09-15")
    counts = delivery_counts(whole, "event", EXTRACTS)
    assert counts == [len(r) for r in delivery_rows(whole, "event", EXTRACTS)]
    per_part = sum(np.bincount(s.ravel(), minlength=len(EXTRACTS) + 1)[: len(EXTRACTS)] for s in slots)
    assert (per_part + np.array(delivery_counts(rest, "event", EXTRACTS))).tolist() == counts


def test_faults_replayed_on_fresh_deliveries_give_the_same_rows() -> None:
    feed = load_feeds()["hrss_insurance"]
    style = Style("csv", "utf-8", "canonical", "iso", "iso", "plain", "code", "10")
    table = concat_tables([coerce(p.frame(), feed) for p in parts()])
    planted = cut_deliveries(feed, style, table, EXTRACTS)[1]
    planted.insert_copy(0)
    planted.changed[3] = RowTexts(feed, table, style).row_texts(int(planted.rows[3])) | {"amount": "-1.00"}
    planted.insert_copy(2)
    fresh = cut_deliveries(feed, style, table, EXTRACTS)[1].with_faults(planted.faults())
    assert fresh.rows.tolist() == planted.rows.tolist()
    assert len(fresh.rows) == len(cut_deliveries(feed, style, table, EXTRACTS)[1].rows) + 2
    assert list(fresh.changed) == [4] and fresh.changed[4]["amount"] == "-1.00"  # shifted by the 2nd copy


def test_row_texts_equal_the_writers_texts() -> None:
    feed = load_feeds()["hrss_insurance"]
    table = concat_tables([*(coerce(p.frame(), feed) for p in parts()), api_rows(feed)])
    style = Style("csv", "utf-8", "zh", "cn", "cn", "yuan", "label", "cn")
    writer, light = FeedWriter(feed, table, style), RowTexts(feed, table, style)
    assert [light.row_texts(r) for r in range(len(table))] == [writer.row_texts(r) for r in range(len(table))]
