"""Refunds with no return behind them (issue 14): a price adjustment or goodwill only by a
role allowed to, with a reason, and with the goods decided explicitly: "refund and still
ship" ships, "refund and cancel the rest" cancels what has not left."""

from decimal import Decimal

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from fulfillment import services, tasks
from fulfillment.models import Shipment
from fulfillment.services.refund_decisions import FulfillmentDecision, refund_with_decision
from orders import services as order_services
from orders.models import Allocation, Order
from payments.exceptions import RefundNotAllowed
from payments.models import GatewayCall, Payment, RefundReason
from payments.services import refund_payment
from tests.factories import UserFactory

from .test_shipments import to_shipped

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("staff_roles")]
State = Shipment.State


def staff_in(role, username=None):
    user = UserFactory(username=username or role.lower().replace(" ", "-"), is_staff=True)
    user.groups.add(Group.objects.get(name=role))
    return user


def money_of(order):
    payment = Payment.objects.get(order=order)
    return payment.captured_amount, payment.refunded_amount, payment.calls.filter(
        kind=GatewayCall.Kind.REFUND).count()


def test_a_goodwill_refund_without_the_permission_is_refused_and_nothing_moves(
        paid_order, client):
    order = paid_order()
    payment = Payment.objects.get(order=order)
    clerk = staff_in("Returns clerk")
    before = money_of(order)
    with pytest.raises(RefundNotAllowed) as refused:
        refund_payment(payment=payment, amount=Decimal("5"), reason="Sorry", actor=clerk,
                       refund_reason=RefundReason.GOODWILL)
    assert refused.value.status_code == 403
    with pytest.raises(RefundNotAllowed):
        refund_with_decision(payment_id=payment.pk, amount=Decimal("5"),
                             refund_reason=RefundReason.GOODWILL, note="Sorry",
                             decision=FulfillmentDecision.STILL_SHIP, actor=clerk)
    client.force_login(clerk)
    response = client.post(reverse("admin:payments_payment_refund", args=[payment.pk]), {
        "amount": "5.00", "reason": "Sorry", "refund_reason": "goodwill", "decision": "ship"})
    assert response.status_code == 403
    assert money_of(order) == before


def test_a_refund_from_the_payment_admin_needs_a_kind_a_reason_and_a_decision(
        paid_order, client):
    order = paid_order()
    payment = Payment.objects.get(order=order)
    client.force_login(staff_in("Merchant"))
    url = reverse("admin:payments_payment_refund", args=[payment.pk])
    response = client.post(url, {"amount": "5.00"})
    assert response.status_code == 200
    assert set(response.context["form"].errors) == {"refund_reason", "reason", "decision"}
    assert money_of(order)[1] == Decimal("0")


def test_a_price_adjustment_that_still_ships_ships(paid_order):
    order = paid_order()
    merchant = staff_in("Merchant")
    mug_shipment, lamp_shipment = services.create_shipments(order_id=order.pk)
    call = refund_with_decision(
        payment_id=Payment.objects.get(order=order).pk, amount=Decimal("4.00"),
        refund_reason=RefundReason.PRICE_ADJUSTMENT, note="Price dropped the next day",
        decision=FulfillmentDecision.STILL_SHIP, actor=merchant)
    assert (call.refund_reason, call.refund_note, call.requested_by) == (
        "price_adjustment", "Price dropped the next day", merchant)
    for shipment in (mug_shipment, lamp_shipment):
        assert to_shipped(shipment).state == State.SHIPPED
    order.refresh_from_db()
    assert order.status == Order.Status.OPEN
    assert order.payment_status == Order.PaymentStatus.PARTIALLY_REFUNDED
    event = order.events.filter(data__decision="ship").get()
    assert event.actor == merchant
    assert "Price adjustment refund of $4.00 by merchant: “Price dropped the next day”" in \
        event.message and "Refund and still ship" in event.message


def test_a_price_adjustment_that_cancels_the_rest_cancels_and_refunds_what_did_not_ship(
        paid_order):
    order = paid_order()
    mug_shipment, lamp_shipment = services.create_shipments(order_id=order.pk)
    to_shipped(mug_shipment)
    services.create_pick_list(warehouse_id=lamp_shipment.warehouse_id,
                              shipment_ids=[lamp_shipment.pk])
    lamp_line = lamp_shipment.lines.get().order_line
    lamp_level = lamp_shipment.lines.get().stock_level
    refund_with_decision(
        payment_id=Payment.objects.get(order=order).pk, amount=Decimal("3.00"),
        refund_reason=RefundReason.PRICE_ADJUSTMENT, note="Mug arrived late",
        decision=FulfillmentDecision.CANCEL_REST, actor=staff_in("Merchant"))
    mug_shipment.refresh_from_db()
    lamp_shipment.refresh_from_db()
    lamp_line.refresh_from_db()
    lamp_level.refresh_from_db()
    order.refresh_from_db()
    assert (mug_shipment.state, lamp_shipment.state) == (State.SHIPPED, State.CANCELED)
    # The lamp never ships: canceled, its stock free again, its price back with the 3.00.
    assert (lamp_line.quantity_canceled, lamp_line.quantity_to_ship) == (1, 0)
    assert not Allocation.objects.filter(order_line__order=order).exists()
    assert (lamp_level.on_hand, lamp_level.allocated) == (5, 0)
    payment = Payment.objects.get(order=order)
    assert payment.refunded_amount == Decimal("3.00") + lamp_line.total
    assert list(payment.calls.filter(kind="refund").order_by("pk").values_list(
        "refund_reason", "amount")) == [("price_adjustment", Decimal("3.00")),
                                        ("cancellation", lamp_line.total)]
    assert order.status == Order.Status.OPEN
    assert order.fulfillment_status == Order.FulfillmentStatus.FULFILLED
    event = order.events.get(data__step="canceled_the_rest")
    assert event.data["canceled_units"] == 1 and event.data["refund"] == str(lamp_line.total)
    assert lamp_shipment.number in event.message
    # Nothing left for the sweep to ship again.
    assert services.create_shipments(order_id=order.pk) == []
    assert tasks.sweep_fulfillment_work()["shipments"] == 0


def test_cancel_the_rest_refunds_no_more_than_is_left_after_the_goodwill(paid_order):
    order = paid_order()
    mug_shipment, lamp_shipment = services.create_shipments(order_id=order.pk)
    to_shipped(mug_shipment)
    payment = Payment.objects.get(order=order)
    goodwill = payment.captured_amount - Decimal("10.00")
    refund_with_decision(
        payment_id=payment.pk, amount=goodwill, refund_reason=RefundReason.GOODWILL,
        note="Everything went wrong", decision=FulfillmentDecision.CANCEL_REST,
        actor=staff_in("Merchant"))
    payment.refresh_from_db()
    assert payment.refunded_amount == payment.captured_amount  # 10.00 of the lamp's 30.00
    event = order.events.get(data__step="canceled_the_rest")
    assert event.data["refund"] == "10.00" and "the rest was refunded already" in event.message
    lamp_line = lamp_shipment.lines.get().order_line
    lamp_line.refresh_from_db()
    assert lamp_line.quantity_canceled == 1


def test_refund_and_still_ship_on_a_held_order_ships_once_it_is_released(paid_order):
    order = paid_order()
    order_services.hold_for_review(order_id=order.pk, score=90, reasons=["address mismatch"])
    assert services.create_shipments(order_id=order.pk) == []
    merchant = staff_in("Merchant")
    refund_with_decision(
        payment_id=Payment.objects.get(order=order).pk, amount=Decimal("5.00"),
        refund_reason=RefundReason.PRICE_ADJUSTMENT, note="Price drop",
        decision=FulfillmentDecision.STILL_SHIP, actor=merchant)
    order_services.release_hold(order_id=order.pk, actor=merchant)
    order.refresh_from_db()
    assert order.payment_status == Order.PaymentStatus.PARTIALLY_REFUNDED
    # The order_paid the release sends (after commit) is lost: the sweep finds the order.
    assert tasks.sweep_fulfillment_work()["shipments"] == 1
    shipments = list(order.shipments.order_by("pk"))
    assert len(shipments) == 2
    for shipment in shipments:
        assert to_shipped(shipment).state == State.SHIPPED
    order.refresh_from_db()
    assert order.fulfillment_status == Order.FulfillmentStatus.FULFILLED


def test_a_partly_refunded_order_whose_shipment_was_canceled_is_shipped_again(paid_order):
    order = paid_order(lamp=0)
    (shipment,) = services.create_shipments(order_id=order.pk)
    refund_with_decision(
        payment_id=Payment.objects.get(order=order).pk, amount=Decimal("2.00"),
        refund_reason=RefundReason.GOODWILL, note="Dented box",
        decision=FulfillmentDecision.STILL_SHIP, actor=staff_in("Merchant"))
    services.cancel_shipment(shipment_id=shipment.pk)  # e.g. the parcel was damaged
    (again,) = services.create_shipments(order_id=order.pk)
    assert to_shipped(again).state == State.SHIPPED


def test_cancel_the_rest_of_an_order_nothing_of_which_shipped_cancels_it(paid_order):
    order = paid_order()
    payment = Payment.objects.get(order=order)
    refund_with_decision(
        payment_id=payment.pk, amount=Decimal("5.00"), refund_reason=RefundReason.GOODWILL,
        note="Shopper changed their mind on the phone", actor=staff_in("Merchant"),
        decision=FulfillmentDecision.CANCEL_REST)
    order.refresh_from_db()
    payment.refresh_from_db()
    assert order.status == Order.Status.CANCELED
    assert payment.refunded_amount == payment.captured_amount  # the rest as a cancellation
    reasons = list(payment.calls.filter(kind="refund").order_by("pk")
                   .values_list("refund_reason", flat=True))
    assert reasons == ["goodwill", "cancellation"]
    assert not order.shipments.exclude(state=State.CANCELED).exists()


def test_the_merchant_refunds_and_cancels_the_rest_from_the_payment_admin(paid_order, client):
    order = paid_order()
    payment = Payment.objects.get(order=order)
    client.force_login(staff_in("Merchant"))
    response = client.post(reverse("admin:payments_payment_refund", args=[payment.pk]), {
        "amount": "5.00", "reason": "Wrong colour sent", "refund_reason": "goodwill",
        "decision": "cancel_rest"})
    assert response.status_code == 302
    order.refresh_from_db()
    assert order.status == Order.Status.CANCELED
