"""A return is settled with money or with goods, never both: a refund and an exchange are
decisions that exclude each other, each taken under the return's lock, so the in-flight
sweep never pays a refund for an exchanged return and an exchange is never sent for a
return whose money goes back."""

import time
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from kernel.errors import InvalidTransition
from orders.models import Order
from payments import services as payment_services
from payments.exceptions import GatewayUnavailable
from payments.gateways.base import GatewayError
from payments.gateways.offline import OfflineGateway
from payments.models import GatewayCall, RefundReason
from returns import receivers, services
from returns.models import ReturnRequest
from tests.concurrency import run_concurrently

from .conftest import ask, inspect_all

# Transactional: the refund's after-commit task runs (eagerly) as a worker would run it.
pytestmark = pytest.mark.django_db(transaction=True)
State = ReturnRequest.State


def inspected_exchange(order, catalog):
    rma = ask(order, quantity=1, resolution="exchange", exchange=catalog["large"])
    services.approve_return(return_id=rma.pk, method="drop_off")
    services.receive_return(return_id=rma.pk)
    inspect_all(rma)
    rma.refresh_from_db()
    return rma


def gateway_down(monkeypatch):
    def down(self, **kwargs):
        raise GatewayError("connection refused")

    monkeypatch.setattr(OfflineGateway, "refund", down)


def test_an_exchange_is_refused_once_a_refund_is_decided_and_the_sweep_pays_only_the_refund(
        delivered_order, catalog, monkeypatch):
    order = delivered_order(shirts=2, mugs=0)
    rma = inspected_exchange(order, catalog)
    monkeypatch.setattr(receivers, "enqueue", lambda *args: None)  # the test runs the task
    services.refund_return(return_id=rma.pk)
    gateway_down(monkeypatch)
    with pytest.raises(GatewayUnavailable):  # the task retries later; the call is in flight
        services.execute_refund(return_id=rma.pk)
    call = GatewayCall.objects.get(kind=GatewayCall.Kind.REFUND)
    assert call.outcome == GatewayCall.Outcome.IN_FLIGHT
    monkeypatch.undo()
    orders_before = Order.objects.count()

    with pytest.raises(InvalidTransition, match="has been decided and is being made") as refused:
        services.exchange_return(return_id=rma.pk)
    assert refused.value.code == "refund_in_progress"
    rma.refresh_from_db()
    assert rma.state == State.INSPECTED and rma.replacement_order_id is None
    assert Order.objects.count() == orders_before  # no replacement order, no stock taken

    GatewayCall.objects.filter(pk=call.pk).update(
        created_at=timezone.now() - timedelta(minutes=10))
    assert payment_services.finish_calls_in_flight() == 1
    services.execute_refund(return_id=rma.pk)  # the return task's retry
    rma.refresh_from_db()
    payment = order.payments.get()
    assert rma.state == State.REFUNDED and rma.replacement_order_id is None
    assert payment.refunded_amount == rma.refunded_amount == rma.proposed_refund
    assert GatewayCall.objects.filter(kind=GatewayCall.Kind.REFUND).count() == 1


def test_a_refund_is_refused_once_the_return_is_exchanged(delivered_order, catalog):
    order = delivered_order(shirts=2, mugs=0)
    rma = inspected_exchange(order, catalog)
    services.exchange_return(return_id=rma.pk)
    rma.refresh_from_db()
    with pytest.raises(InvalidTransition, match="was exchanged .*can't be refunded") as refused:
        services.refund_return(return_id=rma.pk)
    assert refused.value.code == "return_exchanged"
    assert not GatewayCall.objects.filter(kind=GatewayCall.Kind.REFUND).exists()
    assert ReturnRequest.objects.get(pk=rma.pk).refund_requested_at is None


def test_an_exchange_is_refused_when_part_of_a_refund_was_made(delivered_order, catalog):
    """A refund that failed at a second payment after the first paid out clears the
    decision, but money went back: the return can't then be exchanged too."""
    order = delivered_order(shirts=2, mugs=0)
    rma = inspected_exchange(order, catalog)
    payment = order.payments.get()
    GatewayCall.objects.create(
        payment=payment, kind=GatewayCall.Kind.REFUND, amount=Decimal("10.00"),
        currency=payment.currency, idempotency_key=f"{rma.number}:refund:1:{payment.token}",
        outcome=GatewayCall.Outcome.SUCCEEDED, refund_reason=RefundReason.RETURN,
        refund_reference=rma.number)
    with pytest.raises(InvalidTransition, match="already made") as refused:
        services.exchange_return(return_id=rma.pk)
    assert refused.value.code == "return_refunded"
    rma.refresh_from_db()
    assert rma.state == State.INSPECTED and rma.replacement_order_id is None


def test_a_return_whose_refund_is_being_made_cannot_be_rejected(delivered_order, catalog,
                                                                 monkeypatch):
    order = delivered_order(shirts=2, mugs=0)
    rma = inspected_exchange(order, catalog)
    monkeypatch.setattr(receivers, "enqueue", lambda *args: None)  # a busy worker
    services.refund_return(return_id=rma.pk)
    with pytest.raises(InvalidTransition, match="can't be rejected"):
        services.reject_return(return_id=rma.pk, message="Changed our mind")
    assert ReturnRequest.objects.get(pk=rma.pk).state == State.INSPECTED


def test_a_refund_made_while_the_return_changed_is_recorded_not_raised(
        delivered_order, catalog, monkeypatch):
    """Not reachable through the services any more, but if the return's state changed while
    the gateway paid out, the money is recorded on the return and said on the timeline;
    the task does not fail (and retry) after the money moved."""
    order = delivered_order(shirts=2, mugs=0)
    rma = inspected_exchange(order, catalog)
    monkeypatch.setattr(receivers, "enqueue", lambda *args: None)
    services.refund_return(return_id=rma.pk)
    refund = OfflineGateway.refund

    def meanwhile(self, **kwargs):
        ReturnRequest.objects.filter(pk=rma.pk).update(state=State.REJECTED)
        return refund(self, **kwargs)

    monkeypatch.setattr(OfflineGateway, "refund", meanwhile)
    services.execute_refund(return_id=rma.pk)
    rma.refresh_from_db()
    assert rma.refunded_amount == rma.refund_amount == order.payments.get().refunded_amount
    assert "check it by hand" in rma.events.last().message


@pytest.mark.postgres
@pytest.mark.parametrize("round_", range(4))
def test_a_refund_and_an_exchange_at_once_exactly_one_wins(delivered_order, catalog,
                                                           monkeypatch, round_):
    """Real threads. The gateway takes a moment to answer, so an exchange that waited for
    the return's lock while the refund was decided gets it while the money is moving; each
    round lets a different one reach the lock first."""
    order = delivered_order(shirts=2, mugs=0)
    rma = inspected_exchange(order, catalog)
    refund_at_gateway = OfflineGateway.refund

    def slow_refund(self, **kwargs):
        time.sleep(0.3)
        return refund_at_gateway(self, **kwargs)

    monkeypatch.setattr(OfflineGateway, "refund", slow_refund)

    def after(delay, work):
        def run():
            time.sleep(delay)
            return work()
        return run

    first, second = (0, 0.05) if round_ % 2 == 0 else (0.05, 0)
    refund, exchange = run_concurrently(
        after(first, lambda: services.refund_return(return_id=rma.pk)),
        after(second, lambda: services.exchange_return(return_id=rma.pk)))
    rma.refresh_from_db()
    payment = order.payments.get()
    assert not (payment.refunded_amount > 0 and rma.replacement_order_id is not None), \
        "refunded and exchanged"
    assert [refund.ok, exchange.ok].count(True) == 1, (refund.error, exchange.error)
    loser = exchange if refund.ok else refund
    assert isinstance(loser.error, InvalidTransition), loser.error
    assert loser.error.code in {"refund_in_progress", "return_refunded", "return_exchanged"}
    if refund.ok:
        assert rma.state == State.REFUNDED and rma.replacement_order_id is None
        assert payment.refunded_amount == rma.proposed_refund
    else:
        assert rma.state == State.EXCHANGED and rma.replacement_order_id is not None
        assert payment.refunded_amount == 0
        assert not GatewayCall.objects.filter(kind=GatewayCall.Kind.REFUND).exists()
