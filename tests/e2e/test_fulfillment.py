"""Staff fulfil an order in a real browser: pick list, scan-to-pack, label, ship; the
shopper's tracking page shows shipped, then delivered once the courier records it."""

import pytest
from django.contrib.auth.models import Group
from playwright.sync_api import expect

from fulfillment.links import tracking_path
from fulfillment.models import Shipment
from orders import services as order_services
from payments import services as payment_services
from tests.factories import ProductFactory, UserFactory, make_variant, ready_cart

pytestmark = pytest.mark.django_db(transaction=True)
CARD = {"number": "4242424242424242", "exp_month": "12", "exp_year": "2030", "cvc": "123"}


@pytest.fixture
def order():
    variant = make_variant(ProductFactory(title="Camp Stove"), sku="STOVE-1", price="80.00",
                           stock=4)
    placed = order_services.place_order(cart=ready_cart(variants={variant: 2}))
    payment_services.start_payment(order=placed, payment_data=CARD)  # shipments follow
    return placed


def test_staff_pick_pack_label_ship_and_the_shopper_tracks_it(page, live_server, order,
                                                             staff_roles):
    staff = UserFactory(username="warehouse", is_staff=True, password="correct horse battery")
    staff.groups.add(*Group.objects.filter(name__in=["Picker", "Packer", "Shipper"]))
    shipment = Shipment.objects.get(order=order)

    page.goto(f"{live_server.url}/admin/login/")
    page.get_by_label("Username").fill("warehouse")
    page.get_by_label("Password").fill("correct horse battery")
    page.get_by_role("button", name="Log in").click()

    page.goto(f"{live_server.url}/admin/fulfillment/shipment/")
    page.get_by_role("row", name=shipment.number).get_by_role("checkbox").check()
    page.get_by_label("Action:").select_option("make_pick_list")
    page.get_by_role("button", name="Go").click()
    page.locator(".messagelist a").first.click()  # "Pick list N made ..."
    expect(page.get_by_role("cell", name="STOVE-1")).to_be_visible()
    page.get_by_role("link", name=shipment.number).click()

    scan = page.get_by_label("Scan or type SKU / barcode")
    scan.fill("WRONG")
    scan.press("Enter")
    expect(page.get_by_text("WRONG is not in shipment")).to_be_visible()
    for _ in range(2):
        page.get_by_label("Scan or type SKU / barcode").fill("STOVE-1")
        page.get_by_label("Scan or type SKU / barcode").press("Enter")
    expect(page.get_by_test_id("scanned-STOVE-1")).to_contain_text("2 / 2")
    page.get_by_label("Weight (grams)").fill("1800")
    page.get_by_role("button", name="Finish packing").click()
    expect(page.get_by_test_id("label-link")).to_be_visible()  # bought after commit
    shipment.refresh_from_db()
    assert shipment.state == Shipment.State.LABEL_PURCHASED

    page.goto(f"{live_server.url}/admin/fulfillment/shipment/scan-to-ship/")
    page.get_by_label("Label barcode (tracking number)").fill(shipment.tracking_number)
    page.get_by_role("button", name="Ship").click()
    expect(page.get_by_text(f"{shipment.number} shipped.")).to_be_visible()

    shopper = page.context.browser.new_context().new_page()
    shopper.goto(live_server.url + tracking_path(shipment))
    expect(shopper.get_by_role("heading", level=3)).to_contain_text(
        "Shipped")

    page.goto(f"{live_server.url}/courier/")
    page.get_by_label("Received by").fill("Ada")
    page.get_by_role("button", name="Delivered").click()
    expect(page.get_by_text(f"{shipment.number} updated.")).to_be_visible()

    shopper.reload()
    expect(shopper.get_by_role("heading", level=3)).to_contain_text(
        "Delivered")
    expect(shopper.get_by_text("Delivered, signed by Ada")).to_be_visible()
    order.refresh_from_db()
    assert order.fulfillment_status == "delivered"
