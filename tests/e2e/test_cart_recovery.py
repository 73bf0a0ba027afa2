"""Abandoned checkout recovery in a browser, at phone width: a shopper opts in at checkout
and leaves; the reminder's link, opened on another device, brings the cart back (with the
new price shown), and the shopper pays (offline gateway). The dashboard counts it; the
email's unsubscribe link works on the phone too."""

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone
from playwright.sync_api import expect

from catalog.models import Variant
from marketing import consent, tasks
from marketing.models import CartRecovery, ConsentRecord
from orders.models import Cart, Order
from shop.dashboard.periods import preset_period
from shop.dashboard.selectors import marketing_panel
from tests.factories import ProductFactory, make_shipping, make_variant

pytestmark = pytest.mark.django_db(transaction=True)
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def shop(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    product = ProductFactory(title="Wool Beanie", slug="beanie")
    make_variant(product, sku="BEANIE-GREY", price="24.00", stock=5)
    make_shipping(name="Standard", price="5.00", min_delivery_days=2, max_delivery_days=3)
    return product


def no_horizontal_overflow(page):
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_a_shopper_comes_back_from_the_reminder_on_another_device_and_pays(browser,
                                                                         live_server, shop):
    # Device 1: the shopper gets as far as the address, opting in on the way, and leaves.
    laptop = browser.new_context(viewport=PHONE)
    page = laptop.new_page()
    page.goto(f"{live_server.url}/p/beanie/")
    page.get_by_role("button", name="Add to cart").click()
    page.get_by_role("link", name="Check out").click()
    page.get_by_label("Email", exact=True).fill("ada@example.com")
    opt_in = page.get_by_label(consent.CHECKOUT_WORDING)
    expect(opt_in).not_to_be_checked()
    opt_in.check()
    page.get_by_role("button", name="Save email").click()
    address = page.locator("#address")
    address.get_by_label("First name").fill("Ada")
    address.get_by_label("Last name").fill("Lovelace")
    address.get_by_label("Address", exact=True).fill("12 Analytical Row")
    address.get_by_label("City").fill("Portland")
    address.get_by_label("State", exact=True).select_option("OR")
    address.get_by_label("ZIP code").fill("97201")
    page.get_by_role("button", name="Save address").click()
    expect(page.locator("#shipping")).to_be_visible()
    laptop.close()
    assert ConsentRecord.objects.get().wording == consent.CHECKOUT_WORDING

    # Two hours later the beat task sends the reminder; the price dropped meanwhile.
    Cart.objects.update(updated_at=timezone.now() - timedelta(hours=2))
    assert tasks.remind_abandoned_checkouts() == 1
    [message] = [m for m in mail.outbox if "/cart/restore/" in m.body]
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    link = re.search(r"https?://[^/\s]+(/cart/restore/[^/\s]+/)", message.body).group(1)
    Variant.objects.filter(sku="BEANIE-GREY").update(price="20.00")

    # Device 2: a phone that has never seen the shop.
    phone = browser.new_context(viewport=PHONE)
    page = phone.new_page()
    page.goto(f"{live_server.url}{link}")
    expect(page.get_by_role("status")).to_contain_text(
        "The price of Wool Beanie changed from $24.00 to $20.00.")
    expect(page.get_by_text("Wool Beanie").first).to_be_visible()
    no_horizontal_overflow(page)
    page.get_by_role("link", name="Check out").click()
    expect(page.get_by_label("Email", exact=True)).to_have_value("ada@example.com")
    page.get_by_role("button", name="Save delivery").click()
    expect(page.locator(".totals-grand")).to_contain_text("$25.00")  # 20 + 5
    no_horizontal_overflow(page)
    page.get_by_test_id("place-order").click()
    page.get_by_label("Name on card").fill("Ada Lovelace")
    page.get_by_label("Card number").fill("4242 4242 4242 4242")
    page.get_by_label("Expiry (MM/YY)").fill("12/30")
    page.get_by_label("Security code (CVC)").fill("123")
    page.get_by_test_id("pay-button").click()
    expect(page.get_by_role("heading", name="Order confirmed")).to_be_visible()
    no_horizontal_overflow(page)

    # The email's unsubscribe link: a confirm page, one button, no login.
    unsubscribe = message.extra_headers["List-Unsubscribe"].strip("<>")
    page.goto(live_server.url + unsubscribe[unsubscribe.index("/email/"):])
    no_horizontal_overflow(page)
    page.get_by_role("button", name="Unsubscribe").click()
    expect(page.get_by_role("heading", name="You're unsubscribed")).to_be_visible()
    assert consent.has_unsubscribed("ada@example.com")
    phone.close()

    order = Order.objects.get()
    assert order.payment_status == "paid" and order.email == "ada@example.com"
    assert CartRecovery.objects.get().restored_cart.token == order.checkout_token
    kpis = {kpi.key: kpi.value for kpi in marketing_panel(preset_period("7d")).kpis}
    assert kpis["reminders_sent"] == 1 and kpis["carts_recovered"] == 1
    assert kpis["recovered_revenue"].amount == order.total
