"""Shoppers buy in a real browser: a guest checks out with the offline gateway, a declined
card shows the reason and can be retried, and a customer sees the order in their history."""

import re

import pytest
from django.core import mail
from playwright.sync_api import expect

from orders.models import Order
from tests.factories import ProductFactory, UserFactory, make_shipping, make_variant

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def shop(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    product = ProductFactory(title="Wool Beanie", slug="beanie")
    make_variant(product, sku="BEANIE-GREY", price="24.00", options={"Color": "Grey"}, stock=5)
    make_variant(product, sku="BEANIE-RUST", price="24.00", options={"Color": "Rust"}, stock=5)
    make_shipping(name="Standard", price="5.00", min_delivery_days=2, max_delivery_days=4)
    make_shipping(name="Express", price="15.00", min_delivery_days=1, max_delivery_days=1)
    return product


def add_to_cart(page, live_server, quantity="2"):
    page.goto(f"{live_server.url}/p/beanie/")
    page.get_by_label("Color").select_option("Rust")
    page.get_by_label("Quantity").fill(quantity)
    page.get_by_role("button", name="Add to cart").click()
    expect(page.get_by_role("heading", name="Your cart")).to_be_visible()
    expect(page.get_by_test_id("mini-cart")).to_contain_text(quantity)


def fill_address(page):
    """The one-page checkout's shipping address (the country first: its states follow)."""
    page.get_by_label("Country").first.select_option("US")
    page.get_by_label("First name").first.fill("Ada")
    page.get_by_label("Last name").first.fill("Lovelace")
    page.get_by_label("Address", exact=True).first.fill("12 Analytical Row")
    page.get_by_label("City").first.fill("Portland")
    page.get_by_label("State", exact=True).first.select_option("OR")
    page.get_by_label("ZIP code").first.fill("97201")


def save_email(page, email):
    page.get_by_label("Email").fill(email)
    page.get_by_role("button", name="Save email").click()


def checkout_to_pay(page, email="guest@example.com"):
    page.get_by_role("link", name="Check out").click()
    expect(page.get_by_role("heading", name="Checkout", exact=True)).to_be_visible()
    save_email(page, email)
    fill_address(page)
    finish_checkout(page)


def finish_checkout(page):
    """From a filled address form to the pay page, choosing Express (billing stays the same
    as shipping)."""
    page.get_by_role("button", name="Save address").click()
    page.get_by_label(re.compile("Express")).check()
    page.get_by_role("button", name="Save delivery").click()
    expect(page.locator(".totals-grand")).to_contain_text("$63.00")  # 48 + 15
    page.get_by_test_id("place-order").click()
    expect(page.get_by_role("heading", name=re.compile("Pay for order"))).to_be_visible()


def pay(page, number):
    page.get_by_label("Name on card").fill("Ada Lovelace")
    page.get_by_label("Card number").fill(number)
    page.get_by_label("Expiry (MM/YY)").fill("12/30")
    page.get_by_label("Security code (CVC)").fill("123")
    page.get_by_test_id("pay-button").click()


def test_guest_checks_out_to_the_confirmation_and_gets_the_email(page, live_server, shop):
    add_to_cart(page, live_server)
    checkout_to_pay(page)
    pay(page, "4242 4242 4242 4242")
    expect(page.get_by_role("heading", name="Order confirmed")).to_be_visible()
    order = Order.objects.get()
    expect(page.get_by_test_id("order-number")).to_have_text(order.number)
    assert order.payment_status == "paid"
    assert [m.subject for m in mail.outbox if "confirmed" in m.subject]
    assert any(order.number in m.subject for m in mail.outbox)


def test_declined_card_shows_the_reason_and_the_shopper_retries(page, live_server, shop):
    add_to_cart(page, live_server, quantity="1")
    page.get_by_role("link", name="Check out").click()
    save_email(page, "retry@example.com")
    # A malformed postal code is shown on the field.
    fill_address(page)
    page.get_by_label("ZIP code").first.fill("ABC")
    page.get_by_role("button", name="Save address").click()
    expect(page.get_by_text("This is not a postal code for United States")).to_be_visible()
    page.get_by_label("ZIP code").first.fill("97201")
    page.get_by_role("button", name="Save address").click()
    page.get_by_role("button", name="Save delivery").click()
    page.get_by_test_id("place-order").click()
    pay(page, "4000 0000 0000 0002")
    expect(page.get_by_role("alert")).to_contain_text("Your card was declined.")
    assert Order.objects.get().payment_status == "unpaid"
    pay(page, "4000 0025 0000 3155")
    expect(page.get_by_role("heading", name="Confirm your payment")).to_be_visible()
    page.get_by_role("button", name="Complete authentication").click()
    expect(page.get_by_role("heading", name="Order confirmed")).to_be_visible()
    assert Order.objects.get().payment_status == "paid"


def test_customer_logs_in_checks_out_and_sees_the_order_in_history(page, live_server, shop):
    UserFactory(username="grace@example.com", email="grace@example.com",
                password="correct horse battery", first_name="Grace")
    add_to_cart(page, live_server, quantity="2")  # as a guest first
    page.get_by_role("link", name="Log in").click()
    page.get_by_label("Email").fill("grace@example.com")
    page.get_by_label("Password").fill("correct horse battery")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Hello, Grace")).to_be_visible()
    expect(page.get_by_test_id("mini-cart")).to_contain_text("2")  # the guest cart came along
    page.get_by_test_id("mini-cart").click()
    page.get_by_role("link", name="Check out").click()
    # The account's email is the contact email: only the address and delivery are left.
    expect(page.get_by_role("heading", name="Shipping address")).to_be_visible()
    fill_address(page)
    page.get_by_label("Save to my address book").check()
    finish_checkout(page)
    pay(page, "4242 4242 4242 4242")
    expect(page.get_by_role("heading", name="Order confirmed")).to_be_visible()
    page.get_by_role("link", name="View this order in your account").click()
    order = Order.objects.get()
    expect(page.get_by_role("heading", name=f"Order {order.number}")).to_be_visible()
    page.get_by_role("link", name="← All orders").click()
    expect(page.get_by_role("link", name=order.number)).to_be_visible()
    expect(page.get_by_role("cell", name="$63.00")).to_be_visible()
