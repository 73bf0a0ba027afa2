"""What makes the shop findable: the sitemap (categories, published products, the shop's
pages), robots.txt, and the schema.org description of a product page (Product, its
Offers, AggregateRating and Reviews) that the template writes as JSON-LD.

Every address is at ``SHOP_BASE_URL`` (the shop's public address), the same one the
canonical links use, whatever host the request came in on.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.sitemaps import Sitemap
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.views.decorators.http import require_GET

from catalog import selectors as catalog_selectors
from catalog.models import Category, Product
from kernel.money import Money

from .models import Page

SCHEMA = "https://schema.org/"


def absolute(path: str) -> str:
    return path if path.startswith(("http://", "https://")) else \
        settings.SHOP_BASE_URL.rstrip("/") + path


class ShopSitemap(Sitemap):
    """Addresses at the shop's public URL rather than the request's host."""

    limit = 5000

    def get_protocol(self, protocol=None):
        return urlsplit(settings.SHOP_BASE_URL).scheme or "https"

    def get_domain(self, site=None):
        return urlsplit(settings.SHOP_BASE_URL).netloc


class CategorySitemap(ShopSitemap):
    changefreq = "daily"
    priority = 0.6

    def items(self):
        return Category.objects.filter(is_active=True).only("pk", "slug").order_by("pk")


class ProductSitemap(ShopSitemap):
    changefreq = "weekly"
    priority = 0.8

    def items(self):
        return (catalog_selectors.published_products().only("pk", "slug", "updated_at")
                .order_by("pk"))

    def lastmod(self, product: Product):
        return product.updated_at


class PageSitemap(ShopSitemap):
    changefreq = "monthly"
    priority = 0.3

    def items(self):
        return Page.objects.filter(is_published=True).only("pk", "slug", "updated_at") \
            .order_by("position", "pk")

    def lastmod(self, page: Page):
        return page.updated_at


class HomeSitemap(ShopSitemap):
    priority = 1.0
    changefreq = "daily"

    def items(self):
        return ["storefront:home"]

    def location(self, item):
        return reverse(item)


SITEMAPS = {"home": HomeSitemap, "categories": CategorySitemap, "products": ProductSitemap,
            "pages": PageSitemap}

# Pages with nothing to find: a shopper's own cart, checkout, account, orders and parcels,
# the staff screens and the API.
DISALLOWED = ("/cart/", "/checkout/", "/order/", "/account/", "/reviews/write/", "/track/",
              "/courier/", "/dashboard/", "/api/", "/payments/", "/fulfillment/", "/email/",
              "/privacy/")


@require_GET
def robots_txt(request: HttpRequest) -> HttpResponse:
    lines = ["User-agent: *",
             *[f"Disallow: {path}" for path in (*DISALLOWED, f"/{settings.ADMIN_URL}")],
             "", f"Sitemap: {absolute(reverse('sitemap'))}", ""]
    return HttpResponse("\n".join(lines), content_type="text/plain; charset=utf-8")


def _availability(variant) -> str:
    state = getattr(variant, "availability_state", "in_stock")
    return f"{SCHEMA}{'OutOfStock' if state == 'out_of_stock' else 'InStock'}"


def product_json_ld(product: Product, *, variants, reviews) -> dict:
    """schema.org Product for a product page: one Offer per active variant (price as a
    string with its currency), the AggregateRating from the product's own fields, and the
    reviews shown on the page. Plain data: the template escapes it (``json_ld``)."""
    url = absolute(product.get_absolute_url())
    data: dict = {
        "@context": "https://schema.org",
        "@type": "Product",
        "name": product.title,
        "url": url,
        "description": product.page_description,
        "offers": [{
            "@type": "Offer",
            "sku": variant.sku,
            "name": variant.title or product.title,
            "price": str(Money(variant.price, variant.currency).amount),
            "priceCurrency": variant.currency,
            "availability": _availability(variant),
            "itemCondition": f"{SCHEMA}NewCondition",
            "url": f"{url}?variant={variant.pk}",
        } for variant in variants],
    }
    if variants:
        data["sku"] = variants[0].sku
    if product.vendor:
        data["brand"] = {"@type": "Brand", "name": product.vendor}
    images = [absolute(image.large_url) for image in getattr(product, "gallery", [])]
    if images:
        data["image"] = images
    if product.category_id and getattr(product, "category", None) is not None:
        data["category"] = product.category.name
    if product.rating_count and product.rating_average is not None:
        data["aggregateRating"] = {"@type": "AggregateRating",
                                   "ratingValue": str(product.rating_average),
                                   "reviewCount": product.rating_count,
                                   "bestRating": "5", "worstRating": "1"}
        data["review"] = [{
            "@type": "Review",
            "author": {"@type": "Person", "name": review.author_name},
            "datePublished": review.created_at.date().isoformat(),
            "name": review.title,
            "reviewBody": review.body,
            "reviewRating": {"@type": "Rating", "ratingValue": str(review.rating),
                             "bestRating": "5", "worstRating": "1"},
        } for review in reviews]
    return data
