"""The stock panel: stock value, low stock, slow movers."""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.db.models import (
    Q,
    Sum,
)
from django.db.models.functions import Coalesce

from catalog.models import Variant
from inventory.selectors import variant_available_expression
from kernel.money import Money

from ..models import (
    DailyProductSales,
)
from ..periods import Period
from .shapes import TOP, ZERO, Chart, Kpi, Panel, Table, in_period, percent, ratio

PAGE = 25  # rows per table page


def stock_panel(period: Period, currency: str | None = None,
                slow_days: int | None = None) -> Panel:
    """Two queries: every active variant with its stock summed over warehouses, and units
    sold per SKU in the period and in the slow-mover window (SHOP_SLOW_MOVER_DAYS, the
    same window as the inventory report's slow movers)."""
    currency = currency or settings.SHOP_CURRENCY
    slow_days = slow_days or settings.SHOP_SLOW_MOVER_DAYS
    window_start = period.end - dt.timedelta(days=slow_days - 1)
    variants = list(Variant.objects.filter(is_active=True, currency=currency)
                    .values("sku", "product__title", "title", "price", "cost_price")
                    .annotate(on_hand=Coalesce(Sum("stock_levels__on_hand"), 0),
                              allocated=Coalesce(Sum("stock_levels__allocated"), 0),
                              # What the storefront may sell: the one rule, from inventory.
                              available=variant_available_expression())
                    .order_by("sku"))
    sold = {row["sku"]: row for row in DailyProductSales.objects.filter(
        currency=currency, day__gte=min(period.start, window_start), day__lte=period.end)
        .values("sku").annotate(units=Coalesce(Sum("units_sold", filter=in_period(period)), 0),
                                recent=Coalesce(Sum("units_sold",
                                                    filter=Q(day__gte=window_start)), 0))}
    threshold = settings.SHOP_LOW_STOCK_THRESHOLD
    value_cost = value_price = cogs = ZERO
    missing_cost = units_sold = units_on_hand = units_available = 0
    low, out, slow, cover = [], [], [], []
    for variant in variants:
        name = variant["product__title"] + (f" — {variant['title']}" if variant["title"] else "")
        available = variant["available"]
        sales = sold.get(variant["sku"], {"units": 0, "recent": 0})
        units_sold += sales["units"]
        units_on_hand += max(variant["on_hand"], 0)
        units_available += available
        value_price += variant["price"] * max(variant["on_hand"], 0)
        if variant["cost_price"] is None:
            missing_cost += 1
        else:
            value_cost += variant["cost_price"] * max(variant["on_hand"], 0)
            cogs += variant["cost_price"] * sales["units"]
        per_day = Decimal(sales["units"]) / period.days
        days = (Decimal(available) / per_day).quantize(Decimal("0.1"), ROUND_HALF_UP) \
            if per_day else None
        if available == 0:
            out.append([variant["sku"], name, variant["on_hand"], variant["allocated"]])
        elif available <= threshold:
            low.append([variant["sku"], name, available, days])
        if variant["on_hand"] > 0 and not sales["recent"]:
            slow.append([variant["sku"], name, variant["on_hand"],
                         Money(variant["price"] * variant["on_hand"], currency)])
        if per_day:
            cover.append([variant["sku"], name, available, sales["units"], days])
    per_day_total = Decimal(units_sold) / period.days
    cover.sort(key=lambda row: (row[4], row[0]))
    panel = Panel("stock", "Stock", period, currency, kpis=[
        Kpi("value_at_cost", "Inventory value at cost", "money", Money(value_cost, currency),
            compare=False),
        Kpi("value_at_price", "Inventory value at price", "money",
            Money(value_price, currency), compare=False),
        Kpi("low_stock", "Low-stock SKUs", "count", len(low), compare=False),
        Kpi("out_of_stock", "Out-of-stock SKUs", "count", len(out), compare=False),
        Kpi("days_of_cover", "Days of cover", "number",
            (Decimal(units_available) / per_day_total).quantize(Decimal("0.1"), ROUND_HALF_UP)
            if per_day_total else None, compare=False),
        Kpi("sell_through", "Sell-through rate", "percent",
            percent(units_sold, units_sold + units_on_hand), compare=False),
        Kpi("inventory_turnover", "Inventory turnover", "number", ratio(cogs, value_cost),
            compare=False),
    ])
    panel.missing_cost = missing_cost
    panel.slow_days = slow_days
    panel.tables_first = True
    # What needs action first: nothing left to sell, then soonest to run out, then cover;
    # slow movers (money sitting on shelves) last. Each paged and sortable.
    out.sort(key=lambda row: (-row[3], row[0]))  # most allocated (orders waiting) first
    low.sort(key=lambda row: (row[2], row[0]))  # fewest available first
    slow.sort(key=lambda row: (-row[3].amount, row[0]))  # most money tied up first
    paged = {"page_size": PAGE, "sortable": True}
    panel.tables += [
        Table("out_of_stock", "Out of stock (most allocated first)",
              ["SKU", "Variant", "On hand", "Allocated"], out, "out_of_stock",
              empty="Nothing is out of stock.", **paged),
        Table("low_stock", "Low stock (fewest available first)",
              ["SKU", "Variant", "Available", "Days of cover"], low, "low_stock",
              empty="No low-stock SKUs.", **paged),
        Table("days_of_cover", "Days of cover (lowest first)",
              ["SKU", "Variant", "Available", "Units sold in the period", "Days of cover"],
              cover, "days_of_cover", **paged),
        Table("slow_movers", f"Slow movers (no sale in {slow_days} days, most value first)",
              ["SKU", "Variant", "On hand", "Value at price"], slow, "slow_movers",
              empty="Every SKU in stock sold recently.", **paged),
    ]
    top_value = sorted(((row["sku"], row["price"] * max(row["on_hand"], 0))
                        for row in variants), key=lambda item: (-item[1], item[0]))[:TOP]
    panel.charts.append(Chart("stock_value", "Inventory value at price, top SKUs", "hbars",
                              "SKU", f"Value ({currency})",
                              [(sku, value) for sku, value in top_value if value],
                              unit="money"))
    return panel
