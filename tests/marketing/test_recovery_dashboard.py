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


# --- The panel's roll-ups (DailyCartReminders, RecoveredOrderFact) ----------------------------

def live_figures(period, currency="USD"):
    """The panel's KPIs counted straight from the emails, reminders, recoveries and orders
    (the panel's own queries before its roll-ups): what the roll-ups must always equal."""
    from django.db.models import Q

    from marketing.models import CartRecovery
    from shop.dashboard.periods import day_bounds
    from shop.dashboard.rollups import counted_orders

    since, until = day_bounds(period.previous.start, period.end)
    split, _ = day_bounds(period.start, period.end)
    emails = MarketingEmail.objects.filter(kind="cart_reminder", status="sent",
                                           sent_at__gte=since, sent_at__lt=until)
    first = Q(cart_reminder__number=1)
    figures = {"sent": (emails.filter(sent_at__gte=split).count(),
                        emails.filter(sent_at__lt=split).count()),
               "first": (emails.filter(first, sent_at__gte=split).count(),
                         emails.filter(first, sent_at__lt=split).count())}
    orders = counted_orders().filter(
        currency=currency, placed_at__gte=since, placed_at__lt=until,
        checkout_token__in=CartRecovery.objects.values("restored_cart__token"))
    sides = {"now": orders.filter(placed_at__gte=split), "before": orders.filter(
        placed_at__lt=split)}
    carts = {}
    for side, rows in sides.items():
        carts[side] = {CartRecovery.objects.filter(restored_cart__token=order.checkout_token)
                       .order_by("restored_at", "pk").values_list("cart_id", flat=True)[0]
                       for order in rows}
    figures["carts"] = (len(carts["now"]), len(carts["before"]))
    figures["revenue"] = tuple(sum((o.total for o in sides[side]), Decimal("0.00"))
                               for side in ("now", "before"))
    figures["numbers"] = sorted(o.number for o in sides["now"])
    return figures


def panel_figures(period):
    panel = marketing_panel(period)
    kpis = {kpi.key: kpi for kpi in panel.kpis}
    return {"sent": (kpis["reminders_sent"].value, kpis["reminders_sent"].previous),
            "carts": (kpis["carts_recovered"].value, kpis["carts_recovered"].previous),
            "revenue": (kpis["recovered_revenue"].value.amount,
                        kpis["recovered_revenue"].previous.amount),
            "numbers": sorted(row[0] for row in panel.table("recovered_orders").rows)}


def assert_panel_is_live(period, settings):
    live, shown = live_figures(period, settings.SHOP_CURRENCY), panel_figures(period)
    assert {key: live[key] for key in shown} == shown
    from shop.dashboard.selectors.shapes import percent
    kpis = {kpi.key: kpi for kpi in marketing_panel(period).kpis}
    assert kpis["recovery_rate"].value == percent(live["carts"][0], live["first"][0])
    assert kpis["recovery_rate"].previous == percent(live["carts"][1], live["first"][1])


def test_the_rollups_equal_the_live_count_and_the_rebuild(story, settings):
    from shop.dashboard import rollups
    from shop.dashboard.models import DailyCartReminders, RecoveredOrderFact

    ada, bo, di = story
    assert set(RecoveredOrderFact.objects.values_list("order_id", flat=True)) == {ada.pk, bo.pk}
    assert sum(DailyCartReminders.objects.values_list("sent", flat=True)) == 6
    for preset in ("today", "7d", "30d"):
        assert_panel_is_live(preset_period(preset), settings)
    assert rollups.rebuild_rollups().rows_differing == 0  # the increments were right


def test_an_erased_cart_leaves_the_panel_as_the_live_count_does(
        story, settings, django_capture_on_commit_callbacks):
    """Erasing a shopper's carts takes their reminders and recoveries (cascade): the order
    stops counting as recovered and the first reminder as a first reminder, the email
    stays sent. The receivers refresh both roll-ups."""
    from marketing.models import CartRecovery
    from orders.models import Cart

    ada = story[0]
    recovery = CartRecovery.objects.get(restored_cart__token=ada.checkout_token)
    before = panel_figures(preset_period("7d"))
    with django_capture_on_commit_callbacks(execute=True):
        Cart.objects.filter(pk__in={recovery.cart_id, recovery.restored_cart_id}).delete()
    after = panel_figures(preset_period("7d"))
    assert after["carts"][0] == before["carts"][0] - 1
    assert ada.number not in after["numbers"]
    assert after["sent"] == before["sent"]
    assert_panel_is_live(preset_period("7d"), settings)


def test_reminders_count_on_the_shops_local_day(
        abandoned, settings, django_capture_on_commit_callbacks):
    """Sent a minute either side of local midnight (New York): the roll-up's days are the
    shop's days, so the periods split where the live count splits them."""
    import datetime as dt
    from zoneinfo import ZoneInfo

    from shop.dashboard.models import DailyCartReminders
    from shop.dashboard.periods import Period, local_today

    settings.SHOP_TIME_ZONE = "America/New_York"
    zone = ZoneInfo("America/New_York")
    today = local_today()
    midnight = dt.datetime.combine(today - dt.timedelta(days=2), dt.time.min, tzinfo=zone)
    with django_capture_on_commit_callbacks(execute=True):
        for n, (moment, number) in enumerate([
                (midnight - dt.timedelta(minutes=1), 1), (midnight + dt.timedelta(minutes=1), 1),
                (midnight + dt.timedelta(minutes=2), 2), (midnight - dt.timedelta(days=3), 1)]):
            cart = abandoned(f"shopper{n}@example.com")
            email = MarketingEmail.objects.create(
                dedupe_key=f"cart-reminder:{cart.pk}:{number}", to=cart.email,
                kind="cart_reminder", subject="s", template="marketing/cart_reminder",
                status="queued")
            CartReminder.objects.create(cart=cart, number=number, email=email)
            email.status, email.sent_at = "sent", moment
            email.save(update_fields=["status", "sent_at"])
    days = dict(DailyCartReminders.objects.values_list("day", "sent"))
    assert days[today - dt.timedelta(days=2)] == 2 and days[today - dt.timedelta(days=3)] == 1
    for start in (today - dt.timedelta(days=2), today - dt.timedelta(days=1)):
        period = Period(start, today)
        assert_panel_is_live(period, settings)
    with django_capture_on_commit_callbacks(execute=True):
        CartReminder.objects.filter(number=1).delete()  # the emails stay sent
    assert list(DailyCartReminders.objects.values_list("first_sent", flat=True)) == [0, 0, 0]
    assert_panel_is_live(Period(today - dt.timedelta(days=2), today), settings)
