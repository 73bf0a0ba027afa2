"""Delivering a logged marketing email (the task's work): consent and the kind's send
guard checked again under the row's lock, the unsubscribe link and headers added."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone

from .consent import may_email_marketing
from .links import unsubscribe_url
from .models import MarketingEmail

# kind -> guard(email_row) -> "" to send, or why not (checked under the row's lock).
_SEND_GUARDS: dict[str, Callable[[MarketingEmail], str]] = {}


def register_send_guard(kind: str, guard: Callable[[MarketingEmail], str]) -> None:
    """A check run at send time, inside the email row's lock, for every email of ``kind``:
    it returns an empty string to send, or the reason not to (kept on the log row)."""
    _SEND_GUARDS[kind] = guard


def build_message(row: MarketingEmail) -> EmailMultiAlternatives:
    link = unsubscribe_url(row.to)
    context = {**row.context, "shop_name": settings.SHOP_NAME, "unsubscribe_url": link}
    message = EmailMultiAlternatives(
        subject=f"{settings.SHOP_NAME}: {row.subject}",
        body=render_to_string(f"emails/{row.template}.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL, to=[row.to],
        headers={"List-Unsubscribe": f"<{link}>",
                 "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"})
    message.attach_alternative(render_to_string(f"emails/{row.template}.html", context),
                               "text/html")
    return message


def deliver_queued_email(*, email_id: int) -> bool:
    """Send one queued marketing email, once. Returns True when this call sent it."""
    with transaction.atomic():
        row = MarketingEmail.objects.select_for_update().filter(pk=email_id).first()
        if row is None or row.status != MarketingEmail.Status.QUEUED:
            return False
        reason = "" if may_email_marketing(row.to) else "No consent (withdrawn before sending)."
        guard = _SEND_GUARDS.get(row.kind)
        if not reason and guard is not None:
            reason = guard(row)
        if reason:
            row.status = MarketingEmail.Status.SKIPPED
            row.skipped_reason = reason[:200]
            row.save(update_fields=["status", "skipped_reason"])
            return False
        row.status = MarketingEmail.Status.SENT
        row.sent_at = timezone.now()
        row.save(update_fields=["status", "sent_at"])
        build_message(row).send()  # inside the lock: two runs never both send
    return True
