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
