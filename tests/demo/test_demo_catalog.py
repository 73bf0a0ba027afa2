"""`make run` loads the demo catalog; loading it again must change nothing."""

import pytest
from django.core.management import call_command
from django.db.models import Max

from catalog.models import Category, Product, ProductImage, Variant
from inventory.models import StockLevel, StockMovement, Warehouse
from inventory.selectors import stock_ledger_mismatches
from shop.demo.catalog import CATEGORIES, draw_product_image
from shop.storefront.models import Page

pytestmark = pytest.mark.django_db


def snapshot():
    return {
        model.__name__: (model.objects.count(),
                         model.objects.aggregate(last=Max("pk"))["last"])
        for model in (Category, Product, Variant, ProductImage, Warehouse, StockLevel,
                      StockMovement)
    } | {
        "products updated": Product.objects.aggregate(last=Max("updated_at"))["last"],
        "stock": list(StockLevel.objects.order_by("pk").values_list("on_hand", "allocated")),
    }


def test_demo_catalog_is_big_enough_stocked_in_two_warehouses_and_loads_once(capsys):
    Page.objects.all().delete()  # the migration seeded them; the demo brings back what is missing
    call_command("load_demo_catalog", "--no-images")
    assert list(Page.objects.values_list("slug", flat=True)) == [
        "contact", "shipping", "returns", "privacy", "terms"]
    first = snapshot()

    assert Product.objects.filter(is_published=True).count() >= 60
    assert Category.objects.count() >= 6
    assert Category.objects.filter(parent__isnull=False).exists()
    assert Variant.objects.count() > Product.objects.count()
    assert Warehouse.objects.count() == 2
    assert StockLevel.objects.values("warehouse").distinct().count() == 2
    assert stock_ledger_mismatches() == []
    assert "Demo catalog ready" in capsys.readouterr().out

    call_command("load_demo_catalog", "--no-images")

    assert snapshot() == first
    assert "0 products" in capsys.readouterr().out


def test_demo_product_photos_are_drawn_images_with_alt_text(django_capture_on_commit_callbacks):
    from shop.demo import catalog as demo_catalog

    only_one = demo_catalog.CATEGORIES[1]
    original = demo_catalog.CATEGORIES
    demo_catalog.CATEGORIES = [original[0], only_one]
    try:
        with django_capture_on_commit_callbacks(execute=True):
            demo_catalog.load_demo_catalog(images=True)
    finally:
        demo_catalog.CATEGORIES = original

    images = ProductImage.objects.all()
    assert images.count() == 2 * len(only_one.products)
    for image in images:
        assert image.alt_text and image.image and image.width == 800
        assert image.thumbnail_small and image.thumbnail_medium and image.thumbnail_large


def test_drawings_exist_for_every_demo_category():
    import random

    for spec in CATEGORIES:
        for shot in (0, 1):
            png = draw_product_image("Test", spec.drawing, spec.colors, shot, random.Random(1))
            assert png[:8] == b"\x89PNG\r\n\x1a\n"


def test_each_demo_product_is_drawn_as_what_it_is():
    from shop.demo.photos import _DRAWINGS, drawing_for

    drawn = {title: drawing_for(title, spec.drawing)
             for spec in CATEGORIES for title, _, _ in spec.products}
    assert set(drawn.values()) <= set(_DRAWINGS)
    assert drawn["Beanie"] == "beanie" and drawn["Organic Cotton Tee"] == "shirt"
    assert drawn["Chino Trousers"] == "trousers" and drawn["Hiking Socks"] == "sock"
    assert drawn["Daypack 24L"] == "bag" and drawn["Trekking Poles"] == "poles"
    assert drawn["Pendant Light"] == "lamp" and drawn["Fountain Pen"] == "pen"
    assert drawn["Scented Candle"] == "candle" and drawn["Camp Stove"] == "stove"
    # No clothing drawn as a mountain, no candle as a lamp.
    assert "mountain" not in drawn.values()


def test_a_navy_variants_photo_is_navy():
    import io
    import random

    from PIL import Image

    from shop.demo.catalog import _option_combinations, product_photos
    from shop.demo.photos import COLOR_HEX

    apparel = next(spec for spec in CATEGORIES if spec.slug == "apparel")
    rng = random.Random("beanie")
    combos = _option_combinations(apparel.options, rng)
    photos = product_photos(apparel, "Beanie", combos, rng)
    alts = [alt for _, alt in photos]
    assert alts == ["Beanie in Navy", "Beanie in Oat", "Beanie in Charcoal",
                    "Beanie in Navy, detail"]
    for content, alt in photos[:3]:
        color = alt.removeprefix("Beanie in ")
        expected = tuple(int(COLOR_HEX[color.lower()][i:i + 2], 16) for i in (1, 3, 5))
        image = Image.open(io.BytesIO(content)).convert("RGB")
        # The product fills the middle of the frame: its colour is the photo's colour.
        assert image.getpixel((400, 330)) == expected, alt
