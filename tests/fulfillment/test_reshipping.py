"""Shipping again after a shipment was canceled: only the uncovered units, new numbers."""

import pytest

from fulfillment import services, tasks
from fulfillment.models import Shipment
from inventory.models import StockLevel
from orders.models import Allocation, OrderEvent

from .test_shipments import to_shipped

pytestmark = pytest.mark.django_db
State = Shipment.State


def summary(shipments):
    return [(s.number.rsplit("-", 1)[1], s.warehouse.code,
             sorted(line.quantity for line in s.lines.all())) for s in shipments]


def test_cancel_one_shipment_then_create_again_reships_only_its_units(paid_order):
    order = paid_order()
    east_shipment, west_shipment = services.create_shipments(order_id=order.pk)
    services.cancel_shipment(shipment_id=east_shipment.pk)

    again = services.create_shipments(order_id=order.pk)

    assert summary(again) == [("3", "east", [2])]
    assert again[0].lines.get().order_line == east_shipment.lines.get().order_line
    assert services.create_shipments(order_id=order.pk) == []  # covered now
    live = order.shipments.exclude(state=State.CANCELED)
    assert sorted(live.values_list("number", flat=True)) == [west_shipment.number,
                                                             f"{order.number}-3"]
    mug_level = StockLevel.objects.get(pk=east_shipment.lines.get().stock_level_id)
    assert mug_level.allocated == 2  # the same units, not allocated twice
    assert OrderEvent.objects.filter(order=order, type=OrderEvent.Type.SHIPMENT_CREATED,
                                     message__startswith="1 new shipment(s)").exists()


def test_all_shipments_canceled_then_the_sweep_reships_them_once(paid_order):
    order = paid_order()
    for shipment in services.create_shipments(order_id=order.pk):
        services.cancel_shipment(shipment_id=shipment.pk)

    assert tasks.sweep_fulfillment_work()["shipments"] == 1  # no IntegrityError on "-1"

    live = list(order.shipments.exclude(state=State.CANCELED).order_by("pk"))
    assert summary(live) == [("3", "east", [2]), ("4", "west", [1])]
    assert tasks.sweep_fulfillment_work()["shipments"] == 0  # and it stops asking


def test_the_sweep_reships_the_rest_of_a_partly_shipped_order(paid_order):
    order = paid_order()
    east_shipment, west_shipment = services.create_shipments(order_id=order.pk)
    to_shipped(west_shipment)
    services.cancel_shipment(shipment_id=east_shipment.pk)

    assert tasks.sweep_fulfillment_work()["shipments"] == 1

    (reshipped,) = order.shipments.filter(state=State.PENDING)
    assert summary([reshipped]) == [("3", "east", [2])]
    # Shipped units are no longer allocated, so nothing of the lamp is shipped twice.
    assert not Allocation.objects.filter(order_line__order=order,
                                         stock_level__warehouse__code="west").exists()
    assert tasks.sweep_fulfillment_work()["shipments"] == 0
