"""Emails about a return: approved (with the label or drop-off instructions), rejected,
received, refunded (with the amount), exchange shipped (with the tracking link). One per
return and kind, sent the way order emails are (the notification row is claimed and marked
under its lock while the email goes, so a task run twice sends once)."""

from __future__ import annotations

from django.conf import settings
from django.db import transaction

from fulfillment.links import tracking_path
from fulfillment.models import Shipment
from orders.links import absolute_url
from orders.models import OrderEvent
from orders.notifications import claim_notification, email_message, order_link
from orders.services import record_order_event

from .models import ReturnNotification, ReturnRequest

SUBJECTS = {
    ReturnNotification.Kind.APPROVED: "Your return {number} is approved",
    ReturnNotification.Kind.REJECTED: "About your return {number}",
    ReturnNotification.Kind.RECEIVED: "We received your return {number}",
    ReturnNotification.Kind.REFUNDED: "Your refund for return {number}",
    ReturnNotification.Kind.EXCHANGE_SHIPPED: "Your exchange for return {number} has shipped",
}


def send_return_email(*, return_id: int, kind: str) -> bool:
    """Send the ``kind`` email for a return once. Returns True when this call sent it."""
    with transaction.atomic():
        if not claim_notification(ReturnNotification, return_request_id=return_id, kind=kind):
            return False
        return_request = (ReturnRequest.objects
                          .select_related("order", "warehouse", "replacement_order")
                          .prefetch_related("lines__order_line", "lines__exchange_variant")
                          .get(pk=return_id))
        order = return_request.order
        shipment = None
        if return_request.replacement_order_id:
            shipment = (Shipment.objects.filter(order_id=return_request.replacement_order_id)
                        .exclude(state=Shipment.State.CANCELED).order_by("-pk").first())
        context = {"return_request": return_request, "order": order, "kind": kind,
                   "shop_name": settings.SHOP_NAME,
                   "order_link": order_link(order), "is_guest": order.user_id is None,
                   "drop_off_instructions": settings.SHOP_RETURN_DROP_OFF_INSTRUCTIONS,
                   "shipment": shipment,
                   "tracking_link": absolute_url(tracking_path(shipment)) if shipment else ""}
        message = email_message(template=f"return_{kind}", context=context, to=order.email,
                                subject=SUBJECTS[kind].format(number=return_request.number))
        if kind == ReturnNotification.Kind.APPROVED and return_request.label:
            with return_request.label.open("rb") as label:
                message.attach(f"{return_request.number}-label.pdf", label.read(),
                               "application/pdf")
        message.send()
    record_order_event(order_id=return_request.order_id, event_type=OrderEvent.Type.EMAIL_SENT,
                       message=f"{ReturnNotification.Kind(kind).label} email for "
                               f"{return_request.number} sent to {order.email}.",
                       data={"kind": f"return_{kind}", "return": return_request.number})
    return True
