"""Packing: scanning each item into the parcel, then recording the parcel."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from kernel.errors import InvalidTransition
from orders import services as order_services
from orders.models import OrderEvent

from .. import signals
from ..exceptions import FulfillmentError
from ..locks import shipment_for_update
from ..models import Shipment, ShipmentLine, pickup_code
from .shipments import order_for_fulfillment, send_after_commit

State = Shipment.State


@dataclass
class ScanResult:
    line: ShipmentLine
    complete: bool
    message: str


def scan_item(*, shipment_id: int, code: str, actor=None) -> ScanResult:
    """The packer scanned (or typed) a SKU or barcode. A code not in the shipment, or one
    unit too many, is refused with a message and changes nothing."""
    code = (code or "").strip()
    if not code or "\x00" in code or len(code) > 64:
        raise FulfillmentError("Scan or type a SKU or barcode.")
    with transaction.atomic():
        shipment = shipment_for_update(shipment_id)
        if shipment.state != State.PICKING:
            raise InvalidTransition(f"Shipment {shipment.number} is "
                                    f"{shipment.get_state_display().lower()}, not being packed.")
        order_for_fulfillment(shipment, "packed")
        lines = list(shipment.lines.select_for_update(of=("self",)).select_related(
            "order_line__variant").order_by("pk"))
        matching = [line for line in lines if code.upper() in {
            line.order_line.sku.upper(),
            (line.order_line.variant.barcode.upper() if line.order_line.variant else "")} - {""}]
        if not matching:
            raise FulfillmentError(f"{code} is not in shipment {shipment.number}. Put it back.",
                                   code="wrong_item")
        line = next((m for m in matching if m.quantity_scanned < m.quantity), None)
        if line is None:
            raise FulfillmentError(f"Too many: shipment {shipment.number} needs only "
                                   f"{matching[0].quantity} of {matching[0].order_line.sku}.",
                                   code="too_many")
        line.quantity_scanned += 1
        line.save(update_fields=["quantity_scanned"])
        complete = all(other.quantity_scanned >= other.quantity for other in lines)
        return ScanResult(line=line, complete=complete,
                          message=f"{line.order_line.sku}: {line.quantity_scanned} of "
                                  f"{line.quantity}" + (" · all items scanned" if complete
                                                        else ""))


def complete_packing(*, shipment_id: int, weight_grams: int, length_cm: int | None = None,
                     width_cm: int | None = None, height_cm: int | None = None,
                     actor=None) -> Shipment:
    """Every line scanned; record the parcel. A courier shipment then gets its label (a
    task, after commit); a pickup shipment is ready for pickup with a code for the shopper."""
    if not isinstance(weight_grams, int) or weight_grams <= 0 or weight_grams > 70_000:
        raise FulfillmentError("Enter the parcel weight in grams (1 to 70,000).")
    for dimension in (length_cm, width_cm, height_cm):
        if dimension is not None and not 0 < dimension <= 300:
            raise FulfillmentError("Dimensions are centimetres between 1 and 300.")
    with transaction.atomic():
        shipment = shipment_for_update(shipment_id)
        shipment.ensure_can_become(State.PACKED)
        order_for_fulfillment(shipment, "packed")
        missing = [line for line in shipment.lines.select_related("order_line")
                   if line.quantity_scanned < line.quantity]
        if missing:
            raise FulfillmentError("Scan every item first: " + ", ".join(
                f"{line.order_line.sku} {line.quantity_scanned}/{line.quantity}"
                for line in missing) + ".", code="not_all_scanned")
        shipment.state = State.PACKED
        shipment.weight_grams, shipment.length_cm = weight_grams, length_cm
        shipment.width_cm, shipment.height_cm = width_cm, height_cm
        shipment.packed_at = timezone.now()
        if shipment.is_pickup:
            shipment.pickup_code = pickup_code()
        shipment.save()
        message = (f"Shipment {shipment.number} is ready for pickup at {shipment.warehouse.name}."
                   if shipment.is_pickup else f"Shipment {shipment.number} packed.")
        order_services.record_order_event(order_id=shipment.order_id,
                                          event_type=OrderEvent.Type.NOTE, message=message,
                                          actor=actor)
        send_after_commit(signals.ready_for_pickup if shipment.is_pickup
                          else signals.shipment_packed, shipment)
        return shipment
