"""An order that must be split ships from the fewest warehouses that cover it."""

import pytest

from fulfillment import services
from inventory.services import receive_stock
from orders import services as order_services
from orders.models import Allocation
from orders.services import placing
from payments import services as payment_services
from tests.factories import ProductFactory, WarehouseFactory, make_variant, ready_cart

from .conftest import CARD

pytestmark = pytest.mark.django_db


@pytest.fixture
def three_warehouses():
    """Lines A, B, C; W1 holds B, W2 holds A and B, W3 holds A and C. Taking each line from
    the first warehouse by priority would make three parcels; W1 + W3 (or W2 + W3) make
    two."""

    def make(priorities=(1, 2, 3)):
        w1, w2, w3 = (WarehouseFactory(code=code, priority=priority)
                      for code, priority in zip(("w1", "w2", "w3"), priorities, strict=True))
        a, b, c = (make_variant(ProductFactory(title=title)) for title in "ABC")
        for variant, warehouse in ((b, w1), (a, w2), (b, w2), (a, w3), (c, w3)):
            receive_stock(variant=variant, warehouse=warehouse, quantity=5)
        order = order_services.place_order(cart=ready_cart(variants={a: 1, b: 1, c: 1}))
        payment_services.start_payment(order=order, payment_data=CARD)
        return order

    return make


def taken_from(order):
    return sorted((al.order_line.product_name, al.stock_level.warehouse.code, al.quantity)
                  for al in Allocation.objects.filter(order_line__order=order)
                  .select_related("order_line", "stock_level__warehouse"))


def parcels(order):
    return [(s.warehouse.code, sorted(line.order_line.product_name for line in s.lines.all()))
            for s in services.create_shipments(order_id=order.pk)]


def test_three_warehouses_ship_in_two_parcels(three_warehouses):
    order = three_warehouses()
    assert taken_from(order) == [("A", "w3", 1), ("B", "w1", 1), ("C", "w3", 1)]
    assert parcels(order) == [("w1", ["B"]), ("w3", ["A", "C"])]


def test_between_two_equally_small_splits_warehouse_priority_decides(three_warehouses):
    order = three_warehouses(priorities=(2, 1, 3))  # W2 now comes before W1
    assert taken_from(order) == [("A", "w2", 1), ("B", "w2", 1), ("C", "w3", 1)]
    assert parcels(order) == [("w2", ["A", "B"]), ("w3", ["C"])]


def test_many_warehouses_fall_back_to_a_greedy_cover(three_warehouses, monkeypatch):
    monkeypatch.setattr(placing, "EXACT_COVER_LIMIT", 0)
    order = three_warehouses()
    assert len(parcels(order)) == 2
