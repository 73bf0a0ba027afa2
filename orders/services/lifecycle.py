"""Order state changes after placement: payment status, fraud hold, cancel, expiry."""

from __future__ import annotations

from datetime import datetime
from functools import partial

from django.db import transaction
from django.db.models import F, Sum
from django.utils import timezone

from inventory import services as inventory_services
from kernel.errors import InvalidTransition

from .. import locks
from ..models import Allocation, Order, OrderEvent
from ..signals import order_canceled, order_paid, order_refunded
from .events import record_event
from .stock_shortfalls import close_shortfalls_of_canceled_order, record_late_payment

SECURED = {Order.PaymentStatus.AUTHORIZED, Order.PaymentStatus.PAID}
REFUND_STATUSES = {Order.PaymentStatus.PARTIALLY_REFUNDED, Order.PaymentStatus.REFUNDED}


def record_order_payment(*, order_id: int, payment_status: str, event_type: str,
                         message: str, data: dict | None = None, actor=None,
                         locked_order: Order | None = None) -> Order:
    """Move the order's payment status (called by ``payments.services``).

    Moving to the same status records the event only. The first time a payment is
    secured (authorized or paid) the unpaid-order deadline is cleared and ``order_paid``
    is sent after commit. ``locked_order``: the order, already locked in the caller's
    transaction (with its addresses when the status is a secured one), read no second time.
    """
    with transaction.atomic():
        if locked_order is not None and locked_order.pk == order_id:
            order = locked_order
        else:
            # With its addresses: the fraud screening after a first payment reads them.
            order = locks.order_for_update(order_id, with_addresses=payment_status in SECURED)
        if (order.status == Order.Status.CANCELED and payment_status in SECURED
                and order.payment_status == Order.PaymentStatus.UNPAID):
            # Paid after its stock was released: reopen, re-allocate or queue it.
            return record_late_payment(order, payment_status=payment_status,
                                       event_type=event_type, message=message, data=data,
                                       actor=actor)
        was_secured = order.payment_status in SECURED
        if order.payment_status != payment_status:
            order.ensure_payment_status(payment_status)
            order.payment_status = payment_status
        if payment_status in SECURED:
            order.payment_due_by = None
            order.paid_at = order.paid_at or timezone.now()
        order.save(update_fields=["payment_status", "payment_due_by", "paid_at", "updated_at"])
        record_event(order, event_type, message, actor=actor, data=data)
        if payment_status in SECURED and not was_secured:
            transaction.on_commit(partial(order_paid.send, sender=Order, order_id=order.pk))
        if payment_status in REFUND_STATUSES:
            transaction.on_commit(partial(order_refunded.send, sender=Order,
                                          order_id=order.pk))
        return order


def record_order_event(*, order_id: int, event_type: str, message: str,
                       data: dict | None = None, actor=None) -> None:
    """A timeline entry with no state change (a failed payment attempt, a dispute)."""
    with transaction.atomic():
        order = locks.order_for_update(order_id)
        record_event(order, event_type, message, actor=actor, data=data)


def extend_payment_deadline(*, order_id: int, until: datetime,
                            locked_order: Order | None = None) -> None:
    """Keep an unpaid order's stock while a payment is in progress. ``locked_order``: the
    order, when the caller holds its lock in the current transaction (not read again)."""
    with transaction.atomic(savepoint=False):
        order = locked_order if locked_order is not None else locks.order_for_update(order_id)
        if order.payment_due_by is not None and order.payment_due_by < until:
            order.payment_due_by = until
            order.save(update_fields=["payment_due_by", "updated_at"])


def hold_for_review(*, order_id: int, score: int, reasons: list[str]) -> Order:
    """Fraud screening found the order risky: hold it so it is not fulfilled."""
    with transaction.atomic():
        order = locks.order_for_update(order_id)
        order.risk_score, order.risk_reasons = score, reasons
        if order.risk == Order.Risk.NORMAL and order.status == Order.Status.OPEN:
            order.risk = Order.Risk.HELD
            record_event(order, OrderEvent.Type.HELD,
                         f"Held for review (risk score {score}): {'; '.join(reasons)}.",
                         data={"score": score, "reasons": reasons})
        order.save(update_fields=["risk", "risk_score", "risk_reasons", "updated_at"])
        return order


def hold_for_dispute(*, order_id: int, dispute_id: str, reason: str, actor=None) -> Order:
    """The customer's bank opened a dispute (a chargeback) on the order's payment: record
    it and hold the order, whatever its fraud review said before.

    Unlike ``hold_for_review`` (a screening, which never undoes a staff release), a dispute
    holds an order that staff released after an earlier review too: the money is being
    taken back, so nothing more of the order may leave until staff look again. Guarantees,
    with the order locked: a "dispute opened" event; an open order not held yet becomes
    held (score 100, the dispute first among its reasons), with a "held" event saying why
    and what an earlier review had decided; an order held already keeps its hold and gets
    the dispute among its reasons. From then on fulfillment refuses to pick, pack, label or
    ship it (``Order.ensure_can_be_fulfilled``) until ``release_hold``. A canceled or
    closed order only gets the event.
    """
    reason = (reason or "").strip() or "unspecified"
    with transaction.atomic():
        order = locks.order_for_update(order_id)
        record_event(order, OrderEvent.Type.DISPUTE_OPENED,
                     f"The customer's bank opened a dispute ({reason}).", actor=actor,
                     data={"dispute": dispute_id, "reason": reason})
        _hold_whatever_was_decided(
            order, why=f"Payment disputed ({reason})",
            held=f"Held: the customer's bank disputes the payment ({reason})",
            data={"dispute": dispute_id, "reason": reason}, actor=actor)
        return order


def hold_for_gateway_refund(*, order_id: int, amount: str, actor=None) -> Order:
    """Money was refunded at the payment gateway itself (the Stripe dashboard), not by a
    decision taken in the shop: if units of the order are still to ship, hold it, whatever
    an earlier review decided, so goods don't leave for money already given back. Staff
    then decide: release the hold (ship anyway) or cancel the rest. An order with nothing
    left to ship, or not open, is left as it is (the refund is on its timeline already).
    """
    with transaction.atomic():
        order = locks.order_for_update(order_id)
        to_ship = order.lines.aggregate(units=Sum(
            F("quantity") - F("quantity_fulfilled") - F("quantity_canceled"),
            default=0))["units"]
        if to_ship > 0:
            _hold_whatever_was_decided(
                order, why=f"Refunded at the payment gateway ({amount}) with {to_ship} "
                           f"unit(s) still to ship",
                held=f"Held: {amount} was refunded at the payment gateway, outside the "
                     f"shop, while {to_ship} unit(s) are still to ship",
                data={"refunded": amount, "units_to_ship": to_ship}, actor=actor)
        return order


def _hold_whatever_was_decided(order: Order, *, why: str, held: str, data: dict,
                               actor) -> None:
    """Hold a locked open order (``why`` first among its risk reasons), overriding a
    release after an earlier review; an order held already keeps its hold and gains the
    reason. From then on fulfillment refuses to pick, pack, label or ship it
    (``Order.ensure_can_be_fulfilled``) until ``release_hold``. A canceled or closed order
    is left as it is."""
    if order.status != Order.Status.OPEN:
        return
    earlier = [item for item in order.risk_reasons or [] if item != why]
    order.risk_reasons = [why, *earlier]
    if order.risk != Order.Risk.HELD:
        before = order.risk
        order.risk, order.risk_score = Order.Risk.HELD, 100
        record_event(order, OrderEvent.Type.HELD,
                     held + ("; this overrides the release after the earlier review"
                             if before == Order.Risk.RELEASED else "")
                     + ". Nothing more of the order is picked, packed or shipped until "
                       "staff release it.", actor=actor,
                     data={**data, "risk_before": before})
    order.save(update_fields=["risk", "risk_score", "risk_reasons", "updated_at"])


def record_risk(*, order_id: int, score: int, reasons: list[str]) -> None:
    """Store a screening's score. Nothing is decided from the order's state, so one UPDATE
    (which takes the row's lock itself) does it."""
    Order.objects.filter(pk=order_id).update(risk_score=score, risk_reasons=reasons,
                                             updated_at=timezone.now())


def release_hold(*, order_id: int, actor=None) -> Order:
    """Staff reviewed a held order and let it go on to fulfilment."""
    with transaction.atomic():
        order = locks.order_for_update(order_id)
        if order.risk != Order.Risk.HELD:
            raise InvalidTransition(f"Order {order.number} is not held for review.")
        if order.status != Order.Status.OPEN:
            raise InvalidTransition(f"Order {order.number} is {order.status}.")
        order.risk = Order.Risk.RELEASED
        order.save(update_fields=["risk", "updated_at"])
        record_event(order, OrderEvent.Type.RELEASED, "Released after fraud review.", actor=actor)
        if order.payment_status in SECURED:
            # Fulfilment waits for a paid order that is not held; tell it again.
            transaction.on_commit(partial(order_paid.send, sender=Order, order_id=order.pk))
        return order


def request_cancel(*, order_id: int, reason: str = "", actor=None) -> Order:
    """Record the intent to cancel an order, before its money is settled with the gateway
    (``payments.services.cancel_and_settle`` calls this with the order's payments and the
    order locked, in the transaction that also records the gateway calls to make).

    Preconditions, under the order's lock: the order is open and nothing of it has left a
    warehouse. An order with a shipment handed to the carrier (shipped or later, or a
    pickup collected) is refused as a whole: its shipped units come back through a return,
    and the rest is canceled shipment by shipment. A partial cancel is not done here, so
    money is never refunded for units that are on their way.
    Guarantees: ``cancel_requested_at`` is set once (a second request changes nothing);
    from then on fulfillment refuses to pick, pack, label or ship the order (each
    fulfillment service checks it with the shipment and the order locked); an event.
    """
    with transaction.atomic():
        order = locks.order_for_update(order_id)
        order.ensure_status(Order.Status.CANCELED)
        if order.fulfillment_status != Order.FulfillmentStatus.UNFULFILLED:
            raise InvalidTransition(f"Order {order.number} has shipped items, so it can't be "
                                    "canceled: create a return for them instead (and cancel "
                                    "the shipments that have not left).")
        if order.cancel_requested_at is not None:
            return order
        order.cancel_requested_at = timezone.now()
        order.cancel_requested_by = actor if getattr(actor, "pk", None) else None
        order.cancel_reason = (reason or "")[:300]
        order.save(update_fields=["cancel_requested_at", "cancel_requested_by",
                                  "cancel_reason", "updated_at"])
        record_event(order, OrderEvent.Type.NOTE,
                     "Cancel requested" + (f": {reason}" if reason else ".")
                     + " Fulfillment is stopped while the payment is settled.",
                     actor=actor, data={"step": "cancel_requested"})
        return order


def withdraw_cancel_request(*, order_id: int, message: str, actor=None) -> Order:
    """The gateway refused to give the money back (a refund or void declined, not merely
    unreachable) before any of it moved: the cancel is withdrawn so the order is neither
    canceled with money kept nor stuck; fulfillment may go on. Staff are told why."""
    with transaction.atomic():
        order = locks.order_for_update(order_id)
        if order.cancel_requested_at is None or order.status != Order.Status.OPEN:
            return order
        order.cancel_requested_at = None
        order.save(update_fields=["cancel_requested_at", "updated_at"])
        record_event(order, OrderEvent.Type.NOTE, message, actor=actor,
                     data={"step": "cancel_withdrawn"})
        return order


def canceled_unsettled_order_ids(*, requested_before: datetime) -> list[int]:
    """Open orders with a cancel requested before ``requested_before`` (the sweep: a crash
    or an unreachable gateway interrupted their settlement)."""
    return list(Order.objects.filter(
        status=Order.Status.OPEN, cancel_requested_at__lt=requested_before,
    ).order_by("cancel_requested_at", "pk").values_list("pk", flat=True)[:200])


def cancel_order(*, order_id: int, reason: str = "", actor=None) -> Order:
    """Cancel an open, unshipped order and release its stock in the same transaction.

    Preconditions: the order is open, nothing has been fulfilled, and any payment has
    already been voided or refunded (``payments.services.cancel_and_settle`` does that
    first; this refuses while money is held, so it is never silently kept).
    Guarantees: allocations deleted and stock levels' ``allocated`` lowered to match;
    a cancel intent (``request_cancel``) cleared as carried out; a "canceled" event; its
    open stock shortfalls closed (each with an event);
    ``order_canceled`` sent after commit.
    """
    with transaction.atomic():
        order = locks.order_for_update(order_id)
        order.ensure_status(Order.Status.CANCELED)
        if order.fulfillment_status != Order.FulfillmentStatus.UNFULFILLED:
            raise InvalidTransition(f"Order {order.number} has shipped items; cancel the "
                                    "remaining shipments or create a return instead.")
        if order.payment_status in SECURED:
            raise InvalidTransition(f"Order {order.number} is {order.payment_status}; void or "
                                    "refund the payment first.")
        order.status = Order.Status.CANCELED
        order.canceled_at = timezone.now()
        order.payment_due_by = None
        order.cancel_requested_at = None  # the intent is carried out (reason and who stay)
        order.save(update_fields=["status", "canceled_at", "payment_due_by",
                                  "cancel_requested_at", "updated_at"])
        released = release_order_stock(order)
        record_event(order, OrderEvent.Type.CANCELED, reason or "Order canceled.", actor=actor,
                     data={"released_units": released})
        # A paid order waiting in the stock shortfalls queue, canceled from anywhere: its
        # shortfall is closed with it, so no later retry allocates stock to it.
        close_shortfalls_of_canceled_order(order, reason=reason or "canceled", actor=actor)
        transaction.on_commit(partial(order_canceled.send, sender=Order, order_id=order.pk))
        return order


def release_order_stock(order: Order) -> int:
    """Give back every unit allocated to the order (inside the caller's transaction, with
    the order locked). Returns the number of units released; 0 when there were none, so
    running it twice moves stock once."""
    allocations = list(Allocation.objects.filter(order_line__order=order)
                       .order_by("stock_level_id"))
    for allocation in allocations:
        inventory_services.release_units(stock_level_id=allocation.stock_level_id,
                                         quantity=allocation.quantity)
    Allocation.objects.filter(pk__in=[a.pk for a in allocations]).delete()
    released = sum(a.quantity for a in allocations)
    if released:
        record_event(order, OrderEvent.Type.STOCK_RELEASED,
                     f"{released} unit(s) released to stock.")
    return released


def expired_unpaid_order_ids(*, now: datetime | None = None) -> list[int]:
    now = now or timezone.now()
    return list(Order.objects.filter(
        status=Order.Status.OPEN, payment_status=Order.PaymentStatus.UNPAID,
        payment_due_by__lt=now,
    ).order_by("pk").values_list("pk", flat=True)[:500])


def cancel_expired_unpaid_order(*, order_id: int, now: datetime | None = None) -> bool:
    """Cancel one unpaid order past its deadline; False when it was paid or extended
    meanwhile (checked under the lock)."""
    now = now or timezone.now()
    with transaction.atomic():
        order = locks.order_for_update(order_id)
        if not (order.status == Order.Status.OPEN
                and order.payment_status == Order.PaymentStatus.UNPAID
                and order.payment_due_by is not None and order.payment_due_by < now):
            return False
        cancel_order(order_id=order.pk, reason="Canceled: not paid in time. Its stock was "
                                               "released.")
        return True
