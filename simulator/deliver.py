"""Cut each feed's table into monthly deliveries and write the files.

Why cached lines: a snapshot feed such as ps_hukou is re-delivered every month with
almost the same 262,000 rows. Each row is formatted once (vectorised), and a
delivery is the join of the lines valid on its extract date.

A planted fault replaces one cell of one row of one delivery (or inserts a copy of
a row); `Delivery.entries` holds table row numbers, or a dict of texts for a
changed row, in file order, so the truth can name the 1-based data row.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from openpyxl import Workbook
from openpyxl.utils import get_column_letter

from ingestion.contracts import Feed
from simulator.formats import Style, csv_field, format_column, json_field, value_formatter
from simulator.memory import release_memory

#: types whose texts never need JSON escaping (digits, dates, codes, Chinese labels)
PLAIN_JSON_TYPES = frozenset(
    {"id_number", "region_code", "date", "month", "timestamp", "enum", "credit_code"}
)
FIXED_ZIP_TIME = (2020, 1, 1, 0, 0, 0)
#: lines formatted and written at a time (FeedWriter.write); the bytes do not depend on it
CHUNK_ROWS = 100_000
FIXED_DOC_TIME = "2020-01-01T00:00:00Z"


@dataclass
class Delivery:
    """One file of one feed: its extract date, path and rows in file order.

    `rows` are table row numbers; `changed` maps a position in the file (0-based) to
    the texts written there instead (a planted fault).
    """

    feed_id: str
    extract: date
    rel_path: str
    rows: np.ndarray
    changed: dict[int, dict[str, str]] = field(default_factory=dict)
    inserted: list[int] = field(default_factory=list)  # insert_copy positions, in order

    def insert_copy(self, position: int) -> None:
        """Repeat the row at `position` right after it (a duplicate key)."""
        self.rows = np.insert(self.rows, position + 1, self.rows[position])
        self.changed = {(k + 1 if k > position else k): v for k, v in self.changed.items()}
        self.inserted.append(position)

    def faults(self) -> tuple[list[int], dict[int, dict[str, str]]]:
        """What the planted faults changed, without the row numbers (`with_faults` redoes it)."""
        return list(self.inserted), self.changed

    def with_faults(self, faults: tuple[list[int], dict[int, dict[str, str]]]) -> Delivery:
        """The same faults on this delivery (freshly cut from the same table)."""
        inserted, changed = faults
        for position in inserted:
            self.rows = np.insert(self.rows, position + 1, self.rows[position])
        self.inserted, self.changed = list(inserted), changed
        return self


def delivery_rows(table: pd.DataFrame, kind: str, extract_dates: list[date]) -> list[np.ndarray]:
    """Table row numbers of each delivery (snapshot: valid on the date; event: new since the last).

    As int32 (memory: a snapshot feed's 24 deliveries of 2.6 M rows at scale 10 are held
    together while its faults are planted and its files written)."""
    out = []
    if kind == "snapshot":
        vf = table["_vf"].to_numpy(dtype="datetime64[D]")
        vt = table["_vt"].to_numpy(dtype="datetime64[D]")
        for d in extract_dates:
            d64 = np.datetime64(d, "D")
            mask = (np.isnat(vf) | (vf <= d64)) & (np.isnat(vt) | (vt > d64))
            out.append(np.flatnonzero(mask).astype(np.int32))
    else:
        do = table["_do"].to_numpy(dtype="datetime64[D]")
        ex = np.array(extract_dates, dtype="datetime64[D]")
        slot = np.searchsorted(ex, do, side="left")
        order = np.argsort(slot, kind="stable").astype(np.int32)
        for i in range(len(extract_dates)):
            out.append(order[slot[order] == i])
    return out


def delivery_counts(table: pd.DataFrame, kind: str, extract_dates: list[date]) -> list[int]:
    """Rows of each delivery, without holding their row numbers."""
    if kind == "snapshot":
        vf = table["_vf"].to_numpy(dtype="datetime64[D]")
        vt = table["_vt"].to_numpy(dtype="datetime64[D]")
        return [
            int(((np.isnat(vf) | (vf <= d64)) & (np.isnat(vt) | (vt > d64))).sum())
            for d64 in (np.datetime64(d, "D") for d in extract_dates)
        ]
    do = table["_do"].to_numpy(dtype="datetime64[D]")
    slot = np.searchsorted(np.array(extract_dates, dtype="datetime64[D]"), do, side="left")
    return np.bincount(slot, minlength=len(extract_dates) + 1)[: len(extract_dates)].tolist()


def file_name(feed: Feed, style: Style, extract: date) -> str:
    stem = feed.name_zh if style.headers == "zh" else feed.feed_id
    return f"{stem}_{extract:%Y%m%d}.{style.extension}"


class RowTexts:
    """One row's texts in a feed's style, read from the table (what FeedWriter writes).

    Why: the faults are planted before any file is written, one feed at a time, and need
    the texts of a few rows only; formatting whole columns for that would cost memory.
    """

    def __init__(self, feed: Feed, table: pd.DataFrame, style: Style):
        self.feed, self.table, self.style = feed, table, style
        self._formatters = {c.name: value_formatter(c, style) for c in feed.columns}

    def text(self, column: str, row: int) -> str:
        value = self.table[column].iat[row]
        return "" if pd.isna(value) else self._formatters[column](value)

    def row_texts(self, row: int) -> dict[str, str]:
        return {c.name: self.text(c.name, row) for c in self.feed.columns}


class FeedWriter:
    """Formats one feed's table once and writes its deliveries."""

    def __init__(self, feed: Feed, table: pd.DataFrame, style: Style):
        self.feed, self.table, self.style = feed, table, style
        self.headers = [c.zh if style.headers == "zh" else c.name for c in feed.columns]
        self._columns: dict[str, tuple[np.ndarray, list[str]]] | None = None
        self._lines: pa.Array | None = None
        self._fields: dict[str, pa.Array] = {}

    @property
    def columns(self) -> dict[str, tuple[np.ndarray, list[str]]]:
        """Per column (codes, texts): format_column of the table, formatted on first use."""
        if self._columns is None:
            table, style = self.table, self.style
            self._columns = {c.name: format_column(table[c.name], c, style) for c in self.feed.columns}
        return self._columns

    def release(self) -> None:
        """Drop the formatted lines (memory) once the feed's files are written."""
        self._lines = None
        self._fields = {}
        self._columns = None
        self.__dict__.pop("_typed_cache", None)

    def text(self, column: str, row: int) -> str:
        codes, texts = self.columns[column]
        return texts[codes[row]]

    def row_texts(self, row: int) -> dict[str, str]:
        return {c.name: self.text(c.name, row) for c in self.feed.columns}

    # ---------------------------------------------------------------- line forms
    def _field(self, text: str, col, header: str) -> str:
        if self.style.format == "csv":
            return csv_field(text) if col.type == "text" or col.type == "money" else text
        if col.type in PLAIN_JSON_TYPES and text:
            return f'"{header}":"{text}"'
        return json_field(text, col, self.style, header)

    def _build_lines(self, rows: np.ndarray | None) -> pa.Array:
        """Rows as file lines (CSV records or JSON objects), joined column-wise in Arrow.

        Joined one column at a time, so only the line so far and one column are held.
        Every row's lines (`rows` None, built once per feed) format each column just
        before joining it, unless the columns are formatted already: the distinct texts
        of all columns at once (IDs, names) were the largest part of writing a snapshot
        feed (issue 14)."""
        line = None
        last = len(self.feed.columns) - 1
        one_by_one = rows is None and self._columns is None
        for i, (col, header) in enumerate(zip(self.feed.columns, self.headers, strict=True)):
            if one_by_one:
                codes, texts = format_column(self.table[col.name], col, self.style)
            else:
                codes, texts = self.columns[col.name]
            if rows is not None:
                codes = codes[rows]
            fields = self._fields.get(col.name)
            if fields is None:  # each distinct text is quoted/encoded once per feed
                fields = pa.array([self._field(t, col, header) for t in texts], pa.string())
                if not one_by_one:
                    self._fields[col.name] = fields
            del texts
            column = pa.DictionaryArray.from_arrays(pa.array(codes, pa.int32()), fields).cast(pa.string())
            del codes, fields
            if self.style.format != "csv":
                if i == 0:
                    column = pc.binary_join_element_wise(pa.scalar("{"), column, "")
                if i == last:
                    column = pc.binary_join_element_wise(column, pa.scalar("}"), "")
            line = column if line is None else pc.binary_join_element_wise(line, column, ",")
            del column
            if one_by_one:
                release_memory()  # the column's texts are gone; the next column reuses the pages
        return line

    def lines(self) -> pa.Array:
        """Every table row as a line, cached: snapshot rows repeat in every delivery.

        Once the lines exist, the formatted columns are dropped (memory: the largest
        snapshot's distinct IDs and names); `columns` formats them again if asked."""
        if self._lines is None:
            self._lines = self._build_lines(None)
            if self.style.format != "xlsx":
                self._columns, self._fields = None, {}
        return self._lines

    def lines_of(self, rows: np.ndarray) -> pa.Array:
        """The lines of some rows; event rows are delivered once, so they are not cached."""
        if self.feed.kind == "snapshot":
            return self.lines().take(pa.array(rows, pa.int64()))
        return self._build_lines(rows)

    def line_of(self, texts: dict[str, str]) -> str:
        fields = [
            self._field(texts[c.name], c, h) for c, h in zip(self.feed.columns, self.headers, strict=True)
        ]
        line = ",".join(fields)
        return line if self.style.format == "csv" else "{" + line + "}"

    def _join(self, rows: np.ndarray, sep: str) -> str:
        if len(rows) == 0:
            return ""
        taken = self.lines_of(rows).cast(pa.large_string())
        lists = pa.LargeListArray.from_arrays(pa.array([0, len(taken)], pa.int64()), taken)
        return pc.binary_join(lists, pa.scalar(sep, pa.large_string()))[0].as_py()

    def _body(self, delivery: Delivery, sep: str) -> str:
        """The delivery's lines joined (Arrow does the bulk; changed rows are spliced in)."""
        return self._body_range(delivery, sep, 0, len(delivery.rows))

    def _body_range(self, delivery: Delivery, sep: str, start: int, stop: int) -> str:
        """The lines at file positions [start, stop) joined by `sep`."""
        rows = delivery.rows
        out, first = [], start
        for pos in sorted(p for p in delivery.changed if start <= p < stop):
            if pos > first:
                out.append(self._join(rows[first:pos], sep))
            out.append(self.line_of(delivery.changed[pos]))
            first = pos + 1
        if first < stop:
            out.append(self._join(rows[first:stop], sep))
        return sep.join(out)

    def _pieces(self, delivery: Delivery, sep: str, chunk_rows: int) -> Iterator[str]:
        """The body in chunks of `chunk_rows` lines; joined, they are exactly `_body`."""
        for start in range(0, len(delivery.rows), chunk_rows):
            text = self._body_range(delivery, sep, start, min(start + chunk_rows, len(delivery.rows)))
            yield text if start == 0 else sep + text

    # ---------------------------------------------------------------- files
    def write(self, delivery: Delivery, path: Path, chunk_rows: int = CHUNK_ROWS) -> str:
        """Write the delivery's file `chunk_rows` lines at a time; returns its sha256 (hex).

        Why: a whole file held as one text and again as bytes is ~4x its size in memory
        (a scale-10 ps_hukou delivery is ~0.5 GB). The bytes are those of `render`
        whatever `chunk_rows` is (tests/simulator/test_streaming.py). .xlsx files are
        small (XLSX_FEEDS) and written whole.
        """
        if chunk_rows < 1:
            raise ValueError("chunk_rows must be at least 1")
        style = self.style
        digest = hashlib.sha256()
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "wb") as handle:
            encoding = [style.encoding if style.format == "csv" else "utf-8"]

            def put(text: str) -> None:
                data = text.encode(encoding[0])
                encoding[0] = "utf-8" if encoding[0] == "utf-8-sig" else encoding[0]  # one BOM
                handle.write(data)
                digest.update(data)

            if style.format == "xlsx":
                data = self._xlsx(delivery)
                handle.write(data)
                digest.update(data)
                return digest.hexdigest()
            has_rows = len(delivery.rows) > 0
            if style.format == "csv":
                put(",".join(csv_field(h) for h in self.headers) + style.newline)
                sep, tail = style.newline, style.newline if has_rows else ""
            elif style.format == "jsonl":
                sep, tail = "\n", "\n" if has_rows else ""
            else:
                put("[\n")
                sep, tail = ",\n", "\n]\n"
            for piece in self._pieces(delivery, sep, chunk_rows):
                put(piece)
            if tail:
                put(tail)
        return digest.hexdigest()

    def render(self, delivery: Delivery) -> bytes:
        style = self.style
        if style.format == "xlsx":
            return self._xlsx(delivery)
        nl = style.newline
        if style.format == "csv":
            header = ",".join(csv_field(h) for h in self.headers)
            body = self._body(delivery, nl)
            text = header + nl + (body + nl if body else "")
            return text.encode(style.encoding)
        if style.format == "jsonl":
            body = self._body(delivery, "\n")
            return (body + "\n" if body else "").encode("utf-8")
        return ("[\n" + self._body(delivery, ",\n") + "\n]\n").encode("utf-8")

    def _typed(self) -> dict[str, list]:
        """Cell values for .xlsx: real dates and numbers where Excel has them, else the text."""
        if not hasattr(self, "_typed_cache"):
            typed = {}
            for col in self.feed.columns:
                series = self.table[col.name]
                codes, texts = self.columns[col.name]
                if col.type == "date":
                    values = [None if pd.isna(v) else pd.Timestamp(v).date() for v in series]
                elif col.type == "timestamp":
                    values = [None if pd.isna(v) else pd.Timestamp(v).to_pydatetime() for v in series]
                elif col.type == "money" and self.style.money == "plain":
                    values = [None if pd.isna(v) else float(v) for v in series]
                elif col.type == "integer":
                    values = [None if pd.isna(v) else int(v) for v in series]
                else:
                    values = [texts[c] or None for c in codes]
                typed[col.name] = values
            self._typed_cache = typed
        return self._typed_cache

    def _xlsx(self, delivery: Delivery) -> bytes:
        typed = self._typed()
        names = [c.name for c in self.feed.columns]
        wb = Workbook(write_only=True)
        ws = wb.create_sheet(self.feed.name_zh[:31])
        ws.append(self.headers)
        for pos, row in enumerate(delivery.rows):
            e = delivery.changed.get(pos)
            if e is None:
                ws.append([typed[n][int(row)] for n in names])
            else:
                ws.append([e[n] if e[n] != "" else None for n in names])
        wb.properties.creator = "aidwatch simulator"
        wb.properties.created = datetime(2020, 1, 1)
        wb.properties.modified = datetime(2020, 1, 1)
        buf = io.BytesIO()
        wb.save(buf)
        last = get_column_letter(len(names))
        return deterministic_zip(buf.getvalue(), dimension=f"A1:{last}{len(delivery.rows) + 1}")


def deterministic_zip(data: bytes, dimension: str | None = None) -> bytes:
    """Rewrite an .xlsx with fixed entry times and document dates (byte-identical reruns).

    `dimension` adds the sheet's used range, as Excel writes it (openpyxl's write-only
    mode omits it, and readers then see rows without their trailing empty cells)."""
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            content = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                content = re.sub(
                    rb"(<dcterms:(created|modified)[^>]*>)[^<]*(</dcterms:)",
                    rb"\g<1>" + FIXED_DOC_TIME.encode() + rb"\g<3>",
                    content,
                )
            if dimension and info.filename == "xl/worksheets/sheet1.xml" and b"<dimension" not in content:
                tag = f'<dimension ref="{dimension}" /><sheetViews>'.encode()
                content = content.replace(b"<sheetViews>", tag, 1)
            zi = zipfile.ZipInfo(info.filename, date_time=FIXED_ZIP_TIME)
            zi.compress_type = zipfile.ZIP_DEFLATED
            zi.external_attr = 0o600 << 16
            dst.writestr(zi, content)
    return out.getvalue()


def write_bytes(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def dump_json(obj) -> str:
    return json.dumps(obj, ensure_ascii=False, indent=2, sort_keys=True, default=str) + "\n"
