"""Cut each feed's table into monthly deliveries and write the files.

Why cached lines: a snapshot feed such as ps_hukou is re-delivered every month with
almost the same 262,000 rows. Each row is formatted once (vectorised), and a
delivery is the join of the lines valid on its extract date.

A planted fault replaces one cell of one row of one delivery (or inserts a copy of
a row); `Delivery.entries` holds table row numbers, or a dict of texts for a
changed row, in file order, so the truth can name the 1-based data row.
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

import numpy as np
import pandas as pd
from openpyxl import Workbook

from ingestion.contracts import Feed
from simulator.formats import Style, csv_quote, format_column, json_fragments

FIXED_ZIP_TIME = (2020, 1, 1, 0, 0, 0)
FIXED_DOC_TIME = "2020-01-01T00:00:00Z"


@dataclass
class Delivery:
    """One file of one feed: its extract date, path and rows in file order."""

    feed_id: str
    extract: date
    rel_path: str
    entries: list = field(default_factory=list)  # int (table row) | dict[str, str] (changed row texts)


def delivery_rows(table: pd.DataFrame, kind: str, extract_dates: list[date]) -> list[np.ndarray]:
    """Table row numbers of each delivery (snapshot: valid on the date; event: new since the last)."""
    out = []
    if kind == "snapshot":
        vf = table["_vf"].to_numpy(dtype="datetime64[D]")
        vt = table["_vt"].to_numpy(dtype="datetime64[D]")
        for d in extract_dates:
            d64 = np.datetime64(d, "D")
            mask = (np.isnat(vf) | (vf <= d64)) & (np.isnat(vt) | (vt > d64))
            out.append(np.flatnonzero(mask))
    else:
        do = table["_do"].to_numpy(dtype="datetime64[D]")
        ex = np.array(extract_dates, dtype="datetime64[D]")
        slot = np.searchsorted(ex, do, side="left")
        order = np.argsort(slot, kind="stable")
        for i in range(len(extract_dates)):
            out.append(order[slot[order] == i])
    return out


def file_name(feed: Feed, style: Style, extract: date) -> str:
    stem = feed.name_zh if style.headers == "zh" else feed.feed_id
    return f"{stem}_{extract:%Y%m%d}.{style.extension}"


class FeedWriter:
    """Formats one feed's table once and writes its deliveries."""

    def __init__(self, feed: Feed, table: pd.DataFrame, style: Style):
        self.feed, self.table, self.style = feed, table, style
        self.headers = [c.zh if style.headers == "zh" else c.name for c in feed.columns]
        self.texts = {c.name: format_column(table[c.name], c, style) for c in feed.columns}
        self._lines: np.ndarray | None = None

    def row_texts(self, row: int) -> dict[str, str]:
        return {c.name: self.texts[c.name][row] for c in self.feed.columns}

    # ---------------------------------------------------------------- line forms
    def lines(self) -> np.ndarray:
        if self._lines is None:
            n = len(self.table)
            if self.style.format == "csv":
                cols = [csv_quote(self.texts[c.name]) for c in self.feed.columns]
                sep = ","
                prefix, suffix = "", ""
            else:
                cols = [json_fragments(self.texts[c.name], c, self.style, h)
                        for c, h in zip(self.feed.columns, self.headers, strict=True)]
                sep = ","
                prefix, suffix = "{", "}"
            if n == 0:
                self._lines = np.array([], dtype=object)
            else:
                acc = pd.Series(cols[0], dtype=object)
                for c in cols[1:]:
                    acc = acc + sep + pd.Series(c, dtype=object)
                self._lines = (prefix + acc + suffix).to_numpy() if prefix else acc.to_numpy()
        return self._lines

    def line_of(self, texts: dict[str, str]) -> str:
        if self.style.format == "csv":
            return ",".join(csv_quote(np.array([texts[c.name]], dtype=object))[0] for c in self.feed.columns)
        frags = [json_fragments(np.array([texts[c.name]], dtype=object), c, self.style, h)[0]
                 for c, h in zip(self.feed.columns, self.headers, strict=True)]
        return "{" + ",".join(frags) + "}"

    # ---------------------------------------------------------------- files
    def render(self, delivery: Delivery) -> bytes:
        style = self.style
        if style.format == "xlsx":
            return self._xlsx(delivery)
        lines = self.lines()
        body = [lines[e] if isinstance(e, (int, np.integer)) else self.line_of(e) for e in delivery.entries]
        nl = style.newline
        if style.format == "csv":
            header = ",".join(csv_quote(np.array(self.headers, dtype=object)))
            text = nl.join([header, *body]) + nl
            return text.encode(style.encoding)
        if style.format == "jsonl":
            return ("\n".join(body) + ("\n" if body else "")).encode("utf-8")
        return ("[\n" + ",\n".join(body) + "\n]\n").encode("utf-8")

    def _cell(self, col, row: int):
        value = self.table[col.name].iat[row]
        if value is None or (not isinstance(value, str) and pd.isna(value)):
            return None
        if col.type == "date":
            return pd.Timestamp(value).date()
        if col.type == "timestamp":
            return pd.Timestamp(value).to_pydatetime()
        if col.type == "money" and self.style.money == "plain":
            return float(value)
        if col.type == "integer":
            return int(value)
        return self.texts[col.name][row]

    def _xlsx(self, delivery: Delivery) -> bytes:
        wb = Workbook(write_only=True)
        ws = wb.create_sheet(self.feed.name_zh[:31])
        ws.append(self.headers)
        for e in delivery.entries:
            if isinstance(e, (int, np.integer)):
                ws.append([self._cell(c, int(e)) for c in self.feed.columns])
            else:
                ws.append([e[c.name] if e[c.name] != "" else None for c in self.feed.columns])
        wb.properties.creator = "aidwatch simulator"
        wb.properties.created = datetime(2020, 1, 1)
        wb.properties.modified = datetime(2020, 1, 1)
        buf = io.BytesIO()
        wb.save(buf)
        return deterministic_zip(buf.getvalue())


def deterministic_zip(data: bytes) -> bytes:
    """Rewrite an .xlsx with fixed entry times and document dates (byte-identical reruns)."""
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            content = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                content = re.sub(rb"(<dcterms:(created|modified)[^>]*>)[^<]*(</dcterms:)",
                                 rb"\g<1>" + FIXED_DOC_TIME.encode() + rb"\g<3>", content)
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
