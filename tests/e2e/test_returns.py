"""A return in a real browser: the shopper asks from the order page; a returns clerk
approves, receives by scanning the label, inspects and refunds in admin; the shopper sees
"Refunded"."""

import pytest
from django.contrib.auth.models import Group
from playwright.sync_api import expect

from inventory.models import StockMovement
from returns.models import ReturnRequest
from tests.factories import UserFactory
from tests.returns.conftest import (  # noqa: F401 - fixtures
    catalog,
    customer,
    delivered_order,
    warehouse,
)

pytestmark = pytest.mark.django_db(transaction=True)
PASSWORD = "correct horse battery"


def log_in_shopper(page, live_server, email):
    page.goto(f"{live_server.url}/account/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/account/")


def test_shopper_returns_and_the_clerk_refunds(page, browser, live_server, delivered_order,
                                               staff_roles):
    shopper = UserFactory(username="ada@example.com", email="ada@example.com",
                          password=PASSWORD)
    order = delivered_order(user=shopper, shirts=2, mugs=1)

    log_in_shopper(page, live_server, "ada@example.com")
    page.goto(f"{live_server.url}/account/orders/{order.number}/")
    page.get_by_role("link", name="Return items").click()
    expect(page.get_by_role("heading", name="Return items")).to_be_visible()
    page.get_by_label("How many Linen Shirt — M?").select_option("1")
    page.locator("select[name^=reason-]").first.select_option("wrong_size")
    page.get_by_role("button", name="Request the return").click()
    expect(page.get_by_text("requested. We'll email you")).to_be_visible()
    rma = ReturnRequest.objects.get()
    expect(page.locator(f"[data-return-state]")).to_have_text("Requested")

    clerk = UserFactory(username="clerk", is_staff=True, password=PASSWORD)
    clerk.groups.add(Group.objects.get(name="Returns clerk"))
    admin = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    admin.goto(f"{live_server.url}/admin/login/")
    admin.get_by_label("Username").fill("clerk")
    admin.get_by_label("Password").fill(PASSWORD)
    admin.get_by_role("button", name="Log in").click()

    admin.goto(f"{live_server.url}/admin/returns/returnrequest/")
    admin.get_by_role("link", name=rma.number).click()
    admin.get_by_role("link", name="Approve").click()
    admin.get_by_label("Message to the shopper").fill("Thanks, pop it in the post.")
    admin.get_by_role("button", name="Approve").click()
    expect(admin.locator(".messagelist")).to_contain_text("approved")
    rma.refresh_from_db()
    assert rma.state == "approved" and rma.tracking_number

    admin.goto(f"{live_server.url}/admin/returns/returnrequest/receive/")
    scan = admin.get_by_label("Scan the return label or type the RMA number")
    scan.fill(rma.tracking_number)
    scan.press("Enter")
    expect(admin.locator(".messagelist")).to_contain_text("received")

    admin.goto(f"{live_server.url}/admin/returns/returnrequest/{rma.pk}/change/")
    admin.get_by_role("link", name="Inspect").click()
    admin.locator("select[name$=condition]").first.select_option("resellable")
    admin.locator("input[type=checkbox][name$=restock]").first.check()
    admin.get_by_role("button", name="Save inspection").click()
    expect(admin.locator(".messagelist")).to_contain_text("inspected")

    admin.get_by_role("link", name="Refund").click()
    admin.get_by_role("button", name="Refund").click()
    expect(admin.locator(".messagelist")).to_contain_text("refund")
    rma.refresh_from_db()
    assert rma.state == "refunded"
    assert StockMovement.objects.filter(reference=rma.number, kind="return_restock").exists()

    page.reload()
    expect(page.locator("[data-return-state]")).to_have_text("Refunded")
    expect(page.get_by_text("refunded $", exact=False)).to_be_visible()
