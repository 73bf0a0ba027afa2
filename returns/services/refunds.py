"""Refunding an inspected return: the refund is decided and committed first, then made at
the gateway by a task with idempotency keys, then recorded.

A return refunds at most what it covers (``ReturnRequest.covered_refund``: its accepted
units as paid and the shipping refunded with them). Staff may refund more only as a
goodwill decision: a role holding ``payments.refund_adjustment`` and a reason, the part
above what the return covers made and recorded as a goodwill refund. Never more than the
order has left to refund, counting the refunds other returns of the order have decided and
not yet sent to the gateway, checked with the order's payments locked. A decided refund and
an exchange exclude each other (``exchanges``), each decided under the return's lock.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from functools import partial

from django.db import transaction
from django.db.models import Q, Sum
from django.utils import timezone

from kernel.errors import InvalidTransition
from kernel.money import Money, parse_amount, quantize
from orders.models import Order, OrderEvent
from payments import locks as payment_locks
from payments import services as payment_services
from payments.exceptions import PaymentError, RefundNotAllowed
from payments.models import GatewayCall, Payment, RefundReason

from .. import signals
from ..exceptions import ReturnInvalid
from ..locks import return_for_update
from ..models import ReturnRequest
from .timeline import move_to, record_step

State = ReturnRequest.State
REFUNDABLE_PAYMENTS = {Payment.State.CAPTURED, Payment.State.PARTIALLY_REFUNDED}
# A refund's calls not refused: sent (in flight) or made. Counted against what a decided
# refund still has to take from the order.
SENT = [GatewayCall.Outcome.IN_FLIGHT, GatewayCall.Outcome.SUCCEEDED]


def refundable_on_order(order: Order) -> Decimal:
    """Captured and not yet refunded across the order's payments, less refunds in flight."""
    total = Decimal("0")
    for payment in order.payments.filter(state__in=REFUNDABLE_PAYMENTS):
        total += payment.refundable_amount  # refunds in flight already left out
    return max(total, Decimal("0"))


def refund_headroom(order: Order, *, exclude: ReturnRequest | None = None) -> Decimal:
    """What a return's refund may still take from the order: ``refundable_on_order`` less
    what other returns of the order have decided to refund and not yet sent to the gateway
    (a decided refund's calls count as soon as they are sent, through the payments'
    refunds in flight). Exact with the order's payments locked (``refund_return``); a read
    otherwise (the admin's refund page)."""
    decided = (ReturnRequest.objects.filter(order=order, state=State.INSPECTED,
                                            refund_requested_at__isnull=False)
               .exclude(pk=getattr(exclude, "pk", None)).order_by("pk"))
    waiting = Decimal("0")
    for other in decided:
        sent = (_calls_of_attempt(other).filter(outcome__in=SENT)
                .aggregate(total=Sum("amount"))["total"] or Decimal("0"))
        waiting += max(other.refund_amount - sent, Decimal("0"))
    return max(refundable_on_order(order) - waiting, Decimal("0"))


def _key(return_request: ReturnRequest, part: str, payment: Payment) -> str:
    """The idempotency key of a return refund's part (``refund`` for what the return covers,
    ``goodwill`` above it) at one payment, for the current attempt."""
    return f"{return_request.number}:{part}:{return_request.refund_attempts}:{payment.token}"


def _calls_of_attempt(return_request: ReturnRequest):
    attempt = return_request.refund_attempts
    return GatewayCall.objects.filter(kind=GatewayCall.Kind.REFUND).filter(
        Q(idempotency_key__startswith=f"{return_request.number}:refund:{attempt}:")
        | Q(idempotency_key__startswith=f"{return_request.number}:goodwill:{attempt}:"))


def ensure_no_exchange(return_request: ReturnRequest) -> None:
    """A return exchanged was settled with goods: it is not refunded as well."""
    if return_request.state == State.EXCHANGED:
        replacement = (f" (order {return_request.replacement_order.number})"
                       if return_request.replacement_order_id else "")
        raise InvalidTransition(f"{return_request.number} was exchanged{replacement}; it can't "
                                "be refunded as well.", code="return_exchanged")


def refund_return(*, return_id: int, amount=None, note: str = "", actor=None) -> ReturnRequest:
    """Decide the inspected return's refund (``amount``, default the proposed one) and
    queue it. The gateway is called by ``execute_refund`` (a task) after commit.

    Preconditions, checked with the return locked, then the order's payments and the order:
    the return is inspected, not exchanged, and no refund of it is already being made (so
    two clerks, or a double click, make one refund); the amount is above zero, in whole
    cents, and at most what the order has left to refund, less what other returns of the
    order have decided and not sent yet (``refund_headroom``). Up to what the return covers
    (``covered_refund``) any clerk allowed to refund returns decides it; above that the
    difference is a goodwill refund: ``actor`` must hold ``payments.refund_adjustment``
    (RefundNotAllowed, 403) and ``note`` say why. Everything refused before anything is
    written. Guarantees: the decision, who took it and (for goodwill) why are on the
    return's timeline, the goodwill also on the order's; once decided, the return can't be
    exchanged or rejected until the refund is made or fails."""
    note = (note or "").strip()
    with transaction.atomic():
        return_request = return_for_update(return_id)
        ensure_no_exchange(return_request)
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
        if value <= 0:
            raise ReturnInvalid("Nothing to refund: enter an amount above zero, or reject "
                                "the return.")
        # The order's payments, then the order (the order payments lock in), after the
        # return: a refund another return decides, or any refund sent, waits or is seen.
        order = payment_locks.order_with_payments_for_update(return_request.order_id)
        limit = refund_headroom(order, exclude=return_request)
        if value > limit:
            raise ReturnInvalid(f"At most {Money(limit, currency)} can be refunded on order "
                                f"{order.number} (captured and not yet refunded, less refunds "
                                "other returns have decided).", code="refund_too_large")
        covered = return_request.covered_refund
        goodwill = max(value - covered, Decimal("0"))
        if goodwill:
            _ensure_may_give_goodwill(return_request, covered=covered, note=note, actor=actor)
        return_request.refund_amount = value
        return_request.refund_note = note[:300] if goodwill else ""
        return_request.refund_decided_by = (actor if getattr(actor, "is_authenticated", False)
                                            else None)
        return_request.refund_requested_at = timezone.now()
        return_request.refund_attempts += 1
        return_request.refund_error = ""
        return_request.save()
        adjusted = "" if value == return_request.proposed_refund else \
            f" (proposed {Money(return_request.proposed_refund, currency)})"
        message = f"Refund of {Money(value, currency)} decided{adjusted}."
        if goodwill:
            who = actor.get_username() if getattr(actor, "is_authenticated", False) else "staff"
            message += (f" {Money(goodwill, currency)} of it is a goodwill refund above what "
                        f"the return covers ({Money(covered, currency)}), by {who}: “{note}”.")
        record_step(return_request, message, actor=actor,
                    order_event=OrderEvent.Type.NOTE if goodwill else "")
        transaction.on_commit(partial(signals.return_refund_requested.send,
                                      sender=ReturnRequest, return_id=return_request.pk))
        return return_request


def _ensure_may_give_goodwill(return_request: ReturnRequest, *, covered: Decimal, note: str,
                              actor) -> None:
    currency = return_request.order.currency
    covers = (f"{return_request.number} covers at most {Money(covered, currency)} (its items "
              "as paid" + (", with shipping" if return_request.shipping_refund else "")
              + ", before fees)")
    try:
        payment_services.ensure_may_refund(refund_reason=RefundReason.GOODWILL, actor=actor)
    except RefundNotAllowed:
        raise RefundNotAllowed(f"{covers}. Refunding more is a goodwill refund, which your role "
                               "may not make; refund at most that, or ask someone allowed to "
                               "make refund adjustments.") from None
    if not note:
        raise ReturnInvalid(f"{covers}. Say why you refund more: the difference is a goodwill "
                            "refund and the reason goes on the order's timeline.",
                            code="reason_required")


@dataclass(frozen=True)
class _Part:
    """One gateway refund of a decided return refund: at one payment, for what the return
    covers (``return``) or above it (``goodwill``)."""

    payment: Payment
    key: str
    amount: Decimal
    refund_reason: str


def _plan(return_request: ReturnRequest) -> tuple[list[_Part], Decimal]:
    """The decided refund split into gateway refunds, oldest payment first: what the return
    covers as a return refund, the rest as goodwill. A part whose call exists (a retry, or a
    run at the same time) keeps that call's amount. Returns the parts and what the payments
    can't give (above zero only when other refunds took the order's money since the
    decision)."""
    covered = min(return_request.refund_amount, return_request.covered_refund)
    wanted = [("refund", RefundReason.RETURN, covered),
              ("goodwill", RefundReason.GOODWILL, return_request.refund_amount - covered)]
    payments = list(return_request.order.payments.order_by("pk"))
    room = {payment.pk: payment.refundable_amount if payment.state in REFUNDABLE_PAYMENTS
            else Decimal("0") for payment in payments}
    parts, short = [], Decimal("0")
    for name, refund_reason, amount in wanted:
        remaining = amount
        for payment in payments:
            if remaining <= 0:
                break
            key = _key(return_request, name, payment)
            done = GatewayCall.objects.filter(idempotency_key=key).first()
            part = done.amount if done is not None else min(remaining, room[payment.pk])
            if part <= 0:
                continue
            if done is None:
                room[payment.pk] -= part
            parts.append(_Part(payment, key, part, refund_reason))
            remaining -= part
        short += max(remaining, Decimal("0"))
    return parts, short


def execute_refund(*, return_id: int, actor=None) -> ReturnRequest:
    """Make the decided refund at the gateway, then record it. Idempotent: each payment's
    part has a key derived from the return and the attempt, so a task that runs twice (or
    twice at once) refunds once; a return already refunded is left alone. The part above
    what the return covers is made as a goodwill refund in the name of the person who
    decided it, with their reason. A gateway that is down raises ``GatewayUnavailable`` for
    the task to retry; a refused refund clears the decision so staff can try again, and
    says why; so does an order that no longer has the decided amount to refund (another
    refund took it), before anything is sent: a return is never marked refunded for less
    than decided without saying so."""
    return_request = ReturnRequest.objects.select_related(
        "order", "refund_decided_by").get(pk=return_id)
    if return_request.state != State.INSPECTED or return_request.refund_requested_at is None:
        return return_request
    currency = return_request.order.currency
    goodwill_by = return_request.refund_decided_by or actor
    made = Decimal("0")
    try:
        parts, short = _plan(return_request)
        if short and not _calls_of_attempt(return_request).exists():
            available = return_request.refund_amount - short
            raise PaymentError(
                f"Only {Money(available, currency)} of the {return_request.money('refund_amount')} "
                f"decided is left to refund on order {return_request.order.number} (another "
                "refund was made meanwhile); nothing was refunded. Decide the refund again.",
                code="refund_too_large")
        for part in parts:
            goodwill = part.refund_reason == RefundReason.GOODWILL
            call = payment_services.refund_payment(
                payment=part.payment, amount=part.amount,
                reason=return_request.refund_note if goodwill else
                f"Return {return_request.number}",
                actor=goodwill_by if goodwill else actor, idempotency_key=part.key,
                refund_reason=part.refund_reason, refund_reference=return_request.number)
            if call.outcome == GatewayCall.Outcome.FAILED:
                raise PaymentError(f"The refund failed: {call.error or 'declined'}")
            made += call.amount
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
        return_request.refunded_amount = made
        return_request.closed_at = timezone.now()
        message = f"Refunded {return_request.money('refunded_amount')} to the original payment."
        if made < return_request.refund_amount:
            message += (f" {Money(return_request.refund_amount - made, currency)} of the "
                        f"{return_request.money('refund_amount')} decided could not be "
                        "refunded: the order had no more left to refund.")
        if return_request.state != State.INSPECTED:
            # Not reachable through the services (a decided refund can't be exchanged or
            # rejected), but the money has moved: record it, never fail after it.
            return_request.save()
            record_step(return_request, message + f" The return is "
                        f"{return_request.get_state_display().lower()}; check it by hand.",
                        actor=actor, order_event=OrderEvent.Type.NOTE)
            return return_request
        move_to(return_request, State.REFUNDED, message, actor=actor,
                order_event=OrderEvent.Type.NOTE)
        return return_request
