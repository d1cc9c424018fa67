"""Build small delivery files for ingestion tests: real CSV (any encoding), .xlsx and JSON.

Why helpers and not committed files: the fixtures are tiny and must show in the test what
they contain (a GB18030 header, a full-width ID, an Excel serial date).
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import io
import json
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from openpyxl import Workbook
from stdnum.cn import ric

EXTRACT = dt.date(2026, 11, 1)
STAMP = f"{EXTRACT:%Y%m%d}"


def valid_id(body17: str) -> str:
    """A valid 18-digit ID for a 17-digit body (stdnum takes the number with a check place)."""
    return body17 + ric.calc_check_digit(body17 + "0")


def wrong_check(idn: str) -> str:
    return idn[:17] + ("0" if idn[17] != "0" else "1")


def write_csv(path: Path, header: list[str], rows: list[list[str]], encoding: str = "utf-8") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    text = io.StringIO()
    csv.writer(text).writerows([header, *rows])
    path.write_bytes(text.getvalue().encode(encoding))
    return path


def write_xlsx(path: Path, header: list[str], rows: list[list[object]], blank_rows_above: int = 0) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    workbook = Workbook()
    sheet = workbook.active
    for _ in range(blank_rows_above):
        sheet.append([None])
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    workbook.create_sheet("填表说明")  # an empty second sheet is fine; one with data is not
    workbook.save(path)
    return path


def write_json(path: Path, records: list[dict], lines: bool = False) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if lines:
        text = "\n".join(json.dumps(r, ensure_ascii=False) for r in records) + "\n"
        path.write_text(text, encoding="utf-8")
    else:
        path.write_text(json.dumps(records, ensure_ascii=False), encoding="utf-8")
    return path


@contextlib.contextmanager
def rewritten_after_each_parse(path: Path, rewrite: Callable[[bytes], bytes]) -> Iterator[None]:
    """Within the block, `path` is rewritten (`rewrite` of its bytes) right after a CSV's bytes
    are parsed: a department re-uploading the file mid-read. Wherever the parse happens: as the
    scan hashes the file (ingestion.early_read) or at the file's turn (readers.read_csv)."""
    from ingestion import readers

    real_parse = readers._csv_table

    def parsed_then_rewritten(data: bytes) -> readers.RawTable:
        table = real_parse(data)
        path.write_bytes(rewrite(path.read_bytes()))
        return table

    with pytest.MonkeyPatch.context() as patched:
        patched.setattr(readers, "_csv_table", parsed_then_rewritten)
        yield
