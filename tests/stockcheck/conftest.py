"""A small stocked shop for the stock check: a mug and a lamp in the east warehouse, orders
placed and paid through the services; each test then breaks one invariant on purpose with
raw updates, the way a bug or a hand edit in the database would."""

import pytest
from django.contrib.auth.models import Group, Permission
from django.db.models import F

from inventory.models import StockLevel
from orders import services as order_services
from orders.models import Allocation
from payments import services as payment_services
from tests.factories import ProductFactory, UserFactory, WarehouseFactory, make_variant, ready_cart

CARD = {"number": "4242424242424242", "exp_month": "12", "exp_year": "2030", "cvc": "123"}


@pytest.fixture
def warehouse():
    return WarehouseFactory(code="east", name="East DC", priority=1)


@pytest.fixture
def mug(warehouse):
    return make_variant(ProductFactory(title="Stoneware Mug"), sku="MUG", stock=10,
                        warehouse=warehouse)


@pytest.fixture
def lamp(warehouse):
    return make_variant(ProductFactory(title="Desk Lamp"), sku="LAMP", stock=4,
                        warehouse=warehouse)


def level_of(variant, warehouse=None) -> StockLevel:
    query = StockLevel.objects.filter(variant=variant)
    if warehouse is not None:
        query = query.filter(warehouse=warehouse)
    return query.get()


@pytest.fixture
def place():
    """place({variant: quantity}, paid=True) -> an order placed (and paid) through the
    services."""

    def make(variants, *, paid=True, email="ada@example.com"):
        order = order_services.place_order(cart=ready_cart(variants=variants, email=email))
        if paid:
            payment_services.start_payment(order=order, payment_data=CARD)
        order.refresh_from_db()
        return order

    return make


def drop_allocation(line):
    """A paid line loses its stock: its allocation row is gone and the counter follows, so
    the level itself stays consistent (the raw edit a buggy release would make)."""
    for allocation in Allocation.objects.filter(order_line=line):
        StockLevel.objects.filter(pk=allocation.stock_level_id).update(
            allocated=F("allocated") - allocation.quantity)
        allocation.delete()


@pytest.fixture
def stockcheck_roles(staff_roles):
    from shop.stockcheck.roles import sync_stockcheck_roles

    sync_stockcheck_roles(Group, Permission)


@pytest.fixture
def staff_in(stockcheck_roles):
    def login(client, role):
        user = UserFactory(username=role.lower().replace(" ", "-"), is_staff=True)
        user.groups.add(Group.objects.get(name=role))
        client.force_login(user)
        return user

    return login
