"""Marketing background work. Thin: load by id, call one service; idempotent."""

from __future__ import annotations

from datetime import timedelta
from smtplib import SMTPException

from celery import shared_task
from django.utils import timezone

from kernel.enqueue import enqueue

from . import recovery
from .delivery import deliver_queued_email
from .models import MarketingEmail

SWEEP_AFTER = timedelta(minutes=10)
SWEEP_WITHIN = timedelta(days=2)  # older queued emails are stale news: left unsent

EMAIL_RETRY = {"acks_late": True, "autoretry_for": (SMTPException, OSError),
               "retry_backoff": True, "max_retries": 5}


@shared_task(**EMAIL_RETRY)
def send_queued_marketing_email(email_id: int) -> bool:
    """Send one logged marketing email (consent and the kind's guard re-checked)."""
    return deliver_queued_email(email_id=email_id)


@shared_task(acks_late=True)
def remind_abandoned_checkouts() -> int:
    """Beat, every five minutes: carts due their first (or optional second) reminder get
    it. Safe to run twice: a reminder per cart and number is unique, checked under the
    cart's lock. Returns how many reminders were queued."""
    queued = 0
    for number in (1, 2):
        for cart_id in recovery.due_cart_ids(number=number):
            queued += recovery.send_cart_reminder(cart_id=cart_id, number=number)
    return queued


@shared_task(acks_late=True)
def sweep_marketing_emails() -> int:
    """Beat, every ten minutes: marketing emails still queued ten minutes after they were
    written (a task lost between commit and broker) are queued again. Sending twice is
    harmless: delivery locks the row and sends only a queued one."""
    now = timezone.now()
    email_ids = list(MarketingEmail.objects.filter(
        status=MarketingEmail.Status.QUEUED, created_at__lte=now - SWEEP_AFTER,
        created_at__gte=now - SWEEP_WITHIN).order_by("pk").values_list("pk", flat=True)[:500])
    for email_id in email_ids:
        enqueue(send_queued_marketing_email, email_id)
    return len(email_ids)
