"""A refund with no return behind it (a price adjustment or goodwill) and the explicit
decision about the goods that goes with it: "refund and still ship" or "refund and cancel
the rest".

It lives in fulfillment, not payments, because the second choice cancels shipments (and
payments may not import fulfillment). The money is moved by ``payments.services``
(``refund_payment``, which checks the permission and the amount under the payment's lock);
the rest is canceled through the public cancel paths (``payments.services.cancel_and_settle``
for an order nothing of which has shipped, ``cancel_shipment`` for the shipments that have
not left), never reimplemented here.
"""

from __future__ import annotations

from decimal import Decimal

from django.db import models

from kernel.money import Money
from orders import services as order_services
from orders.models import Order, OrderEvent
from payments import services as payment_services
from payments.exceptions import PaymentError
from payments.models import DECISION_REASONS, GatewayCall, Payment, RefundReason

from ..models import Shipment
from .shipments import cancel_shipment

# Shipments that have not left the warehouse: "cancel the rest" cancels these.
NOT_LEFT = {Shipment.State.PENDING, Shipment.State.PICKING, Shipment.State.PACKED,
            Shipment.State.LABEL_PURCHASED}


class FulfillmentDecision(models.TextChoices):
    STILL_SHIP = "ship", "Refund and still ship"
    CANCEL_REST = "cancel_rest", "Refund and cancel the rest"


def refund_with_decision(*, payment_id: int, amount: Decimal, refund_reason: str, note: str,
                         decision: str, actor) -> GatewayCall:
    """Refund ``amount`` of a captured payment as a price adjustment or goodwill, and either
    let the order ship as it is or cancel what has not shipped.

    Preconditions: ``refund_reason`` is a decision reason and ``actor`` holds
    ``payments.refund_adjustment`` (refused with a 403, before anything moves), ``note``
    says why, ``decision`` is a ``FulfillmentDecision``. Guarantees: the decision, who took
    it and why are on the order's timeline; the refund is made once (``refund_payment``);
    with "cancel the rest" an order with nothing shipped is canceled (its remaining money
    settled) and otherwise every shipment not yet left is canceled. A cancel refused (the
    order shipped meanwhile) is raised after the refund, and said on the timeline.
    """
    payment_services.ensure_may_refund(refund_reason=refund_reason, actor=actor)
    if refund_reason not in DECISION_REASONS:
        raise PaymentError("Only a price adjustment or goodwill is refunded here; a return is "
                           "refunded from the return, a cancellation by canceling.")
    if decision not in FulfillmentDecision.values:
        raise PaymentError("Choose whether the order still ships or the rest is canceled.")
    note = (note or "").strip()
    if not note:
        raise PaymentError("Say why this refund is made: it goes on the order's timeline.")
    payment = Payment.objects.select_related("order").filter(pk=payment_id).first()
    if payment is None:
        raise PaymentError("No such payment.", code="not_found")
    label = RefundReason(refund_reason).label.lower()
    call = payment_services.refund_payment(
        payment=payment, amount=amount, reason=note, actor=actor, refund_reason=refund_reason)
    who = actor.get_username() if getattr(actor, "is_authenticated", False) else "staff"
    refunded = Money(call.amount, payment.currency)
    choice = FulfillmentDecision(decision)
    order_services.record_order_event(
        order_id=payment.order_id, event_type=OrderEvent.Type.NOTE, actor=actor,
        message=f"{label.capitalize()} refund of {refunded} by {who}: “{note}”. "
                f"{choice.label}.",
        data={"refund_reason": refund_reason, "decision": decision,
              "amount": str(call.amount), "call": call.pk})
    if choice == FulfillmentDecision.CANCEL_REST:
        cancel_the_rest(order_id=payment.order_id, note=f"{label.capitalize()} refund: {note}",
                        actor=actor)
    return call


def cancel_the_rest(*, order_id: int, note: str, actor) -> None:
    """Cancel what of an order has not shipped: the whole order (through
    ``cancel_and_settle``) when nothing has, else each shipment not yet left."""
    order = Order.objects.get(pk=order_id)
    if order.status != Order.Status.OPEN:
        return
    if order.fulfillment_status == Order.FulfillmentStatus.UNFULFILLED:
        payment_services.cancel_and_settle(order=order, reason=note, actor=actor)
        return
    for shipment_id in (Shipment.objects.filter(order_id=order_id, state__in=NOT_LEFT)
                        .order_by("pk").values_list("pk", flat=True)):
        cancel_shipment(shipment_id=shipment_id, actor=actor)
