"""Emails about a shipment: shipped (with the tracking link), out for delivery, delivered,
ready for pickup (with the code), delivery problem, delayed (past its promised ship date
and still in the warehouse). One per shipment and kind, sent the way
``orders.notifications`` sends order emails (claimed, marked and sent under the
notification row's lock, so a task run twice sends once)."""

from __future__ import annotations

from django.conf import settings
from django.db import transaction

from orders.links import absolute_url
from orders.models import OrderEvent
from orders.notifications import claim_notification, email_message, order_link
from orders.services import record_order_event

from .links import tracking_path
from .models import Shipment, ShipmentNotification

SUBJECTS = {
    ShipmentNotification.Kind.SHIPPED: "Your order {order} has shipped",
    ShipmentNotification.Kind.OUT_FOR_DELIVERY: "Your order {order} is out for delivery",
    ShipmentNotification.Kind.DELIVERED: "Your order {order} was delivered",
    ShipmentNotification.Kind.READY_FOR_PICKUP: "Your order {order} is ready for pickup",
    ShipmentNotification.Kind.EXCEPTION: "A problem delivering your order {order}",
    ShipmentNotification.Kind.DELAYED: "Your order {order} is running late",
}


def send_shipment_email(*, shipment_id: int, kind: str) -> bool:
    with transaction.atomic():
        if not claim_notification(ShipmentNotification, shipment_id=shipment_id, kind=kind):
            return False
        shipment = (Shipment.objects.select_related("order__shipping_address", "warehouse")
                    .prefetch_related("lines__order_line", "tracking_events").get(pk=shipment_id))
        context = {"shipment": shipment, "order": shipment.order, "kind": kind,
                   "shop_name": settings.SHOP_NAME, "order_link": order_link(shipment.order),
                   "tracking_link": absolute_url(tracking_path(shipment)),
                   "latest": shipment.tracking_events.last()}
        email_message(template=f"shipment_{kind}", context=context, to=shipment.order.email,
                      subject=SUBJECTS[kind].format(order=shipment.order.number)).send()
    record_order_event(order_id=shipment.order_id, event_type=OrderEvent.Type.EMAIL_SENT,
                       message=f"{ShipmentNotification.Kind(kind).label} email for "
                               f"{shipment.number} sent to {shipment.order.email}.",
                       data={"kind": kind, "shipment": shipment.number})
    return True


EMAIL_FOR_STATUS = {
    Shipment.State.SHIPPED: ShipmentNotification.Kind.SHIPPED,
    Shipment.State.OUT_FOR_DELIVERY: ShipmentNotification.Kind.OUT_FOR_DELIVERY,
    Shipment.State.DELIVERED: ShipmentNotification.Kind.DELIVERED,
    Shipment.State.EXCEPTION: ShipmentNotification.Kind.EXCEPTION,
}


def send_status_email(*, shipment_id: int, status: str) -> bool:
    """The email a shipment's new status calls for, if any, sent once. A collected pickup
    gets none (the order's receipt says enough), nor does an exchange's shipment (returns
    sends "your exchange has shipped")."""
    shipment = Shipment.objects.select_related("order").get(pk=shipment_id)
    kind = EMAIL_FOR_STATUS.get(status)
    if kind == ShipmentNotification.Kind.DELIVERED and shipment.is_pickup:
        kind = None
    if kind == ShipmentNotification.Kind.SHIPPED and shipment.order.replaces_id:
        kind = None
    return bool(kind) and send_shipment_email(shipment_id=shipment_id, kind=kind)
