"""The fulfillment panel: time to ship, on-time rate, late shipments."""

from __future__ import annotations

import math

from django.conf import settings
from django.db import connection
from django.db.models import Count, Q, Sum, Value
from django.utils import timezone

from fulfillment.models import Shipment

from ..models import DailyShipments, DailyShipmentTimes, ShipmentFact
from ..periods import Period
from ..shipment_days import MEASURES
from .shapes import (
    Chart,
    Kpi,
    Panel,
    Table,
    as_duration,
    in_period,
    percent,
    period_range,
    time_summary,
)


def _from_facts(period: Period) -> tuple[dict, dict, list[dict]]:
    """The straightforward reads over the facts (SQLite: no percentile aggregate there)."""
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
    return shipped, delivered, carriers


def _rank(count: int, fraction: float) -> int:
    # PostgreSQL's percentile_disc: the row at ceil(fraction * count), in double precision.
    return max(1, math.ceil(fraction * count))


def _from_day_rollups(period: Period) -> tuple[dict, dict, list[dict]]:
    """Three queries over the day roll-ups, whatever the range: the counts per day and
    carrier, the hourly histograms summed over each period, then the exact time at each
    percentile's rank, read from the facts within the hour the histogram points to."""
    first, last = period_range(period)
    scopes = {"now": period, "before": period.previous}
    counts = list(DailyShipments.objects.filter(day__gte=first, day__lte=last).values())
    summary: dict[str, dict] = {"lead": {}, "delivery": {}}
    by_carrier: dict[str, int] = {}
    for name, p in scopes.items():
        rows = [row for row in counts if p.start <= row["day"] <= p.end]
        summary["lead"][name] = {
            "count": sum(row["shipped_known"] for row in rows),
            "yes": sum(row["shipped_in_time"] for row in rows),
            "negative": sum(row["lead_negative"] for row in rows), "median": None, "p90": None}
        summary["delivery"][name] = {
            "count": sum(row["delivered_known"] for row in rows),
            "yes": sum(row["delivered_on_time"] for row in rows),
            "negative": sum(row["delivery_negative"] for row in rows), "median": None,
            "p90": None}
    for row in counts:
        if period.start <= row["day"] <= period.end and row["shipped"]:
            by_carrier[row["carrier"]] = by_carrier.get(row["carrier"], 0) + row["shipped"]
    carriers = [{"carrier": carrier, "n": n} for carrier, n in
                sorted(by_carrier.items(), key=lambda item: (-item[1], item[0]))]
    hours = list(DailyShipmentTimes.objects.filter(day__gte=first, day__lte=last)
                 .values("measure", "hour")
                 .annotate(now=Sum("shipments", filter=in_period(period)),
                           before=Sum("shipments", filter=in_period(period.previous)))
                 .order_by("measure", "hour"))
    lookups = []  # (measure, scope, percentile name, hour, offset within the hour)
    for measure in MEASURES:
        for name in scopes:
            histogram = [(row["hour"], row[name] or 0) for row in hours
                         if row["measure"] == measure]
            total = sum(n for _, n in histogram)
            if not total:
                continue
            for key, fraction in (("median", 0.5), ("p90", 0.9)):
                rank, below = _rank(total, fraction), 0
                for hour, n in histogram:
                    if below + n >= rank:
                        lookups.append((measure, name, key, hour, rank - below - 1))
                        break
                    below += n
    queries = []
    for index, (measure, name, _, hour, offset) in enumerate(lookups):
        day_field, time_field, hour_field = MEASURES[measure]
        p = scopes[name]
        queries.append(ShipmentFact.objects.filter(
            **{hour_field: hour, f"{day_field}__gte": p.start, f"{day_field}__lte": p.end})
            .annotate(tag=Value(index)).order_by(time_field)
            .values_list("tag", time_field)[offset:offset + 1])
    if not queries:  # still one query, so the page's count is the same with or without data
        queries.append(ShipmentFact.objects.filter(lead_hour=-1).annotate(tag=Value(-1))
                       .values_list("tag", "lead_time")[:1])
    for index, value in queries[0].union(*queries[1:], all=True):
        if index >= 0:
            measure, name, key, _, _ = lookups[index]
            summary[measure][name][key] = as_duration(value)
    return summary["lead"], summary["delivery"], carriers


def fulfillment_panel(period: Period, currency: str | None = None) -> Panel:
    """Four queries: the shipment counts per day and carrier of both periods, their hourly
    time histograms, the exact median and p90 times (on PostgreSQL; three reads of the
    facts elsewhere), and the live late/exception list."""
    currency = currency or settings.SHOP_CURRENCY
    if connection.vendor == "postgresql":
        shipped, delivered, carriers = _from_day_rollups(period)
    else:
        shipped, delivered, carriers = _from_facts(period)
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
