"""The stock check itself: every invariant in four queries, whatever the size of the shop.

1. each stock level's ledger sums to its on hand;
2. each stock level's ``allocated`` equals the sum of its order allocations;
3. no stock level's free units (``inventory.selectors.level_free_expression``: on hand
   less allocated and unsellable) are below zero; a safety stock above what is free is a
   buffer not yet filled, not a violation;
4. each line of an open, paid (or authorized) order has its unshipped units allocated
   (less those canceled after the rest shipped), unless the order waits on an open stock
   shortfall (listed apart, not a violation);
5. no allocation belongs to a closed or canceled order, or to units already shipped.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import F, IntegerField, OuterRef, Q, Subquery, Sum
from django.db.models.functions import Coalesce

from inventory.models import StockLevel
from inventory.selectors import ledger_total_expression, level_free_expression
from orders.models import Allocation, Order, OrderLine, StockShortfall

from .models import Problem, StockRepair

# Orders whose money is secured: their unshipped units must be held in a warehouse.
PAID_STATUSES = (Order.PaymentStatus.AUTHORIZED, Order.PaymentStatus.PAID,
                 Order.PaymentStatus.PARTIALLY_REFUNDED)
OPEN_EXCEPTION_STATES = sorted(StockShortfall.OPEN_STATES)

REPAIRS = {
    Problem.LEDGER_DRIFT: "Write a correcting ledger line",
    Problem.ALLOCATED_DRIFT: "Set allocated to the allocations' sum",
    Problem.NEGATIVE_AVAILABLE: "Set allocated to the allocations' sum",
    Problem.CLOSED_ORDER_ALLOCATION: "Release the order's stock",
    Problem.SHIPPED_ALLOCATION: "Release the units already shipped",
    Problem.UNALLOCATED_LINE: "Allocate the line",
}


@dataclass(frozen=True)
class Violation:
    """One broken invariant. ``key`` names what the repair works on: a stock level for the
    counter problems, an order for a closed order's allocations, an order line otherwise."""

    problem: str
    key: int
    cause: str
    sku: str = ""
    warehouse: str = ""
    order_number: str = ""

    @property
    def problem_label(self) -> str:
        return Problem(self.problem).label

    @property
    def repair_label(self) -> str:
        return REPAIRS[Problem(self.problem)]

    def __str__(self) -> str:
        return f"[{self.problem}] {self.cause}"


@dataclass(frozen=True)
class WaitingLine:
    """A paid line without stock whose order has an open stock shortfall: staff are
    deciding (backorder, another warehouse, a substitute), so it is not a violation."""

    order_number: str
    sku: str
    outstanding: int
    allocated: int
    shortfall_state: str

    def __str__(self) -> str:
        return (f"Order {self.order_number}: {self.sku} has {self.allocated} of "
                f"{self.outstanding} unshipped units allocated; waiting on a stock shortfall "
                f"({self.shortfall_state}).")


@dataclass(frozen=True)
class StockReport:
    levels_checked: int
    violations: list[Violation] = field(default_factory=list)
    waiting: list[WaitingLine] = field(default_factory=list)

    @property
    def is_clean(self) -> bool:
        return not self.violations

    def by_problem(self) -> list[tuple[str, str, list[Violation]]]:
        """(problem, its label, its violations) in repair order, the empty kinds left out."""
        grouped: dict[str, list[Violation]] = defaultdict(list)
        for violation in self.violations:
            grouped[violation.problem].append(violation)
        return [(problem.value, problem.label, grouped[problem.value])
                for problem in Problem if grouped[problem.value]]


def _allocations_sum(**outer) -> Coalesce:
    rows = (Allocation.objects.filter(**outer).values(*outer)
            .annotate(total=Sum("quantity")).values("total"))
    return Coalesce(Subquery(rows, output_field=IntegerField()), 0)


def level_allocations_expression() -> Coalesce:
    """Units the order allocations hold at a stock level (``OuterRef('pk')``)."""
    return _allocations_sum(stock_level=OuterRef("pk"))


def line_allocations_expression() -> Coalesce:
    """Units allocated to an order line (``OuterRef('pk')``), all warehouses together."""
    return _allocations_sum(order_line=OuterRef("pk"))


def check_stock() -> StockReport:
    """Run every check (four queries) and return what is wrong, with causes."""
    violations = [*_stock_level_violations()]
    line_violations, waiting = _order_line_violations()
    violations += _closed_order_violations()
    violations += line_violations
    order = {problem.value: index for index, problem in enumerate(Problem)}
    violations.sort(key=lambda v: order[v.problem])  # stable: each kind keeps its order
    return StockReport(levels_checked=StockLevel.objects.count(), violations=violations,
                       waiting=waiting)


def _stock_level_violations() -> list[Violation]:
    levels = (
        StockLevel.objects.annotate(ledger_total=ledger_total_expression(),
                                    allocations_total=level_allocations_expression(),
                                    available_units=level_free_expression())
        .filter(~Q(on_hand=F("ledger_total")) | ~Q(allocated=F("allocations_total"))
                | Q(available_units__lt=0))
        .select_related("variant", "warehouse")
        .order_by("pk")
    )
    found = []
    for level in levels:
        where = {"sku": level.variant.sku, "warehouse": level.warehouse.code}
        name = f"{level.variant.sku} at {level.warehouse.code}"
        if level.on_hand != level.ledger_total:
            found.append(Violation(
                Problem.LEDGER_DRIFT, level.pk,
                f"{name}: the ledger sums to {level.ledger_total} but on hand is "
                f"{level.on_hand}; {level.on_hand - level.ledger_total:+d} units have no "
                f"stock movement explaining them.", **where))
        if level.allocated != level.allocations_total:
            found.append(Violation(
                Problem.ALLOCATED_DRIFT, level.pk,
                f"{name}: allocated is {level.allocated} but the order allocations there "
                f"add up to {level.allocations_total}.", **where))
        if level.available_units < 0:
            found.append(Violation(
                Problem.NEGATIVE_AVAILABLE, level.pk,
                f"{name}: free is {level.available_units} (on hand {level.on_hand}, "
                f"allocated {level.allocated}, on hold {level.unsellable}); more is promised "
                "than the warehouse holds.",
                **where))
    return found


def _order_line_violations() -> tuple[list[Violation], list[WaitingLine]]:
    """Lines of open orders holding more than they have left to ship, and lines of paid
    open orders holding less."""
    lines = (
        OrderLine.objects.filter(order__status=Order.Status.OPEN)
        .annotate(allocated_units=line_allocations_expression(),
                  outstanding=F("quantity") - F("quantity_fulfilled") - F("quantity_canceled"))
        .filter(Q(allocated_units__gt=F("outstanding"))
                | Q(allocated_units__lt=F("outstanding"),
                    order__payment_status__in=PAID_STATUSES))
        .select_related("order")
        .order_by("order_id", "pk")
    )
    lines = lines.annotate(shortfall_state=Subquery(
        StockShortfall.objects.filter(order=OuterRef("order_id"),
                                      state__in=OPEN_EXCEPTION_STATES)
        .values("state")[:1]))
    found, waiting = [], []
    for line in lines:
        number = line.order.number
        where = {"sku": line.sku, "order_number": number}
        if line.allocated_units > line.outstanding:
            found.append(Violation(
                Problem.SHIPPED_ALLOCATION, line.pk,
                f"Order {number}: {line.sku} holds {line.allocated_units} units but only "
                f"{line.outstanding} of {line.quantity} are left to ship "
                f"({line.quantity_fulfilled} shipped); "
                f"{line.allocated_units - line.outstanding} are held for nothing.", **where))
            continue
        shortfall_state = line.shortfall_state
        if shortfall_state:
            waiting.append(WaitingLine(number, line.sku, line.outstanding,
                                       line.allocated_units, shortfall_state))
            continue
        found.append(Violation(
            Problem.UNALLOCATED_LINE, line.pk,
            f"Order {number} is {line.order.get_payment_status_display().lower()} but "
            f"{line.sku} has {line.allocated_units} of its {line.outstanding} unshipped "
            f"units allocated, and no stock shortfall explains it.", **where))
    return found, waiting


def _closed_order_violations() -> list[Violation]:
    """Allocations of orders that are no longer open (one violation per order: the repair
    releases the whole order's stock)."""
    allocations = (
        Allocation.objects.exclude(order_line__order__status=Order.Status.OPEN)
        .select_related("order_line__order", "stock_level__variant", "stock_level__warehouse")
        .order_by("order_line__order_id", "pk")
    )
    per_order: dict[int, list[Allocation]] = defaultdict(list)
    for allocation in allocations:
        per_order[allocation.order_line.order_id].append(allocation)
    found = []
    for order_id, held in per_order.items():
        order = held[0].order_line.order
        units = sum(a.quantity for a in held)
        where = ", ".join(f"{a.quantity} × {a.stock_level.variant.sku} at "
                          f"{a.stock_level.warehouse.code}" for a in held)
        found.append(Violation(
            Problem.CLOSED_ORDER_ALLOCATION, order_id,
            f"Order {order.number} is {order.get_status_display().lower()} but still holds "
            f"{units} unit{'s' if units != 1 else ''}: {where}.",
            sku=", ".join(sorted({a.stock_level.variant.sku for a in held})),
            warehouse=", ".join(sorted({a.stock_level.warehouse.code for a in held})),
            order_number=order.number))
    return found


def recent_repairs(*, limit: int = 20) -> list[StockRepair]:
    return list(StockRepair.objects.select_related("user").order_by("-created_at", "-pk")[:limit])
