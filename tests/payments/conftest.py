"""Fixtures and helpers for the payment tests, and for the order back office's tests
(tests/backoffice imports them): a fake Stripe, a product to sell, staff with the order
and payment permissions, and orders placed and paid through the services."""

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from orders import services as order_services
from orders.models import Allocation, Order
from payments import services
from payments.models import GatewayCall
from tests.factories import ProductFactory, UserFactory, make_variant, ready_cart

from .stripe_fake import FakeStripe

CARD = {"number": "4242424242424242", "exp_month": "12", "exp_year": "2030", "cvc": "123"}
ORDERS = reverse("admin:orders_order_changelist")
PAYMENTS = reverse("admin:payments_payment_changelist")
MANAGER_PERMISSIONS = ("view_order", "change_order", "view_payment", "change_payment",
                       "refund_adjustment")
# A refund from the payment admin: a price adjustment or goodwill, with a reason and the
# explicit choice of what happens to the goods.
GOODWILL = {"refund_reason": "goodwill", "decision": "ship"}


@pytest.fixture
def lamp():
    return make_variant(ProductFactory(title="Desk Lamp"), price="40.00", sku="LAMP-1",
                        stock=100)


def staff_with(*codenames, username="manager"):
    user = UserFactory(username=username, is_staff=True)
    user.user_permissions.add(*Permission.objects.filter(
        content_type__app_label__in=["orders", "payments"], codename__in=codenames))
    return user


@pytest.fixture
def manager(client):
    """Staff with the order and payment permissions, and nothing else."""
    client.force_login(staff_with(*MANAGER_PERMISSIONS))
    return client


@pytest.fixture
def viewer(client):
    """Staff who may look at orders and payments but change nothing."""
    client.force_login(staff_with("view_order", "view_payment", "view_stripeevent",
                                  username="viewer"))
    return client


@pytest.fixture
def authorize_only(monkeypatch):
    """The offline gateway captures at once; make it authorize only, as manual capture does."""
    monkeypatch.setattr(services.starting, "_capture_automatically", lambda gateway: False)


def place(variant, *, pay=True, email="ada@example.com", quantity=1) -> Order:
    order = order_services.place_order(
        cart=ready_cart(variants={variant: quantity}, email=email))
    if pay:
        services.start_payment(order=order, payment_data=CARD)
    return Order.objects.get(pk=order.pk)


def messages_of(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def act(client, action, *orders, url=ORDERS):
    return client.post(url, {"action": action, "_selected_action": [o.pk for o in orders]},
                       follow=True)


def count_queries(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def snapshot(order: Order):
    """Everything an order admin action could change about one order."""
    order = Order.objects.get(pk=order.pk)
    return (order.status, order.payment_status, order.risk, order.events.count(),
            list(order.payments.values_list("state", "captured_amount", "refunded_amount")),
            list(Allocation.objects.filter(order_line__order=order)
                 .values_list("stock_level_id", "quantity")),
            GatewayCall.objects.filter(payment__order=order).count())


@pytest.fixture
def stripe_fake(settings):
    """A fake Stripe API for the test, with the shop's Stripe settings pointed at it."""
    fake = FakeStripe().start()
    settings.STRIPE_SECRET_KEY = "sk_test_fake"
    settings.STRIPE_PUBLISHABLE_KEY = "pk_test_fake"
    settings.STRIPE_WEBHOOK_SECRET = "whsec_test"
    settings.STRIPE_API_BASE = fake.url
    settings.PAYMENT_GATEWAY = "stripe"
    yield fake
    fake.stop()
