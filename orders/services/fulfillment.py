"""What fulfillment tells an order: units shipped, shipments delivered."""

from __future__ import annotations

from django.db import transaction
from django.db.models import F

from inventory import services as inventory_services
from kernel.errors import InvalidTransition

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
        order.ensure_can_be_fulfilled("shipped")
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
        remaining = [line.quantity_to_ship for line in order.lines.all()]
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



def cancel_unshipped_units(*, order_id: int, message: str, actor=None) -> dict[int, int]:
    """Cancel every unit of the order that has not left a warehouse, while the rest has
    shipped (a cancel after shipping; the caller cancels the shipments that held them).

    Preconditions, with the order locked: the order is open. Guarantees: each line's
    ``quantity_canceled`` takes its units neither shipped nor canceled, its allocations are
    deleted and the stock levels' ``allocated`` lowered to match (the units are free to sell
    again), so neither the shipment sweep nor the stock check asks for them again; with
    nothing left to ship the order counts as fulfilled; a "stock released" event with
    ``message``. Returns the units canceled per order line id (empty: nothing was left).
    """
    with transaction.atomic():
        order = locks.order_for_update(order_id)
        if order.status != Order.Status.OPEN:
            raise InvalidTransition(f"Order {order.number} is {order.status}; nothing of it "
                                    "can be canceled.")
        canceled = {line.pk: line.quantity_to_ship for line in order.lines.order_by("pk")
                    if line.quantity_to_ship > 0}
        allocations = list(Allocation.objects.select_for_update()
                           .filter(order_line__order=order).order_by("stock_level_id", "pk"))
        for allocation in allocations:
            inventory_services.release_units(stock_level_id=allocation.stock_level_id,
                                             quantity=allocation.quantity)
        Allocation.objects.filter(pk__in=[a.pk for a in allocations]).delete()
        for line_id, units in canceled.items():
            OrderLine.objects.filter(pk=line_id).update(
                quantity_canceled=F("quantity_canceled") + units)
        if canceled and order.fulfillment_status == Order.FulfillmentStatus.PARTIALLY_FULFILLED:
            order.fulfillment_status = Order.FulfillmentStatus.FULFILLED
            order.save(update_fields=["fulfillment_status", "updated_at"])
        released = sum(a.quantity for a in allocations)
        record_event(order, OrderEvent.Type.STOCK_RELEASED, message, actor=actor,
                     data={"released_units": released, "canceled_units": canceled,
                           "step": "canceled_after_shipping"})
        return canceled
