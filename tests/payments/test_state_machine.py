"""The payment's state machine: the guard allows exactly ``Payment.TRANSITIONS``, and the
services (staff actions and gateway reports) never move a payment back."""

from decimal import Decimal

import pytest

from kernel.errors import InvalidTransition
from orders import services as order_services
from orders.models import Order, OrderEvent
from payments import services
from payments.exceptions import PaymentError
from payments.models import GatewayCall, Payment
from tests.factories import ProductFactory, make_variant, ready_cart

State = Payment.State
PAIRS = [(old, new) for old in State.values for new in State.values]
CARD = {"number": "4242424242424242", "exp_month": "12", "exp_year": "2030", "cvc": "123"}


def test_every_state_lists_where_it_may_go():
    assert set(Payment.TRANSITIONS) == set(State.values)
    assert all(set(targets) <= set(State.values) for targets in Payment.TRANSITIONS.values())
    assert not any(State.PENDING in targets for targets in Payment.TRANSITIONS.values())


@pytest.mark.parametrize("old, new", PAIRS)
def test_the_guard_allows_exactly_the_listed_moves(old, new):
    payment = Payment(state=old)
    if new in Payment.TRANSITIONS[old]:
        payment.ensure_can_become(new)
    else:
        with pytest.raises(InvalidTransition) as refused:
            payment.ensure_can_become(new)
        assert refused.value.status_code == 409
    assert payment.state == old


@pytest.fixture
def paid(db):
    variant = make_variant(ProductFactory(), price="40.00", stock=10)
    order = order_services.place_order(cart=ready_cart(variants={variant: 2}))  # 85.00
    return services.start_payment(order=order, payment_data=CARD)


def snapshot(payment):
    payment.refresh_from_db()
    order = Order.objects.get(pk=payment.order_id)
    return ({field.attname: getattr(payment, field.attname)
             for field in Payment._meta.concrete_fields if field.name != "updated_at"},
            order.payment_status, order.status,
            GatewayCall.objects.filter(payment=payment).count(),
            OrderEvent.objects.filter(order=order).count())


def test_a_captured_payment_is_not_captured_again_or_voided(paid):
    assert paid.state == State.CAPTURED
    before = snapshot(paid)
    with pytest.raises(InvalidTransition):
        services.capture_payment(payment=paid)
    with pytest.raises(InvalidTransition):
        services.void_payment(payment=paid)
    assert snapshot(paid) == before


@pytest.mark.parametrize("report", [State.PENDING, State.REQUIRES_ACTION, State.AUTHORIZED,
                                    State.FAILED, State.CANCELED])
def test_a_late_gateway_report_never_moves_a_captured_payment_back(paid, report):
    before = snapshot(paid)
    services.move_payment(payment=paid, state=report, message="late report")
    assert snapshot(paid) == before


def test_a_refunded_payment_stays_refunded(paid):
    services.refund_payment(payment=paid, amount=Decimal("85.00"))
    paid.refresh_from_db()
    assert paid.state == State.REFUNDED
    before = snapshot(paid)
    for report in (State.CAPTURED, State.PARTIALLY_REFUNDED, State.AUTHORIZED):
        services.move_payment(payment=paid, state=report, amount=paid.amount)
    with pytest.raises(InvalidTransition):
        services.capture_payment(payment=paid)
    with pytest.raises(InvalidTransition):
        services.void_payment(payment=paid)
    with pytest.raises(PaymentError):
        services.refund_payment(payment=paid, amount=Decimal("1.00"))
    assert snapshot(paid) == before
