"""Every write to the catalog goes through these functions."""

from __future__ import annotations

import io
from collections.abc import Iterable, Mapping
from decimal import Decimal
from functools import partial

from django.core.files.base import ContentFile
from django.db import connection, transaction
from django.db.models import F, Value
from django.db.models.functions import Concat, Substr
from django.utils import timezone
from django.utils.text import slugify
from PIL import Image, UnidentifiedImageError

from kernel.money import quantize

from . import locks, signals
from .exceptions import CatalogError
from .listing_cache import catalog_changed
from .models import (
    MAX_OPTIONS_PER_PRODUCT,
    Category,
    ClearanceDiscount,
    OptionValue,
    Product,
    ProductImage,
    ProductOption,
    Variant,
)

# Largest original we accept: big enough for any product photo, small enough to resize.
MAX_IMAGE_PIXELS = 40_000_000
MAX_IMAGE_BYTES = 20 * 1024 * 1024
IMAGE_FORMATS = {"JPEG", "PNG", "GIF", "WEBP"}


def _path_for(category: Category) -> str:
    parent_path = category.parent.path if category.parent_id else ""
    return f"{parent_path}{category.pk:06d}/"


@transaction.atomic
def save_category(*, category: Category) -> Category:
    """Save a new or changed category and keep the tree's materialized paths right.

    Moving a category under one of its own descendants is refused. When the parent
    changes, every descendant's path and depth are rewritten in one UPDATE each.
    """
    if category.parent_id and category.pk:
        parent = locks.category_for_update(category.parent_id)
        if category.pk in parent.ancestor_ids:
            raise CatalogError("A category cannot be moved under itself or its own subcategory.")
    old_path = ""
    if category.pk:
        stored = Category.objects.filter(pk=category.pk).values_list("path", flat=True)
        old_path = stored.first() or ""
    if not category.slug:
        category.slug = unique_slug(Category, category.name)
    category.save()
    new_path = _path_for(category)
    category.depth = new_path.count("/") - 1
    if new_path != category.path:
        category.path = new_path
        category.save(update_fields=["path", "depth"])
    if old_path and old_path != new_path:
        # One UPDATE moves the whole subtree, whatever its size.
        depth_shift = new_path.count("/") - old_path.count("/")
        Category.objects.filter(path__startswith=old_path).exclude(pk=category.pk).update(
            path=Concat(Value(new_path), Substr("path", len(old_path) + 1)),
            depth=F("depth") + depth_shift,
        )
        catalog_changed()
    return category


def create_category(*, name: str, parent: Category | None = None, slug: str = "",
                    description: str = "", position: int = 0) -> Category:
    """Create a category under ``parent`` (or at the root) with a unique slug."""
    category = Category(name=name, parent=parent, slug=slug, description=description,
                        position=position)
    return save_category(category=category)


def unique_slug(model, text: str, *, exclude_pk: int | None = None) -> str:
    base = slugify(text)[:100] or "item"
    candidate, counter = base, 2
    queryset = model.objects.exclude(pk=exclude_pk) if exclude_pk else model.objects.all()
    while queryset.filter(slug=candidate).exists():
        candidate = f"{base}-{counter}"
        counter += 1
    return candidate


@transaction.atomic
def save_product(*, product: Product) -> Product:
    """Save a product (description sanitised by the model) and refresh its search entry."""
    if not product.slug:
        product.slug = unique_slug(Product, product.title)
    product.save()
    refresh_search_vectors(product_ids=[product.pk])
    return product


def refresh_search_vectors(*, product_ids: Iterable[int] | None = None) -> int:
    """Recompute the full-text search vector (PostgreSQL only; SQLite searches by LIKE).

    Title weighs most, then vendor, type and tags, then the description and SKUs.
    """
    if connection.vendor != "postgresql":
        return 0
    from django.contrib.postgres.search import SearchVector

    queryset = Product.objects.all()
    if product_ids is not None:
        queryset = queryset.filter(pk__in=list(product_ids))
    return queryset.update(
        search_vector=SearchVector("title", weight="A", config="english")
        + SearchVector("vendor", "product_type", "tags", weight="B", config="english")
        + SearchVector("description_text", weight="C", config="english")
    )


@transaction.atomic
def set_products_published(*, product_ids: Iterable[int], published: bool) -> int:
    """Publish or unpublish products in bulk; returns how many changed."""
    changed = (
        Product.objects.filter(pk__in=list(product_ids))
        .exclude(is_published=published)
        .update(is_published=published)
    )
    if changed:
        catalog_changed()
    return changed


def _ensure_option_values(product: Product, options: Mapping[str, str]) -> list[OptionValue]:
    if len(options) > MAX_OPTIONS_PER_PRODUCT:
        raise CatalogError(f"A product has at most {MAX_OPTIONS_PER_PRODUCT} options.")
    existing = {option.name.lower(): option for option in product.options.all()}
    values = []
    for name, value in options.items():
        name, value = name.strip(), str(value).strip()
        if not name or not value:
            raise CatalogError("Option names and values cannot be empty.")
        option = existing.get(name.lower())
        if option is None:
            if len(existing) >= MAX_OPTIONS_PER_PRODUCT:
                raise CatalogError(
                    f"{product.title} already has {MAX_OPTIONS_PER_PRODUCT} options; "
                    f"cannot add {name!r}."
                )
            option = ProductOption.objects.create(
                product=product, name=name, position=len(existing) + 1
            )
            existing[name.lower()] = option
        option_value, _ = OptionValue.objects.get_or_create(
            option=option, value=value,
            defaults={"position": option.values.count()},
        )
        values.append(option_value)
    return sorted(values, key=lambda item: item.option.position)


@transaction.atomic
def save_variant(
    *,
    product: Product,
    sku: str,
    price: Decimal,
    options: Mapping[str, str] | None = None,
    compare_at_price: Decimal | None = None,
    barcode: str = "",
    weight_grams: int = 0,
    is_active: bool = True,
    currency: str | None = None,
    position: int | None = None,
) -> Variant:
    """Create the variant with ``sku``, or update it if it exists for this product.

    Guarantees: at most three options per product, one variant per combination of
    option values, a SKU belongs to one product, prices are non-negative Decimals.
    """
    sku = sku.strip()
    if not sku:
        raise CatalogError("A variant needs a SKU.")
    if price is None or Decimal(price) < 0:
        raise CatalogError(f"{sku}: price must be zero or more.")
    if compare_at_price is not None and Decimal(compare_at_price) < 0:
        raise CatalogError(f"{sku}: compare-at price must be zero or more.")
    if weight_grams < 0:
        raise CatalogError(f"{sku}: weight cannot be negative.")
    variant = locks.variant_by_sku_for_update(sku)
    if variant is not None and variant.product_id != product.pk:
        raise CatalogError(f"SKU {sku} already belongs to another product ({variant.product}).")
    values = _ensure_option_values(product, options or {})
    value_ids = {value.pk for value in values}
    for other in product.variants.exclude(sku=sku).prefetch_related("option_values"):
        if value_ids and {value.pk for value in other.option_values.all()} == value_ids:
            raise CatalogError(
                f"{product.title} already has a variant {other.sku} with these options."
            )
    if variant is None:
        variant = Variant(product=product, sku=sku)
        if position is None:
            position = product.variants.count()
    variant.price = Decimal(price)
    variant.compare_at_price = Decimal(compare_at_price) if compare_at_price is not None else None
    variant.barcode = barcode.strip()
    variant.weight_grams = weight_grams
    variant.is_active = is_active
    if currency:
        variant.currency = currency.upper()
    if position is not None:
        variant.position = position
    variant.title = " / ".join(value.value for value in values)
    variant.save()
    if values:
        variant.option_values.set(values)
    return variant


def _validated_image(content: bytes) -> Image.Image:
    if len(content) > MAX_IMAGE_BYTES:
        raise CatalogError("The file is too large (more than 20 MB).")
    try:
        image = Image.open(io.BytesIO(content))
        if image.format not in IMAGE_FORMATS:
            raise UnidentifiedImageError(f"{image.format} is not accepted")
        if image.width * image.height > MAX_IMAGE_PIXELS:
            raise CatalogError("The image is too large (more than 40 megapixels).")
        image.verify()
    except (UnidentifiedImageError, OSError, SyntaxError) as error:
        raise CatalogError(
            "The file is not an image we can read (JPEG, PNG, GIF or WebP)."
        ) from error
    return Image.open(io.BytesIO(content))


@transaction.atomic
def add_product_image(
    *,
    product: Product,
    content: bytes | None = None,
    filename: str = "",
    alt_text: str = "",
    position: int | None = None,
    source_url: str = "",
) -> ProductImage:
    """Attach an image to a product; thumbnails follow from a task after commit.

    ``content`` is validated and re-encoded (so no crafted file is stored as-is). With
    only a ``source_url``, the URL is recorded without a file. Alt text defaults to
    the product title so no image goes without it.
    """
    if content is None and not source_url:
        raise CatalogError("An image needs a file or a source URL.")
    image_row = ProductImage(
        product=product,
        alt_text=(alt_text or product.title).strip()[:200],
        source_url=source_url,
        position=product.images.count() if position is None else position,
    )
    if content is not None:
        picture = _validated_image(content)
        stem = slugify((filename or product.slug).rsplit(".", 1)[0])[:60] or "image"
        image_row.image.save(f"{stem}.jpg", ContentFile(_encode_jpeg(picture)), save=False)
    image_row.save()
    if image_row.image:
        transaction.on_commit(partial(signals.image_uploaded.send, sender=ProductImage,
                                      image_id=image_row.pk))
    return image_row


def _encode_jpeg(picture: Image.Image, *, max_width: int | None = None) -> bytes:
    picture = picture.convert("RGB")
    if max_width and picture.width > max_width:
        height = round(picture.height * max_width / picture.width)
        picture = picture.resize((max_width, height), Image.Resampling.LANCZOS)
    buffer = io.BytesIO()
    picture.save(buffer, format="JPEG", quality=85, optimize=True, progressive=True)
    return buffer.getvalue()


def generate_thumbnails(*, image_id: int, force: bool = False) -> ProductImage | None:
    """Write the small, medium and large thumbnails of one image.

    Idempotent: an image whose thumbnails exist is left alone unless ``force``. The
    resizing happens outside any transaction; only the final write is short.
    """
    image_row = ProductImage.objects.filter(pk=image_id).first()
    if image_row is None or not image_row.image:
        return None
    if not force and all(getattr(image_row, f"thumbnail_{size}") for size in ProductImage.Size):
        return image_row
    with image_row.image.open("rb") as handle:
        picture = Image.open(io.BytesIO(handle.read()))
        picture.load()
    stem = image_row.image.name.rsplit("/", 1)[-1].rsplit(".", 1)[0]
    names = {}
    for size, width in ProductImage.THUMBNAIL_WIDTHS.items():
        field = getattr(image_row, f"thumbnail_{size}")
        field.save(f"{stem}-{width}.jpg", ContentFile(_encode_jpeg(picture, max_width=width)),
                   save=False)
        names[f"thumbnail_{size}"] = field.name
    with transaction.atomic():
        ProductImage.objects.filter(pk=image_id).update(**names)
        catalog_changed()  # cards and product pages cached with the original show thumbnails
    image_row.refresh_from_db()
    return image_row


# --- Cost price and clearance ---------------------------------------------------------------


def set_cost_price(*, variant_id: int, cost_price: Decimal) -> Variant:
    """Record what one unit of a variant costs the shop (inventory's weighted average of
    receipts). Locks the variant row; call inside the caller's transaction or alone."""
    if cost_price is None or Decimal(cost_price) < 0:
        raise CatalogError("A cost price must be zero or more.")
    with transaction.atomic():
        variant = locks.variant_for_update(variant_id)
        variant.cost_price = quantize(Decimal(cost_price), variant.currency)
        variant.save(update_fields=["cost_price", "updated_at"])
    return variant


def start_clearance(*, variant_ids: Iterable[int], percent_off: Decimal,
                    ends_at, user=None) -> list[ClearanceDiscount]:
    """Mark variants down by ``percent_off`` until ``ends_at``.

    Preconditions: 0 < percent_off < 100, ends_at in the future, no clearance already
    running on any of the variants (all are refused together, nothing written).
    Guarantees: variants locked in pk order; each gets price = price x (1 - percent/100)
    rounded to the currency, and a compare-at price showing the old price (or the
    compare-at price it already had, if higher); the old prices are kept to restore.
    """
    try:
        percent_off = Decimal(percent_off)
    except (TypeError, ArithmeticError) as error:
        raise CatalogError("Percent off must be a number.") from error
    if not Decimal("0") < percent_off < Decimal("100"):
        raise CatalogError("Percent off must be more than 0 and less than 100.")
    if ends_at is None or ends_at <= timezone.now():
        raise CatalogError("A clearance must end in the future.")
    ids = sorted(set(variant_ids))
    if not ids:
        raise CatalogError("Choose at least one variant to put on clearance.")
    with transaction.atomic():
        variants = locks.variants_for_update(ids)
        running = set(ClearanceDiscount.objects.filter(variant_id__in=ids, ended_at__isnull=True)
                      .values_list("variant__sku", flat=True))
        if running:
            raise CatalogError(f"Already on clearance: {', '.join(sorted(running))}.")
        made = []
        for variant in variants:
            new_price = quantize(variant.price * (100 - percent_off) / 100, variant.currency)
            shown_was = variant.price
            if variant.compare_at_price is not None and variant.compare_at_price > shown_was:
                shown_was = variant.compare_at_price
            made.append(ClearanceDiscount.objects.create(
                variant=variant, percent_off=percent_off, original_price=variant.price,
                original_compare_at_price=variant.compare_at_price, clearance_price=new_price,
                ends_at=ends_at, created_by=user if getattr(user, "is_authenticated", False)
                else None))
            variant.price, variant.compare_at_price = new_price, shown_was
            variant.save(update_fields=["price", "compare_at_price", "updated_at"])
    return made


def end_clearance(*, clearance_id: int) -> bool:
    """End one clearance and put the price back. Idempotent: an ended one is left alone.

    The old price and compare-at price come back only when the variant still has the
    clearance price; a price someone set meanwhile wins. Returns whether it ended now.
    """
    with transaction.atomic():
        clearance = locks.clearance_for_update(clearance_id)
        if clearance is None or clearance.ended_at is not None:
            return False
        variant = locks.variant_for_update(clearance.variant_id)
        if variant.price == clearance.clearance_price:
            variant.price = clearance.original_price
            variant.compare_at_price = clearance.original_compare_at_price
            variant.save(update_fields=["price", "compare_at_price", "updated_at"])
        clearance.ended_at = timezone.now()
        clearance.save(update_fields=["ended_at"])
    return True


def end_expired_clearances(*, now=None) -> int:
    """End every clearance past its end (the beat task calls this). Safe to run twice."""
    now = now or timezone.now()
    ids = list(ClearanceDiscount.objects.filter(ended_at__isnull=True, ends_at__lte=now)
               .order_by("pk").values_list("pk", flat=True))
    return sum(end_clearance(clearance_id=clearance_id) for clearance_id in ids)


__all__ = [
    "add_product_image",
    "end_clearance",
    "end_expired_clearances",
    "set_cost_price",
    "start_clearance",
    "create_category",
    "generate_thumbnails",
    "refresh_search_vectors",
    "save_category",
    "save_product",
    "save_variant",
    "set_products_published",
    "unique_slug",
]

