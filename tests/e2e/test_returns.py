"""A return in a real browser: the shopper asks from the order page; a returns clerk
approves, receives by scanning the label, inspects and refunds in admin; the shopper sees
"Refunded"."""

import pytest
from django.contrib.auth.models import Group
from playwright.sync_api import expect

from inventory.models import StockMovement
from returns.models import ReturnRequest
from tests.e2e.conftest import ARTIFACTS
from tests.factories import UserFactory
from tests.returns import conftest as returns_fixtures

# The returns suite's fixtures: a catalog in one warehouse and a delivered order.
warehouse = returns_fixtures.warehouse
catalog = returns_fixtures.catalog
delivered_order = returns_fixtures.delivered_order

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
    expect(page.locator("[data-return-state]")).to_have_text("Requested")
    ARTIFACTS.mkdir(exist_ok=True)

    clerk = UserFactory(username="clerk", is_staff=True, password=PASSWORD)
    clerk.groups.add(Group.objects.get(name="Returns clerk"))
    admin = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    admin.goto(f"{live_server.url}/admin/login/")
    admin.get_by_label("Username").fill("clerk")
    admin.get_by_label("Password").fill(PASSWORD)
    admin.get_by_role("button", name="Log in").click()

    admin.goto(f"{live_server.url}/admin/returns/returnrequest/")
    admin.get_by_role("link", name=rma.number).click()
    admin.get_by_role("link", name="Approve…").click()
    admin.get_by_label("Message to the shopper").fill("Thanks, pop it in the post.")
    admin.get_by_role("button", name="Approve").click()
    expect(admin.locator(".messagelist")).to_contain_text("approved")
    rma.refresh_from_db()
    assert rma.state == "approved" and rma.tracking_number

    admin.goto(f"{live_server.url}/admin/returns/returnrequest/")
    admin.get_by_role("link", name="Receive by scan…").click()
    scan = admin.get_by_label("RMA number or return tracking number")
    scan.fill(rma.tracking_number)
    scan.press("Enter")
    expect(admin.locator(".messagelist")).to_contain_text("received")

    admin.goto(f"{live_server.url}/admin/returns/returnrequest/{rma.pk}/change/")
    admin.get_by_role("link", name="Inspect…").click()
    admin.get_by_label("Condition of SHIRT-M").select_option("resellable")
    admin.get_by_label("Put SHIRT-M back on the shelf").check()
    admin.get_by_role("button", name="Record inspection").click()
    expect(admin.locator(".messagelist")).to_contain_text("inspected")

    admin.get_by_role("link", name="Refund…").click()
    admin.get_by_role("button", name="Refund").click()
    expect(admin.locator(".messagelist")).to_contain_text("refund")
    rma.refresh_from_db()
    assert rma.state == "refunded"
    assert StockMovement.objects.filter(reference=rma.number, kind="return_restock").exists()

    page.reload()
    expect(page.locator("[data-return-state]")).to_have_text("Refunded")
    expect(page.locator(".return .hint").first).to_contain_text("refunded $40.00")
    page.screenshot(path=str(ARTIFACTS / "returns-refunded.png"), full_page=True)
