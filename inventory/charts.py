"""Server-rendered SVG charts for the stock pages: no script, nothing from the internet.
Pure functions: points in, markup out (every text value escaped)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

WIDTH, HEIGHT = 720, 240
LEFT, RIGHT, TOP, BOTTOM = 48, 16, 16, 32


def on_hand_chart(points: Sequence, *, title: str) -> SafeString:
    """A step chart of on hand over time (``points`` have ``at`` and ``on_hand``, oldest
    first): the level holds until the next movement, so the line steps, never slopes."""
    label = escape(title)
    if not points:
        return mark_safe(  # nosec B308 B703 # escaped title, numbers
            f'<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="{label}" '
            f'width="{WIDTH}" height="60" viewBox="0 0 {WIDTH} 60"><text x="8" y="34" '
            f'font-size="14">No stock movements yet.</text></svg>')
    start, end = points[0].at, points[-1].at
    span = max((end - start).total_seconds(), 1.0)
    highest = max(max(point.on_hand for point in points), 1)
    lowest = min(min(point.on_hand for point in points), 0)
    plot_width, plot_height = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def x(at: datetime) -> float:
        return LEFT + (at - start).total_seconds() / span * plot_width

    def y(units: int) -> float:
        return TOP + (highest - units) / (highest - lowest) * plot_height

    path = [f"M{x(points[0].at):.1f},{y(points[0].on_hand):.1f}"]
    for previous, point in zip(points, points[1:], strict=False):
        path.append(f"H{x(point.at):.1f}")
        if point.on_hand != previous.on_hand:
            path.append(f"V{y(point.on_hand):.1f}")
    path.append(f"H{LEFT + plot_width:.1f}")
    ticks = sorted({lowest, highest, (lowest + highest) // 2})
    axis = "".join(
        f'<line x1="{LEFT}" x2="{LEFT + plot_width}" y1="{y(tick):.1f}" y2="{y(tick):.1f}" '
        f'stroke="#ddd"/><text x="{LEFT - 6}" y="{y(tick) + 4:.1f}" text-anchor="end" '
        f'font-size="11">{tick}</text>' for tick in ticks)
    dates = (f'<text x="{LEFT}" y="{HEIGHT - 10}" font-size="11">{start:%Y-%m-%d}</text>'
             f'<text x="{LEFT + plot_width}" y="{HEIGHT - 10}" font-size="11" '
             f'text-anchor="end">{end:%Y-%m-%d}</text>')
    dots = "".join(f'<circle cx="{x(point.at):.1f}" cy="{y(point.on_hand):.1f}" r="2.5" '
                   f'fill="#2563eb"><title>{point.at:%Y-%m-%d %H:%M}: {point.on_hand}</title>'
                   f'</circle>' for point in points)
    return mark_safe(  # nosec B308 B703 # escaped title, numbers, dates
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="{label}" '
        f'data-testid="on-hand-chart" width="{WIDTH}" height="{HEIGHT}" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}"><title>{label}</title>{axis}{dates}'
        f'<path d="{" ".join(path)}" fill="none" stroke="#2563eb" stroke-width="2"/>{dots}'
        f'</svg>')
