"""The money check's screen (Merchant only, a repair button per violation) and its nightly
email (once a day, never when clean)."""

from datetime import date

import pytest
from django.conf import settings
from django.contrib.auth.models import Group
from django.core import mail

from orders.models import Order
from shop.celery import app as celery_app
from shop.moneycheck import tasks
from shop.moneycheck.models import MoneyRepair
from shop.moneycheck.services import run_nightly_money_check
from tests.factories import UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("staff_roles")]
SCREEN = "/admin/moneycheck/moneycheck/"
REPAIR = "/admin/moneycheck/moneycheck/repair/"


def staff_in(client, role):
    user = UserFactory(username=role.lower().replace(" ", "-"), is_staff=True)
    user.groups.add(Group.objects.get(name=role))
    client.force_login(user)
    return user


def unpaid_looking(order):
    Order.objects.filter(pk=order.pk).update(payment_status=Order.PaymentStatus.UNPAID)


def test_the_merchant_sees_each_violation_and_repairs_it(client, place):
    order = place()
    unpaid_looking(order)
    merchant = staff_in(client, "Merchant")
    page = client.get(SCREEN)
    assert page.status_code == 200
    html = page.content.decode()
    assert f'data-testid="violation-payment_status-{order.pk}"' in html
    assert "Set the status from the payments" in html
    response = client.post(REPAIR, {"problem": "payment_status", "key": order.pk})
    assert response.status_code == 302
    assert Order.objects.get(pk=order.pk).payment_status == Order.PaymentStatus.PAID
    assert MoneyRepair.objects.get().user == merchant
    assert 'data-testid="money-clean"' in client.get(SCREEN).content.decode()


def test_a_packer_or_returns_clerk_is_refused(client, place):
    order = place()
    unpaid_looking(order)
    for role in ("Packer", "Returns clerk"):
        staff_in(client, role)
        assert client.get(SCREEN).status_code == 403
        assert client.post(REPAIR, {"problem": "payment_status",
                                    "key": order.pk}).status_code == 403
    assert Order.objects.get(pk=order.pk).payment_status == Order.PaymentStatus.UNPAID


def test_the_check_is_scheduled_nightly():
    entry = settings.CELERY_BEAT_SCHEDULE["nightly-money-check"]
    assert entry["task"] == "shop.moneycheck.tasks.nightly_money_check"
    assert entry["task"] in celery_app.tasks
    assert entry["schedule"].hour == {2}


def test_the_merchant_is_emailed_once_a_day_and_never_when_clean(place):
    order = place()
    assert tasks.nightly_money_check.delay().get() is False
    assert not mail.outbox
    unpaid_looking(order)
    assert run_nightly_money_check(day=date(2026, 1, 2)) is True
    assert run_nightly_money_check(day=date(2026, 1, 2)) is False
    assert len(mail.outbox) == 1
    body = mail.outbox[0].body
    assert "money check" in mail.outbox[0].subject and order.number in body
    assert "check_orders --repair" in body
