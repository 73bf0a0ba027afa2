"""The storefront on a phone (390 px) and a desktop (1280 px): nothing runs off the right
edge, the category filters fold away on a phone, the home page shows two tiles a row on a
phone, and footer and tile text reach WCAG AA contrast (4.5:1)."""

import pytest
from playwright.sync_api import expect

from catalog import services as catalog_services
from tests.factories import CategoryFactory, ProductFactory, make_shipping, make_variant

pytestmark = pytest.mark.django_db(transaction=True)

PHONE, DESKTOP = {"width": 390, "height": 844}, {"width": 1280, "height": 900}

# The WCAG relative-luminance contrast of an element's text against the first opaque
# background behind it.
CONTRAST_JS = """
(element) => {
  const parse = (value) => (value.match(/[\\d.]+/g) || []).map(Number);
  const background = (node) => {
    for (; node; node = node.parentElement) {
      const [r, g, b, a] = parse(getComputedStyle(node).backgroundColor);
      if (a === undefined || a > 0) { return [r, g, b]; }
    }
    return [255, 255, 255];
  };
  const luminance = ([r, g, b]) => {
    const linear = (c) => {
      c /= 255;
      return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
    };
    return 0.2126 * linear(r) + 0.7152 * linear(g) + 0.0722 * linear(b);
  };
  const fg = luminance(parse(getComputedStyle(element).color));
  const bg = luminance(background(element));
  return (Math.max(fg, bg) + 0.05) / (Math.min(fg, bg) + 0.05);
}
"""


@pytest.fixture
def shop(png_bytes):
    outdoor = CategoryFactory(name="Outdoor", slug="outdoor",
                              description="Kit for trails, campsites and long weekends.")
    products = []
    for number in range(6):
        product = ProductFactory(
            title=f"Ventilated Trail Daypack With Hip Belt {number}", slug=f"pack-{number}",
            category=outdoor, vendor="Ridgeline", is_featured=True,
            description="<p>A ventilated pack with a rain cover and hip belt.</p>")
        make_variant(product, sku=f"PACK-{number}-S", price="89.00",
                     options={"Size": "Small", "Color": "Blue"}, stock=20)
        make_variant(product, sku=f"PACK-{number}-L", price="99.00", compare_at_price="120.00",
                     options={"Size": "Large", "Color": "Olive"}, stock=0)
        catalog_services.add_product_image(product=product, content=png_bytes(1200, 1200),
                                           alt_text="Daypack, front")
        catalog_services.add_product_image(product=product, content=png_bytes(color="#166534"),
                                           alt_text="Daypack, side")
        products.append(product)
    make_shipping(name="Standard", price="5.00", min_delivery_days=2, max_delivery_days=4)
    return products


def no_horizontal_overflow(page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    viewport = page.evaluate("window.innerWidth")
    assert width <= viewport, f"{page.url} is {width} px wide in a {viewport} px window"


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_no_page_runs_off_the_right_edge(page, live_server, shop, viewport):
    page.set_viewport_size(viewport)
    for path in ("/", "/c/outdoor/", "/p/pack-0/", "/search/?q=daypack"):
        page.goto(live_server.url + path)
        no_horizontal_overflow(page)
    page.goto(live_server.url + "/p/pack-0/")
    page.get_by_role("button", name="Add to cart").click()
    expect(page.get_by_role("heading", name="Your cart")).to_be_visible()
    no_horizontal_overflow(page)
    page.goto(live_server.url + "/checkout/")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    no_horizontal_overflow(page)


def test_filters_fold_away_on_a_phone_and_open_on_a_tap(page, live_server, shop):
    page.set_viewport_size(PHONE)
    page.goto(live_server.url + "/c/outdoor/")
    apply = page.get_by_role("button", name="Apply filters")
    expect(apply).to_be_hidden()
    # The first product is on the first screen, not under the filters.
    first = page.locator(".product-grid li").first.bounding_box()
    assert first["y"] < PHONE["height"]
    page.get_by_text("Filter and sort").click()
    expect(apply).to_be_visible()
    page.get_by_label("Olive").check()
    apply.click()
    expect(page.get_by_text("6 products")).to_be_visible()


def test_filters_are_open_on_a_desktop(page, live_server, shop):
    page.goto(live_server.url + "/c/outdoor/")
    expect(page.get_by_role("button", name="Apply filters")).to_be_visible()


def test_home_shows_two_tiles_a_row_on_a_phone(page, live_server, shop):
    page.set_viewport_size(PHONE)
    page.goto(live_server.url)
    tiles = page.locator("#featured-title + .product-grid > li")
    expect(tiles).to_have_count(6)
    boxes = [tiles.nth(index).bounding_box() for index in range(3)]
    assert boxes[0]["y"] == boxes[1]["y"] and boxes[1]["x"] > boxes[0]["x"]
    assert boxes[2]["y"] > boxes[0]["y"]


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_footer_and_tile_text_reach_aa_contrast(page, live_server, shop, viewport):
    page.set_viewport_size(viewport)
    page.goto(live_server.url)
    selectors = [".site-footer p", ".site-footer a", ".category-tile-text",
                 ".product-card-vendor"]
    for selector in selectors:
        elements = page.locator(selector)
        assert elements.count(), selector
        for index in range(elements.count()):
            ratio = elements.nth(index).evaluate(CONTRAST_JS)
            assert ratio >= 4.5, f"{selector} has a contrast of {ratio:.2f}:1"


def test_skip_link_and_focus_ring_stay(page, live_server, shop):
    page.set_viewport_size(PHONE)
    page.goto(live_server.url)
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to content")
    expect(skip).to_be_focused()
    outline = skip.evaluate("(node) => getComputedStyle(node).outlineStyle")
    assert outline == "solid"


def test_the_variant_picker_marks_sold_out_choices_as_the_shopper_picks(page, live_server, shop):
    page.goto(live_server.url + "/p/pack-0/")
    colors = page.get_by_label("Color").locator("option")
    expect(colors).to_have_text(["Blue", "Olive (sold out)"])
    page.get_by_label("Size").select_option("Large")
    expect(colors).to_have_text(["Blue (sold out)", "Olive (sold out)"])
    expect(page.get_by_label("Size").locator("option")).to_have_text(
        ["Small", "Large (sold out)"])
    page.get_by_label("Color").select_option("Blue")
    expect(page.locator("#variant-availability")).to_have_text(
        "This combination is not available")
