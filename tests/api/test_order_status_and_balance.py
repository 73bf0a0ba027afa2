"""The API's order says what the order page says: the shopper's status in plain words and,
for one order, the balance (every cent with its cause, in the shopper's words)."""

from io import StringIO

import pytest
import yaml
from django.core.management import call_command
from rest_framework.test import APIClient

from orders.models import Order
from payments import services as payment_services
from tests.factories import UserFactory

from .test_checkout_api import CARD, filled_cart, method, variant  # noqa: F401 - fixtures

pytestmark = pytest.mark.django_db


@pytest.fixture
def api():
    client = APIClient()
    client.force_authenticate(UserFactory())
    return client


def place(api, variant, method):  # noqa: F811 - the fixtures' values
    token = filled_cart(api, variant, method)
    return api.post(f"/api/carts/{token}/order/", format="json").json()


def test_an_unpaid_order_reads_awaiting_payment_with_everything_outstanding(
        api, variant, method):  # noqa: F811
    order = place(api, variant, method)
    assert order["shopper_status"] == "Awaiting payment"

    detail = api.get(f"/api/orders/{order['token']}/").json()
    assert detail["shopper_status"] == "Awaiting payment"
    balance = detail["balance"]
    assert (balance["charged"], balance["paid"], balance["outstanding"]) == (
        "128.00", "0.00", "128.00")
    assert balance["lines"] == [
        {"kind": "charged", "amount": "128.00", "text": "Order total",
         "at": balance["lines"][0]["at"]}]
    listed = api.get("/api/orders/").json()["results"]
    assert [o["shopper_status"] for o in listed] == ["Awaiting payment"]


def test_a_paid_order_reads_confirmed_and_its_balance_explains_the_payment(
        api, variant, method):  # noqa: F811
    order = place(api, variant, method)
    assert api.post(f"/api/orders/{order['token']}/payments/", {"card": CARD},
                    format="json").status_code == 201

    detail = api.get(f"/api/orders/{order['token']}/").json()
    assert detail["shopper_status"] == "Confirmed"
    balance = detail["balance"]
    assert (balance["captured"], balance["refunded"], balance["paid"],
            balance["outstanding"]) == ("128.00", "0.00", "128.00", "0.00")
    assert [line["kind"] for line in balance["lines"]] == ["charged", "captured"]
    assert balance["lines"][1]["text"].startswith("Paid on ")


def test_a_canceled_order_reads_canceled_with_the_refund_and_its_cause(
        api, variant, method):  # noqa: F811
    order = place(api, variant, method)
    api.post(f"/api/orders/{order['token']}/payments/", {"card": CARD}, format="json")
    payment_services.cancel_and_settle(order=Order.objects.get(), reason="Customer asked")

    detail = api.get(f"/api/orders/{order['token']}/").json()
    assert detail["shopper_status"] == "Canceled" and detail["status"] == "canceled"
    balance = detail["balance"]
    assert (balance["refunded"], balance["paid"], balance["outstanding"]) == (
        "128.00", "0.00", "0.00")
    assert {"kind": "refunded", "amount": "128.00", "text": "Refunded: order canceled"} \
        .items() <= balance["lines"][-1].items()


def test_the_schema_documents_the_status_and_the_balance():
    out = StringIO()
    call_command("spectacular", "--validate", "--fail-on-warn", stdout=out)
    schemas = yaml.safe_load(out.getvalue())["components"]["schemas"]
    assert "shopper_status" in schemas["Order"]["properties"]
    assert "Awaiting payment" in schemas["Order"]["properties"]["shopper_status"]["description"]
    detail = schemas["OrderDetail"]["properties"]
    assert "#/components/schemas/Balance'" in str(detail["balance"])  # a $ref (maybe in allOf)
    assert set(schemas["Balance"]["properties"]) == {
        "currency", "charged", "authorized", "captured", "refunded", "paid", "outstanding",
        "lines"}
    assert set(schemas["BalanceLine"]["properties"]) == {"kind", "amount", "text", "at"}
