"""Read-side stock queries. Every place that shows or checks availability uses these."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.db.models import (
    DateField,
    DateTimeField,
    Exists,
    F,
    IntegerField,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.expressions import CombinedExpression
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone

from catalog.models import Variant

from .models import (
    PurchaseOrder,
    PurchaseOrderLine,
    StockLevel,
    StockMovement,
    StockTransfer,
    StockTransferLine,
    Warehouse,
)

_SELLABLE = Q(warehouse__is_active=True)


def level_free_expression() -> CombinedExpression:
    """Units of one stock level neither allocated to orders nor unsellable (damaged, on
    quality hold): what physically may still be promised. The database keeps it >= 0;
    ``StockLevel.free`` is the same rule in Python."""
    return F("on_hand") - F("allocated") - F("unsellable")


def level_available_expression() -> CombinedExpression:
    """Units of one stock level the storefront may still sell: free units above the
    safety stock. The one place the rule lives (``StockLevel.available`` mirrors it): the
    per-variant availability and in-stock filters below, the cart, checkout's allocation
    and the stock check use it. Not clamped (below zero when the safety stock exceeds what
    is free); sums clamp each level first (``level_sellable_expression``)."""
    return level_free_expression() - F("safety_stock")


def level_sellable_expression() -> Greatest:
    """``level_available_expression`` never below zero: one level's buffer must not eat
    into another warehouse's stock when a variant's levels are summed."""
    return Greatest(level_available_expression(), Value(0))


def variant_available_expression() -> Coalesce:
    """Units of a variant (``OuterRef('pk')``) that may still be sold, over active warehouses."""
    per_variant = (
        StockLevel.objects.filter(_SELLABLE, variant=OuterRef("pk"))
        .values("variant")
        .annotate(total=Sum(level_sellable_expression()))
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
        StockLevel.objects.alias(available=level_available_expression()).filter(
            _SELLABLE,
            variant__product=OuterRef("pk"),
            variant__is_active=True,
            available__gt=0,
        )
    )


def with_variant_availability(variants: QuerySet) -> QuerySet:
    return variants.annotate(available=variant_available_expression())


def in_stock_product_ids(*, product_ids: Iterable[int]) -> set[int]:
    """Which of these products have an active variant that can be sold (one query)."""
    return set(
        StockLevel.objects.alias(available=level_available_expression()).filter(
            _SELLABLE,
            variant__product_id__in=list(product_ids),
            variant__is_active=True,
            available__gt=0,
        ).order_by().values_list("variant__product_id", flat=True).distinct()
    )


def available_to_sell(*, variant_ids: Iterable[int]) -> dict[int, int]:
    """Available units per variant id (0 for a variant with no stock anywhere)."""
    variant_ids = list(variant_ids)
    totals = dict(
        StockLevel.objects.filter(_SELLABLE, variant_id__in=variant_ids)
        .values("variant_id")
        .annotate(total=Sum(level_sellable_expression()))
        .values_list("variant_id", "total")
    )
    return {variant_id: max(totals.get(variant_id) or 0, 0) for variant_id in variant_ids}


def sellable_levels(*, variant_ids: Iterable[int]) -> list[StockLevel]:
    """The variants' stock levels in active warehouses, with their warehouse (one query):
    what ``available_from_levels`` and checkout's shipping warehouses read, so a cart needs
    one stock query for both."""
    return list(StockLevel.objects.filter(_SELLABLE, variant_id__in=list(variant_ids))
                .select_related("warehouse"))


_LEVEL_FIELDS = [field.attname for field in StockLevel._meta.concrete_fields]
_WAREHOUSE_FIELDS = [field.attname for field in Warehouse._meta.concrete_fields]


def joined_level_columns(levels_path: str) -> dict[str, F]:
    """Annotations that bring every stock level of a variant, with its warehouse, into a
    query of rows of that variant (``levels_path``: "variant__stock_levels" for cart
    lines, "stock_levels" for variants): a LEFT JOIN, one row per level (one with empty
    columns when it has none), so the rows and their stock come in one query instead of
    two. ``sellable_level_from_row`` reads a row's level back."""
    columns = {f"joined_level_{name}": F(f"{levels_path}__{name}") for name in _LEVEL_FIELDS}
    columns.update({f"joined_warehouse_{name}": F(f"{levels_path}__warehouse__{name}")
                    for name in _WAREHOUSE_FIELDS})
    return columns


def sellable_level_from_row(row, warehouses: dict[int, Warehouse]) -> StockLevel | None:
    """The stock level a row joined (``joined_level_columns``) with its warehouse, when
    that warehouse is active (the levels ``sellable_levels`` reads); else None.
    ``warehouses`` keeps one instance per warehouse across rows."""
    if row.joined_level_id is None or not row.joined_warehouse_is_active:
        return None
    db = row._state.db
    warehouse_id = row.joined_warehouse_id
    warehouse = warehouses.get(warehouse_id)
    if warehouse is None:
        warehouse = warehouses[warehouse_id] = Warehouse.from_db(
            db, _WAREHOUSE_FIELDS,
            [getattr(row, f"joined_warehouse_{name}") for name in _WAREHOUSE_FIELDS])
    level = StockLevel.from_db(db, _LEVEL_FIELDS,
                               [getattr(row, f"joined_level_{name}") for name in _LEVEL_FIELDS])
    level.warehouse = warehouse
    return level


def available_from_levels(levels: Iterable[StockLevel]) -> dict[int, int]:
    """``available_to_sell`` computed from levels already read (``sellable_levels``): each
    level's available units (never below zero) summed per variant."""
    totals: dict[int, int] = {}
    for level in levels:
        totals[level.variant_id] = totals.get(level.variant_id, 0) + level.available
    return totals


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


def ledger_total_expression() -> Coalesce:
    """What the ledger says a stock level (``OuterRef('pk')``) holds: the sum of its
    movements, 0 with none. ``check_stock_ledger`` and the stock check both compare it with
    ``on_hand``, so they always agree."""
    ledger_total = (
        StockMovement.objects.filter(stock_level=OuterRef("pk"))
        .values("stock_level")
        .annotate(total=Sum("quantity"))
        .values("total")
    )
    return Coalesce(Subquery(ledger_total, output_field=IntegerField()), 0)


def stock_ledger_mismatches() -> list[LedgerMismatch]:
    """Every stock level whose on hand differs from the sum of its movements (one query)."""
    rows = (
        StockLevel.objects.annotate(ledger_total=ledger_total_expression())
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


# --- Incoming stock and sales velocity ------------------------------------------------------

Pair = tuple[int, int]  # (variant_id, warehouse_id)


def incoming_quantities(*, variant_ids: Iterable[int],
                        statuses: Iterable[str] = PurchaseOrder.PENDING,
                        include_transfers: bool = True) -> dict[Pair, int]:
    """Units on their way per (variant, warehouse): what purchase orders in ``statuses``
    still expect, plus transfers in transit to the warehouse (two queries)."""
    variant_ids = list(variant_ids)
    incoming: dict[Pair, int] = {}
    rows = (
        PurchaseOrderLine.objects.filter(variant_id__in=variant_ids,
                                         purchase_order__status__in=list(statuses))
        .values("variant_id", "purchase_order__warehouse_id")
        .annotate(units=Sum(Greatest(F("quantity_ordered") - F("quantity_received"), 0)))
        .values_list("variant_id", "purchase_order__warehouse_id", "units")
        .order_by()
    )
    for variant_id, warehouse_id, units in rows:
        incoming[(variant_id, warehouse_id)] = units or 0
    if include_transfers:
        transfers = (
            StockTransferLine.objects.filter(variant_id__in=variant_ids,
                                             transfer__status=StockTransfer.Status.IN_TRANSIT)
            .values("variant_id", "transfer__destination_id")
            .annotate(units=Sum("quantity"))
            .values_list("variant_id", "transfer__destination_id", "units")
            .order_by()
        )
        for variant_id, warehouse_id, units in transfers:
            key = (variant_id, warehouse_id)
            incoming[key] = incoming.get(key, 0) + (units or 0)
    return incoming


def units_shipped(*, variant_ids: Iterable[int], since: datetime,
                  until: datetime | None = None) -> dict[Pair, int]:
    """Units that left each warehouse per variant in [since, until) (one query).

    Sales velocity comes from the stock ledger's shipment lines, which live here in
    inventory: orders sit above inventory, so inventory may not read them, and what left
    a warehouse is exactly what that warehouse must replace.
    """
    movements = StockMovement.objects.filter(
        kind=StockMovement.Kind.SHIPMENT, stock_level__variant_id__in=list(variant_ids),
        created_at__gte=since)
    if until is not None:
        movements = movements.filter(created_at__lt=until)
    rows = (movements.values("stock_level__variant_id", "stock_level__warehouse_id")
            .annotate(units=Sum("quantity")).order_by()
            .values_list("stock_level__variant_id", "stock_level__warehouse_id", "units"))
    return {(variant_id, warehouse_id): -units for variant_id, warehouse_id, units in rows}


def daily_velocity(units: int, window_days: int) -> Decimal:
    """Average units sold a day over the window."""
    return Decimal(units) / Decimal(window_days)


def velocity_reorder_point(*, velocity: Decimal, lead_time_days: int, safety_days: int) -> int:
    """Units that cover the lead time plus the safety days at this velocity, rounded up."""
    return math.ceil(velocity * (lead_time_days + safety_days))


def expected_restock_expression() -> Subquery:
    """The earliest date a sent purchase order is expected to bring a variant
    (``OuterRef('pk')``) into an active warehouse, today or later; None when none is."""
    earliest = (
        PurchaseOrderLine.objects.filter(
            variant=OuterRef("pk"),
            purchase_order__status__in=PurchaseOrder.OPEN,
            purchase_order__warehouse__is_active=True,
            purchase_order__expected_on__gte=timezone.localdate(),
            quantity_ordered__gt=F("quantity_received"),
        )
        .order_by("purchase_order__expected_on")
        .values("purchase_order__expected_on")[:1]
    )
    return Subquery(earliest, output_field=DateField())


def with_expected_restock(variants: QuerySet) -> QuerySet:
    return variants.annotate(expected_restock_on=expected_restock_expression())


# --- Slow movers ----------------------------------------------------------------------------


@dataclass(frozen=True)
class SlowMover:
    variant: Variant
    on_hand: int
    available: int
    last_sold_at: datetime | None
    sold_in_window: int
    days_of_cover: Decimal | None  # None: nothing sold in the window, cover is unbounded
    stock_value: Decimal | None
    on_clearance: bool


def slow_movers(*, days_without_sale: int, min_days_of_cover: int,
                velocity_window_days: int = 30, now: datetime | None = None) -> list[SlowMover]:
    """Active variants with stock that have not sold for ``days_without_sale`` days, or
    whose stock lasts more than ``min_days_of_cover`` days at the window's sales rate.

    Two queries whatever the catalog size: the variants with their totals (on hand,
    available, last sale, units sold in the window), then the running clearances.
    """
    from catalog.models import ClearanceDiscount

    now = now or timezone.now()
    window_start = now - timedelta(days=velocity_window_days)
    levels = (StockLevel.objects.filter(_SELLABLE, variant=OuterRef("pk"))
              .values("variant").order_by())
    shipments = (StockMovement.objects.filter(stock_level__variant=OuterRef("pk"),
                                              kind=StockMovement.Kind.SHIPMENT)
                 .values("stock_level__variant").order_by())

    def per_variant(rows, expression, output_field=None):
        return Subquery(rows.annotate(result=expression).values("result"),
                        output_field=output_field or IntegerField())

    variants = (
        Variant.objects.filter(is_active=True)
        .select_related("product")
        .annotate(
            units_on_hand=Coalesce(per_variant(levels, Sum("on_hand")), 0),
            units_available=Coalesce(per_variant(levels, Sum(level_sellable_expression())), 0),
            shipped_in_window=Coalesce(per_variant(shipments.filter(created_at__gte=window_start),
                                                   Sum("quantity")), 0),
            last_sold_at=per_variant(shipments, Max("created_at"),
                                     output_field=DateTimeField()),
        )
        .filter(units_on_hand__gt=0)
        .order_by("product__title", "sku")
    )
    running = set(ClearanceDiscount.objects.filter(ended_at__isnull=True)
                  .values_list("variant_id", flat=True))
    no_sale_since = now - timedelta(days=days_without_sale)
    movers = []
    for variant in variants:
        sold = -variant.shipped_in_window
        velocity = daily_velocity(sold, velocity_window_days)
        cover = (Decimal(variant.units_available) / velocity).quantize(Decimal("0.1")) \
            if velocity else None
        stale = variant.last_sold_at is None or variant.last_sold_at < no_sale_since
        too_much = cover is None or cover > min_days_of_cover
        if not (stale or too_much):
            continue
        value = (variant.cost_price * variant.units_on_hand
                 if variant.cost_price is not None else None)
        movers.append(SlowMover(
            variant=variant, on_hand=variant.units_on_hand,
            available=max(variant.units_available, 0), last_sold_at=variant.last_sold_at,
            sold_in_window=sold, days_of_cover=cover, stock_value=value,
            on_clearance=variant.pk in running))
    return movers


# --- Stock history --------------------------------------------------------------------------


@dataclass(frozen=True)
class HistoryPoint:
    at: datetime
    on_hand: int


def stock_history(*, variant_id: int, limit: int = 500):
    """The ledger of a variant across warehouses, newest first (one query), and the series
    of total on hand over time, oldest first, for the chart.

    The series is rebuilt from each warehouse's ``on_hand_after``, so it is right even when
    only the newest ``limit`` lines are shown.
    """
    movements = list(
        StockMovement.objects.filter(stock_level__variant_id=variant_id)
        .select_related("stock_level__warehouse", "user")
        .order_by("-created_at", "-pk")[:limit]
    )
    per_warehouse: dict[int, int] = {}
    series: list[HistoryPoint] = []
    oldest_first = list(reversed(movements))
    if oldest_first:
        # The level of each warehouse just before the oldest shown line.
        for movement in oldest_first:
            per_warehouse.setdefault(movement.stock_level.warehouse_id,
                                     movement.on_hand_after - movement.quantity)
    for movement in oldest_first:
        per_warehouse[movement.stock_level.warehouse_id] = movement.on_hand_after
        series.append(HistoryPoint(at=movement.created_at, on_hand=sum(per_warehouse.values())))
    return movements, series


def today() -> date:
    return timezone.localdate()
