"""A stock clerk receives a purchase order by scanning in a real browser, and the
storefront's sold-out product with its "back in stock around" date becomes in stock."""

from decimal import Decimal

import pytest
from django.contrib.auth.models import Group
from playwright.sync_api import expect

from inventory import services
from inventory.models import PurchaseOrder, StockLevel, Supplier, SupplierPrice
from tests.factories import ProductFactory, UserFactory, WarehouseFactory, make_variant

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_clerk_receives_a_purchase_order_by_scanning_and_the_shop_has_stock(
        page, live_server, staff_roles):
    warehouse = WarehouseFactory(code="main")
    lantern = make_variant(ProductFactory(title="Storm Lantern"), sku="LANTERN-1",
                           price="40.00", barcode="0123456789012")
    supplier = Supplier.objects.create(name="Acme", contact_email="po@acme.example",
                                       lead_time_days=4)
    SupplierPrice.objects.create(supplier=supplier, variant=lantern, cost=Decimal("12.00"))
    purchase_order = services.create_purchase_order(
        supplier_id=supplier.pk, warehouse_id=warehouse.pk,
        lines=[services.LineRequest(variant_id=lantern.pk, quantity=8)])
    services.send_purchase_order(purchase_order_id=purchase_order.pk)
    clerk = UserFactory(username="clerk", is_staff=True, password="correct horse battery")
    clerk.groups.add(Group.objects.get(name="Stock clerk"))

    shopper = page.context.browser.new_context().new_page()
    shopper.goto(f"{live_server.url}{lantern.product.get_absolute_url()}")
    expect(shopper.locator("#variant-availability")).to_have_text("Out of stock")
    expect(shopper.get_by_text("Back in stock around")).to_be_visible()

    page.goto(f"{live_server.url}/admin/login/")
    page.get_by_label("Username").fill("clerk")
    page.get_by_label("Password").fill("correct horse battery")
    page.get_by_role("button", name="Log in").click()
    page.goto(f"{live_server.url}/admin/inventory/purchaseorder/{purchase_order.pk}/change/")
    page.get_by_role("link", name="Receive goods").click()

    scan = page.get_by_label("Scan or type SKU / barcode")
    scan.fill("NOT-ON-IT")
    scan.press("Enter")
    expect(page.get_by_text("NOT-ON-IT is not on")).to_be_visible()
    for code in ("0123456789012", "0123456789012", "LANTERN-1"):
        page.get_by_label("Scan or type SKU / barcode").fill(code)
        page.get_by_label("Scan or type SKU / barcode").press("Enter")
    expect(page.get_by_test_id("receiving-LANTERN-1")).to_have_value("3")
    page.get_by_label("Receiving now: LANTERN-1").fill("8")  # the rest typed in
    page.get_by_role("button", name="Receive", exact=True).click()

    expect(page.get_by_text("Received LANTERN-1 +8 into main")).to_be_visible()
    purchase_order.refresh_from_db()
    assert purchase_order.status == PurchaseOrder.Status.RECEIVED
    assert StockLevel.objects.get(variant=lantern, warehouse=warehouse).on_hand == 8

    shopper.reload()
    expect(shopper.locator("#variant-availability")).to_have_text("In stock")
    expect(shopper.get_by_text("Back in stock around")).to_have_count(0)
    expect(shopper.get_by_role("button", name="Add to cart")).to_be_enabled()
