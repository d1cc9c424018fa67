"""Reading the published warehouse for exports, read-only.

Why read-only and only the published file: the build writes `warehouse.next.duckdb`
and renames it over `warehouse.duckdb`; an export that opens the published file
read-only never blocks a build and always sees one whole, tested warehouse.

The marts are built by other parts concurrently; where a column name is not fixed
by docs/design.md (priority rank, region names, indicator columns) the reader looks
the columns up instead of assuming them.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date
from typing import Any

import duckdb

from aidwatch.feedback.published import status_join
from aidwatch.home import Home

log = logging.getLogger(__name__)

LEAGUE_CODE = "152900"
LEAGUE_NAME = "阿拉善盟"


class WarehouseMissing(FileNotFoundError):
    """The published warehouse does not exist yet (run `aidwatch build` first)."""


@dataclass(frozen=True)
class Area:
    """An area that receives its own warning list: the league, a banner or a township."""

    level: str  # league | banner | township
    code: str  # 6 digits (league, banner) or 9 (township)
    name: str
    banner_code: str | None = None

    @property
    def label(self) -> str:
        return f"{self.code}_{self.name}"


def open_published(home: Home) -> duckdb.DuckDBPyConnection:
    """The published warehouse, opened read-only."""
    path = home.warehouse
    if not path.exists():
        raise WarehouseMissing(f"{path}: no published warehouse; run `aidwatch build` first")
    return duckdb.connect(str(path), read_only=True)


def table_columns(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> list[str]:
    rows = con.execute(
        "select column_name from information_schema.columns "
        "where table_schema = ? and table_name = ? order by ordinal_position",
        [schema, table],
    ).fetchall()
    return [row[0] for row in rows]


def tables_like(con: duckdb.DuckDBPyConnection, schema: str, prefix: str) -> list[str]:
    rows = con.execute(
        "select table_name from information_schema.tables where table_schema = ? "
        "and starts_with(table_name, ?) order by table_name",
        [schema, prefix],
    ).fetchall()
    return [row[0] for row in rows]


def first_present(columns: list[str], candidates: tuple[str, ...]) -> str | None:
    for candidate in candidates:
        if candidate in columns:
            return candidate
    return None


def fetch_dicts(con: duckdb.DuckDBPyConnection, sql: str, params: list[Any] | None = None) -> list[dict]:
    cursor = con.execute(sql, params or [])
    names = [column[0] for column in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def published_as_of(con: duckdb.DuckDBPyConnection) -> date | None:
    """The as_of the published warehouse was built for (a run may raise no warning at all)."""
    for table in ("build_info", "warnings"):  # not warning_runs: a replayed earlier day keeps later runs
        if "as_of" in table_columns(con, "marts", table):
            row = con.execute(f"select max(as_of) from marts.{table}").fetchone()
            if row and row[0] is not None:
                return row[0]
    return None


def region_names(con: duckdb.DuckDBPyConnection) -> dict[str, tuple[str, str]]:
    """Region code (as stored, and shortened to its level's length) -> (level, name)."""
    columns = table_columns(con, "marts", "dim_region")
    code = first_present(columns, ("region_code", "code"))
    name = first_present(columns, ("region_name", "name_zh", "name"))
    level = first_present(columns, ("region_level", "level"))
    if not (code and name):
        log.warning("marts.dim_region has no code/name columns (%s); areas named by code", columns)
        return {}
    level_sql = level if level else "null"
    result: dict[str, tuple[str, str]] = {}
    for row_code, row_name, row_level in con.execute(
        f"select {code}, {name}, {level_sql} from marts.dim_region"
    ).fetchall():
        if row_code is None:
            continue
        code_text = str(row_code)
        lvl = str(row_level) if row_level else level_of_code(code_text)
        result[code_text] = (lvl, str(row_name))
        short = code_text[: CODE_LENGTH.get(lvl, len(code_text))]
        result.setdefault(short, (lvl, str(row_name)))
    return result


CODE_LENGTH = {"league": 6, "banner": 6, "zone": 6, "township": 9, "village": 12}


def level_of_code(code: str) -> str:
    """A region's level from its code alone (12-digit codes right-padded with zeros)."""
    stripped = code.rstrip("0")
    if code.startswith(LEAGUE_CODE[:4]) and len(stripped) <= 4:
        return "league"
    if len(stripped) <= 6:
        return "banner"
    if len(stripped) <= 9:
        return "township"
    return "village"


def load_areas(con: duckdb.DuckDBPyConnection, warnings: list[dict]) -> list[Area]:
    """League, then every banner, then every township: from dim_region and the warnings."""
    names = region_names(con)
    banners: dict[str, str] = {}
    townships: dict[str, tuple[str, str]] = {}
    for code, (level, name) in names.items():
        if level in ("banner", "zone") and len(code) == 6:
            banners[code] = name
        elif level == "township" and len(code) == 9:
            townships[code] = (name, code[:6])
    for row in warnings:
        banner, township = row.get("banner_code"), row.get("township_code")
        if banner and banner not in banners:
            banners[banner] = names.get(banner, ("banner", banner))[1]
        if township and township not in townships:
            townships[township] = (names.get(township, ("township", township))[1], township[:6])
    league_name = names.get(LEAGUE_CODE, ("league", LEAGUE_NAME))[1]
    areas = [Area("league", LEAGUE_CODE, league_name)]
    areas += [Area("banner", code, banners[code], code) for code in sorted(banners)]
    areas += [Area("township", code, name, banner) for code, (name, banner) in sorted(townships.items())]
    return areas


PERSON_COLUMNS = ("name", "assisted_household_id", "hukou_no")


def person_columns(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Which of the person's name and home households dim_person offers (joined as `p`)."""
    columns = table_columns(con, "marts", "dim_person")
    return [c for c in PERSON_COLUMNS if c in columns] if "id_number" in columns else []


def person_join(con: duckdb.DuckDBPyConnection, wanted: list[str]) -> tuple[list[str], str]:
    """(select expressions, join clause): the person's name and home households from dim_person.

    The assisted household counts only while it is assisted (dim_household.is_assisted),
    as the warnings engine places a person: a terminated household is no home.
    """
    if not wanted:
        return ["cast(null as varchar) as person_name"], ""
    aggregates = ", ".join(f"min(dp.{c}) as {c}" for c in wanted)
    households = ""
    if "assisted_household_id" in wanted and {"household_id", "is_assisted"} <= set(
        table_columns(con, "marts", "dim_household")
    ):
        aggregates = aggregates.replace(
            "min(dp.assisted_household_id)", "min(case when dh.is_assisted then dp.assisted_household_id end)"
        )
        households = "left join marts.dim_household dh on dh.household_id = dp.assisted_household_id "
    selects = [f"p.{c}" + (" as person_name" if c == "name" else f" as person_{c}") for c in wanted]
    if "name" not in wanted:
        selects.append("cast(null as varchar) as person_name")
    return selects, (
        f"left join (select dp.id_number, {aggregates} from marts.dim_person dp {households}"
        "group by dp.id_number) p on p.id_number = w.id_number"
    )


def priority_join(con: duckdb.DuckDBPyConnection, from_person: list[str]) -> tuple[str, str]:
    """(select expression, join clauses) for the household priority rank, if that mart exists.

    marts.household_priority ranks households (`household_key`: an assisted
    household id, a hukou number or a rural-monitoring household id). A warning
    belongs to its subject household; else to the first of its assisted household,
    the person's assisted household and the person's hukou household that is
    ranked (dim_person may name a household that is no longer assisted, which the
    priority model skips; a household with open warnings is always ranked).
    """
    columns = table_columns(con, "marts", "household_priority")
    if not {"priority_rank", "household_key"} <= set(columns):
        log.warning("marts.household_priority missing or without priority_rank/household_key; "
                    "lists ordered by severity")
        return "cast(null as integer) as priority_rank", ""
    homes = [f"p.{column}" for column in ("assisted_household_id", "hukou_no") if column in from_person]
    candidates = ["w.household_id", *homes]
    ranks = (
        "(select household_key, min(priority_rank) as priority_rank "
        "from marts.household_priority group by household_key)"
    )
    joins = [f"left join {ranks} hp_subject on w.subject_type = 'household' "
             "and hp_subject.household_key = w.subject_key"]
    for index, candidate in enumerate(candidates):
        joins.append(f"left join {ranks} hp_{index} on hp_{index}.household_key = {candidate}")
    ranked = ", ".join(f"hp_{index}.priority_rank" for index in range(len(candidates)))
    expression = (
        "case when w.subject_type = 'household' then hp_subject.priority_rank "
        f"else coalesce({ranked}) end as priority_rank"
    )
    return expression, "\n".join(joins)


def load_warnings(con: duckdb.DuckDBPyConnection) -> list[dict]:
    """Every row of marts.warnings with the person's name, ordered for officials.

    Order: household priority rank (households without one last), then severity
    (high first), then days open (longest first); ties by rule and warning key so
    the order is the same on every run.
    """
    from_person = person_columns(con)
    person_selects, person_clause = person_join(con, from_person)
    rank_select, rank_join = priority_join(con, from_person)
    status_replace, status_selects, status_clause = status_join(con)  # feedback (issue 16)
    sql = f"""
        select w.*{status_replace}, {', '.join(person_selects)}, {rank_select}, {status_selects}
        from marts.warnings w
        {person_clause}
        {rank_join}
        {status_clause}
        order by
            priority_rank asc nulls last,
            case w.severity when 'high' then 0 when 'medium' then 1 when 'low' then 2 else 3 end,
            w.days_open desc nulls last,
            w.rule_id, w.warning_key
    """
    return fetch_dicts(con, sql)


def load_rule_names(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """rule_id -> Chinese name, from this run's warnings and earlier runs (a rule may be gone now)."""
    sources = ["select rule_id, rule_name_zh from marts.warnings"]
    if {"rule_id", "rule_name_zh"} <= set(table_columns(con, "marts", "warning_history")):
        sources.append("select rule_id, rule_name_zh from marts.warning_history")
    rows = con.execute(
        f"select rule_id, max(rule_name_zh) from ({' union all '.join(sources)}) group by rule_id"
    ).fetchall()
    return {rule: name or "" for rule, name in rows}


def history_runs_sql(con: duckdb.DuckDBPyConnection) -> str | None:
    """SQL listing every run's as_of (warning_runs keeps runs that raised no warning)."""
    history = set(table_columns(con, "marts", "warning_history"))
    if not {"as_of", "warning_key"} <= history:
        return None
    if "as_of" in table_columns(con, "marts", "warning_runs"):
        return "select as_of from marts.warning_runs union select distinct as_of from marts.warning_history"
    return "select distinct as_of from marts.warning_history"


def load_history_counts(con: duckdb.DuckDBPyConnection, as_of: date) -> list[dict]:
    """Per run up to `as_of`: warnings new, continuing and resolved compared with the run before.

    warning_history holds the warnings seen in each run; a warning is new in a run
    when the run before did not see it, resolved when the run before saw it and
    this one does not.
    """
    runs = history_runs_sql(con)
    if runs is None:
        return []
    return fetch_dicts(
        con,
        f"""
        with runs as (
            select as_of, lag(as_of) over (order by as_of) as previous_as_of from ({runs})
        ),
        seen as (select distinct as_of, warning_key from marts.warning_history)
        select
            runs.as_of,
            (select count(*) from seen s where s.as_of = runs.as_of and not exists (
                select 1 from seen p where p.as_of = runs.previous_as_of and p.warning_key = s.warning_key
            )) as new_count,
            (select count(*) from seen s where s.as_of = runs.as_of and exists (
                select 1 from seen p where p.as_of = runs.previous_as_of and p.warning_key = s.warning_key
            )) as open_count,
            (select count(*) from seen p where p.as_of = runs.previous_as_of and not exists (
                select 1 from seen s where s.as_of = runs.as_of and s.warning_key = p.warning_key
            )) as resolved_count
        from runs
        where runs.as_of <= ?
        order by runs.as_of
        """,
        [as_of],
    )


def load_history_rows(con: duckdb.DuckDBPyConnection, as_of: date) -> list[dict]:
    """The warnings seen by the latest run before `as_of` (for the change since then).

    Rows carry rule_id, severity, banner and township (from the region code, as the
    warnings model places them) and status `open`, so they count like open warnings.
    """
    columns = set(table_columns(con, "marts", "warning_history"))
    if not {"as_of", "rule_id", "severity", "region_code"} <= columns:
        return []
    return fetch_dicts(
        con,
        """
        select rule_id, severity, substr(region_code, 1, 6) as banner_code,
               case when length(region_code) >= 9 then substr(region_code, 1, 9) end as township_code,
               'open' as status, as_of
        from marts.warning_history
        where as_of = (select max(as_of) from marts.warning_history where as_of < ?)
        """,
        [as_of],
    )
