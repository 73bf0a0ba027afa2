"""A late payment with no stock left, resolved in a real browser: a merchant backorders it
in admin, and the shopper's order page shows the expected date."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.utils import timezone
from playwright.sync_api import expect

from orders.links import guest_order_path
from tests.factories import UserFactory
from tests.orders import test_stock_shortfalls as flows

pytestmark = pytest.mark.django_db(transaction=True)
shop = flows.shop


def test_a_merchant_backorders_and_the_shopper_sees_the_date(page, browser, live_server, shop,
                                                             staff_roles):
    order, exception = flows.queued_order(shop)
    merchant = UserFactory(username="merchant", is_staff=True, password="correct horse battery")
    merchant.groups.add(Group.objects.get(name="Merchant"))

    page.goto(f"{live_server.url}/admin/login/")
    page.get_by_label("Username").fill("merchant")
    page.get_by_label("Password").fill("correct horse battery")
    page.get_by_role("button", name="Log in").click()
    page.goto(f"{live_server.url}/admin/orders/stockshortfall/")
    page.get_by_role("link", name=order.number).first.click()
    expect(page.get_by_text("LAMP: 1 wanted, 0 free")).to_be_visible()
    page.get_by_role("link", name="Backorder…").click()
    when = timezone.now().date() + timedelta(days=6)
    page.get_by_label("Stock expected on").fill(when.isoformat())
    page.get_by_role("button", name="Backorder").click()
    expect(page.locator(".messagelist")).to_contain_text("backordered")

    shopper = browser.new_context().new_page()
    shopper.goto(live_server.url + guest_order_path(order))
    notice = shopper.get_by_test_id("stock-shortfall")
    expect(notice).to_contain_text("On backorder")
    expect(notice).to_contain_text(f"{when:%B} {when.day}, {when.year}")
