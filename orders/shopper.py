"""The order as the shopper sees it: one status in plain words, whether it can still be
paid, and the timeline without the warehouse's and the payment desk's internals (pick
lists, stock lines, declined card attempts). Staff see every event in admin."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.utils import timezone

from kernel.money import Money

from .models import Order, OrderEvent

Type = OrderEvent.Type
PAID_EVENTS = {Type.PAYMENT_AUTHORIZED, Type.PAYMENT_CAPTURED, Type.LATE_PAYMENT}
# Event types a shopper is shown, with the words they are shown in. ``None``: the event's
# own message, which for these is written for the shopper (shipment number and tracking,
# the exchange order's number).
SHOPPER_EVENTS: dict[str, str | None] = {
    Type.PLACED: "Order placed",
    Type.PAYMENT_AUTHORIZED: "Payment received",
    Type.PAYMENT_CAPTURED: "Payment received",
    Type.LATE_PAYMENT: "Payment received",
    Type.SHIPPED: None,
    Type.DELIVERED: "Delivered",
    Type.REFUNDED: "Refunded",
    Type.CANCELED: "Order canceled",
    Type.RETURN_REQUESTED: "Return requested",
    Type.RETURN_APPROVED: "Return approved",
    Type.RETURN_REJECTED: "Return rejected",
    Type.RETURN_RECEIVED: "Return received",
    Type.EXCHANGE_CREATED: None,
}


def awaiting_payment(order: Order, *, now: datetime | None = None) -> bool:
    """Open, unpaid and before its deadline: the shopper may still pay it."""
    now = now or timezone.now()
    return (order.status == Order.Status.OPEN
            and order.payment_status == Order.PaymentStatus.UNPAID
            and (order.payment_due_by is None or order.payment_due_by > now))


def shopper_status(order: Order) -> str:
    """One word or two for where the order is. A closed order reads as what closed it
    (canceled, refunded, returned, delivered), never "Open"."""
    Payment, Fulfillment = Order.PaymentStatus, Order.FulfillmentStatus
    if order.status == Order.Status.CANCELED:
        return "Canceled"
    if order.payment_status == Payment.REFUNDED:
        return "Refunded"
    if order.payment_status == Payment.VOIDED:
        return "Canceled"
    if order.payment_status == Payment.UNPAID:
        return "Awaiting payment" if awaiting_payment(order) else "Payment overdue"
    if order.fulfillment_status == Fulfillment.RETURNED:
        return "Returned"
    if order.fulfillment_status == Fulfillment.PARTIALLY_RETURNED:
        return "Partially returned"
    if order.fulfillment_status == Fulfillment.DELIVERED:
        return "Delivered"
    if order.fulfillment_status == Fulfillment.FULFILLED:
        return "Shipped"
    if order.fulfillment_status == Fulfillment.PARTIALLY_FULFILLED:
        return "Partially shipped"
    if order.status == Order.Status.CLOSED:
        return "Closed"
    return "Confirmed"


@dataclass(frozen=True)
class TimelineEntry:
    created_at: datetime
    text: str
    type: str


def shopper_timeline(order: Order, events: Iterable[OrderEvent] | None = None
                     ) -> list[TimelineEntry]:
    """The order's events a shopper cares about, in order, in the shopper's words. The
    payment shows once (an authorization later captured is one payment to the shopper);
    refunds say how much."""
    events = order.events.all() if events is None else events
    entries, paid_shown = [], False
    for event in events:
        if event.type not in SHOPPER_EVENTS:
            continue
        if event.type in PAID_EVENTS:
            if paid_shown:
                continue
            paid_shown = True
        text = SHOPPER_EVENTS[event.type] or event.message or event.get_type_display()
        if event.type == Type.PLACED and (event.data or {}).get("replaces"):
            text = f"Exchange order for order {event.data['replaces']}"
        if event.type == Type.REFUNDED and (event.data or {}).get("amount"):
            text = f"Refunded {Money(event.data['amount'], order.currency)}"
        entries.append(TimelineEntry(created_at=event.created_at, text=text, type=event.type))
    return entries
