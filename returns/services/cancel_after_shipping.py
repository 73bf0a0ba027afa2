"""Staff cancel an order: the one service the order admin's Cancel calls.

Nothing of the order has left: the whole order is canceled with its money settled
(``payments.services.cancel_and_settle``, intent first). Part of it has left (a shipment
handed to the carrier, or a pickup collected): the cancel becomes a return for those units,
in one transaction, with the order's shipments locked first (so none can ship meanwhile),
then its payments and the order:

- every shipment that has not left is canceled, and every unit of the order not shipped is
  canceled and its stock released (``orders.services.cancel_unshipped_units``);
- the share the shopper paid for those units is recorded as a refund for a cancellation
  (``payments.services.record_cancellation_refunds``), made at the gateway after commit;
- a return for the shipped units is opened and approved at once (reason "canceled after
  shipping", no fees, shipping refunded), awaiting the parcel; it is refunded on receipt
  through the normal returns flow;
- the order's timeline says who canceled, why, and what happened.

It lives in returns, the lowest app that may see payments, fulfillment and returns.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from fulfillment import locks as fulfillment_locks
from fulfillment import services as fulfillment_services
from fulfillment.models import Shipment
from kernel.errors import InvalidTransition
from kernel.money import Money
from orders import services as order_services
from orders.models import Order, OrderEvent, OrderLine
from payments import locks as payment_locks
from payments import services as payment_services

from ..models import ReturnLine, ReturnRequest
from .approval import return_warehouse
from .requesting import create_return_request
from .timeline import move_to, record_step

# A shipment in one of these has been handed to the carrier (or collected): its units come
# back through a return, not a cancel.
LEFT = {Shipment.State.SHIPPED, Shipment.State.IN_TRANSIT, Shipment.State.OUT_FOR_DELIVERY,
        Shipment.State.DELIVERED, Shipment.State.EXCEPTION}


@dataclass
class CancelOutcome:
    """What a staff cancel did, for the message staff read."""

    order: Order
    whole_order: bool
    canceled_shipments: list[str] = field(default_factory=list)
    canceled_units: int = 0
    refund: Money | None = None
    return_request: ReturnRequest | None = None
    returned_units: int = 0
    problems: list[str] = field(default_factory=list)

    def summary(self) -> str:
        order = self.order
        if self.whole_order:
            settled = {
                Order.PaymentStatus.REFUNDED: "the payment was refunded",
                Order.PaymentStatus.PARTIALLY_REFUNDED: "the payment was refunded",
                Order.PaymentStatus.VOIDED: "the payment was voided",
            }.get(order.payment_status, "nothing had been paid")
            return f"Order {order.number} canceled: {settled} and its stock released."
        parts = [f"Order {order.number} had shipped items, so the cancel became a return"]
        if self.canceled_shipments:
            parts.append(f"shipment(s) {', '.join(self.canceled_shipments)} canceled")
        if self.canceled_units:
            parts.append(f"{self.canceled_units} unshipped unit(s) canceled and their stock "
                         "released")
        if self.refund:
            parts.append(f"{self.refund} refunded for them as a cancellation")
        if self.return_request is not None:
            parts.append(f"return {self.return_request.number} opened and approved for the "
                         f"{self.returned_units} shipped unit(s), refunded when they come back")
        text = ": ".join(parts[:2]) + "".join(f"; {part}" for part in parts[2:]) + "."
        if self.problems:
            text += " But " + "; ".join(self.problems) + "."
        return text


def cancel_order_or_return(*, order_id: int, reason: str, actor=None) -> CancelOutcome:
    """Cancel an order for staff, whatever has shipped (see the module).

    Preconditions: the order is open (refused with InvalidTransition otherwise); for a
    partial cancel, no capture is in flight and no payment is only authorized (refused
    with PaymentError, before anything is written). Guarantees: nothing that has left is
    refunded here; nothing that has not left can ship afterwards; the cancellation refund
    is committed with the cancel, before any gateway call, and made after commit (a gateway
    that does not answer leaves it for the sweep, said in ``problems``). A whole cancel
    raises as ``cancel_and_settle`` does.
    """
    reason = (reason or "").strip() or "Canceled by staff."
    for _attempt in range(2):
        outcome = _cancel_after_shipping(order_id, reason=reason, actor=actor)
        if outcome is not None:
            break
        order = Order.objects.get(pk=order_id)
        try:
            order = payment_services.cancel_and_settle(order=order, reason=reason,
                                                       actor=actor)
        except InvalidTransition:
            # A parcel left between the two looks (request_cancel refuses then): go again,
            # as a cancel after shipping.
            if OrderLine.objects.filter(order_id=order_id, quantity_fulfilled__gt=0).exists():
                continue
            raise
        return CancelOutcome(order=order, whole_order=True)
    else:  # pragma: no cover - a shipment can't un-leave
        raise InvalidTransition("The order changed while it was being canceled; try again.")
    if outcome.refund_call_ids:
        outcome.problems = payment_services.make_cancellation_refunds(
            call_ids=outcome.refund_call_ids, actor=actor)
        if outcome.problems:
            order_services.record_order_event(
                order_id=order_id, event_type=OrderEvent.Type.NOTE, actor=actor,
                message="Cancellation refund not made yet: " + "; ".join(outcome.problems)
                        + ".", data={"step": "canceled_after_shipping_refund"})
    outcome.order.refresh_from_db()
    return outcome


@dataclass
class _PartialCancel(CancelOutcome):
    refund_call_ids: list[int] = field(default_factory=list)


def _cancel_after_shipping(order_id: int, *, reason: str, actor) -> _PartialCancel | None:
    """The partial cancel in one transaction; None (nothing written) when nothing of the
    order has left, for the whole cancel to take over."""
    with transaction.atomic():
        # Shipments first, then the payments and the order: the order every fulfillment
        # and payment service locks in. A shipment created before the order's lock was
        # taken is locked too (create_shipments runs under the order's lock).
        shipments = fulfillment_locks.order_shipments_for_update(order_id)
        order = payment_locks.order_with_payments_for_update(order_id)
        if Shipment.objects.filter(order_id=order_id).count() != len(shipments):
            shipments = fulfillment_locks.order_shipments_for_update(order_id)
        order.ensure_status(Order.Status.CANCELED)
        # Units count as shipped when they left (fulfillment moves quantity_fulfilled
        # under the order's lock, which is held here).
        lines = list(order.lines.order_by("pk"))
        if not any(line.quantity_fulfilled for line in lines):
            return None
        left = [shipment for shipment in shipments if shipment.state in LEFT]
        waiting = [shipment for shipment in shipments if shipment.state in Shipment.UNSHIPPED]
        share = sum((line.share_to_ship for line in lines), Decimal("0"))
        who = actor.get_username() if getattr(actor, "is_authenticated", False) else "staff"
        calls, refunded = payment_services.record_cancellation_refunds(
            order_id=order.pk, amount=share, note=f"Canceled after shipping: {reason}",
            actor=actor)
        for shipment in waiting:
            fulfillment_services.cancel_shipment(
                shipment_id=shipment.pk, actor=actor,
                because="the order was canceled after part of it shipped; its items go back "
                        "to stock.")
        canceled = order_services.cancel_unshipped_units(
            order_id=order.pk, actor=actor,
            message="Canceled after shipping: the units that had not left were canceled and "
                    "their stock released.")
        return_request, returned = _open_return(order, lines, left, reason=reason, actor=actor)
        outcome = _PartialCancel(
            order=order, whole_order=False,
            canceled_shipments=[shipment.number for shipment in waiting],
            canceled_units=sum(canceled.values()),
            refund=Money(refunded, order.currency) if refunded else None,
            return_request=return_request, returned_units=returned,
            refund_call_ids=[call.pk for call in calls])
        order_services.record_order_event(
            order_id=order.pk, event_type=OrderEvent.Type.NOTE, actor=actor,
            message=f"Canceled after shipping by {who}: “{reason}”. " + outcome.summary(),
            data={"step": "canceled_after_shipping", "reason": reason,
                  "canceled_shipments": outcome.canceled_shipments,
                  "canceled_units": outcome.canceled_units,
                  "refund": str(refunded), "return": getattr(return_request, "number", "")})
        return outcome


def _open_return(order: Order, lines: list[OrderLine], left: list[Shipment], *, reason: str,
                 actor) -> tuple[ReturnRequest | None, int]:
    """A return of every shipped unit not already on a return, approved at once."""
    on_returns = defaultdict(int, ReturnLine.objects.filter(order_line__order=order).exclude(
        return_request__state=ReturnRequest.State.REJECTED).values("order_line_id")
        .annotate(units=Sum("quantity")).values_list("order_line_id", "units"))
    wanted = {line.pk: line.quantity_fulfilled - on_returns[line.pk] for line in lines
              if line.quantity_fulfilled - on_returns[line.pk] > 0}
    if not wanted:
        return None, 0
    return_request = create_return_request(order, resolution=ReturnRequest.Resolution.REFUND)
    ReturnLine.objects.bulk_create([
        ReturnLine(return_request=return_request, order_line_id=line_id, quantity=units,
                   reason=ReturnLine.Reason.CANCELED_AFTER_SHIPPING,
                   reason_note=reason[:300]) for line_id, units in wanted.items()])
    units = sum(wanted.values())
    record_step(return_request, f"Return opened by staff for {units} shipped item(s): the "
                                f"order was canceled after shipping (“{reason}”).",
                actor=actor, order_event=OrderEvent.Type.RETURN_REQUESTED,
                state=ReturnRequest.State.REQUESTED)
    active = [s.warehouse_id for s in left if s.warehouse.is_active]
    warehouse = return_warehouse(return_request, active[0] if active else None)
    return_request.method = settings.SHOP_RETURN_METHOD
    return_request.warehouse = warehouse
    return_request.approved_at = timezone.now()
    return_request.staff_message = (
        "Your order was canceled after part of it had shipped. Please send the shipped "
        "items back when they reach you; we refund them, shipping included, when they "
        "arrive.")
    move_to(return_request, ReturnRequest.State.APPROVED,
            f"Return approved: {return_request.get_method_display().lower()} to "
            f"{warehouse.name}; awaiting the parcel, refunded on receipt.", actor=actor,
            order_event=OrderEvent.Type.RETURN_APPROVED)
    return return_request, units
