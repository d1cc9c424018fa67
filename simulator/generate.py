"""`simulate()`: the whole league's deliveries for the last N months, with the truth.

Order: background (clean) -> plants (simulator/plants/*.py, name order) -> derived
rows -> deliveries per feed in each department's style -> planted faults -> files
and `_truth/` (expected warnings, quarantine, rejected files, manifest).
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
from datetime import date
from pathlib import Path

from ingestion.contracts import load_feeds
from simulator import plants
from simulator.background import build_background
from simulator.deliver import (
    CHUNK_ROWS,
    Delivery,
    FeedWriter,
    delivery_rows,
    dump_json,
    file_name,
    write_bytes,
)
from simulator.derive import tables
from simulator.faults import plant_faults
from simulator.formats import choose_styles
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
    if months < 1:
        raise ValueError("months must be at least 1")
    if scale <= 0:
        raise ValueError("scale must be positive")
    out = Path(out)
    if out.exists() and any(out.iterdir()):
        if not (out / "_truth" / "manifest.json").exists():
            raise FileExistsError(f"{out} is not empty and not a simulated inbox; refusing to overwrite it")
        shutil.rmtree(out)
    out.mkdir(parents=True)
    clock = time.perf_counter()
    world = World(as_of=as_of, months=months, seed=seed, scale=scale)
    build_background(world)
    log.info("background built in %.1f s", time.perf_counter() - clock)
    plant_names = run_plants(world) if plants else []
    feed_tables = tables(world)
    log.info("plants and feed tables ready at %.1f s", time.perf_counter() - clock)
    feeds = {f: feed for f, feed in load_feeds().items() if not feed.from_workspace}
    rows = {f: delivery_rows(feed_tables[f], feeds[f].kind, world.extract_dates) for f in feeds}
    empty = {f for f, per in rows.items() if any(len(r) == 0 for r in per)}
    styles = choose_styles(feeds, seed, empty)
    writers = {f: FeedWriter(feeds[f], feed_tables[f], styles[f]) for f in feeds}
    deliveries: list[Delivery] = []
    for f in feeds:
        for d, r in zip(world.extract_dates, rows[f], strict=True):
            deliveries.append(Delivery(f, d, f"{f}/{file_name(feeds[f], styles[f], d)}", r))
    faults = plant_faults(world, feed_tables, writers, deliveries)
    written: list[tuple[date, str, str]] = []  # extract, file, sha256
    for f in feeds:  # one feed at a time, so only one feed's formatted lines are held
        for dl in (d for d in deliveries if d.feed_id == f):
            digest = writers[f].write(dl, out / dl.rel_path, chunk_rows)
            written.append((dl.extract, dl.rel_path, digest))
        writers[f].release()
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
        "rows": {f: int(len(feed_tables[f])) for f in feeds},
        "files": len(written),
        "delivered_rows": int(sum(len(dl.rows) for dl in deliveries)),
        "synthetic": "Simulated data: villages, people and records are made up (see simulator/README.md).",
    }
    (truth / "manifest.json").write_text(dump_json(manifest), encoding="utf-8")
    return out


def _extract_of(rel: str) -> date:
    stamp = re.search(r"(\d{4})(\d{2})(\d{2})", rel.rsplit("/", 1)[-1])
    return date(int(stamp[1]), int(stamp[2]), int(stamp[3]))


def _write_csv(path: Path, header: list[str], rows: list[list]) -> None:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    w.writerows(rows)
    path.write_text(buf.getvalue(), encoding="utf-8")
