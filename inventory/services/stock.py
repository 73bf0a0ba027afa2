"""Every change to stock on hand goes through here and writes a ledger line."""

from __future__ import annotations

from functools import partial

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import Case, F, IntegerField, Value, When

from catalog.bulk_import import insert_rows
from catalog.models import Variant
from kernel.bounds import INTEGER_MAX

from .. import locks
from ..exceptions import StockError
from ..models import StockLevel, StockMovement, UnsellableChange, Warehouse
from ..selectors import level_available_expression
from ..signals import stock_level_changed, stock_levels_changed

# Kinds that add to on_hand and kinds that take away, for the services below.
INBOUND_KINDS = {
    StockMovement.Kind.RECEIPT,
    StockMovement.Kind.RETURN_RESTOCK,
    StockMovement.Kind.TRANSFER_IN,
}


def _changed_after_commit(stock_level_id: int) -> None:
    transaction.on_commit(partial(stock_level_changed.send, sender=StockLevel,
                                  stock_level_id=stock_level_id))


def _record_movement(*, level: StockLevel, kind: str, quantity: int, reason: str,
                     reference: str, user: AbstractBaseUser | None) -> StockMovement:
    # Conditional, so a receipt that would push on hand past the column is refused (a 4xx)
    # instead of overflowing inside the database (a 500).
    moved = StockLevel.objects.filter(pk=level.pk, on_hand__lte=INTEGER_MAX - max(quantity, 0)
                                      ).update(on_hand=F("on_hand") + quantity)
    if not moved:
        raise StockError(f"{quantity} more units would put on hand past {INTEGER_MAX}; "
                         f"check the quantity.")
    _changed_after_commit(level.pk)
    level.refresh_from_db(fields=["on_hand", "allocated"])
    return StockMovement.objects.create(
        stock_level=level, kind=kind, quantity=quantity, on_hand_after=level.on_hand,
        reason=reason[:255], reference=reference[:100],
        user=user if user is not None and user.is_authenticated else None,
    )


def receive_stock(*, variant: Variant, warehouse: Warehouse, quantity: int,
                  reference: str = "", reason: str = "Stock received",
                  user: AbstractBaseUser | None = None,
                  kind: str = StockMovement.Kind.RECEIPT) -> StockMovement:
    """Add ``quantity`` units to on hand (a receipt, a restock, a transfer in).

    Preconditions: quantity is a whole number above zero; the warehouse is active.
    Guarantees: on_hand and the ledger move together in one transaction.
    """
    if not isinstance(quantity, int) or isinstance(quantity, bool) or quantity <= 0:
        raise StockError("Quantity received must be a whole number above zero.")
    if kind not in INBOUND_KINDS:
        raise StockError(f"{kind} is not a way stock comes in.")
    if not warehouse.is_active:
        raise StockError(f"Warehouse {warehouse.code} is not active.")
    with transaction.atomic():
        level = locks.stock_level_for_update(variant_id=variant.pk, warehouse_id=warehouse.pk)
        return _record_movement(level=level, kind=kind, quantity=quantity, reason=reason,
                                reference=reference, user=user)


def receive_first_stock(*, quantities: list[tuple[int, int]], warehouse: Warehouse,
                        reference: str = "", reason: str = "Stock received") -> int:
    """The first receipt of many new variants at once (the product import), given as
    (variant id, quantity) pairs: one stock
    level and one receipt line each, in two INSERTs. The same rows ``receive_stock`` would
    write; after commit one ``stock_levels_changed`` with every level's id (receivers do
    for each what they do on ``stock_level_changed``).

    Preconditions: no variant has a level in ``warehouse`` yet (else IntegrityError, and
    the caller's transaction rolls back); every quantity a whole number above zero.
    """
    if any(not isinstance(q, int) or isinstance(q, bool) or q <= 0 for _, q in quantities):
        raise StockError("Quantity received must be a whole number above zero.")
    if not warehouse.is_active:
        raise StockError(f"Warehouse {warehouse.code} is not active.")
    if not quantities:
        return 0
    with transaction.atomic():
        level_ids = insert_rows(
            StockLevel, ["variant_id", "warehouse_id", "on_hand"],
            [(variant_id, warehouse.pk, quantity) for variant_id, quantity in quantities],
            returning=True)
        insert_rows(
            StockMovement, ["stock_level_id", "kind", "quantity", "on_hand_after", "reason",
                            "reference"],
            [(level_id, StockMovement.Kind.RECEIPT.value, quantity, quantity, reason[:255],
              reference[:100])
             for level_id, (_, quantity) in zip(level_ids, quantities, strict=True)])
        transaction.on_commit(partial(stock_levels_changed.send, sender=StockLevel,
                                      stock_level_ids=level_ids))
    return len(level_ids)


def adjust_stock_count(*, variant: Variant, warehouse: Warehouse, counted: int,
                       reason: str, reference: str = "",
                       user: AbstractBaseUser | None = None) -> StockMovement | None:
    """Set on hand to what a person counted; the difference goes into the ledger.

    Refused when the count is negative or below what is already allocated to orders
    (those units must exist: recount, or cancel the orders first). Returns None when the
    count matches on hand, since nothing changed.
    """
    if not isinstance(counted, int) or isinstance(counted, bool) or counted < 0:
        raise StockError("A count must be a whole number, zero or more.")
    if not reason.strip():
        raise StockError("Say why the count changed (e.g. cycle count, damaged).")
    with transaction.atomic():
        level = locks.stock_level_for_update(variant_id=variant.pk, warehouse_id=warehouse.pk)
        if counted < level.allocated + level.unsellable:
            raise StockError(
                f"{variant.sku} at {warehouse.code}: {level.allocated} units are allocated to "
                f"orders and {level.unsellable} on quality hold, so the count cannot be "
                f"{counted}."
            )
        delta = counted - level.on_hand
        if delta == 0:
            return None
        return _record_movement(level=level, kind=StockMovement.Kind.COUNT_ADJUSTMENT,
                                quantity=delta, reason=reason, reference=reference, user=user)


def allocate_units(*, stock_level_id: int, quantity: int) -> bool:
    """Promise ``quantity`` units of a stock level to an order, only if they are free.

    One conditional UPDATE (``allocated = allocated + q WHERE available >= q``, available
    being ``inventory.selectors.level_available_expression``: on hand less allocated,
    unsellable and safety stock), so two buyers can never both take the last unit, on
    PostgreSQL or SQLite. Returns whether the units were taken. Call inside the caller's
    transaction.
    """
    if quantity <= 0:
        raise StockError("Allocate a quantity above zero.")
    taken = bool(
        StockLevel.objects.alias(sellable=level_available_expression())
        .filter(pk=stock_level_id, sellable__gte=quantity)
        .update(allocated=F("allocated") + quantity)
    )
    if taken:
        _changed_after_commit(stock_level_id)
    return taken


def allocate_units_of_levels(*, quantities: dict[int, int]) -> bool:
    """``allocate_units`` for several stock levels (level id -> units) in one UPDATE, each
    level taken only if it has its units free (the same rule, per row). Returns whether
    every level was taken; on False some may have been, so the caller must roll back its
    transaction (raise). Call inside the caller's transaction, with the levels locked in
    primary-key order (the update then takes no new row lock out of order)."""
    if not quantities:
        return True
    if any(quantity <= 0 for quantity in quantities.values()):
        raise StockError("Allocate a quantity above zero.")
    wanted = Case(*[When(pk=pk, then=Value(quantity)) for pk, quantity in quantities.items()],
                  output_field=IntegerField())
    taken = (StockLevel.objects.alias(sellable=level_available_expression())
             .filter(pk__in=list(quantities), sellable__gte=wanted)
             .update(allocated=F("allocated") + wanted))
    for stock_level_id in sorted(quantities):
        _changed_after_commit(stock_level_id)
    return taken == len(quantities)


def release_units(*, stock_level_id: int, quantity: int) -> None:
    """Give back ``quantity`` allocated units (an order canceled or its lines changed)."""
    updated = StockLevel.objects.filter(pk=stock_level_id, allocated__gte=quantity).update(
        allocated=F("allocated") - quantity
    )
    if not updated:
        raise StockError(f"Stock level {stock_level_id} has fewer than {quantity} units allocated.")
    _changed_after_commit(stock_level_id)


def ship_units(*, stock_level_id: int, quantity: int, reference: str,
               user: AbstractBaseUser | None = None) -> StockMovement:
    """Units leave the building: on_hand and allocated both drop, with a ledger line.

    Preconditions: the units are allocated (they were promised to the order being shipped).
    Call inside the caller's transaction.
    """
    if quantity <= 0:
        raise StockError("Ship a quantity above zero.")
    level = locks.stock_level_by_id_for_update(stock_level_id)
    if level.allocated < quantity:
        raise StockError(f"{level} has only {level.allocated} units allocated; cannot ship "
                         f"{quantity}.")
    StockLevel.objects.filter(pk=level.pk).update(allocated=F("allocated") - quantity)
    return _record_movement(level=level, kind=StockMovement.Kind.SHIPMENT, quantity=-quantity,
                            reason="Shipped", reference=reference, user=user)


def write_off_stock(*, stock_level_id: int, quantity: int, reason: str, reference: str = "",
                    user: AbstractBaseUser | None = None) -> StockMovement:
    """Units are no longer sellable (damaged, lost): on_hand drops with a write-off line.

    Refused when fewer than ``quantity`` units are free (units promised to orders can't be
    written off; release them first). Call inside the caller's transaction or alone.
    """
    if not isinstance(quantity, int) or isinstance(quantity, bool) or quantity <= 0:
        raise StockError("Write off a whole number of units above zero.")
    if not reason.strip():
        raise StockError("Say why the units are written off.")
    with transaction.atomic():
        level = locks.stock_level_by_id_for_update(stock_level_id)
        if level.free < quantity:
            raise StockError(f"{level}: only {level.free} free units; "
                             f"cannot write off {quantity}.")
        return _record_movement(level=level, kind=StockMovement.Kind.WRITE_OFF,
                                quantity=-quantity, reason=reason, reference=reference,
                                user=user)


def _unsellable_change(level: StockLevel, kind: str, quantity: int, reason: str,
                       user: AbstractBaseUser | None) -> UnsellableChange:
    level.refresh_from_db(fields=["on_hand", "allocated", "unsellable"])
    return UnsellableChange.objects.create(
        stock_level=level, kind=kind, quantity=quantity, unsellable_after=level.unsellable,
        reason=reason[:255], user=user if user is not None and user.is_authenticated else None)


def _check_units(quantity: int, reason: str) -> None:
    if not isinstance(quantity, int) or isinstance(quantity, bool) or quantity <= 0:
        raise StockError("Enter a whole number of units above zero.")
    if not (reason or "").strip():
        raise StockError("Say why (e.g. damaged in the warehouse, supplier recall).")


def hold_units(*, stock_level_id: int, quantity: int, reason: str,
               user: AbstractBaseUser | None = None) -> UnsellableChange:
    """Put free units on quality hold: still on hand, no longer sellable. Refused when
    fewer than ``quantity`` units are free (units promised to orders stay promised)."""
    _check_units(quantity, reason)
    with transaction.atomic():
        level = locks.stock_level_by_id_for_update(stock_level_id)
        if level.free < quantity:
            raise StockError(f"{level}: only {level.free} free units can go on hold.")
        StockLevel.objects.filter(pk=level.pk).update(unsellable=F("unsellable") + quantity)
        _changed_after_commit(level.pk)
        return _unsellable_change(level, UnsellableChange.Kind.HOLD, quantity, reason, user)


def release_held_units(*, stock_level_id: int, quantity: int, reason: str,
                       user: AbstractBaseUser | None = None) -> UnsellableChange:
    """Units on hold passed inspection: sellable again."""
    _check_units(quantity, reason)
    with transaction.atomic():
        level = locks.stock_level_by_id_for_update(stock_level_id)
        if level.unsellable < quantity:
            raise StockError(f"{level}: only {level.unsellable} units are on hold.")
        StockLevel.objects.filter(pk=level.pk).update(unsellable=F("unsellable") - quantity)
        _changed_after_commit(level.pk)
        return _unsellable_change(level, UnsellableChange.Kind.RELEASE, quantity, reason, user)


def write_off_held_units(*, stock_level_id: int, quantity: int, reason: str,
                         user: AbstractBaseUser | None = None) -> UnsellableChange:
    """Units on hold are beyond saving: they leave on hand with a write-off ledger line."""
    _check_units(quantity, reason)
    with transaction.atomic():
        level = locks.stock_level_by_id_for_update(stock_level_id)
        if level.unsellable < quantity:
            raise StockError(f"{level}: only {level.unsellable} units are on hold.")
        StockLevel.objects.filter(pk=level.pk).update(unsellable=F("unsellable") - quantity)
        _record_movement(level=level, kind=StockMovement.Kind.WRITE_OFF, quantity=-quantity,
                         reason=f"Written off from quality hold: {reason}", reference="",
                         user=user)
        return _unsellable_change(level, UnsellableChange.Kind.WRITE_OFF, quantity, reason,
                                  user)


def set_safety_stock(*, stock_level_id: int, quantity: int,
                     user: AbstractBaseUser | None = None) -> StockLevel:
    """The buffer the storefront never sells from this stock level (zero for none)."""
    if not isinstance(quantity, int) or isinstance(quantity, bool) or quantity < 0:
        raise StockError("Safety stock is a whole number of units, zero or more.")
    with transaction.atomic():
        level = locks.stock_level_by_id_for_update(stock_level_id)
        StockLevel.objects.filter(pk=level.pk).update(safety_stock=quantity)
        _changed_after_commit(level.pk)
        level.refresh_from_db()
        return level
