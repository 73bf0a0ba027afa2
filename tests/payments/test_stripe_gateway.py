"""The Stripe adapter against the local fake Stripe API."""

import json
import time
from decimal import Decimal

import pytest

from payments.gateways.base import GatewayError, WebhookSignatureError
from payments.gateways.stripe import StripeGateway, from_minor_units, to_minor_units

from .stripe_fake import make_event, sign_payload


def authorize(gateway, key="key-1", amount="25.50", capture=True):
    return gateway.authorize(amount=Decimal(amount), currency="USD", idempotency_key=key,
                             capture=capture, payment_data={}, metadata={"order": "100001"})


def test_minor_units():
    assert to_minor_units(Decimal("25.50"), "USD") == 2550
    assert to_minor_units(Decimal("1999"), "JPY") == 1999
    assert from_minor_units(2550, "USD") == Decimal("25.50")
    assert from_minor_units(1999, "JPY") == Decimal("1999")


def test_authorize_creates_one_intent_per_idempotency_key(stripe_fake):
    gateway = StripeGateway()
    first = authorize(gateway)
    again = authorize(gateway)
    assert first.success and first.state == "pending"
    assert first.reference == again.reference and first.client_secret.startswith(first.reference)
    assert len(stripe_fake.intents) == 1
    created = stripe_fake.requests[0]
    assert created["params"]["amount"] == "2550" and created["params"]["currency"] == "usd"
    assert created["params"]["capture_method"] == "automatic"
    assert created["params"]["metadata"] == {"order": "100001"}
    assert created["idempotency_key"] == "key-1"
    manual = authorize(gateway, key="key-2", capture=False)
    assert stripe_fake.intent(manual.reference)["capture_method"] == "manual"


def test_confirm_maps_each_status(stripe_fake):
    gateway = StripeGateway()
    reference = authorize(gateway).reference
    read = lambda: gateway.confirm(reference=reference, idempotency_key="c", payment_data={})  # noqa: E731
    assert read().state == "pending"
    stripe_fake.require_action(reference)
    assert read().state == "requires_action"
    stripe_fake.fail(reference, "Your card has insufficient funds.")
    failed = read()
    assert (failed.success, failed.state, failed.error) == (
        False, "pending", "Your card has insufficient funds.")
    stripe_fake.succeed(reference, brand="mastercard", last4="4444", risk_level="elevated")
    done = read()
    assert (done.state, done.card_brand, done.card_last4, done.risk_level) == (
        "captured", "mastercard", "4444", "elevated")


def test_capture_void_and_refund(stripe_fake):
    gateway = StripeGateway()
    manual = authorize(gateway, key="m", capture=False).reference
    stripe_fake.succeed(manual)
    captured = gateway.capture(reference=manual, amount=Decimal("25.50"), currency="USD",
                               idempotency_key="cap")
    assert captured.state == "captured"
    refund = gateway.refund(reference=manual, amount=Decimal("10.00"), currency="USD",
                            idempotency_key="r1")
    assert refund.success and refund.reference.startswith("re_")
    too_much = gateway.refund(reference=manual, amount=Decimal("20.00"), currency="USD",
                              idempotency_key="r2")
    assert not too_much.success and "greater than unrefunded" in too_much.error
    other = authorize(gateway, key="v").reference
    assert gateway.void(reference=other, idempotency_key="void").state == "canceled"


def test_outages_raise_gateway_error(stripe_fake, monkeypatch):
    gateway = StripeGateway()
    stripe_fake.fail_next(1, status=500)
    with pytest.raises(GatewayError):
        authorize(gateway)
    import payments.gateways.stripe as adapter

    monkeypatch.setattr(adapter, "TIMEOUT_SECONDS", 1)
    stripe_fake.hang_next(1)
    with pytest.raises(GatewayError):
        authorize(gateway, key="slow")


def test_construct_event_checks_the_signature(settings):
    settings.STRIPE_WEBHOOK_SECRET = "whsec_test"
    gateway = StripeGateway()
    payload = json.dumps(make_event("payment_intent.succeeded", {"id": "pi_1"})).encode()
    assert gateway.construct_event(payload, sign_payload(payload, "whsec_test"))["type"] == \
        "payment_intent.succeeded"
    bad = [
        (payload, sign_payload(payload, "whsec_wrong")),
        (payload.replace(b"pi_1", b"pi_2"), sign_payload(payload, "whsec_test")),
        (payload, sign_payload(payload, "whsec_test", timestamp=int(time.time()) - 3600)),
        (payload, ""),
        (b"not json", sign_payload(b"not json", "whsec_test")),
    ]
    for body, header in bad:
        with pytest.raises(WebhookSignatureError):
            gateway.construct_event(body, header)
    settings.STRIPE_WEBHOOK_SECRET = ""
    with pytest.raises(WebhookSignatureError):
        gateway.construct_event(payload, sign_payload(payload, ""))
