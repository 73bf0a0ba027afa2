"""Order background work. Thin: load by id, call one service; idempotent; after commit."""

from __future__ import annotations

import logging
from datetime import timedelta
from smtplib import SMTPException

from celery import shared_task
from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from kernel.enqueue import enqueue

from . import locks, services
from .models import Allocation, Order, OrderNotification
from .notifications import (
    send_order_email,
    send_order_received_email,
    send_stock_shortfall_email,
)

logger = logging.getLogger(__name__)
EMAIL_RETRY = {"acks_late": True, "autoretry_for": (SMTPException, OSError),
               "retry_backoff": True, "max_retries": 5}
SWEEP_AFTER = timedelta(minutes=5)


@shared_task(**EMAIL_RETRY)
def send_order_received(order_id: int) -> bool:
    """Placed: "received, awaiting payment" (or the confirmation when nothing is due)."""
    return send_order_received_email(order_id=order_id)


@shared_task(**EMAIL_RETRY)
def send_order_confirmation(order_id: int) -> bool:
    """Paid: "Order confirmed". Does nothing for an order that isn't paid."""
    return send_order_email(order_id=order_id, kind=OrderNotification.Kind.CONFIRMATION)


@shared_task(**EMAIL_RETRY)
def send_payment_reminder(order_id: int) -> bool:
    """Once per order; nothing when it was paid or canceled meanwhile."""
    return send_order_email(order_id=order_id, kind=OrderNotification.Kind.PAYMENT_REMINDER)


@shared_task(acks_late=True)
def remind_unpaid_orders() -> int:
    """Beat, every minute: unpaid orders whose deadline is less than
    SHOP_PAYMENT_REMINDER_MINUTES away get their one reminder (the notification claim
    keeps it to one, however often this runs or the deadline is extended)."""
    now = timezone.now()
    order_ids = list(Order.objects.filter(
        status=Order.Status.OPEN, payment_status=Order.PaymentStatus.UNPAID,
        payment_due_by__gt=now,
        payment_due_by__lte=now + timedelta(minutes=settings.SHOP_PAYMENT_REMINDER_MINUTES))
        .filter(_without(OrderNotification.Kind.PAYMENT_REMINDER))
        .order_by("payment_due_by").values_list("pk", flat=True)[:500])
    for order_id in order_ids:
        enqueue(send_payment_reminder, order_id)
    return len(order_ids)


@shared_task(**EMAIL_RETRY)
def send_order_cancellation(order_id: int) -> bool:
    return send_order_email(order_id=order_id, kind=OrderNotification.Kind.CANCELLATION)


@shared_task(**EMAIL_RETRY)
def send_stock_shortfall_notice(order_id: int, kind: str) -> bool:
    return send_stock_shortfall_email(order_id=order_id, kind=kind)


@shared_task(acks_late=True)
def allocate_backorders() -> int:
    """Beat, every ten minutes: orders waiting on a stock shortfall get their stock as
    soon as it is there (a receipt, a return, a canceled order), and then ship."""
    return sum(services.retry_allocation(shortfall_id=shortfall_id)
               for shortfall_id in services.open_shortfall_ids())


@shared_task(acks_late=True)
def cancel_expired_unpaid_orders() -> int:
    """Beat, every minute: cancel orders not paid by their deadline, releasing stock."""
    canceled = sum(services.cancel_expired_unpaid_order(order_id=order_id)
                   for order_id in services.expired_unpaid_order_ids())
    if canceled:
        logger.info("Canceled %d unpaid order(s) past their payment deadline", canceled)
    return canceled


def _without(kind: str):
    return ~Exists(OrderNotification.objects.filter(order=OuterRef("pk"), kind=kind,
                                                    sent_at__isnull=False))


@shared_task(acks_late=True)
def sweep_order_work() -> dict[str, int]:
    """Beat, every five minutes: redo what a lost task (broker down, worker killed) left
    undone. Each step is idempotent, so finding work that is merely slow is harmless."""
    cutoff = timezone.now() - SWEEP_AFTER
    recent = timezone.now() - timedelta(days=7)
    received = list(Order.objects.filter(
        placed_at__lt=cutoff, placed_at__gte=recent, status=Order.Status.OPEN,
        payment_status=Order.PaymentStatus.UNPAID, payment_due_by__gt=timezone.now())
        .filter(_without(OrderNotification.Kind.RECEIVED))
        .filter(_without(OrderNotification.Kind.CONFIRMATION))
        .values_list("pk", flat=True)[:200])
    for order_id in received:
        send_order_received.delay(order_id)
    confirmations = list(Order.objects.filter(paid_at__lt=cutoff, paid_at__gte=recent)
                         .filter(_without(OrderNotification.Kind.CONFIRMATION))
                         .values_list("pk", flat=True)[:200])
    for order_id in confirmations:
        send_order_confirmation.delay(order_id)
    cancellations = list(Order.objects.filter(status=Order.Status.CANCELED,
                                              canceled_at__lt=cutoff, canceled_at__gte=recent)
                         .filter(_without(OrderNotification.Kind.CANCELLATION))
                         .values_list("pk", flat=True)[:200])
    for order_id in cancellations:
        send_order_cancellation.delay(order_id)
    held = list(Order.objects.filter(status=Order.Status.CANCELED).filter(
        Exists(Allocation.objects.filter(order_line__order=OuterRef("pk"))))
        .values_list("pk", flat=True)[:200])
    for order_id in held:
        with transaction.atomic():
            services.release_order_stock(locks.order_for_update(order_id))
    return {"received": len(received), "confirmations": len(confirmations),
            "cancellations": len(cancellations), "released": len(held)}
