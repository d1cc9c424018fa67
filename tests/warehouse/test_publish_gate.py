"""The publish gate: a tested build that moves a headline figure beyond bounds is not published.

The bounds' arithmetic is tested at its edges on plain numbers; the gate itself on real
warehouse files of the small HOME (`two_builds`): its earlier build stands in for a new
build that shrank, so no extra dbt build is needed, except for one end-to-end check that
`build()` refuses a shrunken delivery and leaves the published file byte-identical.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from datetime import date
from pathlib import Path

import pytest

from aidwatch.home import Home
from tests.warehouse.raw_batches import write_batch
from tests.warehouse.small_home import HEAD_2, LATE, TwoBuilds, _member
from warehouse import publish_gate
from warehouse.build import PublishRefused, build, gate_publish, publish
from warehouse.publish_gate import Bounds, BoundsInvalid, Snapshot, compare, load_bounds

#: Bounds a two-household league can break: any move of at least 1, beyond 10 % down or 20 % up.
TIGHT = {g: Bounds(g, "n", max_fall=0.10, max_rise=0.20, min_change=1) for g in publish_gate.FIGURE_SQL}


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def copy_home(source: Home, target: Path) -> Home:
    shutil.copytree(source.root, target)
    return Home(target)


def write_ledger_entry(home: Home, batch_id: str, rows: int, finished_at: str) -> None:
    """A ledger entry as ingestion writes it (only the fields the gate reports)."""
    home.ledger.mkdir(parents=True, exist_ok=True)
    entry = {"batch_id": batch_id, "feed_id": batch_id.split("__")[0], "file": f"{batch_id}.csv",
             "status": "loaded", "rows_read": rows, "rows_loaded": rows, "rows_quarantined": 0,
             "started_at": finished_at, "finished_at": finished_at}
    (home.ledger / f"{batch_id}.json").write_text(json.dumps(entry), encoding="utf-8")


# --- bounds at their edges ------------------------------------------------------------------

BOUNDS = Bounds("assisted_households", "households", max_fall=0.10, max_rise=0.50, min_change=10)


@pytest.mark.parametrize(
    ("before", "after", "broken"),
    [
        (1000, 900, None),  # exactly -10 %: allowed
        (1000, 899, "fell more than 10%"),
        (1000, 1500, None),  # exactly +50 %
        (1000, 1501, "rose more than 50%"),
        (40, 31, None),  # -22.5 % but only 9 households: under the floor
        (40, 30, "fell more than 10%"),  # 10 households: the floor is reached
        (0, 9, None),
        (0, 10, "appeared (change of at least 10)"),
        (763, 3, "fell more than 10%"),  # the 3-row member roll of the issue
        (25, 0, "vanished (change of at least 10)"),
    ],
)
def test_bounds_edges(before, after, broken):
    assert BOUNDS.exceeded_by(before, after) == broken


def test_compare_names_every_label_of_either_side():
    before = Snapshot(None, None, {"open_warnings_by_rule": {"ELG-10": 3, "REV-01": 40}})
    after = Snapshot(None, None, {"open_warnings_by_rule": {"ELG-10": 217, "HRD-01": 12}})
    limits = {"open_warnings_by_rule": Bounds("open_warnings_by_rule", "warnings", 0.5, 1.0, 10)}
    moves = {m.label: m for m in compare(before, after, limits)}
    assert set(moves) == {"ELG-10", "REV-01", "HRD-01"}
    assert (moves["ELG-10"].change, moves["REV-01"].after, moves["HRD-01"].share) == (214, 0, None)
    assert "ELG-10: 3 -> 217 warnings, +214 (+7133.3%): rose more than 100%" in moves["ELG-10"].describe()


def test_irregular_aid_kinds_are_compared_but_never_fail():
    aid = Bounds("aid_paid_latest_month", "yuan", 0.3, 1.0, 20000, not_bounded=frozenset({"heating"}))
    assert aid.exceeded_by(200000, 0, "heating") is None  # paid once a year, in October
    assert aid.exceeded_by(200000, 0, "dibao") == "vanished (change of at least 20000)"
    assert "heating" in load_bounds()["aid_paid_latest_month"].not_bounded


def test_repository_bounds_cover_every_figure_group():
    assert set(load_bounds()) == set(publish_gate.FIGURE_SQL)


def test_bad_bounds_file_is_named_with_the_key(tmp_path):
    path = tmp_path / "bounds.yaml"
    text = publish_gate.BOUNDS_FILE.read_text(encoding="utf-8")
    path.write_text(text.replace("max_fall: 0.10", "max_fall: -1", 1), encoding="utf-8")
    with pytest.raises(BoundsInvalid, match=r"bounds.yaml: assisted_households.max_fall must be a number"):
        load_bounds(path)
    path.write_text("assisted_households: {max_fall: 0.1, max_rise: 1, min_change: 1}\n", encoding="utf-8")
    with pytest.raises(BoundsInvalid, match="figure group 'assisted_persons' is missing"):
        load_bounds(path)


# --- the gate on real warehouse files ---------------------------------------------------------


def test_first_build_is_exempt_and_a_quiet_month_passes(two_builds: TwoBuilds):
    assert two_builds.early.gate is None  # nothing published before: nothing to compare with
    assert two_builds.late.gate is not None and two_builds.late.gate.passed
    records = publish_gate.read_records(two_builds.home)
    assert [(r["event"], r["as_of"]) for r in records] == [
        ("published", str(two_builds.early.as_of)), ("published", str(LATE)),
    ]


@pytest.fixture()
def shrunk_next(two_builds: TwoBuilds, tmp_path) -> Home:
    """A copy of the small HOME whose next file is the earlier build (one person fewer)."""
    home = copy_home(two_builds.home, tmp_path / "home")
    shutil.copyfile(home.warehouse_previous, home.warehouse_next)
    write_ledger_entry(home, "ca_members__20261101__aaaaaaaaaaaa", 3, "2999-01-01T00:00:00.000+00:00")
    write_ledger_entry(home, "ca_members__20260930__bbbbbbbbbbbb", 3, "2000-01-01T00:00:00.000+00:00")
    return home


def test_refusal_names_each_figure_and_the_new_batches(shrunk_next: Home):
    published = sha256(shrunk_next.warehouse)
    with pytest.raises(PublishRefused) as refused:
        gate_publish(shrunk_next, LATE, None, TIGHT)
    message = str(refused.value)
    moves = {(m.group, m.label): m for m in refused.value.report.moves}
    league_persons = moves["assisted_persons", "阿拉善盟 (152900)"]
    assert (league_persons.before, league_persons.after) == (4, 3)
    assert f"{league_persons.describe()}" in message and "-25.0%" in message
    # only the batch that arrived after the last publish is named
    assert "ca_members__20261101__aaaaaaaaaaaa" in message
    assert "ca_members__20260930__bbbbbbbbbbbb" not in message
    assert sha256(shrunk_next.warehouse) == published
    report = json.loads(refused.value.report_file.read_text(encoding="utf-8"))
    assert report["batches"] == ["ca_members__20261101__aaaaaaaaaaaa"]
    assert publish_gate.read_records(shrunk_next)[-1]["event"] == "refused"


def test_accepted_change_is_published_and_recorded(shrunk_next: Home):
    reason = "ca_members: three households left the roll on 11-01 (checked)"
    report = gate_publish(shrunk_next, LATE, reason, TIGHT)
    assert report is not None and report.moves
    publish(shrunk_next)
    record = publish_gate.read_records(shrunk_next)[-1]
    assert record["event"] == "accepted_change"
    assert record["reason"] == reason
    assert record["by"] and record["at"] and record["as_of"] == str(LATE)
    assert len(record["gate"]["moves"]) == len(report.moves)
    assert not shrunk_next.warehouse_next.exists()


def test_build_refuses_a_shrunken_delivery_and_keeps_the_published_file(two_builds: TwoBuilds, tmp_path):
    """End to end: a later ca_members delivery with one member of three households fails the publish."""
    home = copy_home(two_builds.home, tmp_path / "home")
    published = sha256(home.warehouse)
    write_batch(home, "ca_members", date(2026, 11, 1), [_member("H2", HEAD_2, "王二")])
    write_ledger_entry(home, "ca_members__20261101__cccccccccccc", 1, publish_gate.now_text())
    with pytest.raises(PublishRefused) as refused:
        build(home, LATE, quiet=True, bounds=TIGHT)
    assert "publish refused for as_of 2026-11-01; the published warehouse is unchanged" in str(refused.value)
    assert "ca_members__20261101__cccccccccccc" in str(refused.value)
    assert any(m.group == "assisted_persons" and m.after < m.before for m in refused.value.report.moves)
    assert sha256(home.warehouse) == published
    assert not home.warehouse_next.exists()


def _aid_warehouse(path: Path, as_of: str, payments: list[tuple[str, str, float]]) -> Path:
    """A warehouse file with only what the aid figure reads: build_info and fct_aid rows."""
    import duckdb

    con = duckdb.connect(str(path))
    con.execute("create schema marts")
    con.execute(f"create table marts.build_info as select date '{as_of}' as as_of")
    con.execute("create table marts.fct_aid (aid_kind varchar, aid_month date, amount decimal(14, 2))")
    con.executemany("insert into marts.fct_aid values (?, ?, ?)", payments)
    con.close()
    return path


def test_aid_is_compared_per_kind_in_its_own_latest_paid_month(tmp_path):
    """The monthly delivery day: dibao's October payments arrive after another kind's.

    The published build (as_of 10-31) has temporary aid paid in October but dibao only up to
    September; the next day's build adds dibao for October. Each kind is compared in its own
    latest paid month (dibao September -> October), so a normal month passes, and a dibao
    month that arrives at a third of the usual total is still refused.
    """
    published = [("dibao", "2026-09-01", 190_000.0), ("temporary", "2026-10-01", 5_000.0)]
    before = publish_gate.read_snapshot(_aid_warehouse(tmp_path / "before.duckdb", "2026-10-31", published))
    normal = publish_gate.read_snapshot(_aid_warehouse(
        tmp_path / "normal.duckdb", "2026-11-01", [*published, ("dibao", "2026-10-01", 190_718.0)]))
    assert before.figures["aid_paid_latest_month"] == {"dibao": 190_000.0, "temporary": 5_000.0}
    assert normal.figures["aid_paid_latest_month"]["dibao"] == 190_718.0
    limits = {"aid_paid_latest_month": load_bounds()["aid_paid_latest_month"]}
    assert compare(before, normal, limits) == []

    short = publish_gate.read_snapshot(_aid_warehouse(
        tmp_path / "short.duckdb", "2026-11-01", [*published, ("dibao", "2026-10-01", 60_000.0)]))
    (move,) = compare(before, short, limits)
    assert (move.label, move.before, move.after) == ("dibao", 190_000.0, 60_000.0)
