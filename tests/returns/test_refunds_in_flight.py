"""What a return may refund leaves out refunds already sent to the gateway and not yet
answered (a ``GatewayCall`` in flight), so a return and a refund under way never refund
more than was captured together."""

from decimal import Decimal

import pytest

from payments.models import GatewayCall
from returns import services
from returns.exceptions import ReturnInvalid
from returns.models import ReturnRequest

from .conftest import ask, inspect_all

pytestmark = pytest.mark.django_db


def refund_in_flight(order, amount):
    payment = order.payments.get()
    return GatewayCall.objects.create(payment=payment, kind=GatewayCall.Kind.REFUND,
                                      amount=Decimal(amount), currency=payment.currency,
                                      idempotency_key=f"{payment.token}:refund:in-flight")


def inspected(order):
    rma = ask(order, quantity=1)
    services.approve_return(return_id=rma.pk, method="drop_off")
    services.receive_return(return_id=rma.pk)
    inspect_all(rma)
    rma.refresh_from_db()
    return rma


def test_refundable_on_an_order_leaves_out_refunds_in_flight(delivered_order):
    order = delivered_order(shirts=2, mugs=0)
    payment = order.payments.get()
    captured = payment.captured_amount
    assert services.refundable_on_order(order) == captured
    refund_in_flight(order, "30.00")
    assert services.refundable_on_order(order) == captured - Decimal("30.00")


def test_a_return_cannot_refund_what_a_refund_in_flight_already_takes(delivered_order):
    order = delivered_order(shirts=2, mugs=0)
    rma = inspected(order)
    captured = order.payments.get().captured_amount
    assert rma.proposed_refund > 0
    refund_in_flight(order, captured - rma.proposed_refund + Decimal("0.01"))
    with pytest.raises(ReturnInvalid) as refused:
        services.refund_return(return_id=rma.pk)
    assert refused.value.code == "refund_too_large"
    rma.refresh_from_db()
    assert rma.state == ReturnRequest.State.INSPECTED and rma.refund_requested_at is None
    assert GatewayCall.objects.filter(kind=GatewayCall.Kind.REFUND).count() == 1
