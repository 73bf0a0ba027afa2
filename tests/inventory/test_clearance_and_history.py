"""Slow movers and their timed clearance (through catalog's services), the stock history
chart, and the product page's "back in stock around" line."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from catalog import services as catalog_services
from catalog import tasks as catalog_tasks
from catalog.exceptions import CatalogError
from catalog.models import ClearanceDiscount
from inventory import charts, selectors, services
from inventory.models import StockLevel, StockMovement
from tests.factories import ProductFactory, make_variant

pytestmark = pytest.mark.django_db


def ship(variant, warehouse, quantity, *, days_ago: float):
    level = StockLevel.objects.get(variant=variant, warehouse=warehouse)
    services.allocate_units(stock_level_id=level.pk, quantity=quantity)
    movement = services.ship_units(stock_level_id=level.pk, quantity=quantity, reference="o")
    StockMovement.objects.filter(pk=movement.pk).update(
        created_at=timezone.now() - timedelta(days=days_ago))


@pytest.fixture
def goods(east):
    product = ProductFactory(title="Camp goods")
    stale = make_variant(product, sku="STALE", options={"Kind": "stale"}, price="50.00",
                         stock=20, warehouse=east)
    ship(stale, east, 1, days_ago=120)
    overstocked = make_variant(product, sku="OVER", options={"Kind": "over"}, stock=300,
                               warehouse=east)
    ship(overstocked, east, 3, days_ago=5)  # 0.1 a day: 2,970 days of cover
    brisk = make_variant(product, sku="BRISK", options={"Kind": "brisk"}, stock=40,
                         warehouse=east)
    for day in range(30):
        ship(brisk, east, 1, days_ago=day)  # 1 a day, 10 left: 10 days of cover
    make_variant(product, sku="EMPTY", options={"Kind": "empty"})  # nothing on hand
    return {"stale": stale, "over": overstocked, "brisk": brisk}


def test_slow_movers_are_the_unsold_and_the_overstocked(goods, django_assert_num_queries):
    with django_assert_num_queries(2):
        movers = selectors.slow_movers(days_without_sale=90, min_days_of_cover=180)

    by_sku = {mover.variant.sku: mover for mover in movers}
    assert set(by_sku) == {"STALE", "OVER"}
    assert by_sku["STALE"].days_of_cover is None  # nothing sold in the window
    assert by_sku["STALE"].on_hand == 19
    assert by_sku["OVER"].days_of_cover == Decimal("2970.0")
    assert by_sku["OVER"].sold_in_window == 3


def test_clearance_marks_down_shows_the_old_price_and_ends_on_time(goods):
    stale = goods["stale"]
    ends = timezone.now() + timedelta(days=14)

    (clearance,) = catalog_services.start_clearance(variant_ids=[stale.pk],
                                                    percent_off=Decimal("30"), ends_at=ends)

    stale.refresh_from_db()
    assert (stale.price, stale.compare_at_price) == (Decimal("35.00"), Decimal("50.00"))
    assert stale.is_on_sale
    assert selectors.slow_movers(days_without_sale=90, min_days_of_cover=180)[1].on_clearance

    assert catalog_tasks.end_expired_clearances.delay().get() == 0  # not yet
    ClearanceDiscount.objects.filter(pk=clearance.pk).update(
        ends_at=timezone.now() - timedelta(minutes=1))
    assert catalog_tasks.end_expired_clearances.delay().get() == 1
    assert catalog_tasks.end_expired_clearances.delay().get() == 0  # idempotent

    stale.refresh_from_db()
    assert (stale.price, stale.compare_at_price) == (Decimal("50.00"), None)


def test_a_price_set_during_clearance_is_kept_when_it_ends(goods):
    stale = goods["stale"]
    (clearance,) = catalog_services.start_clearance(
        variant_ids=[stale.pk], percent_off=Decimal("20"),
        ends_at=timezone.now() + timedelta(days=1))
    catalog_services.save_variant(product=stale.product, sku="STALE", price=Decimal("25.00"),
                                  options={"Kind": "stale"})

    catalog_services.end_clearance(clearance_id=clearance.pk)

    stale.refresh_from_db()
    assert stale.price == Decimal("25.00")


@pytest.mark.parametrize("percent, ends_in, message", [
    (Decimal("0"), 1, "more than 0"), (Decimal("100"), 1, "less than 100"),
    (Decimal("10"), -1, "end in the future"),
])
def test_bad_clearances_are_refused(goods, percent, ends_in, message):
    with pytest.raises(CatalogError, match=message):
        catalog_services.start_clearance(variant_ids=[goods["stale"].pk], percent_off=percent,
                                         ends_at=timezone.now() + timedelta(days=ends_in))

    assert not ClearanceDiscount.objects.exists()


def test_a_variant_already_on_clearance_is_refused_with_the_others(goods):
    soon = timezone.now() + timedelta(days=3)
    catalog_services.start_clearance(variant_ids=[goods["stale"].pk], percent_off=10,
                                     ends_at=soon)

    with pytest.raises(CatalogError, match="Already on clearance: STALE"):
        catalog_services.start_clearance(variant_ids=[goods["over"].pk, goods["stale"].pk],
                                         percent_off=10, ends_at=soon)

    goods["over"].refresh_from_db()
    assert goods["over"].compare_at_price is None


def test_the_storefront_shows_the_clearance_price_with_the_compare_at(client, goods):
    catalog_services.start_clearance(variant_ids=[goods["stale"].pk], percent_off=30,
                                     ends_at=timezone.now() + timedelta(days=2))

    page = client.get(goods["stale"].product.get_absolute_url() + f"?variant={goods['stale'].pk}")

    assert b"$35.00" in page.content and b"$50.00" in page.content


def test_the_history_series_follows_on_hand_across_warehouses(lantern, east, west):
    services.receive_stock(variant=lantern, warehouse=east, quantity=5)
    services.receive_stock(variant=lantern, warehouse=west, quantity=3)
    services.adjust_stock_count(variant=lantern, warehouse=east, counted=4, reason="Count")

    movements, series = selectors.stock_history(variant_id=lantern.pk)

    assert len(movements) == 3
    assert [point.on_hand for point in series] == [5, 8, 7]
    # Only the newest two shown: the series still starts from the real levels.
    _, tail = selectors.stock_history(variant_id=lantern.pk, limit=2)
    assert [point.on_hand for point in tail] == [8, 7]

    svg = charts.on_hand_chart(series, title="LANTERN-1 <on hand>")
    assert svg.startswith("<svg") and "&lt;on hand&gt;" in svg
    assert svg.count("<circle") == 3
    assert "No stock movements" in charts.on_hand_chart([], title="x")


def test_a_sold_out_variant_on_order_says_when_it_is_back(client, lantern, east, supplier,
                                                          priced):
    purchase_order = services.create_purchase_order(
        supplier_id=supplier.pk, warehouse_id=east.pk,
        lines=[services.LineRequest(variant_id=lantern.pk, quantity=10)])
    url = reverse("storefront:product", kwargs={"slug": lantern.product.slug})
    assert b"Back in stock around" not in client.get(url).content  # a draft promises nothing

    services.send_purchase_order(purchase_order_id=purchase_order.pk)
    purchase_order.refresh_from_db()

    page = client.get(url).content.decode()
    assert f"Back in stock around {purchase_order.expected_on:%B} " in page
    assert "Sold out" in page

    services.receive_purchase_order(purchase_order_id=purchase_order.pk,
                                    quantities={lantern.pk: 10})
    page = client.get(url).content.decode()
    assert "Back in stock around" not in page and "In stock" in page
