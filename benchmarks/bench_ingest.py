"""Ingestion against DuckDB's own read_csv -> Parquet of the same file, in the same run.

The file: one ps_hukou delivery (the largest feed; 261,364 rows at scale 1, ~22 MB of
UTF-8 CSV with Chinese headers and labels, as the public-security export writes it),
generated here (`--rows` to change) or given with `--file`.

Figures (each printed with its reference and the machine's load):
- cold process: `aidwatch ingest` of the file into a fresh HOME, as a separate process,
  against a separate `python -c` process doing DuckDB read_csv -> Parquet;
- steady state: in one process, after the imports and Great Expectations' context are
  warm, ingesting the file into a fresh HOME against DuckDB's read_csv -> Parquet in the
  same process (median of `--repeat` runs each, taken in turn);
- the start-up a cold process pays in all (cold wall - steady wall): the goal's figure;
- when a cold process starts its first file (from launching `aidwatch ingest` to the
  file's `started_at` in the ledger): GX is imported at the first validation, after the
  file was read, so this is not where GX's cost shows.
Goal (issue 14): steady ratio >= 0.5 and start-up <= 2 s. Prints figures, asserts nothing.

    .venv/bin/python benchmarks/bench_ingest.py [--rows 261364] [--file F.csv] [--repeat 3] [--formats]
    .venv/bin/python benchmarks/bench_ingest.py --steps [--repeat 5]   # CPU s per step, steady state
    .venv/bin/python benchmarks/bench_ingest.py --columns --file F [--feed FEED] [--repeat 5]
        # CPU s of each column normalised row by row against once per distinct value
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.measure import load, run  # noqa: E402

FORMATS = ("csv utf-8", "csv gb18030", "xlsx", "json")
HUKOU_FILE = "户籍人口_20261101.csv"
CHECK_CHARS = "10X98765432"
WEIGHTS = np.array([2 ** (17 - i) % 11 for i in range(17)])

DUCKDB_COPY = """
import sys, duckdb
duckdb.sql(f"copy (select * from read_csv('{sys.argv[1]}', header=true)) to '{sys.argv[2]}' (format parquet)")
"""


def hukou_frame(rows: int, seed: int = 1) -> pd.DataFrame:
    """Distinct valid people with Chinese labels, as a public-security export carries them."""
    rng = np.random.default_rng(seed)
    person = rng.permutation(rows)  # (birth day, sequence) pairs are distinct, so IDs are too
    days = (person // 1000) * 97 % 30000
    birth = pd.Timestamp("1940-01-01") + pd.to_timedelta(days, unit="D")
    seq = person % 1000
    bodies = [f"152921{b:%Y%m%d}{s:03d}" for b, s in zip(birth, seq, strict=True)]
    digits = np.array([[ord(c) - 48 for c in b] for b in bodies])
    checks = [CHECK_CHARS[v] for v in (digits @ WEIGHTS) % 11]
    return pd.DataFrame({
        "公民身份号码": [b + c for b, c in zip(bodies, checks, strict=True)],
        "姓名": rng.choice(["张伟", "王芳", "巴特尔", "其其格", "李娜"], rows),
        "性别": np.where(seq % 2 == 1, "男", "女"),
        "出生日期": birth.strftime("%Y-%m-%d"),
        "户号": [f"H{n // 3:08d}" for n in range(rows)],
        "与户主关系": rng.choice(["本人", "配偶", "子女"], rows),
        "户籍地址区划": rng.choice(["152921001001", "152922100201", "152923100001"], rows),
        "户籍状态": "正常",
        "状态变更日期": "",
    })


def write(frame: pd.DataFrame, fmt: str, folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    stem = HUKOU_FILE.rsplit(".", 1)[0]
    if fmt.startswith("csv"):
        path = folder / f"{stem}.csv"
        frame.to_csv(path, index=False, encoding=fmt.split()[1])
    elif fmt == "xlsx":
        path = folder / f"{stem}.xlsx"
        frame.to_excel(path, index=False)
    else:
        path = folder / f"{stem}.json"
        path.write_text(json.dumps(frame.to_dict("records"), ensure_ascii=False), encoding="utf-8")
    return path


def first_file_started(home: Path) -> float:
    """Epoch seconds at which the cold process started its first file (the ledger's started_at)."""
    from aidwatch.home import Home
    from ingestion.landing import read_ledger

    return min(dt.datetime.fromisoformat(e["started_at"]).timestamp() for e in read_ledger(Home(home)))


def duckdb_in_process(csv: Path, out: Path) -> float:
    import duckdb

    started = time.perf_counter()
    duckdb.sql(f"copy (select * from read_csv('{csv}', header=true)) to '{out}' (format parquet)")
    return time.perf_counter() - started


def ingest_in_process(csv: Path, work: Path) -> tuple[float, dict]:
    """`ingest_inbox` of an inbox holding the one file, as `aidwatch ingest` runs it (2 workers
    allowed: the one feed gets the second core's helper thread, ingestion.helper_thread)."""
    from aidwatch.home import Home
    from ingestion.pipeline import ingest_inbox

    inbox, home = work / "inbox", Home(work / "home")
    shutil.rmtree(work, ignore_errors=True)
    (inbox / "ps_hukou").mkdir(parents=True)
    shutil.copyfile(csv, inbox / "ps_hukou" / csv.name)
    started = time.perf_counter()
    [entry] = ingest_inbox(inbox, home)
    return time.perf_counter() - started, entry


def large_file(csv: Path, repeat: int, work: Path) -> None:
    rows = sum(1 for _ in csv.open(encoding="utf-8")) - 1
    print(f"file: {csv.name}, {rows:,} rows, {csv.stat().st_size / 1e6:.1f} MB; {load()}")

    # cold processes, in turn
    colds, refs, firsts = [], [], []
    for i in range(repeat):
        inbox, home = work / f"cold{i}" / "inbox", work / f"cold{i}" / "home"
        (inbox / "ps_hukou").mkdir(parents=True)
        shutil.copyfile(csv, inbox / "ps_hukou" / csv.name)
        refs.append(run("duckdb read_csv -> parquet (cold process)",
                        [sys.executable, "-c", DUCKDB_COPY, str(csv), str(work / f"cold{i}.parquet")]))
        launched = time.time()
        colds.append(run("aidwatch ingest (cold process)",
                         [str(ROOT / ".venv/bin/aidwatch"), "ingest", "--inbox", str(inbox),
                          "--home", str(home)]))
        firsts.append(first_file_started(home) - launched)
        shutil.rmtree(work / f"cold{i}", ignore_errors=True)
    cold = statistics.median(m.wall_s for m in colds)
    cold_ref = statistics.median(m.wall_s for m in refs)
    cold_cpu = statistics.median(m.cpu_s for m in colds)
    ref_cpu = statistics.median(m.cpu_s for m in refs)

    # steady state, in this process
    started = time.perf_counter()
    from ingestion import gate

    gate.warm_up()
    warm_up = time.perf_counter() - started
    steady, steady_ref, entry = [], [], {}
    for i in range(repeat):
        steady_ref.append(duckdb_in_process(csv, work / f"steady{i}.parquet"))
        seconds, entry = ingest_in_process(csv, work / f"steady{i}")
        steady.append(seconds)
    s, r = statistics.median(steady), statistics.median(steady_ref)
    print(f"  loaded {entry.get('rows_loaded')} of {entry.get('rows_read')} rows ({entry.get('status')}); "
          f"median of {repeat}, {load()}")
    print(f"  {'':<34} {'aidwatch':>9} {'DuckDB':>9} {'ratio (DuckDB/aidwatch)':>24}")
    print(f"  {'cold process, wall s':<34} {cold:>9.2f} {cold_ref:>9.2f} {cold_ref / cold:>24.2f}")
    print(f"  {'cold process, CPU s':<34} {cold_cpu:>9.2f} {ref_cpu:>9.2f} {ref_cpu / cold_cpu:>24.2f}")
    print(f"  {'steady state, wall s':<34} {s:>9.2f} {r:>9.2f} {r / s:>24.2f}   goal >= 0.50")
    print(f"  {'start-up: cold - steady wall, s':<34} {max(cold - s, 0):>9.2f} "
          f"{'':>9} {'':>24}   goal <= 2 s")
    print(f"  {'cold: first file started after, s':<34} {statistics.median(firsts):>9.2f}")
    print(f"  (GX import + context in this process: {warm_up:.1f} s; peak RSS cold ingest "
          f"{statistics.median(m.peak_mb for m in colds):,.0f} MB, DuckDB "
          f"{statistics.median(m.peak_mb for m in refs):,.0f} MB)")


def steps(csv: Path, repeat: int, work: Path) -> None:
    """CPU seconds (time.process_time) of each step of one file's ingestion, steady state.

    The steps of `ingestion.batch.build_batch` called one by one, then the Parquet write,
    against DuckDB's read_csv -> Parquet in the same process; the median of `repeat` runs.
    """
    import duckdb
    import pyarrow.parquet as pq

    from ingestion import gate
    from ingestion.batch import PreparedBatch, gate_prepared, raw_columns
    from ingestion.contracts import get_feed
    from ingestion.delivery import describe
    from ingestion.headers import map_headers
    from ingestion.landing import parquet_options
    from ingestion.normalise import Context, normalise_column
    from ingestion.readers import read_file

    gate.warm_up()
    feed = get_feed("ps_hukou")
    inbox = work / "inbox"
    (inbox / "ps_hukou").mkdir(parents=True, exist_ok=True)
    target = inbox / "ps_hukou" / HUKOU_FILE  # the name carries the extract date
    shutil.copyfile(csv, target)
    runs: dict[str, list[float]] = {}

    def timed(label: str, step: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        started = time.process_time()
        value = step(*args, **kwargs)
        runs.setdefault(label, []).append(time.process_time() - started)
        return value

    def normalise_all(raw: dict, ctx: Context) -> dict:
        return {n: normalise_column(raw[n], feed.column(n), ctx) for n in feed.column_names}

    for i in range(repeat):
        delivery = timed("hash and describe the file", describe, inbox, "ps_hukou", target)
        table = timed("read (decode, parse, blank cells)", read_file, delivery.path)
        mapping = map_headers(feed, table.headers)
        ctx = Context(extract_date=delivery.extract_date, file_format=table.file_format)
        normalised = timed("normalise the contract columns", normalise_all,
                           raw_columns(feed, table, mapping), ctx)
        slices = [gate.BatchSlice(delivery.batch_id, delivery.extract_date, 0, len(table.cells))]
        frame = timed("build the gate frame", gate.gate_frame, feed, normalised, table.row_problems, slices)
        timed("GX validation (alone)", gate.validate, feed, frame, slices)
        prepared = PreparedBatch(delivery, table, mapping, normalised)
        [result] = timed("GX validation + Arrow tables + report", gate_prepared, feed, [prepared], frame)
        timed("write Parquet (as landing writes it)", pq.write_table, result.good, work / f"good{i}.parquet",
              **parquet_options(result.good))
        timed("DuckDB read_csv -> Parquet (reference)", duckdb.sql,
              f"copy (select * from read_csv('{csv}', header=true)) to '{work}/duck{i}.parquet' "
              "(format parquet)")
    print(f"per step, CPU s (median of {repeat}); {load()}")
    for label, values in runs.items():
        print(f"  {label:<42} {statistics.median(values):>7.3f}")


def columns(path: Path, feed_id: str, repeat: int) -> None:
    """Per contract column of one delivery: normalised row by row against once per distinct value.

    Both in this process, in turn, median CPU seconds of `repeat`; with the column's distinct
    count, the share of distinct values among its first rows, and the path `normalise_column`
    takes (`normalise._mostly_distinct`). Columns whose type is always normalised whole
    (`ALWAYS_VECTORISED`) are listed without the second figure.
    """
    from ingestion import normalise
    from ingestion.batch import raw_columns
    from ingestion.contracts import get_feed
    from ingestion.delivery import describe
    from ingestion.headers import map_headers
    from ingestion.readers import read_file

    feed = get_feed(feed_id)
    delivery = describe(path.parent.parent, feed_id, path)
    table = read_file(delivery.path)
    raw = raw_columns(feed, table, map_headers(feed, table.headers))
    ctx = normalise.Context(extract_date=delivery.extract_date, file_format=table.file_format)
    rows = len(table.cells)
    print(f"{path.name} ({feed_id}), {rows:,} rows; CPU s, median of {repeat}; {load()}")
    print(f"  {'column':<28} {'type':<12} {'distinct':>9} {'first rows':>10} {'path':>10} "
          f"{'row by row':>11} {'per value':>10}")
    real_rule = normalise._mostly_distinct

    def cpu(per_value: bool, cells: Any, column: Any) -> float:
        normalise._mostly_distinct = (lambda _: False) if per_value else (lambda _: True)
        try:
            started = time.process_time()
            normalise.normalise_column(cells, column, ctx)
            return time.process_time() - started
        finally:
            normalise._mostly_distinct = real_rule

    for column in feed.columns:
        cells = raw[column.name]
        head = cells.iloc[:normalise.SAMPLE_ROWS]
        share = head.nunique(dropna=False) / max(len(head), 1)
        whole, once = [], []
        always = column.type in normalise.ALWAYS_VECTORISED
        for _ in range(repeat):
            whole.append(cpu(False, cells, column))
            if not always:
                once.append(cpu(True, cells, column))
        path_taken = "whole" if always or real_rule(cells) else "per value"
        per_value = f"{statistics.median(once):>10.3f}" if once else f"{'-':>10}"
        print(f"  {column.name:<28} {column.type:<12} {cells.nunique():>9,} {share:>10.2f} "
              f"{path_taken:>10} {statistics.median(whole):>11.3f} {per_value}")


def formats(rows: int, work: Path) -> None:
    """Per-format throughput on a tenth of the file (steady state, this process)."""
    from aidwatch.home import Home
    from ingestion.pipeline import ingest_feed

    frame = hukou_frame(rows)
    print(f"per format, {rows:,} rows, steady state; {load()}")
    print(f"  {'format':<12} {'seconds':>8} {'rows/s':>9}")
    for fmt in FORMATS:
        folder = work / fmt.replace(" ", "_")
        write(frame, fmt, folder / "inbox" / "ps_hukou")
        t0 = time.perf_counter()
        [entry] = ingest_feed("ps_hukou", folder / "inbox", Home(folder / "home"))
        seconds = time.perf_counter() - t0
        note = "" if entry["rows_loaded"] == rows else f"  (loaded {entry['rows_loaded']})"
        print(f"  {fmt:<12} {seconds:>8.2f} {rows / seconds:>9,.0f}{note}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=261_364, help="rows of the generated file")
    parser.add_argument("--file", type=Path, help="a ps_hukou CSV to use instead (UTF-8)")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each, in turn (median)")
    parser.add_argument("--formats", action="store_true", help="also time each delivery format")
    parser.add_argument("--steps", action="store_true",
                        help="only the CPU seconds of each step of the large file (no cold processes)")
    parser.add_argument("--columns", action="store_true",
                        help="only each column of --file normalised row by row against once per value")
    parser.add_argument("--feed", default="ps_hukou", help="the feed of --file, with --columns")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench_ingest_"))
    try:
        csv = args.file
        if args.columns:
            if csv is None:
                parser.error("--columns needs --file (a delivery inside its feed's folder)")
            columns(csv.resolve(), args.feed, args.repeat)
            return
        if csv is None:
            csv = write(hukou_frame(args.rows), "csv utf-8", work / "source")
        if args.steps:
            steps(csv.resolve(), args.repeat, work / "steps")
            return
        large_file(csv.resolve(), args.repeat, work)
        if args.formats:
            formats(max(args.rows // 10, 1000), work / "formats")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
