"""The analyst file `HOME/analyst.duckdb`: the marts, with no way back to a person.

Why a separate file: analysts need to count, join and follow people across runs,
not to know who they are (PIPL art. 28, 51). When their tables lived beside `marts`
and the pseudonym map in the warehouse, one join gave back the full ID and name.
This file is written from the published warehouse after each publish and holds
only tables computed here: no `marts`, no map, no views into anything else.

What happens to each column (one rule per kind of value, decided from the column's
name and, where the name cannot say, from its data):

- person keys (`*id_number*`, `*hukou_no*`, space-separated lists of them) become a
  keyed pseudonym, `P` + 24 base32 characters of HMAC-SHA256(key, value), item by item. The same
  value gets the same pseudonym in every table and every run while the key stays, so
  tables join as before (`fct_aid.id_number = dim_person.id_number`);
- key columns that hold a person key or an ID inside (`subject_key`, `source_key`,
  `household_key` ...) get the pseudonym of the whole value; their other values
  (household ids, region codes) stay, so the joins on them still work;
- keys that are an unkeyed hash of something (`history_key` ...) are re-keyed: an md5
  of an 18-digit ID with a known region prefix and check digit is reversed by trying
  every ID, so it may be an ID in disguise. `warning_key` is the exception (SHARED_KEYS):
  the warehouse salts it with its own secret (`intermediate.warning_key_salt`), so it
  cannot be reversed, and it stays as it is so that analysts, officials' lists and the
  workspace speak of a warning by the same key;
- 18- and 15-digit IDs and person keys quoted inside text (evidence JSON) are replaced
  by their pseudonyms; names of people are masked (`张*三`);
- `dim_person` drops its quasi-identifiers: birth date, exact age and village become
  an age band and the township (see `PERSON_GENERALISED`), measured by `measure_risk`;
  where the population is too small for that, the township goes too (banner stays).

DuckDB has no HMAC, so the pseudonyms come from Python functions registered on the
writing connection only; the key never enters a file. It comes from
`$AIDWATCH_PSEUDONYM_KEY` or the owner-only key file `HOME/secrets/pseudonym.key`;
without one no analyst file is published and an earlier one is removed (a default
key would make every pseudonym reversible).
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import logging
import os
import re
import secrets
import shutil
import stat
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from aidwatch.duckdb_memory import connect_capped, remove_database
from aidwatch.home import Home
from aidwatch.permissions import GROUP_FILE, PRIVATE_DIR, PRIVATE_FILE, open_parents_to_group

log = logging.getLogger(__name__)

KEY_ENV = "AIDWATCH_PSEUDONYM_KEY"
#: Folder the deployment hands the analyst file to analysts in (docs/deploy.md); unset: HOME only.
ANALYST_DIR_ENV = "AIDWATCH_ANALYST_DIR"
SOURCE_CATALOG = "published"
SOURCE_SCHEMA = "marts"
#: Schemas earlier versions kept inside the warehouse; a build removes them from its copy.
RETIRED_SCHEMAS = ("analyst", "pseudonymisation")
PSEUDONYM_PREFIX = "P"
PSEUDONYM_BYTES = 15  # 120 bits, 24 base32 characters: no collision among millions of people
#: A run of 15 or more digits: an 18- or 15-digit ID, alone or inside a longer key (`DCA<id><yyyymm>`).
ID_PATTERN = r"[0-9]{15,}[Xx]?"
ID_SQL_PATTERN = r"[0-9]{15}"
#: Letters and digits only (an ID, a hukou number, a record key): one item to Python's
#: `str.split` and to SQL alike, so the SQL rules take it and Python takes the rest.
PLAIN_VALUE = "[0-9A-Za-z]+"
PERSON_KEY_MARKERS = ("id_number", "hukou_no")
UNKEYED_HASH = re.compile(r"[0-9a-f]{32}")
#: Hash keys salted in the warehouse (not reversible) and shared with exports and the workspace.
SHARED_KEYS = frozenset({"warning_key"})
TOKEN = re.compile(r"[A-Za-z0-9_-]+")
#: Upper ends (inclusive) of the age bands, on the thresholds the rules use (16, 18, 60).
AGE_BAND_ENDS = (15, 17, 29, 39, 49, 59, 69, 79)
#: The share of persons unique on a quasi-identifier set that a publish may keep silently.
RISK_LIMIT = 0.05


class PseudonymKeyMissing(RuntimeError):
    """No usable pseudonym key: no analyst file can be published."""


class KeyFileTooOpen(PseudonymKeyMissing, PermissionError):
    """The key file can be read by users other than its owner."""


def missing_key_message(home: Home) -> str:
    return (f"no analyst file published (and any earlier {home.analyst_file} removed): no pseudonym key; "
            f"set ${KEY_ENV} or create {home.pseudonym_key_file} with mode 0600")


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


def require_key(home: Home) -> bytes:
    """The key, or PseudonymKeyMissing naming both places a key may come from."""
    key = load_key(home)
    if key is None:
        raise PseudonymKeyMissing(missing_key_message(home))
    return key


def ensure_demo_key(home: Home) -> Path:
    """Create a random key file for the demo (0600, in a 0700 folder) unless one exists."""
    path = home.pseudonym_key_file
    path.parent.mkdir(parents=True, exist_ok=True)
    os.chmod(path.parent, PRIVATE_DIR)
    if not path.exists():
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE)
        with os.fdopen(descriptor, "w", encoding="ascii") as handle:
            handle.write(secrets.token_hex(32) + "\n")
    os.chmod(path, PRIVATE_FILE)
    return path


def pseudonym(key: bytes, value: str) -> str:
    """Keyed HMAC-SHA256 of a person key (or a value holding one): `P` + 24 base32 characters.

    Base32 (a-z, 2-7), not hex: 1 % of 24-hex strings hold a run of 15 digits, which
    looks like an ID to every scan; here such a run has a chance of about 1e-11.
    """
    digest = hmac.digest(key, value.encode("utf-8"), hashlib.sha256)
    return PSEUDONYM_PREFIX + base64.b32encode(digest[:PSEUDONYM_BYTES]).decode("ascii").lower()


def quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def literal(text: str) -> str:
    """A SQL string literal."""
    return "'" + text.replace("'", "''") + "'"


@dataclass
class Pseudonymiser:
    """The value-level rules, as Python functions DuckDB calls chunk by chunk (Arrow).

    The rules here take what SQL does not (`register`): lists of keys and text. Each
    pseudonym computed here is remembered (`_known`), as lists and texts name the same
    people again; on this connection's process only, gone with the publish.
    """

    key: bytes
    person_key_values: pa.Array  # every value of a person-key column (IDs, hukou numbers)
    id_pattern: re.Pattern = field(default_factory=lambda: re.compile(ID_PATTERN))
    _known: dict[str, str] = field(default_factory=dict, repr=False)

    @functools.cached_property
    def person_keys(self) -> frozenset[str]:
        """The person keys as a Python set, built when a Python rule first needs one (~2 s at scale 10,
        for 3.7 M keys; the SQL rules read the `aw_person_keys` table instead)."""
        return frozenset(self.person_key_values.to_pylist())

    def whole(self, value: str) -> str:
        known = self._known.get(value)
        if known is None:
            known = self._known[value] = pseudonym(self.key, value)
        return known

    def items(self, value: str) -> str:
        return " ".join(self.whole(item) for item in value.split())

    def text(self, value: str) -> str:
        value = self.id_pattern.sub(lambda match: self.whole(match.group()), value)
        return TOKEN.sub(
            lambda match: self.whole(match.group()) if match.group() in self.person_keys
            else match.group(), value)

    def register(self, con: duckdb.DuckDBPyConnection) -> None:
        """`aw_whole`, `aw_items`, `aw_key`, `aw_text`: on this connection only, gone when it closes.

        `aw_whole` is HMAC-SHA256 in SQL (`pseudonym_macro`); `aw_key` is SQL for every value
        and `aw_items` for a plain value (letters and digits: an ID, a hukou number, a record
        key); a list of several keys and text go to the Python rules. Why: DuckDB computes the
        HMAC vectorised on every core; a Python function per value took 61 s of the 87 s the
        analyst file took at scale 10 (`fct_aid.source_key` holds a distinct ID-bearing key per
        row, so no memo helps), and still 8 of 11 s for the keys with a `-`, `_` or `|` in them
        (`PLHH0000024-202412-tekun_care-3919`, `<ID>|2025`: 0.99 M rows at scale 10) until
        2026-12-04. The pseudonyms are the same bytes either way (tests/exports/test_analyst.py).
        The SQL rules read `aw_person_keys`, which must be registered first.
        """
        for name, rule in (("aw_items_each", self.items), ("aw_text", self.text)):
            con.create_function(name, vectorised(rule), [duckdb.sqltype("VARCHAR")],
                                duckdb.sqltype("VARCHAR"), type="arrow")
        con.create_function("aw_pseudonym_of_digest", pseudonyms_of_digests, [duckdb.sqltype("BLOB")],
                            duckdb.sqltype("VARCHAR"), type="arrow")
        con.execute(pseudonym_macro(self.key))
        plain = f"regexp_full_match(v, '{PLAIN_VALUE}')"
        con.execute(f"create temp macro aw_items(v) as case when {plain} then aw_whole(v) "
                    "else aw_items_each(v) end")
        # A person key, or a value with a run of 15 digits (an ID) inside, gets its pseudonym; the
        # run is ASCII digits in RE2 as in Python's `re` ([0-9], not \d), so any text may take this path
        con.execute("create temp macro aw_key(v) as case "
                    f"when v in (select value from aw_person_keys) or regexp_matches(v, '{ID_PATTERN}') "
                    "then aw_whole(v) else v end")


#: RFC 4648 base32, lower case: the characters of a pseudonym after its prefix.
BASE32 = "abcdefghijklmnopqrstuvwxyz234567"


def hmac_pads(key: bytes) -> tuple[bytes, bytes]:
    """HMAC-SHA256's inner and outer keys (RFC 2104): the key, hashed if longer than a block,
    padded to 64 bytes, XOR 0x36 and XOR 0x5c."""
    block = (hashlib.sha256(key).digest() if len(key) > 64 else key).ljust(64, b"\0")
    return bytes(b ^ 0x36 for b in block), bytes(b ^ 0x5c for b in block)


def _blob_literal(data: bytes) -> str:
    return "'" + "".join(f"\\x{byte:02x}" for byte in data) + "'::blob"


#: A base32 character's ASCII code by its value.
_BASE32_CODES = np.frombuffer(BASE32.encode("ascii"), dtype=np.uint8)
_PSEUDONYM_WIDTH = len(PSEUDONYM_PREFIX) + PSEUDONYM_BYTES * 8 // 5
_SIXTY_BITS = np.uint64((1 << 60) - 1)
#: Where each of a 60-bit number's twelve 5-bit characters starts, most significant first.
_CHARACTER_SHIFTS = np.arange(55, -1, -5, dtype=np.uint64)


def pseudonyms_of_digests(digests: pa.Array) -> pa.Array:
    """`P` + base32 of each 15-byte digest prefix (a BLOB): what `pseudonym` writes. Null stays null.

    Why numpy and not SQL: base32 in SQL (24 substrings of a 60-bit number a value) took twice
    as long as the two SHA-256s (6.1-6.6 s against 1.7-2.0 s for 2.6 M IDs at scale 10). Here the
    120 bits are two big-endian 60-bit numbers, cut into 5-bit characters all at once. DuckDB
    calls this once per 2,048 values, so its fixed cost counts: 24 numpy passes (one per
    character) cost 0.44 ms a call, ~0.6 s per 2.6 M values; one broadcast shift ~0.2 ms.
    """
    if isinstance(digests, pa.ChunkedArray):
        digests = digests.combine_chunks()
    count = len(digests)
    filled = digests if digests.null_count == 0 and digests.type == pa.binary() else \
        pc.fill_null(digests.cast(pa.binary()), b"\0" * PSEUDONYM_BYTES)
    offsets = np.frombuffer(filled.buffers()[1], dtype=np.int32)[filled.offset:filled.offset + count + 1]
    if (np.diff(offsets) != PSEUDONYM_BYTES).any():
        raise ValueError(f"aw_pseudonym_of_digest takes {PSEUDONYM_BYTES}-byte digest prefixes")
    data = np.frombuffer(filled.buffers()[2], dtype=np.uint8)[offsets[0]:offsets[-1]]
    padded = np.zeros((count, 16), dtype=np.uint8)
    padded[:, :PSEUDONYM_BYTES] = data.reshape(count, PSEUDONYM_BYTES)
    words = padded.view(">u8").astype(np.uint64)  # (count, 2): bytes 0-7 and 8-15, big-endian
    halves = np.stack((words[:, 0] >> np.uint64(4),  # bits 0-59
                       ((words[:, 0] << np.uint64(56)) | (words[:, 1] >> np.uint64(8))) & _SIXTY_BITS),
                      axis=1)  # bits 60-119
    encoded = np.empty((count, _PSEUDONYM_WIDTH), dtype=np.uint8)
    encoded[:, 0] = ord(PSEUDONYM_PREFIX)
    characters = (halves[:, :, None] >> _CHARACTER_SHIFTS).astype(np.uint8)  # (count, 2, 12)
    characters &= 31
    encoded[:, 1:] = np.take(_BASE32_CODES, characters.reshape(count, -1))
    ends = np.arange(0, _PSEUDONYM_WIDTH * (count + 1), _PSEUDONYM_WIDTH, dtype=np.int32)
    result = pa.StringArray.from_buffers(count, pa.py_buffer(ends), pa.py_buffer(encoded.tobytes()))
    if digests.null_count == 0:
        return result
    return pc.if_else(pc.is_null(digests), pa.scalar(None, pa.string()), result)


def pseudonym_macro(key: bytes) -> str:
    """`aw_whole(v)`, `pseudonym(key, v)` in SQL: a temporary macro of the writing connection.

    HMAC-SHA256 by DuckDB's `sha256`, vectorised on every core; its first 15 bytes base32-encoded
    by `aw_pseudonym_of_digest` (`pseudonyms_of_digests`, registered first). The pads derived
    from the key are literals of a temporary macro: in this connection's memory only, never
    in the analyst file (temporary objects are not stored).
    """
    inner, outer = hmac_pads(key)
    digest = f"sha256({_blob_literal(outer)} || unhex(sha256({_blob_literal(inner)} || encode(v))))"
    return f"create temp macro aw_whole(v) as aw_pseudonym_of_digest(unhex(substr({digest}, 1, 30)))"


def vectorised(rule: Callable[[str], str]) -> Callable[[pa.Array], pa.Array]:
    """A value rule as a DuckDB Arrow function: one Python call per chunk of 2048 values, nulls kept."""
    def apply(values: pa.Array) -> pa.Array:
        return pa.array([None if value is None else rule(value) for value in values.to_pylist()], pa.string())
    return apply


def masked_name_sql(expression: str) -> str:
    """The SQL twin of `exports.masking.mask_name`."""
    return (
        f"case when {expression} is null then null "
        f"when length({expression}) <= 1 then '*' "
        f"when length({expression}) = 2 then left({expression}, 1) || '*' "
        f"else left({expression}, 1) || '*' || right({expression}, 1) end"
    )


def age_band_sql(age: str) -> str:
    """'0-15', '16-17', '18-29', ..., '70-79', '80+' for an age in whole years."""
    cases, low = [], 0
    for high in AGE_BAND_ENDS:
        cases.append(f"when {age} <= {high} then '{low}-{high}'")
        low = high + 1
    return f"case when {age} is null then null {' '.join(cases)} else '{low}+' end"


#: dim_person's quasi-identifiers as published: column -> SQL over the mart row `t` (None: dropped).
PERSON_GENERALISED: dict[str, str | None] = {
    "birth_date": None,  # with sex and township unique for most people
    "age": age_band_sql("t.age") + " as age_band",  # exact age at as_of = birth year
    "death_date": "date_trunc('month', t.death_date)::date as death_month",
    "region_code": None,  # village: township_code and banner_code stay
    "hukou_region_code": None,
}
#: The assistance type of a person, from dim_person's roll flags (first that holds).
ASSISTANCE_FLAGS = ("on_tekun", "on_dibao", "on_edge", "on_rigid_expense", "on_other_low_income")


@dataclass
class ColumnPlan:
    """How one mart column appears in the analyst file: a SQL expression over the row `t`."""

    name: str
    expression: str | None  # None: left out
    rule: str  # kept, pseudonym, items, key, rehash, text, masked, generalised, dropped


def is_name_column(column: str) -> bool:
    """A column that may hold a person's name: `name`, `head_name`, ... (not `rule_name_zh`)."""
    return column == "name" or column.endswith("_name")


def mart_tables(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Materialised marts only (a view would need the marts it reads)."""
    rows = con.execute(
        "select table_name from information_schema.tables where table_catalog = ? and table_schema = ? "
        "and table_type = 'BASE TABLE' order by table_name", [SOURCE_CATALOG, SOURCE_SCHEMA]).fetchall()
    return [row[0] for row in rows]


def columns_of(con: duckdb.DuckDBPyConnection, table: str, catalog: str = SOURCE_CATALOG,
               schema: str = SOURCE_SCHEMA) -> list[tuple[str, str]]:
    """(name, type) of a table's columns: a published mart's unless another catalog is named."""
    return con.execute(
        "select column_name, data_type from information_schema.columns where table_catalog = ? "
        "and table_schema = ? and table_name = ? order by ordinal_position",
        [catalog, schema, table]).fetchall()


def source(table: str) -> str:
    return f"{SOURCE_CATALOG}.{SOURCE_SCHEMA}.{quote(table)}"


def is_plain_type(kind: str) -> bool:
    """A scalar DuckDB type (not a list, struct, map, union or array)."""
    return not any(marker in kind for marker in ("[", "STRUCT", "MAP", "UNION"))


def is_person_key_column(column: str) -> bool:
    return any(marker in column for marker in PERSON_KEY_MARKERS)


#: Every mart's columns (`columns_of`), read from the catalogue once per analyst file.
Described = dict[str, list[tuple[str, str]]]


def store_person_keys(con: duckdb.DuckDBPyConnection, described: Described) -> pa.Array:
    """Every ID number and hukou number any mart holds in a person-key column (lists split), as
    the temporary table `aw_person_keys` of this connection (never stored in the analyst file),
    and as an Arrow array.

    Why in DuckDB: gathering 3.7 M keys into a Python set and sorting it for an Arrow table took
    14 s of the analyst file's 43 s at scale 10.
    """
    parts = [f"select unnest(string_split_regex(trim(cast({quote(column)} as varchar)), '\\s+')) as value "
             f"from {source(table)} where {quote(column)} is not null"
             for table, columns in described.items() for column, kind in columns
             if is_person_key_column(column) and is_plain_type(kind)]
    found = " union all ".join(parts) if parts else "select null::varchar as value where false"
    con.execute(f"create or replace temp table aw_person_keys as select distinct value from ({found}) "
                "where value <> ''")
    return con.sql("select value from aw_person_keys").to_arrow_table().column("value").combine_chunks()


def probed_text_columns(described: list[tuple[str, str]]) -> list[str]:
    """The text columns (of a mart's `columns_of`) whose values are probed for IDs, person keys,
    hashes and names."""
    return [column for column, kind in described if kind == "VARCHAR" and not is_person_key_column(column)]


def columns_holding_person_keys(
    con: duckdb.DuckDBPyConnection, described: Described
) -> frozenset[tuple[str, str]]:
    """(table, column) of every probed text column with a value equal to a person key.

    One semi join over every such column of every mart against `aw_person_keys`. Why:
    probing column by column (`in (select value from aw_person_keys)`) built the hash
    table of the ~0.4 M keys once per column, most of the ~7 s the probes took at scale 1.
    """
    parts = [f"select {literal(table)} as table_name, {literal(column)} as column_name, "
             f"{quote(column)} as value from {source(table)}"
             for table, columns in described.items() for column in probed_text_columns(columns)]
    if not parts:
        return frozenset()
    rows = con.execute(
        f"select distinct probed.table_name, probed.column_name from ({' union all '.join(parts)}) probed "
        "semi join aw_person_keys keys on probed.value = keys.value").fetchall()
    return frozenset((table, column) for table, column in rows)


def plan_table(con: duckdb.DuckDBPyConnection, table: str, described: list[tuple[str, str]],
               person_names: bool, keyed: frozenset[tuple[str, str]]) -> list[ColumnPlan]:
    """One plan per column; text columns are probed once per table for IDs, hashes and names.

    `described`: the table's `columns_of`; `keyed`: the columns found to hold a person key
    (`columns_holding_person_keys`).
    """
    probes = {}
    for column in probed_text_columns(described):
        if column in SHARED_KEYS:  # kept whatever it holds (`plan_column`): nothing to probe
            continue
        quoted = quote(column)
        # each probe only where `plan_column` reads it: a scan of a million values each
        probes[column] = [
            f"coalesce(bool_or(regexp_matches({quoted}, '{ID_SQL_PATTERN}')), false)",
            (f"coalesce(bool_and(regexp_full_match({quoted}, '[0-9a-f]{{32}}')), false)"
             if column.endswith("_key") else "false"),
            (f"coalesce(bool_or({quoted} in (select name from {source('dim_person')})), false)"
             if person_names and is_name_column(column) else "false"),
        ]
    found: dict[str, tuple] = {}
    if probes:
        flat = [probe for column_probes in probes.values() for probe in column_probes]
        row = con.execute(f"select {', '.join(flat)} from {source(table)}").fetchall()[0]
        for index, column in enumerate(probes):
            has_id, all_hashes, has_names = row[3 * index: 3 * index + 3]
            found[column] = (has_id, (table, column) in keyed, all_hashes, has_names)
    return [plan_column(table, column, kind, found.get(column), person_names) for column, kind in described]


def plan_column(table: str, column: str, kind: str, probe: tuple | None, person_names: bool) -> ColumnPlan:
    quoted = f"t.{quote(column)}"
    alias = f" as {quote(column)}"
    if table == "dim_person" and column in PERSON_GENERALISED:
        expression = PERSON_GENERALISED[column]
        return ColumnPlan(column, expression, "generalised" if expression else "dropped")
    if is_person_key_column(column):  # whatever its type: an ID stored as a number is an ID
        return ColumnPlan(column, f"aw_items(cast({quoted} as varchar)){alias}", "items")
    if kind == "JSON" or not is_plain_type(kind):  # nested values may hold IDs anywhere: as text
        return ColumnPlan(column, f"aw_text(cast({quoted} as varchar)){alias}", "text")
    if kind != "VARCHAR":
        return ColumnPlan(column, quoted + alias, "kept")
    has_id, has_person_key, all_hashes, has_names = probe or (False, False, False, False)
    if column in SHARED_KEYS:
        return ColumnPlan(column, quoted + alias, "kept")
    if column.endswith("_key") and all_hashes:
        return ColumnPlan(column, f"aw_whole({quoted}){alias}", "rehash")
    if is_name_column(column) and (has_names or not person_names):
        return ColumnPlan(column, masked_name_sql(quoted) + alias, "masked")
    if not (has_id or has_person_key):
        return ColumnPlan(column, quoted + alias, "kept")
    if column.endswith(("_key", "_id", "_no")):
        return ColumnPlan(column, f"aw_key({quoted}){alias}", "key")
    return ColumnPlan(column, f"aw_text({quoted}){alias}", "text")


def assistance_type_sql(columns: set[str], row: str) -> str:
    """A person's assistance type from the roll flags of dim_person row `row`."""
    flags = [flag for flag in ASSISTANCE_FLAGS if flag in columns]
    if not flags:
        return "'unknown'"
    cases = " ".join(f"when {row}.{flag} then '{flag.removeprefix('on_')}'" for flag in flags)
    return f"case {cases} else 'none' end"


@dataclass
class RiskMeasure:
    """The share of persons unique on one set of quasi-identifiers."""

    label: str
    columns: tuple[str, ...]
    persons: int
    unique: int

    @property
    def share(self) -> float:
        return self.unique / self.persons if self.persons else 0.0

    def __str__(self) -> str:
        columns = ", ".join(self.columns)
        return f"unique on ({columns}): {self.unique} of {self.persons} persons ({self.share:.1%})"


def unique_share(
    con: duckdb.DuckDBPyConnection, relation: str, columns: tuple[str, ...], label: str
) -> RiskMeasure:
    keys = ", ".join(columns)
    persons, unique = con.execute(
        f"select coalesce(sum(n), 0), coalesce(sum(case when n = 1 then 1 else 0 end), 0) "
        f"from (select count(*) as n from {relation} group by {keys})").fetchall()[0]
    return RiskMeasure(label, columns, int(persons), int(unique))


def measure_risk(con: duckdb.DuckDBPyConnection, region: str) -> list[RiskMeasure]:
    """Re-identification risk of the analyst file's dim_person, with and without its generalisation.

    `published` rows group on what an analyst sees, read from the analyst file's own
    dim_person (age band, sex, `region`: township, or banner once the township was dropped);
    `before generalisation` rows (birth year and township, from the warehouse) show why the
    generalisation is needed. Each side is read from its own table: joining them through the
    pseudonym computed every person's HMAC a second time (0.8 s of the 7-9 s at scale 1).
    """
    source_columns = {name for name, _ in columns_of(con, "dim_person")}
    if not {"birth_date", "gender", "township_code", "banner_code"} <= source_columns:
        return []
    analyst_file = con.execute("select current_database()").fetchone()[0]
    published_columns = {name for name, _ in columns_of(con, "dim_person", analyst_file, "main")}
    before = (f"(select year(p.birth_date) as birth_year, p.gender as sex, p.township_code as township, "
              f"{assistance_type_sql(source_columns, 'p')} as assistance_type "
              f"from {source('dim_person')} p)")
    published = (f"(select a.age_band, a.gender as sex, a.{region}_code as {region}, "
                 f"{assistance_type_sql(published_columns, 'a')} as assistance_type from main.dim_person a)")
    sets = [
        ("before generalisation", before, ("birth_year", "sex", "township")),
        ("before generalisation", before, ("birth_year", "sex", "township", "assistance_type")),
        ("published", published, ("age_band", "sex", region)),
        ("published", published, ("age_band", "sex", region, "assistance_type")),
    ]
    return [unique_share(con, relation, columns, label) for label, relation, columns in sets]


def generalise_until_safe(con: duckdb.DuckDBPyConnection) -> list[RiskMeasure]:
    """Measure the risk; above RISK_LIMIT with the township, drop dim_person.township_code (banner stays).

    With the league's real caseload the township stays (the indicators and warnings
    are per township); a small population (a test, a small demo) falls back to the
    banner. Still above the limit at banner level: kept, and the publish warns.
    """
    risk = measure_risk(con, "township")
    if any(m.label == "published" and m.share >= RISK_LIMIT for m in risk):
        con.execute("alter table main.dim_person drop column township_code")
        log.info("analyst file: dim_person.township_code left out (%s)",
                 "; ".join(str(m) for m in risk if m.label == "published"))
        risk = measure_risk(con, "banner")
    return risk


@dataclass
class AnalystPublish:
    """What one analyst publish wrote and how identifiable its persons are."""

    path: Path
    tables: dict[str, int]  # table -> rows
    rules: dict[str, dict[str, str]]  # table -> column -> rule (pseudonym, masked, ...)
    risk: list[RiskMeasure]

    def describe(self) -> str:
        lines = [f"analyst file {self.path}: {len(self.tables)} tables, person keys pseudonymised"]
        for measure in self.risk:
            flag = "" if measure.label != "published" or measure.share < RISK_LIMIT else \
                f"  ABOVE {RISK_LIMIT:.0%}: report aggregates only"
            lines.append(f"  re-identification risk, {measure.label}: {measure}{flag}")
        return "\n".join(lines)


def remove_analyst_file(home: Home) -> None:
    """Remove the analyst file, its delivered copy and any leftovers: stale is worse than none."""
    paths = [home.analyst_file, home.analyst_next]
    if os.environ.get(ANALYST_DIR_ENV):
        paths.append(Path(os.environ[ANALYST_DIR_ENV]) / home.analyst_file.name)
    for path in paths:
        remove_database(path)


def write_tables(
    con: duckdb.DuckDBPyConnection, key: bytes
) -> tuple[dict[str, int], dict[str, dict[str, str]]]:
    """Every materialised mart as a table of the analyst file; (rows, column rules) per table."""
    described = {table: columns_of(con, table) for table in mart_tables(con)}
    Pseudonymiser(key, store_person_keys(con, described)).register(con)
    person_names = "name" in {column for column, _ in described.get("dim_person", [])}
    counts, rules = {}, {}
    keyed = columns_holding_person_keys(con, described)
    for table, columns in described.items():
        plans = plan_table(con, table, columns, person_names, keyed)
        selects = [plan.expression for plan in plans if plan.expression]
        con.execute(f"create table main.{quote(table)} as select {', '.join(selects)} from {source(table)} t")
        counts[table] = con.execute(f"select count(*) from main.{quote(table)}").fetchall()[0][0]
        rules[table] = {plan.name: plan.rule for plan in plans if plan.rule != "kept"}
    con.execute("drop table aw_person_keys")
    return counts, rules


def publish_analyst_file(home: Home, warehouse: Path | None = None) -> AnalystPublish:
    """Write HOME/analyst.duckdb from the published warehouse, atomically, mode 0640.

    Raises PseudonymKeyMissing (after removing any earlier analyst file, which would
    be stale) when there is no usable key.
    """
    try:
        key = require_key(home)
    except PseudonymKeyMissing:
        remove_analyst_file(home)
        raise
    warehouse = warehouse or home.warehouse
    con = connect_capped(home.analyst_next)
    try:
        con.execute(f"attach '{warehouse}' as {SOURCE_CATALOG} (read_only)")
        counts, rules = write_tables(con, key)
        risk = generalise_until_safe(con)
        con.execute(f"detach {SOURCE_CATALOG}")
        con.execute("checkpoint")
    except BaseException:
        con.close()
        remove_analyst_file(home)  # the earlier file would be stale: no analyst file rather than an old one
        raise
    con.close()
    os.chmod(home.analyst_next, GROUP_FILE)
    os.replace(home.analyst_next, home.analyst_file)
    open_parents_to_group(home, home.analyst_file)
    deliver_to_analyst_folder(home.analyst_file)
    result = AnalystPublish(home.analyst_file, counts, rules, risk)
    for line in result.describe().splitlines():
        log.info("%s", line.strip())
    for measure in risk:
        if measure.label == "published" and measure.share >= RISK_LIMIT:
            log.warning("analyst file: %s, above %.0f%% even at banner level; report aggregates, "
                        "not rows (docs/analysts.md)", measure, RISK_LIMIT * 100)
    return result


def deliver_to_analyst_folder(analyst_file: Path) -> Path | None:
    """Copy the analyst file into $AIDWATCH_ANALYST_DIR (the deployment's host folder for
    analysts, docs/deploy.md), through a temporary name so readers never see half a file."""
    folder = os.environ.get(ANALYST_DIR_ENV)
    if not folder:
        return None
    target = Path(folder) / analyst_file.name
    partial = target.with_name(f".{target.name}.partial")
    shutil.copyfile(analyst_file, partial)
    os.chmod(partial, GROUP_FILE)
    os.replace(partial, target)
    log.info("analyst file delivered to %s", target)
    return target


def drop_retired_schemas(warehouse: Path) -> list[str]:
    """Remove the `analyst` views and the pseudonym map earlier builds kept in the warehouse."""
    con = duckdb.connect(str(warehouse))
    try:
        present = {row[0] for row in con.execute("select schema_name from information_schema.schemata "
                                                 "where catalog_name = current_database()").fetchall()}
        dropped = [schema for schema in RETIRED_SCHEMAS if schema in present]
        for schema in dropped:
            con.execute(f"drop schema {schema} cascade")
        return dropped
    finally:
        con.close()
