"""The read-only catalog API as a client uses it: tree, listings, filters, detail, search."""

import json
from decimal import Decimal

import pytest
from django.db import connection
from django.db.models import F
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from catalog import services as catalog_services
from catalog.models import Product
from inventory import services as inventory_services
from inventory.models import StockLevel
from tests.factories import CategoryFactory, ProductFactory, WarehouseFactory, make_variant

pytestmark = pytest.mark.django_db

MAX_QUERIES = 8


@pytest.fixture
def api():
    return APIClient()


@pytest.fixture
def outdoor():
    """Outdoor > Hiking, a daypack in two sizes and colours, sold-out poles, a hidden tent."""
    outdoor = CategoryFactory(name="Outdoor", slug="outdoor", seo_title="Outdoor gear")
    hiking = CategoryFactory(name="Hiking", slug="hiking", parent=outdoor)
    pack = ProductFactory(title="Daypack", slug="daypack", category=hiking, vendor="Trailco",
                          tags="hiking, bags", seo_description="A light pack for day hikes.",
                          description="<p>Ventilated pack with a rain cover.</p>")
    small_blue = make_variant(pack, sku="PACK-S-BLUE", price="89.00", barcode="0001",
                              compare_at_price=Decimal("110.00"), weight_grams=800,
                              options={"Size": "S", "Color": "Blue"}, stock=20)
    large_blue = make_variant(pack, sku="PACK-L-BLUE", price="99.00",
                              options={"Size": "L", "Color": "Blue"}, stock=3)
    large_olive = make_variant(pack, sku="PACK-L-OLIVE", price="99.00",
                               options={"Size": "L", "Color": "Olive"}, stock=0)
    retired = make_variant(pack, sku="PACK-XL-RED", price="79.00",
                           options={"Size": "XL", "Color": "Red"}, stock=9, is_active=False)
    poles = ProductFactory(title="Trekking Poles", slug="poles", category=hiking,
                           description="<p>Carbon poles with cork grips.</p>")
    make_variant(poles, sku="POLES", price="69.00", stock=0)
    tent = ProductFactory(title="Hidden Tent", slug="tent", category=outdoor,
                          is_published=False, description="<p>Not for sale yet.</p>")
    make_variant(tent, sku="TENT", price="299.00", stock=4)
    return {"outdoor": outdoor, "hiking": hiking, "pack": pack, "poles": poles, "tent": tent,
            "small_blue": small_blue, "large_blue": large_blue, "large_olive": large_olive,
            "retired": retired}


def titles(response) -> list[str]:
    assert response.status_code == 200, response.content[:500]
    return [product["title"] for product in response.json()["results"]]


# --- Categories ---------------------------------------------------------------------------


def test_category_tree_lists_active_categories_depth_first_with_breadcrumbs(api, outdoor):
    CategoryFactory(name="Archive", slug="archive", is_active=False)
    water = CategoryFactory(name="Water", slug="water", parent=outdoor["outdoor"], position=5)
    CategoryFactory(name="Old kayaks", slug="old-kayaks", parent=water, is_active=False)
    hidden_parent = CategoryFactory(name="Hidden", slug="hidden", is_active=False)
    CategoryFactory(name="Under hidden", slug="under-hidden", parent=hidden_parent)

    response = api.get("/api/categories/")

    assert response.status_code == 200
    tree = response.json()
    assert [node["slug"] for node in tree] == ["outdoor", "hiking", "water"]
    root, hiking, _ = tree
    assert root["parent_id"] is None and root["depth"] == 0
    assert root["children"] == [outdoor["hiking"].pk, water.pk]
    assert root["seo"]["title"] == "Outdoor gear"
    assert hiking["parent_id"] == outdoor["outdoor"].pk and hiking["depth"] == 1
    assert [crumb["name"] for crumb in hiking["breadcrumbs"]] == ["Outdoor", "Hiking"]
    assert hiking["products_url"] == "http://testserver/api/categories/hiking/products/"


# --- Listings -----------------------------------------------------------------------------


def test_product_list_shows_published_products_with_prices_as_strings(api, outdoor):
    response = api.get("/api/products/", {"sort": "name"})

    assert titles(response) == ["Daypack", "Trekking Poles"]
    pack = response.json()["results"][0]
    assert pack["price_from"] == "89.00" and pack["price_to"] == "99.00"
    assert pack["compare_at_price"] == "110.00" and pack["is_on_sale"] is True
    assert pack["currency"] == "USD"
    assert pack["in_stock"] is True
    assert pack["category"] == {"id": outdoor["hiking"].pk, "name": "Hiking", "slug": "hiking"}
    assert pack["url"] == "http://testserver/api/products/daypack/"
    assert pack["storefront_url"] == "http://testserver/p/daypack/"
    assert pack["image"] is None
    # Money is never a JSON number: the raw body carries the quoted string.
    assert '"price_from":"89.00"' in response.content.decode()


def test_sold_out_product_is_listed_as_out_of_stock(api, outdoor):
    poles = next(item for item in api.get("/api/products/").json()["results"]
                 if item["slug"] == "poles")

    assert poles["in_stock"] is False and poles["is_on_sale"] is False
    assert poles["compare_at_price"] is None


def test_category_products_include_subcategories_and_hide_unpublished(api, outdoor):
    assert titles(api.get("/api/categories/outdoor/products/")) == ["Daypack", "Trekking Poles"]
    assert titles(api.get("/api/categories/hiking/products/")) == ["Daypack", "Trekking Poles"]
    assert "Hidden Tent" not in titles(api.get("/api/products/"))


def test_product_whose_variants_are_all_inactive_is_not_listed(api, outdoor):
    catalog_services.save_variant(product=outdoor["poles"], sku="POLES", price=Decimal("69.00"),
                                  is_active=False)

    assert titles(api.get("/api/products/")) == ["Daypack"]
    assert api.get("/api/products/poles/").status_code == 404


def test_category_filters_by_price_range(api, outdoor):
    response = api.get("/api/categories/hiking/products/", {"price_min": "70", "price_max": "95"})

    assert titles(response) == ["Daypack"]


def test_category_filters_by_option_values_on_one_variant(api, outdoor):
    url = "/api/categories/hiking/products/"

    assert titles(api.get(url, {"opt.Color": "Olive"})) == ["Daypack"]
    assert titles(api.get(url, {"opt.color": "Olive"})) == ["Daypack"]  # names: any case
    assert titles(api.get(url, {"opt.Size": ["S", "M"]})) == ["Daypack"]
    # No single active variant is small and olive, and the red one is retired.
    assert titles(api.get(url, {"opt.Size": "S", "opt.Color": "Olive"})) == []
    assert titles(api.get(url, {"opt.Color": "Red"})) == []


def test_category_filters_in_stock_only(api, outdoor):
    assert titles(api.get("/api/categories/hiking/products/", {"in_stock": "true"})) == ["Daypack"]


@pytest.mark.parametrize("sort,expected", [
    ("price", ["Trekking Poles", "Daypack"]),
    ("-price", ["Daypack", "Trekking Poles"]),
    ("name", ["Daypack", "Trekking Poles"]),
    ("newest", ["Trekking Poles", "Daypack"]),
])
def test_category_sorts(api, outdoor, sort, expected):
    assert titles(api.get("/api/categories/hiking/products/", {"sort": sort})) == expected


def test_the_product_list_takes_the_same_filters(api, outdoor):
    assert titles(api.get("/api/products/", {"opt.Size": "L", "price_max": "100"})) == ["Daypack"]


def test_blank_filters_count_as_not_given_like_the_category_form_sends_them(api, outdoor):
    response = api.get("/api/categories/hiking/products/",
                       {"price_min": "", "price_max": "", "sort": "", "in_stock": "",
                        "opt.Size": ""})

    assert titles(response) == ["Daypack", "Trekking Poles"]


@pytest.mark.parametrize("params,field,message", [
    ({"price_min": "cheap"}, "price_min", "A valid number is required."),
    ({"price_min": "-1"}, "price_min", "greater than or equal to 0"),
    ({"price_max": "1.234"}, "price_max", "no more than 2 decimal places"),
    ({"price_max": "NaN"}, "price_max", "A valid number is required."),
    ({"price_max": "1e400"}, "price_max", "no more than 12 digits"),
    ({"price_min": "50", "price_max": "10"}, "price_max", "must not be below the minimum"),
    ({"in_stock": "maybe"}, "in_stock", "Must be a valid boolean."),
    ({"sort": "cheapest"}, "sort", "is not a valid choice"),
    ({"opt.Colour": "Blue"}, "opt.Colour", "Options you can filter on: Color, Size."),
    ({"opt.Size": "x" * 121}, "opt.Size", "at most 120 characters"),
    ({"opt.Size": [str(n) for n in range(21)]}, "opt.Size", "at most 20 values"),
])
def test_bad_filter_values_are_a_400_naming_the_parameter(api, outdoor, params, field, message):
    for url in ("/api/categories/hiking/products/", "/api/products/"):
        response = api.get(url, params)

        assert response.status_code == 400, response.content
        errors = response.json()
        assert list(errors) == [field]
        assert message in errors[field][0]


def test_pages_carry_counts_and_links_and_a_missing_page_is_a_404(api, outdoor):
    first = api.get("/api/products/", {"sort": "name", "page_size": 1})
    body = first.json()

    assert body["count"] == 2 and titles(first) == ["Daypack"]
    assert body["previous"] is None and "page=2" in body["next"]
    second = api.get(body["next"])
    assert titles(second) == ["Trekking Poles"] and second.json()["next"] is None
    for page in ("3", "0", "last-ish"):
        missing = api.get("/api/products/", {"page": page, "page_size": 1})
        assert missing.status_code == 404
        assert "detail" in missing.json()


def test_unknown_category_is_a_404_in_json(api, outdoor):
    response = api.get("/api/categories/nowhere/products/")

    assert response.status_code == 404
    assert response.json() == {"detail": "No such category.", "code": "not_found"}


def test_inactive_category_is_a_404(api, outdoor):
    outdoor["hiking"].is_active = False
    catalog_services.save_category(category=outdoor["hiking"])

    assert api.get("/api/categories/hiking/products/").status_code == 404


# --- Product detail -----------------------------------------------------------------------


def test_product_detail_has_variants_with_prices_and_availability(api, outdoor):
    response = api.get("/api/products/daypack/")

    assert response.status_code == 200
    product = response.json()
    by_sku = {variant["sku"]: variant for variant in product["variants"]}
    assert list(by_sku) == ["PACK-S-BLUE", "PACK-L-BLUE", "PACK-L-OLIVE"]  # retired is hidden
    small = by_sku["PACK-S-BLUE"]
    assert small == {
        "id": outdoor["small_blue"].pk, "sku": "PACK-S-BLUE", "barcode": "0001",
        "title": "S / Blue", "options": {"Size": "S", "Color": "Blue"},
        "price": "89.00", "compare_at_price": "110.00", "currency": "USD",
        "is_on_sale": True, "weight_grams": 800, "available": 20,
        "availability": {"state": "in_stock", "label": "In stock"},
    }
    assert by_sku["PACK-L-BLUE"]["available"] == 3
    assert by_sku["PACK-L-BLUE"]["availability"] == {"state": "low_stock", "label": "Only 3 left"}
    assert by_sku["PACK-L-OLIVE"]["available"] == 0
    assert by_sku["PACK-L-OLIVE"]["availability"]["state"] == "out_of_stock"
    assert product["in_stock"] is True


def test_product_detail_has_options_breadcrumbs_seo_and_tags(api, outdoor):
    product = api.get("/api/products/daypack/").json()

    assert product["options"] == [
        {"name": "Size", "position": 1, "values": ["S", "L"]},
        {"name": "Color", "position": 2, "values": ["Blue", "Olive"]},
    ]
    assert [crumb["slug"] for crumb in product["breadcrumbs"]] == ["outdoor", "hiking"]
    assert product["category"]["slug"] == "hiking"
    assert product["seo"] == {"title": "Daypack", "description": "A light pack for day hikes."}
    assert product["tags"] == ["hiking", "bags"]
    assert product["vendor"] == "Trailco"
    assert product["description"] == "<p>Ventilated pack with a rain cover.</p>"
    assert product["description_text"] == "Ventilated pack with a rain cover."
    assert product["storefront_url"] == "http://testserver/p/daypack/"


def test_product_detail_lists_images_with_sizes_alt_text_and_absolute_urls(
    api, outdoor, png_bytes, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        catalog_services.add_product_image(product=outdoor["pack"], content=png_bytes(640, 480),
                                           alt_text="The daypack from the front")
    catalog_services.add_product_image(product=outdoor["pack"],
                                       source_url="https://example.com/missing.jpg")

    product = api.get("/api/products/daypack/").json()
    card = api.get("/api/products/", {"sort": "name"}).json()["results"][0]

    assert len(product["images"]) == 1  # the URL-only image has no file to show
    image = product["images"][0]
    assert image["alt_text"] == "The daypack from the front"
    assert (image["width"], image["height"]) == (640, 480)
    urls = image["urls"]
    assert all(urls[size].startswith("http://testserver/media/products/")
               for size in ("small", "medium", "large", "original"))
    assert urls["small"].endswith("-160.jpg") and urls["large"].endswith("-1024.jpg")
    assert card["image"] == image
    thumbnail = api.get(urls["small"])
    assert thumbnail.status_code == 200
    thumbnail.close()


def test_availability_counts_every_active_warehouse_minus_allocations(api, outdoor):
    west = WarehouseFactory(code="west")
    inventory_services.receive_stock(variant=outdoor["large_blue"], warehouse=west, quantity=4)
    StockLevel.objects.filter(variant=outdoor["large_blue"], warehouse=west).update(allocated=2)

    def large_blue():
        variants = api.get("/api/products/daypack/").json()["variants"]
        return next(variant for variant in variants if variant["sku"] == "PACK-L-BLUE")

    assert large_blue()["available"] == 5  # 3 + (4 - 2)
    assert large_blue()["availability"]["label"] == "Only 5 left"

    west.is_active = False
    west.save()
    assert large_blue()["available"] == 3


def test_fully_allocated_product_is_out_of_stock_in_the_list(api, outdoor):
    StockLevel.objects.filter(variant__product=outdoor["pack"]).update(allocated=F("on_hand"))

    pack = api.get("/api/products/", {"sort": "name"}).json()["results"][0]
    detail = api.get("/api/products/daypack/").json()

    assert pack["in_stock"] is False and detail["in_stock"] is False
    assert {variant["available"] for variant in detail["variants"]} == {0}


def test_unpublished_product_is_a_404(api, outdoor):
    response = api.get("/api/products/tent/")

    assert response.status_code == 404
    assert response.json() == {"detail": "No such product.", "code": "not_found"}
    assert api.get("/api/products/no-such-thing/").status_code == 404


def test_inactive_variant_cannot_be_seen_anywhere(api, outdoor):
    detail = api.get("/api/products/daypack/").json()

    assert "PACK-XL-RED" not in [variant["sku"] for variant in detail["variants"]]
    assert "XL" not in detail["options"][0]["values"]
    # The retired variant is the cheapest, yet the price shown is the active one's.
    assert api.get("/api/products/", {"sort": "name"}).json()["results"][0]["price_from"] == "89.00"


def test_money_keeps_the_variant_currency_and_its_minor_units(api, outdoor):
    gear = ProductFactory(title="Tenugui", slug="tenugui", category=outdoor["hiking"])
    make_variant(gear, sku="TENUGUI", price="1200.00", currency="JPY", stock=2)

    detail = api.get("/api/products/tenugui/").json()
    card = next(item for item in api.get("/api/products/").json()["results"]
                if item["slug"] == "tenugui")

    assert detail["variants"][0]["price"] == "1200" and detail["variants"][0]["currency"] == "JPY"
    assert card["price_from"] == "1200" and card["currency"] == "JPY"


def refuse_floats(text: str):
    raise AssertionError(f"The API sent a JSON number with a fraction: {text}")


@pytest.mark.parametrize("url", ["/api/products/", "/api/products/daypack/",
                                 "/api/categories/hiking/products/", "/api/search/?q=pack"])
def test_money_is_never_a_json_number(api, outdoor, url):
    response = api.get(url)

    assert response.status_code == 200
    json.loads(response.content, parse_float=refuse_floats)


# --- Search -------------------------------------------------------------------------------


def test_search_finds_a_published_product_by_a_word_from_its_description(api, outdoor):
    assert titles(api.get("/api/search/", {"q": "cork"})) == ["Trekking Poles"]
    assert titles(api.get("/api/search/", {"q": "Ventilated PACK"})) == ["Daypack"]
    assert titles(api.get("/api/search/", {"q": "tent"})) == []  # unpublished


@pytest.mark.postgres
def test_search_on_postgres_matches_prefixes_and_ranks_titles_first(api, outdoor):
    bag = ProductFactory(title="Dry Bag", slug="dry-bag", category=outdoor["hiking"],
                         description="<p>Keeps a daypack's contents dry.</p>")
    make_variant(bag, sku="DRY", price="19.00")

    assert titles(api.get("/api/search/", {"q": "trek"})) == ["Trekking Poles"]
    assert titles(api.get("/api/search/", {"q": "daypack"})) == ["Daypack", "Dry Bag"]


@pytest.mark.parametrize("params,message", [
    ({}, "This field is required."),
    ({"q": ""}, "This field may not be blank."),
    ({"q": "   "}, "This field may not be blank."),
    ({"q": "?!*"}, "Enter at least one word or number to search for."),
    ({"q": "x" * 201}, "Ensure this field has no more than 200 characters."),
])
def test_search_without_words_is_a_400_with_a_message(api, outdoor, params, message):
    response = api.get("/api/search/", params)

    assert response.status_code == 400
    assert response.json() == {"q": [message]}


def test_search_results_are_paginated(api, outdoor):
    response = api.get("/api/search/", {"q": "p", "page_size": 1})

    assert response.status_code == 200
    body = response.json()
    assert len(body["results"]) == 1 and body["count"] >= 1


# --- Read only ----------------------------------------------------------------------------


@pytest.mark.parametrize("url", [
    "/api/categories/", "/api/categories/hiking/products/", "/api/products/",
    "/api/products/daypack/", "/api/search/?q=pack",
])
def test_the_api_is_read_only(api, outdoor, url):
    for method in (api.post, api.put, api.patch, api.delete):
        response = method(url, {"title": "Free"}, format="json")
        assert response.status_code == 405, (method, response.content)
    assert api.get(url).status_code == 200


# --- Query counts -------------------------------------------------------------------------


def add_products(category, start: int, count: int, warehouse) -> None:
    for number in range(start, start + count):
        product = ProductFactory(title=f"Lantern {number}", slug=f"lantern-{number}",
                                 category=category, tags="camping, light",
                                 description="<p>A lantern for the tent.</p>",
                                 is_featured=number % 3 == 0)
        for size in ("S", "L"):
            make_variant(product, price=str(10 + number % 7), options={"Size": size},
                         stock=number % 4, warehouse=warehouse)


ENDPOINTS = {
    "categories": ("/api/categories/", {}),
    "products": ("/api/products/", {}),
    "products filtered": ("/api/products/", {"price_min": "11", "opt.Size": "L",
                                             "in_stock": "1", "sort": "-price"}),
    "category products": ("/api/categories/outdoor/products/", {}),
    "category filtered": ("/api/categories/outdoor/products/",
                          {"price_max": "15", "opt.size": ["S", "L"], "in_stock": "yes",
                           "sort": "price", "page": "1"}),
    "search": ("/api/search/", {"q": "lantern"}),
    "detail": ("/api/products/lantern-0/", {}),
}


def query_counts(api) -> dict[str, int]:
    counts = {}
    for name, (url, params) in ENDPOINTS.items():
        with CaptureQueriesContext(connection) as queries:
            response = api.get(url, params)
        assert response.status_code == 200, (name, response.content[:300])
        counts[name] = len(queries)
    return counts


def test_query_counts_stay_the_same_as_the_catalog_grows(
    api, png_bytes, django_assert_num_queries, django_capture_on_commit_callbacks
):
    outdoor = CategoryFactory(name="Outdoor", slug="outdoor")
    camping = CategoryFactory(name="Camping", slug="camping", parent=outdoor)
    warehouse = WarehouseFactory(code="main")
    add_products(camping, 0, 5, warehouse)
    with django_capture_on_commit_callbacks(execute=True):
        for product_slug in ("lantern-0", "lantern-1"):
            product = Product.objects.get(slug=product_slug)
            catalog_services.add_product_image(product=product, content=png_bytes(),
                                               alt_text=product.title)
    small = query_counts(api)

    add_products(camping, 5, 30, warehouse)
    CategoryFactory(name="Lighting", slug="lighting", parent=camping)
    lantern = Product.objects.get(slug="lantern-0")
    for number in range(30):
        make_variant(lantern, price="12.00", options={"Size": f"{number} cm"}, stock=1)

    for name, (url, params) in ENDPOINTS.items():
        with django_assert_num_queries(small[name]):
            response = api.get(url, params)
        assert response.status_code == 200
    for name, count in small.items():
        assert count <= MAX_QUERIES, f"{name} runs {count} queries"


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/api/products/", "/api/categories/{slug}/products/"])
def test_an_option_value_with_a_null_character_is_a_400(client, url):
    from tests.factories import CategoryFactory, ProductFactory, make_variant

    category = CategoryFactory()
    make_variant(ProductFactory(category=category), options={"Size": "M"}, stock=1)

    response = client.get(url.format(slug=category.slug), {"opt.Size": "M\x00"})

    assert response.status_code == 400
    assert response.json() == {"opt.Size": ["Option values cannot contain null characters."]}
