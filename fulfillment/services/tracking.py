"""Shipping and tracking: the parcel leaves (stock with it), carrier and courier events
move it forward, the shopper collects a pickup."""

from __future__ import annotations

import uuid
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from inventory import services as inventory_services
from kernel.errors import InvalidTransition
from orders import services as order_services
from orders.models import OrderEvent

from .. import signals
from ..carriers import TrackingUpdate
from ..exceptions import FulfillmentError
from ..locks import shipment_for_update
from ..models import Shipment, TrackingEvent
from .shipments import order_for_fulfillment, send_after_commit

State = Shipment.State


def _track(shipment: Shipment, status: str, description: str, *, event_id: str = "",
           location: str = "", occurred_at: datetime | None = None) -> TrackingEvent:
    return TrackingEvent.objects.create(
        shipment=shipment, event_id=event_id or f"shop:{uuid.uuid4().hex}", status=status,
        occurred_at=occurred_at or timezone.now(), location=location[:120],
        description=description[:300])


def ship_shipment(*, shipment_id: int, actor=None) -> Shipment:
    """The parcel left: stock leaves (on_hand and allocated drop, with ledger lines), the
    order's lines count the units fulfilled, the shopper gets the shipped email."""
    with transaction.atomic():
        shipment = shipment_for_update(shipment_id)
        if shipment.state == State.SHIPPED:
            return shipment
        shipment.ensure_can_become(State.SHIPPED)
        order_for_fulfillment(shipment, "shipped")
        _leave_warehouse(shipment, actor)
        shipment.state = State.SHIPPED
        shipment.shipped_at = timezone.now()
        shipment.save(update_fields=["state", "shipped_at", "updated_at"])
        _track(shipment, State.SHIPPED, f"Left {shipment.warehouse.name}",
               location=shipment.warehouse.city)
        send_after_commit(signals.shipment_status_changed, shipment, status=State.SHIPPED)
        return shipment


def _leave_warehouse(shipment: Shipment, actor) -> None:
    lines = list(shipment.lines.select_related("order_line").order_by("stock_level_id"))
    for line in lines:
        inventory_services.ship_units(stock_level_id=line.stock_level_id,
                                      quantity=line.quantity, reference=shipment.number,
                                      user=actor)
    order_services.record_shipped(
        order_id=shipment.order_id,
        lines=[(line.order_line_id, line.stock_level_id, line.quantity) for line in lines],
        message=f"Shipment {shipment.number} shipped"
                + (f" with tracking {shipment.tracking_number}." if shipment.tracking_number
                   else "."), actor=actor)


def ship_by_scan(*, code: str, actor=None) -> Shipment:
    """Scanning a label's barcode (the tracking number) marks its shipment shipped."""
    code = (code or "").strip().upper()
    shipment = Shipment.objects.filter(tracking_number=code).first() if code and \
        "\x00" not in code else None
    if shipment is None:
        raise FulfillmentError(f"No shipment has the tracking number {code or '(empty)'}.")
    with transaction.atomic():
        # Under the shipment's lock, so two scans of one label can't both read "not yet".
        shipment = shipment_for_update(shipment.pk)
        if shipment.shipped_at is not None:
            raise FulfillmentError(
                f"{shipment.number} was already shipped "
                f"{timezone.localtime(shipment.shipped_at):%b %d %H:%M}: this label was "
                "scanned before.", code="already_shipped")
        return ship_shipment(shipment_id=shipment.pk, actor=actor)


def record_tracking(*, shipment_id: int, update: TrackingUpdate) -> bool:
    """A carrier or courier event. Stored once per event id; moves the shipment only
    forward (a late "in transit" never undoes "delivered"). Returns whether the shipment's
    state changed."""
    if update.status not in Shipment.PROGRESS:
        raise FulfillmentError(f"{update.status} is not a tracking status.")
    with transaction.atomic():
        shipment = shipment_for_update(shipment_id)
        if TrackingEvent.objects.filter(shipment=shipment, event_id=update.event_id).exists():
            return False
        _track(shipment, update.status, update.description, event_id=update.event_id,
               location=update.location, occurred_at=update.occurred_at)
        current = Shipment.PROGRESS.get(shipment.state)
        new = Shipment.PROGRESS[update.status]
        if current is None or new < current or update.status == shipment.state or \
                update.status not in Shipment.TRANSITIONS[shipment.state]:
            return False
        if new == current and update.status != State.EXCEPTION and \
                shipment.state != State.EXCEPTION:
            return False
        shipment.state = update.status
        if update.status == State.DELIVERED:
            shipment.delivered_at = update.occurred_at
            shipment.delivered_to = update.description[:100] if update.description else ""
        shipment.save()
        order_services.record_order_event(
            order_id=shipment.order_id, event_type=OrderEvent.Type.TRACKING,
            message=f"{shipment.number}: {shipment.get_state_display()}"
                    + (f" ({update.description})" if update.description else ""))
        if update.status == State.DELIVERED:
            open_shipments = shipment.order.shipments.exclude(
                state__in=[State.DELIVERED, State.CANCELED]).exists()
            order_services.record_delivered(
                order_id=shipment.order_id, everything_delivered=not open_shipments,
                message=f"Shipment {shipment.number} delivered.")
        send_after_commit(signals.shipment_status_changed, shipment, status=update.status)
        return True


def courier_update(*, shipment_id: int, status: str, note: str = "", recipient: str = "",
                   actor=None) -> bool:
    """A courier, on the courier page: out for delivery, delivered (to whom), or a failed
    attempt (an exception with the reason)."""
    if status == State.DELIVERED and not recipient.strip():
        raise FulfillmentError("Enter the name of the person who took the parcel.")
    if status == State.EXCEPTION and not note.strip():
        raise FulfillmentError("Say why the delivery failed.")
    if status not in {State.OUT_FOR_DELIVERY, State.DELIVERED, State.EXCEPTION}:
        raise FulfillmentError("Choose out for delivery, delivered or failed attempt.")
    description = {State.OUT_FOR_DELIVERY: "Out for delivery with our courier",
                   State.DELIVERED: f"Delivered, signed by {recipient.strip()[:80]}",
                   State.EXCEPTION: f"Delivery attempt failed: {note.strip()[:200]}"}[status]
    return record_tracking(shipment_id=shipment_id, update=TrackingUpdate(
        event_id=f"courier:{uuid.uuid4().hex}", status=status, occurred_at=timezone.now(),
        description=description))


def collect_pickup(*, shipment_id: int, code: str, actor=None) -> Shipment:
    """The shopper collected a pickup order: the code must match. Stock leaves and the
    shipment is delivered."""
    with transaction.atomic():
        shipment = shipment_for_update(shipment_id)
        if not shipment.is_pickup or shipment.state != State.PACKED:
            raise InvalidTransition(f"Shipment {shipment.number} is not waiting for pickup.")
        order_for_fulfillment(shipment, "collected")
        if (code or "").strip() != shipment.pickup_code:
            raise FulfillmentError("That pickup code does not match. Ask for the code from "
                                   "the ready-for-pickup email.", code="wrong_code")
        _leave_warehouse(shipment, actor)
        now = timezone.now()
        shipment.state = State.DELIVERED
        shipment.shipped_at = shipment.delivered_at = now
        shipment.delivered_to = "Collected in store"
        shipment.save()
        _track(shipment, State.DELIVERED, f"Collected at {shipment.warehouse.name}")
        open_shipments = shipment.order.shipments.exclude(
            state__in=[State.DELIVERED, State.CANCELED]).exists()
        order_services.record_delivered(order_id=shipment.order_id,
                                        everything_delivered=not open_shipments,
                                        message=f"Shipment {shipment.number} collected.")
        send_after_commit(signals.shipment_status_changed, shipment, status=State.DELIVERED)
        return shipment
