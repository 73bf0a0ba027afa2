"""Order events queue their order for the dashboards; a flush a moment later refreshes every
order queued meanwhile together, with the same figures as refreshing each one alone (and as
the nightly rebuild), in a number of queries that does not grow with the orders."""

from decimal import Decimal

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext

from orders import services as order_services
from payments import services as payment_services
from shop.dashboard import refresh_queue, rollups, tasks
from shop.dashboard.models import DailySales, KpiRefresh
from shop.dashboard.periods import local_today
from tests.factories import ProductFactory, make_variant, ready_cart

pytestmark = pytest.mark.django_db(transaction=True)
CARD = {"number": "4242424242424242", "exp_month": "12", "exp_year": "2030", "cvc": "123"}


def paid_orders(count: int, *, price: str = "30.00") -> list:
    variant = make_variant(ProductFactory(), price=price, stock=100)
    orders = []
    for index in range(count):
        order = order_services.place_order(cart=ready_cart(
            variants={variant: 1}, email=f"buyer{index % 3}@example.com"))
        payment_services.start_payment(order=order, payment_data=CARD)
        orders.append(order)
    return orders


@pytest.fixture
def queued_only(monkeypatch):
    """Order events queue their order, and the flush they ask for is held back (as when
    it is still waiting for its countdown): what is queued, with what delay."""
    asked = []
    monkeypatch.setattr("shop.dashboard.tasks.enqueue",
                        lambda task, *args, **kwargs: asked.append((task.name, kwargs)))
    return asked


def test_an_event_queues_its_order_and_asks_for_a_flush_after_the_delay(queued_only):
    orders = paid_orders(3)
    assert set(KpiRefresh.objects.values_list("order_id", flat=True)) == {o.pk for o in orders}
    assert not DailySales.objects.exists()  # nothing refreshed until the flush
    flush = ("shop.dashboard.tasks.flush_kpi_refreshes",
             {"countdown": settings.SHOP_KPI_REFRESH_DELAY})
    assert queued_only and all(asked == flush for asked in queued_only)
    assert tasks.flush_kpi_refreshes() == 3
    today = DailySales.objects.get(day=local_today())
    assert (today.orders, today.gross_sales) == (3, Decimal("90.00"))
    assert not KpiRefresh.objects.exists()
    assert rollups.rebuild_rollups().rows_differing == 0
    assert tasks.flush_kpi_refreshes() == 0  # an empty queue: nothing to do


def test_a_flush_gives_what_one_refresh_per_order_gives(queued_only):
    orders = paid_orders(4)
    tasks.flush_kpi_refreshes()
    together = rollups.rebuild_rollups()
    assert together.rows_differing == 0 and together.rows_checked > 0
    for order in orders:
        rollups.refresh_order(order_id=order.pk)
    assert rollups.rebuild_rollups().rows_differing == 0


def test_the_queries_of_a_flush_do_not_grow_with_its_orders(queued_only):
    paid_orders(1)
    with CaptureQueriesContext(connection) as one:
        assert tasks.flush_kpi_refreshes() == 1
    paid_orders(12)
    with CaptureQueriesContext(connection) as twelve:
        assert tasks.flush_kpi_refreshes() == 12
    assert len(twelve.captured_queries) == len(one.captured_queries)


def test_an_order_queued_twice_is_refreshed_once_and_again_after_a_later_event(queued_only):
    order = paid_orders(1)[0]
    refresh_queue.queue_refresh(order_id=order.pk)  # a second event before the flush
    assert KpiRefresh.objects.count() == 1
    assert tasks.flush_kpi_refreshes() == 1
    payment_services.cancel_and_settle(order=order, reason="Test")  # a later event
    assert list(KpiRefresh.objects.values_list("order_id", flat=True)) == [order.pk]
    assert tasks.flush_kpi_refreshes() == 1
    assert not DailySales.objects.filter(orders__gt=0).exists()


def test_a_failed_flush_leaves_its_orders_queued(queued_only, monkeypatch):
    paid_orders(2)

    def broken(**kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(rollups, "refresh_orders", broken)
    with pytest.raises(RuntimeError):
        tasks.flush_kpi_refreshes()
    assert KpiRefresh.objects.count() == 2


def test_a_big_queue_is_flushed_in_batches_each_asking_for_the_next(queued_only, monkeypatch):
    paid_orders(3)
    queued_only.clear()
    monkeypatch.setattr(refresh_queue.flush_queue, "__kwdefaults__", {"limit": 2})
    assert tasks.flush_kpi_refreshes() == 2
    assert queued_only == [("shop.dashboard.tasks.flush_kpi_refreshes", {})]
    assert tasks.flush_kpi_refreshes() == 1
    assert not KpiRefresh.objects.exists()


def test_beat_flushes_the_queue_every_minute_in_case_a_flush_was_lost():
    entry = settings.CELERY_BEAT_SCHEDULE["sweep-kpi-refreshes"]
    assert entry == {"task": "shop.dashboard.tasks.flush_kpi_refreshes", "schedule": 60.0}


def test_with_celery_eager_an_event_shows_at_once():
    """``make run`` without Redis (and the test settings): the flush runs as it is asked."""
    paid_orders(1)
    assert DailySales.objects.get(day=local_today()).orders == 1
    assert not KpiRefresh.objects.exists()
