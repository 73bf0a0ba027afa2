"""Creating an order's shipments and canceling one that has not left; the signal sender
the other shipment services share."""

from __future__ import annotations

import re
from collections import defaultdict
from datetime import timedelta
from functools import partial

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from orders import locks as order_locks
from orders import services as order_services
from orders.models import Allocation, Order, OrderEvent

from .. import signals
from ..locks import shipment_for_update
from ..models import Shipment, ShipmentLine

State = Shipment.State


def send_after_commit(signal, shipment: Shipment, **extra) -> None:
    transaction.on_commit(partial(signal.send, sender=Shipment, shipment_id=shipment.pk,
                                  **extra))


def order_for_fulfillment(shipment: Shipment, doing: str) -> Order:
    """Lock the shipment's order (always after the shipment: the fixed order every
    fulfillment service takes, then stock levels) and refuse, with InvalidTransition, to
    go on with an order whose cancel is requested or done, or that is held for review (a
    fraud hold, a dispute) (``doing``: "picked", "packed", "labelled", "shipped"). Cancel
    and hold are recorded under the same order lock, so each is serialized with the step:
    whichever commits first wins."""
    order = order_locks.order_for_update(shipment.order_id)
    order.ensure_can_be_fulfilled(doing)
    return order


def create_shipments(*, order_id: int) -> list[Shipment]:
    """One shipment per warehouse for the order's allocated units that no live shipment
    covers yet.

    Placement allocated from the fewest warehouses that cover the order; shipments follow
    those allocations, so the order ships in as few parcels as its stock allows. Units in a
    shipment that has not left (pending to label purchased) are covered; units of a
    canceled shipment stay allocated to the order and are shipped again here; units that
    left are no longer allocated. New shipments are numbered after the highest existing
    suffix (numbers are unique, canceled shipments keep theirs). Nothing happens for an
    order that is not paid (paid, authorized, or partly refunded: ``Order.SHIPPABLE_PAYMENT``),
    is held for review, is canceled or has a cancel requested, or has every allocated unit
    in a live shipment: safe to run twice.
    """
    with transaction.atomic():
        order = order_locks.order_for_update(order_id)
        if (order.status != Order.Status.OPEN or order.risk == Order.Risk.HELD
                or order.cancel_requested or order.payment_status not in Order.SHIPPABLE_PAYMENT):
            return []
        covered: dict[tuple[int, int], int] = defaultdict(int)
        for line in ShipmentLine.objects.filter(shipment__order=order,
                                                shipment__state__in=Shipment.UNSHIPPED):
            covered[(line.order_line_id, line.stock_level_id)] += line.quantity
        allocations = list(Allocation.objects.filter(order_line__order=order)
                           .select_related("stock_level__warehouse", "order_line")
                           .order_by("stock_level__warehouse__priority", "pk"))
        by_warehouse: dict[int, list[tuple[Allocation, int]]] = defaultdict(list)
        for allocation in allocations:
            uncovered = allocation.quantity - covered[(allocation.order_line_id,
                                                       allocation.stock_level_id)]
            if uncovered > 0:
                by_warehouse[allocation.stock_level.warehouse_id].append(
                    (allocation, uncovered))
        if not by_warehouse:
            return []
        paid_at = order.paid_at or timezone.now()
        promised = paid_at + timedelta(hours=settings.SHOP_SHIP_WITHIN_HOURS)
        carrier = Shipment.Carrier.PICKUP if order.pickup_warehouse_id else \
            settings.SHOP_DEFAULT_CARRIER
        reshipping = order.shipments.exists()
        next_suffix = _highest_suffix(order) + 1
        shipments = []
        for index, group in enumerate(by_warehouse.values(), start=next_suffix):
            shipment = Shipment.objects.create(
                order=order, number=f"{order.number}-{index}",
                warehouse=group[0][0].stock_level.warehouse, carrier=carrier,
                promised_ship_by=promised, estimated_delivery=order.delivery_latest)
            ShipmentLine.objects.bulk_create([
                ShipmentLine(shipment=shipment, order_line=allocation.order_line,
                             stock_level=allocation.stock_level, quantity=quantity)
                for allocation, quantity in group])
            shipments.append(shipment)
        order_services.record_order_event(
            order_id=order.pk, event_type=OrderEvent.Type.SHIPMENT_CREATED,
            message=f"{len(shipments)} {'new ' if reshipping else ''}shipment(s) to prepare: "
                    + ", ".join(f"{s.number} from {s.warehouse.code}" for s in shipments))
        return shipments


def _highest_suffix(order: Order) -> int:
    """The largest n of the order's shipment numbers "<order number>-n" (0 when none)."""
    pattern = re.compile(rf"^{re.escape(order.number)}-(\d+)$")
    suffixes = [int(match.group(1)) for number in order.shipments.values_list("number", flat=True)
                if (match := pattern.match(number))]
    return max(suffixes, default=0)


def cancel_shipment(*, shipment_id: int, actor=None, because: str = "") -> Shipment:
    """Cancel a shipment that has not left. Its units stay allocated to the order (a new
    shipment can take them) unless the order itself is canceled, which releases them, or
    the caller releases them (a cancel after shipping, which says so in ``because``)."""
    with transaction.atomic():
        shipment = shipment_for_update(shipment_id)
        shipment.ensure_can_become(State.CANCELED)
        if shipment.state == State.LABEL_PURCHASED:
            # The bought label is canceled at the carrier after commit (a task).
            send_after_commit(signals.label_void_needed, shipment)
        shipment.state = State.CANCELED
        shipment.pick_list = None
        shipment.save(update_fields=["state", "pick_list", "updated_at"])
        order_services.record_order_event(
            order_id=shipment.order_id, event_type=OrderEvent.Type.NOTE, actor=actor,
            message=f"Shipment {shipment.number} canceled: {because}" if because else
                    f"Shipment {shipment.number} canceled; its items stay reserved for the "
                    "order." if shipment.order.status == Order.Status.OPEN else
                    f"Shipment {shipment.number} canceled.")
        return shipment
