"""Issue 17, merchant figures: one sales base that products and customers reconcile with,
money signs, changes coloured by what they mean, negative durations flagged, CSV times in
the shop's zone, one slow-mover window, paged and sorted stock tables, the rebuild
command, the shop's name in the admin."""

import csv
import io
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group
from django.core.management import CommandError, call_command
from django.db.models import Sum

from fulfillment.models import Shipment
from kernel.money import Money
from shop.dashboard import rollups, selectors
from shop.dashboard.models import CustomerFact
from shop.dashboard.periods import Period
from shop.dashboard.selectors.shapes import Kpi, Table
from shop.dashboard.templatetags.dashboard_tags import cell
from tests.dashboard.conftest import utc
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)
MARCH = "?range=custom&start=2025-03-01&end=2025-03-07"
EVERYTHING = Period(date(2025, 2, 1), date(2025, 3, 31))


def usd(amount: str) -> Money:
    return Money(Decimal(amount), "USD")


@pytest.fixture
def merchant(client, merchant_roles):
    user = UserFactory(username="merchant", is_staff=True)
    user.groups.add(Group.objects.get(name="Merchant"))
    client.force_login(user)
    return user


def figures(panel) -> dict:
    return {kpi.key: kpi.value for kpi in panel.kpis}


@pytest.mark.parametrize("period", [Period(date(2025, 3, 1), date(2025, 3, 7)), EVERYTHING,
                                    Period(date(2025, 3, 6), date(2025, 3, 6))])
def test_products_and_categories_add_up_to_net_sales(rebuilt, period):
    panel = selectors.sales_panel(period)
    net = figures(panel)["net_sales"]
    for key in ("top_products", "top_categories"):
        column = panel.table(key).columns.index("Net sales")
        total = sum((row[column] for row in panel.table(key).rows), usd("0"))
        assert total == net, key


def test_customers_lifetime_net_sales_add_up_to_net_sales_over_all_time(rebuilt):
    net = figures(selectors.sales_panel(EVERYTHING))["net_sales"]
    assert CustomerFact.objects.aggregate(total=Sum("net_sales"))["total"] == net.amount


def test_refunds_are_on_the_sales_base_with_tax_and_shipping_apart(rebuilt, period):
    found = figures(selectors.sales_panel(period))
    # A's shirt back: 44.00 refunded = 40.00 merchandise + 4.00 tax.
    assert (found["refunds"], found["tax_refunds"], found["shipping_refunds"]) == (
        usd("40.00"), usd("4.00"), usd("0.00"))
    assert found["net_sales"] == found["gross_sales"] - found["discounts"] - found["refunds"]


def test_a_negative_amount_puts_the_sign_before_the_symbol():
    assert str(Money(Decimal("-6.72"), "USD")) == "-$6.72"
    assert str(Money(Decimal("-1234.50"), "USD")) == "-$1,234.50"
    assert cell(Money(Decimal("-6.72"), "USD")) == "-$6.72"
    assert str(Money(Decimal("6.72"), "USD")) == "$6.72"


def test_changes_are_coloured_by_what_they_mean_for_the_shop():
    assert Kpi("net_sales", "Net sales", "money", usd("10"), usd("5")).verdict == "good"
    assert Kpi("refunds", "Refunds", "money", usd("10"), usd("5")).verdict == "bad"
    assert Kpi("refunds", "Refunds", "money", usd("5"), usd("10")).verdict == "good"
    assert Kpi("lead_time_median", "", "duration", timedelta(hours=30),
               timedelta(hours=20)).verdict == "bad"
    assert Kpi("return_rate", "", "percent", Decimal("5"), Decimal("2")).verdict == "bad"
    assert Kpi("tax", "Tax", "money", usd("10"), usd("5")).verdict == "neutral"
    assert Kpi("orders", "Orders", "count", 3, 3).verdict == "neutral"


def test_the_page_colours_a_rise_in_refunds_red(client, merchant, rebuilt):
    page = client.get(f"/dashboard/sales/{MARCH}").content.decode()
    card = page.split('data-kpi="refunds"')[1].split("</li>")[0]
    assert "kpi-bad" in card and "▲" in card and "bad for the shop" in card
    card = page.split('data-kpi="net_sales"')[1].split("</li>")[0]
    assert "kpi-good" in card


def test_shipped_before_payment_is_flagged_and_left_out_of_the_medians(client, merchant,
                                                                       history, period):
    # A was paid at 15:05 UTC on 2 March; record its east parcel as shipped before that.
    Shipment.objects.filter(pk=history["east_box"].pk).update(shipped_at=utc(2025, 3, 2, 10, 0))
    rollups.rebuild_rollups()
    panel = selectors.fulfillment_panel(period)
    found = figures(panel)
    assert found["lead_time_median"] >= timedelta(0) and found["lead_time_p90"] >= timedelta(0)
    assert panel.notes and "shipped before payment" in panel.notes[0]
    page = client.get(f"/dashboard/fulfillment/{MARCH}").content.decode()
    assert "Payment to ship (median)" in page and "Order to ship" not in page
    assert 'data-testid="kpi-note"' in page and "-" not in page.split(
        'data-kpi="lead_time_median"')[1].split('class="kpi-value">')[1].split("<")[0]


def test_csv_times_are_in_the_shop_zone_with_the_offset(client, merchant, rebuilt):
    response = client.get(f"/dashboard/fulfillment/late_shipments.csv{MARCH}")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    promised = [row[-1] for row in rows[1:]]
    assert promised and all(value.endswith(("-05:00", "-04:00")) for value in promised)
    page = client.get(f"/dashboard/fulfillment/{MARCH}").content.decode()
    # E's parcel: promised by 04:05 UTC on 3 March, 23:05 on 2 March in New York.
    assert "2025-03-02 23:05" in page and "2025-03-02T23:05:00-05:00" in promised


def test_the_slow_mover_window_is_the_inventory_reports_setting(rebuilt, period, settings):
    settings.SHOP_SLOW_MOVER_DAYS = 7
    panel = selectors.stock_panel(period)
    assert panel.slow_days == 7 and "no sale in 7 days" in panel.table("slow_movers").title
    settings.SHOP_SLOW_MOVER_DAYS = 90
    assert selectors.stock_panel(period).slow_days == 90


def test_tables_page_and_sort_from_the_query_string():
    table = Table("low", "Low", ["SKU", "Available"], [[f"S{n:02}", n % 7] for n in range(60)],
                  page_size=25, sortable=True)
    table.arrange({"low_page": "3"})
    assert table.pages == 3 and len(table.page_rows) == 10
    table.arrange({"low_sort": "-1", "low_page": "1"})
    assert [row[1] for row in table.page_rows[:3]] == [6, 6, 6]
    table.arrange({"low_sort": "9", "low_page": "x"})  # bad values ignored
    assert table.page == 1 and table.sort_column is None


def test_stock_page_puts_action_tables_first_and_sorts(client, merchant, rebuilt):
    page = client.get(f"/dashboard/stock/{MARCH}&slow_movers_sort=-2").content.decode()
    assert page.index("table-out_of_stock") < page.index("table-low_stock") < page.index(
        "chart-stock_value")
    assert 'aria-sort="descending"' in page and "slow_movers_sort=" in page


def test_rebuild_kpis_command(rebuilt):
    out = io.StringIO()
    call_command("rebuild_kpis", "--from", "2025-03-01", stdout=out)
    assert "from 2025-03-01" in out.getvalue() and "0 differed" in out.getvalue()
    call_command("rebuild_kpis", stdout=out)
    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        call_command("rebuild_kpis", "--from", "yesterday")


def test_the_admin_carries_the_shops_name(client, merchant, settings):
    settings.SHOP_NAME = "Harbour Goods"
    page = client.get("/admin/").content.decode()
    assert "Harbour Goods admin" in page and "Django administration" not in page
    assert "<title>" in page and "Harbour Goods" in page.split("<title>")[1].split("</title>")[0]
    page = client.get(f"/dashboard/sales/{MARCH}").content.decode()
    assert "Harbour Goods admin" in page
