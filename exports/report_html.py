"""The league's summary report: one self-contained HTML file with inline SVG charts.

Why self-contained: it is mailed and opened offline; no script, font or style is
fetched from anywhere (a test checks that no http(s) reference appears).
Only counts appear in it, never a person.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date
from html import escape

import duckdb

from exports.labels import SEVERITY_ORDER, SEVERITY_ZH, VALUE_ZH
from exports.published import Area, tables_like
from exports.summary import AreaCounts
from exports.svg_charts import horizontal_bars, line_chart

log = logging.getLogger(__name__)

MAX_SERIES = 6


@dataclass(frozen=True)
class IndicatorChart:
    """One chart of the report: league-level monthly values of an indicator table.

    `measures` maps a Chinese series label to an aggregate over the month's league
    rows; with `series_column`, the one measure is split into a line per value of
    that column (e.g. per roll type). `where` narrows rows (one breakdown).
    """

    title: str
    table: str
    measures: dict[str, str]
    series_column: str | None = None
    where: str = ""


# The main indicators (indicators.md): what the league's leadership watches month by month.
MAIN_INDICATORS = [
    IndicatorChart("在保人数（按救助类别）", "ind_01_assisted_by_type", {"人数": "sum(persons)"},
                   series_column="roll_type", where="urban_rural = 'all'"),
    IndicatorChart("每千名户籍人口中的救助人数", "ind_02_coverage_rate",
                   {"每千人": "sum(assisted_per_1000_residents)"}),
    IndicatorChart("动态进出（户）", "ind_03_roll_changes",
                   {"新增": "sum(new_households)", "退出": "sum(exited_households)"},
                   where="urban_rural = 'all'"),
    IndicatorChart("资金发放（元，按项目）", "ind_04_payments", {"金额": "sum(amount_paid)"},
                   series_column="program", where="urban_rural = 'all'"),
    IndicatorChart("临时救助（件）", "ind_05_temporary_assistance", {"件数": "sum(cases)"},
                   where="breakdown = 'all'"),
    IndicatorChart("核查逾期户数", "ind_06_reviews", {"逾期户数": "sum(households_overdue)"},
                   where="review_class = 'all'"),
    IndicatorChart("零就业家庭", "ind_08_zero_employment_households",
                   {"户数": "sum(zero_employment_households)"}),
]

LEAGUE_FILTER = "region_level = 'league'"


def indicator_series(con: duckdb.DuckDBPyConnection) -> list[tuple[str, list[str], dict[str, list[float]]]]:
    """Each main indicator at league level by month: (title, months, {series: values}).

    An indicator whose table or columns are missing is left out with a warning (the
    report still shows the warnings), never guessed.
    """
    charts = []
    present = set(tables_like(con, "marts", "ind_"))
    for chart in MAIN_INDICATORS:
        if chart.table not in present:
            log.warning("report: marts.%s missing; chart %s left out", chart.table, chart.title)
            continue
        conditions = " and ".join(c for c in (LEAGUE_FILTER, chart.where) if c)
        split = chart.series_column or "null"
        sums = ", ".join(f"{sql} as m{index}" for index, sql in enumerate(chart.measures.values()))
        try:
            rows = con.execute(
                f"select month, {split} as series, {sums} from marts.{chart.table} "
                f"where {conditions} group by all order by month, series"
            ).fetchall()
        except duckdb.Error as error:
            log.warning("report: chart %s left out: %s", chart.title, error)
            continue
        if not rows:
            continue
        months = sorted({row[0] for row in rows})
        position = {month: index for index, month in enumerate(months)}
        series: dict[str, list[float]] = {}
        labels = list(chart.measures)
        for row in rows:
            for index, label in enumerate(labels):
                name = str(VALUE_ZH.get(str(row[1]), row[1])) if chart.series_column else label
                line = series.setdefault(name, [0.0] * len(months))
                line[position[row[0]]] += float(row[2 + index] or 0)
        biggest = sorted(series, key=lambda name: -sum(series[name]))[:MAX_SERIES]
        charts.append((chart.title, [str(m)[:7] for m in months], {name: series[name] for name in biggest}))
    return charts


STYLE = """
body { font-family: sans-serif; margin: 2em; color: #222; }
h1 { font-size: 1.5em; } h2 { font-size: 1.2em; margin-top: 2em; border-bottom: 1px solid #ccc; }
table { border-collapse: collapse; margin: 0.5em 0; } td, th { border: 1px solid #ccc; padding: 3px 8px; }
th { background: #ddebf7; } td.n { text-align: right; } .empty { color: #888; }
.note { color: #666; font-size: 0.9em; }
"""


def table_cell(value: object) -> str:
    if isinstance(value, int | float):
        return f'<td class="n">{value}</td>'
    return f"<td>{escape(str(value))}</td>"


def counts_table(headers: list[str], body: list[list]) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in headers)
    lines = "".join("<tr>" + "".join(table_cell(value) for value in line) + "</tr>" for line in body)
    return f"<table><tr>{head}</tr>{lines}</table>"


def render_report(
    con: duckdb.DuckDBPyConnection,
    league: Area,
    as_of: date,
    counts: AreaCounts,
    rule_names: dict[str, str],
    banner_names: dict[str, str],
    history: list[dict],
) -> str:
    """The whole HTML document as text."""
    by_rule = sorted(counts.by_rule.items(), key=lambda item: (-item[1], item[0]))
    by_banner = sorted(counts.by_banner.items(), key=lambda item: (-item[1], item[0]))
    history_labels = [str(row["as_of"]) for row in history]
    history_series = {
        "新增": [float(row["new_count"]) for row in history],
        "已解除": [float(row["resolved_count"]) for row in history],
        "持续": [float(row["open_count"]) for row in history],
    }
    sections = [
        f"<h1>{escape(league.name)}社会救助预警分析报告</h1>",
        f'<p>统计日期：{as_of.isoformat()}。本报告只含汇总数字，不含任何个人信息。</p>',
        counts_table(
            ["未解除预警", "本期新增", "本期解除"], [[counts.total, counts.new, counts.resolved]]
        ),
        "<h2>按预警规则</h2>",
        horizontal_bars([(f"{rule} {rule_names.get(rule, '')}", n) for rule, n in by_rule]),
        "<h2>按旗(区)</h2>",
        horizontal_bars([(banner_names.get(code, code or "未知"), n) for code, n in by_banner]),
        "<h2>按预警等级</h2>",
        counts_table(
            ["预警等级", "未解除"],
            [
                [SEVERITY_ZH.get(sev, sev), n]
                for sev, n in sorted(counts.by_severity.items(), key=lambda i: SEVERITY_ORDER.get(i[0], 9))
            ],
        ),
        "<h2>历次运行：新增与解除</h2>",
        line_chart(history_labels, history_series),
        "<h2>主要监测指标（全盟，按月）</h2>",
    ]
    indicator_charts = indicator_series(con)
    if not indicator_charts:
        sections.append('<p class="empty">暂无指标数据</p>')
    for title, months, series in indicator_charts:
        sections.append(f"<h3>{escape(title)}</h3>")
        sections.append(line_chart(months, series))
    body = "\n".join(sections)
    return (
        "<!DOCTYPE html>\n<html lang=\"zh-CN\"><head><meta charset=\"utf-8\">"
        f"<title>{escape(league.name)}预警分析报告 {as_of.isoformat()}</title>"
        f"<style>{STYLE}</style></head><body>\n{body}\n</body></html>\n"
    )
