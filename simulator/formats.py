"""How each department writes its files: format, encoding, headers and value forms.

Why per feed and fixed by the seed: a real department's export looks the same every
month, but departments differ (GBK from an old system, .xlsx from an office, JSON
from an API). `choose_styles` draws one `Style` per feed from the seed and then makes
sure every form the contract accepts really occurs somewhere.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ingestion.contracts import Column, Feed

#: feeds small enough to write as .xlsx every month at scale 1 (openpyxl is slow):
#: event feeds with a few hundred rows a month, and small reference snapshots
XLSX_FEEDS = frozenset(
    {
        "ca_applications",
        "ca_temp_assistance",
        "ca_standards",
        "ca_deaths",
        "ca_vagrant_cases",
        "hc_housing_aid",
        "em_disaster_victims",
        "rr_monitoring",
        "hotline_12345",
        "sf_charity_aid",
    }
)


@dataclass(frozen=True)
class Style:
    """One department's way of writing a feed."""

    format: str  # csv | xlsx | json | jsonl
    encoding: str  # utf-8 | utf-8-sig | gb18030 (csv only; others utf-8)
    headers: str  # canonical | zh
    dates: str  # iso | slash | compact | cn
    months: str  # iso | compact | cn
    money: str  # plain | yuan | thousands
    enums: str  # code | label
    bools: str  # cn | yn | 10 | tf
    newline: str = "\n"

    @property
    def extension(self) -> str:
        return {"csv": "csv", "xlsx": "xlsx", "json": "json", "jsonl": "jsonl"}[self.format]


def gb18030_unambiguous(feed: Feed) -> bool:
    """Whether a GB18030 file of this feed (Chinese headers) is recognisably not UTF-8.

    Some GB18030 byte pairs are valid UTF-8 too (元 is D4 AA), so a GB18030 file with
    ASCII headers can read as valid, garbled UTF-8. A department's GBK export has
    Chinese headers; we use GB18030 only where the header itself breaks UTF-8 at its
    first non-ASCII byte, so no reader can take the file for UTF-8.
    """
    header = ",".join(c.zh for c in feed.columns).encode("gb18030")
    try:
        header.decode("utf-8")
    except UnicodeDecodeError as exc:
        return header[: exc.start].isascii()
    return False


def choose_styles(feeds: dict[str, Feed], seed: int, empty_feeds: set[str]) -> dict[str, Style]:
    """A style per feed, drawn from the seed; every format, encoding and value form occurs.

    JSON is never chosen for a feed with an empty delivery (an empty JSON array has
    no columns to check).
    """
    rng = np.random.default_rng([seed, 40])
    ids = list(feeds)
    order = [ids[i] for i in rng.permutation(len(ids))]
    small = [f for f in order if f in XLSX_FEEDS]
    json_ok = [f for f in order if f not in empty_feeds]
    forced: dict[str, dict[str, str]] = {}

    def force(candidates: list[str], **kw: str) -> None:
        for f in candidates:
            if f not in forced:
                forced[f] = kw
                return

    force([f for f in small if f not in empty_feeds], format="xlsx", headers="zh")
    force([f for f in small if f not in empty_feeds], format="xlsx", headers="canonical")
    force([f for f in json_ok if f not in small] + json_ok, format="jsonl")
    force([f for f in json_ok if f in small] + json_ok, format="json")
    gb_ok = [f for f in order if gb18030_unambiguous(feeds[f])]
    force(gb_ok, format="csv", encoding="gb18030", headers="zh")
    force(gb_ok[1:], format="csv", encoding="gb18030", headers="zh")
    force(["ps_hukou"] + order, format="csv", encoding="utf-8-sig", headers="zh")
    force(order, format="csv", encoding="utf-8", headers="canonical")
    styles = {}
    for f in ids:
        kw = forced.get(f, {})
        fmt = kw.get("format") or str(rng.choice(["csv", "csv", "csv", "jsonl"] if f in json_ok else ["csv"]))
        if fmt == "csv":
            encoding = kw.get("encoding") or str(rng.choice(["utf-8", "utf-8-sig", "gb18030"]))
        else:
            encoding = "utf-8"
        headers = kw.get("headers") or str(rng.choice(["canonical", "zh"]))
        if encoding == "gb18030" and not (headers == "zh" and gb18030_unambiguous(feeds[f])):
            encoding = "utf-8-sig"
        styles[f] = Style(
            format=fmt,
            encoding=encoding,
            headers=headers,
            dates=str(rng.choice(["iso", "iso", "slash", "compact", "cn"])),
            months=str(rng.choice(["iso", "compact", "cn"])),
            money=str(rng.choice(["plain", "plain", "yuan", "thousands"])),
            enums=str(rng.choice(["code", "label"])),
            bools=str(rng.choice(["cn", "yn", "10", "tf"])),
            newline=str(rng.choice(["\n", "\r\n"])),
        )
    return styles


# ---------------------------------------------------------------- value forms
def format_date_parts(y: int, m: int, d: int, style: str) -> str:
    """One date in a style (used for planted impossible dates too)."""
    if style == "slash":
        return f"{y}/{m}/{d}"
    if style == "compact":
        return f"{y:04d}{m:02d}{d:02d}"
    if style == "cn":
        return f"{y}年{m}月{d}日"
    return f"{y:04d}-{m:02d}-{d:02d}"


def format_month_parts(y: int, m: int, style: str) -> str:
    if style == "compact":
        return f"{y:04d}{m:02d}"
    if style == "cn":
        return f"{y}年{m}月"
    return f"{y:04d}-{m:02d}"


def format_money_value(value: float, style: str) -> str:
    cents = int(round(value * 100))
    sign = "-" if cents < 0 else ""
    whole, frac = divmod(abs(cents), 100)
    text = f"{sign}{whole:,}.{frac:02d}" if style == "thousands" else f"{sign}{whole}.{frac:02d}"
    return text + "元" if style == "yuan" else text


def value_formatter(col: Column, style: Style):
    """A function from one canonical value to its text in the department's style."""
    t = col.type
    if t == "date":
        return lambda v: format_date_parts(v.year, v.month, v.day, style.dates)
    if t == "month":
        return lambda v: format_month_parts(v.year, v.month, style.months)
    if t == "timestamp":
        return lambda v: pd.Timestamp(v).strftime("%Y-%m-%d %H:%M:%S")
    if t == "money":
        return lambda v: format_money_value(float(v), style.money)
    if t == "decimal":
        return lambda v: f"{float(v):.2f}"
    if t == "integer":
        return lambda v: str(int(v))
    if t == "bool":
        true, false = {"cn": ("是", "否"), "yn": ("Y", "N"), "10": ("1", "0"), "tf": ("true", "false")}[
            style.bools
        ]
        return lambda v: true if v else false
    if t == "enum" and style.enums == "label":
        labels = {code: label for label, code in col.values.items()}
        return lambda v: labels.get(v, v)
    return str


def format_column(series: pd.Series, col: Column, style: Style) -> tuple[np.ndarray, list[str]]:
    """The column as (codes, texts): row i reads texts[codes[i]]; the last text is '' (null).

    Why factorised: values repeat a lot (dates, enums, a wage over 36 months), so each
    distinct value is formatted once.
    """
    codes, uniques = pd.factorize(series, use_na_sentinel=True)
    fmt = value_formatter(col, style)
    texts = [fmt(u) for u in uniques] + [""]
    codes = np.where(codes < 0, len(texts) - 1, codes).astype(np.int32)
    return codes, texts


def csv_field(text: str) -> str:
    """Quote a CSV field that holds a comma, quote or line break."""
    if any(ch in text for ch in ',"\r\n'):
        return '"' + text.replace('"', '""') + '"'
    return text


def json_value(text: str, col: Column, style: Style) -> str:
    """One JSON value: null, a number for plain money and integers, true/false, else a string."""
    if text == "":
        return "null"
    if col.type == "integer":
        return text
    if col.type == "money" and style.money == "plain":
        return text
    if col.type == "bool" and style.bools == "tf":
        return text
    return json.dumps(text, ensure_ascii=False)


def json_field(text: str, col: Column, style: Style, header: str) -> str:
    return json.dumps(header, ensure_ascii=False) + ":" + json_value(text, col, style)
