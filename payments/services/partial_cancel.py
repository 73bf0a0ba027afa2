"""The money side of a cancel after part of the order shipped (the orchestration is in
``returns.services.cancel_after_shipping``): the share of the units that had not left is
refunded as a cancellation, intent first.

1. Inside the caller's transaction (the shipments, then the order's payments and the order
   locked): the refund calls are recorded, in flight, each with its idempotency key,
   together with the canceled shipments and released units. Commit.
2. Outside any transaction: each call is made and its answer recorded in its own short
   transaction. A gateway that does not answer leaves the call in flight, and the sweep
   (``finish_calls_in_flight``) makes it again with the same key.
"""

from __future__ import annotations

from decimal import Decimal

from kernel.money import Money

from .. import locks
from ..exceptions import GatewayUnavailable, PaymentError
from ..models import GatewayCall, RefundReason
from .recording import call_gateway, record_result
from .settlement import REFUNDED_ON_CANCEL, VOIDED_ON_CANCEL, request_for

Kind = GatewayCall.Kind
CANCEL_PART_KEY = ":cancel-part"


def record_cancellation_refunds(*, order_id: int, amount: Decimal, note: str,
                                actor=None) -> tuple[list[GatewayCall], Decimal]:
    """Record (not make) the refund of ``amount`` for units canceled before they left,
    split over the order's captured payments oldest first. Call inside a transaction; the
    order's payments and the order are locked here.

    Preconditions: no capture of the order's payment is in flight, and no payment is only
    authorized while money is owed (a capture at shipment that failed): both refused with
    PaymentError before anything is written. Guarantees: never more than a payment's
    refundable amount (refunds in flight left out); returns the calls and the amount
    recorded, which is less than ``amount`` only when less is left to refund (an earlier
    adjustment or goodwill refund gave part of it back already)."""
    order = locks.order_with_payments_for_update(order_id)
    payments = list(order.payments.order_by("pk"))
    if GatewayCall.objects.filter(payment__in=payments, kind=Kind.CAPTURE,
                                  outcome=GatewayCall.Outcome.IN_FLIGHT).exists():
        raise PaymentError(f"A capture of order {order.number}'s payment is under way; "
                           "cancel again in a minute.", code="capture_in_progress")
    if amount > 0 and any(payment.state in VOIDED_ON_CANCEL and payment.gateway_reference
                          for payment in payments):
        raise PaymentError(f"Order {order.number}'s payment is authorized but not captured "
                           "although part of it shipped; capture it first, then cancel.",
                           code="not_captured")
    remaining, calls = amount, []
    for payment in payments:
        if remaining <= 0:
            break
        if payment.state not in REFUNDED_ON_CANCEL:
            continue
        part = min(remaining, payment.refundable_amount)
        if part <= 0:
            continue
        tried = payment.calls.filter(kind=Kind.REFUND).count()
        calls.append(GatewayCall.objects.create(
            payment=payment, kind=Kind.REFUND, amount=part, currency=payment.currency,
            idempotency_key=f"{payment.token}{CANCEL_PART_KEY}:{tried + 1}",
            refund_reason=RefundReason.CANCELLATION, refund_note=(note or "Canceled")[:300],
            requested_by=actor if getattr(actor, "is_authenticated", False) else None))
        remaining -= part
    return calls, amount - max(remaining, Decimal("0"))


def make_cancellation_refunds(*, call_ids: list[int], actor=None) -> list[str]:
    """Make the recorded refunds at the gateway (outside any transaction) and record each
    answer. Returns what went wrong, in words for staff: a refusal (the call is failed; the
    refund is then made by hand) or a gateway not answering (the sweep makes it again).
    Safe to run twice: a call already answered is skipped."""
    problems = []
    calls = (GatewayCall.objects.filter(pk__in=call_ids, outcome=GatewayCall.Outcome.IN_FLIGHT)
             .select_related("payment").order_by("pk"))
    for call in calls:
        refund = Money(call.amount, call.currency)
        try:
            result = call_gateway(call, request_for(call))
        except GatewayUnavailable:
            problems.append(f"the payment service did not answer the refund of {refund}; it "
                            "is made again automatically in a few minutes")
            continue
        record_result(call, result, actor=actor, reason=call.refund_note)
        if not result.success:
            problems.append(f"the refund of {refund} was refused ({result.error or 'declined'}"
                            "); refund it by hand")
    return problems
