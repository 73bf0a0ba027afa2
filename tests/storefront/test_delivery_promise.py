"""The product page promises a delivery date: "Order within 3 h 20 min, arrives Thu 12 -
Fri 13 Dec", from the warehouse that would ship the chosen variant (its cutoff and
non-working days) and the cheapest method's window for the shopper's country; the order
keeps the same window. Fixed times throughout (``now`` or a frozen clock), never the wall
clock."""

from datetime import datetime, time
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from inventory import services as inventory_services
from orders import services as order_services
from orders.delivery_promise import delivery_promises
from orders.models import ShippingMethod
from tests.factories import (
    ProductFactory,
    WarehouseFactory,
    make_shipping,
    make_variant,
    ready_cart,
)

pytestmark = pytest.mark.django_db
NEW_YORK = ZoneInfo("America/New_York")


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2024, 12, day, hour, minute, tzinfo=NEW_YORK)  # Tue 10 Dec 2024 ...


@pytest.fixture(autouse=True)
def shop_zone(settings):
    settings.SHOP_TIME_ZONE = "America/New_York"
    settings.SHOP_COUNTRY = "US"


@pytest.fixture
def lamp():
    east = WarehouseFactory(code="east", name="East DC", priority=1, ship_cutoff=time(14, 0),
                            closed_weekdays="5,6", closed_dates="2024-12-25")
    west = WarehouseFactory(code="west", name="West DC", priority=2, ship_cutoff=time(16, 0),
                            closed_weekdays="6")
    product = ProductFactory(title="Desk Lamp", slug="desk-lamp")
    brass = make_variant(product, price="89.00", options={"Color": "Brass"}, stock=3,
                         warehouse=east)
    black = make_variant(product, price="89.00", options={"Color": "Black"}, stock=2,
                         warehouse=west)
    make_shipping(country="US", name="Express", price="19.00", min_delivery_days=1,
                  max_delivery_days=1)
    make_shipping(country="US", name="Standard", price="5.00", min_delivery_days=2,
                  max_delivery_days=3)
    make_shipping(country="CA", name="Canada Post", price="12.00", min_delivery_days=4,
                  max_delivery_days=6)
    return {"brass": brass, "black": black, "east": east, "west": west}


def promise(variant, now, country=""):
    return delivery_promises(variants=[variant], country=country, now=now)[variant.pk]


def test_before_the_cutoff_it_leaves_today_by_the_cheapest_method(lamp):
    promised = promise(lamp["brass"], at(10, 10, 40))
    assert promised.text == "Order within 3 h 20 min, arrives Thu 12 - Fri 13 Dec"
    assert promised.method_name == "Standard" and promised.warehouse_name == "East DC"


def test_after_the_cutoff_it_leaves_the_next_working_day(lamp):
    promised = promise(lamp["brass"], at(10, 14, 0))
    assert promised.text == "Order by Wed 11 Dec 14:00, arrives Fri 13 - Mon 16 Dec"


def test_weekends_and_holidays_of_the_warehouse_do_not_ship(lamp):
    friday_evening = promise(lamp["brass"], at(13, 18))
    assert friday_evening.order_by == datetime(2024, 12, 16, 14, 0, tzinfo=NEW_YORK)
    christmas_eve = promise(lamp["brass"], at(24, 15))
    assert christmas_eve.order_by.date().isoformat() == "2024-12-26"
    # The west warehouse works Saturdays and has a later cutoff.
    saturday = promise(lamp["black"], at(14, 15, 30))
    assert saturday.text == "Order within 30 min, arrives Tue 17 - Wed 18 Dec"


def test_the_shoppers_country_picks_the_method(lamp):
    assert promise(lamp["brass"], at(10, 10), country="CA").text == \
        "Order within 4 h 0 min, arrives Mon 16 - Wed 18 Dec"


def test_a_variant_nothing_can_sell_promises_nothing(lamp):
    sold_out = make_variant(lamp["brass"].product, price="89.00", options={"Color": "Red"})
    assert sold_out.pk not in delivery_promises(variants=[sold_out], now=at(10, 10))


def test_the_product_page_shows_the_chosen_variants_promise(client, lamp, monkeypatch):
    monkeypatch.setattr("orders.delivery_promise.timezone.now", lambda: at(10, 10, 40))
    page = client.get(reverse("storefront:product", args=["desk-lamp"]),
                      {"variant": lamp["brass"].pk})
    html = page.content.decode()
    assert page.context["delivery_promise"].text == \
        "Order within 3 h 20 min, arrives Thu 12 - Fri 13 Dec"
    assert f'data-promise-for="{lamp["brass"].pk}">Order within 3 h 20 min' in html
    assert f'data-promise-for="{lamp["black"].pk}" hidden>' in html


def test_the_order_keeps_the_promise_the_product_page_made(lamp, monkeypatch):
    now = at(10, 10, 40)
    monkeypatch.setattr("orders.delivery_promise.timezone.now", lambda: now)
    monkeypatch.setattr("orders.selectors.timezone.now", lambda: now)
    promised = promise(lamp["brass"], now)
    cart = ready_cart(variants={lamp["brass"]: 1},
                      method=ShippingMethod.objects.get(name="Standard"))
    order = order_services.place_order(cart=cart)
    assert (order.delivery_earliest, order.delivery_latest) == \
        (promised.earliest, promised.latest)


def test_a_warehouses_closed_dates_must_be_dates():
    from django.core.exceptions import ValidationError

    warehouse = WarehouseFactory(code="north", closed_dates="2024-12-25, 25/12")
    with pytest.raises(ValidationError, match="25/12 is not a date"):
        warehouse.full_clean()


def test_a_staff_edit_of_the_methods_changes_the_next_promise(
        lamp, django_capture_on_commit_callbacks):
    """The methods come from the cached shipping rates: an edit drops them at once."""
    assert promise(lamp["brass"], at(10, 10, 40)).method_name == "Standard"
    standard = ShippingMethod.objects.get(name="Standard")
    with django_capture_on_commit_callbacks(execute=True):
        standard.is_active = False
        standard.save()
    assert promise(lamp["brass"], at(10, 10, 40)).method_name == "Express"
    with django_capture_on_commit_callbacks(execute=True):
        standard.is_active = True
        standard.max_delivery_days = 5
        standard.save()
    promised = promise(lamp["brass"], at(10, 10, 40))
    assert promised.method_name == "Standard"
    assert promised.text == "Order within 3 h 20 min, arrives Thu 12 - Tue 17 Dec"


def test_a_product_page_seen_before_reads_its_stock_once_and_no_shipping_rows(client, lamp):
    """Its variants' stock, ratings and the warehouse each would ship from (one query); the
    methods, zones, tiers and warehouses come from the cached shipping rates."""
    url = reverse("storefront:product", args=["desk-lamp"])
    client.get(url)
    client.get(url)
    with CaptureQueriesContext(connection) as queries:
        page = client.get(url, {"variant": lamp["black"].pk})
    assert page.status_code == 200
    tables = " ".join(query["sql"] for query in queries)
    assert len(queries) == 1, [query["sql"][:120] for query in queries]
    assert "orders_shippingmethod" not in tables and "inventory_warehouse\" FROM" not in tables
    # The same promises as the one that reads the levels itself.
    assert page.context["delivery_promise"].text == delivery_promises(
        variants=[lamp["black"]], now=page.context["delivery_promise"].now
    )[lamp["black"].pk].text
    assert page.context["delivery_promise"].warehouse_name == "West DC"


def test_the_product_page_promises_from_the_next_warehouse_once_the_first_sells_out(
        client, lamp, django_capture_on_commit_callbacks):
    brass = lamp["brass"]
    url = reverse("storefront:product", args=["desk-lamp"])
    first = client.get(url, {"variant": brass.pk}).context["delivery_promise"]
    assert first.warehouse_name == "East DC"
    with django_capture_on_commit_callbacks(execute=True):
        inventory_services.receive_stock(variant=brass, warehouse=lamp["west"], quantity=4)
        inventory_services.adjust_stock_count(variant=brass, warehouse=lamp["east"],
                                              counted=0, reason="Counted: none left")
    after = client.get(url, {"variant": brass.pk}).context["delivery_promise"]
    assert after.warehouse_name == "West DC"
