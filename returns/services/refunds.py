"""Refunding an inspected return: the refund is decided and committed first, then made at
the gateway by a task with idempotency keys, then recorded."""

from __future__ import annotations

from decimal import Decimal
from functools import partial

from django.db import transaction
from django.utils import timezone

from kernel.errors import InvalidTransition
from kernel.money import Money, parse_amount, quantize
from orders.models import Order, OrderEvent
from payments import services as payment_services
from payments.exceptions import PaymentError
from payments.models import GatewayCall, Payment, RefundReason

from .. import signals
from ..exceptions import ReturnInvalid
from ..locks import return_for_update
from ..models import ReturnRequest
from .timeline import move_to, record_step

State = ReturnRequest.State
REFUNDABLE_PAYMENTS = {Payment.State.CAPTURED, Payment.State.PARTIALLY_REFUNDED}


def refundable_on_order(order: Order) -> Decimal:
    """Captured and not yet refunded across the order's payments, less refunds in flight."""
    total = Decimal("0")
    for payment in order.payments.filter(state__in=REFUNDABLE_PAYMENTS):
        total += payment.refundable_amount  # refunds in flight already left out
    return max(total, Decimal("0"))


def refund_return(*, return_id: int, amount=None, actor=None) -> ReturnRequest:
    """Decide the inspected return's refund (``amount``, default the proposed one) and
    queue it. Staff may adjust the amount, above zero and never above what the order has
    captured and not yet refunded. A second call while one is being made is refused, so
    two clerks (or a double click) make one refund. The gateway is called by
    ``execute_refund`` (a task) after commit."""
    with transaction.atomic():
        return_request = return_for_update(return_id)
        return_request.ensure_can_become(State.REFUNDED)
        if return_request.refund_requested_at is not None:
            raise InvalidTransition(f"A refund for {return_request.number} is already being made.",
                                    code="refund_in_progress")
        currency = return_request.order.currency
        if amount is None or (isinstance(amount, str) and not amount.strip()):
            value = return_request.proposed_refund
        else:
            try:
                value = parse_amount(amount) if isinstance(amount, str) else Decimal(amount)
            except (ValueError, ArithmeticError):
                raise ReturnInvalid("Enter the refund as an amount, such as 24.50.") from None
        if value != quantize(value, currency):
            raise ReturnInvalid(f"Enter the refund in whole {currency} cents.")
        limit = refundable_on_order(return_request.order)
        if value <= 0:
            raise ReturnInvalid("Nothing to refund: enter an amount above zero, or reject "
                                "the return.")
        if value > limit:
            raise ReturnInvalid(f"At most {Money(limit, currency)} can be refunded on order "
                                f"{return_request.order.number} (captured and not yet refunded).",
                                code="refund_too_large")
        return_request.refund_amount = value
        return_request.refund_requested_at = timezone.now()
        return_request.refund_attempts += 1
        return_request.refund_error = ""
        return_request.save()
        adjusted = "" if value == return_request.proposed_refund else \
            f" (proposed {Money(return_request.proposed_refund, currency)})"
        record_step(return_request, f"Refund of {Money(value, currency)} decided{adjusted}.",
                    actor=actor)
        transaction.on_commit(partial(signals.return_refund_requested.send,
                                      sender=ReturnRequest, return_id=return_request.pk))
        return return_request


def execute_refund(*, return_id: int, actor=None) -> ReturnRequest:
    """Make the decided refund at the gateway, then record it. Idempotent: each payment's
    part has a key derived from the return and the attempt, so a task that runs twice (or
    twice at once) refunds once; a return already refunded is left alone. A gateway that
    is down raises ``GatewayUnavailable`` for the task to retry; a refused refund clears
    the decision so staff can try again, and says why."""
    return_request = ReturnRequest.objects.select_related("order").get(pk=return_id)
    if return_request.state != State.INSPECTED or return_request.refund_requested_at is None:
        return return_request
    remaining = return_request.refund_amount
    try:
        for payment in return_request.order.payments.order_by("pk"):
            key = f"{return_request.number}:refund:{return_request.refund_attempts}:{payment.token}"
            done = GatewayCall.objects.filter(idempotency_key=key).first()
            if done is not None:
                part = done.amount
            else:
                part = min(remaining, payment.refundable_amount) \
                    if payment.state in REFUNDABLE_PAYMENTS else Decimal("0")
            if part <= 0:
                continue
            call = payment_services.refund_payment(
                payment=payment, amount=part, reason=f"Return {return_request.number}", actor=actor,
                idempotency_key=key, refund_reason=RefundReason.RETURN,
                refund_reference=return_request.number)
            if call.outcome == GatewayCall.Outcome.FAILED:
                raise PaymentError(f"The refund failed: {call.error or 'declined'}")
            remaining -= part
            if remaining <= 0:
                break
    except PaymentError as error:  # GatewayUnavailable is not one: the task retries it
        with transaction.atomic():
            return_request = return_for_update(return_id)
            return_request.refund_requested_at = None
            return_request.refund_error = error.message[:300]
            return_request.save()
            record_step(return_request, f"Refund failed: {error.message}", actor=actor,
                        order_event=OrderEvent.Type.NOTE)
        return return_request
    with transaction.atomic():
        return_request = return_for_update(return_id)
        if return_request.state == State.REFUNDED:
            return return_request
        return_request.refunded_amount = (return_request.refund_amount
                                          - max(remaining, Decimal("0")))
        return_request.closed_at = timezone.now()
        move_to(return_request, State.REFUNDED,
                f"Refunded {return_request.money('refunded_amount')} to the original payment.",
                actor=actor, order_event=OrderEvent.Type.NOTE)
        return return_request
