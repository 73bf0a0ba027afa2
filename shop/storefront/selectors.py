"""Storefront reads that combine the catalog with inventory (the apps below shop)."""

from __future__ import annotations

import hashlib

from django.db import connections
from django.db.models import IntegerField, OuterRef, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce
from django.http import HttpRequest

from catalog import listing_cache
from catalog import selectors as catalog_selectors
from catalog.models import Category, Product, Variant
from inventory import selectors as inventory_selectors
from kernel.prepared import SENTINEL, PreparedRead, ids_in
from orders.delivery_promise import first_sellable_warehouse
from orders.models import Order, OrderLine

from .product_page import product_catalog_part


def request_category_tree(request: HttpRequest) -> catalog_selectors.CategoryTree:
    """The category tree, cached until the catalog changes and read at most once per request
    (views and navigation share it)."""
    tree = getattr(request, "_category_tree", None)
    if tree is None:
        tree = listing_cache.cached("category-tree", catalog_selectors.category_tree,
                                    version=request_catalog_version(request))
        request._category_tree = tree
    return tree


def request_catalog_version(request: HttpRequest) -> int:
    """The catalog version, read from the cache once per request: every cached catalog read
    of one page then agrees, and costs one round trip to the cache, not two."""
    version = getattr(request, "_catalog_version", None)
    if version is None:
        version = request._catalog_version = listing_cache.catalog_version()
    return version


def category_facets_and_price_bounds(request: HttpRequest, category: Category, products):
    """Option facets of a category and its lowest and highest price; cached until the catalog
    changes (one round trip to the cache)."""
    found = listing_cache.cached_many({
        f"facets:{category.pk}": lambda: catalog_selectors.option_facets(products),
        f"price-bounds:{category.pk}": lambda: catalog_selectors.price_bounds(products),
    }, version=request_catalog_version(request))
    return found[f"facets:{category.pk}"], found[f"price-bounds:{category.pk}"]


def storefront_products():
    """Published products with card prices and card images. Their ``in_stock`` flag is set
    per page by ``mark_in_stock``, once the page is known."""
    return catalog_selectors.with_card_images(catalog_selectors.published_products())


class CachedListing:
    """A sorted listing for ``Paginator`` whose order depends only on the catalog.

    The count and each page's cards (products with card prices and images) are cached
    under the catalog version, so any catalog save drops them. What changes without a
    catalog save is read fresh for the page by ``mark_cards``: stock (a unit sold shows on
    the next view) and the rating. Over a large catalog the sort and the count (an EXISTS
    per candidate row) are the costly part of a listing; cached, a page costs the same
    whatever the catalog's size. With ``key=None`` (a listing that depends on stock, such
    as "in stock only") nothing is cached.
    """

    def __init__(self, products: QuerySet[Product], *, key: str | None, version: int | None):
        self.products, self.key, self.version = products, key, version

    def _cached(self, name: str, compute):
        if self.key is None:
            return compute()
        return listing_cache.cached(f"listing-cards:{self.key}:{name}", compute,
                                    version=self.version)

    def count(self) -> int:
        return self._cached("count", self.products.count)

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, index: slice) -> list[Product]:
        if not isinstance(index, slice):
            raise TypeError("A listing is read a page (a slice) at a time.")
        return self._cached(f"{index.start}:{index.stop}", lambda: list(self.products[index]))


def _cards_stock_and_rating(product_ids: list[int], *, as_array: bool = True) -> QuerySet:
    return (Product.objects.filter(pk__in=ids_in(product_ids, as_array=as_array))
            .annotate(in_stock=inventory_selectors.product_in_stock_expression())
            .values_list("pk", "in_stock", "rating_average", "rating_count"))


_CARDS_STOCK_AND_RATING = PreparedRead(_cards_stock_and_rating, sentinel=[SENTINEL])


def mark_cards(products) -> list[Product]:
    """Set what may change without a catalog save on each card, read fresh in one query
    whose SQL is compiled once per process: ``in_stock`` (any active variant can be sold)
    and the rating (kept by reviews)."""
    products = list(products)
    if not products:
        return products
    ids, db = [product.pk for product in products], Product.objects.db
    if connections[db].vendor == "postgresql":
        rows = _CARDS_STOCK_AND_RATING.rows(ids, using=db)
    else:
        rows = list(_cards_stock_and_rating(ids, as_array=False))
    fresh = {pk: (in_stock, average, count) for pk, in_stock, average, count in rows}
    for product in products:
        product.in_stock, product.rating_average, product.rating_count = fresh.get(
            product.pk, (False, product.rating_average, product.rating_count))
    return products


def listing_key(*parts) -> str:
    """A short cache key for a listing described by ``parts`` (anything with a stable repr)."""
    return hashlib.sha256(repr(parts).encode()).hexdigest()[:32]


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


# How many featured products (by title) the home page looks through for eight in stock
# before it asks the database for in-stock featured products directly.
FEATURED_CANDIDATES = 48


def home_products(request: HttpRequest, limit: int = 8) -> tuple[list[Product], list[Product]]:
    """The home page's shop window: featured products that can be bought today (by title)
    and the newest products, each marked by ``mark_cards``.

    Which products are featured and which are newest depends only on the catalog, so
    their cards are cached under the catalog version; stock is read fresh, in one query,
    for the candidates. One query (two more on a cache miss, and two when most featured
    products are sold out), whatever the catalog's size.
    """
    products = storefront_products()
    found = listing_cache.cached_many({
        "home:featured-cards": lambda: list(
            products.filter(is_featured=True).order_by("title", "pk")[:FEATURED_CANDIDATES]),
        f"home:newest-cards:{limit}": lambda: list(
            products.order_by("-created_at", "-pk")[:limit]),
    }, version=request_catalog_version(request))
    candidates, newest = found["home:featured-cards"], found[f"home:newest-cards:{limit}"]
    mark_cards([*candidates, *newest])
    featured = [product for product in candidates if product.in_stock][:limit]
    if len(featured) < limit and len(candidates) == FEATURED_CANDIDATES:
        # Most featured products are sold out: find in-stock ones past the candidates.
        featured = list(only_in_stock(products.filter(is_featured=True))
                        .order_by("title", "pk")[:limit])
        for product in featured:
            product.in_stock = True
    return featured, newest


def product_page_for(request: HttpRequest, slug: str) -> Product | None:
    """``product_page(slug)`` with the catalog part (product, category, gallery, variants and
    their option values) cached under the catalog version. What changes without a catalog
    save is read fresh on every view, in one query (``mark_product_stock``): each variant's
    ``available`` units and ``expected_restock_on``, and the product's rating. A page not
    seen before reads its catalog part (``product_page.product_catalog_part``: three queries
    compiled once per process) and caches it first."""
    version = request_catalog_version(request)
    name = f"product-page:{slug}"
    seen, product = listing_cache.lookup(name, version=version)
    if not seen:
        product = product_catalog_part(slug, categories=request_category_tree(request).by_id)
        # Stored before the stock is marked: the cached copy holds catalog data only.
        listing_cache.store(name, product, version=version)
    if product is not None:
        mark_product_stock(product)
    return product


def _variant_stock_and_rating(product_id: int) -> QuerySet:
    variants = inventory_selectors.with_expected_restock(
        inventory_selectors.with_variant_availability(
            Variant.objects.filter(product_id=product_id, is_active=True))).annotate(
        ships_from=first_sellable_warehouse())
    # Plain columns first, then the annotations in the order they were added: the order of
    # the compiled SELECT, which PreparedRead returns as is.
    return variants.values_list("pk", "product__rating_average", "product__rating_count",
                                "available", "expected_restock_on", "ships_from")


_STOCK_AND_RATING = PreparedRead(_variant_stock_and_rating)


def mark_product_stock(product: Product) -> Product:
    """Set, read fresh in one query whose SQL is compiled once per process, each active
    variant's ``available`` units, ``expected_restock_on`` and ``ships_from_id`` (the
    warehouse its delivery promise starts from, None when none can sell it) and the
    product's rating."""
    if not product.active_variants:
        return product
    rows = _STOCK_AND_RATING.rows(product.pk, using=Variant.objects.db)
    fresh = {pk: (average, count, available, restock, ships_from)
             for pk, average, count, available, restock, ships_from in rows}
    for variant in product.active_variants:
        (average, count, variant.available, variant.expected_restock_on,
         variant.ships_from_id) = fresh.get(
            variant.pk, (product.rating_average, product.rating_count, 0, None, None))
        product.rating_average, product.rating_count = average, count
    return product


def product_page(slug: str) -> Product | None:
    """A published product for its page: the catalog part (``product_for_page``) with each
    variant's ``available`` units and ``expected_restock_on`` read fresh."""
    product = catalog_selectors.product_for_page(slug=slug)
    return mark_product_stock(product) if product is not None else None


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
