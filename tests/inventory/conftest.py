import io
from decimal import Decimal

import pytest
from django.core.management import call_command

from inventory.models import Supplier, SupplierPrice
from tests.factories import ProductFactory, WarehouseFactory, make_variant


def assert_ledger_ok() -> None:
    """`manage.py check_stock_ledger` passes (it raises CommandError on any mismatch)."""
    out = io.StringIO()
    call_command("check_stock_ledger", stdout=out, stderr=io.StringIO())
    assert "Stock ledger OK" in out.getvalue()


@pytest.fixture
def east():
    return WarehouseFactory(code="east", name="East")


@pytest.fixture
def west():
    return WarehouseFactory(code="west", name="West")


@pytest.fixture
def lantern():
    return make_variant(ProductFactory(title="Storm lantern"), sku="LANTERN-1", price="40.00",
                        barcode="0123456789012")


@pytest.fixture
def supplier():
    return Supplier.objects.create(name="Acme Outfitters", contact_email="orders@acme.example",
                                   lead_time_days=5, currency="USD")


@pytest.fixture
def priced(supplier, lantern):
    return SupplierPrice.objects.create(supplier=supplier, variant=lantern, cost=Decimal("12.00"),
                                        minimum_order_quantity=1, pack_size=1)
