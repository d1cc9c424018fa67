"""An independent reader and contract checker for simulated inboxes (test helper).

Why independent: the simulator's files must satisfy feeds.md as the departments'
files would; checking them with the ingestion package (written at the same time)
would test nothing twice. This reads feeds.yaml itself and re-implements the value
rules of feeds.md in a few plain functions.
"""

from __future__ import annotations

import csv
import io
import json
import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cache
from pathlib import Path

import openpyxl
import yaml
from stdnum.cn import ric, uscc

FEEDS_YAML = Path(__file__).resolve().parents[2] / "ingestion" / "feeds.yaml"
DATE_RE = re.compile(r"(\d{4})(\d{2})(\d{2})")


@cache
def contracts() -> dict:
    return yaml.safe_load(FEEDS_YAML.read_text(encoding="utf-8"))


@dataclass
class ReadFile:
    feed: str
    rel: str
    extract: date
    encoding: str | None
    format: str
    rows: list[dict[str, object]]  # canonical column -> raw value (str, or a cell value for xlsx)
    missing_required: list[str]
    header: list[str]


class Rejected(Exception):
    pass


def decode(data: bytes) -> tuple[str, str]:
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8"), "utf-8-sig"
    for enc in ("utf-8", "gb18030"):
        try:
            return data.decode(enc), enc
        except UnicodeDecodeError:
            continue
    raise Rejected("undecodable")


def read(path: Path, inbox: Path) -> ReadFile:
    """Read one delivered file into canonical rows (raises Rejected for a bad file)."""
    feed = path.parent.name
    spec = contracts()[feed]
    rel = path.relative_to(inbox).as_posix()
    m = DATE_RE.search(path.name)
    extract = date(int(m[1]), int(m[2]), int(m[3]))
    data = path.read_bytes()
    if not data:
        raise Rejected("empty")
    header_map = {}
    for c in spec["columns"]:
        for h in [c["name"], c["zh"], *c.get("aliases", [])]:
            header_map[unicodedata.normalize("NFKC", h).strip().lower()] = c["name"]
    encoding = None
    suffix = path.suffix.lower()
    if suffix == ".xlsx":
        wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True)
        values = [list(r) for r in wb.worksheets[0].iter_rows(values_only=True)]
        header, body = [str(h) for h in values[0]], values[1:]
        fmt = "xlsx"
    elif suffix == ".csv":
        text, encoding = decode(data)
        table = list(csv.reader(io.StringIO(text, newline="")))
        header, body = table[0], table[1:]
        fmt = "csv"
    else:
        text, encoding = decode(data)
        fmt = suffix[1:]
        objs = json.loads(text) if fmt == "json" else [json.loads(line) for line in text.splitlines() if line]
        header = list(objs[0]) if objs else []
        body = [[o.get(h) for h in header] for o in objs]
    names = [header_map.get(unicodedata.normalize("NFKC", h).strip().lower()) for h in header]
    missing = [c["name"] for c in spec["columns"] if c.get("required") and c["name"] not in names]
    rows = [{n: v for n, v in zip(names, r, strict=False) if n} for r in body]
    return ReadFile(feed, rel, extract, encoding, fmt, rows, missing, header)


# ---------------------------------------------------------------- value checks
def id_ok(v: str, extract: date) -> bool:
    v = unicodedata.normalize("NFKC", v).strip().upper()
    if len(v) == 15 and v.isdigit():
        v = v[:6] + "19" + v[6:]
        v = v + ric.calc_check_digit(v + "0")
    if len(v) != 18 or not v[:17].isdigit():
        return False
    try:
        birth = date(int(v[6:10]), int(v[10:12]), int(v[12:14]))
    except ValueError:
        return False
    return birth <= extract and ric.calc_check_digit(v) == v[17]


def full_id(v: str) -> str:
    v = unicodedata.normalize("NFKC", v).strip().upper()
    if len(v) == 15:
        v = v[:6] + "19" + v[6:]
        v = v + ric.calc_check_digit(v + "0")
    return v


def parse_date(v: object) -> date:
    if isinstance(v, datetime):
        return v.date()
    if isinstance(v, date):
        return v
    s = str(v).strip()
    for pattern in (
        r"^(\d{4})-(\d{1,2})-(\d{1,2})$",
        r"^(\d{4})/(\d{1,2})/(\d{1,2})$",
        r"^(\d{4})(\d{2})(\d{2})$",
        r"^(\d{4})年(\d{1,2})月(\d{1,2})日$",
    ):
        m = re.match(pattern, s)
        if m:
            return date(int(m[1]), int(m[2]), int(m[3]))
    raise ValueError(f"not a date: {s!r}")


def parse_month(v: object) -> date:
    s = str(v).strip()
    for pattern in (r"^(\d{4})-(\d{1,2})$", r"^(\d{4})(\d{2})$", r"^(\d{4})年(\d{1,2})月$"):
        m = re.match(pattern, s)
        if m:
            return date(int(m[1]), int(m[2]), 1)
    raise ValueError(f"not a month: {s!r}")


def parse_money(v: object) -> float:
    if isinstance(v, (int, float)):
        return float(v)
    s = unicodedata.normalize("NFKC", str(v)).strip().replace(",", "").removesuffix("元")
    if not re.match(r"^-?\d+(\.\d{1,2})?$", s):
        raise ValueError(f"not money: {v!r}")
    return float(s)


BOOLS = {"是", "否", "y", "n", "1", "0", "true", "false"}


def check_row(spec: dict, row: dict, extract: date) -> list[str]:
    """Reasons this row breaks its contract (empty when it conforms)."""
    reasons = []
    for c in spec["columns"]:
        v = row.get(c["name"])
        empty = v is None or (isinstance(v, str) and v.strip() == "")
        if empty:
            if c.get("required"):
                reasons.append(f"{c['name']}: missing_required")
            continue
        t = c["type"]
        try:
            if t == "id_number" and not id_ok(str(v), extract):
                reasons.append(f"{c['name']}: bad_id")
            elif t == "date":
                d = parse_date(v)
                if d > extract and not c.get("future_ok"):
                    reasons.append(f"{c['name']}: future_date")
            elif t == "month":
                if parse_month(v) > extract:
                    reasons.append(f"{c['name']}: future_date")
            elif t == "money":
                if parse_money(v) < 0 and not c.get("allow_negative"):
                    reasons.append(f"{c['name']}: negative_money")
            elif t == "enum":
                values = {str(k): str(x) for k, x in c["values"].items()}
                if str(v) not in values and str(v) not in values.values():
                    reasons.append(f"{c['name']}: unknown_enum")
            elif t == "bool" and str(v).strip().lower() not in BOOLS and not isinstance(v, bool):
                reasons.append(f"{c['name']}: bad_bool")
            elif t == "region_code":
                s = str(v)
                if not s.isdigit() or len(s) not in (6, 9, 12) or len(s) < c.get("digits", 12):
                    reasons.append(f"{c['name']}: bad_region")
            elif t == "integer":
                int(str(v))
            elif t == "decimal":
                float(str(v))
            elif t == "timestamp":
                ts = v if isinstance(v, datetime) else datetime.fromisoformat(str(v))
                if ts.date() > extract:
                    reasons.append(f"{c['name']}: future_date")
            elif t == "credit_code" and not uscc.is_valid(str(v)):
                reasons.append(f"{c['name']}: bad_credit_code")
        except ValueError:
            reasons.append(f"{c['name']}: unparseable")
    return reasons


def check_file(f: ReadFile) -> dict[int, list[str]]:
    """1-based data row -> reasons, for every bad row of a readable file."""
    spec = contracts()[f.feed]
    bad: dict[int, list[str]] = {}
    for i, row in enumerate(f.rows, start=1):
        reasons = check_row(spec, row, f.extract)
        if f.feed == "mi_settlements" and not reasons:
            parts = [
                "basic_insurance_paid",
                "critical_illness_paid",
                "other_insurance_paid",
                "medical_assistance_paid",
                "out_of_pocket",
            ]
            total = sum(parse_money(row[p]) for p in parts if row.get(p) not in (None, ""))
            if abs(total - parse_money(row["total_cost"])) > 0.0101:
                reasons.append("total_cost: parts")
        if f.feed == "ps_hukou" and not reasons:
            idn = full_id(str(row["id_number"]))
            gender = {"男": "M", "女": "F"}.get(str(row.get("gender")), row.get("gender"))
            if gender and gender != ("M" if int(idn[16]) % 2 else "F"):
                reasons.append("gender: mismatch")
            b = row.get("birth_date")
            if b not in (None, "") and parse_date(b) != date(
                int(idn[6:10]), int(idn[10:12]), int(idn[12:14])
            ):
                reasons.append("birth_date: mismatch")
        if reasons:
            bad[i] = reasons
    key = contracts()[f.feed]["key"]
    seen: dict[tuple, list[int]] = {}
    for i, row in enumerate(f.rows, start=1):
        k = tuple(str(row.get(c)) for c in key)
        seen.setdefault(k, []).append(i)
    for rows in seen.values():
        if len(rows) > 1:
            for i in rows:
                bad.setdefault(i, []).append("key: duplicate")
    return bad


def inbox_files(inbox: Path) -> list[Path]:
    return sorted(p for p in inbox.rglob("*") if p.is_file() and "_truth" not in p.parts)


def one_day_before(d: date) -> date:
    return d - timedelta(days=1)
