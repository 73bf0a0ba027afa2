"""The order token alone is not a guest link: only the token signed by the shop (with the
guest-link salt) opens a guest's order page, its invoice and its returns."""

import pytest
from django.core import signing
from django.urls import reverse

from fulfillment.links import SALT as TRACKING_SALT
from orders import services as order_services
from orders.links import guest_order_path
from payments import services as payment_services
from tests.factories import ProductFactory, make_variant, ready_cart

pytestmark = pytest.mark.django_db
CARD = {"number": "4242424242424242", "exp_month": "12", "exp_year": "2030", "cvc": "123"}


@pytest.fixture
def guest_order():
    variant = make_variant(ProductFactory(title="Copper Kettle"), price="30.00", stock=5)
    order = order_services.place_order(cart=ready_cart(variants={variant: 1},
                                                       email="guest@example.com"))
    payment_services.start_payment(order=order, payment_data=CARD)  # paid: invoiceable
    order.refresh_from_db()
    return order


def not_signed_by_the_shop(order) -> list[str]:
    token = str(order.token)
    return [
        token,                                             # the bare token
        token.replace("-", ""),                            # the bare token, hex
        order.number,                                      # the order number
        signing.dumps(token),                              # signed, but not as a guest link
        signing.dumps(token, salt=TRACKING_SALT),          # another link's salt
        f"{token}:1abcde:{'A' * 43}",                      # shaped like a signature
    ]


def test_the_signed_link_opens_the_order_and_its_invoice(client, guest_order):
    page = client.get(guest_order_path(guest_order))
    assert page.status_code == 200 and guest_order.number.encode() in page.content
    invoice = client.get(guest_order_path(guest_order) + "invoice.pdf")
    assert invoice.status_code == 200 and invoice.content.startswith(b"%PDF")


def test_a_bare_token_opens_neither_the_order_nor_the_invoice(client, guest_order):
    for value in not_signed_by_the_shop(guest_order):
        page = client.get(reverse("account:guest_order", args=[value]))
        assert page.status_code == 404, value
        assert guest_order.number.encode() not in page.content
        assert guest_order.email.encode() not in page.content
        invoice = client.get(reverse("account:guest_invoice", args=[value]))
        assert invoice.status_code == 404, value
        assert not invoice.content.startswith(b"%PDF")
        returns = client.get(reverse("account:guest_order_return", args=[value]))
        assert returns.status_code == 404, value


def test_the_api_wants_the_signature_not_the_token_twice(client, guest_order):
    token = str(guest_order.token)
    url = f"/api/orders/{token}/"
    assert client.get(url).status_code == 404
    for value in not_signed_by_the_shop(guest_order):
        response = client.get(url, {"signature": value})
        assert response.status_code == 404, value
        assert guest_order.email not in response.content.decode()

