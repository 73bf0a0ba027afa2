"""Import products from Shopify's product CSV export.

Lives in inventory (not catalog) because a row also sets stock, and catalog may not
import inventory. Every write goes through ``catalog.services`` and ``inventory.services``.

Shopify's format: one row per variant, grouped by ``Handle``. The first row of a product
carries its fields (Title, Body (HTML), Vendor, ...) and the option names; the rows after
it ("continuation rows") carry only another variant's option values and fields, or only
another image (``Image Src``). Re-importing a file updates what changed and adds nothing
twice: products are matched by handle (our slug), variants by SKU and images by URL.

A variant without a SKU gets a stable one from its handle and option values
(``DAYPACK-L-BLUE``), so re-importing matches it again.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils.text import slugify

from catalog import services as catalog_services
from catalog.models import (
    MAX_OPTIONS_PER_PRODUCT,
    Category,
    Product,
    ProductImage,
    Variant,
    sanitise_description,
)
from kernel import outbound
from kernel.errors import ShopError
from kernel.money import parse_amount

from . import services as inventory_services
from .models import StockLevel, Warehouse
from .shopify_batch import IMPORT_REFERENCE, NewProductBatch

REQUIRED_COLUMNS = {"Handle"}
KNOWN_COLUMNS = {
    "Handle", "Title", "Body (HTML)", "Vendor", "Type", "Tags", "Published", "Status",
    "Option1 Name", "Option1 Value", "Option2 Name", "Option2 Value", "Option3 Name",
    "Option3 Value", "Variant SKU", "Variant Grams", "Variant Inventory Qty", "Variant Price",
    "Variant Compare At Price", "Variant Barcode", "Image Src", "Image Position",
    "Image Alt Text", "SEO Title", "SEO Description",
}
VARIANT_COLUMNS = ("Variant SKU", "Variant Price", "Option1 Value", "Variant Grams",
                   "Variant Inventory Qty", "Variant Barcode", "Variant Compare At Price")
# Shopify writes this option for products that have a single variant and no real options.
DEFAULT_OPTION = ("Title", "Default Title")
MAX_IMAGE_BYTES = 10 * 1024 * 1024
FETCH_TIMEOUT_SECONDS = 5


class RowError(ShopError):
    """A row cannot be imported; the message says why."""


@dataclass
class Row:
    line: int
    values: dict[str, str]

    def get(self, column: str) -> str:
        return (self.values.get(column) or "").strip()

    @property
    def has_variant(self) -> bool:
        return any(self.get(column) for column in VARIANT_COLUMNS)


@dataclass
class ImportReport:
    products_created: int = 0
    products_updated: int = 0
    products_unchanged: int = 0
    variants_created: int = 0
    variants_updated: int = 0
    variants_unchanged: int = 0
    images_added: int = 0
    images_fetched: int = 0
    stock_levels_set: int = 0
    stock_movements: int = 0
    rows_read: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)
    notes: list[tuple[int, str]] = field(default_factory=list)

    @property
    def rows_skipped(self) -> int:
        return len({line for line, _ in self.errors})

    def summary(self) -> str:
        return (
            f"Products: {self.products_created} created, {self.products_updated} updated, "
            f"{self.products_unchanged} unchanged. "
            f"Variants: {self.variants_created} created, {self.variants_updated} updated, "
            f"{self.variants_unchanged} unchanged. "
            f"Images: {self.images_added} recorded, {self.images_fetched} fetched. "
            f"Stock: {self.stock_levels_set} levels set, {self.stock_movements} movements. "
            f"Skipped: {self.rows_skipped} of {self.rows_read} rows."
        )


class ProgressBar:
    """``Importing [#####-----] 120/240 rows`` on one line of stderr, redrawn in place."""

    def __init__(self, total: int, write: Callable[[str], object], width: int = 30):
        self.total, self.width, self.write = max(total, 1), width, write

    def update(self, done: int) -> None:
        filled = round(self.width * done / self.total)
        self.write(f"\rImporting [{'#' * filled}{'-' * (self.width - filled)}] "
                   f"{done}/{self.total} rows")

    def finish(self) -> None:
        self.write("\n")


def read_rows(path: Path) -> list[Row]:
    """The CSV's rows, each with the physical line it starts on (the header is line 1).

    Raises ValueError when the file has no ``Handle`` column (not a Shopify export).
    """
    with open(path, encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        header = set(reader.fieldnames or [])
        if not REQUIRED_COLUMNS <= header:
            raise ValueError(
                f"{path} has no Handle column: is it a Shopify product CSV export? "
                f"(found: {', '.join(sorted(header)) or 'nothing'})"
            )
        rows, start = [], reader.line_num + 1
        for values in reader:
            rows.append(Row(line=start, values=values))
            start = reader.line_num + 1
    return rows


def fetch_image(url: str) -> bytes | None:
    """The image at ``url`` if it can be had quickly (http/https only, at most 10 MB).

    Through ``kernel.outbound``: never to a loopback, private or otherwise internal address
    (a CSV is data from elsewhere) unless the host is in SHOP_IMPORT_ALLOWED_PRIVATE_HOSTS,
    and no redirects followed.
    """
    try:
        reply = outbound.send(url, method="GET", headers={"User-Agent": "storefront-import/1.0"},
                              timeout=FETCH_TIMEOUT_SECONDS, max_bytes=MAX_IMAGE_BYTES + 1,
                              allowed_private_hosts=settings.SHOP_IMPORT_ALLOWED_PRIVATE_HOSTS)
    except outbound.CouldNotConnect:
        return None
    content = reply.body
    if reply.status_code != 200:
        return None
    return content if 0 < len(content) <= MAX_IMAGE_BYTES else None


class ShopifyProductImport:
    """One run of an import. ``run()`` returns the report; it raises only for a bad file."""

    def __init__(self, *, path: Path, warehouse: Warehouse, category: Category | None = None,
                 fetch_images: bool = True,
                 fetch: Callable[[str], bytes | None] = fetch_image,
                 progress: Callable[[str], object] | None = None):
        self.path, self.warehouse, self.category = path, warehouse, category
        self.fetch_images, self.fetch = fetch_images, fetch
        self.write_progress = progress
        self.report = ImportReport()

    def run(self) -> ImportReport:
        rows = read_rows(self.path)
        self.report.rows_read = len(rows)
        self.progress = ProgressBar(len(rows), self.write_progress) if self.write_progress else None
        groups: dict[str, list[Row]] = {}
        done = 0
        for row in rows:
            handle = slugify(row.get("Handle"))
            if any("\x00" in (value or "") for value in row.values.values()):
                self.report.errors.append((row.line, "The row contains a null character."))
                continue
            if not handle:
                self.report.errors.append((row.line, "Handle is empty."))
                continue
            groups.setdefault(handle, []).append(row)
        # New products whose rows are all fine go in batches; the rest row by row, in the
        # file's order (the batch so far is written first).
        batch = NewProductBatch(self, groups)
        for handle, group in groups.items():
            if not batch.take(handle, group):
                batch.flush()
                self._import_product(handle, group)
            done += len(group)
            if self.progress:
                self.progress.update(done)
        batch.flush()
        if self.progress:
            self.progress.finish()
        return self.report

    # --- products -----------------------------------------------------------------------

    def _import_product(self, handle: str, rows: list[Row]) -> None:
        head = next((row for row in rows if row.get("Title")), None)
        product = Product.objects.filter(slug=handle).first()
        if head is None and product is None:
            for row in rows:
                self.report.errors.append(
                    (row.line, f"{handle}: no row with a Title for this handle."))
            return
        # Images are fetched before any transaction: no row is locked while we wait.
        downloads = self._download_images(product, rows)
        try:
            with transaction.atomic():
                if head is not None:
                    product = self._save_product(handle, head, product)
                option_names = self._option_names(rows)
                for row in rows:
                    self._import_row(product, row, option_names, handle, downloads)
        except ShopError as error:
            line = head.line if head else rows[0].line
            self.report.errors.append((line, f"{handle}: {error.message}"))

    @staticmethod
    def _product_fields(row: Row) -> dict:
        status = row.get("Status").lower()
        published = row.get("Published").lower() in {"true", "yes", "1"} if row.get(
            "Published") else status in {"", "active"}
        if status in {"draft", "archived"}:
            published = False
        return {
            "title": row.get("Title")[:200],
            "description": row.values.get("Body (HTML)") or "",
            "vendor": row.get("Vendor")[:120],
            "product_type": row.get("Type")[:120],
            "tags": row.get("Tags")[:500],
            "is_published": published,
            "seo_title": row.get("SEO Title")[:70],
            "seo_description": row.get("SEO Description")[:160],
        }

    def _save_product(self, handle: str, row: Row, product: Product | None) -> Product:
        wanted = self._product_fields(row)
        if product is None:
            product = Product(slug=handle, category=self._category_for(row), **wanted)
            self.report.products_created += 1
            return catalog_services.save_product(product=product)
        probe = Product(**wanted)
        probe.description = sanitise_description(probe.description)
        probe.tags = ", ".join(probe.tag_list)
        if all(getattr(product, name) == getattr(probe, name) for name in wanted):
            self.report.products_unchanged += 1
            return product
        for name, value in wanted.items():
            setattr(product, name, value)
        self.report.products_updated += 1
        return catalog_services.save_product(product=product)

    def _category_for(self, row: Row) -> Category:
        if self.category is not None:
            return self.category
        name = row.get("Type") or "Imported"
        slug = slugify(name)[:140] or "imported"
        existing = Category.objects.filter(slug=slug).first()
        return existing or catalog_services.create_category(name=name[:120], slug=slug)

    @staticmethod
    def _option_names(rows: list[Row]) -> list[str]:
        """Option names as given on the product's first row that names them."""
        for row in rows:
            names = [row.get(f"Option{n} Name") for n in range(1, MAX_OPTIONS_PER_PRODUCT + 1)]
            if any(names):
                return names
        return ["", "", ""]

    # --- variants, stock, images ---------------------------------------------------------

    def _import_row(self, product: Product, row: Row, option_names: list[str], handle: str,
                    downloads: dict[str, bytes | None]) -> None:
        try:
            with transaction.atomic():  # a savepoint: a bad row undoes only itself
                if row.has_variant:
                    self._import_variant(product, row, option_names, handle)
                if row.get("Image Src"):
                    self._import_image(product, row, downloads)
        except ShopError as error:
            self.report.errors.append((row.line, f"{handle}: {error.message}"))

    def _import_variant(self, product: Product, row: Row, option_names: list[str],
                        handle: str) -> None:
        options = self._options_of(row, option_names)
        if row.get("Option4 Value") or row.get("Option4 Name"):
            raise RowError(f"a product has at most {MAX_OPTIONS_PER_PRODUCT} options.")
        price = self._amount(row, "Variant Price", required=True)
        compare_at = self._amount(row, "Variant Compare At Price")
        grams = self._whole_number(row, "Variant Grams") or 0
        sku = row.get("Variant SKU") or self._derived_sku(handle, options)
        wanted = {
            "price": price, "compare_at_price": compare_at, "barcode": row.get("Variant Barcode"),
            "weight_grams": grams, "title": " / ".join(options.values()),
        }
        variant = Variant.objects.filter(sku=sku).prefetch_related(
            "option_values__option").first()
        if variant is not None and variant.product_id == product.pk and variant.is_active and all(
            getattr(variant, name) == value for name, value in wanted.items()
        ) and self._options_of_variant(variant) == options:
            self.report.variants_unchanged += 1
        else:
            self.report.variants_created += variant is None
            self.report.variants_updated += variant is not None
            variant = catalog_services.save_variant(
                product=product, sku=sku, price=price, compare_at_price=compare_at,
                options=options, barcode=row.get("Variant Barcode"), weight_grams=grams,
            )
        quantity = self._whole_number(row, "Variant Inventory Qty")
        if quantity is not None:
            self._set_stock(variant, quantity)

    @staticmethod
    def _options_of(row: Row, option_names: list[str]) -> dict[str, str]:
        options = {}
        for number, name in enumerate(option_names, start=1):
            value = row.get(f"Option{number} Value")
            if not value:
                continue
            if not name:
                raise RowError(f"Option{number} Value {value!r} has no Option{number} Name "
                               "on the product's first row.")
            if (name, value) != DEFAULT_OPTION:
                options[name] = value
        return options

    @staticmethod
    def _options_of_variant(variant: Variant) -> dict[str, str]:
        return {value.option.name: value.value for value in sorted(
            variant.option_values.all(), key=lambda item: item.option.position)}

    @staticmethod
    def _derived_sku(handle: str, options: dict[str, str]) -> str:
        parts = [handle, *(slugify(value) for value in options.values())]
        return "-".join(part for part in parts if part).upper()[:64]

    @staticmethod
    def _amount(row: Row, column: str, *, required: bool = False) -> Decimal | None:
        text = row.get(column)
        if not text:
            if required:
                raise RowError(f"{column} is missing.")
            return None
        try:
            amount = parse_amount(text)
        except ValueError as error:
            raise RowError(f"{column} {text!r} is not a number.") from error
        if amount < 0:
            raise RowError(f"{column} {text!r} is negative.")
        if amount >= Decimal("10000000000"):
            raise RowError(f"{column} {text!r} is too large.")
        return amount

    @staticmethod
    def _whole_number(row: Row, column: str) -> int | None:
        text = row.get(column)
        if not text:
            return None
        try:
            number = parse_amount(text)
        except ValueError as error:
            raise RowError(f"{column} {text!r} is not a number.") from error
        if number != number.to_integral_value():
            raise RowError(f"{column} {text!r} is not a whole number.")
        if number < 0:
            raise RowError(f"{column} {text!r} is negative.")
        if number > 10**9:
            raise RowError(f"{column} {text!r} is too large.")
        return int(number)

    def _set_stock(self, variant: Variant, quantity: int) -> None:
        """Make on-hand in the import warehouse equal the file's quantity, with a ledger
        line for the difference (a receipt the first time, a count adjustment after)."""
        level = StockLevel.objects.filter(variant=variant, warehouse=self.warehouse).first()
        current = level.on_hand if level else 0
        if quantity == current:
            return
        self.report.stock_levels_set += 1
        if level is None or not level.movements.exists():
            if quantity > 0:
                inventory_services.receive_stock(
                    variant=variant, warehouse=self.warehouse, quantity=quantity,
                    reference=IMPORT_REFERENCE, reason=f"Imported from {self.path.name}",
                )
                self.report.stock_movements += 1
            return
        inventory_services.adjust_stock_count(
            variant=variant, warehouse=self.warehouse, counted=quantity,
            reason=f"CSV import ({self.path.name})", reference=IMPORT_REFERENCE,
        )
        self.report.stock_movements += 1

    def _download_images(self, product: Product | None,
                         rows: Iterable[Row]) -> dict[str, bytes | None]:
        urls = [row.get("Image Src") for row in rows if row.get("Image Src")]
        if product is not None:
            known = set(ProductImage.objects.filter(product=product, source_url__in=urls)
                        .values_list("source_url", flat=True))
            urls = [url for url in urls if url not in known]
        if not self.fetch_images:
            return {url: None for url in urls}
        return {url: self.fetch(url) for url in dict.fromkeys(urls)}

    def _import_image(self, product: Product, row: Row, downloads: dict[str, bytes | None]):
        url = row.get("Image Src")
        if len(url) > 1000:
            raise RowError("Image Src is longer than 1000 characters.")
        if ProductImage.objects.filter(product=product, source_url=url).exists():
            return
        content = downloads.get(url)
        position = self._whole_number(row, "Image Position")
        alt_text = row.get("Image Alt Text") or product.title
        try:
            catalog_services.add_product_image(
                product=product, content=content, source_url=url, alt_text=alt_text,
                position=position - 1 if position else None,
            )
            self.report.images_fetched += content is not None
        except ShopError:
            # The URL answered with something that is not an image: keep the URL only.
            catalog_services.add_product_image(product=product, source_url=url,
                                               alt_text=alt_text)
            self.report.notes.append((row.line, f"{url} is not an image; recorded the URL."))
        self.report.images_added += 1


def import_products(*, path: Path, warehouse: Warehouse, category: Category | None = None,
                    fetch_images: bool = True, progress: Callable[[str], object] | None = None,
                    fetch: Callable[[str], bytes | None] = fetch_image) -> ImportReport:
    """Import a Shopify product CSV. Raises ValueError if the file is not one.

    ``progress``, when given, receives the progress bar's text to write.
    """
    return ShopifyProductImport(path=path, warehouse=warehouse, category=category,
                                fetch_images=fetch_images, fetch=fetch,
                                progress=progress).run()
