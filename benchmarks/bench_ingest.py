"""Ingestion throughput: rows/s per delivery format at scales 1 and 10 (prints figures, asserts nothing).

Generates its own ps_hukou-shaped files (the largest feed: 262,000 persons at scale 1,
here a tenth of it per file to keep the run short; `--rows` to change) in each format,
ingests each into a fresh HOME and reports wall time and rows/s. GX is imported and its
context built before timing (a per-process cost, reported separately), so the figures are
the steady per-file cost the demo pays ~650 times.

    .venv/bin/python benchmarks/bench_ingest.py [--rows 26200] [--scales 1 10]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from aidwatch.home import Home  # noqa: E402
from ingestion import gate  # noqa: E402
from ingestion.normalise import check_digits  # noqa: E402
from ingestion.pipeline import ingest_feed  # noqa: E402

FORMATS = ("csv utf-8", "csv gb18030", "xlsx", "json")


def hukou_frame(rows: int, seed: int) -> pd.DataFrame:
    """Distinct valid people with Chinese labels, as a public-security export carries them."""
    rng = np.random.default_rng(seed)
    person = rng.permutation(rows)  # (birth day, sequence) pairs are distinct, so IDs are too
    days = (person // 1000) * 97 % 30000
    birth = pd.Timestamp("1940-01-01") + pd.to_timedelta(days, unit="D")
    seq = person % 1000
    bodies = pd.Series([f"152921{b:%Y%m%d}{s:03d}" for b, s in zip(birth, seq, strict=True)], dtype="str")
    ids = bodies + pd.Series(check_digits(bodies), dtype="str")
    return pd.DataFrame({
        "公民身份号码": ids,
        "姓名": rng.choice(["张伟", "王芳", "巴特尔", "其其格", "李娜"], rows),
        "性别": np.where(seq % 2 == 1, "男", "女"),
        "出生日期": birth.strftime("%Y-%m-%d"),
        "户号": [f"H{n:08d}" for n in range(rows)],
        "与户主关系": rng.choice(["本人", "配偶", "子女"], rows),
        "户籍地址区划": rng.choice(["152921001001", "152922100201", "152923100001"], rows),
        "户籍状态": "正常",
        "状态变更日期": "",
    })


def write(frame: pd.DataFrame, fmt: str, folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    if fmt.startswith("csv"):
        path = folder / "户籍人口_20261101.csv"
        frame.to_csv(path, index=False, encoding=fmt.split()[1])
    elif fmt == "xlsx":
        path = folder / "户籍人口_20261101.xlsx"
        frame.to_excel(path, index=False)
    else:
        path = folder / "户籍人口_20261101.json"
        path.write_text(json.dumps(frame.to_dict("records"), ensure_ascii=False), encoding="utf-8")
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=26_200, help="rows per file at scale 1")
    parser.add_argument("--scales", type=float, nargs="+", default=[1, 10])
    args = parser.parse_args()
    started = time.perf_counter()
    gate.warm_up()
    print(f"GX import + context: {time.perf_counter() - started:.1f} s (once per process)")
    print(f"{'format':<12} {'scale':>5} {'rows':>9} {'seconds':>8} {'rows/s':>9}")
    for scale in args.scales:
        rows = int(args.rows * scale)
        frame = hukou_frame(rows, seed=int(scale))
        for fmt in FORMATS:
            if fmt == "xlsx" and rows > 100_000:
                print(f"{fmt:<12} {scale:>5g} {rows:>9,} {'skipped: .xlsx over 100k rows':>18}")
                continue
            with tempfile.TemporaryDirectory(prefix="bench_ingest_") as tmp:
                inbox = Path(tmp) / "inbox"
                write(frame, fmt, inbox / "ps_hukou")
                home = Home.resolve(Path(tmp) / "home")
                t0 = time.perf_counter()
                [entry] = ingest_feed("ps_hukou", inbox, home)
                seconds = time.perf_counter() - t0
            all_loaded = entry["rows_loaded"] == rows
            note = "" if all_loaded else f"  (loaded {entry['rows_loaded']}: {entry['reasons'][:2]})"
            print(f"{fmt:<12} {scale:>5g} {rows:>9,} {seconds:>8.2f} {rows / seconds:>9,.0f}{note}")


if __name__ == "__main__":
    main()
