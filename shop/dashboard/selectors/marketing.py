"""The marketing panel: abandoned-checkout reminders sent, carts recovered from them and
the revenue of the orders placed from those carts."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings

from kernel.money import Money

from ..models import DailyCartReminders, RecoveredOrderFact
from ..periods import Period, day_bounds, shop_zone
from .shapes import ZERO, Kpi, Panel, Table, percent


def marketing_panel(period: Period, currency: str | None = None) -> Panel:
    """Two queries: reminders sent in both periods (each day's count of sent reminders and
    first reminders, DailyCartReminders), and the counted orders placed from a restored
    cart in both periods (each with the abandoned cart it recovered, RecoveredOrderFact).
    Both kept by ``rollups`` like the other panels' roll-ups."""
    currency = currency or settings.SHOP_CURRENCY
    since, until = day_bounds(period.previous.start, period.end)
    split, _ = day_bounds(period.start, period.end)
    sent = {"now": 0, "before": 0, "first_now": 0, "first_before": 0}
    for day, count, first in DailyCartReminders.objects.filter(
            day__gte=period.previous.start, day__lte=period.end).values_list(
            "day", "sent", "first_sent"):
        side = "now" if day >= period.start else "before"
        sent[side] += count
        sent[f"first_{side}"] += first
    # Counted orders placed from a restored cart, kept per order by the roll-ups
    # (RecoveredOrderFact): a period's rows through an index, not every recovery ever made.
    orders = list(RecoveredOrderFact.objects.filter(
        currency=currency, placed_at__gte=since, placed_at__lt=until)
                  .values("number", "placed_at", "total", "recovered_cart")
                  .order_by("placed_at", "number"))
    this = [order for order in orders if order["placed_at"] >= split]
    last = [order for order in orders if order["placed_at"] < split]

    def carts(rows):
        return len({row["recovered_cart"] for row in rows})

    def revenue(rows):
        return Money(sum((row["total"] for row in rows), ZERO), currency)

    panel = Panel("marketing", "Marketing", period, currency, kpis=[
        Kpi("reminders_sent", "Cart reminders sent", "count", sent["now"], sent["before"]),
        Kpi("carts_recovered", "Carts recovered", "count", carts(this), carts(last)),
        Kpi("recovered_revenue", "Recovered revenue", "money", revenue(this), revenue(last)),
        Kpi("recovery_rate", "Recovery rate", "percent",
            percent(carts(this), sent["first_now"]), percent(carts(last), sent["first_before"])),
    ])
    zone = shop_zone()  # once: a year is thousands of rows (local_day reads the setting)
    panel.tables.append(Table(
        "recovered_orders", "Orders placed from recovered carts",
        ["Order", "Placed", "Total"],
        [[row["number"], row["placed_at"].astimezone(zone).date(),
          Money(Decimal(row["total"]), currency)]
         for row in this], "recovered_revenue", page_size=25, sortable=True))
    return panel
