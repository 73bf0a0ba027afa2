"""Every checkout page runs a fixed number of SQL queries, whatever the number of lines."""

import pytest
from django.urls import reverse

from orders.models import Order
from tests.factories import ProductFactory, UserFactory, make_variant

from .flow import CARD, add, fill_checkout, place

pytestmark = pytest.mark.django_db

# A guest. The cart page: session, cart, lines with variants and products joined to their
# stock levels and warehouses (availability, and the warehouses that would ship the cart:
# delivery windows start on their next shipping day), their images, the shipping address,
# the header's cart count and the category menu. Zones, methods, weight tiers and tax rates
# come from the shared cache (``orders.checkout_rates``), warm once the checkout was filled
# in.
GUEST_PAGES = {
    "checkout:cart": 7,
    "checkout:contact": 7,
    "checkout:address": 7,
    "checkout:shipping": 7,
    "checkout:billing": 7,
    "checkout:review": 7,
    "checkout:start": 7,  # the one-page checkout: every section, the same queries
}
# After placing: the order with its addresses, lines, timeline, payments, the session and
# the category menu (the header needs no cart count: the browser's cart is gone).
GUEST_ORDER_PAGES = 5


def fill_cart(client, count):
    for _ in range(count):
        add(client, make_variant(ProductFactory(), stock=5))


def pay_and_thanks(client, django_assert_num_queries, expected):
    order = Order.objects.get()
    with django_assert_num_queries(expected):
        assert client.get(reverse("checkout:pay", args=[order.token])).status_code == 200
    client.post(reverse("checkout:pay", args=[order.token]), CARD)
    with django_assert_num_queries(expected):
        response = client.get(reverse("checkout:confirmation", args=[order.token]))
        assert response.status_code == 200


@pytest.mark.parametrize("lines", [1, 10])
def test_a_guests_pages_run_the_same_queries_for_1_and_10_lines(client, method, lines,
                                                                django_assert_num_queries):
    fill_cart(client, lines)
    fill_checkout(client, method)
    for name, expected in GUEST_PAGES.items():
        with django_assert_num_queries(expected):
            assert client.get(reverse(name)).status_code == 200, name
    place(client)
    pay_and_thanks(client, django_assert_num_queries, GUEST_ORDER_PAGES)


@pytest.mark.parametrize("lines", [1, 10])
def test_a_customers_pages_run_the_same_queries_for_1_and_10_lines(client, method, lines,
                                                                   django_assert_num_queries):
    user = UserFactory()
    client.force_login(user)
    fill_cart(client, lines)
    # The user row instead of the session's cart id, and the saved address's country for
    # the shipping estimate; the cache is cold here (zones, methods, tiers, tax rates,
    # warehouses).
    with django_assert_num_queries(13):
        assert client.get(reverse("checkout:cart")).status_code == 200
    fill_checkout(client, method, email=user.email)
    # The address step lists the saved addresses (one query); the others add the user row.
    for name, expected in {"checkout:address": 9, "checkout:review": 8,
                           "checkout:start": 9}.items():
        with django_assert_num_queries(expected):
            assert client.get(reverse(name)).status_code == 200, name
    place(client)
    # The user row, and the header's count of a cart the customer may have started since.
    pay_and_thanks(client, django_assert_num_queries, GUEST_ORDER_PAGES + 2)
