"""Redis stops while shoppers check out and pay. Checkout still succeeds and no order is
lost; every task that could not be queued is visible in the database, and once Redis is
back the periodic sweeps queue each missing step (confirmation and receipt emails, shipment
creation, the label) exactly once, for a real worker process to do.

The broker is a `redis-server` of the test's own on another port, stopped with SIGKILL (no
persistence, so what it held is gone, as after a crash).
"""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from rest_framework.test import APIClient

from fulfillment import services as fulfillment_services
from fulfillment import tasks as fulfillment_tasks
from fulfillment.models import LabelPurchase, Shipment
from orders import tasks as order_tasks
from orders.models import Order, OrderEvent, OrderNotification
from payments import tasks as payment_tasks
from tests.api.test_checkout_api import CARD, filled_cart
from tests.factories import ProductFactory, make_shipping, make_variant
from tests.fulfillment.test_shipments import pack

from .conftest import wait_until

pytestmark = [pytest.mark.postgres, pytest.mark.worker, pytest.mark.django_db(transaction=True)]
ORDERS = 3


def _backdate_past_the_sweep_delay() -> None:
    """The sweeps leave work younger than five minutes to the tasks already queued; move
    the orders' clocks back as if the outage had lasted that long."""
    earlier = timedelta(minutes=6)
    for order in Order.objects.all():
        Order.objects.filter(pk=order.pk).update(placed_at=order.placed_at - earlier,
                                                 paid_at=order.paid_at - earlier)


def _sweep() -> None:
    """What beat runs every five minutes (the sweeps only queue tasks)."""
    order_tasks.sweep_order_work()
    payment_tasks.sweep_payment_work()
    fulfillment_tasks.sweep_fulfillment_work()


def _sent(kind: str) -> int:
    return OrderNotification.objects.filter(kind=kind, sent_at__isnull=False).count()


def test_redis_down_during_checkout_loses_nothing_and_the_sweep_catches_up_once(
        own_redis, start_worker, celery_client):
    variant = make_variant(ProductFactory(title="Canvas Tote"), price="25.00", stock=20)
    method = make_shipping(price="4.00")
    worker = start_worker(own_redis.url)
    celery_client(own_redis.url, worker.queue)
    api = APIClient()

    own_redis.stop()
    started = time.monotonic()
    orders = []
    for _ in range(ORDERS):
        token = filled_cart(api, variant, method, quantity=2)
        placed = api.post(f"/api/carts/{token}/order/", format="json")
        assert placed.status_code == 201, placed.content
        paid = api.post(f"/api/orders/{placed.json()['token']}/payments/", {"card": CARD},
                        format="json")
        assert paid.status_code == 201, paid.content
        orders.append(Order.objects.get(token=placed.json()["token"]))
    # Each failed enqueue gives up quickly (kombu's short publish retries).
    assert time.monotonic() - started < 60

    # Every order is there, paid, stock allocated; the work it needs is visible but undone.
    assert Order.objects.filter(payment_status=Order.PaymentStatus.PAID).count() == ORDERS
    assert sum(order.lines.get().allocations.get().quantity for order in orders) == 2 * ORDERS
    assert OrderNotification.objects.filter(sent_at__isnull=False).count() == 0
    assert Shipment.objects.count() == 0

    own_redis.start()
    _backdate_past_the_sweep_delay()
    _sweep()
    wait_until(lambda: _sent("confirmation") == ORDERS and _sent("receipt") == ORDERS
               and Shipment.objects.count() == ORDERS, timeout=90,
               what="the worker to send the emails and create the shipments")

    # Staff pack while Redis is down again: the label task cannot be queued.
    own_redis.stop()
    for shipment in Shipment.objects.order_by("pk"):
        fulfillment_services.create_pick_list(warehouse_id=shipment.warehouse_id,
                                              shipment_ids=[shipment.pk])
        pack(shipment)
    assert Shipment.objects.filter(state=Shipment.State.PACKED).count() == ORDERS
    assert not LabelPurchase.objects.exists()

    own_redis.start()
    _sweep()
    wait_until(lambda: Shipment.objects.filter(
        state=Shipment.State.LABEL_PURCHASED).count() == ORDERS, timeout=90,
        what="the worker to buy the labels")

    # Sweeping again finds nothing missing; nothing was done twice.
    assert fulfillment_tasks.sweep_fulfillment_work() == {"shipments": 0, "labels": 0}
    assert payment_tasks.sweep_payment_work() == 0
    assert order_tasks.sweep_order_work()["confirmations"] == 0
    time.sleep(1)
    for order in orders:
        emails = OrderEvent.objects.filter(order=order, type=OrderEvent.Type.EMAIL_SENT)
        assert sorted(e.data["kind"] for e in emails) == ["confirmation", "receipt"]
        assert order.shipments.count() == 1
        purchase = LabelPurchase.objects.get(shipment__order=order)
        assert purchase.outcome == LabelPurchase.Outcome.SUCCEEDED and purchase.attempts == 1
