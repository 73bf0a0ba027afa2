"""``void_open_payments``: when an order is canceled, its payments that were never captured
are voided at the gateway, once, however often the task runs."""

from datetime import timedelta

import pytest
from django.utils import timezone

from orders import services as order_services
from orders.models import Order, OrderEvent
from payments import services
from payments.exceptions import GatewayUnavailable, PaymentDeclined
from payments.models import GatewayCall, Payment
from payments.tasks import void_open_payments
from tests.factories import ProductFactory, make_variant, ready_cart

pytestmark = pytest.mark.django_db
CARD = {"number": "4242424242424242", "exp_month": "12", "exp_year": "2030", "cvc": "123"}
NEEDS_AUTHENTICATION = {**CARD, "number": "4000002500003155"}


@pytest.fixture
def order():
    variant = make_variant(ProductFactory(), price="30.00", stock=5)
    return order_services.place_order(cart=ready_cart(variants={variant: 1}))


def cancels(fake) -> list[dict]:
    return [r for r in fake.requests if r["method"] == "POST" and r["path"].endswith("/cancel")]


def test_an_unpaid_order_past_its_deadline_has_its_stripe_intent_canceled(
        stripe_fake, order, django_capture_on_commit_callbacks):
    payment = services.start_payment(order=order)
    Order.objects.filter(pk=order.pk).update(payment_due_by=timezone.now() - timedelta(minutes=1))
    with django_capture_on_commit_callbacks(execute=True):  # order_canceled -> the task
        assert order_services.cancel_expired_unpaid_order(order_id=order.pk) is True
    payment.refresh_from_db()
    assert payment.state == Payment.State.CANCELED
    assert stripe_fake.intent(payment.gateway_reference)["status"] == "canceled"
    assert len(cancels(stripe_fake)) == 1
    call = payment.calls.get(kind=GatewayCall.Kind.VOID)
    assert call.success and call.idempotency_key == f"{payment.token}:void"


def test_running_the_task_again_voids_nothing_more(stripe_fake, order):
    payment = services.start_payment(order=order)
    order_services.cancel_order(order_id=order.pk, reason="Shopper changed their mind.")
    assert void_open_payments(order.pk) == 1
    assert void_open_payments(order.pk) == 0
    assert len(cancels(stripe_fake)) == 1
    assert payment.calls.filter(kind=GatewayCall.Kind.VOID).count() == 1
    events = Order.objects.get().events.filter(type=OrderEvent.Type.PAYMENT_VOIDED)
    assert events.count() == 1


def test_only_uncaptured_payments_are_voided(order):
    """A declined attempt and a finished one are left as they are; the one waiting for
    authentication (never sent anywhere to cancel) is canceled."""
    with pytest.raises(PaymentDeclined):
        services.start_payment(order=order, payment_data={**CARD,
                                                          "number": "4000000000000002"})
    waiting = services.start_payment(order=order, payment_data=NEEDS_AUTHENTICATION)
    assert waiting.state == Payment.State.REQUIRES_ACTION
    order_services.cancel_order(order_id=order.pk)
    assert void_open_payments(order.pk) == 1
    states = dict(Payment.objects.values_list("pk", "state"))
    assert states[waiting.pk] == Payment.State.CANCELED
    assert sorted(states.values()) == [Payment.State.CANCELED, Payment.State.FAILED]


def test_an_outage_is_retried_with_the_same_key_and_voids_once(stripe_fake, order):
    payment = services.start_payment(order=order)
    order_services.cancel_order(order_id=order.pk)
    stripe_fake.fail_next(1, status=503)
    with pytest.raises(GatewayUnavailable):  # Celery retries the task with backoff
        void_open_payments(order.pk)
    payment.refresh_from_db()
    assert payment.state == Payment.State.PENDING
    assert void_open_payments(order.pk) == 1
    payment.refresh_from_db()
    assert payment.state == Payment.State.CANCELED
    keys = {request["idempotency_key"] for request in cancels(stripe_fake)}
    assert keys == {f"{payment.token}:void"}
    assert stripe_fake.intent(payment.gateway_reference)["status"] == "canceled"


def test_a_payment_captured_at_stripe_meanwhile_is_left_and_noted(stripe_fake, order):
    """The shopper paid in the last second: Stripe refuses to cancel a succeeded intent.
    The task does not fail or retry for ever; the refusal is on the order's timeline."""
    payment = services.start_payment(order=order)
    order_services.cancel_order(order_id=order.pk)
    stripe_fake.succeed(payment.gateway_reference)
    assert void_open_payments(order.pk) == 0
    payment.refresh_from_db()
    assert payment.state == Payment.State.PENDING
    note = Order.objects.get().events.filter(type=OrderEvent.Type.NOTE).latest("pk")
    assert note.message.startswith("Void failed")


def test_an_order_without_payments_or_unknown_is_a_no_op():
    assert void_open_payments(987654) == 0
