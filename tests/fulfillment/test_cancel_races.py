"""Money and goods under races (issue 14), on PostgreSQL with real threads, each its own
connection: cancel against "mark shipped", a refund that cancels the rest against shipping
(nothing shipped yet, or part of it), two refunds at once, and the capture at shipment
against a cancel. Tasks run eagerly after each commit, as a worker would run them next.
Nothing is mocked but the capture mode; the locks decide."""

from decimal import Decimal

import pytest

from fulfillment import services
from fulfillment.models import Shipment
from fulfillment.services.refund_decisions import FulfillmentDecision, refund_with_decision
from inventory.models import StockLevel
from kernel.errors import InvalidTransition, ShopError
from orders.models import Order
from payments import services as payment_services
from payments.exceptions import PaymentError
from payments.models import GatewayCall, Payment, RefundReason
from tests.concurrency import run_concurrently
from tests.factories import UserFactory

from .test_shipments import to_shipped

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
State = Shipment.State
ROUNDS = 3


def labelled(order) -> Shipment:
    """The order's one shipment, picked, packed and labelled (ready to hand over)."""
    return labelled_shipment(order.shipments.get())


def labelled_shipment(shipment) -> Shipment:
    """The shipment picked, packed and labelled (ready to hand over)."""
    services.create_pick_list(warehouse_id=shipment.warehouse_id, shipment_ids=[shipment.pk])
    for line in shipment.lines.select_related("order_line"):
        for _ in range(line.quantity):
            services.scan_item(shipment_id=shipment.pk, code=line.order_line.sku)
    services.complete_packing(shipment_id=shipment.pk, weight_grams=900)
    services.purchase_label(shipment_id=shipment.pk)  # bought already by the task: a no-op
    shipment.refresh_from_db()
    assert shipment.state == State.LABEL_PURCHASED
    return shipment


def only_domain_refusals(outcomes):
    crashes = [o.error for o in outcomes
               if o.error is not None and not isinstance(o.error, ShopError)]
    assert not crashes, f"unexpected errors: {crashes!r}"


def money(order):
    payment = Payment.objects.get(order=order)
    calls = GatewayCall.objects.filter(payment=payment)
    return payment, calls


def test_cancel_against_mark_shipped_exactly_one_wins(paid_order):
    for round_number in range(ROUNDS):
        order = paid_order(email=f"race{round_number}@example.com", lamp=0)
        shipment = labelled(order)
        on_hand = StockLevel.objects.get(pk=shipment.lines.get().stock_level_id).on_hand
        ship, cancel = run_concurrently(
            lambda s=shipment: services.ship_shipment(shipment_id=s.pk),
            lambda o=order: payment_services.cancel_and_settle(order=o, reason="Asked"))
        only_domain_refusals([ship, cancel])
        assert ship.ok != cancel.ok, (ship, cancel)
        order.refresh_from_db()
        shipment.refresh_from_db()
        payment, calls = money(order)
        level = StockLevel.objects.get(pk=shipment.lines.get().stock_level_id)
        if ship.ok:  # shipped; the cancel refused with nothing refunded
            assert isinstance(cancel.error, InvalidTransition)
            assert "create a return" in cancel.error.message
            assert shipment.state == State.SHIPPED and order.status == Order.Status.OPEN
            assert not order.cancel_requested
            assert not calls.filter(kind=GatewayCall.Kind.REFUND).exists()
            assert payment.state == Payment.State.CAPTURED and payment.refunded_amount == 0
            assert level.on_hand == on_hand - 2
        else:  # canceled and refunded; nothing shipped
            assert isinstance(ship.error, InvalidTransition)
            assert order.status == Order.Status.CANCELED
            assert shipment.state == State.CANCELED  # the cancel's task, after commit
            assert payment.state == Payment.State.REFUNDED
            assert payment.refunded_amount == payment.captured_amount == order.total
            assert level.on_hand == on_hand and level.allocated == 0


def test_a_refund_that_cancels_the_rest_against_shipping(paid_order):
    merchant = UserFactory(username="merchant", is_staff=True, is_superuser=True)
    for round_number in range(ROUNDS):
        order = paid_order(email=f"rest{round_number}@example.com", lamp=0)
        shipment = labelled(order)
        payment = Payment.objects.get(order=order)
        refund, ship = run_concurrently(
            lambda p=payment: refund_with_decision(
                payment_id=p.pk, amount=Decimal("5.00"), refund_reason=RefundReason.GOODWILL,
                note="Scratched box", decision=FulfillmentDecision.CANCEL_REST,
                actor=merchant),
            lambda s=shipment: services.ship_shipment(shipment_id=s.pk))
        only_domain_refusals([refund, ship])
        order.refresh_from_db()
        shipment.refresh_from_db()
        payment.refresh_from_db()
        refunded = {call.refund_reason: call.amount for call in GatewayCall.objects.filter(
            payment=payment, kind=GatewayCall.Kind.REFUND,
            outcome=GatewayCall.Outcome.SUCCEEDED)}
        assert refunded.get(RefundReason.GOODWILL) == Decimal("5.00")  # made either way
        assert payment.refunded_amount <= payment.captured_amount
        # Exactly one: the goods left, or the order was canceled with its money back.
        assert (shipment.state == State.SHIPPED) != (order.status == Order.Status.CANCELED)
        if shipment.state == State.SHIPPED:
            assert RefundReason.CANCELLATION not in refunded
            assert payment.refunded_amount == Decimal("5.00")
            assert not order.cancel_requested
        else:
            assert isinstance(ship.error, InvalidTransition)
            assert payment.refunded_amount == payment.captured_amount


def test_cancel_the_rest_of_a_partly_shipped_order_against_shipping_the_rest(paid_order):
    """The mug left; the lamp's parcel is labelled when the merchant refunds and cancels
    the rest: the lamp ships (only the goodwill goes back), or it is canceled, its stock
    released and its price refunded, never both and never neither."""
    merchant = UserFactory(username="merchant", is_staff=True, is_superuser=True)
    for round_number in range(ROUNDS):
        order = paid_order(email=f"partrest{round_number}@example.com")
        mug_shipment, lamp_shipment = order.shipments.order_by("pk")  # made when paid
        to_shipped(mug_shipment)
        lamp_shipment = labelled_shipment(lamp_shipment)
        lamp_line = lamp_shipment.lines.get().order_line
        level_id = lamp_shipment.lines.get().stock_level_id
        on_hand = StockLevel.objects.get(pk=level_id).on_hand
        payment = Payment.objects.get(order=order)
        refund, ship = run_concurrently(
            lambda p=payment: refund_with_decision(
                payment_id=p.pk, amount=Decimal("2.00"), refund_reason=RefundReason.GOODWILL,
                note="Late", decision=FulfillmentDecision.CANCEL_REST, actor=merchant),
            lambda s=lamp_shipment: services.ship_shipment(shipment_id=s.pk))
        only_domain_refusals([refund, ship])
        assert refund.ok
        lamp_shipment.refresh_from_db()
        lamp_line.refresh_from_db()
        payment.refresh_from_db()
        order.refresh_from_db()
        level = StockLevel.objects.get(pk=level_id)
        refunded = {call.refund_reason: call.amount for call in GatewayCall.objects.filter(
            payment=payment, kind=GatewayCall.Kind.REFUND,
            outcome=GatewayCall.Outcome.SUCCEEDED)}
        assert order.status == Order.Status.OPEN
        assert order.fulfillment_status == Order.FulfillmentStatus.FULFILLED
        assert level.allocated == 0
        if ship.ok:
            assert lamp_shipment.state == State.SHIPPED and lamp_line.quantity_canceled == 0
            assert refunded == {RefundReason.GOODWILL: Decimal("2.00")}
            assert level.on_hand == on_hand - 1
        else:
            assert isinstance(ship.error, InvalidTransition)
            assert lamp_shipment.state == State.CANCELED and lamp_line.quantity_canceled == 1
            assert refunded == {RefundReason.GOODWILL: Decimal("2.00"),
                                RefundReason.CANCELLATION: lamp_line.total}
            assert level.on_hand == on_hand


def test_two_refunds_at_once_never_refund_more_than_was_captured(paid_order):
    order = paid_order(lamp=0)
    payment = Payment.objects.get(order=order)
    share = (payment.captured_amount * Decimal("0.6")).quantize(Decimal("0.01"))
    outcomes = run_concurrently(*[
        lambda: payment_services.refund_payment(payment=payment, amount=share,
                                                reason="Goodwill")
        for _ in range(4)])
    only_domain_refusals(outcomes)
    assert sum(o.ok for o in outcomes) == 1
    assert all(isinstance(o.error, PaymentError) and o.error.code == "refund_too_large"
               for o in outcomes if not o.ok)
    payment.refresh_from_db()
    assert payment.refunded_amount == share <= payment.captured_amount
    assert GatewayCall.objects.filter(payment=payment, kind=GatewayCall.Kind.REFUND).count() == 1


@pytest.fixture
def authorize_only(monkeypatch):
    monkeypatch.setattr(payment_services.starting, "_capture_automatically",
                        lambda gateway: False)


def test_capture_at_shipment_against_cancel(paid_order, authorize_only):
    for round_number in range(ROUNDS):
        order = paid_order(email=f"capture{round_number}@example.com", lamp=0)
        shipment = labelled(order)
        assert Payment.objects.get(order=order).state == Payment.State.AUTHORIZED
        # Shipping queues the capture after commit (run at once here, as eager tasks are).
        ship, cancel = run_concurrently(
            lambda s=shipment: services.ship_shipment(shipment_id=s.pk),
            lambda o=order: payment_services.cancel_and_settle(order=o, reason="Asked"))
        only_domain_refusals([ship, cancel])
        assert ship.ok != cancel.ok
        order.refresh_from_db()
        payment, calls = money(order)
        if ship.ok:
            assert payment.state == Payment.State.CAPTURED
            assert payment.captured_amount == order.total
            assert not calls.filter(kind__in=[GatewayCall.Kind.VOID,
                                              GatewayCall.Kind.REFUND]).exists()
            assert order.status == Order.Status.OPEN
        else:
            assert payment.state == Payment.State.CANCELED and payment.captured_amount == 0
            assert not calls.filter(kind=GatewayCall.Kind.CAPTURE).exists()
            assert order.status == Order.Status.CANCELED


def test_a_staff_capture_against_cancel_never_keeps_money_of_a_canceled_order(
        paid_order, authorize_only):
    for round_number in range(ROUNDS):
        order = paid_order(email=f"staff{round_number}@example.com", lamp=0)
        capture, cancel = run_concurrently(
            lambda o=order: payment_services.capture_order_payment(order_id=o.pk),
            lambda o=order: payment_services.cancel_and_settle(order=o, reason="Asked"))
        only_domain_refusals([capture, cancel])
        order.refresh_from_db()
        payment, _ = money(order)
        if order.status == Order.Status.CANCELED:
            assert payment.state in {Payment.State.CANCELED, Payment.State.REFUNDED}
            assert payment.refunded_amount == payment.captured_amount
        else:  # the capture won and the cancel was refused while it was in flight
            assert cancel.error is not None and not order.cancel_requested
            assert payment.state == Payment.State.CAPTURED and payment.refunded_amount == 0
