"""PostgreSQL drops the request's connection mid-request: a clean 503 with Retry-After (the
shop's error page, or the API's error shape), no half-written order, and the next request
works on a new connection.

The drop is real: at a chosen query, a second connection runs ``pg_terminate_backend`` on
the request's backend, so the query goes to a server that has hung up.
"""

from __future__ import annotations

import contextlib

import psycopg2
import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from inventory.models import StockLevel
from orders.models import Cart, Order
from tests.api.test_checkout_api import filled_cart
from tests.checkout.flow import add, fill_checkout, row_counts
from tests.factories import ProductFactory, make_shipping, make_variant

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _terminate(backend_pid: int) -> None:
    settings_dict = connection.settings_dict
    other = psycopg2.connect(dbname=settings_dict["NAME"], user=settings_dict["USER"] or None,
                             password=settings_dict["PASSWORD"] or None,
                             host=settings_dict["HOST"] or None,
                             port=settings_dict["PORT"] or None)
    other.autocommit = True
    with other.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(%s)", [backend_pid])
    other.close()


@contextlib.contextmanager
def connection_dropped_at(fragment: str):
    """Kill this thread's database connection just before the first query containing
    ``fragment`` runs (the request handled by the test client uses this connection)."""
    seen = []

    def wrapper(execute, sql, params, many, context):
        if not seen and fragment in sql:
            seen.append(sql)
            _terminate(context["connection"].connection.get_backend_pid())
        return execute(sql, params, many, context)

    with connection.execute_wrapper(wrapper):
        yield seen
    assert seen, f"no query contained {fragment!r}: the drop never happened"
    # The test client keeps Django's close_old_connections from running; a server would.
    connection.close()


@pytest.fixture
def variant():
    return make_variant(ProductFactory(title="Storm Kettle"), price="45.00", stock=4)


@pytest.fixture
def method():
    return make_shipping(price="6.00")


def _allocated(variant) -> int:
    return sum(StockLevel.objects.filter(variant=variant).values_list("allocated", flat=True))


def test_a_checkout_whose_connection_drops_mid_order_gets_a_503_page_and_no_order(variant,
                                                                                   method):
    client = Client()
    add(client, variant, 2)
    fill_checkout(client, method)
    cart = Cart.objects.get(status=Cart.Status.OPEN)
    before = row_counts()

    # The order row is written; the connection dies as its lines are inserted.
    with connection_dropped_at('INSERT INTO "orders_orderline"'):
        response = client.post(reverse("checkout:review"),
                               {"checkout_token": str(cart.token)})

    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    assert response["Content-Type"].startswith("text/html")
    page = response.content.decode()
    assert '<p class="error-code">503</p>' in page and "briefly unavailable" in page
    assert "shop.css" in page  # the shop's error page style, like 500.html
    # Nothing half-written: the transaction died with the connection.
    assert row_counts() == before
    assert Order.objects.count() == 0 and _allocated(variant) == 0
    # The shopper tries again and it works, on a new connection.
    retry = client.post(reverse("checkout:review"), {"checkout_token": str(cart.token)})
    assert retry.status_code == 302
    assert Order.objects.count() == 1 and _allocated(variant) == 2


def test_the_api_answers_503_json_with_retry_after_and_writes_nothing(variant, method):
    api = APIClient()
    token = filled_cart(api, variant, method, quantity=1)
    before = row_counts()

    with connection_dropped_at('INSERT INTO "orders_orderline"'):
        response = api.post(f"/api/carts/{token}/order/", format="json")

    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"detail": "The shop is briefly unavailable. Please try again "
                                         "in a moment.", "code": "service_unavailable"}
    assert row_counts() == before and _allocated(variant) == 0
    again = api.post(f"/api/carts/{token}/order/", format="json")
    assert again.status_code == 201 and _allocated(variant) == 1


def test_a_read_api_call_whose_connection_drops_is_a_503_not_a_500(variant):
    with connection_dropped_at("catalog_product"):
        response = APIClient().get("/api/products/")
    assert response.status_code == 503 and response.json()["code"] == "service_unavailable"
    assert APIClient().get("/api/products/").status_code == 200


def test_a_drop_outside_the_view_is_still_a_503(variant):
    """The session is saved by middleware after the view ran: handler500 turns the dropped
    connection there into the same 503 page."""
    client = Client(raise_request_exception=False)
    with connection_dropped_at("django_session"):
        response = add(client, variant, 1)
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    assert "briefly unavailable" in response.content.decode()


def test_other_server_errors_keep_the_500_page(rf):
    from shop.web.unavailable import server_error

    try:
        raise ValueError("a bug, not an outage")
    except ValueError:
        response = server_error(rf.get("/"))
    assert response.status_code == 500
