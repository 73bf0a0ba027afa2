"""A refund with no return behind it (a price adjustment or goodwill) and the explicit
decision about the goods that goes with it: "refund and still ship" or "refund and cancel
the rest".

It lives in fulfillment, not payments, because the second choice cancels shipments (and
payments may not import fulfillment). The money is moved by ``payments.services``
(``refund_payment``, which checks the permission and the amount under the payment's lock);
the rest is canceled through the public cancel paths (``payments.services.cancel_and_settle``
for an order nothing of which has shipped; for one partly shipped, the partial cancel's
steps: ``cancel_shipment`` for the shipments that have not left,
``orders.services.cancel_unshipped_units`` for their units and stock, and
``payments.services.record_cancellation_refunds`` / ``make_cancellation_refunds`` for the
money paid for them), never reimplemented here.
"""

from __future__ import annotations

from decimal import Decimal

from django.db import models, transaction

from kernel.errors import InvalidTransition
from kernel.money import Money
from orders import services as order_services
from orders.models import Order, OrderEvent, OrderLine
from payments import locks as payment_locks
from payments import services as payment_services
from payments.exceptions import PaymentError
from payments.models import DECISION_REASONS, GatewayCall, Payment, RefundReason

from ..locks import order_shipments_for_update
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
    settled) and otherwise every shipment not yet left and every unit not shipped is
    canceled, its stock released and the share paid for it refunded as a cancellation
    (on top of ``amount``, capped at what is left to refund). A cancel refused is raised
    after the refund.
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
    ``cancel_and_settle``) when nothing has; else, as a partial cancel, in one transaction
    with the order's shipments, payments and the order locked: every shipment not yet left
    is canceled, every unit not shipped is canceled and its stock released
    (``orders.services.cancel_unshipped_units``), and the share paid for those units is
    recorded as a cancellation refund (``payments.services.record_cancellation_refunds``,
    capped at what is left to refund after the adjustment or goodwill just made), then
    made at the gateway after commit. The order stays open for the units that left;
    nothing is written when everything has left meanwhile.

    Raises as ``cancel_and_settle`` does for a whole cancel; a partial cancel refused by
    payments (a capture under way, a payment only authorized) is raised with nothing
    canceled. A gateway that does not answer the refund leaves it to the sweep, said on
    the order's timeline."""
    for _attempt in range(2):
        outcome = _cancel_unshipped(order_id, note=note, actor=actor)
        if outcome is not None:
            break
        order = Order.objects.get(pk=order_id)
        if order.status != Order.Status.OPEN:
            return
        try:
            payment_services.cancel_and_settle(order=order, reason=note, actor=actor)
        except InvalidTransition:
            # A parcel left between the two looks: cancel the rest of it instead.
            if OrderLine.objects.filter(order_id=order_id, quantity_fulfilled__gt=0).exists():
                continue
            raise
        return
    else:  # pragma: no cover - a shipment can't un-leave
        raise InvalidTransition("The order changed while the rest was being canceled; try "
                                "again.")
    if outcome:
        problems = payment_services.make_cancellation_refunds(call_ids=outcome, actor=actor)
        if problems:
            order_services.record_order_event(
                order_id=order_id, event_type=OrderEvent.Type.NOTE, actor=actor,
                message="Refund for the canceled items not made yet: " + "; ".join(problems)
                        + ".", data={"step": "canceled_the_rest_refund"})


def _cancel_unshipped(order_id: int, *, note: str, actor) -> list[int] | None:
    """The partial cancel in one transaction: returns the ids of the recorded refund calls
    (made after commit by the caller), or None, with nothing written, when nothing of the
    order has shipped (the whole cancel takes over) or it is no longer open."""
    with transaction.atomic():
        # Shipments first, then the payments and the order: the order every fulfillment
        # and payment service locks in. A shipment created before the order's lock was
        # taken is locked too (create_shipments runs under the order's lock).
        shipments = order_shipments_for_update(order_id)
        order = payment_locks.order_with_payments_for_update(order_id)
        if Shipment.objects.filter(order_id=order_id).count() != len(shipments):
            shipments = order_shipments_for_update(order_id)
        if order.status != Order.Status.OPEN:
            return []
        # Units count as shipped when they left (fulfillment moves quantity_fulfilled under
        # the order's lock, which is held here).
        lines = list(order.lines.order_by("pk"))
        if not any(line.quantity_fulfilled for line in lines):
            return None
        waiting = [shipment for shipment in shipments if shipment.state in NOT_LEFT]
        if not waiting and not any(line.quantity_to_ship for line in lines):
            return []  # everything left meanwhile: there is no rest to cancel
        share = sum((line.share_to_ship for line in lines), Decimal("0"))
        calls, refunded = payment_services.record_cancellation_refunds(
            order_id=order.pk, amount=share, note=f"Rest canceled: {note}", actor=actor)
        for shipment in waiting:
            cancel_shipment(shipment_id=shipment.pk, actor=actor,
                            because="the rest of the order was canceled; its items go back to "
                                    "stock.")
        canceled = order_services.cancel_unshipped_units(
            order_id=order.pk, actor=actor,
            message="Rest of the order canceled: the units that had not left were canceled "
                    "and their stock released.")
        who = actor.get_username() if getattr(actor, "is_authenticated", False) else "staff"
        parts = [f"Rest of order {order.number} canceled by {who} (“{note}”)"]
        if waiting:
            parts.append(f"shipment(s) {', '.join(s.number for s in waiting)} canceled")
        parts.append(f"{sum(canceled.values())} unshipped unit(s) canceled and their stock "
                     "released")
        if refunded:
            parts.append(f"{Money(refunded, order.currency)} refunded for them as a "
                         "cancellation" + ("" if refunded == share else
                                           f" (of {Money(share, order.currency)}: the rest "
                                           "was refunded already)"))
        order_services.record_order_event(
            order_id=order.pk, event_type=OrderEvent.Type.NOTE, actor=actor,
            message=": ".join(parts[:2]) + "".join(f"; {part}" for part in parts[2:]) + ".",
            data={"step": "canceled_the_rest", "canceled_shipments":
                  [s.number for s in waiting], "canceled_units": sum(canceled.values()),
                  "refund": str(refunded), "share": str(share)})
        return [call.pk for call in calls]
