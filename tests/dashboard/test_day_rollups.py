"""Issue 16: the fulfillment and returns panels read day roll-ups (counts per day, hourly
histograms, day totals) and give exactly the figures the reads over the facts gave."""

import random
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from orders.models import Order
from shop.dashboard import rollups, selectors
from shop.dashboard.models import (
    CustomerOrder,
    DailySales,
    DailyShipments,
    DailyShipmentTimes,
    ShipmentFact,
)
from shop.dashboard.periods import Period
from shop.dashboard.selectors.customers import _summary_from_order_days, _summary_from_orders
from shop.dashboard.selectors.fulfillment import _from_day_rollups, _from_facts
from shop.dashboard.shipment_days import compute_shipment_days, hour_of, write_shipment_days

pytestmark = pytest.mark.django_db(transaction=True)  # the history's refunds run after commit
NEW_YORK = ZoneInfo("America/New_York")


def _generated_facts(count: int) -> None:
    """Shipment facts around local midnight in New York (across the March 2025 change to
    summer time), with times on and next to whole hours, ties, negatives and blanks."""
    chance = random.Random(16)
    facts = []
    for pk in range(1, count + 1):
        day = date(2025, 2, 1) + timedelta(days=chance.randrange(80))
        local = datetime.combine(day, time(0), tzinfo=NEW_YORK) + timedelta(
            minutes=chance.choice([-3, -1, 0, 1, 2, 30, 600, 1439]))
        shipped = local.astimezone(UTC)
        lead = chance.choice([
            timedelta(hours=chance.randrange(0, 80)),  # exactly on the hour
            timedelta(hours=chance.randrange(1, 80), microseconds=-1),  # just below it
            timedelta(seconds=chance.randrange(0, 80 * 3600)),
            timedelta(hours=24), timedelta(hours=-2), None])
        delivered = (None if chance.random() < 0.2 else
                     shipped + timedelta(seconds=chance.randrange(-3600, 140 * 3600)))
        facts.append(ShipmentFact(
            shipment_id=pk, order_id=pk, carrier=chance.choice(["local", "ups", "pickup"]),
            state="delivered", paid_at=None if lead is None else shipped - lead,
            promised_ship_by=shipped, shipped_at=shipped,
            ship_day=shipped.astimezone(NEW_YORK).date(), delivered_at=delivered,
            delivery_day=delivered and delivered.astimezone(NEW_YORK).date(),
            lead_time=lead, delivery_time=delivered and delivered - shipped,
            shipped_in_time=chance.choice([True, False]),
            delivered_on_time=None if delivered is None else chance.choice([True, False, None])))
    ShipmentFact.objects.bulk_create(facts)
    # The hours as the rebuild writes them (the same expression, in SQL).
    ShipmentFact.objects.update(lead_hour=hour_of("lead_time"),
                                delivery_hour=hour_of("delivery_time"))


@pytest.mark.parametrize("period", [
    Period(date(2025, 3, 1), date(2025, 3, 7)),
    Period(date(2025, 3, 9), date(2025, 3, 9)),  # 23 hours long in New York
    Period(date(2025, 3, 10), date(2025, 4, 20)),
    Period(date(2025, 1, 1), date(2025, 12, 31)),
    Period(date(2026, 1, 1), date(2026, 1, 30)),  # nothing shipped
])
def test_percentiles_from_the_hourly_histogram_are_the_exact_nearest_rank_times(new_york,
                                                                                period):
    _generated_facts(3000)
    write_shipment_days(None)
    assert DailyShipmentTimes.objects.exists()
    shipped, delivered, carriers = _from_day_rollups(period)
    exact_shipped, exact_delivered, exact_carriers = _from_facts(period)
    assert shipped == exact_shipped
    assert delivered == exact_delivered
    assert carriers == exact_carriers


def test_fulfillment_and_returns_figures_are_unchanged_over_long_ranges(rebuilt, period):
    for p in (period, Period(date(2025, 2, 1), date(2025, 3, 31)),
              Period(date(2024, 3, 8), date(2025, 3, 7))):
        shipped, delivered, carriers = _from_day_rollups(p)
        assert (shipped, delivered, carriers) == _from_facts(p)
    returns = {kpi.key: kpi for kpi in selectors.returns_panel(period).kpis}
    assert returns["units_returned"].value == 1
    assert returns["return_refunds"].value.amount == Decimal("44.00")


def test_per_order_refreshes_keep_the_new_day_rollups_as_the_rebuild_makes_them(history):
    for order_id in Order.objects.values_list("pk", flat=True):  # the fixture moved dates
        rollups.refresh_order(order_id=order_id)
    stored = (sorted(DailyShipments.objects.values_list(
        "day", "carrier", "shipped", "shipped_known", "shipped_in_time", "lead_negative",
        "delivered_known", "delivered_on_time", "delivery_negative")),
        sorted(DailyShipmentTimes.objects.values_list("day", "measure", "hour", "shipments")))
    totals = sorted(DailySales.objects.filter(units_delivered__gt=0).values_list(
        "day", "units_delivered", "return_refunds", "returns_refunded", "return_refund_time"))
    assert stored[0] and stored[1] and totals
    counts, times = compute_shipment_days(None)
    assert stored[0] == sorted((day, carrier, *values.values())
                               for (day, carrier), values in counts.items())
    assert stored[1] == sorted((*key, n) for key, n in times.items())
    assert rollups.rebuild_rollups().rows_differing == 0  # DailySales' new columns too


def test_customer_counts_from_order_neighbours_equal_counting_each_customer(settings):
    """Random order days for 300 customers (same-day orders, one-order customers, gaps
    longer than the period), against a count customer by customer, for random periods."""
    chance = random.Random(1616)
    histories = {f"u:{n}": sorted(date(2025, 1, 1) + timedelta(days=chance.randrange(120))
                                  for _ in range(chance.choice([1, 1, 2, 3, 5, 9])))
                 for n in range(300)}
    rows, pk = [], 0
    for key, days in histories.items():
        for index, day in enumerate(days):
            pk += 1
            rows.append(CustomerOrder(
                order_id=pk, key=key, day=day,
                previous_day=days[index - 1] if index else CustomerOrder.FIRST,
                next_day=days[index + 1] if index + 1 < len(days) else CustomerOrder.LAST))
    CustomerOrder.objects.bulk_create(rows)
    periods = [Period(date(2025, 1, 1), date(2025, 1, 1)), Period(date(2025, 2, 1),
                                                                  date(2025, 4, 30))]
    for _ in range(40):
        start = date(2024, 12, 20) + timedelta(days=chance.randrange(140))
        periods.append(Period(start, start + timedelta(days=chance.choice([0, 6, 29, 89]))))
    for p in periods:
        found = _summary_from_order_days(p, settings.SHOP_CURRENCY)
        for flag, q in ((True, p), (False, p.previous)):
            inside = [sum(q.start <= day <= q.end for day in days)
                      for days in histories.values()]
            assert found[flag]["customers"] == sum(1 for n in inside if n), q
            assert found[flag]["repeat"] == sum(1 for n in inside if n >= 2), q


def test_customer_figures_match_grouping_the_orders_after_refreshes_and_rebuild(history,
                                                                                 period):
    periods = [period, Period(date(2025, 2, 1), date(2025, 3, 31)),
               Period(date(2025, 3, 6), date(2025, 3, 6)),
               Period(date(2025, 3, 7), date(2025, 3, 8)),  # B: evening of the 7th locally
               Period(date(2024, 3, 1), date(2025, 3, 31))]
    for order_id in Order.objects.values_list("pk", flat=True):
        rollups.refresh_order(order_id=order_id)
    refreshed = sorted(CustomerOrder.objects.values_list("order_id", "key", "day",
                                                         "previous_day", "next_day"))
    rollups.rebuild_rollups()
    assert refreshed == sorted(CustomerOrder.objects.values_list(
        "order_id", "key", "day", "previous_day", "next_day"))
    assert len({row[1] for row in refreshed}) >= 3
    for p in periods:
        assert (_summary_from_order_days(p, "USD") == _summary_from_orders(p, "USD")), p
