"""Storefront reads that combine the catalog with inventory (the apps below shop)."""

from __future__ import annotations

from django.db.models import IntegerField, OuterRef, Subquery, Sum
from django.db.models.functions import Coalesce
from django.http import HttpRequest

from catalog import listing_cache
from catalog import selectors as catalog_selectors
from catalog.models import Category, Product, Variant
from inventory import selectors as inventory_selectors
from orders.models import Order, OrderLine


def request_category_tree(request: HttpRequest) -> catalog_selectors.CategoryTree:
    """The category tree, loaded at most once per request (views and navigation share it)."""
    tree = getattr(request, "_category_tree", None)
    if tree is None:
        tree = catalog_selectors.category_tree()
        request._category_tree = tree
    return tree


def category_facets(category: Category, products) -> list[catalog_selectors.Facet]:
    """Option facets of a category; cached until the catalog changes."""
    return listing_cache.cached(f"facets:{category.pk}",
                                lambda: catalog_selectors.option_facets(products))


def category_price_bounds(category: Category, products):
    """Lowest and highest price in a category; cached until the catalog changes."""
    return listing_cache.cached(f"price-bounds:{category.pk}",
                                lambda: catalog_selectors.price_bounds(products))


def storefront_products():
    """Published products with card prices and card images. Their ``in_stock`` flag is set
    per page by ``mark_in_stock``, once the page is known."""
    return catalog_selectors.with_card_images(catalog_selectors.published_products())


def only_in_stock(products):
    """Keep the products that have an active variant that can be sold."""
    return products.filter(inventory_selectors.product_in_stock_expression())


def mark_in_stock(products) -> list[Product]:
    """Evaluate ``products`` (a page) and set ``in_stock`` on each, in one query."""
    products = list(products)
    in_stock = inventory_selectors.in_stock_product_ids(product_ids=[p.pk for p in products])
    for product in products:
        product.in_stock = product.pk in in_stock
    return products


def product_page(slug: str) -> Product | None:
    variants = inventory_selectors.with_variant_availability(Variant.objects.all())
    # ``expected_restock_on``: "back in stock around" for a sold-out variant on order.
    variants = inventory_selectors.with_expected_restock(variants)
    return catalog_selectors.product_for_page(slug=slug, variants=variants)


def popular_products(limit: int = 8) -> list[Product]:
    """In-stock products by units sold (featured ones first among equals), for a search that
    found nothing: two queries."""
    sold = (OrderLine.objects.filter(variant__product=OuterRef("pk"))
            .exclude(order__status=Order.Status.CANCELED)
            .values("variant__product").annotate(units=Sum("quantity")).values("units"))
    products = list(
        only_in_stock(storefront_products())
        .annotate(units_sold=Coalesce(Subquery(sold, output_field=IntegerField()), 0))
        .order_by("-units_sold", "-is_featured", "title", "pk")[:limit])
    for product in products:
        product.in_stock = True
    return products
