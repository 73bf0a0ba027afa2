"""What a gateway tells us on its own (Stripe webhooks, a sync): a payment moved, a refund
made elsewhere, a risk rating."""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction
from django.db.models import Sum

from kernel.money import Money
from orders import services as order_services
from orders.models import OrderEvent

from .. import locks
from ..models import GatewayCall, Payment
from .recording import SCREENED_STATES, add_refund, describe, move_payment_to, screen_order

State = Payment.State


def set_refunded_total(*, payment: Payment, refunded_total: Decimal, reason: str = "") -> Payment:
    """The gateway reports a refunded total (a Stripe ``charge.refunded``); add what we had
    not recorded. Refunds made through us are already counted, so a repeated report adds
    nothing. A refund of ours still in flight is left out too: its report can overtake our
    own record of the answer, which will count it (counting it here as well would refund
    twice on paper). Every refund brings a new report with the new total, so a refund made
    elsewhere meanwhile is counted by the next one."""
    with transaction.atomic():
        payment = locks.payment_for_update(payment.pk)
        in_flight = payment.calls.filter(
            kind=GatewayCall.Kind.REFUND, outcome=GatewayCall.Outcome.IN_FLIGHT,
        ).aggregate(total=Sum("amount"))["total"] or Decimal("0")
        missing = (min(refunded_total, payment.captured_amount) - payment.refunded_amount
                   - in_flight)
        if missing > 0 and payment.state in {State.CAPTURED, State.PARTIALLY_REFUNDED}:
            add_refund(payment, missing, reason=reason or "refunded at the gateway")
            # Not a decision taken in the shop: goods still to ship wait for one.
            order_services.hold_for_gateway_refund(
                order_id=payment.order_id, amount=str(Money(missing, payment.currency)))
        return payment


def record_gateway_risk(*, payment: Payment, risk_level: str) -> Payment:
    """The gateway rated a payment (Stripe's charge outcome, reported by a webhook or a
    sync): store the rating and, if the order was already screened without it, screen the
    order again so an elevated or highest rating can still hold it.

    Guarantees: a repeated or empty rating changes nothing; a payment not yet secured is
    screened with the stored rating when it is.
    """
    with transaction.atomic():
        payment = locks.payment_for_update(payment.pk)
        risk_level = risk_level[:20]
        if not risk_level or risk_level == payment.risk_level:
            return payment
        payment.risk_level = risk_level
        payment.save(update_fields=["risk_level", "updated_at"])
        if payment.state in SCREENED_STATES:
            screen_order(payment)
        return payment


def move_payment(*, payment: Payment, state: str, amount: Decimal | None = None,
                 message: str = "", risk_level: str = "") -> Payment:
    """Move a payment as a gateway notification says (webhooks); forward moves only.
    ``risk_level``, when the notification carries the gateway's rating, is stored first so
    the fraud screening that comes with securing the payment uses it."""
    with transaction.atomic():
        payment = locks.payment_for_update(payment.pk)
        risk_changed = bool(risk_level) and risk_level[:20] != payment.risk_level
        if risk_changed:
            payment.risk_level = risk_level[:20]
            payment.save(update_fields=["risk_level", "updated_at"])
        screened_before = payment.state in SCREENED_STATES
        if state == State.FAILED and payment.gateway == Payment.Gateway.STRIPE:
            # A failed attempt leaves a Stripe PaymentIntent open for another try.
            if payment.state in Payment.LIVE_STATES:
                payment.error = message[:300]
                payment.save(update_fields=["error", "updated_at"])
                order_services.record_order_event(
                    order_id=payment.order_id, event_type=OrderEvent.Type.PAYMENT_FAILED,
                    message=describe(payment, State.FAILED, message))
            return payment
        payment = move_payment_to(payment, state, amount=amount, message=message)
        if risk_changed and screened_before:
            screen_order(payment)
        return payment
