"""Order and shipment signals to fulfillment tasks (enqueue only)."""

from __future__ import annotations

from kernel.enqueue import enqueue
from orders import signals as order_signals

from . import signals, tasks
from .models import Shipment, ShipmentNotification


def on_order_paid(sender, order_id: int, **kwargs) -> None:
    enqueue(tasks.create_shipments, order_id)


def on_order_canceled(sender, order_id: int, **kwargs) -> None:
    enqueue(tasks.cancel_open_shipments, order_id)


def on_packed(sender, shipment_id: int, **kwargs) -> None:
    enqueue(tasks.purchase_label, shipment_id)


def on_ready_for_pickup(sender, shipment_id: int, **kwargs) -> None:
    enqueue(tasks.send_shipment_notification, shipment_id,
            ShipmentNotification.Kind.READY_FOR_PICKUP)


def on_status_changed(sender, shipment_id: int, status: str, **kwargs) -> None:
    enqueue(tasks.send_shipment_status_email, shipment_id, status)
    if status == Shipment.State.SHIPPED:
        enqueue(tasks.capture_at_shipment,
                Shipment.objects.values_list("order_id", flat=True).get(pk=shipment_id))


def on_label_void_needed(sender, shipment_id: int, **kwargs) -> None:
    enqueue(tasks.void_label, shipment_id)


def connect() -> None:
    order_signals.order_paid.connect(on_order_paid, dispatch_uid="fulfillment.shipments")
    # A waiting order (stock shortfall) that got its stock ships like a newly paid one.
    order_signals.order_allocated.connect(on_order_paid, dispatch_uid="fulfillment.allocated")
    order_signals.order_canceled.connect(on_order_canceled, dispatch_uid="fulfillment.cancel")
    signals.shipment_packed.connect(on_packed, dispatch_uid="fulfillment.packed")
    signals.ready_for_pickup.connect(on_ready_for_pickup, dispatch_uid="fulfillment.pickup")
    signals.shipment_status_changed.connect(on_status_changed, dispatch_uid="fulfillment.status")
    signals.label_void_needed.connect(on_label_void_needed, dispatch_uid="fulfillment.void")
