"""Signal receivers: each enqueues one task after the sender's commit; no work inline.

The time the signal fired is passed along, so events of one order are delivered in the
order they happened even when their tasks run out of order. When the broker can't take
the task, ``kernel.enqueue`` records it (with that time) and its resend sweep queues it
later: an event lives only in the signal, so no sweep of the webhook tables could find
it, but the recorded task can't be lost. The task is never run inline in the request.
"""

from __future__ import annotations

from django.utils import timezone

from fulfillment.models import Shipment
from fulfillment.signals import shipment_status_changed
from inventory.signals import stock_level_changed, stock_levels_changed
from kernel.enqueue import enqueue
from orders.signals import order_canceled, order_paid, order_placed
from returns.signals import return_state_changed

from . import signals, tasks
from .models import EventType

SHIPMENT_EVENTS = {Shipment.State.SHIPPED: EventType.SHIPMENT_SHIPPED,
                   Shipment.State.IN_TRANSIT: EventType.SHIPMENT_IN_TRANSIT,
                   Shipment.State.OUT_FOR_DELIVERY: EventType.SHIPMENT_OUT_FOR_DELIVERY,
                   Shipment.State.DELIVERED: EventType.SHIPMENT_DELIVERED,
                   Shipment.State.EXCEPTION: EventType.SHIPMENT_EXCEPTION}
EVENT_TYPES = set(EventType.values)


def _now() -> str:
    return timezone.now().isoformat()


def _order_event(event_type: str):
    def receiver(sender, order_id, **kwargs):
        enqueue(tasks.emit_order_event, event_type, order_id, _now())
    return receiver


on_order_placed = _order_event(EventType.ORDER_PLACED)
on_order_paid = _order_event(EventType.ORDER_PAID)
on_order_canceled = _order_event(EventType.ORDER_CANCELED)


def on_shipment_status_changed(sender, shipment_id, status=None, **kwargs):
    event_type = SHIPMENT_EVENTS.get(status)
    if event_type:
        enqueue(tasks.emit_shipment_event, event_type, shipment_id, _now())


def on_return_state_changed(sender, return_id, state=None, **kwargs):
    event_type = f"return.{state}"
    if event_type in EVENT_TYPES:
        enqueue(tasks.emit_return_event, event_type, return_id, _now())


def on_stock_level_changed(sender, stock_level_id, **kwargs):
    enqueue(tasks.check_low_stock, stock_level_id)


def on_stock_levels_changed(sender, stock_level_ids, **kwargs):
    for start in range(0, len(stock_level_ids), tasks.LOW_STOCK_CHUNK):
        enqueue(tasks.check_low_stock_levels,
                list(stock_level_ids[start:start + tasks.LOW_STOCK_CHUNK]))


def on_delivery_scheduled(sender, delivery_id, countdown=None, **kwargs):
    enqueue(tasks.deliver_webhook, delivery_id, countdown=countdown)


def on_endpoint_disabled(sender, endpoint_id, **kwargs):
    enqueue(tasks.notify_endpoint_disabled, endpoint_id)


def connect() -> None:
    signals.delivery_scheduled.connect(on_delivery_scheduled,
                                       dispatch_uid="webhooks.delivery_scheduled")
    signals.endpoint_disabled.connect(on_endpoint_disabled,
                                      dispatch_uid="webhooks.endpoint_disabled")
    order_placed.connect(on_order_placed, dispatch_uid="webhooks.order_placed")
    order_paid.connect(on_order_paid, dispatch_uid="webhooks.order_paid")
    order_canceled.connect(on_order_canceled, dispatch_uid="webhooks.order_canceled")
    shipment_status_changed.connect(on_shipment_status_changed,
                                    dispatch_uid="webhooks.shipment_status_changed")
    return_state_changed.connect(on_return_state_changed,
                                 dispatch_uid="webhooks.return_state_changed")
    stock_level_changed.connect(on_stock_level_changed,
                                dispatch_uid="webhooks.stock_level_changed")
    stock_levels_changed.connect(on_stock_levels_changed,
                                 dispatch_uid="webhooks.stock_levels_changed")
