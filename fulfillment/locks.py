"""Locking querysets for shipments and pick lists (``select_for_update``, rows by key)."""

from kernel.errors import NotFound

from .models import PickList, Shipment


def shipment_for_update(shipment_id: int) -> Shipment:
    try:
        return (Shipment.objects.select_for_update(of=("self",))
                .select_related("order", "warehouse").get(pk=shipment_id))
    except (Shipment.DoesNotExist, ValueError, TypeError):
        raise NotFound("No such shipment.") from None


def order_shipments_for_update(order_id: int) -> list[Shipment]:
    """Every shipment of an order, locked in primary-key order (before the order: the
    fixed order fulfillment locks in), for a decision about all of them at once."""
    return list(Shipment.objects.select_for_update(of=("self",)).select_related("warehouse")
                .filter(order_id=order_id).order_by("pk"))


def pick_list_for_update(pick_list_id: int) -> PickList:
    try:
        return PickList.objects.select_for_update().get(pk=pick_list_id)
    except (PickList.DoesNotExist, ValueError, TypeError):
        raise NotFound("No such pick list.") from None
