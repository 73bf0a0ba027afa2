"""Picking: batching pending shipments into pick lists, marking a list picked, and the
list's rows in bin order."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from kernel.errors import InvalidTransition
from orders import services as order_services
from orders.models import Order, OrderEvent

from ..exceptions import FulfillmentError
from ..locks import pick_list_for_update
from ..models import PickList, Shipment, ShipmentLine

State = Shipment.State


def create_pick_list(*, warehouse_id: int, shipment_ids: list[int] | None = None,
                     count: int | None = None, actor=None) -> PickList:
    """Batch pending shipments of one warehouse into a pick list (given ids, or the next
    ``count`` by promised ship date) and move them to picking."""
    with transaction.atomic():
        pending = Shipment.objects.select_for_update(skip_locked=True).filter(
            warehouse_id=warehouse_id, state=State.PENDING, pick_list__isnull=True,
        ).order_by("promised_ship_by", "pk")
        if shipment_ids is not None:
            pending = pending.filter(pk__in=shipment_ids)
        chosen = list(pending[:count] if count else pending)
        # Their orders, locked after the shipments (the fixed order): one whose cancel is
        # requested, or held for review, is not picked (refused when it was asked for by
        # id, else left out).
        orders = {order.pk: order for order in Order.objects.select_for_update(of=("self",))
                  .filter(pk__in={s.order_id for s in chosen}).order_by("pk")}
        stopped = [s for s in chosen
                   if orders[s.order_id].cancel_requested or orders[s.order_id].is_held]
        if stopped and shipment_ids is not None:
            orders[stopped[0].order_id].ensure_can_be_fulfilled("picked")
        chosen = [s for s in chosen if s not in stopped]
        if not chosen:
            raise FulfillmentError("No pending shipments of this warehouse to pick.")
        pick_list = PickList.objects.create(warehouse_id=warehouse_id, created_by=_user(actor))
        for shipment in chosen:
            shipment.state = State.PICKING
            shipment.pick_list = pick_list
            shipment.save(update_fields=["state", "pick_list", "updated_at"])
            order_services.record_order_event(
                order_id=shipment.order_id, event_type=OrderEvent.Type.NOTE, actor=actor,
                message=f"Shipment {shipment.number} is being picked (pick list {pick_list.pk}).",
                data={"shipment": shipment.number, "pick_list": pick_list.pk,
                      "step": State.PICKING})
        return pick_list


def mark_picked(*, pick_list_id: int, actor=None) -> PickList:
    """The picker walked the list: every item of its shipments is off the shelves and the
    shipments are ready to pack (they stay "picking" until packed).

    Preconditions: the list is not marked picked yet and still has shipments being picked
    (a canceled shipment leaves its list). Guarantees, under the list's and its shipments'
    locks: ``picked_at`` is set once, and each shipment's order gets a timeline event.
    """
    with transaction.atomic():
        pick_list = pick_list_for_update(pick_list_id)
        if pick_list.picked_at is not None:
            raise InvalidTransition(
                f"Pick list {pick_list.pk} was already marked picked "
                f"{timezone.localtime(pick_list.picked_at):%b %d %H:%M}.")
        shipments = list(pick_list.shipments.select_for_update(of=("self",))
                         .filter(state=State.PICKING).order_by("pk"))
        if not shipments:
            raise FulfillmentError(f"Pick list {pick_list.pk} has no shipments left to pick.",
                                   code="nothing_to_pick")
        for order in (Order.objects.select_for_update(of=("self",))
                      .filter(pk__in={s.order_id for s in shipments}).order_by("pk")):
            # A shipment whose order is being canceled leaves the list when the cancel
            # completes (its shipments are canceled); until then the list waits. So does
            # one whose order is held for review, until it is released (or its shipment
            # canceled, which takes it off the list).
            order.ensure_can_be_fulfilled("picked")
        pick_list.picked_at = timezone.now()
        pick_list.save(update_fields=["picked_at"])
        for shipment in shipments:
            order_services.record_order_event(
                order_id=shipment.order_id, event_type=OrderEvent.Type.NOTE, actor=actor,
                message=f"Shipment {shipment.number} picked (pick list {pick_list.pk}); "
                        "ready to pack.",
                data={"shipment": shipment.number, "pick_list": pick_list.pk,
                      "step": "picked"})
        return pick_list


@dataclass
class PickRow:
    sku: str
    name: str
    bin_location: str
    quantity: int = 0
    shipments: list[str] = field(default_factory=list)


def pick_list_rows(pick_list: PickList) -> list[PickRow]:
    """The pick list's lines merged by SKU, in bin order (empty bins last)."""
    rows: dict[str, PickRow] = {}
    lines = (ShipmentLine.objects.filter(shipment__pick_list=pick_list)
             .select_related("order_line", "stock_level", "shipment"))
    for line in lines:
        row = rows.setdefault(line.order_line.sku, PickRow(
            sku=line.order_line.sku, name=line.order_line.description,
            bin_location=line.stock_level.bin_location))
        row.quantity += line.quantity
        if line.shipment.number not in row.shipments:
            row.shipments.append(line.shipment.number)
    return sorted(rows.values(), key=lambda r: (r.bin_location == "", r.bin_location, r.sku))


def _user(actor):
    return actor if actor is not None and getattr(actor, "is_authenticated", False) else None
