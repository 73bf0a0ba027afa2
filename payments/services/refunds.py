"""Refunding a captured payment, once per idempotency key."""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction

from kernel.money import Money

from .. import locks
from ..exceptions import PaymentError, RefundNotAllowed
from ..models import (
    DECISION_REASONS,
    REFUND_ADJUSTMENT_PERMISSION,
    GatewayCall,
    Payment,
    RefundReason,
)
from .recording import call_gateway, record_result

State = Payment.State


def ensure_may_refund(*, refund_reason: str, actor) -> None:
    """A price adjustment or goodwill refund has no goods behind it: only a person whose
    role holds ``payments.refund_adjustment`` may make one, and they must say why."""
    if refund_reason and refund_reason not in RefundReason.values:
        raise PaymentError(f"Unknown refund reason: {refund_reason}.")
    if refund_reason in DECISION_REASONS and (
            actor is None or not actor.has_perm(REFUND_ADJUSTMENT_PERMISSION)):
        label = RefundReason(refund_reason).label.lower()
        raise RefundNotAllowed(f"Your role may not make a {label} refund; refunds for "
                               "returned goods go through the return.")


def refund_payment(*, payment: Payment, amount: Decimal, reason: str = "", actor=None,
                   idempotency_key: str | None = None, refund_reason: str = "",
                   refund_reference: str = "") -> GatewayCall:
    """Refund part or all of a captured payment, never more than captured and not yet
    refunded (counting refunds still in flight).

    ``refund_reason`` (a ``RefundReason``) says why, and is stored on the refund:
    ``return`` (with the RMA number as ``refund_reference``), ``cancellation``, or a
    decision by staff (``price_adjustment``, ``goodwill``), which needs an ``actor`` holding
    ``payments.refund_adjustment`` (refused, before anything is written, otherwise) and the
    person's words as ``reason``. Pass the same ``idempotency_key`` to retry a refund: it is
    made once.
    """
    ensure_may_refund(refund_reason=refund_reason, actor=actor)
    if refund_reason in DECISION_REASONS and not reason.strip():
        raise PaymentError("Say why this refund is made: it goes on the order's timeline.")
    try:
        amount = Decimal(str(amount))
    except ArithmeticError:
        raise PaymentError("Enter the refund as an amount.") from None
    with transaction.atomic():
        payment = locks.payment_for_update(payment.pk)
        if idempotency_key:
            existing = GatewayCall.objects.filter(idempotency_key=idempotency_key).first()
            if existing is not None and existing.outcome != GatewayCall.Outcome.IN_FLIGHT:
                return existing
        else:
            existing = None
        if existing is None:
            if payment.state not in {State.CAPTURED, State.PARTIALLY_REFUNDED}:
                raise PaymentError("Only a captured payment can be refunded.",
                                   code="not_captured")
            # Counted under the payment's lock, refunds in flight included: a second
            # refund at the same moment waits here and sees the first one's call.
            refundable = payment.refundable_amount
            if not (amount > 0 and amount.as_tuple().exponent >= -2):
                raise PaymentError("Enter a refund amount above zero.")
            if amount > refundable:
                raise PaymentError(f"At most {Money(refundable, payment.currency)} can be "
                                   "refunded on this payment.", code="refund_too_large")
            number = payment.calls.filter(kind=GatewayCall.Kind.REFUND).count() + 1
            existing = GatewayCall.objects.create(
                payment=payment, kind=GatewayCall.Kind.REFUND, amount=amount,
                currency=payment.currency,
                idempotency_key=idempotency_key or f"{payment.token}:refund:{number}",
                refund_reason=refund_reason, refund_reference=refund_reference[:40],
                refund_note=reason[:300],
                requested_by=actor if getattr(actor, "is_authenticated", False) else None)
    call = existing
    result = call_gateway(call, lambda gw: gw.refund(
        reference=payment.gateway_reference, amount=call.amount, currency=payment.currency,
        idempotency_key=call.idempotency_key))
    record_result(call, result, actor=actor, reason=reason)
    call.refresh_from_db()
    if not result.success:
        raise PaymentError(f"The refund failed: {result.error}")
    return call
