"""Sold-out variants and products, as a shopper meets them: marked in the variant picker,
left out of the home page's featured products."""

import pytest
from django.urls import reverse

from catalog import services as catalog_services
from tests.factories import ProductFactory, make_variant

from .test_storefront_pages import outdoor  # noqa: F401  (fixture)

pytestmark = pytest.mark.django_db


def option_labels(html: str, select_id: str) -> list[str]:
    import re

    select = re.search(rf'<select id="{select_id}".*?</select>', html, re.S).group(0)
    return [label.strip() for label in re.findall(r"<option[^>]*>([^<]*)</option>", select)]


def test_the_variant_picker_marks_sold_out_combinations(client, outdoor):  # noqa: F811
    # Chosen: L / Blue (in stock). L / Olive is sold out; S / Blue is in stock.
    html = client.get(outdoor["pack"].get_absolute_url(),
                      {"variant": outdoor["large_blue"].pk}).content.decode()
    assert option_labels(html, "option1") == ["S", "L"]
    assert option_labels(html, "option2") == ["Blue", "Olive (sold out)"]
    # Chosen: S / Blue: there is no S / Olive at all, so Olive can't be bought with S.
    html = client.get(outdoor["pack"].get_absolute_url(),
                      {"variant": outdoor["small_blue"].pk}).content.decode()
    assert option_labels(html, "option2") == ["Blue", "Olive (sold out)"]
    assert 'value="Olive" data-label="Olive" data-sold-out' in html
    # Chosen: L / Olive (sold out): S with Olive does not exist, L / Blue is buyable.
    html = client.get(outdoor["pack"].get_absolute_url(),
                      {"variant": outdoor["large_olive"].pk}).content.decode()
    assert option_labels(html, "option1") == ["S (sold out)", "L (sold out)"]
    assert option_labels(html, "option2") == ["Blue", "Olive (sold out)"]


def test_featured_products_leave_out_sold_out_ones(client, outdoor):  # noqa: F811
    for product in (outdoor["pack"], outdoor["poles"]):
        product.is_featured = True
        catalog_services.save_product(product=product)
    spare = ProductFactory(title="Spare Strap", slug="strap", is_featured=True)
    make_variant(spare, sku="STRAP", price="9.00", stock=0)
    response = client.get(reverse("storefront:home"))
    assert response.context["featured"] == [outdoor["pack"]]
    # Sold-out products still show as new arrivals, marked sold out.
    assert outdoor["poles"] in response.context["newest"]
