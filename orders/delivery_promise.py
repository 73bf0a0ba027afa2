"""Delivery promises: when a parcel leaves and when it arrives, from the warehouse that
would ship it (its daily cutoff and non-working days, ``inventory.Warehouse``) and a
shipping method's window in carrier business days.

One rule for the product page ("Order within 3 h 20 min, arrives Thu 12 - Fri 13 Dec"), the
checkout's shipping options and the window stored on the order at placing, which the
on-time delivery KPI measures against. Times are in SHOP_TIME_ZONE; every function takes
``now`` so tests never read the wall clock.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import OuterRef, Subquery
from django.utils import timezone

from inventory.models import StockLevel, Warehouse
from inventory.selectors import level_available_expression

from .checkout_rates import checkout_rates
from .models import ShippingMethod


def add_business_days(start: date, days: int) -> date:
    """``days`` carrier business days (Monday to Friday) after ``start``."""
    current = start
    while days > 0:
        current += timedelta(days=1)
        if current.weekday() < 5:
            days -= 1
    return current


def shipping_warehouses(variant_quantities: dict[int, int],
                        levels: list[StockLevel] | None = None) -> list[Warehouse]:
    """The warehouses that would ship these variants (one query, none when ``levels``, the
    variants' levels in active warehouses with their warehouse, are given): per variant,
    the first active warehouse by priority that can sell the quantity (as allocation
    picks), else the first that has any; the first active warehouse when none holds the
    variant."""
    if levels is None:
        levels = list(
            StockLevel.objects.filter(variant_id__in=list(variant_quantities),
                                      warehouse__is_active=True)
            .alias(sellable=level_available_expression()).filter(sellable__gt=0)
            .select_related("warehouse"))
    levels = sorted((level for level in levels
                     if level.variant_id in variant_quantities and level.available > 0),
                    key=lambda level: (level.warehouse.priority, level.warehouse.code))
    chosen: dict[int, Warehouse] = {}
    for variant_id, quantity in variant_quantities.items():
        mine = [level for level in levels if level.variant_id == variant_id]
        level = next((level for level in mine if level.available >= quantity),
                     mine[0] if mine else None)
        if level is not None:
            chosen.setdefault(level.warehouse_id, level.warehouse)
    if not chosen:
        first = Warehouse.objects.filter(is_active=True).order_by("priority", "code").first()
        return [first] if first else []
    return list(chosen.values())


def ship_cutoff(warehouses: list[Warehouse], now: datetime) -> datetime | None:
    """The cutoff to order by so that every one of ``warehouses`` ships: the latest of
    their next cutoffs (a split order arrives when its last parcel does)."""
    cutoffs = [warehouse.next_cutoff(now) for warehouse in warehouses]
    return max(cutoffs) if cutoffs else None


def ship_day(warehouses: list[Warehouse], now: datetime) -> date:
    cutoff = ship_cutoff(warehouses, now)
    return cutoff.date() if cutoff else now.astimezone(ZoneInfo(settings.SHOP_TIME_ZONE)).date()


def format_window(earliest: date, latest: date) -> str:
    """"Thu 12 Dec", "Thu 12 - Fri 13 Dec", "Mon 30 Dec - Thu 2 Jan"."""
    if earliest == latest:
        return f"{earliest:%a} {earliest.day} {earliest:%b}"
    if (earliest.year, earliest.month) == (latest.year, latest.month):
        return f"{earliest:%a} {earliest.day} - {latest:%a} {latest.day} {latest:%b}"
    return (f"{earliest:%a} {earliest.day} {earliest:%b} - "
            f"{latest:%a} {latest.day} {latest:%b}")


@dataclass(frozen=True)
class DeliveryPromise:
    now: datetime
    order_by: datetime  # the warehouse's cutoff (aware, SHOP_TIME_ZONE)
    earliest: date
    latest: date
    method_name: str
    warehouse_name: str

    @property
    def order_within(self) -> str:
        """"3 h 20 min" when the cutoff is today, else "" (``order_by_label`` instead)."""
        left = self.order_by - self.now
        local_now = self.now.astimezone(self.order_by.tzinfo)
        if self.order_by.date() != local_now.date() or left <= timedelta(0):
            return ""
        minutes = int(left.total_seconds() // 60)
        hours, minutes = divmod(minutes, 60)
        return f"{hours} h {minutes} min" if hours else f"{minutes} min"

    @property
    def order_by_label(self) -> str:
        return f"{self.order_by:%a} {self.order_by.day} {self.order_by:%b} {self.order_by:%H:%M}"

    @property
    def window(self) -> str:
        return format_window(self.earliest, self.latest)

    @property
    def text(self) -> str:
        if self.order_within:
            return f"Order within {self.order_within}, arrives {self.window}"
        return f"Order by {self.order_by_label}, arrives {self.window}"


def delivered_methods(*, country: str, currency: str) -> list[ShippingMethod]:
    """The active delivered (not pickup) methods for a country, with their zones and
    weight tiers: from the shared cache of the checkout's rates (``checkout_rates``; no
    query once it is warm, four when it is cold)."""
    country = (country or "").upper()
    rates = checkout_rates()
    zones = {zone.pk: zone for zone in rates.zones}
    methods = [method for method in rates.methods
               if method.currency == currency and method.kind != ShippingMethod.Kind.PICKUP
               and method.zone_id in zones]
    for method in methods:
        method.zone = zones[method.zone_id]
    named = [method for method in methods if country in method.zone.country_codes]
    return named or [method for method in methods if method.zone.rest_of_world]


def cheapest_method(methods: list[ShippingMethod], *, subtotal: Decimal,
                    weight_grams: int) -> ShippingMethod | None:
    """The cheapest of ``methods`` for a cart of this subtotal and weight (as checkout
    prices them: tiers, free-above thresholds, minimum subtotals)."""
    priced = []
    for method in methods:
        if method.min_subtotal is not None and subtotal < method.min_subtotal:
            continue
        price = method.price
        if method.kind == ShippingMethod.Kind.WEIGHT:
            tier = next((t for t in method.tiers.all() if weight_grams <= t.up_to_grams), None)
            if tier is None:
                continue
            price = tier.price
        if method.free_above is not None and subtotal >= method.free_above:
            price = Decimal("0")
        priced.append((price, method.position, method.pk, method))
    return min(priced, key=lambda row: row[:3])[3] if priced else None


def first_sellable_warehouse() -> Subquery:
    """Per variant (``OuterRef("pk")``), the id of the first active warehouse by priority
    that can sell a unit: the one ``delivery_promises`` promises from. For a query that
    reads variants, so the promise needs no query of its own."""
    return Subquery(_shipping_levels(variant_id=OuterRef("pk")).values("warehouse_id")[:1])


def _shipping_levels(**where):
    """Stock levels in active warehouses with a unit to sell, the warehouse that would ship
    first (by priority, then code) first: the one rule both ways of promising use."""
    return (StockLevel.objects.filter(warehouse__is_active=True, **where)
            .alias(sellable=level_available_expression()).filter(sellable__gt=0)
            .order_by("warehouse__priority", "warehouse__code"))


def delivery_promises(*, variants, country: str = "",
                      now: datetime | None = None) -> dict[int, DeliveryPromise]:
    """The promise for one unit of each of ``variants`` (of one currency) delivered to
    ``country`` (SHOP_COUNTRY until an address is known): from the first warehouse by
    priority that can sell it, the cheapest delivered method's window. Variants no warehouse
    can sell get none. One query (the stock levels) whatever the number of variants, none
    when each variant carries ``ships_from_id`` (``first_sellable_warehouse``, read with
    it); methods and warehouses come from the cached shipping rates."""
    variants = list(variants)
    if not variants:
        return {}
    now = now or timezone.now()
    methods = delivered_methods(country=country or settings.SHOP_COUNTRY,
                                currency=variants[0].currency)
    if not methods:
        return {}
    first_warehouse: dict[int, Warehouse] = {}
    if all(hasattr(variant, "ships_from_id") for variant in variants):
        warehouses = checkout_rates().warehouses
        for variant in variants:
            if variant.ships_from_id in warehouses:
                first_warehouse[variant.pk] = warehouses[variant.ships_from_id]
    else:
        for level in (_shipping_levels(variant_id__in=[v.pk for v in variants])
                      .select_related("warehouse")):
            first_warehouse.setdefault(level.variant_id, level.warehouse)
    promises = {}
    for variant in variants:
        warehouse = first_warehouse.get(variant.pk)
        method = cheapest_method(methods, subtotal=variant.price,
                                 weight_grams=variant.weight_grams or 0)
        if warehouse is None or method is None:
            continue
        cutoff = warehouse.next_cutoff(now)
        promises[variant.pk] = DeliveryPromise(
            now=now.astimezone(cutoff.tzinfo), order_by=cutoff,
            earliest=add_business_days(cutoff.date(), method.min_delivery_days),
            latest=add_business_days(cutoff.date(), method.max_delivery_days),
            method_name=method.name, warehouse_name=warehouse.name)
    return promises
