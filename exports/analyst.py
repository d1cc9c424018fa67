"""The `analyst` schema: the marts with ID numbers pseudonymised and names masked.

Why: analysts need to count, join and follow people across runs, not to know who
they are (PIPL art. 28, 51). Every column that holds an ID number becomes a keyed
HMAC-SHA256 pseudonym: the same person gets the same pseudonym in every table and
every run (as long as the key stays), and without the key nobody can go back from
it, not even by trying every plausible ID. Names are masked (`张*三`).

DuckDB has no HMAC function, so the pseudonyms are computed here in Python into
`pseudonymisation.id_map`, a schema analysts are not pointed at; the views join it
and expose only the pseudonym. The key never enters the warehouse: it comes from
`$AIDWATCH_PSEUDONYM_KEY` or an owner-only key file outside it. Without a key no
view is created (a default key would make every pseudonym reversible).

The build calls `create_analyst_schema` on `warehouse.next.duckdb` after dbt
succeeds and before it is published.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import secrets
import stat
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pyarrow as pa

from aidwatch.home import Home

log = logging.getLogger(__name__)

KEY_ENV = "AIDWATCH_PSEUDONYM_KEY"
SOURCE_SCHEMA = "marts"
ANALYST_SCHEMA = "analyst"
MAPPING_SCHEMA = "pseudonymisation"
PSEUDONYM_PREFIX = "P"
PSEUDONYM_HEX = 24  # 96 bits: no collision among millions of people
ID_REGEX = r"[0-9]{17}[0-9Xx]"
# Keys derived from an ID number (warning_key hashes rule_id and subject_key, which may
# be an ID): an unkeyed hash of a guessable ID is reversible, so these are re-keyed too.
DERIVED_KEY_COLUMNS = ("warning_key",)
TEXT_TYPES = ("VARCHAR",)


class KeyFileTooOpen(PermissionError):
    """The key file can be read by users other than its owner."""


def load_key(home: Home) -> bytes | None:
    """The pseudonym key: `$AIDWATCH_PSEUDONYM_KEY`, else `Home.pseudonym_key_file`, else None.

    A key file readable by group or others is refused: the key is what keeps the
    pseudonyms from being reversed.
    """
    from_env = os.environ.get(KEY_ENV, "").strip()
    if from_env:
        return from_env.encode("utf-8")
    path = home.pseudonym_key_file
    if not path.exists():
        return None
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise KeyFileTooOpen(f"{path}: permissions {mode:o}; the key file must be owner-only (chmod 600)")
    key = path.read_bytes().strip()
    return key or None


def ensure_demo_key(home: Home) -> Path:
    """Create a random key file for the demo (0600, in a 0700 folder) unless one exists."""
    path = home.pseudonym_key_file
    path.parent.mkdir(parents=True, exist_ok=True)
    os.chmod(path.parent, 0o700)
    if not path.exists():
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w", encoding="ascii") as handle:
            handle.write(secrets.token_hex(32) + "\n")
    os.chmod(path, 0o600)
    return path


def pseudonym(key: bytes, value: str) -> str:
    """Keyed HMAC-SHA256 of an ID number (or a key derived from one), shortened."""
    digest = hmac.new(key, value.encode("utf-8"), hashlib.sha256).hexdigest()
    return PSEUDONYM_PREFIX + digest[:PSEUDONYM_HEX]


@dataclass
class TablePlan:
    """How each column of one mart appears in its analyst view."""

    table: str
    columns: list[str]
    id_columns: list[str] = field(default_factory=list)  # values replaced by pseudonyms
    id_list_columns: list[str] = field(default_factory=list)  # space-separated IDs, each replaced
    key_columns: list[str] = field(default_factory=list)  # derived keys, re-keyed
    name_columns: list[str] = field(default_factory=list)  # masked
    text_with_ids: list[str] = field(default_factory=list)  # IDs inside text masked


def quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def mart_tables(con: duckdb.DuckDBPyConnection) -> list[str]:
    rows = con.execute(
        "select table_name from information_schema.tables where table_schema = ? order by table_name",
        [SOURCE_SCHEMA],
    ).fetchall()
    return [row[0] for row in rows]


def is_name_column(column: str) -> bool:
    """A column that may hold a person's name: `name`, `head_name`, ... (not `rule_name_zh`)."""
    return column == "name" or column.endswith("_name")


def plan_table(con: duckdb.DuckDBPyConnection, table: str, person_names: str | None) -> TablePlan:
    """Find the columns holding IDs, names and IDs inside text, from their names and their data.

    A column holds ID numbers when its name says so (`*id_number*`) or when any of
    its values is one (e.g. `subject_key` of person warnings); one scan per table.
    """
    described = con.execute(
        "select column_name, data_type from information_schema.columns "
        "where table_schema = ? and table_name = ? order by ordinal_position",
        [SOURCE_SCHEMA, table],
    ).fetchall()
    plan = TablePlan(table=table, columns=[name for name, _ in described])
    text_columns = [name for name, kind in described if kind in TEXT_TYPES]
    if not text_columns:
        return plan
    probes = []
    for column in text_columns:
        probes.append(f"coalesce(bool_or(regexp_full_match({quote(column)}, '{ID_REGEX}')), false)")
        probes.append(f"coalesce(bool_or(regexp_matches({quote(column)}, '{ID_REGEX}')), false)")
        probes.append(f"coalesce(bool_or(regexp_matches({quote(column)}, '{ID_REGEX} +{ID_REGEX}')), false)")
    found = con.execute(f"select {', '.join(probes)} from {SOURCE_SCHEMA}.{quote(table)}").fetchone()
    for index, column in enumerate(text_columns):
        whole_id, contains_id, several_ids = found[3 * index : 3 * index + 3]
        if "id_number" in column and several_ids:
            plan.id_list_columns.append(column)  # e.g. dim_household.member_id_numbers
        elif "id_number" in column or whole_id:
            plan.id_columns.append(column)
        elif column in DERIVED_KEY_COLUMNS:
            plan.key_columns.append(column)
        elif is_name_column(column) and holds_person_names(con, table, column, person_names):
            plan.name_columns.append(column)
        elif contains_id:
            plan.text_with_ids.append(column)
    return plan


def holds_person_names(
    con: duckdb.DuckDBPyConnection, table: str, column: str, person_names: str | None
) -> bool:
    """Whether any value of the column is a person's name (dim_person); without dim_person, assume so."""
    if person_names is None:
        return True
    row = con.execute(
        f"select exists (select 1 from {SOURCE_SCHEMA}.{quote(table)} t "
        f"where t.{quote(column)} in (select name from {person_names}))"
    ).fetchone()
    return bool(row and row[0])


def masked_name_sql(expression: str) -> str:
    """The SQL twin of `exports.masking.mask_name`."""
    return (
        f"case when {expression} is null then null "
        f"when length({expression}) <= 1 then '*' "
        f"when length({expression}) = 2 then left({expression}, 1) || '*' "
        f"else left({expression}, 1) || '*' || right({expression}, 1) end"
    )


def masked_id_sql(expression: str) -> str:
    """The SQL twin of `exports.masking.mask_id_number` (only for values missing from the map)."""
    return f"left({expression}, 4) || '**********' || upper(right({expression}, 4))"


def masked_ids_in_text_sql(expression: str) -> str:
    """The SQL twin of `exports.masking.mask_ids_in_text`: every 18-digit run masked."""
    pattern = "([0-9]{4})[0-9]{10}([0-9]{3}[0-9Xx])"
    return f"regexp_replace({expression}, '{pattern}', '\\1**********\\2', 'g')"


def pseudonymised_list_sql(expression: str) -> str:
    """Each item of a space-separated list of IDs replaced by its pseudonym, order kept."""
    return (
        f"(select string_agg(coalesce(lm.pseudonym, case when regexp_full_match(items.item, '{ID_REGEX}') "
        f"then {masked_id_sql('items.item')} else items.item end), ' ' order by items.position) "
        f"from (select unnest(string_split({expression}, ' ')) as item, "
        f"generate_subscripts(string_split({expression}, ' '), 1) as position) items "
        f"left join {MAPPING_SCHEMA}.id_map lm on lm.original = items.item)"
    )


def view_sql(plan: TablePlan, catalog: str) -> str:
    """CREATE VIEW for one mart: pseudonyms joined in, names and embedded IDs masked.

    The new view's name is qualified with the catalog (a file named like a schema,
    `analyst.duckdb`, would make `analyst.x` ambiguous); its body is not, because
    the file is built as `warehouse.next.duckdb` and read as `warehouse.duckdb`.
    """
    selects, joins = [], []
    for column in plan.columns:
        source = f"t.{quote(column)}"
        if column in plan.id_columns or column in plan.key_columns:
            alias = f"m{len(joins)}"
            mapping = "id_map" if column in plan.id_columns else "key_map"
            joins.append(
                f"left join {MAPPING_SCHEMA}.{mapping} {alias} on {alias}.original = {source}"
            )
            fallback = source
            if column in plan.id_columns and "id_number" in column:
                fallback = masked_id_sql(source)
            elif column in plan.id_columns:  # mixed keys (subject_key, source_key): mask IDs inside
                fallback = masked_ids_in_text_sql(source)
            selects.append(f"coalesce({alias}.pseudonym, {fallback}) as {quote(column)}")
        elif column in plan.id_list_columns:
            selects.append(f"{pseudonymised_list_sql(source)} as {quote(column)}")
        elif column in plan.name_columns:
            selects.append(f"{masked_name_sql(source)} as {quote(column)}")
        elif column in plan.text_with_ids:
            selects.append(f"{masked_ids_in_text_sql(source)} as {quote(column)}")
        else:
            selects.append(f"{source} as {quote(column)}")
    return (
        f"create view {quote(catalog)}.{ANALYST_SCHEMA}.{quote(plan.table)} as select "
        + ", ".join(selects)
        + f" from {SOURCE_SCHEMA}.{quote(plan.table)} t "
        + " ".join(joins)
    )


def distinct_values(con: duckdb.DuckDBPyConnection, plans: list[TablePlan], attribute: str) -> set[str]:
    """Every distinct value to pseudonymise: of ID columns, of mixed key columns only the IDs."""
    values: set[str] = set()
    for plan in plans:
        for column in getattr(plan, attribute):
            only_ids = attribute == "id_columns" and "id_number" not in column
            shape = f" and regexp_full_match({quote(column)}, '{ID_REGEX}')" if only_ids else ""
            rows = con.execute(
                f"select distinct {quote(column)} from {SOURCE_SCHEMA}.{quote(plan.table)} "
                f"where {quote(column)} is not null{shape}"
            ).fetchall()
            values.update(row[0] for row in rows)
        if attribute == "id_columns":
            for column in plan.id_list_columns:
                rows = con.execute(
                    f"select distinct unnest(regexp_extract_all({quote(column)}, '{ID_REGEX}')) "
                    f"from {SOURCE_SCHEMA}.{quote(plan.table)}"
                ).fetchall()
                values.update(row[0] for row in rows if row[0] is not None)
    return values


def write_map(con: duckdb.DuckDBPyConnection, name: str, key: bytes, values: set[str]) -> None:
    ordered = sorted(values)
    mapping = pa.table({"original": ordered, "pseudonym": [pseudonym(key, value) for value in ordered]})
    con.register("pseudonym_rows", mapping)
    try:
        con.execute(
            f"create table {MAPPING_SCHEMA}.{name} (original varchar primary key, pseudonym varchar not null)"
        )
        con.execute(f"insert into {MAPPING_SCHEMA}.{name} select original, pseudonym from pseudonym_rows")
    finally:
        con.unregister("pseudonym_rows")


def create_analyst_schema(con: duckdb.DuckDBPyConnection, home: Home) -> bool:
    """(Re)create `analyst.<mart>` views for every mart; False (and a warning) without a key."""
    try:
        key = load_key(home)
    except KeyFileTooOpen as error:
        log.warning("analyst views not created: %s", error)
        return False
    if key is None:
        log.warning(
            "analyst views not created: no pseudonym key (set %s or create %s with mode 0600)",
            KEY_ENV,
            home.pseudonym_key_file,
        )
        return False
    catalog = con.execute("select current_database()").fetchone()[0]
    tables = mart_tables(con)
    person_names = f"{SOURCE_SCHEMA}.dim_person" if "dim_person" in tables else None
    if person_names and "name" not in [
        row[0]
        for row in con.execute(
            "select column_name from information_schema.columns where table_schema = ? and table_name = ?",
            [SOURCE_SCHEMA, "dim_person"],
        ).fetchall()
    ]:
        person_names = None
    plans = [plan_table(con, table, person_names) for table in tables]
    con.execute("begin transaction")
    try:
        con.execute(f"drop schema if exists {ANALYST_SCHEMA} cascade")
        con.execute(f"drop schema if exists {MAPPING_SCHEMA} cascade")
        con.execute(f"create schema {MAPPING_SCHEMA}")
        con.execute(f"create schema {ANALYST_SCHEMA}")
        write_map(con, "id_map", key, distinct_values(con, plans, "id_columns"))
        write_map(con, "key_map", key, distinct_values(con, plans, "key_columns"))
        for plan in plans:
            con.execute(view_sql(plan, catalog))
        con.execute("commit")
    except Exception:
        con.execute("rollback")
        raise
    log.info(
        "analyst schema: %d views; pseudonymised %s",
        len(plans),
        {plan.table: plan.id_columns for plan in plans if plan.id_columns},
    )
    return True
