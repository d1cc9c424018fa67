"""The offline path: feedback columns in the exported workbooks, and `aidwatch feedback import`."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import duckdb
import pytest
from openpyxl import load_workbook
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from aidwatch.cli import main
from aidwatch.feedback import clock
from aidwatch.home import Home
from aidwatch.workspace import accounts
from aidwatch.workspace.ops import open_ops_engine
from aidwatch.workspace.ops.models import AuditEvent, WarningFeedback
from exports.audit import read_audit_lines
from tests.fixtures.simulated import TEST_AS_OF
from tests.workspace.conftest import PASSWORD

INPUT_HEADERS = ("核查结果", "处置措施", "核查日期", "处置日期", "说明")


@pytest.fixture(scope="module")
def exported(built_home: Home, tmp_path_factory: pytest.TempPathFactory) -> tuple[Home, Path, str, str]:
    """A HOME with a copy of the session warehouse, its exported lists, and two townships in two banners."""
    from exports.officials import export_warning_lists

    home = Home(tmp_path_factory.mktemp("feedback_import"))
    shutil.copyfile(built_home.warehouse, home.warehouse)
    out = export_warning_lists(home, TEST_AS_OF, home.root / "lists").out_dir
    con = duckdb.connect(str(home.warehouse), read_only=True)
    try:
        towns = [r[0] for r in con.execute(
            "select township_code from marts.warnings where status <> 'resolved' "
            "and township_code is not null group by 1 order by count(*) desc, 1").fetchall()]
    finally:
        con.close()
    other = next(t for t in towns[1:] if t[:6] != towns[0][:6])
    return home, out, towns[0], other


@pytest.fixture
def engine(exported: tuple[Home, Path, str, str], tmp_path: Path) -> Engine:
    home, _, township, _ = exported
    engine = open_ops_engine(home, f"sqlite:///{tmp_path / 'ops.sqlite'}")
    accounts.add_user(engine, "town", "township", PASSWORD, township)
    accounts.add_user(engine, "admin", "admin", PASSWORD)
    return engine


@pytest.fixture(autouse=True)
def officials_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(clock, "local_now", lambda: dt.datetime(2026, 11, 30, 9, 0))


def workbook_of(out: Path, code: str) -> Path:
    [path] = out.glob(f"{code}_*预警清单.xlsx")
    return path


def list_rows(path: Path) -> tuple[dict[str, int], list[int]]:
    sheet = load_workbook(path).worksheets[0]
    headers = {cell.value: cell.column for cell in sheet[2]}
    rows = [r for r in range(3, sheet.max_row + 1) if sheet.cell(r, headers["预警编号"]).value]
    return headers, rows


def fill(source: Path, target: Path, answers: dict[int, dict[str, object]],
         extra_rows: list[dict[str, object]] = ()) -> Path:
    workbook = load_workbook(source)
    sheet = workbook.worksheets[0]
    headers = {cell.value: cell.column for cell in sheet[2]}
    for row, values in answers.items():
        for header, value in values.items():
            sheet.cell(row, headers[header]).value = value
    for values in extra_rows:
        row = sheet.max_row + 1
        for header, value in values.items():
            sheet.cell(row, headers[header]).value = value
    workbook.save(target)
    return target


def stored(engine: Engine) -> int:
    with Session(engine) as db:
        return db.scalar(select(func.count()).select_from(WarningFeedback)) or 0


def run_import(home: Home, path: Path, engine: Engine, user: str = "town") -> int:
    return main(["feedback", "import", str(path), "--user", user, "--home", str(home.root),
                 "--ops-db", str(engine.url)])


def test_township_and_banner_lists_carry_feedback_columns_with_drop_downs(exported) -> None:
    _, out, township, _ = exported
    for code in (township, township[:6]):
        path = workbook_of(out, code)
        headers, rows = list_rows(path)
        assert {"预警编号", "状态", "核查时限", *INPUT_HEADERS} <= set(headers)
        sheet = load_workbook(path).worksheets[0]
        lists = {str(v.sqref): v.formula1 for v in sheet.data_validations.dataValidation if v.type == "list"}
        letter = sheet.cell(2, headers["核查结果"]).column_letter
        assert lists[f"{letter}{rows[0]}:{letter}{rows[-1]}"] == '"属实,部分属实,不属实"'
    league_headers, _ = list_rows(workbook_of(out, "152900"))
    assert "核查结果" not in league_headers


def test_a_good_workbook_is_imported_whole_and_audited(exported, engine: Engine, tmp_path: Path,
                                                      capsys: pytest.CaptureFixture) -> None:
    home, out, township, _ = exported
    source = workbook_of(out, township)
    _, rows = list_rows(source)
    path = fill(source, tmp_path / "good.xlsx", {
        rows[0]: {"核查结果": "属实", "处置措施": "纳入救助", "核查日期": dt.datetime(2026, 11, 29),
                  "处置日期": "2026-11-30"},
        rows[1]: {"核查结果": "不属实", "处置措施": "无需处置", "核查日期": "2026-11-28",
                  "说明": "+入户核实不符"},  # formula-like text is kept as text
    })
    assert run_import(home, path, engine) == 0
    assert "imported 2 feedback rows" in capsys.readouterr().out
    with Session(engine) as db:
        records = list(db.scalars(select(WarningFeedback).order_by(WarningFeedback.id)))
        audits = list(db.scalars(select(AuditEvent).where(AuditEvent.action == "feedback")))
    at = dt.datetime(2026, 11, 30, 9, 0)
    assert [(r.result, r.user_login, r.recorded_at, r.note) for r in records] == [
        ("confirmed", "town", at, None), ("not_confirmed", "town", at, "+入户核实不符")]
    assert [(a.user_login, a.subject, a.result) for a in audits] == [("town", "workbook:good.xlsx", "ok")]
    events = [line["event"] for line in read_audit_lines(home) if line.get("action") == "feedback_import"]
    assert events[-2:] == ["intent", "completed"]


def test_any_bad_row_refuses_the_whole_workbook_naming_each_row(exported, engine: Engine, tmp_path: Path,
                                                                capsys: pytest.CaptureFixture) -> None:
    home, out, township, other = exported
    source = workbook_of(out, township)
    _, rows = list_rows(source)
    other_headers, other_rows = list_rows(workbook_of(out, other))
    other_sheet = load_workbook(workbook_of(out, other)).worksheets[0]
    other_key = other_sheet.cell(other_rows[0], other_headers["预警编号"]).value
    good = {"核查结果": "属实", "处置措施": "已完成核查", "核查日期": "2026-11-29"}
    path = fill(source, tmp_path / "bad.xlsx", {
        rows[0]: good,
        rows[1]: {**good, "核查日期": "2026-12-01"},                      # future
        rows[2]: {**good, "说明": "核" * 501},                           # too long
        rows[3]: {**good, "核查结果": "不属实", "处置措施": "无需处置"},     # dismissed without a note
    }, extra_rows=[
        {"预警编号": other_key, **good},                                   # another township's warning
        {"预警编号": "no-such-warning", **good},
    ])
    assert run_import(home, path, engine) == 1
    error = capsys.readouterr().err
    assert "整个工作簿被拒绝" in error
    for row, text in ((rows[1], "核查日期(verified_on): 不能晚于今天"),
                      (rows[2], "说明(note): 不能超过500个字"),
                      (rows[3], "说明(note): 核查结果为“不属实”时必须填写说明")):
        assert f"第{row}行 {text}" in error
    assert error.count("找不到该预警,或不在您的管辖范围内") == 2
    assert f"第{rows[0]}行" not in error
    assert stored(engine) == 0


def test_a_formula_cell_is_refused(exported, engine: Engine, tmp_path: Path,
                                   capsys: pytest.CaptureFixture) -> None:
    home, out, township, _ = exported
    source = workbook_of(out, township)
    _, rows = list_rows(source)
    path = fill(source, tmp_path / "formula.xlsx", {rows[0]: {
        "核查结果": "属实", "处置措施": "无需处置", "核查日期": "2026-11-29", "说明": "=HYPERLINK(\"http://x\")"}})
    workbook = load_workbook(path)  # openpyxl wrote the note as a formula cell
    assert run_import(home, path, engine) == 1
    assert "不能填写公式" in capsys.readouterr().err
    assert stored(engine) == 0
    workbook.close()


@pytest.mark.parametrize("user", ["nobody", "admin"])
def test_unknown_users_and_the_admin_cannot_import(exported, engine: Engine, tmp_path: Path, user: str,
                                                   capsys: pytest.CaptureFixture) -> None:
    home, out, township, _ = exported
    source = workbook_of(out, township)
    _, rows = list_rows(source)
    path = fill(source, tmp_path / "user.xlsx",
                {rows[0]: {"核查结果": "属实", "处置措施": "无需处置", "核查日期": "2026-11-29"}})
    assert run_import(home, path, engine, user=user) == 1
    assert f"用户 {user}" in capsys.readouterr().err
    assert stored(engine) == 0


def test_a_sealed_audit_log_imports_nothing(exported, engine: Engine, tmp_path: Path,
                                            capsys: pytest.CaptureFixture) -> None:
    home, out, township, _ = exported
    source = workbook_of(out, township)
    _, rows = list_rows(source)
    path = fill(source, tmp_path / "sealed.xlsx",
                {rows[0]: {"核查结果": "属实", "处置措施": "无需处置", "核查日期": "2026-11-29"}})
    home.audit_log.parent.mkdir(parents=True, exist_ok=True)
    home.audit_log.touch()
    mode = home.audit_log.stat().st_mode
    home.audit_log.chmod(0o400)
    try:
        assert run_import(home, path, engine) == 1
    finally:
        home.audit_log.chmod(mode)
    assert "nothing imported" in capsys.readouterr().err
    assert stored(engine) == 0
