"""What a return may refund: at most what it covers (its accepted units as paid, with the
shipping refunded with them; staff may waive the fees). More is a goodwill refund: a role
allowed to make refund adjustments, a reason on the timeline, made and recorded as
goodwill. Never more than the order has left, counting what other returns have decided and
not yet sent, so two returns can't each decide against the same money."""

from decimal import Decimal

import pytest
from django.contrib.auth.models import Group, Permission

from fulfillment.models import Shipment
from orders.models import OrderEvent
from payments import services as payment_services
from payments.exceptions import RefundNotAllowed
from payments.models import GatewayCall, RefundReason
from returns import receivers, services
from returns.exceptions import ReturnInvalid
from returns.models import ReturnRequest
from tests.concurrency import run_concurrently
from tests.factories import UserFactory
from tests.fulfillment.test_shipments import to_shipped

from .conftest import ask, inspect_all
from .test_returnable_units import deliver, split_line_order  # noqa: F401 - a fixture

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("staff_roles")]
State = ReturnRequest.State


def staff(username, *, goodwill=False):
    user = UserFactory(username=username, is_staff=True)
    user.groups.add(Group.objects.get(name="Returns clerk"))
    if goodwill:
        user.user_permissions.add(Permission.objects.get(codename="refund_adjustment"))
    return type(user).objects.get(pk=user.pk)  # permissions read afresh


def inspected(order, **kwargs):
    rma = ask(order, **kwargs)
    services.approve_return(return_id=rma.pk, method="drop_off")
    services.receive_return(return_id=rma.pk)
    inspect_all(rma)
    rma.refresh_from_db()
    return rma


def refund_calls(order):
    return list(GatewayCall.objects.filter(payment__order=order, kind=GatewayCall.Kind.REFUND)
                .order_by("pk"))


@pytest.fixture
def two_of_five_returned(split_line_order):  # noqa: F811
    """Five boots on one line, shipped 2 + 3; the 2 delivered came back and are inspected,
    the 3 are still to ship."""
    order, shipments = split_line_order
    deliver(shipments["east"])
    rma = inspected(order, sku="BOOT-42", quantity=2)
    return order, shipments, rma


def test_a_clerk_refunds_at_most_what_the_return_covers_and_the_rest_still_ships(
        two_of_five_returned):
    order, shipments, rma = two_of_five_returned
    clerk = staff("clerk")
    payment = order.payments.get()
    assert rma.covered_refund == Decimal("160.00") < services.refundable_on_order(order)
    for amount in (services.refundable_on_order(order), rma.covered_refund + Decimal("0.01")):
        with pytest.raises(RefundNotAllowed, match=r"covers at most \$160.00") as refused:
            services.refund_return(return_id=rma.pk, amount=amount, note="asked", actor=clerk)
        assert refused.value.status_code == 403
    rma.refresh_from_db()
    assert rma.refund_requested_at is None and rma.refund_amount is None
    assert refund_calls(order) == []

    services.refund_return(return_id=rma.pk, amount=rma.covered_refund, actor=clerk)
    services.execute_refund(return_id=rma.pk)
    rma.refresh_from_db()
    payment.refresh_from_db()
    assert rma.state == State.REFUNDED and rma.refunded_amount == Decimal("160.00")
    assert payment.refunded_amount == Decimal("160.00")
    assert [(c.refund_reason, c.amount) for c in refund_calls(order)] == [
        (RefundReason.RETURN, Decimal("160.00"))]
    # The 3 boots still ship: what they were paid for is still captured.
    assert to_shipped(shipments["west"]).state == Shipment.State.SHIPPED
    assert payment.captured_amount - payment.refunded_amount >= 3 * Decimal("80.00")


def test_more_than_the_return_covers_is_a_goodwill_refund_with_a_reason(two_of_five_returned):
    order, _, rma = two_of_five_returned
    manager = staff("maria", goodwill=True)
    with pytest.raises(ReturnInvalid, match="Say why") as refused:
        services.refund_return(return_id=rma.pk, amount="200.00", note="  ", actor=manager)
    assert refused.value.code == "reason_required"
    above_order = services.refundable_on_order(order) + Decimal("0.01")
    with pytest.raises(ReturnInvalid, match="can be refunded on order") as refused:
        services.refund_return(return_id=rma.pk, amount=above_order, note="sorry",
                               actor=manager)
    assert refused.value.code == "refund_too_large"
    assert ReturnRequest.objects.get(pk=rma.pk).refund_requested_at is None

    services.refund_return(return_id=rma.pk, amount="200.00", note="Boots arrived late",
                           actor=manager)
    services.execute_refund(return_id=rma.pk)  # the task: no actor, made in maria's name
    rma.refresh_from_db()
    assert rma.state == State.REFUNDED and rma.refunded_amount == Decimal("200.00")
    calls = refund_calls(order)
    assert [(c.refund_reason, c.amount, c.refund_reference) for c in calls] == [
        (RefundReason.RETURN, Decimal("160.00"), rma.number),
        (RefundReason.GOODWILL, Decimal("40.00"), rma.number)]
    assert calls[1].refund_note == "Boots arrived late" and calls[1].requested_by == manager
    assert order.payments.get().refunded_amount == Decimal("200.00")
    timeline = order.events.filter(type=OrderEvent.Type.NOTE,
                                   message__contains="goodwill refund").get().message
    assert "$40.00" in timeline and "maria" in timeline and "Boots arrived late" in timeline


def test_waiving_the_fees_is_within_what_the_return_covers(delivered_order, settings):
    settings.SHOP_RESTOCKING_FEE_PERCENT = 10
    order = delivered_order(shirts=2, mugs=0)
    rma = inspected(order, quantity=1, reason="changed_mind")
    assert rma.restocking_fee > 0 and rma.proposed_refund < rma.covered_refund
    services.refund_return(return_id=rma.pk, amount=rma.covered_refund, actor=staff("clerk"))
    services.execute_refund(return_id=rma.pk)
    rma.refresh_from_db()
    assert rma.state == State.REFUNDED and rma.refunded_amount == rma.covered_refund
    assert {c.refund_reason for c in refund_calls(order)} == {RefundReason.RETURN}


def leave_only(order, amount):
    """Staff refunded the rest of the order by hand on the payment."""
    payment = order.payments.get()
    payment_services.refund_payment(payment=payment,
                                    amount=payment.refundable_amount - Decimal(amount))


def test_a_second_return_cannot_decide_what_a_first_decided_and_has_not_sent(
        delivered_order, monkeypatch):
    monkeypatch.setattr(receivers, "enqueue", lambda *args: None)  # a busy worker
    order = delivered_order(shirts=2, mugs=0)
    first, second = inspected(order), inspected(order)
    leave_only(order, first.covered_refund + Decimal("5.00"))
    services.refund_return(return_id=first.pk, amount=first.covered_refund)  # not sent yet
    assert services.refundable_on_order(order) == first.covered_refund + Decimal("5.00")
    with pytest.raises(ReturnInvalid, match=r"At most \$5.00") as refused:
        services.refund_return(return_id=second.pk)
    assert refused.value.code == "refund_too_large"
    services.refund_return(return_id=second.pk, amount="5.00")
    for rma in (first, second):
        services.execute_refund(return_id=rma.pk)
        rma.refresh_from_db()
    assert (first.state, first.refunded_amount) == (State.REFUNDED, first.refund_amount)
    assert (second.state, second.refunded_amount) == (State.REFUNDED, Decimal("5.00"))
    payment = order.payments.get()
    assert payment.refunded_amount == payment.captured_amount


def test_a_decided_refund_the_order_no_longer_has_fails_instead_of_refunding_less(
        delivered_order, monkeypatch):
    monkeypatch.setattr(receivers, "enqueue", lambda *args: None)
    order = delivered_order(shirts=2, mugs=0)
    rma = inspected(order)
    services.refund_return(return_id=rma.pk)
    leave_only(order, "0.00")  # a refund on the payment took everything meanwhile
    services.execute_refund(return_id=rma.pk)
    rma.refresh_from_db()
    assert rma.state == State.INSPECTED and rma.refund_requested_at is None
    assert rma.refunded_amount == 0
    assert "Only $0.00" in rma.refund_error and "nothing was refunded" in rma.refund_error
    assert not GatewayCall.objects.filter(refund_reference=rma.number).exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_returns_deciding_at_once_against_one_returns_worth_decide_one(
        delivered_order, monkeypatch):
    monkeypatch.setattr(receivers, "enqueue", lambda *args: None)  # decided, not yet sent
    order = delivered_order(shirts=2, mugs=0)
    first, second = inspected(order), inspected(order)
    leave_only(order, first.covered_refund)
    outcomes = run_concurrently(lambda: services.refund_return(return_id=first.pk),
                                lambda: services.refund_return(return_id=second.pk))
    assert [o.ok for o in outcomes].count(True) == 1, [o.error for o in outcomes]
    (loser,) = [o for o in outcomes if not o.ok]
    assert isinstance(loser.error, ReturnInvalid) and loser.error.code == "refund_too_large"
    for rma in (first, second):
        services.execute_refund(return_id=rma.pk)
    states = sorted(ReturnRequest.objects.values_list("state", flat=True))
    assert states == [State.INSPECTED, State.REFUNDED]
    payment = order.payments.get()
    assert payment.refunded_amount == payment.captured_amount
