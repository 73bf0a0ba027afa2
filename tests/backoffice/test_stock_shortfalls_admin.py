"""The stock shortfalls queue in admin: a merchant sees age and value at risk, and each way
out; bad input and the wrong role change nothing."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse
from django.utils import timezone

from orders.models import Order, StockShortfall
from tests.factories import UserFactory
from tests.orders import test_stock_shortfalls as flows

pytestmark = pytest.mark.django_db(transaction=True)
shop = flows.shop


def staff_in(client, role):
    user = UserFactory(username=role.lower(), is_staff=True)
    user.groups.add(Group.objects.get(name=role))
    client.force_login(user)
    return user


def url(name, shortfall):
    return reverse(f"admin:orders_stockshortfall_{name}", args=[shortfall.pk])


def messages_of(response):
    return [str(m) for m in response.context["messages"]] if response.context else []


def test_the_queue_shows_age_value_and_the_shortage(client, shop, staff_roles):
    order, shortfall = flows.queued_order(shop)
    staff_in(client, "Merchant")
    page = client.get(reverse("admin:orders_stockshortfall_changelist"))
    assert page.status_code == 200
    body = page.content.decode()
    assert order.number in body and f"${order.total}" in body
    assert "LAMP: 1 wanted, 0 free" in body and "0 min" in body
    detail = client.get(reverse("admin:orders_stockshortfall_change", args=[shortfall.pk]))
    assert b"Backorder" in detail.content and b"Cancel and refund" in detail.content


def test_a_merchant_backorders_with_a_date(client, shop, staff_roles):
    order, shortfall = flows.queued_order(shop)
    staff_in(client, "Merchant")
    bad = client.post(url("backorder", shortfall), {"expected_on": "not a date"})
    assert bad.status_code == 400 and b"Enter a valid date" in bad.content
    past = client.post(url("backorder", shortfall),
                       {"expected_on": timezone.now().date().isoformat()}, follow=True)
    assert any("after today" in m for m in messages_of(past))
    shortfall.refresh_from_db()
    assert shortfall.state == StockShortfall.State.OPEN
    when = timezone.now().date() + timedelta(days=5)
    done = client.post(url("backorder", shortfall), {"expected_on": when.isoformat()},
                       follow=True)
    assert any("backordered" in m for m in messages_of(done))
    shortfall.refresh_from_db()
    assert shortfall.state == StockShortfall.State.BACKORDERED and shortfall.expected_on == when


def test_cancel_and_refund_and_post_only_buttons(client, shop, staff_roles):
    order, shortfall = flows.queued_order(shop)
    staff_in(client, "Merchant")
    assert client.get(url("cancel", shortfall)).status_code == 405
    assert client.get(url("retry", shortfall)).status_code == 405
    retried = client.post(url("retry", shortfall), follow=True)
    assert any("still not enough stock" in m for m in messages_of(retried))
    done = client.post(url("cancel", shortfall), follow=True)
    assert any("canceled and refunded" in m for m in messages_of(done))
    order.refresh_from_db()
    assert order.status == Order.Status.CANCELED and order.payment_status == "refunded"
    again = client.post(url("cancel", shortfall), follow=True)
    assert any("already" in m for m in messages_of(again))


def test_an_unknown_substitute_sku_is_refused(client, shop, staff_roles):
    order, shortfall = flows.queued_order(shop)
    staff_in(client, "Merchant")
    response = client.post(url("substitute", shortfall), {
        "line": order.lines.get().pk, "sku": "NOPE"})
    assert response.status_code == 400 and b"No variant on sale has the SKU NOPE" in \
        response.content
    nul = client.post(url("substitute", shortfall), {"line": order.lines.get().pk,
                                                     "sku": "A\x00B"})
    assert nul.status_code == 400
    shortfall.refresh_from_db()
    assert shortfall.state == StockShortfall.State.OPEN


def test_a_picker_cannot_resolve_exceptions(client, shop, staff_roles):
    order, shortfall = flows.queued_order(shop)
    staff_in(client, "Picker")
    for name in ("backorder", "warehouse", "substitute"):
        assert client.get(url(name, shortfall)).status_code == 403
    assert client.post(url("cancel", shortfall)).status_code == 403
    order.refresh_from_db()
    assert order.payment_status == "paid"


def test_the_queue_is_on_the_merchants_admin_index(client, staff_roles):
    staff_in(client, "Merchant")
    index = client.get(reverse("admin:index"))
    assert reverse("admin:orders_stockshortfall_changelist").encode() in index.content
