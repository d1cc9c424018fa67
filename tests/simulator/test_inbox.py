"""The simulated inbox: valid IDs, contract conformance except the planted faults,
every delivery form present, deterministic output, and truth that matches the data."""

from __future__ import annotations

import csv
import hashlib
import json
from collections import defaultdict
from datetime import date
from pathlib import Path

import pytest
from stdnum.cn import ric

from simulator.generate import simulate
from simulator.world import add_months
from tests.fixtures.simulated import TEST_AS_OF, TEST_MONTHS, TEST_SCALE, TEST_SEED
from tests.simulator import conformance as cf


@pytest.fixture(scope="module")
def read_inbox(simulated_inbox: Path) -> dict:
    """Every readable file, the files that could not be read, and each file's bad rows."""
    files, rejected, bad = {}, {}, {}
    for path in cf.inbox_files(simulated_inbox):
        rel = path.relative_to(simulated_inbox).as_posix()
        try:
            f = cf.read(path, simulated_inbox)
        except cf.Rejected as exc:
            rejected[rel] = str(exc)
            continue
        if f.missing_required:
            rejected[rel] = "missing_required_column: " + ", ".join(f.missing_required)
            continue
        files[rel] = f
        bad[rel] = cf.check_file(f)
    return {"files": files, "rejected": rejected, "bad": bad}


def truth(inbox: Path, name: str) -> list[dict[str, str]]:
    with open(inbox / "_truth" / name, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def newest(read_inbox: dict, feed: str) -> cf.ReadFile:
    mine = [f for f in read_inbox["files"].values() if f.feed == feed and not f.rel.endswith(("_重发.csv",))]
    return max(mine, key=lambda f: (f.extract, -len(f.rel)))


def test_every_feed_is_delivered_each_month(simulated_inbox: Path, read_inbox: dict) -> None:
    manifest = json.loads((simulated_inbox / "_truth" / "manifest.json").read_text(encoding="utf-8"))
    assert len(manifest["extract_dates"]) == TEST_MONTHS
    assert manifest["extract_dates"][-1] == TEST_AS_OF.isoformat()
    by_feed = defaultdict(set)
    for f in read_inbox["files"].values():
        by_feed[f.feed].add(f.extract.isoformat())
    # every departmental feed; warning_feedback comes from the workspace, not a department
    from ingestion.contracts import load_feeds

    departmental = {feed_id for feed_id, feed in load_feeds().items() if not feed.from_workspace}
    assert set(by_feed) == departmental
    for feed, dates in by_feed.items():
        assert dates == set(manifest["extract_dates"]), feed


def test_every_id_number_is_valid(read_inbox: dict) -> None:
    """Check digit, birth date and sex digit of every ID in every file (except planted faults)."""
    checked = 0
    for rel, f in read_inbox["files"].items():
        spec = cf.contracts()[f.feed]
        id_cols = [c["name"] for c in spec["columns"] if c["type"] == "id_number"]
        bad_rows = read_inbox["bad"][rel]
        for i, row in enumerate(f.rows, start=1):
            if i in bad_rows:
                continue
            for col in id_cols:
                v = row.get(col)
                if v in (None, ""):
                    continue
                full = cf.full_id(str(v))
                assert ric.calc_check_digit(full) == full[17], (rel, i, v)
                birth = date(int(full[6:10]), int(full[10:12]), int(full[12:14]))
                assert birth <= f.extract, (rel, i, v)
                assert not full.startswith("152971"), (rel, i, v)
                checked += 1
        if f.feed == "ps_hukou":
            for i, row in enumerate(f.rows, start=1):
                if i not in bad_rows:
                    sex = {"男": "M", "女": "F"}.get(str(row["gender"]), row["gender"])
                    assert sex == ("M" if int(cf.full_id(str(row["id_number"]))[16]) % 2 else "F")
    assert checked > 1000


def test_files_conform_except_planted_faults(simulated_inbox: Path, read_inbox: dict) -> None:
    expected = {(r["file"], int(r["source_row"])) for r in truth(simulated_inbox, "expected_quarantine.csv")}
    found = {(rel, i) for rel, rows in read_inbox["bad"].items() for i in rows}
    assert found == expected


def test_rejected_files_match_truth(simulated_inbox: Path, read_inbox: dict) -> None:
    expected = {r["file"]: r["reason"] for r in truth(simulated_inbox, "expected_rejected_files.csv")}
    rejected = dict(read_inbox["rejected"])
    digests = defaultdict(list)
    for path in cf.inbox_files(simulated_inbox):
        rel = path.relative_to(simulated_inbox).as_posix()
        digests[hashlib.sha256(path.read_bytes()).hexdigest()].append(rel)
    for names in digests.values():
        # the first delivery (by extract date, then name) is loaded; the same bytes again are duplicates
        for later in sorted(names, key=lambda r: (cf.DATE_RE.search(r.rsplit("/", 1)[1])[0], r))[1:]:
            rejected[later] = "duplicate"
    assert rejected.keys() == expected.keys()
    for rel, reason in expected.items():
        assert rejected[rel].split(":")[0] == reason.split(":")[0], rel
    assert {r.split(":")[0] for r in expected.values()} == {
        "undecodable",
        "missing_required_column",
        "empty",
        "duplicate",
    }


def test_every_fault_kind_is_planted(simulated_inbox: Path) -> None:
    kinds = {r["reason"].split(": ")[1] for r in truth(simulated_inbox, "expected_quarantine.csv")}
    assert kinds == {
        "bad_check_digit",
        "impossible_date",
        "future_date",
        "unknown_enum",
        "missing_required",
        "negative_money",
        "duplicate_key",
        "medical_parts_mismatch",
        "gender_mismatch",
        "birth_date_mismatch",
    }


def test_delivery_forms_all_occur(read_inbox: dict) -> None:
    files = read_inbox["files"].values()
    assert {f.format for f in files} == {"csv", "xlsx", "json", "jsonl"}
    assert {f.encoding for f in files if f.format == "csv"} == {"utf-8", "utf-8-sig", "gb18030"}
    zh_headed = {
        f.format for f in files if all(any("\u4e00" <= ch <= "\u9fff" for ch in h) for h in f.header)
    }
    canonical = {f.format for f in files if all(h.isascii() for h in f.header)}
    assert "csv" in zh_headed and "xlsx" in zh_headed and canonical
    values = [str(v) for f in files for row in f.rows[:50] for v in row.values() if v is not None]
    assert any("年" in v and "月" in v and "日" in v for v in values)  # 2026年11月1日
    assert any("/" in v and v[:4].isdigit() for v in values)  # 2026/11/1
    assert any(v.endswith("元") for v in values) or any("," in v for v in values)


def test_xlsx_dates_are_real_excel_dates(read_inbox: dict) -> None:
    from datetime import datetime

    cells = [
        v for f in read_inbox["files"].values() if f.format == "xlsx" for row in f.rows for v in row.values()
    ]
    assert any(isinstance(v, datetime) for v in cells)


def test_same_arguments_give_identical_files(simulated_inbox: Path, tmp_path: Path) -> None:
    again = simulate(
        tmp_path / "again", as_of=TEST_AS_OF, seed=TEST_SEED, scale=TEST_SCALE, months=TEST_MONTHS
    )
    first = {
        p.relative_to(simulated_inbox).as_posix(): p.read_bytes()
        for p in simulated_inbox.rglob("*")
        if p.is_file()
    }
    second = {p.relative_to(again).as_posix(): p.read_bytes() for p in again.rglob("*") if p.is_file()}
    assert first.keys() == second.keys()
    assert [k for k in first if first[k] != second[k]] == []


def test_planted_subjects_exist_in_their_feeds(simulated_inbox: Path, read_inbox: dict) -> None:
    """Every expected warning names a person known to the register or to a feed."""
    known_ids: set[str] = set()
    subject_keys: set[str] = set()
    for f in read_inbox["files"].values():
        spec = cf.contracts()[f.feed]
        id_cols = [c["name"] for c in spec["columns"] if c["type"] == "id_number"]
        for row in f.rows:
            for col in id_cols:
                if row.get(col) not in (None, ""):
                    known_ids.add(cf.full_id(str(row[col])))
            for v in row.values():
                if isinstance(v, str):
                    subject_keys.add(v)
    for e in truth(simulated_inbox, "expected_warnings.csv"):
        assert e["must_fire"] in ("true", "false")
        if e["id_number"]:
            assert e["id_number"] in known_ids, e
        if not e["rule_id"].startswith("STD"):
            assert e["subject_key"] in subject_keys or e["subject_key"] in known_ids, e


def _households(read_inbox: dict) -> dict[str, dict]:
    f = newest(read_inbox, "ca_households")
    labels = {
        "A类": "A",
        "B类": "B",
        "特困": "tekun",
        "低保": "dibao",
        "在保": "active",
        "渐退": "gradual_exit",
        "停保": "terminated",
        "低保边缘": "edge",
    }
    out = {}
    for row in f.rows:
        out[str(row["household_id"])] = {k: labels.get(str(v), v) for k, v in row.items()}
    return out


@pytest.mark.parametrize("rule_id, klass, months", [("REV-01", "A", 12), ("REV-02", "B", 6)])
def test_review_truth_agrees_with_data(
    simulated_inbox: Path, read_inbox: dict, rule_id: str, klass: str, months: int
) -> None:
    """A planted review case is overdue exactly when the truth says it must fire, and no
    other household of that kind is overdue (the background is clean)."""
    households = _households(read_inbox)
    planted = {
        e["subject_key"]: e["must_fire"] == "true"
        for e in truth(simulated_inbox, "expected_warnings.csv")
        if e["rule_id"] == rule_id
    }
    for hid, h in households.items():
        kind_ok = (h["assistance_type"] == "dibao" and h["dibao_class"] == klass) or (
            klass == "A" and h["assistance_type"] == "tekun"
        )
        if not kind_ok or h["status"] not in ("active", "gradual_exit"):
            assert not planted.get(hid, False), hid
            continue
        base = h["last_review_on"] or h["approved_on"]
        overdue = add_months(cf.parse_date(base), months) < TEST_AS_OF
        if hid in planted:
            assert overdue == planted[hid], (hid, h)
        else:
            assert not overdue, (hid, h)


def test_dibao_payments_follow_the_gap_formula(simulated_inbox: Path, read_inbox: dict) -> None:
    """ELG-10 on the data: every active dibao household not planted for ELG-10 is paid
    max(0, standard - income/n) * n in its latest pay month."""
    households = _households(read_inbox)
    planted = {
        e["subject_key"] for e in truth(simulated_inbox, "expected_warnings.csv") if e["rule_id"] == "ELG-10"
    }
    members = defaultdict(list)
    for row in newest(read_inbox, "ca_members").rows:
        members[str(row["household_id"])].append(row)
    standards = []
    for row in newest(read_inbox, "ca_standards").rows:
        code = {"城市低保": "dibao_urban", "农村牧区低保": "dibao_rural"}.get(
            str(row["standard"]), row["standard"]
        )
        standards.append(
            (
                str(row["region_code"]),
                code,
                cf.parse_money(row["amount"]),
                cf.parse_date(row["effective_from"]),
            )
        )
    paid: dict[str, dict[date, float]] = defaultdict(lambda: defaultdict(float))
    for f in read_inbox["files"].values():
        if f.feed != "ca_payments" or "_重发" in f.rel:
            continue
        for row in f.rows:
            if str(row.get("program")) in ("dibao", "低保金") and row.get("household_id"):
                paid[str(row["household_id"])][cf.parse_month(row["pay_month"])] += cf.parse_money(
                    row["amount"]
                )

    def standard(banner: str, kind: str, on: date) -> float:
        for region in (banner, "152900"):
            rows = [s for s in standards if s[0] == region and s[1] == kind and s[3] <= on]
            if rows:
                return max(rows, key=lambda s: s[3])[2]
        raise KeyError(kind)

    compared = 0
    for hid, h in households.items():
        if h["assistance_type"] != "dibao" or h["status"] != "active" or hid in planted or not paid[hid]:
            continue
        month = max(paid[hid])
        ur = {"城镇": "urban", "农村牧区": "rural"}.get(str(h["urban_rural"]), h["urban_rural"])
        std = standard(str(h["region_code"])[:6], f"dibao_{ur}", month)
        rows = members[hid]
        if str(h["single_person"]).lower() in ("是", "y", "1", "true"):
            covered = [r for r in rows if str(r["covered"]).lower() in ("是", "y", "1", "true")]
            n, income = 1, cf.parse_money(covered[0]["monthly_income"] or 0)
        else:
            n, income = len(rows), cf.parse_money(h["monthly_income_total"])
        expected = max(0.0, std - income / n) * n
        assert abs(paid[hid][month] - expected) <= 1.0, (hid, paid[hid][month], expected)
        compared += 1
    assert compared > 5


def test_manifest_counts_match_the_roll(simulated_inbox: Path, read_inbox: dict) -> None:
    manifest = json.loads((simulated_inbox / "_truth" / "manifest.json").read_text(encoding="utf-8"))
    counts = manifest["counts"]
    households = _households(read_inbox).values()
    dibao = [
        h for h in households if h["assistance_type"] == "dibao" and h["status"] in ("active", "gradual_exit")
    ]
    assert counts["dibao_households"] == len(dibao)
    exits = [h for h in households if h["status"] == "gradual_exit"]
    assert counts["gradual_exit_households"] == len(exits)
    assert manifest["seed"] == TEST_SEED and manifest["months"] == TEST_MONTHS
    assert manifest["as_of"] == TEST_AS_OF.isoformat()


def test_old_15_digit_ids_appear_in_one_feed_only(read_inbox: dict) -> None:
    """Some elderly pensioners carry their pre-1999 15-digit ID in the pension rows only."""
    feeds_with_15 = set()
    for f in read_inbox["files"].values():
        spec = cf.contracts()[f.feed]
        id_cols = [c["name"] for c in spec["columns"] if c["type"] == "id_number"]
        if any(len(str(row.get(c) or "")) == 15 for row in f.rows for c in id_cols):
            feeds_with_15.add(f.feed)
    assert feeds_with_15 == {"hrss_insurance"}


def test_refuses_to_overwrite_a_folder_that_is_not_an_inbox(tmp_path: Path) -> None:
    (tmp_path / "precious.txt").write_text("keep me", encoding="utf-8")
    with pytest.raises(FileExistsError):
        simulate(tmp_path, as_of=TEST_AS_OF, seed=1, scale=0.005, months=1)
    assert (tmp_path / "precious.txt").read_text(encoding="utf-8") == "keep me"


def test_command_line_writes_an_inbox(tmp_path: Path) -> None:
    from aidwatch.cli import main

    out = tmp_path / "inbox"
    assert (
        main(["simulate", "--out", str(out), "--as-of", "2026-03-31", "--scale", "0.005", "--months", "2"])
        == 0
    )
    manifest = json.loads((out / "_truth" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["extract_dates"] == ["2026-02-28", "2026-03-31"]
    assert manifest["counts"]["dibao_households"] > 0
    assert len([p for p in (out / "ps_hukou").iterdir()]) == 2


def test_gb18030_files_cannot_pass_for_utf8(simulated_inbox: Path, read_inbox: dict) -> None:
    """A GB18030 file breaks UTF-8 at its first non-ASCII byte (in the Chinese header),
    so a reader never takes it for valid or damaged UTF-8."""
    gb = [f for f in read_inbox["files"].values() if f.encoding == "gb18030"]
    assert gb
    for f in gb:
        data = (simulated_inbox / f.rel).read_bytes()
        with pytest.raises(UnicodeDecodeError) as caught:
            data.decode("utf-8")
        assert data[: caught.value.start].isascii(), f.rel


@pytest.mark.parametrize(
    "rule_id, feed, column, by",
    [
        ("ELG-03", "fin_fiscal_payroll", "id_number", "id_number"),
        ("ELG-04", "ps_vehicles", "owner_id_number", "id_number"),
        ("HRD-08", "rr_monitoring", "rr_household_id", "subject_key"),
        ("HRD-09", "rr_monitoring", "rr_household_id", "subject_key"),
        ("REV-08", "ca_vagrant_cases", "case_id", "subject_key"),
        ("REV-10", "hotline_12345", "ticket_id", "subject_key"),
        ("REV-06", "ca_temp_assistance", "case_id", "subject_key"),
    ],
)
def test_planted_subject_is_in_its_rules_feed(
    simulated_inbox: Path, read_inbox: dict, rule_id: str, feed: str, column: str, by: str
) -> None:
    """A subject that must fire is present in the feed its rule reads (newest delivery
    for snapshots, any delivery for events); rules without plants pass trivially."""
    kind = cf.contracts()[feed]["kind"]
    files = (
        [newest(read_inbox, feed)]
        if kind == "snapshot"
        else [f for f in read_inbox["files"].values() if f.feed == feed]
    )
    values = {
        cf.full_id(str(r[column])) if column.endswith("id_number") else str(r[column])
        for f in files
        for r in f.rows
        if r.get(column) not in (None, "")
    }
    for e in truth(simulated_inbox, "expected_warnings.csv"):
        if e["rule_id"] == rule_id and e["must_fire"] == "true":
            assert e[by] in values, e
