"""Storefront reads that combine the catalog with inventory (the apps below shop)."""

from __future__ import annotations

from django.http import HttpRequest

from catalog import listing_cache
from catalog import selectors as catalog_selectors
from catalog.models import Category, Product, Variant
from inventory import selectors as inventory_selectors


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
