"""The fulfillment panel: time to ship, on-time rate, late shipments."""

from __future__ import annotations

from django.conf import settings
from django.db.models import (
    Count,
    Q,
)
from django.utils import timezone

from fulfillment.models import Shipment

from ..models import (
    ShipmentFact,
)
from ..periods import Period
from .shapes import Chart, Kpi, Panel, Table, in_period, percent, period_range, time_summary


def fulfillment_panel(period: Period, currency: str | None = None) -> Panel:
    """Four queries: shipped-in-period figures of both periods (with percentiles),
    delivered-in-period figures, shipments by carrier, and the live late/exception list."""
    currency = currency or settings.SHOP_CURRENCY
    first, last = period_range(period)
    shipped = time_summary(
        ShipmentFact.objects.filter(ship_day__gte=first, ship_day__lte=last),
        day="ship_day", time="lead_time", yes="shipped_in_time", period=period)
    delivered = time_summary(
        ShipmentFact.objects.filter(delivery_day__gte=first, delivery_day__lte=last,
                                    delivery_time__isnull=False),
        day="delivery_day", time="delivery_time", yes="delivered_on_time", period=period)
    carriers = list(ShipmentFact.objects.filter(in_period(period, "ship_day")).values("carrier")
                    .annotate(n=Count("pk")).order_by("-n", "carrier"))
    late = list(
        Shipment.objects.filter(Q(state=Shipment.State.EXCEPTION)
                                | Q(state__in=Shipment.UNSHIPPED,
                                    promised_ship_by__lt=timezone.now()))
        .select_related("order", "warehouse").order_by("promised_ship_by", "pk")[:50])
    panel = Panel("fulfillment", "Fulfillment", period, currency)
    now, before = shipped["now"], shipped["before"]
    panel.kpis += [
        Kpi("lead_time_median", "Payment to ship (median)", "duration", now["median"],
            before["median"]),
        Kpi("lead_time_p90", "Payment to ship (90th percentile)", "duration", now["p90"],
            before["p90"]),
        Kpi("shipped_in_time", "Shipped within the promised time", "percent",
            percent(now["yes"], now["count"]), percent(before["yes"], before["count"])),
        Kpi("delivery_time_median", "Delivery time (median)", "duration",
            delivered["now"]["median"], delivered["before"]["median"]),
        Kpi("on_time_delivery", "On-time delivery", "percent",
            percent(delivered["now"]["yes"], delivered["now"]["count"]),
            percent(delivered["before"]["yes"], delivered["before"]["count"])),
        Kpi("shipments", "Shipments shipped", "count", now["count"], before["count"]),
    ]
    if now["negative"]:
        count = now["negative"]
        panel.notes.append(
            f"{count} shipment{'s' if count != 1 else ''} shipped in the period "
            f"{'were' if count != 1 else 'was'} recorded as shipped before payment: "
            "left out of the payment-to-ship times. Check their dates.")
    labels = dict(Shipment.Carrier.choices)
    panel.charts.append(Chart("shipments_by_carrier", "Shipments by carrier", "hbars",
                              "Carrier", "Shipments",
                              [(labels.get(row["carrier"], row["carrier"]), row["n"])
                               for row in carriers]))
    panel.tables.append(Table(
        "late_shipments", "Late and exception shipments (now)",
        ["Shipment", "Order", "Warehouse", "State", "Promised ship by"],
        [[s.number, s.order.number, s.warehouse.code, s.get_state_display(),
          s.promised_ship_by] for s in late], "late_shipments",
        empty="No late or exception shipments."))
    return panel
