"""Privacy background work. Thin: load by id, call one function; idempotent; after commit."""

from __future__ import annotations

from smtplib import SMTPException

from celery import shared_task

from .notifications import send_data_link_email


@shared_task(acks_late=True, autoretry_for=(SMTPException, OSError), retry_backoff=True,
             max_retries=5)
def send_guest_data_link(request_id: int) -> bool:
    """A guest's signed data link, emailed once (``notifications.send_data_link_email``)."""
    return send_data_link_email(request_id=request_id)
