"""The product page's fresh read (stock, expected restock, rating) runs SQL compiled once per
process: it must answer exactly what the ORM query it was compiled from answers."""

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from catalog.models import Product
from shop.storefront import selectors
from tests.factories import ProductFactory, WarehouseFactory, make_variant

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def empty_cache():
    cache.clear()
    yield
    cache.clear()


def test_the_prepared_read_answers_what_the_orm_answers_for_each_product():
    warehouse = WarehouseFactory(code="main")
    products = []
    for index, stock in enumerate([0, 3, 12]):
        product = ProductFactory(title=f"Lamp {index}", slug=f"lamp-{index}")
        make_variant(product, sku=f"LAMP-{index}-A", stock=stock, warehouse=warehouse)
        make_variant(product, sku=f"LAMP-{index}-B", stock=stock + 1, warehouse=warehouse)
        products.append(product)
    Product.objects.filter(pk=products[2].pk).update(rating_average="4.50", rating_count=2)
    for product in products:
        prepared = selectors._STOCK_AND_RATING.rows(product.pk, using="default")
        assert sorted(prepared) == sorted(selectors._variant_stock_and_rating(product.pk))
    assert selectors._STOCK_AND_RATING.rows(-1, using="default") == []


def test_the_product_page_reads_stock_and_rating_fresh_in_one_query_once_seen(client):
    warehouse = WarehouseFactory(code="main")
    product = ProductFactory(title="Camp Stove", slug="camp-stove")
    variant = make_variant(product, sku="STOVE", stock=2, warehouse=warehouse)
    assert client.get(product.get_absolute_url()).context["variant"].available == 2
    Product.objects.filter(pk=product.pk).update(rating_average="3.00", rating_count=1)
    variant.stock_levels.update(on_hand=0)
    with CaptureQueriesContext(connection) as seen:
        response = client.get(product.get_absolute_url())
    assert response.context["variant"].available == 0
    assert response.context["product"].rating_count == 1
    stock_reads = [query for query in seen.captured_queries
                   if "inventory_stocklevel" in query["sql"]]
    assert len(stock_reads) <= 2  # the fresh read, and the delivery promise's warehouses
