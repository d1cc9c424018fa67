"""warning_key: stable across builds, and not reversible to an ID number.

Why: officials' lists print the key next to a masked ID (1529**********123X). An unsalted
md5(rule_id | subject_key) is reversed by trying the few million IDs behind the mask; the
warehouse's own salt (intermediate.warning_key_salt) prevents that while keeping the key
stable, so exports, the workspace and the analyst file can share it.
"""

from __future__ import annotations

import duckdb

from aidwatch.home import Home
from tests.warehouse.small_home import TwoBuilds, query


def test_no_key_is_the_unsalted_hash_of_its_rule_and_subject(built_home: Home):
    con = duckdb.connect(str(built_home.warehouse), read_only=True)
    try:
        total, unsalted = con.execute(
            "select count(*), count(*) filter (where warning_key = md5(rule_id || '|' || subject_key) "
            "or not regexp_full_match(warning_key, '[a-p]{32}')) from marts.warnings"
        ).fetchone()
        salts = con.execute("select salt from intermediate.warning_key_salt").fetchall()
        in_marts = con.execute(
            "select count(*) from information_schema.columns "
            "where table_schema = 'marts' and column_name = 'salt'"
        ).fetchone()[0]
    finally:
        con.close()
    assert total > 0 and unsalted == 0
    assert len(salts) == 1 and len(salts[0][0]) == 32
    assert in_marts == 0


def test_the_salt_and_so_every_key_survive_the_next_build(two_builds: TwoBuilds):
    home = two_builds.home
    previous = query(home.warehouse_previous, "select salt from intermediate.warning_key_salt")
    current = query(home.warehouse, "select salt from intermediate.warning_key_salt")
    assert previous == current and len(current) == 1
    # the keys the later build computed equal those it carried in history from the earlier one
    mismatched = query(home.warehouse, """
        select count(*) from marts.warning_history h
        join marts.warnings w on w.rule_id = h.rule_id and w.subject_key = h.subject_key
        where h.warning_key <> w.warning_key
    """)
    assert mismatched == [(0,)]
