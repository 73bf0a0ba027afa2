"""Catalog data: a category tree, products with up to three options, variants and images."""

import html
import re
from decimal import Decimal

import nh3
from django.conf import settings
from django.contrib.postgres.search import SearchVectorField
from django.core.validators import MinValueValidator
from django.db import models
from django.urls import reverse
from django.utils.html import strip_tags

# Tags and attributes a product description may keep; everything else (script, style,
# event handlers, iframes) is stripped when the product is saved.
DESCRIPTION_TAGS = {
    "p", "br", "strong", "b", "em", "i", "u", "ul", "ol", "li", "h2", "h3", "h4",
    "blockquote", "a", "span", "table", "thead", "tbody", "tr", "th", "td", "hr",
}
DESCRIPTION_ATTRIBUTES = {"a": {"href", "title"}, "td": {"colspan"}, "th": {"colspan", "scope"}}

MAX_OPTIONS_PER_PRODUCT = 3


def sanitise_description(html: str) -> str:
    return nh3.clean(
        html or "",
        tags=DESCRIPTION_TAGS,
        attributes=DESCRIPTION_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
    ).strip()


# Tags that end a block of text: replaced by a space, so "<p>One.</p><p>Two</p>" reads
# "One. Two", while inline tags ("un<em>break</em>able") join as written.
BLOCK_BOUNDARY = re.compile(
    r"<\s*/?\s*(?:p|br|li|ul|ol|h[1-6]|blockquote|table|thead|tbody|tr|th|td|hr|div)\b[^>]*>",
    re.IGNORECASE)


def description_plain_text(description: str) -> str:
    """A sanitised description as plain text (search, the API, the meta description):
    blocks separated by a space, entities decoded ("Hearth &amp; Iron" -> "Hearth & Iron"),
    whitespace collapsed."""
    text = strip_tags(BLOCK_BOUNDARY.sub(" ", description or ""))
    return " ".join(html.unescape(text).split())


class Category(models.Model):
    """A node of the category tree.

    ``path`` is the materialized path of primary keys ("000001/000007/"), kept by
    ``catalog.services``: descendants are ``path__startswith`` and breadcrumbs are the
    ids in the path, so neither needs a recursive query.
    """

    name = models.CharField(max_length=120)
    slug = models.SlugField(max_length=140, unique=True)
    parent = models.ForeignKey(
        "self", null=True, blank=True, related_name="children", on_delete=models.PROTECT
    )
    path = models.CharField(max_length=255, db_index=True, editable=False, default="")
    depth = models.PositiveSmallIntegerField(default=0, editable=False)
    position = models.PositiveIntegerField(default=0)
    description = models.TextField(blank=True)
    is_active = models.BooleanField(default=True)
    seo_title = models.CharField(max_length=70, blank=True)
    seo_description = models.CharField(max_length=160, blank=True)

    class Meta:
        ordering = ["path"]
        verbose_name_plural = "categories"

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("storefront:category", kwargs={"slug": self.slug})

    @property
    def ancestor_ids(self) -> list[int]:
        """Primary keys from the root down to this category, itself included."""
        return [int(part) for part in self.path.split("/") if part]


class Product(models.Model):
    title = models.CharField(max_length=200)
    slug = models.SlugField(max_length=220, unique=True)
    category = models.ForeignKey(Category, related_name="products", on_delete=models.PROTECT)
    description = models.TextField(blank=True, help_text="HTML; unsafe markup is removed on save.")
    description_text = models.TextField(blank=True, editable=False)
    vendor = models.CharField(max_length=120, blank=True)
    product_type = models.CharField(max_length=120, blank=True)
    tags = models.CharField(max_length=500, blank=True, help_text="Comma-separated.")
    is_published = models.BooleanField(default=False, db_index=True)
    is_featured = models.BooleanField(default=False)
    final_sale = models.BooleanField(
        default=False, help_text="Final sale: bought as is, not returnable. Orders keep the "
                                 "flag they were placed with.")
    seo_title = models.CharField(max_length=70, blank=True)
    seo_description = models.CharField(max_length=160, blank=True)
    search_vector = SearchVectorField(null=True, editable=False)
    # Kept by reviews.services when a review is approved, rejected or removed: the product
    # card shows the rating without a query of its own.
    rating_average = models.DecimalField(max_digits=3, decimal_places=2, null=True, blank=True,
                                         editable=False)
    rating_count = models.PositiveIntegerField(default=0, editable=False)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["title"]
        indexes = [
            models.Index(fields=["category", "is_published"]),
            # The storefront's "featured" and "name" sorts (catalog.selectors.SORTS): a
            # listing's first pages walk these in order and stop, instead of sorting a
            # third of a large catalog (100,000 products: 124 -> 14 ms, 166 -> 10 ms).
            models.Index(fields=["-is_featured", "title"], condition=models.Q(is_published=True),
                         name="product_featured_listing"),
            models.Index(fields=["title", "id"], condition=models.Q(is_published=True),
                         name="product_name_listing"),
        ]

    def __str__(self) -> str:
        return self.title

    def save(self, *args, **kwargs):
        # Sanitising is part of what the data is, not a workflow: no path may store raw HTML.
        self.description = sanitise_description(self.description)
        self.description_text = description_plain_text(self.description)
        self.tags = ", ".join(self.tag_list)
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "description" in update_fields:
            kwargs["update_fields"] = {*update_fields, "description_text"}
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("storefront:product", kwargs={"slug": self.slug})

    @property
    def tag_list(self) -> list[str]:
        seen: dict[str, None] = {}
        for tag in (self.tags or "").split(","):
            if tag.strip():
                seen.setdefault(tag.strip(), None)
        return list(seen)

    @property
    def page_title(self) -> str:
        return self.seo_title or self.title

    @property
    def page_description(self) -> str:
        return self.seo_description or self.description_text[:160]


class ProductOption(models.Model):
    """One of at most three options of a product, such as Size or Color."""

    product = models.ForeignKey(Product, related_name="options", on_delete=models.CASCADE)
    name = models.CharField(max_length=60)
    position = models.PositiveSmallIntegerField()

    class Meta:
        ordering = ["product", "position"]
        constraints = [
            models.UniqueConstraint(fields=["product", "position"], name="option_unique_position"),
            models.UniqueConstraint(fields=["product", "name"], name="option_unique_name"),
            models.CheckConstraint(
                condition=models.Q(position__gte=1, position__lte=MAX_OPTIONS_PER_PRODUCT),
                name="option_position_1_to_3",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.product}: {self.name}"


class OptionValue(models.Model):
    option = models.ForeignKey(ProductOption, related_name="values", on_delete=models.CASCADE)
    value = models.CharField(max_length=120)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["option__position", "position", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["option", "value"], name="option_value_unique"),
        ]

    def __str__(self) -> str:
        return self.value


class Variant(models.Model):
    product = models.ForeignKey(Product, related_name="variants", on_delete=models.CASCADE)
    sku = models.CharField("SKU", max_length=64, unique=True)
    barcode = models.CharField(max_length=64, blank=True, db_index=True)
    title = models.CharField(max_length=200, blank=True, help_text="Option values, e.g. M / Red.")
    option_values = models.ManyToManyField(OptionValue, related_name="variants", blank=True)
    price = models.DecimalField(
        max_digits=12, decimal_places=2, validators=[MinValueValidator(Decimal("0"))]
    )
    compare_at_price = models.DecimalField(
        max_digits=12, decimal_places=2, null=True, blank=True,
        validators=[MinValueValidator(Decimal("0"))],
    )
    currency = models.CharField(max_length=3, default=settings.SHOP_CURRENCY)
    cost_price = models.DecimalField(
        max_digits=12, decimal_places=2, null=True, blank=True,
        validators=[MinValueValidator(Decimal("0"))],
        help_text="What one unit costs the shop (weighted average of receipts), in the "
                  "variant's currency; empty when unknown.",
    )
    weight_grams = models.PositiveIntegerField(default=0)
    is_active = models.BooleanField(default=True)
    position = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["product", "position", "pk"]
        constraints = [
            models.CheckConstraint(condition=models.Q(price__gte=0),
                                   name="variant_price_not_negative"),
            models.CheckConstraint(
                condition=models.Q(cost_price__isnull=True) | models.Q(cost_price__gte=0),
                name="variant_cost_not_negative"),
            models.CheckConstraint(
                condition=models.Q(compare_at_price__isnull=True)
                | models.Q(compare_at_price__gte=0),
                name="variant_compare_at_not_negative",
            ),
        ]
        indexes = [models.Index(fields=["product", "is_active", "price"])]

    def __str__(self) -> str:
        return f"{self.product.title} — {self.title}" if self.title else self.product.title

    @property
    def is_on_sale(self) -> bool:
        return self.compare_at_price is not None and self.compare_at_price > self.price


def product_image_path(instance: "ProductImage", filename: str) -> str:
    return f"products/{instance.product_id}/{filename}"


def thumbnail_path(instance: "ProductImage", filename: str) -> str:
    return f"products/{instance.product_id}/thumbs/{filename}"


class ProductImage(models.Model):
    """A product photo. Thumbnails are generated by a task after the image is saved.

    An image imported by URL that could not be fetched keeps ``source_url`` and no file;
    the storefront shows only images that have a file.
    """

    class Size(models.TextChoices):
        SMALL = "small", "Small (160px)"
        MEDIUM = "medium", "Medium (480px)"
        LARGE = "large", "Large (1024px)"

    THUMBNAIL_WIDTHS = {Size.SMALL: 160, Size.MEDIUM: 480, Size.LARGE: 1024}

    product = models.ForeignKey(Product, related_name="images", on_delete=models.CASCADE)
    image = models.ImageField(upload_to=product_image_path, blank=True, width_field="width",
                              height_field="height")
    width = models.PositiveIntegerField(null=True, blank=True, editable=False)
    height = models.PositiveIntegerField(null=True, blank=True, editable=False)
    alt_text = models.CharField(max_length=200)
    position = models.PositiveIntegerField(default=0)
    source_url = models.URLField(max_length=1000, blank=True)
    thumbnail_small = models.ImageField(upload_to=thumbnail_path, blank=True, editable=False)
    thumbnail_medium = models.ImageField(upload_to=thumbnail_path, blank=True, editable=False)
    thumbnail_large = models.ImageField(upload_to=thumbnail_path, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["product", "position", "pk"]

    def __str__(self) -> str:
        return self.alt_text

    def url_for(self, size: str) -> str:
        """The thumbnail of ``size`` when generated, else the original file."""
        thumbnail = getattr(self, f"thumbnail_{size}")
        if thumbnail:
            return thumbnail.url
        return self.image.url if self.image else ""

    @property
    def small_url(self) -> str:
        return self.url_for(self.Size.SMALL)

    @property
    def medium_url(self) -> str:
        return self.url_for(self.Size.MEDIUM)

    @property
    def large_url(self) -> str:
        return self.url_for(self.Size.LARGE)


class ClearanceDiscount(models.Model):
    """A timed markdown of one variant: while it runs, the variant's price is the
    clearance price and its compare-at price shows what it was. ``catalog.services``
    starts and ends it (a beat task ends those past ``ends_at``); ending restores the
    price it replaced, unless someone has set another price meanwhile."""

    variant = models.ForeignKey(Variant, related_name="clearances", on_delete=models.CASCADE)
    percent_off = models.DecimalField(max_digits=5, decimal_places=2)
    original_price = models.DecimalField(max_digits=12, decimal_places=2)
    original_compare_at_price = models.DecimalField(max_digits=12, decimal_places=2,
                                                    null=True, blank=True)
    clearance_price = models.DecimalField(max_digits=12, decimal_places=2)
    starts_at = models.DateTimeField(auto_now_add=True)
    ends_at = models.DateTimeField(db_index=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["-starts_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["variant"], condition=models.Q(ended_at__isnull=True),
                                    name="one_running_clearance_per_variant"),
            models.CheckConstraint(condition=models.Q(percent_off__gt=0, percent_off__lt=100),
                                   name="clearance_percent_between_0_and_100"),
        ]

    def __str__(self) -> str:
        return f"{self.variant.sku} −{self.percent_off}% until {self.ends_at:%Y-%m-%d}"

    @property
    def is_running(self) -> bool:
        return self.ended_at is None
