"""Each storefront page runs a fixed number of SQL queries whatever the catalog size."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from catalog import services as catalog_services
from tests.factories import CategoryFactory, ProductFactory, WarehouseFactory, make_variant

pytestmark = pytest.mark.django_db

MAX_QUERIES = 8


def build_catalog(size: int, png_bytes):
    root = CategoryFactory(name="Kitchen", slug="kitchen")
    child = CategoryFactory(name="Cookware", slug="cookware", parent=root)
    warehouses = [WarehouseFactory(code="east"), WarehouseFactory(code="west")]
    first = None
    for number in range(size):
        product = ProductFactory(title=f"Skillet {number}", slug=f"skillet-{number}",
                                 category=child if number % 2 else root,
                                 description="<p>Cast iron skillet, pre-seasoned.</p>",
                                 is_featured=number % 7 == 0)
        for size_name in ("S", "L"):
            make_variant(product, price=str(Decimal(20 + number % 30)),
                         options={"Size": size_name, "Color": "Black"}, stock=5,
                         warehouse=warehouses[number % 2])
        if number < 3:
            catalog_services.add_product_image(product=product, content=png_bytes(),
                                               alt_text=f"Skillet {number}")
        first = first or product
    return first


def count_queries(client, url, params=None) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, params or {})
    assert response.status_code == 200, response.content[:500]
    return len(queries)


def page_counts(client, product):
    return {
        "home": count_queries(client, reverse("storefront:home")),
        "category": count_queries(client, "/c/kitchen/"),
        "category filtered": count_queries(
            client, "/c/kitchen/", {"price_min": "21", "opt.Size": "L", "in_stock": "on",
                                    "sort": "-price", "page": "1"}),
        "search": count_queries(client, reverse("storefront:search"), {"q": "skillet"}),
        "product": count_queries(client, product.get_absolute_url()),
    }


@pytest.fixture
def small_and_large_counts(client, png_bytes, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        first = build_catalog(10, png_bytes)
    small = page_counts(client, first)
    small_cached = page_counts(client, first)
    for number in range(10, 500):
        product = ProductFactory(title=f"Pan {number}", slug=f"pan-{number}",
                                 category=first.category, description="<p>Skillet pan.</p>")
        make_variant(product, price="25.00", options={"Size": "M"}, stock=1)
    large = page_counts(client, first)
    large_cached = page_counts(client, first)
    return small, large, small_cached, large_cached


def test_page_query_counts_do_not_grow_with_the_catalog(small_and_large_counts):
    small, large, _, _ = small_and_large_counts

    assert small == large
    for page, count in large.items():
        assert count <= MAX_QUERIES, f"{page} uses {count} queries"


def test_pages_seen_before_cost_one_query_for_fresh_stock(small_and_large_counts):
    """Once a page was seen and until the catalog changes, a listing reads only its cards'
    stock and ratings, and the product page its variants' stock (the delivery promise's
    methods come from the cached shipping rates); "in stock only" is never cached (its
    count and page depend on stock)."""
    _, _, small_cached, large_cached = small_and_large_counts

    assert small_cached == large_cached == {
        "home": 1,
        "category": 1,
        "category filtered": 4,  # count, page, images, stock and ratings
        "search": 1,
        "product": 1,
    }


def test_facets_and_price_bounds_are_cached_until_the_catalog_changes(client, png_bytes):
    first = build_catalog(3, png_bytes)
    cold = count_queries(client, "/c/kitchen/")
    warm = count_queries(client, "/c/kitchen/")
    assert (cold, warm) == (7, 1)

    make_variant(first, price="999.00", options={"Size": "XL", "Color": "Red"}, stock=1)

    response = client.get("/c/kitchen/")
    assert response.context["price_high"] == Decimal("999.00")
    facets = {facet.name: dict(facet.values) for facet in response.context["facets"]}
    assert facets["Color"]["Red"] == 1
