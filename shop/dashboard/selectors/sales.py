"""The sales panel: gross and net sales, orders, average order value, by day or week."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.conf import settings
from django.db.models import (
    F,
    Max,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce

from kernel.money import Money

from ..models import (
    DailyProductSales,
    DailySales,
)
from ..periods import Period
from .shapes import TOP, ZERO, Chart, Kpi, Panel, Table, in_period, money_ratio, period_range, ratio

# Units kept: sold in the period minus refunded (returned) in the period, as net sales.
UNITS = Sum("units_sold") - Sum("units_refunded")


def _sales_totals(rows: list[dict], period: Period) -> dict:
    totals = {name: ZERO for name in ("gross_sales", "discounts", "tax", "shipping", "refunds",
                                      "tax_refunds", "shipping_refunds")}
    totals.update(orders=0, units=0)
    for row in rows:
        if period.start <= row["day"] <= period.end:
            for name in totals:
                totals[name] += row[name]
    return totals


def _sales_kpis(totals: dict, currency: str) -> dict[str, object]:
    net = totals["gross_sales"] - totals["discounts"] - totals["refunds"]
    return {
        "gross_sales": Money(totals["gross_sales"], currency),
        "discounts": Money(totals["discounts"], currency),
        "refunds": Money(totals["refunds"], currency),
        "net_sales": Money(net, currency),
        "tax": Money(totals["tax"], currency),
        "tax_refunds": Money(totals["tax_refunds"], currency),
        "shipping": Money(totals["shipping"], currency),
        "shipping_refunds": Money(totals["shipping_refunds"], currency),
        "orders": totals["orders"],
        "average_order_value": money_ratio(totals["gross_sales"] - totals["discounts"],
                                           totals["orders"], currency),
        "units_per_order": ratio(totals["units"], totals["orders"]),
    }


SALES_LABELS = [("gross_sales", "Gross sales", "money"), ("discounts", "Discounts", "money"),
                ("refunds", "Refunds", "money"), ("net_sales", "Net sales", "money"),
                ("tax", "Tax", "money"), ("tax_refunds", "Tax refunded", "money"),
                ("shipping", "Shipping charged", "money"),
                ("shipping_refunds", "Shipping refunded", "money"),
                ("orders", "Orders", "count"),
                ("average_order_value", "Average order value", "money"),
                ("units_per_order", "Units per order", "number")]


def bucket_label(day: dt.date, weekly: bool) -> str:
    if weekly:
        return f"Week of {day - dt.timedelta(days=day.weekday()):%Y-%m-%d}"
    return f"{day:%Y-%m-%d}"


def _by_bucket(period: Period, values: dict[dt.date, Decimal]) -> list[tuple[str, Decimal]]:
    """Daily values for ranges up to 62 days, weekly (weeks starting Monday) beyond."""
    weekly = period.days > 62
    points: dict[str, Decimal] = {}
    for day in period.each_day():
        label = bucket_label(day, weekly)
        points[label] = points.get(label, ZERO) + values.get(day, ZERO)
    return list(points.items())


def sales_panel(period: Period, currency: str | None = None) -> Panel:
    """Four queries: the daily roll-up rows of both periods, top products by net sales, top
    products by units, top categories."""
    currency = currency or settings.SHOP_CURRENCY
    first, last = period_range(period)
    rows = list(DailySales.objects.filter(currency=currency, day__gte=first, day__lte=last)
                .values("day", "orders", "units", "gross_sales", "discounts", "tax",
                        "shipping", "refunds", "tax_refunds", "shipping_refunds"))
    now = _sales_kpis(_sales_totals(rows, period), currency)
    before = _sales_kpis(_sales_totals(rows, period.previous), currency)
    panel = Panel("sales", "Sales", period, currency, kpis=[
        Kpi(key, label, kind, now[key], before[key]) for key, label, kind in SALES_LABELS])
    daily_net = {row["day"]: row["gross_sales"] - row["discounts"] - row["refunds"]
                 for row in rows if period.start <= row["day"] <= period.end}
    weekly = period.days > 62
    panel.charts.append(Chart(
        "net_sales_by_day", f"Net sales by {'week' if weekly else 'day'}", "bars",
        "Week" if weekly else "Day", f"Net sales ({currency})", _by_bucket(period, daily_net),
        unit="money"))
    # One pass over the period's rows per product (a few hundred), ranked twice in Python.
    products = list(DailyProductSales.objects.filter(in_period(period), currency=currency)
                    .values("product_id")
                    .annotate(net=Sum("net_sales"), units=UNITS,
                              name=Coalesce(Max("product__title"), Max("product_name"))))
    by_net = sorted(products, key=lambda row: (-row["net"], row["name"]))[:TOP]
    by_units = sorted(products, key=lambda row: (-row["units"], row["name"]))[:TOP]
    categories = list(
        DailyProductSales.objects.filter(in_period(period), currency=currency)
        .values("product__category_id")
        .annotate(name=Coalesce(F("product__category__name"), Value("(deleted product)")),
                  net=Sum("net_sales"), units=UNITS)
        .values("product__category_id", "name")
        .annotate(net=Sum("net_sales"), units=UNITS)
        .order_by("-net", "name")[:TOP])
    panel.tables += [
        Table("top_products", "Top products by net sales", ["Product", "Net sales", "Units"],
              [[row["name"], Money(row["net"], currency), row["units"]] for row in by_net],
              "product_net_sales"),
        Table("top_products_units", "Top products by units", ["Product", "Units", "Net sales"],
              [[row["name"], row["units"], Money(row["net"], currency)] for row in by_units],
              "product_net_sales"),
        Table("top_categories", "Top categories by net sales",
              ["Category", "Net sales", "Units"],
              [[row["name"], Money(row["net"], currency), row["units"]] for row in categories],
              "product_net_sales"),
    ]
    return panel
