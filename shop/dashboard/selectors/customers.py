"""The customers panel: new and returning customers, top customers."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db.models import (
    BooleanField,
    Case,
    CharField,
    Count,
    ExpressionWrapper,
    F,
    Q,
    Sum,
    Value,
    When,
)

from kernel.money import Money

from ..models import (
    CustomerFact,
)
from ..periods import Period, day_bounds
from ..rollups import counted_orders
from .sales import _by_bucket
from .shapes import TOP, ZERO, Chart, Kpi, Panel, Table, money_ratio, percent, period_range, ratio


def customers_panel(period: Period, currency: str | None = None) -> Panel:
    """Four queries: customers and repeaters of both periods (one grouped subquery), new
    customers by first-order day, lifetime value over every customer, top customers."""
    currency = currency or settings.SHOP_CURRENCY
    first, last = period_range(period)
    start, end = day_bounds(first, last)
    current_start, _ = day_bounds(period.start, period.end)
    # One group per customer and period. The customer is grouped on (account, guest email)
    # rather than on customer_key()'s "u:<id>" / "e:<email>" text: the same groups, but no
    # string is built per order, so the sort of a year's orders stays small and fast.
    per_customer = (counted_orders().filter(currency=currency, placed_at__gte=start,
                                            placed_at__lt=end)
                    .annotate(guest=Case(When(user_id__isnull=True, then=F("email")),
                                         default=Value(None), output_field=CharField()),
                              now=ExpressionWrapper(Q(placed_at__gte=current_start),
                                                    output_field=BooleanField()))
                    .values("user_id", "guest", "now").annotate(n=Count("pk")))
    summary = {}
    grouped = per_customer.aggregate(
        now_customers=Count("n", filter=Q(now=True)),
        now_repeat=Count("n", filter=Q(now=True, n__gte=2)),
        now_orders=Sum("n", filter=Q(now=True)),
        before_customers=Count("n", filter=Q(now=False)),
        before_repeat=Count("n", filter=Q(now=False, n__gte=2)),
        before_orders=Sum("n", filter=Q(now=False)))
    for flag, prefix in ((True, "now"), (False, "before")):
        summary[flag] = {"customers": grouped[f"{prefix}_customers"] or 0,
                         "repeat": grouped[f"{prefix}_repeat"] or 0,
                         "orders": grouped[f"{prefix}_orders"] or 0}
    new_by_day = dict(CustomerFact.objects.filter(currency=currency, first_order_day__gte=first,
                                                  first_order_day__lte=last)
                      .values("first_order_day").annotate(n=Count("pk"))
                      .values_list("first_order_day", "n"))
    everyone = CustomerFact.objects.filter(currency=currency).aggregate(
        n=Count("pk"), total=Sum("net_sales"))
    top = list(CustomerFact.objects.filter(currency=currency)
               .order_by("-net_sales", "key")[:TOP])

    def figures(flag: bool, p: Period) -> dict:
        s = summary[flag]
        new = sum(n for day, n in new_by_day.items() if p.start <= day <= p.end)
        return {"customers": s["customers"], "new_customers": new,
                "returning_customers": s["customers"] - new,
                "repeat_purchase_rate": percent(s["repeat"], s["customers"]),
                "orders_per_customer": ratio(s["orders"], s["customers"])}

    now, before = figures(True, period), figures(False, period.previous)
    panel = Panel("customers", "Customers", period, currency)
    for key, label, kind in [("customers", "Customers", "count"),
                             ("new_customers", "New customers", "count"),
                             ("returning_customers", "Returning customers", "count"),
                             ("repeat_purchase_rate", "Repeat purchase rate", "percent"),
                             ("orders_per_customer", "Orders per customer", "number")]:
        panel.kpis.append(Kpi(key, label, kind, now[key], before[key]))
    panel.kpis.append(Kpi("lifetime_value", "Customer lifetime value", "money",
                          money_ratio(everyone["total"] or ZERO, everyone["n"], currency),
                          compare=False))
    panel.charts.append(Chart(
        "new_customers_by_day", "New customers by " + ("week" if period.days > 62 else "day"),
        "bars", "Week" if period.days > 62 else "Day", "New customers",
        [(label, int(value)) for label, value in _by_bucket(
            period, {d: Decimal(n) for d, n in new_by_day.items()})]))
    panel.charts.append(Chart("new_vs_returning", "New and returning customers", "hbars",
                              "Customers", "Customers in the period",
                              [("New", now["new_customers"]),
                               ("Returning", now["returning_customers"])]))
    panel.tables.append(Table(
        "top_customers", "Top customers by lifetime net sales",
        ["Customer", "Orders", "Net sales", "First order", "Last order"],
        [[fact.email, fact.orders, Money(fact.net_sales, currency), fact.first_order_day,
          fact.last_order_day] for fact in top], "lifetime_value",
        empty="No customers yet."))
    return panel
