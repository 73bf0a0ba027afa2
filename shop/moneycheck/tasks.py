"""Money check background work: thin, idempotent, acks_late, retried on mail errors."""

from __future__ import annotations

from smtplib import SMTPException

from celery import shared_task
from django.db import OperationalError

from . import services


@shared_task(acks_late=True, autoretry_for=(SMTPException, OSError, OperationalError),
             retry_backoff=True, max_retries=5)
def nightly_money_check() -> bool:
    """Beat, nightly: check every money invariant; email the merchant once when something
    is wrong. Returns whether an email went out."""
    return services.run_nightly_money_check()
