"""Voiding never leaves an order that ships without its money, and money a gateway reports
as taken is always recorded (and given back when the order does not owe it)."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from fulfillment import services as fulfillment_services
from fulfillment.models import Shipment
from kernel.errors import InvalidTransition
from orders import services as order_services
from orders.models import Order, OrderEvent
from payments import services
from payments import tasks as payment_tasks
from payments.exceptions import PaymentError
from payments.models import GatewayCall, Payment
from payments.stripe_webhooks import handle_stripe_event
from shop.moneycheck.models import Problem
from shop.moneycheck.selectors import check_orders
from tests.factories import ready_cart
from tests.fulfillment.test_shipments import pack, to_shipped
from tests.returns import conftest as returns_fixtures

CARD = returns_fixtures.CARD
catalog, warehouse = returns_fixtures.catalog, returns_fixtures.warehouse  # their fixtures

pytestmark = pytest.mark.django_db


def place(catalog, sku="medium"):
    return order_services.place_order(cart=ready_cart(variants={catalog[sku]: 1},
                                                      email="a@example.com"))


@pytest.fixture
def authorize_only(monkeypatch):
    monkeypatch.setattr(services.starting, "_capture_automatically", lambda gateway: False)


def test_voiding_the_authorization_an_open_order_lives_on_is_refused(catalog, authorize_only):
    order = place(catalog)
    payment = services.start_payment(order=order, payment_data=CARD)
    (shipment,) = fulfillment_services.create_shipments(order_id=order.pk)
    fulfillment_services.create_pick_list(warehouse_id=shipment.warehouse_id,
                                          shipment_ids=[shipment.pk])
    with pytest.raises(InvalidTransition, match="Cancel the order instead"):
        services.void_payment(payment=payment)
    payment.refresh_from_db()
    assert payment.state == Payment.State.AUTHORIZED
    assert not payment.calls.filter(kind=GatewayCall.Kind.VOID).exists()
    # It ships with its money.
    pack(Shipment.objects.get(pk=shipment.pk))
    fulfillment_services.purchase_label(shipment_id=shipment.pk)
    fulfillment_services.ship_shipment(shipment_id=shipment.pk)
    captured = services.capture_at_shipment(order_id=order.pk)
    assert captured.state == Payment.State.CAPTURED
    assert Order.objects.get(pk=order.pk).payment_status == Order.PaymentStatus.PAID


def test_a_void_waits_for_a_capture_in_flight_and_a_capture_for_a_void(catalog,
                                                                       authorize_only):
    order = place(catalog)
    payment = services.start_payment(order=order, payment_data=CARD)
    Order.objects.filter(pk=order.pk).update(cancel_requested_at=timezone.now())
    capture = GatewayCall.objects.create(payment=payment, kind=GatewayCall.Kind.CAPTURE,
                                         amount=payment.amount, currency=payment.currency,
                                         idempotency_key=f"{payment.token}:capture")
    with pytest.raises(PaymentError, match="capture of this payment is under way"):
        services.void_payment(payment=payment)
    GatewayCall.objects.filter(pk=capture.pk).delete()
    Order.objects.filter(pk=order.pk).update(cancel_requested_at=None)
    GatewayCall.objects.create(payment=payment, kind=GatewayCall.Kind.VOID,
                               amount=payment.amount, currency=payment.currency,
                               idempotency_key=f"{payment.token}:void")
    with pytest.raises(PaymentError, match="void of this payment is under way"):
        services.capture_payment(payment=payment)
    payment.refresh_from_db()
    assert payment.state == Payment.State.AUTHORIZED


def test_the_queued_void_leaves_a_reopened_orders_late_authorization(catalog):
    order = place(catalog, "mug")
    payment = Payment.objects.create(order=order, gateway="offline", amount=order.total,
                                     currency=order.currency, gateway_reference="off_late",
                                     manual_capture=True)
    Order.objects.filter(pk=order.pk).update(payment_due_by=timezone.now()
                                             - timedelta(minutes=1))
    assert order_services.cancel_expired_unpaid_order(order_id=order.pk)  # queues the void
    services.move_payment(payment=payment, state=Payment.State.AUTHORIZED)  # late webhook
    (shipment,) = fulfillment_services.create_shipments(order_id=order.pk)
    assert payment_tasks.void_open_payments(order.pk) == 0  # the queued task runs now
    payment.refresh_from_db()
    order.refresh_from_db()
    assert payment.state == Payment.State.AUTHORIZED
    assert (order.status, order.payment_status) == ("open", "authorized")
    to_shipped(shipment)
    assert services.capture_at_shipment(order_id=order.pk).state == Payment.State.CAPTURED


def succeeded(intent_id, amount, event_id="evt_1"):
    cents = int(amount * 100)
    return {"id": event_id, "type": "payment_intent.succeeded", "data": {"object": {
        "id": intent_id, "amount_received": cents, "amount": cents}}}


def test_a_capture_reported_for_a_locally_canceled_payment_of_a_canceled_order_is_refunded(
        catalog, django_capture_on_commit_callbacks):
    order = place(catalog, "mug")
    payment = Payment.objects.create(order=order, gateway="offline", amount=order.total,
                                     currency=order.currency, gateway_reference="off_old")
    services.void_payment(payment=payment)  # canceled at the gateway's end too, here
    order_services.cancel_order(order_id=order.pk, reason="Shopper changed their mind.")
    # The gateway reports the money taken all the same.
    Payment.objects.filter(pk=payment.pk).update(gateway="stripe", gateway_reference="pi_old")
    with django_capture_on_commit_callbacks() as callbacks:
        result = handle_stripe_event(succeeded("pi_old", order.total))
    assert result.endswith("canceled -> captured")
    payment.refresh_from_db()
    assert (payment.state, payment.captured_amount) == ("captured", order.total)
    event = order.events.filter(type=OrderEvent.Type.PAYMENT_CAPTURED).get()
    assert "after the payment was canceled here" in event.message
    assert "does not owe it (the order is canceled)" in event.message
    refund = payment.calls.get(kind=GatewayCall.Kind.REFUND)
    assert refund.outcome == GatewayCall.Outcome.IN_FLIGHT and refund.amount == order.total
    # The money check sees it until the refund is made.
    assert Problem.CANCELED_HOLDS_MONEY in {v.problem for v in check_orders().violations}
    Payment.objects.filter(pk=payment.pk).update(gateway="offline")  # refund through it
    with django_capture_on_commit_callbacks(execute=True) as queued:
        for callback in callbacks:
            callback()  # refunds_recorded -> the receiver queues the refund's task
    assert queued  # the task, queued (run here by the eager worker)
    payment.refresh_from_db()
    order.refresh_from_db()
    assert (payment.state, payment.refunded_amount) == ("refunded", order.total)
    assert order.status == Order.Status.CANCELED
    assert check_orders().is_clean


def test_a_capture_for_a_locally_canceled_payment_pays_the_open_unpaid_order(catalog):
    order = place(catalog, "mug")
    payment = Payment.objects.create(order=order, gateway="stripe", amount=order.total,
                                     currency=order.currency, gateway_reference="pi_old",
                                     state=Payment.State.CANCELED)
    handle_stripe_event(succeeded("pi_old", order.total))
    payment.refresh_from_db()
    order.refresh_from_db()
    assert (payment.state, payment.captured_amount) == ("captured", order.total)
    assert order.payment_status == Order.PaymentStatus.PAID
    assert not payment.calls.filter(kind=GatewayCall.Kind.REFUND).exists()
    assert check_orders().is_clean


def test_a_new_attempt_voids_the_earlier_one_at_stripe(stripe_fake, catalog):
    order = place(catalog, "mug")
    first = services.start_payment(order=order)
    Payment.objects.filter(pk=first.pk).update(client_secret="")  # not reusable
    second = services.start_payment(order=order)
    assert second.pk != first.pk
    first.refresh_from_db()
    assert first.state == Payment.State.CANCELED
    assert stripe_fake.intent(first.gateway_reference)["status"] == "canceled"
    assert first.calls.get(kind=GatewayCall.Kind.VOID).success
    assert Decimal(second.amount) == order.total
