"""Search forgives typos (pg_trgm on PostgreSQL), takes words in any order, offers "did you
mean", and shows popular products when nothing matches; a fixed number of queries."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from orders import services as order_services
from tests.factories import CategoryFactory, ProductFactory, make_variant, ready_cart

pytestmark = pytest.mark.django_db


@pytest.fixture
def kitchen():
    cookware = CategoryFactory(name="Cookware", slug="cookware")
    apparel = CategoryFactory(name="Apparel", slug="apparel")
    made = {}
    for title, category, description in [
        ("Cast Iron Skillet", cookware, "<p>Pre-seasoned skillet.</p>"),
        ("Chef's Knife", cookware, "<p>High carbon steel.</p>"),
        ("Paring Knife", cookware, "<p>For peeling fruit.</p>"),
        ("Oxford Shirt", apparel, "<p>Button down oxford cloth.</p>"),
        ("Linen Shirt", apparel, "<p>Breathable linen.</p>"),
        ("Wool Sweater", apparel, "<p>Lambswool crew neck.</p>"),
    ]:
        product = ProductFactory(title=title, slug=title.lower().replace(" ", "-")
                                 .replace("'", ""), category=category, description=description)
        made[title] = make_variant(product, price="20.00", stock=5)
    return made


def titles(response) -> list[str]:
    assert response.status_code == 200
    return sorted(product.title for product in response.context["page"].object_list)


def search(client, text):
    return client.get(reverse("storefront:search"), {"q": text})


@pytest.mark.postgres
def test_misspelt_words_find_their_products_and_suggest_the_spelling(client, kitchen):
    skilet = search(client, "skilet")
    assert titles(skilet) == ["Cast Iron Skillet"]
    assert skilet.context["did_you_mean"] == "skillet"
    assert 'Did you mean <a href="?q=skillet">skillet</a>?' in skilet.content.decode()
    knfe = search(client, "knfe")
    assert titles(knfe) == ["Chef's Knife", "Paring Knife"]
    assert knfe.context["did_you_mean"] == "knife"


@pytest.mark.postgres
def test_a_word_spelt_right_beats_a_near_one(client, kitchen):
    shirt = search(client, "shirt")
    assert titles(shirt) == ["Linen Shirt", "Oxford Shirt"]
    assert shirt.context["did_you_mean"] is None


def test_words_in_any_order_and_a_word_nothing_has_does_not_empty_the_page(client, kitchen):
    assert titles(search(client, "shirt linen")) == ["Linen Shirt"]
    assert titles(search(client, "linen shirt")) == ["Linen Shirt"]
    # The shirts are navy and oat: "blue" matches nothing, "shirt" still finds them.
    assert titles(search(client, "blue shirt")) == ["Linen Shirt", "Oxford Shirt"]


def test_nothing_found_shows_popular_products(client, kitchen):
    order_services.place_order(cart=ready_cart(variants={kitchen["Wool Sweater"]: 3}))
    response = search(client, "zzqqxx")
    assert titles(response) == []
    popular = [product.title for product in response.context["popular"]]
    assert popular[0] == "Wool Sweater" and len(popular) == 6
    assert "Popular right now" in response.content.decode()


def test_search_takes_a_fixed_number_of_queries(client, kitchen):
    search(client, "warm up")  # warm the caches (category tree, sessions)
    counts, cached_counts = [], []
    texts = ["shirt", "blue shirt", "knife oxford skillet"]
    if connection.vendor == "postgresql":
        texts += ["knfe", "skilet blue shirt"]
    for text in texts:
        for seen in (counts, cached_counts):
            with CaptureQueriesContext(connection) as queries:
                search(client, text)
            seen.append(len(queries))
    assert len(set(counts)) == 1, counts
    # Seen before (and the catalog unchanged): the results come from the cache, and only
    # their stock and ratings are read.
    assert set(cached_counts) == {1}, cached_counts
    empty_counts = []
    for text in ["zzqqxx", "qqq www eee"]:
        with CaptureQueriesContext(connection) as queries:
            search(client, text)
        empty_counts.append(len(queries))
    assert empty_counts == [counts[0] - 1] * 2, empty_counts
