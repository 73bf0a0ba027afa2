"""Cancel is an intent first (issue 14): recorded under the order's lock with its gateway
calls, it stops every fulfillment step; the money is settled outside the transaction and a
sweep finishes what an unreachable gateway (or a crash) interrupted."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from fulfillment import services
from fulfillment.models import Shipment
from kernel.errors import InvalidTransition
from orders import services as order_services
from orders.models import Order
from payments import services as payment_services
from payments.exceptions import GatewayUnavailable, PaymentError
from payments.gateways.base import GatewayError, GatewayResult
from payments.gateways.offline import OfflineGateway
from payments.models import GatewayCall, Payment, RefundReason

pytestmark = pytest.mark.django_db
State = Shipment.State


def pack(shipment):
    for line in shipment.lines.select_related("order_line"):
        for _ in range(line.quantity):
            services.scan_item(shipment_id=shipment.pk, code=line.order_line.sku)
    return services.complete_packing(shipment_id=shipment.pk, weight_grams=900)


def placed(paid_order, **kwargs):
    """A paid order with its shipments created (the task's work, done here directly)."""
    order = paid_order(**kwargs)
    services.create_shipments(order_id=order.pk)
    return order


def refunds(order):
    return list(GatewayCall.objects.filter(payment__order=order, kind=GatewayCall.Kind.REFUND))


@pytest.fixture
def gateway_down(monkeypatch):
    def unreachable(self, **kwargs):
        raise GatewayError("connection reset")
    monkeypatch.setattr(OfflineGateway, "refund", unreachable)
    return monkeypatch


def test_an_order_with_a_cancel_requested_is_not_picked_or_shipped(paid_order):
    order = placed(paid_order)
    east, west = order.shipments.order_by("pk")
    services.create_pick_list(warehouse_id=west.warehouse_id, shipment_ids=[west.pk])
    pack(west)
    services.purchase_label(shipment_id=west.pk)
    order_services.request_cancel(order_id=order.pk, reason="Customer asked")

    with pytest.raises(InvalidTransition, match="cancel requested, so it can't be picked"):
        services.create_pick_list(warehouse_id=east.warehouse_id, shipment_ids=[east.pk])
    with pytest.raises(InvalidTransition, match="can't be shipped"):
        services.ship_shipment(shipment_id=west.pk)
    assert services.create_shipments(order_id=order.pk) == []
    west.refresh_from_db()
    assert west.state == State.LABEL_PURCHASED
    order.refresh_from_db()
    assert order.fulfillment_status == Order.FulfillmentStatus.UNFULFILLED


def test_packing_and_labelling_stop_when_the_cancel_is_requested(paid_order):
    order = placed(paid_order, lamp=0)
    shipment = order.shipments.get()
    pick_list = services.create_pick_list(warehouse_id=shipment.warehouse_id,
                                          shipment_ids=[shipment.pk])
    line = shipment.lines.select_related("order_line").get()
    services.scan_item(shipment_id=shipment.pk, code=line.order_line.sku)
    order_services.request_cancel(order_id=order.pk)
    with pytest.raises(InvalidTransition, match="can't be packed"):
        services.scan_item(shipment_id=shipment.pk, code=line.order_line.sku)
    with pytest.raises(InvalidTransition, match="can't be picked"):
        services.mark_picked(pick_list_id=pick_list.pk)
    order_services.withdraw_cancel_request(order_id=order.pk, message="Changed their mind.")
    services.scan_item(shipment_id=shipment.pk, code=line.order_line.sku)  # the 2nd mug
    services.complete_packing(shipment_id=shipment.pk, weight_grams=900)
    order_services.request_cancel(order_id=order.pk)
    with pytest.raises(InvalidTransition, match="can't be labelled"):
        services.purchase_label(shipment_id=shipment.pk)
    shipment.refresh_from_db()
    assert shipment.state == State.PACKED and not shipment.tracking_number


def test_a_shipped_parcel_makes_the_cancel_a_return_and_nothing_is_refunded(paid_order):
    order = placed(paid_order)
    west = order.shipments.order_by("pk").last()
    services.create_pick_list(warehouse_id=west.warehouse_id, shipment_ids=[west.pk])
    pack(west)
    services.purchase_label(shipment_id=west.pk)
    services.ship_shipment(shipment_id=west.pk)
    with pytest.raises(InvalidTransition, match="create a return"):
        payment_services.cancel_and_settle(order=order, reason="Too late")
    order.refresh_from_db()
    assert order.status == Order.Status.OPEN and not order.cancel_requested
    assert refunds(order) == []
    assert Payment.objects.get(order=order).state == Payment.State.CAPTURED


def test_cancel_records_the_refund_with_the_intent_then_settles_and_cancels(paid_order):
    order = placed(paid_order)
    canceled = payment_services.cancel_and_settle(order=order, reason="Customer asked")
    assert canceled.status == Order.Status.CANCELED and not canceled.cancel_requested
    assert canceled.cancel_reason == "Customer asked"
    (call,) = refunds(order)
    assert call.outcome == GatewayCall.Outcome.SUCCEEDED
    assert call.refund_reason == RefundReason.CANCELLATION
    assert call.idempotency_key.endswith(":cancel-refund")
    payment = Payment.objects.get(order=order)
    assert payment.state == Payment.State.REFUNDED
    assert payment.refunded_amount == payment.captured_amount == order.total


def test_an_unreachable_gateway_leaves_the_cancel_requested_and_the_sweep_finishes_it(
        paid_order, gateway_down):
    order = placed(paid_order)
    with pytest.raises(GatewayUnavailable, match="recorded"):
        payment_services.cancel_and_settle(order=order, reason="Customer asked")
    order.refresh_from_db()
    assert order.status == Order.Status.OPEN and order.cancel_requested
    (call,) = refunds(order)
    assert call.outcome == GatewayCall.Outcome.IN_FLIGHT
    shipment = order.shipments.first()
    with pytest.raises(InvalidTransition, match="cancel requested"):
        services.create_pick_list(warehouse_id=shipment.warehouse_id,
                                  shipment_ids=[shipment.pk])

    gateway_down.undo()  # the gateway answers again
    assert payment_services.finish_requested_cancels() == 0  # too recent: left to the request
    keys = []
    original = OfflineGateway.refund

    def remember(self, **kwargs):
        keys.append(kwargs["idempotency_key"])
        return original(self, **kwargs)
    gateway_down.setattr(OfflineGateway, "refund", remember)
    later = timezone.now() + timedelta(minutes=5)
    assert payment_services.finish_requested_cancels(now=later) == 1
    assert keys == [call.idempotency_key]  # the same request, once
    order.refresh_from_db()
    assert order.status == Order.Status.CANCELED
    assert Payment.objects.get(order=order).refunded_amount == order.total
    assert payment_services.finish_requested_cancels(now=later) == 0


def test_a_refused_refund_withdraws_the_cancel_when_no_money_moved(paid_order, monkeypatch):
    order = placed(paid_order)
    monkeypatch.setattr(OfflineGateway, "refund", lambda self, **kw: GatewayResult(
        success=False, state="failed", reference="", error="Refund declined by the bank"))
    with pytest.raises(PaymentError, match="Refund declined by the bank"):
        payment_services.cancel_and_settle(order=order, reason="Customer asked")
    order.refresh_from_db()
    assert order.status == Order.Status.OPEN and not order.cancel_requested
    assert order.payment_status == Order.PaymentStatus.PAID
    shipment = order.shipments.first()
    services.create_pick_list(warehouse_id=shipment.warehouse_id, shipment_ids=[shipment.pk])


def test_an_authorized_payment_is_voided_and_never_captured_once_cancel_is_requested(
        paid_order, monkeypatch):
    monkeypatch.setattr(payment_services.starting, "_capture_automatically", lambda gw: False)
    order = placed(paid_order)
    payment = Payment.objects.get(order=order)
    assert payment.state == Payment.State.AUTHORIZED
    order_services.request_cancel(order_id=order.pk)
    with pytest.raises(InvalidTransition, match="not captured"):
        payment_services.capture_payment(payment=payment)
    canceled = payment_services.cancel_and_settle(order=order)
    payment.refresh_from_db()
    assert canceled.status == Order.Status.CANCELED
    assert payment.state == Payment.State.CANCELED and payment.captured_amount == 0


def test_refundable_amount_leaves_out_refunds_in_flight(paid_order):
    payment = Payment.objects.get(order=paid_order())
    GatewayCall.objects.create(payment=payment, kind=GatewayCall.Kind.REFUND,
                               amount=Decimal("5.00"), currency=payment.currency,
                               idempotency_key=f"{payment.token}:refund:elsewhere")
    assert payment.refundable_amount == payment.captured_amount - Decimal("5.00")


def test_the_sweep_finishes_a_capture_and_a_refund_a_crash_left_in_flight(
        paid_order, monkeypatch):
    monkeypatch.setattr(payment_services.starting, "_capture_automatically", lambda gw: False)
    payment = Payment.objects.get(order=placed(paid_order))
    # A worker died after committing the capture attempt, before calling the gateway.
    capture = GatewayCall.objects.create(
        payment=payment, kind=GatewayCall.Kind.CAPTURE, amount=payment.amount,
        currency=payment.currency, idempotency_key=f"{payment.token}:capture")
    assert payment_services.finish_calls_in_flight() == 0  # too recent: maybe still running
    later = timezone.now() + timedelta(minutes=5)
    assert payment_services.finish_calls_in_flight(now=later) == 1
    payment.refresh_from_db()
    capture.refresh_from_db()
    assert capture.outcome == GatewayCall.Outcome.SUCCEEDED
    assert payment.state == Payment.State.CAPTURED and payment.captured_amount == payment.amount

    refund = GatewayCall.objects.create(
        payment=payment, kind=GatewayCall.Kind.REFUND, amount=Decimal("4.00"),
        currency=payment.currency, idempotency_key=f"{payment.token}:refund:1")
    assert payment.refundable_amount == payment.amount - Decimal("4.00")
    assert payment_services.finish_calls_in_flight(now=later) == 1
    payment.refresh_from_db()
    refund.refresh_from_db()
    assert refund.outcome == GatewayCall.Outcome.SUCCEEDED
    assert payment.refunded_amount == Decimal("4.00")
    assert payment.refundable_amount == payment.amount - Decimal("4.00")
    assert payment_services.finish_calls_in_flight(now=later) == 0
