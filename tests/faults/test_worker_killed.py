"""A worker SIGKILLed in the middle of a label purchase or a refund: after the restart the
work is done once. No second label, no second refund, no second email: acks_late brings the
message back, the idempotency keys make the carrier and the gateway see one purchase and
one refund, and unique rows keep the emails to one each.

The kill is deterministic: the local fakes of EasyPost and Stripe (started by the test) do
the purchase or the refund, then hold their answer until the test has killed the worker. So
the outside world did the work and the shop never heard: the worst moment to die.
"""

from __future__ import annotations

import os
import signal
import threading
from datetime import timedelta
from decimal import Decimal

import pytest
import redis

from fulfillment import services as fulfillment_services
from fulfillment import tasks as fulfillment_tasks
from fulfillment.models import LabelPurchase, Shipment
from fulfillment.services import LABEL_CLAIM_TIMEOUT
from orders import services as order_services
from payments import services as payment_services
from payments.models import GatewayCall, Payment
from returns import services as return_services
from returns.models import ReturnNotification, ReturnRequest
from tests.factories import ProductFactory, WarehouseFactory, make_variant, ready_cart
from tests.fulfillment.easypost_fake import FakeEasyPost
from tests.payments.stripe_fake import FakeStripe
from tests.returns.conftest import ask, deliver, inspect_all

from .conftest import wait_until

pytestmark = [pytest.mark.postgres, pytest.mark.worker, pytest.mark.django_db(transaction=True)]
RESTARTED = {"FAULT_SHORT_VISIBILITY": "1"}


class Gate:
    """Armed, the fake does the call, then holds its answer until released."""

    def __init__(self) -> None:
        self.armed = False
        self.reached = threading.Event()
        self.release = threading.Event()

    def hold(self) -> None:
        if self.armed:
            self.armed = False
            self.reached.set()
            self.release.wait(30)


class HeldEasyPost(FakeEasyPost):
    def __init__(self) -> None:
        self.gate = Gate()
        super().__init__()

    def handle(self, method, path, query, body):
        answer = super().handle(method, path, query, body)
        if method == "POST" and path.endswith("/buy"):
            self.gate.hold()  # the label is bought at the carrier; the answer waits
        return answer


class HeldStripe(FakeStripe):
    def __init__(self) -> None:
        self.gate = Gate()
        super().__init__()

    def handle(self, method, path, params):
        answer = super().handle(method, path, params)
        if method == "POST" and path == "/v1/refunds":
            self.gate.hold()  # the money went back; the answer waits
        return answer


@pytest.fixture
def easypost(settings):
    fake = HeldEasyPost()
    settings.EASYPOST_API_KEY = "EZTK_test"
    settings.EASYPOST_API_BASE = f"{fake.url}/v2"
    settings.SHOP_DEFAULT_CARRIER = "easypost"
    yield fake
    fake.gate.release.set()
    fake.stop()


@pytest.fixture
def stripe(settings):
    fake = HeldStripe().start()
    settings.STRIPE_SECRET_KEY = "sk_test_fake"
    settings.STRIPE_PUBLISHABLE_KEY = "pk_test_fake"
    settings.STRIPE_API_BASE = fake.url
    settings.PAYMENT_GATEWAY = "stripe"
    yield fake
    fake.gate.release.set()
    fake.stop()


def started_shipment() -> Shipment:
    """A paid order's shipment (made in-process on payment), picked, every item scanned:
    packing it queues the label purchase."""
    warehouse = WarehouseFactory(code="east", name="East DC", city="Newark")
    mug = make_variant(ProductFactory(title="Mug"), price="10.00", stock=5, warehouse=warehouse)
    order = order_services.place_order(cart=ready_cart(variants={mug: 2}))
    payment_services.start_payment(order=order, payment_data={
        "number": "4242424242424242", "exp_month": "12", "exp_year": "2030", "cvc": "123"})
    shipment = Shipment.objects.get(order=order)
    fulfillment_services.create_pick_list(warehouse_id=warehouse.pk, shipment_ids=[shipment.pk])
    for _ in range(2):
        fulfillment_services.scan_item(shipment_id=shipment.pk, code=mug.sku)
    return shipment


def refund_ready_return(stripe) -> ReturnRequest:
    """A delivered order paid through (fake) Stripe, one of its two shirts returned,
    received and inspected: the next step is the refund."""
    warehouse = WarehouseFactory(code="east", name="East DC", city="Newark")
    shirt = make_variant(ProductFactory(title="Linen Shirt"), price="40.00", sku="SHIRT-M",
                         stock=5, warehouse=warehouse)
    order = order_services.place_order(cart=ready_cart(variants={shirt: 2}))
    payment = payment_services.start_payment(order=order)
    stripe.succeed(payment.gateway_reference)
    payment_services.sync_payment(payment=payment)
    deliver(order)
    rma = ask(order, sku="SHIRT-M", quantity=1)
    return_services.approve_return(return_id=rma.pk, method=ReturnRequest.Method.DROP_OFF)
    return_services.receive_return(return_id=rma.pk)
    inspect_all(ReturnRequest.objects.get(pk=rma.pk))
    return ReturnRequest.objects.get(pk=rma.pk)


def test_a_worker_killed_mid_label_purchase_leaves_one_label(
        own_redis, start_worker, celery_client, easypost):
    shipment = started_shipment()
    carrier_env = {"EASYPOST_API_KEY": "EZTK_test", "EASYPOST_API_BASE": f"{easypost.url}/v2"}
    worker = start_worker(own_redis.url, pool="prefork", env=carrier_env)
    celery_client(own_redis.url, worker.queue)
    easypost.gate.armed = True
    fulfillment_services.complete_packing(shipment_id=shipment.pk, weight_grams=800)

    # The packed signal queued purchase_label; the worker's pool child is inside the call.
    assert easypost.gate.reached.wait(60), worker.logs()
    child = wait_until(worker.children, timeout=5, what="the pool child")[0]
    os.kill(child, signal.SIGKILL)
    easypost.gate.release.set()
    purchase = LabelPurchase.objects.get(shipment=shipment)
    assert purchase.outcome == LabelPurchase.Outcome.IN_FLIGHT and easypost.buys == 1

    # acks_late + reject on worker lost: the pool starts a new child and the message comes
    # back at once. The redelivered task finds the claim in flight (the dead child might
    # have been alive) and leaves it: no second purchase.
    wait_until(lambda: "WorkerLostError" in worker.logs() or "exited with" in worker.logs(),
               timeout=30, what="the worker to notice its child died")
    wait_until(lambda: "purchase_label" in worker.logs().split("exited with")[-1],
               timeout=30, what="the redelivered purchase_label")
    broker = redis.Redis.from_url(own_redis.url)
    wait_until(lambda: broker.llen(worker.queue) == 0 and broker.hlen("unacked") == 0,
               timeout=30, what="the redelivered task to finish and be acknowledged")
    purchase.refresh_from_db()
    assert purchase.outcome == LabelPurchase.Outcome.IN_FLIGHT and purchase.attempts == 1
    assert easypost.buys == 1

    # The claim outlives the task time limit, so it is surely dead: the sweep takes it over
    # with the same idempotency key, and EasyPost's shipment with that reference is reused.
    LabelPurchase.objects.filter(pk=purchase.pk).update(
        claimed_at=purchase.claimed_at - LABEL_CLAIM_TIMEOUT - timedelta(seconds=1))
    assert fulfillment_tasks.sweep_fulfillment_work() == {"shipments": 0, "labels": 1}
    wait_until(lambda: Shipment.objects.get(pk=shipment.pk).state ==
               Shipment.State.LABEL_PURCHASED, timeout=60, what="the label")

    shipment.refresh_from_db()
    purchase.refresh_from_db()
    assert easypost.buys == 1, "a second label was bought"
    assert (purchase.outcome, purchase.attempts) == (LabelPurchase.Outcome.SUCCEEDED, 2)
    bought = easypost.shipments[purchase.reference]
    assert bought["reference"] == purchase.idempotency_key
    assert shipment.tracking_number == bought["tracking_code"]
    assert fulfillment_tasks.sweep_fulfillment_work() == {"shipments": 0, "labels": 0}


def test_a_worker_killed_mid_refund_refunds_once_after_restart(
        own_redis, start_worker, celery_client, stripe):
    rma = refund_ready_return(stripe)
    payment = Payment.objects.get(order=rma.order)
    stripe_env = {"STRIPE_SECRET_KEY": "sk_test_fake", "STRIPE_API_BASE": stripe.url,
                  "PAYMENT_GATEWAY": "stripe"}
    worker = start_worker(own_redis.url, env=stripe_env)
    celery_client(own_redis.url, worker.queue)
    stripe.gate.armed = True
    return_services.refund_return(return_id=rma.pk)

    # execute_refund runs in the worker; Stripe refunded and holds its answer: kill.
    assert stripe.gate.reached.wait(60), worker.logs()
    worker.kill()
    stripe.gate.release.set()
    call = GatewayCall.objects.get(kind=GatewayCall.Kind.REFUND)
    assert call.outcome == GatewayCall.Outcome.IN_FLIGHT and len(stripe.refunds) == 1
    assert ReturnRequest.objects.get(pk=rma.pk).state == ReturnRequest.State.INSPECTED

    # A new worker process on the same queue gets the unacknowledged message back and
    # retries with the same idempotency key: Stripe answers with the refund it made.
    worker.extra_env.update(RESTARTED)
    worker.start()
    wait_until(lambda: ReturnRequest.objects.get(pk=rma.pk).state ==
               ReturnRequest.State.REFUNDED, timeout=90, what="the refund to be recorded")
    wait_until(lambda: ReturnNotification.objects.filter(
        return_request=rma, kind=ReturnNotification.Kind.REFUNDED,
        sent_at__isnull=False).exists(), timeout=30, what="the refunded email")

    refunded = ReturnRequest.objects.get(pk=rma.pk)
    assert len(stripe.refunds) == 1, "Stripe was asked for a second refund"
    refund_requests = [r for r in stripe.requests if r["path"] == "/v1/refunds"]
    assert len(refund_requests) == 2  # the lost one and the retry...
    assert len({r["idempotency_key"] for r in refund_requests}) == 1  # ...with one key
    call.refresh_from_db()
    assert call.outcome == GatewayCall.Outcome.SUCCEEDED
    assert GatewayCall.objects.filter(kind=GatewayCall.Kind.REFUND).count() == 1
    assert refunded.refunded_amount == Decimal("40.00")
    assert Payment.objects.get(pk=payment.pk).refunded_amount == Decimal("40.00")
    assert ReturnNotification.objects.filter(return_request=rma,
                                             kind=ReturnNotification.Kind.REFUNDED).count() == 1
