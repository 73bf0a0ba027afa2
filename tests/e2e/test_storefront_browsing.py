"""A shopper browses in a real browser: home, category, filter, product, variant, search."""

import re

import pytest
from playwright.sync_api import expect

from catalog import services as catalog_services
from tests.factories import CategoryFactory, ProductFactory, make_variant

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def shop(png_bytes):
    outdoor = CategoryFactory(name="Outdoor", slug="outdoor")
    hiking = CategoryFactory(name="Hiking", slug="hiking", parent=outdoor)
    pack = ProductFactory(title="Daypack 24L", slug="daypack", category=hiking,
                          vendor="Ridgeline",
                          description="<p>A ventilated pack with a rain cover and hip belt.</p>")
    make_variant(pack, sku="PACK-S-BLUE", price="89.00", options={"Size": "S", "Color": "Blue"},
                 stock=20)
    make_variant(pack, sku="PACK-L-BLUE", price="99.00", options={"Size": "L", "Color": "Blue"},
                 stock=2)
    make_variant(pack, sku="PACK-L-OLIVE", price="104.00", compare_at_price="130.00",
                 options={"Size": "L", "Color": "Olive"}, stock=0)
    catalog_services.add_product_image(product=pack, content=png_bytes(color="#166534"),
                                       alt_text="Daypack, front")
    catalog_services.add_product_image(product=pack, content=png_bytes(color="#1d4ed8"),
                                       alt_text="Daypack, hip belt detail")
    poles = ProductFactory(title="Trekking Poles", slug="poles", category=hiking,
                           description="<p>Carbon poles with cork grips.</p>")
    make_variant(poles, sku="POLES", price="69.00", stock=4)
    return {"pack": pack}


def test_shopper_goes_from_home_to_a_variant_and_sees_price_and_availability_change(
        page, live_server, shop):
    page.goto(live_server.url)
    expect(page.get_by_role("heading", name="Shop by category")).to_be_visible()

    page.get_by_role("navigation", name="Categories").get_by_role("link", name="Outdoor").click()
    expect(page.get_by_role("heading", level=1, name="Outdoor")).to_be_visible()
    page.get_by_role("link", name="Hiking").first.click()
    expect(page.get_by_text("2 products")).to_be_visible()

    # Filter: only olive, then apply.
    page.get_by_label("Olive").check()
    page.get_by_role("button", name="Apply filters").click()
    expect(page.get_by_text("1 product", exact=True)).to_be_visible()
    expect(page.get_by_role("link", name=re.compile("Trekking Poles"))).to_have_count(0)

    page.get_by_role("link", name=re.compile("Daypack 24L")).click()
    expect(page.get_by_role("heading", level=1, name="Daypack 24L")).to_be_visible()
    breadcrumbs = page.get_by_role("navigation", name="Breadcrumb")
    expect(breadcrumbs).to_contain_text("Outdoor")
    expect(breadcrumbs).to_contain_text("Hiking")
    price, availability = page.locator("#variant-price"), page.locator("#variant-availability")
    expect(price).to_have_text("$89.00")
    expect(availability).to_have_text("In stock")

    page.get_by_label("Size").select_option("L")
    expect(price).to_have_text("$99.00")
    expect(availability).to_have_text("Only 2 left")
    expect(page.locator("#variant-sku")).to_have_text("PACK-L-BLUE")

    page.get_by_label("Color").select_option("Olive")
    expect(price).to_have_text("$104.00")
    expect(page.locator("#variant-compare-at")).to_have_text("$130.00")
    expect(availability).to_have_text("Out of stock")
    assert re.search(r"variant=\d+", page.url)

    # The gallery swaps photos from the keyboard.
    thumb = page.get_by_role("button", name=re.compile("hip belt detail"))
    thumb.focus()
    page.keyboard.press("Enter")
    expect(page.locator("#gallery-main-image")).to_have_attribute("alt", "Daypack, hip belt detail")


def test_the_variant_choice_survives_a_reload(page, live_server, shop):
    page.goto(f"{live_server.url}/p/daypack/")
    page.get_by_label("Size").select_option("L")
    expect(page.locator("#variant-price")).to_have_text("$99.00")

    page.reload()

    expect(page.locator("#variant-price")).to_have_text("$99.00")
    expect(page.get_by_label("Size")).to_have_value("L")


def test_search_finds_a_product_by_a_word_from_its_description(page, live_server, shop):
    page.goto(live_server.url)

    page.get_by_role("searchbox", name="Search the shop").fill("cork")
    page.keyboard.press("Enter")

    expect(page.get_by_role("heading", level=1)).to_have_text("Results for “cork”")
    expect(page.get_by_text("1 result", exact=True)).to_be_visible()
    page.get_by_role("link", name=re.compile("Trekking Poles")).click()
    expect(page.get_by_role("heading", level=1, name="Trekking Poles")).to_be_visible()


def test_every_image_has_alt_text_and_every_field_a_label(page, live_server, shop):
    for path in ("/", "/c/hiking/", "/p/daypack/", "/search/?q=pack"):
        page.goto(live_server.url + path)
        missing_alt = page.locator("img:not([alt])")
        expect(missing_alt).to_have_count(0)
        unlabelled = page.evaluate("""() => [...document.querySelectorAll(
            'input:not([type=hidden]), select, textarea')].filter(el => !el.labels.length &&
            !el.getAttribute('aria-label')).map(el => el.name)""")
        assert unlabelled == [], f"{path}: fields without a label: {unlabelled}"
