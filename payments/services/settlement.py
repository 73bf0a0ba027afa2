"""Canceling an order with its money settled: uncaptured payments voided, captured ones
refunded, then the order canceled and its stock released."""

from __future__ import annotations

from django.db import transaction

from kernel.errors import InvalidTransition, NotFound
from orders import services as order_services
from orders.models import Order, StockShortfall

from .. import locks
from ..models import Payment
from .capture import void_payment
from .refunds import refund_payment

State = Payment.State


def cancel_and_settle(*, order: Order, reason: str = "", actor=None) -> Order:
    """Cancel an order the way staff expect: void uncaptured payments, refund captured
    ones in full, then cancel the order and release its stock.

    Preconditions, checked with the order (and its payments) locked, before any money
    moves: the order may be canceled (it is open) and nothing of it has shipped.
    ``cancel_order`` checks them again under its own lock once the money is settled
    (gateways are never called with a lock held).
    """
    _ensure_cancellable(order.pk)
    return _settle_and_cancel(order.pk, reason=reason, actor=actor)


def cancel_held_order(*, order_id: int, reason: str = "", actor=None) -> Order:
    """Cancel an order held for fraud review (it failed the review), settling its money
    as ``cancel_and_settle`` does. Refused, before any money moves, when the order is not
    held (someone released it meanwhile)."""
    _ensure_cancellable(order_id, held=True)
    return _settle_and_cancel(order_id, reason=reason, actor=actor)


def _ensure_cancellable(order_id: int, *, held: bool = False) -> None:
    """Refuse an order that ``cancel_order`` would refuse after the money moved: without
    this a closed or (partly) shipped order would be refunded and stay open."""
    with transaction.atomic():
        order = locks.order_with_payments_for_update(order_id)
        if held and order.risk != Order.Risk.HELD:
            raise InvalidTransition(f"Order {order.number} is not held for review; use "
                                    "“Cancel order” to cancel it anyway.")
        order.ensure_status(Order.Status.CANCELED)
        if order.fulfillment_status != Order.FulfillmentStatus.UNFULFILLED:
            raise InvalidTransition(f"Order {order.number} has shipped items; cancel the "
                                    "remaining shipments or create a return instead.")


def _settle_and_cancel(order_id: int, *, reason: str, actor) -> Order:
    for payment in Payment.objects.filter(order_id=order_id).order_by("pk"):
        if payment.state in {State.AUTHORIZED, State.PENDING, State.REQUIRES_ACTION}:
            void_payment(payment=payment, actor=actor)
        elif payment.state in {State.CAPTURED, State.PARTIALLY_REFUNDED}:
            payment.refresh_from_db()
            if payment.refundable_amount > 0:
                refund_payment(payment=payment, amount=payment.refundable_amount,
                               reason=reason or "Order canceled", actor=actor,
                               idempotency_key=f"{payment.token}:cancel-refund")
    return order_services.cancel_order(order_id=order_id, reason=reason or "Canceled by staff.",
                                       actor=actor)


def cancel_stock_shortfall(*, shortfall_id: int, actor=None):
    """A paid order in the stock shortfalls queue can't be filled: refund it in full,
    cancel it (its stock, if any, is released) and close the shortfall; the shopper gets
    the apology email. A refund the gateway refuses leaves everything as it was."""
    shortfall = StockShortfall.objects.select_related("order").filter(pk=shortfall_id).first()
    if shortfall is None:
        raise NotFound("No such stock shortfall.")
    if not shortfall.is_open:
        raise InvalidTransition(f"This shortfall is already "
                                f"{shortfall.get_state_display().lower()}.")
    cancel_and_settle(order=shortfall.order, actor=actor,
                      reason="Canceled and refunded: the payment came after the stock was "
                             "released, and no stock could be found.")
    return order_services.close_canceled_shortfall(shortfall_id=shortfall.pk, actor=actor)
