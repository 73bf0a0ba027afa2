"""Stripe, through Stripe's official SDK: PaymentIntents confirmed in the browser by the
Payment Element, captured automatically or at shipment, refunded through the Refunds API.

The only module that imports ``stripe``. It never touches the database: services call it
outside transactions and record what it answers.
"""

from __future__ import annotations

from decimal import Decimal

import stripe
from django.conf import settings

from kernel.json_input import MalformedJSON, load_json
from kernel.money import quantize

from .base import GatewayError, GatewayResult, MalformedWebhookEvent, WebhookSignatureError

# Stripe's own minor units (https://docs.stripe.com/currencies): whole units for these,
# thousandths for these, hundredths for everything else. ISK and HUF are sent in
# hundredths like the rest, as Stripe asks.
ZERO_DECIMAL = {"BIF", "CLP", "DJF", "GNF", "JPY", "KMF", "KRW", "MGA", "PYG", "RWF", "UGX",
                "VND", "VUV", "XAF", "XOF", "XPF"}
THREE_DECIMAL = {"BHD", "JOD", "KWD", "OMR", "TND"}
TIMEOUT_SECONDS = 10
STATE_FOR_STATUS = {
    "requires_payment_method": "pending",
    "requires_confirmation": "pending",
    "processing": "pending",
    "requires_action": "requires_action",
    "requires_capture": "authorized",
    "succeeded": "captured",
    "canceled": "canceled",
}


def _exponent(currency: str) -> int:
    code = currency.upper()
    return 0 if code in ZERO_DECIMAL else 3 if code in THREE_DECIMAL else 2


def to_minor_units(amount: Decimal, currency: str) -> int:
    """Stripe counts in the currency's smallest unit: cents, whole yen, fils.

    Raises ValueError rather than round when the shop's amount has more precision than
    Stripe takes for the currency, so a customer is never charged a different amount.
    """
    minor = quantize(Decimal(amount), currency).scaleb(_exponent(currency))
    if minor != minor.to_integral_value():
        raise ValueError(f"{amount} {currency.upper()} is not a whole number of Stripe's "
                         "minor units for that currency.")
    return int(minor)


def from_minor_units(amount: int, currency: str) -> Decimal:
    """The Decimal amount for Stripe's integer ``amount`` in ``currency``."""
    return quantize(Decimal(int(amount)).scaleb(-_exponent(currency)), currency)


def _client() -> stripe.StripeClient:
    base = {"api": settings.STRIPE_API_BASE} if settings.STRIPE_API_BASE else None
    return stripe.StripeClient(
        settings.STRIPE_SECRET_KEY, base_addresses=base, max_network_retries=0,
        http_client=stripe.RequestsClient(timeout=TIMEOUT_SECONDS),
    )


def _failed(error: stripe.StripeError) -> GatewayResult:
    message = getattr(error, "user_message", None) or "The payment service refused the request."
    return GatewayResult(success=False, state="failed", error=str(message)[:300],
                         error_code=str(error.code or "")[:60])


def _call(request):
    """Run an SDK request: refusals come back as a failed result, outages raise
    GatewayError (the service retries with the same idempotency key). Answers are plain
    dicts."""
    try:
        return request().to_dict(), None
    except (stripe.CardError, stripe.InvalidRequestError, stripe.IdempotencyError) as error:
        return None, _failed(error)
    except (stripe.APIConnectionError, stripe.RateLimitError) as error:
        raise GatewayError(f"Stripe unreachable: {error}") from error
    except stripe.APIError as error:
        raise GatewayError(f"Stripe error {error.http_status}: {error}") from error
    except (stripe.AuthenticationError, stripe.PermissionError) as error:
        # The shop's key is wrong or lacks a permission: an outage on our side, not a
        # reason to fail the shopper's payment for good.
        raise GatewayError(f"Stripe refused the API key ({error.http_status}); check "
                           "STRIPE_SECRET_KEY.") from error
    except stripe.StripeError as error:  # anything newer the SDK may add
        raise GatewayError(f"Stripe error: {error}") from error


def _card_and_risk(intent) -> dict:
    charge = intent.get("latest_charge")
    if not isinstance(charge, dict):  # not expanded
        return {}
    details = (charge.get("payment_method_details") or {}).get("card") or {}
    outcome = charge.get("outcome") or {}
    return {"card_brand": str(details.get("brand") or ""),
            "card_last4": str(details.get("last4") or ""),
            "risk_level": str(outcome.get("risk_level") or "")}


def _intent_result(intent) -> GatewayResult:
    status = intent["status"]
    last_error = intent.get("last_payment_error") or {}
    error = last_error.get("message") or ""
    state = STATE_FOR_STATUS.get(status, "pending")
    if status == "requires_payment_method" and error:
        # The bank's reason when Stripe passes it on (insufficient_funds), else Stripe's.
        code = last_error.get("decline_code") or last_error.get("code") or ""
        return GatewayResult(success=False, state="pending", reference=intent["id"],
                             error=str(error)[:300], error_code=str(code)[:60],
                             **_card_and_risk(intent))
    return GatewayResult(success=True, state=state, reference=intent["id"],
                         client_secret=intent.get("client_secret") or "",
                         **_card_and_risk(intent))


def _unchargeable(amount: Decimal, currency: str) -> GatewayResult:
    return GatewayResult(success=False, state="failed", error_code="amount_not_chargeable",
                         error=f"{amount} {currency.upper()} can't be charged through Stripe "
                               "(too many decimal places for the currency).")


class StripeGateway:
    name = "stripe"

    def authorize(self, *, amount: Decimal, currency: str, idempotency_key: str,
                  capture: bool, payment_data: dict, metadata: dict) -> GatewayResult:
        try:
            minor = to_minor_units(amount, currency)
        except ValueError:
            return _unchargeable(amount, currency)
        intent, failure = _call(lambda: _client().v1.payment_intents.create(
            params={"amount": minor, "currency": currency.lower(),
                    "capture_method": "automatic" if capture else "manual",
                    "automatic_payment_methods": {"enabled": True},
                    "metadata": {key: str(value) for key, value in metadata.items()}},
            options={"idempotency_key": idempotency_key}))
        if failure:
            return failure
        return GatewayResult(success=True, state="pending", reference=intent["id"],
                             client_secret=intent["client_secret"] or "")

    def confirm(self, *, reference: str, idempotency_key: str, payment_data: dict) -> GatewayResult:
        intent, failure = _call(lambda: _client().v1.payment_intents.retrieve(
            reference, params={"expand": ["latest_charge"]}))
        return failure or _intent_result(intent)

    def capture(self, *, reference: str, amount: Decimal, currency: str,
                idempotency_key: str) -> GatewayResult:
        try:
            minor = to_minor_units(amount, currency)
        except ValueError:
            return _unchargeable(amount, currency)
        intent, failure = _call(lambda: _client().v1.payment_intents.capture(
            reference, params={"amount_to_capture": minor,
                               "expand": ["latest_charge"]},
            options={"idempotency_key": idempotency_key}))
        return failure or _intent_result(intent)

    def void(self, *, reference: str, idempotency_key: str) -> GatewayResult:
        intent, failure = _call(lambda: _client().v1.payment_intents.cancel(
            reference, options={"idempotency_key": idempotency_key}))
        return failure or GatewayResult(success=True, state="canceled", reference=intent["id"])

    def refund(self, *, reference: str, amount: Decimal, currency: str,
               idempotency_key: str) -> GatewayResult:
        try:
            minor = to_minor_units(amount, currency)
        except ValueError:
            return _unchargeable(amount, currency)
        refund, failure = _call(lambda: _client().v1.refunds.create(
            params={"payment_intent": reference, "amount": minor},
            options={"idempotency_key": idempotency_key}))
        if failure:
            return failure
        if refund["status"] in {"failed", "canceled"}:
            return GatewayResult(success=False, state="failed", reference=refund["id"],
                                 error="Stripe could not make the refund.")
        return GatewayResult(success=True, state="refunded", reference=refund["id"])

    def construct_event(self, payload: bytes, signature_header: str) -> dict:
        """The verified event as a plain dict. WebhookSignatureError when the signature does
        not check out; MalformedWebhookEvent when it does but the body is not a JSON object
        the shop can store (see ``kernel.json_input.load_json``)."""
        secret = settings.STRIPE_WEBHOOK_SECRET
        if not secret:
            raise WebhookSignatureError("STRIPE_WEBHOOK_SECRET is not set.")
        if not signature_header:
            raise WebhookSignatureError("No Stripe-Signature header.")
        if not signature_header.isascii():  # hmac.compare_digest raises TypeError on it
            raise WebhookSignatureError("The Stripe-Signature header is not ASCII.")
        try:
            text = payload.decode("utf-8")  # the SDK signs text; Stripe sends only UTF-8
            stripe.WebhookSignature.verify_header(text, signature_header, secret,
                                                  tolerance=stripe.Webhook.DEFAULT_TOLERANCE)
        except (stripe.SignatureVerificationError, UnicodeDecodeError) as error:
            raise WebhookSignatureError(str(error)[:200]) from error
        try:
            event = load_json(text)
        except MalformedJSON as error:
            raise MalformedWebhookEvent(str(error)) from error
        if not isinstance(event, dict):
            raise MalformedWebhookEvent("The payload is not an event object.")
        return event
