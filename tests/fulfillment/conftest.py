import pytest

from inventory.services import receive_stock
from orders import services as order_services
from payments import services as payment_services
from tests.factories import ProductFactory, WarehouseFactory, make_variant, ready_cart

CARD = {"number": "4242424242424242", "exp_month": "12", "exp_year": "2030", "cvc": "123"}


@pytest.fixture
def warehouses():
    return (WarehouseFactory(code="east", name="East DC", priority=1, city="Newark"),
            WarehouseFactory(code="west", name="West DC", priority=2, city="Reno"))


@pytest.fixture
def paid_order(warehouses):
    """A paid order of a mug (east) and a lamp (only in the west): two shipments."""
    east, west = warehouses

    def make(email="ship@example.com", mug=2, lamp=1):
        mug_variant = make_variant(ProductFactory(title="Mug"), price="10.00", stock=10,
                                   warehouse=east, barcode="0001112223334")
        lamp_variant = make_variant(ProductFactory(title="Lamp"), price="30.00")
        receive_stock(variant=lamp_variant, warehouse=west, quantity=5)
        variants = {mug_variant: mug}
        if lamp:
            variants[lamp_variant] = lamp
        order = order_services.place_order(cart=ready_cart(variants=variants, email=email))
        payment_services.start_payment(order=order, payment_data=CARD)
        order.refresh_from_db()
        return order

    return make
