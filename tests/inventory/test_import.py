"""`manage.py import_products FILE.csv`: Shopify's product CSV export, imported and re-imported."""

import csv
import functools
import http.server
import io
import threading
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from PIL import Image

from catalog.models import Category, Product, ProductImage, Variant
from inventory.models import StockLevel, StockMovement
from inventory.selectors import stock_ledger_mismatches
from tests.factories import ProductFactory, WarehouseFactory, make_variant

pytestmark = pytest.mark.django_db

COLUMNS = [
    "Handle", "Title", "Body (HTML)", "Vendor", "Type", "Tags", "Published", "Option1 Name",
    "Option1 Value", "Option2 Name", "Option2 Value", "Option3 Name", "Option3 Value",
    "Variant SKU", "Variant Grams", "Variant Inventory Qty", "Variant Price",
    "Variant Compare At Price", "Variant Barcode", "Image Src", "Image Position",
    "Image Alt Text", "SEO Title", "SEO Description", "Status",
]
UNREACHABLE = "http://127.0.0.1:9/nothing.jpg"

GOOD_ROWS = [
    # line 2-3: the description spans two physical lines
    {"Handle": "trail-runner", "Title": "Trail Runner",
     "Body (HTML)": "<p>Grippy <b>trail</b> shoe,\nlight on rocks.</p><script>alert(1)</script>",
     "Vendor": "Summit Lab", "Type": "Shoes", "Tags": "running, trail", "Published": "TRUE",
     "Option1 Name": "Size", "Option1 Value": "9", "Option2 Name": "Color",
     "Option2 Value": "Red", "Variant SKU": "TR-9-RED", "Variant Grams": "300.0",
     "Variant Inventory Qty": "5", "Variant Price": "120.00",
     "Variant Compare At Price": "150.00", "Variant Barcode": "0123", "Image Src": UNREACHABLE,
     "Image Position": "1", "Image Alt Text": "Trail runner, side", "SEO Title": "Trail Runner",
     "SEO Description": "A grippy trail shoe.", "Status": "active"},
    # line 4-6: continuation rows with more variants, then one with only an image
    {"Handle": "trail-runner", "Option1 Value": "9", "Option2 Value": "Blue",
     "Variant SKU": "TR-9-BLUE", "Variant Grams": "300", "Variant Inventory Qty": "3",
     "Variant Price": "120.00"},
    {"Handle": "trail-runner", "Option1 Value": "10", "Option2 Value": "Red",
     "Variant SKU": "TR-10-RED", "Variant Grams": "310", "Variant Inventory Qty": "0",
     "Variant Price": "125.50"},
    {"Handle": "trail-runner", "Image Src": "http://127.0.0.1:9/sole.jpg",
     "Image Position": "2", "Image Alt Text": "Trail runner, sole"},
    # line 7: Shopify's single-variant product ("Title: Default Title")
    {"Handle": "camp-mug", "Title": "Camp Mug", "Body (HTML)": "<p>Enamel mug.</p>",
     "Vendor": "Campfire Co", "Type": "Kitchen", "Tags": "mug", "Published": "TRUE",
     "Option1 Name": "Title", "Option1 Value": "Default Title", "Variant SKU": "MUG-1",
     "Variant Grams": "250", "Variant Inventory Qty": "12", "Variant Price": "18.00",
     "Status": "active"},
    # line 8-9: variants without SKUs get stable derived ones
    {"Handle": "wool-cap", "Title": "Wool Cap", "Body (HTML)": "<p>Warm.</p>",
     "Vendor": "Loom", "Type": "Apparel", "Published": "TRUE", "Option1 Name": "Color",
     "Option1 Value": "Grey", "Variant Price": "24.00", "Variant Inventory Qty": "4"},
    {"Handle": "wool-cap", "Option1 Value": "Navy", "Variant Price": "24.00",
     "Variant Inventory Qty": "2"},
    # line 10: a draft stays unpublished
    {"Handle": "prototype", "Title": "Prototype", "Published": "TRUE", "Status": "draft",
     "Variant SKU": "PROTO-1", "Variant Price": "1.00"},
]


def write_csv(path, rows, *, bom=False):
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow(row)
    path.write_text(("\ufeff" if bom else "") + buffer.getvalue(), encoding="utf-8")
    return path


def run_import(path, *args):
    out, err = io.StringIO(), io.StringIO()
    call_command("import_products", str(path), *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


@pytest.fixture
def warehouse():
    return WarehouseFactory(code="east", priority=10)


@pytest.fixture
def good_file(tmp_path):
    return write_csv(tmp_path / "products.csv", GOOD_ROWS, bom=True)


def test_a_good_file_imports_products_variants_images_and_stock(good_file, warehouse):
    out, err = run_import(good_file)

    assert err == ""
    assert ("Products: 4 created, 0 updated, 0 unchanged. Variants: 7 created, 0 updated, "
            "0 unchanged. Images: 2 recorded, 0 fetched. Stock: 5 levels set, 5 movements. "
            "Skipped: 0 of 8 rows.") in out
    shoe = Product.objects.get(slug="trail-runner")
    assert shoe.title == "Trail Runner" and shoe.vendor == "Summit Lab" and shoe.is_published
    assert "<script>" not in shoe.description and "<b>trail</b>" in shoe.description
    assert shoe.category.name == "Shoes" and shoe.tag_list == ["running", "trail"]
    assert shoe.seo_description == "A grippy trail shoe."
    assert [o.name for o in shoe.options.order_by("position")] == ["Size", "Color"]
    red9 = Variant.objects.get(sku="TR-9-RED")
    assert (red9.price, red9.compare_at_price, red9.weight_grams, red9.barcode, red9.title) == (
        Decimal("120.00"), Decimal("150.00"), 300, "0123", "9 / Red")
    assert Variant.objects.get(sku="TR-10-RED").price == Decimal("125.50")
    assert Variant.objects.get(sku="MUG-1").title == ""  # "Default Title" is no option
    assert set(Product.objects.get(slug="wool-cap").variants.values_list("sku", flat=True)) == {
        "WOOL-CAP-GREY", "WOOL-CAP-NAVY"}
    assert not Product.objects.get(slug="prototype").is_published
    stock = dict(StockLevel.objects.filter(warehouse=warehouse)
                 .values_list("variant__sku", "on_hand"))
    assert stock == {"TR-9-RED": 5, "TR-9-BLUE": 3, "MUG-1": 12, "WOOL-CAP-GREY": 4,
                     "WOOL-CAP-NAVY": 2}
    assert set(StockMovement.objects.values_list("kind", flat=True)) == {"receipt"}
    assert stock_ledger_mismatches() == []


def test_unreachable_image_urls_are_recorded_without_a_file(good_file, warehouse):
    run_import(good_file)

    images = ProductImage.objects.filter(product__slug="trail-runner").order_by("position")
    assert [(i.source_url, bool(i.image), i.alt_text, i.position) for i in images] == [
        (UNREACHABLE, False, "Trail runner, side", 0),
        ("http://127.0.0.1:9/sole.jpg", False, "Trail runner, sole", 1),
    ]


def test_reimporting_the_same_file_changes_nothing(good_file, warehouse):
    run_import(good_file)
    before = {
        "products": list(Product.objects.order_by("pk").values_list("pk", "updated_at")),
        "variants": list(Variant.objects.order_by("pk").values_list("pk", "updated_at")),
        "images": ProductImage.objects.count(),
        "movements": StockMovement.objects.count(),
        "categories": Category.objects.count(),
    }

    out, _ = run_import(good_file)

    assert "Products: 0 created, 0 updated, 4 unchanged." in out
    assert "Variants: 0 created, 0 updated, 7 unchanged." in out
    assert "Images: 0 recorded" in out and "Stock: 0 levels set, 0 movements." in out
    assert before == {
        "products": list(Product.objects.order_by("pk").values_list("pk", "updated_at")),
        "variants": list(Variant.objects.order_by("pk").values_list("pk", "updated_at")),
        "images": ProductImage.objects.count(),
        "movements": StockMovement.objects.count(),
        "categories": Category.objects.count(),
    }


def test_reimporting_a_changed_price_and_quantity_updates_with_one_count_adjustment(
        tmp_path, good_file, warehouse):
    run_import(good_file)
    changed = [dict(row) for row in GOOD_ROWS]
    changed[1].update({"Variant Price": "99.00", "Variant Inventory Qty": "7"})
    changed[0]["Title"] = "Trail Runner 2"

    out, _ = run_import(write_csv(tmp_path / "changed.csv", changed))

    assert "Products: 0 created, 1 updated, 3 unchanged." in out
    assert "Variants: 0 created, 1 updated, 6 unchanged." in out
    blue = Variant.objects.get(sku="TR-9-BLUE")
    assert blue.price == Decimal("99.00")
    assert Product.objects.get(slug="trail-runner").title == "Trail Runner 2"
    adjustments = StockMovement.objects.filter(kind="count_adjustment")
    assert [(m.stock_level.variant.sku, m.quantity, m.on_hand_after) for m in adjustments] == [
        ("TR-9-BLUE", 4, 7)]
    assert stock_ledger_mismatches() == []


def test_bad_rows_are_reported_with_line_numbers_and_good_rows_still_import(
        tmp_path, warehouse):
    other = ProductFactory(slug="someone-else")
    make_variant(other, sku="TAKEN-1")
    rows = [
        {"Handle": "lamp", "Title": "Lamp", "Option1 Name": "Color", "Option1 Value": "Black",
         "Variant SKU": "LAMP-BLACK", "Variant Price": "40.00", "Variant Inventory Qty": "2"},
        {"Handle": "lamp", "Option1 Value": "White", "Variant SKU": "LAMP-WHITE",
         "Variant Price": "abc"},                                               # line 3
        {"Handle": "lamp", "Option1 Value": "Brass", "Variant SKU": "LAMP-BRASS",
         "Variant Price": "45.00", "Variant Inventory Qty": "-3"},              # line 4
        {"Handle": "lamp", "Option1 Value": "Black", "Variant SKU": "LAMP-BLACK-2",
         "Variant Price": "40.00"},                                             # line 5
        {"Handle": "lamp", "Option1 Value": "Red", "Variant SKU": "TAKEN-1",
         "Variant Price": "40.00"},                                             # line 6
        {"Handle": "", "Title": "Nameless", "Variant Price": "1.00"},           # line 7
        {"Handle": "ghost", "Variant SKU": "GHOST-1", "Variant Price": "1.00"},  # line 8
        {"Handle": "lamp", "Option1 Value": "Green", "Variant SKU": "LAMP-GREEN",
         "Variant Price": "41.00", "Variant Grams": "12.5"},                    # line 9
        {"Handle": "shade", "Title": "Shade", "Variant SKU": "SHADE-1",
         "Variant Price": "12.00", "Variant Inventory Qty": "1"},               # line 10
        {"Handle": "lamp", "Option1 Value": "Grey\x00", "Variant SKU": "LAMP-GREY",
         "Variant Price": "40.00"},                                             # line 11
    ]

    out, err = run_import(write_csv(tmp_path / "bad.csv", rows))

    assert err.splitlines() == [
        "line 3: lamp: Variant Price 'abc' is not a number.",
        "line 4: lamp: Variant Inventory Qty '-3' is negative.",
        "line 5: lamp: Lamp already has a variant LAMP-BLACK with these options.",
        "line 6: lamp: SKU TAKEN-1 already belongs to another product (Product 0).".replace(
            "Product 0", other.title),
        "line 7: Handle is empty.",
        "line 8: ghost: no row with a Title for this handle.",
        "line 9: lamp: Variant Grams '12.5' is not a whole number.",
        "line 11: The row contains a null character.",
    ]
    assert "Skipped: 8 of 10 rows." in out
    assert set(Variant.objects.filter(product__slug="lamp").values_list("sku", flat=True)) == {
        "LAMP-BLACK"}
    assert Variant.objects.filter(sku="SHADE-1").exists()
    # The refused rows wrote nothing: no variant, no stock, no stray option value.
    assert not Variant.objects.filter(sku__in=["LAMP-WHITE", "LAMP-BRASS"]).exists()
    assert not Product.objects.filter(slug="ghost").exists()
    lamp_values = Product.objects.get(slug="lamp").options.get().values
    assert set(lamp_values.values_list("value", flat=True)) == {"Black"}
    assert stock_ledger_mismatches() == []


def test_a_file_that_is_not_a_shopify_export_is_refused(tmp_path, warehouse):
    not_shopify = tmp_path / "orders.csv"
    not_shopify.write_text("Name,Email\nA,a@example.com\n")

    with pytest.raises(CommandError, match="no Handle column"):
        run_import(not_shopify)
    with pytest.raises(CommandError, match="No such file"):
        run_import(tmp_path / "missing.csv")
    with pytest.raises(CommandError, match="No active warehouse"):
        run_import(not_shopify, "--warehouse", "nowhere")
    assert Product.objects.count() == 0


def test_without_a_warehouse_the_import_creates_main(good_file):
    run_import(good_file, "--no-fetch-images")

    assert StockLevel.objects.filter(warehouse__code="main").count() == 5


@pytest.fixture
def image_server(tmp_path, png_bytes, settings):
    settings.SHOP_IMPORT_ALLOWED_PRIVATE_HOSTS = ["127.0.0.1"]  # the supplier's own server
    (tmp_path / "www").mkdir()
    (tmp_path / "www" / "shoe.png").write_bytes(png_bytes(300, 200))
    (tmp_path / "www" / "notes.txt").write_text("not an image")
    handler = functools.partial(http.server.SimpleHTTPRequestHandler,
                                directory=str(tmp_path / "www"))
    handler.log_message = lambda *args: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_reachable_image_urls_are_fetched_and_re_encoded(tmp_path, image_server, warehouse,
                                                          django_capture_on_commit_callbacks):
    rows = [{"Handle": "shoe", "Title": "Shoe", "Variant SKU": "SHOE-1", "Variant Price": "9",
             "Image Src": f"{image_server}/shoe.png", "Image Alt Text": "Shoe, side"},
            {"Handle": "shoe", "Image Src": f"{image_server}/notes.txt"}]

    with django_capture_on_commit_callbacks(execute=True):
        out, _ = run_import(write_csv(tmp_path / "shoe.csv", rows))

    assert "Images: 2 recorded, 1 fetched." in out
    assert "notes.txt is not an image; recorded the URL." in out
    fetched = ProductImage.objects.get(source_url__endswith="shoe.png")
    assert fetched.image.name.endswith(".jpg") and fetched.thumbnail_small
    with fetched.image.open("rb") as handle:
        assert Image.open(handle).size == (300, 200)
    assert not ProductImage.objects.get(source_url__endswith="notes.txt").image


def test_no_fetch_images_records_urls_only(tmp_path, image_server, warehouse):
    rows = [{"Handle": "shoe", "Title": "Shoe", "Variant SKU": "SHOE-1", "Variant Price": "9",
             "Image Src": f"{image_server}/shoe.png"}]

    out, _ = run_import(write_csv(tmp_path / "shoe.csv", rows), "--no-fetch-images")

    assert "Images: 1 recorded, 0 fetched." in out
    assert not ProductImage.objects.get().image


def test_progress_bar_on_request(good_file, warehouse):
    _, err = run_import(good_file, "--progress", "--no-fetch-images")

    assert "Importing [" in err and "8/8 rows" in err


def test_image_urls_at_internal_addresses_are_never_fetched(tmp_path, image_server, warehouse,
                                                             settings):
    """A CSV is data from elsewhere: its image URLs may not reach the shop's own network
    (loopback, private, link-local addresses) unless the host is allow-listed."""
    settings.SHOP_IMPORT_ALLOWED_PRIVATE_HOSTS = []
    rows = [{"Handle": "shoe", "Title": "Shoe", "Variant SKU": "SHOE-1", "Variant Price": "9",
             "Image Src": f"{image_server}/shoe.png"},
            {"Handle": "shoe", "Image Src": "http://169.254.169.254/latest/meta-data/"}]

    out, _ = run_import(write_csv(tmp_path / "shoe.csv", rows))

    assert "Images: 2 recorded, 0 fetched." in out
    assert not any(image.image for image in ProductImage.objects.all())
