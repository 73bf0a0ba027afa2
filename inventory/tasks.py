"""Inventory background work. Thin: load ids, call one service; idempotent, acks_late,
retried with backoff on transient (mail server) errors."""

from __future__ import annotations

from smtplib import SMTPException

from celery import shared_task

from . import services


@shared_task(acks_late=True, autoretry_for=(SMTPException, OSError), retry_backoff=True,
             max_retries=5)
def email_purchase_order(purchase_order_id: int) -> bool:
    return services.email_purchase_order(purchase_order_id=purchase_order_id)


@shared_task(acks_late=True, autoretry_for=(SMTPException, OSError), retry_backoff=True,
             max_retries=5)
def check_stock_levels() -> int:
    """Beat: draft purchase orders for what needs reordering, then the day's low-stock
    digest. Run twice, it drafts nothing more and sends no second digest. Returns the
    units drafted."""
    lines = services.draft_reorders()
    services.send_low_stock_digest(lines=lines)
    return sum(line.ordered for line in lines)
