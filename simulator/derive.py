"""Turn the world into one table per feed, ready to be cut into deliveries.

Why a separate step: assisted households and API persons are objects that plants
may still change after creating them; their feed rows (ca_households per extract
date, ca_members, ca_payments by the gap formula, mi_enrollment subsidies, the
banks' asset checks, the approving application, the hukou register) are derived
here, after every plant has run, so they stay consistent.

Each table has the contract columns (canonical values) plus `_origin` and either
`_vf`/`_vt` (snapshot validity; NaT = open) or `_do` (event delivery date).
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from functools import cache

import numpy as np
import pandas as pd

from ingestion.contracts import Feed, load_feeds
from simulator.memory import release_memory
from simulator.monthly import MonthlyRows
from simulator.world import (
    DIBAO_PREMIUM_SUBSIDY,
    OTHER_PREMIUM_SUBSIDY,
    AssistedHousehold,
    World,
    add_months,
    money,
    month_start,
    resident_premium,
)

#: the records the world itself still reads while deriving (`World.standard`)
RECORDS_THE_WORLD_READS = frozenset({"ca_standards"})


def household_rows(world: World, flush_every: int | None = None) -> None:
    """Derive every assisted household's rows into the world's record lists.

    `flush_every`: put the records into table form after every that many households
    (`flush_records`; memory: a household's ca_households row for each extract date is
    a dict of 17 values, 0.7 M dicts at scale 10 held at once was ~1 GB, issue 14).
    The tables are the same: the rows keep their order and each value's form.
    """
    std = cache(world.standard)
    seen: set[tuple] = set()  # derived keys already written (a person in two households: ELG-08)
    first_pay = month_start(add_months(world.start, -1))
    pay_last = month_start(world.as_of)
    rng = np.random.default_rng([world.seed, 30])
    for i, hh in enumerate(world.households, start=1):
        world.origin = hh.origin
        _households_snapshot(world, hh, std)
        for m in hh.members:
            world.add_snapshot(
                "ca_members",
                {
                    "household_id": hh.household_id,
                    "id_number": m.person.id_number,
                    "name": m.person.name,
                    "relation": m.relation,
                    "covered": m.covered,
                    "labor_capacity": m.labor_capacity,
                    "self_care": m.self_care,
                    "monthly_income": m.monthly_income,
                },
                valid_from=hh.approved_on,
            )
        if hh.pay and hh.assistance_type in ("dibao", "tekun"):
            _payments(world, hh, std, max(first_pay, month_start(add_months(hh.approved_on, 1))), pay_last)
        _asset_checks(world, hh, rng, seen)
        _application(world, hh, rng)
        if flush_every and i % flush_every == 0:
            flush_records(world)
    # a person on two rolls is enrolled once, with the most generous subsidy
    priority = {"tekun": 0, "dibao": 1}
    by_priority = sorted(world.households, key=lambda h: priority.get(h.assistance_type, 2))
    for i, hh in enumerate(by_priority, start=1):
        world.origin = hh.origin
        _enrollment(world, hh, seen)
        if flush_every and i % flush_every == 0:
            flush_records(world)
    world.origin = "plant"
    if flush_every:
        flush_records(world)


def flush_records(world: World) -> None:
    """Move the world's records so far into table form (`world.record_parts`), feed by
    feed in their order; `tables()` puts them after the feed's frames and before the
    records that come later. Records the world still reads stay where they are."""
    feeds = load_feeds()
    for store, kind in ((world.snapshots, "snapshot"), (world.events, "event")):
        for feed_id in list(store):
            if feed_id in RECORDS_THE_WORLD_READS or feed_id not in feeds or not store[feed_id]:
                continue
            recs = store.pop(feed_id)
            world.record_parts.setdefault(feed_id, []).append(_records_table(recs, kind, feeds[feed_id]))
            del recs
    release_memory()


def _records_table(recs: list[tuple], kind: str, feed: Feed) -> pd.DataFrame:
    """World records (`add_snapshot` / `add_event` tuples) as a table of the feed."""
    df = pd.DataFrame([r for r, *_ in recs])
    if kind == "snapshot":
        df["_vf"] = [vf for _, vf, _, _ in recs]
        df["_vt"] = [vt for _, _, vt, _ in recs]
    else:
        df["_do"] = [do for _, do, _ in recs]
    df["_origin"] = [o for *_, o in recs]
    return _coerce(df, feed)


def _households_snapshot(world: World, hh: AssistedHousehold, std) -> None:
    for d in world.extract_dates:
        status = hh.status_on(d)
        if status is None:
            continue
        benefit = None
        if hh.assistance_type == "dibao":
            benefit = _dibao(world, hh, month_start(d), std)
        elif hh.assistance_type == "tekun":
            benefit = sum((amt for _, amt, _ in _tekun_items(hh, month_start(d), std)), Decimal("0.00"))
        in_exit = hh.gradual_exit_start is not None and d >= hh.gradual_exit_start
        record = {
            "household_id": hh.household_id,
            "head_id_number": hh.head.id_number,
            "region_code": hh.region_code,
            "urban_rural": hh.urban_rural,
            "assistance_type": hh.assistance_type,
            "dibao_class": hh.dibao_class,
            "tekun_support_mode": hh.tekun_support_mode,
            "status": status,
            "approved_on": hh.approved_on,
            "last_review_on": hh.last_review_on(d),
            "gradual_exit_type": hh.gradual_exit_type if in_exit else None,
            "gradual_exit_start": hh.gradual_exit_start if in_exit else None,
            "gradual_exit_months": hh.gradual_exit_months if in_exit else None,
            "terminated_on": hh.terminated_on if status == "terminated" else None,
            "single_person": hh.single_person,
            "monthly_income_total": hh.income_total(),
            "monthly_benefit": benefit,
        }
        record.update(hh.overrides)
        world.add_snapshot("ca_households", record, valid_from=d, valid_to=d + timedelta(days=1))


def _dibao(world: World, hh: AssistedHousehold, month: date, std) -> Decimal:
    s = std(hh.region_code[:6], f"dibao_{hh.urban_rural}", month)
    if hh.single_person:
        covered = [m for m in hh.members if m.covered] or hh.members[:1]
        n, income = 1, covered[0].monthly_income
    else:
        n, income = len(hh.members), hh.income_total()
    return money(max(Decimal(0), s - income / n) * n)


def _tekun_items(hh: AssistedHousehold, month: date, std):
    for m in hh.members:
        if not m.covered:
            continue
        yield m, std(hh.region_code[:6], f"tekun_basic_{hh.urban_rural}", month), "tekun_basic"
        if m.self_care in ("partial", "unable"):
            level = "full" if m.self_care == "unable" else "partial"
            yield m, std(hh.region_code[:6], f"tekun_care_{level}", month), "tekun_care"


def _payments(world: World, hh: AssistedHousehold, std, first: date, last: date) -> None:
    """Monthly payments on the 10th, from the month after approval until termination."""
    m = first
    while m <= last:
        if hh.terminated_on is not None and m >= month_start(hh.terminated_on):
            break
        paid_on = m.replace(day=10)
        if hh.assistance_type == "dibao":
            items = [(hh.head, _dibao(world, hh, m, std), "dibao")]
        else:
            items = [(mem.person, amount, program) for mem, amount, program in _tekun_items(hh, m, std)]
        if m.month == 10:
            items.append((hh.head, Decimal("1000.00"), "heating"))
        for person, amount, program in items:
            world.add_event(
                "ca_payments",
                {
                    "payment_id": f"{hh.household_id}-{m:%Y%m}-{program}-{person.id_number[-4:]}",
                    "pay_month": m,
                    "household_id": hh.household_id,
                    "id_number": person.id_number,
                    "program": program,
                    "amount": amount,
                    "paid_on": paid_on,
                },
                delivered_on=paid_on,
            )
        m = add_months(m, 1)


def _enrollment(world: World, hh: AssistedHousehold, seen: set[tuple]) -> None:
    """Residents' medical insurance with the roll's subsidy (clean COV-01)."""
    for year in range(world.start.year, world.as_of.year + 1):
        jan1, dec31 = date(year, 1, 1), date(year, 12, 31)
        if hh.approved_on > dec31 or (hh.terminated_on is not None and hh.terminated_on < jan1):
            continue
        for m in hh.members:
            if m.person.birth_date >= jan1 or ("mi", m.person.id_number, year) in seen:
                continue
            seen.add(("mi", m.person.id_number, year))
            if hh.assistance_type == "tekun":
                premium = resident_premium(year)
                cat, subsidy = "tekun_full", premium
            elif hh.assistance_type == "dibao":
                cat, premium, subsidy = "dibao_fixed", resident_premium(year), DIBAO_PREMIUM_SUBSIDY
            else:
                cat, premium, subsidy = "other", resident_premium(year), OTHER_PREMIUM_SUBSIDY
            world.add_snapshot(
                "mi_enrollment",
                {
                    "id_number": m.person.id_number,
                    "year": year,
                    "enrolled": True,
                    "premium": premium,
                    "subsidy_amount": subsidy,
                    "subsidy_category": cat,
                },
                # enrolled in the collection period before the year: the December
                # delivery already lists next year's enrollment (a run on 1 January
                # must find it; issue 12), not before the household was approved; the
                # register keeps earlier years (key id_number + year), so no delivery
                # shrinks at the turn of the year
                valid_from=min(jan1, max(date(year - 1, 12, 1), hh.approved_on)),
            )


def _asset_checks(world: World, hh: AssistedHousehold, rng: np.random.Generator, seen: set[tuple]) -> None:
    """The banks' answer at approval and each review (clean ELG-06: small savings)."""
    dates = [hh.approved_on, *hh.review_dates]
    for d in dates:
        if d < add_months(world.start, -12) or d > world.as_of:
            continue
        for m in hh.members:
            if ("fa", m.person.id_number, d) in seen:
                continue
            seen.add(("fa", m.person.id_number, d))
            world.add_event(
                "fin_assets",
                {
                    "id_number": m.person.id_number,
                    "as_of": d,
                    "deposits": money(rng.uniform(0, 6000)),
                    "wealth_products": Decimal("0.00"),
                    "securities": Decimal("0.00"),
                    "insurance_cash_value": money(rng.uniform(0, 1500)),
                },
                delivered_on=d + timedelta(days=3),
            )


def _application(world: World, hh: AssistedHousehold, rng: np.random.Generator) -> None:
    """The approving application, verified before the decision (clean REV-05)."""
    if hh.approved_on < add_months(world.start, -1) or hh.approved_on > world.as_of:
        return
    applied = hh.approved_on - timedelta(days=int(rng.integers(20, 40)))
    program = hh.assistance_type if hh.assistance_type in ("dibao", "tekun", "edge") else "edge"
    world.add_event(
        "ca_applications",
        {
            "application_id": f"SQ{applied:%Y%m%d}{hh.household_id[-8:]}",
            "applicant_id_number": hh.head.id_number,
            "household_id": hh.household_id,
            "program": program,
            "region_code": hh.region_code,
            "channel": str(
                rng.choice(
                    ["counter", "online", "mobile", "outreach", "hotline"], p=[0.55, 0.15, 0.15, 0.1, 0.05]
                )
            ),
            "applied_on": applied,
            "verification_completed_on": applied + timedelta(days=int(rng.integers(3, 12))),
            "decision": "approved",
            "decided_on": hh.approved_on,
        },
        delivered_on=hh.approved_on,
    )


def person_rows(world: World) -> None:
    """ps_hukou rows of the persons added through the API (not the background table)."""
    for p in world.persons:
        if not p.in_hukou or p.background:
            continue
        base = {
            "id_number": p.id_number,
            "name": p.name,
            "gender": p.sex,
            "birth_date": p.birth_date,
            "hukou_no": p.hukou_no,
            "relation_to_head": p.relation,
            "region_code": p.region_code,
        }
        world.origin = "plant"
        if p.hukou_status != "normal" and p.status_changed_on is not None:
            world.add_snapshot(
                "ps_hukou",
                {**base, "hukou_status": "normal", "status_changed_on": None},
                valid_from=p.registered_on,
                valid_to=p.status_changed_on,
            )
            world.add_snapshot(
                "ps_hukou",
                {**base, "hukou_status": p.hukou_status, "status_changed_on": p.status_changed_on},
                valid_from=p.status_changed_on,
            )
        else:
            world.add_snapshot(
                "ps_hukou",
                {**base, "hukou_status": p.hukou_status, "status_changed_on": p.status_changed_on},
                valid_from=p.registered_on,
            )


def _coerce(df: pd.DataFrame, feed: Feed) -> pd.DataFrame:
    """Contract columns in order with uniform dtypes; bookkeeping columns after them."""
    out = {}
    n = len(df)
    for col in feed.columns:
        s = df[col.name] if col.name in df.columns else pd.Series([None] * n, index=df.index, dtype=object)
        if col.type in ("date", "month"):
            s = pd.to_datetime(s).astype("datetime64[s]")
        elif col.type == "timestamp":
            s = pd.to_datetime(s).astype("datetime64[s]")
        elif col.type in ("money", "decimal"):
            if s.dtype == object:
                s = s.map(lambda v: float(v) if isinstance(v, Decimal) else v)
            s = pd.to_numeric(s, errors="raise").astype("float64").round(2)
        elif col.type == "integer":
            s = pd.array(s, dtype="Int64")
        elif col.type == "bool":
            s = pd.array(s, dtype="boolean")
        elif col.type == "enum" and not isinstance(s.dtype, pd.CategoricalDtype):
            s = s.astype(object).astype("category")  # few codes repeated over millions of rows
        elif s.dtype == object:
            s = s.where(s.notna(), None)
        out[col.name] = s
    for extra in ("_vf", "_vt", "_do"):
        if extra in df.columns:
            out[extra] = pd.to_datetime(df[extra]).astype("datetime64[s]")
    origin = df["_origin"] if "_origin" in df.columns else pd.Series("plant", index=df.index)
    if not isinstance(origin.dtype, pd.CategoricalDtype):
        origin = origin.astype(object).astype("category")
    out["_origin"] = origin
    return pd.DataFrame(out, index=df.index)


def _not_before_own_dates(table: pd.DataFrame, feed: Feed) -> pd.DataFrame:
    """No delivery may list a row before its own dates (a date after the extract date is
    a contract fault) or before the birth of a person it names (an ID born after the
    extract date is invalid): push `_vf` / `_do` to the latest of them."""
    latest = np.full(len(table), np.datetime64("NaT"), dtype="datetime64[s]")
    for col in feed.columns:
        if col.type in ("date", "month", "timestamp") and not col.future_ok:
            values = table[col.name].to_numpy(dtype="datetime64[s]")
        elif col.type == "id_number":
            codes, uniques = pd.factorize(table[col.name], use_na_sentinel=True)
            births = np.array(
                [f"{i[6:10]}-{i[10:12]}-{i[12:14]}" if len(str(i)) == 18 else "NaT" for i in uniques]
                + ["NaT"]
            ).astype("datetime64[D]")
            values = births[codes].astype("datetime64[s]")  # code -1 (null) reads the last, NaT
        else:
            continue
        latest = np.fmax(latest, values)  # fmax ignores NaT on either side
    latest = latest.astype("datetime64[D]")
    column = "_vf" if feed.kind == "snapshot" else "_do"
    current = table[column].to_numpy(dtype="datetime64[s]").astype("datetime64[D]")
    bumped = np.where(np.isnat(current), latest, np.fmax(current, latest))
    # a snapshot row open since forever stays open unless a date forces it later
    if feed.kind == "snapshot":
        bumped = np.where(np.isnat(current) & ~np.isnat(latest), latest, bumped)
    table[column] = bumped.astype("datetime64[s]")
    return table


def coerce(df: pd.DataFrame, feed: Feed) -> pd.DataFrame:
    """A frame of a feed's rows in table form (contract columns, uniform dtypes)."""
    return _coerce(df, feed)


def concat_tables(parts: list[pd.DataFrame]) -> pd.DataFrame:
    """Tables of one feed, one after another (categoricals stay categorical)."""
    return _concat(parts)


def _object_categorical(s: pd.Series) -> pd.Categorical:
    if isinstance(s.dtype, pd.CategoricalDtype):
        categories = pd.Index(s.cat.categories.to_numpy(dtype=object), dtype=object)
        return pd.Categorical.from_codes(s.cat.codes.to_numpy(), categories=categories)
    values = s.to_numpy(dtype=object)
    return pd.Categorical(values, categories=pd.Index(pd.unique(values[pd.notna(values)]), dtype=object))


def _concat(parts: list[pd.DataFrame]) -> pd.DataFrame:
    """Concatenate chunks; a column that is categorical in some chunk stays categorical
    (pd.concat would turn millions of repeated IDs into separate strings)."""
    if len(parts) == 1:
        return parts[0].reset_index(drop=True)
    columns = {}
    for name in parts[0].columns:
        series = [p[name] for p in parts]
        if any(isinstance(s.dtype, pd.CategoricalDtype) for s in series):
            cats = [_object_categorical(s) for s in series]
            columns[name] = pd.Series(pd.api.types.union_categoricals(cats))
        else:
            columns[name] = pd.concat(series, ignore_index=True)
    return pd.DataFrame(columns)


#: households whose derived records are put into table form at a time (`household_rows`)
FLUSH_HOUSEHOLDS = 1000


def tables(world: World, hand_over: bool = False) -> dict[str, pd.DataFrame]:
    """One table per feed of the contract (empty tables for feeds with no records).

    `hand_over`: each feed's records leave the world once in its table (memory: the
    derived records are millions of dicts at scale 10); the world's API then no longer
    sees them (e.g. planted standards), so only the simulator's last step asks for it."""
    household_rows(world, flush_every=FLUSH_HOUSEHOLDS if hand_over else None)
    person_rows(world)
    world.origin = "plant"
    feeds = load_feeds()
    out: dict[str, pd.DataFrame] = {}
    standards = pd.DataFrame([{**r, "_vf": None, "_vt": None} for r in world.standards])
    standards["_origin"] = "bg"
    world.frames.setdefault("ca_standards", []).insert(0, standards)
    for feed_id, feed in feeds.items():
        # the world's records are handed over to the table (memory: scale 10 is millions of rows)
        frames = world.frames.pop(feed_id, [])
        parts = [_coerce(f.frame() if isinstance(f, MonthlyRows) else f, feed) for f in frames]
        del frames
        parts += world.record_parts.pop(feed_id, [])
        store = world.snapshots if feed.kind == "snapshot" else world.events
        recs = store.pop(feed_id, []) if hand_over else store.get(feed_id, [])
        if recs:
            parts.append(_records_table(recs, feed.kind, feed))
        del recs
        empty = {"_vf": [], "_vt": []} if feed.kind == "snapshot" else {"_do": []}
        if parts:
            table = _not_before_own_dates(_concat(parts), feed)
        else:
            table = _coerce(pd.DataFrame({c.name: [] for c in feed.columns} | empty | {"_origin": []}), feed)
        out[feed_id] = table
        if hand_over:
            release_memory()  # the feed's frames and records are gone: the next feed reuses the pages
    return out
