"""Stock beyond on hand and allocated: units on quality hold and a safety stock are never
sold, by the storefront, the cart, checkout or the API; one rule says what is available."""

import io

import pytest
from django.core.management import call_command
from django.urls import reverse

from inventory import services
from inventory.exceptions import StockError
from inventory.models import StockLevel, StockMovement, UnsellableChange
from inventory.selectors import available_to_sell
from orders import services as order_services
from orders.exceptions import OutOfStock
from tests.factories import ProductFactory, WarehouseFactory, make_variant, ready_cart

pytestmark = pytest.mark.django_db


@pytest.fixture
def lamp():
    east = WarehouseFactory(code="east", priority=1)
    variant = make_variant(ProductFactory(title="Desk Lamp", slug="desk-lamp"), sku="LAMP",
                           price="30.00", stock=10, warehouse=east)
    return variant, StockLevel.objects.get(variant=variant, warehouse=east)


def test_held_and_safety_units_are_not_available(lamp):
    variant, level = lamp
    services.hold_units(stock_level_id=level.pk, quantity=3, reason="Water damage")
    services.set_safety_stock(stock_level_id=level.pk, quantity=4)
    level.refresh_from_db()
    assert (level.on_hand, level.unsellable, level.safety_stock, level.free,
            level.available) == (10, 3, 4, 7, 3)
    assert available_to_sell(variant_ids=[variant.pk]) == {variant.pk: 3}


def test_the_storefront_page_and_api_show_only_sellable_units(client, lamp):
    variant, level = lamp
    services.set_safety_stock(stock_level_id=level.pk, quantity=8)
    page = client.get(reverse("storefront:product", args=["desk-lamp"]))
    assert b"Only 2 left" in page.content
    services.hold_units(stock_level_id=level.pk, quantity=2, reason="Recall")
    page = client.get(reverse("storefront:product", args=["desk-lamp"]))
    assert b"Out of stock" in page.content
    api = client.get("/api/products/desk-lamp/").json()
    assert [v["available"] for v in api["variants"]] == [0]


def test_the_cart_and_checkout_never_sell_held_or_safety_units(lamp):
    variant, level = lamp
    services.hold_units(stock_level_id=level.pk, quantity=5, reason="Inspection")
    services.set_safety_stock(stock_level_id=level.pk, quantity=3)
    cart = order_services.get_or_create_cart()
    with pytest.raises(OutOfStock, match="Only 2 of Desk Lamp left"):
        order_services.add_to_cart(cart=cart, variant_id=variant.pk, quantity=3)
    order_services.place_order(cart=ready_cart(variants={variant: 2}, email="a@example.com"))
    with pytest.raises(OutOfStock):
        order_services.place_order(cart=ready_cart(variants={variant: 1},
                                                   email="b@example.com"))
    level.refresh_from_db()
    assert level.allocated == 2 and level.available == 0


def test_allocation_is_refused_past_the_safety_stock(lamp):
    variant, level = lamp
    services.set_safety_stock(stock_level_id=level.pk, quantity=9)
    assert services.allocate_units(stock_level_id=level.pk, quantity=1)
    assert not services.allocate_units(stock_level_id=level.pk, quantity=1)


def test_hold_release_and_write_off_keep_the_ledger(lamp):
    variant, level = lamp
    services.hold_units(stock_level_id=level.pk, quantity=4, reason="Dented boxes")
    services.release_held_units(stock_level_id=level.pk, quantity=1, reason="Fine after all")
    services.write_off_held_units(stock_level_id=level.pk, quantity=2, reason="Beyond repair")
    level.refresh_from_db()
    assert (level.on_hand, level.unsellable) == (8, 1)
    assert list(UnsellableChange.objects.order_by("pk").values_list(
        "kind", "quantity", "unsellable_after")) == [("hold", 4, 4), ("release", 1, 3),
                                                     ("write_off", 2, 1)]
    assert StockMovement.objects.filter(stock_level=level, kind="write_off").get().quantity == -2
    call_command("check_stock_ledger", stdout=io.StringIO())


@pytest.mark.parametrize("call, words", [
    (lambda level: services.hold_units(stock_level_id=level.pk, quantity=11, reason="x"),
     "only 10 free"),
    (lambda level: services.hold_units(stock_level_id=level.pk, quantity=0, reason="x"),
     "above zero"),
    (lambda level: services.hold_units(stock_level_id=level.pk, quantity=1, reason=" "),
     "Say why"),
    (lambda level: services.release_held_units(stock_level_id=level.pk, quantity=1,
                                               reason="x"), "only 0 units are on hold"),
    (lambda level: services.write_off_held_units(stock_level_id=level.pk, quantity=1,
                                                 reason="x"), "only 0 units are on hold"),
    (lambda level: services.set_safety_stock(stock_level_id=level.pk, quantity=-1),
     "zero or more"),
])
def test_bad_stock_state_changes_are_refused_and_write_nothing(lamp, call, words):
    variant, level = lamp
    with pytest.raises(StockError, match=words):
        call(level)
    level.refresh_from_db()
    assert (level.on_hand, level.unsellable, level.safety_stock) == (10, 0, 0)
    assert not UnsellableChange.objects.exists()


def test_a_count_cannot_drop_below_allocated_and_held(lamp):
    variant, level = lamp
    services.hold_units(stock_level_id=level.pk, quantity=3, reason="Damaged")
    services.allocate_units(stock_level_id=level.pk, quantity=2)
    with pytest.raises(StockError, match="on quality hold"):
        services.adjust_stock_count(variant=variant, warehouse=level.warehouse, counted=4,
                                    reason="cycle count")
    assert services.adjust_stock_count(variant=variant, warehouse=level.warehouse, counted=5,
                                       reason="cycle count").quantity == -5


def test_staff_hold_units_and_set_safety_stock_in_admin(admin_client, lamp):
    variant, level = lamp
    hold = reverse("admin:inventory_stocklevel_hold", args=[level.pk])
    bad = admin_client.post(hold, {"action": "hold", "quantity": "99", "reason": "Flood"})
    assert bad.status_code == 400 and b"only 10 free" in bad.content
    assert admin_client.post(hold, {"action": "hold", "quantity": "abc",
                                    "reason": "Flood"}).status_code == 400
    done = admin_client.post(hold, {"action": "hold", "quantity": "2", "reason": "Flood"})
    assert done.status_code == 302
    safety = reverse("admin:inventory_stocklevel_safety", args=[level.pk])
    assert admin_client.post(safety, {"safety_stock": "-3"}).status_code == 400
    assert admin_client.post(safety, {"safety_stock": "5"}).status_code == 302
    level.refresh_from_db()
    assert (level.unsellable, level.safety_stock, level.available) == (2, 5, 3)
    listing = admin_client.get(reverse("admin:inventory_stocklevel_changelist"))
    assert listing.status_code == 200 and b"Safety stock" in listing.content
