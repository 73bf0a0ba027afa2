"""The return's state machine: the guard allows exactly ``ReturnRequest.TRANSITIONS``, and
the services refuse to move a return back (nothing written when they do)."""

import pytest

from kernel.errors import InvalidTransition
from orders.models import OrderEvent
from payments.models import GatewayCall
from returns import services
from returns.models import ReturnEvent, ReturnRequest

from .conftest import ask, inspect_all

State = ReturnRequest.State
PAIRS = [(old, new) for old in State.values for new in State.values]


def test_every_state_lists_where_it_may_go():
    assert set(ReturnRequest.TRANSITIONS) == set(State.values)
    assert all(set(targets) <= set(State.values)
               for targets in ReturnRequest.TRANSITIONS.values())


@pytest.mark.parametrize("old, new", PAIRS)
def test_the_guard_allows_exactly_the_listed_moves(old, new):
    rma = ReturnRequest(number="RMA-100001", state=old)
    if new in ReturnRequest.TRANSITIONS[old]:
        rma.ensure_can_become(new)
    else:
        with pytest.raises(InvalidTransition) as refused:
            rma.ensure_can_become(new)
        assert refused.value.status_code == 409
    assert rma.state == old


def snapshot(rma):
    rma.refresh_from_db()
    return ({field.attname: getattr(rma, field.attname)
             for field in ReturnRequest._meta.concrete_fields},
            ReturnEvent.objects.filter(return_request=rma).count(),
            OrderEvent.objects.filter(order_id=rma.order_id).count(),
            list(rma.lines.order_by("pk").values_list("condition", "refund_amount")),
            GatewayCall.objects.filter(payment__order_id=rma.order_id).count())


@pytest.mark.django_db(transaction=True)
def test_a_received_return_is_not_approved_or_received_again(delivered_order):
    rma = ask(delivered_order(mugs=0))
    services.approve_return(return_id=rma.pk, method="drop_off")
    services.receive_return(return_id=rma.pk)
    before = snapshot(rma)
    with pytest.raises(InvalidTransition):
        services.approve_return(return_id=rma.pk, method="drop_off")
    with pytest.raises(InvalidTransition):
        services.receive_return(return_id=rma.pk)
    with pytest.raises(InvalidTransition):
        services.reject_return(return_id=rma.pk, message="Too late")
    with pytest.raises(InvalidTransition):
        services.refund_return(return_id=rma.pk)  # not inspected yet
    assert snapshot(rma) == before
    assert rma.state == State.RECEIVED


@pytest.mark.django_db(transaction=True)
def test_a_refunded_return_is_never_moved_back(delivered_order):
    rma = ask(delivered_order(mugs=0))
    services.approve_return(return_id=rma.pk, method="drop_off")
    services.receive_return(return_id=rma.pk)
    inspect_all(rma)
    services.refund_return(return_id=rma.pk)
    rma.refresh_from_db()
    assert rma.state == State.REFUNDED
    before = snapshot(rma)
    for move in (lambda: services.approve_return(return_id=rma.pk, method="drop_off"),
                 lambda: services.receive_return(return_id=rma.pk),
                 lambda: inspect_all(rma),
                 lambda: services.reject_return(return_id=rma.pk, message="No"),
                 lambda: services.refund_return(return_id=rma.pk),
                 lambda: services.exchange_return(return_id=rma.pk)):
        with pytest.raises(InvalidTransition):
            move()
    assert snapshot(rma) == before


@pytest.mark.django_db(transaction=True)
def test_a_rejected_return_cannot_be_approved_after_all(delivered_order):
    rma = ask(delivered_order(mugs=0))
    services.reject_return(return_id=rma.pk, message="Worn")
    before = snapshot(rma)
    with pytest.raises(InvalidTransition):
        services.approve_return(return_id=rma.pk, method="drop_off")
    with pytest.raises(InvalidTransition):
        services.receive_return(return_id=rma.pk)
    assert snapshot(rma) == before
    assert rma.state == State.REJECTED
