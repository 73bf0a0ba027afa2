from decimal import Decimal

import pytest

from kernel.errors import InvalidTransition
from orders import services as order_services
from orders.models import Order, OrderEvent
from payments import services
from payments.exceptions import PaymentDeclined, PaymentError
from payments.models import GatewayCall, Payment
from tests.factories import ADDRESS, ProductFactory, make_variant, ready_cart

pytestmark = pytest.mark.django_db

CARD = {"number": "4242424242424242", "exp_month": "12", "exp_year": "2030", "cvc": "123"}


@pytest.fixture
def order():
    variant = make_variant(ProductFactory(), price="40.00", stock=10)
    return order_services.place_order(cart=ready_cart(variants={variant: 2}))  # 85.00


@pytest.fixture
def paid(order):
    services.start_payment(order=order, payment_data=CARD)
    return Payment.objects.get(order=order)


@pytest.mark.parametrize("number,message", [
    ("4000000000000002", "declined"),
    ("4000000000009995", "insufficient funds"),
    ("4000000000000069", "expired"),
    ("4000000000000127", "security code"),
    ("4111111111111112", "number is incorrect"),
    ("5105105105105100", "test mode"),
])
def test_declines_leave_the_order_unpaid_with_the_reason(order, number, message):
    with pytest.raises(PaymentDeclined, match=message):
        services.start_payment(order=order, payment_data={**CARD, "number": number})
    order.refresh_from_db()
    assert order.payment_status == Order.PaymentStatus.UNPAID
    payment = Payment.objects.get(order=order)
    assert payment.state == Payment.State.FAILED
    assert order.events.filter(type=OrderEvent.Type.PAYMENT_FAILED).exists()


def test_card_numbers_are_never_stored(order):
    services.start_payment(order=order, payment_data=CARD)
    payment = Payment.objects.get()
    stored = " ".join(str(v) for v in Payment.objects.values().get().values())
    stored += " ".join(str(v) for row in GatewayCall.objects.values() for v in row.values())
    stored += " ".join(e.message + str(e.data) for e in OrderEvent.objects.all())
    assert "4242424242424242" not in stored
    assert (payment.card_brand, payment.card_last4) == ("visa", "4242")


def test_retry_after_a_decline_succeeds(order):
    with pytest.raises(PaymentDeclined):
        services.start_payment(order=order, payment_data={**CARD, "number": "4000000000000002"})
    services.start_payment(order=order, payment_data=CARD)
    order.refresh_from_db()
    assert order.payment_status == Order.PaymentStatus.PAID


def test_paying_twice_is_refused(paid):
    with pytest.raises(PaymentError, match="already paid"):
        services.start_payment(order=paid.order, payment_data=CARD)
    assert Payment.objects.filter(state=Payment.State.CAPTURED).count() == 1


def test_authentication_step(order):
    payment = services.start_payment(order=order, payment_data={**CARD,
                                                                "number": "4000002500003155"})
    assert payment.state == Payment.State.REQUIRES_ACTION
    payment = services.confirm_authentication(payment=payment, authenticated=True)
    assert payment.state == Payment.State.CAPTURED
    with pytest.raises(PaymentError):
        services.confirm_authentication(payment=payment, authenticated=True)


def test_failed_authentication(order):
    payment = services.start_payment(order=order, payment_data={**CARD,
                                                                "number": "4000002500003155"})
    with pytest.raises(PaymentDeclined, match="authenticate"):
        services.confirm_authentication(payment=payment, authenticated=False)
    order.refresh_from_db()
    assert order.payment_status == Order.PaymentStatus.UNPAID


def test_partial_and_full_refunds_never_exceed_captured(paid):
    services.refund_payment(payment=paid, amount=Decimal("30.00"), reason="damaged")
    paid.refresh_from_db()
    assert paid.state == Payment.State.PARTIALLY_REFUNDED
    assert paid.order.__class__.objects.get(pk=paid.order_id).payment_status == \
        Order.PaymentStatus.PARTIALLY_REFUNDED
    with pytest.raises(PaymentError, match="At most \\$55.00"):
        services.refund_payment(payment=paid, amount=Decimal("55.01"))
    for bad in ("0", "-5", "abc", "1.001"):
        with pytest.raises(PaymentError):
            services.refund_payment(payment=paid, amount=bad)
    services.refund_payment(payment=paid, amount=Decimal("55.00"))
    paid.refresh_from_db()
    assert paid.state == Payment.State.REFUNDED
    assert paid.refunded_amount == paid.captured_amount == Decimal("85.00")
    assert Order.objects.get().payment_status == Order.PaymentStatus.REFUNDED


def test_refund_with_the_same_key_is_made_once(paid):
    first = services.refund_payment(payment=paid, amount=Decimal("10.00"), idempotency_key="k1")
    second = services.refund_payment(payment=paid, amount=Decimal("10.00"), idempotency_key="k1")
    assert first.pk == second.pk
    paid.refresh_from_db()
    assert paid.refunded_amount == Decimal("10.00")


def test_manual_capture_then_capture_and_void(order, monkeypatch):
    monkeypatch.setattr(services.starting, "_capture_automatically", lambda gateway: False)
    payment = services.start_payment(order=order, payment_data=CARD)
    assert payment.state == Payment.State.AUTHORIZED
    order.refresh_from_db()
    assert order.payment_status == Order.PaymentStatus.AUTHORIZED
    services.capture_payment(payment=payment)
    payment.refresh_from_db()
    order.refresh_from_db()
    assert (payment.state, payment.captured_amount) == (Payment.State.CAPTURED, Decimal("85.00"))
    assert order.payment_status == Order.PaymentStatus.PAID
    with pytest.raises(InvalidTransition):
        services.void_payment(payment=payment)


def test_cancel_and_settle_refunds_and_releases_stock(paid):
    order = services.cancel_and_settle(order=paid.order, reason="Customer asked")
    paid.refresh_from_db()
    assert paid.state == Payment.State.REFUNDED
    assert order.status == Order.Status.CANCELED
    assert order.lines.get().variant.stock_levels.get().allocated == 0


def test_cancel_refused_while_payment_is_held():
    variant = make_variant(ProductFactory(), price="40.00", stock=10)
    order = order_services.place_order(cart=ready_cart(variants={variant: 1}))
    services.start_payment(order=order, payment_data=CARD)
    with pytest.raises(InvalidTransition, match="refund the payment first"):
        order_services.cancel_order(order_id=order.pk)


def test_risky_orders_are_held_with_reasons(settings):
    settings.SHOP_RISK_HOLD_SCORE = 50
    variant = make_variant(ProductFactory(), price="40.00", stock=50)
    for _ in range(3):
        order_services.place_order(cart=ready_cart(variants={variant: 1},
                                                   email="fraud@example.com"))
    cart = ready_cart(variants={variant: 1}, email="fraud@example.com")
    order_services.set_billing_address(cart=cart, same_as_shipping=False,
                                       address={**ADDRESS, "country": "GB",
                                                "postal_code": "SW1A 1AA", "region": ""})
    order = order_services.place_order(cart=cart)
    services.start_payment(order=order, payment_data=CARD)
    order.refresh_from_db()
    assert order.risk == Order.Risk.HELD
    assert order.risk_score >= 50
    assert any("billing country" in reason.lower() for reason in order.risk_reasons)
    assert any("last hour" in reason for reason in order.risk_reasons)
    order_services.release_hold(order_id=order.pk)
    order.refresh_from_db()
    assert order.risk == Order.Risk.RELEASED


@pytest.mark.parametrize("number,code,message", [
    ("4000000000000002", "card_declined", "Your card was declined."),
    ("4000000000009995", "insufficient_funds", "insufficient funds"),
])
def test_a_declined_call_is_stored_as_failed_with_the_banks_reason(order, number, code,
                                                                   message):
    with pytest.raises(PaymentDeclined):
        services.start_payment(order=order, payment_data={**CARD, "number": number})
    call = GatewayCall.objects.get()
    assert call.kind == GatewayCall.Kind.AUTHORIZE
    assert (call.success, call.outcome) == (False, GatewayCall.Outcome.FAILED)
    assert call.error_code == code and message in call.error
    assert call.completed_at is not None


def test_a_stripe_decline_is_stored_with_stripes_reason_and_code(stripe_fake, order):
    payment = services.start_payment(order=order, gateway="stripe")
    stripe_fake.fail(payment.gateway_reference, message="Your card was declined.")
    synced = services.sync_payment(payment=payment)
    assert synced.state == Payment.State.PENDING  # Stripe lets the shopper try another card
    call = payment.calls.get(kind=GatewayCall.Kind.CONFIRM)
    assert (call.success, call.outcome) == (False, GatewayCall.Outcome.FAILED)
    assert (call.error, call.error_code) == ("Your card was declined.", "card_declined")


def test_a_refused_stripe_request_is_stored_with_its_code(stripe_fake, order):
    payment = services.start_payment(order=order, gateway="stripe")
    stripe_fake.succeed(payment.gateway_reference)
    services.sync_payment(payment=payment)
    stripe_fake.fail_next(status=402)
    with pytest.raises(PaymentError, match="The refund failed: Your card was declined"):
        services.refund_payment(payment=payment, amount=Decimal("5.00"))
    call = payment.calls.get(kind=GatewayCall.Kind.REFUND)
    assert (call.success, call.outcome, call.error_code) == (
        False, GatewayCall.Outcome.FAILED, "card_declined")
    assert call.error == "Your card was declined."
