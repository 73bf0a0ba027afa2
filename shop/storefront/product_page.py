"""The product page's catalog part (product, gallery, active variants with their option values)
in three queries whose SQL is compiled once per process (``PreparedRead``).

Most product views in a large shop are first views since the catalog last changed: the
catalog part is not cached yet, so its reads are on the page's path. Built through the ORM
with prefetches, they cost about 5 ms of query compiling a view; prepared, they cost what
PostgreSQL needs. The result has the shape ``catalog.selectors.product_for_page`` gives (the
attributes ``gallery`` and ``active_variants``, each variant's ``option_values`` prefetched
with their option), so views, templates and the cache take either.
"""

from __future__ import annotations

from catalog.models import Category, OptionValue, Product, ProductImage, ProductOption, Variant
from kernel.prepared import PreparedRead

# Listings never read these and neither does the page: the search vector stays deferred.
_PRODUCT_FIELDS = [field.attname for field in Product._meta.concrete_fields
                   if field.attname != "search_vector"]
_IMAGE_FIELDS = [field.attname for field in ProductImage._meta.concrete_fields]
_VARIANT_FIELDS = [field.attname for field in Variant._meta.concrete_fields]
_OPTION_FIELDS = ["id", "product_id", "name", "position"]
_VALUE_FIELDS = ["id", "option_id", "value", "position"]
# One row per variant and option value (LEFT JOIN: a variant without options has one row).
_VALUE_COLUMNS = ["option_values__id", "option_values__value", "option_values__position",
                  "option_values__option__id", "option_values__option__product_id",
                  "option_values__option__name", "option_values__option__position"]

_PRODUCT = PreparedRead(
    lambda slug: Product.objects.filter(is_published=True, slug=slug)
    .values_list(*_PRODUCT_FIELDS),
    sentinel="prepared-read-sentinel-slug")
_GALLERY = PreparedRead(
    lambda product_id: ProductImage.objects.filter(product_id=product_id).exclude(image="")
    .order_by("position", "pk").values_list(*_IMAGE_FIELDS))
_VARIANTS = PreparedRead(
    lambda product_id: Variant.objects.filter(product_id=product_id, is_active=True)
    .order_by("position", "pk", "option_values__option__position", "option_values__position",
              "option_values__id")
    .values_list(*_VARIANT_FIELDS, *_VALUE_COLUMNS))


def _prefetched(values: list[OptionValue]):
    """``values`` as Django's prefetch keeps them: a queryset already evaluated."""
    queryset = OptionValue.objects.all()
    queryset._result_cache, queryset._prefetch_done = values, True
    return queryset


def product_catalog_part(slug: str, *, categories: dict[int, Category]) -> Product | None:
    """A published product with ``gallery`` and ``active_variants`` (option values and their
    options prefetched); its category taken from ``categories`` (the cached tree) when there,
    else read when first used. Three queries; one for a slug that is no published product."""
    db = Product.objects.db
    rows = _PRODUCT.rows(slug, using=db)
    if not rows:
        return None
    product = Product.from_db(db, _PRODUCT_FIELDS, rows[0])
    if product.category_id in categories:
        product.category = categories[product.category_id]
    product.gallery = [ProductImage.from_db(db, _IMAGE_FIELDS, row)
                       for row in _GALLERY.rows(product.pk, using=db)]
    variants: dict[int, tuple[Variant, list[OptionValue]]] = {}
    options: dict[int, ProductOption] = {}
    width = len(_VARIANT_FIELDS)
    for row in _VARIANTS.rows(product.pk, using=db):
        variant_id = row[0]
        if variant_id not in variants:
            variants[variant_id] = (Variant.from_db(db, _VARIANT_FIELDS, row[:width]), [])
        value_id, value, position, option_id, option_product_id, name, option_position = \
            row[width:]
        if value_id is None:
            continue
        option = options.get(option_id)
        if option is None:
            option = options[option_id] = ProductOption.from_db(
                db, _OPTION_FIELDS, (option_id, option_product_id, name, option_position))
        option_value = OptionValue.from_db(db, _VALUE_FIELDS,
                                           (value_id, option_id, value, position))
        option_value.option = option
        variants[variant_id][1].append(option_value)
    product.active_variants = []
    for variant, values in variants.values():
        variant.product = product  # as the prefetch sets it
        variant._prefetched_objects_cache = {"option_values": _prefetched(values)}
        product.active_variants.append(variant)
    return product
