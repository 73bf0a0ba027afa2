"""Order and shipment signals to fulfillment tasks (enqueue only)."""

from __future__ import annotations

from kernel.enqueue import enqueue
from orders import signals as order_signals

from . import signals, tasks
from .models import Shipment, ShipmentNotification

EMAIL_FOR_STATUS = {
    Shipment.State.SHIPPED: ShipmentNotification.Kind.SHIPPED,
    Shipment.State.OUT_FOR_DELIVERY: ShipmentNotification.Kind.OUT_FOR_DELIVERY,
    Shipment.State.DELIVERED: ShipmentNotification.Kind.DELIVERED,
    Shipment.State.EXCEPTION: ShipmentNotification.Kind.EXCEPTION,
}


def on_order_paid(sender, order_id: int, **kwargs) -> None:
    enqueue(tasks.create_shipments, order_id)


def on_order_canceled(sender, order_id: int, **kwargs) -> None:
    enqueue(tasks.cancel_open_shipments, order_id)


def on_packed(sender, shipment_id: int, **kwargs) -> None:
    shipment = Shipment.objects.only("carrier").get(pk=shipment_id)
    if shipment.is_pickup:
        enqueue(tasks.send_shipment_notification, shipment_id,
                ShipmentNotification.Kind.READY_FOR_PICKUP)
    else:
        enqueue(tasks.purchase_label, shipment_id)


def on_status_changed(sender, shipment_id: int, status: str, **kwargs) -> None:
    shipment = Shipment.objects.select_related("order").get(pk=shipment_id)
    kind = EMAIL_FOR_STATUS.get(status)
    if kind == ShipmentNotification.Kind.DELIVERED and shipment.is_pickup:
        kind = None  # collected in person; the receipt of the order says enough
    if kind == ShipmentNotification.Kind.SHIPPED and shipment.order.replaces_id:
        kind = None  # an exchange: the returns app sends "your exchange has shipped"
    if kind:
        enqueue(tasks.send_shipment_notification, shipment_id, kind)
    if status == Shipment.State.SHIPPED:
        enqueue(tasks.capture_at_shipment, shipment.order_id)


def on_label_void_needed(sender, shipment_id: int, **kwargs) -> None:
    enqueue(tasks.void_label, shipment_id)


def connect() -> None:
    order_signals.order_paid.connect(on_order_paid, dispatch_uid="fulfillment.shipments")
    # A waiting order (stock shortfall) that got its stock ships like a newly paid one.
    order_signals.order_allocated.connect(on_order_paid, dispatch_uid="fulfillment.allocated")
    order_signals.order_canceled.connect(on_order_canceled, dispatch_uid="fulfillment.cancel")
    signals.shipment_packed.connect(on_packed, dispatch_uid="fulfillment.packed")
    signals.shipment_status_changed.connect(on_status_changed, dispatch_uid="fulfillment.status")
    signals.label_void_needed.connect(on_label_void_needed, dispatch_uid="fulfillment.void")
