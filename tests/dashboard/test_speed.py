"""Issue 16: the faster dashboard reads give the figures the straightforward reads gave."""

from datetime import date

import pytest
from django.db.models import Count

from shop.dashboard import selectors
from shop.dashboard.periods import Period, day_bounds
from shop.dashboard.rollups import counted_orders, customer_key
from shop.dashboard.selectors.shapes import nearest_rank, time_summary

pytestmark = pytest.mark.django_db(transaction=True)  # the history's refunds run after commit


def _reference_customers(period: Period) -> dict:
    """Customers, repeaters and orders by customer_key()'s text key (the old grouping)."""
    start, end = day_bounds(period.start, period.end)
    counts = list(counted_orders().filter(placed_at__gte=start, placed_at__lt=end)
                  .values(k=customer_key()).annotate(n=Count("pk")).values_list("n", flat=True))
    return {"customers": len(counts), "repeat": sum(1 for n in counts if n >= 2),
            "orders": sum(counts)}


def test_customers_grouped_by_account_and_guest_email_match_the_text_key(rebuilt, period):
    # The shop's zone is New York (the fixture): day_bounds cut at local midnight.
    for p in (period, period.previous, Period(date(2025, 2, 1), date(2025, 3, 31)),
              Period(date(2025, 3, 6), date(2025, 3, 6)), Period(date(2024, 3, 1),
                                                                 date(2025, 3, 31))):
        panel = selectors.customers_panel(p)
        figures = {kpi.key: kpi for kpi in panel.kpis}
        expected = _reference_customers(p)
        assert figures["customers"].value == expected["customers"]
        before = _reference_customers(p.previous)
        assert figures["customers"].previous == before["customers"]


def test_median_and_p90_from_one_sort_are_the_nearest_rank_values(rebuilt, period):
    from shop.dashboard.models import ShipmentFact

    for p in (period, Period(date(2024, 3, 1), date(2025, 3, 31))):
        found = time_summary(ShipmentFact.objects.all(), day="ship_day", time="lead_time",
                             yes="shipped_in_time", period=p)
        times = [fact.lead_time for fact in ShipmentFact.objects.filter(
            ship_day__gte=p.start, ship_day__lte=p.end, lead_time__isnull=False)
            if fact.lead_time.total_seconds() >= 0]
        assert found["now"]["median"] == nearest_rank(times, 0.5)
        assert found["now"]["p90"] == nearest_rank(times, 0.9)
