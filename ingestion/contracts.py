"""Feed contracts: typed access to `feeds.yaml`, the single source of truth.

Why a module and not ad-hoc dicts: the readers, the normaliser, the Great
Expectations suites, the dbt sources and the simulator must all agree on a feed's
columns, types, enums and key. They import this module; nothing else restates them.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Literal

import pyarrow as pa
import yaml

ColumnType = Literal[
    "text", "id_number", "date", "month", "money", "region_code", "bool", "enum",
    "integer", "decimal", "timestamp", "credit_code",
]

#: The `department` of a feed that aidwatch delivers itself (warning_feedback): no
#: department sends it, so the simulator does not simulate it.
WORKSPACE_DEPARTMENT = "aidwatch_workspace"

#: Metadata columns that ingestion adds to every raw Parquet batch.
RAW_METADATA_COLUMNS: dict[str, pa.DataType] = {
    "_batch_id": pa.string(),
    "_extract_date": pa.date32(),
    "_source_file": pa.string(),
    "_source_row": pa.int64(),
    "_extra": pa.string(),  # JSON object of unknown extra columns, null when none
}

#: How each contract type is stored in the raw Parquet zone (and hence in DuckDB).
ARROW_TYPES: dict[str, pa.DataType] = {
    "text": pa.string(),
    "id_number": pa.string(),
    "credit_code": pa.string(),
    "region_code": pa.string(),
    "enum": pa.string(),
    "date": pa.date32(),
    "month": pa.date32(),
    "money": pa.decimal128(14, 2),
    "integer": pa.int64(),
    "decimal": pa.float64(),
    "bool": pa.bool_(),
    "timestamp": pa.timestamp("us"),
}

#: The same types as DuckDB SQL type names (for dbt contracts and casts).
SQL_TYPES: dict[str, str] = {
    "text": "varchar", "id_number": "varchar", "credit_code": "varchar",
    "region_code": "varchar", "enum": "varchar", "date": "date", "month": "date",
    "money": "decimal(14,2)", "integer": "bigint", "decimal": "double",
    "bool": "boolean", "timestamp": "timestamp",
}


@dataclass(frozen=True)
class Completeness:
    """Plausibility bounds of a snapshot delivery against the last accepted one (feeds.yaml `completeness`).

    Why: a snapshot replaces the league's picture, so a partial file (a cut export, a
    3-row test file) would silently shrink it. A delivery whose count of keys falls by more
    than `max_key_drop` or grows by more than `max_key_growth` (fractions of the reference
    count) is held for a person to accept or reject. A change of at most `min_key_change`
    keys is always plausible, so tiny feeds (a dozen monitored households) are not held for
    ordinary churn. `check: false` turns the check off (feeds that only ever grow).
    """

    check: bool = True
    max_key_drop: float = 0.10
    max_key_growth: float = 0.50
    min_key_change: int = 10


def _completeness(raw: dict | None, feed_id: str) -> Completeness:
    raw = dict(raw or {})
    unknown = set(raw) - set(Completeness.__dataclass_fields__)
    if unknown:
        raise ValueError(f"feeds.yaml {feed_id}.completeness: unknown setting(s) {sorted(unknown)}")
    bounds = Completeness(**raw)
    if not (0 <= bounds.max_key_drop <= 1 and bounds.max_key_growth >= 0 and bounds.min_key_change >= 0):
        raise ValueError(f"feeds.yaml {feed_id}.completeness: bounds out of range: {bounds}")
    return bounds


def normalise_header(text: str) -> str:
    """Fold a header for matching: NFKC (full-width to half-width), trimmed, lower-case."""
    return unicodedata.normalize("NFKC", str(text)).strip().lower()


@dataclass(frozen=True)
class Column:
    """One column of a feed as the contract defines it."""

    name: str
    zh: str
    type: ColumnType
    required: bool = False
    values: dict[str, str] = field(default_factory=dict)  # Chinese label -> code (enums)
    aliases: tuple[str, ...] = ()
    allow_negative: bool = False
    digits: int = 12  # region codes: shortest accepted form (6 banner, 9 township)
    keep_digits: int = 12  # region codes: canonical length (12, or 6 for ca_standards)
    future_ok: bool = False  # dates that may lie after the extract date

    @property
    def codes(self) -> tuple[str, ...]:
        """Canonical enum codes, in contract order."""
        return tuple(dict.fromkeys(self.values.values()))

    @property
    def headers(self) -> tuple[str, ...]:
        """Every header text that maps to this column (canonical, Chinese, aliases)."""
        return (self.name, self.zh, *self.aliases)

    @property
    def arrow_type(self) -> pa.DataType:
        return ARROW_TYPES[self.type]

    @property
    def sql_type(self) -> str:
        return SQL_TYPES[self.type]


@dataclass(frozen=True)
class Feed:
    """A departmental feed: its columns, key and delivery pattern."""

    feed_id: str
    name_zh: str
    department: str
    kind: Literal["snapshot", "event"]
    cadence_days: int
    key: tuple[str, ...]
    columns: tuple[Column, ...]
    #: Cross-column rules checked per row at the ingestion gate (feeds.yaml `row_checks`):
    #: each a dict with `check` (sum_equals | agrees_with_id) and its columns.
    row_checks: tuple[dict, ...] = field(default=(), hash=False)
    #: Snapshot feeds only: how far a delivery's key count may move before it is held.
    completeness: Completeness = field(default_factory=Completeness, hash=False)

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    @property
    def from_workspace(self) -> bool:
        """Delivered by aidwatch's own workspace (officials' feedback), never by a department."""
        return self.department == WORKSPACE_DEPARTMENT

    @property
    def required_columns(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns if c.required)

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(f"{self.feed_id} has no column {name!r}")

    def header_map(self) -> dict[str, str]:
        """Folded header text -> canonical column name, for matching delivered headers."""
        return {normalise_header(h): c.name for c in self.columns for h in c.headers}

    def arrow_schema(self) -> pa.Schema:
        """The raw Parquet schema of a batch of this feed: contract columns, then metadata."""
        fields = [pa.field(c.name, c.arrow_type) for c in self.columns]
        fields += [pa.field(n, t) for n, t in RAW_METADATA_COLUMNS.items()]
        return pa.schema(fields)


def _column(raw: dict) -> Column:
    values = {str(k): str(v) for k, v in (raw.get("values") or {}).items()}
    return Column(
        name=raw["name"],
        zh=raw["zh"],
        type=raw["type"],
        required=bool(raw.get("required", False)),
        values=values,
        aliases=tuple(raw.get("aliases", ())),
        allow_negative=bool(raw.get("allow_negative", False)),
        digits=int(raw.get("digits", 12)),
        keep_digits=int(raw.get("keep_digits", 12)),
        future_ok=bool(raw.get("future_ok", False)),
    )


@cache
def load_feeds() -> dict[str, Feed]:
    """All feed contracts by feed_id, in catalogue order."""
    # Next to this module, not importlib.resources: under the editable install a console
    # script sees `ingestion` as a namespace package, which resources cannot read.
    text = (Path(__file__).resolve().parent / "feeds.yaml").read_text(encoding="utf-8")
    # libyaml's safe loader when built in (10x faster, same result; the cold start pays it)
    raw = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))  # noqa: S506 - safe loader
    feeds = {}
    for feed_id, spec in raw.items():
        feeds[feed_id] = Feed(
            feed_id=feed_id,
            name_zh=spec["name_zh"],
            department=spec["department"],
            kind=spec["kind"],
            cadence_days=int(spec["cadence_days"]),
            key=tuple(spec["key"]),
            columns=tuple(_column(c) for c in spec["columns"]),
            row_checks=tuple(dict(check) for check in spec.get("row_checks") or ()),
            completeness=_completeness(spec.get("completeness"), feed_id),
        )
    return feeds


def get_feed(feed_id: str) -> Feed:
    """One feed contract; a clear error for an unknown feed id."""
    feeds = load_feeds()
    if feed_id not in feeds:
        raise KeyError(f"unknown feed {feed_id!r}; known feeds: {', '.join(feeds)}")
    return feeds[feed_id]
