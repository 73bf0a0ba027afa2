"""Emails about an order: received (awaiting payment), payment reminder, confirmation
(sent once it is paid: "confirmed" means paid), payment receipt, cancellation.

``send_order_email`` is idempotent: it locks the ``OrderNotification`` row for (order,
kind), marks it sent and sends the email before committing. A parallel run waits on the
lock and then finds it sent; a task delivered twice sends one email; a mail server that
refuses rolls the mark back so the retry sends it. The window that remains: a process that
dies after the mail server accepted the email and before the commit sends it again on
retry (at least once, never lost). Only the notification row is locked while the mail
server is talked to, never the order or stock.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from .links import absolute_url, guest_order_path
from .models import Order, OrderEvent, OrderNotification
from .selectors import order_detail_queryset
from .services import record_order_event
from .shopper import awaiting_payment

logger = logging.getLogger(__name__)

SUBJECTS = {
    OrderNotification.Kind.RECEIVED: "Order {number} received, awaiting payment",
    OrderNotification.Kind.PAYMENT_REMINDER: "Order {number} is still waiting for payment",
    OrderNotification.Kind.CONFIRMATION: "Order {number} confirmed",
    OrderNotification.Kind.RECEIPT: "Receipt for order {number}",
    OrderNotification.Kind.CANCELLATION: "Order {number} canceled",
    OrderNotification.Kind.BACKORDER: "Order {number}: some items are on backorder",
    OrderNotification.Kind.SUBSTITUTE_OFFER: "Order {number}: may we send a substitute?",
    OrderNotification.Kind.STOCK_APOLOGY: "Order {number} canceled and refunded: we're sorry",
}


AWAITING_PAYMENT_KINDS = {OrderNotification.Kind.RECEIVED,
                          OrderNotification.Kind.PAYMENT_REMINDER}


def order_link(order: Order) -> str:
    """Where the shopper follows the order: their account, or a signed link for guests."""
    if order.user_id:
        return absolute_url(reverse("account:order", args=[order.number]))
    return absolute_url(guest_order_path(order))


def claim_notification(model, *, defaults: dict | None = None, **lookup) -> bool:
    """Claim the one notification row for ``lookup`` (order/shipment/return and kind) to
    send it now. Call inside the transaction that then sends the email: the row is locked
    and marked sent first, so a parallel run waits and then finds it sent (False), and a
    mail server that refuses rolls the mark back for the retry. Shared by the order,
    shipment and return emails."""
    notification, _ = model.objects.get_or_create(**lookup, defaults=defaults or {})
    notification = model.objects.select_for_update().get(pk=notification.pk)
    if notification.sent_at is not None:
        return False
    notification.sent_at = timezone.now()
    notification.save(update_fields=["sent_at"])
    return True


def email_message(*, template: str, context: dict, subject: str,
                  to: str) -> EmailMultiAlternatives:
    """The shop's two-part email: ``emails/<template>.txt`` as the body and
    ``emails/<template>.html`` as the HTML alternative."""
    message = EmailMultiAlternatives(
        subject=f"{settings.SHOP_NAME}: {subject}",
        body=render_to_string(f"emails/{template}.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL, to=[to])
    message.attach_alternative(render_to_string(f"emails/{template}.html", context),
                               "text/html")
    return message


def send_order_email(*, order_id: int, kind: str, context_extra: dict | None = None) -> bool:
    """Send the ``kind`` email for an order once. Returns True when this call sent it."""
    with transaction.atomic():
        order = Order.objects.get(pk=order_id)
        if kind in AWAITING_PAYMENT_KINDS and not awaiting_payment(order):
            # Paid (or canceled) meanwhile: "awaiting payment" would be wrong now, and the
            # confirmation (or cancellation) says what happened. Nothing is claimed.
            return False
        if kind == OrderNotification.Kind.CONFIRMATION and order.paid_at is None:
            return False  # "confirmed" means paid
        if not claim_notification(OrderNotification, order=order, kind=kind,
                                  defaults={"recipient": order.email}):
            return False
        # Sent inside the claim's lock: two runs never both send.
        _build(order_id, kind, context_extra or {}).send()
    record_order_event(order_id=order_id, event_type=OrderEvent.Type.EMAIL_SENT,
                       message=f"{OrderNotification.Kind(kind).label} emailed to {order.email}.",
                       data={"kind": kind})
    return True


def send_order_received_email(*, order_id: int) -> bool:
    """The email sent when an order is placed: "received, awaiting payment" with the link
    back to pay it, or, for an order with nothing to pay (paid as it was placed), the
    confirmation itself. Once each."""
    order = Order.objects.only("paid_at").get(pk=order_id)
    kind = (OrderNotification.Kind.RECEIVED if order.paid_at is None
            else OrderNotification.Kind.CONFIRMATION)
    return send_order_email(order_id=order_id, kind=kind)


def _build(order_id: int, kind: str, extra: dict) -> EmailMultiAlternatives:
    order = order_detail_queryset().get(pk=order_id)
    context = {"order": order, "shop_name": settings.SHOP_NAME, "order_link": order_link(order),
               "is_guest": order.user_id is None, "kind": kind, **extra}
    return email_message(template=f"order_{kind}", context=context, to=order.email,
                         subject=SUBJECTS[kind].format(number=order.number))


def send_stock_shortfall_email(*, order_id: int, kind: str) -> bool:
    """The shopper hears about their order's stock shortfall: a backorder (with the
    expected date), a substitute offer (with the signed link to answer it), or the apology
    when it was canceled and refunded. Once per order and kind."""
    from .models import StockShortfall
    from .services.stock_shortfalls import substitute_signature

    shortfall = (StockShortfall.objects.filter(order_id=order_id)
                 .select_related("substitute_line", "substitute_variant").order_by("-pk").first())
    if shortfall is None:
        return False
    extra = {"shortfall": shortfall}
    if kind == OrderNotification.Kind.SUBSTITUTE_OFFER:
        extra["offer_link"] = absolute_url(reverse("account:substitute_offer",
                                                   args=[substitute_signature(shortfall)]))
    return send_order_email(order_id=order_id, kind=kind, context_extra=extra)
