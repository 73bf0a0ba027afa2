"""Recording what a gateway said: the one place a payment's state moves, its order's
payment status follows, and the order is screened for fraud. Shared by the other payment
services; not called from outside ``payments.services``.

Gateways are never called inside a transaction or while a row lock is held: each call is
first committed as a ``GatewayCall`` with an idempotency key, then made
(``call_gateway``), then its result recorded in a new short transaction
(``record_result``). A retry with the same key reuses the row, so the gateway sees one
request.
"""

from __future__ import annotations

import logging
from decimal import Decimal
from functools import partial

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q, Sum
from django.utils import timezone

from kernel.money import Money
from orders import locks as order_locks
from orders import services as order_services
from orders.models import Order, OrderEvent

from .. import locks, risk
from ..exceptions import GatewayUnavailable
from ..gateways import get_gateway
from ..gateways.base import GatewayError, GatewayResult
from ..models import GatewayCall, Payment, RefundReason
from ..signals import refunds_recorded

logger = logging.getLogger(__name__)

State = Payment.State

# Money is held in these states, so the order has been screened for fraud; a risk level
# the gateway reports later screens it again.
SCREENED_STATES = {State.AUTHORIZED, State.CAPTURED, State.PARTIALLY_REFUNDED}
# What the order's payment status becomes when a payment reaches a state.
ORDER_STATUS_FOR = {
    State.AUTHORIZED: Order.PaymentStatus.AUTHORIZED,
    State.CAPTURED: Order.PaymentStatus.PAID,
    State.PARTIALLY_REFUNDED: Order.PaymentStatus.PARTIALLY_REFUNDED,
    State.REFUNDED: Order.PaymentStatus.REFUNDED,
}
EVENT_FOR = {
    State.REQUIRES_ACTION: OrderEvent.Type.PAYMENT_ACTION_REQUIRED,
    State.AUTHORIZED: OrderEvent.Type.PAYMENT_AUTHORIZED,
    State.CAPTURED: OrderEvent.Type.PAYMENT_CAPTURED,
    State.PARTIALLY_REFUNDED: OrderEvent.Type.REFUNDED,
    State.REFUNDED: OrderEvent.Type.REFUNDED,
    State.FAILED: OrderEvent.Type.PAYMENT_FAILED,
    State.CANCELED: OrderEvent.Type.PAYMENT_VOIDED,
}
# Ended here without holding money; the gateway may still report it captured (a Stripe
# intent canceled only on our side, an authorization answered after a local cancel).
ENDED_WITHOUT_MONEY = {State.CANCELED, State.FAILED}
NOT_OWED_REFUND_KEY = ":not-owed-refund"


def call_gateway(call: GatewayCall, request) -> GatewayResult:
    """Make the gateway request (outside any transaction). A gateway that can't be reached
    leaves the call in flight for a retry and raises GatewayUnavailable."""
    gateway = get_gateway(call.payment.gateway)
    try:
        return request(gateway)
    except GatewayError as error:
        logger.warning("Gateway %s failed for call %s: %s", gateway.name, call.pk, error)
        with transaction.atomic():
            GatewayCall.objects.filter(pk=call.pk).update(error=str(error)[:300])
        raise GatewayUnavailable("The payment service is not answering. Nothing was charged "
                                 "twice; please try again in a minute.") from error


def record_result(call: GatewayCall, result: GatewayResult, *, actor=None,
                  reason: str = "") -> Payment:
    """Store a gateway's answer and move the payment (and its order) accordingly."""
    with transaction.atomic():
        payment = locks.payment_for_update(call.payment_id)
        call = locks.gateway_call_for_update(call.pk)
        if call.outcome != GatewayCall.Outcome.IN_FLIGHT:
            return payment  # already recorded (a retry, or the webhook got here first)
        call.outcome = (GatewayCall.Outcome.SUCCEEDED if result.success
                        else GatewayCall.Outcome.FAILED)
        call.success = result.success
        call.gateway_reference = result.reference[:100]
        call.error, call.error_code = result.error[:300], result.error_code[:60]
        call.completed_at = timezone.now()
        call.save(update_fields=["outcome", "success", "gateway_reference", "error",
                                 "error_code", "completed_at"])
        # Stripe rates a payment when it is charged, which may be after our first screening
        # (a webhook secured it, or the shopper's return link synced it before the charge).
        risk_changed = bool(result.risk_level) and result.risk_level != payment.risk_level
        screened_before = payment.state in SCREENED_STATES
        changed = ["updated_at"]
        if result.reference and not payment.gateway_reference and call.kind != "refund":
            payment.gateway_reference = result.reference[:100]
            changed.append("gateway_reference")
        for field in ("card_brand", "card_last4", "client_secret", "risk_level"):
            value = getattr(result, field)
            if value:
                setattr(payment, field, value)
                changed.append(field)
        if not result.success:
            payment.error = result.error[:300]
            changed.append("error")
        if call.kind == GatewayCall.Kind.REFUND:
            payment.save(update_fields=changed)
            if result.success:
                add_refund(payment, call.amount, actor=actor, reason=reason)
            return payment
        if call.kind in {GatewayCall.Kind.CAPTURE, GatewayCall.Kind.VOID} and not result.success:
            payment.save(update_fields=changed)
            order_services.record_order_event(
                order_id=payment.order_id, event_type=OrderEvent.Type.NOTE, actor=actor,
                message=f"{call.get_kind_display()} failed: {result.error}")
            return payment
        # The gateway's details and the new state in one UPDATE.
        payment = move_payment_to(payment, result.state, actor=actor,
                                  amount=call.amount if result.state == State.CAPTURED else None,
                                  message=result.error, also_save=changed)
        if risk_changed and screened_before:
            screen_order(payment)
        return payment


def move_payment_to(payment: Payment, state: str, *, actor=None,
                    amount: Decimal | None = None, message: str = "",
                    also_save: list[str] | None = None) -> Payment:
    """Move a locked payment to ``state`` if that is forward; a repeated or late answer
    that would move it backwards is ignored. Updates the order and screens for fraud.
    ``also_save``: other fields the caller changed, saved with the move (or alone).

    Money the gateway reports as taken is never ignored: a capture reported for a payment
    that ended here (canceled or failed) is recorded as captured all the same. A capture
    the order does not owe (it is canceled or being canceled, or another payment already
    pays it) moves nothing on the order but its timeline, and its refund is recorded in
    the same transaction (in flight, with its key) and made after commit
    (``refunds_recorded``; the sweep makes it again if that is lost); the money check
    sees it until then."""
    captured_after_end = state == State.CAPTURED and payment.state in ENDED_WITHOUT_MONEY
    if not captured_after_end and (state == payment.state or not payment.can_become(state)):
        if also_save:
            payment.save(update_fields=also_save)
        return payment
    was = payment.state
    first_secured = (was in Payment.LIVE_STATES or captured_after_end) and state in {
        State.AUTHORIZED, State.CAPTURED}
    payment.state = state
    if state == State.CAPTURED:
        payment.captured_amount = amount if amount is not None else payment.amount
    payment.save(update_fields=sorted({"state", "captured_amount", "updated_at",
                                       *(also_save or [])}))
    text = describe(payment, state, message)
    if captured_after_end:
        text = (f"{text[:-1]} at the gateway after the payment was {was} here "
                "(money the gateway took is always recorded).")
    locked_order = None
    if state == State.CAPTURED:
        # Locked with its addresses: record_order_payment and the fraud screening that
        # follow take this order instead of reading it again.
        locked_order = order_locks.order_for_update(payment.order_id, with_addresses=True)
        why = _not_owed(payment, was=was, order=locked_order)
        if why:
            _refund_not_owed(payment, text=text, why=why, actor=actor)
            return payment
    order_status = ORDER_STATUS_FOR.get(state)
    if state == State.CANCELED and payment.order.payment_status == Order.PaymentStatus.AUTHORIZED:
        order_status = Order.PaymentStatus.VOIDED
    order = None
    if order_status:
        order = order_services.record_order_payment(
            order_id=payment.order_id, payment_status=order_status,
            event_type=EVENT_FOR[state], message=text, actor=actor,
            data={"payment": str(payment.token), "amount": str(payment.captured_amount)},
            locked_order=locked_order)
        payment.order.payment_status = order_status  # in step, for whoever answers with it
    elif state in EVENT_FOR:
        order_services.record_order_event(order_id=payment.order_id,
                                          event_type=EVENT_FOR[state], message=text,
                                          actor=actor, data={"payment": str(payment.token)})
    if first_secured:
        screen_order(payment, order=order)
    return payment


def describe(payment: Payment, state: str, message: str) -> str:
    card = f" ({payment.card_label})" if payment.card_label else ""
    amount = payment.money("captured_amount" if state == State.CAPTURED else "amount")
    return {
        State.REQUIRES_ACTION: f"Payment of {amount}{card} needs the shopper to authenticate.",
        State.AUTHORIZED: f"Payment of {amount}{card} authorized.",
        State.CAPTURED: f"Payment of {amount}{card} captured.",
        State.FAILED: f"Payment of {amount}{card} failed: {message or 'declined'}",
        State.CANCELED: f"Payment of {amount}{card} canceled.",
    }.get(state, f"Payment {state}.")


def add_refund(payment: Payment, amount: Decimal, *, actor=None, reason: str = "") -> None:
    payment.refunded_amount += amount
    state = State.REFUNDED if payment.refunded_amount >= payment.captured_amount \
        else State.PARTIALLY_REFUNDED
    payment.state = state
    payment.save(update_fields=["refunded_amount", "state", "updated_at"])
    text = f"Refunded {Money(amount, payment.currency)}" + (f": {reason}" if reason else ".")
    order = Order.objects.get(pk=payment.order_id)
    order_status = _order_refund_status(order, payment)
    data = {"payment": str(payment.token), "amount": str(amount)}
    if order.payment_status != order_status and order_status not in \
            Order.PAYMENT_TRANSITIONS[order.payment_status]:
        # The order never counted this money as its payment (a capture it did not owe,
        # given back): its payment status stays; the refund goes on its timeline.
        order_services.record_order_event(order_id=payment.order_id,
                                          event_type=EVENT_FOR[state], message=text,
                                          actor=actor, data=data)
        return
    order_services.record_order_payment(
        order_id=payment.order_id, payment_status=order_status, event_type=EVENT_FOR[state],
        message=text, actor=actor, data=data)


def other_payments_cover(order: Order, payment: Payment) -> bool:
    """Whether the order's other payments (money held, net of refunds, plus authorizations)
    cover its total without ``payment``. Read with the order's payments locked."""
    others = Payment.objects.filter(order_id=order.pk).exclude(pk=payment.pk).aggregate(
        held=Sum(F("captured_amount") - F("refunded_amount"), default=Decimal("0")),
        authorized=Sum("amount", filter=Q(state=State.AUTHORIZED), default=Decimal("0")))
    return others["held"] + others["authorized"] >= order.total


def _not_owed(payment: Payment, *, was: str, order: Order) -> str:
    """Why the order does not owe the money just captured on ``payment`` ("" when it does),
    decided with the order locked (after the payment: the order every payment service
    takes). A canceled order whose payment status is still unpaid takes a live payment's
    late success as a late payment (``orders.services.record_order_payment`` reopens it);
    a payment that had ended here never reopens an order. ``order``: the payment's order,
    locked by the caller."""
    if was in ENDED_WITHOUT_MONEY:
        if order.status == Order.Status.CANCELED:
            return "the order is canceled"
        if order.cancel_requested:
            return "the order is being canceled"
    elif order.status == Order.Status.CANCELED and \
            order.payment_status != Order.PaymentStatus.UNPAID:
        return "the order is canceled"
    if order.payment_status == Order.PaymentStatus.UNPAID:
        return ""
    if order.payment_status != Order.PaymentStatus.AUTHORIZED:
        return f"it is {order.get_payment_status_display().lower()} already"
    # Authorized: by this payment (its capture is owed) or by another one.
    if other_payments_cover(order, payment):
        return "another payment already pays it"
    return ""


def _refund_not_owed(payment: Payment, *, text: str, why: str, actor) -> None:
    """Record a capture the order does not owe on its timeline, and its refund as an
    intent (a ``GatewayCall`` in flight, made after commit), in the caller's transaction."""
    amount = payment.captured_amount - payment.refunded_amount - payment.refunds_in_flight
    call = None
    if amount > 0:
        tried = payment.calls.filter(idempotency_key__contains=NOT_OWED_REFUND_KEY).count()
        call = GatewayCall.objects.create(
            payment=payment, kind=GatewayCall.Kind.REFUND, amount=amount,
            currency=payment.currency,
            idempotency_key=f"{payment.token}{NOT_OWED_REFUND_KEY}"
                            + (f":{tried + 1}" if tried else ""),
            refund_reason=RefundReason.CANCELLATION,
            refund_note=f"Captured but not owed: {why}."[:300])
    order_services.record_order_event(
        order_id=payment.order_id, event_type=OrderEvent.Type.PAYMENT_CAPTURED,
        message=(f"{text} The order does not owe it ({why}): "
                 f"{Money(amount, payment.currency)} is refunded.")[:500],
        actor=actor, data={"payment": str(payment.token),
                           "amount": str(payment.captured_amount), "not_owed": why})
    if call is not None:
        transaction.on_commit(partial(refunds_recorded.send, sender=Payment,
                                      call_ids=[call.pk]))


def _order_refund_status(order: Order, payment: Payment) -> str:
    captured = order.payments.aggregate(c=Sum("captured_amount"), r=Sum("refunded_amount"))
    if (captured["r"] or 0) >= (captured["c"] or 0):
        return Order.PaymentStatus.REFUNDED
    return Order.PaymentStatus.PARTIALLY_REFUNDED


def screen_order(payment: Payment, *, order: Order | None = None) -> None:
    """Score the payment's order for fraud and hold it when the score is high. ``order``:
    the order as just locked and moved in this transaction (its addresses read with it),
    else it is read here."""
    if order is None or order.pk != payment.order_id:
        order = Order.objects.select_related("shipping_address", "billing_address").get(
            pk=payment.order_id)
    score, reasons = risk.assess(order, gateway_risk_level=payment.risk_level)
    if score >= settings.SHOP_RISK_HOLD_SCORE:
        order_services.hold_for_review(order_id=order.pk, score=score, reasons=reasons)
    else:
        order_services.record_risk(order_id=order.pk, score=score, reasons=reasons)
