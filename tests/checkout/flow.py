"""What a shopper's browser does on the checkout pages, step by step, for the tests."""

from __future__ import annotations

from django.apps import apps
from django.urls import reverse

from orders.models import Cart, Order
from tests.factories import ADDRESS

CARD = {"name": "Ada Lovelace", "number": "4242 4242 4242 4242", "expiry": "12/30",
        "cvc": "123"}

# Every table a checkout page could write to: "nothing was written" compares these counts.
WRITTEN_MODELS = ["orders.Cart", "orders.CartLine", "orders.Address", "orders.Order",
                  "orders.OrderLine", "orders.OrderEvent", "orders.Allocation",
                  "orders.VoucherUse", "payments.Payment", "payments.GatewayCall"]


def row_counts() -> dict[str, int]:
    return {label: apps.get_model(label).objects.count() for label in WRITTEN_MODELS}


def add(client, variant, quantity=1, **extra):
    return client.post(reverse("checkout:add"),
                       {"variant": getattr(variant, "pk", variant), "quantity": quantity, **extra})


def fill_checkout(client, method, email="ada@example.com", address=None):
    """Contact, address, shipping and billing (same as shipping): each step answers with a
    redirect to the next."""
    steps = [("checkout:contact", {"email": email}, "checkout:address"),
             ("checkout:address", address or ADDRESS, "checkout:shipping"),
             ("checkout:shipping", {"method": method.pk}, "checkout:billing"),
             ("checkout:billing", {"same_as_shipping": "on"}, "checkout:review")]
    for step, data, following in steps:
        response = client.post(reverse(step), data)
        assert response.status_code == 302, (step, response.status_code)
        assert response["Location"] == reverse(following)


def place(client, **extra):
    cart = Cart.objects.get(status=Cart.Status.OPEN)
    return client.post(reverse("checkout:review"), {"checkout_token": str(cart.token), **extra})


def placed_order(client, variant, method, quantity=1) -> Order:
    add(client, variant, quantity)
    fill_checkout(client, method)
    response = place(client)
    order = Order.objects.latest("pk")
    assert response["Location"] == reverse("checkout:pay", args=[order.token])
    return order
