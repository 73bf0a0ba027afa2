"""Fraud screening: the signals behind a score, and the gateway's own rating screening the
order again when it arrives after the payment was secured (webhook or sync)."""

from decimal import Decimal

import pytest

from orders import services as order_services
from orders.models import Order, OrderEvent
from payments import risk, services
from payments.models import Payment
from tests.factories import ProductFactory, make_variant, ready_cart

from .stripe_fake import make_event
from .test_stripe_webhooks import deliver

pytestmark = pytest.mark.django_db


@pytest.fixture
def mug():
    return make_variant(ProductFactory(), price="30.00", stock=500)  # 35.00 with shipping


def paid_orders(variant, count: int) -> None:
    """``count`` paid 35.00 orders from different shoppers (the shop's average)."""
    for number in range(count):
        order = order_services.place_order(cart=ready_cart(
            variants={variant: 1}, email=f"regular{number}@example.com"))
        order_services.record_order_payment(
            order_id=order.pk, payment_status=Order.PaymentStatus.PAID,
            event_type=OrderEvent.Type.PAYMENT_CAPTURED, message="Paid.")


def order_of(variant, quantity: int) -> Order:
    return order_services.place_order(cart=ready_cart(variants={variant: quantity},
                                                      email="big@example.com"))


def high_value(reasons: list[str]) -> bool:
    return any("average" in reason for reason in reasons)


def test_an_order_far_above_the_shops_average_scores_with_a_reason(mug):
    paid_orders(mug, risk.MIN_ORDERS_FOR_AVERAGE)
    big = order_of(mug, 6)  # 185.00, over 5 × 35.00
    assert big.total == Decimal("185.00")
    score, reasons = risk.assess(big)
    assert score == 30 and high_value(reasons)
    assert "$185.00" in next(reason for reason in reasons if "average" in reason)


def test_an_order_at_five_times_the_average_is_not_flagged(mug):
    paid_orders(mug, risk.MIN_ORDERS_FOR_AVERAGE)
    order = order_of(mug, 5)  # 155.00, under 5 × 35.00
    assert not high_value(risk.assess(order)[1])


def test_the_average_needs_enough_paid_orders(mug):
    paid_orders(mug, risk.MIN_ORDERS_FOR_AVERAGE - 1)
    for _ in range(3):  # unpaid orders are not part of the average
        order_services.place_order(cart=ready_cart(variants={mug: 1},
                                                   email="browser@example.com"))
    assert not high_value(risk.assess(order_of(mug, 6))[1])


# --- The gateway's rating -------------------------------------------------------------------

@pytest.fixture
def stripe_payment(stripe_fake, mug):
    order = order_services.place_order(cart=ready_cart(variants={mug: 1}))
    return services.start_payment(order=order)


@pytest.mark.parametrize("risk_level,held", [("normal", False), ("elevated", True),
                                              ("highest", True)])
def test_a_risky_rating_holds_the_order_through_the_webhook(
        client, stripe_fake, stripe_payment, settings, django_capture_on_commit_callbacks,
        risk_level, held):
    settings.SHOP_RISK_HOLD_SCORE = 30  # elevated alone is 30 points
    intent = stripe_fake.succeed(stripe_payment.gateway_reference, risk_level=risk_level)
    # Stripe's payment_intent.succeeded names its charge by id only: the rating is fetched
    # after the event is committed.
    assert isinstance(intent["latest_charge"], str)
    with django_capture_on_commit_callbacks(execute=True):
        assert deliver(client, make_event("payment_intent.succeeded", intent)
                       ).status_code == 200
    payment = Payment.objects.get()
    order = payment.order
    assert (payment.state, payment.risk_level) == (Payment.State.CAPTURED, risk_level)
    assert order.payment_status == Order.PaymentStatus.PAID
    assert (order.risk == Order.Risk.HELD) is held
    rated = f"The payment gateway rated the payment {risk_level} risk"
    assert (rated in order.risk_reasons) is held
    assert order.events.filter(type=OrderEvent.Type.HELD).count() == int(held)


def test_highest_rating_alone_holds_the_order_at_the_default_threshold(
        client, stripe_fake, stripe_payment, django_capture_on_commit_callbacks):
    intent = stripe_fake.succeed(stripe_payment.gateway_reference, risk_level="highest")
    with django_capture_on_commit_callbacks(execute=True):
        deliver(client, make_event("payment_intent.succeeded", intent))
    order = Order.objects.get()
    assert (order.risk, order.risk_score) == (Order.Risk.HELD, 70)


def test_a_charge_succeeded_event_rescreens_with_its_rating_once(client, stripe_fake,
                                                                stripe_payment):
    intent = stripe_fake.succeed(stripe_payment.gateway_reference, risk_level="highest")
    deliver(client, make_event("payment_intent.succeeded", intent))  # no rating in it
    order = Order.objects.get()
    assert (order.risk, order.risk_score) == (Order.Risk.NORMAL, 0)
    charge = make_event("charge.succeeded", stripe_fake.charge_for(intent["id"]))
    for _ in range(2):
        assert deliver(client, charge).status_code == 200
    deliver(client, make_event("charge.succeeded", stripe_fake.charge_for(intent["id"])))
    order.refresh_from_db()
    assert (order.risk, order.risk_score) == (Order.Risk.HELD, 70)
    assert order.events.filter(type=OrderEvent.Type.HELD).count() == 1
    assert Payment.objects.get().risk_level == "highest"


def test_a_rating_in_an_expanded_intent_is_used_for_the_first_screening(
        client, stripe_fake, stripe_payment):
    intent = stripe_fake.succeed(stripe_payment.gateway_reference, risk_level="highest")
    intent["latest_charge"] = stripe_fake.charge_for(intent["id"])
    deliver(client, make_event("payment_intent.succeeded", intent))
    order = Order.objects.get()
    assert order.risk == Order.Risk.HELD
    assert order.events.filter(type=OrderEvent.Type.HELD).count() == 1


def test_a_later_sync_that_records_the_rating_screens_again(client, stripe_fake,
                                                            stripe_payment):
    intent = stripe_fake.succeed(stripe_payment.gateway_reference, risk_level="highest")
    deliver(client, make_event("payment_intent.succeeded", intent))
    order = Order.objects.get()
    assert order.risk == Order.Risk.NORMAL and Payment.objects.get().risk_level == ""
    synced = services.sync_payment(payment=Payment.objects.get())
    assert (synced.state, synced.risk_level) == (Payment.State.CAPTURED, "highest")
    order.refresh_from_db()
    assert (order.risk, order.risk_score) == (Order.Risk.HELD, 70)
    services.sync_payment(payment=synced)  # the same rating again: nothing new
    assert order.events.filter(type=OrderEvent.Type.HELD).count() == 1


def test_the_risk_fetch_is_skipped_for_a_payment_already_rated(client, stripe_fake,
                                                               stripe_payment):
    from payments.tasks import sync_payment_risk

    intent = stripe_fake.succeed(stripe_payment.gateway_reference, risk_level="elevated")
    services.sync_payment(payment=stripe_payment)
    requests = len(stripe_fake.requests)
    assert sync_payment_risk(stripe_payment.pk) is False
    assert len(stripe_fake.requests) == requests
    assert intent["status"] == "succeeded"
