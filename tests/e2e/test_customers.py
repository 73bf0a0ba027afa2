"""Customer service in a real browser: a shopper writes through the contact form on a phone
without JavaScript; staff read the customer's timeline in admin and add a note."""

import pytest
from django.contrib.auth.models import Group
from django.utils import timezone
from playwright.sync_api import expect

from customers.models import ContactMessage, CustomerNote
from tests.customers.conftest import customers_roles, make_order  # noqa: F401
from tests.e2e.conftest import ARTIFACTS
from tests.e2e.test_storefront_layout import CONTRAST_JS, PHONE
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_shopper_writes_through_the_contact_form_on_a_phone_without_javascript(
        browser, live_server, settings):
    settings.SHOP_CONTACT_MIN_SECONDS = 0  # the browser fills the form faster than a person
    order = make_order(email="ann@example.com", total="30", days_ago=2, now=timezone.now())
    context = browser.new_context(viewport=PHONE, java_script_enabled=False)
    page = context.new_page()
    try:
        page.goto(f"{live_server.url}/")
        page.get_by_role("link", name="Contact us").click()
        expect(page.get_by_role("heading", name="Contact us")).to_be_visible()
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        # The honeypot is out of sight (off the left edge) and out of the tab order.
        trap = page.locator("#id_website")
        box = trap.bounding_box()
        assert box is None or box["x"] + box["width"] <= 0
        assert trap.get_attribute("tabindex") == "-1"
        for label in ("Name", "Email", "Subject", "Message"):
            expect(page.get_by_label(label, exact=True)).to_be_visible()  # labelled
        label = page.locator('label[for="id_message"]')
        assert label.evaluate(CONTRAST_JS) >= 4.5

        page.get_by_role("button", name="Send message").click()  # empty: errors, labelled
        expect(page.locator(".field-error").first).to_be_visible()
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

        page.get_by_label("Name", exact=True).fill("Ann Shopper")
        page.get_by_label("Email", exact=True).fill("ann@example.com")
        page.get_by_label("Order number (optional)").fill(order.number)
        page.get_by_label("Subject", exact=True).fill("Parcel not here yet")
        page.get_by_label("Message", exact=True).fill("Could you check where it is? Thanks.")
        page.get_by_role("button", name="Send message").click()
        expect(page.get_by_role("status")).to_contain_text("your message was sent")
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "contact-form-390.png"), full_page=True)
    finally:
        context.close()
    message = ContactMessage.objects.get()
    assert (message.email, message.order_id) == ("ann@example.com", order.pk)


@pytest.mark.usefixtures("customers_roles")
def test_staff_read_a_customer_timeline_and_add_a_note(page, live_server):
    order = make_order(email="bo@example.com", total="45", days_ago=3, now=timezone.now())
    clerk = UserFactory(username="clerk", is_staff=True, password="correct horse battery")
    clerk.groups.add(Group.objects.get(name="Merchant"))

    page.goto(f"{live_server.url}/admin/customers/customernote/timeline/?order={order.pk}")
    page.get_by_label("Username").fill("clerk")
    page.get_by_label("Password").fill("correct horse battery")
    page.get_by_role("button", name="Log in").click()
    timeline = page.get_by_test_id("timeline")
    expect(timeline).to_contain_text(f"Order {order.number} placed")
    expect(timeline).to_contain_text(f"Payment for {order.number}")

    page.get_by_label("Add a note").fill("Called: parcel left the depot today.")
    page.get_by_role("button", name="Add note").click()
    expect(page.get_by_text("Note added.")).to_be_visible()
    first = timeline.locator("li").first
    expect(first).to_contain_text("Note by clerk on order")
    expect(first).to_contain_text("parcel left the depot")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "customer-timeline.png"), full_page=True)
    assert CustomerNote.objects.get().order_id == order.pk

    page.goto(f"{live_server.url}/admin/orders/order/{order.pk}/change/")
    expect(page.get_by_text("Called: parcel left the depot today.")).to_be_visible()
    page.get_by_role("link", name="Customer timeline & notes").click()
    expect(page.get_by_test_id("timeline")).to_be_visible()
