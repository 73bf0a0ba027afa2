"""Payment background work: the receipt email, voiding payments of canceled orders, and
fetching a payment's risk rating that a webhook did not carry."""

from __future__ import annotations

import logging
from datetime import timedelta
from smtplib import SMTPException

from celery import shared_task
from django.db.models import Exists, OuterRef
from django.utils import timezone

from kernel.errors import ShopError
from kernel.money import Money
from orders.models import Order, OrderNotification
from orders.notifications import send_order_email

from . import services
from .exceptions import GatewayUnavailable
from .models import Payment

logger = logging.getLogger(__name__)


@shared_task(acks_late=True, autoretry_for=(SMTPException, OSError), retry_backoff=True,
             max_retries=5)
def send_payment_receipt(order_id: int) -> bool:
    payment = (Payment.objects.filter(order_id=order_id, state__in=[
        Payment.State.CAPTURED, Payment.State.AUTHORIZED, Payment.State.PARTIALLY_REFUNDED,
        Payment.State.REFUNDED]).order_by("created_at").first())
    if payment is None:
        return False
    amount = payment.captured_amount or payment.amount
    return send_order_email(order_id=order_id, kind=OrderNotification.Kind.RECEIPT,
                            context_extra={"card_label": payment.card_label,
                                           "amount_paid": str(Money(amount, payment.currency)),
                                           "authorized_only": payment.state == "authorized"})


@shared_task(acks_late=True, autoretry_for=(GatewayUnavailable,), retry_backoff=True,
             max_retries=8)
def void_open_payments(order_id: int) -> int:
    """A canceled order's payments that were never captured are voided (idempotent). Each
    void re-checks, under the locks, that the order is still canceled and the payment
    still uncaptured: an order a late payment reopened meanwhile keeps its money."""
    voided = 0
    for payment in Payment.objects.filter(order_id=order_id, state__in=[
            Payment.State.PENDING, Payment.State.REQUIRES_ACTION, Payment.State.AUTHORIZED]):
        try:
            if services.void_canceled_order_payment(payment_id=payment.pk) is not None:
                voided += 1
        except GatewayUnavailable:
            raise
        except ShopError as error:  # already moved on (captured meanwhile, or voided)
            logger.info("Payment %s not voided: %s", payment.pk, error.message)
    return voided


@shared_task(acks_late=True)
def make_recorded_refunds(call_ids: list[int]) -> int:
    """Refunds recorded as intents (a capture the order did not owe) are made; one the
    gateway does not answer stays in flight for the sweep. Idempotent: a call already
    answered is skipped. Returns how many problems were left."""
    problems = services.make_cancellation_refunds(call_ids=call_ids)
    for problem in problems:
        logger.warning("Refund of calls %s: %s", call_ids, problem)
    return len(problems)


@shared_task(acks_late=True, autoretry_for=(GatewayUnavailable,), retry_backoff=True,
             max_retries=5)
def sync_payment_risk(payment_id: int) -> bool:
    """A webhook secured a payment without the gateway's risk rating: fetch the payment
    (which records the rating and screens the order again). Idempotent: a payment already
    rated is left alone."""
    payment = Payment.objects.filter(pk=payment_id).first()
    if payment is None or payment.risk_level or payment.state not in services.SCREENED_STATES:
        return False
    services.sync_payment(payment=payment)
    return True


@shared_task(acks_late=True)
def keep_live_payment_holds() -> int:
    """Beat, every minute: unpaid orders whose payment is still under way at the gateway
    keep their stock past the deadline (bounded; see ``services.keep_live_holds``)."""
    return services.keep_live_holds()


@shared_task(acks_late=True)
def finish_requested_cancels() -> int:
    """Beat: captures and refunds a crash left in flight are made again (same idempotency
    keys) and recorded; then cancels recorded as intents whose money was left unsettled
    are settled and the orders canceled. Returns the number of orders canceled."""
    services.finish_calls_in_flight()
    return services.finish_requested_cancels()


@shared_task(acks_late=True)
def sweep_payment_work() -> int:
    """Beat: receipts that a lost task never sent."""
    cutoff = timezone.now() - timedelta(minutes=5)
    order_ids = list(Order.objects.filter(
        paid_at__lt=cutoff, paid_at__gte=timezone.now() - timedelta(days=7),
        total__gt=0,  # nothing paid (a free order, an exchange): no payment, no receipt
    ).filter(~Exists(OrderNotification.objects.filter(
        order=OuterRef("pk"), kind=OrderNotification.Kind.RECEIPT, sent_at__isnull=False)))
        .values_list("pk", flat=True)[:200])
    for order_id in order_ids:
        send_payment_receipt.delay(order_id)
    return len(order_ids)
