"""The import's batched lane gives exactly what the row-by-row path gives."""

import csv
import io

import pytest
from django.core.management import call_command

import inventory.shopify_batch as shopify_batch
from catalog.models import OptionValue, Product, ProductOption, Variant
from inventory.models import StockLevel, StockMovement
from inventory.selectors import stock_ledger_mismatches
from shop.webhooks.models import LowStockMark
from tests.benchmarks.run_import_bench import COLUMNS, sample
from tests.factories import WarehouseFactory

pytestmark = pytest.mark.django_db


def write(path, rows):
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    return path


def snapshot() -> dict:
    """Everything the import writes, keyed by what a re-import matches on (not ids)."""
    products = {p.slug: (p.title, p.description, p.description_text, p.vendor, p.product_type,
                         p.tags, p.is_published, p.seo_title, p.seo_description,
                         p.category.slug, str(p.search_vector))
                for p in Product.objects.select_related("category")}
    options = sorted((o.product.slug, o.name, o.position)
                     for o in ProductOption.objects.select_related("product"))
    values = sorted((v.option.product.slug, v.option.name, v.value, v.position)
                    for v in OptionValue.objects.select_related("option__product"))
    variants = {v.sku: (v.product.slug, v.title, v.price, v.compare_at_price, v.barcode,
                        v.weight_grams, v.is_active, v.position, v.currency,
                        tuple(sorted(ov.value for ov in v.option_values.all())))
                for v in Variant.objects.select_related("product").prefetch_related(
                    "option_values")}
    levels = sorted((s.variant.sku, s.warehouse.code, s.on_hand, s.allocated)
                    for s in StockLevel.objects.select_related("variant", "warehouse"))
    movements = sorted((m.stock_level.variant.sku, m.kind, m.quantity, m.on_hand_after,
                        m.reason, m.reference)
                       for m in StockMovement.objects.select_related("stock_level__variant"))
    # The low-stock check ran for every new level (one task per batch instead of per level).
    marks = sorted(m.stock_level.variant.sku
                   for m in LowStockMark.objects.select_related("stock_level__variant"))
    return {"products": products, "options": options, "values": values,
            "variants": variants, "levels": levels, "movements": movements, "marks": marks}


def rows_with_trouble() -> list[dict]:
    rows = [row for n in range(1, 6) for row in sample(n)]
    rows += [
        # a bad price (skipped row), a SKU given twice in one product, a SKU another
        # product of the file already has, an image row, a handle with no title
        {"Handle": "bad-price", "Title": "Bad price", "Variant SKU": "BAD-1",
         "Variant Price": "abc"},
        {"Handle": "twice", "Title": "Twice", "Option1 Name": "Size", "Option1 Value": "S",
         "Variant SKU": "TWICE", "Variant Price": "1.00", "Variant Inventory Qty": "2"},
        {"Handle": "twice", "Option1 Value": "M", "Variant SKU": "TWICE",
         "Variant Price": "2.00"},
        {"Handle": "thief", "Title": "Thief", "Variant SKU": "MUG-1", "Variant Price": "3"},
        {"Handle": "pictured", "Title": "Pictured", "Variant SKU": "PIC-1",
         "Variant Price": "5", "Image Src": "http://127.0.0.1:9/a.jpg"},
        {"Handle": "orphan", "Variant SKU": "ORPHAN", "Variant Price": "1"},
    ]
    rows += [row for n in range(6, 9) for row in sample(n)]
    return rows


def run(path):
    out, err = io.StringIO(), io.StringIO()
    call_command("import_products", str(path), "--no-fetch-images", stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_batched_import_writes_what_the_row_by_row_import_writes(
        tmp_path, monkeypatch, django_capture_on_commit_callbacks):
    WarehouseFactory(code="east", priority=10)
    path = write(tmp_path / "products.csv", rows_with_trouble())
    monkeypatch.setattr(shopify_batch, "FAST_LANE", False)
    with django_capture_on_commit_callbacks(execute=True):
        slow_report = run(path)
    slow = snapshot()
    assert slow["marks"]
    LowStockMark.objects.all().delete()
    Variant.option_values.through.objects.all().delete()
    StockMovement.objects.all().delete()
    StockLevel.objects.all().delete()
    Variant.objects.all().delete()
    Product.objects.all().delete()
    monkeypatch.setattr(shopify_batch, "FAST_LANE", True)
    monkeypatch.setattr(shopify_batch, "BATCH_PRODUCTS", 7)  # several batches
    with django_capture_on_commit_callbacks(execute=True):
        fast_report = run(path)
    assert fast_report == slow_report
    assert "Skipped: 3 of" in fast_report[0]
    assert snapshot() == slow
    assert not stock_ledger_mismatches()
    # and re-importing the file changes nothing
    assert "0 created" in run(path)[0]
    assert snapshot() == slow


def test_a_batch_of_new_products_costs_a_fixed_number_of_queries(tmp_path):
    WarehouseFactory(code="east", priority=10)
    run(write(tmp_path / "first.csv", sample(100)))  # creates the categories
    small = write(tmp_path / "small.csv", [row for n in range(1, 3) for row in sample(n)])
    large = write(tmp_path / "large.csv", [row for n in range(3, 43) for row in sample(n)])
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        run(small)
    with CaptureQueriesContext(connection) as many:
        run(large)
    assert len(many.captured_queries) == len(few.captured_queries)
