"""The funnel panel: sessions to paid orders."""

from __future__ import annotations

import datetime as dt

from django.conf import settings

from ..models import (
    DailyFunnel,
    DailySales,
)
from ..periods import Period
from ..tracking import live_counts
from .shapes import Chart, Kpi, Panel, Table, percent, period_range

FUNNEL_STEPS = [("sessions", "Sessions"), ("product_views", "Viewed a product"),
                ("add_to_carts", "Added to cart"), ("checkouts_started", "Started checkout"),
                ("orders", "Ordered")]


def funnel_panel(period: Period, currency: str | None = None) -> Panel:
    """Two queries (the funnel rows and the daily order counts of both periods) and one
    cache read for the counters not yet flushed."""
    currency = currency or settings.SHOP_CURRENCY
    first, last = period_range(period)
    stored = {row["day"]: row for row in DailyFunnel.objects.filter(
        day__gte=first, day__lte=last).values("day", "sessions", "product_views",
                                              "add_to_carts", "checkouts_started")}
    live = live_counts([first + dt.timedelta(days=n) for n in range((last - first).days + 1)])
    orders = dict(DailySales.objects.filter(currency=currency, day__gte=first, day__lte=last)
                  .values_list("day", "orders"))

    def totals(p: Period) -> dict[str, int]:
        out = {key: 0 for key, _ in FUNNEL_STEPS}
        for day in p.each_day():
            row, counters = stored.get(day, {}), live.get(day, {})
            for key in ("sessions", "product_views", "add_to_carts", "checkouts_started"):
                out[key] += max(row.get(key, 0), counters.get(key, 0))
            out["orders"] += orders.get(day, 0)
        return out

    now, before = totals(period), totals(period.previous)
    panel = Panel("funnel", "Funnel", period, currency)
    definition = {"orders": "funnel_orders"}
    for key, label in FUNNEL_STEPS:
        panel.kpis.append(Kpi(definition.get(key, key), label, "count", now[key], before[key]))
    panel.kpis.append(Kpi("conversion_rate", "Overall conversion", "percent",
                          percent(now["orders"], now["sessions"]),
                          percent(before["orders"], before["sessions"])))
    rows = []
    for index, (key, label) in enumerate(FUNNEL_STEPS):
        previous_step = now[FUNNEL_STEPS[index - 1][0]] if index else None
        rows.append([label, now[key],
                     percent(now[key], previous_step) if index else None,
                     percent(now[key], now["sessions"])])
    panel.tables.append(Table("funnel_steps", "Funnel steps",
                              ["Step", "Count", "Conversion from the step before (%)",
                               "Share of sessions (%)"], rows, "conversion_rate"))
    panel.charts.append(Chart("funnel_chart", "Funnel", "hbars", "Step", "Sessions",
                              [(label, now[key]) for key, label in FUNNEL_STEPS]))
    return panel
