"""`simulate()`: the whole league's deliveries for the last N months, with the truth.

Order: background (clean) -> plants (simulator/plants/*.py, name order) -> derived
rows -> each department's style -> planted faults (feed by feed, in the order they are
drawn) -> files, one feed at a time from the smallest, each table freed once written ->
`_truth/` (expected warnings, quarantine, rejected files, manifest). Why one feed at a
time: the whole league formatted at once does not fit scale 10 in memory (issue 14); the
bytes are the same either way (simulator/README.md, "Memory").
"""

from __future__ import annotations

import csv
import hashlib
import importlib
import io
import logging
import pkgutil
import re
import shutil
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from ingestion.contracts import load_feeds
from simulator import plants
from simulator.background import build_background
from simulator.deliver import (
    CHUNK_ROWS,
    Delivery,
    FeedWriter,
    delivery_counts,
    delivery_rows,
    dump_json,
    file_name,
    write_bytes,
)
from simulator.derive import coerce, concat_tables, tables
from simulator.faults import FAULT_FEEDS, FaultPlanter
from simulator.formats import choose_styles
from simulator.memory import arrow_on_system_allocator, release_memory
from simulator.monthly import MonthlyRows
from simulator.plants._truth import TRUTH_COLUMNS, truth_rows
from simulator.world import World

log = logging.getLogger(__name__)


def run_plants(world: World) -> list[str]:
    """Run every plant module's `plant(world)` in name order; returns the module names."""
    names = sorted(m.name for m in pkgutil.iter_modules(plants.__path__) if not m.name.startswith("_"))
    for name in names:
        module = importlib.import_module(f"{plants.__name__}.{name}")
        world.origin = "plant"
        module.plant(world)
        log.info("plant %s: %d expectations so far", name, len(world.expected))
    return names


def roll_counts(world: World) -> dict[str, int]:
    """The simulator's own rolls on as_of (what IND-01 must report)."""
    counts = {
        k: 0
        for k in (
            "dibao_households",
            "dibao_persons",
            "dibao_A_households",
            "dibao_A_persons",
            "dibao_B_households",
            "dibao_B_persons",
            "dibao_urban_households",
            "dibao_urban_persons",
            "dibao_rural_households",
            "dibao_rural_persons",
            "tekun_persons",
            "tekun_centralized",
            "tekun_dispersed",
            "tekun_care",
            "edge_households",
            "edge_persons",
            "rigid_expense_households",
            "rigid_expense_persons",
            "other_low_income_households",
            "other_low_income_persons",
            "gradual_exit_households",
            "gradual_exit_persons",
            "terminated_households",
        )
    }
    for hh in world.households:
        status = hh.status_on(world.as_of)
        if status is None:
            continue
        n = len(hh.members)
        if status == "terminated":
            counts["terminated_households"] += 1
            continue
        if status == "gradual_exit":
            counts["gradual_exit_households"] += 1
            counts["gradual_exit_persons"] += n
        t = hh.assistance_type
        if t == "dibao":
            counts["dibao_households"] += 1
            counts["dibao_persons"] += n
            counts[f"dibao_{hh.dibao_class}_households"] += 1
            counts[f"dibao_{hh.dibao_class}_persons"] += n
            counts[f"dibao_{hh.urban_rural}_households"] += 1
            counts[f"dibao_{hh.urban_rural}_persons"] += n
        elif t == "tekun":
            covered = [m for m in hh.members if m.covered]
            counts["tekun_persons"] += len(covered)
            counts[f"tekun_{hh.tekun_support_mode}"] += len(covered)
            counts["tekun_care"] += sum(1 for m in covered if m.self_care in ("partial", "unable"))
        else:
            counts[f"{t}_households"] += 1
            counts[f"{t}_persons"] += n
    return counts


def simulate(
    out: Path, as_of: date, seed: int = 1, scale: float = 1.0, months: int = 24, *, plants: bool = True,
    chunk_rows: int = CHUNK_ROWS,
) -> Path:
    """Write an inbox `out/<feed_id>/...` and `out/_truth/`; returns `out`.

    Same arguments give byte-identical files. An earlier simulated inbox at `out` is
    replaced; any other non-empty folder is refused (FileExistsError).
    `plants=False` writes the clean background alone (no rule may fire on it).
    `chunk_rows`: lines formatted and written at a time (memory); the files do not depend on it.
    """
    with arrow_on_system_allocator():
        return _simulate(out, as_of, seed, scale, months, plants=plants, chunk_rows=chunk_rows)


def _simulate(
    out: Path, as_of: date, seed: int, scale: float, months: int, *, plants: bool, chunk_rows: int
) -> Path:
    if months < 1:
        raise ValueError("months must be at least 1")
    if scale <= 0:
        raise ValueError("scale must be positive")
    out = Path(out)
    if out.exists() and any(out.iterdir()):
        if not (out / "_truth" / "manifest.json").exists():
            raise FileExistsError(f"{out} is not empty and not a simulated inbox; refusing to overwrite it")
        shutil.rmtree(out)
    out.mkdir(parents=True, exist_ok=True)  # an empty folder is fine
    clock = time.perf_counter()
    world = World(as_of=as_of, months=months, seed=seed, scale=scale)
    build_background(world)
    release_memory(collect=True)
    log.info("background built in %.1f s", time.perf_counter() - clock)
    plant_names = run_plants(world) if plants else []
    monthly = take_monthly_rows(world)
    feed_tables = tables(world, hand_over=True)
    world.snapshots.clear()  # records of feeds outside the contract's simulated ones, if any
    world.events.clear()
    release_memory(collect=True)
    log.info("plants and feed tables ready at %.1f s", time.perf_counter() - clock)
    feeds = {f: feed for f, feed in load_feeds().items() if not feed.from_workspace}
    slots = {f: [part.delivery_slots(feeds[f], world.extract_dates) for part in monthly[f]] for f in monthly}
    counts = {f: np.array(delivery_counts(feed_tables[f], feeds[f].kind, world.extract_dates)) for f in feeds}
    for f, per_part in slots.items():
        for part_slots in per_part:  # slot len(extract_dates): delivered after the last extract
            counts[f] += np.bincount(part_slots.ravel(), minlength=len(world.extract_dates) + 1)[:-1]
    empty = {f for f in feeds if counts[f].min() == 0}
    styles = choose_styles(feeds, seed, empty)
    # the faults first, feed by feed in the order they are drawn; only what they changed is
    # kept (a delivery's row numbers are cut again when its file is written)
    planter = FaultPlanter(world)
    planned: dict[str, list] = {}
    for f in FAULT_FEEDS:
        deliveries = cut_deliveries(feeds[f], styles[f], feed_tables[f], world.extract_dates)
        planter.plant(feeds[f], feed_tables[f], styles[f], deliveries)
        planned[f] = [dl.faults() for dl in deliveries]
        del deliveries
        release_memory()
    faults = planter.finish()
    release_memory(collect=True)
    written: list[tuple[date, str, str]] = []  # extract, file, sha256
    row_counts: dict[str, int] = {}
    delivered_rows = 0
    sizes = {f: len(feed_tables[f]) + sum(len(part) for part in monthly.get(f, [])) for f in feeds}
    for f in writing_order(feeds, sizes):
        # one feed at a time: its table, rows and formatted lines are freed before the next
        table = feed_tables.pop(f)
        row_counts[f] = sizes[f]
        if f in monthly:
            for dl_extract, rel, digest, n in write_monthly_feed(
                feeds[f], styles[f], table, monthly.pop(f), slots.pop(f), world.extract_dates, out, chunk_rows
            ):
                written.append((dl_extract, rel, digest))
                delivered_rows += n
            del table
            release_memory()
            continue
        writer = FeedWriter(feeds[f], table, styles[f])
        deliveries = cut_deliveries(feeds[f], styles[f], table, world.extract_dates)
        for i, dl in enumerate(deliveries):
            if f in planned:
                dl.with_faults(planned[f][i])
            digest = writer.write(dl, out / dl.rel_path, chunk_rows)
            written.append((dl.extract, dl.rel_path, digest))
            delivered_rows += len(dl.rows)
        planned.pop(f, None)
        del table, writer, deliveries
        release_memory()
    for rel, data in faults.extra_files:
        write_bytes(out / rel, data)
        written.append((_extract_of(rel), rel, hashlib.sha256(data).hexdigest()))
    log.info("%d files written at %.1f s", len(written), time.perf_counter() - clock)
    seen: set[str] = set()
    planted_duplicates = {r[1] for r in faults.rejected if r[2] == "duplicate"}
    for _, rel, digest in sorted(written):
        if digest in seen and rel not in planted_duplicates:
            # a month with nothing new (e.g. the standards): the same bytes again are a duplicate
            faults.rejected.append([rel.split("/")[0], rel, "duplicate"])
        seen.add(digest)
    truth = out / "_truth"
    truth.mkdir()
    _write_csv(truth / "expected_warnings.csv", TRUTH_COLUMNS, truth_rows(world.expected))
    _write_csv(truth / "expected_quarantine.csv", ["feed", "file", "source_row", "reason"], faults.quarantine)
    _write_csv(truth / "expected_rejected_files.csv", ["feed", "file", "reason"], faults.rejected)
    manifest = {
        "seed": seed,
        "scale": scale,
        "as_of": as_of.isoformat(),
        "months": months,
        "extract_dates": [d.isoformat() for d in world.extract_dates],
        "plants": plant_names,
        "counts": roll_counts(world),
        "styles": {f: vars(s) for f, s in styles.items()},
        "rows": {f: row_counts[f] for f in feeds},
        "files": len(written),
        "delivered_rows": delivered_rows,
        "synthetic": "Simulated data: villages, people and records are made up (see simulator/README.md).",
    }
    (truth / "manifest.json").write_text(dump_json(manifest), encoding="utf-8")
    return out


def writing_order(feeds: dict, sizes: dict[str, int]) -> list[str]:
    """From the smallest feed to the largest: the tables still waiting are what the memory
    holds, so the largest feed is formatted when the others are gone."""
    return sorted(feeds, key=lambda f: (sizes[f], f))


def cut_deliveries(feed, style, table: pd.DataFrame, extract_dates: list[date]) -> list[Delivery]:
    """The feed's deliveries (row numbers of the table), before any fault."""
    return [
        Delivery(feed.feed_id, d, f"{feed.feed_id}/{file_name(feed, style, d)}", rows)
        for d, rows in zip(extract_dates, delivery_rows(table, feed.kind, extract_dates), strict=True)
    ]


def take_monthly_rows(world: World) -> dict[str, list[MonthlyRows]]:
    """The compact monthly parts that lead a feed's background frames, taken out of the
    world so that `tables()` does not expand them (they are written delivery by delivery)."""
    out = {}
    for feed_id, frames in world.frames.items():
        lead = 0
        while lead < len(frames) and isinstance(frames[lead], MonthlyRows):
            lead += 1
        if lead:
            out[feed_id] = frames[:lead]
            del frames[:lead]
    return out


def write_monthly_feed(
    feed, style, rest: pd.DataFrame, parts: list[MonthlyRows], part_slots: list[np.ndarray],
    extract_dates: list[date], out: Path, chunk_rows: int,
) -> Iterator[tuple[date, str, str, int]]:
    """Write a feed whose table is compact monthly parts followed by `rest`, one delivery at
    a time: each delivery's rows are expanded, formatted and freed before the next.

    The rows and their order are those of the whole table (parts first, then `rest`, each
    in table order), and a value's text does not depend on the other rows, so the files are
    the bytes `FeedWriter` writes from the whole table. Yields (extract, file, sha256, rows).
    """
    if feed.feed_id in FAULT_FEEDS:
        raise ValueError(f"{feed.feed_id} has planted faults: it needs its whole table")
    rest_rows = delivery_rows(rest, feed.kind, extract_dates)
    for i, d in enumerate(extract_dates):
        pieces = [
            coerce(part.rows_in_delivery(s, i), feed) for part, s in zip(parts, part_slots, strict=True)
        ]
        delivery_table = concat_tables([*pieces, rest.iloc[rest_rows[i]]])
        del pieces
        writer = FeedWriter(feed, delivery_table, style)
        rel = f"{feed.feed_id}/{file_name(feed, style, d)}"
        dl = Delivery(feed.feed_id, d, rel, np.arange(len(delivery_table)))
        yield d, rel, writer.write(dl, out / rel, chunk_rows), len(dl.rows)
        del writer, delivery_table, dl


def _extract_of(rel: str) -> date:
    stamp = re.search(r"(\d{4})(\d{2})(\d{2})", rel.rsplit("/", 1)[-1])
    return date(int(stamp[1]), int(stamp[2]), int(stamp[3]))


def _write_csv(path: Path, header: list[str], rows: list[list]) -> None:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    w.writerows(rows)
    path.write_text(buf.getvalue(), encoding="utf-8")
