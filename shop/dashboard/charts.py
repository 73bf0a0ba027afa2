"""Charts drawn on the server as SVG geometry (no JavaScript, nothing from the internet).

``layout(chart)`` turns a ``selectors.Chart`` into numbers the template
``dashboard/_chart.html`` draws: bars, axis ticks with labels, axis titles.
"""

from __future__ import annotations

import math
from decimal import Decimal

WIDTH = 720
BAR_HEIGHT = 280
MARGIN = {"left": 72, "right": 16, "top": 16, "bottom": 56}
ROW = 30


def nice_ceiling(value: float) -> float:
    """The next 1, 2, 2.5 or 5 times a power of ten at or above ``value``."""
    if value <= 0:
        return 1.0
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * power:
            return step * power
    return 10 * power


def _format(value: float, unit: str) -> str:
    if unit == "money":
        return f"{value:,.0f}" if abs(value) >= 100 else f"{value:,.2f}"
    if unit == "percent":
        return f"{value:g}%"
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"


def _short(label: str) -> str:
    # Days as MM-DD under the axis; the table and tooltips keep the full label.
    if len(label) == 10 and label[4] == "-" and label[7] == "-":
        return label[5:]
    if label.startswith("Week of "):
        return label[13:]
    return label if len(label) <= 18 else label[:17] + "…"


def layout(chart) -> dict:
    values = [float(Decimal(value)) for _, value in chart.points]
    if chart.kind == "hbars":
        return _horizontal(chart, values)
    return _vertical(chart, values)


def _vertical(chart, values: list[float]) -> dict:
    left, right, top, bottom = (MARGIN[k] for k in ("left", "right", "top", "bottom"))
    plot_w, plot_h = WIDTH - left - right, BAR_HEIGHT - top - bottom
    high = nice_ceiling(max(values + [0]))
    low = -nice_ceiling(-min(values + [0])) if min(values + [0]) < 0 else 0.0
    span = high - low or 1.0

    def y(value: float) -> float:
        return top + plot_h * (high - value) / span

    count = max(len(values), 1)
    slot = plot_w / count
    every = max(1, math.ceil(count / 12))
    bars = []
    for index, ((label, raw), value) in enumerate(zip(chart.points, values, strict=True)):
        y0, y1 = sorted((y(0), y(value)))
        bars.append({"x": round(left + index * slot + slot * 0.15, 2),
                     "y": round(y0, 2), "width": round(slot * 0.7, 2),
                     "height": round(max(y1 - y0, 0.5 if value else 0), 2),
                     "label": label, "value": raw, "negative": value < 0,
                     "tick": _short(label) if index % every == 0 else "",
                     "tick_x": round(left + index * slot + slot / 2, 2)})
    ticks = []
    for n in range(6):
        value = low + span * n / 5
        ticks.append({"y": round(y(value), 2), "label": _format(value, chart.unit)})
    return {"kind": "bars", "width": WIDTH, "height": BAR_HEIGHT, "bars": bars,
            "ticks": ticks, "zero_y": round(y(0), 2), "left": left, "right": WIDTH - right,
            "top": top, "bottom": BAR_HEIGHT - bottom, "x_title_y": BAR_HEIGHT - 8,
            "y_title_x": 16, "y_title_y": top + plot_h / 2, "mid_x": left + plot_w / 2}


def _horizontal(chart, values: list[float]) -> dict:
    left, right, top = 160, 96, 16
    height = top + ROW * max(len(values), 1) + 48
    plot_w = WIDTH - left - right
    high = nice_ceiling(max(values + [0]))
    bars = []
    for index, ((label, raw), value) in enumerate(zip(chart.points, values, strict=True)):
        width = plot_w * max(value, 0) / high
        y = top + index * ROW
        bars.append({"x": left, "y": y + 5, "width": round(max(width, 0.5 if value else 0), 2),
                     "height": ROW - 10, "label": label, "short": _short(label),
                     "value": raw, "value_x": round(left + width + 6, 2),
                     "text_y": y + ROW / 2 + 4})
    bottom = top + ROW * max(len(values), 1)
    ticks = [{"x": round(left + plot_w * n / 4, 2), "label": _format(high * n / 4, chart.unit)}
             for n in range(5)]
    return {"kind": "hbars", "width": WIDTH, "height": height, "bars": bars, "ticks": ticks,
            "left": left, "right": left + plot_w, "top": top, "bottom": bottom,
            "x_title_y": bottom + 40, "mid_x": left + plot_w / 2, "tick_y": bottom + 16}
