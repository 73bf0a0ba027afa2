"""The import's fast lane: new products written in batches.

Most rows of a large import are new products whose every row is valid. For those the
importer needs no savepoint per row and no lookup per variant: ``NewProductBatch`` checks a
product's rows in Python (the same checks, in the same order, as the row-by-row path),
queues it, and writes a batch of them with ``catalog.bulk_import.create_products`` and
``inventory.services.receive_first_stock``: a fixed number of queries per batch.

Anything else (a handle or SKU already in the shop, a row with an image, a row the row-by-row
path would refuse or report, a SKU or option combination given twice) is left to the
row-by-row path, which then gives exactly today's result and messages. The batch is written
before such a product, so the file's order still decides who gets a SKU first.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, transaction
from django.utils.text import slugify

from catalog.bulk_import import NewProduct, NewVariant, create_products
from catalog.models import MAX_OPTIONS_PER_PRODUCT, Category, Product, Variant
from kernel.errors import ShopError

from . import services as inventory_services

# ``Row`` and the importer are shopify_import's (which imports this module): typed loosely.
Row = Any
BATCH_PRODUCTS = 500
FAST_LANE = True  # off: every product row by row (the tests compare the two)
IMPORT_REFERENCE = "csv-import"  # the ledger reference of every import
LOOKUP_CHUNK = 2000


@dataclass
class Plan:
    handle: str
    rows: list[Row]
    skus: list[str] = field(default_factory=list)  # SKUs its rows would create or touch
    fast: bool = False  # every row checked and fine: the fast lane gives the same result
    head: Row | None = None
    variants: list[NewVariant] = field(default_factory=list)
    quantities: list[int | None] = field(default_factory=list)
    new_product: NewProduct | None = None


def _existing(model, column: str, values: Iterable[str]) -> set[str]:
    values, found = list(values), set()
    for start in range(0, len(values), LOOKUP_CHUNK):
        found.update(model.objects.filter(**{f"{column}__in": values[start:start + LOOKUP_CHUNK]})
                     .values_list(column, flat=True))
    return found


class NewProductBatch:
    def __init__(self, importer: Any, groups: dict[str, list[Row]]):
        self.importer = importer
        self.queue: list[Plan] = []
        self.categories: dict[str, Category] = {}
        self.enabled = FAST_LANE and importer.warehouse.is_active
        self.claimed_skus: set[str] = set()
        self.plans = {handle: self._plan(handle, rows) for handle, rows in groups.items()}
        # Two queries for the whole file: which handles and SKUs the shop already has.
        self.known_handles = _existing(Product, "slug", groups)
        every_sku = {sku for plan in self.plans.values() for sku in plan.skus}
        self.known_skus = _existing(Variant, "sku", every_sku)

    def take(self, handle: str, rows: list[Row]) -> bool:
        """Queue a new product if the fast lane gives the same result; else False."""
        plan = self.plans.pop(handle)
        fast = (self.enabled and plan.fast and handle not in self.known_handles
                and not any(sku in self.known_skus or sku in self.claimed_skus
                            for sku in plan.skus))
        # Whatever path the product takes, its SKUs are spoken for by the file's order.
        self.claimed_skus.update(plan.skus)
        if not fast:
            return False
        fields = self.importer._product_fields(plan.head)
        plan.new_product = NewProduct(
            product=Product(slug=handle, category=self._category_for(plan.head), **fields),
            variants=plan.variants)
        self.queue.append(plan)
        if len(self.queue) >= BATCH_PRODUCTS:
            self.flush()
        return True

    def flush(self) -> None:
        """Write the queued products; if the database refuses the batch (a row changed
        under us), roll it back and let the row-by-row path take them one by one."""
        queue, self.queue = self.queue, []
        if not queue:
            return
        report = self.importer.report
        try:
            with transaction.atomic():
                create_products(new_products=[plan.new_product for plan in queue])
                stock = [(new.variant_id, quantity) for plan in queue
                         for new, quantity in zip(plan.variants, plan.quantities, strict=True)
                         if quantity]
                inventory_services.receive_first_stock(
                    quantities=stock, warehouse=self.importer.warehouse,
                    reference=IMPORT_REFERENCE,
                    reason=f"Imported from {self.importer.path.name}")
        except (IntegrityError, ShopError):
            for plan in queue:
                self.importer._import_product(plan.handle, plan.rows)
            return
        report.products_created += len(queue)
        report.variants_created += sum(len(plan.variants) for plan in queue)
        report.stock_levels_set += len(stock)
        report.stock_movements += len(stock)

    # --- checking a product's rows ------------------------------------------------------

    def _plan(self, handle: str, rows: list[Row]) -> Plan:
        importer = self.importer
        plan = Plan(handle=handle, rows=rows,
                    head=next((row for row in rows if row.get("Title")), None))
        option_names = importer._option_names(rows)
        combinations = set()
        fast = plan.head is not None
        for row in rows:
            if row.get("Image Src"):
                fast = False
            if not row.has_variant:
                continue
            try:
                options = importer._options_of(row, option_names)
                if row.get("Option4 Value") or row.get("Option4 Name"):
                    fast = False
                    continue
                price = importer._amount(row, "Variant Price", required=True)
                compare_at = importer._amount(row, "Variant Compare At Price")
                grams = importer._whole_number(row, "Variant Grams") or 0
                sku = row.get("Variant SKU") or importer._derived_sku(handle, options)
                quantity = importer._whole_number(row, "Variant Inventory Qty")
            except ShopError:
                fast = False
                continue
            combination = frozenset(options.items())
            if (len(sku) > 64 or sku in plan.skus or len(row.get("Variant Barcode")) > 64
                    or (options and combination in combinations)
                    or len(options) > MAX_OPTIONS_PER_PRODUCT
                    or any(len(name) > 60 or len(value) > 120
                           for name, value in options.items())):
                fast = False
            plan.skus.append(sku)
            combinations.add(combination)
            plan.variants.append(NewVariant(
                sku=sku, price=price, compare_at_price=compare_at,
                barcode=row.get("Variant Barcode"), weight_grams=grams, options=options))
            plan.quantities.append(quantity)
        used = [name for name in option_names
                if name and any(name in new.options for new in plan.variants)]
        if len({name.lower() for name in used}) != len(used):
            fast = False
        plan.fast = fast
        return plan

    def _category_for(self, row: Row) -> Category:
        """The importer's own choice, remembered per slug (categories are never deleted
        during an import); looked up in the database on first use as before."""
        if self.importer.category is not None:
            return self.importer.category
        slug = slugify(row.get("Type") or "Imported")[:140] or "imported"
        if slug not in self.categories:
            self.categories[slug] = self.importer._category_for(row)
        return self.categories[slug]
