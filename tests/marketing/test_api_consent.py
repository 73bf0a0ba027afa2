"""Issue 19, consent: the REST API's email step takes an optional ``marketing_consent``
(default false). True records the grant with the checkout's wording and source "api";
false or absent records nothing (never pre-ticked); anything but a JSON boolean is a 400."""

import pytest
from rest_framework.test import APIClient

from marketing.consent import CHECKOUT_WORDING, may_email_marketing
from marketing.models import ConsentRecord

pytestmark = pytest.mark.django_db


@pytest.fixture
def api():
    return APIClient()


def new_cart(api) -> str:
    response = api.post("/api/carts/", format="json")
    assert response.status_code == 201
    return response.json()["token"]


def test_ticked_consent_through_the_api_is_recorded_with_wording_and_source(api):
    token = new_cart(api)
    response = api.put(f"/api/carts/{token}/email/",
                       {"email": "Api@Example.com", "marketing_consent": True}, format="json")

    assert response.status_code == 200, response.content
    record = ConsentRecord.objects.get()
    assert (record.email, record.granted, record.source, record.wording) == (
        "api@example.com", True, ConsentRecord.Source.API, CHECKOUT_WORDING)
    assert may_email_marketing("api@example.com")


@pytest.mark.parametrize("body", [{"email": "api@example.com"},
                                  {"email": "api@example.com", "marketing_consent": False}])
def test_no_consent_unless_the_shopper_ticked_it(api, body):
    token = new_cart(api)
    assert api.put(f"/api/carts/{token}/email/", body, format="json").status_code == 200
    assert not ConsentRecord.objects.exists()
    assert not may_email_marketing("api@example.com")


@pytest.mark.parametrize("value", ["true", 1, "yes", None, [True], {"a": True}, "\x00"])
def test_a_consent_that_is_not_a_boolean_is_refused_with_a_message(api, value):
    token = new_cart(api)
    response = api.put(f"/api/carts/{token}/email/",
                       {"email": "api@example.com", "marketing_consent": value}, format="json")
    assert response.status_code == 400
    assert "marketing_consent" in response.json()["detail"]
    assert not ConsentRecord.objects.exists()
