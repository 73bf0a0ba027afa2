from decimal import Decimal

import pytest

from inventory.models import StockLevel
from orders import services
from orders.exceptions import CheckoutIncomplete, OutOfStock
from orders.models import Allocation, Order, OrderEvent
from orders.signals import order_placed
from payments import services as payment_services
from payments.exceptions import PaymentDeclined
from payments.models import Payment
from tests.factories import ProductFactory, WarehouseFactory, make_variant, ready_cart

pytestmark = pytest.mark.django_db

CARD = {"number": "4242 4242 4242 4242", "exp_month": "12", "exp_year": "2030", "cvc": "123"}


@pytest.fixture
def variant():
    return make_variant(ProductFactory(title="Canvas Tote"), price="20.00", stock=10)


def test_placing_an_order_allocates_stock_and_writes_a_snapshot(variant,
                                                                 django_capture_on_commit_callbacks):
    cart = ready_cart(variants={variant: 3})
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        order = services.place_order(cart=cart)
    assert order.number.isdigit()
    assert order.subtotal == Decimal("60.00")
    assert order.shipping_amount == Decimal("5.00")
    assert order.total == Decimal("65.00")
    line = order.lines.get()
    assert (line.sku, line.product_name, line.quantity) == (variant.sku, "Canvas Tote", 3)
    level = StockLevel.objects.get(variant=variant)
    assert level.allocated == 3
    assert Allocation.objects.get(order_line=line).quantity == 3
    assert order.events.filter(type=OrderEvent.Type.PLACED).exists()
    # order_placed once (inventory's stock_level_changed is queued too).
    assert [c.keywords for c in callbacks if c.func == order_placed.send] == [
        {"sender": Order, "order_id": order.pk}]
    # Same checkout token: the same order.
    assert services.place_order(cart=cart).pk == order.pk
    assert Order.objects.count() == 1


def test_not_enough_stock_writes_nothing(variant):
    cart = ready_cart(variants={variant: 10})
    other = ready_cart(variants={variant: 1}, email="b@example.com")
    services.place_order(cart=other)
    with pytest.raises(OutOfStock, match="only 9 of"):
        services.place_order(cart=cart)
    assert Order.objects.count() == 1
    assert StockLevel.objects.get(variant=variant).allocated == 1


def test_incomplete_checkout_is_refused(variant):
    cart = services.get_or_create_cart()
    services.add_to_cart(cart=cart, variant_id=variant.pk, quantity=1)
    with pytest.raises(CheckoutIncomplete, match="email"):
        services.place_order(cart=cart)


def test_offline_payment_marks_order_paid(variant):
    order = services.place_order(cart=ready_cart(variants={variant: 1}))
    payment = payment_services.start_payment(order=order, payment_data=CARD)
    order.refresh_from_db()
    assert payment.state == Payment.State.CAPTURED
    assert payment.card_last4 == "4242"
    assert order.payment_status == Order.PaymentStatus.PAID
    assert order.payment_due_by is None


def test_declined_card_leaves_order_unpaid_and_stock_allocated(variant):
    order = services.place_order(cart=ready_cart(variants={variant: 2}))
    with pytest.raises(PaymentDeclined, match="declined"):
        payment_services.start_payment(order=order, payment_data={**CARD,
                                                                  "number": "4000000000000002"})
    order.refresh_from_db()
    assert order.payment_status == Order.PaymentStatus.UNPAID
    assert StockLevel.objects.get(variant=variant).allocated == 2
    services.cancel_order(order_id=order.pk)
    assert StockLevel.objects.get(variant=variant).allocated == 0


def test_order_split_across_warehouses_only_when_needed():
    east = WarehouseFactory(code="east", priority=1)
    west = WarehouseFactory(code="west", priority=2)
    product = ProductFactory()
    a = make_variant(product, stock=2, warehouse=east)
    from inventory.services import receive_stock
    receive_stock(variant=a, warehouse=west, quantity=5)
    order = services.place_order(cart=ready_cart(variants={a: 4}))
    allocations = Allocation.objects.filter(order_line__order=order)
    assert [(al.stock_level.warehouse.code, al.quantity) for al in allocations] == [("west", 4)]
    order2 = services.place_order(cart=ready_cart(variants={a: 3}, email="c@example.com"))
    split = sorted((al.stock_level.warehouse.code, al.quantity)
                   for al in Allocation.objects.filter(order_line__order=order2))
    assert split == [("east", 2), ("west", 1)]
