"""Canceling an order with its money settled, intent first (DESIGN, "Money and goods agree"):

1. One transaction, the order's payments and the order locked: the cancel is recorded as an
   intent (``orders.services.request_cancel``; from then on nothing of the order is picked,
   packed, labelled or shipped) together with the gateway calls that settle its money,
   each with its idempotency key: a void for a payment not captured, a refund of what is
   left for a captured one. Commit.
2. Outside any transaction: each call is made and its answer recorded in its own short
   transaction (``recording.call_gateway`` / ``record_result``).
3. A new short transaction, payments and order locked again: with every payment settled
   the order is canceled and its stock released (``orders.services.cancel_order``).

A crash or an unreachable gateway between 1 and 3 leaves the intent and its calls in flight:
``finish_requested_cancels`` (beat, ``payments.tasks.finish_requested_cancels``) makes the
same calls again with the same keys, so the gateway sees one request, and finishes;
``finish_calls_in_flight`` does the same for a capture or refund a crash interrupted.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from kernel.errors import InvalidTransition, NotFound, ShopError
from orders import services as order_services
from orders.models import Order, StockShortfall

from .. import locks
from ..exceptions import GatewayUnavailable, PaymentError
from ..models import GatewayCall, Payment, RefundReason
from .recording import call_gateway, move_payment_to, record_result

logger = logging.getLogger(__name__)

State = Payment.State
Kind = GatewayCall.Kind
# Payments a cancel voids, and those it refunds.
VOIDED_ON_CANCEL = {State.PENDING, State.REQUIRES_ACTION, State.AUTHORIZED}
REFUNDED_ON_CANCEL = {State.CAPTURED, State.PARTIALLY_REFUNDED}
CANCEL_REFUND_KEY = ":cancel-refund"
# The sweep leaves a cancel this long to the request that recorded it.
SWEEP_AFTER = timedelta(minutes=2)


def cancel_and_settle(*, order: Order, reason: str = "", actor=None) -> Order:
    """Cancel an order the way staff expect: void uncaptured payments, refund captured ones
    in full (less refunds already in flight), cancel the order and release its stock.

    Preconditions, checked with the order's payments and the order locked, before any money
    moves: the order is open; nothing of it was handed to the carrier (a shipped or
    collected shipment makes the whole cancel refused, "create a return instead": money is
    never refunded here for goods that left; the unshipped shipments can be canceled
    one by one); no capture of its payment is under way.
    Guarantees: the cancel intent and the settling gateway calls commit together, before any
    gateway call; no lock is held during a call; the order is canceled only once every
    payment is voided or refunded. A gateway that does not answer raises
    GatewayUnavailable with the cancel still requested (fulfillment stays stopped) and
    the sweep finishes it; a gateway that refuses (a declined void or refund) raises
    PaymentError, and the cancel is withdrawn if no money had moved yet.
    """
    _request_cancel(order.pk, reason=reason, actor=actor)
    return settle_requested_cancel(order_id=order.pk, actor=actor)


def cancel_held_order(*, order_id: int, reason: str = "", actor=None) -> Order:
    """Cancel an order held for fraud review (it failed the review), settling its money
    as ``cancel_and_settle`` does. Refused, before any money moves, when the order is not
    held (someone released it meanwhile)."""
    _request_cancel(order_id, reason=reason, actor=actor, held=True)
    return settle_requested_cancel(order_id=order_id, actor=actor)


def settle_requested_cancel(*, order_id: int, actor=None) -> Order:
    """Make the gateway calls a requested cancel recorded (again, with their keys, when a
    crash interrupted them), record each answer, then cancel the order if its money is
    settled. Safe to run twice or twice at once (each answer is recorded once)."""
    calls = list(GatewayCall.objects.filter(
        payment__order_id=order_id, outcome=GatewayCall.Outcome.IN_FLIGHT,
    ).filter(Q(kind=Kind.VOID) | Q(kind=Kind.REFUND,
                                   idempotency_key__contains=CANCEL_REFUND_KEY))
        .select_related("payment").order_by("pk"))
    refused, unavailable = [], False
    for call in calls:
        try:
            result = call_gateway(call, request_for(call))
        except GatewayUnavailable:
            unavailable = True
            continue
        if call.kind == Kind.VOID and result.success:
            result = replace(result, state=State.CANCELED)
        record_result(call, result, actor=actor,
                      reason=call.refund_note or "Order canceled")
        if not result.success:
            refused.append(f"the {call.get_kind_display().lower()} of "
                           f"{call.payment.money('amount')} failed: "
                           f"{result.error or 'refused'}")
    order = _finish_cancel(order_id, actor=actor, refused=refused)
    if refused:
        raise PaymentError(f"Order {order.number} was not canceled: "
                           + "; ".join(refused) + "."
                           + (" The cancel stays requested (some money was already given "
                              "back); try again or settle it by hand."
                              if order.cancel_requested else " Nothing was refunded."),
                           code="settlement_refused")
    if order.status == Order.Status.OPEN and unavailable:
        raise GatewayUnavailable(f"The cancel of order {order.number} is recorded and its "
                                 "fulfillment stopped, but the payment service is not "
                                 "answering; its money will be settled and the order "
                                 "canceled automatically in a few minutes.")
    if order.status == Order.Status.OPEN:
        raise PaymentError(f"The cancel of order {order.number} is recorded and its "
                           "fulfillment stopped; it completes when the refund already under "
                           "way is answered.", code="cancel_pending")
    return order


def finish_requested_cancels(*, now: datetime | None = None) -> int:
    """The sweep: cancels requested a while ago whose money was not settled (a crash, an
    unreachable gateway) are settled and completed. Returns how many orders it canceled."""
    cutoff = (now or timezone.now()) - SWEEP_AFTER
    canceled = 0
    for order_id in order_services.canceled_unsettled_order_ids(requested_before=cutoff):
        try:
            settle_requested_cancel(order_id=order_id)
            canceled += 1
        except ShopError as error:
            logger.info("Cancel of order %s not finished yet: %s", order_id, error.message)
    return canceled


def finish_calls_in_flight(*, now: datetime | None = None) -> int:
    """The sweep: captures and refunds whose request a crash interrupted (in flight longer
    than SWEEP_AFTER) are made again with the same idempotency key and their answers
    recorded, so a capture at shipment is not lost, a refund does not stay counted "in
    flight" (and so unrefundable) forever, and a cancel waiting on either can finish.
    A gateway still not answering leaves the call for the next run. Returns how many were
    recorded."""
    cutoff = (now or timezone.now()) - SWEEP_AFTER
    calls = (GatewayCall.objects.filter(outcome=GatewayCall.Outcome.IN_FLIGHT,
                                        kind__in=[Kind.CAPTURE, Kind.REFUND],
                                        created_at__lt=cutoff)
             .select_related("payment").order_by("pk")[:200])
    recorded = 0
    for call in calls:
        try:
            result = call_gateway(call, request_for(call))
        except GatewayUnavailable:
            continue
        record_result(call, result, reason=call.refund_note)
        recorded += 1
    return recorded


def _request_cancel(order_id: int, *, reason: str, actor, held: bool = False) -> None:
    """Step 1: the intent and its gateway calls, in one transaction (see the module)."""
    with transaction.atomic():
        order = locks.order_with_payments_for_update(order_id)
        if held and order.risk != Order.Risk.HELD:
            raise InvalidTransition(f"Order {order.number} is not held for review; use "
                                    "“Cancel order” to cancel it anyway.")
        payments = list(order.payments.order_by("pk"))
        if GatewayCall.objects.filter(payment__in=payments, kind=Kind.CAPTURE,
                                      outcome=GatewayCall.Outcome.IN_FLIGHT).exists():
            raise PaymentError(f"A capture of order {order.number}'s payment is under way; "
                               "cancel again in a minute.", code="capture_in_progress")
        order_services.request_cancel(order_id=order.pk, reason=reason, actor=actor)
        for payment in payments:
            _record_settling_call(payment, reason=reason, actor=actor)


def _record_settling_call(payment: Payment, *, reason: str, actor) -> None:
    """The void or refund that settles one locked payment, committed with the intent; an
    attempt already in flight is reused (a retry or the sweep makes it again, same key)."""
    if payment.state in VOIDED_ON_CANCEL:
        if not payment.gateway_reference:  # nothing at the gateway to release
            move_payment_to(payment, State.CANCELED, actor=actor, message="Payment canceled.")
            return
        voids = payment.calls.filter(kind=Kind.VOID)
        if voids.filter(outcome=GatewayCall.Outcome.IN_FLIGHT).exists():
            return
        tried = voids.count()
        GatewayCall.objects.create(
            payment=payment, kind=Kind.VOID, amount=payment.amount, currency=payment.currency,
            idempotency_key=f"{payment.token}:void" + (f":{tried + 1}" if tried else ""))
    elif payment.state in REFUNDED_ON_CANCEL:
        refunds = payment.calls.filter(kind=Kind.REFUND,
                                       idempotency_key__contains=CANCEL_REFUND_KEY)
        if refunds.filter(outcome=GatewayCall.Outcome.IN_FLIGHT).exists():
            return
        amount = payment.refundable_amount  # less refunds already in flight
        if amount <= 0:
            return
        tried = refunds.count()
        GatewayCall.objects.create(
            payment=payment, kind=Kind.REFUND, amount=amount, currency=payment.currency,
            idempotency_key=f"{payment.token}{CANCEL_REFUND_KEY}"
                            + (f":{tried + 1}" if tried else ""),
            refund_reason=RefundReason.CANCELLATION,
            refund_note=(reason or "Order canceled")[:300],
            requested_by=actor if getattr(actor, "is_authenticated", False) else None)


def request_for(call: GatewayCall):
    """The gateway request a recorded call stands for, made (again) with its own key."""
    payment = call.payment
    if call.kind == Kind.VOID:
        return lambda gw: gw.void(reference=payment.gateway_reference,
                                  idempotency_key=call.idempotency_key)
    if call.kind == Kind.CAPTURE:
        return lambda gw: gw.capture(reference=payment.gateway_reference, amount=call.amount,
                                     currency=payment.currency,
                                     idempotency_key=call.idempotency_key)
    return lambda gw: gw.refund(reference=payment.gateway_reference, amount=call.amount,
                                currency=payment.currency, idempotency_key=call.idempotency_key)


def _settled(payment: Payment) -> bool:
    """Voided, refunded in full, failed or never taken, with no refund of it in flight."""
    if payment.state in VOIDED_ON_CANCEL | REFUNDED_ON_CANCEL:
        return False
    return not payment.calls.filter(kind=Kind.REFUND,
                                    outcome=GatewayCall.Outcome.IN_FLIGHT).exists()


def _finish_cancel(order_id: int, *, actor, refused: list[str]) -> Order:
    """Step 3, payments and order locked again: cancel the order when every payment is
    settled; after a refusal with no money moved, withdraw the intent."""
    with transaction.atomic():
        order = locks.order_with_payments_for_update(order_id)
        if order.status != Order.Status.OPEN or not order.cancel_requested:
            return order
        if refused:
            moved = GatewayCall.objects.filter(
                payment__order=order, kind__in=[Kind.VOID, Kind.REFUND],
                outcome=GatewayCall.Outcome.SUCCEEDED,
                created_at__gte=order.cancel_requested_at).exists()
            if moved:
                return order
            return order_services.withdraw_cancel_request(
                order_id=order.pk, actor=actor,
                message="Cancel withdrawn, nothing refunded: " + "; ".join(refused) + ".")
        if all(_settled(payment) for payment in order.payments.all()):
            return order_services.cancel_order(
                order_id=order.pk, reason=order.cancel_reason or "Canceled by staff.",
                actor=actor)
        return order


def cancel_stock_shortfall(*, shortfall_id: int, actor=None):
    """A paid order in the stock shortfalls queue can't be filled: refund it in full,
    cancel it (its stock, if any, is released) and close the shortfall; the shopper gets
    the apology email. A refund the gateway refuses leaves everything as it was. When an
    earlier attempt's cancel was finished by the sweep (the gateway did not answer then),
    the order is canceled already and the shortfall is simply closed."""
    shortfall = StockShortfall.objects.select_related("order").filter(pk=shortfall_id).first()
    if shortfall is None:
        raise NotFound("No such stock shortfall.")
    if not shortfall.is_open:
        raise InvalidTransition(f"This shortfall is already "
                                f"{shortfall.get_state_display().lower()}.")
    if shortfall.order.status != Order.Status.CANCELED:
        cancel_and_settle(order=shortfall.order, actor=actor,
                          reason="Canceled and refunded: the payment came after the stock "
                                 "was released, and no stock could be found.")
    return order_services.close_canceled_shortfall(shortfall_id=shortfall.pk, actor=actor)
