"""A carrier or a gateway that answers 500 or times out: the task retries with backoff
(a real worker, real countdowns), the shipment shows why it has no label, and staff can
retry from admin. Against the local fakes of EasyPost and Stripe."""

from __future__ import annotations

import pytest
from celery.exceptions import Retry
from django.urls import reverse

from fulfillment import services as fulfillment_services
from fulfillment import tasks as fulfillment_tasks
from fulfillment.carriers import CarrierError
from fulfillment.models import LabelPurchase, Shipment
from payments.exceptions import GatewayUnavailable
from payments.models import GatewayCall
from returns import services as return_services
from returns import tasks as return_tasks
from returns.models import ReturnRequest
from tests.fulfillment.test_admin_queue import staff_in, texts

from .conftest import wait_until
from .test_worker_killed import easypost, refund_ready_return, started_shipment, stripe  # noqa: F401

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_transient_errors_are_retried_with_exponential_backoff():
    for task, error in ((fulfillment_tasks.purchase_label, CarrierError),
                        (return_tasks.execute_refund, GatewayUnavailable)):
        assert error in task.autoretry_for
        assert task.retry_backoff is True and task.max_retries >= 5
        assert task.acks_late is True


@pytest.mark.worker
def test_a_carrier_answering_500_is_retried_by_the_worker_until_the_label_is_bought(
        own_redis, start_worker, celery_client, easypost):  # noqa: F811
    shipment = started_shipment()
    worker = start_worker(own_redis.url, env={"EASYPOST_API_KEY": "EZTK_test",
                                              "EASYPOST_API_BASE": f"{easypost.url}/v2"})
    celery_client(own_redis.url, worker.queue)
    easypost.fail_next(2)
    fulfillment_services.complete_packing(shipment_id=shipment.pk, weight_grams=800)

    wait_until(lambda: Shipment.objects.get(pk=shipment.pk).state ==
               Shipment.State.LABEL_PURCHASED, timeout=60, what="the label after retries")
    purchase = LabelPurchase.objects.get(shipment=shipment)
    assert (purchase.outcome, purchase.attempts, purchase.error) == (
        LabelPurchase.Outcome.SUCCEEDED, 3, "")
    assert easypost.buys == 1
    # Three deliveries of the task: the first and two retries sent back with a countdown.
    received = [line for line in worker.logs(tail=10**6).splitlines()
                if "purchase_label[" in line and "received" in line]
    assert len(received) == 3


def test_a_carrier_down_for_good_shows_on_the_shipment_and_staff_retry_from_admin(
        client, staff_roles, easypost):  # noqa: F811
    shipment = started_shipment()
    easypost.fail_next(1000)
    # Packing queues the label; in-process, each retry runs at once, until they run out.
    with pytest.raises((CarrierError, Retry)):
        fulfillment_services.complete_packing(shipment_id=shipment.pk, weight_grams=800)
    shipment.refresh_from_db()
    purchase = LabelPurchase.objects.get(shipment=shipment)
    assert shipment.state == Shipment.State.PACKED
    assert purchase.outcome == LabelPurchase.Outcome.FAILED
    assert "EasyPost unavailable" in purchase.error

    staff_in(client, "Shipper")
    page = client.get(reverse("admin:fulfillment_shipment_change", args=[shipment.pk]))
    assert "Failed (attempt" in page.content.decode()
    assert "EasyPost unavailable" in page.content.decode()

    easypost.fail_next(0)  # the carrier is back
    response = client.post(reverse("admin:fulfillment_shipment_changelist"),
                           {"action": "buy_labels", "_selected_action": [shipment.pk]},
                           follow=True)
    assert "Label purchase queued for 1 packed shipment(s)." in texts(response)
    shipment.refresh_from_db()
    purchase.refresh_from_db()
    assert shipment.state == Shipment.State.LABEL_PURCHASED
    assert purchase.outcome == LabelPurchase.Outcome.SUCCEEDED
    assert easypost.buys == 1
    page = client.get(reverse("admin:fulfillment_shipment_change", args=[shipment.pk]))
    assert "Succeeded (attempt" in page.content.decode()


@pytest.mark.worker
def test_a_gateway_timing_out_is_retried_and_refunds_once(
        own_redis, start_worker, celery_client, stripe):  # noqa: F811
    rma = refund_ready_return(stripe)
    worker = start_worker(own_redis.url, env={
        "STRIPE_SECRET_KEY": "sk_test_fake", "STRIPE_API_BASE": stripe.url,
        "PAYMENT_GATEWAY": "stripe"})
    celery_client(own_redis.url, worker.queue)
    stripe.hang_next(1)  # the first refund request hangs past the adapter's timeout
    return_services.refund_return(return_id=rma.pk)
    rma.refresh_from_db()
    assert rma.refund_requested_at is not None  # the return says a refund is being made

    wait_until(lambda: ReturnRequest.objects.get(pk=rma.pk).state ==
               ReturnRequest.State.REFUNDED, timeout=90, what="the refund after retries")
    refunds = [r for r in stripe.requests if r["path"] == "/v1/refunds"]
    assert len(refunds) == 2 and len({r["idempotency_key"] for r in refunds}) == 1
    assert len(stripe.refunds) == 1
    call = GatewayCall.objects.get(kind=GatewayCall.Kind.REFUND)
    assert call.outcome == GatewayCall.Outcome.SUCCEEDED
