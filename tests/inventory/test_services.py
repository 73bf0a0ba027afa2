"""Stock on hand moves only through the services, each change with one ledger line."""

import pytest
from django.db import IntegrityError, transaction

from inventory import services
from inventory.exceptions import StockError
from inventory.models import StockLevel, StockMovement
from tests.factories import ProductFactory, UserFactory, WarehouseFactory, make_variant

pytestmark = pytest.mark.django_db


@pytest.fixture
def warehouse():
    return WarehouseFactory(code="east")


@pytest.fixture
def variant():
    return make_variant(ProductFactory(title="Enamel mug"), sku="MUG-1")


def level_of(variant, warehouse) -> StockLevel:
    return StockLevel.objects.get(variant=variant, warehouse=warehouse)


def test_receiving_stock_adds_to_on_hand_and_writes_one_ledger_line(variant, warehouse):
    user = UserFactory()

    movement = services.receive_stock(variant=variant, warehouse=warehouse, quantity=12,
                                      reference="PO-1001", user=user)

    level = level_of(variant, warehouse)
    assert level.on_hand == 12
    assert level.allocated == 0
    assert movement.stock_level == level
    assert movement.kind == StockMovement.Kind.RECEIPT
    assert (movement.quantity, movement.on_hand_after) == (12, 12)
    assert movement.reference == "PO-1001"
    assert movement.user == user


def test_a_second_receipt_adds_on_top_and_the_ledger_sums_to_on_hand(variant, warehouse):
    services.receive_stock(variant=variant, warehouse=warehouse, quantity=5)
    second = services.receive_stock(variant=variant, warehouse=warehouse, quantity=3)

    level = level_of(variant, warehouse)
    assert level.on_hand == 8
    assert second.on_hand_after == 8
    assert sum(level.movements.values_list("quantity", flat=True)) == 8


@pytest.mark.parametrize("quantity", [0, -1, "3", True, 2.5, None])
def test_a_quantity_that_is_not_a_whole_number_above_zero_is_refused(
    variant, warehouse, quantity
):
    with pytest.raises(StockError, match="whole number above zero"):
        services.receive_stock(variant=variant, warehouse=warehouse, quantity=quantity)

    assert not StockLevel.objects.filter(on_hand__gt=0).exists()
    assert not StockMovement.objects.exists()


def test_receiving_into_an_inactive_warehouse_is_refused(variant):
    closed = WarehouseFactory(code="closed", is_active=False)

    with pytest.raises(StockError, match="not active"):
        services.receive_stock(variant=variant, warehouse=closed, quantity=4)

    assert not StockMovement.objects.exists()


def test_an_outbound_kind_cannot_be_received(variant, warehouse):
    with pytest.raises(StockError, match="not a way stock comes in"):
        services.receive_stock(variant=variant, warehouse=warehouse, quantity=4,
                               kind=StockMovement.Kind.SHIPMENT)

    assert not StockMovement.objects.exists()


def test_counting_more_than_on_hand_adds_the_difference(variant, warehouse):
    services.receive_stock(variant=variant, warehouse=warehouse, quantity=10)
    user = UserFactory()

    movement = services.adjust_stock_count(variant=variant, warehouse=warehouse, counted=13,
                                           reason="Cycle count", user=user)

    assert level_of(variant, warehouse).on_hand == 13
    assert movement.kind == StockMovement.Kind.COUNT_ADJUSTMENT
    assert (movement.quantity, movement.on_hand_after) == (3, 13)
    assert movement.reason == "Cycle count"
    assert movement.user == user


def test_counting_fewer_than_on_hand_takes_the_difference_away(variant, warehouse):
    services.receive_stock(variant=variant, warehouse=warehouse, quantity=10)

    movement = services.adjust_stock_count(variant=variant, warehouse=warehouse, counted=6,
                                           reason="Two damaged, two missing")

    assert level_of(variant, warehouse).on_hand == 6
    assert (movement.quantity, movement.on_hand_after) == (-4, 6)


def test_a_count_matching_on_hand_writes_nothing(variant, warehouse):
    services.receive_stock(variant=variant, warehouse=warehouse, quantity=10)

    result = services.adjust_stock_count(variant=variant, warehouse=warehouse, counted=10,
                                         reason="Cycle count")

    assert result is None
    assert StockMovement.objects.count() == 1
    assert level_of(variant, warehouse).on_hand == 10


def test_a_count_below_what_is_allocated_is_refused(variant, warehouse):
    services.receive_stock(variant=variant, warehouse=warehouse, quantity=10)
    # Orders hold 7 of them (checkout moves allocated with a conditional update).
    StockLevel.objects.filter(variant=variant, warehouse=warehouse).update(allocated=7)

    with pytest.raises(StockError, match="7 units are allocated"):
        services.adjust_stock_count(variant=variant, warehouse=warehouse, counted=5,
                                    reason="Cycle count")

    assert level_of(variant, warehouse).on_hand == 10
    assert StockMovement.objects.count() == 1


@pytest.mark.parametrize("counted", [-1, "4", True, None])
def test_a_count_that_is_not_a_whole_number_is_refused(variant, warehouse, counted):
    services.receive_stock(variant=variant, warehouse=warehouse, quantity=10)

    with pytest.raises(StockError, match="whole number"):
        services.adjust_stock_count(variant=variant, warehouse=warehouse, counted=counted,
                                    reason="Cycle count")

    assert StockMovement.objects.count() == 1


def test_a_count_needs_a_reason(variant, warehouse):
    services.receive_stock(variant=variant, warehouse=warehouse, quantity=10)

    with pytest.raises(StockError, match="Say why"):
        services.adjust_stock_count(variant=variant, warehouse=warehouse, counted=8, reason=" ")

    assert level_of(variant, warehouse).on_hand == 10


def test_counting_to_zero_is_allowed_when_nothing_is_allocated(variant, warehouse):
    services.receive_stock(variant=variant, warehouse=warehouse, quantity=3)

    services.adjust_stock_count(variant=variant, warehouse=warehouse, counted=0,
                                reason="Written off: water damage")

    assert level_of(variant, warehouse).on_hand == 0


# --- The database backs the rules up ---------------------------------------------------------
# SQLite enforces CHECK constraints too, so these run on both databases.


def test_the_database_refuses_allocating_more_than_on_hand(variant, warehouse):
    services.receive_stock(variant=variant, warehouse=warehouse, quantity=2)

    with pytest.raises(IntegrityError), transaction.atomic():
        StockLevel.objects.filter(variant=variant, warehouse=warehouse).update(allocated=3)

    assert level_of(variant, warehouse).allocated == 0


def test_the_database_refuses_a_negative_allocation(variant, warehouse):
    services.receive_stock(variant=variant, warehouse=warehouse, quantity=2)

    with pytest.raises(IntegrityError), transaction.atomic():
        StockLevel.objects.filter(variant=variant, warehouse=warehouse).update(allocated=-1)

    assert level_of(variant, warehouse).allocated == 0


def test_the_database_refuses_taking_on_hand_below_allocated(variant, warehouse):
    services.receive_stock(variant=variant, warehouse=warehouse, quantity=5)
    StockLevel.objects.filter(variant=variant, warehouse=warehouse).update(allocated=4)

    with pytest.raises(IntegrityError), transaction.atomic():
        StockLevel.objects.filter(variant=variant, warehouse=warehouse).update(on_hand=3)


def test_the_database_refuses_a_zero_ledger_line(variant, warehouse):
    services.receive_stock(variant=variant, warehouse=warehouse, quantity=5)
    level = level_of(variant, warehouse)

    with pytest.raises(IntegrityError), transaction.atomic():
        StockMovement.objects.create(stock_level=level, kind=StockMovement.Kind.RECEIPT,
                                     quantity=0, on_hand_after=5)
