"""A merchant in a real browser: logs in, opens the dashboards, changes the range, sees the
charts drawn, and downloads a CSV."""

import pytest
from django.contrib.auth.models import Group
from playwright.sync_api import expect

from tests.dashboard.conftest import (  # noqa: F401  (the known history's fixtures)
    history,
    merchant_roles,
    new_york,
    rebuilt,
)
from tests.e2e.conftest import ARTIFACTS
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.usefixtures("merchant_roles", "rebuilt")
def test_merchant_reads_the_dashboards_and_downloads_a_csv(page, live_server):
    merchant = UserFactory(username="merchant", is_staff=True, password="correct horse battery")
    merchant.groups.add(Group.objects.get(name="Merchant"))

    page.goto(f"{live_server.url}/dashboard/")
    page.get_by_label("Username").fill("merchant")
    page.get_by_label("Password").fill("correct horse battery")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Sales dashboard")).to_be_visible()

    # Change the range to the custom week of the known history, with the keyboard-usable form.
    page.get_by_label("Range", exact=True).select_option("custom")
    page.get_by_label("From (custom)").fill("2025-03-01")
    page.get_by_label("To (custom)").fill("2025-03-07")
    page.get_by_role("button", name="Show").click()
    expect(page.get_by_test_id("range-label")).to_contain_text("01 Mar 2025 – 07 Mar 2025")
    expect(page.locator('[data-kpi="net_sales"] .kpi-value')).to_have_text("$88.75")

    chart = page.get_by_test_id("chart-net_sales_by_day").locator("svg")
    expect(chart).to_be_visible()
    assert chart.locator("rect.bar").count() == 7
    box = chart.bounding_box()
    assert box and box["width"] > 300 and box["height"] > 100
    ARTIFACTS.mkdir(exist_ok=True)
    shot = chart.screenshot(path=str(ARTIFACTS / "dashboard-sales-chart.png"))
    assert len(shot) > 2000  # a drawn chart, not a blank box
    from io import BytesIO

    from PIL import Image

    image = Image.open(BytesIO(shot)).convert("RGB")
    assert len(image.getcolors(maxcolors=1 << 20)) > 10  # bars, axes, labels: many colours

    with page.expect_download() as download_info:
        page.get_by_test_id("csv-top_products").click()
    download = download_info.value
    assert download.suggested_filename == "sales-top_products-20250301-20250307.csv"
    content = open(download.path(), encoding="utf-8").read()
    assert "Linen Shirt,40.00,1" in content

    tabs = page.get_by_role("navigation", name="Dashboards")
    tabs.get_by_role("link", name="Fulfillment").click()
    expect(page.get_by_role("heading", name="Fulfillment dashboard")).to_be_visible()
    expect(page.get_by_test_id("range-label")).to_contain_text("01 Mar 2025")
    carriers = page.get_by_test_id("chart-shipments_by_carrier")
    carriers.get_by_text("Table view: Shipments by carrier").click()
    expect(carriers.get_by_role("row", name="Our couriers 2")).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / "dashboard-fulfillment.png"), full_page=True)


@pytest.mark.parametrize("width", [390, 1280])
@pytest.mark.usefixtures("merchant_roles", "rebuilt")
def test_the_admin_header_names_the_shop_and_cards_read_at_a_glance(page, live_server,
                                                                     settings, width):
    settings.SHOP_NAME = "Harbour Goods"
    merchant = UserFactory(username="merchant", is_staff=True, password="correct horse battery")
    merchant.groups.add(Group.objects.get(name="Merchant"))
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(f"{live_server.url}/admin/login/?next=/dashboard/sales/%3Frange%3Dcustom"
              "%26start%3D2025-03-01%26end%3D2025-03-07")
    expect(page.locator("#site-name")).to_contain_text("Harbour Goods admin")
    page.get_by_label("Username").fill("merchant")
    page.get_by_label("Password").fill("correct horse battery")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Sales dashboard")).to_be_visible()
    expect(page.locator("#site-name")).to_contain_text("Harbour Goods admin")
    assert "Django" not in page.title() and "Harbour Goods" in page.title()
    # No sideways scrolling; every card inside the screen with its figure on one glance.
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    cards = page.locator(".kpi-card")
    assert cards.count() >= 9
    for index in range(cards.count()):
        box = cards.nth(index).bounding_box()
        assert box and box["x"] >= 0 and box["x"] + box["width"] <= width
    value = page.locator('[data-kpi="net_sales"] .kpi-value')
    expect(value).to_have_text("$88.75")
    assert float(value.evaluate("e => parseFloat(getComputedStyle(e).fontSize)")) >= 19
    # A rise in refunds is red (bad for the shop), a rise in net sales green.
    refunds = page.locator('[data-kpi="refunds"] .kpi-delta')
    expect(refunds).to_have_attribute("data-verdict", "bad")
    assert refunds.evaluate("e => getComputedStyle(e).color") == "rgb(179, 38, 30)"
    net = page.locator('[data-kpi="net_sales"] .kpi-delta')
    assert net.evaluate("e => getComputedStyle(e).color") == "rgb(30, 125, 50)"
    chart = page.get_by_test_id("chart-net_sales_by_day").locator("svg")
    box = chart.bounding_box()
    assert box and box["width"] <= width and box["height"] > 100
    page.screenshot(path=str(ARTIFACTS / f"dashboard-sales-{width}.png"), full_page=True)
