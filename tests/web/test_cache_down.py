"""A cache that is down costs speed, never a page: every storefront page and the checkout
still answer when each cache call raises (Redis refusing connections), and what they show is
read fresh from the database."""

import pytest
from django.core.cache.backends.base import BaseCache
from django.test import override_settings
from django.urls import reverse

from tests.factories import CategoryFactory, ProductFactory, WarehouseFactory, make_variant

pytestmark = pytest.mark.django_db


class DownCache(BaseCache):
    """Every call fails as Redis' client does when the server is away."""

    def __init__(self, location, params):
        super().__init__(params)

    def _down(self, *args, **kwargs):
        raise ConnectionError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    add = get = set = touch = delete = clear = incr = get_many = set_many = _down
    delete_many = has_key = _down


DOWN = {"default": {"BACKEND": "tests.web.test_cache_down.DownCache"}}


@pytest.fixture
def lantern(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        outdoor = CategoryFactory(name="Outdoor", slug="outdoor")
        warehouse = WarehouseFactory(code="main")
        product = ProductFactory(title="Storm Lantern", slug="storm-lantern", category=outdoor,
                                 is_featured=True, is_published=True)
        variant = make_variant(product, sku="LANTERN", price="40.00", stock=3,
                               warehouse=warehouse)
    return product, variant


def test_storefront_pages_answer_with_the_cache_down(client, lantern):
    product, variant = lantern
    with override_settings(CACHES=DOWN):
        for url in ("/", "/c/outdoor/", f"/p/{product.slug}/", "/search/?q=lantern",
                    "/search/?q=", "/c/outdoor/?in_stock=1&sort=price", "/cart/",
                    "/sitemap.xml", "/robots.txt"):
            response = client.get(url)
            assert response.status_code == 200, url
        page = client.get(f"/p/{product.slug}/")
        assert b"Storm Lantern" in page.content
        added = client.post(reverse("checkout:add"), {"variant": variant.pk, "quantity": 1})
        assert added.status_code == 302
        assert b"Storm Lantern" in client.get("/cart/").content
        assert client.get("/checkout/").status_code in (200, 302)
