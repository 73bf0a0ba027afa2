"""Transfers move stock out of one warehouse and into another, each side a ledger line;
cycle counts post their variances and never lose an allocation."""

from decimal import Decimal

import pytest

from inventory import selectors, services
from inventory.exceptions import StockError
from inventory.models import (
    StockCount,
    StockLevel,
    StockMovement,
    StockTransfer,
)
from kernel.errors import InvalidTransition
from tests.factories import ProductFactory, WarehouseFactory, make_variant

from .conftest import assert_ledger_ok

pytestmark = pytest.mark.django_db


def level(variant, warehouse) -> StockLevel:
    return StockLevel.objects.get(variant=variant, warehouse=warehouse)


@pytest.fixture
def stocked(lantern, east):
    services.receive_stock(variant=lantern, warehouse=east, quantity=10)
    return lantern


# --- Transfers ------------------------------------------------------------------------------


def test_a_transfer_moves_units_out_then_in_with_a_movement_each_side(stocked, east, west):
    transfer = services.create_transfer(source_id=east.pk, destination_id=west.pk,
                                        lines=[(stocked.pk, 4)])

    services.dispatch_transfer(transfer_id=transfer.pk)

    assert level(stocked, east).on_hand == 6
    assert selectors.incoming_quantities(variant_ids=[stocked.pk])[(stocked.pk, west.pk)] == 4
    out = StockMovement.objects.get(kind=StockMovement.Kind.TRANSFER_OUT)
    assert (out.quantity, out.reference) == (-4, transfer.number)
    assert_ledger_ok()

    services.receive_transfer(transfer_id=transfer.pk)

    transfer.refresh_from_db()
    assert transfer.status == StockTransfer.Status.RECEIVED
    assert (level(stocked, east).on_hand, level(stocked, west).on_hand) == (6, 4)
    incoming = StockMovement.objects.get(kind=StockMovement.Kind.TRANSFER_IN)
    assert (incoming.quantity, incoming.reference) == (4, transfer.number)
    assert selectors.incoming_quantities(variant_ids=[stocked.pk]) == {}
    assert_ledger_ok()


def test_a_transfer_to_the_same_warehouse_is_refused_and_writes_nothing(stocked, east):
    with pytest.raises(StockError, match="two different warehouses"):
        services.create_transfer(source_id=east.pk, destination_id=east.pk,
                                 lines=[(stocked.pk, 1)])

    assert not StockTransfer.objects.exists()


def test_allocated_units_cannot_be_transferred_and_nothing_moves(stocked, east, west):
    assert services.allocate_units(stock_level_id=level(stocked, east).pk, quantity=8)
    transfer = services.create_transfer(source_id=east.pk, destination_id=west.pk,
                                        lines=[(stocked.pk, 3)])

    with pytest.raises(StockError, match=r"LANTERN-1 \(2 free, 3 wanted\)"):
        services.dispatch_transfer(transfer_id=transfer.pk)

    transfer.refresh_from_db()
    assert transfer.status == StockTransfer.Status.DRAFT
    assert level(stocked, east).on_hand == 10
    assert not StockMovement.objects.filter(kind=StockMovement.Kind.TRANSFER_OUT).exists()


@pytest.mark.parametrize("quantity, message", [(0, "above zero"), (-1, "cannot be negative"),
                                               ("2", "whole number")])
def test_a_bad_transfer_quantity_is_refused(stocked, east, west, quantity, message):
    with pytest.raises(StockError, match=message):
        services.create_transfer(source_id=east.pk, destination_id=west.pk,
                                 lines=[(stocked.pk, quantity)])

    assert not StockTransfer.objects.exists()


def test_a_received_transfer_cannot_be_received_again(stocked, east, west):
    transfer = services.create_transfer(source_id=east.pk, destination_id=west.pk,
                                        lines=[(stocked.pk, 1)])
    services.dispatch_transfer(transfer_id=transfer.pk)
    services.receive_transfer(transfer_id=transfer.pk)

    with pytest.raises(InvalidTransition):
        services.receive_transfer(transfer_id=transfer.pk)

    assert level(stocked, west).on_hand == 1


# --- Cycle counts ---------------------------------------------------------------------------


@pytest.fixture
def shelf(east):
    """Three stock levels at east: two in zone A, one in zone B."""
    product = ProductFactory(title="Mug")
    made = {}
    for sku, bin_location, units in (("MUG-RED", "A-01", 10), ("MUG-BLUE", "A-02", 5),
                                     ("MUG-GREEN", "B-01", 3)):
        variant = make_variant(product, sku=sku, options={"Color": sku[4:]}, stock=units,
                               warehouse=east)
        StockLevel.objects.filter(variant=variant, warehouse=east).update(
            bin_location=bin_location)
        made[sku] = variant
    made["MUG-RED"].cost_price = Decimal("4.00")
    made["MUG-RED"].save(update_fields=["cost_price"])
    return made


def lines_by_sku(count):
    return {line.stock_level.variant.sku: line
            for line in count.lines.select_related("stock_level__variant")}


def test_a_count_of_a_zone_posts_its_variances_with_the_reason(shelf, east):
    count = services.start_count(warehouse_id=east.pk, zone="A-")
    lines = lines_by_sku(count)
    assert set(lines) == {"MUG-RED", "MUG-BLUE"}

    services.enter_counts(count_id=count.pk, counted={lines["MUG-RED"].pk: 8,
                                                      lines["MUG-BLUE"].pk: 5})
    approval = services.approve_count(count_id=count.pk, reason="Cycle count")

    count.refresh_from_db()
    assert count.status == StockCount.Status.APPROVED
    (movement,) = approval.posted  # MUG-BLUE matched: no movement
    assert (movement.kind, movement.quantity, movement.reason, movement.reference) == (
        StockMovement.Kind.COUNT_ADJUSTMENT, -2, "Cycle count", count.number)
    assert level(shelf["MUG-RED"], east).on_hand == 8
    red = lines_by_sku(count)["MUG-RED"]
    assert red.variance == -2 and red.posted_at is not None
    assert red.variance * shelf["MUG-RED"].cost_price == Decimal("-8.00")  # value shown
    assert_ledger_ok()


def test_a_count_by_sku_list_and_a_count_of_the_whole_warehouse(shelf, east):
    by_sku = services.start_count(warehouse_id=east.pk, skus="MUG-GREEN\nMUG-RED")
    assert set(lines_by_sku(by_sku)) == {"MUG-GREEN", "MUG-RED"}
    everything = services.start_count(warehouse_id=east.pk)
    assert set(lines_by_sku(everything)) == {"MUG-RED", "MUG-BLUE", "MUG-GREEN"}

    with pytest.raises(StockError, match="No variant has the SKU NOPE"):
        services.start_count(warehouse_id=east.pk, skus="NOPE")


def test_a_count_below_allocated_is_flagged_for_review_and_not_posted(shelf, east):
    red = shelf["MUG-RED"]
    assert services.allocate_units(stock_level_id=level(red, east).pk, quantity=6)
    count = services.start_count(warehouse_id=east.pk, skus="MUG-RED MUG-BLUE")
    lines = lines_by_sku(count)

    services.enter_counts(count_id=count.pk, counted={lines["MUG-RED"].pk: 4,
                                                      lines["MUG-BLUE"].pk: 6})
    assert lines_by_sku(count)["MUG-RED"].needs_review
    approval = services.approve_count(count_id=count.pk, reason="Cycle count")

    count.refresh_from_db()
    assert count.status == StockCount.Status.IN_REVIEW
    assert [line.stock_level.variant.sku for line in approval.flagged] == ["MUG-RED"]
    assert level(red, east).on_hand == 10 and level(red, east).allocated == 6  # untouched
    assert level(shelf["MUG-BLUE"], east).on_hand == 6  # the good line posted

    services.enter_counts(count_id=count.pk, counted={lines["MUG-RED"].pk: 7})  # recount
    services.approve_count(count_id=count.pk, reason="Recount")

    count.refresh_from_db()
    assert count.status == StockCount.Status.APPROVED
    assert level(red, east).on_hand == 7
    assert level(red, east).available == 1
    assert_ledger_ok()


def test_stock_moving_after_the_count_is_entered_is_kept(shelf, east):
    red = shelf["MUG-RED"]
    count = services.start_count(warehouse_id=east.pk, skus="MUG-RED")
    line = count.lines.get()
    services.enter_counts(count_id=count.pk, counted={line.pk: 9})  # one missing
    services.receive_stock(variant=red, warehouse=east, quantity=5)  # then 5 arrive

    services.approve_count(count_id=count.pk, reason="Cycle count")

    assert level(red, east).on_hand == 14  # 10 - 1 + 5
    assert_ledger_ok()


@pytest.mark.parametrize("value, message", [(-1, "cannot be negative"),
                                            ("7", "whole number")])
def test_a_bad_count_is_refused_and_writes_nothing(shelf, east, value, message):
    count = services.start_count(warehouse_id=east.pk, skus="MUG-RED")
    line = count.lines.get()

    with pytest.raises(StockError, match=message):
        services.enter_counts(count_id=count.pk, counted={line.pk: value})

    line.refresh_from_db()
    assert line.counted is None


def test_approving_needs_a_reason_and_a_count(shelf, east):
    count = services.start_count(warehouse_id=east.pk, skus="MUG-RED")
    with pytest.raises(StockError, match="at least one counted"):
        services.approve_count(count_id=count.pk, reason="Cycle count")
    services.enter_counts(count_id=count.pk, counted={count.lines.get().pk: 1})
    with pytest.raises(StockError, match="reason"):
        services.approve_count(count_id=count.pk, reason=" ")

    assert not StockMovement.objects.filter(kind=StockMovement.Kind.COUNT_ADJUSTMENT).exists()


def test_an_approved_count_cannot_be_approved_again(shelf, east):
    count = services.start_count(warehouse_id=east.pk, skus="MUG-RED")
    services.enter_counts(count_id=count.pk, counted={count.lines.get().pk: 1})
    services.approve_count(count_id=count.pk, reason="Cycle count")

    with pytest.raises(InvalidTransition):
        services.approve_count(count_id=count.pk, reason="Again")
    with pytest.raises(StockError, match="can no longer be entered"):
        services.enter_counts(count_id=count.pk, counted={count.lines.get().pk: 0})

    assert level(shelf["MUG-RED"], east).on_hand == 1


def test_an_inactive_warehouse_cannot_be_counted(shelf):
    closed = WarehouseFactory(code="closed", is_active=False)
    with pytest.raises(StockError, match="active warehouse"):
        services.start_count(warehouse_id=closed.pk)
