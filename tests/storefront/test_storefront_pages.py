"""The storefront as a shopper uses it: browse, filter, search, pick a variant."""

import pytest
from django.urls import reverse

from catalog import services as catalog_services
from tests.factories import CategoryFactory, ProductFactory, WarehouseFactory, make_variant

pytestmark = pytest.mark.django_db


@pytest.fixture
def outdoor():
    """Outdoor > Hiking, with a pack in two sizes and colours and a sold-out pole."""
    outdoor = CategoryFactory(name="Outdoor", slug="outdoor")
    hiking = CategoryFactory(name="Hiking", slug="hiking", parent=outdoor)
    pack = ProductFactory(title="Daypack", slug="daypack", category=hiking,
                          description="<p>Ventilated pack with a rain cover.</p>")
    small_blue = make_variant(pack, sku="PACK-S-BLUE", price="89.00",
                              options={"Size": "S", "Color": "Blue"}, stock=20)
    large_blue = make_variant(pack, sku="PACK-L-BLUE", price="99.00",
                              options={"Size": "L", "Color": "Blue"}, stock=3)
    large_olive = make_variant(pack, sku="PACK-L-OLIVE", price="99.00",
                               options={"Size": "L", "Color": "Olive"}, stock=0)
    poles = ProductFactory(title="Trekking Poles", slug="poles", category=hiking,
                           description="<p>Carbon poles with cork grips.</p>")
    make_variant(poles, sku="POLES", price="69.00", stock=0)
    return {"outdoor": outdoor, "hiking": hiking, "pack": pack, "poles": poles,
            "small_blue": small_blue, "large_blue": large_blue, "large_olive": large_olive}


def test_home_lists_categories_and_featured_products(client, outdoor):
    outdoor["pack"].is_featured = True
    catalog_services.save_product(product=outdoor["pack"])

    response = client.get(reverse("storefront:home"))

    assert response.status_code == 200
    body = response.content.decode()
    assert "Outdoor" in body and "Featured" in body and "Daypack" in body
    assert response.context["featured"] == [outdoor["pack"]]


def test_category_page_includes_subcategory_products_with_breadcrumbs(client, outdoor):
    response = client.get(outdoor["outdoor"].get_absolute_url())

    assert response.status_code == 200
    titles = [product.title for product in response.context["page"].object_list]
    assert titles == ["Daypack", "Trekking Poles"]
    hiking_page = client.get(outdoor["hiking"].get_absolute_url())
    assert [crumb.name for crumb in hiking_page.context["breadcrumbs"]] == ["Outdoor", "Hiking"]


def test_category_filters_by_price_range(client, outdoor):
    response = client.get(outdoor["hiking"].get_absolute_url(),
                          {"price_min": "70", "price_max": "95"})

    assert [p.title for p in response.context["page"].object_list] == ["Daypack"]


def test_category_filters_by_option_values_on_one_variant(client, outdoor):
    url = outdoor["hiking"].get_absolute_url()

    assert [p.title for p in client.get(url, {"opt.Color": "Olive"}).context["page"]] == ["Daypack"]
    # No single variant is small and olive.
    both = client.get(url, {"opt.Size": "S", "opt.Color": "Olive"})
    assert list(both.context["page"]) == []
    assert "No products match these filters" in both.content.decode()


def test_category_filters_in_stock_only(client, outdoor):
    response = client.get(outdoor["hiking"].get_absolute_url(), {"in_stock": "on"})

    assert [p.title for p in response.context["page"].object_list] == ["Daypack"]


@pytest.mark.parametrize("sort,expected", [
    ("price", ["Trekking Poles", "Daypack"]),
    ("-price", ["Daypack", "Trekking Poles"]),
    ("name", ["Daypack", "Trekking Poles"]),
])
def test_category_sorts(client, outdoor, sort, expected):
    response = client.get(outdoor["hiking"].get_absolute_url(), {"sort": sort})

    assert [p.title for p in response.context["page"].object_list] == expected


def test_sold_out_product_card_says_so(client, outdoor):
    body = client.get(outdoor["hiking"].get_absolute_url()).content.decode()

    assert "Sold out" in body


@pytest.mark.parametrize("params,field,message", [
    ({"price_min": "cheap"}, "price_min", "Enter a number."),
    ({"price_min": "-5"}, "price_min", "greater than or equal to 0"),
    ({"price_min": "50", "price_max": "10"}, "price_max", "must not be below the minimum"),
])
def test_bad_filter_values_get_a_400_with_the_message_on_the_field(client, outdoor, params, field,
                                                                     message):
    response = client.get(outdoor["hiking"].get_absolute_url(), params)

    assert response.status_code == 400
    assert message in response.context["form"].errors[field][0]
    assert message in response.content.decode()


@pytest.mark.parametrize("page", ["abc", "99", "-1"])
def test_a_page_number_that_is_not_a_page_is_a_404(client, outdoor, page):
    response = client.get(outdoor["hiking"].get_absolute_url(), {"page": page})

    assert response.status_code == 404
    assert "We couldn't find that page" in response.content.decode()


def test_unknown_category_and_product_show_the_404_page(client):
    for url in ("/c/nowhere/", "/p/nothing/", "/no/such/page/"):
        response = client.get(url)
        assert response.status_code == 404
        assert "We couldn't find that page" in response.content.decode()


def test_unpublished_products_and_inactive_variants_stay_hidden(client, outdoor):
    catalog_services.set_products_published(product_ids=[outdoor["poles"].pk], published=False)
    catalog_services.save_variant(product=outdoor["pack"], sku="PACK-L-OLIVE", price="99.00",
                                  options={"Size": "L", "Color": "Olive"}, is_active=False)

    listing = client.get(outdoor["hiking"].get_absolute_url())
    assert [p.title for p in listing.context["page"].object_list] == ["Daypack"]
    assert client.get(outdoor["poles"].get_absolute_url()).status_code == 404
    product = client.get(outdoor["pack"].get_absolute_url())
    assert "PACK-L-OLIVE" not in [v["sku"] for v in product.context["variant_data"]]


def test_product_page_shows_price_and_availability_for_each_variant(client, outdoor):
    response = client.get(outdoor["pack"].get_absolute_url())

    assert response.status_code == 200
    by_sku = {v["sku"]: v for v in response.context["variant_data"]}
    assert by_sku["PACK-S-BLUE"]["availabilityLabel"] == "In stock"
    assert by_sku["PACK-L-BLUE"]["availabilityLabel"] == "Only 3 left"
    assert by_sku["PACK-L-OLIVE"]["availabilityLabel"] == "Out of stock"
    assert by_sku["PACK-L-BLUE"]["price"] == "$99.00"
    assert [o["name"] for o in response.context["options"]] == ["Size", "Color"]
    body = response.content.decode()
    assert 'id="variant-data"' in body and "In stock" in body


def test_availability_counts_every_active_warehouse_minus_allocations(client, outdoor):
    from inventory import services as inventory_services
    from inventory.models import StockLevel

    west = WarehouseFactory(code="west")
    inventory_services.receive_stock(variant=outdoor["large_blue"], warehouse=west, quantity=4)
    StockLevel.objects.filter(variant=outdoor["large_blue"], warehouse=west).update(allocated=2)

    response = client.get(outdoor["pack"].get_absolute_url(), {"variant": outdoor["large_blue"].pk})
    assert response.context["variant"].available == 5  # 3 + (4 - 2)

    west.is_active = False
    west.save()
    response = client.get(outdoor["pack"].get_absolute_url(), {"variant": outdoor["large_blue"].pk})
    assert response.context["variant"].available == 3


def test_product_page_picks_the_variant_from_the_query_without_javascript(client, outdoor):
    by_id = client.get(outdoor["pack"].get_absolute_url(), {"variant": outdoor["large_blue"].pk})
    by_options = client.get(outdoor["pack"].get_absolute_url(),
                            {"option1": "L", "option2": "Olive"})
    nonsense = client.get(outdoor["pack"].get_absolute_url(), {"variant": "x'; drop"})

    assert by_id.context["variant"] == outdoor["large_blue"]
    assert by_options.context["variant"] == outdoor["large_olive"]
    assert "Out of stock" in by_options.content.decode()
    assert nonsense.status_code == 200
    assert nonsense.context["variant"] == outdoor["small_blue"]  # first in stock


def test_product_description_is_sanitised_html(client, outdoor):
    outdoor["pack"].description = '<p onclick="steal()">Roomy</p><script>alert(1)</script>'
    catalog_services.save_product(product=outdoor["pack"])

    body = client.get(outdoor["pack"].get_absolute_url()).content.decode()

    assert "<p>Roomy</p>" in body
    assert "alert(1)" not in body and "onclick" not in body


def test_search_finds_a_product_by_a_word_from_its_description(client, outdoor):
    response = client.get(reverse("storefront:search"), {"q": "cork"})

    assert response.status_code == 200
    assert [p.title for p in response.context["page"].object_list] == ["Trekking Poles"]


@pytest.mark.postgres
def test_search_on_postgres_matches_prefixes_and_ranks_titles_first(client, outdoor):
    pack_in_description = ProductFactory(title="Rain Cover", slug="rain-cover",
                                         category=outdoor["hiking"],
                                         description="<p>Fits any daypack.</p>")
    make_variant(pack_in_description, price="15.00")

    response = client.get(reverse("storefront:search"), {"q": "dayp"})

    assert [p.title for p in response.context["page"].object_list] == ["Daypack", "Rain Cover"]


def test_search_with_nothing_to_search_asks_for_words(client):
    response = client.get(reverse("storefront:search"), {"q": "  &|!:*  "})

    assert response.status_code == 200
    assert "Nothing matches" in response.content.decode()
    too_long = client.get(reverse("storefront:search"), {"q": "x" * 500})
    assert too_long.status_code == 400
    assert "at most 200 characters" in too_long.content.decode()


def test_pages_are_get_only(client, outdoor):
    assert client.post(outdoor["pack"].get_absolute_url()).status_code == 405


@pytest.mark.parametrize("value", ["\x00", "M\x00"])
def test_an_option_value_with_a_null_character_is_a_400_not_a_500(client, outdoor, value):
    response = client.get(outdoor["hiking"].get_absolute_url(), {"opt.Size": value})

    assert response.status_code == 400
    assert "Option values cannot contain null characters." in response.content.decode()
