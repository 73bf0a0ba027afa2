"""A cancel after shipping against the hand-over of the last parcel (issue 14), on PostgreSQL
with real threads, each its own connection. The cancel locks the order's shipments before
the order, as shipping does, so exactly one order of events happens: the parcel leaves
first and the cancel returns every unit with nothing refunded now, or the cancel comes first
and the parcel is refused, its units released and refunded as a cancellation."""

import pytest

from fulfillment import services as fulfillment_services
from fulfillment.models import Shipment
from inventory.models import StockLevel
from inventory.services import receive_stock
from kernel.errors import InvalidTransition, ShopError
from kernel.money import quantize
from orders import services as order_services
from payments import services as payment_services
from payments.models import GatewayCall, Payment, RefundReason
from returns import services
from returns.models import ReturnRequest
from tests.concurrency import run_concurrently
from tests.factories import ProductFactory, UserFactory, WarehouseFactory, make_variant, ready_cart
from tests.fulfillment.test_cancel_intent import pack
from tests.fulfillment.test_shipments import to_shipped

from .conftest import CARD

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
State = Shipment.State


@pytest.fixture
def split_line_order():
    """One line of 5 boots: 2 from east, 3 from west, in two shipments (made by the task
    the payment queues, which runs at commit here)."""
    east = WarehouseFactory(code="east", priority=1)
    west = WarehouseFactory(code="west", priority=2)
    boots = make_variant(ProductFactory(title="Hiking Boots"), price="80.00", sku="BOOT-42",
                         stock=2, warehouse=east)
    receive_stock(variant=boots, warehouse=west, quantity=3)
    order = order_services.place_order(cart=ready_cart(variants={boots: 5},
                                                       email="hiker@example.com"))
    payment_services.start_payment(order=order, payment_data=CARD)
    shipments = {s.warehouse.code: s for s in Shipment.objects.filter(order=order)}
    assert {code: s.lines.get().quantity for code, s in shipments.items()} == {"east": 2,
                                                                               "west": 3}
    return order, shipments


@pytest.mark.parametrize("round_number", range(3))
def test_cancel_against_shipping_the_last_parcel(split_line_order, round_number):
    order, shipments = split_line_order
    east, west = shipments["east"], shipments["west"]
    to_shipped(east)
    fulfillment_services.create_pick_list(warehouse_id=west.warehouse_id,
                                          shipment_ids=[west.pk])
    pack(west)
    fulfillment_services.purchase_label(shipment_id=west.pk)
    merchant = UserFactory(username=f"merchant{round_number}", is_staff=True)
    west_level = StockLevel.objects.get(pk=west.lines.get().stock_level_id)

    ship, cancel = run_concurrently(
        lambda: fulfillment_services.ship_shipment(shipment_id=west.pk),
        lambda: services.cancel_order_or_return(order_id=order.pk, reason="Asked",
                                                actor=merchant))

    crashes = [o.error for o in (ship, cancel)
               if o.error is not None and not isinstance(o.error, ShopError)]
    assert not crashes, crashes
    assert cancel.ok, cancel.error  # a cancel after shipping is never refused here
    west.refresh_from_db()
    line = order.lines.get()
    refunds = GatewayCall.objects.filter(payment__order=order, kind=GatewayCall.Kind.REFUND)
    (return_request,) = ReturnRequest.objects.filter(order=order)
    level = StockLevel.objects.get(pk=west_level.pk)
    if ship.ok:  # the parcel left first: everything comes back through the return
        assert west.state == State.SHIPPED
        assert cancel.result.canceled_shipments == [] and cancel.result.refund is None
        assert not refunds.exists()
        assert return_request.lines.get().quantity == 5
        assert (line.quantity_fulfilled, line.quantity_canceled) == (5, 0)
    else:  # the cancel came first: the parcel is refused, its units released and refunded
        assert isinstance(ship.error, InvalidTransition)
        assert west.state == State.CANCELED
        assert (line.quantity_fulfilled, line.quantity_canceled) == (2, 3)
        assert (level.on_hand, level.allocated) == (west_level.on_hand, 0)
        (refund,) = refunds
        assert refund.refund_reason == RefundReason.CANCELLATION
        assert refund.amount == line.total - quantize(line.total * 2 / 5, order.currency)
        assert return_request.lines.get().quantity == 2
    payment = Payment.objects.get(order=order)
    assert payment.refunded_amount <= payment.captured_amount
