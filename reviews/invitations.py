"""The "how was it?" email: once per delivered order, to review each product it brought.

Sent the way order emails are (``orders.notifications.claim_notification``: the
invitation row is locked and marked sent, the email sent inside that lock, so a task run
twice sends one email). Not sent to an address that unsubscribed from the shop's email
(``marketing.consent.has_unsubscribed``): an invitation is a request, not a receipt.
"""

from __future__ import annotations

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef, Q

from fulfillment.models import Shipment
from marketing import consent
from orders.links import absolute_url
from orders.models import Order, OrderEvent
from orders.notifications import claim_notification, email_message, order_link
from orders.services import record_order_event

from . import selectors
from .links import invitation_path
from .models import ReviewInvitation

DELIVERED = {Order.FulfillmentStatus.DELIVERED, Order.FulfillmentStatus.PARTIALLY_RETURNED}


def _skip(order: Order, reason: str) -> bool:
    """Record that this order gets no invitation, so the sweep stops asking."""
    ReviewInvitation.objects.get_or_create(order=order, defaults={"recipient": order.email})
    ReviewInvitation.objects.filter(order=order, sent_at__isnull=True).update(
        skipped_reason=reason)
    return False


def orders_awaiting_invitation(*, delivered_after, delivered_before) -> list[int]:
    """Delivered orders whose invitation was neither sent nor skipped: the task was lost
    (broker down, worker killed). At most 200 a run."""
    decided = ReviewInvitation.objects.filter(order=OuterRef("pk")).filter(
        Q(sent_at__isnull=False) | ~Q(skipped_reason=""))
    delivered = Shipment.objects.filter(order=OuterRef("pk"), state=Shipment.State.DELIVERED,
                                        delivered_at__gte=delivered_after,
                                        delivered_at__lt=delivered_before)
    return list(Order.objects.filter(fulfillment_status__in=DELIVERED)
                .filter(Exists(delivered)).filter(~Exists(decided))
                .order_by("pk").values_list("pk", flat=True)[:200])


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
        return _skip(order, "unsubscribed")
    items = [item for item in selectors.reviewable_items(order) if item.can_review]
    if not items:
        return _skip(order, "nothing to review")
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
