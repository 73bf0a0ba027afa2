"""The customers panel: new and returning customers, top customers."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import connection
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

from ..models import CustomerFact, CustomerOrder, DailySales
from ..periods import Period, day_bounds
from ..rollups import counted_orders
from .sales import _by_bucket
from .shapes import TOP, ZERO, Chart, Kpi, Panel, Table, money_ratio, percent, period_range, ratio


def _summary_from_orders(period: Period, currency: str) -> dict[bool, dict]:
    """Customers, repeaters and orders of both periods by grouping the orders (any
    currency; a year of orders is one large sort)."""
    first, last = period_range(period)
    start, end = day_bounds(first, last)
    current_start, _ = day_bounds(period.start, period.end)
    # One group per customer and period. The customer is grouped on (account, guest email)
    # rather than on customer_key()'s "u:<id>" / "e:<email>" text: the same groups, but no
    # string is built per order.
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
    return summary


def _summary_from_order_days(period: Period, currency: str) -> dict[bool, dict]:
    """The same figures from CustomerOrder (the shop's currency), as counts of rows in
    index ranges. For a period [a, b], with each customer's order days d1 <= ... <= dk
    and FIRST / LAST standing for "none" before d1 and after dk:

    - a customer has no order in [a, b] exactly when one gap between two consecutive
      orders (or before the first, or after the last) spans it: previous < a and
      day > b (a row's gap to the order before it), or dk < a (the gap after the last);
      so customers = everyone - those gaps;
    - a customer has exactly one order in [a, b] when that order's neighbours lie outside
      it: rows with previous < a and next > b, less the rows that match only because the
      order itself is outside (before a: a gap with a real order on its left; after b: a
      gap with a real order on its right).

    One query of scalar counts; the orders come from DailySales (the same counted
    orders)."""
    # {rows} and {sales} stand for the two tables' quoted names (from the models' Meta);
    # every value is a bound parameter.
    counts = ["SELECT count(*) FROM {rows} WHERE previous_day = %s"]
    params: list = [CustomerOrder.FIRST]
    for p in (period, period.previous):
        counts += [
            "SELECT count(*) FROM {rows} WHERE previous_day < %s AND day > %s",
            "SELECT count(*) FROM {rows} WHERE previous_day = %s AND day > %s",
            "SELECT count(*) FROM {rows} WHERE next_day = %s AND day < %s",
            "SELECT count(*) FROM {rows} WHERE previous_day < %s AND next_day > %s",
            "SELECT coalesce(sum(orders), 0) FROM {sales} "
            "WHERE currency = %s AND day >= %s AND day <= %s"]
        params += [p.start, p.end, CustomerOrder.FIRST, p.end, CustomerOrder.LAST, p.start,
                    p.start, p.end, currency, p.start, p.end]
    sql = ("SELECT " + ", ".join(f"({count})" for count in counts)).format(
        rows=connection.ops.quote_name(CustomerOrder._meta.db_table),
        sales=connection.ops.quote_name(DailySales._meta.db_table))
    with connection.cursor() as cursor:
        cursor.execute(sql, params)  # nosec B608 # quoted model table names; values bound
        everyone, *found = cursor.fetchone()
    summary = {}
    for flag, (spanning, before_first, after_last, neighbours_out, orders) in (
            (True, found[:5]), (False, found[5:])):
        customers = everyone - spanning - after_last
        left_real = spanning - before_first + after_last
        right_real = spanning
        just_one = neighbours_out - left_real - right_real
        summary[flag] = {"customers": customers, "repeat": customers - just_one,
                         "orders": int(orders)}
    return summary


def customers_panel(period: Period, currency: str | None = None) -> Panel:
    """Four queries: customers and repeaters of both periods (counts over CustomerOrder in
    the shop's currency, a grouping of the orders in another), new customers by
    first-order day, lifetime value over every customer, top customers."""
    currency = currency or settings.SHOP_CURRENCY
    first, last = period_range(period)
    if currency == settings.SHOP_CURRENCY:
        summary = _summary_from_order_days(period, currency)
    else:
        summary = _summary_from_orders(period, currency)
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
