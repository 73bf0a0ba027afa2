"""Locking querysets. Rows are always locked in primary-key order so two transactions
that need the same rows can never wait on each other in a cycle."""

from .models import StockLevel


def stock_levels_for_update(level_ids):
    return (
        StockLevel.objects.filter(pk__in=level_ids).order_by("pk").select_for_update(of=("self",))
    )


def stock_level_by_id_for_update(stock_level_id: int) -> StockLevel:
    return StockLevel.objects.select_for_update().get(pk=stock_level_id)


def stock_level_for_update(*, variant_id: int, warehouse_id: int) -> StockLevel:
    """Lock the level of a variant in a warehouse, creating an empty one if there is none."""
    level, _ = StockLevel.objects.get_or_create(variant_id=variant_id, warehouse_id=warehouse_id)
    return StockLevel.objects.select_for_update(of=("self",)).select_related(
        "variant", "warehouse"
    ).get(pk=level.pk)


def purchase_order_for_update(purchase_order_id: int):
    from .models import PurchaseOrder

    return (PurchaseOrder.objects.select_for_update(of=("self",))
            .select_related("supplier", "warehouse").get(pk=purchase_order_id))


def transfer_for_update(transfer_id: int):
    from .models import StockTransfer

    return (StockTransfer.objects.select_for_update(of=("self",))
            .select_related("source", "destination").get(pk=transfer_id))


def count_for_update(count_id: int):
    from .models import StockCount

    return StockCount.objects.select_for_update(of=("self",)).select_related(
        "warehouse").get(pk=count_id)


def levels_for_pairs_for_update(pairs):
    """Lock the stock levels of (variant_id, warehouse_id) pairs in pk order, creating empty
    ones first. Returns {(variant_id, warehouse_id): level}."""
    from django.db.models import Q

    pairs = sorted(set(pairs))
    if not pairs:
        return {}
    condition = Q()
    for variant_id, warehouse_id in pairs:
        StockLevel.objects.get_or_create(variant_id=variant_id, warehouse_id=warehouse_id)
        condition |= Q(variant_id=variant_id, warehouse_id=warehouse_id)
    levels = (StockLevel.objects.filter(condition).order_by("pk")
              .select_for_update(of=("self",)).select_related("variant", "warehouse"))
    return {(level.variant_id, level.warehouse_id): level for level in levels}
