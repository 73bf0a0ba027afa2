"""RFM: known orders give known recency, frequency, monetary value, scores and segments;
the admin list, export and refresh."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.urls import reverse

from customers.models import CustomerSegment, Segment
from customers.selectors import customer_totals
from customers.services import refresh_customer_segments
from tests.factories import UserFactory

from .conftest import make_order

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def known_orders():
    for days, total, refunded in [(10, "100", "50"), (40, "200", "0"), (100, "300", "0"),
                                  (200, "100", "0"), (300, "50", "0")]:
        make_order(email="ann@example.com", total=total, refunded=refunded, days_ago=days,
                   now=NOW)
    first = make_order(email="ann@example.com", total="80", days_ago=50, now=NOW)
    make_order(email="ann@example.com", total="0", days_ago=2, now=NOW, replaces=first,
               paid=True)  # a free replacement: not counted
    bo = UserFactory(username="bo", email="bo@example.com")
    make_order(email="Bo@Example.com", total="40", days_ago=400, now=NOW)  # as a guest
    make_order(email="bo@example.com", total="60", days_ago=100, now=NOW, user=bo)
    make_order(email="new@example.com", total="20", days_ago=5, now=NOW)
    make_order(email="act@example.com", total="30", days_ago=15, now=NOW)
    make_order(email="act@example.com", total="30", days_ago=60, now=NOW)
    make_order(email="old@example.com", total="500", days_ago=500, now=NOW)
    make_order(email="unpaid@example.com", total="99", days_ago=1, now=NOW, paid=False)
    make_order(email="refunded@example.com", total="99", refunded="99", days_ago=1, now=NOW)
    make_order(email="euro@example.com", total="99", days_ago=1, now=NOW, currency="EUR")
    return bo


def test_rfm_values_scores_and_segments_from_known_orders(known_orders):
    assert refresh_customer_segments(now=NOW) == 5
    rows = {row.email: row for row in CustomerSegment.objects.all()}
    assert set(rows) == {"ann@example.com", "bo@example.com", "new@example.com",
                         "act@example.com", "old@example.com"}

    ann = rows["ann@example.com"]
    # Six paid orders (the free replacement not counted), 830 paid less 50 refunded.
    assert (ann.recency_days, ann.frequency, ann.monetary) == (10, 6, Decimal("780.00"))
    assert (ann.r_score, ann.f_score, ann.m_score) == (5, 4, 4)
    assert ann.segment == Segment.BEST

    bo = rows["bo@example.com"]  # the guest order and the account's, one customer by email
    assert (bo.recency_days, bo.frequency, bo.monetary) == (100, 2, Decimal("100.00"))
    assert (bo.r_score, bo.f_score, bo.m_score) == (3, 2, 2)
    assert bo.user == known_orders
    assert bo.segment == Segment.AT_RISK

    assert rows["new@example.com"].segment == Segment.NEW
    assert rows["act@example.com"].segment == Segment.ACTIVE
    old = rows["old@example.com"]
    assert (old.r_score, old.m_score, old.segment) == (1, 4, Segment.LAPSED)


def test_thresholds_come_from_settings(known_orders, settings):
    settings.SHOP_CUSTOMER_SEGMENTS = {"active_days": 120}
    refresh_customer_segments(now=NOW)
    assert CustomerSegment.objects.get(email="bo@example.com").segment == Segment.ACTIVE


def test_the_totals_are_one_grouped_query(known_orders, django_assert_num_queries):
    with django_assert_num_queries(1):
        rows = list(customer_totals())
    assert len(rows) == 5


def test_refresh_twice_is_the_same_and_drops_customers_with_no_counted_order(known_orders):
    refresh_customer_segments(now=NOW)
    first = list(CustomerSegment.objects.order_by("email").values_list(
        "email", "frequency", "monetary", "segment"))
    refresh_customer_segments(now=NOW)
    assert list(CustomerSegment.objects.order_by("email").values_list(
        "email", "frequency", "monetary", "segment")) == first

    from orders.models import Order

    Order.objects.filter(email="new@example.com").update(
        payment_status=Order.PaymentStatus.REFUNDED)
    refresh_customer_segments(now=NOW)
    assert not CustomerSegment.objects.filter(email="new@example.com").exists()


def test_the_nightly_job_is_scheduled(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["refresh-customer-segments"]
    assert entry["task"] == "customers.tasks.refresh_customer_segments"


# --- admin ----------------------------------------------------------------------------------

def _segments(count: int) -> None:
    for index in range(count):
        make_order(email=f"c{index}@example.com", total=str(10 + index), days_ago=index,
                   now=NOW)
    refresh_customer_segments(now=NOW)


def test_admin_list_filters_searches_sorts_in_a_fixed_number_of_queries(
        client, staff_in, django_assert_max_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    staff_in(client, "Merchant")
    url = reverse("admin:customers_customersegment_changelist")
    _segments(3)
    with CaptureQueriesContext(connection) as few:
        assert client.get(url, {"o": "-5"}).status_code == 200
    _segments(40)
    with CaptureQueriesContext(connection) as many:
        response = client.get(url, {"o": "-5"})
    assert response.status_code == 200
    assert len(many) == len(few)

    response = client.get(url, {"segment__exact": "active", "q": "c1@"})
    assert response.status_code == 200
    assert b"c1@example.com" in response.content and b"c2@example.com" not in response.content


def test_csv_export_neutralises_formula_cells(client, staff_in):
    staff_in(client, "Merchant")
    make_order(email="=cmd@example.com", total="10", days_ago=1, now=NOW)
    make_order(email="plain@example.com", total="10", days_ago=1, now=NOW)
    refresh_customer_segments(now=NOW)
    ids = list(CustomerSegment.objects.values_list("pk", flat=True))
    response = client.post(reverse("admin:customers_customersegment_changelist"),
                           {"action": "export_csv", "_selected_action": ids})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0][:3] == ["email", "account", "segment"]
    emails = sorted(row[0] for row in rows[1:])
    assert emails == ["'=cmd@example.com", "plain@example.com"]


def test_refresh_now_is_for_the_merchant(client, staff_in, known_orders):
    url = reverse("admin:customers_customersegment_refresh")
    staff_in(client, "Returns clerk")
    assert client.post(url).status_code == 403
    staff_in(client, "Merchant")
    response = client.post(url)
    assert response.status_code == 302
    assert client.get(url).status_code == 405
