"""The staff inventory API: stock levels with incoming units and the purchase-order
workflow, behind staff permissions, with 4xx answers that write nothing."""

from io import StringIO

import pytest
import yaml
from django.contrib.auth.models import Group
from django.core.management import call_command
from rest_framework.test import APIClient

from inventory import services
from inventory.models import PurchaseOrder, StockLevel, StockMovement
from tests.factories import UserFactory

from .conftest import assert_ledger_ok

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("staff_roles")]


def api_as(role=None, *, staff=True):
    user = UserFactory(username=(role or "nobody").lower().replace(" ", "-"), is_staff=staff)
    if role:
        user.groups.add(Group.objects.get(name=role))
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def sent(supplier, east, lantern, priced):
    purchase_order = services.create_purchase_order(
        supplier_id=supplier.pk, warehouse_id=east.pk,
        lines=[services.LineRequest(variant_id=lantern.pk, quantity=8)])
    return services.send_purchase_order(purchase_order_id=purchase_order.pk)


def test_stock_levels_show_available_and_incoming(sent, lantern, east,
                                                  django_assert_max_num_queries):
    services.receive_stock(variant=lantern, warehouse=east, quantity=5)
    level = StockLevel.objects.get(variant=lantern, warehouse=east)
    services.allocate_units(stock_level_id=level.pk, quantity=2)
    api = api_as("Stock clerk")

    with django_assert_max_num_queries(8):  # auth + count + page + incoming (2)
        response = api.get("/api/stock-levels/", {"sku": "LANTERN-1"})

    assert response.status_code == 200
    (row,) = response.json()["results"]
    assert row | {"updated_at": None} == {
        "sku": "LANTERN-1", "warehouse": "east", "on_hand": 5, "allocated": 2,
        "available": 3, "incoming": 8, "bin_location": "", "updated_at": None}


def test_the_api_is_staff_only_with_the_right_permission(sent, lantern):
    assert APIClient().get("/api/stock-levels/").status_code in (401, 403)
    assert api_as(None, staff=False).get("/api/purchase-orders/").status_code == 403
    assert api_as(None).get("/api/purchase-orders/").status_code == 403  # staff, no role
    merchant = api_as("Merchant")
    receipt = merchant.post(f"/api/purchase-orders/{sent.pk}/receipts/",
                            {"lines": [{"sku": "LANTERN-1", "quantity": 1}]}, format="json")
    assert receipt.status_code == 403
    assert not StockMovement.objects.exists()


def test_an_integration_drafts_sends_and_receives_a_purchase_order(supplier, east, lantern,
                                                                   priced):
    merchant = api_as("Merchant")
    made = merchant.post("/api/purchase-orders/", {
        "supplier": supplier.pk, "warehouse": "east",
        "lines": [{"sku": "LANTERN-1", "quantity": 4}]}, format="json")
    assert made.status_code == 201, made.json()
    body = made.json()
    assert body["status"] == "draft" and body["lines"][0]["unit_cost"] == "12.00"
    pk = body["id"]
    assert merchant.post(f"/api/purchase-orders/{pk}/send/").json()["status"] == "sent"

    clerk = api_as("Stock clerk")
    received = clerk.post(f"/api/purchase-orders/{pk}/receipts/",
                          {"lines": [{"sku": "LANTERN-1", "quantity": 3}]}, format="json")

    assert received.status_code == 200
    assert received.json()["status"] == "partially_received"
    assert received.json()["lines"][0]["quantity_received"] == 3
    assert StockMovement.objects.get().reference == PurchaseOrder.objects.get().number
    listed = clerk.get("/api/purchase-orders/", {"status": "partially_received"}).json()
    assert [row["id"] for row in listed["results"]] == [pk]
    assert_ledger_ok()


@pytest.mark.parametrize("lines, allow, status, text", [
    ([{"sku": "LANTERN-1", "quantity": -2}], False, 400, "cannot be negative"),
    ([{"sku": "LANTERN-1", "quantity": 9}], False, 400, "9 received of 8 ordered"),
    ([{"sku": "NOPE", "quantity": 1}], False, 400, "No variant has the SKU NOPE"),
])
def test_bad_receipts_are_4xx_with_a_message_and_write_nothing(sent, lines, allow, status,
                                                               text):
    response = api_as("Stock clerk").post(f"/api/purchase-orders/{sent.pk}/receipts/",
                                          {"lines": lines, "allow_over_receipt": allow},
                                          format="json")

    assert response.status_code == status
    assert text in response.json()["detail"]
    assert not StockMovement.objects.exists()


def test_sending_twice_is_a_409(sent):
    response = api_as("Merchant").post(f"/api/purchase-orders/{sent.pk}/send/")

    assert response.status_code == 409
    assert "cannot become sent" in response.json()["detail"]


def test_the_schema_documents_the_inventory_endpoints():
    out = StringIO()
    call_command("spectacular", "--validate", "--fail-on-warn", stdout=out)
    paths = yaml.safe_load(out.getvalue())["paths"]

    for path in ("/api/stock-levels/", "/api/purchase-orders/", "/api/purchase-orders/{id}/",
                 "/api/purchase-orders/{id}/send/", "/api/purchase-orders/{id}/receipts/"):
        assert path in paths, path
    receipts = paths["/api/purchase-orders/{id}/receipts/"]["post"]
    assert {"200", "400", "403", "404", "409"} <= set(receipts["responses"])
