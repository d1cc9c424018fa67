"""How each department writes its files: format, encoding, headers and value forms.

Why per feed and fixed by the seed: a real department's export looks the same every
month, but departments differ (GBK from an old system, .xlsx from an office, JSON
from an API). `choose_styles` draws one `Style` per feed from the seed and then makes
sure every form the contract accepts really occurs somewhere.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ingestion.contracts import Column, Feed

#: feeds too big to write as .xlsx every month at scale 1
LARGE_FEEDS = frozenset({
    "ps_hukou", "hrss_employment", "hrss_insurance", "mi_enrollment", "nr_real_estate", "ps_vehicles",
    "edu_students", "hpf_provident_fund", "mi_settlements", "tax_income", "fin_fiscal_payroll", "ca_payments",
    "dpf_disability", "mr_business",
})


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


def choose_styles(feeds: dict[str, Feed], seed: int, empty_feeds: set[str]) -> dict[str, Style]:
    """A style per feed, drawn from the seed; every format, encoding and value form occurs.

    JSON is never chosen for a feed with an empty delivery (an empty JSON array has
    no columns to check).
    """
    rng = np.random.default_rng([seed, 40])
    ids = list(feeds)
    order = [ids[i] for i in rng.permutation(len(ids))]
    small = [f for f in order if f not in LARGE_FEEDS]
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
    force(order, format="csv", encoding="gb18030", headers="zh")
    force(["ps_hukou"] + order, format="csv", encoding="utf-8-sig", headers="zh")
    force(order, format="csv", encoding="utf-8", headers="canonical")
    force(order, format="csv", encoding="gb18030", headers="canonical")
    styles = {}
    for f in ids:
        kw = forced.get(f, {})
        fmt = kw.get("format") or str(rng.choice(["csv", "csv", "csv", "jsonl"] if f in json_ok else ["csv"]))
        if fmt == "csv":
            encoding = kw.get("encoding") or str(rng.choice(["utf-8", "utf-8-sig", "gb18030"]))
        else:
            encoding = "utf-8"
        styles[f] = Style(
            format=fmt, encoding=encoding,
            headers=kw.get("headers") or str(rng.choice(["canonical", "zh"])),
            dates=str(rng.choice(["iso", "iso", "slash", "compact", "cn"])),
            months=str(rng.choice(["iso", "compact", "cn"])),
            money=str(rng.choice(["plain", "plain", "yuan", "thousands"])),
            enums=str(rng.choice(["code", "label"])),
            bools=str(rng.choice(["cn", "yn", "10", "tf"])),
            newline=str(rng.choice(["\n", "\r\n"])),
        )
    return styles


# ---------------------------------------------------------------- value forms
def _ymd(series: pd.Series) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    values = series.to_numpy(dtype="datetime64[D]")
    null = np.isnat(values)
    safe = np.where(null, np.datetime64("2000-01-01"), values)
    y = safe.astype("datetime64[Y]").astype(int) + 1970
    m = safe.astype("datetime64[M]").astype(int) % 12 + 1
    d = (safe - safe.astype("datetime64[M]")).astype(int) + 1
    return y, m, d, null


def format_date_parts(y: int, m: int, d: int, style: str) -> str:
    """One date in a style (used for planted impossible dates too)."""
    if style == "slash":
        return f"{y}/{m}/{d}"
    if style == "compact":
        return f"{y:04d}{m:02d}{d:02d}"
    if style == "cn":
        return f"{y}年{m}月{d}日"
    return f"{y:04d}-{m:02d}-{d:02d}"


def _map_unique(series: pd.Series, fn) -> np.ndarray:
    """Apply fn to each distinct non-null value only (dates, enums repeat a lot)."""
    out = np.full(len(series), "", dtype=object)
    mask = series.notna().to_numpy()
    if mask.any():
        vals = series[mask]
        uniq = pd.unique(vals)
        table = {u: fn(u) for u in uniq}
        out[mask] = vals.map(table).to_numpy()
    return out


def format_money(cents: np.ndarray, style: str) -> np.ndarray:
    neg = cents < 0
    a = np.abs(cents)
    whole = (a // 100).astype(str)
    if style == "thousands":
        whole = np.array([f"{int(x):,}" for x in a // 100], dtype=object) if len(a) else whole
    frac = np.char.zfill((a % 100).astype(str), 2)
    text = np.char.add(np.char.add(whole.astype(str), "."), frac).astype(object)
    text = np.where(neg, "-" + text, text)
    if style == "yuan":
        text = text + "元"
    return text


def format_column(series: pd.Series, col: Column, style: Style) -> np.ndarray:
    """Text of one column in the department's style ('' for null)."""
    t = col.type
    if t in ("date", "month"):
        y, m, d, null = _ymd(series)
        if t == "date":
            fn = {"iso": lambda: [f"{a:04d}-{b:02d}-{c:02d}" for a, b, c in zip(y, m, d, strict=True)],
                  "slash": lambda: [f"{a}/{b}/{c}" for a, b, c in zip(y, m, d, strict=True)],
                  "compact": lambda: [f"{a:04d}{b:02d}{c:02d}" for a, b, c in zip(y, m, d, strict=True)],
                  "cn": lambda: [f"{a}年{b}月{c}日" for a, b, c in zip(y, m, d, strict=True)]}[style.dates]
        else:
            fn = {"iso": lambda: [f"{a:04d}-{b:02d}" for a, b in zip(y, m, strict=True)],
                  "compact": lambda: [f"{a:04d}{b:02d}" for a, b in zip(y, m, strict=True)],
                  "cn": lambda: [f"{a}年{b}月" for a, b in zip(y, m, strict=True)]}[style.months]
        text = np.array(fn(), dtype=object)
        text[null] = ""
        return text
    if t == "timestamp":
        return _map_unique(series, lambda v: pd.Timestamp(v).strftime("%Y-%m-%d %H:%M:%S"))
    if t == "money":
        values = series.to_numpy(dtype="float64", na_value=np.nan)
        null = np.isnan(values)
        cents = np.rint(np.where(null, 0, values) * 100).astype(np.int64)
        text = format_money(cents, style.money)
        text[null] = ""
        return text
    if t == "decimal":
        return _map_unique(series, lambda v: f"{float(v):.2f}")
    if t == "integer":
        return _map_unique(series, lambda v: str(int(v)))
    if t == "bool":
        true, false = {"cn": ("是", "否"), "yn": ("Y", "N"), "10": ("1", "0"), "tf": ("true", "false")}[style.bools]
        return _map_unique(series, lambda v: true if v else false)
    if t == "enum" and style.enums == "label":
        labels = {code: label for label, code in col.values.items()}
        return _map_unique(series, lambda v: labels.get(v, v))
    return _map_unique(series, str)


def csv_quote(values: np.ndarray) -> np.ndarray:
    """Quote CSV fields that hold a comma, quote or line break."""
    s = pd.Series(values, dtype=object)
    needs = s.str.contains(r'[,"\r\n]', regex=True).fillna(False).to_numpy()
    if needs.any():
        s[needs] = '"' + s[needs].str.replace('"', '""', regex=False) + '"'
    return s.to_numpy()


def json_value(text: str, col: Column, style: Style) -> str:
    """One JSON value: null, a number for plain money and integers, true/false, else a string."""
    import json

    if text == "":
        return "null"
    if col.type == "integer":
        return text
    if col.type == "money" and style.money == "plain":
        return text
    if col.type == "bool" and style.bools == "tf":
        return text
    return json.dumps(text, ensure_ascii=False)


def json_fragments(texts: np.ndarray, col: Column, style: Style, header: str) -> np.ndarray:
    import json

    key = json.dumps(header, ensure_ascii=False) + ":"
    s = pd.Series(texts, dtype=object)
    uniq = pd.unique(s)
    if len(uniq) < len(s) / 2:
        table = {u: key + json_value(u, col, style) for u in uniq}
        return s.map(table).to_numpy()
    return np.array([key + json_value(u, col, style) for u in texts], dtype=object)
