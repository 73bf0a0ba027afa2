"""Refunding a captured payment, once per idempotency key."""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction
from django.db.models import Sum

from kernel.money import Money

from .. import locks
from ..exceptions import PaymentError
from ..models import GatewayCall, Payment
from .recording import call_gateway, record_result

State = Payment.State


def refund_payment(*, payment: Payment, amount: Decimal, reason: str = "", actor=None,
                   idempotency_key: str | None = None) -> GatewayCall:
    """Refund part or all of a captured payment, never more than captured and not yet
    refunded (counting refunds still in flight).

    Pass the same ``idempotency_key`` to retry a refund: it is made once.
    """
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
            in_flight = payment.calls.filter(
                kind=GatewayCall.Kind.REFUND, outcome=GatewayCall.Outcome.IN_FLIGHT,
            ).aggregate(total=Sum("amount"))["total"] or Decimal("0")
            refundable = payment.refundable_amount - in_flight
            if not (amount > 0 and amount.as_tuple().exponent >= -2):
                raise PaymentError("Enter a refund amount above zero.")
            if amount > refundable:
                raise PaymentError(f"At most {Money(refundable, payment.currency)} can be "
                                   "refunded on this payment.", code="refund_too_large")
            number = payment.calls.filter(kind=GatewayCall.Kind.REFUND).count() + 1
            existing = GatewayCall.objects.create(
                payment=payment, kind=GatewayCall.Kind.REFUND, amount=amount,
                currency=payment.currency,
                idempotency_key=idempotency_key or f"{payment.token}:refund:{number}")
    call = existing
    result = call_gateway(call, lambda gw: gw.refund(
        reference=payment.gateway_reference, amount=call.amount, currency=payment.currency,
        idempotency_key=call.idempotency_key))
    record_result(call, result, actor=actor, reason=reason)
    call.refresh_from_db()
    if not result.success:
        raise PaymentError(f"The refund failed: {result.error}")
    return call
