"""Findable: sitemap.xml, robots.txt, canonical links, noindex on search, and the
schema.org JSON-LD on product pages (parsed back and checked)."""

import json
import re
from xml.etree import ElementTree

import pytest

from shop.storefront.models import Page
from tests.factories import CategoryFactory, ProductFactory, make_variant
from tests.reviews.conftest import approved

pytestmark = pytest.mark.django_db
BASE = "https://shop.example.com"


@pytest.fixture(autouse=True)
def base_url(settings):
    settings.SHOP_BASE_URL = BASE


def json_ld(html: str) -> list[dict]:
    blocks = re.findall(r'<script type="application/ld\+json" nonce="([^"]+)">(.*?)</script>',
                        html, re.S)
    assert all(nonce for nonce, _ in blocks)
    return [json.loads(body) for _, body in blocks]


def canonical(html: str) -> str | None:
    found = re.search(r'<link rel="canonical" href="([^"]+)">', html)
    return found.group(1) if found else None


def test_the_sitemap_lists_categories_published_products_and_pages(client, catalog):
    category = CategoryFactory(name="Shirts", slug="shirts")
    hidden = ProductFactory(title="Secret", slug="secret", is_published=False)
    make_variant(hidden, price="1.00", sku="SECRET")
    Page.objects.create(slug="size-guide", title="Size guide", body="We ship.")
    Page.objects.create(slug="draft", title="Draft", body="Soon.", is_published=False)
    response = client.get("/sitemap.xml")
    assert response.status_code == 200
    root = ElementTree.fromstring(response.content)
    locations = {element.text for element in root.iter(
        "{http://www.sitemaps.org/schemas/sitemap/0.9}loc")}
    assert f"{BASE}/" in locations
    assert f"{BASE}{category.get_absolute_url()}" in locations
    assert f"{BASE}{catalog['shirt'].get_absolute_url()}" in locations
    assert f"{BASE}/pages/size-guide/" in locations
    assert f"{BASE}/p/secret/" not in locations and f"{BASE}/pages/draft/" not in locations


def test_robots_keeps_crawlers_out_of_private_pages_and_points_at_the_sitemap(client):
    response = client.get("/robots.txt")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    text = response.content.decode()
    for path in ("/cart/", "/checkout/", "/account/", "/admin/", "/api/"):
        assert f"Disallow: {path}\n" in text
    assert f"Sitemap: {BASE}/sitemap.xml" in text


def test_canonical_links_drop_sort_and_filters_but_keep_the_page(client, catalog, settings):
    settings.SHOP_PRODUCTS_PER_PAGE = 1
    category = CategoryFactory(name="Shirts", slug="shirts")
    for number in range(2):
        product = ProductFactory(title=f"Tee {number}", slug=f"tee-{number}", category=category)
        make_variant(product, price="9.00", sku=f"TEE-{number}")
    first = client.get("/c/shirts/", {"sort": "-price", "price_min": "1"}).content.decode()
    assert canonical(first) == f"{BASE}/c/shirts/"
    second = client.get("/c/shirts/", {"sort": "-price", "page": "2"}).content.decode()
    assert canonical(second) == f"{BASE}/c/shirts/?page=2"
    product = client.get(catalog["shirt"].get_absolute_url(),
                         {"variant": catalog["medium"].pk}).content.decode()
    assert canonical(product) == f"{BASE}{catalog['shirt'].get_absolute_url()}"
    assert canonical(client.get("/").content.decode()) == f"{BASE}/"
    Page.objects.create(slug="care", title="Care", body="Wash cold.")
    assert canonical(client.get("/pages/care/").content.decode()) == f"{BASE}/pages/care/"


def test_search_results_are_not_indexed(client, catalog):
    html = client.get("/search/", {"q": "linen"}).content.decode()
    assert '<meta name="robots" content="noindex, follow">' in html


def test_product_json_ld_has_offers_with_prices_availability_and_rating(client, catalog,
                                                                        delivered_order):
    approved(delivered_order(), rating=5, title="Great", body="Lovely linen, fits well.")
    approved(delivered_order(email="bob@example.com"), rating=4, title="Good",
             body="Nice, a little short.")
    response = client.get(catalog["shirt"].get_absolute_url())
    html = response.content.decode()
    [data] = json_ld(html)
    nonce = re.search(r'nonce="([^"]+)"', html).group(1)
    assert f"'nonce-{nonce}'" in response["Content-Security-Policy"]
    assert data["@type"] == "Product" and data["name"] == "Linen Shirt"
    assert data["url"] == f"{BASE}{catalog['shirt'].get_absolute_url()}"
    offers = {offer["sku"]: offer for offer in data["offers"]}
    assert offers["SHIRT-M"]["price"] == "40.00"
    assert offers["SHIRT-M"]["priceCurrency"] == "USD"
    assert offers["SHIRT-M"]["availability"] == "https://schema.org/InStock"
    assert data["aggregateRating"] == {"@type": "AggregateRating", "ratingValue": "4.50",
                                       "reviewCount": 2, "bestRating": "5",
                                       "worstRating": "1"}
    assert {review["reviewRating"]["ratingValue"] for review in data["review"]} == {"5", "4"}
    assert all(review["author"]["@type"] == "Person" and review["author"]["name"]
               for review in data["review"])


def test_a_sold_out_variant_is_out_of_stock_and_no_rating_without_reviews(client, warehouse):
    product = ProductFactory(title="Rare Bowl", slug="rare-bowl")
    make_variant(product, price="12.50", sku="BOWL", stock=0, warehouse=warehouse)
    [data] = json_ld(client.get("/p/rare-bowl/").content.decode())
    assert data["offers"][0]["availability"] == "https://schema.org/OutOfStock"
    assert data["offers"][0]["price"] == "12.50"
    assert "aggregateRating" not in data and "review" not in data


def test_json_ld_cannot_be_closed_by_what_a_product_or_review_says(client, warehouse):
    product = ProductFactory(title="Mug </script><script>alert(1)</script>", slug="evil-mug",
                             seo_description="</script><!-- & 'quotes' \"double\"")
    make_variant(product, price="5.00", sku="EVIL", stock=3, warehouse=warehouse)
    html = client.get("/p/evil-mug/").content.decode()
    head = html.split("</head>")[0]
    assert "<script>alert(1)" not in head
    [data] = json_ld(html)
    assert data["name"] == "Mug </script><script>alert(1)</script>"
    assert data["description"] == "</script><!-- & 'quotes' \"double\""
