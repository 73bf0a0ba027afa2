"""Repairs for what the stock check finds, and the nightly check's email.

Each repair is one transaction that locks what it changes, re-checks the violation under
the lock (so it is idempotent: a second run finds nothing to do) and leaves an explained
trail: a ledger line, an order event and a ``StockRepair`` row with the numbers before and
after. A repair that cannot be made safely changes nothing and says why.

Why here and not in inventory or orders: the truth these repairs restore spans the apps
(``allocated`` lives in inventory, the allocations that must add up to it in orders, the
units shipped on order lines written by fulfillment), so only a layer above them all can
compare them. The row locks are the owning apps' (``inventory.locks``, ``orders.locks``),
taken in their order: an order before its stock levels, as ``orders.cancel_order`` does;
stock levels in primary-key order.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.db.models import F, Sum
from django.utils import timezone

from inventory import locks as inventory_locks
from inventory import services as inventory_services
from inventory.exceptions import StockError
from inventory.models import StockLevel, StockMovement
from inventory.selectors import level_available_expression, level_free_expression
from kernel.errors import NotFound
from orders import locks as order_locks
from orders import services as order_services
from orders.exceptions import OutOfStock
from orders.models import Allocation, Order, OrderEvent, OrderLine
from shop.web.consistency import record_nightly_run

from .models import Problem, StockCheckRun, StockRepair
from .selectors import PAID_STATUSES, StockReport, StockShortfall, Violation, check_stock

REFERENCE = "stock-check"


@dataclass(frozen=True)
class RepairOutcome:
    repaired: bool
    message: str

    def __str__(self) -> str:
        return self.message


def _user(user):
    return user if user is not None and user.is_authenticated else None


def _lock_level(stock_level_id: int) -> StockLevel:
    level = (inventory_locks.stock_levels_for_update([stock_level_id])
             .select_related("variant", "warehouse")
             .annotate(available_units=level_free_expression()).first())
    if level is None:
        raise NotFound("That stock level no longer exists.")
    return level


def _name(level: StockLevel) -> str:
    return f"{level.variant.sku} at {level.warehouse.code}"


def _audit(*, problem: str, subject: str, message: str, changes: dict, user,
           stock_level: StockLevel | None = None, order: Order | None = None,
           movement: StockMovement | None = None) -> StockRepair:
    return StockRepair.objects.create(
        problem=problem, subject=subject[:200], message=message[:500], changes=changes,
        stock_level=stock_level, order=order, movement=movement, user=_user(user))


# --- Counters on the stock level ------------------------------------------------------------


def repair_ledger(*, stock_level_id: int, user=None) -> RepairOutcome:
    """Make a stock level's ledger sum to its on hand with one correcting line.

    On hand is kept: it is what checkout sells against and what a count sets, so the gap
    is in the ledger (a movement lost or written wrong). The correcting line is a count
    adjustment of the difference with ``on_hand_after`` = the current on hand, so
    ``check_stock_ledger`` (which sums the movements) agrees afterwards. If the shelf holds
    something else, count it after the repair: the count moves both together.
    """
    with transaction.atomic():
        level = _lock_level(stock_level_id)
        ledger_total = (StockMovement.objects.filter(stock_level=level)
                        .aggregate(total=Sum("quantity"))["total"] or 0)
        difference = level.on_hand - ledger_total
        if difference == 0:
            return RepairOutcome(False, f"{_name(level)}: the ledger already sums to on hand.")
        reason = f"Repair: ledger summed to {ledger_total}, on hand {level.on_hand}"
        movement = StockMovement.objects.create(
            stock_level=level, kind=StockMovement.Kind.COUNT_ADJUSTMENT, quantity=difference,
            on_hand_after=level.on_hand, reason=reason, reference=REFERENCE, user=_user(user))
        message = (f"{_name(level)}: the ledger summed to {ledger_total} but on hand is "
                   f"{level.on_hand}; wrote a correcting line of {difference:+d} (on hand "
                   "unchanged).")
        _audit(problem=Problem.LEDGER_DRIFT, subject=_name(level), message=message,
               changes={"ledger_total": [ledger_total, level.on_hand],
                        "on_hand": level.on_hand},
               user=user, stock_level=level, movement=movement)
        return RepairOutcome(True, message)


def _reset_allocated(level: StockLevel, *, problem: str, user) -> RepairOutcome:
    """Set a locked level's ``allocated`` to what its allocations hold (caller's
    transaction). Refused when they hold more than is on hand: the database would refuse
    it too, and the fix is a count or a release, which a person must choose."""
    total = (Allocation.objects.filter(stock_level=level)
             .aggregate(total=Sum("quantity"))["total"] or 0)
    if level.allocated == total:
        return RepairOutcome(False, f"{_name(level)}: allocated already equals its "
                                    f"allocations ({total}).")
    if total > level.on_hand:
        return RepairOutcome(False, (
            f"{_name(level)}: the allocations hold {total} units but only {level.on_hand} "
            "are on hand. Count the stock, or cancel or reallocate orders, then check "
            "again."))
    StockLevel.objects.filter(pk=level.pk).update(allocated=total)
    message = (f"{_name(level)}: allocated was {level.allocated}, its order allocations add "
               f"up to {total}; set allocated to {total}.")
    _audit(problem=problem, subject=_name(level), message=message,
           changes={"allocated": [level.allocated, total]}, user=user, stock_level=level)
    return RepairOutcome(True, message)


def repair_allocated(*, stock_level_id: int, user=None) -> RepairOutcome:
    """Set a stock level's ``allocated`` to the sum of its order allocations, under the
    level's lock (every allocation is written while that lock is held, so the sum read
    after taking it is current)."""
    with transaction.atomic():
        return _reset_allocated(_lock_level(stock_level_id), problem=Problem.ALLOCATED_DRIFT,
                                user=user)


def repair_negative_available(*, stock_level_id: int, user=None) -> RepairOutcome:
    """Available below zero: when ``allocated`` has drifted above the allocations, correct
    it; when the allocations themselves exceed what is there, report (a person decides:
    count, cancel or reallocate)."""
    with transaction.atomic():
        level = _lock_level(stock_level_id)
        if level.available_units >= 0:
            return RepairOutcome(False, f"{_name(level)}: available is no longer below zero.")
        outcome = _reset_allocated(level, problem=Problem.NEGATIVE_AVAILABLE, user=user)
        available = _lock_level(stock_level_id).available_units
        if available >= 0:
            return outcome
        if outcome.repaired:
            return RepairOutcome(True, f"{outcome.message} Available is still {available}: "
                                       "count the stock.")
        return RepairOutcome(False, (
            f"{_name(level)}: available is {available} with {level.on_hand} on hand; the "
            "orders' allocations are more than the warehouse holds. Nothing was changed: "
            "count the stock, or cancel or reallocate orders, then check again."))


# --- Allocations of orders ------------------------------------------------------------------


def release_closed_order_stock(*, order_id: int, user=None) -> RepairOutcome:
    """Give back the stock still held for a canceled or closed order, through
    ``orders.services.release_order_stock`` under the order's lock."""
    try:
        with transaction.atomic():
            order = order_locks.order_for_update(order_id)
            if order.status == Order.Status.OPEN:
                return RepairOutcome(False, f"Order {order.number} is open; its allocations "
                                            "are checked line by line.")
            released = order_services.release_order_stock(order)
            if not released:
                return RepairOutcome(False, f"Order {order.number} holds no stock.")
            message = (f"Order {order.number} is {order.get_status_display().lower()} but "
                       f"held {released} unit(s); released them to stock.")
            order_services.record_event(order, OrderEvent.Type.NOTE, f"Stock check: {message}",
                                        actor=_user(user), data={"released_units": released})
            _audit(problem=Problem.CLOSED_ORDER_ALLOCATION, subject=f"Order {order.number}",
                   message=message, changes={"released_units": released}, user=user,
                   order=order)
            return RepairOutcome(True, message)
    except StockError as error:
        return RepairOutcome(False, f"Order {order_id}: {error} Repair the stock level's "
                                    "allocated counter first.")


def _lock_line(order_line_id: int) -> tuple[Order, OrderLine]:
    order_id = (OrderLine.objects.filter(pk=order_line_id)
                .values_list("order_id", flat=True).first())
    if order_id is None:
        raise NotFound("That order line no longer exists.")
    order = order_locks.order_for_update(order_id)
    # Read after the order's lock: fulfillment moves quantity_fulfilled under it.
    return order, OrderLine.objects.get(pk=order_line_id)


def release_shipped_allocation(*, order_line_id: int, user=None) -> RepairOutcome:
    """A line holds more stock than it has left to ship: release the excess (taken from
    the last warehouses first), with the order and the stock levels locked."""
    try:
        with transaction.atomic():
            order, line = _lock_line(order_line_id)
            allocations = list(Allocation.objects.filter(order_line=line)
                               .order_by("stock_level_id").select_for_update())
            outstanding = line.quantity_to_ship
            if order.status != Order.Status.OPEN:
                outstanding = 0
            excess = sum(a.quantity for a in allocations) - outstanding
            if excess <= 0:
                return RepairOutcome(False, f"Order {order.number}: {line.sku} holds no more "
                                            "than it has left to ship.")
            list(inventory_locks.stock_levels_for_update([a.stock_level_id
                                                          for a in allocations]))
            remaining = excess
            for allocation in reversed(allocations):
                take = min(allocation.quantity, remaining)
                inventory_services.release_units(stock_level_id=allocation.stock_level_id,
                                                 quantity=take)
                if take == allocation.quantity:
                    allocation.delete()
                else:
                    Allocation.objects.filter(pk=allocation.pk).update(
                        quantity=F("quantity") - take)
                remaining -= take
                if not remaining:
                    break
            message = (f"Order {order.number}: {line.sku} held {outstanding + excess} units "
                       f"with {outstanding} left to ship ({line.quantity_fulfilled} shipped); "
                       f"released {excess}.")
            order_services.record_event(order, OrderEvent.Type.NOTE, f"Stock check: {message}",
                                        actor=_user(user), data={"released_units": excess})
            _audit(problem=Problem.SHIPPED_ALLOCATION, subject=f"Order {order.number} · "
                                                               f"{line.sku}",
                   message=message, changes={"allocated": [outstanding + excess, outstanding]},
                   user=user, order=order)
            return RepairOutcome(True, message)
    except StockError as error:
        return RepairOutcome(False, f"Order line {order_line_id}: {error} Repair the stock "
                                    "level's allocated counter first.")


def allocate_paid_line(*, order_line_id: int, user=None) -> RepairOutcome:
    """Allocate the unshipped units of a paid line that holds too few, through
    ``orders.services.allocate_lines`` (its warehouse choice and conditional updates).

    Warehouses where the line already holds units are topped up first, so the plan never
    needs a second allocation row for the same line and level. When stock is short nothing
    changes and the shortage is reported: such an order needs a stock shortfall (a person
    decides: backorder, another warehouse, a substitute, or cancel and refund).
    """
    try:
        with transaction.atomic():
            order, line = _lock_line(order_line_id)
            if order.status != Order.Status.OPEN or order.payment_status not in PAID_STATUSES:
                return RepairOutcome(False, f"Order {order.number} is not an open, paid order.")
            if StockShortfall.objects.filter(
                    order=order, state__in=StockShortfall.OPEN_STATES).exists():
                return RepairOutcome(False, f"Order {order.number} waits on a stock shortfall; "
                                            "resolve it there.")
            if line.variant_id is None:
                return RepairOutcome(False, f"Order {order.number}: {line.sku} no longer "
                                            "exists in the catalog; it cannot be allocated.")
            existing = list(Allocation.objects.filter(order_line=line)
                            .order_by("stock_level_id").select_for_update())
            short = line.quantity_to_ship - sum(a.quantity for a in existing)
            if short <= 0:
                return RepairOutcome(False, f"Order {order.number}: {line.sku} is allocated.")
            wanted = short
            # Every level the plan may touch, locked in primary-key order before any update.
            level_ids = set(StockLevel.objects.filter(variant_id=line.variant_id)
                            .values_list("pk", flat=True))
            levels = {level.pk: level for level in inventory_locks.stock_levels_for_update(
                level_ids | {a.stock_level_id for a in existing})
                .select_related("warehouse").annotate(sellable_units=level_available_expression())}
            for allocation in existing:
                level = levels[allocation.stock_level_id]
                usable = level.warehouse.is_active and order.pickup_warehouse_id in (
                    None, level.warehouse_id)
                take = min(max(level.sellable_units, 0), short) if usable else 0
                if take and inventory_services.allocate_units(stock_level_id=level.pk,
                                                              quantity=take):
                    Allocation.objects.filter(pk=allocation.pk).update(
                        quantity=F("quantity") + take)
                    short -= take
            if short:
                order_services.allocate_lines(
                    [OrderLine(pk=line.pk, order=order, variant_id=line.variant_id,
                               product_name=line.product_name, variant_name=line.variant_name,
                               sku=line.sku, quantity=short)],
                    pickup_warehouse_id=order.pickup_warehouse_id)
            message = (f"Order {order.number} is {order.get_payment_status_display().lower()}; "
                       f"{line.sku} was missing {wanted} unit(s) of stock; allocated them.")
            order_services.record_event(order, OrderEvent.Type.NOTE, f"Stock check: {message}",
                                        actor=_user(user), data={"allocated_units": wanted})
            _audit(problem=Problem.UNALLOCATED_LINE, subject=f"Order {order.number} · "
                                                             f"{line.sku}",
                   message=message, changes={"allocated": [
                       line.quantity_to_ship - wanted,
                       line.quantity_to_ship]},
                   user=user, order=order)
            return RepairOutcome(True, message)
    except OutOfStock as error:
        return RepairOutcome(False, f"Order line {order_line_id} could not be allocated: "
                                    f"{error} Open a stock shortfall for the order.")


REPAIR_SERVICES = {
    Problem.LEDGER_DRIFT: lambda key, user: repair_ledger(stock_level_id=key, user=user),
    Problem.ALLOCATED_DRIFT: lambda key, user: repair_allocated(stock_level_id=key, user=user),
    Problem.NEGATIVE_AVAILABLE: lambda key, user: repair_negative_available(
        stock_level_id=key, user=user),
    Problem.CLOSED_ORDER_ALLOCATION: lambda key, user: release_closed_order_stock(
        order_id=key, user=user),
    Problem.SHIPPED_ALLOCATION: lambda key, user: release_shipped_allocation(
        order_line_id=key, user=user),
    Problem.UNALLOCATED_LINE: lambda key, user: allocate_paid_line(order_line_id=key,
                                                                   user=user),
}


def repair(*, problem: str, key: int, user=None) -> RepairOutcome:
    """Repair one violation (each repair re-checks it under its locks)."""
    try:
        service = REPAIR_SERVICES[Problem(problem)]
    except ValueError:
        raise NotFound(f"No such stock problem: {problem}.") from None
    try:
        return service(key, user)
    except NotFound as error:
        return RepairOutcome(False, str(error))


def repair_all(*, report: StockReport | None = None, user=None
               ) -> list[tuple[Violation, RepairOutcome]]:
    """Repair every violation of ``report`` (a fresh check when None), each in its own
    transaction, counters first (the report's order)."""
    report = report or check_stock()
    return [(violation, repair(problem=violation.problem, key=violation.key, user=user))
            for violation in report.violations]


# --- The nightly check ----------------------------------------------------------------------


def run_nightly_stock_check(*, day=None) -> bool:
    """Check the stock and, when anything is wrong, email the merchant one message listing
    every violation. At most one email a day (claimed under the day's row lock, so the task
    run twice sends once); none when the check is clean. Returns whether it emailed now."""
    report = check_stock()
    return record_nightly_run(
        run_model=StockCheckRun, report=report, day=day or timezone.localdate(),
        app_label="stockcheck", what="stock",
        counts={"violations": len(report.violations), "waiting": len(report.waiting)})
