"""The marketing panel: abandoned-checkout reminders sent, carts recovered from them and
the revenue of the orders placed from those carts."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db.models import Count, OuterRef, Q, Subquery

from kernel.money import Money
from marketing.models import CartRecovery, MarketingEmail
from marketing.recovery import KIND as CART_REMINDER

from ..periods import Period, day_bounds, local_day
from ..rollups import counted_orders
from .shapes import ZERO, Kpi, Panel, Table, percent


def marketing_panel(period: Period, currency: str | None = None) -> Panel:
    """Two queries: reminders sent in both periods, and the counted orders placed from a
    restored cart in both periods (each with the abandoned cart it recovered)."""
    currency = currency or settings.SHOP_CURRENCY
    since, until = day_bounds(period.previous.start, period.end)
    split, _ = day_bounds(period.start, period.end)
    now, before = Q(sent_at__gte=split), Q(sent_at__lt=split)
    first = Q(cart_reminder__number=1)
    sent = MarketingEmail.objects.filter(
        kind=CART_REMINDER, status=MarketingEmail.Status.SENT, sent_at__gte=since,
        sent_at__lt=until).aggregate(
        now=Count("pk", filter=now), before=Count("pk", filter=before),
        first_now=Count("pk", filter=now & first), first_before=Count("pk", filter=before & first))
    recovered_cart = (CartRecovery.objects.filter(restored_cart__token=OuterRef("checkout_token"))
                      .order_by("restored_at", "pk").values("cart_id")[:1])
    # Driven from the recoveries (few) through the unique checkout_token index, not from a
    # year of orders each probing the recoveries: an order whose token is a restored cart's
    # has a recovered cart, so the set is the same.
    orders = list(counted_orders().filter(
        currency=currency, placed_at__gte=since, placed_at__lt=until,
        checkout_token__in=CartRecovery.objects.values("restored_cart__token"))
                  .annotate(recovered_cart=Subquery(recovered_cart))
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
    panel.tables.append(Table(
        "recovered_orders", "Orders placed from recovered carts",
        ["Order", "Placed", "Total"],
        [[row["number"], local_day(row["placed_at"]), Money(Decimal(row["total"]), currency)]
         for row in this], "recovered_revenue", page_size=25, sortable=True))
    return panel
