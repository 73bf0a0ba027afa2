"""The returns panel: return rate, reasons, refunds."""

from __future__ import annotations

from django.conf import settings
from django.db.models import (
    Count,
    DurationField,
    ExpressionWrapper,
    F,
    Max,
    Sum,
)
from django.db.models.functions import Coalesce

from kernel.money import Money
from returns.models import ReturnLine

from ..models import (
    DailyProductSales,
    ReturnFact,
    ReturnLineFact,
)
from ..periods import Period
from .shapes import ZERO, Chart, Kpi, Panel, Table, as_duration, in_period, percent, period_range


def returns_panel(period: Period, currency: str | None = None) -> Panel:
    """Four queries: units delivered per SKU, units returned per SKU (both periods each),
    units by reason, and refunds with their time to refund."""
    currency = currency or settings.SHOP_CURRENCY
    first, last = period_range(period)
    now, before = in_period(period), in_period(period.previous)
    delivered = list(DailyProductSales.objects.filter(currency=currency, day__gte=first,
                                                      day__lte=last)
                     .values("sku").annotate(now=Sum("units_delivered", filter=now),
                                             before=Sum("units_delivered", filter=before),
                                             name=Coalesce(F("product__title"),
                                                           F("product_name")))
                     .values("sku", "now", "before", "name"))
    line_facts = ReturnLineFact.objects.filter(request_day__gte=first, request_day__lte=last,
                                               order__currency=currency)
    returned = list(line_facts.values("sku").annotate(
        now=Sum("quantity", filter=in_period(period, "request_day")),
        before=Sum("quantity", filter=in_period(period.previous, "request_day")),
        name=Max("product_name")).values("sku", "now", "before", "name"))
    reasons = list(line_facts.filter(in_period(period, "request_day")).values("reason")
                   .annotate(units=Sum("quantity")).order_by("-units", "reason"))
    now_refund = in_period(period, "refund_day")
    before_refund = in_period(period.previous, "refund_day")
    refunds = ReturnFact.objects.filter(currency=currency, refund_day__gte=first,
                                        refund_day__lte=last).aggregate(
        now_amount=Sum("refunded_amount", filter=now_refund),
        before_amount=Sum("refunded_amount", filter=before_refund),
        now_n=Count("pk", filter=now_refund), before_n=Count("pk", filter=before_refund),
        now_time=Sum(ExpressionWrapper(F("refunded_at") - F("requested_at"),
                                       output_field=DurationField()), filter=now_refund),
        before_time=Sum(ExpressionWrapper(F("refunded_at") - F("requested_at"),
                                          output_field=DurationField()), filter=before_refund))
    names = {row["sku"]: row["name"] for row in returned}
    names.update({row["sku"]: row["name"] for row in delivered})
    sent = {row["sku"]: (row["now"] or 0, row["before"] or 0) for row in delivered}
    back = {row["sku"]: (row["now"] or 0, row["before"] or 0) for row in returned}
    sent_now, sent_before = sum(v[0] for v in sent.values()), sum(v[1] for v in sent.values())
    back_now, back_before = sum(v[0] for v in back.values()), sum(v[1] for v in back.values())

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
    by_product = sorted(((sku, units[0]) for sku, units in back.items() if units[0]),
                        key=lambda item: (-item[1], item[0]))
    panel.tables.append(Table(
        "returns_by_product", "Return rate by product",
        ["SKU", "Product", "Units returned", "Units delivered", "Return rate (%)"],
        [[sku, names.get(sku, ""), units, sent.get(sku, (0, 0))[0],
          percent(units, sent.get(sku, (0, 0))[0])] for sku, units in by_product[:50]],
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
