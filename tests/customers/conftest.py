"""Orders with known times and amounts for the customers tests (written directly: RFM reads
only what placing and paying leave behind), and staff in a role."""

from __future__ import annotations

import itertools
import uuid
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group, Permission

from orders.models import Address, Order
from payments.models import Payment
from tests.factories import ADDRESS, UserFactory

_numbers = itertools.count(1)


def make_order(*, email: str, total: str, days_ago: int, now: datetime, user=None,
               paid: bool = True, refunded: str = "0", currency: str = "USD",
               replaces: Order | None = None) -> Order:
    """A placed order ``days_ago`` before ``now``; paid (one captured payment, of which
    ``refunded`` was refunded) unless ``paid=False``."""
    address = Address.objects.create(**ADDRESS)
    amount = Decimal(total)
    refund = Decimal(refunded)
    if not paid:
        payment_status = Order.PaymentStatus.UNPAID
    elif refund >= amount and amount > 0:
        payment_status = Order.PaymentStatus.REFUNDED
    elif refund:
        payment_status = Order.PaymentStatus.PARTIALLY_REFUNDED
    else:
        payment_status = Order.PaymentStatus.PAID
    placed = now - timedelta(days=days_ago)
    order = Order.objects.create(
        number=f"T{next(_numbers):06d}", checkout_token=uuid.uuid4(), user=user, email=email,
        currency=currency, prices_include_tax=False, subtotal=amount, total=amount,
        billing_address=address, shipping_address=address, shipping_method_name="Standard",
        payment_status=payment_status, paid_at=placed if paid else None, replaces=replaces)
    Order.objects.filter(pk=order.pk).update(placed_at=placed)
    order.refresh_from_db()
    if paid and amount > 0:
        state = (Payment.State.REFUNDED if payment_status == Order.PaymentStatus.REFUNDED
                 else Payment.State.PARTIALLY_REFUNDED if refund else Payment.State.CAPTURED)
        Payment.objects.create(order=order, gateway=Payment.Gateway.OFFLINE, state=state,
                               amount=amount, currency=currency, captured_amount=amount,
                               refunded_amount=refund)
    return order


@pytest.fixture
def customers_roles(staff_roles):
    from customers.roles import sync_customer_roles

    sync_customer_roles(Group, Permission)


@pytest.fixture
def staff_in(customers_roles):
    def login(client, role: str):
        user = UserFactory(username=role.lower().replace(" ", "-"), is_staff=True)
        user.groups.add(Group.objects.get(name=role))
        client.force_login(user)
        return user

    return login
