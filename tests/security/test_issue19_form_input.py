"""Issue 19's forms given the nasty values of tests/security/test_form_input.py (numbers
past what the database holds, NaN, NUL bytes, 10,000-character strings) in every field,
one at a time and all at once: the review form (the invitation link and the account's
order page), email preferences, the guest data request and its link pages, and closing an
account. Never a 500. (The contact form is in test_form_input; the unsubscribe form and
link tokens in tests/marketing/test_bad_input.py; the API's email step in
tests/marketing/test_api_consent.py and test_api_input.)"""

import pytest
from django.test import Client

from privacy.links import data_link_signature
from reviews.links import invitation_path
from tests.factories import UserFactory
from tests.returns import conftest as returns_fixtures
from tests.security.test_form_input import each_field, five_hundreds, production_like

warehouse = returns_fixtures.warehouse
catalog = returns_fixtures.catalog
delivered_order = returns_fixtures.delivered_order
__all__ = ["production_like"]  # autouse: DEBUG off, rate limits off

pytestmark = pytest.mark.django_db
REVIEW_FIELDS = ["line", "rating", "title", "body", "author_name"]


def test_review_forms_never_500(delivered_order):
    ada = UserFactory(email="ada@example.com")
    order = delivered_order(user=ada)
    base = {"line": order.lines.get(sku="SHIRT-M").pk, "rating": "4",
            "body": "Soft linen, a little short."}
    guest = Client(raise_request_exception=False)
    failures = five_hundreds(guest, "post", invitation_path(order),
                             each_field(REVIEW_FIELDS, base))
    account = Client(raise_request_exception=False)
    account.force_login(ada)
    failures += five_hundreds(account, "post", f"/account/orders/{order.number}/review/",
                              each_field(REVIEW_FIELDS, base))
    for url in ("/reviews/write/" + "x" * 5000 + "/", "/reviews/write/\x00/",
                f"/account/orders/{'9' * 20}/review/", "/p/no-such/reviews/?page=" + "9" * 40,
                "/p/no-such/reviews/?page=\x00"):
        response = account.get(url)
        if response.status_code >= 500:
            failures.append(("get", url[:60], response.status_code))
    assert failures == []


def test_account_data_and_consent_forms_never_500():
    ada = UserFactory(email="ada@example.com")
    client = Client(raise_request_exception=False)
    client.force_login(ada)
    failures = five_hundreds(client, "post", "/account/email-preferences/",
                             each_field(["marketing_opt_in"]))
    failures += five_hundreds(client, "post", "/account/close/",
                              each_field(["password", "confirm"], {"confirm": "on"}))
    failures += five_hundreds(client, "post", "/account/data/download/", each_field(["x"]))
    assert failures == []
    ada.refresh_from_db()
    assert ada.is_active  # no nasty password closed it


def test_guest_data_request_pages_never_500(delivered_order):
    order = delivered_order()
    guest = Client(raise_request_exception=False)
    failures = five_hundreds(guest, "post", "/privacy/request/",
                             each_field(["email", "order_number"],
                                        {"email": order.email, "order_number": order.number}))
    signature = data_link_signature(order.email)
    failures += five_hundreds(guest, "post", f"/privacy/data/{signature}/erase/",
                              each_field(["confirm"]))
    for url in (f"/privacy/data/{'x' * 5000}/", "/privacy/data/\x00/download/",
                f"/privacy/data/{signature[:-2]}/erase/"):
        for method in ("get", "post"):
            response = getattr(guest, method)(url)
            if response.status_code >= 500:
                failures.append((method, url[:60], response.status_code))
    assert failures == []
