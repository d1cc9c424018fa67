"""A large CSV ingested chunk by chunk lands exactly what the whole-file path lands.

The files are real (UTF-8 with CRLF, GB18030, with a BOM) with planted faults: a key
repeated across a chunk boundary and within a chunk, a bad ID, a bad date, blank lines,
a quoted value, a snapshot held against its predecessor; and files the careful reader
must take (a quoted line break, a row of the wrong width). They are ingested with chunks
of a few rows and again read whole; raw, quarantine and held Parquet (every column, in
order), the ledger (minus timestamps) and the gate reports must be identical.
"""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest

from aidwatch.home import Home
from ingestion import batch, gate, key_counts, streaming
from ingestion.pipeline import ingest_feed
from tests.ingestion.deliveries import valid_id, write_csv, write_xlsx, wrong_check

CHUNK = 5
HUKOU_HEADER = ["公民身份号码", "姓名", "性别", "出生日期", "户号", "与户主关系", "户籍地址区划", "户籍状态",
                "状态变更日期"]
MEMBERS_HEADER = ["救助家庭编号", "身份证号", "姓名", "与户主关系", "是否纳入保障", "个人月收入"]


def person(n: int) -> tuple[str, str, str]:
    """A valid ID with its gender and birth date (the ID agrees with both)."""
    body = f"15292119{80 + n % 20:02d}0{1 + n % 9}1{n % 10}{n:03d}"[:17]
    idn = valid_id(body)
    return idn, "男" if int(body[16]) % 2 else "女", f"{body[6:10]}-{body[10:12]}-{body[12:14]}"


def hukou_lines(rows: int, faults: bool) -> list[str]:
    lines = [",".join(HUKOU_HEADER)]
    for n in range(rows):
        idn, gender, born = person(n)
        lines.append(f"{idn},居民{n},{gender},{born},H{n // 3},本人,152921001001,正常,")
    if faults:
        lines[3] = lines[3].replace("居民2", '"居民,二"')  # a quoted value with a comma
        lines[9] = lines[2].replace("居民1", "重复")  # row 1's key again, two chunks later
        lines[4] = lines[4].replace(person(3)[0], wrong_check(person(3)[0]))  # bad check digit
        lines[6] = lines[6].replace(person(5)[2], "2026-13-45")  # impossible date
        lines[12] = lines[11]  # a key repeated within a chunk
        lines.insert(8, "")  # a blank line
        lines.insert(15, ",,,,,,,,")  # a row of empty cells
    return lines


def members_lines(rows: int) -> list[str]:
    lines = [",".join(MEMBERS_HEADER)]
    for n in range(rows):
        lines.append(f"H{n // 2},{person(n)[0]},成员{n},本人,是,{n * 10}.50元")
    if rows < 14:
        return lines
    lines[4] = lines[4].replace("本人", "亲戚")  # not an accepted value
    lines[11] = lines[3]  # household + ID repeated across a chunk boundary
    lines[13] = lines[13].replace(".50元", "元整")  # unreadable money
    return lines


def write(path: Path, lines: list[str], encoding: str = "utf-8", newline: str = "\n") -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(newline.join(lines + [""]).encode(encoding))


def build_inbox(inbox: Path) -> None:
    hukou = inbox / "ps_hukou"
    write(hukou / "户籍人口_20261001.csv", hukou_lines(30, faults=True), newline="\r\n")
    write(hukou / "户籍人口_20261101.csv", hukou_lines(11, faults=False))  # 24 -> 11 keys: held
    members = inbox / "ca_members"
    write(members / "民政成员_20261001.csv", members_lines(17), "gb18030")
    write(members / "民政成员_20261101.csv", members_lines(14), "utf-8-sig")
    careful = members_lines(14)
    careful[6] = careful[6].replace(",成员5,", ',"成员\n五",')  # a value spanning lines
    write(members / "民政成员_20261102.csv", careful)
    wide = members_lines(14)
    wide[8] += ",多余"  # a row wider than the header
    write(members / "民政成员_20261103.csv", wide)
    write(members / "民政成员_20261104.csv", members_lines(0))  # header only


def ingest(inbox: Path, home: Home) -> list[dict]:
    return ingest_feed("ps_hukou", inbox, home) + ingest_feed("ca_members", inbox, home)


def landed(home: Home) -> dict[str, list[dict]]:
    """Every Parquet file of the raw, quarantine and held zones, as rows in order."""
    files = {}
    for folder in ("raw", "quarantine", "held"):
        for path in sorted((home.root / folder).rglob("*")):
            assert not path.name.startswith(".tmp-"), path
            if path.suffix == ".parquet":
                files[str(path.relative_to(home.root))] = pq.read_table(path).to_pylist()
    return files


def reports(home: Home, entries: list[dict]) -> dict[str, dict]:
    out = {}
    for entry in entries:
        path = home.gate_reports / f"{entry['batch_id']}.json"
        if path.exists():
            report = json.loads(path.read_text())
            # GX's run: the whole-file path may validate several files together, a stream each chunk
            report["validation"].pop("batches_in_run")
            report["validation"].pop("statistics")
            report["validation"].pop("run_success")
            out[entry["batch_id"]] = report
    return out


def without_times(entries: list[dict]) -> list[dict]:
    return [{k: v for k, v in e.items() if k not in ("started_at", "finished_at")} for e in entries]


def test_chunks_land_what_the_whole_file_path_lands(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    inbox = tmp_path / "inbox"
    build_inbox(inbox)
    whole = Home.resolve(tmp_path / "whole")
    entries_whole = ingest(inbox, whole)

    streamed: list[str] = []
    stream_batch = batch.stream_batch

    def spy(feed, delivery, *args, **kwargs):  # type: ignore[no-untyped-def]
        result = stream_batch(feed, delivery, *args, **kwargs)
        streamed.append(delivery.path.name)
        return result

    monkeypatch.setattr(streaming, "CHUNK_ROWS", CHUNK)
    monkeypatch.setattr("ingestion.pipeline.stream_batch", spy)
    chunked = Home.resolve(tmp_path / "chunked")
    entries_chunked = ingest(inbox, chunked)

    # the four files with more lines than a chunk and no careful-reader case were streamed
    assert sorted(streamed) == ["户籍人口_20261001.csv", "户籍人口_20261101.csv", "民政成员_20261001.csv",
                                "民政成员_20261101.csv"]
    assert without_times(entries_chunked) == without_times(entries_whole)
    assert landed(chunked) == landed(whole)
    assert reports(chunked, entries_chunked) == reports(whole, entries_whole)

    by_file = {Path(e["file"]).name: e for e in entries_chunked}
    hukou = by_file["户籍人口_20261001.csv"]
    assert (hukou["status"], hukou["rows_read"]) == ("loaded_with_quarantine", 30)
    assert hukou["rows_quarantined"] == 6
    assert "id_number: duplicate key within the file (id_number) (4 rows)" in hukou["reasons"]
    quarantine = pq.read_table(chunked.quarantine / "ps_hukou" / f"{hukou['batch_id']}.parquet").to_pylist()
    # the blank line and the row of empty cells are not counted; rows 2 and 9 lie in chunks 1 and 2
    assert [q["_source_row"] for q in quarantine] == [2, 4, 6, 9, 11, 12]
    assert by_file["户籍人口_20261101.csv"]["status"] == "held"
    members = by_file["民政成员_20261001.csv"]
    assert (members["encoding"], members["rows_quarantined"]) == ("gb18030", 4)
    assert by_file["民政成员_20261101.csv"]["encoding"] == "utf-8-sig"
    assert "_row: row has 7 fields, the header has 6 (1 rows)" in by_file["民政成员_20261103.csv"]["reasons"]
    assert by_file["民政成员_20261104.csv"]["rows_read"] == 0
    statistics = [json.loads((home.gate_reports / f"{hukou['batch_id']}.json").read_text())["validation"]
                  ["statistics"] for home in (whole, chunked)]  # its whole-file run had no failing neighbour
    assert statistics[0] == statistics[1]
    report = reports(chunked, [hukou])[hukou["batch_id"]]
    [key_check] = [e for e in report["expectations"] if e["kwargs"].get("column") == "_key_occurrences"]
    assert (key_check["unexpected_count"], key_check["sample_rows"]) == (4, [2, 9, 11, 12])


def test_landed_files_keep_min_max_only_where_readers_prune(tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """Raw and quarantine files, written whole or chunk by chunk, carry statistics for
    `_extract_date` and `_batch_id` in every row group (staging skips older deliveries by
    them) and for no other column; DuckDB's pruned read returns every row of the day."""
    inbox = tmp_path / "inbox"
    build_inbox(inbox)
    monkeypatch.setattr(streaming, "CHUNK_ROWS", CHUNK)
    home = Home.resolve(tmp_path / "home")
    ingest(inbox, home)
    files = [p for folder in ("raw", "quarantine", "held") for p in (home.root / folder).rglob("*.parquet")
             if p.name != "_schema.parquet"]
    assert any(pq.ParquetFile(p).metadata.num_row_groups > 1 for p in files)  # a streamed file
    assert any("quarantine" in p.parts for p in files)
    for path in files:
        metadata = pq.ParquetFile(path).metadata
        for group in range(metadata.num_row_groups):
            row_group = metadata.row_group(group)
            with_statistics = {row_group.column(c).path_in_schema for c in range(row_group.num_columns)
                               if row_group.column(c).is_stats_set}
            expected = {"_extract_date", "_batch_id"} if row_group.num_rows else set()  # a header-only file
            assert with_statistics == expected, path
    raw = home.raw_feed("ps_hukou")
    every = duckdb.sql(f"select * from read_parquet('{raw}/*.parquet') order by _source_row").fetchall()
    pruned = duckdb.sql(f"select * from read_parquet('{raw}/*.parquet') where _extract_date = "
                        "date '2026-10-01' order by _source_row").fetchall()
    assert pruned == [row for row in every if str(row[-4]) == "2026-10-01"] and pruned


def test_a_file_failing_in_a_later_chunk_leaves_nothing(tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    inbox = tmp_path / "inbox"
    write(inbox / "ps_hukou" / "户籍人口_20261001.csv", hukou_lines(30, faults=True))
    calls = []
    validate = gate.validate

    def third_chunk_fails(*args, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(1)
        if len(calls) == 3:
            raise gate.GateError("broken on the third chunk")
        return validate(*args, **kwargs)

    monkeypatch.setattr(streaming, "CHUNK_ROWS", CHUNK)
    monkeypatch.setattr(batch, "validate", third_chunk_fails)
    home = Home.resolve(tmp_path / "home")
    [entry] = ingest_feed("ps_hukou", inbox, home)
    assert entry["status"] == "rejected" and "broken on the third chunk" in entry["reasons"][0]
    assert len(calls) == 3
    assert landed(home) == {"raw/ps_hukou/_schema.parquet": []}
    assert sorted(p.name for p in (home.root / "raw" / "ps_hukou").iterdir()) == ["_schema.parquet"]


def test_spilled_keys_stay_in_the_home_and_a_crash_leaves_none(tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """The first pass's spilled chunks and keys (names, ID numbers) go to HOME/scratch (0700), not the
    system's temp folder, and none is left behind."""
    inbox = tmp_path / "inbox"
    write(inbox / "ps_hukou" / "户籍人口_20261001.csv", hukou_lines(30, faults=True))
    monkeypatch.setattr(streaming, "CHUNK_ROWS", CHUNK)
    home = Home.resolve(tmp_path / "home")
    scratch = home.root / "scratch" / "ps_hukou"
    seen: list[Path] = []
    key_pass = batch._key_pass

    def watched(feed, stream, mapping, ctx, folder):  # type: ignore[no-untyped-def]
        seen.append(Path(folder))
        return key_pass(feed, stream, mapping, ctx, folder)

    monkeypatch.setattr(batch, "_key_pass", watched)
    left = scratch / "stream-killed"  # what a process killed mid-file leaves behind
    left.mkdir(parents=True)
    (left / "keys-0.pickle").write_bytes(b"ids")
    (left / "chunk-0.arrow").write_bytes(b"rows")
    spilled: list[str] = []
    spill = streaming.CsvStream.spill

    def watched_spill(self, chunk, path):  # type: ignore[no-untyped-def]
        spilled.append(str(path.relative_to(scratch).parent.parent))
        return spill(self, chunk, path)

    monkeypatch.setattr(streaming.CsvStream, "spill", watched_spill)
    [entry] = ingest_feed("ps_hukou", inbox, home)
    assert len(spilled) == 7 and set(spilled) == {"."}  # 32 lines in chunks of 5, in this run's folder
    assert entry["status"] == "loaded_with_quarantine"
    assert [folder.parent for folder in seen] == [scratch]
    assert scratch.stat().st_mode & 0o777 == 0o700
    assert list(scratch.iterdir()) == []  # the leftover removed, this run's own folder gone


def test_keys_are_counted_on_their_values_when_hashes_collide(tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """Every row hashing alike (as colliding keys would): the counts come from the key values."""
    import numpy as np
    import pandas as pd

    inbox = tmp_path / "inbox"
    write(inbox / "ps_hukou" / "户籍人口_20261001.csv", hukou_lines(30, faults=True))
    monkeypatch.setattr(streaming, "CHUNK_ROWS", CHUNK)
    honest = ingest_feed("ps_hukou", inbox, Home.resolve(tmp_path / "honest"))
    key_hashes = batch.key_hashes
    hashed: list[int] = []

    def colliding_hashes(keys: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        hashed.append(len(keys))
        return np.zeros(len(keys), dtype=np.uint64), key_hashes(keys)[1]

    monkeypatch.setattr(batch, "key_hashes", colliding_hashes)
    colliding = ingest_feed("ps_hukou", inbox, Home.resolve(tmp_path / "colliding"))
    assert sum(hashed) == 30  # every row of the file went through the colliding hash
    assert without_times(colliding) == without_times(honest)
    assert colliding[0]["rows_quarantined"] == 6


def test_a_streamed_file_is_parsed_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The second pass reads the chunks the first pass spilled, not the CSV again."""
    import pyarrow.csv as pacsv

    inbox = tmp_path / "inbox"
    write(inbox / "ps_hukou" / "户籍人口_20261001.csv", hukou_lines(30, faults=True))
    whole = ingest_feed("ps_hukou", inbox, Home.resolve(tmp_path / "whole"))
    monkeypatch.setattr(streaming, "CHUNK_ROWS", CHUNK)
    opened: list[str] = []
    open_csv = pacsv.open_csv

    def counted(source, *args, **kwargs):  # type: ignore[no-untyped-def]
        opened.append(str(source))
        return open_csv(source, *args, **kwargs)

    monkeypatch.setattr(streaming.pacsv, "open_csv", counted)
    streamed = ingest_feed("ps_hukou", inbox, Home.resolve(tmp_path / "streamed"))
    assert len(opened) == 1
    assert without_times(streamed) == without_times(whole)


@pytest.mark.parametrize(("text", "encoding", "streamed"), [
    ("id,名字\n" + "1,张三丰\n" * 9, "utf-8", "utf-8"),
    ("id,名字\n" + "1,张三\n" * 9, "gb18030", "gb18030"),
    ("id,name\n" + "1,a\n" * 9, "utf-8", "utf-8"),
    ("id,名字\n" + "1,张三丰\n" * 9, "utf-8-sig", "utf-8-sig"),
])
def test_stream_decides_the_encoding_as_the_whole_file_reader(tmp_path: Path, text: str, encoding: str,
                                                              streamed: str) -> None:
    from ingestion.readers import read_file

    path = tmp_path / "f.csv"
    path.write_bytes(text.encode(encoding))
    stream = streaming.open_stream(path, tmp_path, chunk_rows=4)
    assert stream is not None and stream.encoding == streamed == read_file(path).encoding
    assert [len(c.cells) for c in stream.chunks()] == [4, 4, 1]
    assert streaming.open_stream(path, tmp_path, chunk_rows=10) is None  # fewer lines: read whole


def test_only_a_csv_with_more_lines_than_a_chunk_may_stream(tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """`may_stream` answers as `open_stream` does on its cheap part, and the pipeline asks it first:
    a small file gets no scratch folder."""
    monkeypatch.setattr(streaming, "CHUNK_ROWS", 4)
    header, rows = ["id", "名字"], [[str(n), "张三丰"] for n in range(9)]
    large = write_csv(tmp_path / "large.csv", header, rows)
    small = write_csv(tmp_path / "small.csv", header, rows[:3])
    sheet = write_xlsx(tmp_path / "sheet.xlsx", header, rows)
    other = tmp_path / "rows.txt"
    other.write_bytes(large.read_bytes())
    assert [streaming.may_stream(p) for p in (large, small, sheet, other)] == [True, False, False, False]
    assert streaming.may_stream(large, chunk_rows=10) is False
    for path in (small, sheet, other):
        assert streaming.open_stream(path, tmp_path) is None, path.name
    assert streaming.open_stream(large, tmp_path) is not None

    home, inbox = Home(tmp_path / "home"), tmp_path / "inbox"
    write_csv(inbox / "ca_deaths" / "d_20261101.csv", ["身份证号", "死亡日期"],
              [[valid_id("15292119800101123"), "2026-10-01"]])
    [entry] = ingest_feed("ca_deaths", inbox, home)
    assert entry["status"] == "loaded" and not (home.root / "scratch").exists()


def test_stream_leaves_doubtful_bytes_to_the_whole_file_reader(tmp_path: Path) -> None:
    """Bytes valid in both encodings, damaged UTF-8 and bytes valid in neither are read whole."""
    both = tmp_path / "both.csv"  # 元 in GB18030 (D4 AA) is also valid UTF-8
    both.write_bytes(("a,b\n" + "1,元\n" * 9).encode("gb18030"))
    damaged = tmp_path / "damaged.csv"
    damaged.write_bytes(("a,b\n" + "1,张三\n" * 9).encode("utf-8")[:-3] + b"\xe5\xbc\n")
    neither = tmp_path / "neither.csv"
    neither.write_bytes(b"a,b\n" + b"1,\xff\xfe\n" * 9)
    for path in (both, damaged, neither):
        assert streaming.open_stream(path, tmp_path, chunk_rows=4) is None, path.name


@pytest.mark.parametrize("breaks", [9, 10, 11])
def test_line_breaks_are_counted_across_blocks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                               breaks: int) -> None:
    """More than 10 line breaks streams, 10 does not, wherever the blocks are cut (every 7 bytes)."""
    monkeypatch.setattr(streaming, "SCAN_BYTES", 7)
    path = tmp_path / "f.csv"
    path.write_bytes(b"".join(b"r%d,\xe5\x90\x8d\r\n" % n for n in range(breaks)) + b"last,no break")
    assert streaming.has_more_lines_than(path, 10) == (breaks > 10)


def test_key_occurrences_flag_what_pandas_duplicated_flags() -> None:
    """The gate's key check flags exactly the rows GX's compound uniqueness flagged (all occurrences)."""
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(1)
    for _ in range(100):
        n = int(rng.integers(0, 40))
        months = rng.choice(["2020-01-01", "2020-02-01", None], n)
        frame = pd.DataFrame({"a": pd.Series(rng.choice(["x", "y", "z", None], n), dtype="str"),
                              "b": pd.to_datetime(pd.Series(months)),
                              "c": pd.Series(rng.choice([1, 2, None], n), dtype="Int64")})
        for columns in (["a"], ["a", "b"], ["a", "b", "c"]):
            keys = frame[columns]
            counts = key_counts.key_occurrences(keys)
            assert np.array_equal(counts, key_counts.exact_occurrences(keys), equal_nan=True)
            complete = keys.notna().all(axis=1).to_numpy()
            assert np.isnan(counts[~complete]).all()
            assert ((counts[complete] > 1) == keys[complete].duplicated(keep=False).to_numpy()).all()
            assert counts[complete].sum() == sum(size ** 2 for size in keys[complete].value_counts())


def test_equal_keys_hash_equally_however_pandas_holds_them() -> None:
    """A streamed file's chunks hash their keys apart: a text column normalised per distinct value
    (a Categorical) in one chunk and as Arrow text in the next must give one key one hash."""
    import pandas as pd

    ids = ["152921199001011234", "15292119900101123X", None]
    months = pd.Series(pd.to_datetime(["2026-01-01", "2026-02-01", "2026-01-01"])).astype("datetime64[s]")
    as_text = pd.DataFrame({"id": pd.Series(ids, dtype="str"), "month": months})
    as_category = pd.DataFrame({"id": pd.Series(pd.Categorical(ids)), "month": months})
    text_hashes, text_complete = key_counts.key_hashes(as_text)
    category_hashes, category_complete = key_counts.key_hashes(as_category)
    assert text_complete.tolist() == category_complete.tolist() == [True, True, False]
    assert text_hashes[:2].tolist() == category_hashes[:2].tolist()
    assert text_hashes[0] != text_hashes[1]
    # The same ID with another month is another key.
    other_month = as_text.assign(month=months.iloc[[1, 0, 2]].to_numpy())
    assert key_counts.key_hashes(other_month)[0][0] != text_hashes[0]


@pytest.mark.parametrize("repeats_by", ["hash table", "sort"])
def test_a_large_file_counts_its_keys_through_their_hashes(monkeypatch: pytest.MonkeyPatch,
                                                          repeats_by: str) -> None:
    """Above HASHED_FROM_ROWS only rows whose hash repeats are counted exactly: the counts are
    the exact ones, for repeated keys, unique keys and keys with a missing part alike; whether
    the repeated hashes are found by a hash table or a sort (`HASH_TABLE_MAX_ROWS`)."""
    import numpy as np
    import pandas as pd

    monkeypatch.setattr(key_counts, "HASHED_FROM_ROWS", 0)
    monkeypatch.setattr(key_counts, "HASH_TABLE_MAX_ROWS", 10**9 if repeats_by == "hash table" else 0)
    rng = np.random.default_rng(7)
    n = 5000
    ids = pd.Series([f"ID{v:05d}" for v in rng.integers(0, 4000, n)], dtype="str").mask(rng.random(n) < 0.02)
    items = pd.Series(pd.Categorical(rng.choice(["a", "b"], n)))
    for keys in (pd.DataFrame({"id": ids}), pd.DataFrame({"id": ids, "item": items})):
        counts = key_counts.key_occurrences(keys)
        assert np.array_equal(counts, key_counts.exact_occurrences(keys), equal_nan=True)
        assert (counts > 1).any() and (counts == 1).any() and np.isnan(counts).any()


def test_the_repeated_hashes_are_the_same_by_hash_table_and_by_sort(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every complete row whose hash another complete row shares, in row order; an incomplete
    row's hash counts for nothing, even when a complete row has the same."""
    import numpy as np

    rng = np.random.default_rng(3)
    hashes = rng.integers(0, 50, 2000).astype(np.uint64)  # many repeats
    hashes[:3] = [10**15, 10**15, 10**16]  # a pair, and one whose twin is incomplete
    hashes[1999] = 10**16
    complete = rng.random(2000) < 0.9
    complete[:3], complete[1999] = True, False
    found = {}
    for way, limit in (("hash table", 10**9), ("sort", 0)):
        monkeypatch.setattr(key_counts, "HASH_TABLE_MAX_ROWS", limit)
        found[way] = key_counts.repeated_rows(hashes, complete)
    expected = [row for row in range(2000) if complete[row]
                and sum(complete[other] and hashes[other] == hashes[row] for other in range(2000)) > 1]
    assert found["hash table"].tolist() == found["sort"].tolist() == expected
    assert 0 in expected and 2 not in expected
