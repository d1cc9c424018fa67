"""Charts of the league report, drawn by the vendored Apache ECharts inside the HTML file.

Why ECharts, vendored and inlined: a well-kept chart library gives readable axes,
value labels and tooltips that hand-drawn SVG did not; the report is mailed and
opened offline, so the library (aidwatch/vendor/echarts.min.js, from the npm
registry) is written into the file itself and nothing is fetched from anywhere.
Each chart is an ECharts option (plain JSON) rendered as SVG in the browser, so it
also prints sharply.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cache
from html import escape
from importlib import resources

ECHARTS_VERSION = "6.1.0"
PALETTE = ["#2f5597", "#c55a11", "#548235", "#7030a0", "#bf9000", "#2e75b6", "#a5a5a5",
           "#843c0c", "#375623", "#ff0066", "#0099cc", "#666633", "#cc6699", "#339966"]


@cache
def echarts_source() -> str:
    """The vendored library's text (Apache-2.0; licence in aidwatch/vendor/)."""
    return resources.files("aidwatch").joinpath("vendor/echarts.min.js").read_text(encoding="utf-8")


@dataclass
class Chart:
    """One chart: an ECharts option plus the sentence printed under it on how to read it."""

    chart_id: str
    option: dict
    note: str = ""
    height: int = 320
    extra_notes: list[str] = field(default_factory=list)

    def html(self) -> str:
        notes = [self.note, *self.extra_notes]
        below = "".join(f'<p class="note">{escape(text)}</p>' for text in notes if text)
        return (
            f'<div class="chart" id="{escape(self.chart_id)}" style="height:{self.height}px"></div>'
            f"{below}"
        )


def _number_axis(name: str) -> dict:
    return {"type": "value", "name": name, "nameTextStyle": {"align": "left"},
            "axisLabel": {"formatter": "{value}"}, "splitLine": {"show": True}}


def line_chart(chart_id: str, months: list[str], series: dict[str, list[float | None]], unit: str,
               note: str, partial_from: str | None = None) -> Chart:
    """Monthly values, one line per series, every point labelled when there are few series.

    `partial_from`: the first month that is not complete (drawn dashed and named in the axis).
    """
    label_points = len(series) <= 2
    legend_lines = -(-len(series) // 5)  # about five names fit on a line
    option: dict = {
        "color": PALETTE,
        "animation": False,
        "tooltip": {"trigger": "axis"},
        "legend": {"type": "plain", "top": 0},  # wraps onto more lines: every series named in print
        "grid": {"left": 70, "right": 30, "top": 40 + 22 * legend_lines, "bottom": 40, "containLabel": True},
        "xAxis": {"type": "category", "data": months, "axisLabel": {"interval": 0, "rotate": 45 if len(
            months) > 12 else 0}},
        "yAxis": _number_axis(unit),
        "series": [
            {"name": name, "type": "line", "data": values, "connectNulls": False, "symbolSize": 6,
             "label": {"show": label_points, "position": "top", "fontSize": 10}}
            for name, values in series.items()
        ],
    }
    if partial_from:
        option["xAxis"]["data"] = [f"{m}(未完)" if m >= partial_from else m for m in months]
    return Chart(chart_id, option, note, 300 + 22 * legend_lines)


def bar_chart(chart_id: str, labels: list[str], values: list[float], unit: str, note: str) -> Chart:
    """Horizontal bars, largest on top, each labelled with its value."""
    option = {
        "color": PALETTE,
        "animation": False,
        "tooltip": {"trigger": "axis", "axisPointer": {"type": "shadow"}},
        "grid": {"left": 10, "right": 60, "top": 30, "bottom": 20, "containLabel": True},
        "xAxis": _number_axis(unit),
        "yAxis": {"type": "category", "data": list(reversed(labels)), "axisLabel": {"interval": 0}},
        "series": [{"type": "bar", "data": list(reversed(values)),
                    "label": {"show": True, "position": "right"}}],
    }
    return Chart(chart_id, option, note, height=max(160, 26 * len(labels) + 60))


def grouped_bars(chart_id: str, categories: list[str], series: dict[str, list[float]], unit: str,
                 note: str) -> Chart:
    """Vertical bars per category (e.g. per run), one colour per series, values on the bars."""
    option = {
        "color": PALETTE,
        "animation": False,
        "tooltip": {"trigger": "axis", "axisPointer": {"type": "shadow"}},
        "legend": {"top": 0},
        "grid": {"left": 60, "right": 30, "top": 50, "bottom": 40, "containLabel": True},
        "xAxis": {"type": "category", "data": categories},
        "yAxis": _number_axis(unit),
        "series": [{"name": name, "type": "bar", "data": values,
                    "label": {"show": len(categories) <= 12, "position": "top", "fontSize": 10}}
                   for name, values in series.items()],
    }
    return Chart(chart_id, option, note)


def charts_script(charts: list[Chart]) -> str:
    """The inlined library and the code that draws every chart (SVG renderer: prints sharply)."""
    options = {chart.chart_id: chart.option for chart in charts}
    payload = json.dumps(options, ensure_ascii=False).replace("</", "<\\/")
    library = echarts_source().replace("</script", "<\\/script")
    return (
        f"<script>/* Apache ECharts {ECHARTS_VERSION}, Apache License 2.0 */\n{library}\n</script>\n"
        "<script>\n"
        f"const AIDWATCH_CHARTS = {payload};\n"
        "for (const [id, option] of Object.entries(AIDWATCH_CHARTS)) {\n"
        "  const chart = echarts.init(document.getElementById(id), null, {renderer: 'svg'});\n"
        "  chart.setOption(option);\n"
        "  window.addEventListener('resize', () => chart.resize());\n"
        "}\n"
        "</script>\n"
    )
