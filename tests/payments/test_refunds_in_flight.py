"""A refund already sent to the gateway but not yet answered (its ``GatewayCall`` still in
flight) counts against what may be refunded: otherwise two refunds made close together
could return more than was captured."""

from decimal import Decimal

import pytest
from django.db.models import Sum

from orders import services as order_services
from payments import services
from payments.exceptions import PaymentError
from payments.models import GatewayCall, Payment
from tests.factories import ProductFactory, make_variant, ready_cart

pytestmark = pytest.mark.django_db
CARD = {"number": "4242424242424242", "exp_month": "12", "exp_year": "2030", "cvc": "123"}


@pytest.fixture
def paid():
    variant = make_variant(ProductFactory(), price="40.00", stock=10)
    order = order_services.place_order(cart=ready_cart(variants={variant: 2}))  # 85.00
    payment = services.start_payment(order=order, payment_data=CARD)
    assert payment.captured_amount == Decimal("85.00")
    return payment


def refund_in_flight(payment, amount):
    """A refund committed before its gateway call, whose answer has not come back yet."""
    return GatewayCall.objects.create(payment=payment, kind=GatewayCall.Kind.REFUND,
                                      amount=Decimal(amount), currency=payment.currency,
                                      idempotency_key=f"{payment.token}:refund:in-flight")


def refunds_made_or_under_way(payment):
    return GatewayCall.objects.filter(
        payment=payment, kind=GatewayCall.Kind.REFUND,
        outcome__in=[GatewayCall.Outcome.SUCCEEDED, GatewayCall.Outcome.IN_FLIGHT],
    ).aggregate(total=Sum("amount"))["total"] or Decimal("0")


def test_a_refund_in_flight_lowers_what_a_new_refund_may_take(paid):
    refund_in_flight(paid, "30.00")
    with pytest.raises(PaymentError, match=r"At most \$55\.00") as refused:
        services.refund_payment(payment=paid, amount=Decimal("55.01"))
    assert refused.value.code == "refund_too_large"
    assert GatewayCall.objects.filter(kind=GatewayCall.Kind.REFUND).count() == 1  # no call
    services.refund_payment(payment=paid, amount=Decimal("55.00"))
    paid.refresh_from_db()
    assert paid.refunded_amount == Decimal("55.00")
    assert refunds_made_or_under_way(paid) == paid.captured_amount


def test_with_everything_in_flight_nothing_more_is_refunded(paid):
    refund_in_flight(paid, "85.00")
    with pytest.raises(PaymentError, match=r"At most \$0\.00"):
        services.refund_payment(payment=paid, amount=Decimal("0.01"))
    assert refunds_made_or_under_way(paid) == Decimal("85.00")


def test_canceling_the_order_never_refunds_past_a_refund_in_flight(paid):
    refund_in_flight(paid, "30.00")
    try:
        services.cancel_and_settle(order=paid.order, reason="Customer asked")
    except PaymentError:
        pass  # refusing is safe; refunding the in-flight part a second time is not
    paid.refresh_from_db()
    assert refunds_made_or_under_way(paid) <= paid.captured_amount
    assert paid.refunded_amount <= paid.captured_amount - Decimal("30.00")


def test_the_gateways_refunded_total_does_not_count_our_refund_in_flight_twice(paid):
    refund_in_flight(paid, "30.00")
    services.set_refunded_total(payment=paid, refunded_total=Decimal("30.00"))
    paid.refresh_from_db()
    assert paid.refunded_amount == Decimal("0")  # counted when our own answer is recorded
    assert paid.state == Payment.State.CAPTURED
