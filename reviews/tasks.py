"""Reviews background work: the invitation email. Thin and idempotent."""

from __future__ import annotations

from datetime import timedelta
from smtplib import SMTPException

from celery import shared_task
from django.utils import timezone

from .invitations import orders_awaiting_invitation
from .invitations import send_review_invitation as send_invitation

# A delivery's own task normally sends the invitation within seconds; the sweep looks at
# deliveries older than this (so it does not race that task) and younger than two weeks.
SWEEP_AFTER = timedelta(minutes=15)
SWEEP_WINDOW = timedelta(days=14)


@shared_task(acks_late=True, autoretry_for=(SMTPException, OSError), retry_backoff=True,
             max_retries=5)
def send_review_invitation(order_id: int) -> bool:
    return send_invitation(order_id=order_id)


@shared_task(acks_late=True)
def sweep_review_invitations() -> int:
    """Beat, hourly: queue the invitations a lost task left unsent. Safe to overlap with
    the delivery's own task: the invitation is claimed under its row's lock."""
    now = timezone.now()
    order_ids = orders_awaiting_invitation(delivered_after=now - SWEEP_WINDOW,
                                           delivered_before=now - SWEEP_AFTER)
    for order_id in order_ids:
        send_review_invitation.delay(order_id)
    return len(order_ids)
