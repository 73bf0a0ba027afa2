"""The shop's shipping zones, active methods (with weight tiers and pickup warehouse) and tax
rates, read once and kept in the shared cache: every cart answer and checkout step needs
them, and they change only when staff edit them.

A save or delete of a zone, method, tier, tax rate or warehouse drops the cached copy (at
once, and again after commit, so a reader that loaded the old rows while the write was in
flight does not keep them). A short time-to-live bounds what a write that bypasses model
signals (a bulk ``update()``) can leave stale.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.db.models.signals import post_delete, post_save

from inventory.models import Warehouse
from kernel import best_effort_cache

from .models import ShippingMethod, ShippingWeightTier, ShippingZone, TaxRate

CACHE_KEY = "orders:checkout-rates:v2"
CACHE_SECONDS = 60


@dataclass(frozen=True)
class CheckoutRates:
    zones: tuple[ShippingZone, ...]
    methods: tuple[ShippingMethod, ...]  # active ones, tiers and pickup warehouse loaded
    tax_rates: dict[str, dict[str, Decimal]]  # country -> lower-cased region ("" = country)
    warehouses: dict[int, Warehouse]  # the active ones by id (cutoffs, working days)

    def methods_for(self, *, zone_ids: list[int], currency: str) -> list[ShippingMethod]:
        return [method for method in self.methods
                if method.zone_id in zone_ids and method.currency == currency]

    def tax_rate(self, *, country: str, region: str = "") -> Decimal:
        rates = self.tax_rates.get(country.upper(), {})
        zero = Decimal("0")
        if region:
            return rates.get(region.strip().lower(), rates.get("", zero))
        return rates.get("", zero)


def _load() -> CheckoutRates:
    tax_rates: dict[str, dict[str, Decimal]] = {}
    for rate in TaxRate.objects.all():
        tax_rates.setdefault(rate.country.upper(), {})[rate.region.strip().lower()] = rate.rate
    return CheckoutRates(
        zones=tuple(ShippingZone.objects.all()),
        methods=tuple(ShippingMethod.objects.filter(is_active=True)
                      .select_related("pickup_warehouse").prefetch_related("tiers")),
        tax_rates=tax_rates,
        warehouses={warehouse.pk: warehouse
                    for warehouse in Warehouse.objects.filter(is_active=True)},
    )


def checkout_rates() -> CheckoutRates:
    """Zones, active methods, tax rates and active warehouses: from the cache, else five
    queries."""
    rates = best_effort_cache.get(CACHE_KEY)
    if rates is None:
        rates = _load()
        best_effort_cache.set(CACHE_KEY, rates, CACHE_SECONDS)
    return rates


def forget_checkout_rates(**kwargs) -> None:
    best_effort_cache.delete(CACHE_KEY)
    transaction.on_commit(lambda: best_effort_cache.delete(CACHE_KEY))


def connect() -> None:
    for model in (ShippingZone, ShippingMethod, ShippingWeightTier, TaxRate, Warehouse):
        uid = f"orders.checkout_rates.{model.__name__}"
        post_save.connect(forget_checkout_rates, sender=model, dispatch_uid=uid + ".save")
        post_delete.connect(forget_checkout_rates, sender=model, dispatch_uid=uid + ".delete")
