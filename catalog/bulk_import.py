"""Creating many new products at once (the product CSV import), in a fixed number of
queries per batch instead of a dozen per variant.

The result is the same rows ``services.save_product`` and ``services.save_variant`` would
write one by one: sanitised descriptions, options numbered in the order values first
appear, option values numbered within their option, variants numbered in order and
titled by their values in option order, search vectors. No ``post_save`` fires (bulk
inserts send none): the catalog version is bumped once with ``catalog_changed()``.

Preconditions (the caller checks them; a violation raises IntegrityError and the caller's
transaction rolls back): every slug and SKU is new, option names are distinct within a
product (case-insensitively), option-value combinations are distinct within a product,
at most three options per product.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django.db import connection, transaction

from .listing_cache import catalog_changed
from .models import (
    OptionValue,
    Product,
    ProductOption,
    Variant,
    description_plain_text,
    sanitise_description,
)
from .services import refresh_search_vectors


@dataclass
class NewVariant:
    sku: str
    price: Decimal
    compare_at_price: Decimal | None = None
    barcode: str = ""
    weight_grams: int = 0
    options: dict[str, str] = field(default_factory=dict)  # option name -> value, in order
    variant_id: int | None = None  # set once created


@dataclass
class NewProduct:
    product: Product  # unsaved, its fields set
    variants: list[NewVariant] = field(default_factory=list)


def insert_rows(model, columns: list[str], rows: list[tuple], *, returning: bool = False
                ) -> list[int]:
    """INSERT many rows with no model instance per row: ``columns`` (attnames, such as
    ``variant_id``) take each row's values, every other column the value a new instance
    would save (its default, ``auto_now``), worked out once.

    For the largest tables of a bulk write (link rows, stock levels, ledger lines):
    ``bulk_create`` spends most of its time building and preparing one model instance per
    row. Row values must be what the database stores (ids, ints, Decimals, strings).
    Returns the new ids in row order when ``returning`` is set. Other databases than
    PostgreSQL go through ``bulk_create``.
    """
    if not rows:
        return []
    if connection.vendor != "postgresql":
        created = model.objects.bulk_create([model(**dict(zip(columns, row, strict=True)))
                                             for row in rows])
        return [item.pk for item in created] if returning else []
    from psycopg2.extras import execute_values

    template = model()
    fixed = [field for field in model._meta.concrete_fields
             if not field.primary_key and field.attname not in columns]
    constants = tuple(field.get_db_prep_save(field.pre_save(template, add=True), connection)
                      for field in fixed)
    names = ", ".join(connection.ops.quote_name(model._meta.get_field(column).column)
                      for column in columns)
    names += "".join(f", {connection.ops.quote_name(field.column)}" for field in fixed)
    table = connection.ops.quote_name(model._meta.db_table)
    sql = f"INSERT INTO {table} ({names}) VALUES %s"  # nosec B608 # quoted model names; values bound
    if returning:
        sql += " RETURNING id"
    with connection.cursor() as cursor:
        # Django's cursor wraps psycopg2's; execute_values needs the driver's own.
        found = execute_values(cursor.cursor, sql, [row + constants for row in rows],
                               page_size=5000, fetch=returning)
    return [row[0] for row in found] if returning else []


def _prepare(product: Product) -> None:
    """What ``Product.save`` does to the fields before writing (bulk inserts skip it)."""
    product.description = sanitise_description(product.description)
    product.description_text = description_plain_text(product.description)
    product.tags = ", ".join(product.tag_list)


@transaction.atomic
def create_products(*, new_products: list[NewProduct]) -> None:
    """Insert the products with their options, values and variants: five INSERTs and one
    search-vector UPDATE whatever the batch size. Each ``NewVariant.variant_id`` is set."""
    if not new_products:
        return
    for item in new_products:
        _prepare(item.product)
    Product.objects.bulk_create([item.product for item in new_products])
    # Options and values as plain rows: [product_id, name, position] and
    # [option index, value, position]; their ids come back in the same order.
    options: list[tuple] = []
    values: list[tuple] = []
    variant_rows, chosen_of = [], []
    for item in new_products:
        product_options: dict[str, tuple[int, int, list]] = {}  # name -> index, position, count
        value_index: dict[tuple[str, str], int] = {}
        for position, new in enumerate(item.variants):
            chosen = []
            for name, value in new.options.items():
                if name not in product_options:
                    product_options[name] = (len(options), len(product_options) + 1, [0])
                    options.append((item.product.pk, name, len(product_options)))
                option_index, option_position, count = product_options[name]
                if (name, value) not in value_index:
                    value_index[(name, value)] = len(values)
                    values.append((option_index, value, count[0]))
                    count[0] += 1
                chosen.append((option_position, value_index[(name, value)], value))
            chosen.sort()
            chosen_of.append([index for _, index, _ in chosen])
            variant_rows.append((
                item.product.pk, new.sku, Decimal(new.price),
                Decimal(new.compare_at_price) if new.compare_at_price is not None else None,
                new.barcode.strip(), new.weight_grams, True, position,
                " / ".join(value for _, _, value in chosen)))
    option_ids = insert_rows(ProductOption, ["product_id", "name", "position"], options,
                             returning=True)
    value_ids = insert_rows(OptionValue, ["option_id", "value", "position"],
                            [(option_ids[index], value, position)
                             for index, value, position in values], returning=True)
    variant_ids = insert_rows(
        Variant, ["product_id", "sku", "price", "compare_at_price", "barcode", "weight_grams",
                  "is_active", "position", "title"], variant_rows, returning=True)
    new_variants = [new for item in new_products for new in item.variants]
    for new, variant_id in zip(new_variants, variant_ids, strict=True):
        new.variant_id = variant_id
    insert_rows(Variant.option_values.through, ["variant_id", "optionvalue_id"],
                [(variant_id, value_ids[index])
                 for variant_id, chosen in zip(variant_ids, chosen_of, strict=True)
                 for index in chosen])
    refresh_search_vectors(product_ids=[item.product.pk for item in new_products])
    catalog_changed()
