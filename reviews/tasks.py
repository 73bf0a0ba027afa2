"""Reviews background work: the invitation email. Thin and idempotent."""

from __future__ import annotations

from smtplib import SMTPException

from celery import shared_task

from .invitations import send_review_invitation as send_invitation


@shared_task(acks_late=True, autoretry_for=(SMTPException, OSError), retry_backoff=True,
             max_retries=5)
def send_review_invitation(order_id: int) -> bool:
    return send_invitation(order_id=order_id)
