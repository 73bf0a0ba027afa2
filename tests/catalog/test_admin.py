"""Django admin for the catalog and the stock: fixed query counts, service-backed writes,
permissions, and domain errors shown as messages instead of 500s."""

import io
from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from PIL import Image

from catalog.models import Category, Product, ProductImage, Variant
from inventory import services as inventory_services
from inventory.models import StockLevel, StockMovement
from tests.factories import (
    CategoryFactory,
    ProductFactory,
    UserFactory,
    WarehouseFactory,
    make_variant,
)

pytestmark = pytest.mark.django_db

PRODUCTS = reverse("admin:catalog_product_changelist")
CATEGORIES = reverse("admin:catalog_category_changelist")
STOCK_LEVELS = reverse("admin:inventory_stocklevel_changelist")
MOVEMENTS = reverse("admin:inventory_stockmovement_changelist")
WAREHOUSES = reverse("admin:inventory_warehouse_changelist")
OPTIONS = reverse("admin:catalog_productoption_changelist")


def add_stocked_products(count: int, *, start: int = 0) -> None:
    """Products in a small tree, two variants each, stock in two warehouses, a count."""
    east, west = WarehouseFactory(code="east"), WarehouseFactory(code="west")
    root = Category.objects.filter(slug="kitchen").first() or CategoryFactory(
        name="Kitchen", slug="kitchen")
    for number in range(start, start + count):
        category = CategoryFactory(name=f"Shelf {number}", slug=f"shelf-{number}", parent=root)
        product = ProductFactory(title=f"Kettle {number}", slug=f"kettle-{number}",
                                 category=category, vendor=f"Vendor {number % 4}",
                                 is_published=number % 2 == 0)
        for size in ("S", "L"):
            variant = make_variant(product, sku=f"KETTLE-{number}-{size}",
                                   price=str(10 + number), options={"Size": size},
                                   stock=5, warehouse=east if size == "S" else west)
        inventory_services.adjust_stock_count(variant=variant, warehouse=west, counted=4,
                                              reason="Cycle count")


def count_queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, response.content[:500]
    return len(queries)


CHANGELISTS = {
    "products": PRODUCTS,
    "products searched by SKU": f"{PRODUCTS}?q=KETTLE",
    "products filtered": f"{PRODUCTS}?is_published__exact=1&vendor=Vendor+1",
    "categories": CATEGORIES,
    "stock levels": STOCK_LEVELS,
    "stock levels searched": f"{STOCK_LEVELS}?q=KETTLE",
    "movements": MOVEMENTS,
    "movements filtered": f"{MOVEMENTS}?kind__exact=receipt",
    "warehouses": WAREHOUSES,
    "options": OPTIONS,
}


@pytest.mark.parametrize("name", list(CHANGELISTS))
def test_changelists_run_the_same_number_of_queries_for_3_rows_and_20(
    admin_client, django_assert_num_queries, name
):
    url = CHANGELISTS[name]
    add_stocked_products(3)
    count_queries(admin_client, url)  # the session is warm from here on
    small = count_queries(admin_client, url)

    add_stocked_products(17, start=3)

    with django_assert_num_queries(small):
        response = admin_client.get(url)
    assert response.status_code == 200


def test_the_product_changelist_shows_price_range_variant_count_and_status(admin_client):
    product = ProductFactory(title="Teapot", is_published=False)
    make_variant(product, price="25.00", options={"Size": "L"})
    make_variant(product, price="10.00", options={"Size": "S"})
    make_variant(ProductFactory(title="Saucer"), price="4.50")

    response = admin_client.get(PRODUCTS)

    rows = {row.title: row for row in response.context["cl"].result_list}
    assert (rows["Teapot"].price_min, rows["Teapot"].price_max) == (Decimal("10"), Decimal("25"))
    content = response.content.decode()
    assert '<td class="field-price_range">10.00 – 25.00</td>' in content
    assert '<td class="field-price_range">4.50</td>' in content
    assert '<td class="field-variant_count">2</td>' in content
    assert "field-is_published" in content


def test_the_product_search_finds_a_product_by_variant_barcode(admin_client):
    product = ProductFactory(title="Teapot")
    make_variant(product, sku="TEAPOT-1", barcode="4006381333931")
    ProductFactory(title="Saucer")

    response = admin_client.get(PRODUCTS, {"q": "4006381333931"})

    assert list(response.context["cl"].result_list) == [product]


def test_the_category_changelist_indents_by_depth(admin_client):
    root = CategoryFactory(name="Kitchen", slug="kitchen")
    CategoryFactory(name="Cookware", slug="cookware", parent=root)

    response = admin_client.get(CATEGORIES)

    content = response.content.decode()
    assert '<span style="padding-left: 1.5em">Cookware</span>' in content
    assert content.index(">Kitchen<") < content.index(">Cookware<")


# --- Bulk publishing -------------------------------------------------------------------------


def run_action(client, action: str, products):
    return client.post(
        PRODUCTS, {"action": action, "_selected_action": [product.pk for product in products]},
        follow=True,
    )


def test_publishing_selected_products_reports_how_many_changed(admin_client):
    category = CategoryFactory()
    drafts = [ProductFactory(category=category, is_published=False) for _ in range(2)]
    live = ProductFactory(category=category, is_published=True)

    response = run_action(admin_client, "publish_products", [*drafts, live])

    assert response.status_code == 200
    assert [str(message) for message in response.context["messages"]] == [
        "2 products published."
    ]
    assert Product.objects.filter(is_published=True).count() == 3


def test_unpublishing_selected_products_reports_how_many_changed(admin_client):
    category = CategoryFactory()
    live = ProductFactory(category=category, is_published=True)
    ProductFactory(category=category, is_published=True)

    response = run_action(admin_client, "unpublish_products", [live])

    assert [str(message) for message in response.context["messages"]] == [
        "1 product unpublished."
    ]
    assert list(Product.objects.filter(is_published=False)) == [live]


@pytest.fixture
def viewer(client):
    """A staff member who may look at products but not change them."""
    user = UserFactory(username="viewer", is_staff=True)
    user.user_permissions.add(
        Permission.objects.get(codename="view_product", content_type__app_label="catalog")
    )
    client.force_login(user)
    return client


def test_a_staff_member_without_change_permission_sees_no_publish_actions(viewer):
    draft = ProductFactory(is_published=False)

    response = viewer.get(PRODUCTS)

    assert response.status_code == 200
    content = response.content.decode()
    assert "publish_products" not in content
    assert "Publish selected products" not in content
    run_action(viewer, "publish_products", [draft])
    assert not Product.objects.get(pk=draft.pk).is_published


def test_a_staff_member_without_permissions_cannot_open_the_catalog_or_stock(client):
    client.force_login(UserFactory(username="nobody", is_staff=True))

    assert client.get(PRODUCTS).status_code == 403
    assert client.get(STOCK_LEVELS).status_code == 403
    assert client.get(reverse("admin:inventory_stocklevel_receive_new")).status_code == 403


# --- Products through the admin --------------------------------------------------------------


def formset_management(prefix: str, total: int = 0, initial: int = 0) -> dict:
    return {
        f"{prefix}-TOTAL_FORMS": str(total),
        f"{prefix}-INITIAL_FORMS": str(initial),
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }


def product_form(category, **overrides) -> dict:
    data = {
        "title": "Stoneware jug",
        "slug": "stoneware-jug",
        "category": str(category.pk),
        "description": '<p onclick="x()">Holds a litre.</p><script>alert(1)</script>',
        "vendor": "Northwind",
        "product_type": "Jug",
        "tags": "kitchen, stoneware",
        "is_published": "on",
        "seo_title": "",
        "seo_description": "",
        **formset_management("options"),
        **formset_management("variants", total=2),
        "variants-0-sku": "JUG-1L-WHITE",
        "variants-0-barcode": "",
        "variants-0-options": "Size=1 L; Color=White",
        "variants-0-price": "24.00",
        "variants-0-compare_at_price": "",
        "variants-0-currency": "USD",
        "variants-0-weight_grams": "900",
        "variants-0-is_active": "on",
        "variants-0-position": "0",
        "variants-1-sku": "JUG-1L-BLUE",
        "variants-1-barcode": "",
        "variants-1-options": "Size=1 L; Color=Blue",
        "variants-1-price": "26.00",
        "variants-1-compare_at_price": "",
        "variants-1-currency": "USD",
        "variants-1-weight_grams": "900",
        "variants-1-is_active": "on",
        "variants-1-position": "1",
        **formset_management("images"),
        "_save": "Save",
    }
    data.update(overrides)
    return data


def test_adding_a_product_in_the_admin_creates_it_with_its_variants(admin_client):
    category = CategoryFactory()

    response = admin_client.post(reverse("admin:catalog_product_add"), product_form(category))

    assert response.status_code == 302, response.context["adminform"].form.errors
    product = Product.objects.get(slug="stoneware-jug")
    assert product.is_published
    assert product.description == "<p>Holds a litre.</p>"
    assert [option.name for option in product.options.all()] == ["Size", "Color"]
    variants = {variant.sku: variant for variant in product.variants.all()}
    assert variants["JUG-1L-WHITE"].title == "1 L / White"
    assert variants["JUG-1L-BLUE"].price == Decimal("26.00")


def test_variants_with_the_same_options_are_refused_before_anything_is_saved(admin_client):
    category = CategoryFactory()
    data = product_form(category, **{"variants-1-options": "Color=White; Size=1 L"})

    response = admin_client.post(reverse("admin:catalog_product_add"), data)

    assert response.status_code == 200
    assert "have the same option values" in response.content.decode()
    assert not Product.objects.exists()


def test_a_badly_written_option_is_a_field_error(admin_client):
    category = CategoryFactory()
    data = product_form(category, **{"variants-0-options": "Size M"})

    response = admin_client.post(reverse("admin:catalog_product_add"), data)

    assert response.status_code == 200
    assert "Write each option as Name=Value" in response.content.decode()
    assert not Product.objects.exists()


def test_a_sku_of_another_product_is_refused_in_the_admin(admin_client):
    make_variant(ProductFactory(title="Other"), sku="JUG-1L-WHITE")
    category = CategoryFactory()

    response = admin_client.post(reverse("admin:catalog_product_add"), product_form(category))

    assert response.status_code == 200
    assert "already exists" in response.content.decode()
    assert not Product.objects.filter(slug="stoneware-jug").exists()


def test_a_rule_only_the_service_knows_rolls_the_whole_save_back(admin_client):
    # A fourth option name on a product with three is caught by save_variant itself.
    product = ProductFactory(title="Jug", slug="jug")
    make_variant(product, sku="JUG-A", options={"Size": "S", "Color": "Red", "Glaze": "Matte"})
    change_url = reverse("admin:catalog_product_change", args=[product.pk])
    data = product_form(product.category, title="Renamed jug", slug="jug", **{
        **formset_management("options", total=3, initial=3),
        **{f"options-{index}-id": str(option.pk) for index, option
           in enumerate(product.options.all())},
        **{f"options-{index}-product": str(product.pk) for index in range(3)},
        **{f"options-{index}-name": option.name for index, option
           in enumerate(product.options.all())},
        **{f"options-{index}-position": str(option.position) for index, option
           in enumerate(product.options.all())},
        **formset_management("variants", total=2, initial=1),
        "variants-0-id": str(product.variants.get().pk),
        "variants-0-product": str(product.pk),
        "variants-0-sku": "JUG-A",
        "variants-0-options": "Size=S; Color=Red; Glaze=Matte",
        "variants-1-product": str(product.pk),
        "variants-1-sku": "JUG-B",
        "variants-1-options": "Size=S; Color=Red; Glaze=Gloss",
    })
    # Form-level checks pass (three names in all); rename Glaze so the service sees a 4th.
    data["options-2-name"] = "Finish"

    response = admin_client.post(change_url, data, follow=True)

    assert response.status_code == 200
    messages = [str(message) for message in response.context["messages"]]
    assert any("already has 3 options" in message for message in messages), messages
    product.refresh_from_db()
    assert product.title == "Jug"
    assert not Variant.objects.filter(sku="JUG-B").exists()
    assert sorted(product.options.values_list("name", flat=True)) == ["Color", "Glaze", "Size"]


def test_the_product_change_page_shows_variant_options_and_image_previews(
    admin_client, png_bytes, django_capture_on_commit_callbacks
):
    from catalog import services as catalog_services

    product = ProductFactory(title="Jug")
    make_variant(product, sku="JUG-S", options={"Size": "S"})
    with django_capture_on_commit_callbacks(execute=True):
        catalog_services.add_product_image(product=product, content=png_bytes(),
                                           alt_text="Jug from the side")

    response = admin_client.get(reverse("admin:catalog_product_change", args=[product.pk]))

    content = response.content.decode()
    assert 'value="Size=S"' in content
    assert 'alt="Jug from the side"' in content
    assert reverse("admin:catalog_product_upload_image", args=[product.pk]) in content
    # No raw upload path: the image inline has no file input.
    assert 'type="file"' not in content


def upload(client, product, content: bytes, *, alt_text="Jug on a table", name="jug.png"):
    return client.post(
        reverse("admin:catalog_product_upload_image", args=[product.pk]),
        {"image": SimpleUploadedFile(name, content), "alt_text": alt_text},
    )


def test_uploading_an_image_goes_through_the_service(
    admin_client, png_bytes, django_capture_on_commit_callbacks
):
    product = ProductFactory(title="Jug")

    with django_capture_on_commit_callbacks(execute=True):
        response = upload(admin_client, product, png_bytes(800, 600))

    assert response.status_code == 302
    image = ProductImage.objects.get(product=product)
    assert image.alt_text == "Jug on a table"
    assert image.image.name.endswith(".jpg")
    with image.image.open("rb") as handle:
        assert Image.open(io.BytesIO(handle.read())).format == "JPEG"
    assert image.thumbnail_small


def test_uploading_something_that_is_not_an_image_shows_the_error(admin_client):
    product = ProductFactory(title="Jug")

    response = upload(admin_client, product, b"MZ\x90\x00 not a picture", name="jug.jpg")

    assert response.status_code == 200
    assert "not an image we can read" in response.content.decode()
    assert not ProductImage.objects.exists()


def test_an_image_upload_needs_alt_text(admin_client, png_bytes):
    product = ProductFactory(title="Jug")

    response = upload(admin_client, product, png_bytes(), alt_text="")

    assert response.status_code == 200
    assert response.context["form"].errors["alt_text"]
    assert not ProductImage.objects.exists()


def test_a_viewer_cannot_upload_images(viewer, png_bytes):
    product = ProductFactory(title="Jug")

    assert upload(viewer, product, png_bytes()).status_code == 403
    assert not ProductImage.objects.exists()


# --- Categories through the admin ------------------------------------------------------------


def category_form(category, **overrides) -> dict:
    return {
        "name": category.name, "slug": category.slug,
        "parent": str(category.parent_id or ""), "position": str(category.position),
        "is_active": "on", "description": "", "seo_title": "", "seo_description": "",
        "_save": "Save", **overrides,
    }


def test_moving_a_category_in_the_admin_rewrites_the_subtree_paths(admin_client):
    kitchen = CategoryFactory(name="Kitchen", slug="kitchen")
    cookware = CategoryFactory(name="Cookware", slug="cookware", parent=kitchen)
    pans = CategoryFactory(name="Pans", slug="pans", parent=cookware)
    garden = CategoryFactory(name="Garden", slug="garden")

    response = admin_client.post(
        reverse("admin:catalog_category_change", args=[cookware.pk]),
        category_form(cookware, parent=str(garden.pk)),
    )

    assert response.status_code == 302
    pans.refresh_from_db()
    assert pans.path == f"{garden.pk:06d}/{cookware.pk:06d}/{pans.pk:06d}/"
    assert pans.depth == 2


def test_moving_a_category_under_its_own_descendant_is_a_form_error(admin_client):
    kitchen = CategoryFactory(name="Kitchen", slug="kitchen")
    cookware = CategoryFactory(name="Cookware", slug="cookware", parent=kitchen)

    response = admin_client.post(
        reverse("admin:catalog_category_change", args=[kitchen.pk]),
        category_form(kitchen, parent=str(cookware.pk)),
    )

    assert response.status_code == 200
    assert "cannot be moved under itself or its own subcategory" in response.content.decode()
    kitchen.refresh_from_db()
    assert kitchen.parent_id is None


def test_adding_a_category_in_the_admin_sets_its_path(admin_client):
    kitchen = CategoryFactory(name="Kitchen", slug="kitchen")

    response = admin_client.post(reverse("admin:catalog_category_add"), {
        "name": "Knives", "slug": "knives", "parent": str(kitchen.pk), "position": "0",
        "is_active": "on", "_save": "Save",
    })

    assert response.status_code == 302
    knives = Category.objects.get(slug="knives")
    assert knives.path == f"{kitchen.pk:06d}/{knives.pk:06d}/"
    assert knives.depth == 1


# --- Stock through the admin -----------------------------------------------------------------


@pytest.fixture
def level():
    variant = make_variant(ProductFactory(title="Jug"), sku="JUG-1", stock=10,
                           warehouse=WarehouseFactory(code="east"))
    return StockLevel.objects.get(variant=variant)


def test_receiving_stock_in_the_admin_writes_a_movement_with_the_user(
    admin_client, admin_user, level
):
    response = admin_client.post(
        reverse("admin:inventory_stocklevel_receive", args=[level.pk]),
        {"quantity": "5", "reference": "PO-77", "reason": ""}, follow=True,
    )

    assert response.status_code == 200
    movement = StockMovement.objects.latest("pk")
    assert (movement.kind, movement.quantity, movement.on_hand_after) == ("receipt", 5, 15)
    assert movement.reference == "PO-77"
    assert movement.user == admin_user
    level.refresh_from_db()
    assert level.on_hand == 15
    assert "on hand is now 15" in str(list(response.context["messages"])[0])


def test_receiving_by_sku_into_a_new_warehouse_creates_the_level(admin_client, admin_user, level):
    west = WarehouseFactory(code="west")

    response = admin_client.post(reverse("admin:inventory_stocklevel_receive_new"), {
        "sku": "JUG-1", "warehouse": str(west.pk), "quantity": "3", "reference": "PO-78",
    })

    assert response.status_code == 302
    new_level = StockLevel.objects.get(variant=level.variant, warehouse=west)
    assert new_level.on_hand == 3
    assert new_level.movements.get().user == admin_user


def test_receiving_an_unknown_sku_is_a_field_error(admin_client, level):
    response = admin_client.post(reverse("admin:inventory_stocklevel_receive_new"), {
        "sku": "NOPE", "warehouse": str(level.warehouse_id), "quantity": "3",
    })

    assert response.status_code == 400
    assert "No variant has the SKU" in response.content.decode()


@pytest.mark.parametrize("quantity", ["-5", "0"])
def test_receiving_a_bad_quantity_shows_the_error_and_writes_nothing(
    admin_client, level, quantity
):
    response = admin_client.post(
        reverse("admin:inventory_stocklevel_receive", args=[level.pk]),
        {"quantity": quantity, "reference": "PO-77"},
    )

    assert response.status_code == 400
    assert "Quantity received must be a whole number above zero." in response.content.decode()
    assert StockMovement.objects.count() == 1
    level.refresh_from_db()
    assert level.on_hand == 10


def test_receiving_into_an_inactive_warehouse_shows_the_error(admin_client, level):
    level.warehouse.is_active = False
    level.warehouse.save()

    response = admin_client.post(
        reverse("admin:inventory_stocklevel_receive", args=[level.pk]), {"quantity": "2"},
    )

    assert response.status_code == 400
    assert "Warehouse east is not active." in response.content.decode()
    assert StockMovement.objects.count() == 1


def test_adjusting_a_count_in_the_admin_writes_a_movement_with_the_user(
    admin_client, admin_user, level
):
    response = admin_client.post(
        reverse("admin:inventory_stocklevel_adjust", args=[level.pk]),
        {"counted": "7", "reason": "Three broken", "reference": "CC-1"},
    )

    assert response.status_code == 302
    movement = StockMovement.objects.latest("pk")
    assert (movement.kind, movement.quantity, movement.on_hand_after) == (
        "count_adjustment", -3, 7)
    assert movement.reason == "Three broken"
    assert movement.user == admin_user


def test_a_count_below_allocated_shows_the_error_and_writes_nothing(admin_client, level):
    StockLevel.objects.filter(pk=level.pk).update(allocated=6)

    response = admin_client.post(
        reverse("admin:inventory_stocklevel_adjust", args=[level.pk]),
        {"counted": "5", "reason": "Cycle count"},
    )

    assert response.status_code == 400
    assert "6 units are allocated to orders" in response.content.decode()
    assert StockMovement.objects.count() == 1


def test_a_count_that_matches_writes_nothing(admin_client, level):
    response = admin_client.post(
        reverse("admin:inventory_stocklevel_adjust", args=[level.pk]),
        {"counted": "10", "reason": "Cycle count"}, follow=True,
    )

    assert "nothing changed" in str(list(response.context["messages"])[0])
    assert StockMovement.objects.count() == 1


def test_a_viewer_of_stock_cannot_receive_or_count(client, level):
    user = UserFactory(username="stockviewer", is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="view_stocklevel"))
    client.force_login(user)

    assert client.get(STOCK_LEVELS).status_code == 200
    receive = reverse("admin:inventory_stocklevel_receive", args=[level.pk])
    assert client.post(receive, {"quantity": "5"}).status_code == 403
    adjust = reverse("admin:inventory_stocklevel_adjust", args=[level.pk])
    assert client.post(adjust, {"counted": "1", "reason": "x"}).status_code == 403
    assert StockMovement.objects.count() == 1


def test_on_hand_and_allocated_are_read_only_but_the_bin_is_editable(admin_client, level):
    response = admin_client.post(
        reverse("admin:inventory_stocklevel_change", args=[level.pk]),
        {"bin_location": "A-03-2", "on_hand": "999", "allocated": "5", "_save": "Save"},
    )

    assert response.status_code == 302
    level.refresh_from_db()
    assert level.bin_location == "A-03-2"
    assert (level.on_hand, level.allocated) == (10, 0)
    assert admin_client.get(reverse("admin:inventory_stocklevel_add")).status_code == 403


# --- The ledger is read-only -----------------------------------------------------------------


def test_the_ledger_admin_refuses_add_change_and_delete(admin_client, level):
    movement = level.movements.get()
    change_url = reverse("admin:inventory_stockmovement_change", args=[movement.pk])

    assert admin_client.get(reverse("admin:inventory_stockmovement_add")).status_code == 403
    assert admin_client.post(change_url, {"quantity": "50", "reason": "x"}).status_code == 403
    delete_url = reverse("admin:inventory_stockmovement_delete", args=[movement.pk])
    assert admin_client.post(delete_url, {"post": "yes"}).status_code == 403
    response = admin_client.post(MOVEMENTS, {"action": "delete_selected",
                                             "_selected_action": [movement.pk], "post": "yes"})
    assert response.status_code in (200, 302)
    movement.refresh_from_db()
    assert movement.quantity == 10
    assert StockMovement.objects.count() == 1
    # Reading it is fine.
    assert admin_client.get(change_url).status_code == 200
    assert "delete_selected" not in admin_client.get(MOVEMENTS).content.decode()


def test_every_catalog_and_stock_admin_page_renders(admin_client, level):
    product = level.variant.product
    movement = level.movements.get()
    option = make_variant(product, sku="JUG-2", options={"Size": "M"}).option_values.get().option
    pages = [
        reverse("admin:catalog_product_add"),
        reverse("admin:catalog_product_change", args=[product.pk]),
        reverse("admin:catalog_product_upload_image", args=[product.pk]),
        reverse("admin:catalog_category_add"),
        reverse("admin:catalog_category_change", args=[product.category_id]),
        reverse("admin:catalog_productoption_change", args=[option.pk]),
        reverse("admin:inventory_warehouse_add"),
        reverse("admin:inventory_warehouse_change", args=[level.warehouse_id]),
        reverse("admin:inventory_stocklevel_change", args=[level.pk]),
        reverse("admin:inventory_stocklevel_receive", args=[level.pk]),
        reverse("admin:inventory_stocklevel_adjust", args=[level.pk]),
        reverse("admin:inventory_stocklevel_receive_new"),
        reverse("admin:inventory_stockmovement_change", args=[movement.pk]),
    ]
    for page in pages:
        assert admin_client.get(page).status_code == 200, page
