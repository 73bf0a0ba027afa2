"""Staff cancel an order part of which has shipped (issue 14): the cancel becomes a return.
The shipments that have not left are canceled and their stock released, their share is
refunded as a cancellation (recorded with the cancel, made after commit), and an approved
return waits for the shipped units, refunded on receipt through the normal returns flow;
all on the timeline with who and why."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from fulfillment import services as fulfillment_services
from fulfillment.models import Shipment
from inventory.models import StockLevel
from kernel.errors import InvalidTransition
from kernel.money import quantize
from orders.models import Order, OrderEvent
from payments import services as payment_services
from payments.exceptions import PaymentError
from payments.gateways.base import GatewayError
from payments.gateways.offline import OfflineGateway
from payments.models import GatewayCall, Payment, RefundReason
from returns import services
from returns.exceptions import ReturnInvalid
from returns.models import ReturnLine, ReturnRequest
from shop.moneycheck.selectors import check_orders
from shop.stockcheck.selectors import check_stock
from tests.factories import UserFactory
from tests.fulfillment.test_cancel_intent import pack
from tests.fulfillment.test_shipments import to_shipped
from tests.payments.conftest import MANAGER_PERMISSIONS, messages_of, staff_with

from .conftest import inspect_all
from .test_returnable_units import deliver, split_line_order  # noqa: F401 - a fixture

pytestmark = pytest.mark.django_db
State = Shipment.State


@pytest.fixture
def merchant():
    return UserFactory(username="merchant", is_staff=True)


def level(shipment):
    return StockLevel.objects.get(pk=shipment.lines.get().stock_level_id)


def cancellation_refunds(order):
    return list(GatewayCall.objects.filter(payment__order=order, kind=GatewayCall.Kind.REFUND,
                                           refund_reason=RefundReason.CANCELLATION))


def test_a_line_split_over_two_shipments_with_one_shipped_becomes_a_return(
        split_line_order, merchant):  # noqa: F811
    order, shipments = split_line_order
    east, west = shipments["east"], shipments["west"]
    to_shipped(east)  # 2 boots left
    fulfillment_services.create_pick_list(warehouse_id=west.warehouse_id,
                                          shipment_ids=[west.pk])
    pack(west)  # 3 boots packed, not left
    line = order.lines.get()

    outcome = services.cancel_order_or_return(order_id=order.pk, reason="Customer moved",
                                              actor=merchant)

    # The parcel that had not left is canceled, its 3 units released and never shipped.
    assert not outcome.whole_order and outcome.problems == []
    assert outcome.canceled_shipments == [west.number] and outcome.canceled_units == 3
    west.refresh_from_db()
    assert west.state == State.CANCELED
    assert (level(west).on_hand, level(west).allocated) == (3, 0)
    with pytest.raises(InvalidTransition):
        fulfillment_services.ship_shipment(shipment_id=west.pk)
    line.refresh_from_db()
    assert (line.quantity_fulfilled, line.quantity_canceled) == (2, 3)
    # Their share is refunded as a cancellation, through one recorded, answered call.
    share = line.total - quantize(line.total * 2 / 5, order.currency)
    (refund,) = cancellation_refunds(order)
    assert (refund.amount, refund.outcome, refund.requested_by) == (
        share, GatewayCall.Outcome.SUCCEEDED, merchant)
    assert outcome.refund.amount == share
    order.refresh_from_db()
    assert order.status == Order.Status.OPEN
    assert order.payment_status == Order.PaymentStatus.PARTIALLY_REFUNDED
    assert order.fulfillment_status == Order.FulfillmentStatus.FULFILLED
    # The shipped units wait on an approved return, reason "canceled after shipping".
    return_request = outcome.return_request
    assert return_request.state == ReturnRequest.State.APPROVED
    assert return_request.warehouse_id == east.warehouse_id
    (return_line,) = return_request.lines.all()
    assert (return_line.order_line_id, return_line.quantity, return_line.reason) == (
        line.pk, 2, ReturnLine.Reason.CANCELED_AFTER_SHIPPING)
    assert return_line.reason_note == "Customer moved"
    # The timeline says who and why, and what happened.
    note = order.events.get(type=OrderEvent.Type.NOTE, data__step="canceled_after_shipping")
    assert note.actor == merchant
    assert note.message.startswith("Canceled after shipping by merchant: “Customer moved”.")
    assert return_request.number in note.message and west.number in note.message
    assert order.events.filter(type=OrderEvent.Type.RETURN_APPROVED).exists()
    assert order.events.filter(message__startswith=f"Shipment {west.number} canceled: the "
                                                     "order was canceled").exists()
    # Neither the stock check nor the money check finds anything wrong.
    assert [v for v in check_stock().violations if v.order_number == order.number] == []
    assert check_orders().is_clean
    assert "return" in outcome.summary() and return_request.number in outcome.summary()

    # On receipt the normal returns flow refunds the rest: the units and shipping, no fees.
    services.receive_return(return_id=return_request.pk, actor=merchant)
    inspect_all(ReturnRequest.objects.get(pk=return_request.pk))
    return_request.refresh_from_db()
    assert (return_request.return_shipping_fee, return_request.restocking_fee) == (0, 0)
    services.refund_return(return_id=return_request.pk, actor=merchant)
    services.execute_refund(return_id=return_request.pk, actor=merchant)
    payment = Payment.objects.get(order=order)
    assert payment.refunded_amount == order.total == payment.captured_amount
    order.refresh_from_db()
    assert order.payment_status == Order.PaymentStatus.REFUNDED
    assert order.fulfillment_status == Order.FulfillmentStatus.RETURNED
    assert check_orders().is_clean


def test_an_order_nothing_of_which_shipped_is_canceled_whole(
        split_line_order, merchant):  # noqa: F811
    order, shipments = split_line_order
    outcome = services.cancel_order_or_return(order_id=order.pk, reason="Changed mind",
                                              actor=merchant)
    assert outcome.whole_order and outcome.return_request is None
    order.refresh_from_db()
    assert (order.status, order.payment_status) == ("canceled", "refunded")
    assert not ReturnRequest.objects.exists()
    assert outcome.summary() == (f"Order {order.number} canceled: the payment was refunded "
                                 "and its stock released.")


def test_an_order_that_all_shipped_refunds_nothing_and_returns_everything(
        split_line_order, merchant):  # noqa: F811
    order, shipments = split_line_order
    for shipment in shipments.values():
        to_shipped(shipment)
    outcome = services.cancel_order_or_return(order_id=order.pk, reason="Fraud suspected",
                                              actor=merchant)
    assert outcome.canceled_shipments == [] and outcome.canceled_units == 0
    assert outcome.refund is None and cancellation_refunds(order) == []
    assert Payment.objects.get(order=order).refunded_amount == 0
    assert outcome.return_request.lines.get().quantity == 5
    # A second cancel finds every shipped unit on a return already and opens none.
    again = services.cancel_order_or_return(order_id=order.pk, reason="Again", actor=merchant)
    assert again.return_request is None and ReturnRequest.objects.count() == 1


def test_an_unanswered_refund_stays_recorded_for_the_sweep(
        split_line_order, merchant, monkeypatch):  # noqa: F811
    order, shipments = split_line_order
    to_shipped(shipments["east"])

    def unreachable(self, **kwargs):
        raise GatewayError("connection reset")
    monkeypatch.setattr(OfflineGateway, "refund", unreachable)

    outcome = services.cancel_order_or_return(order_id=order.pk, reason="Customer moved",
                                              actor=merchant)
    # The goods side is done; the money is recorded in flight for the sweep, and said so.
    assert Shipment.objects.get(pk=shipments["west"].pk).state == State.CANCELED
    (refund,) = cancellation_refunds(order)
    assert refund.outcome == GatewayCall.Outcome.IN_FLIGHT
    assert "did not answer" in outcome.summary()
    assert order.events.filter(message__startswith="Cancellation refund not made yet").exists()
    # The gateway answers again: the sweep makes the same request (same key) and records it.
    monkeypatch.undo()
    later = timezone.now() + timedelta(minutes=5)
    assert payment_services.finish_calls_in_flight(now=later) == 1
    refund.refresh_from_db()
    assert refund.outcome == GatewayCall.Outcome.SUCCEEDED
    assert Payment.objects.get(order=order).refunded_amount == refund.amount


def test_an_authorized_payment_is_refused_before_anything_moves(
        split_line_order, merchant):  # noqa: F811
    order, shipments = split_line_order
    to_shipped(shipments["east"])
    Payment.objects.filter(order=order).update(state=Payment.State.AUTHORIZED,
                                               gateway_reference="ch_1")
    with pytest.raises(PaymentError, match="capture it first"):
        services.cancel_order_or_return(order_id=order.pk, reason="x", actor=merchant)
    assert Shipment.objects.get(pk=shipments["west"].pk).state == State.PENDING
    assert not ReturnRequest.objects.exists()
    assert order.lines.get().quantity_canceled == 0


def test_a_shopper_can_not_choose_the_staff_reason(split_line_order):  # noqa: F811
    order, shipments = split_line_order
    deliver(shipments["east"])
    with pytest.raises(ReturnInvalid, match="Choose a reason"):
        services.request_return(order_id=order.pk, resolution="refund", lines=[
            services.RequestedLine(order_line_id=order.lines.get().pk, quantity=1,
                                   reason=ReturnLine.Reason.CANCELED_AFTER_SHIPPING)])
    assert ReturnLine.Reason.CANCELED_AFTER_SHIPPING not in dict(ReturnLine.SHOPPER_REASONS)


def test_the_order_admins_cancel_button_says_the_cancel_became_a_return(
        split_line_order, client):  # noqa: F811
    order, shipments = split_line_order
    to_shipped(shipments["east"])
    client.force_login(staff_with(*MANAGER_PERMISSIONS))
    url = reverse("admin:orders_order_cancel", args=[order.pk])
    form = client.get(url)
    assert b"opens an approved return for the shipped" in form.content
    response = client.post(url, {"reason": "Customer moved"}, follow=True)
    (message,) = messages_of(response)
    return_request = ReturnRequest.objects.get()
    assert message.startswith(f"Order {order.number} had shipped items, so the cancel became "
                              f"a return: shipment(s) {shipments['west'].number} canceled")
    assert return_request.number in message and "refunded for them as a cancellation" in message
    assert Decimal(Payment.objects.get().refunded_amount) > 0
