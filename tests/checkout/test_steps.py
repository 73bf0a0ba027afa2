"""The checkout steps: contact, address, shipping, billing, review and placing the order."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from inventory.models import StockLevel
from orders.models import Address, Cart, Order, TaxRate, Voucher
from tests.factories import ADDRESS, UserFactory, make_shipping

from .flow import add, fill_checkout, place, row_counts

pytestmark = pytest.mark.django_db

STEP_PAGES = ["checkout:contact", "checkout:address", "checkout:shipping", "checkout:billing",
              "checkout:review"]


def cart() -> Cart:
    return Cart.objects.get(status=Cart.Status.OPEN)


# --- Guards ---------------------------------------------------------------------------------

def test_every_step_with_an_empty_cart_goes_back_to_the_cart(client):
    for name in ["checkout:start", *STEP_PAGES]:
        assert client.get(reverse(name))["Location"] == reverse("checkout:cart")


def test_start_is_the_one_page_checkout_naming_what_is_still_to_do(client, variant, method):
    # /checkout/ is the one-page checkout now (tests/checkout/test_one_page.py); the step
    # pages stay as fallbacks.
    add(client, variant)
    page = client.get(reverse("checkout:start"))
    assert page.status_code == 200 and page.context["missing"][0] == "email"
    client.post(reverse("checkout:contact"), {"email": "a@example.com"})
    assert client.get(reverse("checkout:start")).context["missing"][0] == "address"
    fill_checkout(client, method)
    assert client.get(reverse("checkout:start")).context["missing"] == []


def test_a_later_step_before_an_earlier_one_redirects_and_writes_nothing(client, variant,
                                                                          method):
    add(client, variant)
    assert client.get(reverse("checkout:review"))["Location"] == reverse("checkout:contact")
    before = row_counts()
    response = client.post(reverse("checkout:address"), ADDRESS)
    assert response["Location"] == reverse("checkout:contact")
    assert row_counts() == before
    client.post(reverse("checkout:contact"), {"email": "a@example.com"})
    assert client.get(reverse("checkout:shipping"))["Location"] == reverse("checkout:address")
    response = client.post(reverse("checkout:billing"), {"billing-first_name": "Ada"})
    assert response["Location"] == reverse("checkout:address")
    assert row_counts() == before and cart().billing_address_id is None


def test_each_step_shows_the_progress_and_the_order_summary(client, variant, method):
    add(client, variant, 2)
    fill_checkout(client, method)
    for name, current in zip(STEP_PAGES, ["Contact", "Address", "Shipping", "Billing",
                                          "Review"], strict=True):
        html = client.get(reverse(name)).content.decode()
        assert 'aria-label="Checkout progress"' in html
        assert f'aria-current="step">\n        <span>{current}</span>' in html
        assert "Order summary" in html
        assert "Trail Mug" in html and "$36.00" in html and "$5.00" in html  # sub, shipping
        assert "$41.00" in html  # total


# --- Contact --------------------------------------------------------------------------------

@pytest.mark.parametrize("email", ["", "   ", "nope", "a@b", "ada@@example.com",
                                   "x" * 250 + "@example.com", "ada@exa\x00mple.com"])
def test_a_missing_or_invalid_email_is_shown_by_the_field(client, variant, email):
    add(client, variant)
    before = row_counts()
    response = client.post(reverse("checkout:contact"), {"email": email})
    assert response.status_code == 400
    html = response.content.decode()
    assert 'aria-invalid="true"' in html and 'class="field-error"' in html
    assert "email" in response.context["form"].errors
    assert cart().email == "" and row_counts() == before


def test_an_empty_post_says_the_email_is_required(client, variant):
    add(client, variant)
    response = client.post(reverse("checkout:contact"), {})
    assert response.status_code == 400
    assert "This field is required." in response.content.decode()


def test_contact_is_prefilled_for_a_logged_in_customer(client, variant):
    client.force_login(UserFactory(email="grace@example.com"))
    add(client, variant)
    html = client.get(reverse("checkout:contact")).content.decode()
    assert 'value="grace@example.com"' in html


# --- Address --------------------------------------------------------------------------------

@pytest.mark.parametrize("changes,field,message", [
    ({"postal_code": "ABC"}, "postal_code", "This is not a postal code for United States"),
    ({"postal_code": "1234"}, "postal_code", "This is not a postal code for United States"),
    ({"postal_code": ""}, "postal_code", "Enter a postal code."),
    ({"first_name": ""}, "first_name", "This field is required."),
    ({"last_name": ""}, "last_name", "This field is required."),
    ({"line1": ""}, "line1", "This field is required."),
    ({"city": ""}, "city", "This field is required."),
    ({"country": ""}, "country", "This field is required."),
    ({"country": "ZZ"}, "country", "Select a valid choice."),
    ({"phone": "call me"}, "phone", "Enter a phone number"),
    ({"city": "A\x00B"}, "city", "Null characters are not allowed."),
])
def test_a_malformed_address_is_refused_field_by_field(client, variant, changes, field,
                                                       message):
    add(client, variant)
    client.post(reverse("checkout:contact"), {"email": "a@example.com"})
    before = row_counts()
    response = client.post(reverse("checkout:address"), {**ADDRESS, **changes})
    assert response.status_code == 400
    assert field in response.context["form"].errors
    assert message in response.content.decode()
    assert row_counts() == before and cart().shipping_address_id is None


def test_an_empty_address_post_lists_every_required_field(client, variant):
    add(client, variant)
    client.post(reverse("checkout:contact"), {"email": "a@example.com"})
    response = client.post(reverse("checkout:address"), {})
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert {"first_name", "last_name", "line1", "city", "country"} <= set(errors)


def test_a_customer_ships_to_a_saved_address_or_saves_a_new_one(client, variant, method):
    user = UserFactory()
    home = Address.objects.create(user=user, saved=True, **ADDRESS)
    client.force_login(user)
    add(client, variant)
    client.post(reverse("checkout:contact"), {"email": user.email})
    html = client.get(reverse("checkout:address")).content.decode()
    assert f'name="saved_address" value="{home.pk}" checked' in html
    assert "Save to my address book" in html
    response = client.post(reverse("checkout:address"), {"saved_address": home.pk})
    assert response["Location"] == reverse("checkout:shipping")
    assert cart().shipping_address.as_dict() == home.as_dict()
    assert Address.objects.filter(saved=True).count() == 1
    office = {**ADDRESS, "line1": "1 Office Park", "postal_code": "97204"}
    client.post(reverse("checkout:address"), {"saved_address": "new", "save_address": "1",
                                              **office})
    assert cart().shipping_address.line1 == "1 Office Park"
    assert Address.objects.filter(user=user, saved=True).count() == 2


def test_someone_elses_saved_address_cannot_be_chosen(client, variant):
    theirs = Address.objects.create(user=UserFactory(), saved=True, **ADDRESS)
    client.force_login(UserFactory())
    add(client, variant)
    client.post(reverse("checkout:contact"), {"email": "a@example.com"})
    before = row_counts()
    response = client.post(reverse("checkout:address"), {"saved_address": theirs.pk})
    # Without saved addresses of their own the choice is ignored: the (empty) new address
    # form answers.
    assert response.status_code == 400
    assert "first_name" in response.context["form"].errors
    assert row_counts() == before and cart().shipping_address_id is None


def test_a_customer_picking_an_unknown_saved_address_is_told_so(client, variant):
    user = UserFactory()
    Address.objects.create(user=user, saved=True, **ADDRESS)
    theirs = Address.objects.create(user=UserFactory(), saved=True, **ADDRESS)
    client.force_login(user)
    add(client, variant)
    client.post(reverse("checkout:contact"), {"email": user.email})
    before = row_counts()
    response = client.post(reverse("checkout:address"), {"saved_address": theirs.pk})
    assert response.status_code == 400
    assert "Choose one of your saved addresses" in response.content.decode()
    assert row_counts() == before


# --- Shipping -------------------------------------------------------------------------------

def test_shipping_lists_each_offered_method_with_price_and_delivery_window(client, variant,
                                                                          method):
    make_shipping(name="Express", price="15.00", min_delivery_days=1, max_delivery_days=1)
    add(client, variant)
    client.post(reverse("checkout:contact"), {"email": "a@example.com"})
    client.post(reverse("checkout:address"), ADDRESS)
    page = client.get(reverse("checkout:shipping"))
    html = page.content.decode()
    for option in page.context["checkout"].shipping_options:
        assert f'name="method" value="{option.pk}"' in html
        assert option.window in html
    assert "Standard" in html and "$5.00" in html and "Express" in html and "$15.00" in html


@pytest.mark.parametrize("bad", ["999999", "abc", "", "-1", str(10**30)])
def test_an_unknown_shipping_method_is_refused(client, variant, method, bad):
    add(client, variant)
    client.post(reverse("checkout:contact"), {"email": "a@example.com"})
    client.post(reverse("checkout:address"), ADDRESS)
    before = row_counts()
    response = client.post(reverse("checkout:shipping"), {"method": bad})
    assert response.status_code == 400
    assert "Choose one of the shipping methods offered for your address." in \
        response.content.decode()
    assert cart().shipping_method_id is None and row_counts() == before


def test_a_method_for_another_country_is_refused(client, variant, method):
    canada = make_shipping(country="CA", name="Canada Post", price="9.00")
    add(client, variant)
    client.post(reverse("checkout:contact"), {"email": "a@example.com"})
    client.post(reverse("checkout:address"), ADDRESS)
    response = client.post(reverse("checkout:shipping"), {"method": canada.pk})
    assert response.status_code == 400 and cart().shipping_method_id is None


def test_no_method_for_the_address_says_so_clearly(client, variant, method):
    add(client, variant)
    client.post(reverse("checkout:contact"), {"email": "a@example.com"})
    client.post(reverse("checkout:address"), {**ADDRESS, "country": "CA", "region": "BC",
                                              "postal_code": "V6B 1A1"})
    html = client.get(reverse("checkout:shipping")).content.decode()
    assert "We can't ship this cart to Canada" in html
    assert 'name="method"' not in html


# --- Billing --------------------------------------------------------------------------------

def test_billing_same_as_shipping_is_ticked_by_default(client, variant, method):
    add(client, variant)
    client.post(reverse("checkout:contact"), {"email": "a@example.com"})
    client.post(reverse("checkout:address"), ADDRESS)
    client.post(reverse("checkout:shipping"), {"method": method.pk})
    html = client.get(reverse("checkout:billing")).content.decode()
    assert 'name="same_as_shipping" id="id_same_as_shipping" checked' in html


def test_a_different_billing_address_is_validated_and_kept(client, variant, method):
    add(client, variant)
    fill_checkout(client, method)
    billing = {f"billing-{key}": value for key, value in ADDRESS.items()}
    before = row_counts()
    response = client.post(reverse("checkout:billing"), {**billing, "billing-postal_code": "X"})
    assert response.status_code == 400
    assert "billing-postal_code" in response.content.decode()
    assert "postal_code" in response.context["form"].errors
    assert row_counts() == before and cart().billing_same_as_shipping
    response = client.post(reverse("checkout:billing"), {**billing,
                                                         "billing-line1": "9 Billing Way"})
    assert response["Location"] == reverse("checkout:review")
    assert cart().billing_address.line1 == "9 Billing Way"
    assert "9 Billing Way" in client.get(reverse("checkout:review")).content.decode()


# --- Review and vouchers --------------------------------------------------------------------

def test_review_shows_everything_with_edit_links(client, variant, method):
    TaxRate.objects.create(country="US", rate=Decimal("10"))
    add(client, variant, 2)
    fill_checkout(client, method)
    html = client.get(reverse("checkout:review")).content.decode()
    assert "ada@example.com" in html and "12 Analytical Row" in html
    assert "Standard" in html and "Same as shipping address" in html
    for name in STEP_PAGES[:-1]:
        assert f'href="{reverse(name)}">Edit' in html
    assert "<dt>Tax</dt><dd>$4.10</dd>" in html  # 10% of 36 + 5
    assert f'value="{cart().token}"' in html
    assert f'action="{reverse("checkout:review")}"' in html


def test_review_says_tax_is_included_when_prices_include_it(client, variant, method, settings):
    settings.SHOP_PRICES_INCLUDE_TAX = True
    TaxRate.objects.create(country="US", rate=Decimal("20"))
    add(client, variant)
    fill_checkout(client, method)
    assert "Tax (incl.)" in client.get(reverse("checkout:review")).content.decode()


@pytest.mark.parametrize("code,message", [
    ("BOGUS", "The code BOGUS is not valid."),
    ("expired", "The code EXPIRED has expired."),
    ("GONE", "The code GONE has been fully used."),
    ("later", "The code LATER is not valid yet."),
    ("OFF", "The code OFF is no longer valid."),
    ("", "This field is required."),
])
def test_a_voucher_that_cannot_be_used_is_refused_with_the_reason(client, variant, method,
                                                                  code, message):
    now = timezone.now()
    Voucher.objects.create(code="EXPIRED", kind="percentage", value=10,
                           ends_at=now - timedelta(days=1))
    Voucher.objects.create(code="LATER", kind="percentage", value=10,
                           starts_at=now + timedelta(days=1))
    Voucher.objects.create(code="OFF", kind="percentage", value=10, is_active=False)
    Voucher.objects.create(code="GONE", kind="fixed", value=5, usage_limit=1)
    Voucher.objects.filter(code="GONE").update(used_count=1)
    add(client, variant)
    fill_checkout(client, method)
    before = row_counts()
    response = client.post(reverse("checkout:voucher"), {"code": code, "action": "apply"})
    assert response.status_code == 400
    assert message in response.content.decode()
    assert "code" in response.context["voucher_form"].errors
    assert cart().voucher_id is None and row_counts() == before


def test_a_voucher_is_applied_to_the_totals_and_can_be_removed(client, variant, method):
    Voucher.objects.create(code="SAVE10", kind="percentage", value=10)
    add(client, variant)
    fill_checkout(client, method)
    response = client.post(reverse("checkout:voucher"), {"code": " save10 ", "action": "apply"})
    assert response["Location"] == reverse("checkout:review")
    html = client.get(reverse("checkout:review")).content.decode()
    assert "Voucher SAVE10 applied: 10% off." in html
    assert "−$1.80" in html and "$21.20" in html  # 18 − 1.80 + 5
    client.post(reverse("checkout:voucher"), {"action": "remove"})
    assert cart().voucher_id is None


# --- Placing the order ----------------------------------------------------------------------

def test_placing_stores_the_order_for_this_browser_and_forgets_the_cart(client, variant,
                                                                         method):
    add(client, variant, 2)
    fill_checkout(client, method)
    response = place(client)
    order = Order.objects.get()
    assert response["Location"] == reverse("checkout:pay", args=[order.token])
    assert client.session["placed_orders"] == [order.pk]
    assert order.customer_ip == "127.0.0.1" and order.user is None
    assert order.total == Decimal("41.00")
    assert client.get(reverse("storefront:home")).context["cart_quantity"]() == 0
    assert client.get(reverse("checkout:cart")).context["checkout"] is None


def test_behind_the_shops_proxy_the_order_keeps_the_shoppers_ip(client, variant, method,
                                                                 settings):
    settings.SHOP_TRUSTED_PROXY_COUNT = 1
    add(client, variant)
    fill_checkout(client, method)
    cart = Cart.objects.get(status=Cart.Status.OPEN)
    client.post(reverse("checkout:review"), {"checkout_token": str(cart.token)},
                HTTP_X_FORWARDED_FOR="198.51.100.1, 203.0.113.7", REMOTE_ADDR="10.0.0.2")
    assert Order.objects.get().customer_ip == "203.0.113.7"


def test_a_customers_order_belongs_to_them(client, variant, method):
    user = UserFactory()
    client.force_login(user)
    add(client, variant)
    fill_checkout(client, method, email=user.email)
    place(client)
    assert Order.objects.get().user == user


def test_prices_and_totals_sent_by_the_browser_are_ignored(client, variant, method):
    add(client, variant, 1, price="0.01")
    fill_checkout(client, method)
    place(client, total="0.01", subtotal="0", unit_price="0.01", shipping="0")
    assert Order.objects.get().total == Decimal("23.00")


def test_a_double_submit_gives_one_order(client, variant, method):
    add(client, variant)
    fill_checkout(client, method)
    token = str(cart().token)
    first = client.post(reverse("checkout:review"), {"checkout_token": token})
    second = client.post(reverse("checkout:review"), {"checkout_token": token})
    assert Order.objects.count() == 1
    assert first["Location"] == second["Location"] == reverse(
        "checkout:pay", args=[Order.objects.get().token])
    assert StockLevel.objects.get(variant=variant).allocated == 1


def test_a_stale_checkout_token_is_a_conflict(client, variant, method):
    add(client, variant)
    fill_checkout(client, method)
    before = row_counts()
    for token in ["0b3c3a54-5d3e-4a43-9d8e-1b1b7e0d6a11", "not-a-token", ""]:
        response = client.post(reverse("checkout:review"), {"checkout_token": token})
        assert response.status_code == 409
        assert "Your cart changed since this page was opened." in response.content.decode()
    assert row_counts() == before


def test_placing_a_cart_emptied_in_another_tab_goes_back_to_the_cart(client, variant, method):
    # The review page is open in one tab; the cart is emptied in another; "Place order".
    add(client, variant)
    fill_checkout(client, method)
    token = str(cart().token)
    client.post(reverse("checkout:remove"), {"variant": variant.pk})
    before = row_counts()
    for posted in (token, "0b3c3a54-5d3e-4a43-9d8e-1b1b7e0d6a11"):
        response = client.post(reverse("checkout:review"), {"checkout_token": posted})
        assert response.status_code == 302 and response["Location"] == reverse("checkout:cart")
    assert row_counts() == before
    page = client.get(reverse("checkout:cart"))
    assert "Your cart is empty." in page.content.decode()


def test_someone_elses_checkout_token_does_not_reveal_their_order(client, variant, method):
    add(client, variant)
    fill_checkout(client, method)
    token = str(cart().token)
    place(client)
    stranger = Client()
    response = stranger.post(reverse("checkout:review"), {"checkout_token": token})
    assert response["Location"] == reverse("checkout:cart")
    assert Order.objects.count() == 1


def test_stock_gone_before_placing_shows_the_reason_and_writes_nothing(client, variant,
                                                                       method):
    add(client, variant, 5)
    fill_checkout(client, method)
    StockLevel.objects.filter(variant=variant).update(allocated=3)
    before = row_counts()
    response = place(client)
    assert response.status_code == 409
    assert "only 2 of Trail Mug" in response.content.decode()
    assert row_counts() == before


def test_a_step_undone_before_placing_sends_the_shopper_back_to_it(client, variant, method):
    add(client, variant)
    fill_checkout(client, method)
    method.is_active = False
    method.save()
    before = row_counts()
    response = place(client)
    assert response["Location"] == reverse("checkout:shipping")
    assert row_counts() == before
