"""A small shop for the money check: orders placed and paid through the services; each test
then breaks one money invariant on purpose with a raw update, as a bug or a hand edit in the
database would."""

import pytest

from orders import services as order_services
from payments import services as payment_services
from tests.factories import ProductFactory, make_variant, ready_cart

CARD = {"number": "4242424242424242", "exp_month": "12", "exp_year": "2030", "cvc": "123"}


@pytest.fixture
def lamp():
    return make_variant(ProductFactory(title="Desk Lamp"), price="40.00", sku="LAMP", stock=20)


@pytest.fixture
def place(lamp):
    """place(paid=True) -> an order of one lamp (40.00 + 5.00 shipping), placed and paid
    through the services."""

    def make(*, paid=True, email="ada@example.com"):
        order = order_services.place_order(cart=ready_cart(variants={lamp: 1}, email=email))
        if paid:
            payment_services.start_payment(order=order, payment_data=CARD)
        order.refresh_from_db()
        return order

    return make


@pytest.fixture
def authorize_only(monkeypatch):
    monkeypatch.setattr(payment_services.starting, "_capture_automatically", lambda gateway: False)
