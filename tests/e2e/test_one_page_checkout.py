"""The one-page checkout works without JavaScript, on a phone and a desktop, and the product
page promises a delivery date for the chosen variant (a fixed clock, never the wall one)."""

import re
from datetime import datetime, time
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from orders.models import Order
from tests.factories import ProductFactory, WarehouseFactory, make_shipping, make_variant

pytestmark = pytest.mark.django_db(transaction=True)
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


@pytest.fixture
def shop(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.SHOP_TIME_ZONE = "America/New_York"
    east = WarehouseFactory(code="east", name="East DC", priority=1, ship_cutoff=time(14, 0))
    west = WarehouseFactory(code="west", name="West DC", priority=2, ship_cutoff=time(16, 0))
    product = ProductFactory(title="Wool Beanie", slug="beanie")
    make_variant(product, sku="BEANIE-GREY", price="24.00", options={"Color": "Grey"}, stock=5,
                 warehouse=east)
    make_variant(product, sku="BEANIE-RUST", price="24.00", options={"Color": "Rust"}, stock=5,
                 warehouse=west)
    make_shipping(name="Standard", price="5.00", min_delivery_days=2, max_delivery_days=3)
    make_shipping(name="Express", price="15.00", min_delivery_days=1, max_delivery_days=1)
    make_shipping(country="CA", name="Canada Post", price="12.00")
    return product


def no_horizontal_overflow(page):
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_a_guest_checks_out_on_one_page_without_javascript(browser, live_server, shop,
                                                           viewport):
    context = browser.new_context(viewport=viewport, java_script_enabled=False)
    page = context.new_page()
    page.goto(f"{live_server.url}/p/beanie/?variant={shop.variants.get(sku='BEANIE-GREY').pk}")
    page.get_by_role("button", name="Add to cart").click()
    page.get_by_role("link", name="Check out").click()
    expect(page.get_by_role("heading", name="Checkout", exact=True)).to_be_visible()
    no_horizontal_overflow(page)
    # The voucher field sits with the order summary.
    summary = page.locator("#summary")
    expect(summary.get_by_label("Voucher code")).to_be_visible()
    expect(page.get_by_test_id("place-order")).to_be_disabled()

    page.get_by_label("Email").fill("nojs@example.com")
    page.get_by_role("button", name="Save email").click()
    # Canada: "Update" (no JavaScript to do it) shows its provinces and postal code.
    address = page.locator("#address")
    address.get_by_label("Country").select_option("CA")
    address.get_by_role("button", name="Update for this country").click()
    expect(address.get_by_label("Province or territory")).to_be_visible()
    expect(address.get_by_label("Postal code")).to_be_visible()
    address.get_by_label("Country").select_option("US")
    address.get_by_role("button", name="Update for this country").click()
    address.get_by_label("First name").fill("Ada")
    address.get_by_label("Last name").fill("Lovelace")
    address.get_by_label("Address", exact=True).fill("12 Analytical Row")
    address.get_by_label("City").fill("Portland")
    address.get_by_label("State", exact=True).select_option("OR")
    address.get_by_role("button", name="Save address").click()
    expect(page.get_by_text("Enter a zip code.")).to_be_visible()  # required, and says so
    page.locator("#address").get_by_label("ZIP code").fill("97201")
    page.get_by_role("button", name="Save address").click()
    page.get_by_label(re.compile("Express")).check()
    page.get_by_role("button", name="Save delivery").click()
    expect(page.locator(".totals-grand")).to_contain_text("$39.00")  # 24 + 15
    no_horizontal_overflow(page)
    page.get_by_test_id("place-order").click()
    expect(page.get_by_role("heading", name=re.compile("Pay for order"))).to_be_visible()
    order = Order.objects.get()
    assert order.email == "nojs@example.com" and order.shipping_address.region == "OR"
    assert order.shipping_method_name == "Express"
    context.close()


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_the_product_page_promises_delivery_for_the_chosen_variant(page, live_server, shop,
                                                                  viewport, monkeypatch):
    tuesday = datetime(2024, 12, 10, 10, 40, tzinfo=ZoneInfo("America/New_York"))
    monkeypatch.setattr("orders.delivery_promise.timezone.now", lambda: tuesday)
    page.set_viewport_size(viewport)
    page.goto(f"{live_server.url}/p/beanie/")
    promise = page.locator("[data-testid=delivery-promise]:visible")
    expect(promise).to_have_text("Order within 3 h 20 min, arrives Thu 12 - Fri 13 Dec")
    # Rust ships from the west warehouse, whose cutoff is 16:00.
    page.get_by_label("Color").select_option("Rust")
    expect(promise).to_have_text("Order within 5 h 20 min, arrives Thu 12 - Fri 13 Dec")
    no_horizontal_overflow(page)
