"""The dashboard pages: who may see them, a fixed number of queries each, charts drawn as
SVG with a table view, CSV downloads, a bad range refused with a 400."""

import csv
import io

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils.html import escape

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)
PANELS = ["sales", "funnel", "customers", "fulfillment", "returns", "stock"]
MARCH = "?range=custom&start=2025-03-01&end=2025-03-07"
# Session, user, the user's and the group's permissions; then the panel's own reads.
REQUEST = 4
QUERIES = {"sales": REQUEST + 3, "funnel": REQUEST + 2, "customers": REQUEST + 4,
           "fulfillment": REQUEST + 4, "returns": REQUEST + 4, "stock": REQUEST + 2}


@pytest.fixture
def merchant(client, merchant_roles):
    user = UserFactory(username="merchant", is_staff=True)
    user.groups.add(Group.objects.get(name="Merchant"))
    client.force_login(user)
    return user


def test_non_staff_go_to_the_admin_login_and_staff_without_the_role_get_403(client,
                                                                           merchant_roles):
    response = client.get("/dashboard/")
    assert response.status_code == 302 and response["Location"].startswith("/admin/login/")
    client.force_login(UserFactory(username="shopper"))
    assert client.get("/dashboard/sales/")["Location"].startswith("/admin/login/")
    packer = UserFactory(username="packer", is_staff=True)
    packer.groups.add(Group.objects.get(name="Packer"))
    client.force_login(packer)
    assert client.get("/dashboard/").status_code == 403
    assert client.get("/dashboard/sales/top_products.csv").status_code == 403


def test_the_merchant_group_has_the_permission_from_the_migration(merchant_roles):
    merchant = Group.objects.get(name="Merchant")
    assert merchant.permissions.filter(content_type__app_label="dashboard",
                                       codename="view_dashboard").exists()


def test_admin_index_links_to_the_dashboards(client, merchant):
    page = client.get("/admin/").content.decode()
    assert "KPI dashboards" in page
    assert client.get("/admin/dashboard/dashboard/")["Location"] == "/dashboard/"


@pytest.mark.parametrize("key", PANELS)
def test_each_page_renders_with_charts_tables_and_definitions(client, merchant, rebuilt, key):
    response = client.get(f"/dashboard/{key}/{MARCH}")
    assert response.status_code == 200
    page = response.content.decode()
    assert "01 Mar 2025 – 07 Mar 2025" in page and "America/New_York" in page and "USD" in page
    assert page.count("<svg") >= 1 and 'role="img"' in page and "<desc" in page
    assert "Table view" in page and 'scope="col"' in page
    assert "Definitions" in page and f"/dashboard/{key}/" in page
    panel = response.context["panel"]
    for kpi in panel.kpis:
        assert escape(kpi.definition) in page


def test_sales_page_shows_the_figures(client, merchant, rebuilt):
    page = client.get(f"/dashboard/sales/{MARCH}").content.decode()
    assert "$88.75" in page and "$130.00" in page and "+$36.25 (+69.0%)" in page
    assert "Linen Shirt" in page and "Apparel" in page


@pytest.mark.parametrize("key", PANELS)
def test_each_page_runs_a_fixed_number_of_queries(client, merchant, key, request):
    def count(url):
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    empty = count(f"/dashboard/{key}/{MARCH}")
    request.getfixturevalue("rebuilt")
    assert count(f"/dashboard/{key}/{MARCH}") == empty == QUERIES[key]
    assert count(f"/dashboard/{key}/?range=last_month") == QUERIES[key]
    assert count(f"/dashboard/{key}/?range=custom&start=2024-03-01&end=2025-03-07") \
        == QUERIES[key]


def test_csv_download_matches_the_table(client, merchant, rebuilt):
    response = client.get(f"/dashboard/sales/top_products.csv{MARCH}")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert "sales-top_products-20250301-20250307.csv" in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows == [["Product", "Net sales (USD)", "Units"], ["Stoneware Mug", "48.75", "4"],
                    ["Linen Shirt", "40.00", "1"]]
    chart = client.get(f"/dashboard/sales/net_sales_by_day.csv{MARCH}").content.decode()
    assert "2025-03-06,-27.50" in chart
    late = client.get(f"/dashboard/fulfillment/late_shipments.csv{MARCH}")
    assert late.status_code == 200
    assert client.get(f"/dashboard/sales/nothing.csv{MARCH}").status_code == 404


@pytest.mark.parametrize("query", ["?range=custom&start=2025-03-07&end=2025-03-01",
                                   "?range=custom&start=yesterday&end=2025-03-01",
                                   "?range=forever"])
def test_a_bad_range_is_a_400_with_the_reason(client, merchant, query):
    response = client.get(f"/dashboard/sales/{query}")
    assert response.status_code == 400
    assert 'role="alert"' in response.content.decode()
    assert client.get(f"/dashboard/sales/top_products.csv{query}").status_code == 400


def test_unknown_panel_is_a_404(client, merchant):
    assert client.get("/dashboard/profit/").status_code == 404


def test_the_admin_entry_has_no_pages_that_would_read_a_table(client, merchant):
    assert client.get("/admin/dashboard/dashboard/1/change/").status_code == 404
    assert client.get("/admin/dashboard/dashboard/add/").status_code == 404
