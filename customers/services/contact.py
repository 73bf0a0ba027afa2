"""The contact form's messages: received, emailed to the merchant, answered by staff."""

from __future__ import annotations

from functools import partial

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone

from orders.models import Order

from ..models import ContactMessage
from ..signals import contact_message_received


def submit_contact_message(*, name: str, email: str, subject: str, message: str,
                           order_number: str = "") -> ContactMessage:
    """Keep a shopper's message and have it emailed to the merchant after commit.

    The message is linked to an order only when ``order_number`` names an order placed
    with this same email (case-insensitive); the caller answers the same either way, so
    the form never tells whether an order number exists. The form has bounded the
    lengths; the service trims again so no caller can store more.
    """
    email = email.strip().lower()
    order_number = order_number.strip().lstrip("#").strip().upper()[:20]
    order = None
    if order_number:  # by the unique number's index, then the email (as typed at checkout)
        order = Order.objects.filter(number=order_number, email__iexact=email).first()
    with transaction.atomic():
        contact = ContactMessage.objects.create(
            name=name.strip()[:100], email=email[:254], order=order,
            order_number=order_number, subject=subject.strip()[:150],
            message=message.strip()[:5000])
        transaction.on_commit(partial(contact_message_received.send, sender=ContactMessage,
                                      message_id=contact.pk))
    return contact


def merchant_addresses() -> list[str]:
    """SHOP_MERCHANT_EMAIL, else the ADMINS, else the shop's own address (as the nightly
    checks do)."""
    if getattr(settings, "SHOP_MERCHANT_EMAIL", ""):
        return [settings.SHOP_MERCHANT_EMAIL]
    return [email for _, email in settings.ADMINS] or [settings.DEFAULT_FROM_EMAIL]


def notify_merchant_of_contact_message(*, message_id: int) -> bool:
    """Email the merchant a contact message once: from the shop's name, Reply-To the
    shopper. Marked under the row's lock before the send, inside the transaction, so a task
    run twice sends once and a refused send is retried. Returns True when sent now."""
    with transaction.atomic():
        contact = (ContactMessage.objects.select_for_update(of=("self",)).select_related("order")
                   .filter(pk=message_id).first())
        if contact is None or contact.merchant_notified_at is not None:
            return False
        contact.merchant_notified_at = timezone.now()
        contact.save(update_fields=["merchant_notified_at"])
        body = render_to_string("emails/customers/contact_message.txt", {
            "contact": contact, "shop_name": settings.SHOP_NAME,
            "admin_url": f"{settings.SHOP_BASE_URL.rstrip('/')}/{settings.ADMIN_URL}"
                         f"customers/contactmessage/{contact.pk}/change/"})
        EmailMessage(subject=f"Contact form: {contact.subject}"[:200], body=body,
                     from_email=settings.DEFAULT_FROM_EMAIL, to=merchant_addresses(),
                     reply_to=[contact.email]).send()
    return True


def set_contact_message_status(*, message_id: int, status: str, actor) -> ContactMessage:
    """Move a message to ``status`` (answered, closed, open again), checked under its lock
    (``InvalidTransition`` otherwise). Answering records who and when."""
    with transaction.atomic():
        contact = ContactMessage.objects.select_for_update().get(pk=message_id)
        contact.ensure_can_become(status)
        contact.status = status
        fields = ["status"]
        if status == ContactMessage.Status.ANSWERED:
            contact.answered_at, contact.answered_by = timezone.now(), actor
            fields += ["answered_at", "answered_by"]
        contact.save(update_fields=fields)
    return contact
