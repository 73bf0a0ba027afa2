"""Every change to a shipment: create from a paid order, pick, pack (scan to verify), buy
the label, ship (stock leaves), track, deliver, collect at the store, cancel.

Each transition locks the shipment, checks ``Shipment.TRANSITIONS``, writes the new state,
a tracking event where the shopper should see it, and an order event. Carriers are never
called inside a transaction: the label purchase is claimed and committed first.
"""

from __future__ import annotations

import re
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from inventory import services as inventory_services
from kernel.errors import InvalidTransition, NotFound, ShopError
from orders import locks as order_locks
from orders import services as order_services
from orders.models import Allocation, Order, OrderEvent

from . import signals
from .carriers import Parcel, TrackingUpdate, get_carrier
from .models import LabelPurchase, PickList, Shipment, ShipmentLine, TrackingEvent

State = Shipment.State
LABEL_CLAIM_TIMEOUT = timedelta(minutes=5)


class FulfillmentError(ShopError):
    code = "fulfillment_invalid"


def shipment_for_update(shipment_id: int) -> Shipment:
    try:
        return (Shipment.objects.select_for_update(of=("self",))
                .select_related("order", "warehouse").get(pk=shipment_id))
    except (Shipment.DoesNotExist, ValueError, TypeError):
        raise NotFound("No such shipment.") from None


def _after_commit(signal, shipment: Shipment, **extra) -> None:
    transaction.on_commit(partial(signal.send, sender=Shipment, shipment_id=shipment.pk,
                                  **extra))


def _track(shipment: Shipment, status: str, description: str, *, event_id: str = "",
           location: str = "", occurred_at: datetime | None = None) -> TrackingEvent:
    return TrackingEvent.objects.create(
        shipment=shipment, event_id=event_id or f"shop:{uuid.uuid4().hex}", status=status,
        occurred_at=occurred_at or timezone.now(), location=location[:120],
        description=description[:300])


# --- Creating shipments ---------------------------------------------------------------------

def create_shipments(*, order_id: int) -> list[Shipment]:
    """One shipment per warehouse for the order's allocated units that no live shipment
    covers yet.

    Placement allocated from the fewest warehouses that cover the order; shipments follow
    those allocations, so the order ships in as few parcels as its stock allows. Units in a
    shipment that has not left (pending to label purchased) are covered; units of a
    canceled shipment stay allocated to the order and are shipped again here; units that
    left are no longer allocated. New shipments are numbered after the highest existing
    suffix (numbers are unique, canceled shipments keep theirs). Nothing happens for an
    order that is not paid (or authorized), is held for fraud review, is canceled, or has
    every allocated unit in a live shipment: safe to run twice.
    """
    with transaction.atomic():
        order = order_locks.order_for_update(order_id)
        if (order.status != Order.Status.OPEN or order.risk == Order.Risk.HELD
                or order.payment_status not in {Order.PaymentStatus.PAID,
                                                Order.PaymentStatus.AUTHORIZED}):
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


# --- Picking --------------------------------------------------------------------------------

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
        try:
            pick_list = PickList.objects.select_for_update().get(pk=pick_list_id)
        except (PickList.DoesNotExist, ValueError, TypeError):
            raise NotFound("No such pick list.") from None
        if pick_list.picked_at is not None:
            raise InvalidTransition(
                f"Pick list {pick_list.pk} was already marked picked "
                f"{timezone.localtime(pick_list.picked_at):%b %d %H:%M}.")
        shipments = list(pick_list.shipments.select_for_update(of=("self",))
                         .filter(state=State.PICKING).order_by("pk"))
        if not shipments:
            raise FulfillmentError(f"Pick list {pick_list.pk} has no shipments left to pick.",
                                   code="nothing_to_pick")
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


# --- Packing --------------------------------------------------------------------------------

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
    from .models import pickup_code

    if not isinstance(weight_grams, int) or weight_grams <= 0 or weight_grams > 70_000:
        raise FulfillmentError("Enter the parcel weight in grams (1 to 70,000).")
    for dimension in (length_cm, width_cm, height_cm):
        if dimension is not None and not 0 < dimension <= 300:
            raise FulfillmentError("Dimensions are centimetres between 1 and 300.")
    with transaction.atomic():
        shipment = shipment_for_update(shipment_id)
        shipment.ensure_can_become(State.PACKED)
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
        _after_commit(signals.shipment_packed, shipment)
        return shipment


# --- Labels ---------------------------------------------------------------------------------

def purchase_label(*, shipment_id: int) -> Shipment:
    """Buy the shipment's one label. Safe to run twice or twice at once: the purchase row is
    unique per shipment and claimed under the shipment's lock; a second caller finds it
    claimed (or done) and leaves. A claim older than LABEL_CLAIM_TIMEOUT (a worker that died
    mid-call) is taken over with the same idempotency key."""
    with transaction.atomic():
        shipment = shipment_for_update(shipment_id)
        if shipment.state != State.PACKED or shipment.is_pickup:
            return shipment
        now = timezone.now()
        purchase, created = LabelPurchase.objects.select_for_update().get_or_create(
            shipment=shipment,
            defaults={"carrier": shipment.carrier, "claimed_at": now,
                      "idempotency_key": f"label:{shipment.number}:{uuid.uuid4().hex[:8]}"})
        if purchase.outcome == LabelPurchase.Outcome.SUCCEEDED:
            return shipment
        if (not created and purchase.outcome == LabelPurchase.Outcome.IN_FLIGHT
                and now - purchase.claimed_at < LABEL_CLAIM_TIMEOUT):
            return shipment  # another worker is buying it right now
        purchase.attempts += 1
        purchase.outcome = LabelPurchase.Outcome.IN_FLIGHT
        purchase.claimed_at = now
        purchase.save(update_fields=["attempts", "outcome", "claimed_at"])
    parcel = Parcel(shipment.weight_grams, shipment.length_cm, shipment.width_cm,
                    shipment.height_cm)
    carrier = get_carrier(shipment.carrier)
    try:
        result = carrier.buy_label(shipment=shipment, parcel=parcel,
                                   idempotency_key=purchase.idempotency_key)
    except Exception as error:  # noqa: BLE001 - recorded, then re-raised for the task's retry
        LabelPurchase.objects.filter(pk=purchase.pk).update(
            outcome=LabelPurchase.Outcome.FAILED, error=str(error)[:300])
        raise
    with transaction.atomic():
        shipment = shipment_for_update(shipment_id)
        shipment.ensure_can_become(State.LABEL_PURCHASED)
        shipment.tracking_number = result.tracking_number
        shipment.service = result.service
        shipment.label_cost = result.cost
        shipment.label.save(f"{result.tracking_number}.pdf", ContentFile(result.pdf), save=False)
        shipment.state = State.LABEL_PURCHASED
        shipment.save()
        LabelPurchase.objects.filter(pk=purchase.pk).update(
            outcome=LabelPurchase.Outcome.SUCCEEDED, reference=result.reference,
            completed_at=timezone.now(), error="")
        order_services.record_order_event(
            order_id=shipment.order_id, event_type=OrderEvent.Type.NOTE,
            message=f"Label bought for {shipment.number}: {shipment.get_carrier_display()} "
                    f"{result.tracking_number}.")
        return shipment


# --- Shipping and tracking ------------------------------------------------------------------

def ship_shipment(*, shipment_id: int, actor=None) -> Shipment:
    """The parcel left: stock leaves (on_hand and allocated drop, with ledger lines), the
    order's lines count the units fulfilled, the shopper gets the shipped email."""
    with transaction.atomic():
        shipment = shipment_for_update(shipment_id)
        if shipment.state == State.SHIPPED:
            return shipment
        shipment.ensure_can_become(State.SHIPPED)
        _leave_warehouse(shipment, actor)
        shipment.state = State.SHIPPED
        shipment.shipped_at = timezone.now()
        shipment.save(update_fields=["state", "shipped_at", "updated_at"])
        _track(shipment, State.SHIPPED, f"Left {shipment.warehouse.name}",
               location=shipment.warehouse.city)
        _after_commit(signals.shipment_status_changed, shipment, status=State.SHIPPED)
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
        _after_commit(signals.shipment_status_changed, shipment, status=update.status)
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
        _after_commit(signals.shipment_status_changed, shipment, status=State.DELIVERED)
        return shipment


def cancel_shipment(*, shipment_id: int, actor=None) -> Shipment:
    """Cancel a shipment that has not left. Its units stay allocated to the order (a new
    shipment can take them) unless the order itself is canceled, which releases them."""
    with transaction.atomic():
        shipment = shipment_for_update(shipment_id)
        shipment.ensure_can_become(State.CANCELED)
        if shipment.state == State.LABEL_PURCHASED:
            # The bought label is canceled at the carrier after commit (a task).
            _after_commit(signals.label_void_needed, shipment)
        shipment.state = State.CANCELED
        shipment.pick_list = None
        shipment.save(update_fields=["state", "pick_list", "updated_at"])
        order_services.record_order_event(
            order_id=shipment.order_id, event_type=OrderEvent.Type.NOTE, actor=actor,
            message=f"Shipment {shipment.number} canceled; its items stay reserved for the "
                    "order." if shipment.order.status == Order.Status.OPEN else
                    f"Shipment {shipment.number} canceled.")
        return shipment


def void_label(*, shipment_id: int) -> bool:
    """Cancel a canceled shipment's label at the carrier, once (outside any transaction)."""
    purchase = LabelPurchase.objects.filter(
        shipment_id=shipment_id, shipment__state=State.CANCELED,
        outcome=LabelPurchase.Outcome.SUCCEEDED, voided_at__isnull=True).first()
    if purchase is None:
        return False
    get_carrier(purchase.carrier).void_label(reference=purchase.reference)
    LabelPurchase.objects.filter(pk=purchase.pk, voided_at__isnull=True).update(
        voided_at=timezone.now())
    return True


def _user(actor):
    return actor if actor is not None and getattr(actor, "is_authenticated", False) else None
