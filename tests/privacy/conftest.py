"""Two customers with delivered orders (the returns suite's catalog and delivery helpers),
a guest with an order, and the Merchant's privacy permissions."""

import pytest
from django.contrib.auth.models import Group, Permission

from orders import services as order_services
from privacy.roles import sync_privacy_roles
from tests.factories import UserFactory
from tests.returns import conftest as returns_fixtures

warehouse = returns_fixtures.warehouse
catalog = returns_fixtures.catalog
delivered_order = returns_fixtures.delivered_order

PASSWORD = "correct horse battery"


@pytest.fixture
def ada():
    return UserFactory(username="ada@example.com", email="ada@example.com", password=PASSWORD,
                       first_name="Ada", last_name="Lovelace")


@pytest.fixture
def bob():
    return UserFactory(username="bob@example.com", email="bob@example.com", password=PASSWORD,
                       first_name="Bob", last_name="Babbage")


@pytest.fixture
def saved_address(ada):
    return order_services.save_address(user=ada, data={
        "first_name": "Ada", "last_name": "Lovelace", "line1": "12 Analytical Row",
        "city": "Portland", "region": "OR", "postal_code": "97201", "country": "US",
        "phone": "+1 503 555 0100"})


@pytest.fixture
def privacy_roles(staff_roles):
    sync_privacy_roles(Group, Permission)


def logged_in(client, user):
    client.force_login(user)
    return client
