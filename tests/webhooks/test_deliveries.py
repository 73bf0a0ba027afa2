"""Outbound webhooks against a real HTTP receiver on 127.0.0.1.

Transactional tests: signals fire after real commits and the (eager) Celery tasks run as
they would in a worker, outside any transaction, so the POST really happens after commit.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from inventory.models import StockLevel
from inventory.services import receive_stock
from shop.webhooks import services, signing, tasks
from shop.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint, WebhookEvent
from tests.factories import ProductFactory, WarehouseFactory, make_variant

from .flow import pay, place

pytestmark = pytest.mark.django_db(transaction=True)
State = WebhookDelivery.State


@pytest.fixture
def endpoint(receiver):
    def make(*events, **kwargs):
        return WebhookEndpoint.objects.create(
            name="3PL", url=receiver.url, contact_email="ops@merchant.example",
            events=list(events), **kwargs)
    return make


def make_due(delivery: WebhookDelivery) -> None:
    """As if the backoff had passed."""
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        next_attempt_at=timezone.now() - timedelta(seconds=1))


def test_delivery_is_signed_over_timestamp_and_body(receiver, endpoint, mug):
    hook = endpoint("order.paid")
    order = place(mug, 2)
    pay(order)

    assert receiver.types() == ["order.paid"]
    request = receiver.requests[0]
    timestamp = request.headers["X-Shop-Timestamp"]
    expected = hmac.new(hook.secret.encode(), f"{timestamp}.".encode() + request.body,
                        hashlib.sha256).hexdigest()
    assert request.headers["X-Shop-Signature"] == f"v1={expected}"
    assert abs(int(timestamp) - time.time()) < 60
    body = json.loads(request.body)
    event = WebhookEvent.objects.get()
    assert body["id"] == request.event_id == str(event.event_id)
    assert body["type"] == "order.paid"
    assert body["data"]["number"] == order.number
    assert body["data"]["payment_status"] == "paid"
    assert body["data"]["lines"][0] == {"sku": mug.sku, "product": "Mug", "variant": "",
                                        "quantity": 2, "unit_price": "10.00",
                                        "total": "20.00"}
    assert "token" not in body["data"]
    # The helper receivers can use accepts it, and refuses a forgery or a replay.
    assert signing.verify(secret=hook.secret, body=request.body, headers=request.headers)
    assert not signing.verify(secret="whsec_other", body=request.body, headers=request.headers)
    assert not signing.verify(secret=hook.secret, body=request.body + b" ",
                              headers=request.headers)
    assert not signing.verify(secret=hook.secret, body=request.body, headers=request.headers,
                              now=int(timestamp) + 301)
    delivery = WebhookDelivery.objects.get()
    assert (delivery.state, delivery.attempts, delivery.last_status_code) == (
        State.SUCCEEDED, 1, 200)


def test_a_500_is_retried_with_exponential_backoff_until_it_succeeds(receiver, endpoint, mug,
                                                                     settings):
    settings.SHOP_WEBHOOK_BACKOFF_SECONDS = 60
    endpoint("order.placed")
    receiver.answer_next(500, 503)
    started = timezone.now()
    place(mug)

    delivery = WebhookDelivery.objects.get()
    assert (delivery.state, delivery.attempts, delivery.last_status_code) == (
        State.PENDING, 1, 500)
    assert timedelta(seconds=55) < delivery.next_attempt_at - started < timedelta(seconds=70)
    assert tasks.sweep_webhook_deliveries() == 0  # not due yet: nothing sent
    assert len(receiver.requests) == 1

    make_due(delivery)
    tasks.sweep_webhook_deliveries()
    delivery.refresh_from_db()
    assert (delivery.attempts, delivery.last_status_code) == (2, 503)
    # The second wait is twice the first.
    assert timedelta(seconds=115) < delivery.next_attempt_at - timezone.now() \
        < timedelta(seconds=125)

    make_due(delivery)
    tasks.sweep_webhook_deliveries()
    delivery.refresh_from_db()
    assert (delivery.state, delivery.attempts) == (State.SUCCEEDED, 3)
    assert len({r.event_id for r in receiver.requests}) == 1
    assert len({r.body for r in receiver.requests}) == 1
    log = list(WebhookAttempt.objects.filter(delivery=delivery)
               .values_list("number", "status_code", "succeeded"))
    assert log == [(1, 500, False), (2, 503, False), (3, 200, True)]
    assert tasks.deliver_webhook(delivery.pk) == "finished"  # a second run sends nothing
    assert len(receiver.requests) == 3


def test_an_orders_events_arrive_in_order_a_later_one_waits(receiver, endpoint, mug):
    endpoint("order.placed", "order.paid", "order.canceled")
    receiver.answer_next(500)
    first = place(mug)
    pay(first)  # order.paid must wait: order.placed of the same order is not through yet
    assert receiver.types() == ["order.placed"]
    paid = WebhookDelivery.objects.get(event__type="order.paid")
    assert (paid.state, paid.attempts) == (State.PENDING, 0)
    assert tasks.deliver_webhook(paid.pk) == "waiting for an earlier event"

    other = place(mug, email="grace@example.com")  # another order is not held up
    assert receiver.types() == ["order.placed", "order.placed"]
    assert json.loads(receiver.requests[1].body)["data"]["number"] == other.number

    make_due(WebhookDelivery.objects.get(event__type="order.placed",
                                         event__data__number=first.number))
    tasks.sweep_webhook_deliveries()
    numbers = [(r.event_type, json.loads(r.body)["data"]["number"]) for r in receiver.requests]
    assert [n for n in numbers if n[1] == first.number] == [
        ("order.placed", first.number), ("order.placed", first.number),
        ("order.paid", first.number)]
    assert not WebhookDelivery.objects.filter(state=State.PENDING).exists()


def test_a_delivery_given_up_after_the_window_releases_the_next_one(receiver, endpoint, mug,
                                                                   settings):
    endpoint("order.placed", "order.paid")
    receiver.answer_next(500, 500)
    order = place(mug)
    pay(order)
    placed = WebhookDelivery.objects.get(event__type="order.placed")
    WebhookDelivery.objects.filter(pk=placed.pk).update(
        window_started_at=timezone.now() - timedelta(hours=settings.SHOP_WEBHOOK_RETRY_HOURS),
        next_attempt_at=timezone.now())

    tasks.sweep_webhook_deliveries()

    placed.refresh_from_db()
    assert (placed.state, placed.attempts) == (State.FAILED, 2)
    assert receiver.types() == ["order.placed", "order.placed", "order.paid"]
    assert WebhookDelivery.objects.get(event__type="order.paid").state == State.SUCCEEDED


def test_redelivery_sends_the_same_event_id_and_body(receiver, endpoint, mug):
    endpoint("order.placed")
    place(mug)
    delivery = WebhookDelivery.objects.get()
    assert delivery.state == State.SUCCEEDED

    services.redeliver(delivery_id=delivery.pk)

    assert len(receiver.requests) == 2
    first, again = receiver.requests
    assert again.event_id == first.event_id == str(delivery.event.event_id)
    assert again.body == first.body
    assert signing.verify(secret=delivery.endpoint.secret, body=again.body,
                          headers=again.headers)
    log = list(delivery.attempt_log.values_list("number", "manual", "succeeded"))
    assert log == [(1, False, True), (2, True, True)]


def test_redeliver_admin_action(receiver, endpoint, mug, admin_client):
    endpoint("order.placed")
    place(mug)
    delivery = WebhookDelivery.objects.get()

    response = admin_client.post("/admin/webhooks/webhookdelivery/", {
        "action": "redeliver", "_selected_action": [delivery.pk]})

    assert response.status_code == 302
    assert [r.event_id for r in receiver.requests] == [str(delivery.event.event_id)] * 2
    page = admin_client.get(f"/admin/webhooks/webhookdelivery/{delivery.pk}/change/")
    assert page.status_code == 200
    assert str(delivery.event.event_id) in page.content.decode()


def test_an_endpoint_failing_for_a_day_is_disabled_and_the_merchant_emailed(
        receiver, endpoint, mug, settings):
    hook = endpoint("order.placed", "order.paid")
    WebhookEndpoint.objects.filter(pk=hook.pk).update(
        failing_since=timezone.now() - timedelta(hours=settings.SHOP_WEBHOOK_DISABLE_AFTER_HOURS,
                                                 minutes=1))
    receiver.answer_next(500)
    order = place(mug)

    hook.refresh_from_db()
    assert not hook.is_active and hook.disabled_at is not None
    assert len(mail.outbox) == 2  # the order confirmation, and the merchant's notice
    notice = next(m for m in mail.outbox if m.to == ["ops@merchant.example"])
    assert "disabled" in notice.subject and receiver.url in notice.body
    pay(order)  # nothing more is sent or stored for a disabled endpoint
    assert len(receiver.requests) == 1
    assert not WebhookDelivery.objects.filter(event__type="order.paid").exists()

    services.enable_endpoint(endpoint_id=hook.pk)  # fixed: the pending delivery goes out
    assert receiver.types() == ["order.placed", "order.placed"]


def test_a_success_clears_the_failing_clock(receiver, endpoint, mug):
    hook = endpoint("order.placed")
    receiver.answer_next(500)
    place(mug)
    hook.refresh_from_db()
    assert hook.failing_since is not None
    make_due(WebhookDelivery.objects.get())
    tasks.sweep_webhook_deliveries()
    hook.refresh_from_db()
    assert hook.failing_since is None and hook.is_active


def test_stock_low_fires_once_when_available_drops_to_the_threshold(receiver, endpoint,
                                                                    settings):
    settings.SHOP_LOW_STOCK_THRESHOLD = 5
    endpoint("stock.low")
    east = WarehouseFactory(code="east")
    lamp = make_variant(ProductFactory(title="Lamp"), stock=7, warehouse=east)
    place(lamp, 1)
    assert receiver.requests == []  # 6 left
    place(lamp, 1)  # 5 left: at the threshold
    assert receiver.types() == ["stock.low"]
    data = json.loads(receiver.requests[0].body)["data"]
    assert data == {"sku": lamp.sku, "warehouse": "east", "on_hand": 7, "allocated": 2,
                    "available": 5, "threshold": 5}
    place(lamp, 1)  # still low: told once
    assert len(receiver.requests) == 1

    receive_stock(variant=lamp, warehouse=east, quantity=10)  # back above
    place(lamp, 10)  # and down again: 4 left
    assert receiver.types() == ["stock.low", "stock.low"]
    assert json.loads(receiver.requests[1].body)["data"]["available"] == 4
    assert StockLevel.objects.get(variant=lamp).available == 4


def test_no_endpoint_no_rows(mug):
    order = place(mug)
    pay(order)
    assert not WebhookEvent.objects.exists()
