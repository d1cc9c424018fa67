"""家庭详情: a household's whole situation from the published warehouse (一户一条救助链).

Why here and not in SQL views: the workspace may not write the warehouse; these are
read-only queries over the marts (`dim_household`, `dim_person`,
`household_roll_history`, `fct_aid`) plus the publish's warnings. A household is an
assisted household (`dim_household`), else a hukou household (its `hukou_no`), else a
ranked household of `household_priority` (e.g. a rural-monitoring household).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import duckdb

from aidwatch.workspace.warehouse import PublishedWarehouse, Snapshot
from exports.published import fetch_dicts


@dataclass
class HouseholdRecord:
    household_id: str
    kind: str  # assisted | hukou | ranked
    facts: dict | None
    members: list[dict]
    roll_history: list[dict]
    aid_events: list[dict]
    warnings: list[dict] = field(default_factory=list)

    @property
    def id_numbers(self) -> list[str]:
        return [m["id_number"] for m in self.members if m.get("id_number")]


def _members(cursor: duckdb.DuckDBPyConnection, household_id: str, kind: str) -> list[dict]:
    column = "assisted_household_id" if kind == "assisted" else "hukou_no"
    return fetch_dicts(
        cursor,
        f"select id_number, name, gender, birth_date, age, hukou_no, is_deceased, death_date, "
        f"disability_category, disability_grade, on_dibao, on_tekun, on_edge, is_student, is_unemployed "
        f"from marts.dim_person where {column} = ? order by birth_date, id_number",
        [household_id],
    )


AID_COLUMNS = "aid_month, aid_date, aid_kind, provider, provider_department, amount, id_number, source_feed"


def load_household(warehouse: PublishedWarehouse, snapshot: Snapshot, household_id: str) -> HouseholdRecord:
    """Everything the household page shows (the caller has checked the scope).

    Memoised per snapshot: a publish never changes, so a household read once is served
    from memory until the next publish (bounded, least recently used dropped first).
    """
    return snapshot.memo(("household", household_id),
                         lambda: _read_household(warehouse, snapshot, household_id))


def _read_household(warehouse: PublishedWarehouse, snapshot: Snapshot, household_id: str) -> HouseholdRecord:
    with warehouse.cursor() as cursor:
        facts = fetch_dicts(cursor, "select * from marts.dim_household where household_id = ?",
                            [household_id])
        if facts:
            kind = "assisted"
        else:
            hukou = cursor.execute(
                "select count(*) from marts.dim_person where hukou_no = ?", [household_id]
            ).fetchone()[0]
            kind = "hukou" if hukou else "ranked"
        members = _members(cursor, household_id, kind) if kind != "ranked" else []
        roll = fetch_dicts(
            cursor,
            "select valid_from, valid_to, is_current, in_roll, assistance_type, dibao_class, status, "
            "urban_rural, region_code from marts.household_roll_history where household_id = ? "
            "order by valid_from desc",
            [household_id],
        )
        ids = [m["id_number"] for m in members if m.get("id_number")]
        # Two selective scans joined by UNION ALL: an OR across the two columns scans fct_aid whole.
        aid = fetch_dicts(
            cursor,
            f"select * from (select {AID_COLUMNS} from marts.fct_aid where household_id = ? "
            f"union all select {AID_COLUMNS} from marts.fct_aid "
            f"where id_number in (select unnest(?)) and household_id is distinct from ?) "
            "order by aid_month desc, aid_date desc, provider, aid_kind",
            [household_id, ids, household_id],
        )
    id_set = set(ids)
    warnings = [
        row for row in snapshot.warnings
        if row.get("household_id") == household_id
        or (row.get("subject_type") == "household" and row.get("subject_key") == household_id)
        or (row.get("id_number") in id_set)
    ]
    return HouseholdRecord(household_id, kind, facts[0] if facts else None, members, roll, aid, warnings)


def aid_chain(aid_events: list[dict]) -> list[dict]:
    """The aid events grouped by month (newest first): one row per month with its events and total."""
    months: dict[str, dict] = {}
    for event in aid_events:
        month = str(event.get("aid_month") or "")[:7]
        entry = months.setdefault(month, {"month": month, "events": [], "total": 0})
        entry["events"].append(event)
        entry["total"] += float(event.get("amount") or 0)
    return list(months.values())
