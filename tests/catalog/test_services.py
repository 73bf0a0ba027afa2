"""Catalog rules held by the services: the category tree, descriptions, variants, images."""

import io
from decimal import Decimal

import pytest
from PIL import Image

from catalog import services
from catalog.exceptions import CatalogError
from catalog.models import Category, OptionValue, Product, ProductImage, ProductOption, Variant
from catalog.selectors import category_tree
from tests.factories import CategoryFactory, ProductFactory, make_variant

pytestmark = pytest.mark.django_db


# --- Category tree ---------------------------------------------------------------------------


@pytest.fixture
def tree():
    kitchen = services.create_category(name="Kitchen")
    cookware = services.create_category(name="Cookware", parent=kitchen)
    pans = services.create_category(name="Pans", parent=cookware)
    garden = services.create_category(name="Garden")
    return {"kitchen": kitchen, "cookware": cookware, "pans": pans, "garden": garden}


def reload(category: Category) -> Category:
    return Category.objects.get(pk=category.pk)


def test_paths_and_depths_follow_the_tree(tree):
    kitchen, cookware, pans = tree["kitchen"], tree["cookware"], tree["pans"]

    assert kitchen.path == f"{kitchen.pk:06d}/"
    assert cookware.path == f"{kitchen.pk:06d}/{cookware.pk:06d}/"
    assert pans.path == f"{kitchen.pk:06d}/{cookware.pk:06d}/{pans.pk:06d}/"
    assert [kitchen.depth, cookware.depth, pans.depth] == [0, 1, 2]
    assert kitchen.slug == "kitchen"


def test_breadcrumbs_run_from_the_root_to_the_category(tree):
    crumbs = category_tree().breadcrumbs(reload(tree["pans"]))

    assert [category.name for category in crumbs] == ["Kitchen", "Cookware", "Pans"]
    assert reload(tree["pans"]).ancestor_ids == [
        tree["kitchen"].pk, tree["cookware"].pk, tree["pans"].pk,
    ]


def test_moving_a_category_moves_its_whole_subtree(tree):
    cookware = reload(tree["cookware"])
    cookware.parent = tree["garden"]

    services.save_category(category=cookware)

    garden = tree["garden"]
    cookware, pans = reload(tree["cookware"]), reload(tree["pans"])
    assert cookware.path == f"{garden.pk:06d}/{cookware.pk:06d}/"
    assert pans.path == f"{garden.pk:06d}/{cookware.pk:06d}/{pans.pk:06d}/"
    assert (cookware.depth, pans.depth) == (1, 2)
    assert reload(tree["kitchen"]).path == f"{tree['kitchen'].pk:06d}/"


def test_moving_a_subtree_to_the_root_shifts_depths_up(tree):
    cookware = reload(tree["cookware"])
    cookware.parent = None

    services.save_category(category=cookware)

    cookware, pans = reload(tree["cookware"]), reload(tree["pans"])
    assert cookware.path == f"{cookware.pk:06d}/"
    assert pans.path == f"{cookware.pk:06d}/{pans.pk:06d}/"
    assert (cookware.depth, pans.depth) == (0, 1)


@pytest.mark.parametrize("new_parent", ["pans", "cookware"])
def test_a_category_cannot_move_under_itself_or_its_own_descendant(tree, new_parent):
    cookware = reload(tree["cookware"])
    cookware.parent = tree[new_parent]

    with pytest.raises(CatalogError, match="cannot be moved under itself"):
        services.save_category(category=cookware)

    assert reload(tree["cookware"]).parent_id == tree["kitchen"].pk
    assert reload(tree["pans"]).path.startswith(tree["kitchen"].path)


def test_a_new_category_gets_a_unique_slug():
    first = services.create_category(name="Mugs & Cups")
    second = services.create_category(name="Mugs & Cups")

    assert (first.slug, second.slug) == ("mugs-cups", "mugs-cups-2")


# --- Descriptions ----------------------------------------------------------------------------


def test_a_product_description_loses_scripts_and_handlers_but_keeps_formatting():
    product = ProductFactory(description=(
        '<p onclick="steal()">Cast <strong>iron</strong>, <em>pre-seasoned</em>.</p>'
        "<script>alert('x')</script>"
        '<ul><li>Oven safe</li></ul><a href="javascript:alert(1)">bad</a>'
        '<a href="https://example.com/care">Care guide</a><iframe src="https://x"></iframe>'
    ))

    stored = Product.objects.get(pk=product.pk).description
    assert "<script" not in stored
    assert "alert('x')" not in stored
    assert "onclick" not in stored
    assert "javascript:" not in stored
    assert "<iframe" not in stored
    assert "<p>Cast <strong>iron</strong>, <em>pre-seasoned</em>.</p>" in stored
    assert "<ul><li>Oven safe</li></ul>" in stored
    assert 'href="https://example.com/care"' in stored
    assert Product.objects.get(pk=product.pk).description_text.startswith(
        "Cast iron, pre-seasoned."
    )


# --- Variants --------------------------------------------------------------------------------


@pytest.fixture
def shirt():
    return ProductFactory(title="Linen shirt")


def test_a_variant_gets_its_options_and_a_title_from_their_values(shirt):
    variant = make_variant(shirt, sku="SHIRT-M-BLUE", options={"Size": "M", "Color": "Blue"})

    assert variant.title == "M / Blue"
    assert [option.name for option in shirt.options.all()] == ["Size", "Color"]
    assert {value.value for value in variant.option_values.all()} == {"M", "Blue"}


def test_saving_a_known_sku_updates_that_variant(shirt):
    make_variant(shirt, sku="SHIRT-M", price="30.00", options={"Size": "M"})

    services.save_variant(product=shirt, sku="SHIRT-M", price=Decimal("27.50"),
                          options={"Size": "M"}, compare_at_price=Decimal("30.00"))

    variant = Variant.objects.get(sku="SHIRT-M")
    assert variant.price == Decimal("27.50")
    assert variant.is_on_sale
    assert Variant.objects.filter(product=shirt).count() == 1


def test_more_than_three_options_in_one_variant_are_refused(shirt):
    with pytest.raises(CatalogError, match="at most 3 options"):
        services.save_variant(product=shirt, sku="SHIRT-X", price=Decimal("30"), options={
            "Size": "M", "Color": "Blue", "Fit": "Slim", "Sleeve": "Long",
        })

    assert not Variant.objects.filter(sku="SHIRT-X").exists()
    assert not ProductOption.objects.exists()


def test_a_fourth_option_on_a_product_is_refused(shirt):
    make_variant(shirt, sku="SHIRT-1", options={"Size": "M", "Color": "Blue", "Fit": "Slim"})

    with pytest.raises(CatalogError, match="already has 3 options"):
        services.save_variant(product=shirt, sku="SHIRT-2", price=Decimal("30"),
                              options={"Size": "L", "Sleeve": "Long"})

    assert shirt.options.count() == 3
    assert not Variant.objects.filter(sku="SHIRT-2").exists()


def test_two_variants_with_the_same_option_values_are_refused(shirt):
    make_variant(shirt, sku="SHIRT-M-BLUE", options={"Size": "M", "Color": "Blue"})

    with pytest.raises(CatalogError, match="already has a variant SHIRT-M-BLUE"):
        services.save_variant(product=shirt, sku="SHIRT-DUP", price=Decimal("30"),
                              options={"Color": "Blue", "Size": "M"})

    assert not Variant.objects.filter(sku="SHIRT-DUP").exists()


def test_a_sku_of_another_product_is_refused(shirt):
    make_variant(ProductFactory(title="Wool scarf"), sku="SCARF-1", price="20.00")

    with pytest.raises(CatalogError, match="already belongs to another product"):
        services.save_variant(product=shirt, sku="SCARF-1", price=Decimal("30"))

    assert Variant.objects.get(sku="SCARF-1").price == Decimal("20.00")


@pytest.mark.parametrize("field", ["price", "compare_at_price"])
def test_a_negative_price_is_refused(shirt, field):
    prices = {"price": Decimal("10"), field: Decimal("-0.01")}

    with pytest.raises(CatalogError, match="must be zero or more"):
        services.save_variant(product=shirt, sku="SHIRT-NEG", **prices)

    assert not Variant.objects.filter(sku="SHIRT-NEG").exists()


def test_a_variant_without_a_sku_is_refused(shirt):
    with pytest.raises(CatalogError, match="needs a SKU"):
        services.save_variant(product=shirt, sku="  ", price=Decimal("10"))


def test_an_empty_option_value_is_refused(shirt):
    with pytest.raises(CatalogError, match="cannot be empty"):
        services.save_variant(product=shirt, sku="SHIRT-E", price=Decimal("10"),
                              options={"Size": " "})

    assert not OptionValue.objects.exists()


# --- Images ----------------------------------------------------------------------------------


def test_bytes_that_are_not_an_image_are_refused(shirt):
    with pytest.raises(CatalogError, match="not an image we can read"):
        services.add_product_image(product=shirt, content=b"<html>not a photo</html>",
                                   filename="photo.jpg", alt_text="Shirt")

    assert not ProductImage.objects.exists()


def test_a_truncated_image_is_refused(shirt, png_bytes):
    with pytest.raises(CatalogError, match="not an image we can read"):
        services.add_product_image(product=shirt, content=png_bytes()[:200],
                                   filename="photo.png", alt_text="Shirt")

    assert not ProductImage.objects.exists()


def test_an_image_of_more_than_40_megapixels_is_refused(shirt):
    buffer = io.BytesIO()
    # One bit per pixel keeps this cheap to build; only the header's size matters.
    Image.new("1", (8000, 5001)).save(buffer, format="PNG")

    with pytest.raises(CatalogError, match="too large"):
        services.add_product_image(product=shirt, content=buffer.getvalue(), alt_text="Huge")

    assert not ProductImage.objects.exists()


def test_an_uploaded_image_is_re_encoded_as_jpeg_with_thumbnails(
    shirt, png_bytes, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        image = services.add_product_image(product=shirt, content=png_bytes(1200, 900),
                                           filename="Front View.PNG", alt_text="Front")

    # The catalog version bumped (cached cards show the photo), image_uploaded sent after
    # commit, its receiver's enqueue, and the version bumped again once thumbnails exist.
    assert len(callbacks) == 4
    image.refresh_from_db()
    assert image.image.name.endswith(".jpg")
    assert "front-view" in image.image.name
    with image.image.open("rb") as handle:
        stored = Image.open(io.BytesIO(handle.read()))
        assert stored.format == "JPEG"
        assert stored.size == (1200, 900)
    assert (image.width, image.height) == (1200, 900)
    assert image.alt_text == "Front"
    for size, width in ProductImage.THUMBNAIL_WIDTHS.items():
        thumbnail = getattr(image, f"thumbnail_{size}")
        assert thumbnail, size
        with thumbnail.open("rb") as handle:
            assert Image.open(io.BytesIO(handle.read())).width == min(width, 1200)
    assert image.small_url != image.image.url


def test_thumbnails_wait_for_the_commit(shirt, png_bytes, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        image = services.add_product_image(product=shirt, content=png_bytes(), alt_text="Back")

    assert len(callbacks) == 2  # the catalog version bump and image_uploaded
    image.refresh_from_db()
    assert not image.thumbnail_small


def test_an_image_without_alt_text_takes_the_product_title(shirt, png_bytes):
    image = services.add_product_image(product=shirt, content=png_bytes(), alt_text="")

    assert image.alt_text == "Linen shirt"


def test_an_image_needs_a_file_or_a_url(shirt):
    with pytest.raises(CatalogError, match="needs a file or a source URL"):
        services.add_product_image(product=shirt, alt_text="Nothing")


# --- Publishing ------------------------------------------------------------------------------


def test_publishing_in_bulk_counts_only_the_products_that_changed():
    category = CategoryFactory()
    live = ProductFactory(category=category, is_published=True)
    drafts = [ProductFactory(category=category, is_published=False) for _ in range(2)]
    ids = [live.pk, *(draft.pk for draft in drafts)]

    assert services.set_products_published(product_ids=ids, published=True) == 2
    assert services.set_products_published(product_ids=ids, published=True) == 0
    assert Product.objects.filter(is_published=True).count() == 3
    assert services.set_products_published(product_ids=ids[:1], published=False) == 1
    assert Product.objects.filter(is_published=False).count() == 1


def test_the_plain_text_description_decodes_entities_and_separates_blocks(db):
    from catalog.models import Product, description_plain_text
    from tests.factories import ProductFactory

    html = ("<p>Cast iron that bakes cornbread.</p><p>Made by Hearth &amp; Iron</p>"
            "<ul><li>Two-year warranty</li><li>un<em>break</em>able &lt;really&gt;</li></ul>")
    expected = ("Cast iron that bakes cornbread. Made by Hearth & Iron Two-year warranty "
                "unbreakable <really>")
    assert description_plain_text(html) == expected
    product = ProductFactory(description=html)
    stored = Product.objects.get(pk=product.pk)
    assert stored.description_text == expected
    assert stored.page_description == expected[:160]
