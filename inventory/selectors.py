"""Read-side stock queries. Every place that shows or checks availability uses these."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Exists, F, IntegerField, OuterRef, Q, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce

from .models import StockLevel, StockMovement

_SELLABLE = Q(warehouse__is_active=True)


def variant_available_expression() -> Coalesce:
    """Units of a variant (``OuterRef('pk')``) that may still be sold, over active warehouses."""
    per_variant = (
        StockLevel.objects.filter(_SELLABLE, variant=OuterRef("pk"))
        .values("variant")
        .annotate(total=Sum(F("on_hand") - F("allocated")))
        .values("total")
    )
    return Coalesce(Subquery(per_variant, output_field=IntegerField()), 0)


def product_in_stock_expression() -> Exists:
    """True when any active variant of a product (``OuterRef('pk')``) can be sold.

    For filtering ("in stock only"). To show the flag on a page of products use
    ``in_stock_product_ids``: as a column of a listing, PostgreSQL plans this for every
    candidate row, not just the page, and hashes every stock level in the shop.
    """
    return Exists(
        StockLevel.objects.filter(
            _SELLABLE,
            variant__product=OuterRef("pk"),
            variant__is_active=True,
            on_hand__gt=F("allocated"),
        )
    )


def with_variant_availability(variants: QuerySet) -> QuerySet:
    return variants.annotate(available=variant_available_expression())


def in_stock_product_ids(*, product_ids: Iterable[int]) -> set[int]:
    """Which of these products have an active variant that can be sold (one query)."""
    return set(
        StockLevel.objects.filter(
            _SELLABLE,
            variant__product_id__in=list(product_ids),
            variant__is_active=True,
            on_hand__gt=F("allocated"),
        ).order_by().values_list("variant__product_id", flat=True).distinct()
    )


def available_to_sell(*, variant_ids: Iterable[int]) -> dict[int, int]:
    """Available units per variant id (0 for a variant with no stock anywhere)."""
    variant_ids = list(variant_ids)
    totals = dict(
        StockLevel.objects.filter(_SELLABLE, variant_id__in=variant_ids)
        .values("variant_id")
        .annotate(total=Sum(F("on_hand") - F("allocated")))
        .values_list("variant_id", "total")
    )
    return {variant_id: max(totals.get(variant_id) or 0, 0) for variant_id in variant_ids}


@dataclass(frozen=True)
class LedgerMismatch:
    stock_level_id: int
    sku: str
    warehouse_code: str
    on_hand: int
    ledger_total: int

    def __str__(self) -> str:
        return (
            f"{self.sku} @ {self.warehouse_code}: on hand {self.on_hand}, "
            f"ledger sums to {self.ledger_total} (difference {self.on_hand - self.ledger_total:+d})"
        )


def stock_ledger_mismatches() -> list[LedgerMismatch]:
    """Every stock level whose on hand differs from the sum of its movements (one query)."""
    ledger_total = (
        StockMovement.objects.filter(stock_level=OuterRef("pk"))
        .values("stock_level")
        .annotate(total=Sum("quantity"))
        .values("total")
    )
    rows = (
        StockLevel.objects.annotate(
            ledger_total=Coalesce(Subquery(ledger_total, output_field=IntegerField()), 0)
        )
        .exclude(on_hand=F("ledger_total"))
        .values_list("pk", "variant__sku", "warehouse__code", "on_hand", "ledger_total")
        .order_by("pk")
    )
    return [LedgerMismatch(*row) for row in rows]


def describe_availability(available: int | None) -> tuple[str, str]:
    """("in_stock" | "low_stock" | "out_of_stock", the words a shopper reads)."""
    available = max(available or 0, 0)
    if available == 0:
        return "out_of_stock", "Out of stock"
    if available <= settings.SHOP_LOW_STOCK_THRESHOLD:
        return "low_stock", f"Only {available} left"
    return "in_stock", "In stock"
