"""The order's two state machines (its status and its payment status): the guards allow
exactly ``STATUS_TRANSITIONS`` and ``PAYMENT_TRANSITIONS``, and the services refuse to move
an order back (nothing written when they do)."""

import pytest

from kernel.errors import InvalidTransition
from orders import services
from orders.models import Order, OrderEvent
from payments import services as payment_services
from tests.factories import ProductFactory, make_variant, ready_cart

Status, PaymentStatus = Order.Status, Order.PaymentStatus
STATUS_PAIRS = [(old, new) for old in Status.values for new in Status.values]
PAYMENT_PAIRS = [(old, new) for old in PaymentStatus.values for new in PaymentStatus.values]
CARD = {"number": "4242424242424242", "exp_month": "12", "exp_year": "2030", "cvc": "123"}


def test_every_status_lists_where_it_may_go():
    assert set(Order.STATUS_TRANSITIONS) == set(Status.values)
    assert set(Order.PAYMENT_TRANSITIONS) == set(PaymentStatus.values)
    assert not any(PaymentStatus.UNPAID in targets
                   for targets in Order.PAYMENT_TRANSITIONS.values())


@pytest.mark.parametrize("old, new", STATUS_PAIRS)
def test_the_status_guard_allows_exactly_the_listed_moves(old, new):
    order = Order(number="1001", status=old)
    if new in Order.STATUS_TRANSITIONS[old]:
        order.ensure_status(new)
    else:
        with pytest.raises(InvalidTransition) as refused:
            order.ensure_status(new)
        assert refused.value.status_code == 409
    assert order.status == old


@pytest.mark.parametrize("old, new", PAYMENT_PAIRS)
def test_the_payment_guard_allows_exactly_the_listed_moves(old, new):
    order = Order(number="1001", payment_status=old)
    if new in Order.PAYMENT_TRANSITIONS[old]:
        order.ensure_payment_status(new)
    else:
        with pytest.raises(InvalidTransition) as refused:
            order.ensure_payment_status(new)
        assert refused.value.status_code == 409
    assert order.payment_status == old


@pytest.fixture
def order(db):
    variant = make_variant(ProductFactory(), price="20.00", stock=5)
    return services.place_order(cart=ready_cart(variants={variant: 1}))


def snapshot(order):
    order.refresh_from_db()
    return ({field.attname: getattr(order, field.attname)
             for field in Order._meta.concrete_fields if field.name != "updated_at"},
            OrderEvent.objects.filter(order=order).count(),
            list(order.lines.values_list("allocations__quantity", flat=True)))


def test_a_paid_order_is_never_moved_back_to_authorized_or_unpaid(order):
    payment_services.start_payment(order=order, payment_data=CARD)
    order.refresh_from_db()
    assert order.payment_status == PaymentStatus.PAID
    before = snapshot(order)
    for status in (PaymentStatus.UNPAID, PaymentStatus.AUTHORIZED, PaymentStatus.VOIDED):
        with pytest.raises(InvalidTransition):
            services.record_order_payment(order_id=order.pk, payment_status=status,
                                          event_type=OrderEvent.Type.NOTE, message="late")
    assert snapshot(order) == before


def test_a_canceled_order_is_not_canceled_again(order):
    services.cancel_order(order_id=order.pk, reason="Changed my mind")
    before = snapshot(order)
    assert order.status == Status.CANCELED
    with pytest.raises(InvalidTransition):
        services.cancel_order(order_id=order.pk, reason="again")
    assert snapshot(order) == before


def test_a_closed_order_cannot_be_canceled(order):
    Order.objects.filter(pk=order.pk).update(status=Status.CLOSED)
    before = snapshot(order)
    with pytest.raises(InvalidTransition):
        services.cancel_order(order_id=order.pk, reason="too late")
    assert snapshot(order) == before
