"""Stripe webhook events: each stored by its id and processed once, in one transaction.

Events may arrive twice, late or out of order. Processing only ever moves a payment
forward (``Payment.TRANSITIONS``), and refunds are reconciled as totals, so a repeated
or stale event changes nothing. An unexpected failure inside processing rolls the event row
back too, so Stripe's retry processes it again; a move the shop's rules refuse is kept with
its reason, noted on the order's timeline and acknowledged (a retry would be refused too).

Each event is read by a small typed parser for its type before anything is written
(``parse_event``): ids and texts must be strings that fit their columns (refused, never
truncated), amounts whole numbers the money columns hold, nested objects objects. A signed
event of the wrong shape raises MalformedWebhookEvent: Stripe sent exactly those bytes, so a
retry can never succeed, and Stripe retries any non-2xx answer for days; the view therefore
acknowledges it (200) and logs it, and nothing is stored or applied.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils import timezone

from kernel.enqueue import enqueue
from kernel.errors import ShopError
from kernel.json_input import contains_lone_surrogate, contains_nul
from orders import services as order_services
from orders.models import OrderEvent

from . import services, tasks
from .gateways.base import MalformedWebhookEvent
from .gateways.stripe import from_minor_units
from .models import Payment, StripeEvent

logger = logging.getLogger(__name__)

State = Payment.State
HANDLED = {
    "payment_intent.succeeded", "payment_intent.amount_capturable_updated",
    "payment_intent.payment_failed", "payment_intent.canceled",
    "payment_intent.requires_action", "payment_intent.processing",
    "charge.succeeded", "charge.refunded", "charge.dispute.created",
}


# The columns the event's texts go to (StripeEvent, Payment, OrderEvent's message).
ID_LENGTH = 100
RISK_LEVEL_LENGTH = 20
ERROR_LENGTH = 300
REASON_LENGTH = 100
# The largest amount, in minor units, Stripe sends (8 digits) and then some; the money
# columns (12 digits, 2 places) are checked again per currency before an amount is used.
MAX_MINOR_UNITS = 10**12 - 1
MAX_MONEY = Decimal(10) ** 10


@dataclass(frozen=True)
class IntentReport:
    """A ``payment_intent.*`` event's object: the intent, what it received, its error."""

    intent_id: str
    amount_received: int | None
    risk_level: str
    error: str


@dataclass(frozen=True)
class ChargeReport:
    """A ``charge.*`` event's object."""

    intent_id: str
    captured: bool
    amount_captured: int | None
    amount_refunded: int | None
    risk_level: str


@dataclass(frozen=True)
class DisputeReport:
    """A ``charge.dispute.created`` event's object."""

    dispute_id: str
    intent_id: str
    reason: str


@dataclass(frozen=True)
class ParsedEvent:
    event_id: str
    type: str
    object_id: str
    report: IntentReport | ChargeReport | DisputeReport | None  # None: a type not handled


def _text(obj: dict, key: str, *, limit: int, required: bool = False) -> str:
    """A string field (absent or null is ""), refused when longer than its column."""
    value = obj.get(key)
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise MalformedWebhookEvent(f"{key} is not a string.")
    if "\x00" in value:
        raise MalformedWebhookEvent(f"{key} contains a NUL character.")
    if len(value) > limit:
        raise MalformedWebhookEvent(f"{key} is longer than {limit} characters.")
    if required and not value:
        raise MalformedWebhookEvent(f"{key} is missing.")
    return value


def _object(obj: dict, key: str) -> dict:
    value = obj.get(key)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise MalformedWebhookEvent(f"{key} is not an object.")
    return value


def _minor_units(obj: dict, key: str) -> int | None:
    value = obj.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise MalformedWebhookEvent(f"{key} is not a whole number.")
    if not 0 <= value <= MAX_MINOR_UNITS:
        raise MalformedWebhookEvent(f"{key} is out of range.")
    return value


def _flag(obj: dict, key: str) -> bool:
    value = obj.get(key)
    if value is None:
        return False
    if not isinstance(value, bool):
        raise MalformedWebhookEvent(f"{key} is not true or false.")
    return value


def _charge_risk_level(charge: dict) -> str:
    return _text(_object(charge, "outcome"), "risk_level", limit=RISK_LEVEL_LENGTH)


def _intent_report(obj: dict) -> IntentReport:
    charge = obj.get("latest_charge")
    if charge is not None and not isinstance(charge, str | dict):
        raise MalformedWebhookEvent("latest_charge is neither an id nor a charge.")
    received = _minor_units(obj, "amount_received")
    amount = _minor_units(obj, "amount")
    return IntentReport(
        intent_id=_text(obj, "id", limit=ID_LENGTH, required=True),
        amount_received=received or amount,
        risk_level=_charge_risk_level(charge) if isinstance(charge, dict) else "",
        error=_text(_object(obj, "last_payment_error"), "message", limit=ERROR_LENGTH))


def _charge_report(obj: dict) -> ChargeReport:
    return ChargeReport(
        intent_id=_text(obj, "payment_intent", limit=ID_LENGTH),
        captured=_flag(obj, "captured"),
        amount_captured=_minor_units(obj, "amount_captured"),
        amount_refunded=_minor_units(obj, "amount_refunded"),
        risk_level=_charge_risk_level(obj))


def _dispute_report(obj: dict) -> DisputeReport:
    return DisputeReport(dispute_id=_text(obj, "id", limit=ID_LENGTH),
                         intent_id=_text(obj, "payment_intent", limit=ID_LENGTH),
                         reason=_text(obj, "reason", limit=REASON_LENGTH))


def parse_event(event) -> ParsedEvent:
    """The event, read by the parser for its type, or MalformedWebhookEvent saying why.
    Nothing is written before this has read the whole event."""
    if not isinstance(event, dict):
        raise MalformedWebhookEvent("The payload is not an event object.")
    if contains_nul(event):  # PostgreSQL's jsonb and text columns refuse NUL
        raise MalformedWebhookEvent("The event contains a NUL character.")
    if contains_lone_surrogate(event):  # not text: no column or UTF-8 log takes it
        raise MalformedWebhookEvent("The event contains a lone surrogate escape.")
    event_id = _text(event, "id", limit=ID_LENGTH, required=True)
    event_type = _text(event, "type", limit=ID_LENGTH, required=True)
    obj = _object(_object(event, "data"), "object")
    object_id = obj.get("id")
    object_id = object_id if isinstance(object_id, str) and len(object_id) <= ID_LENGTH \
        else ""
    report = None
    if event_type in HANDLED:
        if event_type.startswith("payment_intent."):
            report = _intent_report(obj)
        elif event_type == "charge.dispute.created":
            report = _dispute_report(obj)
        else:
            report = _charge_report(obj)
    return ParsedEvent(event_id=event_id, type=event_type, object_id=object_id,
                       report=report)


def handle_stripe_event(event) -> str:
    """Record and apply one verified Stripe event. Returns what was done, in words.
    MalformedWebhookEvent, before anything is written, for an event of the wrong shape."""
    parsed = parse_event(event)
    with transaction.atomic():
        try:
            with transaction.atomic():  # the insert only: a duplicate id is expected
                record = StripeEvent.objects.create(
                    event_id=parsed.event_id, type=parsed.type, object_id=parsed.object_id,
                    payload=event)
        except IntegrityError:
            return "duplicate: already processed"
        try:
            with transaction.atomic():
                result = _apply(parsed.type, parsed.report) if parsed.report is not None \
                    else "ignored: not handled"
        except ShopError as error:
            # A move the shop refuses (say, a payment on an order whose payment status can't
            # take it) will be refused on every retry: keep the event, tell staff on the
            # order's timeline, and acknowledge it instead of having Stripe retry for days.
            logger.warning("Stripe event %s (%s) not applied: %s", parsed.event_id,
                           parsed.type, error.message)
            result = f"not applied: {error.message}"
            _note_refusal(parsed.report, parsed.type, error.message)
        record.processed_at = timezone.now()
        record.result = result[:300]
        record.save(update_fields=["processed_at", "result"])
        return result


def _note_refusal(report, event_type: str, message: str) -> None:
    payment = _payment_for(report.intent_id) if report is not None else None
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


class AmountOutOfRange(ShopError):
    """An amount, in the payment's currency, larger than the money columns hold."""


def _money(minor_units: int | None, currency: str) -> Decimal | None:
    if minor_units is None:
        return None
    amount = from_minor_units(minor_units, currency)
    if amount >= MAX_MONEY:
        raise AmountOutOfRange(f"The amount {minor_units} is more than a payment can hold.")
    return amount


def _apply(event_type: str, report) -> str:
    payment = _payment_for(report.intent_id)
    if payment is None:
        return "ignored: no payment with this PaymentIntent"
    currency = payment.currency
    before = payment.state
    if event_type == "payment_intent.succeeded":
        amount = _money(report.amount_received, currency)
        payment = services.move_payment(payment=payment, state=State.CAPTURED,
                                        amount=amount or payment.amount,
                                        risk_level=report.risk_level)
        _fetch_risk_level_if_missing(payment)
    elif event_type == "payment_intent.amount_capturable_updated":
        payment = services.move_payment(payment=payment, state=State.AUTHORIZED,
                                        risk_level=report.risk_level)
        _fetch_risk_level_if_missing(payment)
    elif event_type == "payment_intent.requires_action":
        payment = services.move_payment(payment=payment, state=State.REQUIRES_ACTION)
    elif event_type == "payment_intent.payment_failed":
        payment = services.move_payment(payment=payment, state=State.FAILED,
                                        message=report.error or "The payment failed.")
    elif event_type == "payment_intent.canceled":
        payment = services.move_payment(payment=payment, state=State.CANCELED)
    elif event_type == "payment_intent.processing":
        return f"payment {payment.token} processing"
    elif event_type == "charge.succeeded":
        payment = services.record_gateway_risk(payment=payment, risk_level=report.risk_level)
        return f"payment {payment.token}: risk level {payment.risk_level or 'not given'}"
    elif event_type == "charge.refunded":
        captured = _money(report.amount_captured, currency)  # both checked before a write
        refunded = _money(report.amount_refunded, currency) or Decimal("0")
        if payment.state in Payment.LIVE_STATES | {State.AUTHORIZED} and report.captured:
            # The refund overtook the success event: the charge was captured first.
            payment = services.move_payment(payment=payment, state=State.CAPTURED,
                                            amount=captured or payment.amount)
        payment = services.set_refunded_total(payment=payment, refunded_total=refunded)
    elif event_type == "charge.dispute.created":
        # Held whatever an earlier fraud review decided: the money is being taken back.
        order_services.hold_for_dispute(order_id=payment.order_id,
                                        dispute_id=report.dispute_id, reason=report.reason)
        return f"dispute recorded on order {payment.order_id}"
    return f"payment {payment.token}: {before} -> {payment.state}"


def _fetch_risk_level_if_missing(payment: Payment) -> None:
    """A PaymentIntent event names its charge by id only, so the gateway's rating is not in
    it; unless a ``charge.succeeded`` event brought it already, fetch it after commit (a
    read, never inside this transaction) so the order is screened with it."""
    if payment.state in services.SCREENED_STATES and not payment.risk_level:
        enqueue(tasks.sync_payment_risk, payment.pk)  # queued after commit
