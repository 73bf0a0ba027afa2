"""Day roll-ups of the shipment facts for the fulfillment panel (issue 16, speed).

``DailyShipments`` holds the counts (additive by day), ``DailyShipmentTimes`` an hourly
histogram of each day's times. Both are recomputed from ``ShipmentFact``, never moved by
deltas: for a few days after one order's facts change (``write_shipment_days(days)``), or
whole in the nightly rebuild (``days=None``).
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Case, Count, F, Func, IntegerField, Q, QuerySet, Value, When

from .models import DailyShipments, DailyShipmentTimes, ShipmentFact

HOUR_MICROSECONDS = 3_600_000_000
# measure -> (day field, time field, hour field) of ShipmentFact
MEASURES = {"lead": ("ship_day", "lead_time", "lead_hour"),
            "delivery": ("delivery_day", "delivery_time", "delivery_hour")}


class WholeHours(Func):
    """Whole hours of a non-negative duration (rounded down)."""

    output_field = IntegerField()
    template = "FLOOR(EXTRACT(EPOCH FROM %(expressions)s) / 3600)::integer"

    def as_sqlite(self, compiler, connection, **extra):  # durations are microseconds there
        return self.as_sql(compiler, connection,
                           template=f"(%(expressions)s / {HOUR_MICROSECONDS})", **extra)


def _facts_on(field: str, days: set[dt.date] | None) -> QuerySet:
    facts = ShipmentFact.objects.filter(**{f"{field}__isnull": False}).order_by()
    return facts if days is None else facts.filter(**{f"{field}__in": sorted(days)})


def compute_shipment_days(days: set[dt.date] | None) -> tuple[dict, dict]:
    """({(day, carrier): counts}, {(day, measure, hour): shipments}) for ``days`` (all
    days when None), from ShipmentFact."""
    counts: dict[tuple, dict] = {}

    def row(day, carrier) -> dict:
        return counts.setdefault((day, carrier), {
            "shipped": 0, "shipped_known": 0, "shipped_in_time": 0, "lead_negative": 0,
            "delivered_known": 0, "delivered_on_time": 0, "delivery_negative": 0})

    for item in (_facts_on("ship_day", days).values("ship_day", "carrier")
                 .annotate(n=Count("pk"), known=Count("shipped_in_time"),
                           yes=Count("pk", filter=Q(shipped_in_time=True)),
                           negative=Count("pk", filter=Q(lead_time__lt=dt.timedelta(0))))):
        row(item["ship_day"], item["carrier"]).update(
            shipped=item["n"], shipped_known=item["known"], shipped_in_time=item["yes"],
            lead_negative=item["negative"])
    for item in (_facts_on("delivery_day", days).filter(delivery_time__isnull=False)
                 .values("delivery_day", "carrier")
                 .annotate(known=Count("delivered_on_time"),
                           yes=Count("pk", filter=Q(delivered_on_time=True)),
                           negative=Count("pk", filter=Q(delivery_time__lt=dt.timedelta(0))))):
        row(item["delivery_day"], item["carrier"]).update(
            delivered_known=item["known"], delivered_on_time=item["yes"],
            delivery_negative=item["negative"])
    times: dict[tuple, int] = {}
    for measure, (day_field, _, hour_field) in MEASURES.items():
        for day, hour, n in (_facts_on(day_field, days).filter(**{f"{hour_field}__isnull": False})
                             .values_list(day_field, hour_field).annotate(n=Count("pk"))):
            times[(day, measure, hour)] = n
    return counts, times


def write_shipment_days(days: set[dt.date] | None) -> None:
    """Replace the shipment day roll-ups of ``days`` (all when None) from ShipmentFact.
    Call inside the caller's transaction, after the facts are written."""
    counts, times = compute_shipment_days(days)
    old_counts, old_times = DailyShipments.objects.all(), DailyShipmentTimes.objects.all()
    if days is not None:
        old_counts = old_counts.filter(day__in=sorted(days))
        old_times = old_times.filter(day__in=sorted(days))
    old_counts._raw_delete(old_counts.db)  # derived rows: no signals, no cascades
    old_times._raw_delete(old_times.db)
    DailyShipments.objects.bulk_create(
        [DailyShipments(day=day, carrier=carrier, **values)
         for (day, carrier), values in sorted(counts.items())], batch_size=2000)
    DailyShipmentTimes.objects.bulk_create(
        [DailyShipmentTimes(day=day, measure=measure, hour=hour, shipments=n)
         for (day, measure, hour), n in sorted(times.items())], batch_size=5000)


def shipment_days_of(order_ids: list[int]) -> set[dt.date]:
    """The ship and delivery days of these orders' shipment facts."""
    days: set[dt.date] = set()
    for ship_day, delivery_day in ShipmentFact.objects.filter(
            order_id__in=order_ids).values_list("ship_day", "delivery_day"):
        days |= {day for day in (ship_day, delivery_day) if day is not None}
    return days


def hour_of(field: str):
    """The hour bucket of a duration expression: None below zero (left out of the times)."""
    return Case(When(**{f"{field}__gte": dt.timedelta(0)}, then=WholeHours(F(field))),
                default=Value(None), output_field=IntegerField())
