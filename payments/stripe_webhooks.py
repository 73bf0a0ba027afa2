"""Stripe webhook events: each stored by its id and processed once, in one transaction.

Events may arrive twice, late or out of order. Processing only ever moves a payment
forward (``Payment.TRANSITIONS``), and refunds are reconciled as totals, so a repeated
or stale event changes nothing. An unexpected failure inside processing rolls the event row
back too, so Stripe's retry processes it again; a move the shop's rules refuse is kept with
its reason, noted on the order's timeline and acknowledged (a retry would be refused too).
"""

from __future__ import annotations

import logging
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils import timezone

from kernel.enqueue import enqueue
from kernel.errors import ShopError
from orders import services as order_services
from orders.models import OrderEvent

from . import services, tasks
from .models import Payment, StripeEvent

logger = logging.getLogger(__name__)

State = Payment.State
HANDLED = {
    "payment_intent.succeeded", "payment_intent.amount_capturable_updated",
    "payment_intent.payment_failed", "payment_intent.canceled",
    "payment_intent.requires_action", "payment_intent.processing",
    "charge.succeeded", "charge.refunded", "charge.dispute.created",
}


def handle_stripe_event(event: dict) -> str:
    """Record and apply one verified Stripe event. Returns what was done, in words."""
    event_id, event_type = str(event.get("id", "")), str(event.get("type", ""))
    obj = (event.get("data") or {}).get("object") or {}
    if not event_id or not isinstance(obj, dict):
        return "ignored: not an event"
    with transaction.atomic():
        try:
            with transaction.atomic():  # the insert only: a duplicate id is expected
                record = StripeEvent.objects.create(
                    event_id=event_id[:100], type=event_type[:100],
                    object_id=str(obj.get("id", ""))[:100], payload=event)
        except IntegrityError:
            return "duplicate: already processed"
        try:
            with transaction.atomic():
                result = _apply(event_type, obj) if event_type in HANDLED else \
                    "ignored: not handled"
        except ShopError as error:
            # A move the shop refuses (say, a payment on an order whose payment status can't
            # take it) will be refused on every retry: keep the event, tell staff on the
            # order's timeline, and acknowledge it instead of having Stripe retry for days.
            logger.warning("Stripe event %s (%s) not applied: %s", event_id, event_type,
                           error.message)
            result = f"not applied: {error.message}"
            _note_refusal(obj, event_type, error.message)
        record.processed_at = timezone.now()
        record.result = result[:300]
        record.save(update_fields=["processed_at", "result"])
        return result


def _note_refusal(obj: dict, event_type: str, message: str) -> None:
    intent_id = obj.get("id") if event_type.startswith("payment_intent.") \
        else obj.get("payment_intent")
    payment = _payment_for(str(intent_id or ""))
    if payment is not None:
        note = (f"Stripe reported {event_type} for payment {payment.token}, but the shop "
                f"could not apply it: {message} Check the payment in Stripe's dashboard.")
        order_services.record_order_event(
            order_id=payment.order_id, event_type=OrderEvent.Type.NOTE, message=note[:500],
            data={"payment": str(payment.token), "stripe_event": event_type})


def _payment_for(intent_id: str) -> Payment | None:
    if not intent_id:
        return None
    return Payment.objects.filter(gateway=Payment.Gateway.STRIPE,
                                  gateway_reference=intent_id).first()


def _apply(event_type: str, obj: dict) -> str:
    from .gateways.stripe import from_minor_units

    if event_type.startswith("payment_intent."):
        payment = _payment_for(str(obj.get("id", "")))
    else:
        payment = _payment_for(str(obj.get("payment_intent") or ""))
    if payment is None:
        return "ignored: no payment with this PaymentIntent"
    currency = payment.currency
    before = payment.state
    if event_type == "payment_intent.succeeded":
        amount = from_minor_units(int(obj.get("amount_received") or obj.get("amount") or 0),
                                  currency)
        payment = services.move_payment(payment=payment, state=State.CAPTURED,
                                        amount=amount or payment.amount,
                                        risk_level=_risk_level(obj.get("latest_charge")))
        _fetch_risk_level_if_missing(payment)
    elif event_type == "payment_intent.amount_capturable_updated":
        payment = services.move_payment(payment=payment, state=State.AUTHORIZED,
                                        risk_level=_risk_level(obj.get("latest_charge")))
        _fetch_risk_level_if_missing(payment)
    elif event_type == "payment_intent.requires_action":
        payment = services.move_payment(payment=payment, state=State.REQUIRES_ACTION)
    elif event_type == "payment_intent.payment_failed":
        error = (obj.get("last_payment_error") or {}).get("message") or "The payment failed."
        payment = services.move_payment(payment=payment, state=State.FAILED, message=error)
    elif event_type == "payment_intent.canceled":
        payment = services.move_payment(payment=payment, state=State.CANCELED)
    elif event_type == "payment_intent.processing":
        return f"payment {payment.token} processing"
    elif event_type == "charge.succeeded":
        payment = services.record_gateway_risk(payment=payment, risk_level=_risk_level(obj))
        return f"payment {payment.token}: risk level {payment.risk_level or 'not given'}"
    elif event_type == "charge.refunded":
        if payment.state in Payment.LIVE_STATES | {State.AUTHORIZED} and obj.get("captured"):
            # The refund overtook the success event: the charge was captured first.
            captured = from_minor_units(int(obj.get("amount_captured") or 0), currency)
            payment = services.move_payment(payment=payment, state=State.CAPTURED,
                                            amount=captured or payment.amount)
        refunded = from_minor_units(int(obj.get("amount_refunded") or 0), currency)
        payment = services.set_refunded_total(payment=payment, refunded_total=Decimal(refunded))
    elif event_type == "charge.dispute.created":
        reason = str(obj.get("reason") or "unspecified")
        order_services.record_order_event(
            order_id=payment.order_id, event_type=OrderEvent.Type.DISPUTE_OPENED,
            message=f"The customer's bank opened a dispute ({reason}).",
            data={"dispute": str(obj.get("id", ""))})
        order_services.hold_for_review(order_id=payment.order_id, score=100,
                                       reasons=[f"Payment disputed ({reason})"])
        return f"dispute recorded on order {payment.order_id}"
    return f"payment {payment.token}: {before} -> {payment.state}"


def _risk_level(charge) -> str:
    """Stripe's rating of a charge (``normal``, ``elevated``, ``highest``), when the event
    carries the charge itself rather than only its id."""
    if not isinstance(charge, dict):
        return ""
    return str((charge.get("outcome") or {}).get("risk_level") or "")


def _fetch_risk_level_if_missing(payment: Payment) -> None:
    """A PaymentIntent event names its charge by id only, so the gateway's rating is not in
    it; unless a ``charge.succeeded`` event brought it already, fetch it after commit (a
    read, never inside this transaction) so the order is screened with it."""
    if payment.state in services.SCREENED_STATES and not payment.risk_level:
        enqueue(tasks.sync_payment_risk, payment.pk)  # queued after commit
