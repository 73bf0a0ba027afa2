"""Each stock invariant broken on purpose, found with its cause, repaired by its service,
and the check clean afterwards."""

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.models import F

from inventory import services as inventory_services
from inventory.models import StockLevel, StockMovement
from inventory.selectors import stock_ledger_mismatches
from orders.models import Allocation, Order, OrderEvent, OrderLine
from shop.stockcheck import services
from shop.stockcheck.models import Problem, StockRepair
from shop.stockcheck.selectors import StockShortfall, check_stock
from tests.factories import UserFactory

from .conftest import drop_allocation, level_of

pytestmark = pytest.mark.django_db


def only_violation(problem):
    report = check_stock()
    assert [v.problem for v in report.violations] == [problem], report.violations
    return report.violations[0]


def test_a_shop_run_through_the_services_is_clean(place, mug, lamp):
    place({mug: 2, lamp: 1})
    place({mug: 1}, paid=False)  # unpaid orders hold their stock too
    canceled = place({lamp: 1}, paid=False)
    from orders import services as order_services

    order_services.cancel_order(order_id=canceled.pk)
    report = check_stock()
    assert report.is_clean and report.violations == [] and report.waiting == []
    assert report.levels_checked == 2


def test_ledger_drift_is_repaired_with_an_explained_line_and_on_hand_kept(mug):
    level = level_of(mug)
    StockLevel.objects.filter(pk=level.pk).update(on_hand=F("on_hand") + 3)  # no movement

    violation = only_violation(Problem.LEDGER_DRIFT)
    assert violation.key == level.pk and (violation.sku, violation.warehouse) == ("MUG", "east")
    assert violation.cause == ("MUG at east: the ledger sums to 10 but on hand is 13; +3 units "
                               "have no stock movement explaining them.")

    merchant = UserFactory(username="merchant")
    outcome = services.repair_ledger(stock_level_id=level.pk, user=merchant)
    assert outcome.repaired
    level.refresh_from_db()
    assert level.on_hand == 13
    movement = StockMovement.objects.filter(stock_level=level).first()  # newest
    assert (movement.kind, movement.quantity, movement.on_hand_after, movement.reason,
            movement.user) == (StockMovement.Kind.COUNT_ADJUSTMENT, 3, 13,
                               "Repair: ledger summed to 10, on hand 13", merchant)
    repair = StockRepair.objects.get()
    assert (repair.problem, repair.movement, repair.user, repair.changes) == (
        Problem.LEDGER_DRIFT, movement, merchant, {"ledger_total": [10, 13], "on_hand": 13})
    assert check_stock().is_clean
    assert stock_ledger_mismatches() == []
    call_command("check_stock_ledger")  # inventory's own proof agrees
    assert not services.repair_ledger(stock_level_id=level.pk).repaired  # idempotent


def test_ledger_drift_the_other_way_writes_a_negative_correction(mug):
    level = level_of(mug)
    StockMovement.objects.filter(stock_level=level).update(quantity=12)  # a receipt mis-recorded
    assert "the ledger sums to 12 but on hand is 10; -2 units" in only_violation(
        Problem.LEDGER_DRIFT).cause
    services.repair(problem=Problem.LEDGER_DRIFT, key=level.pk)
    assert StockMovement.objects.filter(stock_level=level).first().quantity == -2
    assert check_stock().is_clean


def test_allocated_drift_is_set_back_to_the_allocations_with_an_audit_row(place, mug):
    order = place({mug: 2})
    level = level_of(mug)
    StockLevel.objects.filter(pk=level.pk).update(allocated=0)

    violation = only_violation(Problem.ALLOCATED_DRIFT)
    assert violation.cause == ("MUG at east: allocated is 0 but the order allocations there "
                               "add up to 2.")
    outcome = services.repair_allocated(stock_level_id=level.pk)
    assert outcome.repaired and "set allocated to 2" in outcome.message
    level.refresh_from_db()
    assert level.allocated == 2 and level.on_hand == 10
    assert StockMovement.objects.filter(stock_level=level).count() == 1  # on hand untouched
    repair = StockRepair.objects.get()
    assert (repair.problem, repair.stock_level, repair.changes) == (
        Problem.ALLOCATED_DRIFT, level, {"allocated": [0, 2]})
    assert Allocation.objects.filter(order_line__order=order).count() == 1
    assert check_stock().is_clean


def drop_allocated_constraint():
    """The database forbids allocated (plus unsellable) above on hand; negative free units
    can then only come from constraints that were lost. Dropped inside the test's
    transaction, so PostgreSQL rolls them back."""
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # no deferred checks pending
        for name in ("stock_allocated_within_on_hand", "stock_held_within_on_hand"):
            cursor.execute(f"ALTER TABLE {StockLevel._meta.db_table} DROP CONSTRAINT {name}")


@pytest.mark.postgres
def test_negative_available_is_found_and_the_drifted_counter_repaired(place, mug):
    place({mug: 2})
    level = level_of(mug)
    drop_allocated_constraint()
    StockLevel.objects.filter(pk=level.pk).update(allocated=13)

    report = check_stock()
    assert [v.problem for v in report.violations] == [Problem.ALLOCATED_DRIFT,
                                                      Problem.NEGATIVE_AVAILABLE]
    assert report.violations[1].cause == (
        "MUG at east: free is -3 (on hand 10, allocated 13, on hold 0); more is promised "
        "than the warehouse holds.")
    outcome = services.repair(problem=Problem.NEGATIVE_AVAILABLE, key=level.pk)
    assert outcome.repaired
    level.refresh_from_db()
    assert level.allocated == 2
    assert StockRepair.objects.get().problem == Problem.NEGATIVE_AVAILABLE
    assert check_stock().is_clean


@pytest.mark.postgres
def test_allocations_above_on_hand_are_reported_not_forced(place, mug):
    place({mug: 6})
    level = level_of(mug)
    drop_allocated_constraint()
    # Eight mugs went missing without a ledger line: on hand 10 -> 2, below the 6 allocated.
    StockLevel.objects.filter(pk=level.pk).update(on_hand=2)

    outcome = services.repair_negative_available(stock_level_id=level.pk)
    assert not outcome.repaired
    assert outcome.message.startswith("MUG at east: available is -4 with 2 on hand")
    assert "count the stock, or cancel or reallocate orders" in outcome.message
    assert not services.repair_allocated(stock_level_id=level.pk).repaired
    level.refresh_from_db()
    assert level.allocated == 6  # nothing forced
    assert not StockRepair.objects.exists()


def test_stock_held_for_a_canceled_order_is_released_through_orders(place, mug, lamp):
    order = place({mug: 2, lamp: 1}, paid=False)
    Order.objects.filter(pk=order.pk).update(status=Order.Status.CANCELED)  # stock left behind

    violation = only_violation(Problem.CLOSED_ORDER_ALLOCATION)
    assert violation.key == order.pk and violation.order_number == order.number
    assert violation.cause == (f"Order {order.number} is canceled but still holds 3 units: "
                               "2 × MUG at east, 1 × LAMP at east.")
    outcome = services.release_closed_order_stock(order_id=order.pk)
    assert outcome.repaired
    assert not Allocation.objects.filter(order_line__order=order).exists()
    assert (level_of(mug).allocated, level_of(lamp).allocated) == (0, 0)
    events = list(order.events.values_list("type", flat=True))
    assert OrderEvent.Type.STOCK_RELEASED in events and OrderEvent.Type.NOTE in events
    assert check_stock().is_clean
    assert not services.release_closed_order_stock(order_id=order.pk).repaired


def test_stock_held_for_units_already_shipped_is_released(place, mug):
    order = place({mug: 3})
    line = order.lines.get()
    OrderLine.objects.filter(pk=line.pk).update(quantity_fulfilled=2)  # shipped, not released

    violation = only_violation(Problem.SHIPPED_ALLOCATION)
    assert violation.key == line.pk
    assert violation.cause == (f"Order {order.number}: MUG holds 3 units but only 1 of 3 are "
                               "left to ship (2 shipped); 2 are held for nothing.")
    outcome = services.release_shipped_allocation(order_line_id=line.pk)
    assert outcome.repaired and "released 2" in outcome.message
    assert Allocation.objects.get(order_line=line).quantity == 1
    assert level_of(mug).allocated == 1
    assert check_stock().is_clean


def test_paid_line_without_stock_is_allocated_through_orders(place, mug):
    order = place({mug: 2})
    line = order.lines.get()
    drop_allocation(line)

    violation = only_violation(Problem.UNALLOCATED_LINE)
    assert violation.cause == (f"Order {order.number} is paid but MUG has 0 of its 2 "
                               "unshipped units allocated, and no stock shortfall explains it.")
    outcome = services.allocate_paid_line(order_line_id=line.pk)
    assert outcome.repaired
    allocation = Allocation.objects.get(order_line=line)
    assert (allocation.quantity, allocation.stock_level) == (2, level_of(mug))
    assert level_of(mug).allocated == 2
    assert order.events.filter(type=OrderEvent.Type.NOTE,
                               message__startswith="Stock check:").exists()
    assert check_stock().is_clean
    assert not services.allocate_paid_line(order_line_id=line.pk).repaired


def test_a_partly_allocated_line_is_topped_up_in_its_own_warehouse(place, mug):
    order = place({mug: 3})
    line = order.lines.get()
    Allocation.objects.filter(order_line=line).update(quantity=1)
    StockLevel.objects.filter(pk=level_of(mug).pk).update(allocated=1)

    assert only_violation(Problem.UNALLOCATED_LINE).cause.endswith(
        "has 1 of its 3 unshipped units allocated, and no stock shortfall explains it.")
    assert services.allocate_paid_line(order_line_id=line.pk).repaired
    assert Allocation.objects.get(order_line=line).quantity == 3
    assert check_stock().is_clean


def test_paid_line_that_cannot_be_allocated_is_reported_and_nothing_changes(place, mug):
    order = place({mug: 2})
    line = order.lines.get()
    drop_allocation(line)
    level = level_of(mug)
    inventory_services.write_off_stock(stock_level_id=level.pk, quantity=9, reason="Damaged")

    outcome = services.allocate_paid_line(order_line_id=line.pk)
    assert not outcome.repaired
    assert "could not be allocated" in outcome.message and "Open a stock shortfall" in (
        outcome.message)
    assert not Allocation.objects.filter(order_line=line).exists()
    assert level_of(mug).allocated == 0
    assert not StockRepair.objects.exists()
    assert [v.problem for v in check_stock().violations] == [Problem.UNALLOCATED_LINE]


def test_an_order_waiting_on_a_stock_shortfall_is_listed_not_a_violation(place, mug):
    order = place({mug: 2})
    drop_allocation(order.lines.get())
    StockShortfall.objects.create(order=order, reason="Paid after its stock was released.",
                                  value_at_risk=order.total)

    report = check_stock()
    assert report.is_clean
    assert [(w.order_number, w.sku, w.outstanding, w.allocated, w.shortfall_state)
            for w in report.waiting] == [(order.number, "MUG", 2, 0, "open")]
    assert "waiting on a stock shortfall" in str(report.waiting[0])
    outcome = services.allocate_paid_line(order_line_id=order.lines.get().pk)
    assert not outcome.repaired and "stock shortfall" in outcome.message


def test_repair_all_fixes_every_kind_in_order(place, mug, lamp):
    canceled = place({lamp: 1}, paid=False)
    Order.objects.filter(pk=canceled.pk).update(status=Order.Status.CANCELED)
    paid = place({mug: 2})
    drop_allocation(paid.lines.get())
    StockLevel.objects.filter(pk=level_of(mug).pk).update(on_hand=F("on_hand") + 1)

    report = check_stock()
    assert [v.problem for v in report.violations] == [
        Problem.LEDGER_DRIFT, Problem.CLOSED_ORDER_ALLOCATION, Problem.UNALLOCATED_LINE]
    outcomes = services.repair_all(report=report)
    assert all(outcome.repaired for _, outcome in outcomes)
    assert check_stock().is_clean
    assert StockRepair.objects.count() == 3
