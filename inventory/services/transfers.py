"""Transfers between warehouses: draft -> in transit (units leave the source, a transfer-out
line each) -> received (units arrive at the destination, a transfer-in line each)."""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from catalog.models import Variant

from .. import locks
from ..exceptions import StockError
from ..models import StockMovement, StockTransfer, StockTransferLine, Warehouse
from .purchasing import _actor, whole_number
from .stock import _record_movement


def create_transfer(*, source_id: int, destination_id: int, lines: Iterable[tuple[int, int]],
                    user: AbstractBaseUser | None = None, note: str = "") -> StockTransfer:
    """Draft a transfer of ``lines`` ((variant id, quantity) pairs) between two different
    active warehouses. Refused, with nothing written: the same warehouse twice, no lines,
    a variant twice, a quantity that is not a whole number above zero."""
    if source_id == destination_id:
        raise StockError("A transfer needs two different warehouses; the source and the "
                         "destination are the same.")
    warehouses = Warehouse.objects.in_bulk([source_id, destination_id])
    for warehouse_id, role in ((source_id, "source"), (destination_id, "destination")):
        warehouse = warehouses.get(warehouse_id)
        if warehouse is None or not warehouse.is_active:
            raise StockError(f"Choose an active {role} warehouse.")
    lines = list(lines)
    if not lines:
        raise StockError("A transfer needs at least one line.")
    variant_ids = [variant_id for variant_id, _ in lines]
    if len(set(variant_ids)) != len(variant_ids):
        raise StockError("Each variant may appear once on a transfer.")
    variants = Variant.objects.in_bulk(variant_ids)
    checked = []
    for variant_id, quantity in lines:
        variant = variants.get(variant_id)
        if variant is None:
            raise StockError(f"No variant {variant_id}.")
        checked.append((variant, whole_number(quantity, what=f"{variant.sku}: the quantity")))
    with transaction.atomic():
        transfer = StockTransfer.objects.create(source_id=source_id, destination_id=destination_id,
                                                note=note, created_by=_actor(user))
        StockTransferLine.objects.bulk_create(
            StockTransferLine(transfer=transfer, variant=variant, quantity=quantity)
            for variant, quantity in checked)
    return transfer


def dispatch_transfer(*, transfer_id: int,
                      user: AbstractBaseUser | None = None) -> StockTransfer:
    """The units leave the source: a transfer-out line per variant, taken only from free
    units (what is allocated to orders stays). Refused whole, nothing written, when any
    line has too few free units."""
    with transaction.atomic():
        transfer = locks.transfer_for_update(transfer_id)
        transfer.ensure_can_become(StockTransfer.Status.IN_TRANSIT)
        if not transfer.source.is_active:
            raise StockError(f"Warehouse {transfer.source.code} is not active.")
        lines = list(transfer.lines.select_related("variant").order_by("pk"))
        levels = locks.levels_for_pairs_for_update(
            (line.variant_id, transfer.source_id) for line in lines)
        short = []
        for line in lines:
            level = levels[(line.variant_id, transfer.source_id)]
            if level.free < line.quantity:
                short.append(f"{line.variant.sku} ({level.free} free, "
                             f"{line.quantity} wanted)")
        if short:
            raise StockError(f"Not enough free stock at {transfer.source.code}: "
                             + "; ".join(short) + ".")
        for line in lines:
            _record_movement(level=levels[(line.variant_id, transfer.source_id)],
                             kind=StockMovement.Kind.TRANSFER_OUT, quantity=-line.quantity,
                             reason=f"Transfer to {transfer.destination.code}",
                             reference=transfer.number, user=_actor(user))
        transfer.status = StockTransfer.Status.IN_TRANSIT
        transfer.dispatched_at = timezone.now()
        transfer.save(update_fields=["status", "dispatched_at"])
    return transfer


def receive_transfer(*, transfer_id: int,
                     user: AbstractBaseUser | None = None) -> StockTransfer:
    """The units arrive at the destination: a transfer-in line per variant."""
    with transaction.atomic():
        transfer = locks.transfer_for_update(transfer_id)
        transfer.ensure_can_become(StockTransfer.Status.RECEIVED)
        if not transfer.destination.is_active:
            raise StockError(f"Warehouse {transfer.destination.code} is not active.")
        lines = list(transfer.lines.order_by("pk"))
        levels = locks.levels_for_pairs_for_update(
            (line.variant_id, transfer.destination_id) for line in lines)
        for line in lines:
            _record_movement(level=levels[(line.variant_id, transfer.destination_id)],
                             kind=StockMovement.Kind.TRANSFER_IN, quantity=line.quantity,
                             reason=f"Transfer from {transfer.source.code}",
                             reference=transfer.number, user=_actor(user))
        transfer.status = StockTransfer.Status.RECEIVED
        transfer.received_at = timezone.now()
        transfer.save(update_fields=["status", "received_at"])
    return transfer


def cancel_transfer(*, transfer_id: int) -> StockTransfer:
    """Cancel a draft (once in transit, the units are on a truck: receive them)."""
    with transaction.atomic():
        transfer = locks.transfer_for_update(transfer_id)
        transfer.ensure_can_become(StockTransfer.Status.CANCELED)
        transfer.status = StockTransfer.Status.CANCELED
        transfer.save(update_fields=["status"])
    return transfer
