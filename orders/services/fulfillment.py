"""What fulfillment tells an order: units shipped, shipments delivered."""

from __future__ import annotations

from django.db import transaction
from django.db.models import F

from .. import locks
from ..models import Allocation, Order, OrderEvent, OrderLine
from .events import record_event


def record_shipped(*, order_id: int, lines: list[tuple[int, int, int]], message: str,
                   actor=None) -> Order:
    """Units left a warehouse: ``lines`` is (order line id, stock level id, quantity).

    Guarantees, with the order locked: each line's ``quantity_fulfilled`` grows, the
    matching allocation shrinks (stock's ``allocated`` is lowered by inventory in the same
    transaction), and the order's fulfillment status follows.
    """
    with transaction.atomic():
        order = locks.order_for_update(order_id)
        order.ensure_no_cancel_requested("shipped")
        for line_id, level_id, quantity in lines:
            OrderLine.objects.filter(pk=line_id, order=order).update(
                quantity_fulfilled=F("quantity_fulfilled") + quantity)
            allocation = Allocation.objects.select_for_update().get(
                order_line_id=line_id, stock_level_id=level_id)
            if allocation.quantity == quantity:
                allocation.delete()
            else:
                allocation.quantity -= quantity
                allocation.save(update_fields=["quantity"])
        remaining = [line.quantity - line.quantity_fulfilled for line in order.lines.all()]
        order.fulfillment_status = (Order.FulfillmentStatus.FULFILLED if not any(remaining)
                                    else Order.FulfillmentStatus.PARTIALLY_FULFILLED)
        order.save(update_fields=["fulfillment_status", "updated_at"])
        record_event(order, OrderEvent.Type.SHIPPED, message, actor=actor)
        return order


def record_delivered(*, order_id: int, everything_delivered: bool, message: str) -> Order:
    with transaction.atomic():
        order = locks.order_for_update(order_id)
        if everything_delivered and order.fulfillment_status == Order.FulfillmentStatus.FULFILLED:
            order.fulfillment_status = Order.FulfillmentStatus.DELIVERED
            order.save(update_fields=["fulfillment_status", "updated_at"])
        record_event(order, OrderEvent.Type.DELIVERED, message)
        return order
