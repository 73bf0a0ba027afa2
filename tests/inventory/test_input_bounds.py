"""Quantities the database can't hold are refused with a 4xx naming the problem, in the
staff API and the admin's stock forms, never an integer overflow (a 500); a receipt that
would push a stock total past its column is refused and writes nothing."""

import pytest
from django.core.exceptions import ValidationError
from rest_framework.test import APIClient

from inventory import forms, services
from inventory.exceptions import StockError
from inventory.models import PurchaseOrder, StockLevel, StockMovement
from kernel.bounds import INTEGER_MAX
from tests.factories import UserFactory

from .conftest import assert_ledger_ok

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("staff_roles")]
TOO_BIG = [2**31, 2**31 + 7, 2**63, 10**30]


@pytest.fixture
def api():
    user = UserFactory(username="boss", is_staff=True, is_superuser=True)
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def sent(supplier, east, lantern, priced):
    purchase_order = services.create_purchase_order(
        supplier_id=supplier.pk, warehouse_id=east.pk,
        lines=[services.LineRequest(variant_id=lantern.pk, quantity=8)])
    return services.send_purchase_order(purchase_order_id=purchase_order.pk)


@pytest.mark.parametrize("quantity", TOO_BIG)
def test_a_purchase_order_line_past_the_column_is_a_400(api, supplier, east, lantern, priced,
                                                        quantity):
    response = api.post("/api/purchase-orders/", {
        "supplier": supplier.pk, "warehouse": "east",
        "lines": [{"sku": "LANTERN-1", "quantity": quantity}]}, format="json")
    assert response.status_code == 400
    assert "quantity" in str(response.json())
    assert not PurchaseOrder.objects.exists()


def test_a_supplier_id_past_bigint_is_a_400(api, east, lantern):
    response = api.post("/api/purchase-orders/", {
        "supplier": 2**64, "warehouse": "east",
        "lines": [{"sku": "LANTERN-1", "quantity": 1}]}, format="json")
    assert response.status_code == 400


@pytest.mark.parametrize("quantity", TOO_BIG)
def test_a_receipt_past_the_column_is_a_400(api, sent, quantity):
    response = api.post(f"/api/purchase-orders/{sent.pk}/receipts/", {
        "lines": [{"sku": "LANTERN-1", "quantity": quantity}], "allow_over_receipt": True},
        format="json")
    assert response.status_code == 400
    assert not StockMovement.objects.exists()


def test_receipt_lines_that_add_up_past_the_column_are_refused(api, sent):
    response = api.post(f"/api/purchase-orders/{sent.pk}/receipts/", {
        "lines": [{"sku": "LANTERN-1", "quantity": INTEGER_MAX},
                  {"sku": "LANTERN-1", "quantity": INTEGER_MAX}],
        "allow_over_receipt": True}, format="json")
    assert 400 <= response.status_code < 500
    assert not StockMovement.objects.exists()


def test_a_receipt_that_would_push_on_hand_past_the_column_is_refused(api, sent, lantern,
                                                                       east):
    services.receive_stock(variant=lantern, warehouse=east, quantity=10)
    response = api.post(f"/api/purchase-orders/{sent.pk}/receipts/", {
        "lines": [{"sku": "LANTERN-1", "quantity": INTEGER_MAX - 5}],
        "allow_over_receipt": True}, format="json")
    assert 400 <= response.status_code < 500
    assert "past" in response.json()["detail"]
    assert StockLevel.objects.get(variant=lantern, warehouse=east).on_hand == 10
    assert_ledger_ok()


def test_receive_stock_refuses_to_overflow_on_hand(lantern, east):
    services.receive_stock(variant=lantern, warehouse=east, quantity=INTEGER_MAX - 1)
    with pytest.raises(StockError):
        services.receive_stock(variant=lantern, warehouse=east, quantity=2)
    assert StockLevel.objects.get(variant=lantern, warehouse=east).on_hand == INTEGER_MAX - 1
    services.receive_stock(variant=lantern, warehouse=east, quantity=1)  # exactly the limit
    assert_ledger_ok()


@pytest.mark.parametrize("quantity", [2**31, 10**30, 0, -1])
def test_the_admin_stock_forms_bound_their_numbers(east, lantern, quantity):
    assert not forms.ReceiveStockForm({"quantity": quantity}).is_valid()
    if quantity > 0:
        assert not forms.AdjustCountForm({"counted": quantity, "reason": "count"}).is_valid()
        with pytest.raises(ValidationError):
            forms.parse_sku_lines(f"LANTERN-1 {quantity}")
