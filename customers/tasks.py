"""Customers' background work. Thin: load ids, call one service; idempotent."""

from __future__ import annotations

from smtplib import SMTPException

from celery import shared_task

from kernel.enqueue import enqueue

from . import services

EMAIL_RETRY = {"acks_late": True, "autoretry_for": (SMTPException, OSError),
               "retry_backoff": True, "max_retries": 5}


@shared_task(acks_late=True)
def refresh_customer_segments() -> int:
    """Nightly (CELERY_BEAT_SCHEDULE) and from admin's "Refresh now"."""
    return services.refresh_customer_segments()


@shared_task(**EMAIL_RETRY)
def send_contact_message_to_merchant(message_id: int) -> bool:
    return services.notify_merchant_of_contact_message(message_id=message_id)


@shared_task(**EMAIL_RETRY)
def send_voucher_campaign(campaign_id: int) -> int:
    """A batch of a campaign's emails; queues itself again while recipients wait."""
    remaining = services.send_campaign_vouchers(campaign_id=campaign_id)
    if remaining:
        enqueue(send_voucher_campaign, campaign_id)
    return remaining
