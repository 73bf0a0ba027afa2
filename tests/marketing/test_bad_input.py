"""No input makes the marketing pages answer 500: NUL bytes, huge numbers and long strings
in the consent box, the preferences form, the unsubscribe form and the link tokens."""

import pytest
from django.test import Client
from django.urls import reverse

from marketing.links import unsubscribe_token
from tests.checkout.flow import add
from tests.factories import ProductFactory, UserFactory, make_variant

pytestmark = pytest.mark.django_db
NASTY = [str(2**63), "-1", "1e400", "NaN", "½", "\x00", "1\x00", "9" * 10_000, "x" * 10_000]


def ok(response):
    assert response.status_code < 500, response.status_code


def test_checkout_contact_with_a_nasty_box_or_email_never_500():
    client = Client(raise_request_exception=False)
    add(client, make_variant(ProductFactory(), price="5.00", stock=5))
    for value in NASTY:
        ok(client.post(reverse("checkout:start"), {"section": "contact", "email": value,
                                                   "marketing_opt_in": value}))
        ok(client.post(reverse("checkout:contact"), {"email": "a@example.com",
                                                     "marketing_opt_in": value}))


def test_preferences_and_unsubscribe_never_500():
    client = Client(raise_request_exception=False)
    client.force_login(UserFactory(username="ada", email="ada@example.com"))
    url = unsubscribe_token("ada@example.com")
    for value in NASTY:
        ok(client.post(reverse("account:email_preferences"), {"marketing_opt_in": value}))
        ok(client.post(f"/email/unsubscribe/{url}/", {"confirm": value,
                                                      "List-Unsubscribe": value}))
        ok(client.get(f"/email/unsubscribe/{value[:2000]}/"))
        ok(client.get(f"/cart/restore/{value[:2000]}/"))
    ok(client.post(f"/email/unsubscribe/{url}/", b"\xff\xfe\x00garbage",
                   content_type="application/x-www-form-urlencoded"))
