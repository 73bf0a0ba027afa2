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


def catalog_shape(product):
    return (product.pk, product.title, product.description, product.category_id,
            product.category.name,
            [(image.pk, image.alt_text, image.large_url) for image in product.gallery],
            [(variant.pk, variant.sku, variant.price, variant.product.pk,
              [(value.pk, value.value, value.option.name, value.option.position)
               for value in variant.option_values.all()])
             for variant in product.active_variants])


def test_the_prepared_catalog_part_equals_the_orm_product_for_page():
    from catalog import selectors as catalog_selectors
    from catalog.models import ProductImage
    from shop.storefront.product_page import product_catalog_part

    shirt = ProductFactory(title="Flannel Shirt", slug="flannel-shirt",
                           description="<p>Warm.</p>")
    make_variant(shirt, sku="SHIRT-M-RED", options={"Size": "M", "Color": "Red"})
    make_variant(shirt, sku="SHIRT-L-RED", options={"Size": "L", "Color": "Red"})
    make_variant(shirt, sku="SHIRT-L-BLUE", options={"Size": "L", "Color": "Blue"},
                 is_active=False)
    ProductImage.objects.bulk_create([
        ProductImage(product=shirt, image="products/shirt/b.jpg", width=10, height=10,
                     alt_text="Back", position=2),
        ProductImage(product=shirt, image="products/shirt/f.jpg", width=10, height=10,
                     alt_text="Front", position=1),
        ProductImage(product=shirt, image="", alt_text="Not fetched", position=0,
                     source_url="https://example.com/x.jpg"),
    ])
    plain = ProductFactory(title="Plain Mug", slug="plain-mug")
    make_variant(plain, sku="MUG")
    ProductFactory(title="Draft", slug="draft", is_published=False)
    tree = catalog_selectors.category_tree()
    for slug in ["flannel-shirt", "plain-mug"]:
        with CaptureQueriesContext(connection) as queries:
            prepared = product_catalog_part(slug, categories=tree.by_id)
        assert catalog_shape(prepared) == catalog_shape(
            catalog_selectors.product_for_page(slug=slug))
        assert len(queries.captured_queries) == 3
    assert [value.value for value in prepared.active_variants[0].option_values.all()] == []
    shirt_part = product_catalog_part("flannel-shirt", categories=tree.by_id)
    assert [image.alt_text for image in shirt_part.gallery] == ["Front", "Back"]
    assert [variant.sku for variant in shirt_part.active_variants] == ["SHIRT-M-RED",
                                                                     "SHIRT-L-RED"]
    assert product_catalog_part("draft", categories=tree.by_id) is None
    assert product_catalog_part("no-such", categories=tree.by_id) is None


def test_the_cards_prepared_read_answers_what_the_orm_answers_for_any_page_size():
    """Listings mark each card's stock and rating with SQL compiled once: the ids go in as
    one array, so a page of 1 or of 5 runs the same statement, and a sold unit shows."""
    warehouse = WarehouseFactory(code="main")
    products = []
    for index, stock in enumerate([0, 2, 0, 7, 1]):
        product = ProductFactory(title=f"Mug {index}", slug=f"mug-{index}")
        make_variant(product, sku=f"MUG-{index}", stock=stock, warehouse=warehouse)
        products.append(product)
    make_variant(products[2], sku="MUG-2-INACTIVE", stock=5, warehouse=warehouse,
                 is_active=False)
    Product.objects.filter(pk=products[3].pk).update(rating_average="4.00", rating_count=3)
    for page in (products[:1], products, products[::-1][:3]):
        ids = [product.pk for product in page]
        prepared = sorted(selectors._CARDS_STOCK_AND_RATING.rows(ids, using="default"))
        assert prepared == sorted(selectors._cards_stock_and_rating(ids))
        # The plain IN list other databases (SQLite for `make run`) read instead.
        assert prepared == sorted(selectors._cards_stock_and_rating(ids, as_array=False))
    marked = {product.pk: product for product in selectors.mark_cards(
        Product.objects.filter(pk__in=[product.pk for product in products]))}
    assert [marked[product.pk].in_stock for product in products] == [
        False, True, False, True, True]
    assert marked[products[3].pk].rating_count == 3
    products[4].variants.get().stock_levels.update(on_hand=0)
    with CaptureQueriesContext(connection) as queries:
        again = selectors.mark_cards([products[4]])
    assert again[0].in_stock is False and len(queries) == 1
