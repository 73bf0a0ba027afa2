"""A signature header with a byte that isn't ASCII is a refused signature (400), not a
TypeError inside hmac.compare_digest (500), on both webhooks."""

import json

import pytest

pytestmark = pytest.mark.django_db
BODY = json.dumps({"id": "evt_1", "type": "payment_intent.succeeded",
                   "data": {"object": {}}}).encode()


@pytest.mark.parametrize("header", ["t=1700000000,v1=\xe9\xe9", "\xff", "t=\xe9,v1=abc"])
def test_stripe_signature_not_ascii_is_a_400(client, settings, header):
    settings.STRIPE_WEBHOOK_SECRET = "whsec_test"
    response = client.post("/payments/stripe/webhook/", BODY, content_type="application/json",
                           HTTP_STRIPE_SIGNATURE=header)
    assert response.status_code == 400


@pytest.mark.parametrize("header", ["hmac-sha256-hex=\xe9\xe9", "\xff"])
def test_carrier_signature_not_ascii_is_a_400(client, settings, header):
    settings.CARRIER_WEBHOOK_SECRET = "whsec_carrier"
    response = client.post("/fulfillment/carrier/webhook/", BODY,
                           content_type="application/json", HTTP_X_HMAC_SIGNATURE=header)
    assert response.status_code == 400
