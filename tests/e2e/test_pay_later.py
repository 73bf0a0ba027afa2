"""A shopper leaves the pay page and comes back later: the "awaiting payment" email's link
opens the order page (a signed guest link, in another browser), whose Pay now button
leads to the pay page; paying confirms the order. On a phone (390 px) and a laptop."""

import re
from urllib.parse import urlsplit

import pytest
from django.core import mail
from playwright.sync_api import expect

from orders.models import Order
from tests.factories import ProductFactory, make_shipping, make_variant

from .test_checkout import add_to_cart, fill_address, pay, save_email

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def shop(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    product = ProductFactory(title="Wool Beanie", slug="beanie")
    make_variant(product, sku="BEANIE-RUST", price="24.00", options={"Color": "Rust"}, stock=5)
    make_shipping(name="Standard", price="5.00", min_delivery_days=2, max_delivery_days=4)
    return product


def new_page(browser, width):
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    return context, page, errors


def no_horizontal_scroll(page):
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


@pytest.mark.parametrize("width", [390, 1280])
def test_shopper_leaves_the_pay_page_and_pays_from_the_email(browser, live_server, shop,
                                                              width):
    context, page, errors = new_page(browser, width)
    add_to_cart(page, live_server, quantity="1")
    page.goto(f"{live_server.url}/checkout/")
    save_email(page, "later@example.com")
    fill_address(page)
    page.get_by_role("button", name="Save address").click()
    page.get_by_role("button", name="Save delivery").click()
    page.get_by_test_id("place-order").click()
    expect(page.get_by_role("heading", name=re.compile("Pay for order"))).to_be_visible()
    expect(page.get_by_test_id("awaiting-payment")).to_contain_text(
        "Order received, awaiting payment")
    # The shopper leaves without paying.
    page.goto(f"{live_server.url}/")
    order = Order.objects.get()
    assert order.payment_status == Order.PaymentStatus.UNPAID

    [email] = [m for m in mail.outbox if order.number in m.subject]
    assert "received, awaiting payment" in email.subject and "confirmed" not in email.subject
    link = re.search(r"Pay for your order: (\S+)", email.body).group(1)
    context.close()
    assert not errors, errors

    # Later, maybe on another device: the email's link, the order page, Pay now.
    context, page, errors = new_page(browser, width)
    page.goto(live_server.url + urlsplit(link).path)
    expect(page.get_by_role("heading", name=f"Order {order.number}")).to_be_visible()
    expect(page.get_by_test_id("order-status")).to_have_text("Awaiting payment")
    no_horizontal_scroll(page)
    page.get_by_role("link", name="Pay now").click()
    expect(page.get_by_role("heading", name=f"Pay for order {order.number}")).to_be_visible()
    no_horizontal_scroll(page)
    pay(page, "4242 4242 4242 4242")
    expect(page.get_by_role("heading", name="Order confirmed")).to_be_visible()
    order.refresh_from_db()
    assert order.payment_status == Order.PaymentStatus.PAID
    assert any(f"Order {order.number} confirmed" in m.subject for m in mail.outbox)

    page.goto(live_server.url + urlsplit(link).path)
    expect(page.get_by_test_id("order-status")).to_have_text("Confirmed")
    expect(page.get_by_role("link", name="Pay now")).to_have_count(0)
    expect(page.locator(".timeline")).to_contain_text("Payment received")
    context.close()
    assert not errors, errors
