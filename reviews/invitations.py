"""The "how was it?" email: once per delivered order, to review each product it brought.

Sent the way order emails are (``orders.notifications.claim_notification``: the
invitation row is locked and marked sent, the email sent inside that lock, so a task run
twice sends one email). Not sent to an address that unsubscribed from the shop's email
(``marketing.consent.has_unsubscribed``): an invitation is a request, not a receipt.
"""

from __future__ import annotations

from django.conf import settings
from django.db import transaction

from marketing import consent
from orders.links import absolute_url
from orders.models import Order, OrderEvent
from orders.notifications import claim_notification, email_message, order_link
from orders.services import record_order_event

from . import selectors
from .links import invitation_path
from .models import ReviewInvitation

DELIVERED = {Order.FulfillmentStatus.DELIVERED, Order.FulfillmentStatus.PARTIALLY_RETURNED}


def send_review_invitation(*, order_id: int) -> bool:
    """Invite the shopper to review what their delivered order brought. Returns True when
    this call sent it; False when it was sent before, the order isn't delivered, there is
    nothing left to review, or the address unsubscribed."""
    order = Order.objects.select_related("billing_address").filter(pk=order_id).first()
    if order is None or order.fulfillment_status not in DELIVERED:
        return False
    if ReviewInvitation.objects.filter(order_id=order_id, sent_at__isnull=False).exists():
        return False
    if consent.has_unsubscribed(order.email) or consent.is_suppressed(order.email):
        return False
    items = [item for item in selectors.reviewable_items(order) if item.can_review]
    if not items:
        return False
    with transaction.atomic():
        if not claim_notification(ReviewInvitation, order=order,
                                  defaults={"recipient": order.email}):
            return False
        context = {"order": order, "items": items, "shop_name": settings.SHOP_NAME,
                   "review_link": absolute_url(invitation_path(order)),
                   "order_link": order_link(order), "is_guest": order.user_id is None}
        email_message(template="review_invitation", context=context, to=order.email,
                      subject=f"How is your order {order.number}? Tell others").send()
    record_order_event(order_id=order_id, event_type=OrderEvent.Type.EMAIL_SENT,
                       message=f"Review invitation emailed to {order.email}.",
                       data={"kind": "review_invitation"})
    return True
