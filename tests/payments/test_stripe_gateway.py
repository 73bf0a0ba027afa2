"""The Stripe adapter against the local fake Stripe API."""

import json
import time
from decimal import Decimal

import pytest

from payments.gateways.base import GatewayError, MalformedWebhookEvent, WebhookSignatureError
from payments.gateways.stripe import StripeGateway, from_minor_units, to_minor_units

from .stripe_fake import make_event, sign_payload


def authorize(gateway, key="key-1", amount="25.50", capture=True):
    return gateway.authorize(amount=Decimal(amount), currency="USD", idempotency_key=key,
                             capture=capture, payment_data={}, metadata={"order": "100001"})


def test_minor_units_follow_stripes_table():
    assert to_minor_units(Decimal("25.50"), "USD") == 2550
    assert to_minor_units(Decimal("1999"), "JPY") == 1999
    assert to_minor_units(Decimal("1999"), "krw") == 1999
    assert to_minor_units(Decimal("1.230"), "BHD") == 1230  # thousandths
    assert to_minor_units(Decimal("500"), "ISK") == 50000  # Stripe takes ISK in hundredths
    assert from_minor_units(2550, "USD") == Decimal("25.50")
    assert from_minor_units(1999, "JPY") == Decimal("1999")
    assert from_minor_units(1230, "BHD") == Decimal("1.230")
    assert from_minor_units(50000, "ISK") == Decimal("500")


def test_an_amount_stripe_cannot_represent_is_refused_not_rounded(stripe_fake):
    with pytest.raises(ValueError):
        to_minor_units(Decimal("10.50"), "XOF")
    result = StripeGateway().authorize(amount=Decimal("10.50"), currency="XOF",
                                       idempotency_key="k", capture=True, payment_data={},
                                       metadata={})
    assert (result.success, result.state, result.error_code) == (
        False, "failed", "amount_not_chargeable")
    assert stripe_fake.requests == []


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
    assert created["params"]["automatic_payment_methods"] == {"enabled": "true"}
    assert created["idempotency_key"] == "key-1"
    assert created["authorization"] == "Bearer sk_test_fake"
    manual = authorize(gateway, key="key-2", capture=False)
    assert stripe_fake.intent(manual.reference)["capture_method"] == "manual"
    assert len(stripe_fake.intents) == 2


def test_a_retry_after_a_server_error_makes_one_intent(stripe_fake):
    gateway = StripeGateway()
    stripe_fake.fail_next(1, status=503)
    with pytest.raises(GatewayError):
        authorize(gateway)
    assert stripe_fake.intents == {}
    retried = authorize(gateway)
    assert retried.success and list(stripe_fake.intents) == [retried.reference]


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
    assert (done.success, done.state, done.card_brand, done.card_last4, done.risk_level) == (
        True, "captured", "mastercard", "4444", "elevated")
    assert stripe_fake.requests[-1]["params"]["expand"] == ["latest_charge"]
    manual = authorize(gateway, key="manual", capture=False).reference
    stripe_fake.succeed(manual)
    assert gateway.confirm(reference=manual, idempotency_key="c2",
                           payment_data={}).state == "authorized"
    stripe_fake.intents[manual]["status"] = "canceled"
    assert gateway.confirm(reference=manual, idempotency_key="c3",
                           payment_data={}).state == "canceled"


def test_confirm_of_an_unknown_intent_is_a_refusal(stripe_fake):
    missing = StripeGateway().confirm(reference="pi_missing", idempotency_key="c",
                                      payment_data={})
    assert (missing.success, missing.state, missing.error_code) == (
        False, "failed", "resource_missing")


def test_capture_void_and_refund(stripe_fake):
    gateway = StripeGateway()
    manual = authorize(gateway, key="m", capture=False).reference
    stripe_fake.succeed(manual)
    captured = gateway.capture(reference=manual, amount=Decimal("20.00"), currency="USD",
                               idempotency_key="cap")
    assert (captured.success, captured.state, captured.card_last4) == (True, "captured", "4242")
    assert stripe_fake.requests[-1]["params"]["amount_to_capture"] == "2000"
    assert stripe_fake.intent(manual)["amount_received"] == 2000
    refund = gateway.refund(reference=manual, amount=Decimal("10.00"), currency="USD",
                            idempotency_key="r1")
    assert (refund.success, refund.state) == (True, "refunded")
    assert refund.reference in stripe_fake.refunds
    assert stripe_fake.requests[-1]["params"] == {"payment_intent": manual, "amount": "1000"}
    again = gateway.refund(reference=manual, amount=Decimal("10.00"), currency="USD",
                           idempotency_key="r1")
    assert again.reference == refund.reference and len(stripe_fake.refunds) == 1
    assert stripe_fake.charge_for(manual)["amount_refunded"] == 1000
    too_much = gateway.refund(reference=manual, amount=Decimal("10.01"), currency="USD",
                              idempotency_key="r2")
    assert (too_much.success, too_much.state, too_much.error_code) == (
        False, "failed", "amount_too_large")
    assert "greater than unrefunded" in too_much.error
    other = authorize(gateway, key="v").reference
    voided = gateway.void(reference=other, idempotency_key="void")
    assert (voided.success, voided.state) == (True, "canceled")
    assert stripe_fake.intent(other)["status"] == "canceled"
    late = gateway.void(reference=manual, idempotency_key="void-captured")
    assert (late.success, late.error_code) == (False, "payment_intent_unexpected_state")


def test_a_declined_card_is_a_refusal_with_stripes_words(stripe_fake):
    stripe_fake.fail_next(1, status=402)
    declined = authorize(StripeGateway())
    assert (declined.success, declined.state, declined.error, declined.error_code) == (
        False, "failed", "Your card was declined.", "card_declined")


def test_server_errors_rate_limits_and_a_bad_key_are_outages(stripe_fake, settings):
    gateway = StripeGateway()
    for status in (500, 502, 429):
        stripe_fake.fail_next(1, status=status)
        with pytest.raises(GatewayError):
            authorize(gateway)
    settings.STRIPE_SECRET_KEY = "not-a-key"  # the shop's misconfiguration is an outage too
    with pytest.raises(GatewayError):
        authorize(gateway)
    assert stripe_fake.intents == {}


def test_a_stripe_that_does_not_answer_in_time_is_an_outage(stripe_fake, monkeypatch):
    import payments.gateways.stripe as adapter

    monkeypatch.setattr(adapter, "TIMEOUT_SECONDS", 1)
    stripe_fake.hang_next(1)
    started = time.monotonic()
    with pytest.raises(GatewayError):
        authorize(StripeGateway(), key="slow")
    assert time.monotonic() - started < 5  # no silent retries behind our back


def test_construct_event_checks_the_signature(settings):
    settings.STRIPE_WEBHOOK_SECRET = "whsec_test"
    gateway = StripeGateway()
    payload = json.dumps(make_event("payment_intent.succeeded", {"id": "pi_1"})).encode()
    event = gateway.construct_event(payload, sign_payload(payload, "whsec_test"))
    assert type(event) is dict and event["type"] == "payment_intent.succeeded"
    assert event["data"]["object"] == {"id": "pi_1"}
    recent = int(time.time()) - 60
    assert gateway.construct_event(payload, sign_payload(payload, "whsec_test", recent))
    bad = [
        (payload, sign_payload(payload, "whsec_wrong")),
        (payload.replace(b"pi_1", b"pi_2"), sign_payload(payload, "whsec_test")),
        (payload, sign_payload(payload, "whsec_test", timestamp=int(time.time()) - 3600)),
        (payload, ""),
        (payload, "t=soon,v1=abc"),
        (payload, sign_payload(payload, "whsec_test").replace("v1=", "v0=")),
        (b"\xff\xfe", sign_payload(b"\xff\xfe", "whsec_test")),  # not text: can't be checked
    ]
    for body, header in bad:
        with pytest.raises(WebhookSignatureError):
            gateway.construct_event(body, header)
    # Signed by Stripe but not an event the shop can read: acknowledged, never applied.
    for body in (b"not json", b"[1, 2]", b'{"id": NaN}', b'{"n": 1e400}', b"[" * 3000,
                 b'{"id": "evt_\\u0000"}'):
        with pytest.raises(MalformedWebhookEvent):
            gateway.construct_event(body, sign_payload(body, "whsec_test"))
    settings.STRIPE_WEBHOOK_SECRET = ""
    with pytest.raises(WebhookSignatureError):
        gateway.construct_event(payload, sign_payload(payload, ""))
