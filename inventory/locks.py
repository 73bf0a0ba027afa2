"""Locking querysets. Rows are always locked in primary-key order so two transactions
that need the same rows can never wait on each other in a cycle."""

from .models import StockLevel


def stock_levels_for_update(level_ids):
    return (
        StockLevel.objects.filter(pk__in=level_ids).order_by("pk").select_for_update(of=("self",))
    )


def stock_level_for_update(*, variant_id: int, warehouse_id: int) -> StockLevel:
    """Lock the level of a variant in a warehouse, creating an empty one if there is none."""
    level, _ = StockLevel.objects.get_or_create(variant_id=variant_id, warehouse_id=warehouse_id)
    return StockLevel.objects.select_for_update(of=("self",)).select_related(
        "variant", "warehouse"
    ).get(pk=level.pk)
