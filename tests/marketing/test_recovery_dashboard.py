"""The Marketing dashboard: reminders sent, carts recovered and recovered revenue add up
(the KPIs equal the rows they count, the table sums to the revenue), and the page runs a
fixed number of queries."""

import re
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group
from django.core import mail
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from kernel.money import Money
from marketing.models import CartReminder, MarketingEmail
from orders import services as order_services
from payments import services as payment_services
from shop.dashboard.periods import preset_period
from shop.dashboard.selectors import marketing_panel
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
CARD = {"number": "4242424242424242", "exp_month": "12", "exp_year": "2030", "cvc": "123"}
PAGE = "/dashboard/marketing/?range=7d"


@pytest.fixture
def merchant(client, staff_roles):
    from django.contrib.auth.models import Permission

    from shop.dashboard.roles import sync_dashboard_roles

    sync_dashboard_roles(Group, Permission)
    user = UserFactory(username="merchant", is_staff=True)
    user.groups.add(Group.objects.get(name="Merchant"))
    client.force_login(user)
    return user


def link_for(email):
    message = next(m for m in mail.outbox if m.to == [email] and "/cart/restore/" in m.body)
    return re.search(r"https?://[^/\s]+(/cart/restore/[^/\s]+/)", message.body).group(1)


@pytest.fixture
def story(abandoned, run_reminders, django_capture_on_commit_callbacks):
    """Four abandoned carts reminded. Ada restores hers on her phone and pays; Bo restores
    his on two devices and pays from the second; Cy restores and leaves; Di orders without
    the link (not recovered). Eve gets a second reminder too."""
    carts = {name: abandoned(f"{name}@example.com") for name in ("ada", "bo", "cy", "di", "eve")}
    run_reminders()
    orders = []
    phone = Client()
    phone.get(link_for("ada@example.com"))
    Client().get(link_for("bo@example.com"))
    other = Client()
    other.get(link_for("bo@example.com"))
    Client().get(link_for("cy@example.com"))
    with django_capture_on_commit_callbacks(execute=True):
        for name in ("ada", "bo", "di"):
            order = order_services.place_order(cart=carts[name])
            payment_services.start_payment(order=order, payment_data=CARD)
            orders.append(order)
    from marketing.recovery import send_cart_reminder
    from tests.marketing.conftest import idle
    idle(carts["eve"], minutes=25 * 60)
    with django_capture_on_commit_callbacks(execute=True):
        assert send_cart_reminder(cart_id=carts["eve"].pk, number=2)
    for order in orders:
        order.refresh_from_db()
    return orders


def test_the_figures_add_up(story, settings):
    ada, bo, di = story
    panel = marketing_panel(preset_period("7d"))
    kpis = {kpi.key: kpi.value for kpi in panel.kpis}
    assert kpis["reminders_sent"] == 6 == MarketingEmail.objects.filter(
        kind="cart_reminder", status="sent").count()
    assert kpis["carts_recovered"] == 2
    assert kpis["recovered_revenue"] == Money(ada.total + bo.total, settings.SHOP_CURRENCY)
    assert kpis["recovery_rate"] == Decimal("40.00")  # 2 of 5 first reminders
    table = panel.table("recovered_orders")
    assert sorted(row[0] for row in table.rows) == sorted([ada.number, bo.number])
    assert sum((row[2].amount for row in table.rows), Decimal("0")) == \
        kpis["recovered_revenue"].amount
    assert di.number not in [row[0] for row in table.rows]


def test_an_unpaid_recovered_order_is_not_counted_yet(abandoned, run_reminders):
    cart = abandoned()
    run_reminders()
    Client().get(link_for("ada@example.com"))
    order_services.place_order(cart=cart)
    kpis = {kpi.key: kpi.value for kpi in marketing_panel(preset_period("7d")).kpis}
    assert kpis["reminders_sent"] == 1 and kpis["carts_recovered"] == 0


def test_the_page_shows_the_figures_in_a_fixed_number_of_queries(client, merchant, story):
    def count():
        with CaptureQueriesContext(connection) as queries:
            response = client.get(PAGE)
        assert response.status_code == 200
        return len(queries), response

    with_data, response = count()
    html = response.content.decode()
    assert "Cart reminders sent" in html and "Recovered revenue" in html
    assert story[0].number in html
    CartReminder.objects.all().delete()  # and their recoveries
    MarketingEmail.objects.all().delete()
    empty, _ = count()
    assert with_data == empty


def test_the_csv_download_has_the_recovered_orders(client, merchant, story):
    response = client.get("/dashboard/marketing/recovered_orders.csv?range=7d")
    assert response.status_code == 200
    body = response.content.decode()
    assert story[0].number in body and story[1].number in body
