"""Product cards rendered once and reused: ``{% product_grid products %}``.

A card (``includes/product_card.html``) is the same HTML for as long as the product's catalog
data, its stock flag and its rating are the same, so each is cached under a key made of all
three: the catalog version (any catalog save changes it), ``in_stock`` and the rating, read
fresh by the page for the cards it shows. A unit sold changes ``in_stock`` and so the key: the
next view renders the sold-out card. The card is rendered from ``product`` alone (no request
context), which is all it may read.
"""

from __future__ import annotations

import hashlib

from django import template
from django.template import Context
from django.template.loader import get_template
from django.utils.safestring import SafeString

from catalog import listing_cache
from kernel import best_effort_cache

register = template.Library()

CARD_TEMPLATE = "includes/product_card.html"
_card_template_hash: dict[str, str] = {}


def _template_hash() -> str:
    """A hash of the card's source, so HTML cached by an older release is never served."""
    if "card" not in _card_template_hash:
        source = get_template(CARD_TEMPLATE).template.source
        _card_template_hash["card"] = hashlib.sha256(source.encode()).hexdigest()[:12]
    return _card_template_hash["card"]


def _catalog_version(request) -> int:
    """The version the page already read (``shop.storefront.selectors``), else read now."""
    version = getattr(request, "_catalog_version", None)
    return version if version is not None else listing_cache.catalog_version()


def card_key(product, *, version: int) -> str:
    return (f"card:{_template_hash()}:{version}:{product.pk}:{int(bool(product.in_stock))}:"
            f"{getattr(product, 'rating_average', None)}:{getattr(product, 'rating_count', 0)}")


@register.simple_tag(takes_context=True)
def product_grid(context, products) -> SafeString:
    """``includes/product_grid.html`` for ``products`` (each with ``in_stock`` set), with each
    card's HTML taken from the cache when the product, its stock flag and rating are
    unchanged: one round trip to the cache for the whole grid."""
    products = list(products)
    version = _catalog_version(context.get("request"))
    keys = [card_key(product, version=version) for product in products]
    cacheable = keys and version != listing_cache.UNAVAILABLE
    found = best_effort_cache.get_many(keys) if cacheable else {}
    card = get_template(CARD_TEMPLATE).template
    missing = {}
    cards = []
    for product, key in zip(products, keys, strict=True):
        html = found.get(key)
        if html is None:
            html = missing[key] = card.render(Context({"product": product}, autoescape=True))
        cards.append(html)
    if missing and cacheable:
        best_effort_cache.set_many(missing, listing_cache.CACHE_SECONDS)
    grid = '<ul class="product-grid" role="list">\n' + "".join(cards) + "</ul>"
    return SafeString(grid)  # nosec B703 # each card rendered by an autoescaping template
