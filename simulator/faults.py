"""Planted faults: bad rows of every kind the contract rejects, and bad files.

Why so careful about where: a quarantined row is lost to the warehouse, so a fault
must never create a warning the truth does not expect. Row faults therefore hit
  - snapshot feeds in a delivery that is not the newest (the next one repeats the
    row correctly), or
  - event rows no rule reads (disability subsidies, charity, housing aid, hotline
    inquiries, provident fund, medical settlements whose loss only lowers sums),
and never a planted subject (rows added by plants, or any id_number in the truth).
Each faulty row is faulty in exactly one way. A duplicate key quarantines both rows
that share it (the ingestion gate flags every row of a non-unique key).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

import numpy as np
import pandas as pd

from ingestion.contracts import Feed
from simulator.deliver import Delivery, FeedWriter, RowTexts
from simulator.formats import Style, format_date_parts, format_money_value
from simulator.world import World


@dataclass
class FaultTruth:
    quarantine: list[list] = field(default_factory=list)  # feed, file, source_row, reason
    rejected: list[list] = field(default_factory=list)  # feed, file, reason
    extra_files: list[tuple[str, bytes]] = field(default_factory=list)


#: (kind, feed, column, snapshot_only_old_delivery, row filter on the table)
ROW_FAULTS = (
    ("bad_check_digit", "ps_hukou", "id_number", True, None),
    ("gender_mismatch", "ps_hukou", "gender", True, None),
    ("birth_date_mismatch", "ps_hukou", "birth_date", True, None),
    (
        "impossible_date",
        "ca_payments",
        "paid_on",
        False,
        ("program", ("disability_living", "disability_care")),
    ),
    ("future_date", "hc_housing_aid", "granted_on", False, None),
    ("unknown_enum", "sf_charity_aid", "org_type", False, None),
    ("missing_required", "hotline_12345", "received_at", False, ("category", ("inquiry",))),
    ("negative_money", "hpf_provident_fund", "contribution", False, None),
    ("medical_parts_mismatch", "mi_settlements", "total_cost", False, None),
    ("duplicate_key", "ps_vehicles", "plate_no", True, None),
)


#: feeds whose rows or files the faults change, in the order their faults are planted
FAULT_FEEDS = tuple(dict.fromkeys([feed for _, feed, *_ in ROW_FAULTS] + ["hc_housing_aid", "ca_deaths"]))


class FaultPlanter:
    """Plants the faults one feed at a time, so that only that feed's table is needed.

    Why per feed: the simulator writes feed by feed and frees each table (memory at scale
    10). The faults draw from one random stream in ROW_FAULTS order, each feed's kinds in
    one block, so calling `plant(feed_id, ...)` for the feeds of FAULT_FEEDS in that order
    draws exactly what planting them all at once did; the files are the same.
    """

    def __init__(self, world: World):
        self.world = world
        self.rng = np.random.default_rng([world.seed, 50])
        self.truth = FaultTruth()
        self.protected = {e.id_number for e in world.expected if e.id_number}
        self.per_kind = min(4, max(1, int(round(2 * world.scale))))
        self.used: set[tuple[str, int]] = set()  # (rel_path, position) already faulty
        self._planted: list[str] = []
        self._file_faults: dict[str, list] = {}  # feed -> [(rel, bytes, rejected row)]

    def plant(self, feed: Feed, table: pd.DataFrame, style: Style, deliveries: list[Delivery]) -> None:
        """Change a few rows of this feed's deliveries in place and make its bad files."""
        feed_id = feed.feed_id
        if feed_id not in FAULT_FEEDS:
            return
        writer = RowTexts(feed, table, style)
        expected = FAULT_FEEDS[len(self._planted)]
        if feed_id != expected:
            raise RuntimeError(f"faults must be planted in FAULT_FEEDS order: {expected} before {feed_id}")
        self._planted.append(feed_id)
        for kind, fault_feed, column, old_only, row_filter in ROW_FAULTS:
            if fault_feed == feed_id:
                self._row_fault(kind, feed_id, column, old_only, row_filter, table, writer, deliveries)
        self._file_faults[feed_id] = _file_faults(self.world, feed_id, writer, deliveries)
        if feed_id == "ca_deaths":  # a delivery repeated byte for byte under another name
            original = deliveries[len(deliveries) // 2]
            stem, ext = original.rel_path.rsplit(".", 1)
            rel = f"{stem}_重发.{ext}"
            data = FeedWriter(feed, table, style).render(original)
            self._file_faults[feed_id] = [(rel, data, [feed_id, rel, "duplicate"])]

    def _row_fault(self, kind, feed_id, column, old_only, row_filter, table, writer, deliveries) -> None:
        ok = (table["_origin"] == "bg").to_numpy().copy()
        for id_col in ("id_number", "owner_id_number", "head_id_number"):
            if id_col in table.columns:
                ok &= ~table[id_col].isin(self.protected).to_numpy()
        if row_filter is not None:
            ok &= table[row_filter[0]].isin(row_filter[1]).to_numpy()
        if kind == "medical_parts_mismatch":
            ok &= (table["total_cost"] > 10).to_numpy()
        candidates = deliveries[:-1] if old_only else deliveries
        candidates = [dl for dl in candidates if len(dl.rows) and ok[dl.rows].any()]
        if not candidates:
            return
        rng, used, truth = self.rng, self.used, self.truth
        for _ in range(self.per_kind):
            dl = candidates[int(rng.integers(len(candidates)))]
            positions = [
                int(i)
                for i in np.flatnonzero(ok[dl.rows])
                if (dl.rel_path, int(i)) not in used and int(i) not in dl.changed
            ]
            if not positions:
                continue
            pos = positions[int(rng.integers(len(positions)))]
            row = int(dl.rows[pos])
            texts = writer.row_texts(row)
            reason = f"{column}: {kind}"
            if kind == "duplicate_key":
                # rows of a duplicated key are listed once each; it runs last, so no later
                # row fault is shifted by the inserted copy
                dl.insert_copy(pos)
                used.update({(dl.rel_path, pos), (dl.rel_path, pos + 1)})
                truth.quarantine.append([feed_id, dl.rel_path, pos + 1, reason])
                truth.quarantine.append([feed_id, dl.rel_path, pos + 2, reason])
                continue
            texts[column] = _bad_value(kind, texts, table, row, writer, dl, column)
            dl.changed[pos] = texts
            used.add((dl.rel_path, pos))
            truth.quarantine.append([feed_id, dl.rel_path, pos + 1, reason])

    def finish(self) -> FaultTruth:
        """The truth, once every feed of FAULT_FEEDS was planted (bad files in a fixed order)."""
        missing = [f for f in FAULT_FEEDS if f not in self._planted]
        if missing:
            raise RuntimeError(f"faults not planted for {missing}")
        world, truth = self.world, self.truth
        stamp = f"{world.extract_dates[len(world.extract_dates) // 2]:%Y%m%d}"
        # undecodable: bytes valid in none of UTF-8, UTF-8 with BOM, GB18030
        rel = f"sf_charity_aid/sf_charity_aid_{stamp}_补报.csv"
        data = b"record_id,org_name,org_type,id_number,aid_form,value,given_on\n"
        data += b"SF-X-0001,\xff\xfe\xff\xfe\x80,charity,152921195001020011,cash,100.00,2026-01-01\n"
        truth.extra_files.append((rel, data))
        truth.rejected.append(["sf_charity_aid", rel, "undecodable"])
        for rel, data, rejected in self._file_faults["hc_housing_aid"]:
            truth.extra_files.append((rel, data))
            truth.rejected.append(rejected)
        # an empty file
        rel = f"ca_vagrant_cases/ca_vagrant_cases_{stamp}_empty.csv"
        truth.extra_files.append((rel, b""))
        truth.rejected.append(["ca_vagrant_cases", rel, "empty"])
        for rel, data, rejected in self._file_faults["ca_deaths"]:
            truth.extra_files.append((rel, data))
            truth.rejected.append(rejected)
        truth.quarantine.sort(key=lambda r: (r[0], r[1], r[2]))
        return truth


def _bad_value(
    kind: str,
    texts: dict[str, str],
    table: pd.DataFrame,
    row: int,
    writer: RowTexts,
    dl: Delivery,
    column: str,
) -> str:
    style = writer.style
    if kind == "bad_check_digit":
        idn = texts[column]
        good = idn[17]
        wrong = "0" if good != "0" else "1"
        return idn[:17] + wrong
    if kind == "gender_mismatch":
        code = table["gender"].iat[row]
        flipped = "F" if code == "M" else "M"
        return {"M": "男", "F": "女"}[flipped] if style.enums == "label" else flipped
    if kind == "birth_date_mismatch":
        b = pd.Timestamp(table["birth_date"].iat[row]).date() - timedelta(days=1)
        return format_date_parts(b.year, b.month, b.day, style.dates)
    if kind == "impossible_date":
        return format_date_parts(dl.extract.year, 2, 30, style.dates)
    if kind == "future_date":
        f = dl.extract + timedelta(days=20)
        return format_date_parts(f.year, f.month, f.day, style.dates)
    if kind == "unknown_enum":
        return "基金会(未登记类型)"
    if kind == "missing_required":
        return ""
    if kind == "negative_money":
        return "-" + texts[column].lstrip("-")
    if kind == "medical_parts_mismatch":
        return format_money_value(float(table["total_cost"].iat[row]) + 7.0, style.money)
    raise ValueError(kind)


def _file_faults(world: World, feed_id: str, writer: RowTexts, deliveries: list[Delivery]) -> list:
    """This feed's bad files as (rel_path, bytes, rejected-file truth row): a re-sent
    housing-aid extract missing a required column."""
    stamp = f"{world.extract_dates[len(world.extract_dates) // 2]:%Y%m%d}"
    if feed_id == "hc_housing_aid":
        rel = f"{feed_id}/{feed_id}_{stamp}_补充.csv"
        cols = [c for c in writer.feed.columns if c.name != "record_id"]
        lines = [",".join(c.name for c in cols)]
        for e in deliveries[-1].rows[:5]:
            lines.append(",".join(_csv(writer.text(c.name, int(e))) for c in cols))
        data = ("\n".join(lines) + "\n").encode("utf-8")
        return [(rel, data, [feed_id, rel, "missing_required_column: record_id"])]
    return []


def _csv(text: str) -> str:
    if any(ch in text for ch in ',"\n\r'):
        return '"' + text.replace('"', '""') + '"'
    return text
