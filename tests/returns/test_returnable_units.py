"""Returnable units are the units DELIVERED, not the units ordered: a line split over two
warehouses ships as two parcels, and only the parcel that arrived may be sent back."""

import pytest
from django.utils import timezone

from fulfillment import services as fulfillment_services
from fulfillment.carriers import TrackingUpdate
from fulfillment.models import Shipment
from inventory.services import receive_stock
from orders import services as order_services
from payments import services as payment_services
from returns import services
from returns.exceptions import ReturnInvalid
from returns.models import ReturnRequest
from returns.selectors import returnable_lines
from tests.factories import ProductFactory, WarehouseFactory, make_variant, ready_cart
from tests.fulfillment.test_shipments import to_shipped

from .conftest import CARD, ask

pytestmark = pytest.mark.django_db


def deliver(shipment):
    to_shipped(shipment)
    fulfillment_services.record_tracking(shipment_id=shipment.pk, update=TrackingUpdate(
        event_id=f"delivered-{shipment.pk}", status=Shipment.State.DELIVERED,
        occurred_at=timezone.now(), description="Front door"))


@pytest.fixture
def split_line_order():
    """One line of 5 boots: 2 from east, 3 from west, in two shipments, none delivered."""
    east = WarehouseFactory(code="east", priority=1)
    west = WarehouseFactory(code="west", priority=2)
    boots = make_variant(ProductFactory(title="Hiking Boots"), price="80.00", sku="BOOT-42",
                         stock=2, warehouse=east)
    receive_stock(variant=boots, warehouse=west, quantity=3)
    order = order_services.place_order(cart=ready_cart(variants={boots: 5},
                                                       email="hiker@example.com"))
    payment_services.start_payment(order=order, payment_data=CARD)
    shipments = {s.warehouse.code: s
                 for s in fulfillment_services.create_shipments(order_id=order.pk)}
    assert {code: s.lines.get().quantity for code, s in shipments.items()} == {"east": 2,
                                                                               "west": 3}
    assert len({s.lines.get().order_line_id for s in shipments.values()}) == 1  # one line
    return order, shipments


def the_row(order):
    (row,) = returnable_lines(order)
    return row


def test_only_the_delivered_shipments_units_are_returnable(split_line_order):
    order, shipments = split_line_order
    assert the_row(order).returnable == 0
    deliver(shipments["east"])
    row = the_row(order)
    assert row.line.quantity == 5
    assert (row.delivered, row.returnable) == (2, 2)
    to_shipped(shipments["west"])  # on its way, not delivered: still not returnable
    assert (the_row(order).delivered, the_row(order).returnable) == (2, 2)


def test_a_return_for_more_than_the_delivered_units_is_refused(split_line_order):
    order, shipments = split_line_order
    deliver(shipments["east"])
    with pytest.raises(ReturnInvalid):
        ask(order, sku="BOOT-42", quantity=3)
    assert not ReturnRequest.objects.exists()
    rma = ask(order, sku="BOOT-42", quantity=2)
    assert rma.lines.get().quantity == 2
    assert the_row(order).returnable == 0  # both delivered units are on the return


def test_the_second_parcel_makes_its_units_returnable_when_it_arrives(split_line_order):
    order, shipments = split_line_order
    deliver(shipments["east"])
    ask(order, sku="BOOT-42", quantity=2)
    deliver(shipments["west"])
    row = the_row(order)
    assert (row.delivered, row.requested, row.returnable) == (5, 2, 3)
    with pytest.raises(ReturnInvalid):
        services.request_return(order_id=order.pk, resolution="refund", lines=[
            services.RequestedLine(order_line_id=row.line.pk, quantity=4, reason="damaged",
                                   note="", exchange_variant_id=None)])
