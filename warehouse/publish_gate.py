"""The publish gate: compare a tested build with the published warehouse before it replaces it.

Why: every dbt test can pass on a warehouse that is wrong as a whole (a partial snapshot
delivered as the newest one shrinks the league to a handful of households; warnings change
wholesale). Such a build must not reach officials without a person looking at it. So before
the rename the gate reads a few headline figures from both files -- assisted households and
persons by banner, aid paid in each kind's latest paid month, open warnings by rule -- and refuses
the publish when one moved beyond the bounds in `publish_bounds.yaml` (the one place they
live). The refusal names every figure that moved, by how much, and the ledger batches that
arrived since the last publish. A person may publish anyway with `--accept-change "reason"`;
that is recorded (who, why, when, what moved) in the append-only HOME/audit/publishes.jsonl,
which also records every publish, replay and refusal.
"""

from __future__ import annotations

import getpass
import json
import os
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import duckdb
import yaml

from aidwatch.home import Home

#: The bounds of every figure group (see the comments in the file).
BOUNDS_FILE = Path(__file__).with_name("publish_bounds.yaml")

#: Figure groups, in report order, with the SQL that reads them (label, value) from a warehouse.
#: `{month}` is as_of's month; `{as_of}` the build's date.
#: Aid is compared per kind in that kind's own latest paid month up to as_of: payment feeds
#: arrive on different days, so on the day October's dibao payments are delivered the
#: previous build's latest month of *any* aid is already October (a kind paid earlier), in
#: which dibao is still 0 -- comparing one common month would refuse every monthly delivery.
FIGURE_SQL = {
    "assisted_households": (
        "select region_name || ' (' || region_code || ')', households from marts.ind_01_assisted_by_type "
        "where month = {month} and region_level in ('league', 'banner') "
        "and urban_rural = 'all' and roll_type = 'all'"
    ),
    "assisted_persons": (
        "select region_name || ' (' || region_code || ')', persons from marts.ind_01_assisted_by_type "
        "where month = {month} and region_level in ('league', 'banner') "
        "and urban_rural = 'all' and roll_type = 'all'"
    ),
    "aid_paid_latest_month": (
        "select aid_kind, sum(amount) from marts.fct_aid paid "
        "where aid_month = (select max(aid_month) from marts.fct_aid latest "
        "where latest.aid_kind = paid.aid_kind and latest.aid_month <= {as_of}) group by aid_kind"
    ),
    "open_warnings_by_rule": (
        "select coalesce(rule_id, 'all rules'), count(*) from marts.warnings "
        "where status <> 'resolved' group by rollup (rule_id)"
    ),
}


class BoundsInvalid(ValueError):
    """The bounds file is missing a group or holds a value that is not a usable bound."""


@dataclass(frozen=True)
class Bounds:
    """How far one figure group may move (shares of the published value; floor in its unit)."""

    group: str
    unit: str
    max_fall: float
    max_rise: float
    min_change: float
    description: str = ""
    not_bounded: frozenset[str] = frozenset()  # labels compared but never failing

    def exceeded_by(self, before: float, after: float, label: str | None = None) -> str | None:
        """The bound a move from `before` to `after` breaks, or None when it is within bounds."""
        if label in self.not_bounded:
            return None
        change = after - before
        if abs(change) < self.min_change:
            return None
        if before == 0 or after == 0:
            return f"{'appeared' if before == 0 else 'vanished'} (change of at least {self.min_change:g})"
        share = change / before
        if share < -self.max_fall:
            return f"fell more than {self.max_fall:.0%}"
        if share > self.max_rise:
            return f"rose more than {self.max_rise:.0%}"
        return None


def load_bounds(path: Path = BOUNDS_FILE) -> dict[str, Bounds]:
    """Every figure group's bounds from `path`; raises BoundsInvalid naming the file and the key."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as error:
        raise BoundsInvalid(f"cannot read publish bounds {path}: {error}") from error
    bounds = {}
    for group in FIGURE_SQL:
        entry = data.get(group)
        if not isinstance(entry, dict):
            raise BoundsInvalid(f"{path}: figure group '{group}' is missing")
        values = {}
        for key in ("max_fall", "max_rise", "min_change"):
            value = entry.get(key)
            if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
                raise BoundsInvalid(f"{path}: {group}.{key} must be a number >= 0, got {value!r}")
            values[key] = float(value)
        unit, description = str(entry.get("unit", "")), str(entry.get("description", ""))
        free = entry.get("not_bounded") or []
        if not isinstance(free, list):
            raise BoundsInvalid(f"{path}: {group}.not_bounded must be a list of labels, got {free!r}")
        bounds[group] = Bounds(group, unit, description=description, not_bounded=frozenset(map(str, free)),
                               **values)
    unknown = sorted(set(data) - set(FIGURE_SQL))
    if unknown:
        raise BoundsInvalid(f"{path}: unknown figure group(s) {', '.join(unknown)}")
    return bounds


@dataclass
class Snapshot:
    """The headline figures of one warehouse file: group -> label -> value."""

    as_of: date | None
    aid_month: date | None
    figures: dict[str, dict[str, float]] = field(default_factory=dict)


def _sql_date(value: date | None) -> str:
    return f"date '{value.isoformat()}'" if value is not None else "null"


def read_snapshot(path: Path) -> Snapshot:
    """Read the gate's figures from a warehouse file (opened read-only, closed again)."""
    con = duckdb.connect(str(path), read_only=True)

    def scalar(sql: str, params: list[Any] | None = None) -> Any:
        try:
            return con.execute(sql, params or []).fetchone()[0]
        except duckdb.CatalogException:  # a warehouse published before this mart existed
            return None

    try:
        as_of = scalar("select max(as_of) from marts.build_info")
        aid_month = scalar("select max(aid_month) from marts.fct_aid where aid_month <= ?", [as_of])
        month = as_of.replace(day=1) if as_of else None
        figures = {}
        for group, sql in FIGURE_SQL.items():
            try:
                query = sql.format(month=_sql_date(month), as_of=_sql_date(as_of))
                rows = con.execute(query).fetchall()
            except duckdb.CatalogException:
                rows = []
            figures[group] = {str(label): float(value or 0) for label, value in rows}
        return Snapshot(as_of, aid_month, figures)
    finally:
        con.close()


@dataclass(frozen=True)
class Move:
    """One figure that moved beyond its bounds."""

    group: str
    label: str
    before: float
    after: float
    unit: str
    bound: str

    @property
    def change(self) -> float:
        return self.after - self.before

    @property
    def share(self) -> float | None:
        return self.change / self.before if self.before else None

    def describe(self) -> str:
        share = f" ({self.share:+.1%})" if self.share is not None else ""
        return (f"{self.group} {self.label}: {_number(self.before)} -> {_number(self.after)} {self.unit}, "
                f"{_number(self.change, sign=True)}{share}: {self.bound}")


def _number(value: float, sign: bool = False) -> str:
    """Whole numbers without decimals, money with two."""
    spec = ("+" if sign else "") + (",.0f" if float(value).is_integer() else ",.2f")
    return format(value, spec)


def compare(before: Snapshot, after: Snapshot, bounds: dict[str, Bounds]) -> list[Move]:
    """Every figure of `after` that moved from `before` beyond its group's bounds."""
    moves = []
    for group, limit in bounds.items():
        old, new = before.figures.get(group, {}), after.figures.get(group, {})
        for label in sorted(set(old) | set(new)):
            was, now = old.get(label, 0.0), new.get(label, 0.0)
            broken = limit.exceeded_by(was, now, label)
            if broken:
                moves.append(Move(group, label, was, now, limit.unit, broken))
    return moves


@dataclass
class GateReport:
    """The gate's finding for one build: what moved and which deliveries are behind it."""

    as_of: date
    published_as_of: date | None
    aid_months: tuple[date | None, date | None]
    moves: list[Move]
    batches: list[dict[str, Any]]
    last_publish_at: str | None

    @property
    def passed(self) -> bool:
        return not self.moves

    def describe(self) -> str:
        months = " -> ".join(str(m) if m else "none" for m in self.aid_months)
        lines = [
            f"publish gate: build for as_of {self.as_of} compared with the published warehouse "
            f"(as_of {self.published_as_of}); latest month with any aid: {months} (each kind is compared "
            "in its own latest paid month)",
        ]
        if self.passed:
            lines.append(f"  every figure is within the bounds of {BOUNDS_FILE.name}")
            return "\n".join(lines)
        lines.append(f"  {len(self.moves)} figure(s) moved beyond the bounds of {BOUNDS_FILE.name}:")
        lines += [f"  - {move.describe()}" for move in self.moves]
        since = f"since the last publish at {self.last_publish_at}" if self.last_publish_at else "ever"
        lines.append(f"  {len(self.batches)} ledger batch(es) {since}:")
        lines += [
            f"  - {b.get('batch_id')} [{b.get('status')}] {b.get('file')}: "
            f"{b.get('rows_loaded')} of {b.get('rows_read')} rows loaded"
            for b in self.batches
        ]
        return "\n".join(lines)

    def as_json(self) -> dict[str, Any]:
        return {
            "as_of": self.as_of.isoformat(),
            "published_as_of": self.published_as_of.isoformat() if self.published_as_of else None,
            "aid_months": [m.isoformat() if m else None for m in self.aid_months],
            "moves": [asdict(m) | {"change": m.change, "share": m.share} for m in self.moves],
            "batches": [b.get("batch_id") for b in self.batches],
            "last_publish_at": self.last_publish_at,
        }


def current_user() -> str:
    """Who runs this process (login name, else the numeric uid): recorded with an accepted change."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return f"uid {os.getuid()}"


def now_text() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def append_record(home: Home, record: dict[str, Any]) -> None:
    """Append one line to HOME/audit/publishes.jsonl (never rewritten), flushed to disk."""
    home.publish_log.parent.mkdir(parents=True, exist_ok=True)
    with open(home.publish_log, "a", encoding="utf-8") as handle:
        handle.write(json.dumps(record, ensure_ascii=False, default=str) + "\n")
        handle.flush()
        os.fsync(handle.fileno())


def record_event(home: Home, event: str, as_of: date, **fields: Any) -> str:
    """Append one event (published, replayed, refused, accepted_change) with who and when; returns who."""
    who = current_user()
    append_record(home, {"event": event, "as_of": as_of.isoformat(), "at": now_text(), "by": who, **fields})
    return who


def read_records(home: Home) -> list[dict[str, Any]]:
    """Every record of the publish log, oldest first."""
    if not home.publish_log.exists():
        return []
    lines = home.publish_log.read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def last_publish_at(home: Home) -> str | None:
    """When the published warehouse was published (the log, else the file's modification time)."""
    published = [r for r in read_records(home) if r.get("event") == "published"]
    if published:
        return str(published[-1]["at"])
    if home.warehouse.exists():
        return datetime.fromtimestamp(home.warehouse.stat().st_mtime, UTC).isoformat(timespec="milliseconds")
    return None


def batches_since(home: Home, since: str | None) -> list[dict[str, Any]]:
    """Ledger entries finished after `since` (all when None): the deliveries behind a change."""
    from ingestion.landing import read_ledger

    def finished(entry: dict[str, Any]) -> str:
        return str(entry.get("finished_at") or entry.get("started_at") or "")

    cutoff = datetime.fromisoformat(since) if since else None
    chosen = []
    for entry in read_ledger(home):
        stamp = finished(entry)
        try:
            when = datetime.fromisoformat(stamp) if stamp else None
        except ValueError:
            when = None
        if cutoff is None or when is None or when > cutoff:
            chosen.append(entry)
    return sorted(chosen, key=finished)


def check(home: Home, candidate: Path, as_of: date, bounds: dict[str, Bounds] | None = None) -> GateReport:
    """Compare `candidate` (the tested build) with HOME's published warehouse."""
    limits = bounds if bounds is not None else load_bounds()
    before, after = read_snapshot(home.warehouse), read_snapshot(candidate)
    since = last_publish_at(home)
    moves = compare(before, after, limits)
    return GateReport(
        as_of=as_of,
        published_as_of=before.as_of,
        aid_months=(before.aid_month, after.aid_month),
        moves=moves,
        batches=batches_since(home, since) if moves else [],
        last_publish_at=since,
    )
