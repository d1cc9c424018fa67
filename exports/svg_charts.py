"""Small inline SVG charts for the league report.

Why hand-written SVG: the report is opened on officials' machines that may have no
internet; a charting library from a CDN would not load. Inline SVG needs nothing.
"""

from __future__ import annotations

from html import escape

PALETTE = ["#2f5597", "#c55a11", "#548235", "#7030a0", "#bf9000", "#2e75b6", "#a5a5a5"]
FONT = "font-family=\"sans-serif\" font-size=\"12\""


def horizontal_bars(items: list[tuple[str, float]], unit: str = "", width: int = 640) -> str:
    """One bar per (label, value), longest first as given."""
    if not items:
        return '<p class="empty">无数据</p>'
    bar_height, gap, label_width = 20, 6, 230
    height = len(items) * (bar_height + gap) + gap
    top = max(value for _, value in items) or 1
    plot = width - label_width - 70
    parts = [f'<svg width="{width}" height="{height}" role="img">']
    for index, (label, value) in enumerate(items):
        y = gap + index * (bar_height + gap)
        length = plot * value / top
        parts.append(
            f'<text x="{label_width - 6}" y="{y + 14}" text-anchor="end" {FONT}>{escape(label)}</text>'
            f'<rect x="{label_width}" y="{y}" width="{length:.1f}" height="{bar_height}" '
            f'fill="{PALETTE[0]}"/>'
            f'<text x="{label_width + length + 4:.1f}" y="{y + 14}" {FONT}>'
            f"{_number(value)}{escape(unit)}</text>"
        )
    parts.append("</svg>")
    return "".join(parts)


def line_chart(
    x_labels: list[str], series: dict[str, list[float]], width: int = 720, height: int = 260
) -> str:
    """Several series over the same x axis (dates), with a legend."""
    if not x_labels or not series:
        return '<p class="empty">无数据</p>'
    per_row = 4
    legend_rows = (len(series) + per_row - 1) // per_row
    left, right, top_margin, bottom = 60, 20, 30, 30 + 20 * legend_rows
    height += 20 * (legend_rows - 1)
    plot_w, plot_h = width - left - right, height - top_margin - bottom
    values = [v for line in series.values() for v in line if v is not None]
    top = max(values, default=0) or 1
    step = plot_w / max(len(x_labels) - 1, 1)

    def point(i: int, v: float) -> str:
        return f"{left + i * step:.1f},{top_margin + plot_h - plot_h * v / top:.1f}"

    parts = [f'<svg width="{width}" height="{height}" role="img">']
    parts.append(
        f'<line x1="{left}" y1="{top_margin + plot_h}" x2="{left + plot_w}" '
        f'y2="{top_margin + plot_h}" stroke="#888"/>'
        f'<line x1="{left}" y1="{top_margin}" x2="{left}" y2="{top_margin + plot_h}" stroke="#888"/>'
        f'<text x="{left - 6}" y="{top_margin + 4}" text-anchor="end" {FONT}>{_number(top)}</text>'
        f'<text x="{left - 6}" y="{top_margin + plot_h}" text-anchor="end" {FONT}>0</text>'
    )
    label_every = max(1, len(x_labels) // 8)
    for i, label in enumerate(x_labels):
        if i % label_every == 0 or i == len(x_labels) - 1:
            parts.append(
                f'<text x="{left + i * step:.1f}" y="{top_margin + plot_h + 18}" text-anchor="middle" '
                f'{FONT}>{escape(label)}</text>'
            )
    for index, (name, line) in enumerate(series.items()):
        color = PALETTE[index % len(PALETTE)]
        points = " ".join(point(i, v) for i, v in enumerate(line) if v is not None)
        parts.append(f'<polyline fill="none" stroke="{color}" stroke-width="2" points="{points}"/>')
        legend_x = left + (index % per_row) * 160
        legend_y = top_margin + plot_h + 30 + 20 * (index // per_row)
        parts.append(
            f'<rect x="{legend_x}" y="{legend_y}" width="12" height="12" fill="{color}"/>'
            f'<text x="{legend_x + 16}" y="{legend_y + 10}" {FONT}>{escape(name)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def _number(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() or abs(value) >= 100 else f"{value:,.2f}"
