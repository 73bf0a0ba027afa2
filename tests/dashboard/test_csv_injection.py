"""A guest who checks out as ``=1+2@example.com`` reaches the merchant's top-customers CSV
as text, not as a formula."""

import csv
import io

import pytest
from django.contrib.auth.models import Group

from orders import services as order_services
from payments import services as payment_services
from shop.dashboard import rollups
from tests.factories import ProductFactory, UserFactory, make_variant, ready_cart

pytestmark = pytest.mark.django_db
CARD = {"number": "4242424242424242", "exp_month": "12", "exp_year": "2030", "cvc": "123"}


def test_a_formula_email_is_quoted_in_the_top_customers_csv(client, merchant_roles):
    variant = make_variant(ProductFactory(), price="10.00", stock=5)
    order = order_services.place_order(cart=ready_cart(variants={variant: 1},
                                                       email="=1+2@example.com"))
    payment_services.start_payment(order=order, payment_data=CARD)
    rollups.rebuild_rollups()
    merchant = UserFactory(username="merchant", is_staff=True)
    merchant.groups.add(Group.objects.get(name="Merchant"))
    client.force_login(merchant)

    response = client.get("/dashboard/customers/top_customers.csv")

    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[1][0] == "'=1+2@example.com"
    assert rows[1][1] == "1"  # numbers stay numbers
    assert not any(cell.startswith(("=", "+", "@")) for row in rows for cell in row)
