"""Checkout answers rendered through a kept output serializer (``shop.api.output``) are
exactly what a fresh serializer renders, and each thread keeps its own."""

import threading

import pytest

from orders import services as order_services
from orders.selectors import build_checkout
from shop.api.checkout import CartOut, PaymentOut, cart_data, nothing_to_pay_out
from shop.api.orders import OrderSerializer
from shop.api.output import represent
from tests.factories import ProductFactory, make_variant, ready_cart

pytestmark = pytest.mark.django_db


@pytest.fixture
def placed():
    cart = ready_cart(variants={make_variant(ProductFactory(), price="12.50", stock=5): 2})
    view = build_checkout(cart, images=False)
    order = order_services.place_order(cart=cart)
    return view, order


def test_a_kept_serializer_renders_what_a_fresh_one_renders(placed):
    view, order = placed
    data = cart_data(view)
    assert represent(CartOut, data) == CartOut(data).data
    assert represent(OrderSerializer, order) == OrderSerializer(order).data
    payment = nothing_to_pay_out(order)
    assert represent(PaymentOut, payment) == PaymentOut(payment).data
    assert represent(CartOut, data)["totals"]["total"] == str(view.totals.total)
    again = cart_data(view) | {"email": "other@example.com", "shipping_address": None}
    assert represent(CartOut, again) == CartOut(again).data  # nothing left from the last


def test_each_thread_renders_with_its_own_serializer(placed):
    view, _ = placed
    data = cart_data(view)
    seen = {}

    def render(name):
        from shop.api import output

        represent(CartOut, data)
        seen[name] = output._kept.__dict__[CartOut]

    threads = [threading.Thread(target=render, args=(n,)) for n in ("a", "b")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert seen["a"] is not seen["b"]
