"""The returns panel: return rate, reasons, refunds."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db.models import F, Max, Sum
from django.db.models.functions import Coalesce

from kernel.money import Money
from returns.models import ReturnLine

from ..models import DailyProductSales, DailySales, ReturnLineFact
from ..periods import Period
from .shapes import ZERO, Chart, Kpi, Panel, Table, as_duration, in_period, percent, period_range


def returns_panel(period: Period, currency: str | None = None) -> Panel:
    """Four queries: the day totals of both periods (units delivered, returns refunded),
    units returned per SKU (both periods), units by reason, and units delivered of the SKUs
    the table shows. A year is a few hundred day rows, not a row per SKU and day."""
    currency = currency or settings.SHOP_CURRENCY
    first, last = period_range(period)
    days = list(DailySales.objects.filter(currency=currency, day__gte=first, day__lte=last)
                .values("day", "units_delivered", "return_refunds", "returns_refunded",
                        "return_refund_time"))
    line_facts = ReturnLineFact.objects.filter(request_day__gte=first, request_day__lte=last,
                                               currency=currency)
    returned = list(line_facts.values("sku").annotate(
        now=Sum("quantity", filter=in_period(period, "request_day")),
        before=Sum("quantity", filter=in_period(period.previous, "request_day")),
        name=Max("product_name")).values("sku", "now", "before", "name"))
    reasons = list(line_facts.filter(in_period(period, "request_day")).values("reason")
                   .annotate(units=Sum("quantity")).order_by("-units", "reason"))
    back = {row["sku"]: (row["now"] or 0, row["before"] or 0) for row in returned}
    by_product = sorted(((sku, units[0]) for sku, units in back.items() if units[0]),
                        key=lambda item: (-item[1], item[0]))[:50]
    # Always run (an empty list would skip the query), so the count stays fixed.
    delivered = list(DailyProductSales.objects.filter(
        in_period(period), currency=currency, sku__in=[sku for sku, _ in by_product] or [""])
                     .values("sku").annotate(now=Sum("units_delivered"),
                                             name=Coalesce(F("product__title"),
                                                           F("product_name")))
                     .values("sku", "now", "name"))
    names = {row["sku"]: row["name"] for row in returned}
    names.update({row["sku"]: row["name"] for row in delivered})
    sent = {row["sku"]: (row["now"] or 0, 0) for row in delivered}

    def totals(p: Period) -> dict:
        rows = [row for row in days if p.start <= row["day"] <= p.end]
        times = [row["return_refund_time"] for row in rows
                 if row["return_refund_time"] is not None]
        return {"sent": sum(row["units_delivered"] for row in rows),
                "amount": sum((row["return_refunds"] for row in rows), ZERO),
                "n": sum(row["returns_refunded"] for row in rows),
                "time": sum(times, dt.timedelta(0)) if times else None}

    this, previous = totals(period), totals(period.previous)
    sent_now, sent_before = this["sent"], previous["sent"]
    back_now, back_before = sum(v[0] for v in back.values()), sum(v[1] for v in back.values())
    refunds = {"now_amount": this["amount"] if this["n"] else None,
               "before_amount": previous["amount"] if previous["n"] else None,
               "now_n": this["n"], "before_n": previous["n"],
               "now_time": this["time"], "before_time": previous["time"]}

    def average(total, count):
        total = as_duration(total)
        return total / count if total is not None and count else None

    panel = Panel("returns", "Returns", period, currency, kpis=[
        Kpi("return_rate", "Return rate", "percent", percent(back_now, sent_now),
            percent(back_before, sent_before)),
        Kpi("units_returned", "Units returned", "count", back_now, back_before),
        Kpi("return_refunds", "Refunded on returns", "money",
            Money(refunds["now_amount"] or ZERO, currency),
            Money(refunds["before_amount"] or ZERO, currency)),
        Kpi("time_to_refund", "Request to refund (average)", "duration",
            average(refunds["now_time"], refunds["now_n"]),
            average(refunds["before_time"], refunds["before_n"])),
    ])
    panel.tables.append(Table(
        "returns_by_product", "Return rate by product",
        ["SKU", "Product", "Units returned", "Units delivered", "Return rate (%)"],
        [[sku, names.get(sku, ""), units, sent.get(sku, (0, 0))[0],
          percent(units, sent.get(sku, (0, 0))[0])] for sku, units in by_product],
        "return_rate"))
    reason_labels = dict(ReturnLine.Reason.choices)
    panel.charts.append(Chart(
        "returns_by_reason", "Units returned by reason", "hbars", "Reason", "Units",
        [(reason_labels.get(row["reason"], row["reason"]), row["units"]) for row in reasons]))
    panel.tables.append(Table(
        "returns_by_reason_rate", "Return rate by reason",
        ["Reason", "Units returned", "Share of units delivered (%)"],
        [[reason_labels.get(row["reason"], row["reason"]), row["units"],
          percent(row["units"], sent_now)] for row in reasons], "return_rate"))
    return panel
