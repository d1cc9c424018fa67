"""The league's summary report: one self-contained HTML file with ECharts charts.

Why self-contained: it is mailed and opened offline; the chart library is inlined
(exports/charts.py) and no script, font or style is fetched from anywhere.
Only counts appear in it, never a person.

Why complete months only: the as_of month is still running (payments are made late
in the month), so plotting it shows a collapse that did not happen. The report
plots months before the as_of month, unless the as_of is the last day of its month.
Roll changes start from the second month of data: the first month has no month
before it, so every household on the starting roll would count as "new".
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, timedelta
from html import escape

import duckdb

from exports.charts import Chart, bar_chart, charts_script, grouped_bars, line_chart
from exports.labels import SEVERITY_ORDER, SEVERITY_ZH, VALUE_ZH
from exports.published import Area, table_columns, tables_like
from exports.summary import AreaCounts

log = logging.getLogger(__name__)

LEAGUE_FILTER = "region_level = 'league'"
JUMP_SHARE = 0.5  # a month-to-month change above this share gets a note under its chart
JUMP_MINIMUM = 20  # ... when it is at least this many units
MAX_JUMP_NOTES = 3
WHOLE_UNITS = ("元", "户", "人", "件", "户/人")
SEASONAL_SERIES = ("取暖补贴",)  # paid once a year (October): its jumps are the season, not news


@dataclass(frozen=True)
class IndicatorChart:
    """One chart of the report: league-level monthly values of an indicator table.

    `measures` maps a Chinese series label to an aggregate over the month's league
    rows; with `series_column` and `series_values`, the one measure is split into a
    line per listed value of that column (every value listed is shown, none cut).
    `where` narrows rows (one breakdown). `note` says how to read the chart.
    `skip_first_month`: the first month of data is a starting point, not a change.
    """

    chart_id: str
    title: str
    table: str
    measures: dict[str, str]
    unit: str
    note: str
    series_column: str | None = None
    series_values: tuple[str, ...] = ()
    where: str = ""
    skip_first_month: bool = False


ROLL_TYPES = ("dibao", "tekun", "edge", "rigid_expense", "other_low_income")
ROLL_SUBTYPES = ("dibao_A", "dibao_B", "tekun_centralized", "tekun_dispersed")
PROGRAMS = ("dibao", "tekun_basic", "tekun_care", "price_subsidy", "heating", "disability_living",
            "disability_care", "orphan", "unsupported_child")

# The main indicators (indicators.md): what the league's leadership watches month by month.
MAIN_INDICATORS = [
    IndicatorChart("roll_total", "在保对象合计", "ind_01_assisted_by_type",
                   {"户数": "sum(households)", "人数": "sum(persons)"}, "户/人",
                   "全盟在保（含渐退期）的救助家庭户数和人数，每户只计一次。",
                   where="urban_rural = 'all' and roll_type = 'all'"),
    IndicatorChart("roll_by_type", "在保人数（按救助类别）", "ind_01_assisted_by_type",
                   {"人数": "sum(persons)"}, "人",
                   "各救助类别的在保人数，类别之间互不重叠，相加等于“在保对象合计”的人数；特困人员按供养人数计。",
                   series_column="roll_type", series_values=ROLL_TYPES, where="urban_rural = 'all'"),
    IndicatorChart("roll_subtypes", "低保与特困的细分（人）", "ind_01_assisted_by_type",
                   {"人数": "sum(persons)"}, "人",
                   "低保A类+低保B类=低保；特困集中供养+特困分散供养=特困。",
                   series_column="roll_type", series_values=ROLL_SUBTYPES, where="urban_rural = 'all'"),
    IndicatorChart("coverage", "每千名户籍人口中的救助人数", "ind_02_coverage_rate",
                   {"每千人": "sum(assisted_per_1000_residents)"}, "人/千人",
                   "在保人数除以户籍人口再乘以1000，反映救助覆盖面。"),
    IndicatorChart("roll_changes", "动态进出（户）", "ind_03_roll_changes",
                   {"新增": "sum(new_households)", "退出": "sum(exited_households)"}, "户",
                   "与上月相比新纳入和退出救助的家庭户数；数据的第一个月是起始名册，没有上月可比，不列出。",
                   where="urban_rural = 'all'", skip_first_month=True),
    IndicatorChart("payments_total", "资金发放合计（元）", "ind_04_payments", {"金额": "sum(amount_paid)"},
                   "元",
                   "民政各项救助资金当月实际发放的合计金额；每年10月含一次性发放的取暖补贴，金额高于其他月份。",
                   where="urban_rural = 'all' and program = 'all'"),
    IndicatorChart("payments_by_program", "资金发放（元，按项目）", "ind_04_payments",
                   {"金额": "sum(amount_paid)"}, "元",
                   "各资金项目当月实际发放金额，相加等于“资金发放合计”；取暖补贴等按季节发放，月份间起伏属正常。",
                   series_column="program", series_values=PROGRAMS, where="urban_rural = 'all'"),
    IndicatorChart("temporary", "临时救助（件）", "ind_05_temporary_assistance", {"件数": "sum(cases)"},
                   "件", "当月审批的临时救助件数。", where="breakdown = 'all'"),
    IndicatorChart("temporary_amount", "临时救助金额（元）", "ind_05_temporary_assistance",
                   {"金额": "sum(amount)"}, "元", "当月审批的临时救助金额合计。", where="breakdown = 'all'"),
    IndicatorChart("reviews_overdue", "核查逾期户数", "ind_06_reviews",
                   {"逾期户数": "sum(households_overdue)"}, "户",
                   "月末已超过规定周期仍未完成定期核查的在保家庭户数（低保A类每年、B类每半年、特困每年）。",
                   where="review_class = 'all'"),
    IndicatorChart("zero_employment", "零就业家庭（户）", "ind_08_zero_employment_households",
                   {"户数": "sum(zero_employment_households)"}, "户",
                   "有劳动年龄成员但无一人就业的家庭户数，依据人社部门的就业登记数据。"),
]


def month_label(month: object) -> str:
    return str(month)[:7]


def complete_before(as_of: date) -> date:
    """The first month that is not complete at as_of (months before it are plotted)."""
    if (as_of + timedelta(days=1)).day == 1:  # the last day of a month completes it
        return (as_of + timedelta(days=1)).replace(day=1)
    return as_of.replace(day=1)


def jump_notes(months: list[str], series: dict[str, list[float | None]], unit: str,
               seasonal: tuple[str, ...] = ()) -> list[str]:
    """The largest month-to-month changes that need an explanation, named for the reader.

    A change counts when it moves by more than JUMP_SHARE of both the month before and
    the series' median month (so a small series' noise and a seasonal payment, named in
    `seasonal`, are not flagged); at most MAX_JUMP_NOTES per chart, largest first.
    """
    found: list[tuple[float, str]] = []
    for name, values in series.items():
        if name in seasonal:
            continue
        known = sorted(v for v in values if v is not None)
        if not known:
            continue
        typical = max(abs(known[len(known) // 2]), 1.0)
        for index in range(1, len(values)):
            before, now = values[index - 1], values[index]
            if before is None or now is None:
                continue
            change = now - before
            if abs(change) < JUMP_MINIMUM or abs(change) <= JUMP_SHARE * max(abs(before), typical):
                continue
            share = f"，{change / abs(before):+.0%}" if before else ""
            found.append((abs(change) / typical,
                          f"注意：{name}在{months[index]}由{before:,.0f}变为{now:,.0f}{unit}（较上月"
                          f"{'+' if change > 0 else ''}{change:,.0f}{share}），变化较大，"
                          "请结合政策调整和部门数据报送情况核实。"))
    return [text for _, text in sorted(found, key=lambda item: -item[0])[:MAX_JUMP_NOTES]]


def indicator_charts(con: duckdb.DuckDBPyConnection, as_of: date) -> tuple[list[tuple[str, Chart]], str]:
    """Each main indicator at league level by complete month: (title, chart), and the period text.

    An indicator whose table or columns are missing is left out with a warning (the
    report still shows the warnings), never guessed.
    """
    cutoff = complete_before(as_of)
    charts: list[tuple[str, Chart]] = []
    present = set(tables_like(con, "marts", "ind_"))
    periods: set[str] = set()
    for chart in MAIN_INDICATORS:
        if chart.table not in present:
            log.warning("report: marts.%s missing; chart %s left out", chart.table, chart.title)
            continue
        columns = set(table_columns(con, "marts", chart.table))
        if chart.series_column and chart.series_column not in columns:
            log.warning("report: marts.%s has no %s; chart %s left out", chart.table, chart.series_column,
                        chart.title)
            continue
        conditions = " and ".join(c for c in (LEAGUE_FILTER, chart.where, "month < ?") if c)
        split = chart.series_column or "null"
        sums = ", ".join(f"{sql} as m{index}" for index, sql in enumerate(chart.measures.values()))
        try:
            rows = con.execute(
                f"select month, {split} as series, {sums} from marts.{chart.table} "
                f"where {conditions} group by all order by month, series",
                [cutoff],
            ).fetchall()
        except duckdb.Error as error:
            log.warning("report: chart %s left out: %s", chart.title, error)
            continue
        months = sorted({row[0] for row in rows})
        if chart.skip_first_month:
            months = months[1:]
        if not months:
            continue
        position = {month: index for index, month in enumerate(months)}
        series: dict[str, list[float | None]] = {}
        if chart.series_column:
            for value in chart.series_values:
                series[str(VALUE_ZH.get(value, value))] = [0.0] * len(months)
        labels = list(chart.measures)
        for row in rows:
            if row[0] not in position:
                continue
            if chart.series_column and row[1] not in chart.series_values:
                continue
            for index, label in enumerate(labels):
                name = str(VALUE_ZH.get(str(row[1]), row[1])) if chart.series_column else label
                line = series.setdefault(name, [0.0] * len(months))
                line[position[row[0]]] = (line[position[row[0]]] or 0) + float(row[2 + index] or 0)
        month_labels = [month_label(m) for m in months]
        periods.update((month_labels[0], month_labels[-1]))
        digits = 0 if chart.unit in WHOLE_UNITS else 2  # yuan, households, persons, cases: whole numbers
        rounded = {name: [None if v is None else round(v, digits) for v in line]
                   for name, line in series.items()}
        drawn = line_chart(chart.chart_id, month_labels, rounded, chart.unit, chart.note)
        drawn.extra_notes = jump_notes(month_labels, rounded, chart.unit, SEASONAL_SERIES)
        charts.append((chart.title, drawn))
    excluded = (
        f"{month_label(cutoff)}（截至{as_of.isoformat()}尚未结束）不列入，以免把未发放完的月份误读为下降。"
        if cutoff <= as_of else ""
    )
    period = f"{min(periods)}至{max(periods)}" if periods else ""
    return charts, (f"指标按完整月份统计（{period}）；{excluded}" if period else excluded)


STYLE = """
body { font-family: "Noto Sans CJK SC", "Microsoft YaHei", sans-serif; margin: 2em auto; max-width: 1000px;
       color: #222; }
h1 { font-size: 1.5em; } h2 { font-size: 1.2em; margin-top: 2em; border-bottom: 1px solid #ccc; }
h3 { font-size: 1.05em; margin: 1.5em 0 0.3em; }
table { border-collapse: collapse; margin: 0.5em 0; } td, th { border: 1px solid #ccc; padding: 3px 8px; }
th { background: #ddebf7; } td.n { text-align: right; } .empty { color: #888; }
.note { color: #555; font-size: 0.9em; margin: 0.2em 0 0.8em; }
.chart { width: 100%; }
@media print { .chart { page-break-inside: avoid; } h3 { page-break-after: avoid; } }
"""


def table_cell(value: object) -> str:
    if isinstance(value, int | float):
        return f'<td class="n">{value:,}</td>'
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
    charts: list[Chart] = []

    def place(chart: Chart) -> str:
        charts.append(chart)
        return chart.html()

    by_rule = sorted(counts.by_rule.items(), key=lambda item: (-item[1], item[0]))
    by_banner = sorted(counts.by_banner.items(), key=lambda item: (-item[1], item[0]))
    sections = [
        f"<h1>{escape(league.name)}社会救助预警分析报告</h1>",
        f"<p>统计日期：{as_of.isoformat()}。本报告只含汇总数字，不含任何个人信息。</p>",
        counts_table(["未解除预警", "本期新增", "本期解除", "核查逾期", "逾期已上报旗(区)"],
                     [[counts.total, counts.new, counts.resolved, counts.overdue, counts.escalated]]),
        "<h2>按预警规则</h2>",
        place(bar_chart("warnings_by_rule", [f"{rule} {rule_names.get(rule, '')}" for rule, _ in by_rule],
                        [n for _, n in by_rule], "条",
                        "各预警规则当前未解除（新增和持续）的预警条数，从多到少排列。"))
        if by_rule else '<p class="empty">本期无预警</p>',
        "<h2>按旗(区)</h2>",
        place(bar_chart("warnings_by_banner",
                        [banner_names.get(code, code or "未知") for code, _ in by_banner],
                        [n for _, n in by_banner], "条",
                        "各旗(区)当前未解除的预警条数（含旗(区)级的标准类预警）。"))
        if by_banner else '<p class="empty">本期无预警</p>',
        "<h2>按预警等级</h2>",
        counts_table(
            ["预警等级", "未解除"],
            [
                [SEVERITY_ZH.get(sev, sev), n]
                for sev, n in sorted(counts.by_severity.items(), key=lambda i: SEVERITY_ORDER.get(i[0], 9))
            ],
        ),
        "<h2>历次运行：新增、持续与解除</h2>",
    ]
    if history:
        sections.append(place(grouped_bars(
            "warning_runs", [str(row["as_of"]) for row in history],
            {
                "新增": [float(row["new_count"]) for row in history],
                "持续": [float(row["open_count"]) for row in history],
                "已解除": [float(row["resolved_count"]) for row in history],
            },
            "条",
            "每次运行与上一次运行相比：新出现的预警、仍然存在的预警和不再触发的预警条数；第一次运行的预警全部计为新增。",
        )))
    else:
        sections.append('<p class="empty">暂无运行记录</p>')
    sections.append("<h2>主要监测指标（全盟，按月）</h2>")
    indicator_list, period_text = indicator_charts(con, as_of)
    if period_text:
        sections.append(f'<p class="note">{escape(period_text)}</p>')
    if not indicator_list:
        sections.append('<p class="empty">暂无指标数据</p>')
    for title, chart in indicator_list:
        sections.append(f"<h3>{escape(title)}</h3>")
        sections.append(place(chart))
    body = "\n".join(sections)
    return (
        "<!DOCTYPE html>\n<html lang=\"zh-CN\"><head><meta charset=\"utf-8\">"
        f"<title>{escape(league.name)}预警分析报告 {as_of.isoformat()}</title>"
        f"<style>{STYLE}</style></head><body>\n{body}\n{charts_script(charts)}</body></html>\n"
    )
