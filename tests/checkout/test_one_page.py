"""The one-page checkout at /checkout/: every section on one page, each a form that works
without JavaScript (post, redirect back), the voucher beside the summary; state and
province lists for US, Canadian and Australian addresses; postal codes required and named
as the country does; times in the shop's time zone."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.urls import reverse

from orders.exceptions import AddressInvalid
from orders.forms import AddressForm, clean_address
from orders.models import Cart, Order, Voucher
from tests.factories import ADDRESS

from .flow import add, place

pytestmark = pytest.mark.django_db
PAGE = "/checkout/"


def save(client, section, data):
    return client.post(reverse("checkout:start"), {"section": section, **data})


def test_the_whole_checkout_is_one_page_with_the_voucher_beside_the_summary(client, variant,
                                                                           method):
    add(client, variant)
    page = client.get(reverse("checkout:start"))
    html = page.content.decode()
    assert page.status_code == 200 and reverse("checkout:start") == PAGE
    for section in ('id="contact"', 'id="address"', 'id="shipping"', 'id="billing"',
                    'id="summary"'):
        assert section in html
    side = html[html.index('id="summary"'):]
    assert "Order summary" in side and "Voucher code" in side
    button = side[side.index('data-testid="place-order"'):].split(">")[0]
    assert "disabled" in button  # nothing is filled in yet
    assert "Still to do" in side


def test_each_section_saves_without_javascript_and_the_order_is_placed(client, variant,
                                                                       method):
    add(client, variant, 2)
    assert save(client, "contact", {"email": "ada@example.com"})["Location"] == \
        PAGE + "#address"
    assert save(client, "address", ADDRESS)["Location"] == PAGE + "#shipping"
    assert save(client, "shipping", {"method": method.pk})["Location"] == PAGE + "#billing"
    assert save(client, "billing", {"same_as_shipping": "on"})["Location"] == \
        PAGE + "#summary"
    page = client.get(PAGE).content.decode()
    assert "Still to do" not in page
    response = place(client)
    order = Order.objects.get()
    assert response["Location"] == reverse("checkout:pay", args=[order.token])
    assert order.email == "ada@example.com" and order.shipping_address.region == "OR"


def test_a_refused_section_shows_its_errors_on_the_page_and_saves_nothing(client, variant,
                                                                          method):
    add(client, variant)
    bad = save(client, "address", {**ADDRESS, "postal_code": ""})
    assert bad.status_code == 400
    assert "Enter a zip code." in bad.content.decode()
    assert Cart.objects.get().shipping_address_id is None
    wrong_state = save(client, "address", {**ADDRESS, "region": "Atlantis"})
    assert wrong_state.status_code == 400
    assert "Choose a state of United States from the list." in wrong_state.content.decode()


def test_the_voucher_applies_from_the_summary(client, variant, method):
    Voucher.objects.create(code="TEN", kind=Voucher.Kind.PERCENTAGE, value=Decimal("10"))
    add(client, variant)
    assert save(client, "voucher", {"action": "apply", "code": "ten"})["Location"] == \
        PAGE + "#summary"
    assert Cart.objects.get().voucher.code == "TEN"
    assert save(client, "voucher", {"action": "apply", "code": "NOPE"}).status_code == 400


def test_us_canadian_and_australian_addresses_pick_the_state_from_a_list(client, variant):
    add(client, variant)
    html = client.get(PAGE).content.decode()
    assert '<select name="region"' in html and '<option value="OR">Oregon</option>' in html
    canada = save(client, "address", {**ADDRESS, "country": "CA", "country_changed": "1"})
    html = canada.content.decode()
    assert canada.status_code == 200
    assert "Province or territory" in html and '<option value="BC">British Columbia' in html
    assert ">Postal code</label>" in html  # required there: no "(optional)"
    australia = save(client, "address", {**ADDRESS, "country": "AU", "country_changed": "1"})
    assert '<option value="VIC">Victoria</option>' in australia.content.decode()
    assert "Postcode" in australia.content.decode()
    germany = save(client, "address", {**ADDRESS, "country": "DE", "country_changed": "1"})
    assert '<select name="region"' not in germany.content.decode()


def test_postal_codes_are_required_where_the_country_has_them():
    us = AddressForm(initial={"country": "US"})
    assert us.fields["postal_code"].required and us.fields["postal_code"].label == "ZIP code"
    hong_kong = AddressForm(initial={"country": "HK"})
    assert not hong_kong.fields["postal_code"].required
    assert clean_address({**ADDRESS, "country": "HK", "region": "", "postal_code": ""})
    assert clean_address({**ADDRESS, "region": "oregon"})["region"] == "OR"
    with pytest.raises(AddressInvalid) as refused:
        clean_address({**ADDRESS, "country": "CA", "region": "Texas",
                       "postal_code": "V6B 1A1"})
    assert "region" in refused.value.errors


def test_times_are_in_the_shops_time_zone(client, variant, method, settings, monkeypatch):
    settings.SHOP_TIME_ZONE = "America/New_York"
    fixed = datetime(2024, 12, 10, 15, 40, tzinfo=UTC)
    monkeypatch.setattr("shop.checkout.one_page_views.timezone.now", lambda: fixed)
    add(client, variant)
    html = client.get(PAGE).content.decode()
    assert "Prices and dates as of Tue 10 Dec, 10:40 EST" in html


def test_the_step_pages_still_work_as_fallbacks(client, variant, method):
    add(client, variant)
    assert client.get(reverse("checkout:contact")).status_code == 200
    assert client.post(reverse("checkout:contact"), {"email": "a@example.com"})["Location"] == \
        reverse("checkout:address")
