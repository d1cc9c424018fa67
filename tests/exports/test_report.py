"""The league report: self-contained, complete months only, every type, readable charts."""

from __future__ import annotations

import json
import re
from datetime import date

import pytest

from aidwatch.home import Home
from exports.charts import ECHARTS_VERSION, echarts_source
from exports.officials import export_warning_lists
from exports.report_html import complete_before, jump_notes
from tests.exports.conftest import AS_OF, make_small_home


@pytest.fixture(scope="module")
def report_html(tmp_path_factory: pytest.TempPathFactory) -> str:
    home: Home = make_small_home(tmp_path_factory.mktemp("report") / "home")
    result = export_warning_lists(home, AS_OF, None)
    return result.report.read_text(encoding="utf-8")


def chart_options(html: str) -> dict[str, dict]:
    payload = re.search(r"const AIDWATCH_CHARTS = (\{.*?\});\n", html, re.S)
    assert payload, "chart options missing"
    return json.loads(payload.group(1).replace("<\\/", "</"))


def test_report_is_self_contained(report_html: str) -> None:
    outside_library = report_html.replace(echarts_source(), "")
    assert echarts_source() in report_html  # the library is inlined, not linked
    assert f"Apache ECharts {ECHARTS_VERSION}" in report_html
    assert not re.search(r"https?:", outside_library, re.IGNORECASE)
    assert " src=" not in outside_library.lower() and "<link" not in outside_library.lower()
    assert "@import" not in outside_library


def test_report_plots_complete_months_only(report_html: str) -> None:
    options = chart_options(report_html)
    months = options["roll_total"]["xAxis"]["data"]
    # the fixture has ind_01 for 2026-06 .. 2026-11; as_of 2026-11-02 leaves November unfinished
    assert months == ["2026-06", "2026-07", "2026-08", "2026-09", "2026-10"]
    assert "2026-11（截至2026-11-02尚未结束）不列入" in report_html


def test_report_shows_every_type_in_separate_total_and_part_charts(report_html: str) -> None:
    options = chart_options(report_html)
    total = {s["name"] for s in options["roll_total"]["series"]}
    parts = {s["name"] for s in options["roll_by_type"]["series"]}
    subtypes = {s["name"] for s in options["roll_subtypes"]["series"]}
    assert total == {"户数", "人数"}
    assert parts == {"低保", "特困", "低保边缘", "刚性支出困难", "其他低收入"}  # every type, even when zero
    assert subtypes == {"低保A类", "低保B类", "特困集中供养", "特困分散供养"}
    assert "合计" not in parts | subtypes
    persons = next(s for s in options["roll_total"]["series"] if s["name"] == "人数")
    assert persons["data"] == [185.0, 184.0, 183.0, 182.0, 181.0]
    assert persons["label"]["show"]  # values written on the points
    assert options["roll_total"]["yAxis"]["splitLine"]["show"]
    for chart_id in ("roll_total", "roll_by_type", "warnings_by_rule", "warnings_by_banner", "warning_runs"):
        assert f'id="{chart_id}"' in report_html
    notes = re.findall(r'<p class="note">(.*?)</p>', report_html)
    assert len(notes) >= len(options)  # a note under every chart
    assert "动态进出" not in report_html  # its table is missing: left out, not guessed
    assert "REV-01 年度核查逾期" in json.dumps(options["warnings_by_rule"], ensure_ascii=False)


def test_month_is_complete_on_its_last_day() -> None:
    assert complete_before(date(2026, 11, 2)) == date(2026, 11, 1)
    assert complete_before(date(2026, 11, 30)) == date(2026, 12, 1)
    assert complete_before(date(2026, 12, 31)) == date(2027, 1, 1)


def test_large_jumps_get_a_note() -> None:
    notes = jump_notes(["2026-07", "2026-08", "2026-09", "2026-10"], {"户数": [640.0, 652.0, 3.0, 4.0]}, "户")
    assert len(notes) == 1 and "2026-09" in notes[0] and "652" in notes[0]
    assert jump_notes(["a", "b"], {"户数": [10.0, 14.0]}, "户") == []  # small changes: no note
    seasonal = {"取暖补贴": [0.0, 167000.0, 0.0]}
    assert jump_notes(["a", "b", "c"], seasonal, "元", ("取暖补贴",)) == []  # paid once a year
    many = {f"s{i}": [100.0, 1000.0 * (i + 1)] for i in range(6)}
    assert len(jump_notes(["a", "b"], many, "元")) == 3  # the largest few, not a wall of notes
