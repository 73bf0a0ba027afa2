"""The consistency screen in admin: Merchant only, every violation with its cause and a
repair button, a fixed number of queries however many stock levels there are."""

import pytest
from django.db import connection
from django.db.models import F
from django.test.utils import CaptureQueriesContext

from inventory.models import StockLevel
from orders.models import Order
from shop.stockcheck.models import StockRepair
from shop.stockcheck.selectors import check_stock
from tests.factories import ProductFactory, UserFactory, make_variant

from .conftest import drop_allocation, level_of

pytestmark = pytest.mark.django_db
SCREEN = "/admin/stockcheck/stockcheck/"
REPAIR = "/admin/stockcheck/stockcheck/repair/"


def test_anonymous_and_non_staff_are_sent_to_the_login(client):
    response = client.get(SCREEN)
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
    client.force_login(UserFactory(username="shopper"))
    response = client.get(SCREEN)
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
    assert client.post(REPAIR, {"all": "1"}).status_code == 302


def test_a_picker_is_refused(client, staff_in, mug):
    staff_in(client, "Picker")
    assert client.get(SCREEN).status_code == 403
    StockLevel.objects.filter(pk=level_of(mug).pk).update(on_hand=F("on_hand") + 1)
    assert client.post(REPAIR, {"problem": "ledger_drift",
                                "key": level_of(mug).pk}).status_code == 403
    assert not StockRepair.objects.exists()


def test_every_stock_check_admin_page_is_closed_to_staff_without_the_role(client, staff_in):
    staff_in(client, "Packer")
    for path in [SCREEN, REPAIR, "/admin/stockcheck/stockrepair/", "/admin/stockcheck/"]:
        assert client.get(path).status_code in {403, 404}, path


def test_the_merchant_sees_a_clean_shop(client, staff_in, mug):
    staff_in(client, "Merchant")
    response = client.get(SCREEN)
    assert response.status_code == 200
    assert b'data-testid="stock-clean"' in response.content
    assert b"1 stock levels checked" in response.content
    index = client.get("/admin/")
    assert SCREEN.encode() in index.content  # linked from the admin's index


def test_the_merchant_sees_each_violation_and_repairs_one(client, staff_in, place, mug, lamp):
    merchant = staff_in(client, "Merchant")
    canceled = place({lamp: 1}, paid=False)
    Order.objects.filter(pk=canceled.pk).update(status=Order.Status.CANCELED)
    level = level_of(mug)
    StockLevel.objects.filter(pk=level.pk).update(on_hand=F("on_hand") + 2)

    page = client.get(SCREEN).content.decode()
    assert "2 problems found" in page
    assert f'data-testid="violation-ledger_drift-{level.pk}"' in page
    assert "MUG at east: the ledger sums to 10 but on hand is 12" in page
    assert f"Order {canceled.number} is canceled but still holds 1 unit: 1 × LAMP at east." in page
    assert "Write a correcting ledger line" in page and "Release the order&#x27;s stock" in page

    response = client.post(REPAIR, {"problem": "ledger_drift", "key": level.pk}, follow=True)
    assert response.redirect_chain[-1][0] == SCREEN
    assert "wrote a correcting line of +2" in response.content.decode()
    assert StockRepair.objects.get().user == merchant
    assert [v.problem for v in check_stock().violations] == ["closed_order_allocation"]

    response = client.post(REPAIR, {"all": "1"}, follow=True)
    assert b'data-testid="stock-clean"' in response.content
    assert b"released them to stock" in response.content  # listed under recent repairs


def test_a_bad_repair_request_is_a_message_not_an_error(client, staff_in):
    staff_in(client, "Merchant")
    response = client.post(REPAIR, {"problem": "nonsense", "key": "x"}, follow=True)
    assert response.status_code == 200
    assert b"Choose a violation to repair." in response.content
    assert client.get(REPAIR).status_code == 405


def break_shop(place, count):
    """``count`` stock levels of each broken kind, plus healthy ones."""
    product = ProductFactory()
    for index in range(count):
        drifting = make_variant(product, sku=f"DRIFT-{count}-{index}", stock=5)
        StockLevel.objects.filter(variant=drifting).update(on_hand=F("on_hand") + 1)
        make_variant(product, sku=f"FINE-{count}-{index}", stock=5)
        sold = make_variant(product, sku=f"SOLD-{count}-{index}", stock=5)
        order = place({sold: 1})
        drop_allocation(order.lines.get())
        gone = place({sold: 1}, paid=False)
        Order.objects.filter(pk=gone.pk).update(status=Order.Status.CANCELED)


def screen_queries(client):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(SCREEN)
    assert response.status_code == 200
    return len(queries), response.content.decode()


def test_the_screen_reads_in_a_fixed_number_of_queries(client, staff_in, place):
    staff_in(client, "Merchant")
    break_shop(place, 1)
    few, page = screen_queries(client)
    assert page.count('data-testid="violation-') == 3
    break_shop(place, 6)
    many, page = screen_queries(client)
    assert page.count('data-testid="violation-') == 21
    assert many == few
