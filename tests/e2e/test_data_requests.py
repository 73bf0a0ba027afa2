"""Issue 19 in a real browser, on a 390 px phone: a customer downloads their data from
"Your data" and closes their account (password and confirmation), then can't log in."""

import json

import pytest
from playwright.sync_api import expect

from orders.models import Order
from privacy.models import DataRequest
from tests.e2e.conftest import ARTIFACTS
from tests.factories import UserFactory
from tests.returns import conftest as returns_fixtures

warehouse = returns_fixtures.warehouse
catalog = returns_fixtures.catalog
delivered_order = returns_fixtures.delivered_order

pytestmark = pytest.mark.django_db(transaction=True)
PASSWORD = "correct horse battery"


def fits_the_screen(page) -> None:
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"the page is {overflow}px wider than the phone"


def test_a_customer_downloads_their_data_and_closes_the_account_on_a_phone(
        browser, live_server, delivered_order, tmp_path):
    shopper = UserFactory(username="ada@example.com", email="ada@example.com",
                          password=PASSWORD, first_name="Ada")
    order = delivered_order(user=shopper)
    context = browser.new_context(viewport={"width": 390, "height": 844}, accept_downloads=True)
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))

    page.goto(f"{live_server.url}/account/login/")
    page.get_by_label("Email").fill("ada@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/account/")
    page.get_by_role("link", name="Your data", exact=True).click()
    expect(page.get_by_role("heading", name="Your data", exact=True)).to_be_visible()
    fits_the_screen(page)

    with page.expect_download() as download_info:
        page.get_by_role("button", name="Download my data").click()
    download = download_info.value
    assert download.suggested_filename.endswith(".json")
    saved = tmp_path / "data.json"
    download.save_as(saved)
    document = json.loads(saved.read_text())
    assert document["sections"]["orders"][0]["number"] == order.number
    assert document["sections"]["account"]["email"] == "ada@example.com"

    page.get_by_role("link", name="Close my account…").click()
    expect(page.get_by_text("Art. 17(3)(b) and (e)")).to_be_visible()
    fits_the_screen(page)
    page.get_by_role("button", name="Close my account for good").click()
    expect(page.get_by_text("Tick the box to confirm")).to_be_visible()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "close-account-390.png"), full_page=True)
    page.get_by_label("Your password").fill(PASSWORD)
    page.get_by_label("I understand that closing my account").check()
    page.get_by_role("button", name="Close my account for good").click()
    expect(page.get_by_role("heading", name="Your account is closed")).to_be_visible()
    fits_the_screen(page)

    order.refresh_from_db()
    assert order.user is None and order.email == "erased@erased.invalid"
    assert list(DataRequest.objects.order_by("pk").values_list("kind", "status")) == [
        ("export", "completed"), ("erasure", "completed")]

    page.goto(f"{live_server.url}/account/login/")
    page.get_by_label("Email").fill("ada@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_text("don't match an account")).to_be_visible()
    assert Order.objects.filter(user__isnull=False).count() == 0
    context.close()
    assert not errors, errors
