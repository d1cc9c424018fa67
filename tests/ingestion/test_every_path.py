"""Every feed's hostile deliveries land the same whichever way ingestion takes them.

Ingestion has three ways through a file, chosen for speed alone: a file gated on its own,
a feed's small files stacked and gated together (`pipeline.GATE_GROUP_ROWS`), and a large
CSV read and gated chunk by chunk (`streaming.CHUNK_ROWS`); a feed ingested alone gets a
helper thread (ingestion.helper_thread), whose Parquet files must be the same bytes; and the
first new CSV of a scan is parsed as the scan hashes it (ingestion.early_read), which the
grouped way never does (every file read at its turn). The hand-written cases of
test_grouped.py and test_chunked.py plant faults in two or three feeds; here every feed of
the contract gets deliveries generated from its own columns, with hostile cells (blank,
full-width, formula-like, impossible dates, wrong IDs, stray units, emoji), keys repeated
within a file and across files, two files of one extract date, an exact copy of a file,
optional columns left out, columns in another order, and UTF-8, UTF-8 with a BOM,
GB18030, CRLF and .xlsx. The ledger (minus timestamps), every raw, quarantine and held
Parquet file and every gate report (minus GX's run statistics) must be identical.


Seeded: the same files every run, one seed per feed, so a failure names its feed and can
be replayed.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import random
from pathlib import Path

import pytest

from aidwatch.home import Home
from ingestion import early_read, pipeline, streaming
from ingestion.contracts import Column, Feed, get_feed, load_feeds
from ingestion.pipeline import ingest_feed
from tests.ingestion.deliveries import valid_id, write_xlsx, wrong_check
from tests.ingestion.test_chunked import landed, reports, without_times

#: Cells no department should send, and some do.
HOSTILE = ["", " ", "\u3000", "NULL", "nan", "-", "0", "-1", "1e9", "１２", 'x"y', "=HYPERLINK(\"a\")",
           "\t1", "99999999999999999", "2026-02-30", "2026-11-31", "20261301", "1900-01-01", "2099-01-01",
           "2026年11月", "是的", "男性", "152921", "1529210010011", "abc", "Ⅻ", "😀", "1,2", "1.2.3", "+",
           "（1）", "a\nb"]
#: Each file has fewer rows than this; the chunks hold 1-3 rows.
ROWS = 14
FEEDS = list(load_feeds())


def _people(rng: random.Random) -> list[str]:
    """A small pool of IDs, so that keys repeat: valid ones, a wrong check digit, a short one."""
    bodies = [f"15292119{rng.randrange(40, 99):02d}{rng.randrange(1, 13):02d}{rng.randrange(1, 29):02d}"
              f"{rng.randrange(100, 999)}" for _ in range(6)]
    ids = [valid_id(body) for body in bodies]
    return [*ids, wrong_check(ids[0]), ids[1].lower()[:15], "１" + ids[2][1:]]


def _cell(rng: random.Random, column: Column, people: list[str], extract: dt.date) -> str:
    """A value of the column's type in one of its delivered forms, or now and then a hostile one."""
    if rng.random() < 0.08:
        return rng.choice(HOSTILE)
    if not column.required and rng.random() < 0.1:
        return ""
    day = extract - dt.timedelta(days=rng.randrange(-30, 3000))
    forms: dict[str, list[str]] = {
        "id_number": people,
        "enum": [*column.values, *column.codes],
        "bool": ["是", "否", "1", "0", "Y", "N"],
        "date": [day.isoformat(), f"{day:%Y/%m/%d}", f"{day:%Y%m%d}"],
        "month": [f"{day:%Y-%m}", f"{day:%Y%m}", f"{day:%Y年%m月}"],
        "timestamp": [f"{day.isoformat()} 08:30:00"],
        "money": ["100", "1,234.50", "0", "12.345", "-5", "300元", "￥88"],
        "integer": ["0", "3", "17", "-2"],
        "decimal": ["1.5", "0", "3", "2.25", "-1"],
        "region_code": ["152921001001", "152922100201", "152923", "152921001", "152921001001000",
                        "110105001001"],
        "credit_code": ["91110000600037341L", "91152921MA0N000001", "X"],
    }
    return rng.choice(forms.get(column.type, ["甲", "乙", "K1", "K2", "K3", "H1", "内蒙古", "a b"]))


def _write(rng: random.Random, path: Path, header: list[str], rows: list[list[str]], csv_only: bool) -> Path:
    """CSV in a random encoding and line end, or .xlsx."""
    form = rng.choice(["utf-8", "utf-8-sig", "gb18030", "crlf", *([] if csv_only else ["xlsx"])])
    if form == "xlsx":
        return write_xlsx(path.with_suffix(".xlsx"), header, rows)
    text = io.StringIO()
    csv.writer(text, lineterminator="\r\n" if form == "crlf" else "\n").writerows([header, *rows])
    path.write_bytes(text.getvalue().encode("utf-8" if form == "crlf" else form))
    return path


def deliveries(feed: Feed, folder: Path, seed: int) -> None:
    """Four files of the feed (two of one extract date) and an exact copy of one of them.

    The first is a CSV of several rows, so that a chunk of 1-3 rows leaves something to stream.
    """
    rng = random.Random(seed)
    people = _people(rng)
    folder.mkdir(parents=True)
    days = sorted(dt.date(2026, 9, 1) + dt.timedelta(days=rng.randrange(0, 60)) for _ in range(3))
    written = []
    for number, extract in enumerate([*days, days[-1]]):
        columns = [c for c in feed.columns if c.required or rng.random() < 0.85]
        if rng.random() < 0.3:
            rng.shuffle(columns)
        rows = [[_cell(rng, c, people, extract) for c in columns]
                for _ in range(rng.randrange(0 if number else 4, ROWS))]
        name = f"{feed.feed_id}_{extract:%Y%m%d}_{number}.csv"
        written.append(_write(rng, folder / name, [c.zh for c in columns], rows, csv_only=not number))
    twin = rng.choice(written)
    (folder / f"copy_{twin.name}").write_bytes(twin.read_bytes())


def in_file_order(entries: list[dict]) -> list[dict]:
    """Ledger entries without timestamps, by file: a copy of a file is recorded once its original
    has landed, which a stream (landed at once) and a group (landed together) reach at another point."""
    return sorted(without_times(entries), key=lambda e: (e["file"], e["batch_id"]))


def _ingest(feed_id: str, inbox: Path, home: Home, monkeypatch: pytest.MonkeyPatch,
            **settings: int) -> list[dict]:
    with monkeypatch.context() as patched:
        if "group_rows" in settings:
            patched.setattr(pipeline, "GATE_GROUP_ROWS", settings["group_rows"])
        if "chunk_rows" in settings:
            patched.setattr(streaming, "CHUNK_ROWS", settings["chunk_rows"])
        if "early_bytes" in settings:
            patched.setattr(early_read, "EARLY_MAX_BYTES", settings["early_bytes"])
        return ingest_feed(feed_id, inbox, home, spare_core=bool(settings.get("spare_core")))


def parquet_bytes(home: Home) -> dict[str, bytes]:
    """Every Parquet file of the raw, quarantine and held zones, as its bytes."""
    return {str(path.relative_to(home.root)): path.read_bytes() for folder in ("raw", "quarantine", "held")
            for path in sorted((home.root / folder).rglob("*.parquet"))}


@pytest.mark.parametrize("feed_id", FEEDS)
def test_a_feeds_files_land_the_same_grouped_alone_and_in_chunks(
        feed_id: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    feed = get_feed(feed_id)
    inbox = tmp_path / "inbox"
    deliveries(feed, inbox / feed_id, seed=FEEDS.index(feed_id))
    streamed: list[str] = []
    real_stream = pipeline.stream_batch

    def spy(feed, delivery, *args, **kwargs):  # type: ignore[no-untyped-def]
        streamed.append(delivery.path.name)
        return real_stream(feed, delivery, *args, **kwargs)

    read_early: list[str] = []
    real_take = early_read.EarlyRead.take

    def spy_take(self, delivery):  # type: ignore[no-untyped-def]
        table = real_take(self, delivery)
        if table is not None:
            read_early.append(delivery.path.name)
        return table

    monkeypatch.setattr(early_read.EarlyRead, "take", spy_take)
    homes = {way: Home.resolve(tmp_path / way) for way in ("alone", "grouped", "helped", "chunked")}
    entries = {"alone": _ingest(feed_id, inbox, homes["alone"], monkeypatch, group_rows=1)}
    assert read_early, "no file was parsed as the scan hashed it"
    early_before = len(read_early)
    entries["grouped"] = _ingest(feed_id, inbox, homes["grouped"], monkeypatch, early_bytes=0)
    assert len(read_early) == early_before  # every file read at its turn
    entries["helped"] = _ingest(feed_id, inbox, homes["helped"], monkeypatch, spare_core=1)
    monkeypatch.setattr(pipeline, "stream_batch", spy)
    # every other feed streams with the helper thread too (a large file alone in the inbox)
    entries["chunked"] = _ingest(feed_id, inbox, homes["chunked"], monkeypatch,
                                 chunk_rows=1 + len(feed_id) % 3, spare_core=FEEDS.index(feed_id) % 2)

    for way in ("grouped", "helped", "chunked"):
        assert in_file_order(entries[way]) == in_file_order(entries["alone"]), way
        assert landed(homes[way]) == landed(homes["alone"]), way
        assert reports(homes[way], entries[way]) == reports(homes["alone"], entries["alone"]), way
    assert parquet_bytes(homes["helped"]) == parquet_bytes(homes["grouped"])
    statuses = {e["status"] for e in entries["alone"]}
    assert "duplicate" in statuses or "unchanged" in statuses  # the copy was recognised
    assert streamed, "no file was read chunk by chunk"
