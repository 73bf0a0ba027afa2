"""Locking querysets for categories, variants and clearances (``select_for_update``).
Several rows are always locked in primary-key order, so two transactions can't wait on
each other in a cycle."""

from __future__ import annotations

from .models import Category, ClearanceDiscount, Variant


def category_for_update(category_id: int) -> Category:
    return Category.objects.select_for_update().get(pk=category_id)


def variant_for_update(variant_id: int) -> Variant:
    return Variant.objects.select_for_update().get(pk=variant_id)


def variant_by_sku_for_update(sku: str) -> Variant | None:
    return Variant.objects.select_for_update().filter(sku=sku).first()


def variants_for_update(variant_ids) -> list[Variant]:
    return list(Variant.objects.filter(pk__in=variant_ids).order_by("pk").select_for_update())


def clearance_for_update(clearance_id: int) -> ClearanceDiscount | None:
    return ClearanceDiscount.objects.select_for_update().filter(pk=clearance_id).first()
