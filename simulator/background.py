"""The clean background league: people, rolls and every department's ordinary records.

Why "clean": the background is built so that NO rule of rules.md fires on it (see
the `# clean:` comments, each naming the rule it keeps quiet). Every warning a
correct warehouse raises is then a planted one. Bulk records are built with numpy
and pandas (no Python loop over the population); the assisted households, a few
thousand, are `AssistedHousehold` objects like the plants' ones.

Frames written to `world.frames[feed_id]` carry the contract columns plus either
`_vf`/`_vt` (snapshot validity, NaT = open) or `_do` (event delivery date).
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from functools import cache

import numpy as np
import pandas as pd

from simulator import idnumbers
from simulator.memory import release_memory
from simulator.monthly import MonthlyRows
from simulator.reference import (
    BANNERS,
    CASELOAD,
    GIVEN_CHARS,
    MONGOLIAN_NAMES,
    OTHER_COUNTY_CODES,
    POPULATION,
    RETIRED_COUNTY_CODES,
    SURNAMES,
    TOWNSHIPS,
)
from simulator.world import AssistedHousehold, Member, Person, World, add_months, money, resident_premium

NaT = np.datetime64("NaT", "D")


def d64(d: date) -> np.datetime64:
    return np.datetime64(d, "D")


def n_scaled(world: World, n: float, minimum: int = 1) -> int:
    return max(minimum, int(round(n * world.scale)))


def random_dates(rng: np.random.Generator, lo: date, hi: date, n: int) -> np.ndarray:
    """n dates uniform in [lo, hi]."""
    span = max(0, (hi - lo).days)
    return d64(lo) + rng.integers(0, span + 1, size=n).astype("timedelta64[D]")


def repeat_each(values: np.ndarray, k: int) -> pd.Categorical:
    """Each value k times, as a categorical (millions of monthly rows share few IDs)."""
    cat = pd.Categorical(values)
    return pd.Categorical.from_codes(np.repeat(cat.codes, k), categories=cat.categories)


def to_date(x: np.datetime64) -> date:
    return np.datetime64(x, "D").astype(object)


_SCHOOLS = {
    "preschool": "第一幼儿园",
    "primary": "第二小学",
    "junior": "第三中学",
    "senior": "高级中学",
    "vocational": "职业中学",
}


def _school_name(place: str, stage: str) -> str:
    if stage == "higher_vocational":
        return "阿拉善职业技术学院"
    if stage == "undergraduate":
        return "内蒙古大学"
    return place + _SCHOOLS[stage]


class Background:
    """Builds the background into a World (call `build()` once, before the plants)."""

    def __init__(self, world: World):
        self.w = world
        self.rng = np.random.default_rng([world.seed, 10])
        self.as_of = world.as_of
        self.start = world.start
        self.max_std = max(world.standard("152900", s, world.as_of) for s in ("dibao_urban", "dibao_rural"))

    # ------------------------------------------------------------------ driver
    def build(self) -> None:
        for step in (
            self.population,
            self.assisted,
            self.deaths,
            self.employment_and_income,
            self.assets,
            self.students,
            self.disability,
            self.medical,
            self.rural_monitoring,
            self.disasters_and_housing,
            self.temporary_assistance,
            self.vagrants_hotline_charity,
            self.applications,
        ):
            step()
            release_memory()  # a step's temporaries must not raise the next step's floor

    def frame(self, feed_id: str, df: pd.DataFrame) -> None:
        # assign, not copy + set: with copy-on-write the columns are shared, not duplicated
        df = df.assign(_origin=pd.Categorical.from_codes(np.zeros(len(df), dtype=np.int8), categories=["bg"]))
        self.w.frames.setdefault(feed_id, []).append(df)

    # ------------------------------------------------------------------ people
    def population(self) -> None:
        """Hukou households over the synthetic villages; ages, sexes, names, IDs."""
        rng, w = self.rng, self.w
        target = n_scaled(w, POPULATION, minimum=200)
        sizes_p = np.array([0.27, 0.30, 0.25, 0.11, 0.06, 0.01])
        n_hh = int(target / (sizes_p * np.arange(1, 7)).sum()) + 1
        sizes = rng.choice(np.arange(1, 7), size=n_hh, p=sizes_p)
        # villages: banner share, then urban communities heavier
        vil = w.villages
        weights = np.array([BANNERS[v.banner_code][1] for v in vil], dtype=float)
        per_banner = {b: sum(1 for v in vil if v.banner_code == b) for b in BANNERS}
        weights = weights / np.array([per_banner[v.banner_code] for v in vil])
        weights *= np.array([2.2 if v.urban else 0.6 for v in vil])
        weights /= weights.sum()
        hh_village = rng.choice(len(vil), size=n_hh, p=weights)
        hh_index = np.repeat(np.arange(n_hh), sizes)
        pos = np.arange(len(hh_index)) - np.repeat(np.cumsum(sizes) - sizes, sizes)
        n = len(hh_index)
        head_age = rng.integers(23, 82, size=n_hh)
        age = np.empty(n, dtype=np.int64)
        hage = head_age[hh_index]
        age[pos == 0] = hage[pos == 0]
        spouse = pos == 1
        age[spouse] = np.clip(hage[spouse] + rng.integers(-4, 4, size=spouse.sum()), 20, 95)
        child = pos >= 2
        age[child] = np.clip(hage[child] - 22 - rng.integers(0, 14, size=child.sum()), 0, None)
        parent = pos == 5
        age[parent] = np.clip(hage[parent] + 26, None, 96)
        relation = np.where(pos == 0, "self", np.where(pos == 1, "spouse", "child")).astype(object)
        relation[parent] = "parent"
        grand = child & (hage >= 62) & (age >= 0) & (rng.random(n) < 0.3)
        relation[grand] = "grandchild"
        head_male = rng.random(n_hh) < 0.72
        male = np.where(pos == 0, head_male[hh_index], rng.random(n) < 0.5)
        male[spouse] = ~head_male[hh_index][spouse]
        offset = rng.integers(0, 365, size=n).astype("timedelta64[D]")
        years_back = np.array(
            [np.datetime64(add_months(self.as_of, -12 * int(a)), "D") for a in range(0, 100)]
        )
        birth = years_back[age] - offset - np.timedelta64(1, "D")
        # ID county codes
        banner = np.array([vil[i].banner_code for i in hh_village])[hh_index]
        id_area = np.where(banner == "152971", "152921", banner).astype("<U6")
        roll = rng.random(n)
        other = roll < 0.14
        id_area[other] = rng.choice(OTHER_COUNTY_CODES, size=other.sum())
        retired = (roll >= 0.14) & (roll < 0.16) & (birth < np.datetime64("1990-01-01"))
        id_area[retired] = rng.choice(RETIRED_COUNTY_CODES, size=retired.sum())
        ids = idnumbers.make_ids(id_area, birth, male, rng)
        w.taken_ids.update(ids)
        # names: a household shares the head's surname (Mongolian names have none)
        surname = np.array(SURNAMES)[rng.integers(0, len(SURNAMES), size=n_hh)][hh_index]
        g1 = np.array(GIVEN_CHARS)[rng.integers(0, len(GIVEN_CHARS), size=n)]
        g2 = np.where(
            rng.random(n) < 0.7, np.array(GIVEN_CHARS)[rng.integers(0, len(GIVEN_CHARS), size=n)], ""
        )
        name = np.char.add(np.char.add(surname.astype("<U1"), g1.astype("<U1")), g2.astype("<U1"))
        mongol = rng.random(n) < 0.15
        name[mongol] = np.array(MONGOLIAN_NAMES)[rng.integers(0, len(MONGOLIAN_NAMES), size=mongol.sum())]
        region = np.array([vil[i].code for i in hh_village])
        urban = np.array([vil[i].urban for i in hh_village])
        hukou_no = np.char.add(
            region.astype("<U12").astype("<U6"), np.char.zfill(np.arange(n_hh).astype(str), 7)
        )
        self.hh = pd.DataFrame(
            {
                "hukou_no": hukou_no,
                "region_code": region,
                "urban": urban,
                "size": sizes,
                "first": np.cumsum(sizes) - sizes,
            }
        )
        self.p = pd.DataFrame(
            {
                "id_number": ids,
                "name": name,
                "sex": np.where(male, "M", "F"),
                "birth_date": birth,
                "hh": hh_index,
                "pos": pos,
                "relation": relation,
                "age": age,
                "region_code": region[hh_index],
                "urban": urban[hh_index],
                "hukou_no": hukou_no[hh_index],
            }
        )
        # flags filled in later
        self.p["assisted"] = ""  # assistance type of the person's background household ('' = none)
        self.p["active_assisted"] = False
        self.p["dibao_or_tekun"] = False
        self.p["dying"] = False
        self.p["earner"] = False
        self.p["earner_income"] = 0.0
        self.hh["taken"] = False

    # ------------------------------------------------------------------ rolls
    def _pick_households(
        self, count: int, urban: bool | None, sizes: list[int], probs: list[float], condition=None
    ) -> list[int]:
        """Pick `count` untaken hukou households with the size mix, in urban or rural places."""
        rng = self.rng
        want = rng.choice(sizes, size=count, p=probs)
        chosen: list[int] = []
        for size in sizes:
            k = int((want == size).sum())
            if k == 0:
                continue
            mask = (self.hh["size"] == size) & ~self.hh["taken"]
            if urban is not None:
                mask &= self.hh["urban"] == urban
            if condition is not None:
                mask &= condition
            pool = np.flatnonzero(mask.to_numpy())
            k = min(k, len(pool))
            pick = rng.choice(pool, size=k, replace=False)
            self.hh.loc[pick, "taken"] = True
            chosen.extend(int(x) for x in pick)
        return chosen

    def _people_of(self, hh_idx: int) -> list[Person]:
        """The background persons of a hukou household, as API persons (no copy in ps_hukou)."""
        first, size = int(self._first[hh_idx]), int(self._size[hh_idx])
        rows = slice(first, first + size)
        a = {k: v[rows].tolist() for k, v in self._arrays.items()}
        return [
            Person(
                id_number=a["id"][i],
                name=a["name"][i],
                sex=a["sex"][i],
                birth_date=a["birth"][i],
                hukou_no=a["hukou"][i],
                relation=a["rel"][i],
                region_code=a["region"][i],
                background=True,
            )
            for i in range(size)
        ]

    def assisted(self) -> None:
        """The rolls at as_of sized after January 2025, plus households that left during the window."""
        rng, w = self.rng, self.w
        ages = self.p.groupby("hh")["age"]
        hh_min, hh_max = ages.min(), ages.max()
        has_worker = self.p[(self.p.age >= 22) & (self.p.age <= 54)].groupby("hh").size()
        has_worker = self.hh.index.isin(has_worker.index)
        old_single = (self.hh["size"] == 1) & (hh_min.reindex(self.hh.index).to_numpy() >= 62)
        # nobody born during the deliveries (a birth would change the member count the
        # past payments were computed with)
        no_minor_head = hh_min.reindex(self.hh.index).to_numpy() >= self.w.months // 12 + 1
        has_worker = has_worker & no_minor_head
        plan = []
        months = self.w.months
        churn = max(0.0, months / 12 * 0.08)  # share of a roll that left during the window
        for urban, key_h in ((True, "dibao_urban_households"), (False, "dibao_rural_households")):
            count = n_scaled(w, CASELOAD[key_h])
            probs = [0.62, 0.30, 0.08] if urban else [0.52, 0.37, 0.11]
            for status, k in (("active", count), ("terminated", n_scaled(w, count * churn, 0))):
                for idx in self._pick_households(k, urban, [1, 2, 3], probs, pd.Series(no_minor_head)):
                    plan.append(("dibao", urban, status, idx))
        for urban, key in ((True, "tekun_urban"), (False, "tekun_rural")):
            count = n_scaled(w, CASELOAD[key])
            for idx in self._pick_households(count, urban, [1], [1.0], pd.Series(old_single)):
                plan.append(("tekun", urban, "active", idx))
        for atype, key in (
            ("edge", "edge_households"),
            ("rigid_expense", "rigid_expense_households"),
            ("other_low_income", "other_low_income_households"),
        ):
            count = n_scaled(w, CASELOAD[key])
            for status, k in (("active", count), ("terminated", n_scaled(w, count * churn / 2, 0))):
                for idx in self._pick_households(
                    k, None, [1, 2, 3, 4], [0.25, 0.3, 0.3, 0.15], pd.Series(has_worker)
                ):
                    plan.append((atype, None, status, idx))
        del hh_max
        n_exit = n_scaled(w, CASELOAD["gradual_exit_households"])
        dibao_active = [i for i, p in enumerate(plan) if p[0] == "dibao" and p[2] == "active"]
        exit_set = set(rng.choice(dibao_active, size=min(n_exit, len(dibao_active)), replace=False).tolist())
        care_left = n_scaled(w, CASELOAD["tekun_care"])
        p = self.p
        # the columns themselves, sliced per household in _people_of: Python lists of the
        # whole population (millions of objects at scale 10) would pin the heap
        self._arrays = {
            "id": p.id_number.array,
            "name": p.name.array,
            "sex": p.sex.array,
            "birth": p.birth_date.to_numpy().astype("datetime64[D]"),  # .tolist(): datetime.date
            "hukou": p.hukou_no.array,
            "rel": p.relation.array,
            "region": p.region_code.array,
        }
        self._first, self._size = self.hh["first"].to_numpy(), self.hh["size"].to_numpy()
        self._hh_region, self._hh_urban = self.hh["region_code"].to_numpy(), self.hh["urban"].to_numpy()
        self._flag_assisted = np.full(len(p), "", dtype=object)
        self._flag_active = np.zeros(len(p), dtype=bool)
        self._flag_earner = np.zeros(len(p), dtype=bool)
        self._earner_income = np.zeros(len(p))
        for i, (atype, _urban, status, idx) in enumerate(plan):
            if i in exit_set:
                status = "gradual_exit"
            hh = self._household(atype, status, idx)
            if atype == "tekun" and care_left > 0:
                hh.members[0].self_care = "unable" if rng.random() < 0.35 else "partial"
                care_left -= 1
            w.households.append(hh)
        self.bg_households = [h for h in w.households if h.origin == "bg"]
        p["assisted"] = self._flag_assisted
        p["active_assisted"] = self._flag_active
        p["dibao_or_tekun"] = np.isin(self._flag_assisted, ["dibao", "tekun"])
        p["earner"] = self._flag_earner
        p["earner_income"] = self._earner_income

    def _household(self, atype: str, status: str, idx: int) -> AssistedHousehold:
        rng, w = self.rng, self.w
        region = str(self._hh_region[idx])
        urban = bool(self._hh_urban[idx])
        ur = "urban" if urban else "rural"
        serial = w.next_serial("bghh")
        household_id = f"{region[:6]}{'DB' if atype == 'dibao' else atype[:2].upper()}{serial:06d}"
        first_possible = add_months(self.as_of, -96)
        if status == "terminated":
            terminated_on = to_date(
                random_dates(rng, self.start + timedelta(days=10), self.as_of - timedelta(days=3), 1)[0]
            )
            approved_on = to_date(random_dates(rng, first_possible, add_months(terminated_on, -7), 1)[0])
        else:
            terminated_on = None
            lo = min(first_possible, add_months(self.as_of, -2))
            approved_on = to_date(random_dates(rng, lo, add_months(self.as_of, -1), 1)[0])
        people = self._people_of(idx)
        working = [16 <= p.age(self.as_of) < 60 for p in people]
        dibao_class = None
        if atype == "dibao":
            dibao_class = "B" if any(working) and rng.random() < 0.55 else "A"
        mode = None
        if atype == "tekun":
            mode = "centralized" if rng.random() < 0.3 else "dispersed"
        single = atype == "dibao" and len(people) >= 2 and rng.random() < 0.05
        members = []
        std = self.max_std
        earner_pos = next((i for i, p in enumerate(people) if 22 <= p.age(self.as_of) <= 54), None)
        for i, p in enumerate(people):
            labor = "none"
            if atype != "tekun" and working[i]:
                labor = "full" if rng.random() < 0.8 else "partial"
            income = Decimal("0.00")
            if atype == "dibao" and not (single and i == 0):
                if working[i]:
                    income = money(float(std) * rng.uniform(0.05, 0.4))
            elif atype in ("edge", "rigid_expense", "other_low_income") and i == earner_pos:
                # clean HRD-07: declared and verified per-capita income above the dibao standard
                income = money(float(std) * len(people) * rng.uniform(1.15, 1.45))
            self_care = "able"
            if single and i == 0:
                labor, self_care = "none", "partial"
            members.append(
                Member(
                    person=p,
                    relation=p.relation if i else "self",
                    covered=(not single or i == 0),
                    labor_capacity=labor,
                    self_care=self_care,
                    monthly_income=income,
                )
            )
        cycle = 5 if dibao_class == "B" else 10
        reviews = []
        r = add_months(approved_on, int(rng.integers(3, cycle + 1)))
        while r <= self.as_of:
            reviews.append(r)
            r = add_months(r, cycle)
        hh = AssistedHousehold(
            household_id=household_id,
            members=members,
            region_code=region,
            urban_rural=ur,
            assistance_type=atype,
            approved_on=approved_on,
            dibao_class=dibao_class,
            tekun_support_mode=mode,
            review_dates=reviews,
            single_person=single,
            terminated_on=terminated_on,
            origin="bg",
        )
        if status == "gradual_exit":
            # clean REV-03/REV-04: the period runs past as_of and its length fits its type
            kind = "rural_income" if ur == "rural" and rng.random() < 0.5 else "employment"
            months = int(rng.integers(6, 13)) if kind == "rural_income" else int(rng.integers(3, 7))
            start = add_months(self.as_of, -int(rng.integers(0, months)))
            start = max(start - timedelta(days=int(rng.integers(1, 20))), add_months(approved_on, 2))
            if add_months(start, months) <= self.as_of:
                start = self.as_of - timedelta(days=5)
            hh.gradual_exit_type, hh.gradual_exit_start, hh.gradual_exit_months = kind, start, months
        # mark the people (written to the table in one go by `assisted`)
        first = int(self._first[idx])
        rows = np.arange(first, first + len(people))
        self._flag_assisted[rows] = atype
        if status != "terminated":
            self._flag_active[rows] = True
        if earner_pos is not None and atype in ("edge", "rigid_expense", "other_low_income"):
            self._flag_earner[first + earner_pos] = True
            self._earner_income[first + earner_pos] = float(members[earner_pos].monthly_income)
        return hh

    # ------------------------------------------------------------------ deaths and hukou
    def deaths(self) -> None:
        """Deaths among elderly non-assisted people without income (clean HRD-06/ELG-02),
        then the ps_hukou register: normal, and deceased from the cancellation date."""
        rng, p = self.rng, self.p
        years = self.w.months / 12
        candidates = np.flatnonzero(((p.age >= 72) & (p.assisted == "")).to_numpy())
        k = min(len(candidates), n_scaled(self.w, POPULATION * 0.0055 * years, 1))
        dying = rng.choice(candidates, size=k, replace=False)
        p.loc[p.index[dying], "dying"] = True
        death = random_dates(rng, self.start - timedelta(days=40), self.as_of - timedelta(days=12), k)
        p["death_date"] = NaT
        p.loc[p.index[dying], "death_date"] = death
        cancel = death + rng.integers(10, 40, size=k).astype("timedelta64[D]")
        reported = rng.random(k) < 0.92
        self.frame(
            "ca_deaths",
            pd.DataFrame(
                {
                    "id_number": p.id_number.to_numpy()[dying][reported],
                    "death_date": death[reported],
                    "source": rng.choice(
                        ["cremation", "medical_certificate", "hukou_cancellation"], size=k, p=[0.7, 0.2, 0.1]
                    )[reported],
                    "_do": (death + rng.integers(5, 25, size=k).astype("timedelta64[D]"))[reported],
                }
            ),
        )
        # ps_hukou: one open segment per person; the dying get a second, deceased segment
        born_late = p.birth_date.to_numpy() > d64(self.start) - np.timedelta64(40, "D")
        vf = np.where(born_late, p.birth_date.to_numpy() + np.timedelta64(30, "D"), NaT)
        base = pd.DataFrame(
            {
                "id_number": p.id_number,
                "name": p.name,
                "gender": p.sex,
                "birth_date": p.birth_date,
                "hukou_no": p.hukou_no,
                "relation_to_head": p.relation,
                "region_code": p.region_code,
                "hukou_status": "normal",
                "status_changed_on": NaT,
                "_vf": vf,
                "_vt": NaT,
            }
        )
        base.loc[base.index[dying], "_vt"] = cancel
        dead = base.iloc[dying].copy()
        dead["hukou_status"] = "deceased"
        dead["status_changed_on"] = cancel
        dead["_vf"] = cancel
        dead["_vt"] = NaT
        self.frame("ps_hukou", pd.concat([base, dead], ignore_index=True))

    # ------------------------------------------------------------------ work and income
    def _months(self, first: date, last: date) -> np.ndarray:
        out = []
        m = first.replace(day=1)
        while m <= last:
            out.append(np.datetime64(m, "D"))
            m = add_months(m, 1)
        return np.array(out, dtype="datetime64[D]")

    def employment_and_income(self) -> None:
        """hrss_employment, hrss_insurance, tax_income, hpf_provident_fund, fin_fiscal_payroll."""
        rng, p = self.rng, self.p
        n = len(p)
        alive = ~p.dying.to_numpy()
        age = p.age.to_numpy()
        working_age = (age >= 18) & (age <= 58)
        assisted = p.assisted.to_numpy() != ""
        dibao_tekun = p.dibao_or_tekun.to_numpy()
        earner = p.earner.to_numpy()
        roll = rng.random(n)
        status = np.full(n, "", dtype=object)
        status[working_age & ~assisted & (roll < 0.60)] = "employed"
        status[working_age & ~assisted & (roll >= 0.60) & (roll < 0.70)] = "flexible"
        status[working_age & dibao_tekun & (roll < 0.25)] = "flexible"  # informal work, no contributions
        status[earner] = "employed"
        # clean HRD-05/HRD-04/HRD-10: the registered unemployed are never assisted or former
        # members, aged 20-55, and someone else aged 20-55 in their hukou household is employed
        hh = p.hh.to_numpy()
        core = (age >= 20) & (age <= 55)
        employed_core = np.bincount(hh, weights=((status == "employed") & core), minlength=len(self.hh))
        cand = core & ~assisted & (status != "employed") & (employed_core[hh] >= 1) & (roll > 0.70)
        unemployed = cand & (rng.random(n) < 0.25)
        status[unemployed] = "unemployed"
        registered = status != ""
        since = random_dates(rng, add_months(self.as_of, -120), self.as_of - timedelta(days=40), n)
        # the employed member who keeps such a household off HRD-05 was registered before
        # the first delivery, so it is clean on every as_of, not only on the last (issue 12)
        unemployed_in_hh = np.bincount(hh, weights=unemployed, minlength=len(self.hh))
        keeps_clean = (status == "employed") & core & (unemployed_in_hh[hh] >= 1)
        since[keeps_clean] = np.minimum(since[keeps_clean], d64(self.start - timedelta(days=1)))
        employers = np.array(
            [
                "阿拉善盟某煤化工有限公司",
                "巴彦浩特某商贸有限公司",
                "阿拉善某物流有限公司",
                "额济纳旗某旅游开发有限公司",
                "乌斯太某化工有限公司",
                "阿拉善右旗某矿业有限公司",
                "阿拉善盟某建筑工程有限公司",
                "巴彦浩特某餐饮管理有限公司",
            ]
        )
        welfare_post = (status == "flexible") & dibao_tekun & (rng.random(n) < 0.3)
        emp = pd.DataFrame(
            {
                "id_number": p.id_number,
                "employment_status": status,
                "status_since": since,
                "difficult_employment": (unemployed & (rng.random(n) < 0.3)) | welfare_post,
                "public_welfare_post": welfare_post,
                "employer_name": np.where(
                    status == "employed", employers[rng.integers(0, len(employers), n)], None
                ),
            }
        )
        emp = emp[registered & alive]
        emp["_vf"] = NaT
        emp["_vt"] = NaT
        self.frame("hrss_employment", emp)
        # wages: the contribution base of formal employees
        formal = (status == "employed") & ((rng.random(n) < 0.78) | earner)
        wage = np.clip(np.round(rng.lognormal(np.log(5200), 0.45, n), -1), 2270, 30000)
        wage = np.where(earner, p.earner_income.to_numpy(), wage)
        pension = alive & (age >= 60) & ~assisted & (rng.random(n) < np.where(p.urban, 0.65, 0.45))
        pension_amount = np.where(
            p.urban, np.round(rng.uniform(2600, 5200, n), 2), np.round(rng.uniform(180, 420, n), 2)
        )
        # dibao elderly: the small residents' pension, declared as their income
        months = self._months(add_months(self.start, -12), self.as_of)
        delivered = np.array(
            [np.datetime64(add_months(to_date(m), 1) + timedelta(days=14), "D") for m in months]
        )
        monthly = self.w.frames.setdefault("hrss_insurance", [])
        for mask, item, amount in (
            (formal, "pension_contribution", wage),
            (pension, "pension_payment", pension_amount),
            (unemployed & (rng.random(n) < 0.5), "unemployment_benefit", np.full(n, 1816.0)),
        ):
            idx = np.flatnonzero(mask)
            k = len(idx)
            ids = p.id_number.to_numpy()[idx]
            if item == "pension_payment":
                # some elderly appear with their old 15-digit ID in the pension rows only
                births = p.birth_date.to_numpy()[idx]
                old = (births < np.datetime64("1960-01-01")) & (rng.random(k) < 0.3)
                ids = np.where(
                    old, np.char.add(ids.astype("<U18").astype("<U6"), np.array([s[8:17] for s in ids])), ids
                )
            # kept compact (a person once, not once per month): simulator/monthly.py
            monthly.append(MonthlyRows(pd.Categorical(ids), item, amount[idx], months, delivered))
        # the dibao members' own small pensions (their declared income; clean ELG-09)
        rows = []
        for hh_obj in self.bg_households:
            for m in hh_obj.members:
                if hh_obj.assistance_type == "dibao" and m.person.age(self.as_of) >= 60 and m.covered:
                    amount = money(rng.uniform(150, 320))
                    m.monthly_income = amount
                    rows.append((m.person.id_number, float(amount)))
        if rows:
            ids_, amounts = zip(*rows, strict=True)
            monthly.append(
                MonthlyRows(
                    pd.Categorical(np.array(ids_)), "pension_payment", np.array(amounts), months, delivered
                )
            )
        # tax: only above the threshold; never the assisted (their wages are low)
        taxed = formal & (wage > 7000) & ~assisted
        tax_parts = []
        for year in range(self.start.year - 1, self.as_of.year):
            idx = np.flatnonzero(taxed)
            tax_parts.append(
                pd.DataFrame(
                    {
                        "id_number": p.id_number.to_numpy()[idx],
                        "year": year,
                        "taxable_income": np.round(wage[idx] * 12 * 0.78 - 60000, 2),
                        "_do": np.datetime64(date(year + 1, 6, 30), "D"),
                    }
                )
            )
        self.frame("tax_income", pd.concat(tax_parts, ignore_index=True))
        # fiscal payroll (clean ELG-03: never a member of an assisted household)
        fiscal = (status == "employed") & ~assisted & (rng.random(n) < 0.09)
        units = np.array(
            [
                "阿拉善盟行政公署",
                "阿拉善左旗人民政府",
                "额济纳旗教育局",
                "阿拉善右旗卫生健康委员会",
                "阿拉善盟公安局",
                "阿拉善左旗第一中学",
                "阿拉善盟中心医院",
            ]
        )
        fis = pd.DataFrame(
            {
                "id_number": p.id_number.to_numpy()[fiscal],
                "employer_unit": units[rng.integers(0, len(units), fiscal.sum())],
                "since": since[fiscal],
                "_vf": NaT,
                "_vt": NaT,
            }
        )
        self.frame("fin_fiscal_payroll", fis)
        # provident fund: fiscal staff and some formal employees, each month of the window
        hpf = (fiscal | (formal & (rng.random(n) < 0.3))) & ~assisted
        hpf_months = self._months(add_months(self.start, -1), self.as_of)
        hpf_delivered = np.array([np.datetime64(to_date(m) + timedelta(days=19), "D") for m in hpf_months])
        idx = np.flatnonzero(hpf)
        self.frame(
            "hpf_provident_fund",
            pd.DataFrame(
                {
                    "id_number": repeat_each(p.id_number.to_numpy()[idx], len(hpf_months)),
                    "month": np.tile(hpf_months, len(idx)),
                    "contribution": np.repeat(np.round(wage[idx] * 0.24, 2), len(hpf_months)),
                    "_do": np.tile(hpf_delivered, len(idx)),
                }
            ),
        )
        self.status = status

    # ------------------------------------------------------------------ assets
    def assets(self) -> None:
        """Vehicles, real estate, businesses (clean ELG-04/05/07 for the assisted) and the
        banks' asset checks at each review (clean ELG-06)."""
        rng, p = self.rng, self.p
        n = len(p)
        age = p.age.to_numpy()
        assisted = p.assisted.to_numpy() != ""
        alive = ~p.dying.to_numpy()
        rural = ~p.urban.to_numpy()
        owner = alive & (age >= 20) & (age <= 75) & (rng.random(n) < np.where(assisted, 0.06, 0.2))
        idx = np.flatnonzero(owner)
        k = len(idx)
        types = np.where(
            rural[idx],
            rng.choice(
                ["car", "light_truck", "motorcycle", "tractor", "tricycle"],
                size=k,
                p=[0.45, 0.15, 0.2, 0.1, 0.1],
            ),
            rng.choice(["car", "passenger", "light_truck", "motorcycle"], size=k, p=[0.75, 0.08, 0.07, 0.1]),
        )
        exempt = np.array(["motorcycle", "tricycle", "tractor"])
        types = np.where(assisted[idx], exempt[rng.integers(0, 3, k)], types)
        price = {
            "car": (60000, 260000),
            "passenger": (90000, 200000),
            "light_truck": (50000, 150000),
            "motorcycle": (3000, 12000),
            "tricycle": (4000, 15000),
            "tractor": (8000, 60000),
        }
        lo = np.array([price[t][0] for t in types])
        hi = np.array([price[t][1] for t in types])
        registered = random_dates(rng, add_months(self.as_of, -150), self.as_of - timedelta(days=3), k)
        # plates 蒙M + letter + 5 digits, distinct (24 x 100,000 of them)
        plate_letters = np.array(list("ABCDEFGHJKLMNPQRSTUVWXYZ"))
        serial = rng.choice(24 * 100000, size=k, replace=False)
        digits = np.char.zfill((serial % 100000).astype(str), 5)
        plates = np.char.add(np.char.add("蒙M", plate_letters[serial // 100000]), digits)
        vf = np.where(registered > d64(self.start), registered, NaT)
        self.frame(
            "ps_vehicles",
            pd.DataFrame(
                {
                    "plate_no": plates,
                    "owner_id_number": p.id_number.to_numpy()[idx],
                    "vehicle_type": types,
                    "registered_on": registered,
                    "purchase_price": np.round(rng.uniform(lo, hi), -2),
                    "status": np.where(rng.random(k) < 0.04, "cancelled", "active"),
                    "_vf": vf,
                    "_vt": NaT,
                }
            ),
        )
        # real estate: heads own their home; some non-assisted own a second or a shop
        heads = np.flatnonzero((p.pos.to_numpy() == 0) & (rng.random(n) < 0.7))
        second = np.flatnonzero((p.pos.to_numpy() == 0) & ~assisted & (age >= 30) & (rng.random(n) < 0.1))
        shop = np.flatnonzero((p.pos.to_numpy() == 0) & ~assisted & (rng.random(n) < 0.02))
        owners = np.concatenate([heads, second, shop])
        use = np.array(
            ["residential"] * (len(heads) + len(second)) + ["commercial"] * len(shop), dtype=object
        )
        m = len(owners)
        reg = random_dates(rng, add_months(self.as_of, -240), self.as_of - timedelta(days=3), m)
        self.frame(
            "nr_real_estate",
            pd.DataFrame(
                {
                    "certificate_no": [
                        f"蒙({str(d)[:4]})阿拉善盟不动产权第{i:07d}号" for i, d in enumerate(reg)
                    ],
                    "owner_id_number": p.id_number.to_numpy()[owners],
                    "property_use": use,
                    "area_sqm": np.round(rng.uniform(40, 140, m), 2),
                    "region_code": p.region_code.to_numpy()[owners],
                    "registered_on": reg,
                    "_vf": np.where(reg > d64(self.start), reg, NaT),
                    "_vt": NaT,
                }
            ),
        )
        # market entities: sole traders (small), companies and cooperatives, never the assisted's companies
        rep = alive & (age >= 22) & (age <= 65)
        sole = np.flatnonzero(rep & (rng.random(n) < np.where(assisted, 0.01, 0.035)))
        company = np.flatnonzero(rep & ~assisted & (rng.random(n) < 0.008))
        coop = np.flatnonzero(rep & ~assisted & rural & (rng.random(n) < 0.006))
        ents = [
            ("sole_trader", sole, "2", (5000, 50000)),
            ("company", company, "1", (100000, 5000000)),
            ("cooperative", coop, "3", (20000, 90000)),
        ]
        rows = []
        alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"
        from stdnum.cn import uscc

        for etype, who, tcode, (clo, chi) in ents:
            for i in who:
                org = "".join(alphabet[j] for j in rng.integers(0, 31, 9))
                body = f"9{tcode}{self._arrays['region'][i][:6]}{org}"
                code = body + uscc.calc_check_digit(body + "0")
                name = {
                    "sole_trader": "个体经营部",
                    "company": "商贸有限公司",
                    "cooperative": "牧民专业合作社",
                }[etype]
                rows.append(
                    (
                        code,
                        f"阿拉善{self._arrays['name'][i]}{name}",
                        self._arrays["id"][i],
                        etype,
                        round(float(rng.uniform(clo, chi)), -2),
                        "cancelled" if rng.random() < 0.05 else "active",
                    )
                )
        biz = pd.DataFrame(
            rows,
            columns=[
                "credit_code",
                "entity_name",
                "legal_rep_id_number",
                "entity_type",
                "registered_capital",
                "status",
            ],
        )
        biz = biz.drop_duplicates("credit_code")
        biz["_vf"] = NaT
        biz["_vt"] = NaT
        self.frame("mr_business", biz)

    # ------------------------------------------------------------------ schooling
    def students(self) -> None:
        """edu_students by school year (stage from age on 1 September); students of
        dibao/tekun/edge households get aid (clean COV-02)."""
        rng, p = self.rng, self.p
        n = len(p)
        birth = p.birth_date.to_numpy()
        alive = ~p.dying.to_numpy()
        eligible_aid = np.isin(p.assisted.to_numpy(), ["dibao", "tekun", "edge"])
        go = rng.random(n)
        track_voc = rng.random(n) < 0.3
        track_ug = rng.random(n) < 0.6
        banners = p.region_code.str[:6].to_numpy()
        school_place = {b: BANNERS[b][0] for b in BANNERS}
        parts = []
        for year in range(self.start.year - 1, self.as_of.year + 1):
            sep1 = np.datetime64(date(year, 9, 1), "D")
            vf, vt = sep1, np.datetime64(date(year + 1, 9, 1), "D")
            if vt <= d64(self.start) or vf > d64(self.as_of):
                continue
            age = ((sep1 - birth).astype("timedelta64[D]").astype(int) / 365.25).astype(int)
            stage = np.full(n, "", dtype=object)
            stage[(age >= 3) & (age <= 5) & (go < 0.85)] = "preschool"
            stage[(age >= 6) & (age <= 11)] = "primary"
            stage[(age >= 12) & (age <= 14)] = "junior"
            upper = (age >= 15) & (age <= 17) & (go < 0.9)
            stage[upper & ~track_voc] = "senior"
            stage[upper & track_voc] = "vocational"
            higher = (age >= 18) & (age <= 21) & (go < 0.5)
            stage[higher & track_ug] = "undergraduate"
            stage[higher & ~track_ug] = "higher_vocational"
            idx = np.flatnonzero((stage != "") & alive)
            st = stage[idx]
            years = {
                "preschool": 3,
                "primary": 6,
                "junior": 3,
                "senior": 3,
                "vocational": 3,
                "higher_vocational": 3,
                "undergraduate": 4,
            }
            enrolled_on = np.array([date(year, 9, 1)] * len(idx), dtype="datetime64[D]")
            first_age = {
                "preschool": 3,
                "primary": 6,
                "junior": 12,
                "senior": 15,
                "vocational": 15,
                "higher_vocational": 18,
                "undergraduate": 18,
            }
            start_year = year - (age[idx] - np.array([first_age[s] for s in st]))
            enrolled_on = np.array([np.datetime64(date(int(y), 9, 1), "D") for y in start_year])
            grad = np.array(
                [
                    np.datetime64(date(int(y) + years[s], 7, 1), "D")
                    for y, s in zip(start_year, st, strict=True)
                ]
            )
            post = np.isin(st, ["senior", "vocational", "higher_vocational", "undergraduate"])
            aid = np.where(
                eligible_aid[idx] & post, 2500.0, np.where(rng.random(len(idx)) < 0.12, 1000.0, 0.0)
            )
            aid = np.where(vf < d64(self.start), aid, aid)
            aid_types = np.where(aid > 0, np.where(post, "国家助学金", "生活补助"), None)
            school = np.array(
                [_school_name(school_place[b], s) for b, s in zip(banners[idx], st, strict=True)]
            )
            parts.append(
                pd.DataFrame(
                    {
                        "id_number": p.id_number.to_numpy()[idx],
                        "school_name": school,
                        "stage": st,
                        "enrolled_on": enrolled_on,
                        "expected_graduation_on": grad,
                        "status": "enrolled",
                        "aid_amount_this_year": aid,
                        "aid_types": aid_types,
                        "_vf": np.maximum(vf, enrolled_on),
                        "_vt": vt,
                    }
                )
            )
        if parts:
            self.frame("edu_students", pd.concat(parts, ignore_index=True))

    # ------------------------------------------------------------------ disability
    def disability(self) -> None:
        """dpf_disability certificates and civil affairs' two disability subsidies.
        clean COV-04: grade 1-2 have the care subsidy, dibao/tekun members the living one;
        clean HRD-02: no edge/rigid/other member holds a certificate."""
        rng, p = self.rng, self.p
        n = len(p)
        age = p.age.to_numpy()
        atype = p.assisted.to_numpy()
        alive = ~p.dying.to_numpy()
        prob = np.where(age >= 60, 0.08, np.where(age >= 18, 0.03, 0.01))
        prob = np.where(np.isin(atype, ["dibao", "tekun"]), prob * 2.5, prob)
        holder = (
            alive
            & (age >= 3)
            & ~np.isin(atype, ["edge", "rigid_expense", "other_low_income"])
            & (rng.random(n) < prob)
        )
        # the covered member of a single-person dibao household is severely disabled
        single_ids = {hh.members[0].person.id_number for hh in self.bg_households if hh.single_person}
        is_single = p.id_number.isin(single_ids).to_numpy()
        holder |= is_single
        idx = np.flatnonzero(holder)
        k = len(idx)
        grade = rng.choice(["1", "2", "3", "4"], size=k, p=[0.12, 0.22, 0.3, 0.36])
        grade = np.where(is_single[idx], "1", grade)
        category = rng.choice(
            ["visual", "hearing", "speech", "physical", "intellectual", "mental", "multiple"],
            size=k,
            p=[0.14, 0.2, 0.03, 0.4, 0.09, 0.1, 0.04],
        )
        issued = random_dates(rng, add_months(self.as_of, -110), self.as_of - timedelta(days=20), k)
        issued = np.maximum(
            issued, p.birth_date.to_numpy()[idx].astype("datetime64[D]") + np.timedelta64(365, "D")
        )
        valid = np.array([np.datetime64(add_months(to_date(x), 120), "D") for x in issued])
        care = np.isin(grade, ["1", "2"])
        living = np.isin(atype[idx], ["dibao", "tekun"]) | (care & (rng.random(k) < 0.3))
        self.frame(
            "dpf_disability",
            pd.DataFrame(
                {
                    "id_number": p.id_number.to_numpy()[idx],
                    "category": category,
                    "grade": grade,
                    "issued_on": issued,
                    "valid_until": valid,
                    "living_subsidy": living,
                    "care_subsidy": care,
                    "_vf": np.where(issued > d64(self.start), issued, NaT),
                    "_vt": NaT,
                }
            ),
        )
        months = self._months(add_months(self.start, -1), self.as_of)
        paid = np.array([np.datetime64(to_date(m) + timedelta(days=14), "D") for m in months])
        parts = []
        for program, mask, amount in (("disability_living", living, 100.0), ("disability_care", care, 120.0)):
            who = idx[mask]
            issued_w = issued[mask]
            ids = np.repeat(p.id_number.to_numpy()[who], len(months))
            pm = np.tile(months, len(who))
            ok = pm > np.repeat(issued_w, len(months))
            parts.append(
                pd.DataFrame(
                    {
                        "payment_id": [
                            f"D{program[11:13].upper()}{i}{str(m)[:7].replace('-', '')}"
                            for i, m in zip(ids[ok], pm[ok], strict=True)
                        ],
                        "pay_month": pm[ok],
                        "household_id": None,
                        "id_number": ids[ok],
                        "program": program,
                        "amount": amount,
                        "paid_on": np.tile(paid, len(who))[ok],
                        "_do": np.tile(paid, len(who))[ok],
                    }
                )
            )
        self.frame("ca_payments", pd.concat(parts, ignore_index=True))

    # ------------------------------------------------------------------ medical
    def medical(self) -> None:
        """mi_settlements (at most one a year each, out-of-pocket far below HRD-01's bar;
        tekun inpatients fully covered: clean COV-03) and mi_enrollment for the general
        population (the assisted members' rows are derived with their households)."""
        rng, p = self.rng, self.p
        n = len(p)
        atype = p.assisted.to_numpy()
        death = p.death_date.to_numpy()
        hospitals = np.array(
            [
                "阿拉善盟中心医院",
                "阿拉善左旗人民医院",
                "额济纳旗人民医院",
                "阿拉善右旗人民医院",
                "阿拉善盟蒙医医院",
                "乌斯太镇卫生院",
            ]
        )
        parts = []
        n_years = int(np.ceil(self.w.months / 12)) + 1
        for y in range(n_years):
            lo = add_months(self.as_of, -12 * (y + 1)) + timedelta(days=1)
            hi = add_months(self.as_of, -12 * y) - timedelta(days=6)
            who = np.flatnonzero(rng.random(n) < 0.22)
            k = len(who)
            settled = random_dates(rng, lo, hi, k)
            ok = (np.isnat(death[who]) | (settled < death[who])) & (p.birth_date.to_numpy()[who] < settled)
            who, settled = who[ok], settled[ok]
            k = len(who)
            visit = rng.choice(["inpatient", "chronic_outpatient", "outpatient"], size=k, p=[0.25, 0.25, 0.5])
            total = np.round(
                np.where(visit == "inpatient", rng.uniform(3000, 30000, k), rng.uniform(80, 3000, k)), 2
            )
            basic = np.round(total * np.where(visit == "outpatient", 0.5, 0.65), 2)
            critical = np.round(np.where(total > 20000, (total - basic) * 0.3, 0.0), 2)
            other = np.zeros(k)
            rest = np.round(total - basic - critical, 2)
            tekun = atype[who] == "tekun"
            dibao = atype[who] == "dibao"
            assistance = np.round(np.where(tekun, rest, np.where(dibao, rest * 0.7, 0.0)), 2)
            # clean HRD-01: out of pocket stays under 9,000 a settlement (two a year < 20,000)
            excess = np.maximum(0.0, np.round(rest - assistance - 9000.0, 2))
            critical = np.round(critical + excess, 2)
            oop = np.round(total - basic - critical - other - assistance, 2)
            oop = np.where(np.abs(oop) < 0.005, 0.0, oop)
            parts.append(
                pd.DataFrame(
                    {
                        "id_number": p.id_number.to_numpy()[who],
                        "settled_on": settled,
                        "visit_type": visit,
                        "hospital_name": hospitals[rng.integers(0, len(hospitals), k)],
                        "total_cost": total,
                        "basic_insurance_paid": basic,
                        "critical_illness_paid": critical,
                        "other_insurance_paid": other,
                        "medical_assistance_paid": assistance,
                        "out_of_pocket": oop,
                        "_do": settled + rng.integers(3, 20, k).astype("timedelta64[D]"),
                    }
                )
            )
        med = pd.concat(parts, ignore_index=True)
        med.insert(0, "settlement_id", [f"YB{15292900000000 + i:014d}" for i in range(len(med))])
        self.frame("mi_settlements", med)
        # enrollment of residents not on an assisted roll (the rolls' rows come with households)
        resident = (atype == "") & (self.status == "") & (rng.random(n) < 0.45)
        parts = []
        for year in range(self.start.year, self.as_of.year + 1):
            jan1 = np.datetime64(date(year, 1, 1), "D")
            ok = resident & (np.isnat(death) | (death >= jan1)) & (p.birth_date.to_numpy() < jan1)
            idx = np.flatnonzero(ok)
            parts.append(
                pd.DataFrame(
                    {
                        "id_number": p.id_number.to_numpy()[idx],
                        "year": year,
                        "enrolled": True,
                        "premium": float(resident_premium(year)),
                        "subsidy_amount": 0.0,
                        "subsidy_category": "none",
                        "_vf": jan1,
                        "_vt": np.datetime64(date(year + 1, 1, 1), "D"),
                    }
                )
            )
        self.frame("mi_enrollment", pd.concat(parts, ignore_index=True))

    # ------------------------------------------------------------------ rural monitoring
    def rural_monitoring(self) -> None:
        """rr_monitoring: risks cleared within 11 months (clean HRD-09); open sudden-hardship
        households are already on a dibao roll (clean HRD-08)."""
        rng, p, w = self.rng, self.p, self.w
        rows = []
        rural_heads = np.flatnonzero(((p.pos == 0) & ~p.urban & (p.assisted == "") & ~p.dying).to_numpy())
        k = min(len(rural_heads), n_scaled(w, 500))
        chosen = rng.choice(rural_heads, size=k, replace=False)
        for i in chosen:
            rows.append(
                (
                    self._arrays["id"][i],
                    self._arrays["region"][i],
                    str(rng.choice(["unstable", "edge"])),
                    False,
                )
            )
        rural_dibao = [
            h
            for h in self.bg_households
            if h.assistance_type == "dibao"
            and h.urban_rural == "rural"
            and h.terminated_on is None
            and h.gradual_exit_start is None
            and h.approved_on < self.start
        ]
        for h in rural_dibao[: n_scaled(w, 60)]:
            rows.append((h.head.id_number, h.region_code, "sudden_hardship", True))
        out = []
        for j, (head, region, cat, on_roll) in enumerate(rows):
            identified = to_date(
                random_dates(rng, add_months(self.as_of, -30), self.as_of - timedelta(days=10), 1)[0]
            )
            if on_roll:  # never cleared: identified within the last 10 months (clean HRD-09)
                identified = to_date(
                    random_dates(rng, add_months(self.as_of, -10), self.as_of - timedelta(days=10), 1)[0]
                )
            clear_after = int(rng.integers(3, 11))
            cleared_on = add_months(identified, clear_after)
            base = {
                "rr_household_id": f"RR{region[:6]}{j:05d}",
                "head_id_number": head,
                "region_code": region,
                "poverty_alleviated": bool(rng.random() < 0.6),
                "category": cat,
                "risk_type": str(
                    rng.choice(
                        ["illness", "disability", "education", "disaster", "accident", "employment", "other"]
                    )
                ),
                "identified_on": identified,
                "per_capita_net_income": float(round(rng.uniform(7000, 16000), 2)),
            }
            if cleared_on <= self.as_of and not on_roll:
                out.append(
                    {**base, "risk_cleared": False, "cleared_on": None, "_vf": identified, "_vt": cleared_on}
                )
                out.append(
                    {**base, "risk_cleared": True, "cleared_on": cleared_on, "_vf": cleared_on, "_vt": None}
                )
            else:
                out.append(
                    {**base, "risk_cleared": False, "cleared_on": None, "_vf": identified, "_vt": None}
                )
        df = pd.DataFrame(out)
        for c in ("_vf", "_vt", "identified_on", "cleared_on"):
            df[c] = pd.to_datetime(df[c])
        self.frame("rr_monitoring", df)

    # ------------------------------------------------------------------ disasters, housing
    def disasters_and_housing(self) -> None:
        """Disasters whose serious victims all get relief (clean HRD-03); housing aid."""
        rng, p, w = self.rng, self.p, self.w
        rural_heads = np.flatnonzero(((p.pos == 0) & ~p.urban & ~p.dying).to_numpy())
        kinds = [
            ("snow", "雪灾"),
            ("sandstorm", "沙尘暴"),
            ("drought", "旱灾"),
            ("hail", "风雹"),
            ("flood", "洪涝"),
        ]
        rows = []
        n_events = max(1, int(w.months / 12 * 3))
        for e in range(n_events):
            kind, zh = kinds[e % len(kinds)]
            occurred = to_date(random_dates(rng, self.start, self.as_of - timedelta(days=25), 1)[0])
            head_townships = p.region_code.to_numpy()[rural_heads].astype("<U9")
            township = str(rng.choice(np.unique(head_townships)))
            local = rural_heads[head_townships == township].tolist()
            k = min(len(local), n_scaled(w, 60, 3))
            for i in rng.choice(local, size=k, replace=False) if local else []:
                damage = str(rng.choice(["none", "minor", "severe", "collapsed"], p=[0.5, 0.3, 0.15, 0.05]))
                loss = round(float(rng.uniform(500, 30000)), 2)
                serious = damage in ("severe", "collapsed") or loss >= 10000
                relief = round(float(rng.uniform(800, 6000)), 2) if serious or rng.random() < 0.6 else 0.0
                rows.append(
                    {
                        "record_id": f"ZH{occurred:%Y%m}{len(rows):06d}",
                        "event_name": f"{occurred.year}年{TOWNSHIPS[township]}{zh}(模拟)",
                        "disaster_type": kind,
                        "occurred_on": occurred,
                        "id_number": self._arrays["id"][i],
                        "region_code": self._arrays["region"][i],
                        "house_damage": damage,
                        "livestock_lost": int(rng.integers(0, 60)),
                        "direct_loss": loss,
                        "relief_amount": relief,
                        "relief_stage": str(rng.choice(["emergency", "transition", "winter_spring"])),
                        "_do": occurred + timedelta(days=int(rng.integers(15, 25))),
                    }
                )
        df = pd.DataFrame(rows)
        for c in ("occurred_on", "_do"):
            df[c] = pd.to_datetime(df[c])
        self.frame("em_disaster_victims", df)
        rows = []
        urban_dibao = [
            h for h in self.bg_households if h.assistance_type == "dibao" and h.urban_rural == "urban"
        ]
        for h in urban_dibao[: max(1, len(urban_dibao) // 5)]:
            q = max(h.approved_on, self.start) + timedelta(days=int(rng.integers(5, 80)))
            while q <= self.as_of - timedelta(days=2) and (h.terminated_on is None or q < h.terminated_on):
                rows.append(
                    {
                        "record_id": f"ZJ{len(rows):07d}",
                        "id_number": h.head.id_number,
                        "region_code": h.region_code,
                        "aid_type": "rent_subsidy",
                        "amount": 1200.0,
                        "granted_on": q,
                        "safety_grade": None,
                        "_do": q + timedelta(days=3),
                    }
                )
                q = add_months(q, 3)
        rural = [h for h in self.bg_households if h.urban_rural == "rural"]
        for h in rural[: max(1, len(rural) // 15)]:
            q = to_date(random_dates(rng, self.start, self.as_of - timedelta(days=10), 1)[0])
            rows.append(
                {
                    "record_id": f"ZJ{len(rows):07d}",
                    "id_number": h.head.id_number,
                    "region_code": h.region_code,
                    "aid_type": "dilapidated_renovation",
                    "amount": float(round(rng.uniform(15000, 35000), -2)),
                    "granted_on": q,
                    "safety_grade": str(rng.choice(["C", "D"])),
                    "_do": q + timedelta(days=5),
                }
            )
        df = pd.DataFrame(rows)
        for c in ("granted_on", "_do"):
            df[c] = pd.to_datetime(df[c])
        self.frame("hc_housing_aid", df)

    # ------------------------------------------------------------------ temporary assistance
    def temporary_assistance(self) -> None:
        """ca_temp_assistance: approved at the level its amount requires (clean REV-07);
        help-first cases complete their paperwork before they are delivered (clean REV-06)."""
        rng, p, w = self.rng, self.p, self.w
        per_month = n_scaled(w, CASELOAD["temporary_cases_per_month"])
        standard = cache(w.standard)
        eligible = np.flatnonzero(((p.age >= 18) & ~p.dying).to_numpy())
        hh_of = {
            m.person.id_number: h.household_id
            for h in self.bg_households
            if h.terminated_on is None
            for m in h.members
        }
        rows = []
        m = add_months(self.start, -1).replace(day=1)
        while m <= self.as_of:
            for _ in range(per_month):
                i = int(rng.choice(eligible))
                applied = m + timedelta(days=int(rng.integers(0, 27)))
                approved = applied + timedelta(days=int(rng.integers(1, 12)))
                r = rng.random()
                if r < 0.9:
                    amount = round(float(rng.uniform(300, 5000)), -1)
                elif r < 0.99:
                    amount = round(float(rng.uniform(5400, 15000)), -1)
                else:
                    amount = round(float(rng.uniform(15100, 30000)), -1)
                limit = float(standard(self._arrays["region"][i][:6], "dibao_urban", approved)) * 5
                level = (
                    "township"
                    if amount <= limit
                    else "banner_civil_affairs"
                    if amount <= 15000
                    else "banner_leading_group"
                )
                prior = bool(rng.random() < 0.15)
                paperwork = approved + timedelta(days=int(rng.integers(3, 25))) if prior else None
                last = paperwork or approved
                rows.append(
                    {
                        "case_id": f"LS{self._arrays['region'][i][:6]}{applied:%Y%m}{len(rows):06d}",
                        "id_number": self._arrays["id"][i],
                        "household_id": hh_of.get(self._arrays["id"][i]),
                        "region_code": self._arrays["region"][i],
                        "case_type": "emergency" if rng.random() < 0.45 else "expense",
                        "cause": str(
                            rng.choice(
                                [
                                    "illness",
                                    "accident",
                                    "disaster",
                                    "public_emergency",
                                    "education",
                                    "living_expense",
                                    "other",
                                ],
                                p=[0.4, 0.15, 0.05, 0.02, 0.13, 0.2, 0.05],
                            )
                        ),
                        "amount": amount,
                        "approval_level": level,
                        "applied_on": applied,
                        "approved_on": approved,
                        "prior_assistance": prior,
                        "paperwork_completed_on": paperwork,
                        "installments": int(rng.choice([1, 1, 1, 2, 3])),
                        "_do": last + timedelta(days=2),
                    }
                )
            m = add_months(m, 1)
        df = pd.DataFrame(rows)
        for c in ("applied_on", "approved_on", "paperwork_completed_on", "_do"):
            df[c] = pd.to_datetime(df[c])
        self.frame("ca_temp_assistance", df)

    # ------------------------------------------------------------------ vagrants, hotline, charity
    def vagrants_hotline_charity(self) -> None:
        rng, w = self.rng, self.w
        months = self._months(add_months(self.start, -1), self.as_of)
        rows = []
        for m in months:
            m = to_date(m)
            for _ in range(n_scaled(w, 4)):
                admitted = m + timedelta(days=int(rng.integers(0, 27)))
                left = admitted + timedelta(days=int(rng.integers(1, 15)))
                confirmed = admitted + timedelta(days=int(rng.integers(0, 3))) if rng.random() < 0.7 else None
                idn = None
                if confirmed:
                    birth = date(
                        int(rng.integers(1950, 2000)), int(rng.integers(1, 13)), int(rng.integers(1, 28))
                    )
                    idn = w.new_id_number(
                        birth, "M" if rng.random() < 0.8 else "F", str(rng.choice(OTHER_COUNTY_CODES))
                    )
                if left > self.as_of:
                    continue  # still at the station: delivered once they leave
                rows.append(
                    {
                        "case_id": f"LL{admitted:%Y%m%d}{len(rows):04d}",
                        "region_code": "152921110001",
                        "admitted_on": admitted,
                        "identity_confirmed_on": confirmed,
                        "id_number": idn,
                        "settled_on": None,
                        "left_on": left,
                        "_do": left,
                    }
                )
        df = pd.DataFrame(
            rows,
            columns=[
                "case_id",
                "region_code",
                "admitted_on",
                "identity_confirmed_on",
                "id_number",
                "settled_on",
                "left_on",
                "_do",
            ],
        )
        for c in ("admitted_on", "identity_confirmed_on", "settled_on", "left_on", "_do"):
            df[c] = pd.to_datetime(df[c])
        self.frame("ca_vagrant_cases", df)
        # hotline: requests closed within 4 days (clean REV-10); an open version is
        # delivered first when the ticket is still open at an extract date
        self.frame("hotline_12345", self._hotline(months))
        # social forces' charity to assisted members
        recipients = [m.person.id_number for h in self.bg_households for m in h.members]
        orgs = [
            ("阿拉善盟慈善总会", "charity"),
            ("巴彦浩特志愿者协会", "volunteer"),
            ("阿拉善某能源有限公司", "enterprise"),
            ("爱心人士", "individual"),
        ]
        rows = []
        for m in months:
            m = to_date(m)
            for _ in range(n_scaled(w, 80)):
                org, otype = orgs[int(rng.integers(len(orgs)))]
                given = m + timedelta(days=int(rng.integers(0, 27)))
                if given > self.as_of:
                    continue
                form = str(rng.choice(["cash", "goods", "service"]))
                rows.append(
                    {
                        "record_id": f"SF{given:%Y%m}{len(rows):06d}",
                        "org_name": org,
                        "org_type": otype,
                        "id_number": recipients[int(rng.integers(len(recipients)))]
                        if recipients
                        else self._arrays["id"][0],
                        "aid_form": form,
                        "value": float(round(rng.uniform(100, 2000), -1)),
                        "given_on": given,
                        "_do": given + timedelta(days=5),
                    }
                )
        df = pd.DataFrame(rows)
        for c in ("given_on", "_do"):
            df[c] = pd.to_datetime(df[c])
        self.frame("sf_charity_aid", df)

    def _hotline(self, months: np.ndarray) -> pd.DataFrame:
        """12345 tickets, vectorised: categories, received/closed times, open versions."""
        rng, p, w = self.rng, self.p, self.w
        callers = np.flatnonzero(((p.age >= 18) & ~p.dying).to_numpy())
        per_month = n_scaled(w, 300)
        n = per_month * len(months)
        cats = np.array(["assistance_request", "inquiry", "complaint"])
        cat = rng.choice(3, size=n, p=[0.3, 0.55, 0.15])
        received = np.repeat(months, per_month).astype("datetime64[m]") + rng.integers(
            0, 27 * 24 * 60, n
        ).astype("timedelta64[m]")
        lo, hi = np.array([2, 1, 24])[cat], np.array([90, 200, 400])[cat]
        closed = received + (rng.integers(lo, hi) * 60).astype("timedelta64[m]")
        who = rng.choice(callers, size=n)
        known = rng.random(n) < 0.7
        summaries = [
            [
                "家中老人生病无力支付医疗费，请求临时救助",
                "失业后生活困难，咨询能否申请低保",
                "冬季取暖困难，请求帮助",
            ],
            ["咨询低保申请条件", "咨询特困人员供养标准", "咨询临时救助办理流程", "咨询医疗救助报销比例"],
            ["反映低保审核时间过长", "反映社区工作人员态度问题"],
        ]
        pick = rng.integers(0, 12, n)
        summary = np.array([summaries[c][k % len(summaries[c])] for c, k in zip(cat, pick, strict=True)])
        received_day = received.astype("datetime64[D]")
        closed_day = closed.astype("datetime64[D]")
        keep = received_day <= d64(self.as_of)
        extracts = np.array(w.extract_dates, dtype="datetime64[D]")
        first_extract = extracts[np.minimum(np.searchsorted(extracts, received_day), len(extracts) - 1)]
        ids = np.array(self._arrays["id"], dtype=object)[who]
        base = pd.DataFrame(
            {
                "ticket_id": [f"12345{str(d).replace('-', '')}{i:05d}" for i, d in enumerate(received_day)],
                "received_at": received.astype("datetime64[s]"),
                "region_code": p.region_code.to_numpy()[who],
                "caller_id_number": np.where(known, ids, None),
                "category": cats[cat],
                "summary": summary,
            }
        )
        open_rows = base[keep & (closed_day > first_extract)].assign(
            closed_at=pd.NaT, outcome=None, _do=received_day[keep & (closed_day > first_extract)]
        )
        done = keep & (closed_day <= d64(self.as_of))
        closed_rows = base[done].assign(
            closed_at=closed[done].astype("datetime64[s]"),
            outcome="已办结，已告知来电人",
            _do=closed_day[done],
        )
        out = pd.concat([open_rows, closed_rows], ignore_index=True)
        out["closed_at"] = pd.to_datetime(out["closed_at"])
        out["_do"] = pd.to_datetime(out["_do"])
        return out

    # ------------------------------------------------------------------ applications
    def applications(self) -> None:
        """Rejected and pending applications (approved ones come with their households);
        pending ones are recent (clean REV-09)."""
        rng, p, w = self.rng, self.p, self.w
        adults = np.flatnonzero(((p.age >= 18) & ~p.dying & (p.assisted == "")).to_numpy())
        rows = []
        n = n_scaled(w, 25 * w.months)
        for _ in range(n):
            i = int(rng.choice(adults))
            applied = to_date(
                random_dates(rng, add_months(self.start, -1), self.as_of - timedelta(days=2), 1)[0]
            )
            decided = applied + timedelta(days=int(rng.integers(15, 40)))
            verified = applied + timedelta(days=int(rng.integers(3, 14)))
            base = {
                "application_id": f"SQ{applied:%Y%m%d}B{len(rows):05d}",
                "applicant_id_number": self._arrays["id"][i],
                "household_id": None,
                "program": str(rng.choice(["dibao", "edge", "temporary", "tekun"], p=[0.5, 0.3, 0.15, 0.05])),
                "region_code": self._arrays["region"][i],
                "channel": str(
                    rng.choice(
                        ["counter", "online", "mobile", "outreach", "hotline"],
                        p=[0.55, 0.15, 0.15, 0.1, 0.05],
                    )
                ),
                "applied_on": applied,
            }
            if decided > self.as_of:
                rows.append(
                    {
                        **base,
                        "verification_completed_on": verified if verified <= self.as_of else None,
                        "decision": "pending",
                        "decided_on": None,
                        "_do": max(applied, verified if verified <= self.as_of else applied),
                    }
                )
            else:
                rows.append(
                    {
                        **base,
                        "verification_completed_on": verified,
                        "decision": "rejected",
                        "decided_on": decided,
                        "_do": decided,
                    }
                )
        df = pd.DataFrame(rows)
        for c in ("applied_on", "verification_completed_on", "decided_on", "_do"):
            df[c] = pd.to_datetime(df[c])
        self.frame("ca_applications", df)


def build_background(world: World) -> Background:
    """Generate the clean background into `world` (before the plants run)."""
    bg = Background(world)
    world.origin = "bg"
    bg.build()
    world.origin = "plant"
    return bg
