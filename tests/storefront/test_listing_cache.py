"""Cached listings (category, search, home) stay correct: stock read fresh on every view,
the cached order and count dropped the moment the catalog changes."""

from decimal import Decimal

import pytest
from django.core.cache import cache
from django.urls import reverse

from catalog import services as catalog_services
from inventory import services as inventory_services
from inventory.models import StockLevel
from tests.factories import CategoryFactory, ProductFactory, WarehouseFactory, make_variant

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def empty_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def lantern(django_capture_on_commit_callbacks):
    """One lantern with one unit left, featured, in Outdoor; a spare product beside it."""
    with django_capture_on_commit_callbacks(execute=True):
        outdoor = CategoryFactory(name="Outdoor", slug="outdoor")
        warehouse = WarehouseFactory(code="main")
        product = ProductFactory(title="Storm Lantern", slug="storm-lantern", category=outdoor,
                                 is_featured=True)
        variant = make_variant(product, sku="LANTERN", price="40.00", stock=1,
                               warehouse=warehouse)
        spare = ProductFactory(title="Spare Wick", slug="spare-wick", category=outdoor)
        make_variant(spare, sku="WICK", price="3.00", stock=50, warehouse=warehouse)
    level = StockLevel.objects.get(variant=variant, warehouse=warehouse)
    return {"product": product, "variant": variant, "warehouse": warehouse, "level": level,
            "category": outdoor}


def card_sold_out(client, url, params=None) -> bool:
    response = client.get(url, params or {})
    assert response.status_code == 200
    cards = {product.slug: product for product in response.context["page"].object_list}
    return not cards["storm-lantern"].in_stock


def product_page_sold_out(client, product) -> bool:
    response = client.get(product.get_absolute_url())
    assert response.status_code == 200
    return response.context["variant"].available == 0


def home_featured(client) -> list[str]:
    return [product.slug for product in client.get(reverse("storefront:home")).context["featured"]]


def shown_sold_out(client, lantern) -> tuple[bool, bool, bool, bool]:
    category = card_sold_out(client, "/c/outdoor/")
    search = card_sold_out(client, reverse("storefront:search"), {"q": "lantern"})
    product = product_page_sold_out(client, lantern["product"])
    featured = "storm-lantern" not in home_featured(client)
    return category, search, product, featured


def sell_last_unit(lantern):
    inventory_services.allocate_units(stock_level_id=lantern["level"].pk, quantity=1)


def ship_last_unit(lantern):
    inventory_services.allocate_units(stock_level_id=lantern["level"].pk, quantity=1)
    inventory_services.ship_units(stock_level_id=lantern["level"].pk, quantity=1,
                                  reference="SO-1")


def count_to_zero(lantern):
    inventory_services.adjust_stock_count(variant=lantern["variant"],
                                          warehouse=lantern["warehouse"], counted=0,
                                          reason="cycle count")


def write_off_last_unit(lantern):
    inventory_services.write_off_stock(stock_level_id=lantern["level"].pk, quantity=1,
                                       reason="broken glass")


def hold_last_unit(lantern):
    inventory_services.hold_units(stock_level_id=lantern["level"].pk, quantity=1,
                                  reason="quality check")


def close_the_warehouse(lantern):
    warehouse = lantern["warehouse"]
    warehouse.is_active = False
    warehouse.save()


@pytest.mark.parametrize("take_last_unit", [sell_last_unit, ship_last_unit, count_to_zero,
                                            write_off_last_unit, hold_last_unit])
def test_the_last_unit_gone_shows_sold_out_on_the_next_view(client, lantern, take_last_unit):
    # Every page seen once: listings, counts and the category tree are now cached.
    assert shown_sold_out(client, lantern) == (False, False, False, False)

    take_last_unit(lantern)

    assert shown_sold_out(client, lantern) == (True, True, True, True)


def test_stock_coming_back_shows_in_stock_on_the_next_view(client, lantern):
    sell_last_unit(lantern)
    assert shown_sold_out(client, lantern) == (True, True, True, True)

    inventory_services.release_units(stock_level_id=lantern["level"].pk, quantity=1)
    assert shown_sold_out(client, lantern) == (False, False, False, False)

    sell_last_unit(lantern)
    inventory_services.receive_stock(variant=lantern["variant"], warehouse=lantern["warehouse"],
                                     quantity=2, reference="PO-7")
    assert shown_sold_out(client, lantern) == (False, False, False, False)


def test_a_transfer_out_of_the_only_warehouse_shows_sold_out(client, lantern):
    assert shown_sold_out(client, lantern) == (False, False, False, False)
    west = WarehouseFactory(code="west")
    transfer = inventory_services.create_transfer(
        source_id=lantern["warehouse"].pk, destination_id=west.pk,
        lines=[(lantern["variant"].pk, 1)])
    inventory_services.dispatch_transfer(transfer_id=transfer.pk)

    assert shown_sold_out(client, lantern) == (True, True, True, True)

    inventory_services.receive_transfer(transfer_id=transfer.pk)
    assert shown_sold_out(client, lantern) == (False, False, False, False)


def test_a_closed_warehouse_shows_sold_out(client, lantern):
    assert shown_sold_out(client, lantern) == (False, False, False, False)
    close_the_warehouse(lantern)
    assert shown_sold_out(client, lantern) == (True, True, True, True)


def test_in_stock_only_is_never_served_from_the_cache(client, lantern):
    def listed():
        response = client.get("/c/outdoor/", {"in_stock": "on"})
        return [product.slug for product in response.context["page"].object_list]

    assert listed() == ["storm-lantern", "spare-wick"]  # featured first
    sell_last_unit(lantern)
    assert listed() == ["spare-wick"]


def test_a_catalog_change_reorders_and_recounts_cached_listings(
        client, lantern, django_capture_on_commit_callbacks):
    def category(params=None):
        response = client.get("/c/outdoor/", {"sort": "price", **(params or {})})
        page = response.context["page"]
        return [product.slug for product in page.object_list], page.paginator.count

    assert category() == (["spare-wick", "storm-lantern"], 2)
    search = client.get(reverse("storefront:search"), {"q": "lantern"}).context["page"]
    assert [product.slug for product in search.object_list] == ["storm-lantern"]

    with django_capture_on_commit_callbacks(execute=True):
        catalog_services.save_variant(product=lantern["product"], sku="LANTERN",
                                      price=Decimal("1.00"), options={})
        newer = ProductFactory(title="Camp Lantern", slug="camp-lantern",
                               category=lantern["category"])
        make_variant(newer, sku="CAMP", price="20.00")

    assert category() == (["storm-lantern", "spare-wick", "camp-lantern"], 3)
    assert category({"price_max": "5"}) == (["storm-lantern", "spare-wick"], 2)
    search = client.get(reverse("storefront:search"), {"q": "lantern"}).context["page"]
    assert {product.slug for product in search.object_list} == {"storm-lantern", "camp-lantern"}
    cards = {product.slug: product for product in search.object_list}
    assert cards["storm-lantern"].price_from == 1


def test_a_page_past_the_end_is_a_404_from_the_cache_too(client, lantern):
    assert client.get("/c/outdoor/", {"page": "2"}).status_code == 404
    assert client.get("/c/outdoor/", {"page": "2"}).status_code == 404
    assert client.get("/c/outdoor/", {"page": "x"}).status_code == 404


def lantern_card(html: str) -> str:
    start = html.index('<li class="product-card')
    cards = html[start:].split('<li class="product-card')
    return next(card for card in cards if "Storm Lantern" in card)


def test_cached_card_html_follows_stock_rating_and_photos(client, lantern, png_bytes,
                                                          django_capture_on_commit_callbacks):
    from catalog.models import Product

    html = client.get("/c/outdoor/").content.decode()
    assert "Sold out" not in lantern_card(html)
    assert client.get("/c/outdoor/").content.decode() == html  # served from cached cards

    sell_last_unit(lantern)
    for url in ("/c/outdoor/", "/search/?q=lantern", "/"):
        card = lantern_card(client.get(url).content.decode())
        assert "is-sold-out" in card and "Sold out" in card, url

    # The rating is kept by reviews with an UPDATE (no catalog save): still shown at once.
    Product.objects.filter(pk=lantern["product"].pk).update(rating_average="4.50",
                                                           rating_count=2)
    card = lantern_card(client.get("/c/outdoor/").content.decode())
    assert "4.5 out of 5 stars, 2 reviews" in card

    with django_capture_on_commit_callbacks(execute=True):
        catalog_services.add_product_image(product=lantern["product"], content=png_bytes(),
                                           alt_text="Lantern lit at dusk")
    card = lantern_card(client.get("/c/outdoor/").content.decode())
    assert 'alt="Lantern lit at dusk"' in card
